"""Supply stage: the least-cost hourly supply of a campus's load, with cost, CO2 and carbon-free share.

:func:`optimise_supply` builds the problem from the facility load, the site's weather and a mix of
allowed technologies (``mixes.toml``), and solves it with the planner's direct HiGHS LP, over the full
year or over representative days. :func:`stargate.supply.network.build_network` gives the same problem
as a PyPSA network (baseline and export).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from stargate.errors import InputError
from stargate.supply.lp import SupplyResult, solve_lp
from stargate.supply.problem import SupplyProblem
from stargate.supply.repdays import representative_periods
from stargate.supply.technologies import technology_table
from stargate.supply_section import SupplySection
from stargate.weather import HourlyProfiles

__all__ = [
    "SupplyOutcome",
    "SupplyProblem",
    "SupplyResult",
    "SupplySection",
    "build_problem",
    "co2_price_frontier",
    "mixes",
    "optimise_supply",
    "solve_lp",
]


GRID_DELIVERED = ("grid", "ppa")  # technology kinds an islanded campus cannot use


@lru_cache(maxsize=1)
def mixes() -> dict[str, dict]:
    """The shipped supply mixes (a)-(g) and a least-cost reference."""
    return tomllib.loads(resources.files("stargate.supply").joinpath("mixes.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SupplyOutcome:
    """A solved mix for one campus, with what it means per GPU-hour."""

    mix: str
    description: str
    weather: str
    result: SupplyResult
    energy_cost_usd_per_gpu_hour: float
    problem: SupplyProblem


def build_problem(load_mw: np.ndarray, profiles: HourlyProfiles, technologies: list[str], year: int = 2030,
                  co2_price_usd_per_t: float = 0.0, cfe_share: float | None = None,
                  reserve_margin: float | None = None, fixed_mw: dict[str, float] | None = None,
                  representative: int | None = None, seed: int = 0, grid: bool = True,
                  redundant_units: int = 0, region: str | None = None) -> SupplyProblem:
    """The supply problem of a load and a site; ``representative`` = number of days kept (None: full year).

    With representative days and wind or PV among the technologies the days are chosen twice: a first
    solve on them sizes the wind and PV whose net load picks the extreme days of the second
    (:func:`stargate.supply.repdays.extreme_days`).

    ``grid = False`` islands the campus: technologies delivered over the grid (import, PPAs) are dropped.
    ``region`` (a grid region, as ``site.grid_region``) applies the catalog's siting limits
    (``available_regions``): a technology not buildable there gets no capacity.
    """
    techs = technology_table(technologies)
    if region is not None:
        blocked = [g for g in techs.index if techs.at[g, "available_regions"]
                   and region.casefold() not in {r.casefold() for r in techs.at[g, "available_regions"]}]
        techs.loc[blocked, "max_mw"] = 0.0
    if not grid:
        techs = techs[~techs["kind"].isin(GRID_DELIVERED)]
        if techs.empty:
            raise InputError("supply.grid", False, f"leaves no technology of {', '.join(technologies)}: an islanded "
                             "campus needs on-site generation")
        fixed_mw = {k: v for k, v in (fixed_mw or {}).items() if k in techs.index}
    hours = len(load_mw)
    availability = pd.DataFrame(index=range(hours))
    for g in techs.index:
        profile = techs.at[g, "profile"]
        if profile:
            availability[g] = np.asarray(getattr(profiles, f"{profile}_cf"), dtype=float)[:hours]
        else:
            availability[g] = float(techs.at[g, "availability"])
    load = np.asarray(load_mw, dtype=float)

    def problem(sizing: dict[str, float] | None = None) -> SupplyProblem:
        if representative is None:
            snapshots = (load, availability, np.ones(hours), np.zeros(hours, dtype=int), None)
        else:
            snapshots = representative_periods(load, availability, representative, seed, sizing)
        day_load, day_availability, weights, period, sequence = snapshots
        return SupplyProblem(day_load, day_availability, techs, weights, period, co2_price_usd_per_t, None,
                             cfe_share, reserve_margin, fixed_mw or {}, year, redundant_units, sequence)

    weather = [g for g in availability.columns if availability[g].max() > availability[g].min()]
    if representative is None or not weather:
        return problem()
    # the days of highest net load depend on how much wind and PV the mix builds: size them by a first solve
    # on representative days, then keep those days as they are (repdays.extreme_days)
    capacity = solve_lp(problem()).capacity_mw
    return problem({g: capacity[g] for g in weather})


def resolved_mode(section: SupplySection, mix: dict) -> str:
    """The solve mode: the section's, or for ``auto`` the mix's (mixes.toml ``mode``), else representative days."""
    return mix.get("mode", "representative_days") if section.mode == "auto" else section.mode


def reserve_note(problem: SupplyProblem, result: SupplyResult) -> str:
    """One line on the firm-capacity requirement (N+k, margin) and what covers it, or '' when there is none."""
    from stargate.supply.lp import firm_requirement_mw, largest_unit_mw

    if not problem.redundant_units and problem.reserve_margin is None:
        return ""
    techs = problem.technologies
    firm = sum(result.capacity_mw[g] * techs.at[g, "availability"] for g in techs.index
               if techs.at[g, "kind"] in ("generator", "grid", "ppa", "storage"))
    parts = [f"N+{problem.redundant_units} on {largest_unit_mw(problem):,.1f} MW units"] if problem.redundant_units \
        else []
    if problem.reserve_margin is not None:
        parts.append(f"{problem.reserve_margin:.0%} margin")
    return (f"reserve {' + '.join(parts)}: firm {firm:,.0f} MW for a {problem.load_mw.max():,.0f} MW peak "
            f"(needs {firm_requirement_mw(problem):,.0f})")


def optimise_supply(load_mw: np.ndarray, profiles: HourlyProfiles, section: SupplySection, mw_per_gpu: float,
                    region: str | None = None) -> SupplyOutcome:
    """Least-cost supply of ``load_mw`` for the section's mix; cost per GPU-hour from the facility MW per GPU.

    ``region``: the site's grid region (``site.grid_region``) for the catalog's siting limits.
    """
    table = mixes()
    if section.mix not in table:
        raise InputError("supply.mix", section.mix, "one of " + ", ".join(table))
    mix = table[section.mix]
    problem = build_problem(
        load_mw, profiles, mix["technologies"], section.year or mix.get("year", 2030),
        section.co2_price_usd_per_t if section.co2_price_usd_per_t is not None else mix.get("co2_price_usd_per_t", 0.0),
        section.cfe_share if section.cfe_share is not None else mix.get("cfe_share"),
        section.reserve_margin if section.reserve_margin is not None else mix.get("reserve_margin"),
        mix.get("fixed_mw"),
        None if resolved_mode(section, mix) == "full_year" else section.representative_days,
        grid=section.grid if section.grid is not None else mix.get("grid", True),
        redundant_units=section.redundant_units if section.redundant_units is not None
        else mix.get("redundant_units", 0), region=region)
    result = solve_lp(problem)
    reserve = reserve_note(problem, result)
    return SupplyOutcome(section.mix, mix["description"] + (f"; {reserve}" if reserve else ""), profiles.label, result,
                         result.cost_usd_per_mwh * mw_per_gpu, problem)


def co2_price_frontier(load_mw: np.ndarray, profiles: HourlyProfiles, technologies: list[str],
                       prices_usd_per_t: tuple[float, ...] = (0, 25, 50, 100, 200, 400), year: int = 2030,
                       representative: int | None = 16) -> pd.DataFrame:
    """Cost and CO2 of the least-cost mix across a CO2 price sweep (the cost/CO2 frontier).

    Costs exclude the CO2 payment itself (``cost_usd_per_mwh`` is the resource cost), so the rows trace
    what abating each tonne costs.
    """
    rows = []
    for price in prices_usd_per_t:
        r = solve_lp(build_problem(load_mw, profiles, technologies, year, float(price),
                                   representative=representative))
        resource = r.total_cost_usd - float(r.cost_breakdown_usd["co2_usd"].sum())
        rows.append({"co2_price_usd_per_t": price, "cost_usd_per_mwh": resource / r.load_mwh,
                     "co2_g_per_kwh": r.co2_g_per_kwh, "cfe_hourly_share": r.cfe_hourly_share,
                     **{f"{k}_mw": v for k, v in r.capacity_mw.items()}})
    return pd.DataFrame(rows)
