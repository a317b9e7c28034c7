"""The same supply problem as a PyPSA network: the field's standard model, for comparison and export.

One bus, the load, generators with ``p_max_pu`` availability series and annualised ``capital_cost``,
a 4-hour ``StorageUnit``; ``n.optimize(solver_name="highs")`` (PyPSA 1.x, linopy). Snapshot weightings:
``objective`` and ``generators`` = the hours each snapshot stands for, ``stores`` = the hours it lasts
(so a representative day's battery moves the energy of one day, not of its cluster).

What PyPSA does not have is added by :func:`add_planner_constraints` from ``n.meta["stargate"]``
(written by :func:`build_network`, kept by the NetCDF export), as ``extra_functionality``:

- 24/7 carbon-free energy: ``cfe_t <= clean generation_t + storage discharge_t - charge_t``,
  ``0 <= cfe_t <= load_t``, ``sum_t w_t cfe_t >= share x annual load`` (hourly matching, as Xu et al.
  2021, "System-level impacts of 24/7 carbon-free electricity procurement", Zenodo/Princeton ZERO lab);
- firm capacity: ``sum_g availability_g p_nom_g >= (1 + margin) x peak + k x largest unit`` (N+k);
- representative days: PyPSA's cyclic storage balance is replaced by the intra-day state of charge
  (0 at each day's start) and the inter-day state of charge over the year's day sequence (Kotzur et al.
  2018, Applied Energy 213; see :func:`stargate.supply.lp._link_days`).

:func:`optimize_with_planner_constraints` re-optimises a loaded network with them; its objective equals
the planner's (tests/test_supply_pypsa.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stargate.supply.lp import SupplyResult
from stargate.supply.problem import SupplyProblem


def build_network(problem: SupplyProblem):
    """A PyPSA network of ``problem``; CFE, reserve and linked storage are described in ``n.meta["stargate"]``
    for :func:`add_planner_constraints` (a plain ``n.optimize()`` ignores them)."""
    import logging

    import pypsa

    logging.getLogger("pypsa").setLevel(logging.WARNING)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    techs = problem.technologies
    n = pypsa.Network()
    snapshots = pd.RangeIndex(len(problem.load_mw), name="snapshot")
    n.set_snapshots(snapshots)
    n.snapshot_weightings.loc[:, ["objective", "generators"]] = np.asarray(problem.weights, dtype=float)[:, None]
    n.snapshot_weightings.loc[:, "stores"] = float(problem.snapshot_hours)
    n.add("Carrier", "AC")
    n.add("Bus", "site", carrier="AC")
    n.add("Load", "campus", bus="site", p_set=pd.Series(problem.load_mw, index=snapshots))
    for g in techs.index:
        t = techs.loc[g]
        max_mw = 0.0 if problem.year < t.earliest_year else float(t.max_mw)
        if g in problem.fixed_mw:
            max_mw = min(max_mw, problem.fixed_mw[g])
        if t.kind == "storage":
            eta = float(np.sqrt(t.efficiency))
            n.add("StorageUnit", g, bus="site", p_nom_extendable=True, p_nom_max=max_mw,
                  p_nom_min=problem.fixed_mw.get(g, 0.0), capital_cost=t.fixed_usd_per_mw_yr,
                  max_hours=t.duration_h, efficiency_store=eta, efficiency_dispatch=eta,
                  cyclic_state_of_charge=True)
            continue
        marginal = t.marginal_usd_per_mwh + problem.co2_price_usd_per_t * t.co2_t_per_mwh
        n.add("Generator", g, bus="site", p_nom_extendable=True, p_nom_max=max_mw,
              p_nom_min=problem.fixed_mw.get(g, 0.0), capital_cost=t.fixed_usd_per_mw_yr, marginal_cost=marginal,
              p_max_pu=pd.Series(problem.availability[g].to_numpy(), index=snapshots))
    n.meta = {**n.meta, "stargate": _planner_meta(problem)}
    return n


def _planner_meta(problem: SupplyProblem) -> dict:
    from stargate.supply.lp import firm_requirement_mw

    techs = problem.technologies
    reserve = problem.reserve_margin is not None or bool(problem.redundant_units)
    return {
        "cfe_share": problem.cfe_share,
        "carbon_free": [g for g in techs.index if techs.at[g, "carbon_free"] and techs.at[g, "kind"] != "storage"],
        "firm_availability": {g: float(techs.at[g, "availability"]) for g in techs.index
                              if techs.at[g, "kind"] in ("generator", "grid", "ppa", "storage")} if reserve else {},
        "firm_requirement_mw": firm_requirement_mw(problem) if reserve else None,
        "period": [int(k) for k in problem.period],
        "sequence": None if problem.sequence is None else [int(k) for k in problem.sequence],
    }


def add_planner_constraints(n, snapshots=None) -> None:
    """Add the planner's constraints (CFE, firm capacity, linked storage) to ``n.model``.

    Use as ``n.optimize(extra_functionality=add_planner_constraints)`` on a network from
    :func:`build_network` or :func:`export_network` (reopened with ``pypsa.Network(path)``).
    """
    import warnings

    import xarray as xr

    meta = n.meta.get("stargate") or {}
    m = n.model
    sns = n.snapshots
    w = xr.DataArray(n.snapshot_weightings.objective.to_numpy(), coords={"snapshot": sns})
    stores = list(n.storage_units.index)
    if meta.get("cfe_share") is not None:
        load = xr.DataArray(n.loads_t.p_set["campus"].to_numpy(), coords={"snapshot": sns})
        cfe = m.add_variables(lower=0, upper=load, name="stargate-cfe_matched")
        clean = m["Generator-p"].sel(name=meta["carbon_free"]).sum("name")
        if stores:
            clean = clean + (m["StorageUnit-p_dispatch"] - m["StorageUnit-p_store"]).sum("name")
        m.add_constraints(cfe - clean <= 0, name="stargate-cfe_hourly")
        m.add_constraints((w * cfe).sum() >= meta["cfe_share"] * float((w * load).sum()), name="stargate-cfe_share")
    if meta.get("firm_requirement_mw") is not None:
        avail = meta["firm_availability"]
        gens = [g for g in avail if g in n.generators.index]
        lhs = (xr.DataArray([avail[g] for g in gens], coords={"name": gens}) * m["Generator-p_nom"].sel(name=gens)
               ).sum()
        if stores:
            lhs = lhs + (xr.DataArray([avail[s] for s in stores], coords={"name": stores})
                         * m["StorageUnit-p_nom"]).sum()
        m.add_constraints(lhs >= meta["firm_requirement_mw"], name="stargate-firm_capacity")
    if meta.get("sequence") is not None and stores:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # linopy: absent slots of a shifted variable count as 0 (wanted)
            _link_storage(n, np.asarray(meta["period"]), np.asarray(meta["sequence"]))


def _link_storage(n, period: np.ndarray, sequence: np.ndarray) -> None:
    import xarray as xr

    m = n.model
    sns = n.snapshots
    su = n.storage_units
    names = pd.Index(su.index, name="name")
    soc, dis, sto = m["StorageUnit-state_of_charge"], m["StorageUnit-p_dispatch"], m["StorageUnit-p_store"]
    dt = xr.DataArray(n.snapshot_weightings.stores.to_numpy(), coords={"snapshot": sns})
    starts = np.r_[True, period[1:] != period[:-1]]
    ends = np.r_[period[1:] != period[:-1], True]
    first = xr.DataArray(starts, coords={"snapshot": sns})
    eta_store = xr.DataArray(su.efficiency_store.to_numpy(), coords={"name": names})
    eta_dispatch = xr.DataArray(su.efficiency_dispatch.to_numpy(), coords={"name": names})
    # replace PyPSA's cyclic balance and soc >= 0: the intra-day SoC starts at 0 each day and may go negative
    m.remove_constraints("StorageUnit-energy_balance")
    m.remove_constraints("StorageUnit-ext-state_of_charge-lower")
    m.add_constraints(soc - soc.shift(snapshot=1).where(~first) - eta_store * dt * sto + dt / eta_dispatch * dis == 0,
                      name="stargate-intra_day_balance")
    periods = pd.RangeIndex(int(period.max()) + 1, name="period")
    days = pd.RangeIndex(len(sequence), name="day")
    smax = m.add_variables(lower=0, coords=[periods, names], name="stargate-soc_intra_max")
    smin = m.add_variables(upper=0, coords=[periods, names], name="stargate-soc_intra_min")
    inter = m.add_variables(lower=0, coords=[days, names], name="stargate-soc_inter")
    by_hour = xr.DataArray(period, dims="snapshot")  # positional indexers (no coordinates to conflict)
    m.add_constraints(soc - smax.isel(period=by_hour) <= 0, name="stargate-soc_below_max")
    m.add_constraints(soc - smin.isel(period=by_hour) >= 0, name="stargate-soc_above_min")
    end_of = np.zeros(len(periods), dtype=int)
    end_of[period[ends]] = np.flatnonzero(ends)
    day_end = xr.DataArray(end_of[sequence], dims="day")
    day_period = xr.DataArray(sequence, dims="day")
    m.add_constraints(inter.roll(day=-1) - inter - soc.isel(snapshot=day_end) == 0,
                      name="stargate-soc_inter_day")
    energy = xr.DataArray((su.max_hours).to_numpy(), coords={"name": names}) * m["StorageUnit-p_nom"]
    m.add_constraints(inter + smax.isel(period=day_period) - energy <= 0, name="stargate-soc_inter_max")
    m.add_constraints(inter + smin.isel(period=day_period) >= 0, name="stargate-soc_inter_min")


def optimize_with_planner_constraints(n) -> float:
    """Re-optimise ``n`` (e.g. a reopened ``--export-network`` file) with :func:`add_planner_constraints`;
    returns the objective (total annual cost). [USD]"""
    import logging

    logging.getLogger("linopy").setLevel(logging.WARNING)
    status, condition = n.optimize(solver_name="highs", extra_functionality=add_planner_constraints,
                                   log_to_console=False)
    if status != "ok":
        raise RuntimeError(f"PyPSA/HiGHS: {status} ({condition})")
    return float(n.objective + getattr(n, "objective_constant", 0.0))


def solve_pypsa(problem: SupplyProblem) -> float:
    """Solve the straightforward PyPSA model; returns its objective (total annual cost). [USD]"""
    n = build_network(problem)
    status, condition = n.optimize(solver_name="highs", log_to_console=False)
    if status != "ok":
        raise RuntimeError(f"PyPSA/HiGHS: {status} ({condition})")
    return float(n.objective + getattr(n, "objective_constant", 0.0))


def export_network(problem: SupplyProblem, result: SupplyResult, path: str | Path) -> Path:
    """Write the network with the planner's solution filled in (``p_nom_opt``, dispatch) as NetCDF.

    Written to a temporary file and renamed, so a reader never sees half a file.
    """
    import os
    import tempfile

    n = build_network(problem)
    for g in n.generators.index:
        n.generators.loc[g, "p_nom_opt"] = result.capacity_mw[g]
    for s in n.storage_units.index:
        n.storage_units.loc[s, "p_nom_opt"] = result.capacity_mw[s]
    gens = list(n.generators.index)
    n.generators_t.p = result.dispatch_mw[gens].set_axis(n.snapshots)
    if len(n.storage_units):
        n.storage_units_t.p = result.dispatch_mw[list(n.storage_units.index)].set_axis(n.snapshots)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".nc")
    os.close(fd)
    try:
        n.export_to_netcdf(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
