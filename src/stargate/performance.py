"""Performance stage: how fast the workload trains on the cluster, and how long the run takes.

The MFU is either given by the scenario or predicted by the step-time model with the best parallel
layout (:func:`stargate.perf.search`); training time follows from ``t = C / (MFU x peak)`` (the
compute-time identity, e.g. Epoch AI, "Estimating training compute of deep learning models", 2022),
and wall-clock time adds failures and checkpoints (:mod:`stargate.goodput`) when that model is known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from stargate.catalog import Accelerator
from stargate.cluster import Cluster
from stargate.errors import InputError, require_range
from stargate.perf import Hardware, StepPrediction, load_calibration, search
from stargate.perf.calibration import REFERENCE_FAMILY
from stargate.perf.precision import decimal_year
from stargate.perf.step import ranks_per_domain
from stargate.perf.vintage import apply_era, apply_vintage
from stargate.workload import Workload

SECONDS_PER_DAY = 86_400.0
JOB_SIZE_STEPS = 8  # job sizes tried: m x 2^j GPUs for m = 8..15 (8 steps an octave, at most 12.5 % apart)


@dataclass(frozen=True)
class SoftwareVintage:
    """The software a planned run trains with: its date and the factor its family's trend applies."""

    date: str      # "YYYY-MM"
    basis: str     # "given in scenario" or "default: today"
    family: str
    factor: float  # the calibrated matmul efficiency is multiplied by this (after the MAMF cap) [-]
    trend: str     # the trend behind the factor (the calibration's [vintage.<family>])


def software_month(date: str | None) -> tuple[str, str]:
    """(``"YYYY-MM"``, basis) of a planned run's software: ``date`` as given, else this month."""
    if date is not None:
        return date, "given in scenario"
    return dt.date.today().strftime("%Y-%m"), "default: today"


def step_hardware(accelerator: Accelerator, software_date: str | None = None, scaleup_domain: int | None = None,
                  scaleout_gbit_s: float | None = None, placement: str = "aligned", moe: bool = False
                  ) -> tuple[Hardware, SoftwareVintage]:
    """The step model's :class:`Hardware` for a planned run, with its software at ``software_date``.

    The one place the planning path builds it: the calibration (a ``--calibration FILE`` override included)
    gives the family's efficiencies, its software trend (:func:`stargate.perf.vintage.apply_vintage`, as the
    validation of each published run does at the run's date) and its MAMF cap. ``software_date`` is
    ``"YYYY-MM"``, None = this month; after the family's latest measured date the trend is flat. An MoE
    model (``moe``) also takes the MoE path's trend (``[vintage_moe]``, :func:`stargate.perf.vintage.fit_moe_trend`).
    """
    calibration = load_calibration()
    base = replace(Hardware.from_catalog(accelerator, calibration, scaleup_domain, scaleout_gbit_s),
                   placement=placement)
    date, basis = software_month(software_date)
    mamf = calibration.mamf_fraction.get(base.family)
    trends = calibration.trends()
    moe_trend = calibration.moe_vintage if moe else None
    when = decimal_year(date)
    hw = apply_era(apply_vintage(base, when, mamf, trends, moe_trend), when)
    factor = hw.eff.matmul_eff / base.eff.matmul_eff
    trend = trends.get(base.family)
    if trend is None:
        why = f"no software trend calibrated for {base.family}"
    else:
        owner = (f"{base.family} software" if base.family in calibration.vintage
                 else f"{base.family} has no fit: {REFERENCE_FAMILY}'s software trend,")
        why = (f"{owner} +{100 * trend.gain_per_year:.1f} %/yr from {trend.ref_year:.1f}, "
               f"flat after {trend.latest_year:.1f}")
    if moe_trend is not None:
        why = (f"{why}; " if trend is not None else "") + (
            f"MoE software +{100 * moe_trend.gain_per_year:.1f} %/yr from {moe_trend.ref_year:.1f}, "
            f"flat after {moe_trend.latest_year:.1f}")
    trended = trend is not None or moe_trend is not None
    if mamf is not None and hw.eff.matmul_eff >= mamf - 1e-12 and factor > 1.0 and trended:
        why += f", capped at the MAMF {mamf:.2f}"
    if not hw.selective_recompute:
        why += "; before May 2022: no selective recomputation"
    tables = "[vintage], [vintage_moe]" if moe_trend else "[vintage]"
    return hw, SoftwareVintage(date, basis, base.family, factor, f"{why} (calibration {tables})")


