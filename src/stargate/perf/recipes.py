"""Unpublished settings: the layout a team most likely ran, and the fastest one as the optimistic bound.

When a source gives no parallel layout, the prediction is the fastest layout a framework recipe of the
time would allow, not the fastest layout of the search:

- no context parallelism below 32k-token sequences (Megatron-LM/NeMo recipes and Llama 3, Dubey et al.
  2024 Sec. 3.3.2: CP only for the 131k long-context stage);
- memory planned with headroom: a team fills at most ``HEADROOM`` of the usable HBM (PyTorch's caching
  allocator fragments 5-10 % of it, NCCL and CUDA-graph buffers grow with the job), so the layout and
  recomputation are chosen as the cheapest that fit under that limit;
- the recomputation is the least one that lets any layout fit (none, then selective, then full), as
  Megatron-LM's and NeMo's recipes add recomputation only where memory requires it (Korthikanti et al.
  2022, Sec. 5).

The fastest layout that fits at all is reported beside it; the ratio of their throughputs widens the
prediction interval on the fast side (:func:`stargate.perf.intervals.mfu_interval`).

A framework whose data parallelism has one documented mode fixes the ZeRO stage of its runs even where
the layout is published (:func:`framework_zero`). Before selective recomputation existed (May 2022), a run
that does not say how it recomputed checkpointed every layer, as the recipes of the time did
(:func:`era_recompute`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stargate.errors import InputError
from stargate.perf.calibration import Calibration
from stargate.perf.hardware import Hardware
from stargate.perf.layouts import enumerate_layouts
from stargate.perf.moe import MoeRouting
from stargate.perf.precision import decimal_year
from stargate.perf.search import StepPrediction, _prediction, within_smallest_footprint
from stargate.perf.step import step_time
from stargate.perf.vintage import ERA_YEAR
from stargate.workload import ModelSpec

HEADROOM = 0.90
LONG_CONTEXT_TOKENS = 32_768
# torchtitan PR #1073 (commit 5e2033c, 2025-04-07): ``pipeline_parallel_microbatch_size`` (default 1) replaced
# ``pipeline_parallel_microbatches`` (default: the pipeline degree); a run dated from April 2025 has the new default
TORCHTITAN_MICROBATCH_SIZE_FROM = decimal_year("2025-04") - 1 / 24


def framework_zero(lineage: str, pp: int | None, n_accel: int | None = None, slice_chips: int | None = None
                   ) -> tuple[int, str] | None:
    """The ZeRO stage a framework's runs use when the source does not say, with the reason; None if open.

    torchtitan shards every data-parallel rank with FSDP2 ``fully_shard`` (``data_parallel_shard_degree``
    -1, ``data_parallel_replicate_degree`` 1): ZeRO-3. With pipeline stages its default resharding policy
    keeps the gathered parameters from the forward to the backward pass (``fsdp_reshard_after_forward =
    "default"``: no resharding when pipeline parallelism is on), the gradient and optimizer sharding of
    ZeRO-2 (``torchtitan.distributed.fsdp.get_fsdp_reshard_after_forward_policy(policy, pp_enabled)``).

    MaxText shards over the chips of one TPU slice (``ici_fsdp_parallelism`` -1 in ``configs/base.yml``) and
    replicates across slices joined by the data-centre network (``dcn_data_parallelism`` -1): ZeRO-3 on a
    job of at most one slice (``slice_chips``, the largest ICI domain), hybrid sharding (4) on more.
    """
    if lineage == "maxtext" and (pp is None or pp == 1) and n_accel and slice_chips:
        if n_accel > slice_chips:
            return 4, (f"ZeRO stage not published: MaxText's FSDP inside each slice of at most {slice_chips:,} chips "
                       "and data parallelism across slices over the data-centre network (hybrid sharding)")
        return 3, "ZeRO stage not published: MaxText's FSDP over the slice (ZeRO-3)"
    if lineage != "torchtitan":
        return None
    if pp is not None and pp > 1:
        return 2, "ZeRO stage not published: torchtitan's FSDP2 over all data-parallel ranks, not resharded " \
                  "after forward with pipeline stages (ZeRO-2)"
    return 3, "ZeRO stage not published: torchtitan's FSDP2 over all data-parallel ranks (ZeRO-3)"


def framework_expert_parallel(lineage: str, is_moe: bool, fixed: dict[str, int]) -> tuple[int, str] | None:
    """The expert parallelism of a framework's MoE runs when the source does not say, with the reason.

    MaxText shards experts with the other weights over its FSDP axis unless an expert axis is set:
    ``ici_expert_parallelism`` and ``dcn_expert_parallelism`` are 1 in ``configs/base.yml`` (the tpu-recipes
    MoE workloads set ``fsdp_shard_on_exp`` and no expert axis), so each chip runs every expert on its own
    tokens after gathering their weights: EP 1."""
    if lineage != "maxtext" or not is_moe or "ep" in fixed:
        return None
    return 1, ("expert parallelism not published: MaxText's default (ici/dcn_expert_parallelism 1, experts "
               "sharded by FSDP)")


def framework_pipeline(lineage: str, date: float | None, fixed: dict[str, int], schedule: str,
                       global_batch_seqs: int, n_accel: int) -> tuple[dict[str, int], str] | None:
    """The micro-batch size and virtual stages a framework's pipelined runs use when the source does not say.

    torchtitan splits each data-parallel rank's batch into ``pipeline_parallel_microbatches`` micro-batches,
    by default as many as pipeline stages (``torchtitan/parallelisms/pipelining_utils.py``
    ``build_pipeline_schedule`` at commit 9dec370, 2024-12: ``n_microbatches = pipeline_parallel_degree``), and
    from April 2025 into micro-batches of ``pipeline_parallel_microbatch_size`` = 1 sequence. Its multi-stage
    (interleaved) schedules hold two stages per rank unless split points are given (``generate_split_points``:
    ``num_stages_per_rank = 2``; unchanged through 2026), its single-stage ones (1F1B) one; a DualPipe row keeps
    the step model's DualPipe accounting (:mod:`stargate.perf.moe`). Returns the values
    to pin (only those not published) and the reason; None when nothing applies.
    """
    pp = fixed.get("pp", 1)
    if lineage != "torchtitan" or pp <= 1:
        return None
    pinned, why = {}, []
    if "vpp" not in fixed and schedule in ("1f1b", "interleaved"):   # DualPipe keeps the step model's own rule
        pinned["vpp"] = 2 if schedule == "interleaved" else 1
        why.append(f"{pinned['vpp']} stage{'s' if pinned['vpp'] > 1 else ''} per rank (torchtitan's "
                   f"{'interleaved' if schedule == 'interleaved' else 'single-stage'} schedule default)")
    if "mb" not in fixed:
        if date is not None and date >= TORCHTITAN_MICROBATCH_SIZE_FROM:
            pinned["mb"] = 1
            why.append("micro-batch 1 (torchtitan's pipeline_parallel_microbatch_size default from April 2025)")
        else:
            dp = fixed.get("dp") or n_accel // (fixed.get("tp", 1) * pp * fixed.get("cp", 1))
            local = global_batch_seqs // dp if dp and global_batch_seqs % dp == 0 else 0
            if local and local % pp == 0:
                pinned["mb"] = local // pp
                why.append(f"micro-batch {pinned['mb']}: the rank's {local} sequences in {pp} micro-batches "
                           "(torchtitan's default before April 2025: as many as pipeline stages)")
    if not pinned:
        return None
    return pinned, "pipeline settings not published: " + "; ".join(why)


def era_recompute(date: float | None) -> tuple[int, str] | None:
    """The recomputation of a run dated ``date`` (decimal year) that does not publish it, with the reason;
    None from May 2022 on, when it is chosen by memory (:func:`likely_layout`).

    Before selective recomputation (Korthikanti et al., arXiv:2205.05198, May 2022) large models were trained
    with every layer's activations checkpointed: Megatron-LM's GPT-3 175B and SC'21 scripts
    (``examples/pretrain_gpt3_175B.sh``, ``examples/sc21/CONFIG.sh`` at commit 9da6e97, 2021-12-30:
    ``--activations-checkpoint-method uniform``), DeepSpeed's activation checkpointing (MT-NLG), JAX
    rematerialisation (Gopher, PaLM)."""
    if date is None or date >= ERA_YEAR:
        return None
    return 2, ("recompute not published: full (every layer checkpointed, the frameworks' recipe before selective "
               "recomputation, May 2022)")


@dataclass(frozen=True)
class LikelyLayout:
    """The layout a team most likely ran (``likely``), the fastest fitting one and what was assumed."""

    likely: StepPrediction
    fastest: StepPrediction
    note: str

    @property
    def spread(self) -> float:
        """Fastest / likely throughput (>= 1). [-]"""
        return max(1.0, self.likely.step_s / self.fastest.step_s)


def likely_layout(spec: ModelSpec, hw: Hardware, n_gpus: int, global_batch_seqs: int, precision: str,
                  fixed: dict[str, int], calibration: Calibration, routing: MoeRouting | None = None
                  ) -> LikelyLayout:
    """The recipe layout of a run whose layout was not published (see the module docstring).

    The run was made, so it fitted: where every layout overflows the memory estimate, the estimate is taken
    as high by one factor for the run and the layouts within the headroom of the smallest footprint are the
    ones that fit (as :func:`stargate.perf.search.search` with ``fit_slack``). Raises :class:`InputError`
    when no layout is valid at all."""
    layouts = enumerate_layouts(spec, n_gpus, global_batch_seqs, fixed)
    b = step_time(spec, hw, layouts, global_batch_seqs, precision, calibration, routing)
    finite = np.isfinite(b.step_s)
    fits = finite & b.fits
    recipe = finite if "cp" in fixed or spec.seq_len >= LONG_CONTEXT_TOKENS else finite & (layouts.cp == 1)
    notes = [f"layout not published: the recipe's (no CP below {LONG_CONTEXT_TOKENS // 1024}k tokens, "
             f"memory within {HEADROOM:.0%} of usable HBM, least recomputation that fits)"]
    limit = HEADROOM * hw.usable_hbm_bytes
    if not fits.any():
        if not finite.any():
            raise InputError("model", spec.name, f"has no valid recipe layout on {n_gpus} x {hw.key}")
        fits = within_smallest_footprint(b.memory_bytes, finite, 1 / HEADROOM)
        limit = np.inf   # the headroom is already the window above the smallest footprint
        notes.append(f"memory model finds no fitting layout: the layouts within {1 / HEADROOM - 1:.0%} of the "
                     "smallest footprint taken as fitting")
    fastest = int(np.flatnonzero(fits)[np.argmin(b.step_s[fits])])
    planned = recipe & fits & (b.memory_bytes <= limit)
    if not planned.any():
        planned = fits & recipe if (fits & recipe).any() else fits
        notes.append("nothing fits within the headroom: the memory limit itself used")
    least = int(layouts.recompute[planned].min())
    planned &= layouts.recompute == least
    likely = int(np.flatnonzero(planned)[np.argmin(b.step_s[planned])])
    fast = _prediction(b, layouts, fastest, n_gpus)
    like = _prediction(b, layouts, likely, n_gpus)
    if fastest != likely:
        notes.append(f"fastest layout {_short(fast.layout)} is {like.step_s / fast.step_s - 1:.0%} faster "
                     "(optimistic bound)")
    return LikelyLayout(like, fast, "; ".join(notes))


def _short(layout: dict) -> str:
    return "tp{tp} pp{pp} dp{dp} cp{cp} ep{ep} vpp{vpp} mb{mb} {recompute} zero{zero}".format(**layout)
