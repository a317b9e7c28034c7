"""The planning pipeline: ``scenario -> workload + cluster -> performance -> facility -> ...``.

:func:`resolve` binds a validated scenario to the catalogs once; every later stage is a pure
function of resolved inputs returning a frozen result, so a scenario evaluates anywhere (a test, a
notebook, a Dask worker). :func:`plan` runs them all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from stargate import catalog
from stargate.catalog import Accelerator
from stargate.cluster import Cluster
from stargate.deployment import Deployment, check_source_notes, resolve_deployment
from stargate.economics import EconomicsResult, campus_economics
from stargate.errors import InputError, require_range
from stargate.facility import (
    FacilityResult,
    cooling_system,
    facility_catalog,
    facility_power,
    free_cooling_hours,
    hourly_load_mw,
    hourly_pue,
    pue_from_climate,
)
from stargate.frontier import compute_for_params, compute_optimal, dense_shape, global_batch, law_sources
from stargate.goodput import training_goodput
from stargate.performance import PerformanceResult, TrainingEstimate, estimate_training, predict_performance
from stargate.roadmap import load_programme, simulate
from stargate.scenario import Scenario, WorkloadSection
from stargate.supply import SupplyOutcome, optimise_supply
from stargate.weather import HourlyProfiles, site_profiles
from stargate.workload import ModelSpec, Workload, model_flop_per_token

ROADMAP_TRAJECTORIES_IN_PLAN = 2000  # the plan's summary of the default programme (stargate roadmap: more)
PLAN_ROADMAP_YEAR = 2030.0
DEFAULT_CHECKPOINT_PARAMS = 1e12  # checkpoint size when only a model's compute is known (GPT-4/Grok-class) [-]


def resolve_workload(scenario: Scenario, training_flop: float | None = None) -> Workload:
    """Bind the workload section to the model catalog (or the scaling laws) and compute its training FLOP.

    ``training_flop`` overrides the scenario's budget (the run-length solver uses it). A run given as
    ``run_days`` needs the cluster and the performance model: it is sized by :func:`largest_run`.
    """
    section = scenario.workload
    if section.is_frontier:
        if training_flop is None and section.run_days is not None:
            return largest_run(scenario, resolve_cluster(scenario), section.run_days).workload
        return _frontier_workload(section, training_flop)
    spec: ModelSpec | None = None
    sources: tuple[str, ...] = ()
    estimate = False
    published_batch = None
    if section.model is not None:
        entry = catalog.model(section.model)
        sources, estimate, name = entry.sources, entry.estimate, entry.name
        if entry.has_shape:
            spec = ModelSpec.from_catalog(entry, seq_len=section.seq_len)
        tokens = section.training_tokens or entry.training_tokens
        published_batch = None if entry.estimate else entry.global_batch_tokens
        flop = training_flop or section.training_flop or entry.training_flop_estimate
    else:
        shape = section.shape.model_dump()
        name = shape.pop("name")
        spec = ModelSpec(name=name, seq_len=section.seq_len or 4096,
                         kv_heads=shape.pop("kv_heads") or shape["heads"], **shape)
        tokens = section.training_tokens
        flop = training_flop or section.training_flop
    if flop is None:
        if spec is None or tokens is None:
            raise InputError("workload.training_tokens", tokens, "needed (> 0) to compute training FLOP")
        flop = model_flop_per_token(spec) * tokens
    elif spec is not None and (tokens is None or training_flop or section.training_flop):
        tokens = flop / model_flop_per_token(spec)
    batch, basis = _global_batch(section, flop, published_batch)
    if not section.global_batch_tokens and not published_batch:
        sources += law_sources(None, section.batch_law)
    if tokens and tokens < batch:
        raise InputError("workload.training_tokens", tokens, f"less than one step ({batch:,.0f} tokens): a run "
                         "is at least one step of the global batch")
    if spec is not None and batch < spec.seq_len:
        raise InputError("workload.global_batch_tokens", batch, f"less than one sequence ({spec.seq_len:,} tokens)")
    return Workload(
        name=name, tokens=float(tokens) if tokens else math.nan, precision=section.precision,
        training_flop=float(flop), spec=spec, global_batch_tokens=batch,
        flop_is_estimate=estimate or section.training_flop is not None, sources=sources, batch_basis=basis,
    )


def _global_batch(section: WorkloadSection, flop: float, published: float | None = None) -> tuple[float, str]:
    """Tokens per step and why: given in the scenario, else published with the model, else the batch law's."""
    if section.global_batch_tokens:
        return section.global_batch_tokens, "given in scenario"
    if published:
        return published, "published with the model (catalog)"
    choice = global_batch(flop, section.batch_law, section.max_batch_tokens)
    return choice.tokens, choice.basis


