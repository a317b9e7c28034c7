"""Calibrated 80 % prediction intervals for the step model (split-conformal on validation residuals).

Scores are absolute log errors of throughput, ``|log(predicted / published)|`` (time-like metrics
inverted), of the development rows. Following split-conformal prediction (Vovk, Gammerman & Shafer 2005;
Lei et al. 2018, "Distribution-Free Predictive Inference for Regression", JASA 113:1094) with one
quantile per class (Mondrian conformal prediction: Vovk et al. 2003), the half-width of a class is the
``ceil((n + 1) 0.8) / n`` empirical quantile of its ``n`` scores. Classes are dense/MoE x fitted/unfitted
family x layout published/assumed; the scores of an unfitted family come from leave-one-family-out
predictions (each fitted family predicted from the reference fit scaled by its MAMF, as an unfitted
family is). A class with fewer than four scores (for which the conformal quantile is infinite) takes
its parent class (MoE -> all architectures; assumed -> all layouts).

Rows of new sources and software releases are not exchangeable with the development rows: a source's
offset is partly absorbed by the family fit it took part in. Each development source's mean log error
is therefore inflated to its held-out value, ``m N / (N - n)`` for ``n`` of its family's ``N`` rows (the
leave-one-source-out offset of a per-family intercept), and the row-weighted root mean square of these
offsets (``source_spread``) is added in quadrature at the normal 80 % two-sided quantile. The interval
of a row whose layout is assumed is widened on the fast side by the spread between the assumed and the
fastest layout (the optimistic bound).

The software trends (:mod:`stargate.perf.vintage`) move a prediction by ``exp(g (t - t_ref))``; the error of
the fitted gain ``g`` grows with the distance of the run's date from ``t_ref`` (the variance of a regression
line away from its mean, ``sd(g)^2 (t - t_ref)^2``). It is added in quadrature at the same normal quantile, so
a run dated a year from the dates a short trend was fitted on (MoE: four months of development rows; the
family trends are pooled across families first, :func:`stargate.perf.vintage.pool_trends`) carries that trend's
uncertainty, and one at the trend's dates does not.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import numpy as np

LEVEL = 0.8
Z_TWO_SIDED_80 = 1.2816      # standard normal quantile at 0.9: two-sided 80 %
MIN_CLASS_SCORES = 4         # ceil((n + 1) 0.8) <= n needs n >= 4
TIME_METRICS = ("step_time_s", "gpu_hours", "train_days")


@dataclass(frozen=True)
class IntervalTable:
    """Conformal log half-widths by class (``"moe/fitted/published"``) and the source-shift term."""

    half_width_log: dict[str, float]
    scores: dict[str, int]
    source_spread_log: float
    level: float = LEVEL

    def class_half_width(self, arch: str, fitted: bool, published: bool) -> float:
        """The class's conformal log half-width, falling back to its parent class when too small."""
        fit = "fitted" if fitted else "unfitted"
        for key in (f"{arch}/{fit}/{'published' if published else 'assumed'}", f"all/{fit}/"
                    f"{'published' if published else 'assumed'}", f"all/{fit}/all", "all/all/all"):
            if key in self.half_width_log:
                return self.half_width_log[key]
        raise KeyError(f"no interval class for {arch}/{fit}")


def interval_class(arch: str, fitted: bool, published: bool) -> str:
    return f"{arch}/{'fitted' if fitted else 'unfitted'}/{'published' if published else 'assumed'}"


def conformal_quantile(scores: Iterable[float], level: float = LEVEL) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) level)``-th smallest score (inf if n too small)."""
    arr = np.sort(np.abs(np.asarray(list(scores), dtype=float)))
    k = math.ceil((len(arr) + 1) * level)
    return float(arr[k - 1]) if 1 <= k <= len(arr) else math.inf


def throughput_log_error(metric: str, predicted: float, published: float) -> float:
    """log(predicted / published) in the throughput direction (time-like metrics inverted)."""
    ratio = math.log(predicted / published)
    return -ratio if metric in TIME_METRICS else ratio


def table_from_scores(rows: list[tuple[str, bool, bool, str, float, str]], level: float = LEVEL) -> IntervalTable:
    """Half-widths from scored rows ``(arch, fitted, published, source, log_error, family)``.

    Classes: each full class, its all-architecture and all-layout parents, and the pooled set."""
    groups: dict[str, list[float]] = {}
    for arch, fitted, published, _, err, _ in rows:
        fit = "fitted" if fitted else "unfitted"
        lay = "published" if published else "assumed"
        for key in (f"{arch}/{fit}/{lay}", f"all/{fit}/{lay}", f"all/{fit}/all", "all/all/all"):
            groups.setdefault(key, []).append(err)
    half = {k: conformal_quantile(v, level) for k, v in groups.items() if len(v) >= MIN_CLASS_SCORES}
    return IntervalTable(half, {k: len(v) for k, v in groups.items()}, held_out_source_spread(rows), level)


def held_out_source_spread(rows: list[tuple[str, bool, bool, str, float, str]]) -> float:
    """Row-weighted RMS of the sources' held-out mean log errors ``m N / (N - n)`` within their family."""
    by_family: dict[str, dict[str, list[float]]] = {}
    for _, fitted, _, source, err, family in rows:
        if fitted:
            by_family.setdefault(family, {}).setdefault(source, []).append(err)
    squares, weights = [], []
    for sources in by_family.values():
        total = sum(len(v) for v in sources.values())
        for errors in sources.values():
            if total > len(errors):
                offset = float(np.mean(errors)) * total / (total - len(errors))
                squares.append(len(errors) * offset**2)
                weights.append(len(errors))
    return math.sqrt(sum(squares) / sum(weights)) if weights else 0.0


