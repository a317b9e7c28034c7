"""Facility: power of a campus from its accelerators out to the grid, its water, racks and hourly load.

Power chain at nameplate (Epoch AI's GPU-cluster method): accelerators (N x TDP) -> servers/racks
(x server overhead: CPUs, memory, NICs, fans, power shelves) -> all IT (x cluster overhead:
inter-server switches, storage, management) -> facility (x PUE: cooling, power conversion, lighting).
Training draws a fraction of nameplate (a DGX H100 <= 76 % of its 10.2 kW); PUE follows the cooling
system and the site's hourly temperature; water is WUE x IT energy. The annual energy is
``P_facility x 8760 h x utilisation``, and :func:`hourly_load_mw` spreads it over the year.
Numbers live in ``catalog/facility.toml`` and the scenario's ``[facility]`` section.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from stargate.errors import InputError, require_range

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Cooling:
    """A cooling system: PUE in free-cooling weather and its rise above, water use, rack limit."""

    name: str
    pue_base: float              # PUE at or below the free-cooling limit [-]
    pue_per_c: float             # PUE rise per degree above the limit [1/C]
    free_cooling_limit_c: float  # outdoor dry bulb up to which no chiller/evaporation is needed [C]
    wue_l_per_kwh: float         # site water per IT kWh [L/kWh]
    max_rack_kw: float           # practical IT power per rack [kW]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacilityCatalog:
    """The shipped ``catalog/facility.toml``."""

    cooling: dict[str, Cooling]
    it_over_server_factor: float
    maintenance_hours_per_month: int
    inference_diurnal_amplitude: float
    inference_peak_hour: int
    sources: tuple[str, ...]


@lru_cache(maxsize=1)
def facility_catalog() -> FacilityCatalog:
    """Read ``catalog/facility.toml`` (cached)."""
    data: dict[str, Any] = tomllib.loads(
        resources.files("stargate.catalog").joinpath("facility.toml").read_text(encoding="utf-8"))
    cooling = {name: Cooling(name, raw["pue_base"], raw["pue_per_c"], raw["free_cooling_limit_c"],
                             raw["wue_l_per_kwh"], raw["max_rack_kw"], tuple(raw["sources"]))
               for name, raw in data["cooling"].items()}
    load = data["load_profile"]
    return FacilityCatalog(cooling, data["cluster"]["it_over_server_factor"], load["maintenance_hours_per_month"],
                           load["inference_diurnal_amplitude"], load["inference_peak_hour"],
                           tuple(data["cluster"]["sources"]) + tuple(load["sources"]))


def cooling_system(name: str) -> Cooling:
    """The catalog's cooling system ``name`` ("liquid" or "air")."""
    systems = facility_catalog().cooling
    if name not in systems:
        raise InputError("facility.cooling", name, "one of " + ", ".join(systems))
    return systems[name]


def _cooling(cooling: str | Cooling) -> Cooling:
    return cooling if isinstance(cooling, Cooling) else cooling_system(cooling)


def hourly_pue(cooling: str | Cooling, temperature_c: np.ndarray) -> np.ndarray:
    """PUE hour by hour: the base value up to the free-cooling limit, rising linearly above it.

    Parameters
    ----------
    cooling : str or Cooling      "liquid", "air" or a :class:`Cooling`.
    temperature_c : array-like    Hourly outdoor dry-bulb temperature. [C]

    Returns
    -------
    numpy.ndarray                 PUE of each hour. [-]

    References
    ----------
    .. [1] Shehabi et al. (2024), LBNL "United States Data Center Energy Usage Report": PUE 1.14 (AI).
    .. [2] Uptime Institute Global Data Center Survey 2024: average PUE 1.56.
    """
    c = _cooling(cooling)
    temperature = np.asarray(temperature_c, dtype=float)
    if not np.isfinite(temperature).all():
        raise InputError("site temperature_c", "NaN or inf", "hourly temperatures must be finite numbers")
    return c.pue_base + c.pue_per_c * np.maximum(0.0, temperature - c.free_cooling_limit_c)


