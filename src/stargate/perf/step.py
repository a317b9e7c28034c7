"""Time and memory of one training step, vectorised over many layouts.

The model follows the analytical accounting of Narayanan et al. (SC'21, "Efficient Large-Scale
Language Model Training on GPU Clusters Using Megatron-LM": FLOPs, pipeline bubble (p-1)/(v m),
communication volumes) and Korthikanti et al. (2022, "Reducing Activation Recomputation in Large
Transformer Models", arXiv:2205.05198: activation memory 34 s b h / t with sequence parallelism,
selective and full recomputation), with collectives costed by the alpha-beta ring model of Thakur,
Rabenseifner & Gropp (2005) on the link each group crosses (scale-up domain vs scale-out NIC), and
ZeRO sharding of Rajbhandari et al. (SC'20). Matmuls run at a calibrated, shape-dependent fraction of
the dense peak (``catalog/calibration.toml``); memory-bound work runs at HBM bandwidth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from stargate.perf.calibration import Calibration
from stargate.perf.hardware import HBM_ACHIEVED_FRACTION, SCALEOUT_LATENCY_S, SCALEUP_LATENCY_S, Hardware
from stargate.perf.layouts import Layouts
from stargate.perf.moe import BF16_BYTES, DUALPIPE_COMM_SM_FRACTION, MoeRouting, dispatch_bytes, routed_copies
from stargate.workload import ModelSpec, model_flop_per_token

ACT_BYTES = 2.0              # bf16 activations and communication payloads [B]
WEIGHT_BYTES = 2.0           # bf16 weights [B]
GRAD_BYTES = 2.0             # bf16 main gradients (Megatron-Core DDP default: grad_reduce_in_fp32 = False) [B]
OPTIMIZER_BYTES = 12.0       # fp32 master weights + Adam m and v [B]
OPTIMIZER_TRAFFIC_BYTES = 32.0  # HBM bytes read + written per parameter by the Adam update [B]
# Korthikanti et al. (2022) eq. (2): 34 s b h bytes per layer with flash attention, of which 2 s b h are
# dropout masks that current decoders (no dropout: Llama, DeepSeek, Qwen) do not keep
ACTIVATION_COEFF = 32.0
MOE_ROUTING_BYTES = 12.0     # HBM bytes per hidden unit per routed token copy, forward (see step_time) [B]
LINEAR_INPUT_COEFF = 14.0    # of which inputs saved for the QKV, output, and two MLP matmuls (2+2+2+8 s b h)


@dataclass(frozen=True)
class LayerParams:
    """Per-layer parameter counts consistent with the model's published totals."""

    attention: float       # per layer [-]
    mlp_dense: float       # dense MLP of a dense layer [-]
    expert: float          # one routed expert [-]
    mlp_active_moe: float  # shared + top-k experts + router of an MoE layer [-]
    embedding: float       # vocab x hidden [-]


def layer_params(spec: ModelSpec) -> LayerParams:
    """Split the model's parameters per layer; given totals win over the shape where both exist."""
    attn = float(spec.attention_params)
    emb = float(spec.vocab * spec.hidden)
    dense_mlp = float(spec.mlp_params(spec.ffn_hidden))
    expert = float(spec.mlp_params(spec.expert_width)) if spec.is_moe else 0.0
    if spec.is_moe and spec.params_b_given and spec.active_params_b_given:
        routed = spec.experts - spec.top_k
        if routed > 0 and spec.moe_layers > 0:
            expert = (spec.params - spec.active_params) / (spec.moe_layers * routed)
    elif not spec.is_moe and spec.params_b_given:
        per_layer = (spec.params - 2 * emb) / spec.layers - attn
        if per_layer > 0:
            dense_mlp = per_layer
    router = spec.hidden * spec.experts
    active_moe = (spec.top_k + spec.shared_experts) * expert + router
    return LayerParams(attn, dense_mlp, expert, active_moe, emb)


