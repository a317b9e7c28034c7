"""Validate the performance model against published training runs.

Reads any file in the schema of the shipped development set ``stargate/data/validation/dev.csv``
(see the README beside it; :func:`dataset_path` finds the shipped sets): each row is one
published measurement (MFU, HFU, TFLOP/s per GPU, tokens/s, step time, GPU-hours, training days).
A row's published layout is pinned; what it leaves empty is found by the layout search. Rows that
cannot be predicted (unknown accelerator, no shape, no valid layout) are reported with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stargate import catalog
from stargate.errors import InputError
from stargate.perf.calibration import Calibration, load_calibration
from stargate.perf.hardware import Hardware
from stargate.perf.layouts import RECOMPUTE
from stargate.perf.search import StepPrediction, search
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


def dataset_path(name: str) -> Path:
    """Path of a validation set shipped with the package: ``dev`` (the calibration's development set,
    published runs compiled from the papers cited per row) or ``oos`` (the out-of-sample set)."""
    if name not in DATASETS:
        raise InputError("dataset", name, "one of " + ", ".join(DATASETS))
    return Path(str(resources.files("stargate.data.validation").joinpath(f"{name}.csv")))


def read_rows(path: str | Path) -> pd.DataFrame:
    """Read a validation CSV; raises :class:`InputError` when required columns are missing."""
    path = Path(path)
    if not path.is_file():
        raise InputError("validation file", str(path), "must be an existing CSV file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError("validation file", str(path), f"is not a readable CSV: {err}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError("validation file", str(path), f"lacks columns {', '.join(missing)}")
    return frame


def _num(row: pd.Series, name: str) -> float | None:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(row: pd.Series, name: str) -> int | None:
    value = _num(row, name)
    return None if value is None else round(value)


def spec_from_row(row: pd.Series) -> ModelSpec:
    """Model shape of a row; sizes the source leaves empty are filled from its parameter count."""
    params_b = _num(row, "params_b")
    layers, hidden, heads = _int(row, "layers"), _int(row, "hidden"), _int(row, "heads")
    if None in (layers, hidden, heads):
        if params_b is None:
            raise InputError("row", row["id"], "has neither a shape nor a parameter count")
        # 12 L h^2 = N with h = 128 L (a typical aspect ratio): only the size is published
        hidden = hidden or int(round((params_b * 1e9 * ASPECT_RATIO / 12) ** (1 / 3) / 128) * 128)
        layers = layers or max(1, round(params_b * 1e9 / (12 * hidden**2)))
        heads = heads or max(1, hidden // 128)
    kv_heads = _int(row, "kv_heads") or heads
    if heads % kv_heads:
        kv_heads = heads
    experts = _int(row, "experts") or 0
    arch_moe = str(row.get("arch", "dense")).strip() == "moe" and experts > 0
    active_b = _num(row, "active_params_b") or params_b
    return ModelSpec(
        name=str(row.get("model", row["id"])), layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads,
        ffn_hidden=_int(row, "ffn_hidden") or 4 * hidden, vocab=_int(row, "vocab") or DEFAULT_VOCAB,
        seq_len=_int(row, "seq_len") or 2048, glu=_int(row, "ffn_hidden") is None,
        experts=experts if arch_moe else 0, top_k=(_int(row, "top_k") or 1) if arch_moe else 0,
        params_b_given=params_b, active_params_b_given=active_b,
    )


def precision_of(row: pd.Series, acc: catalog.Accelerator) -> tuple[str, str]:
    """The row's precision, or what a skilled team would use on that hardware (and a note saying so)."""
    given = str(row.get("precision") or "").strip().lower()
    if given in ("bf16", "fp16", "fp8", "fp4"):
        return given, ""
    # Blackwell recipes train in FP8 (NeMo/Megatron-Bridge); V100 has no BF16 tensor cores
    chosen = {"blackwell": "fp8", "volta": "fp16"}.get(acc.family, "bf16")
    return chosen, f"precision not stated: {chosen} assumed for {acc.family}"


def flop_convention(notes: str) -> tuple[float, bool]:
    """(attention factor relative to PaLM's 12LHQT, hardware FLOPs?) read from the row's notes."""
    text = notes or ""
    hardware = text.startswith("HARDWARE_FLOPS")
    if "no attention term" in text:
        return 0.0, hardware
    if "6*L*d*s" in text:
        return 0.5, hardware
    return 1.0, hardware


