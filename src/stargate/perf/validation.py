"""Validate the performance model against published training runs.

Reads any file in the schema of the shipped development set ``stargate/data/validation/dev.csv``
(see the README beside it; :func:`dataset_path` finds the shipped sets): each row is one
published measurement (MFU, HFU, TFLOP/s per GPU, tokens/s, step time, GPU-hours, training days).
A row's published layout is pinned; what it leaves empty is found by the layout search. Rows that
cannot be predicted (unknown accelerator or precision, no shape, a cell that is not a finite number,
``seq_len = 0``, a malformed ``date``, no valid layout) are reported with the reason, never raised and
never filled with a silent default: every value the reader supplies itself is named in the row's reason.
A file that is not a readable CSV with the required columns is one :class:`InputError`.
"""

from __future__ import annotations

import io
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stargate import catalog
from stargate.errors import InputError
from stargate.perf.benchmarks import EvalSchedule, eval_schedule, is_time_to_train
from stargate.perf.calibration import Calibration, load_calibration
from stargate.perf.hardware import Hardware
from stargate.perf.intervals import interval_class, layout_published, metric_interval, mfu_interval
from stargate.perf.layouts import RECOMPUTE
from stargate.perf.moe import SCHEDULES, MoeRouting
from stargate.perf.precision import likely_precision
from stargate.perf.recipes import (
    HEADROOM,
    era_recompute,
    framework_expert_parallel,
    framework_pipeline,
    framework_zero,
    likely_layout,
)
from stargate.perf.search import StepPrediction, search
from stargate.perf.vintage import apply_era, apply_vintage, lineage, trend_sd_log
from stargate.workload import ModelSpec, model_flop_per_token

METRICS = ("mfu", "hfu", "tflops_per_gpu", "tokens_per_s_per_gpu", "tokens_per_s", "step_time_s", "gpu_hours",
           "train_days")
REQUIRED_COLUMNS = ("id", "source", "model", "arch", "params_b", "accelerator", "n_accel", "seq_len", "metric",
                    "value")
LAYOUT_COLUMNS = {"tp": "tp", "pp": "pp", "dp": "dp", "cp": "cp", "ep": "ep", "vpp": "vpp", "micro_batch": "mb"}
DEFAULT_BATCH_TOKENS = 4_194_304   # global batch when a source gives none: 4M tokens, typical of 2021-24 runs
DEFAULT_VOCAB = 50_257
ASPECT_RATIO = 128                 # hidden / layers of a typical decoder when only the size is published
DATASETS = ("dev", "oos")          # shipped in stargate/data/validation: development and out-of-sample sets
PRECISIONS = ("bf16", "fp16", "fp8", "fp4", "int8")
# scaling recipes of the schema's precisions, as sources name them (NVIDIA Transformer Engine: MXFP8 and
# current/delayed-scaling FP8 on Blackwell, NVFP4/MXFP4): the same tensor-core path and dense peak
PRECISION_ALIASES = {"mxfp8": "fp8", "fp8-cs": "fp8", "fp8-ds": "fp8", "e4m3": "fp8", "nvfp4": "fp4", "mxfp4": "fp4"}
# every column of the schema (stargate/data/validation/README.md), optional MoE/attention ones included
KNOWN_COLUMNS = frozenset((
    *REQUIRED_COLUMNS, "confidence", "active_params_b", "layers", "hidden", "heads", "kv_heads", "ffn_hidden",
    "vocab", "experts",
    "top_k", "global_batch_seqs", "precision", "tp", "pp", "dp", "cp", "ep", "vpp", "micro_batch", "recompute",
    "tokens", "notes", "date", "shared_experts", "dense_layers", "moe_ffn_hidden", "head_dim", "v_head_dim",
    "kv_lora_rank", "q_lora_rank", "rope_head_dim", "sliding_window", "sliding_window_layers", "attn_flop_per_token",
    "node_limit", "pipeline_schedule", "load_balance"))
LOAD_BALANCE = ("forced", "real")   # how a MoE row's tokens were routed to experts
# optional attention columns and the ModelSpec field each fills
ATTENTION_COLUMNS = {"head_dim": "qk_head_dim", "v_head_dim": "v_head_dim", "q_lora_rank": "q_lora_rank",
                     "kv_lora_rank": "kv_lora_rank", "rope_head_dim": "rope_head_dim",
                     "sliding_window": "sliding_window", "sliding_window_layers": "sliding_window_layers"}