@dataclass(frozen=True)
class PerformanceResult:
    """MFU used for the run, where it comes from, and (when predicted) the best layout found."""

    mfu: float
    mfu_source: str
    n_gpus_used: int
    best: StepPrediction | None
    layouts_evaluated: int
    layouts_feasible: int
    software: SoftwareVintage | None = None  # the software date and its factor (None: MFU given)
    job_capacity: int | None = None  # GPUs one job can use under the placement (None: MFU given)
    routing_note: str = ""  # how a predicted MoE run's tokens reach their experts ("" for dense or given MFU)


# The calibration's MoE runs are benchmarks that force-balance tokens across experts (Megatron-Bridge's
# moe_router_force_load_balancing; the development set's MoE rows), so a planned MoE run is routed the same way
MOE_ROUTING_NOTE = ("MoE routed with a force-balanced expert load, as the calibration's benchmarks; a real run's "
                    "imbalance is not modelled (optimistic)")


def predict_performance(workload: Workload, cluster: Cluster, mfu: float | None = None,
                        fixed_layout: dict[str, int] | None = None,
                        goodput: Callable[[int, float], float] | None = None,
                        software_date: str | None = None) -> PerformanceResult:
    """The run's MFU: ``mfu`` if given, else the step model's best layout and job size on the cluster.

    The step model's matmul efficiency is that of the software at ``software_date`` (``"YYYY-MM"``, None =
    today; :func:`step_hardware`).

    A fixed global batch cannot keep an arbitrary number of GPUs busy (pipeline bubbles grow as
    micro-batches per replica shrink), so job sizes on a fixed ladder (``m x 2^j`` GPUs, m = 8..15) up
    to the cluster are searched, largest first, and the fastest run is kept (``n_gpus_used``); with
    ``goodput(n_gpus, ideal_seconds)`` given, "fastest" counts failures and restarts too. The ladder does
    not depend on the cluster, so a larger cluster searches every job size a smaller one does: for the
    same run it is never slower. Sizes are pruned only when even 100 % MFU could not beat the best found.
    """
    if mfu is not None:
        require_range("performance.mfu", mfu, 1e-6, 1.0)
        return PerformanceResult(mfu, "given in scenario", cluster.n_gpus, None, 0, 0)
    if workload.spec is None:
        raise InputError("performance.mfu", None,
                         f"must be given for {workload.name}: its shape is unpublished, so MFU cannot be predicted")
    spec = workload.spec
    seqs = _round_batch(workload.global_batch_tokens / spec.seq_len)
    hw, software = step_hardware(cluster.accelerator, software_date, cluster.scaleup_domain,
                                 cluster.scaleout_gbit_s or None, cluster.placement, spec.is_moe)
    best: PerformanceResult | None = None
    best_score = 0.0
    peak_per_gpu = cluster.peak_flop_s(workload.precision) / cluster.n_gpus
    last_error: InputError | None = None
    capacity = job_capacity(cluster.n_gpus, hw)
    for n in job_sizes(capacity, fixed_layout):
        if n <= best_score:  # score = n x MFU x goodput <= n: no smaller job can win
            break
        try:
            result = search(spec, hw, n, seqs, workload.precision, fixed=fixed_layout)
        except InputError as err:
            last_error = last_error or err  # the largest job size tried: its footprint is the smallest
            continue
        # wall time = C / (n x peak x MFU x goodput): the best job maximises n x MFU x goodput
        score = n * result.best.mfu
        if goodput is not None:
            score *= goodput(n, workload.training_flop / (score * peak_per_gpu))
        if best is None or score > best_score:
            best_score = score
            source = (f"predicted: best of {result.feasible:,} fitting layouts on {n:,} GPUs "
                      "(stargate.perf, calibrated on dev.csv)")
            best = PerformanceResult(result.best.mfu, source, n, result.best, result.evaluated, result.feasible,
                                     software, capacity, MOE_ROUTING_NOTE if spec.is_moe else "")
    if best is None:
        if last_error is None:
            raise InputError("cluster.count", cluster.n_gpus, "too small for the pinned layout")
        if "fits in no layout on" in last_error.allowed:  # name the cluster, not the job size tried
            raise InputError(last_error.field, last_error.value, f"fits in no layout on the cluster ({cluster.n_gpus:,}"
                             f" x {hw.key}) at any job size: {last_error.allowed.split(': ', 1)[-1]}") from None
        raise last_error
    return best


