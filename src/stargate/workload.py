"""Workload: the model being trained (its shape) and the training FLOP it costs.

Model FLOPs follow the convention used for MFU by PaLM (Chowdhery et al. 2022, Appendix B):
``6 N`` per token for the weight matmuls (forward 2N, backward 4N; N = active, non-embedding
parameters for MoE) plus ``12 L H Q T`` per token for attention scores and values (L layers, H heads,
Q head dimension, T sequence length; causal masking not discounted). Kaplan et al. (2020, Table 1)
give the same 6N leading term.

Attention need not be ``hidden`` wide: ``H Q`` is the model's own heads x head dimension (Qwen3-235B:
64 x 128 = 8,192 for a hidden size of 4,096; gpt-oss-120b: 64 x 64 for 2,880), queries and keys may be
wider than values (DeepSeek-V3's multi-head latent attention: 192 = 128 + 64 rotary vs 128), and
sliding-window layers attend to at most their window (gpt-oss: every other layer, 128 tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stargate.catalog import ModelEntry
from stargate.errors import InputError, require_range


@dataclass(frozen=True)
class ModelSpec:
    """Shape of a decoder-only transformer, dense or MoE.

    Parameters are derived from the shape unless given (``params_b``/``active_params_b`` in billions,
    e.g. for multi-head latent attention, which the shape approximates).
    """

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn_hidden: int
    vocab: int
    seq_len: int
    glu: bool = True
    experts: int = 0
    top_k: int = 0
    shared_experts: int = 0
    moe_ffn_hidden: int = 0
    dense_layers: int = 0
    params_b_given: float | None = None
    active_params_b_given: float | None = None
    estimate: bool = False
    # attention shape where it differs from hidden / heads (0 = not given: the standard shape)
    qk_head_dim: int = 0           # query/key width per head, rotary part included [-]
    v_head_dim: int = 0            # value width per head (0 = qk_head_dim) [-]
    q_lora_rank: int = 0           # MLA query compression rank (0 = full-rank queries) [-]
    kv_lora_rank: int = 0          # MLA key/value compression rank (0 = no MLA) [-]
    rope_head_dim: int = 0         # MLA decoupled rotary key width, shared by the heads [-]
    sliding_window: int = 0        # tokens a windowed layer attends to (0 = none) [tokens]
    sliding_window_layers: int = 0  # how many layers use the window [-]
    # MoE router: scale-up domains (nodes) a token may be routed to (DeepSeek-V3: 4; 0 = unlimited)
    node_limit: int = 0

    def __post_init__(self) -> None:
        for name in ("layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "seq_len"):
            value = getattr(self, name)
            if value < 1:
                raise InputError(f"workload.{name}", value, "must be >= 1")
        for name in ("qk_head_dim", "v_head_dim", "q_lora_rank", "kv_lora_rank", "rope_head_dim", "sliding_window",
                     "sliding_window_layers", "node_limit"):
            if getattr(self, name) < 0:
                raise InputError(f"workload.{name}", getattr(self, name), "must be >= 0")
        if self.sliding_window_layers > self.layers:
            raise InputError("workload.sliding_window_layers", self.sliding_window_layers,
                             f"must be <= layers = {self.layers}")
        if self.rope_head_dim >= max(self.head_dim, 1) and self.kv_lora_rank:
            raise InputError("workload.rope_head_dim", self.rope_head_dim, f"must be < qk_head_dim = {self.head_dim}")
        if not self.qk_head_dim and self.hidden % self.heads:
            raise InputError("workload.heads", self.heads, f"must divide hidden = {self.hidden} (or give qk_head_dim)")
        if self.heads % self.kv_heads:
            raise InputError("workload.kv_heads", self.kv_heads, f"must divide heads = {self.heads}")
        if self.experts and not 1 <= self.top_k <= self.experts:
            raise InputError("workload.top_k", self.top_k, f"must be in 1..experts = {self.experts}")

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def head_dim(self) -> int:
        """Query/key width per head."""
        return self.qk_head_dim or self.hidden // self.heads

    @property
    def value_head_dim(self) -> int:
        return self.v_head_dim or self.head_dim

    @property
    def attention_width(self) -> float:
        """FLOP-weighted width of attention, ``H (Q_qk + Q_v) / 2``: PaLM's ``H Q`` when both are equal."""
        return self.heads * (self.head_dim + self.value_head_dim) / 2

    @property
    def attention_context(self) -> float:
        """Keys attended per query, averaged over the layers (a windowed layer sees at most its window). [tokens]"""
        windowed = min(self.sliding_window, self.seq_len) if self.sliding_window else self.seq_len
        n_win = self.sliding_window_layers if self.sliding_window else 0
        return ((self.layers - n_win) * self.seq_len + n_win * windowed) / self.layers

    @property
    def attention_flop_per_token(self) -> float:
        """Training attention FLOP per token, ``12 L H Q T`` (PaLM, Chowdhery et al. 2022, App. B: scores and
        values, forward and backward, over :attr:`attention_context` keys). [FLOP]"""
        return 12 * self.layers * self.attention_width * self.attention_context

    @property
    def causal_keys(self) -> float:
        """Keys a query attends under the causal mask, averaged over queries and layers: the softmax
        exponentials per query and head. Query i of s sees min(i, w) keys: (s + 1) / 2 without a window,
        (w (w + 1) / 2 + (s - w) w) / s with a window w < s. [tokens]"""
        s = self.seq_len
        w = min(self.sliding_window, s) if self.sliding_window else s
        n_win = self.sliding_window_layers if self.sliding_window else 0
        windowed = (w * (w + 1) / 2 + (s - w) * w) / s
        return ((self.layers - n_win) * (s + 1) / 2 + n_win * windowed) / self.layers

    @property
    def moe_layers(self) -> int:
        return self.layers - self.dense_layers if self.is_moe else 0

    @property
    def attention_params(self) -> int:
        """Per layer: Q, K, V and output projections.

        Standard (grouped-query) attention: Q ``h x H Q``, K and V ``h x kv_heads x Q`` each, output
        ``H Q_v x h`` (``2 h^2 + 2 h kv_heads Q`` when ``H Q = h``). Multi-head latent attention
        (DeepSeek-V2, arXiv:2405.04434, Sec. 2.1; DeepSeek-V3 Sec. 2.1.1): queries through a rank
        ``q_lora_rank`` bottleneck, keys and values up-projected from a shared ``kv_lora_rank`` latent plus
        a ``rope_head_dim`` rotary key shared by the heads."""
        h, heads, qk, v = self.hidden, self.heads, self.head_dim, self.value_head_dim
        q = h * self.q_lora_rank + self.q_lora_rank * heads * qk if self.q_lora_rank else h * heads * qk
        if self.kv_lora_rank:
            latent = h * (self.kv_lora_rank + self.rope_head_dim)
            kv = latent + self.kv_lora_rank * heads * (qk - self.rope_head_dim + v)
        else:
            kv = h * self.kv_heads * (qk + v)
        return q + kv + heads * v * h

    def mlp_params(self, width: int) -> int:
        """One MLP (or one expert) of ``width``: 3 matrices if gated (SwiGLU), else 2."""
        return (3 if self.glu else 2) * self.hidden * width

    @property
    def expert_width(self) -> int:
        return self.moe_ffn_hidden or self.ffn_hidden

    def _params_with_experts(self, experts_counted: int) -> float:
        dense_mlp = (self.layers - self.moe_layers) * self.mlp_params(self.ffn_hidden)
        experts = self.moe_layers * (experts_counted + self.shared_experts) * self.mlp_params(self.expert_width)
        router = self.moe_layers * self.hidden * self.experts
        embeddings = 2 * self.vocab * self.hidden
        return float(self.layers * self.attention_params + dense_mlp + experts + router + embeddings)

    @property
    def params(self) -> float:
        """Total parameters (embedding and output layer included, untied)."""
        if self.params_b_given:
            return self.params_b_given * 1e9
        return self._params_with_experts(self.experts)

    @property
    def active_params(self) -> float:
        """Parameters touched per token (MoE: shared plus top-k routed experts)."""
        if self.active_params_b_given:
            return self.active_params_b_given * 1e9
        return self._params_with_experts(self.top_k if self.is_moe else 0)

    @property
    def active_nonembedding_params(self) -> float:
        """Active parameters less the input embedding (the 6N of MFU counts the output layer)."""
        return self.active_params - self.vocab * self.hidden

    @classmethod
    def from_catalog(cls, entry: ModelEntry, seq_len: int | None = None) -> ModelSpec:
        """Build from a catalog entry; raises :class:`InputError` if the entry has no published shape."""
        if not entry.has_shape:
            raise InputError("workload.model", entry.key, "has no published shape; give training_flop or a shape")
        return cls(
            name=entry.name, layers=entry.layers, hidden=entry.hidden, heads=entry.heads,
            kv_heads=entry.kv_heads or entry.heads, ffn_hidden=entry.ffn_hidden, vocab=entry.vocab,
            seq_len=seq_len or entry.seq_len or 4096, glu=entry.glu, experts=entry.experts,
            top_k=entry.top_k, shared_experts=entry.shared_experts,
            moe_ffn_hidden=entry.moe_ffn_hidden or 0, dense_layers=entry.dense_layers,
            params_b_given=entry.params_b, active_params_b_given=entry.active_params_b,
            estimate=entry.estimate, node_limit=entry.node_limit, **entry.attention_shape,
        )