def score_rows(frame, calibration=None) -> list[tuple[str, bool, bool, str, float, str]]:
    """Scores of a validation table: in-sample for fitted families, leave-one-family-out for unfitted.

    Never call this on the out-of-sample set to build the shipped table: it is the calibration set."""
    from stargate.perf.calibration import REFERENCE_FAMILY, FamilyParams, load_calibration
    from stargate.perf.validation import PreparedRow, default_goodput, evaluate_row, prepare_row

    calibration = calibration or load_calibration()
    goodput = default_goodput()
    prepared = [p for p in (prepare_row(row) for _, row in frame.iterrows()) if isinstance(p, PreparedRow)]
    out = []
    for row in prepared:
        family = row.accelerator.family
        fitted = family in calibration.families
        published = layout_published(row.fixed)
        arch = "moe" if row.spec.is_moe else "dense"
        source = str(row.base["source"])
        result = evaluate_row(row, calibration, goodput)
        if result.predicted:
            out.append((arch, fitted, published, source,
                        throughput_log_error(result.metric, result.predicted, result.published), family))
        if not fitted:
            continue
        # the same row as if its family had no fit: the reference (or, for the reference, ampere) by MAMF
        ref_name = REFERENCE_FAMILY if family != REFERENCE_FAMILY else "ampere"
        ref = calibration.families.get(ref_name)
        if ref is None:
            continue
        ratio = calibration.mamf_fraction[family] / calibration.mamf_fraction[ref_name]
        held = replace(calibration, families={**calibration.families, family: FamilyParams(
            ref.matmul_eff * ratio, ref.lowp_eff, ref.net_eff, fitted=False)},
            vintage={k: v for k, v in calibration.vintage.items() if k != family})   # the reference's trend
        result = evaluate_row(row, held, goodput)
        if result.predicted:
            out.append((arch, False, published, source,
                        throughput_log_error(result.metric, result.predicted, result.published), family))
    return out


def layout_published(fixed: dict[str, int]) -> bool:
    """A row's layout counts as published when it pins its tensor- or data-parallel degree."""
    return "tp" in fixed or "dp" in fixed


@lru_cache(maxsize=1)
def load_intervals() -> IntervalTable:
    """The shipped interval table (``[intervals]`` of ``catalog/calibration.toml``)."""
    text = resources.files("stargate.catalog").joinpath("calibration.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)["intervals"]
    return IntervalTable({k: float(v) for k, v in data["half_width_log"].items()},
                         {k: int(v) for k, v in data["scores"].items()}, float(data["source_spread_log"]),
                         float(data["level"]))


def mfu_interval(arch: str = "dense", family_fitted: bool = True, layout_published: bool = True,
                 layout_spread: float = 1.0, table: IntervalTable | None = None,
                 trend_sd_log: float = 0.0) -> tuple[float, float]:
    """80 % interval of a predicted MFU (or any throughput) as factors ``(low, high)`` multiplying it.

    Parameters
    ----------
    arch : str               "dense" or "moe".
    family_fitted : bool     Whether the accelerator's family has its own fit (``Calibration.families``).
    layout_published : bool  Whether the layout is the run's (True) or assumed (False).
    layout_spread : float    Fastest-layout throughput / assumed-layout throughput (>= 1): the high
                             factor is widened by it (the fastest layout is the optimistic bound). [-]
    table : IntervalTable    Conformal half-widths (default: the shipped table).
    trend_sd_log : float     Standard error of the software trends' log factor at the run's date
                             (:func:`stargate.perf.vintage.trend_sd_log`), added in quadrature at the normal
                             80 % quantile as the source shift is. [-]

    Returns
    -------
    (low, high)   P10 and P90 of published / predicted throughput; divide a step time, a training time
                  or GPU-hours by them in reverse order (``days / high``, ``days / low``). [-]
    """
    table = table or load_intervals()
    half = table.class_half_width(arch, family_fitted, layout_published)
    total = math.hypot(half, Z_TWO_SIDED_80 * table.source_spread_log, Z_TWO_SIDED_80 * trend_sd_log)
    return math.exp(-total), math.exp(total) * max(1.0, layout_spread)


def metric_interval(metric: str, predicted: float, factors: tuple[float, float]) -> tuple[float, float]:
    """The interval in the row's own metric: throughput-like scaled, time-like divided."""
    low, high = factors
    if metric in TIME_METRICS:
        return predicted / high, predicted / low
    return predicted * low, predicted * high


def intervals_toml(table: IntervalTable) -> str:
    """The ``[intervals]`` section of calibration.toml for ``table``."""
    lines = ["[intervals]", f"level = {table.level}",
             f"source_spread_log = {table.source_spread_log:.4f}  # RMS of the dev sources' held-out mean log errors",
             "sources = [\"split-conformal quantiles of |log error| on the development set (python -m "
             "stargate.perf.intervals); unfitted classes from leave-one-family-out predictions\"]",
             "", "[intervals.half_width_log]"]
    lines += [f'"{k}" = {v:.4f}' for k, v in sorted(table.half_width_log.items())]
    lines += ["", "[intervals.scores]"]
    lines += [f'"{k}" = {v}' for k, v in sorted(table.scores.items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the interval table fitted on the shipped development set (never the out-of-sample set)."""
    from stargate.perf.validation import dataset_path, read_rows

    print(intervals_toml(table_from_scores(score_rows(read_rows(dataset_path("dev"))))))


if __name__ == "__main__":
    main()
