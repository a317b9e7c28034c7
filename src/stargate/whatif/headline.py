"""Headline figures of a plan as one flat row, and the fast evaluation sweeps and samples use.

:func:`evaluate` runs :func:`stargate.pipeline.plan` with two changes that leave every figure of the
row unchanged: the roadmap (not in the row) is simulated once per process, and the training stage
(layout and job-size search, the ``run_days`` solver) is cached by its inputs, so scenarios that differ
only in facility, supply, site or cost inputs reuse it. Catalog and error fields (``catalog.*``,
``error.mfu_factor``) are applied around the call (:func:`~stargate.whatif.overrides.catalog_patched`).
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock

from stargate import pipeline
from stargate.economics import cost_data
from stargate.goodput import reliability_data
from stargate.performance import estimate_training, software_month
from stargate.pipeline import PlanResult, TrainingRun
from stargate.scenario import Scenario
from stargate.whatif.overrides import apply_overrides, catalog_patched, split_overrides

NAN = float("nan")

# name -> (label, unit) of every headline figure, in display order
HEADLINES: dict[str, tuple[str, str]] = {
    "training_days": ("training time, failure-free", "days"),
    "training_days_with_failures": ("training time with failures", "days"),
    "goodput": ("goodput", "fraction"),
    "mfu": ("MFU", "fraction"),
    "gpus": ("GPUs in the cluster", "GPUs"),
    "gpus_used": ("GPUs in the job", "GPUs"),
    "training_flop": ("training compute", "FLOP"),
    "params_b": ("parameters", "billions"),
    "facility_mw": ("facility power", "MW"),
    "it_mw": ("IT power", "MW"),
    "annual_twh": ("annual energy", "TWh"),
    "energy_usd_per_mwh": ("energy cost", "$/MWh"),
    "co2_mt_per_yr": ("CO2", "Mt/yr"),
    "co2_g_per_kwh": ("CO2 intensity", "g/kWh"),
    "cfe_hourly_share": ("carbon-free, hourly", "fraction"),
    "capex_busd": ("capex", "G$"),
    "annual_cost_busd": ("annual cost", "G$/yr"),
    "usd_per_gpu_hour": ("cost per GPU-hour", "$"),
    "training_run_musd": ("training run cost", "M$"),
}


def headline(result: PlanResult) -> dict[str, float]:
    """The headline figures of a plan (names and units in :data:`HEADLINES`); NaN where a stage is absent."""
    tr, fa, wl = result.training, result.facility, result.workload
    row = {
        "training_days": tr.days, "training_days_with_failures": tr.wall_clock_days, "goodput": tr.goodput,
        "mfu": tr.mfu, "gpus": result.cluster.n_gpus, "gpus_used": tr.n_gpus_used,
        "training_flop": tr.training_flop, "params_b": wl.spec.params / 1e9 if wl.spec else NAN,
        "facility_mw": fa.facility_power_mw, "it_mw": fa.it_power_mw, "annual_twh": fa.annual_energy_twh,
    }
    sup = result.supply.result if result.supply is not None else None
    row |= {
        "energy_usd_per_mwh": sup.cost_usd_per_mwh if sup else NAN,
        "co2_mt_per_yr": sup.co2_t / 1e6 if sup else NAN,
        "co2_g_per_kwh": sup.co2_g_per_kwh if sup else NAN,
        "cfe_hourly_share": sup.cfe_hourly_share if sup else NAN,
    }
    econ = result.economics
    row |= {
        "capex_busd": econ.capex_usd / 1e9 if econ else NAN,
        "annual_cost_busd": econ.annual_cost_usd / 1e9 if econ else NAN,
        "usd_per_gpu_hour": econ.cost_usd_per_gpu_hour if econ else NAN,
        "training_run_musd": econ.training_run_usd / 1e6 if econ else NAN,
    }
    return {k: float(v) for k, v in row.items()}


def evaluate(scenario: Scenario, extras: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Headline figures of ``scenario`` with catalog/error fields ``extras`` applied (see the module doc)."""
    return headline(evaluate_plan(scenario, extras))


def evaluate_plan(scenario: Scenario, extras: Mapping[str, Any] | None = None) -> PlanResult:
    """:func:`stargate.plan` with ``extras`` applied, the training stage cached and the roadmap run once."""
    with catalog_patched(extras or {}) as mfu_factor, _fast_stages(mfu_factor):
        return pipeline.plan(scenario)