@dataclass(frozen=True)
class StepBreakdown:
    """Per-layout arrays [s] unless stated. ``step_s`` = compute + bubble + exposed communication + optimizer."""

    step_s: np.ndarray
    compute_s: np.ndarray
    bubble_s: np.ndarray
    tp_comm_s: np.ndarray
    cp_comm_s: np.ndarray
    ep_comm_s: np.ndarray
    pp_comm_s: np.ndarray
    dp_comm_s: np.ndarray
    dp_comm_total_s: np.ndarray
    tp_comm_total_s: np.ndarray
    cp_comm_total_s: np.ndarray
    optimizer_s: np.ndarray
    memory_bytes: np.ndarray
    fits: np.ndarray
    model_flop: float
    hardware_flop: np.ndarray
    mfu: np.ndarray
    hfu: np.ndarray
    tokens_per_s: np.ndarray


def ranks_per_domain(hw: Hardware, tp, cp, dp, ep, n_ranks) -> np.ndarray | float:
    """Ranks of a job in each scale-up domain under ``hw.placement`` (see hardware.PLACEMENTS).

    "packed" fills every domain (``scaleup_domain`` ranks). "aligned" hosts u * 2^floor(log2(floor(D / u)))
    ranks per domain of D, u the largest of the TP, TP x CP, EP and TP x CP x DP groups that fits in D:
    64 of the 72 GPUs of an NVL72 for power-of-two groups of 8 to 64 ranks, 8 of an 8-GPU node.
    A job of at most D ranks sits in one domain. Arrays of ranks per layout.
    """
    dom = float(hw.scaleup_domain)
    tp, cp, dp, ep, n_ranks = (np.asarray(a, dtype=np.float64) for a in (tp, cp, dp, ep, n_ranks))
    if hw.placement == "packed":
        return np.minimum(n_ranks, dom)
    tpcp = tp * cp
    u = np.maximum(np.maximum(tp * (tp <= dom), tpcp * (tpcp <= dom)),
                   np.maximum(ep * (ep <= dom), (tpcp * dp) * (tpcp * dp <= dom)))
    _, exponent = np.frexp(np.floor(dom / np.maximum(u, 1.0)))   # k = m 2^e, 0.5 <= m < 1: 2^(e-1) <= k
    return np.minimum(np.ldexp(np.maximum(u, 1.0), exponent - 1), n_ranks)


def straddle_fraction(span: int, ranks_per_dom: int) -> float:
    """Share of a job's groups of ``span`` consecutive ranks that straddle a domain boundary when every
    domain holds ``ranks_per_dom`` ranks, filled from the first (a long job).

    In one period of lcm(span, R) ranks lie lcm / span groups and lcm / R - 1 boundaries that fall inside a
    group (every boundary but the period's last): span / R - span / lcm. A group wider than a domain always
    straddles. 16 ranks in a packed NVL72 (R = 72): 1 group in 9 (a boundary every 4.5 groups, every
    second one between two groups); 4 or 8 ranks in 72, or 16 in an aligned 64: none.
    """
    if span > ranks_per_dom:
        return 1.0
    return span / ranks_per_dom - span / math.lcm(span, ranks_per_dom)


def _power_of_two(domain: int, *sizes: np.ndarray) -> bool:
    """Whether ``domain`` and every entry of ``sizes`` are powers of two (frexp mantissa exactly 1/2)."""
    if domain & (domain - 1):
        return False
    return all(bool((np.frexp(a)[0] == 0.5).all()) for a in sizes)


def _gcd(per_dom, span, inside):
    """gcd(per_dom, span) of float arrays: the smaller where one divides the other (``inside``: span divides
    per_dom), else the integer gcd (non-power-of-two layouts only, so the common path stays cheap)."""
    piece = np.minimum(per_dom, span)
    ratio = span / per_dom
    rest = ~(inside | (ratio == np.floor(ratio)))
    if rest.any():
        exact = np.gcd(np.broadcast_to(np.rint(per_dom), np.shape(span)).astype(np.int64),
                       np.rint(span).astype(np.int64))
        piece = np.where(rest, exact.astype(np.float64), piece)
    return piece


def _held(micro, pp, vpp):
    """Micro-batches of activations the first, second and last pipeline stage hold at their peak (whole
    stages' worth), as a function of the stage index r.

    1F1B (Narayanan et al. SC'21 Sec. 2.2.1): stage r runs pp - r - 1 warm-up forwards, so it holds
    min(m, pp - r). Interleaved (Megatron-Core ``forward_backward_pipelining_with_interleaving``): stage r
    runs 2 (pp - r - 1) + (v - 1) pp warm-up forwards of model chunks (1/v stage each), at most all
    m v, and holds one more: at most the m micro-batches of the step. Both are
    min(m v, (v - 1) pp + 1 + k (pp - r - 1)) / v with k = 1 (1F1B, v = 1) or 2 (interleaved).
    """
    chunks, base, k = micro * vpp, (vpp - 1) * pp + 1, 1.0 + (vpp > 1)
    return (np.minimum(chunks, base + k * (pp - 1)) / vpp, np.minimum(chunks, base + k * (pp - 2)) / vpp,
            np.minimum(chunks, base) / vpp)