def _frontier_workload(section: WorkloadSection, training_flop: float | None) -> Workload:
    """A compute-optimal dense run: size from the compute law, shape from Llama 3's proportions, batch from
    the batch law (stargate.frontier)."""
    if training_flop is not None:
        optimal = compute_optimal(training_flop, section.scaling_law)
    elif section.params_b is not None:
        optimal = compute_for_params(section.params_b * 1e9, section.scaling_law)
    else:
        optimal = compute_optimal(section.training_flop, section.scaling_law)
    spec = dense_shape(optimal.params, seq_len=section.seq_len)
    flop = optimal.flop
    batch, basis = _global_batch(section, flop)
    return Workload(
        name=spec.name, tokens=flop / model_flop_per_token(spec), precision=section.precision,
        training_flop=flop, spec=spec, global_batch_tokens=batch, flop_is_estimate=False,
        sources=law_sources(section.scaling_law, None if section.global_batch_tokens else section.batch_law),
        batch_basis=basis, compute_optimal=optimal, target_days=section.run_days,
    )


def resolve_cluster(scenario: Scenario) -> Cluster:
    """Bind the cluster section to the accelerator catalog; counts are normalised to GPUs."""
    section = scenario.cluster
    acc: Accelerator = catalog.accelerator(section.accelerator)
    if section.unit == "superchip" and acc.unit != "superchip":
        gpus = section.count * 2
    elif section.unit == "gpu" and acc.unit == "superchip":
        raise InputError("cluster.unit", section.unit,
                         f"{acc.key} is a superchip entry; use unit = 'superchip' or the per-GPU key")
    else:
        gpus = section.count * acc.gpus_per_unit
    if acc.unit == "superchip":  # work per GPU from here on
        per_gpu = catalog.accelerators()[acc.key.removesuffix("-superchip")]
        acc = per_gpu
    acc.dense_tflops(scenario.workload.precision)  # raises if the precision is unsupported
    check_source_notes(scenario, acc)
    deployment = resolve_deployment(scenario, acc)
    return Cluster(
        accelerator=acc, n_gpus=gpus,
        scaleup_domain=deployment.scaleup_domain.value, scaleout_gbit_s=deployment.scaleout_gbit_s.value,
        count_given=section.count, unit_given=section.unit, placement=section.placement,
    )