def evaluate_fixed_run(scenario: Scenario, run: TrainingRun, values: Mapping[str, Any]) -> dict[str, float]:
    """Headline figures of ``scenario`` training ``run`` (its workload, job size and layout kept) with the
    dotted ``values`` applied: scenario fields to the scenario, catalog and error fields around the call.

    The run is re-rated (MFU x ``error.mfu_factor``, goodput at the patched failure rate and restart), not
    searched again: the uncertainty and sensitivity of one planned run (stargate.whatif.uncertainty).
    """
    fields, extras = split_overrides(values)
    scenario = apply_overrides(scenario, fields)
    with catalog_patched(extras) as mfu_factor:
        rerated = with_mfu_factor(run, mfu_factor, recompute_goodput=True)

        with _stages(lambda _scenario, workload=None, cluster=None: rerated):
            return headline(pipeline.plan(scenario))


TRAIN_CACHE_SIZE = 64
_train_cache: OrderedDict[str, TrainingRun] = OrderedDict()
_roadmaps: dict[tuple[int, int, str], Any] = {}
_original_train = pipeline.train
_original_simulate = pipeline.simulate


def _training_key(scenario: Scenario) -> str:
    """Everything the training stage reads: the workload, cluster (but its price), performance and sources
    of the scenario, the reliability catalog (goodput), the step model's calibration (its software trends
    included) and the software date (the month it resolves to: a default of "today" moves)."""
    parts = scenario.model_dump(mode="json", include={"workload", "cluster", "performance", "sources"},
                                exclude={"cluster": {"price_usd_per_gpu"}})  # the price is read by economics only
    from stargate.perf import calibration  # the module attribute: a --calibration FILE override is seen

    software = software_month(scenario.workload.software_date)[0]
    return json.dumps([parts, software, reliability_data(), repr(calibration.load_calibration())], sort_keys=True,
                      default=str)


def seed_training_cache(scenario: Scenario, run: TrainingRun) -> None:
    """Make ``run`` the cached training stage of ``scenario`` (a run computed elsewhere, e.g. the driver)."""
    _train_cache[_training_key(scenario)] = run


def cached_train(scenario: Scenario) -> TrainingRun:
    """The training stage of ``scenario``, from the cache when its inputs were seen (see the module doc)."""
    return _cached_train(scenario)


def _cached_train(scenario: Scenario, workload: Any = None, cluster: Any = None) -> TrainingRun:
    if workload is not None or cluster is not None:  # an inner call of the run_days solver
        return _original_train(scenario, workload, cluster)
    key = _training_key(scenario)
    if key in _train_cache:
        _train_cache.move_to_end(key)
        return _train_cache[key]
    run = _original_train(scenario)
    _train_cache[key] = run
    if len(_train_cache) > TRAIN_CACHE_SIZE:
        _train_cache.popitem(last=False)
    return run


def roadmap_once(programme: Any, trajectories: int = 10_000, seed: int = 0) -> Any:
    """:func:`stargate.roadmap.simulate`, once per process for each set of arguments and cost catalog."""
    # keyed by the cost catalog the simulation reads: a run under a patched catalog is never reused
    key = (trajectories, seed, json.dumps(cost_data(), sort_keys=True, default=str))
    if key not in _roadmaps:
        _roadmaps[key] = _original_simulate(programme, trajectories, seed=seed)
    return _roadmaps[key]


def with_mfu_factor(run: TrainingRun, factor: float, *, recompute_goodput: bool = False) -> TrainingRun:
    """The same run (workload, layout, job size) at ``factor`` x the predicted MFU, failures recomputed.

    ``recompute_goodput``: also when ``factor`` is 1 (the reliability catalog may have been patched).
    """
    if factor == 1.0 and not recompute_goodput:
        return run
    perf = dataclasses.replace(run.performance, mfu=min(run.performance.mfu * factor, 1.0))
    ideal_s = run.training.seconds * run.performance.mfu / perf.mfu
    goodput = pipeline._goodput_model(run.workload, run.cluster)(perf.n_gpus_used, ideal_s)
    return dataclasses.replace(run, performance=perf,
                               training=estimate_training(run.workload, run.cluster, perf, goodput))


@contextmanager
def _fast_stages(mfu_factor: float) -> Iterator[None]:
    def train(scenario: Scenario, workload: Any = None, cluster: Any = None) -> TrainingRun:
        run = _cached_train(scenario, workload, cluster)
        return run if workload is not None or cluster is not None else with_mfu_factor(run, mfu_factor)

    with _stages(train):
        yield


@contextmanager
def _stages(train: Callable[..., TrainingRun]) -> Iterator[None]:
    """``pipeline.plan`` with ``train`` as its training stage and the roadmap simulated once per process."""
    with mock.patch.object(pipeline, "train", train), mock.patch.object(pipeline, "simulate", roadmap_once):
        yield