def pue_from_climate(cooling: str | Cooling, temperature_c: np.ndarray) -> float:
    """Annual PUE of a flat IT load: the mean of :func:`hourly_pue`. [-]"""
    return float(np.mean(hourly_pue(cooling, temperature_c)))


def free_cooling_hours(cooling: str | Cooling, temperature_c: np.ndarray) -> int:
    """Hours of the year at or below the cooling system's free-cooling limit. [h]"""
    return int(np.sum(np.asarray(temperature_c, dtype=float) <= _cooling(cooling).free_cooling_limit_c))


@dataclass(frozen=True)
class FacilityResult:
    """Power, energy and water of the site at nameplate and in training, with comparisons."""

    accelerator_power_mw: float          # N x TDP [MW]
    it_power_mw: float                   # all IT at nameplate [MW]
    facility_power_mw: float             # IT x PUE: the campus's design load [MW]
    annual_energy_twh: float             # facility x 8760 h x utilisation [TWh]
    nuclear_units: float                 # facility power in large reactors [-]
    share_of_japan: float                # annual energy / Japan's electricity [-]
    reported_capacity_mw: float | None
    pue: float = 0.0
    pue_basis: str = "given"
    training_it_power_mw: float = 0.0    # IT draw while training [MW]
    racks: int = 0
    water_m3_per_yr: float = 0.0
    host_power_mw: float = 0.0           # servers/racks beyond the accelerators: CPUs, memory, NICs, fans [MW]
    network_storage_power_mw: float = 0.0  # inter-server switches, storage, management [MW]
    training_facility_power_mw: float = 0.0  # facility draw while training [MW]
    idle_it_power_mw: float = 0.0        # IT draw with the cluster idle (maintenance, restarts) [MW]
    free_cooling_hours: int | None = None  # hours a year without chillers or evaporation [h]
    wue_l_per_kwh: float = 0.0
    rack_kw: float = 0.0


