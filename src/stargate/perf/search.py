"""Layout search: evaluate every valid layout at once and rank those that fit in memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stargate.errors import InputError
from stargate.perf.calibration import Calibration, load_calibration
from stargate.perf.hardware import Hardware
from stargate.perf.layouts import Layouts, enumerate_layouts
from stargate.perf.moe import MoeRouting
from stargate.perf.step import StepBreakdown, step_time
from stargate.workload import ModelSpec

BREAKDOWN_FIELDS = ("compute_s", "bubble_s", "tp_comm_s", "cp_comm_s", "ep_comm_s", "pp_comm_s", "dp_comm_s",
                    "optimizer_s")


@dataclass(frozen=True)
class StepPrediction:
    """One layout's predicted step: layout, time breakdown [s], memory [GB], throughput and utilisation."""

    layout: dict[str, int | str]
    step_s: float
    breakdown_s: dict[str, float]
    comm_total_s: dict[str, float]  # communication before overlap, per kind (exposed part in breakdown_s)
    memory_gbyte: float
    fits_in_memory: bool
    tokens_per_s: float
    tokens_per_s_per_gpu: float
    tflops_per_gpu_model: float
    tflops_per_gpu_hardware: float
    mfu: float
    hfu: float
    n_gpus: int


@dataclass(frozen=True)
class SearchResult:
    """Ranked layouts (fastest first) among ``evaluated``; ``feasible`` of them fit in memory."""

    best: StepPrediction
    ranked: tuple[StepPrediction, ...]
    evaluated: int
    feasible: int


def _prediction(b: StepBreakdown, layouts: Layouts, i: int, n_gpus: int) -> StepPrediction:
    layout = layouts.row(i)
    step = float(b.step_s[i])
    return StepPrediction(
        layout=layout, step_s=step, breakdown_s={f: float(getattr(b, f)[i]) for f in BREAKDOWN_FIELDS},
        comm_total_s={"tp": float(b.tp_comm_total_s[i]), "cp": float(b.cp_comm_total_s[i]),
                      "ep": float(b.ep_comm_s[i]), "pp": float(b.pp_comm_s[i]), "dp": float(b.dp_comm_total_s[i])},
        memory_gbyte=float(b.memory_bytes[i]) / 1e9,
        fits_in_memory=bool(b.fits[i]), tokens_per_s=float(b.tokens_per_s[i]),
        tokens_per_s_per_gpu=float(b.tokens_per_s[i]) / n_gpus,
        tflops_per_gpu_model=b.model_flop / step / n_gpus / 1e12,
        tflops_per_gpu_hardware=float(b.hardware_flop[i]) / step / n_gpus / 1e12,
        mfu=float(b.mfu[i]), hfu=float(b.hfu[i]), n_gpus=n_gpus,
    )


def within_smallest_footprint(memory_bytes: np.ndarray, valid: np.ndarray, slack: float) -> np.ndarray:
    """The ``valid`` layouts whose memory is within ``slack`` times the smallest footprint among them: the ones
    taken as fitting for a run that was made although every layout overflows the memory estimate. [-]"""
    if not valid.any():
        return valid
    return valid & (memory_bytes <= slack * memory_bytes[valid].min())


def search(spec: ModelSpec, hw: Hardware, n_gpus: int, global_batch_seqs: int, precision: str = "bf16",
           fixed: dict[str, int] | None = None, calibration: Calibration | None = None, top: int = 5,
           require_fit: bool = True, routing: MoeRouting | None = None,
           fit_slack: float | None = None) -> SearchResult:
    """Best layouts of ``spec`` on ``n_gpus`` x ``hw`` for a global batch, fastest first.

    Parameters
    ----------
    spec : ModelSpec          Model shape.
    hw : Hardware             Accelerator, links and efficiencies.
    n_gpus : int              Accelerators in the job. [-]
    global_batch_seqs : int   Sequences per step. [-]
    precision : str           Linear-layer precision (bf16, fp16, fp8, fp4).
    fixed : dict              Layout fields pinned (tp, pp, dp, cp, ep, vpp, mb, recompute, zero).
    top : int                 Ranked layouts returned.
    require_fit : bool        Drop layouts that do not fit in memory (else rank all).
    routing : MoeRouting      MoE routing and pipeline schedule (node limit, DualPipe, imbalance).
    fit_slack : float         When no layout fits, admit those within this factor of the smallest footprint
                              instead of failing: a run known to have fitted tells that the memory estimate is
                              high, taken as one factor for all its layouts, so the lighter layouts (more
                              recomputation, smaller micro-batches) stay the feasible ones. [-]

    Raises
    ------
    InputError   No valid layout, or none fits in memory (with the smallest footprint found).
    """
    calibration = calibration or load_calibration()
    try:
        hw.peak_flop_s(precision)
    except ValueError:
        raise InputError("precision", precision, f"{hw.key} has no {precision} path") from None
    layouts = enumerate_layouts(spec, n_gpus, global_batch_seqs, fixed)
    b = step_time(spec, hw, layouts, global_batch_seqs, precision, calibration, routing)
    finite = np.isfinite(b.step_s)
    ok = (b.fits if require_fit else np.ones(len(layouts), dtype=bool)) & finite
    if require_fit and fit_slack is not None and not ok.any():
        ok = within_smallest_footprint(b.memory_bytes, finite, fit_slack)
    if not ok.any():
        smallest = float(b.memory_bytes.min()) / 1e9
        raise InputError("model", spec.name, f"fits in no layout on {n_gpus} x {hw.key}: smallest footprint "
                         f"{smallest:,.0f} GB per accelerator > {hw.usable_hbm_bytes / 1e9:,.0f} GB usable")
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(b.step_s[idx], kind="stable")[:top]]
    ranked = tuple(_prediction(b, layouts, int(i), n_gpus) for i in order)
    return SearchResult(best=ranked[0], ranked=ranked, evaluated=len(layouts), feasible=int(ok.sum()))


def predict(spec: ModelSpec, hw: Hardware, layout: dict[str, int], global_batch_seqs: int, precision: str = "bf16",
            calibration: Calibration | None = None) -> StepPrediction:
    """Evaluate one fully specified layout (memory verdict reported, not enforced)."""
    n_gpus = layout["tp"] * layout["pp"] * layout["dp"] * layout.get("cp", 1)
    result = search(spec, hw, n_gpus, global_batch_seqs, precision, fixed=layout, calibration=calibration,
                    top=1, require_fit=False)
    return result.best
