"""Inference: serving throughput, latency and energy per query of a dense or MoE model.

Prefill is compute-bound (2 N_active FLOP per prompt token); decode is bound by reading the weights
and the KV cache from HBM once per step for the whole batch (the roofline view of LLM serving:
Pope et al. 2023, "Efficiently Scaling Transformer Inference", MLSys; Kwon et al. 2023, vLLM). Energy
per query = GPU-seconds per query x power per GPU (board power at the load, server overhead, PUE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stargate.catalog import Accelerator
from stargate.errors import InputError, require_range
from stargate.workload import ModelSpec


@dataclass(frozen=True)
class ServingAssumptions:
    """How a model is served. Defaults: a well-run H100-class deployment (sources in each line)."""

    prompt_tokens: int = 1000
    output_tokens: int = 500
    batch: int = 64                   # concurrent sequences per replica
    weight_bytes: float = 2.0         # bf16 weights [B/param]; 1.0 for fp8 serving
    kv_bytes: float = 2.0             # KV cache element size [B]
    prefill_mfu: float = 0.5          # share of dense peak in prefill (compute-bound)
    hbm_efficiency: float = 0.8       # share of HBM bandwidth achieved by decode kernels
    decode_mfu_cap: float = 0.5       # decode can be no faster than this share of the peak
    power_fraction: float = 0.7       # average board power / TDP while serving
    server_overhead: float = 1.5      # server power / GPU power (CPU, NIC, fans): DGX H100 10.2 kW / 5.6 kW = 1.82
    pue: float = 1.2
    utilisation: float = 1.0          # busy share of the deployed fleet (idle GPUs still draw power)

    def __post_init__(self) -> None:
        for name in ("prompt_tokens", "output_tokens", "batch"):
            require_range(name, getattr(self, name), 0 if name == "prompt_tokens" else 1)
        for name in ("prefill_mfu", "hbm_efficiency", "decode_mfu_cap", "power_fraction", "utilisation"):
            require_range(name, getattr(self, name), 1e-6, 1.0)
        require_range("server_overhead", self.server_overhead, 1.0)
        require_range("pue", self.pue, 1.0)


@dataclass(frozen=True)
class ServingResult:
    """Throughput, latency and energy of one query."""

    gpus_per_replica: int
    max_batch_by_kv: int
    batch: int
    prefill_s: float
    decode_step_s: float
    decode_tokens_per_s_per_gpu: float
    latency_s: float
    gpu_seconds_per_query: float
    power_w_per_gpu: float
    energy_wh_per_query: float


def decode_tokens_per_s_upper_bound(params: float, weight_bytes: float, hbm_byte_s: float) -> float:
    """Batch-1 decode ceiling: every token reads all weights once. [tokens/s]

    70B parameters in bf16 on one H100 (3.35 TB/s): 3.35e12 / 1.4e11 = 23.9 tokens/s.
    """
    return hbm_byte_s / (params * weight_bytes)


def kv_bytes_per_token(spec: ModelSpec, kv_bytes: float = 2.0) -> float:
    """KV cache per token: K and V for every layer and KV head (GQA shares heads). [B]"""
    return 2.0 * spec.layers * spec.kv_heads * spec.head_dim * kv_bytes


def serve(spec: ModelSpec, acc: Accelerator, a: ServingAssumptions = ServingAssumptions()) -> ServingResult:
    """Serve ``spec`` on replicas of ``acc`` (per GPU; superchip entries are per unit) under ``a``.

    Returns
    -------
    ServingResult   energy_wh_per_query = GPU-seconds x TDP x power_fraction x overhead x PUE / utilisation.
    """
    if acc.tdp_w is None:
        raise InputError("accelerator", acc.key, "has no published TDP: energy cannot be computed")
    per = acc.gpus_per_unit
    hbm = acc.hbm_gbyte * 1e9 / per
    hbm_bw = acc.hbm_tbyte_s * 1e12 / per * a.hbm_efficiency
    precision = "fp8" if a.weight_bytes <= 1.0 and acc.supports("fp8") else "bf16"
    peak = acc.dense_tflops(precision) * 1e12 / per
    weights = spec.params * a.weight_bytes
    context = a.prompt_tokens + a.output_tokens
    kv_query = kv_bytes_per_token(spec, a.kv_bytes) * context
    gpus = max(1, math.ceil(weights / (0.8 * hbm)))   # tensor-parallel replica: weights in 80 % of HBM
    gpus = 2 ** math.ceil(math.log2(gpus))
    free = gpus * hbm * 0.9 - weights
    max_batch = max(1, int(free // kv_query))
    batch = min(a.batch, max_batch)
    prefill_s = 2.0 * spec.active_params * a.prompt_tokens / (gpus * peak * a.prefill_mfu)
    # decode step: weights (MoE: only experts touched by the batch) + the batch's KV cache, once per step
    touched = spec.params if not spec.is_moe else min(spec.params, spec.active_params * batch)
    step_bytes = touched * a.weight_bytes + batch * kv_query / 2  # average context over the response
    step_s = max(step_bytes / (gpus * hbm_bw), 2.0 * spec.active_params * batch / (gpus * peak * a.decode_mfu_cap))
    gpu_seconds = gpus * (prefill_s + a.output_tokens * step_s / batch)
    power = acc.tdp_w / per * a.power_fraction * a.server_overhead * a.pue / a.utilisation
    return ServingResult(
        gpus_per_replica=gpus, max_batch_by_kv=max_batch, batch=batch, prefill_s=prefill_s, decode_step_s=step_s,
        decode_tokens_per_s_per_gpu=batch / step_s / gpus, latency_s=prefill_s + a.output_tokens * step_s,
        gpu_seconds_per_query=gpu_seconds, power_w_per_gpu=power, energy_wh_per_query=gpu_seconds * power / 3600,
    )