def facility_power(
    n_gpus: int,
    tdp_w_per_gpu: float,
    server_overhead_factor: float,
    pue: float,
    utilisation: float,
    nuclear_unit_mw: float,
    japan_twh: float,
    reported_capacity_mw: float | None = None,
    *,
    pue_basis: str = "given",
    training_power_fraction: float = 1.0,
    idle_power_fraction: float = 0.0,
    it_overhead_factor: float = 1.0,
    rack_kw: float | None = None,
    cooling: Cooling | None = None,
    wue_l_per_kwh: float | None = None,
    free_cooling_hours: int | None = None,
) -> FacilityResult:
    """Power, energy, racks and water of ``n_gpus`` accelerators.

    Parameters
    ----------
    n_gpus : int                     Accelerators (GPUs or chips). [-]
    tdp_w_per_gpu : float            Board power per accelerator. [W]
    server_overhead_factor : float   Server (rack) power / accelerator power: 1.82 for DGX H100 (10.2 / 5.6 kW),
                                     1.39-1.53 for a GB200 NVL72 rack (120-132 / 86.4 kW). [-]
    pue : float                      Power usage effectiveness, facility / IT. [-]
    utilisation : float              Average / nameplate facility load over the year. [fraction]
    nuclear_unit_mw : float          Size of one large reactor, for comparison. [MW]
    japan_twh : float                Japan's annual electricity, for comparison. [TWh]
    training_power_fraction : float  Average IT draw in training / nameplate. [fraction]
    idle_power_fraction : float      IT draw of an idle cluster / nameplate. [fraction]
    it_overhead_factor : float       All IT / server power (switches, storage, management): 1.14. [-]
    rack_kw : float                  IT power per rack; None: no rack count. [kW]
    cooling : Cooling                Checks ``rack_kw`` against its limit; its WUE unless ``wue_l_per_kwh``.
    wue_l_per_kwh : float            Site water per IT kWh. [L/kWh]
    free_cooling_hours : int         Reported as given (from :func:`free_cooling_hours`). [h]

    Returns
    -------
    FacilityResult

    References
    ----------
    .. [1] Epoch AI (2025), GPU clusters dataset, power method: TDP x N x 1.82 x PUE; Data Insight
       (2025-12-18): server 1.53x GPU, IT 1.14x server, facility 1.4x IT.
    .. [2] Newkirk et al. (2025), arXiv:2506.14551: DGX H100 training at <= 76 % of 10.2 kW.
    .. [3] Shehabi et al. (2024), "United States Data Center Energy Usage Report", LBNL (PUE 1.14 AI).
    """
    require_range("cluster.count", n_gpus, 1)
    require_range("facility.accelerator_tdp_w", tdp_w_per_gpu, 0.0)
    require_range("facility.server_overhead_factor", server_overhead_factor, 1.0)
    require_range("facility.it_overhead_factor", it_overhead_factor, 1.0)
    require_range("facility.pue", pue, 1.0)
    require_range("facility.utilisation", utilisation, 0.0, 1.0)
    require_range("facility.training_power_fraction", training_power_fraction, 0.0, 1.0)
    require_range("facility.idle_power_fraction", idle_power_fraction, 0.0, training_power_fraction)
    if rack_kw is not None:
        require_range("facility.rack_kw", rack_kw, 1e-3)
        if cooling is not None and rack_kw > cooling.max_rack_kw:
            raise InputError("facility.rack_kw", rack_kw, f"{cooling.name} cooling carries at most "
                             f"{cooling.max_rack_kw:,.0f} kW per rack; use cooling = \"liquid\" or fewer kW per rack")
    wue = wue_l_per_kwh if wue_l_per_kwh is not None else (cooling.wue_l_per_kwh if cooling else 0.0)
    require_range("facility.wue_l_per_kwh", wue, 0.0)
    accelerator_mw = n_gpus * tdp_w_per_gpu / 1e6
    server_mw = accelerator_mw * server_overhead_factor
    it_mw = server_mw * it_overhead_factor
    facility_mw = it_mw * pue
    it_energy_mwh = it_mw * HOURS_PER_YEAR * utilisation
    energy_twh = facility_mw * HOURS_PER_YEAR * utilisation / 1e6
    return FacilityResult(
        accelerator_power_mw=accelerator_mw, it_power_mw=it_mw, facility_power_mw=facility_mw,
        annual_energy_twh=energy_twh, nuclear_units=facility_mw / nuclear_unit_mw,
        share_of_japan=energy_twh / japan_twh, reported_capacity_mw=reported_capacity_mw,
        pue=pue, pue_basis=pue_basis, training_it_power_mw=it_mw * training_power_fraction,
        racks=int(np.ceil(it_mw * 1000 / rack_kw - 1e-9)) if rack_kw else 0,
        water_m3_per_yr=it_energy_mwh * 1000 * wue / 1000,  # MWh -> kWh, L -> m3
        host_power_mw=server_mw - accelerator_mw, network_storage_power_mw=it_mw - server_mw,
        training_facility_power_mw=it_mw * training_power_fraction * pue,
        idle_it_power_mw=it_mw * idle_power_fraction, free_cooling_hours=free_cooling_hours,
        wue_l_per_kwh=wue, rack_kw=rack_kw or 0.0,
    )


DEFAULT_JOB_GPUS = 16_384  # the job size of the Llama 3 interruption log the failure rate comes from


