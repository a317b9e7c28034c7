"""Energy technologies as a table (PyPSA style), annualised from the sourced catalog.

Finance follows the NREL ATB 2024 convention named in the catalog (``defaults.discount_convention``):
constant-dollar costs annualised with a real discount rate over a 30-year cost recovery period (or the
technology's shorter lifetime), with PyPSA's annuity formula (:func:`annuity` = ``pypsa.costs.annuity``).

References
----------
NREL (2024), Annual Technology Baseline, "Financial Cases and Methods" and "Equations and Variables".
Brown et al. (2018), "PyPSA: Python for Power System Analysis", JORS 6(1); ``pypsa.costs.annuity``.
"""

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


def annuity(discount_rate: float, lifetime_yr: float) -> float:
    """Annuity factor turning an overnight cost into an equal yearly payment. [1/yr]

    ``r / (1 - (1 + r)^-n)``, ``1 / n`` at r = 0: the formula of ``pypsa.costs.annuity`` (PyPSA >= 1.1),
    written out so that planning does not import PyPSA (a test checks both agree).
    """
    require_range("discount_rate", discount_rate, 0.0, 1.0)
    require_range("lifetime_yr", lifetime_yr, 1.0)
    if discount_rate == 0:
        return 1.0 / lifetime_yr
    return discount_rate / (1 - (1 + discount_rate) ** -lifetime_yr)


capital_recovery_factor = annuity  # the name stargate.economics uses


def recovery_period_yr(lifetime_yr: float, defaults: dict[str, Any]) -> float:
    """Years over which capex is recovered: the catalog's cost recovery period, or a shorter lifetime."""
    return min(float(lifetime_yr), float(defaults.get("cost_recovery_period_yr", lifetime_yr)))


def technology_table(names: list[str] | None = None, wacc: float | None = None,
                     gas_usd_per_mmbtu: float | None = None) -> pd.DataFrame:
    """One row per technology with annualised costs.

    Columns: kind, fixed_usd_per_mw_yr (annualised capex + FOM), marginal_usd_per_mwh (VOM + fuel or
    energy price), co2_t_per_mwh, availability, max_mw, duration_h, efficiency, carbon_free, profile,
    earliest_year, lead_time_yr, speculative, name, unit_mw (size of one unit, where given: N+k reserves),
    available_regions (empty: anywhere). ``wacc`` is the real discount rate (catalog ``defaults.wacc``).
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
        crf = annuity(wacc, recovery_period_yr(t.get("lifetime_yr", 30), defaults)) if capex else 0.0
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
            "available_regions": tuple(t.get("available_regions", ())),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
