"""Facility: IT power, facility power (PUE) and annual energy of a cluster, with comparisons.

First model (Epoch AI, "Frontier AI data centers" / GPU-clusters method; IEA Electricity 2024):
``P_IT = N x TDP x k_server`` and ``P_facility = P_IT x PUE``;
``E_year = P_facility x 8760 h x utilisation``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stargate.errors import require_range

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class FacilityResult:
    """Power and energy of the site; comparisons against reference quantities."""

    accelerator_power_mw: float
    it_power_mw: float
    facility_power_mw: float
    annual_energy_twh: float
    nuclear_units: float
    share_of_japan: float
    reported_capacity_mw: float | None
    pue: float = 0.0
    pue_basis: str = "given"
    training_it_power_mw: float = 0.0
    racks: int = 0
    water_m3_per_yr: float = 0.0


# Cooling: PUE at or below 20 C and its rise per degree above (hourly), water use per IT kWh.
COOLING = {
    # direct liquid cooling with dry coolers: Google fleet PUE 1.10 (2023), LBNL 1.14 for US AI sites;
    # closed loop: Microsoft 0.27 L/kWh (FY25)
    "liquid": {"pue_base": 1.08, "pue_per_c": 0.004, "wue_l_per_kwh": 0.3},
    # air cooling with evaporative assist: Uptime industry average 1.56 (2024); ~1.8 L/kWh industry WUE
    "air": {"pue_base": 1.30, "pue_per_c": 0.015, "wue_l_per_kwh": 1.8},
}
FREE_COOLING_LIMIT_C = 20.0


def pue_from_climate(cooling: str, temperature_c: np.ndarray) -> float:
    """Annual PUE from the hourly dry-bulb temperature: a base value up to 20 C, rising linearly above.

    Parameters
    ----------
    cooling : str                 "liquid" or "air".
    temperature_c : array-like    Hourly outdoor temperature. [C]

    References
    ----------
    .. [1] Shehabi et al. (2024), LBNL "United States Data Center Energy Usage Report": PUE 1.14 (AI).
    .. [2] Uptime Institute Global Data Center Survey 2024: average PUE 1.56.
    """
    c = COOLING[cooling]
    excess = np.maximum(0.0, np.asarray(temperature_c, dtype=float) - FREE_COOLING_LIMIT_C)
    return float(np.mean(c["pue_base"] + c["pue_per_c"] * excess))


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
    rack_kw: float | None = None,
    wue_l_per_kwh: float = 0.0,
) -> FacilityResult:
    """Facility power and annual energy of ``n_gpus`` accelerators.

    Parameters
    ----------
    n_gpus : int                     Accelerators (GPUs or chips). [-]
    tdp_w_per_gpu : float            Board power per accelerator. [W]
    server_overhead_factor : float   IT power / accelerator power: 1.82 for DGX H100 (10.2 / 5.6 kW),
                                     1.39-1.53 for a GB200 NVL72 rack (120-132 / 86.4 kW). [-]
    pue : float                      Power usage effectiveness, facility / IT. [-]
    utilisation : float              Average / peak IT load over the year. [fraction]
    nuclear_unit_mw : float          Size of one large reactor, for comparison. [MW]
    japan_twh : float                Japan's annual electricity, for comparison. [TWh]

    Returns
    -------
    FacilityResult

    References
    ----------
    .. [1] Epoch AI (2025), GPU clusters dataset, power method: TDP x N x 1.82 x PUE.
    .. [2] Shehabi et al. (2024), "United States Data Center Energy Usage Report", LBNL (PUE 1.14 AI).
    """
    require_range("cluster.count", n_gpus, 1)
    require_range("facility.server_overhead_factor", server_overhead_factor, 1.0)
    require_range("facility.pue", pue, 1.0)
    require_range("facility.utilisation", utilisation, 0.0, 1.0)
    accelerator_mw = n_gpus * tdp_w_per_gpu / 1e6
    it_mw = accelerator_mw * server_overhead_factor
    facility_mw = it_mw * pue
    energy_twh = facility_mw * HOURS_PER_YEAR * utilisation / 1e6
    return FacilityResult(
        accelerator_power_mw=accelerator_mw, it_power_mw=it_mw, facility_power_mw=facility_mw,
        annual_energy_twh=energy_twh, nuclear_units=facility_mw / nuclear_unit_mw,
        share_of_japan=energy_twh / japan_twh, reported_capacity_mw=reported_capacity_mw,
        pue=pue, pue_basis=pue_basis, training_it_power_mw=it_mw * training_power_fraction,
        racks=int(np.ceil(it_mw * 1000 / rack_kw)) if rack_kw else 0,
        water_m3_per_yr=it_mw * HOURS_PER_YEAR * utilisation * 1000 * wue_l_per_kwh / 1000,
    )


MAINTENANCE_HOURS_PER_MONTH = 8    # one planned window a month (assumption)
DIP_PROBABILITY_PER_DAY = 0.33     # Llama 3 at 16k GPUs: ~7.8 unexpected interruptions a day; 1/3 of days modelled
DIP_LOAD_FRACTION = 0.3            # a restarting job draws about a third of its training power (assumption)


def hourly_load_mw(facility_power_mw: float, utilisation: float, seed: int = 0, hours: int = 8760) -> np.ndarray:
    """Hourly facility load of a training campus: near-flat training load with maintenance windows and
    failure/restart dips, scaled so its mean is ``facility_power_mw x utilisation``. [MW]

    Training draws a steady load between checkpoints (Llama 3 paper, Section 3.3.4, notes tens-of-MW
    swings across the data centre when jobs stop and restart); dips and windows are placed at random,
    seeded, deterministic.
    """
    require_range("facility_power_mw", facility_power_mw, 0.0)
    require_range("facility.utilisation", utilisation, 0.0, 1.0)
    rng = np.random.default_rng(seed)
    shape = np.ones(hours)
    for month_start in range(0, hours, hours // 12):
        start = month_start + int(rng.integers(0, max(1, hours // 12 - MAINTENANCE_HOURS_PER_MONTH)))
        shape[start:start + MAINTENANCE_HOURS_PER_MONTH] = DIP_LOAD_FRACTION
    for day in np.flatnonzero(rng.random(hours // 24) < DIP_PROBABILITY_PER_DAY):
        start = day * 24 + int(rng.integers(0, 22))
        shape[start:start + 2] = np.minimum(shape[start:start + 2], DIP_LOAD_FRACTION)
    target = facility_power_mw * utilisation
    if shape.mean() * facility_power_mw < target:  # utilisation above what the dips allow: flatten them
        shape = np.full(hours, utilisation)
        return shape * facility_power_mw
    return shape / shape.mean() * target