def job_capacity(n_gpus: int, hw: Hardware) -> int:
    """GPUs of the cluster one job can use under the step model's placement (``hw.placement``).

    "aligned" placement hosts a power of two of ranks per scale-up domain (64 of an NVL72's 72 GPUs,
    :func:`stargate.perf.step.ranks_per_domain`), so a job spans at most the cluster's whole domains times
    that; "packed" uses every GPU. Domains of a power-of-two size lose nothing.
    """
    domain = hw.scaleup_domain
    if n_gpus <= domain:
        return n_gpus
    per_domain = int(ranks_per_domain(hw, 1, 1, 1, 1, domain))
    return (n_gpus // domain) * per_domain + min(n_gpus % domain, per_domain)


def job_sizes(n_gpus: int, fixed_layout: dict[str, int] | None = None) -> list[int]:
    """Job sizes tried, largest first: the ladder ``m x 2^j`` (m = 8..15, and 1..7) up to ``n_gpus``.

    A layout pinned in full (tp, pp, dp and cp) has one size: its product.
    """
    fixed = fixed_layout or {}
    if all(k in fixed for k in ("tp", "pp", "dp", "cp")):
        size = fixed["tp"] * fixed["pp"] * fixed["dp"] * fixed["cp"]
        return [size] if size <= n_gpus else []
    sizes = set(range(1, min(n_gpus, JOB_SIZE_STEPS) + 1))
    octave = 1
    while JOB_SIZE_STEPS * octave <= n_gpus:
        sizes |= {m * octave for m in range(JOB_SIZE_STEPS, 2 * JOB_SIZE_STEPS) if m * octave <= n_gpus}
        octave *= 2
    return sorted(sizes, reverse=True)


def _round_batch(seqs: float) -> int:
    """Sequences per step, rounded to a multiple of 1/16 of its power of two (16.8M tokens / 8,192 -> 2,048)."""
    step = max(1, 2 ** max(0, int(seqs).bit_length() - 5))
    return max(1, round(seqs / step) * step)


@dataclass(frozen=True)
class TrainingEstimate:
    """Time to train ``workload`` on the GPUs used, before and after failures."""

    training_flop: float
    peak_flop_s: float
    mfu: float
    mfu_source: str
    sustained_flop_s: float
    seconds: float
    days: float
    gpu_hours: float
    goodput: float
    wall_clock_days: float
    n_gpus_used: int


def estimate_training(workload: Workload, cluster: Cluster, performance: PerformanceResult,
                      goodput: float = 1.0) -> TrainingEstimate:
    """Training time from compute, dense peak and MFU; wall-clock time divides by ``goodput``.

    Parameters
    ----------
    workload : Workload              Resolved job (training FLOP, precision).
    cluster : Cluster                Resolved cluster (dense peak at the workload's precision).
    performance : PerformanceResult  MFU and the GPUs it applies to.
    goodput : float                  Useful fraction of wall-clock time, (0, 1]. [-]

    Returns
    -------
    TrainingEstimate   seconds = C / (mfu x peak); gpu_hours = seconds x n_gpus / 3600.
    """
    require_range("goodput", goodput, 1e-6, 1.0)
    peak = cluster.peak_flop_s(workload.precision) * performance.n_gpus_used / cluster.n_gpus
    sustained = performance.mfu * peak
    seconds = workload.training_flop / sustained
    return TrainingEstimate(
        training_flop=workload.training_flop, peak_flop_s=peak, mfu=performance.mfu,
        mfu_source=performance.mfu_source, sustained_flop_s=sustained, seconds=seconds,
        days=seconds / SECONDS_PER_DAY, gpu_hours=seconds * performance.n_gpus_used / 3600.0,
        goodput=goodput, wall_clock_days=seconds / goodput / SECONDS_PER_DAY,
        n_gpus_used=performance.n_gpus_used,
    )
