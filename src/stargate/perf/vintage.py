"""Software vintage: the same layout on the same chips gets faster release by release.

Each accelerator family's achieved matmul efficiency follows a log-linear trend in the software date,
``matmul_eff(t) = matmul_eff x exp(g (t - t_ref))`` with ``t_ref`` the mean date of the family's
development rows, capped at the family's measured matmul ceiling (MAMF) and held flat after the family's
latest development row (no extrapolation). ``g`` [1/year] is fitted per family on the development rows
with a published layout: the slope of their log errors against their ``date`` *within one software
lineage* (NVIDIA Megatron-LM/NeMo/Megatron-Bridge, MosaicML llm-foundry, torchtitan, MaxText, ...), so that
a change of framework between dates is not read as a software gain (dates and errors are demeaned per
family and lineage, a fixed-effects slope). Software does not get slower: a negative gain is 0; a family
with no lineage measured at two dates gets 0.

A family without runs of its own (its efficiency is the reference family's fit scaled by its MAMF) follows
the reference family's trend, so that its efficiency is the reference's at the same software date.

MoE models have a software trend of their own on top of their family's (:func:`fit_moe_trend`): grouped
expert GEMMs, token dispatch and its overlap matured years after dense training did, so the same MoE layout
on the same chips gained faster than a dense one. It is the slope over ``date`` of the MoE rows' errors
*relative to the dense rows of their own family and lineage* (the family's offset and trend cancel), with
the same fixed-effects demeaning per lineage, reference date (the MoE rows' mean) and flat extrapolation
after the latest MoE row.

Selective activation recomputation did not exist before May 2022 (:func:`apply_era`; Korthikanti et al.,
"Reducing Activation Recomputation in Large Transformer Models", arXiv:2205.05198): frameworks checkpointed
whole layers or nothing (Megatron-LM ``--activations-checkpoint-method uniform``, DeepSpeed activation
checkpointing, JAX remat). Software dated before then cannot use it, unless a run publishes that it did.

The planned run's software date defaults to today (:func:`software_factor` with ``date=None``).

Each gain carries its standard error (the fixed-effects slope's: residual variance over n - lineages - 1
degrees of freedom, over the demeaned dates' sum of squares). A run dated ``t`` carries ``sd(g) |t - t_ref|``
of log error from it, which widens its prediction interval (:func:`trend_sd_log`): the MoE trend rests on
four months of development rows, so an MoE run a year earlier is uncertain by more than the development
residuals show (so would a Blackwell run be, but for the pooling below).

A family whose own rows barely identify its gain borrows strength from the others (:func:`pool_trends`):
the families' gains are taken as draws from one distribution whose mean and between-family spread are
estimated by random-effects meta-analysis (DerSimonian & Laird 1986, "Meta-analysis in clinical trials",
Controlled Clinical Trials 7:177-188), and each family's gain is the precision-weighted combination of its
own estimate and that distribution (the empirical-Bayes posterior, Efron & Morris 1975, JASA 70:311-319).
A family with years of rows (Ampere, Hopper) keeps its own gain; one with four months of rows (Blackwell:
+28 %/yr +- 34 %/yr on its own) gets about the families' mean with the families' spread, not a slope error
that would, extrapolated over a year, dwarf every other term of its prediction interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from stargate.perf.calibration import Trend
from stargate.perf.precision import decimal_year, today_year


def load_trends() -> dict[str, Trend]:
    """The shipped trends (``[vintage.<family>]`` of ``catalog/calibration.toml``; families without a fit
    follow the reference family's, :meth:`stargate.perf.calibration.Calibration.trends`)."""
    from stargate.perf.calibration import load_calibration

    return load_calibration().trends()


def software_factor(family: str, date: float | None = None, trends: dict[str, Trend] | None = None) -> float:
    """Matmul-efficiency multiplier of ``family``'s software at ``date`` (decimal year; None = today)."""
    return trend_factor((trends if trends is not None else load_trends()).get(family), date)


def trend_factor(trend: Trend | None, date: float | None = None) -> float:
    """``exp(g (t - t_ref))`` of ``trend`` at ``date`` (decimal year; None = today), flat after its latest date."""
    if trend is None:
        return 1.0
    when = min(today_year() if date is None else date, trend.latest_year)
    return math.exp(trend.gain_per_year * (when - trend.ref_year))


ERA_YEAR = decimal_year("2022-05") - 1 / 24   # the start of May 2022 (arXiv:2205.05198), as a decimal year


def apply_era(hw, date: float | None, recompute_published: bool = False):
    """``hw`` with the software features of ``date`` (decimal year; None = today): before May 2022 no
    selective recomputation (unless the run publishes its own)."""
    if date is None or date >= ERA_YEAR or recompute_published:
        return hw
    return replace(hw, selective_recompute=False)


def apply_vintage(hw, date: float | None, mamf_fraction: float | None, trends: dict[str, Trend] | None = None,
                  moe_trend: Trend | None = None):
    """``hw`` with its matmul efficiency moved to the software of ``date`` (capped at the MAMF); an MoE
    model passes ``moe_trend`` (``Calibration.moe_vintage``), which multiplies the family's factor."""
    factor = software_factor(hw.family, date, trends) * trend_factor(moe_trend, date)
    if factor == 1.0:
        return hw
    eff = hw.eff.matmul_eff * factor
    if mamf_fraction is not None:
        eff = min(eff, mamf_fraction)
    return replace(hw, eff=replace(hw.eff, matmul_eff=eff))


LINEAGES = {"nvidia-megatron": ("megatron", "nemo", "narayanan", "korthikanti"),
            "mosaicml": ("llm-foundry", "mosaic"), "torchtitan": ("torchtitan",), "maxtext": ("maxtext", "tpu-recipes")}


def lineage(source: str) -> str:
    """The software lineage a source's measurement ran on (its framework family), else the source itself."""
    text = source.lower()
    for name, keys in LINEAGES.items():
        if any(k in text for k in keys):
            return name
    return text


def fit_trends(rows: list[tuple[str, float, float, str]]) -> dict[str, Trend]:
    """Trends from ``(family, date, log_error, lineage)`` of published-layout development rows.

    ``log_error = log(predicted / published)`` in the throughput direction, predicted without a trend:
    a software gain g makes newer rows faster than the model, a slope of -g in the errors."""
    by_family: dict[str, list[tuple[float, float, str]]] = {}
    for family, date, err, line in rows:
        by_family.setdefault(family, []).append((date, err, line))
    out = {}
    for family, points in sorted(by_family.items()):
        dates = np.array([d for d, _, _ in points])
        errors = np.array([e for _, e, _ in points])
        lines = np.array([ln for _, _, ln in points])
        dt, de = dates.copy(), errors.copy()
        for line in set(lines):
            sel = lines == line
            dt[sel] -= dates[sel].mean()
            de[sel] -= errors[sel].mean()
        spread = float((dt**2).sum())
        slope = float((dt * de).sum()) / spread if spread > 1e-9 else 0.0
        # standard error of the fixed-effects slope: residual variance over (n - lineages - 1) degrees of
        # freedom, divided by the demeaned dates' sum of squares; not estimable without a spare degree
        dof = len(points) - len(set(lines)) - 1
        sd = math.sqrt(float(((de - slope * dt) ** 2).sum()) / dof / spread) if dof > 0 and spread > 1e-9 else 0.0
        out[family] = Trend(max(0.0, -slope), float(dates.mean()), float(dates.max()), sd)
    return out


@dataclass(frozen=True)
class TrendPrior:
    """Distribution of the families' software gains (random effects, DerSimonian & Laird 1986)."""

    mean: float   # mean gain over families [1/year]
    sd: float     # a family's gain before its own rows: between-family spread and the mean's error [1/year]


def trend_prior(estimates: dict[str, Trend]) -> TrendPrior | None:
    """The random-effects distribution of the families' gains from their estimates and standard errors
    (families whose error is not estimable, sd 0, are left out); None with fewer than two families.

    DerSimonian-Laird: ``Q = sum w_i (g_i - g_w)^2`` with ``w_i = 1 / s_i^2`` and ``g_w`` the fixed-effect mean;
    between-family variance ``tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))``; mean with weights
    ``1 / (s_i^2 + tau^2)``, whose error ``se`` adds to ``tau`` in quadrature for a family's prior."""
    points = [(t.gain_per_year, t.gain_sd_per_year) for t in estimates.values() if t.gain_sd_per_year > 0]
    if len(points) < 2:
        return None
    gains = np.array([g for g, _ in points])
    variances = np.array([s * s for _, s in points])
    w = 1.0 / variances
    fixed = float((w * gains).sum() / w.sum())
    q = float((w * (gains - fixed) ** 2).sum())
    tau2 = max(0.0, (q - (len(points) - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    w_random = 1.0 / (variances + tau2)
    mean = float((w_random * gains).sum() / w_random.sum())
    return TrendPrior(mean, math.sqrt(tau2 + 1.0 / float(w_random.sum())))


def pool_trends(trends: dict[str, Trend], prior: TrendPrior | None) -> dict[str, Trend]:
    """Each family's trend with its gain and standard error combined with ``prior`` by precision
    (:func:`trend_prior`): ``g = (g_f / s_f^2 + m / s_m^2) / (1 / s_f^2 + 1 / s_m^2)``, ``s = (1 / s_f^2 +
    1 / s_m^2)^-1/2``; a family without an estimable error, or no prior, is returned unchanged. Gains stay >= 0."""
    if prior is None or prior.sd <= 0:
        return dict(trends)
    out = {}
    for family, t in trends.items():
        if t.gain_sd_per_year <= 0:
            out[family] = t
            continue
        own, pooled = 1.0 / t.gain_sd_per_year**2, 1.0 / prior.sd**2
        gain = (t.gain_per_year * own + prior.mean * pooled) / (own + pooled)
        out[family] = replace(t, gain_per_year=max(0.0, gain), gain_sd_per_year=1.0 / math.sqrt(own + pooled))
    return out


def trend_sd_log(calibration, family: str, is_moe: bool, date: float | None) -> float:
    """Standard error of the log software factor of a ``family`` run at ``date`` (decimal year; None =
    today): its family's trend (a family without a fit follows the reference's), and for an MoE model also
    the MoE trend, in quadrature. It widens the prediction interval
    (:func:`stargate.perf.intervals.mfu_interval`) of runs far from the dates the trends were fitted at. [-]"""
    when = today_year() if date is None else date
    parts = [t.sd_log(when) for t in (calibration.trends().get(family), calibration.moe_vintage if is_moe else None)
             if t is not None]
    return math.hypot(*parts) if parts else 0.0


def fit_moe_trend(rows: list[tuple[str, float, float, str, bool]]) -> Trend | None:
    """The MoE trend from ``(family, date, log_error, lineage, is_moe)`` of published-layout development rows
    (predicted with their family's trend and without an MoE trend); None without MoE rows to fit.

    Each MoE row's error is taken relative to the mean error of the dense rows of its family and lineage (an
    MoE row without such dense rows is not used); the slope of these over the date, demeaned per lineage, is
    ``-g``. No gain without two dates in one lineage; a slope of getting slower is clipped to 0."""
    dense: dict[tuple[str, str], list[float]] = {}
    for family, _, err, line, moe in rows:
        if not moe:
            dense.setdefault((family, line), []).append(err)
    points = [(date, err - float(np.mean(dense[(family, line)])), line)
              for family, date, err, line, moe in rows if moe and (family, line) in dense]
    if not points:
        return None
    dates = np.array([d for d, _, _ in points])
    trend = fit_trends([("moe", d, e, line) for d, e, line in points])["moe"]
    return Trend(trend.gain_per_year, float(dates.mean()), float(dates.max()), trend.gain_sd_per_year)


def trends_toml(trends: dict[str, Trend]) -> str:
    lines = []
    for family, t in trends.items():
        lines += [f"[vintage.{family}]", f"gain_per_year = {t.gain_per_year:.4f}",
                  f"gain_sd_per_year = {t.gain_sd_per_year:.4f}",
                  f"ref_year = {t.ref_year:.3f}", f"latest_year = {t.latest_year:.3f}", ""]
    return "\n".join(lines)


def scored_rows(prepared, calibration, goodput) -> list[tuple[str, float, float, str, bool]]:
    """``(family, date, log_error, lineage, is_moe)`` of the dated published-layout rows of ``prepared``
    (:class:`stargate.perf.validation.PreparedRow`) predicted with ``calibration``: the trends' input."""
    from stargate.perf.intervals import layout_published, throughput_log_error
    from stargate.perf.validation import evaluate_row

    out = []
    for row in prepared:
        if row.date is None or not layout_published(row.fixed):
            continue
        result = evaluate_row(row, calibration, goodput)
        if result.predicted:
            out.append((row.accelerator.family, row.date,
                        throughput_log_error(result.metric, result.predicted, result.published),
                        lineage(str(row.base["source"])), row.spec.is_moe))
    return out


def moe_trend_toml(trend: Trend | None) -> str:
    if trend is None:
        return ""
    return (f"[vintage_moe]\ngain_per_year = {trend.gain_per_year:.4f}\n"
            f"gain_sd_per_year = {trend.gain_sd_per_year:.4f}\nref_year = {trend.ref_year:.3f}\n"
            f"latest_year = {trend.latest_year:.3f}\n")


def main() -> None:
    """Print a two-stage estimate of the trends on the shipped development set (published layouts, the
    shipped efficiencies, no trend applied); the shipped family gains are fitted jointly by ``stargate
    calibrate`` (:func:`stargate.perf.fit.fit`), the MoE trend is this two-stage estimate (with the family
    trends applied) there too."""
    from stargate.perf.calibration import load_calibration
    from stargate.perf.validation import PreparedRow, dataset_path, default_goodput, prepare_row, read_rows

    cal, goodput = load_calibration(), default_goodput()
    prepared = [p for p in (prepare_row(raw) for _, raw in read_rows(dataset_path("dev")).iterrows())
                if isinstance(p, PreparedRow)]
    rows = scored_rows(prepared, replace(cal, vintage={}, moe_vintage=None), goodput)
    two_stage = fit_trends([r[:4] for r in rows])
    print(trends_toml(two_stage))
    prior = trend_prior(two_stage)
    if prior is not None:
        print(f"# random-effects prior over families: mean {prior.mean:.4f}/yr, sd {prior.sd:.4f}/yr; "
              "the two-stage slopes pooled with it (the shipped gains are the joint fit's, pooled alike):")
        print(trends_toml(pool_trends(two_stage, prior)))
    print(moe_trend_toml(fit_moe_trend(scored_rows(prepared, replace(cal, moe_vintage=None), goodput))))


if __name__ == "__main__":
    main()
