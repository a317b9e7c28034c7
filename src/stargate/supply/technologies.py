"""Energy technologies as a table (PyPSA style), annualised from the sourced catalog."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from stargate.errors import InputError, require_range


@lru_cache(maxsize=1)
def technology_catalog() -> dict[str, Any]:
    text = resources.files("stargate.catalog").joinpath("energy_technologies.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def capital_recovery_factor(wacc: float, lifetime_yr: float) -> float:
    """Annuity factor turning an overnight cost into an equal yearly payment. [1/yr]

    ``crf = r (1 + r)^n / ((1 + r)^n - 1)`` (standard annuity; e.g. NREL ATB, "Financial definitions").
    """
    require_range("wacc", wacc, 0.0, 1.0)
    require_range("lifetime_yr", lifetime_yr, 1.0)
    if wacc == 0:
        return 1.0 / lifetime_yr
    growth = (1 + wacc) ** lifetime_yr
    return wacc * growth / (growth - 1)


def technology_table(names: list[str] | None = None, wacc: float | None = None,
                     gas_usd_per_mmbtu: float | None = None) -> pd.DataFrame:
    """One row per technology with annualised costs.

    Columns: kind, fixed_usd_per_mw_yr (annualised capex + FOM), marginal_usd_per_mwh (VOM + fuel or
    energy price), co2_t_per_mwh, availability, max_mw, duration_h, efficiency, carbon_free, profile,
    earliest_year, lead_time_yr, speculative, name, unit_mw (size of one unit, where given: N+k reserves).
    """
    cat = technology_catalog()
    defaults = cat["defaults"]
    wacc = defaults["wacc"] if wacc is None else wacc
    gas = defaults["gas_usd_per_mmbtu"] if gas_usd_per_mmbtu is None else gas_usd_per_mmbtu
    keys = [k for k in cat if k != "defaults"]
    for name in names or []:
        if name not in keys:
            raise InputError("supply.technologies", name, "one of " + ", ".join(keys))
    rows = {}
    for key in names or keys:
        t = cat[key]
        heat = t.get("heat_rate_mmbtu_per_mwh", 0.0)
        capex = t.get("capex_usd_per_kw", 0.0) * 1000
        crf = capital_recovery_factor(wacc, t.get("lifetime_yr", 25)) if capex else 0.0
        # a PPA is take-or-pay: each contracted MW pays for its expected output whether used or not
        take_or_pay = t["kind"] == "ppa"
        price = t.get("price_usd_per_mwh", 0.0)
        rows[key] = {
            "name": t["name"], "kind": t["kind"],
            "fixed_usd_per_mw_yr": capex * crf + t.get("fom_usd_per_kw_yr", 0.0) * 1000
            + (price * t.get("availability", 1.0) * 8760 if take_or_pay else 0.0),
            "marginal_usd_per_mwh": (0.0 if take_or_pay else price) + t.get("vom_usd_per_mwh", 0.0)
            + t.get("fuel_usd_per_mwh", 0.0) + heat * gas,
            "co2_t_per_mwh": t.get("co2_t_per_mwh", heat * defaults["gas_co2_kg_per_mmbtu"] / 1000),
            "availability": t.get("availability", 1.0), "max_mw": t.get("max_mw", float("inf")),
            "duration_h": t.get("duration_h", 0.0), "efficiency": t.get("efficiency_round_trip", 1.0),
            "carbon_free": bool(t["carbon_free"]), "profile": t.get("profile", ""),
            "earliest_year": t.get("earliest_year", 2000), "lead_time_yr": t.get("lead_time_yr", 0),
            "speculative": bool(t.get("speculative", False)), "capex_usd_per_mw": capex,
            "unit_mw": t.get("unit_mw", float("nan")),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
