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
    attn_flop = 4 * tokens * s * h / tp                           # scores and values, full (non-causal)
    logit_flop = 2 * tokens * h * spec.vocab / tp
    shape_eff = (h / tp) / (h / tp + c.gemm_half_dim)
    # a routed expert (SwiGLU, not tensor-parallel) multiplies h x f_e matrices: a thin f_e (fine-grained
    # experts: Qwen3 768-1536, DeepSeek-V3 2048) runs its GEMMs further from the peak
    expert_dim = min(h, lp.expert / (3 * h)) if spec.is_moe else h
    expert_eff = expert_dim / (expert_dim + c.gemm_half_dim)
    bf16_peak = hw.bf16_flop_s * hw.eff.matmul_eff
    bf16_rate = bf16_peak * shape_eff
    lin_peak = bf16_peak if precision in ("bf16", "fp16") else (
        hw.peak_flop_s(precision) * hw.eff.matmul_eff * hw.eff.lowp_eff)
    t_lin = 2 * tokens / tp * (dense_params / (lin_peak * shape_eff) + routed_params / (lin_peak * expert_eff))
    t_attn = attn_flop / bf16_rate
    hbm = hw.hbm_byte_s * HBM_ACHIEVED_FRACTION
    # norms, activations, residuals; in MoE layers also the token routing, which moves each token's top-k
    # copies through HBM (permute, sort by expert, unpermute, weighted combine: Megatron-Core dispatcher)
    elem_bytes_per_hidden = c.elementwise_bytes_per_hidden + moe_share * MOE_ROUTING_BYTES * spec.top_k
    t_elem = elem_bytes_per_hidden * h * tokens / tp / hbm
    t_fwd_layer = t_lin + t_attn + t_elem + c.layer_overhead_s
    t_recompute = np.select([rc == 2, rc == 1], [t_fwd_layer, t_attn], 0.0)
    t_logits = 3 * logit_flop / bf16_rate
    compute_mb = layers_rank * (3 * t_fwd_layer + t_recompute) + t_logits
    if dualpipe:  # the overlap costs the streaming multiprocessors that drive the communication
        compute_mb = compute_mb / (1 - DUALPIPE_COMM_SM_FRACTION)

    # --- communication: which link each group crosses -------------------------------------------
    nic = hw.scaleout_byte_s * hw.eff.net_eff
    nvl = hw.scaleup_byte_s * hw.eff.net_eff
    dom = hw.scaleup_domain

    def link(span, stride=1.0):
        """Bandwidth per rank and latency of a group of ``span / stride`` ranks spaced ``stride`` apart.

        Inside the scale-up domain: the NVLink/ICI share of each rank. Across domains, the group's ranks
        in one node share the node's NICs between them (NCCL runs one ring per NIC), so a rank's
        effective bandwidth is its NIC times the number of group members per node.
        """
        inside = span <= dom
        per_node = np.clip(dom / stride, 1.0, span / stride)
        return np.where(inside, nvl, nic * per_node), np.where(inside, SCALEUP_LATENCY_S, SCALEOUT_LATENCY_S)

    bw_tp, lat_tp = link(tp)
    passes = 2 + (rc == 2)                                        # forward, backward (+ recomputed forward)
    tp_vol = 4 * (tp - 1) / tp * tokens * h * ACT_BYTES           # 2 reduce-scatter + 2 all-gather per pass
    t_tp = passes * layers_rank * _ring_time(tp_vol, tp, bw_tp, 4 * lat_tp)
    bw_cp, lat_cp = link(tp * cp, tp)
    kv_bytes = tokens * 2 * spec.kv_heads * spec.head_dim * ACT_BYTES / tp
    t_cp_raw = 2 * layers_rank * _ring_time((cp - 1) * kv_bytes, cp, bw_cp, lat_cp)
    t_cp = np.maximum(0.0, t_cp_raw - 2 * layers_rank * t_attn)    # ring attention overlaps with compute
    # all-to-all (dispatch + combine, forward and backward) on the links it crosses (stargate.perf.moe):
    # copies to ranks of the same scale-up domain over NVLink/ICI, the others over the NIC, concurrently
    if spec.is_moe:
        local_copies, remote_copies = routed_copies(ep, dom, spec.top_k, routing.node_limit)
        routed_bytes = tokens * h / tp * imbalance                 # per copy and byte of payload
        a2a_bytes = dispatch_bytes(precision) + BF16_BYTES + 2 * BF16_BYTES  # fwd dispatch + combine, bwd both
        t_a2a = np.maximum(local_copies * routed_bytes * a2a_bytes / nvl,
                           remote_copies * routed_bytes * a2a_bytes / nic)
        lat_ep = np.where(ep <= dom, SCALEUP_LATENCY_S, SCALEOUT_LATENCY_S)
        t_ep = np.where(ep > 1, layers_rank * moe_share * (t_a2a + 4 * lat_ep * (ep - 1)), 0.0)
    else:
        t_ep = np.zeros_like(tp)
    bw_pp, lat_pp = link(2 * tp * cp * dp, 2 * tp * cp * dp)     # stage neighbours are tp*cp*dp ranks apart
    p2p_bytes = tokens * h * ACT_BYTES / tp
    t_pp = np.where(pp > 1, 2 * vpp * (p2p_bytes / bw_pp + lat_pp), 0.0)
    # DualPipe (DeepSeek-V3 Sec. 3.2.1) hides the all-to-all and the stage-to-stage sends behind the
    # computation of the paired micro-batch; 1F1B leaves the calibrated fraction exposed
    ep_exposed = 0.0 if dualpipe else c.ep_comm_exposed
    exposed_mb = c.tp_comm_exposed * t_tp + t_cp + ep_exposed * t_ep + (0.0 if dualpipe else t_pp)

    # --- pipeline schedule: 1F1B with interleaving, bubble (p-1)/v micro-batch times --------------
    micro = global_batch_seqs / (dp * mb)
    mb_time = compute_mb + exposed_mb
    # DualPipe feeds micro-batches from both pipeline ends: (pp/2 - 1) bubbles (DeepSeek-V3 Table 2)
    bubble = (np.maximum(pp / 2 - 1, 0.0) if dualpipe else pp - 1) / vpp * mb_time
    pipeline = micro * mb_time + bubble

    # --- data parallel: gradient reduction, ZeRO sharding, optimizer ------------------------------
    dense_rank = (n_layers * (lp.attention + (1 - moe_share) * lp.mlp_dense) + 2 * lp.embedding / pp) / (pp * tp)
    # experts are not tensor-parallel (expert TP = 1): each EP rank holds experts / ep whole experts
    expert_rank = spec.moe_layers * (spec.experts / ep + spec.shared_experts / tp) * lp.expert / pp \
        if spec.is_moe else 0.0
    params_rank = dense_rank + expert_rank
    d_dense = dp * cp
    d_expert = np.maximum(np.floor(tp * d_dense / ep), 1.0)
    bw_dp, lat_dp = link(tp * cp * dp, tp * cp)
    grad_vol = 2 * ACT_BYTES * ((d_dense - 1) / d_dense * dense_rank + (d_expert - 1) / d_expert * expert_rank)
    t_dp = _ring_time(grad_vol, d_dense, bw_dp, 2 * lat_dp)
    gather_vol = (d_dense - 1) / d_dense * params_rank * WEIGHT_BYTES
    # ZeRO-3/FSDP gathers (forward, backward) and gradient scatter per micro-batch. They run layer by layer,
    # interleaved with compute, and do not get the node-shared NIC speed-up of one big bucketed all-reduce:
    # Narayanan et al. (SC'21) Table 2 shows the ZeRO-3 step time fixed by model size, not by GPU count,
    # at about one NIC per rank (174.6B: 65 s at 768 and 1,536 GPUs; 529.6B: 3x that).
    bw_gather = np.where(tp * cp * dp <= dom, nvl, nic)
    t_gather = micro * 3 * _ring_time(gather_vol, d_dense, bw_gather, lat_dp)
    backward_last = layers_rank * 2 * t_fwd_layer
    # hybrid sharding (HSDP, MiCS, MaxText FSDP in a slice + DP across slices): ZeRO-3 over the data-parallel
    # ranks inside one scale-up domain, replicas across domains all-reduce their gradient shard once a step.
    # The shard group is a divisor of the data-parallel ranks that fits in the domain (the larger of the
    # common divisors with the domain's rank count and with its largest power of two).
    fit_in_domain = np.maximum(np.floor(dom / tp), 1.0).astype(np.int64)
    pow2 = 2 ** np.floor(np.log2(fit_in_domain)).astype(np.int64)
    dp_int = d_dense.astype(np.int64)
    shard_hybrid = np.maximum(np.gcd(dp_int, fit_in_domain), np.gcd(dp_int, pow2)).astype(np.float64)
    t_gather_hybrid = micro * 3 * _ring_time((shard_hybrid - 1) / shard_hybrid * params_rank * WEIGHT_BYTES,
                                             shard_hybrid, nvl, SCALEUP_LATENCY_S)
    replicas = d_dense / shard_hybrid
    t_replica_ar = _ring_time(2 * GRAD_BYTES * (replicas - 1) / replicas * params_rank / shard_hybrid, replicas,
                              nic, 2 * SCALEOUT_LATENCY_S)
    overlap_gather = c.zero3_overlap * micro * compute_mb
    hide_grads = c.dp_overlap * backward_last
    exposed_dp = np.select(
        [zero == 3, zero == 4],
        [np.maximum(0.0, t_gather - overlap_gather),
         np.maximum(0.0, t_gather_hybrid - overlap_gather) + np.maximum(0.0, t_replica_ar - hide_grads)],
        np.maximum(0.0, t_dp - hide_grads))
    shard = np.select([zero == 4, zero >= 1], [shard_hybrid, d_dense], 1.0)
    t_opt = OPTIMIZER_TRAFFIC_BYTES * params_rank / shard / hbm
    dp_total = np.select([zero == 3, zero == 4], [t_gather, t_gather_hybrid + t_replica_ar], t_dp)
    step = pipeline + exposed_dp + t_opt

    # --- memory per accelerator ------------------------------------------------------------------
    state = params_rank * np.select(
        [zero == 0, zero == 1, zero == 2, zero >= 3],
        [WEIGHT_BYTES + GRAD_BYTES + OPTIMIZER_BYTES,
         WEIGHT_BYTES + GRAD_BYTES + OPTIMIZER_BYTES / shard,
         WEIGHT_BYTES + (GRAD_BYTES + OPTIMIZER_BYTES) / shard,
         (WEIGHT_BYTES + GRAD_BYTES + OPTIMIZER_BYTES) / shard])
    gathered = np.where((zero >= 3) & (shard > 1), 2 * WEIGHT_BYTES * params_rank * pp / n_layers, 0.0)  # 2 layers
    # FP8/FP4 training (Transformer Engine) saves the matmul inputs in 8 bits: half their bf16 bytes
    act_coeff = ACTIVATION_COEFF - (LINEAR_INPUT_COEFF / 2 if precision in ("fp8", "fp4") else 0.0)
    act_layer = act_coeff * tokens * h / tp
    stored = np.where(rc == 2, 2 * tokens * h / tp, act_layer)
    in_flight = np.minimum(micro, pp) * (1 + np.where(vpp > 1, (pp - 1) / (pp * vpp), 0.0))
    activations = in_flight * layers_rank * stored + np.where(rc == 2, act_layer, 0.0)
    # logits in bf16 plus the fp32 copy the cross-entropy works on (Megatron-LM vocab-parallel loss) [B]
    logits_mem = tokens * spec.vocab * (ACT_BYTES + 4.0) / tp
    memory = state + gathered + activations + logits_mem
    fits = memory <= hw.usable_hbm_bytes

    # --- utilisation -----------------------------------------------------------------------------
    step_tokens = global_batch_seqs * s
    model_flop = model_flop_per_token(spec) * step_tokens
    # recomputation: full repeats the forward pass (1/3 of 6N + attention); selective repeats the
    # attention scores and values, 4 L h s per token (Korthikanti et al. 2022, Sec. 5)
    recompute_flop = np.select([rc == 2, rc == 1], [model_flop / 3, 4.0 * s * h * n_layers * step_tokens], 0.0)
    peak = hw.peak_flop_s(precision) * n_gpus
    return StepBreakdown(
        step_s=step, compute_s=micro * compute_mb, bubble_s=bubble, tp_comm_s=micro * c.tp_comm_exposed * t_tp,
        cp_comm_s=micro * t_cp, ep_comm_s=micro * ep_exposed * t_ep, pp_comm_s=micro * t_pp * (not dualpipe),
        dp_comm_s=exposed_dp,
        dp_comm_total_s=dp_total, tp_comm_total_s=micro * t_tp,
        cp_comm_total_s=micro * t_cp_raw, optimizer_s=t_opt, memory_bytes=memory, fits=fits,
        model_flop=model_flop, hardware_flop=model_flop + recompute_flop, mfu=model_flop / (step * peak),
        hfu=(model_flop + recompute_flop) / (step * peak), tokens_per_s=step_tokens / step,
    )