def _all_reduce_bytes(params, group):
    """Bytes a rank sends in a ring all-reduce of ``params`` bf16 gradients over ``group`` ranks."""
    return 2 * GRAD_BYTES * (group - 1) / group * params


def _ring_time(volume_bytes, group, byte_s, latency_s):
    """Alpha-beta time of a ring collective moving ``volume_bytes`` per rank in ``group`` steps."""
    return np.where(group > 1, volume_bytes / byte_s + latency_s * (group - 1), 0.0)


CHUNK = 65_536  # layouts per vectorised pass: the temporaries stay in cache (about 6x faster than one pass)


def step_time(spec: ModelSpec, hw: Hardware, layouts: Layouts, global_batch_seqs: int, precision: str,
              calibration: Calibration, routing: MoeRouting | None = None) -> StepBreakdown:
    """Step time, breakdown and memory of every layout in ``layouts``.

    Parameters
    ----------
    spec : ModelSpec            The model (application).
    hw : Hardware               One accelerator with its links and efficiencies (system).
    layouts : Layouts           Parallel layouts (execution), arrays of length K.
    global_batch_seqs : int     Sequences per optimizer step. [-]
    precision : str             bf16, fp16, fp8 or fp4: the precision of the linear layers.
    calibration : Calibration   Global efficiency parameters.
    routing : MoeRouting        MoE token routing and pipeline schedule (default: Megatron-Core all-to-all
                                under 1F1B, calibrated imbalance); ignored for dense models.

    Returns
    -------
    StepBreakdown   Arrays of length K. MFU counts 6N + 12LHQT per token (PaLM, App. B) against the
                    dense peak of ``precision``; HFU adds recomputed forward FLOPs.
    """
    if len(layouts) <= CHUNK:
        return _step_time_chunk(spec, hw, layouts, global_batch_seqs, precision, calibration, routing)
    parts = [_step_time_chunk(spec, hw, layouts.take(np.arange(i, min(len(layouts), i + CHUNK))), global_batch_seqs,
                              precision, calibration, routing) for i in range(0, len(layouts), CHUNK)]
    merged = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(StepBreakdown)
              if f.name != "model_flop"}
    return StepBreakdown(model_flop=parts[0].model_flop, **merged)