def model_flop_per_token(spec: ModelSpec) -> float:
    """Training model FLOP per token: ``6 N + 12 L H Q T`` (PaLM, Chowdhery et al. 2022, App. B).

    Parameters
    ----------
    spec : ModelSpec   Model shape; N = active non-embedding parameters. [-]

    Returns
    -------
    float   FLOP per trained token, forward and backward, no recomputation. [FLOP]
    """
    return 6 * spec.active_nonembedding_params + spec.attention_flop_per_token


def training_flop(params: float, tokens: float, attention_flop_per_token: float = 0.0) -> float:
    """Training compute ``C = 6 N D`` plus an attention term per token.

    Parameters
    ----------
    params : float                    Active parameters N. [-]
    tokens : float                    Training tokens D. [tokens]
    attention_flop_per_token : float  ``12 L H Q T`` (PaLM App. B), 0 to get plain 6ND. [FLOP]

    Returns
    -------
    float   Training compute. [FLOP]

    References
    ----------
    .. [1] Kaplan et al. (2020), "Scaling Laws for Neural Language Models", arXiv:2001.08361, Sec. 2.1.
    .. [2] Chowdhery et al. (2022), "PaLM", arXiv:2204.02311, Appendix B.
    """
    require_range("params", params, 0)
    require_range("tokens", tokens, 0)
    return float(np.float64(6.0) * params * tokens + attention_flop_per_token * tokens)


@dataclass(frozen=True)
class Workload:
    """The resolved training job: a shape (if known), tokens, precision and its compute."""

    name: str
    tokens: float
    precision: str
    training_flop: float
    spec: ModelSpec | None
    global_batch_tokens: float
    flop_is_estimate: bool
    sources: tuple[str, ...] = ()
    batch_basis: str = ""                       # why this global batch (published, given, or the law's)
    compute_optimal: Any = None                 # stargate.frontier.ComputeOptimal of a frontier run
    target_days: float | None = None            # the run was sized to train in this many days