MAX_CELL = 1e30         # no published quantity of a run (FLOP, tokens, GPU-hours) comes near this
MAX_WHOLE = 1e12        # counts and sizes (layers, vocab, sequence length, batch) [-]
MAX_ACCELERATORS = 100_000_000  # as the scenario's cluster.count


@dataclass(frozen=True)
class RowResult:
    id: str
    source: str
    accelerator: str
    metric: str
    published: float | None
    predicted: float | None
    error_pct: float | None
    reason: str
    layout: dict[str, Any] | None = None
    interval: tuple[float, float] | None = None   # 80 % prediction interval in the row's metric
    interval_class: str | None = None             # arch/fitted-or-unfitted/published-or-assumed


def dataset_path(name: str) -> Path:
    """Path of a validation set shipped with the package: ``dev`` (the calibration's development set,
    published runs compiled from the papers cited per row) or ``oos`` (the out-of-sample set)."""
    if name not in DATASETS:
        raise InputError("dataset", name, "one of " + ", ".join(DATASETS))
    return Path(str(resources.files("stargate.data.validation").joinpath(f"{name}.csv")))


def read_rows(path: str | Path) -> pd.DataFrame:
    """Read a validation CSV as text cells (each row's numbers are parsed by :func:`prepare_row`).

    Raises :class:`InputError` (one line) when the file is not a readable CSV or lacks required columns.
    Columns the schema does not know are kept and named in each row's reason (see :func:`unknown_columns`).
    """
    from stargate.inputs import read_text

    # existence, size (inputs.MAX_BYTES) and UTF-8 (BOM stripped, UTF-16 refused) at the input boundary
    text = read_text(path, "validation file", "must be an existing CSV file")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        message = " ".join(str(err).split())[:200]
        raise InputError("validation file", str(path), f"is not a readable CSV: {message}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError("validation file", str(path), f"lacks columns {', '.join(missing)}")
    if frame.columns.duplicated().any():
        dup = sorted({c for c in frame.columns[frame.columns.duplicated()]})
        raise InputError("validation file", str(path), f"repeats columns {', '.join(dup)}")
    return frame


def unknown_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` outside the schema: ignored for the prediction, and said so."""
    return [c for c in frame.columns if c not in KNOWN_COLUMNS and not str(c).startswith("Unnamed:")]


def _cell(row: pd.Series, name: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _num(row: pd.Series, name: str) -> float | None:
    """The cell as a finite number, None when empty; text, ``inf`` or ``nan`` raise :class:`InputError`."""
    text = _cell(row, name)
    if text == "":
        return None
    try:
        value = float(text.replace("_", "")) if not isinstance(row.get(name), bool) else None
    except (TypeError, ValueError):
        value = None
    if value is None or not math.isfinite(value) or abs(value) > MAX_CELL:
        raise InputError(name, text, f"must be a finite number of magnitude <= {MAX_CELL:.0e} (or empty)")
    return value


def _int(row: pd.Series, name: str) -> int | None:
    """The cell as a whole number, None when empty (``2.0`` is 2; ``2.5`` raises :class:`InputError`)."""
    value = _num(row, name)
    if value is None:
        return None
    if value != round(value) or abs(value) > MAX_WHOLE:
        raise InputError(name, _cell(row, name), f"must be a whole number <= {MAX_WHOLE:.0e}")
    return round(value)


def _positive_int(row: pd.Series, name: str) -> int | None:
    value = _int(row, name)
    if value is not None and value < 1:
        raise InputError(name, _cell(row, name), "must be >= 1 (or empty)")
    return value


def row_date(row: pd.Series) -> float | None:
    """The row's ``date`` (YYYY-MM, the software vintage) as a decimal year, None when empty."""
    text = _cell(row, "date")
    if not text:
        return None
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4 or not 1 <= int(parts[1]) <= 12:
        raise InputError("date", text, "must be YYYY-MM")
    year = int(parts[0])
    if not 2015 <= year <= 2100:
        raise InputError("date", text, "must be a year between 2015 and 2100")
    return year + (int(parts[1]) - 0.5) / 12


def spec_from_row(row: pd.Series, notes: list[str] | None = None) -> ModelSpec:
    """Model shape of a row; sizes the source leaves empty are filled from its parameter count.

    Every value filled in (shape from the size, vocabulary) is appended to ``notes``. The optional columns
    ``shared_experts``, ``dense_layers`` (leading dense layers) and ``moe_ffn_hidden`` (width of one routed
    expert) shape an MoE model as published (DeepSeek-V3: 1 shared expert, 3 dense layers, width 2048).
    """
    notes = [] if notes is None else notes
    params_b = _num(row, "params_b")
    if params_b is not None and params_b <= 0:
        raise InputError("params_b", _cell(row, "params_b"), "must be > 0")
    layers, hidden, heads = (_positive_int(row, c) for c in ("layers", "hidden", "heads"))
    if None in (layers, hidden, heads):
        if params_b is None:
            raise InputError("row", row["id"], "has neither a shape nor a parameter count")
        # 12 L h^2 = N with h = 128 L (a typical aspect ratio): only the size is published
        hidden = hidden or int(round((params_b * 1e9 * ASPECT_RATIO / 12) ** (1 / 3) / 128) * 128)
        layers = layers or max(1, round(params_b * 1e9 / (12 * hidden**2)))
        heads = heads or max(1, hidden // 128)
        notes.append(f"shape not published: {layers} layers x hidden {hidden} from {params_b:g}B parameters")
    seq_len = _positive_int(row, "seq_len")
    if seq_len is None:
        raise InputError("seq_len", "", "must be given (tokens per sequence)")
    kv_heads = _positive_int(row, "kv_heads") or heads
    if heads % kv_heads:
        notes.append(f"kv_heads {kv_heads} does not divide {heads} heads: multi-head attention assumed")
        kv_heads = heads
    experts = _int(row, "experts") or 0
    arch = _cell(row, "arch").lower() or "dense"
    if arch not in ("dense", "moe"):
        raise InputError("arch", arch, "dense or moe")
    arch_moe = arch == "moe" and experts > 0
    if arch == "moe" and not arch_moe:
        notes.append("MoE row without an expert count: predicted as a dense model of its active size")
    active_b = _num(row, "active_params_b") or params_b
    vocab = _positive_int(row, "vocab")
    if vocab is None:
        vocab = DEFAULT_VOCAB
        notes.append(f"vocab not published: {DEFAULT_VOCAB:,} assumed")
    ffn = _positive_int(row, "ffn_hidden")
    top_k = (_positive_int(row, "top_k") or 1) if arch_moe else 0
    shared = (_int(row, "shared_experts") or 0) if arch_moe else 0
    dense_layers = (_int(row, "dense_layers") or 0) if arch_moe else 0
    if dense_layers < 0 or dense_layers >= layers or shared < 0:
        raise InputError("dense_layers", dense_layers, f"must be in 0..{layers - 1} (shared_experts >= 0)")
    return ModelSpec(
        name=_cell(row, "model") or str(row["id"]), layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads,
        ffn_hidden=ffn or 4 * hidden, vocab=vocab, seq_len=seq_len, glu=ffn is None or arch_moe,
        experts=experts if arch_moe else 0, top_k=top_k, shared_experts=shared,
        moe_ffn_hidden=(_positive_int(row, "moe_ffn_hidden") or 0) if arch_moe else 0, dense_layers=dense_layers,
        params_b_given=params_b, active_params_b_given=active_b,
        node_limit=catalog_node_limit(row, layers, hidden, heads, notes) if arch_moe else 0,
        **attention_shape(row, layers, hidden, heads, notes),
    )


@lru_cache(maxsize=1)
def _catalog_by_shape() -> dict[tuple[int, int, int], catalog.ModelEntry]:
    """Catalog models that publish what the schema has no column for (a non-standard attention shape, a
    router node limit), by (layers, hidden, heads)."""
    return {(e.layers, e.hidden, e.heads): e for e in catalog.models().values()
            if e.has_shape and (e.attention_shape or e.node_limit)}


def attention_shape(row: pd.Series, layers: int, hidden: int, heads: int, notes: list[str]) -> dict[str, int]:
    """The row's attention fields of :class:`ModelSpec`: its optional columns, else the catalog model of the
    same layers, hidden size and heads (Qwen3, gpt-oss, DeepSeek-V3, Kimi K2 publish their attention
    shapes in their configs; the shared schema has no columns for them), named in ``notes``."""
    given = {}
    for column, field in ATTENTION_COLUMNS.items():
        value = _int(row, column)
        if value is not None and value < 0:
            raise InputError(column, _cell(row, column), "must be >= 0 (or empty)")
        if value:
            given[field] = value
    if given:
        return given
    entry = _catalog_by_shape().get((layers, hidden, heads))
    if entry is None or not entry.attention_shape:
        return {}
    shape = ", ".join(f"{k} {v}" for k, v in entry.attention_shape.items())
    notes.append(f"attention shape not in the row: {entry.name}'s from the model catalog ({shape})")
    return dict(entry.attention_shape)


def catalog_node_limit(row: pd.Series, layers: int, hidden: int, heads: int, notes: list[str]) -> int:
    """The router's node limit of the catalog model with the row's layers, hidden size and heads (DeepSeek-V3:
    4), named in ``notes``, when the row gives no ``node_limit`` (which :func:`routing_of` reads); else 0."""
    if _cell(row, "node_limit"):
        return 0
    entry = _catalog_by_shape().get((layers, hidden, heads))
    if entry is None or not entry.node_limit:
        return 0
    notes.append(f"node limit not in the row: {entry.name}'s router sends a token to at most {entry.node_limit} "
                 "nodes (model catalog)")
    return entry.node_limit


def precision_of(row: pd.Series, acc: catalog.Accelerator, date: float | None = None) -> tuple[str, str]:
    """The row's precision, or the one the team most likely trained in on that hardware at ``date``.

    The inference follows the precision paths of ``catalog/precision_paths.toml`` (which precisions each
    family could train in, and from when); the note says what was assumed. An unknown precision raises
    :class:`InputError`.
    """
    given = str(row.get("precision") or "").strip().lower()
    if given in PRECISIONS:
        return given, ""
    if given in PRECISION_ALIASES:
        return PRECISION_ALIASES[given], f"precision {given} read as {PRECISION_ALIASES[given]} (its dense peak)"
    if given:
        raise InputError("precision", given, "one of " + ", ".join(PRECISIONS) + " (or empty)")
    chosen, why = likely_precision(acc.family, date)
    return chosen, f"precision not stated: {chosen} assumed for {acc.family} ({why})"


def flop_convention(notes: str, spec: ModelSpec | None = None, attn_flop_per_token: float | None = None
                    ) -> tuple[float, bool]:
    """(attention factor relative to PaLM's 12LHQT, hardware FLOPs?) read from the row's notes.

    A row's own ``attn_flop_per_token`` (the training attention FLOPs per token the source counts, PaLM's
    12LHQT basis) sets the factor against ``spec``'s 12LHQT instead of the notes."""
    text = notes or ""
    if attn_flop_per_token is not None and spec is not None:
        return attn_flop_per_token / spec.attention_flop_per_token, text.startswith("HARDWARE_FLOPS")
    hardware = text.startswith("HARDWARE_FLOPS")
    if "no attention term" in text:
        return 0.0, hardware
    if "6*L*d*s" in text:
        return 0.5, hardware
    return 1.0, hardware


def _fixed_layout(row: pd.Series) -> dict[str, int]:
    fixed = {}
    for col, key in LAYOUT_COLUMNS.items():
        value = _positive_int(row, col)
        if value is not None:
            fixed[key] = value
    recompute = _cell(row, "recompute").lower()
    if recompute in RECOMPUTE:
        fixed["recompute"] = RECOMPUTE[recompute]
    elif recompute:
        raise InputError("recompute", recompute, "one of " + ", ".join(RECOMPUTE) + " (or empty)")
    return fixed


def routing_of(row: pd.Series) -> MoeRouting:
    """MoE routing of a row: ``node_limit`` (domains a token may reach) and ``pipeline_schedule``."""
    schedule = _cell(row, "pipeline_schedule").lower() or "1f1b"
    if schedule not in SCHEDULES:
        raise InputError("pipeline_schedule", schedule, "one of " + ", ".join(SCHEDULES) + " (or empty)")
    return MoeRouting(node_limit=_positive_int(row, "node_limit"), schedule=schedule)


def load_balance_note(row: pd.Series) -> str:
    """What a MoE row's ``load_balance`` means for its prediction ("" when empty or forced).

    The calibration's imbalance is that of force-balanced benchmarks (every MoE row of the development set);
    routing imbalance in a real run is not modelled, so a ``real`` row's prediction is optimistic."""
    value = _cell(row, "load_balance").lower()
    if value and value not in LOAD_BALANCE:
        raise InputError("load_balance", value, "one of " + ", ".join(LOAD_BALANCE) + " (or empty)")
    if value == "real":
        return ("load_balance real: routed with the calibration's force-balanced expert load (real routing's "
                "imbalance is not modelled), so the prediction is optimistic")
    return ""


def _global_batch(row: pd.Series, spec: ModelSpec, n: int, notes: list[str]) -> int:
    given = _positive_int(row, "global_batch_seqs")
    if given:
        return given
    batch = n * max(1, round(DEFAULT_BATCH_TOKENS / (spec.seq_len * n)))
    notes.append(f"global batch not published: {batch:,} sequences assumed (about 4M tokens)")
    return batch


def metric_value(metric: str, p: StepPrediction, spec: ModelSpec, precision_peak: float, tokens: float | None,
                 attention_factor: float, hardware: bool, goodput: Callable[[float, int, float], float],
                 whole_run: float = 1.0, eval_share: float | None = None) -> float:
    """The row's metric from a step prediction, in the row's unit (fractions for mfu/hfu).

    ``attention_factor`` rescales the 12LHQT attention term to the source's FLOP convention
    (0.5 for LLM Foundry's 6LHQT, 0 where the source counts none). ``whole_run`` is the share of a whole
    run's failure-free wall time spent training at the steady-state step rate (:func:`whole_run_efficiency`).
    ``eval_share`` marks a time-to-train benchmark (:mod:`stargate.perf.benchmarks`): its time is the steady
    steps plus that share for evaluation passes, with no failures and no whole-run efficiency."""
    attn_per_token = spec.attention_flop_per_token
    correction = (p.tflops_per_gpu_model * 1e12 / p.tokens_per_s_per_gpu - (1 - attention_factor) * attn_per_token) \
        / (p.tflops_per_gpu_model * 1e12 / p.tokens_per_s_per_gpu)
    model_tflops = p.tflops_per_gpu_model * correction
    hw_tflops = p.tflops_per_gpu_hardware - (p.tflops_per_gpu_model - model_tflops)
    if metric == "mfu":
        return model_tflops * 1e12 / precision_peak
    if metric == "hfu":
        return hw_tflops * 1e12 / precision_peak
    if metric == "tflops_per_gpu":
        return hw_tflops if hardware else model_tflops
    if metric == "tokens_per_s_per_gpu":
        return p.tokens_per_s_per_gpu
    if metric == "tokens_per_s":
        return p.tokens_per_s
    if metric == "step_time_s":
        return p.step_s
    ideal_s = tokens / p.tokens_per_s
    if eval_share is not None:
        wall_s = ideal_s * (1.0 + eval_share)
    else:
        wall_s = ideal_s / goodput(ideal_s, p.n_gpus, spec.params) / whole_run
    if metric == "gpu_hours":
        return wall_s * p.n_gpus / 3600
    return wall_s / 86400


WHOLE_RUN_METRICS = ("gpu_hours", "train_days")
COVERS = {
    "whole": "covers the whole run: steady-state steps, failures and restarts (stargate.goodput), and the "
             "whole-run efficiency {eff:.2f} (evaluation, checkpoints, stalls; fitted on the dev set)",
    "step": "covers steady-state steps of a benchmark run (no failures, restarts or evaluation)",
    "time_to_train": "covers a time-to-train benchmark (MLPerf rules): steady-state steps for the row's tokens "
                     "plus {evaluation}; no initialisation, failures or checkpoints",
}


@lru_cache(maxsize=1)
def whole_run_efficiency() -> float:
    """Share of a production run's failure-free wall time at the steady-state step rate [-].

    Whole-run figures (GPU-hours, days) include evaluation passes, checkpoint stalls, data-loader and
    restart warm-up time and tuning the benchmark rows do not (validation README, caveats). One global
    value (``[conventions]`` of ``catalog/calibration.toml``), fitted on the development set's whole-run
    rows by :func:`fit_whole_run_efficiency`."""
    text = resources.files("stargate.catalog").joinpath("calibration.toml").read_text(encoding="utf-8")
    return float(tomllib.loads(text)["conventions"]["whole_run_efficiency"])


def fit_whole_run_efficiency(rows: list[PreparedRow], results: list[RowResult]) -> float:
    """exp(-median log error) of the whole-run rows of ``results`` (of ``rows``) predicted with efficiency 1.

    A time-to-train benchmark row (MLPerf) is not a production run: its whole-run figure covers the steady
    steps and evaluation only (:mod:`stargate.perf.benchmarks`), so it does not enter the fit."""
    errors = [math.log(r.predicted / r.published) for row, r in zip(rows, results, strict=True)
              if r.metric in WHOLE_RUN_METRICS and r.predicted and not row.time_to_train]
    return float(math.exp(np.median(errors))) if errors else 1.0


def _no_failures(ideal_s: float, n_gpus: int, params: float) -> float:
    return 1.0


def default_goodput() -> Callable[[float, int, float], float]:
    """Goodput fraction of a whole run, from :mod:`stargate.goodput` (failures and checkpoints)."""
    try:
        from stargate.goodput import training_goodput
    except ImportError:
        return _no_failures

    def fraction(ideal_s: float, n_gpus: int, params: float) -> float:
        return training_goodput(ideal_s, n_gpus, params).goodput

    return fraction


@dataclass(frozen=True)
class PreparedRow:
    """A row bound to the catalog, with everything that does not depend on the calibration."""

    base: dict[str, Any]
    spec: ModelSpec
    accelerator: catalog.Accelerator
    n_gpus: int
    batch: int
    precision: str
    fixed: dict[str, int]
    tokens: float | None
    attention_factor: float
    hardware_flops: bool
    note: str
    date: float | None = None   # the row's software vintage (decimal year), None when not given
    routing: MoeRouting | None = None  # MoE node limit and pipeline schedule where published
    time_to_train: bool = False        # a time-to-train benchmark result (MLPerf), not a production run
    eval_schedule: EvalSchedule | None = None  # its evaluation passes, where known


def prepare_row(row: pd.Series, unknown: list[str] | tuple[str, ...] = ()) -> PreparedRow | RowResult:
    """Bind a row to the catalog; a row that cannot be predicted becomes a :class:`RowResult` with the reason.

    ``unknown`` names columns outside the schema (ignored, and said in the row's reason)."""
    try:
        published = _num(row, "value")
    except InputError:
        published = None
    base = dict(id=_cell(row, "id"), source=_cell(row, "source"), accelerator=_cell(row, "accelerator"),
                metric=_cell(row, "metric"), published=published)
    notes: list[str] = []
    if unknown:
        notes.append("ignored unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(unknown))
    try:
        if not base["id"]:
            raise InputError("id", "", "must be given")
        if published is None or published <= 0:
            raise InputError("value", _cell(row, "value"), "must be a positive number")
        if base["metric"] not in METRICS:
            raise InputError("metric", base["metric"], "one of " + ", ".join(METRICS))
        if base["metric"] in ("mfu", "hfu") and published > 1:
            raise InputError("value", published, f"a {base['metric']} is a fraction, at most 1")
        key = base["accelerator"].strip().lower()
        if key != base["accelerator"] and key in catalog.accelerators():
            notes.append(f"accelerator {base['accelerator']!r} read as the catalog key {key!r}")
            base["accelerator"] = key
        if base["accelerator"] not in catalog.accelerators():
            raise InputError("accelerator", base["accelerator"], "not in the accelerator catalog")
        acc = catalog.accelerator(base["accelerator"])
        date = row_date(row)
        spec = spec_from_row(row, notes)
        n = _positive_int(row, "n_accel")
        if not n or n > MAX_ACCELERATORS:
            raise InputError("n_accel", _cell(row, "n_accel"), f"must be a count in 1..{MAX_ACCELERATORS:,}")
        precision, note = precision_of(row, acc, date)
        if note:
            notes.insert(0, note)
        try:
            Hardware.from_catalog(acc, load_calibration()).peak_flop_s(precision)
        except ValueError:
            raise InputError("precision", precision, f"{acc.key} has no {precision} path") from None
        tokens = _num(row, "tokens")
        if tokens is not None and tokens <= 0:
            raise InputError("tokens", _cell(row, "tokens"), "must be > 0")
        if base["metric"] in ("gpu_hours", "train_days") and not tokens:
            raise InputError("tokens", None, f"needed for a {base['metric']} row")
        fixed = _fixed_layout(row)
        line = lineage(base["source"])
        framework = framework_zero(line, fixed.get("pp"), n, acc.scaleup_domain)
        if framework is not None:
            fixed["zero"], framework_note = framework
            notes.append(framework_note)
        experts = framework_expert_parallel(line, spec.is_moe, fixed)
        if experts is not None:
            fixed["ep"], experts_note = experts
            notes.append(experts_note)
        era = None if "recompute" in fixed else era_recompute(date)
        if era is not None:
            fixed["recompute"], era_note = era
            notes.append(era_note)
        batch = _global_batch(row, spec, n, notes)
        routing = routing_of(row)
        pipeline = framework_pipeline(line, date, fixed, routing.schedule, batch, n)
        if pipeline is not None:
            fixed.update(pipeline[0])
            notes.append(pipeline[1])
        balance = load_balance_note(row)
        if balance:
            notes.append(balance)
        attn_flop = _num(row, "attn_flop_per_token")
        if attn_flop is not None and attn_flop < 0:
            raise InputError("attn_flop_per_token", _cell(row, "attn_flop_per_token"), "must be >= 0")
    except InputError as err:
        return RowResult(**base, predicted=None, error_pct=None, reason="; ".join([str(err), *notes]))
    attention_factor, hardware = flop_convention(_cell(row, "notes"), spec, attn_flop)
    timed = base["metric"] in WHOLE_RUN_METRICS and is_time_to_train(base["source"], _cell(row, "notes"))
    return PreparedRow(base, spec, acc, n, batch, precision, fixed, tokens, attention_factor, hardware,
                       "; ".join(notes), date, routing, timed,
                       eval_schedule(_cell(row, "model"), _cell(row, "notes")) if timed else None)


class _Predicted(Exception):  # noqa: N818 (not an error)
    """Control flow: the recipe layout was found, skip the plain search."""


def evaluate_row(row: PreparedRow, calibration: Calibration,
                 goodput: Callable[[float, int, float], float], whole_run: float | None = None) -> RowResult:
    """Predict a prepared row with ``calibration``; an infeasible layout becomes the reason.

    The family's software trend (``calibration.trends()``, :mod:`stargate.perf.vintage`), and for an MoE
    model the MoE path's (``calibration.moe_vintage``), move the matmul efficiency to the row's ``date``."""
    note = row.note
    hw = Hardware.from_catalog(row.accelerator, calibration)
    trend_sd = 0.0   # an undated row is predicted without a software trend, so without its error
    if row.date is not None:
        hw = apply_vintage(hw, row.date, calibration.mamf_fraction.get(row.accelerator.family), calibration.trends(),
                           calibration.moe_vintage if row.spec.is_moe else None)
        hw = apply_era(hw, row.date, "recompute" in row.fixed)
        trend_sd = trend_sd_log(calibration, row.accelerator.family, row.spec.is_moe, row.date)
    published = layout_published(row.fixed)
    spread = 1.0
    try:
        try:
            if not published:
                recipe = likely_layout(row.spec, hw, row.n_gpus, row.batch, row.precision, row.fixed, calibration,
                                       row.routing)
                best, spread = recipe.likely, recipe.spread
                note = "; ".join(filter(None, [note, recipe.note]))
                raise _Predicted
            result = search(row.spec, hw, row.n_gpus, row.batch, row.precision, fixed=row.fixed,
                            calibration=calibration, top=1, routing=row.routing)
        except InputError as err:
            if "fits in no layout" not in str(err):
                raise
            # the run was made, so it fitted: our memory estimate is the looser figure here, by one factor for
            # every layout, so the layouts within the recipes' headroom of the lightest one are the feasible ones
            result = search(row.spec, hw, row.n_gpus, row.batch, row.precision, fixed=row.fixed,
                            calibration=calibration, top=1, routing=row.routing, fit_slack=1 / HEADROOM)
            note = "; ".join(filter(None, [note, "memory model finds no fitting layout; the layouts within "
                                           f"{1 / HEADROOM - 1:.0%} of the smallest footprint ranked"]))
        except _Predicted:
            result = None
        if result is not None:
            best = result.best
        whole = row.base["metric"] in WHOLE_RUN_METRICS
        efficiency = whole_run if whole_run is not None else whole_run_efficiency()
        eval_share, covers = None, COVERS["whole" if whole else "step"].format(eff=efficiency)
        if row.time_to_train:
            schedule = row.eval_schedule
            eval_share = schedule.share(best.layout["recompute"] == "full") if schedule else 0.0
            covers = COVERS["time_to_train"].format(evaluation=(
                f"evaluation passes of {schedule.eval_sequences:,.0f} sequences every "
                f"{schedule.interval_sequences:,.0f} ({schedule.basis}; +{eval_share:.1%} of the time)"
                if schedule else "no evaluation passes (schedule not known for this model)"))
        value = metric_value(row.base["metric"], best, row.spec, hw.peak_flop_s(row.precision), row.tokens,
                             row.attention_factor, row.hardware_flops, goodput, efficiency, eval_share)
        note = "; ".join(filter(None, [note, covers]))
    except InputError as err:
        return RowResult(**row.base, predicted=None, error_pct=None, reason=str(err))
    error = (value - row.base["published"]) / row.base["published"] * 100
    arch = "moe" if row.spec.is_moe else "dense"
    fitted = row.accelerator.family in calibration.families
    factors = mfu_interval(arch, fitted, published, layout_spread=spread, trend_sd_log=trend_sd)
    return RowResult(**row.base, predicted=value, error_pct=error, reason=note, layout=best.layout,
                     interval=metric_interval(row.base["metric"], value, factors),
                     interval_class=interval_class(arch, fitted, published))


RULE_OF_THUMB_MFU = 0.40


def rule_of_thumb_row(row: PreparedRow) -> RowResult:
    """The back-of-envelope baseline: every run at 40 % MFU of the dense BF16 peak, 6N + attention FLOPs.

    Used to put the model's errors in scale (``stargate validate --baseline``).
    """
    spec, n = row.spec, row.n_gpus
    peak_bf16 = row.accelerator.dense_tflops("bf16") * 1e12 / row.accelerator.gpus_per_unit
    flop_per_token = model_flop_per_token(spec)
    tokens_per_s = RULE_OF_THUMB_MFU * peak_bf16 * n / flop_per_token
    step_tokens = row.batch * spec.seq_len
    tflops = RULE_OF_THUMB_MFU * peak_bf16 / 1e12
    pseudo = StepPrediction(layout={}, step_s=step_tokens / tokens_per_s, breakdown_s={}, comm_total_s={},
                            memory_gbyte=0.0, fits_in_memory=True, tokens_per_s=tokens_per_s,
                            tokens_per_s_per_gpu=tokens_per_s / n, tflops_per_gpu_model=tflops,
                            tflops_per_gpu_hardware=tflops, mfu=RULE_OF_THUMB_MFU, hfu=RULE_OF_THUMB_MFU, n_gpus=n)
    value = metric_value(row.base["metric"], pseudo, spec, peak_bf16, row.tokens, 1.0, False, _no_failures)
    if row.base["metric"] in ("mfu", "hfu"):
        value = RULE_OF_THUMB_MFU
    error = (value - row.base["published"]) / row.base["published"] * 100
    return RowResult(**row.base, predicted=value, error_pct=error, reason="rule of thumb: 40 % MFU of BF16 peak")


def validate(frame: pd.DataFrame, calibration: Calibration | None = None, baseline: bool = False) -> list[RowResult]:
    """Predict every row of a validation table (``baseline``: with the 40 %-MFU rule of thumb instead)."""
    calibration = calibration or load_calibration()
    goodput = default_goodput()
    unknown = unknown_columns(frame)
    out = []
    for _, row in frame.iterrows():
        prepared = prepare_row(row, unknown)
        if isinstance(prepared, RowResult):
            out.append(prepared)
        elif baseline:
            out.append(rule_of_thumb_row(prepared))
        else:
            out.append(evaluate_row(prepared, calibration, goodput))
    return out


def _stats(errors: list[float]) -> dict[str, float | int]:
    arr = np.abs(np.asarray(errors, dtype=float))
    return {"n": len(arr), "median_abs_error_pct": float(np.median(arr)),
            "p90_abs_error_pct": float(np.percentile(arr, 90))}


def _coverage(rows: list[RowResult]) -> dict[str, float | int]:
    """Share of ``rows`` whose published value lies in their interval, and the median half-width [% of predicted]."""
    covered = [r.interval[0] <= r.published <= r.interval[1] for r in rows]
    half = [(r.interval[1] - r.interval[0]) / 2 / r.predicted * 100 for r in rows]
    return {"coverage": float(np.mean(covered)), "n": len(rows), "median_half_width_pct": float(np.median(half))}


def summarise(results: list[RowResult]) -> dict[str, Any]:
    """Median and p90 of |error| overall, by accelerator and by source; rows not predicted and why."""
    done = [r for r in results if r.error_pct is not None]
    summary: dict[str, Any] = {"rows": len(results), "predicted": len(done),
                               "predicted_share": len(done) / len(results) if results else 0.0}
    if done:
        summary["overall"] = _stats([r.error_pct for r in done])
        for key in ("accelerator", "source"):
            groups: dict[str, list[float]] = {}
            for r in done:
                groups.setdefault(getattr(r, key), []).append(r.error_pct)
            summary[f"by_{key}"] = {k: _stats(v) for k, v in sorted(groups.items())}
    banded = [r for r in done if r.interval]
    if banded:
        summary["interval"] = {"level": 0.8, **_coverage(banded)}
        classes: dict[str, list[RowResult]] = {}
        for r in banded:   # by class (dense/moe x fitted/unfitted x published/assumed) and by architecture
            classes.setdefault(r.interval_class or "unknown", []).append(r)
            classes.setdefault((r.interval_class or "unknown").split("/")[0], []).append(r)
        summary["interval"]["by_class"] = {k: _coverage(v) for k, v in sorted(classes.items())}
    summary["not_predicted"] = [{"id": r.id, "reason": r.reason} for r in results if r.error_pct is None]
    return summary
