"""Frontier runs sized by a compute budget: compute-optimal model and data, a dense shape, a global batch.

A run given as ``C`` FLOP (or as a parameter count) is split into parameters and tokens by a published
compute-optimal law (Hoffmann et al. 2022, approach 3; Besiroglu et al. 2024's re-fit by default), turned
into a Llama-3-proportioned dense decoder, and trained with the global batch of a published batch-size
law (DeepSeek LLM 2024), capped where that law is an extrapolation. The coefficients and their sources
live in ``catalog/scaling_laws.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from stargate.errors import InputError
from stargate.workload import ModelSpec

DEFAULT_COMPUTE_LAW = "chinchilla-besiroglu-2024"
DEFAULT_BATCH_LAW = "deepseek-llm-2024"


@lru_cache(maxsize=1)
def scaling_law_data() -> dict[str, Any]:
    """The shipped laws (``catalog/scaling_laws.toml``)."""
    text = resources.files("stargate.catalog").joinpath("scaling_laws.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def compute_laws() -> dict[str, dict[str, Any]]:
    return scaling_law_data()["compute_optimal"]


def batch_laws() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in scaling_law_data()["batch"].items() if k != "cap"}


def _law(table: dict[str, dict[str, Any]], key: str, field: str) -> dict[str, Any]:
    if key not in table:
        raise InputError(field, key, "one of " + ", ".join(sorted(table)))
    return table[key]


@dataclass(frozen=True)
class ComputeOptimal:
    """Compute-optimal split of a budget ``C = 6 N D`` under a parametric loss law."""

    law: str
    flop: float
    params: float
    tokens: float

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params


def _exponents(law: dict[str, Any]) -> tuple[float, float, float]:
    """``G``, and the exponents of ``N_opt`` and ``D_opt`` in ``C/6`` (Hoffmann et al. 2022, eq. 4)."""
    alpha, beta = law["alpha"], law["beta"]
    g = (alpha * law["a"] / (beta * law["b"])) ** (1.0 / (alpha + beta))
    return g, beta / (alpha + beta), alpha / (alpha + beta)


def compute_optimal(flop: float, law_key: str = DEFAULT_COMPUTE_LAW) -> ComputeOptimal:
    """Parameters and tokens that minimise ``E + A/N^alpha + B/D^beta`` subject to ``6 N D = flop``.

    References
    ----------
    .. [1] Hoffmann et al. (2022), arXiv:2203.15556, Section 3.3 and Appendix D.2.
    .. [2] Besiroglu et al. (2024), arXiv:2404.10102, Table 1 (the default coefficients).
    """
    law = _law(compute_laws(), law_key, "workload.scaling_law")
    g, a_exp, b_exp = _exponents(law)
    return ComputeOptimal(law_key, flop, g * (flop / 6.0) ** a_exp, (flop / 6.0) ** b_exp / g)


def compute_for_params(params: float, law_key: str = DEFAULT_COMPUTE_LAW) -> ComputeOptimal:
    """The budget for which ``params`` is compute-optimal (the inverse of :func:`compute_optimal`)."""
    law = _law(compute_laws(), law_key, "workload.scaling_law")
    g, a_exp, _ = _exponents(law)
    flop = 6.0 * (params / g) ** (1.0 / a_exp)
    return compute_optimal(flop, law_key)


def dense_shape(params: float, name: str | None = None, seq_len: int | None = None) -> ModelSpec:
    """A dense Llama-3-proportioned decoder of about ``params`` parameters (embeddings included).

    Width grows with depth at ``hidden = 128 x layers`` rounded to a multiple of 1,024, FFN width 3.25 x
    hidden, 128-wide heads with 8 KV heads (Llama 3.1 405B, arXiv:2407.21783 Table 3); the layer count
    is then chosen to match ``params``.
    """
    s = scaling_law_data()["shape"]
    vocab, head_dim, kv_heads, mult = s["vocab"], s["head_dim"], s["kv_heads"], s["hidden_multiple"]

    def per_layer(hidden: int) -> float:
        ffn = _round_to(s["ffn_per_hidden"] * hidden, 256)
        return 2 * hidden * hidden + 2 * hidden * kv_heads * head_dim + 3 * hidden * ffn

    # params ~ L x c (k L)^2 with k = hidden per layer and c = per-layer params / hidden^2: solve for L
    k = s["hidden_per_layer"]
    c = per_layer(16384) / 16384**2
    hidden = _round_to(k * (params / (c * k * k)) ** (1 / 3), mult)
    layers = max(1, round((params - 2 * vocab * hidden) / per_layer(hidden)))
    ffn = _round_to(s["ffn_per_hidden"] * hidden, 256)
    label = name or f"compute-optimal dense {_human(params)}"
    return ModelSpec(name=label, layers=layers, hidden=hidden, heads=hidden // head_dim, kv_heads=kv_heads,
                     ffn_hidden=ffn, vocab=vocab, seq_len=seq_len or s["seq_len"], glu=True)


@dataclass(frozen=True)
class BatchChoice:
    """The global batch of a run and why: the law's value, the cap, and which applied."""

    tokens: float
    law: str
    law_tokens: float
    cap_tokens: float
    capped: bool

    @property
    def basis(self) -> str:
        law = batch_laws()[self.law]
        text = (f"{law['name']}: {law['coefficient']:g} x C^{law['exponent']:g} = {self.law_tokens / 1e6:,.1f}M "
                "tokens")
        if self.capped:
            text += (f", capped at {self.cap_tokens / 1e6:,.1f}M (the law is fitted up to "
                     f"{law['fitted_flop_max']:.0e} FLOP; cap = largest published frontier batch)")
        return text


def global_batch(flop: float, law_key: str = DEFAULT_BATCH_LAW, cap_tokens: float | None = None) -> BatchChoice:
    """Optimal global batch in tokens for a budget of ``flop``, ``B = k C^e``, at most ``cap_tokens``.

    References
    ----------
    .. [1] DeepSeek-AI (2024), arXiv:2401.02954, Section 3.1, eq. (1).
    """
    law = _law(batch_laws(), law_key, "workload.batch_law")
    cap = cap_tokens if cap_tokens is not None else float(scaling_law_data()["batch"]["cap"]["tokens"])
    value = law["coefficient"] * flop ** law["exponent"]
    return BatchChoice(min(value, cap), law_key, value, cap, value > cap)


def law_sources(compute_law: str | None, batch_law: str | None) -> tuple[str, ...]:
    """Citations of the laws used (compute split, batch and its cap, shape)."""
    data = scaling_law_data()
    out: list[str] = []
    if compute_law:
        out += compute_laws()[compute_law]["sources"] + data["shape"]["sources"][:1]
    if batch_law:
        out += batch_laws()[batch_law]["sources"] + data["batch"]["cap"]["sources"]
    return tuple(out)


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def _human(params: float) -> str:
    return f"{params / 1e12:.1f}T" if params >= 1e12 else f"{params / 1e9:.0f}B"
