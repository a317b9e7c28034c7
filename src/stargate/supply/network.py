"""The same supply problem as a PyPSA network: the field's standard model, for comparison and export.

One bus, the load, generators with ``p_max_pu`` availability series and annualised ``capital_cost``,
a 4-hour ``StorageUnit``; ``n.optimize(solver_name="highs")`` (PyPSA 1.x, linopy). Brown et al.
(2018), "PyPSA: Python for Power System Analysis", JORS 6(1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stargate.supply.lp import SupplyResult
from stargate.supply.problem import SupplyProblem


def build_network(problem: SupplyProblem):
    """A PyPSA network of ``problem`` (no CFE, cap or reserve constraints: those are the planner's)."""
    import logging

    import pypsa

    logging.getLogger("pypsa").setLevel(logging.WARNING)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    techs = problem.technologies
    n = pypsa.Network()
    snapshots = pd.RangeIndex(len(problem.load_mw), name="snapshot")
    n.set_snapshots(snapshots)
    n.snapshot_weightings.loc[:, :] = np.asarray(problem.weights, dtype=float)[:, None]
    n.add("Bus", "site")
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
    return n


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