def _step_time_chunk(spec: ModelSpec, hw: Hardware, layouts: Layouts, global_batch_seqs: int, precision: str,
                     calibration: Calibration, routing: MoeRouting | None = None) -> StepBreakdown:
    c = calibration
    routing = routing or MoeRouting()
    imbalance = c.ep_imbalance if routing.imbalance is None else routing.imbalance
    dualpipe = routing.schedule == "dualpipe"
    # float copies once: every formula below is floating point (integer arrays would be converted per use)
    tp, pp, dp, cp, ep, vpp, mb = (np.asarray(a, dtype=np.float64) for a in (
        layouts.tp, layouts.pp, layouts.dp, layouts.cp, layouts.ep, layouts.vpp, layouts.mb))
    rc, zero = layouts.recompute, layouts.zero
    h, s, n_layers = float(spec.hidden), float(spec.seq_len), spec.layers
    lp = layer_params(spec)
    n_gpus = tp * pp * dp * cp

    # --- compute per micro-batch on the busiest pipeline rank ------------------------------------
    tokens = mb * s / cp                                       # tokens per rank per micro-batch
    # layers on the busiest rank: Megatron-Core places uneven layer counts per virtual stage (first/last
    # stage sizes, pipeline_model_parallel_layout), so a rank holds ceil(L / pp) layers whatever vpp is
    layers_rank = np.ceil(n_layers / pp)
    moe_share = spec.moe_layers / n_layers
    routed_params = moe_share * spec.top_k * lp.expert * imbalance
    dense_params = lp.attention + (1 - moe_share) * lp.mlp_dense + moe_share * (
        lp.mlp_active_moe - spec.top_k * lp.expert)               # attention, dense MLP, shared experts, router
    # scores and values, full (non-causal), over the model's own attention width and context
    # (stargate.workload.ModelSpec.attention_width: heads x head dims, which need not be hidden wide)
    attn_flop = 4 * tokens * spec.attention_context * spec.attention_width / tp
    logit_flop = 2 * tokens * h * spec.vocab / tp
    shape_eff = (h / tp) / (h / tp + c.gemm_half_dim)
    # a routed expert (SwiGLU, not tensor-parallel) multiplies h x f_e matrices: a thin f_e (fine-grained
    # experts: Qwen3 768-1536, DeepSeek-V3 2048) runs its GEMMs further from the peak
    expert_dim = min(h, lp.expert / (3 * h)) if spec.is_moe else h
    expert_eff = expert_dim / (expert_dim + c.gemm_half_dim)
    if spec.is_moe:
        # ... and so does a short one: an expert multiplies only the tokens routed to it, tokens x top_k x ep /
        # experts on each rank (EP8 of DeepSeek-V3 at 4,096 tokens: 1,024), where a dense GEMM has the whole
        # micro-batch. The same half-dimension (DeepGEMM README, H800 FP8, N 4,096 K 7,168: 287, 533 and 1,304
        # TFLOP/s at M = 64, 128 and 4,096, i.e. M / (M + ~190)), relative to the micro-batch's own M, whose
        # share the fitted matmul efficiency already holds
        m_expert = tokens * spec.top_k * ep / spec.experts
        expert_eff = expert_eff * (m_expert / (m_expert + c.gemm_half_dim)) / (tokens / (tokens + c.gemm_half_dim))
    bf16_peak = hw.bf16_flop_s * hw.eff.matmul_eff
    bf16_rate = bf16_peak * shape_eff
    lin_peak = bf16_peak if precision in ("bf16", "fp16") else (
        hw.peak_flop_s(precision) * hw.eff.matmul_eff * hw.eff.lowp_eff)
    t_lin = 2 * tokens / tp * (dense_params / (lin_peak * shape_eff) + routed_params / (lin_peak * expert_eff))
    t_attn = attn_flop / bf16_rate
    # softmax: one exponential per causal score and head on the special-function units, in the forward
    # pass and again in the backward (flash attention recomputes the probabilities); they run beside the
    # attention matmuls, which hide the set share (calibration.toml) of the shorter of the two (FlashAttention-3
    # Sec. 3.1-3.2: 3.9 TFLOPS of exponentials against 989 of matmul on H100; Blackwell Ultra doubles them)
    t_exp = (tokens * spec.heads * spec.causal_keys / tp / hw.exp_per_s) if hw.exp_per_s else 0.0
    t_attn_fwd = t_attn + t_exp - c.softmax_overlap * np.minimum(t_attn, t_exp)
    t_attn_bwd = 2 * t_attn + t_exp - c.softmax_overlap * np.minimum(2 * t_attn, t_exp)
    hbm = hw.hbm_byte_s * HBM_ACHIEVED_FRACTION
    # norms, activations, residuals; in MoE layers also the token routing, which moves each token's top-k
    # copies through HBM (permute, sort by expert, unpermute, weighted combine: Megatron-Core dispatcher)
    elem_bytes_per_hidden = c.elementwise_bytes_per_hidden + moe_share * MOE_ROUTING_BYTES * spec.top_k
    t_elem = elem_bytes_per_hidden * h * tokens / tp / hbm
    # per-layer launch and synchronisation cost of an eager CUDA/ROCm framework; XLA (TPU) compiles the whole
    # step into one program that the host dispatches once (JAX documentation, "Just-in-time compilation")
    overhead = 0.0 if hw.xla_runtime else c.layer_overhead_s
    t_fwd_layer = t_lin + t_attn_fwd + t_elem + overhead
    t_bwd_layer = 2 * (t_lin + t_elem + overhead) + t_attn_bwd
    t_recompute = np.where(rc == 2, t_fwd_layer, np.where(rc == 1, t_attn_fwd, 0.0))  # np.where: faster than select
    t_logits = 3 * logit_flop / bf16_rate
    compute_mb = layers_rank * (t_fwd_layer + t_bwd_layer + t_recompute) + t_logits
    if dualpipe:  # the overlap costs the streaming multiprocessors that drive the communication
        compute_mb = compute_mb / (1 - DUALPIPE_COMM_SM_FRACTION)

    # --- communication: which link each group crosses -------------------------------------------
    nic = hw.scaleout_byte_s * hw.eff.net_eff
    nvl = hw.scaleup_byte_s * hw.eff.net_eff
    # ranks of the job in each scale-up domain; with a power-of-two domain and power-of-two groups both
    # policies fill the domain and every divisibility test is a comparison (the common, fast path)
    all_pow2 = _power_of_two(hw.scaleup_domain, tp, cp, dp, ep)
    per_dom = np.minimum(n_gpus, float(hw.scaleup_domain)) if all_pow2 else ranks_per_domain(hw, tp, cp, dp, ep, n_gpus)

    def link(span, stride=1.0):
        """Bandwidth per rank, latency and inside flag of the groups of ``span / stride`` ranks spaced
        ``stride`` apart, each covering ``span`` consecutive ranks, with ``per_dom`` ranks per domain.

        A group is inside when every group of its kind sits in one domain (``span`` divides ``per_dom``):
        the NVLink/ICI share of each rank. Otherwise the slowest group sets the pace: its smallest piece in
        one domain holds gcd(per_dom, span) consecutive ranks, whose group members share their NICs
        (NCCL runs one ring per NIC), so a rank's bandwidth is its NIC times those members, at most the
        scale-up share.
        """
        if all_pow2:   # powers of two: a group divides the domain's ranks iff it is no larger; gcd = the smaller
            inside = span <= per_dom
            piece = np.minimum(per_dom, span)
        else:
            ratio = per_dom / span
            inside = (ratio >= 1.0) & (ratio == np.floor(ratio))
            piece = _gcd(per_dom, span, inside)
        members = np.maximum(np.floor(piece / stride), 1.0)
        across = np.minimum(nic * members, nvl)
        share = inside.astype(np.float64)   # arithmetic blends: cheaper than np.where on large arrays
        return (across + share * (nvl - across), SCALEOUT_LATENCY_S + share * (SCALEUP_LATENCY_S - SCALEOUT_LATENCY_S),
                inside)

    bw_tp, lat_tp, _ = link(tp)
    passes = 2 + (rc == 2)                                        # forward, backward (+ recomputed forward)
    tp_vol = 4 * (tp - 1) / tp * tokens * h * ACT_BYTES           # 2 reduce-scatter + 2 all-gather per pass
    t_tp = passes * layers_rank * _ring_time(tp_vol, tp, bw_tp, 4 * lat_tp)
    bw_cp, lat_cp, _ = link(tp * cp, tp)
    kv_bytes = tokens * 2 * spec.kv_heads * spec.head_dim * ACT_BYTES / tp
    t_cp_raw = 2 * layers_rank * _ring_time((cp - 1) * kv_bytes, cp, bw_cp, lat_cp)
    t_cp = np.maximum(0.0, t_cp_raw - 2 * layers_rank * t_attn)    # ring attention overlaps with compute
    # all-to-all (dispatch + combine, forward and backward) on the links it crosses (stargate.perf.moe):
    # copies to ranks of the same scale-up domain over NVLink/ICI, the others over the NIC, concurrently
    if spec.is_moe:
        # an EP group of ep consecutive ranks splits into pieces of gcd(per_dom, ep) ranks per domain
        _, _, ep_inside = link(ep)
        ep_piece = np.minimum(per_dom, ep) if all_pow2 else _gcd(per_dom, ep, ep_inside)
        # the run's node limit, else the model router's own (DeepSeek-V3: 4 nodes)
        local_copies, remote_copies = routed_copies(ep, ep_piece, spec.top_k,
                                                    routing.node_limit or spec.node_limit or None)
        routed_bytes = tokens * h / tp * imbalance                 # per copy and byte of payload
        a2a_bytes = dispatch_bytes(precision) + BF16_BYTES + 2 * BF16_BYTES  # fwd dispatch + combine, bwd both
        t_a2a = np.maximum(local_copies * routed_bytes * a2a_bytes / nvl,
                           remote_copies * routed_bytes * a2a_bytes / nic)
        lat_ep = np.where(ep_inside, SCALEUP_LATENCY_S, SCALEOUT_LATENCY_S)
        t_ep = np.where(ep > 1, layers_rank * moe_share * (t_a2a + 4 * lat_ep * (ep - 1)), 0.0)
    else:
        t_ep = np.zeros_like(tp)
    bw_pp, lat_pp, _ = link(2 * tp * cp * dp, 2 * tp * cp * dp)     # stage neighbours are tp*cp*dp ranks apart
    p2p_hop = tokens * h * ACT_BYTES / tp / bw_pp + lat_pp       # one activation send to the next stage
    t_pp = np.where(pp > 1, 2 * vpp * p2p_hop, 0.0)
    # DualPipe (DeepSeek-V3 Sec. 3.2.1) hides the all-to-all and the stage-to-stage sends behind the
    # computation of the paired micro-batch; 1F1B leaves the calibrated fraction exposed
    ep_exposed = 0.0 if dualpipe else c.ep_comm_exposed
    # an interleaved schedule overlaps the sends of its steady 1F1B phase with the other chunks' compute
    # (Megatron-Core overlap_p2p_comm; NeMo "Communication Overlap": "supported only with virtual
    # pipelining"; the sends of pipeline fill and flush stay exposed, 2 (pp - 1) hops a step)
    p2p_exposed_mb = 0.0 if dualpipe else np.where(vpp > 1, 0.0, t_pp)
    p2p_fill_flush = 0.0 if dualpipe else np.where((vpp > 1) & (pp > 1), 2 * (pp - 1) * p2p_hop, 0.0)
    exposed_mb = c.tp_comm_exposed * t_tp + t_cp + ep_exposed * t_ep + p2p_exposed_mb

    # --- pipeline schedule: 1F1B with interleaving, bubble (p-1)/v micro-batch times --------------
    micro = global_batch_seqs / (dp * mb)
    mb_time = compute_mb + exposed_mb
    # DualPipe feeds micro-batches from both pipeline ends: (pp/2 - 1) bubbles (DeepSeek-V3 Table 2)
    bubble = (np.maximum(pp / 2 - 1, 0.0) if dualpipe else pp - 1) / vpp * mb_time
    pipeline = micro * mb_time + bubble + p2p_fill_flush

    # --- data parallel: gradient reduction, ZeRO sharding, optimizer ------------------------------
    # shared experts are dense parameters (Megatron-Core SharedExpertMLP: tensor-parallel, reduced over the
    # whole data-parallel group); routed experts are not tensor-parallel (expert TP = 1): each EP rank holds
    # experts / ep whole experts
    shared_params = spec.moe_layers * spec.shared_experts * lp.expert if spec.is_moe else 0.0
    dense_rank = (n_layers * (lp.attention + (1 - moe_share) * lp.mlp_dense) + shared_params
                  + 2 * lp.embedding) / (pp * tp)
    expert_rank = spec.moe_layers * spec.experts / ep * lp.expert / pp if spec.is_moe else 0.0
    params_rank = dense_rank + expert_rank
    d_dense = dp * cp
    d_expert = np.maximum(np.floor(tp * d_dense / ep), 1.0)
    bw_dp, lat_dp, dp_inside = link(tp * cp * dp, tp * cp)
    t_dp = _ring_time(_all_reduce_bytes(dense_rank, d_dense), d_dense, bw_dp, 2 * lat_dp)
    if spec.is_moe:
        # an expert-data-parallel group holds the ranks with the same experts, ep apart (Megatron-Core
        # expert mesh: EP inside, expert DP outside): a domain holds per_dom / ep of its members, which
        # share the domain's NICs; with ep >= per_dom each member reduces over its own NIC
        bw_edp, lat_edp, _ = link(tp * cp * dp, ep)
        t_dp = t_dp + _ring_time(_all_reduce_bytes(expert_rank, d_expert), d_expert, bw_edp, 2 * lat_edp)
    gather_vol = (d_dense - 1) / d_dense * params_rank * WEIGHT_BYTES
    # ZeRO-3/FSDP gathers (forward, backward) and gradient scatter per micro-batch. They run layer by layer,
    # interleaved with compute, and do not get the node-shared NIC speed-up of one big bucketed all-reduce:
    # Narayanan et al. (SC'21) Table 2 shows the ZeRO-3 step time fixed by model size, not by GPU count,
    # at about one NIC per rank (174.6B: 65 s at 768 and 1,536 GPUs; 529.6B: 3x that).
    bw_gather = np.where(dp_inside, nvl, nic)
    t_gather = micro * 3 * _ring_time(gather_vol, d_dense, bw_gather, lat_dp)
    backward_last = layers_rank * t_bwd_layer
    # hybrid sharding (HSDP, MiCS, MaxText FSDP in a slice + DP across slices): ZeRO-3 over the data-parallel
    # ranks inside one scale-up domain, replicas across domains all-reduce their gradient shard once a step.
    # The shard group is a divisor of the data-parallel ranks that fits in the domain (the larger of the
    # common divisors with the domain's rank count and with its largest power of two).
    # (integer gcds are slow: computed for the HSDP layouts only, 1 elsewhere where nothing reads it)
    shard_hybrid = np.ones_like(tp)
    hsdp = np.flatnonzero(zero == 4)
    if hsdp.size:
        fit_in_domain = np.maximum(np.floor(np.broadcast_to(per_dom, tp.shape)[hsdp] / tp[hsdp]), 1.0).astype(np.int64)
        pow2 = 2 ** np.floor(np.log2(fit_in_domain)).astype(np.int64)
        dp_int = d_dense[hsdp].astype(np.int64)
        shard_hybrid[hsdp] = np.maximum(np.gcd(dp_int, fit_in_domain), np.gcd(dp_int, pow2))
    t_gather_hybrid = micro * 3 * _ring_time((shard_hybrid - 1) / shard_hybrid * params_rank * WEIGHT_BYTES,
                                             shard_hybrid, nvl, SCALEUP_LATENCY_S)
    replicas = d_dense / shard_hybrid
    t_replica_ar = _ring_time(_all_reduce_bytes(params_rank / shard_hybrid, replicas), replicas, nic,
                              2 * SCALEOUT_LATENCY_S)
    overlap_gather = c.zero3_overlap * micro * compute_mb
    hide_grads = c.dp_overlap * backward_last
    # ZeRO-2 keeps only its gradient shard, so every micro-batch reduce-scatters its gradients (half an
    # all-reduce) and the step ends with one all-gather of the updated weights: (m + 1) / 2 all-reduce
    # volumes, as DeepSpeed's ZeRO-2 under gradient accumulation and the FSDP of Llama 3 (Dubey et al. 2024
    # Sec. 3.3.2: optimizer states and gradients sharded). The m - 1 early reduce-scatters run behind the
    # following micro-batches' compute as FSDP's layer-wise traffic does (the calibrated ZeRO-3 overlap);
    # the last one and the all-gather are exposed as ZeRO-1's all-reduce.
    t_dp_zero2 = (micro + 1) / 2 * t_dp
    exposed_zero2 = np.maximum(0.0, (micro - 1) / 2 * t_dp - overlap_gather) + np.maximum(0.0, t_dp - hide_grads)
    z2, z3, z4 = zero == 2, zero == 3, zero == 4
    exposed_dp = np.where(z3, np.maximum(0.0, t_gather - overlap_gather), np.where(
        z4, np.maximum(0.0, t_gather_hybrid - overlap_gather) + np.maximum(0.0, t_replica_ar - hide_grads),
        np.where(z2, exposed_zero2, np.maximum(0.0, t_dp - hide_grads))))
    shard = np.where(z4, shard_hybrid, np.where(zero >= 1, d_dense, 1.0))
    t_opt = OPTIMIZER_TRAFFIC_BYTES * params_rank / shard / hbm
    dp_total = np.where(z3, t_gather, np.where(z4, t_gather_hybrid + t_replica_ar, np.where(z2, t_dp_zero2, t_dp)))
    step = pipeline + exposed_dp + t_opt

    # --- memory per accelerator: the fullest of the first, a middle and the last pipeline stage -----
    # Layer split: where the busiest stage's ceil(L / pp) layers leave slots free, the first stage (the one
    # with the most micro-batches in flight) and then the last give up one layer each to the embedding and
    # to the output layer and loss (Megatron-Core account_for_embedding/loss_in_pipeline_split; Llama 3,
    # Dubey et al. 2024 Sec. 3.3.2: "we reduce one Transformer layer each from the first and the last
    # stages", 126 layers + 2 = 8 on each of 16 stages).
    slack = pp * layers_rank - n_layers
    n_first = layers_rank - (slack >= 1)
    n_last = layers_rank - (slack >= 2)
    layer_rank = (lp.attention + (1 - moe_share) * lp.mlp_dense) / tp + (
        moe_share * (spec.experts / ep + spec.shared_experts / tp) * lp.expert if spec.is_moe else 0.0)
    # bytes per parameter: ZeRO-1 shards the optimizer, ZeRO-2 also the gradients, ZeRO-3/HSDP everything
    sharded = np.where(zero >= 3, WEIGHT_BYTES + GRAD_BYTES + OPTIMIZER_BYTES,
                       np.where(z2, GRAD_BYTES + OPTIMIZER_BYTES, np.where(zero == 1, OPTIMIZER_BYTES, 0.0)))
    bytes_param = WEIGHT_BYTES + GRAD_BYTES + OPTIMIZER_BYTES - sharded + sharded / shard
    gathered = np.where((zero >= 3) & (shard > 1), 2 * WEIGHT_BYTES * params_rank * pp / n_layers, 0.0)  # 2 layers
    # FP8/FP4 training (Transformer Engine) saves the matmul inputs in 8 bits: half their bf16 bytes
    act_coeff = ACTIVATION_COEFF - (LINEAR_INPUT_COEFF / 2 if precision in ("fp8", "fp4") else 0.0)
    act_layer = act_coeff * tokens * h / tp
    stored = np.where(rc == 2, 2 * tokens * h / tp, act_layer)   # per layer and micro-batch in flight
    # logits in bf16 plus the fp32 copy the cross-entropy works on (Megatron-LM vocab-parallel loss) [B]
    logits_mem = tokens * spec.vocab * (ACT_BYTES + 4.0) / tp
    emb_rank = lp.embedding / tp
    single = (pp == 1).astype(np.float64)   # one stage holds both embeddings and the loss
    held_first, held_second, held_last = _held(micro, pp, vpp)
    layer_bytes, emb_bytes = layer_rank * bytes_param, emb_rank * bytes_param
    first = n_first * (layer_bytes + held_first * stored) + emb_bytes * (1 + single) + single * logits_mem
    middle = layers_rank * (layer_bytes + held_second * stored) * (pp >= 3)
    last = (n_last * (layer_bytes + held_last * stored) + emb_bytes + logits_mem) * (pp >= 2)
    # full recomputation rebuilds one layer's activations at a time during the backward pass
    memory = np.maximum(np.maximum(first, middle), last) + gathered + np.where(rc == 2, act_layer, 0.0)
    fits = memory <= hw.usable_hbm_bytes
    if not hw.selective_recompute:  # the software of the date checkpointed whole layers or none (apply_era)
        step = np.where(rc == 1, np.inf, step)

    # --- utilisation -----------------------------------------------------------------------------
    step_tokens = global_batch_seqs * s
    model_flop = model_flop_per_token(spec) * step_tokens
    # recomputation: full repeats the forward pass (1/3 of 6N + attention); selective repeats the
    # attention scores and values, 4 L h s per token (Korthikanti et al. 2022, Sec. 5; h = attention width)
    recompute_flop = np.select([rc == 2, rc == 1], [
        model_flop / 3, 4.0 * spec.attention_context * spec.attention_width * n_layers * step_tokens], 0.0)
    peak = hw.peak_flop_s(precision) * n_gpus
    return StepBreakdown(
        step_s=step, compute_s=micro * compute_mb, bubble_s=bubble, tp_comm_s=micro * c.tp_comm_exposed * t_tp,
        cp_comm_s=micro * t_cp, ep_comm_s=micro * ep_exposed * t_ep, pp_comm_s=micro * p2p_exposed_mb + p2p_fill_flush,
        dp_comm_s=exposed_dp,
        dp_comm_total_s=dp_total, tp_comm_total_s=micro * t_tp,
        cp_comm_total_s=micro * t_cp_raw, optimizer_s=t_opt, memory_bytes=memory, fits=fits,
        model_flop=model_flop, hardware_flop=model_flop + recompute_flop, mfu=model_flop / (step * peak),
        hfu=(model_flop + recompute_flop) / (step * peak), tokens_per_s=step_tokens / step,
    )