def hourly_load_mw(
    facility_power_mw: float,
    utilisation: float,
    seed: int = 0,
    hours: int = 8760,
    *,
    training_power_fraction: float = 0.76,
    idle_power_fraction: float = 0.25,
    inference_share: float = 0.0,
    job_gpus: int = DEFAULT_JOB_GPUS,
    pue_hourly: np.ndarray | None = None,
) -> np.ndarray:
    """Hourly facility load of a training campus, with mean ``facility_power_mw x utilisation``. [MW]

    Parameters
    ----------
    facility_power_mw : float         Nameplate facility power (IT x PUE). [MW]
    utilisation : float               Mean load / nameplate over the year. [fraction]
    seed : int                        Seed of the random events (deterministic).
    hours : int                       Length of the series. [h]
    training_power_fraction : float   IT draw in training / nameplate. [fraction]
    idle_power_fraction : float       IT draw of idle GPUs (maintenance, restarts) / nameplate. [fraction]
    inference_share : float           Share of the IT capacity serving inference (follows the day). [fraction]
    job_gpus : int                    GPUs of the training job: interruptions grow with it. [-]
    pue_hourly : array-like           PUE of each hour (:func:`hourly_pue`); None: flat. [-]

    Returns
    -------
    numpy.ndarray                     Load of each hour, local time from 1 January 00:00. [MW]

    Notes
    -----
    The training share draws ``training_power_fraction`` except while the job restarts after an
    interruption (Poisson, at the per-GPU-hour rate of ``catalog/reliability.toml`` times
    ``job_gpus``, each stalling it at idle for the restart time) and during one maintenance window a
    month (whole campus idle). Checkpoint writes stall a job for seconds to minutes at a time, so they
    vanish in hourly averages; the work lost to failures is recomputed at full power. Inference follows
    ``1 + a cos(2 pi (h - h_peak) / 24)``. The shape times the hourly PUE is scaled to the required mean;
    where that would exceed ``facility_power_mw`` its swings are narrowed around the mean instead, so
    the mean is exact and no hour exceeds nameplate.

    References
    ----------
    .. [1] Llama Team, Meta (2024), arXiv:2407.21783, Section 3.3.4: 419 interruptions in 54 days on
       16,384 GPUs; power swings of tens of MW across the data centre when jobs stop and restart.
    """
    from stargate.goodput import reliability_data

    require_range("facility_power_mw", facility_power_mw, 0.0)
    require_range("facility.utilisation", utilisation, 0.0, 1.0)
    require_range("facility.training_power_fraction", training_power_fraction, 1e-6, 1.0)
    require_range("facility.idle_power_fraction", idle_power_fraction, 0.0, training_power_fraction)
    require_range("facility.inference_share", inference_share, 0.0, 1.0)
    require_range("job_gpus", job_gpus, 0)
    require_range("hours", hours, 24)
    cat, rel = facility_catalog(), reliability_data()
    rng = np.random.default_rng(seed)
    train, idle = training_power_fraction, idle_power_fraction
    per_day = rel["interruptions"]["per_gpu_hour"] * job_gpus * 24
    stalled = np.minimum(1.0, rng.poisson(per_day / 24, hours) * rel["restart"]["seconds"] / 3600)
    training = train - (train - idle) * stalled
    hour_of_day = np.arange(hours) % 24
    inference = train * (1 + cat.inference_diurnal_amplitude * np.cos(
        2 * np.pi * (hour_of_day - cat.inference_peak_hour) / 24)) / (1 + cat.inference_diurnal_amplitude)
    it = (1 - inference_share) * training + inference_share * inference
    window, month = cat.maintenance_hours_per_month, hours // 12
    for start in range(0, month * 12, month):
        offset = start + int(rng.integers(0, max(1, month - window)))
        it[offset:offset + window] = idle
    if pue_hourly is not None:
        pue = np.asarray(pue_hourly, dtype=float)
        if pue.shape != (hours,) or not np.isfinite(pue).all() or pue.min() < 1.0:
            raise InputError("pue_hourly", f"array of shape {pue.shape}", f"{hours} finite values >= 1")
        it = it * pue
    return _scale_to_mean(it, facility_power_mw, facility_power_mw * utilisation)


def _scale_to_mean(shape: np.ndarray, cap: float, target: float) -> np.ndarray:
    """``shape`` scaled to mean ``target``; if its peak would pass ``cap``, its swings narrowed to fit."""
    mean = float(shape.mean())
    if mean <= 0.0:
        return np.full(shape.shape, target)
    gain = target / mean
    spread = float(shape.max()) - mean
    if spread > 0.0 and target + gain * spread > cap:
        gain = (cap - target) / spread
    return np.clip(target + gain * (shape - mean), 0.0, cap)
