"""Monte Carlo of a build-out programme: when capacity comes online, and what it can train.

Vectorised over trajectories (NumPy, one seeded ``Generator``: bit-reproducible for a seed). Per
trajectory and phase: construction time x a lognormal delay factor, plus (where a new grid connection
is needed) a lognormal interconnection wait; per trajectory and year, the share of planned chips the
vendor delivers (beta); per trajectory, a tariff shock (Bernoulli x capex increase) and a cost overrun
(lognormal). Outputs are P10/P50/P90 by quarter. Phases with a reported ``online`` date are facts: their
date and their chips are not sampled (the roadmap starts from what is actually online), and campuses
marked ``optional`` (proposals, paused sites) count only with ``include_optional=True``.

The largest training run completable by a date follows Sevilla et al. (2024), "Can AI scaling continue
through 2030?" (Epoch AI): FLOP = campus dense peak x MFU x run length, with the hardware online when
the run starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stargate import catalog
from stargate.economics import cost_data
from stargate.roadmap.model import Programme

PERCENTILES = (10, 50, 90)
RUN_DAYS = 120.0      # a frontier pre-training run (Epoch AI 2024 assume runs of ~4 months)
RUN_MFU = 0.40        # Llama 3 405B: 38-43 % BF16 MFU at 16k GPUs
RUN_PRECISION = "fp8"


@dataclass(frozen=True)
class RoadmapResult:
    """Percentiles over trajectories, one row per quarter (columns: metric_p10, metric_p50, metric_p90)."""

    quarters: pd.DataFrame
    trajectories: int
    seed: int
    online_year: pd.DataFrame   # phase x percentile of the online date [decimal year]

    def p50_at(self, year: float) -> dict[str, float]:
        row = self.quarters.loc[self.quarters.index[self.quarters.index <= year + 1e-9][-1]]
        return {k.removesuffix("_p50"): float(v) for k, v in row.items() if k.endswith("_p50")}


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


def simulate(programme: Programme, trajectories: int = 10_000, seed: int = 0,
             progress: Callable[[float], None] | None = None, include_optional: bool = False) -> RoadmapResult:
    """Sample ``trajectories`` futures of ``programme`` and summarise them by quarter."""
    rng = np.random.default_rng(seed)
    r = programme.risks
    campuses = programme.campuses(include_optional)
    phases = [(c, p) for c in campuses for p in c.phases]
    n_ph = len(phases)
    start = np.array([p.start for _, p in phases])
    duration = np.array([p.planned_duration_yr for _, p in phases])
    reported = np.array([p.online is not None for _, p in phases])
    mw = np.array([p.mw for _, p in phases])
    needs_grid = np.array([c.interconnection for c, _ in phases])
    campus_of = np.array([campuses.index(c) for c, _ in phases])
    gpus_per_mw = np.array([programme.gpus_per_mw_of(c) for c, _ in phases])
    gpu_flop = np.array([catalog.accelerator(c.accelerator).dense_tflops(RUN_PRECISION) * 1e12
                         / catalog.accelerator(c.accelerator).gpus_per_unit for c, _ in phases])
    gpu_price = np.array([(catalog.accelerator(c.accelerator).price_usd or catalog.accelerator("gb200").price_usd)
                          for c, _ in phases])
    costs = cost_data()
    capex_plan = mw * costs["site"]["usd_per_mw"] + mw * gpus_per_mw * gpu_price * (
        1 + costs["it"]["network_storage_share"])

    size = (trajectories, n_ph)
    build = duration * _lognormal(rng, r.construction_median, r.construction_sigma, size)
    wait = np.where(needs_grid, _lognormal(rng, r.interconnection_median_yr, r.interconnection_sigma, size), 0.0)
    online = start + np.maximum(build, duration + wait)  # the grid wait delays energising past the planned finish
    online = np.where(reported, start + duration, online)  # reported online dates are facts, not sampled
    years = np.arange(int(np.floor(programme.start_year)), int(np.ceil(programme.end_year)) + 1)
    supply_share = rng.beta(r.chip_supply_a, r.chip_supply_b, (trajectories, len(years)))
    tariff = 1.0 + r.tariff_capex_increase * (rng.random(trajectories) < r.tariff_probability)
    overrun = _lognormal(rng, r.overrun_median, r.overrun_sigma, trajectories)
    capex = capex_plan * (tariff * overrun)[:, None]

    # a phase of n buildings energises them one at a time, evenly spaced from its first building to its
    # finish, each planned date stretched by the phase's delay and gated by its grid wait; the phase is
    # online when its last building is
    buildings = np.array([p.buildings for _, p in phases])
    owner = np.repeat(np.arange(n_ph), buildings)
    first = np.array([p.first_duration_yr for _, p in phases])
    step = np.concatenate([np.arange(n) / max(n - 1, 1) for n in buildings])
    delay = build / duration
    part = first[owner] + (duration - first)[owner] * step
    b_online = start[owner] + np.maximum(part * delay[:, owner], part + wait[:, owner])
    b_online = np.where(reported[owner], start[owner] + duration[owner], b_online)
    # chips a building gets: the vendor's delivered share in the year it comes online
    year_index = np.clip(np.floor(b_online).astype(np.int64) - years[0], 0, len(years) - 1)
    share = np.where(reported[owner], 1.0, np.take_along_axis(supply_share, year_index, axis=1))
    b_mw = mw[owner] / buildings[owner]
    planned_gpus = b_mw * gpus_per_mw[owner]
    b_flop = gpu_flop[owner]
    quarters = np.arange(programme.start_year, programme.end_year + 1e-9, 0.25)
    gpus = planned_gpus * share
    live_from = _first_quarter(b_online, programme.start_year, len(quarters))  # a building counts from here
    ready_from = _first_quarter(b_online + RUN_DAYS / 365.0, programme.start_year, len(quarters))  # a run ends
    run = RUN_MFU * RUN_DAYS * 86400.0
    metrics = {"mw_online": _by_quarter(live_from, np.broadcast_to(b_mw, gpus.shape), len(quarters)),
               "accelerators": _by_quarter(live_from, gpus, len(quarters)),
               "peak_flop_s": _by_quarter(live_from, gpus * b_flop, len(quarters))}
    if progress is not None:
        progress(0.4)
    largest = np.zeros((trajectories, len(quarters)))
    every = np.zeros((trajectories, len(quarters)))
    for k in range(len(campuses)):
        cols = campus_of[owner] == k
        flop_s = _by_quarter(ready_from[:, cols], gpus[:, cols] * b_flop[cols], len(quarters))
        np.maximum(largest, flop_s, out=largest)
        every += flop_s
    metrics["largest_run_one_campus_flop"] = largest * run
    metrics["largest_run_all_campuses_flop"] = every * run
    if progress is not None:
        progress(0.8)
    spent = np.stack([(capex * np.clip((q - start) / np.maximum(online - start, 1e-9), 0.0, 1.0)).sum(axis=1)
                      for q in quarters], axis=1)
    metrics["cumulative_capex_usd"] = spent
    order = ("mw_online", "accelerators", "peak_flop_s", "cumulative_capex_usd", "largest_run_one_campus_flop",
             "largest_run_all_campuses_flop")
    pct = {k: np.percentile(metrics[k], PERCENTILES, axis=0) for k in order}
    rows = {round(float(q), 2): {f"{k}_p{p}": float(pct[k][j, i]) for k in order for j, p in enumerate(PERCENTILES)}
            for i, q in enumerate(quarters)}
    if progress is not None:
        progress(1.0)
    online_pct = pd.DataFrame({f"p{p}": np.percentile(online, p, axis=0) for p in PERCENTILES},
                              index=[f"{c.name} / {ph.name}" for c, ph in phases])
    return RoadmapResult(pd.DataFrame.from_dict(rows, orient="index"), trajectories, seed, online_pct)


def _first_quarter(date: np.ndarray, start_year: float, n_quarters: int) -> np.ndarray:
    """Index of the first quarter ``start_year + k/4`` at or after ``date`` (``n_quarters`` if none)."""
    k = np.ceil((date - start_year) * 4.0 - 1e-9)
    return np.clip(k, 0, n_quarters).astype(np.int64)


def _by_quarter(first_quarter: np.ndarray, values: np.ndarray, n_quarters: int) -> np.ndarray:
    """Per trajectory and quarter, the sum of ``values`` whose ``first_quarter`` index has been reached.

    One weighted bincount over (trajectory, quarter) cells and a cumulative sum, instead of a masked sum
    per quarter.
    """
    rows = first_quarter.shape[0]
    index = np.arange(rows)[:, None] * (n_quarters + 1) + first_quarter
    counts = np.bincount(index.ravel(), weights=np.asarray(values, dtype=float).ravel(),
                         minlength=rows * (n_quarters + 1))
    return counts.reshape(rows, n_quarters + 1).cumsum(axis=1)[:, :n_quarters]


def largest_run_flop(power_gw: float, flop_s_per_facility_watt: float, mfu: float = RUN_MFU,
                     run_days: float = RUN_DAYS) -> float:
    """FLOP of one run on a power-limited campus: power x FLOP/s per facility watt x MFU x duration.

    Sevilla et al. (2024, Epoch AI) find 1-5 GW campuses support ~1e28-3e29 FLOP runs by 2030.
    """
    return power_gw * 1e9 * flop_s_per_facility_watt * mfu * run_days * 86400.0
