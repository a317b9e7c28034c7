"""The planner's solve: the supply LP assembled directly as sparse matrices and handed to HiGHS.

Same formulation as the PyPSA model of :mod:`stargate.supply.network` (capacity expansion with
hourly dispatch, storage state of charge, one bus), written without the modelling layer: PyPSA/linopy
spend most of a one-site year building and writing the model, not in HiGHS (see bench/supply_speed.py).
HiGHS: Huangfu & Hall (2018), "Parallelizing the dual revised simplex method", Math. Prog. Comp. 10.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from stargate.errors import InputError, require_range
from stargate.supply.problem import SupplyProblem

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class SupplyResult:
    """Solved supply: capacities, dispatch, costs and emissions (units in the names)."""

    capacity_mw: dict[str, float]
    storage_mwh: dict[str, float]
    dispatch_mw: pd.DataFrame          # snapshot x technology (storage: discharge - charge)
    cost_breakdown_usd: pd.DataFrame    # technology x (fixed, energy, co2)
    total_cost_usd: float
    load_mwh: float
    cost_usd_per_mwh: float
    co2_t: float
    co2_g_per_kwh: float
    cfe_hourly_share: float
    cfe_annual_share: float
    weights: np.ndarray
    method: str

    def summary(self) -> pd.DataFrame:
        """Mix table: capacity, energy and cost per technology."""
        energy = self.dispatch_mw.clip(lower=0).mul(self.weights, axis=0).sum()
        table = pd.DataFrame({"capacity_mw": pd.Series(self.capacity_mw), "energy_mwh": energy,
                              "cost_usd": self.cost_breakdown_usd.sum(axis=1)})
        return table.fillna(0.0)


class _Index:
    """Column positions of the LP's variable blocks."""

    def __init__(self) -> None:
        self.size = 0

    def block(self, n: int) -> np.ndarray:
        out = np.arange(self.size, self.size + n)
        self.size += n
        return out


def largest_unit_mw(problem: SupplyProblem) -> float:
    """The largest unit among the allowed on-site generators (N+k needs each one's unit size). [MW]"""
    techs = problem.technologies
    generators = techs[techs["kind"] == "generator"]
    unsized = [g for g in generators.index if not np.isfinite(generators.at[g, "unit_mw"])]
    if problem.redundant_units and unsized:
        raise InputError("supply.redundant_units", problem.redundant_units,
                         f"needs a unit size for {', '.join(unsized)} (unit_mw in the technology catalog); "
                         "remove it from the mix or set redundant_units = 0")
    return float(generators["unit_mw"].max()) if len(generators) else 0.0


def firm_requirement_mw(problem: SupplyProblem) -> float:
    """Available firm capacity the reserve constraint asks for: (1 + margin) x peak + k x largest unit. [MW]"""
    margin = problem.reserve_margin or 0.0
    return (1 + margin) * float(problem.load_mw.max()) + problem.redundant_units * largest_unit_mw(problem)


