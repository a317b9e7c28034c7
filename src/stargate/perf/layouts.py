"""Parallel layouts: tensor (TP, with sequence parallelism), pipeline (PP, interleaved VPP), data (DP,
with ZeRO stage), context (CP) and expert (EP) parallelism, micro-batch and recomputation, as arrays.

Rank order follows Megatron-LM (TP innermost, then CP, EP within DP, DP, PP outermost): Narayanan et
al., "Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM", SC'21 §3.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, fields

import numpy as np

from stargate.errors import InputError
from stargate.workload import ModelSpec

RECOMPUTE = {"none": 0, "selective": 1, "full": 2}
RECOMPUTE_NAMES = {v: k for k, v in RECOMPUTE.items()}
ZERO_NAMES = {0: "no sharding", 1: "ZeRO-1 (distributed optimizer)", 2: "ZeRO-2", 3: "ZeRO-3/FSDP",
              4: "HSDP (ZeRO-3 inside the scale-up domain, replicated across)"}
MICRO_BATCHES = (1, 2, 4, 8, 16, 32)
VIRTUAL_STAGES = (1, 2, 3, 4, 6, 8)
CONTEXT_PARALLEL = (1, 2, 4, 8, 16, 32)
MAX_TP = 64
MIN_CP_CHUNK = 1024  # tokens of a sequence per context-parallel rank, at least


@dataclass(frozen=True)
class Layouts:
    """Many layouts as parallel integer arrays of equal length."""

    tp: np.ndarray
    pp: np.ndarray
    dp: np.ndarray
    cp: np.ndarray
    ep: np.ndarray
    vpp: np.ndarray
    mb: np.ndarray
    recompute: np.ndarray  # 0 none, 1 selective, 2 full
    zero: np.ndarray       # 0 none, 1 distributed optimizer, 2 + gradients, 3 + parameters (FSDP), 4 hybrid (HSDP)

    def __len__(self) -> int:
        return int(self.tp.shape[0])

    def take(self, index: np.ndarray | int) -> Layouts:
        idx = np.atleast_1d(index)
        return Layouts(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def row(self, i: int) -> dict[str, int | str]:
        out: dict[str, int | str] = {f.name: int(getattr(self, f.name)[i]) for f in fields(self)}
        out["recompute"] = RECOMPUTE_NAMES[int(self.recompute[i])]
        return out

    @classmethod
    def single(cls, **values: int) -> Layouts:
        defaults = {"tp": 1, "pp": 1, "dp": 1, "cp": 1, "ep": 1, "vpp": 1, "mb": 1, "recompute": 0, "zero": 1}
        defaults.update(values)
        return cls(**{k: np.array([v], dtype=np.int64) for k, v in defaults.items()})


def _divisors(n: int, limit: int) -> list[int]:
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted({d for d in small + [n // d for d in small] if d <= limit})


def enumerate_layouts(spec: ModelSpec, n_gpus: int, global_batch_seqs: int,
                      fixed: dict[str, int] | None = None) -> Layouts:
    """Every valid layout (cached: the same question is asked again by sweeps and the calibration fit).

    See :func:`_enumerate` for the rules."""
    key = tuple(sorted((k, int(v)) for k, v in (fixed or {}).items() if v is not None))
    return _enumerate_cached(spec, int(n_gpus), int(global_batch_seqs), key)


@functools.lru_cache(maxsize=256)
def _enumerate_cached(spec: ModelSpec, n_gpus: int, global_batch_seqs: int,
                      fixed_items: tuple[tuple[str, int], ...]) -> Layouts:
    return _enumerate(spec, n_gpus, global_batch_seqs, dict(fixed_items))


def _enumerate(spec: ModelSpec, n_gpus: int, global_batch_seqs: int, fixed: dict[str, int]) -> Layouts:
    """Every valid layout of ``spec`` on ``n_gpus`` for a global batch of ``global_batch_seqs``.

    ``fixed`` pins any of tp, pp, dp, cp, ep, vpp, mb, recompute, zero (as published for a run).
    Raises :class:`InputError` with the reason when no layout is valid.
    """
    if n_gpus < 1:
        raise InputError("cluster.count", n_gpus, "must be >= 1")
    _check_fixed(spec, n_gpus, fixed)
    if global_batch_seqs < 1:
        raise InputError("global_batch_seqs", global_batch_seqs, "must be >= 1")

    def options(name: str, default: list[int]) -> list[int]:
        return [fixed[name]] if name in fixed else default

    tps = options("tp", [t for t in _divisors(spec.heads, MAX_TP) if n_gpus % t == 0])
    # context parallelism splits long sequences; below ~1k tokens a rank's ring-attention chunks and GEMMs
    # are too small to run well (Llama 3 used CP only at 131k, 8k tokens a rank), which the model omits
    cps = options("cp", [c for c in CONTEXT_PARALLEL if spec.seq_len % c == 0 and spec.seq_len // c >= MIN_CP_CHUNK])
    groups = []
    for tp, cp in itertools.product(tps, cps):
        if n_gpus % (tp * cp):
            continue
        rest = n_gpus // (tp * cp)
        for pp in options("pp", _divisors(rest, spec.layers)):
            if rest % pp:
                continue
            dp = rest // pp
            if "dp" in fixed and fixed["dp"] != dp:
                continue
            groups.append((tp, pp, cp, dp))
    if not groups:
        _explain_no_group(spec, n_gpus, fixed)
    base = np.array(groups, dtype=np.int64)
    eps = options("ep", _divisors(spec.experts, spec.experts) if spec.is_moe else [1])
    choices = [np.arange(len(base)), np.array(eps), np.array(options("vpp", list(VIRTUAL_STAGES))),
               np.array(options("mb", list(MICRO_BATCHES))), np.array(options("recompute", [0, 1, 2])),
               np.array(options("zero", list(ZERO_NAMES)))]
    index = np.indices([len(c) for c in choices]).reshape(len(choices), -1)
    group, ep, vpp, mb, rc, zero = (np.asarray(c, dtype=np.int64)[i] for c, i in zip(choices, index, strict=True))
    tp, pp, cp, dp = (base[group, i] for i in range(4))
    per_replica = dp * mb
    valid = (global_batch_seqs % per_replica == 0)
    valid &= (pp > 1) | (vpp == 1)
    valid &= spec.layers + 2 >= pp * vpp  # Megatron counts embedding and loss as stage layers when uneven
    micro = global_batch_seqs // np.maximum(per_replica, 1)
    valid &= (vpp == 1) | (micro % pp == 0)  # Megatron's interleaved schedule needs m divisible by pp
    valid &= ((tp * cp * dp) % ep == 0) & (spec.heads % tp == 0)  # EP drawn from TP x CP x DP (Megatron-Core)
    # ZeRO-2/3 with pipelining is not supported by Megatron/DeepSpeed, whose layouts the search explores.
    # Pinned, ZeRO-2 with PP is the FSDP of Llama 3 (Dubey et al. 2024 Sec. 3.3.2: optimizer states and
    # gradients sharded, weights kept after the forward pass, with PP 16; PyTorch FSDP + pipelining).
    valid &= (zero <= 1) | (pp == 1) | ((zero == 2) & (fixed.get("zero") == 2))
    valid &= (zero != 4) | (dp > 1)   # hybrid sharding needs replicas to shard over
    if not valid.any():
        raise InputError("layout", fixed or "any",
                         f"no layout of {spec.name} on {n_gpus} GPUs divides the global batch of "
                         f"{global_batch_seqs} sequences into data-parallel micro-batches")
    keep = np.flatnonzero(valid)
    return Layouts(tp=tp[keep], pp=pp[keep], dp=dp[keep], cp=cp[keep], ep=ep[keep], vpp=vpp[keep],
                   mb=mb[keep], recompute=rc[keep], zero=zero[keep])


def _check_fixed(spec: ModelSpec, n_gpus: int, fixed: dict[str, int]) -> None:
    """Reject pinned layout values that no layout can satisfy, naming the rule."""
    for name, value in fixed.items():
        if value < (0 if name in ("recompute", "zero") else 1):
            raise InputError(name, value, "must be >= 1")
    if "tp" in fixed and (spec.heads % fixed["tp"] or fixed["tp"] > spec.heads):
        raise InputError("tp", fixed["tp"], f"must divide the {spec.heads} attention heads")
    if "pp" in fixed and fixed["pp"] > spec.layers:
        raise InputError("pp", fixed["pp"], f"must be <= the {spec.layers} layers")
    if "ep" in fixed and fixed["ep"] > 1 and (not spec.is_moe or spec.experts % fixed["ep"]):
        raise InputError("ep", fixed["ep"], f"must divide the {spec.experts} experts (1 for a dense model)")
    if "recompute" in fixed and fixed["recompute"] > 2:
        raise InputError("recompute", fixed["recompute"], "0 none, 1 selective or 2 full")
    if "zero" in fixed and fixed["zero"] not in ZERO_NAMES:
        raise InputError("zero", fixed["zero"], "0 none, 1, 2, 3 (FSDP) or 4 (hybrid FSDP)")
    if n_gpus < 1:
        raise InputError("cluster.count", n_gpus, "must be >= 1")


def _explain_no_group(spec: ModelSpec, n_gpus: int, fixed: dict[str, int]) -> None:
    product = 1
    for name in ("tp", "pp", "dp", "cp"):
        product *= fixed.get(name, 1)
    raise InputError("layout", fixed or "any",
                     f"tp x pp x dp x cp must equal the {n_gpus} GPUs (fixed part multiplies to {product})")
