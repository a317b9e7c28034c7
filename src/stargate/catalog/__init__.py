"""Sourced data catalogs shipped with the package: accelerators, models, reference quantities.

The numbers live in the TOML files beside this module, each entry with its ``sources`` and ``date``;
this module only reads them into frozen objects. Stages never call these loaders: the scenario is
resolved against the catalog once (:func:`stargate.pipeline.resolve`) and stages receive the objects.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from stargate.errors import InputError

Precision = Literal["bf16", "fp16", "fp8", "fp4"]


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Accelerator:
    """One accelerator entry; units are in the field names (see ``accelerators.toml``)."""

    key: str
    name: str
    vendor: str
    family: str
    unit: Literal["gpu", "superchip", "chip"]
    gpus_per_unit: int
    year: int
    bf16_dense_tflops: float
    hbm_gbyte: float
    hbm_tbyte_s: float
    scaleup_gbyte_s_per_dir: float
    scaleup_domain: int
    sources: tuple[str, ...]
    date: str
    scaleup_name: str = ""
    fp8_dense_tflops: float | None = None
    fp4_dense_tflops: float | None = None
    tf32_dense_tflops: float | None = None
    fp32_tflops: float | None = None
    scaleout_gbit_s: float | None = None
    tdp_w: float | None = None
    price_usd: float | None = None
    bf16_sparse_tflops_vendor_headline: float | None = None
    # exponentials per second of the special-function units (MUFU.EX2), which run attention's softmax
    # [1e12/s per unit]; absent where unpublished (the step model then counts no softmax time)
    sfu_exp_tera_per_s: float | None = None
    # published per-unit price range around the central price_usd [USD]
    price_usd_low: float | None = None
    price_usd_high: float | None = None
    estimate: bool = False  # pre-release: announced figures, not a shipping datasheet
    # facility defaults of the reference deployment (server or rack, cooling) for this accelerator
    server_overhead_factor: float | None = None  # server (rack) power / (accelerators x tdp_w) [-]
    rack_kw: float | None = None  # IT power per rack [kW]
    gpus_per_rack: int | None = None  # GPUs (not superchips) per rack
    cooling: Literal["liquid", "air"] | None = None
    notes: str = ""

    def dense_tflops(self, precision: Precision) -> float:
        """Dense peak TFLOP/s per unit for ``precision`` (fp16 runs at the bf16 rate).

        Raises :class:`InputError` when the accelerator has no path for that precision.
        """
        value = {
            "bf16": self.bf16_dense_tflops,
            "fp16": self.bf16_dense_tflops,
            "fp8": self.fp8_dense_tflops,
            "fp4": self.fp4_dense_tflops,
        }.get(precision)
        if value is None:
            supported = [p for p in ("bf16", "fp16", "fp8", "fp4") if self.supports(p)]
            raise InputError("precision", precision, f"{self.key} supports {', '.join(supported)}")
        return value

    def supports(self, precision: str) -> bool:
        """Whether the accelerator has a dense matrix path for ``precision``."""
        return {
            "bf16": True,
            "fp16": True,
            "fp8": self.fp8_dense_tflops is not None,
            "fp4": self.fp4_dense_tflops is not None,
        }.get(precision, False)


ATTENTION_SHAPE_FIELDS = ("qk_head_dim", "v_head_dim", "q_lora_rank", "kv_lora_rank", "rope_head_dim",
                          "sliding_window", "sliding_window_layers")


@dataclass(frozen=True)
class ModelEntry:
    """A named model: transformer shape (where known) and its training budget."""

    key: str
    name: str
    arch: Literal["dense", "moe"]
    sources: tuple[str, ...]
    date: str
    estimate: bool = False
    params_b: float | None = None
    active_params_b: float | None = None
    layers: int | None = None
    hidden: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    ffn_hidden: int | None = None
    moe_ffn_hidden: int | None = None
    experts: int = 0
    shared_experts: int = 0
    top_k: int = 0
    dense_layers: int = 0
    vocab: int | None = None
    glu: bool = True
    seq_len: int | None = None
    training_tokens: float | None = None
    global_batch_tokens: float | None = None
    training_flop_estimate: float | None = None
    notes: str = ""
    # attention shape where it is not hidden / heads wide (stargate.workload.ModelSpec)
    qk_head_dim: int = 0
    v_head_dim: int = 0
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    rope_head_dim: int = 0
    sliding_window: int = 0
    sliding_window_layers: int = 0
    node_limit: int = 0   # MoE router: nodes a token may be routed to (0 = unlimited; stargate.perf.moe)

    @property
    def has_shape(self) -> bool:
        return None not in (self.layers, self.hidden, self.heads, self.ffn_hidden, self.vocab)

    @property
    def attention_shape(self) -> dict[str, int]:
        """The attention fields of :class:`stargate.workload.ModelSpec` given by this entry."""
        return {name: getattr(self, name) for name in ATTENTION_SHAPE_FIELDS if getattr(self, name)}


@dataclass(frozen=True)
class Reference:
    """A reference quantity (country consumption, reactor size, ...) with its source."""

    key: str
    description: str
    sources: tuple[str, ...]
    date: str
    values: dict[str, float] = field(default_factory=dict)


def _entries(name: str, cls: type, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for key, raw in _load(name).items():
        raw = {k: v for k, v in raw.items() if k not in skip}
        raw["sources"] = tuple(raw.get("sources", ()))
        out[key] = cls(key=key, **raw)
    return out


@lru_cache(maxsize=1)
def accelerators() -> dict[str, Accelerator]:
    """All accelerators by catalog key."""
    return _entries("accelerators.toml", Accelerator)


@lru_cache(maxsize=1)
def models() -> dict[str, ModelEntry]:
    """All named models by catalog key."""
    return _entries("models.toml", ModelEntry)


@lru_cache(maxsize=1)
def references() -> dict[str, Reference]:
    """Reference quantities by key; numeric fields (unit in the name) are gathered in ``values``."""
    out = {}
    for key, raw in _load("references.toml").items():
        values = {k: float(v) for k, v in raw.items() if isinstance(v, (int, float))}
        out[key] = Reference(key, raw["description"], tuple(raw["sources"]), raw["date"], values)
    return out


@lru_cache(maxsize=1)
def sources() -> dict[str, dict[str, str]]:
    """Citations behind the source IDs used in ``accelerators.toml``."""
    return _load("sources.toml")


def accelerator(key: str) -> Accelerator:
    """The accelerator ``key``, or :class:`InputError` listing the known keys."""
    try:
        return accelerators()[key]
    except KeyError:
        raise InputError("accelerator", key, "one of " + ", ".join(sorted(accelerators()))) from None


def model(key: str) -> ModelEntry:
    """The model ``key``, or :class:`InputError` listing the known keys."""
    try:
        return models()[key]
    except KeyError:
        raise InputError("model", key, "one of " + ", ".join(sorted(models()))) from None


def cite(source_ids: tuple[str, ...]) -> list[str]:
    """Resolve accelerator source IDs to citations (unknown IDs are returned as they are)."""
    table = sources()
    return [f"{i}: {table[i]['citation']}" if i in table else i for i in source_ids]
