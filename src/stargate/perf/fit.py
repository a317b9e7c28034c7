"""Refit the step model's efficiency parameters on a validation table (``stargate calibrate``).

Robust least squares (soft-L1 on log prediction/published ratios, scipy.optimize.least_squares) over
a few parameters per accelerator family that has measured rows and a handful of global ones; rows of
families without data do not move anything. Never per row: each parameter is shared by every row of
its family (or by all rows).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from stargate.perf.calibration import TREND_FIELDS, Calibration, Trend, load_calibration
from stargate.perf.intervals import layout_published
from stargate.perf.validation import PreparedRow, RowResult, default_goodput, evaluate_row, prepare_row
from stargate.perf.vintage import fit_moe_trend, fit_trends, lineage, pool_trends, scored_rows, trend_prior

BOUNDS = {
    "matmul_eff": (0.2, 0.98), "lowp_eff": (0.3, 1.0), "net_eff": (0.2, 1.0),
    "gemm_half_dim": (0.0, 3000.0), "elementwise_bytes_per_hidden": (20.0, 150.0),
    "layer_overhead_s": (0.0, 5e-4), "tp_comm_exposed": (0.3, 1.0),
    "dp_overlap": (0.0, 1.0), "zero3_overlap": (0.0, 1.0), "ep_comm_exposed": (0.0, 1.0), "ep_imbalance": (1.0, 2.5),
}
# the MoE imbalance stays at its documented value: the development set's MoE rows force-balance tokens;
# the softmax overlap too: the development set does not identify it (its soft-L1 cost varies by 1 % over 0-1)
GLOBAL_FIT = ("gemm_half_dim", "elementwise_bytes_per_hidden", "layer_overhead_s", "tp_comm_exposed", "dp_overlap",
              "zero3_overlap", "ep_comm_exposed")


def _free_parameters(rows: list[PreparedRow], calibration: Calibration) -> list[str]:
    families = sorted({r.accelerator.family for r in rows} & set(calibration.families))
    names = [f"{fam}.matmul_eff" for fam in families]
    names += [f"{fam}.lowp_eff" for fam in families
              if any(r.accelerator.family == fam and r.precision in ("fp8", "fp4") for r in rows)]
    return names + list(GLOBAL_FIT)


def _current(calibration: Calibration, name: str) -> float:
    if "." in name:
        fam, field = name.split(".")
        return getattr(calibration.families[fam], field)
    return getattr(calibration, name)


VINTAGE_GAIN_BOUNDS = (0.0, 0.3)  # software gain per year of the family's matmul efficiency [1/year]


def _vintage_families(rows: list[PreparedRow]) -> list[str]:
    """Fitted families with a software lineage measured at two dates or more (the gain is identifiable)."""
    dates: dict[tuple[str, str], set[float]] = {}
    for r in rows:
        if r.date is not None and layout_published(r.fixed):
            dates.setdefault((r.accelerator.family, lineage(str(r.base["source"]))), set()).add(round(r.date, 3))
    return sorted({fam for (fam, _), d in dates.items() if len(d) >= 2})


def fit(frame: pd.DataFrame, start: Calibration | None = None, max_nfev: int = 400) -> tuple[Calibration, float]:
    """Fit the calibration on ``frame``; returns it and the median |error| % it reaches.

    The software-vintage gains (``Calibration.vintage``) of families with a lineage measured at two dates
    are fitted jointly with the efficiencies; the MoE path's trend (``Calibration.moe_vintage``) is then
    estimated from the fitted model's MoE rows against the dense rows of their family
    (:func:`stargate.perf.vintage.fit_moe_trend`)."""
    start = start or load_calibration()
    trends = dict(start.vintage)
    prepared = [p for p in (prepare_row(row) for _, row in frame.iterrows()) if isinstance(p, PreparedRow)]
    names = _free_parameters(prepared, start)
    vintage = [f for f in _vintage_families(prepared) if f in start.families]
    for fam in vintage:
        if fam not in trends:
            dates = [r.date for r in prepared if r.accelerator.family == fam and r.date is not None]
            trends[fam] = Trend(0.0, float(np.mean(dates)), float(np.max(dates)))
    goodput = default_goodput()
    n_cal = len(names)
    names = names + [f"vintage.{fam}" for fam in vintage]
    lower = np.array([BOUNDS[n.split(".")[-1]][0] if not n.startswith("vintage.") else VINTAGE_GAIN_BOUNDS[0]
                      for n in names])
    # a family's training matmuls cannot beat its best measured matmul (MAMF): a physical upper bound
    upper = np.array([start.mamf_fraction[n.split(".")[0]] if n.endswith(".matmul_eff")
                      else VINTAGE_GAIN_BOUNDS[1] if n.startswith("vintage.")
                      else BOUNDS[n.split(".")[-1]][1] for n in names])
    x0 = np.clip([_current(start, n) if not n.startswith("vintage.") else trends[n.split(".")[1]].gain_per_year
                  for n in names], lower + 1e-9, upper - 1e-9)

    def split(x: np.ndarray) -> Calibration:
        cal = start.with_values(dict(zip(names[:n_cal], x[:n_cal], strict=True)))
        fitted = dict(trends)
        for fam, gain in zip(vintage, x[n_cal:], strict=True):
            fitted[fam] = replace(trends[fam], gain_per_year=float(gain))
        return replace(cal, vintage=fitted)

    def residuals_of(cal: Calibration) -> np.ndarray:
        out = []
        for row in prepared:
            result = evaluate_row(row, cal, goodput)
            out.append(math.log(result.predicted / result.published) if result.predicted else 1.0)
        return np.array(out)

    def residuals(x: np.ndarray) -> np.ndarray:
        return residuals_of(split(x))

    solution = least_squares(residuals, x0, bounds=(lower, upper), loss="soft_l1", f_scale=0.1,
                             diff_step=0.02, max_nfev=max_nfev)
    best = split(solution.x)
    # the gains' standard errors: from the two-stage estimate (stargate.perf.vintage.fit_trends on the fitted
    # efficiencies without a trend), whose slopes the joint fit refines but whose spread it shares
    two_stage = fit_trends([r[:4] for r in scored_rows(prepared, replace(best, vintage={}, moe_vintage=None),
                                                        goodput)])
    best = replace(best, vintage={fam: replace(t, gain_sd_per_year=two_stage[fam].gain_sd_per_year)
                                  if fam in two_stage else t for fam, t in best.vintage.items()})
    # a family that its own rows barely identify (Blackwell: four months) borrows the families' distribution
    best = replace(best, vintage=pool_trends(best.vintage, trend_prior(two_stage)))
    if any(r.spec.is_moe for r in prepared):  # the MoE path's trend: two-stage, on the fitted families
        best = replace(best, moe_vintage=fit_moe_trend(scored_rows(prepared, replace(best, moe_vintage=None),
                                                                   goodput)))
    median = float(np.median(np.abs(np.expm1(residuals_of(best))))) * 100
    return best, median


def calibration_toml(calibration: Calibration, template: str) -> str:
    """The calibration file text with fitted values substituted into ``template`` (comments kept)."""
    lines, section = [], None
    for line in template.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]")
        key = stripped.split("=")[0].strip() if "=" in stripped and not stripped.startswith("#") else None
        value = None
        if section == "global" and key in GLOBAL_FIT:
            value = getattr(calibration, key)
        elif section == "vintage_moe" and key in TREND_FIELDS:
            value = None if calibration.moe_vintage is None else getattr(calibration.moe_vintage, key)
        elif section and section.startswith("vintage.") and key in ("gain_per_year", "gain_sd_per_year"):
            trend = calibration.vintage.get(section.split(".", 1)[1])
            value = None if trend is None else getattr(trend, key)
        elif section and section.startswith("family.") and key in ("matmul_eff", "lowp_eff", "net_eff"):
            fam = section.split(".", 1)[1]
            if fam in calibration.families:
                value = getattr(calibration.families[fam], key)
        if value is not None:
            comment = line[line.index("#"):] if "#" in line else ""
            text = f"{value:.3f}" if key in ("ref_year", "latest_year") else f"{value:.4g}"
            line = f"{key} = {text}" + (f"  {comment}" if comment else "")
        lines.append(line)
    return "\n".join(lines) + "\n"


def summary_line(results: list[RowResult]) -> str:
    errors = np.abs([r.error_pct for r in results if r.error_pct is not None])
    return f"median {np.median(errors):.1f} % p90 {np.percentile(errors, 90):.1f} % over {len(errors)} rows"


__all__ = ["Path", "calibration_toml", "fit", "summary_line"]