@dataclass(frozen=True)
class PlanResult:
    """Everything :func:`plan` computes, stage by stage."""

    scenario: Scenario
    workload: Workload
    cluster: Cluster
    performance: PerformanceResult
    training: TrainingEstimate
    facility: FacilityResult
    supply: SupplyOutcome | None = None
    economics: EconomicsResult | None = None
    roadmap_p50: dict[str, float] | None = None
    deployment: Deployment | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of every stage result (numbers in the units of their names)."""
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "workload": _jsonable(self.workload),
            "cluster": _jsonable(self.cluster),
            "performance": _jsonable(self.performance),
            "training": _jsonable(self.training),
            "facility": _jsonable(self.facility),
            "supply": None if self.supply is None else _supply_dict(self.supply, self.training),
            "economics": None if self.economics is None else self.economics.to_dict(),
            "roadmap_p50": self.roadmap_p50,
            "deployment": _jsonable(self.deployment),
        }


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@dataclass(frozen=True)
class TrainingRun:
    """The "how long?" part of a plan: the run, the cluster, the layout and job size found, and the time."""

    workload: Workload
    cluster: Cluster
    performance: PerformanceResult
    training: TrainingEstimate


def train(scenario: Scenario, workload: Workload | None = None, cluster: Cluster | None = None) -> TrainingRun:
    """Workload, cluster, best layout and job size, and training time with failures (no facility or supply)."""
    cluster = cluster or resolve_cluster(scenario)
    workload = workload or resolve_workload(scenario)
    if workload.target_days is None and scenario.workload.run_days is not None:
        return largest_run(scenario, cluster, scenario.workload.run_days)
    goodput = _goodput_model(workload, cluster)
    performance = predict_performance(workload, cluster, scenario.performance.mfu,
                                      scenario.performance.fixed_layout(), goodput, scenario.workload.software_date)
    ideal_s = workload.training_flop / (performance.mfu * cluster.peak_flop_s(workload.precision)
                                        * performance.n_gpus_used / cluster.n_gpus)
    training = estimate_training(workload, cluster, performance, goodput(performance.n_gpus_used, ideal_s))
    return TrainingRun(workload, cluster, performance, training)


RUN_DAYS_TOLERANCE = 0.01   # the sized run trains in 99-100 % of the days asked for
RUN_DAYS_ITERATIONS = 12


def largest_run(scenario: Scenario, cluster: Cluster, days: float) -> TrainingRun:
    """The largest compute-optimal run (frontier workload) that trains in ``days`` on ``cluster``, failures included.

    Wall-clock days grow almost linearly with the budget (the model, batch and layout change with it), so a
    secant iteration on log(days) vs log(FLOP) converges in a few steps; each step is a full layout and
    job-size search.
    """
    require_range("workload.run_days", days, 1e-3)
    section = scenario.workload
    if not section.is_frontier:
        raise InputError("workload.run_days", days, "sizes a frontier run: remove workload.model/shape")
    mfu_guess = scenario.performance.mfu or 0.35
    target = math.log(days) + math.log1p(-RUN_DAYS_TOLERANCE / 2)  # aim inside [1 - tol, 1] x days
    flop = cluster.peak_flop_s(section.precision) * mfu_guess * days * 86400.0
    points: list[tuple[float, float]] = []
    best: TrainingRun | None = None
    for _ in range(RUN_DAYS_ITERATIONS):
        workload = dataclasses.replace(_frontier_workload(section, flop), target_days=days)
        run = train(scenario, workload, cluster)
        got = math.log(run.training.wall_clock_days)
        points.append((math.log(flop), got))
        if run.training.wall_clock_days <= days and (best is None or flop > best.workload.training_flop):
            best = run
        if abs(got - target) <= math.log1p(RUN_DAYS_TOLERANCE / 2):
            break
        if len(points) >= 2 and abs(points[-1][1] - points[-2][1]) > 1e-9:
            (x0, y0), (x1, y1) = points[-2], points[-1]
            slope = min(max((y1 - y0) / (x1 - x0), 0.3), 3.0)
        else:
            slope = 1.0
        flop = math.exp(math.log(flop) + (target - got) / slope)
    if best is None:
        raise InputError("workload.run_days", days, f"too short for any run the search found on {cluster.n_gpus:,} "
                         f"x {cluster.accelerator.key}")
    return best


def plan(scenario: Scenario) -> PlanResult:
    """Run every stage of the planner on ``scenario``."""
    run = train(scenario)
    workload, cluster, performance, training = run.workload, run.cluster, run.performance, run.training
    refs = catalog.references()
    fs = scenario.facility
    deployment = resolve_deployment(scenario, cluster.accelerator)
    cooling_name = deployment.cooling.value
    profiles = site_profiles(scenario.site.lat_deg, scenario.site.lon_deg, scenario.supply.weather_source)
    cooling = cooling_system(cooling_name)
    if fs.pue is not None:
        pue, basis = fs.pue, "given in scenario"  # the hourly load still follows the climate's PUE shape
    else:
        pue = pue_from_climate(cooling, profiles.temperature_c)
        basis = f"{cooling_name} cooling in the site's hourly temperature ({profiles.label})"
    if deployment.tdp_w_per_gpu.value is None:
        raise InputError("facility.accelerator_tdp_w", None,
                         f"{cluster.accelerator.key} has no published TDP: give the power per chip in watts")
    facility = facility_power(
        n_gpus=cluster.n_gpus, tdp_w_per_gpu=deployment.tdp_w_per_gpu.value,
        server_overhead_factor=deployment.server_overhead_factor.value, pue=pue, utilisation=fs.utilisation,
        nuclear_unit_mw=refs["nuclear_unit"].values["value_mw"],
        japan_twh=refs["japan_electricity"].values["value_twh"],
        reported_capacity_mw=fs.reported_capacity_mw, pue_basis=basis,
        training_power_fraction=fs.training_power_fraction, idle_power_fraction=fs.idle_power_fraction,
        it_overhead_factor=fs.it_overhead_factor or facility_catalog().it_over_server_factor,
        rack_kw=deployment.rack_kw.value, cooling=cooling, wue_l_per_kwh=fs.wue_l_per_kwh,
        free_cooling_hours=free_cooling_hours(cooling, profiles.temperature_c),
    )
    load = campus_load_mw(scenario, facility.facility_power_mw, profiles, training.n_gpus_used, cooling_name)
    if not np.any(load > 0):
        raise InputError("facility.utilisation", fs.utilisation, "must be > 0 to plan a supply: the campus would "
                         "draw no energy")
    supply = optimise_supply(load, profiles, scenario.supply, facility.facility_power_mw / cluster.n_gpus,
                             region=scenario.site.grid_region)
    price = deployment.price_usd_per_gpu.value  # rent-only parts (TPU, Trainium) have none: no economics
    economics = None if price is None else campus_economics(
        cluster.n_gpus, price, facility.facility_power_mw,
        supply.result.load_mwh, supply.result.cost_usd_per_mwh, scenario.facility.utilisation,
        training.n_gpus_used * training.wall_clock_days * 24,
        onsite_generation_capex_usd=_onsite_capex(supply))
    roadmap = simulate(load_programme(), ROADMAP_TRAJECTORIES_IN_PLAN, seed=0)
    year = min(max(float(roadmap.quarters.index[0]), PLAN_ROADMAP_YEAR), float(roadmap.quarters.index[-1]))
    return PlanResult(scenario, workload, cluster, performance, training, facility, supply, economics,
                      {"year": year, **roadmap.p50_at(year)}, deployment)


def campus_load_mw(scenario: Scenario, facility_power_mw: float, profiles: HourlyProfiles, job_gpus: int,
                   cooling: str | None = None) -> np.ndarray:
    """The campus's hourly load as :func:`plan` feeds it to the supply stage (stargate.facility). [MW]

    ``cooling`` defaults to the deployment's (scenario, else the accelerator's catalog entry).
    """
    fs = scenario.facility
    if cooling is None:
        cooling = resolve_deployment(scenario, resolve_cluster(scenario).accelerator).cooling.value
    return hourly_load_mw(
        facility_power_mw, fs.utilisation, training_power_fraction=fs.training_power_fraction,
        idle_power_fraction=fs.idle_power_fraction, inference_share=fs.inference_share, job_gpus=job_gpus,
        pue_hourly=hourly_pue(cooling, profiles.temperature_c))


def _onsite_capex(outcome: SupplyOutcome) -> float:
    """Overnight cost of the generation and storage the supply mix builds (grid and PPAs excluded). [USD]"""
    techs = outcome.problem.technologies
    return float(sum(mw * techs.at[g, "capex_usd_per_mw"] for g, mw in outcome.result.capacity_mw.items()
                     if techs.at[g, "kind"] in ("generator", "variable", "storage")))


def _supply_dict(outcome: SupplyOutcome, training: TrainingEstimate) -> dict[str, Any]:
    r = outcome.result
    return {
        "mix": outcome.mix, "description": outcome.description, "weather": outcome.weather, "method": r.method,
        "capacity_mw": r.capacity_mw, "storage_mwh": r.storage_mwh, "total_cost_usd": r.total_cost_usd,
        "cost_usd_per_mwh": r.cost_usd_per_mwh, "co2_t": r.co2_t, "co2_g_per_kwh": r.co2_g_per_kwh,
        "cfe_hourly_share": r.cfe_hourly_share, "cfe_annual_share": r.cfe_annual_share,
        "cost_breakdown_usd": r.cost_breakdown_usd.to_dict(orient="index"),
        "energy_cost_usd_per_gpu_hour": outcome.energy_cost_usd_per_gpu_hour,
        "energy_cost_usd_per_training_run": outcome.energy_cost_usd_per_gpu_hour * training.n_gpus_used
        * training.wall_clock_days * 24,
    }


def _goodput_model(workload: Workload, cluster: Cluster) -> Callable[[int, float], float]:
    """Useful fraction of wall-clock time of a job (failures, checkpoints, restarts): stargate.goodput."""
    params = workload.spec.params if workload.spec else DEFAULT_CHECKPOINT_PARAMS

    def fraction(n_gpus: int, ideal_seconds: float) -> float:
        return training_goodput(ideal_seconds, n_gpus, params, family=cluster.accelerator.family).goodput

    return fraction
