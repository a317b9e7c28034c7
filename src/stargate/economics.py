"""Economics: capex by component, financing, opex and what a GPU-hour, a training run and a million
served tokens cost.

Capex is annualised with the capital recovery factor of each component's life at the WACC (the
levelised-cost method of NREL ATB / Lazard LCOE); energy comes from the supply stage's $/MWh.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from stargate.errors import InputError, require_range
from stargate.supply.technologies import capital_recovery_factor

HOURS_PER_YEAR = 8760.0


@lru_cache(maxsize=1)
def cost_data() -> dict[str, Any]:
    return tomllib.loads(resources.files("stargate.catalog").joinpath("costs.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class EconomicsResult:
    """Costs of a campus (units in the names); ``breakdown`` is waterfall-ready and sums to the totals."""

    breakdown: pd.DataFrame            # component x (capex_usd, annual_usd)
    capex_usd: float
    annual_cost_usd: float
    cost_usd_per_gpu_hour: float
    training_run_usd: float
    usd_per_million_tokens_served: float

    def to_dict(self) -> dict[str, Any]:
        return {"breakdown": self.breakdown.to_dict(orient="index"), "capex_usd": self.capex_usd,
                "annual_cost_usd": self.annual_cost_usd, "cost_usd_per_gpu_hour": self.cost_usd_per_gpu_hour,
                "training_run_usd": self.training_run_usd,
                "usd_per_million_tokens_served": self.usd_per_million_tokens_served}


def campus_economics(n_gpus: int, price_usd_per_gpu: float, facility_mw: float, annual_energy_mwh: float,
                     energy_usd_per_mwh: float, utilisation: float, training_gpu_hours: float,
                     onsite_generation_capex_usd: float = 0.0, onsite_generation_annual_usd: float = 0.0,
                     tokens_per_s_per_gpu: float | None = None) -> EconomicsResult:
    """Total cost of ownership of a campus and its unit costs.

    Parameters
    ----------
    n_gpus : int                     Accelerators. [-]
    price_usd_per_gpu : float        Purchase price per accelerator (catalog). [USD]
    facility_mw : float              Facility power (buildings and plant are sized on it). [MW]
    annual_energy_mwh : float        Energy bought or generated per year. [MWh]
    energy_usd_per_mwh : float       Average energy cost (supply stage). [USD/MWh]
    utilisation : float              Busy share of GPU-hours (for the cost per used GPU-hour). [-]
    training_gpu_hours : float       GPU-hours of the planned training run. [h]
    onsite_generation_* : float      Already included in energy_usd_per_mwh when supply is on site:
                                     shown as components for the waterfall, not added twice.
    tokens_per_s_per_gpu : float     Serving throughput; default from catalog/costs.toml. [1/s]
    """
    for name, value, low in (("n_gpus", n_gpus, 1), ("price_usd_per_gpu", price_usd_per_gpu, 0.0),
                             ("facility_mw", facility_mw, 0.0), ("energy_usd_per_mwh", energy_usd_per_mwh, 0.0),
                             ("utilisation", utilisation, 1e-6), ("training_gpu_hours", training_gpu_hours, 0.0)):
        require_range(name, value, low)
    c = cost_data()
    wacc = c["financing"]["wacc"]
    it, site = c["it"], c["site"]
    accelerators = n_gpus * price_usd_per_gpu
    network = accelerators * it["network_storage_share"]
    buildings = facility_mw * site["usd_per_mw"]
    rows = {
        "accelerators": (accelerators, accelerators * capital_recovery_factor(wacc, it["accelerator_life_yr"])),
        "network and storage": (network, network * capital_recovery_factor(wacc, it["network_life_yr"])),
        "buildings, power and cooling": (buildings, buildings * capital_recovery_factor(wacc, site["life_yr"])),
        "hardware maintenance": (0.0, (accelerators + network) * it["maintenance_share_per_yr"]),
        "staff and operations": (0.0, facility_mw * site["staff_usd_per_mw_yr"]),
        # on-site plant capex is shown, while its annual cost is inside the supply stage's $/MWh
        "energy (on-site plant capex shown, its cost in $/MWh)": (onsite_generation_capex_usd,
                                                                  annual_energy_mwh * energy_usd_per_mwh),
    }
    breakdown = pd.DataFrame.from_dict(rows, orient="index", columns=["capex_usd", "annual_usd"])
    annual = float(breakdown["annual_usd"].sum())
    per_gpu_hour = annual / (n_gpus * HOURS_PER_YEAR * utilisation)
    tokens = tokens_per_s_per_gpu or c["serving"]["tokens_per_s_per_gpu"]
    if tokens <= 0:
        raise InputError("tokens_per_s_per_gpu", tokens, "must be > 0")
    return EconomicsResult(breakdown, float(breakdown["capex_usd"].sum()), annual, per_gpu_hour,
                           per_gpu_hour * training_gpu_hours, per_gpu_hour / (tokens * 3600) * 1e6)