def _fixed_layout(row: pd.Series) -> dict[str, int]:
    fixed = {key: _int(row, col) for col, key in LAYOUT_COLUMNS.items() if _int(row, col) is not None}
    recompute = str(row.get("recompute") or "").strip().lower()
    if recompute in RECOMPUTE:
        fixed["recompute"] = RECOMPUTE[recompute]
    return fixed


def _global_batch(row: pd.Series, spec: ModelSpec, n: int) -> int:
    given = _int(row, "global_batch_seqs")
    if given:
        return given
    return n * max(1, round(DEFAULT_BATCH_TOKENS / (spec.seq_len * n)))


def metric_value(metric: str, p: StepPrediction, spec: ModelSpec, precision_peak: float, tokens: float | None,
                 attention_factor: float, hardware: bool, goodput: Callable[[float, int, float], float]) -> float:
    """The row's metric from a step prediction, in the row's unit (fractions for mfu/hfu).

    ``attention_factor`` rescales the 12LHQT attention term to the source's FLOP convention
    (0.5 for LLM Foundry's 6LHQT, 0 where the source counts none)."""
    attn_per_token = 12 * spec.layers * spec.hidden * spec.seq_len
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
    wall_s = ideal_s / goodput(ideal_s, p.n_gpus, spec.params)
    if metric == "gpu_hours":
        return wall_s * p.n_gpus / 3600
    return wall_s / 86400


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


def prepare_row(row: pd.Series) -> PreparedRow | RowResult:
    """Bind a row to the catalog; a row that cannot be predicted becomes a :class:`RowResult` with the reason."""
    published = _num(row, "value")
    base = dict(id=str(row["id"]), source=str(row.get("source", "")), accelerator=str(row.get("accelerator", "")),
                metric=str(row.get("metric", "")), published=published)
    try:
        if published is None or published <= 0:
            raise InputError("value", row.get("value"), "must be a positive number")
        if base["metric"] not in METRICS:
            raise InputError("metric", base["metric"], "one of " + ", ".join(METRICS))
        if base["accelerator"] not in catalog.accelerators():
            raise InputError("accelerator", base["accelerator"], "not in the accelerator catalog")
        acc = catalog.accelerator(base["accelerator"])
        spec = spec_from_row(row)
        n = _int(row, "n_accel")
        if not n or n < 1:
            raise InputError("n_accel", row.get("n_accel"), "must be a positive count")
        precision, note = precision_of(row, acc)
        acc.dense_tflops(precision)
        tokens = _num(row, "tokens")
        if base["metric"] in ("gpu_hours", "train_days") and not tokens:
            raise InputError("tokens", None, f"needed for a {base['metric']} row")
    except InputError as err:
        return RowResult(**base, predicted=None, error_pct=None, reason=str(err))
    attention_factor, hardware = flop_convention(str(row.get("notes") or ""))
    return PreparedRow(base, spec, acc, n, _global_batch(row, spec, n), precision, _fixed_layout(row), tokens,
                       attention_factor, hardware, note)


def evaluate_row(row: PreparedRow, calibration: Calibration,
                 goodput: Callable[[float, int, float], float]) -> RowResult:
    """Predict a prepared row with ``calibration``; an infeasible layout becomes the reason."""
    note = row.note
    hw = Hardware.from_catalog(row.accelerator, calibration)
    try:
        try:
            result = search(row.spec, hw, row.n_gpus, row.batch, row.precision, fixed=row.fixed,
                            calibration=calibration, top=1)
        except InputError as err:
            if "fits in no layout" not in str(err):
                raise
            # the run was made, so it fitted: our memory estimate is the looser figure here
            result = search(row.spec, hw, row.n_gpus, row.batch, row.precision, fixed=row.fixed,
                            calibration=calibration, top=1, require_fit=False)
            note = "; ".join(filter(None, [note, "memory model finds no fitting layout; ranked without the limit"]))
        value = metric_value(row.base["metric"], result.best, row.spec, hw.peak_flop_s(row.precision), row.tokens,
                             row.attention_factor, row.hardware_flops, goodput)
    except InputError as err:
        return RowResult(**row.base, predicted=None, error_pct=None, reason=str(err))
    error = (value - row.base["published"]) / row.base["published"] * 100
    return RowResult(**row.base, predicted=value, error_pct=error, reason=note, layout=result.best.layout)


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
    out = []
    for _, row in frame.iterrows():
        prepared = prepare_row(row)
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
    summary["not_predicted"] = [{"id": r.id, "reason": r.reason} for r in results if r.error_pct is None]
    return summary