@dataclass(frozen=True)
class _Lp:
    """The assembled LP: HiGHS arrays and the column blocks of each variable."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    cap: dict[str, int]
    p: dict[str, np.ndarray]
    ch: dict[str, np.ndarray]
    dis: dict[str, np.ndarray]
    soc: dict[str, np.ndarray]
    cfe: np.ndarray | None
    gens: list[str]
    stores: list[str]
    constraints: list[str]


def solve_lp(problem: SupplyProblem) -> SupplyResult:
    """Solve ``problem`` with HiGHS on a directly assembled sparse LP.

    Raises :class:`InputError` naming the binding constraint when the request is infeasible.
    """
    lp = _assemble(problem)
    x, solver = _solve_optimal(problem, lp, lp.cost)
    return _result(problem, x, lp.cap, lp.p, lp.ch, lp.dis, lp.soc, lp.cfe, lp.gens, lp.stores,
                   f"planner LP (HiGHS {solver}, direct)")


def near_optimal_ranges(problem: SupplyProblem, slack_pct: float) -> dict[str, tuple[float, float]]:
    """Least and most capacity of each technology among mixes within ``slack_pct`` % of the least cost.

    Modelling to generate alternatives (Brill 1979; DeCarolis 2011, "Using modeling to generate alternatives
    (MGA) to expand our thinking on energy futures", Energy Economics 33; PyPSA's ``optimize_mga``): with the
    total cost bounded by (1 + slack) x the optimum, each capacity is minimised and maximised in turn. A flat
    optimum (two technologies of nearly equal value) shows as a wide range: its capacities are a choice, its
    cost is not. Technologies whose capacity is fixed or free of capacity cost (sized by their use) are left
    out. Two LPs per technology.
    """
    require_range("near-optimal slack [%]", slack_pct, 0.0, 50.0)
    lp = _assemble(problem)
    x, _ = _solve_optimal(problem, lp, lp.cost)
    optimum = float(lp.cost @ x)
    budget = optimum * (1 + slack_pct / 100) + 1e-7 * abs(optimum)  # a hair of room for the solver's tolerance
    bounded = replace(lp, matrix=sp.vstack([lp.matrix, sp.csr_matrix(lp.cost)], format="csc"),
                      row_lower=np.r_[lp.row_lower, -np.inf], row_upper=np.r_[lp.row_upper, budget])
    techs = problem.technologies
    out = {}
    for g in techs.index:
        col = lp.cap[g]
        if lp.lower[col] == lp.upper[col] or techs.at[g, "fixed_usd_per_mw_yr"] == 0:
            continue
        unit = np.zeros(len(lp.cost))
        unit[col] = 1.0
        low, _ = _solve_optimal(problem, bounded, unit)
        high, _ = _solve_optimal(problem, bounded, -unit)
        out[g] = (float(low[col]), float(high[col]))
    return out


def _solve_optimal(problem: SupplyProblem, lp: _Lp, cost: np.ndarray) -> tuple[np.ndarray, str]:
    x, status, solver = _highs(cost, lp.lower, lp.upper, lp.matrix, lp.row_lower, lp.row_upper)
    if status == "infeasible":
        raise InputError("supply", ", ".join(lp.constraints) or "hourly balance", "infeasible: " + _explain(problem))
    if status != "optimal":
        raise InputError("supply", status, "the solver stopped before an optimum")
    return x, solver


def _assemble(problem: SupplyProblem) -> _Lp:
    """The supply LP of ``problem`` as sparse HiGHS arrays (see :func:`solve_lp`)."""
    techs = problem.technologies
    n = len(problem.load_mw)
    w = problem.weights.astype(float)
    gens = [g for g in techs.index if techs.at[g, "kind"] != "storage"]
    stores = [g for g in techs.index if techs.at[g, "kind"] == "storage"]
    idx = _Index()
    cap = {g: idx.block(1)[0] for g in techs.index}
    p = {g: idx.block(n) for g in gens}
    ch = {s: idx.block(n) for s in stores}
    dis = {s: idx.block(n) for s in stores}
    soc = {s: idx.block(n) for s in stores}
    linked = problem.sequence is not None and len(stores) > 0
    n_periods = int(problem.period.max()) + 1
    n_days = len(problem.sequence) if linked else 0
    inter = {s: idx.block(n_days) for s in stores} if linked else {}   # state of charge at each day's start
    soc_max = {s: idx.block(n_periods) for s in stores} if linked else {}  # highest intra-day SoC per period
    soc_min = {s: idx.block(n_periods) for s in stores} if linked else {}  # lowest
    cfe = idx.block(n) if problem.cfe_share is not None else None
    n_cols = idx.size

    cost = np.zeros(n_cols)
    lower, upper = np.zeros(n_cols), np.full(n_cols, np.inf)
    for g in techs.index:
        cost[cap[g]] = techs.at[g, "fixed_usd_per_mw_yr"]
        upper[cap[g]] = techs.at[g, "max_mw"]
        if problem.year < techs.at[g, "earliest_year"]:
            upper[cap[g]] = 0.0
        if g in problem.fixed_mw:
            lower[cap[g]] = upper[cap[g]] = min(problem.fixed_mw[g], upper[cap[g]])
    for g in gens:
        marginal = techs.at[g, "marginal_usd_per_mwh"] + problem.co2_price_usd_per_t * techs.at[g, "co2_t_per_mwh"]
        cost[p[g]] = w * marginal
    for s in soc_min:
        lower[soc[s]] = lower[soc_min[s]] = -np.inf  # intra-day SoC is relative to the day's start
        upper[soc_min[s]] = 0.0                      # (the start itself, 0, is within [min, max])

    rows_ub: list[sp.csr_matrix] = []
    b_ub: list[np.ndarray] = []
    rows_eq: list[sp.csr_matrix] = []
    b_eq: list[np.ndarray] = []

    def coo(pairs: list[tuple[np.ndarray, np.ndarray | float]], nrows: int) -> sp.csr_matrix:
        r, c, v = [], [], []
        for cols, vals in pairs:
            cols = np.broadcast_to(cols, (nrows,)) if np.ndim(cols) == 0 else cols
            r.append(np.arange(nrows))
            c.append(cols)
            v.append(np.broadcast_to(vals, (nrows,)).astype(float))
        return sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(nrows, n_cols))

    # hourly balance: generation + discharge - charge = load
    rows_eq.append(coo([(p[g], 1.0) for g in gens] + [(dis[s], 1.0) for s in stores]
                       + [(ch[s], -1.0) for s in stores], n))
    b_eq.append(problem.load_mw)
    # availability: p <= avail x capacity
    for g in gens:
        rows_ub.append(coo([(p[g], 1.0), (cap[g], -problem.availability[g].to_numpy())], n))
        b_ub.append(np.zeros(n))
    # storage: power and energy limits; state of charge cycling within each period, or (representative
    # days with their year's sequence) carried from day to day over the year (Kotzur et al. 2018)
    starts = np.r_[True, problem.period[1:] != problem.period[:-1]]
    ends = np.r_[problem.period[1:] != problem.period[:-1], True]
    for s in stores:
        eta = np.sqrt(techs.at[s, "efficiency"])
        duration = techs.at[s, "duration_h"]
        for var, scale in ((ch[s], 1.0), (dis[s], 1.0)) + (() if linked else ((soc[s], 1.0 / duration),)):
            rows_ub.append(coo([(var, scale), (cap[s], -1.0)], n))
            b_ub.append(np.zeros(n))
        prev = np.arange(n) - 1
        prev[starts] = np.flatnonzero(ends)  # cyclic: the first hour follows the period's last
        carry = np.where(starts, 0.0, -1.0) if linked else -1.0  # linked: each day starts from 0 (relative)
        dt = problem.snapshot_hours
        rows_eq.append(coo([(soc[s], 1.0), (soc[s][prev], carry), (ch[s], -eta * dt), (dis[s], dt / eta)], n))
        b_eq.append(np.zeros(n))
        if linked:
            _link_days(problem, soc[s], inter[s], soc_max[s], soc_min[s], cap[s], duration, ends, n_cols,
                       rows_ub, b_ub, rows_eq, b_eq)
    constraints: list[str] = []  # the optional constraints present, named for an infeasibility message
    # hourly-matched carbon-free energy: cfe_t <= clean supply_t, cfe_t <= load_t, sum >= share x load
    if cfe is not None:
        clean = [g for g in gens if techs.at[g, "carbon_free"]]
        rows_ub.append(coo([(cfe, 1.0)] + [(p[g], -1.0) for g in clean] + [(dis[s], -1.0) for s in stores]
                           + [(ch[s], 1.0) for s in stores], n))
        b_ub.append(np.zeros(n))
        upper[cfe] = problem.load_mw
        constraints.append("cfe_share")
        rows_ub.append(sp.csr_matrix((-w, (np.zeros(n, dtype=int), cfe)), shape=(1, n_cols)))
        b_ub.append(np.array([-problem.cfe_share * problem.annual_load_mwh]))
    if problem.co2_cap_t is not None:
        constraints.append("co2_cap_t")
        cols = np.concatenate([p[g] for g in gens])
        vals = np.concatenate([w * techs.at[g, "co2_t_per_mwh"] for g in gens])
        rows_ub.append(sp.csr_matrix((vals, (np.zeros(len(cols), dtype=int), cols)), shape=(1, n_cols)))
        b_ub.append(np.array([problem.co2_cap_t]))
    if problem.reserve_margin is not None or problem.redundant_units:
        # available firm capacity >= (1 + margin) x peak + k x the largest unit (N+k, islanded campuses)
        constraints.append("reserve_margin" if problem.reserve_margin is not None else "redundant_units")
        firm = [g for g in techs.index if techs.at[g, "kind"] in ("generator", "grid", "ppa", "storage")]
        cols = np.array([cap[g] for g in firm])
        vals = -np.array([techs.at[g, "availability"] for g in firm])
        rows_ub.append(sp.csr_matrix((vals, (np.zeros(len(cols), dtype=int), cols)), shape=(1, n_cols)))
        b_ub.append(np.array([-firm_requirement_mw(problem)]))

    matrix = sp.vstack(rows_ub + rows_eq, format="csc")
    n_ub = sum(len(b) for b in b_ub)
    rhs_eq = np.concatenate(b_eq)
    row_lower = np.r_[np.full(n_ub, -np.inf), rhs_eq]
    row_upper = np.r_[np.concatenate(b_ub) if b_ub else np.zeros(0), rhs_eq]
    return _Lp(cost, lower, upper, matrix, row_lower, row_upper, cap, p, ch, dis, soc, cfe, gens, stores, constraints)


def _link_days(problem: SupplyProblem, soc, inter, soc_max, soc_min, cap, duration_h, ends, n_cols,
               rows_ub, b_ub, rows_eq, b_eq) -> None:
    """Inter-period state of charge (Kotzur et al. 2018, "Time series aggregation for energy system design:
    modeling seasonal storage", Applied Energy 213, eqs. 11-15, without self-discharge).

    ``inter[d]`` is the stored energy at the start of day d of the year; the day follows its
    representative period k(d), whose intra-day SoC (``soc``, 0 at the period's start) ends at
    ``soc[end k]``: ``inter[d+1] = inter[d] + soc[end k(d)]`` (the year cycles: day 365 leads to day 1),
    and ``0 <= inter[d] + min_t soc[k(d), t]``, ``inter[d] + max_t soc[k(d), t] <= duration x capacity``.
    """
    n = len(problem.period)
    seq = np.asarray(problem.sequence, dtype=int)
    days = len(seq)
    end_of = np.zeros(int(problem.period.max()) + 1, dtype=int)
    end_of[problem.period[ends]] = np.flatnonzero(ends)

    def rows(r, c, v, nrows):
        return sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(nrows, n_cols))

    hours, days_idx = np.arange(n), np.arange(days)
    # soc_t <= soc_max[k(t)], soc_min[k(t)] <= soc_t
    rows_ub.append(rows([hours, hours], [soc, soc_max[problem.period]], [np.ones(n), -np.ones(n)], n))
    rows_ub.append(rows([hours, hours], [soc_min[problem.period], soc], [np.ones(n), -np.ones(n)], n))
    b_ub += [np.zeros(n), np.zeros(n)]
    # inter[d+1] - inter[d] - soc[end k(d)] = 0
    rows_eq.append(rows([days_idx] * 3, [inter[(days_idx + 1) % days], inter, soc[end_of[seq]]],
                        [np.ones(days), -np.ones(days), -np.ones(days)], days))
    b_eq.append(np.zeros(days))
    # inter[d] + soc_max[k(d)] <= duration x capacity; -inter[d] - soc_min[k(d)] <= 0
    rows_ub.append(rows([days_idx] * 3, [inter, soc_max[seq], np.full(days, cap)],
                        [np.ones(days), np.ones(days), np.full(days, -duration_h)], days))
    rows_ub.append(rows([days_idx] * 2, [inter, soc_min[seq]], [-np.ones(days), -np.ones(days)], days))
    b_ub += [np.zeros(days), np.zeros(days)]


SMALL_LP_COLUMNS = 20_000   # representative days (~4k columns): dual simplex is fastest (0.10 s vs PDLP 0.15 s)
PDLP_TIME_LIMIT_S = 20.0    # full year: PDLP is 3x faster than simplex on least_cost (3.3 vs 10.7 s) but 4x
                            # slower with storage (renewables_gas: 53 vs 12 s), so it gets a time limit


def solver_order(columns: int) -> tuple[str, ...]:
    """HiGHS methods tried in turn, by problem size (measured on the Abilene campus, 2 cores)."""
    return ("simplex",) if columns <= SMALL_LP_COLUMNS else ("pdlp", "simplex")


def _highs(cost, lower, upper, matrix, row_lower, row_upper) -> tuple[np.ndarray, str, str]:
    """Solve with HiGHS: dual simplex for small problems; for a full year first-order PDLP (Applegate et al.
    2021, "Practical large-scale linear programming using primal-dual hybrid gradient", NeurIPS) within a
    time limit, then dual simplex when PDLP does not certify an optimum in time (and to classify
    infeasibility). The method that solved it is returned and shown."""
    import highspy

    inf = highspy.kHighsInf
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = matrix.shape[1], matrix.shape[0]
    model.col_cost_ = cost
    model.col_lower_ = lower
    model.col_upper_ = np.where(np.isinf(upper), inf, upper)
    model.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower)
    model.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr
    model.a_matrix_.index_ = matrix.indices
    model.a_matrix_.value_ = matrix.data
    for solver in solver_order(matrix.shape[1]):
        with _stdout_silenced():  # HiGHS prints a banner on creation, which would corrupt --json output
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", solver)
        if solver == "pdlp":
            h.setOptionValue("time_limit", PDLP_TIME_LIMIT_S)
        h.passModel(model)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return np.asarray(h.getSolution().col_value), "optimal", solver
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return np.zeros(0), "infeasible", solver
    return np.zeros(0), h.modelStatusToString(status), solver


@contextlib.contextmanager
def _stdout_silenced():
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _explain(problem: SupplyProblem) -> str:
    techs = problem.technologies
    clean = [g for g in techs.index if techs.at[g, "carbon_free"] and problem.year >= techs.at[g, "earliest_year"]]
    if problem.cfe_share is not None:
        firm_clean = [g for g in clean if techs.at[g, "kind"] in ("generator", "ppa", "storage")]
        if not firm_clean:
            return (f"an hourly-matched carbon-free share of {problem.cfe_share:.0%} needs clean supply every hour, "
                    f"but only {', '.join(clean) or 'no clean technology'} is allowed (no storage or firm clean "
                    "power for the hours without sun or wind)")
        return f"no mix of {', '.join(clean)} meets {problem.cfe_share:.0%} hourly-matched carbon-free energy"
    if problem.co2_cap_t is not None:
        return f"the CO2 cap of {problem.co2_cap_t:,.0f} t cannot be met with the allowed technologies"
    return "the allowed technologies cannot serve the load every hour (capacity limits or online years)"


def _result(problem, x, cap, p, ch, dis, soc, cfe, gens, stores, method) -> SupplyResult:
    techs = problem.technologies
    n = len(problem.load_mw)
    w = problem.weights.astype(float)
    dispatch = pd.DataFrame({g: x[p[g]] for g in gens} | {s: x[dis[s]] - x[ch[s]] for s in stores})
    capacity = {g: float(x[cap[g]]) for g in techs.index}
    for g in gens:  # without a capacity cost the LP may leave any size: report what is used
        if techs.at[g, "fixed_usd_per_mw_yr"] == 0:
            avail = problem.availability[g].to_numpy()
            capacity[g] = float(np.max(np.divide(x[p[g]], avail, out=np.zeros(n), where=avail > 0), initial=0.0))
    breakdown = pd.DataFrame(0.0, index=techs.index, columns=["fixed_usd", "energy_usd", "co2_usd"])
    co2 = 0.0
    for g in techs.index:
        breakdown.at[g, "fixed_usd"] = capacity[g] * techs.at[g, "fixed_usd_per_mw_yr"]
    for g in gens:
        mwh = float(w @ x[p[g]])
        breakdown.at[g, "energy_usd"] = mwh * techs.at[g, "marginal_usd_per_mwh"]
        breakdown.at[g, "co2_usd"] = mwh * techs.at[g, "co2_t_per_mwh"] * problem.co2_price_usd_per_t
        co2 += mwh * techs.at[g, "co2_t_per_mwh"]
    load = problem.annual_load_mwh
    clean_supply = sum(x[p[g]] for g in gens if techs.at[g, "carbon_free"]) + sum(
        x[dis[s]] - x[ch[s]] for s in stores)
    clean_supply = np.asarray(clean_supply, dtype=float) if np.ndim(clean_supply) else np.zeros(len(w))
    clean_mwh = sum(float(w @ x[p[g]]) for g in gens if techs.at[g, "carbon_free"])
    total = float(breakdown.to_numpy().sum())
    return SupplyResult(
        capacity_mw=capacity, storage_mwh={s: capacity[s] * techs.at[s, "duration_h"] for s in stores},
        dispatch_mw=dispatch, cost_breakdown_usd=breakdown, total_cost_usd=total, load_mwh=load,
        cost_usd_per_mwh=total / load, co2_t=co2, co2_g_per_kwh=co2 / load * 1000,
        cfe_hourly_share=max(0.0, float(w @ np.minimum(clean_supply, problem.load_mw)) / load),
        cfe_annual_share=min(1.0, clean_mwh / load), weights=w, method=method,
    )
