"""Software vintage: a per-family trend over the software date, fitted within one software lineage."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.perf.calibration import Trend
from stargate.perf.vintage import fit_trends, lineage, software_factor


def test_within_lineage_slope_ignores_a_change_of_framework():
    # lineage A gets 10 %/year faster (errors fall by 0.1 a year); lineage B, measured later, is 30 % slower
    # throughout: a pooled slope would read B's offset as a loss, the fixed-effects slope does not
    rows = [("hopper", 2023.0, 0.05, "a"), ("hopper", 2024.0, -0.05, "a"),
            ("hopper", 2025.0, 0.30, "b"), ("hopper", 2026.0, 0.30, "b")]
    trend = fit_trends(rows)["hopper"]
    assert trend.gain_per_year == pytest.approx(0.05)   # 0.1 over A's year, 0 over B's, pooled by variance
    assert trend.ref_year == pytest.approx(2024.5) and trend.latest_year == 2026.0
    # one date per lineage: not identifiable, no gain; a slope of getting slower is clipped to 0
    assert fit_trends([("ampere", 2021.0, 0.0, "a"), ("ampere", 2023.0, 0.5, "b")])["ampere"].gain_per_year == 0
    assert fit_trends([("tpu", 2021.0, -0.1, "a"), ("tpu", 2022.0, 0.1, "a")])["tpu"].gain_per_year == 0


def test_software_factor_is_flat_after_the_latest_row():
    trends = {"hopper": Trend(0.1, 2024.0, 2025.0)}
    assert software_factor("hopper", 2023.0, trends) == pytest.approx(math.exp(-0.1))
    assert software_factor("hopper", 2030.0, trends) == pytest.approx(math.exp(0.1))
    assert software_factor("hopper", None, trends) == pytest.approx(math.exp(0.1))  # today: held at 2025
    assert software_factor("rubin", 2030.0, trends) == 1.0


def test_lineages():
    assert lineage("NVIDIA-NeMo/Megatron-Bridge docs/performance-summary.md") == "nvidia-megatron"
    assert lineage("Narayanan et al. 2021 (Megatron-LM SC'21)") == "nvidia-megatron"
    assert lineage("llm-foundry MPT benchmarks") == "mosaicml"


def test_a_family_without_a_fit_follows_the_reference_familys_trend():
    # an unfitted family's efficiency is the reference (hopper) fit scaled by its MAMF, i.e. hopper's at hopper's
    # dates: it moves with hopper's software trend; a fitted family keeps its own trend, or none
    from dataclasses import replace

    from stargate.perf.calibration import FamilyParams, load_calibration

    cal = load_calibration()
    trends = cal.trends()
    assert trends["cdna3"] == trends["volta"] == trends["hopper"] == cal.vintage["hopper"]
    assert trends["blackwell"] == cal.vintage["blackwell"] and "tpu" not in trends   # fitted, no trend of its own
    v100_2019 = software_factor("volta", 2019.7, trends)
    hopper = cal.vintage["hopper"]
    assert v100_2019 == pytest.approx(math.exp(hopper.gain_per_year * (2019.7 - hopper.ref_year)))
    assert v100_2019 < 0.9
    # a family held out of the fit (the intervals' leave-one-family-out scores) borrows it too
    held = replace(cal, families={**cal.families, "ampere": FamilyParams(0.7, 1.0, 0.8, fitted=False)},
                   vintage={k: v for k, v in cal.vintage.items() if k != "ampere"})
    assert held.trends()["ampere"] == cal.vintage["hopper"]


def test_moe_trend_is_the_slope_of_moe_errors_relative_to_their_familys_dense_rows():
    from stargate.perf.vintage import fit_moe_trend

    # hopper's dense rows sit at +0.1 and blackwell's at -0.1 (family offsets); hopper's MoE row (2026.0) is
    # 0.1 slower than hopper's dense rows, blackwell's (2026.5) 0.05 faster than blackwell's: relative errors
    # fall by 0.15 over half a year, a gain of 0.3 a year. The family offsets cancel, so a pooled slope of the
    # raw MoE errors (-0.7 a year) is not what is fitted.
    rows = [("hopper", 2025.0, 0.1, "a", False), ("hopper", 2026.5, 0.1, "a", False),
            ("hopper", 2026.0, 0.2, "a", True),
            ("blackwell", 2026.5, -0.1, "a", False), ("blackwell", 2026.5, -0.15, "a", True),
            ("tpu", 2020.0, 0.9, "b", True)]          # no dense row of its family and lineage: not used
    trend = fit_moe_trend(rows)
    assert trend.gain_per_year == pytest.approx(0.3)
    assert trend.ref_year == pytest.approx(2026.25) and trend.latest_year == 2026.5
    assert fit_moe_trend([r for r in rows if not r[4]]) is None   # no MoE rows: no trend
    # getting slower is clipped to 0
    assert fit_moe_trend([("hopper", 2026.0, 0.0, "a", False), ("hopper", 2026.0, -0.1, "a", True),
                          ("hopper", 2027.0, 0.2, "a", True)]).gain_per_year == 0


def test_the_moe_trend_multiplies_the_family_trend_for_moe_models_only():
    from dataclasses import replace

    from stargate.catalog import accelerator
    from stargate.perf.calibration import load_calibration
    from stargate.perf.hardware import Hardware
    from stargate.perf.vintage import apply_vintage, trend_factor

    cal = load_calibration()
    moe = cal.moe_vintage
    assert moe is not None and 0.1 < moe.gain_per_year < 0.5   # fitted on the dev set's MoE rows
    hw = Hardware.from_catalog(accelerator("h100-sxm"), cal)
    when = 2025.0
    dense = apply_vintage(hw, when, 1.0, cal.trends())
    routed = apply_vintage(hw, when, 1.0, cal.trends(), moe)
    factor = math.exp(moe.gain_per_year * (when - moe.ref_year))
    assert trend_factor(moe, when) == pytest.approx(factor) and factor < 0.8
    assert routed.eff.matmul_eff == pytest.approx(dense.eff.matmul_eff * factor)
    # flat after the latest MoE row; still capped at the MAMF
    assert trend_factor(moe, 2030.0) == pytest.approx(trend_factor(moe, moe.latest_year))
    capped = apply_vintage(replace(hw, eff=replace(hw.eff, matmul_eff=0.79)), 2030.0, 0.8, cal.trends(), moe)
    assert capped.eff.matmul_eff == pytest.approx(0.8)


def test_the_plan_of_an_moe_model_names_the_moe_trend():
    from stargate.catalog import accelerator
    from stargate.perf.calibration import load_calibration
    from stargate.performance import step_hardware

    moe = load_calibration().moe_vintage
    # (early 2025: Hopper's own factor stays under its MAMF cap, so the two factors simply multiply)
    hw_dense, dense = step_hardware(accelerator("h100-sxm"), "2025-01")
    hw_moe, routed = step_hardware(accelerator("h100-sxm"), "2025-01", moe=True)
    assert hw_dense.eff.matmul_eff < load_calibration().mamf_fraction["hopper"]
    assert "MoE software" not in dense.trend and f"MoE software +{100 * moe.gain_per_year:.1f} %/yr" in routed.trend
    assert routed.factor == pytest.approx(dense.factor * math.exp(moe.gain_per_year * (2025 + 0.5 / 12 - moe.ref_year)))
    assert hw_moe.eff.matmul_eff < hw_dense.eff.matmul_eff


def test_gain_standard_error_is_the_fixed_effects_slope_error():
    # one lineage, dates 0, 1, 2 and errors 0, -0.1, -0.3: slope -0.15 (gain 0.15); residuals -1/60, 1/30,
    # -1/60 leave RSS 1/600 over 3 - 1 - 1 = 1 degree of freedom, over sum(dt^2) = 2: sd sqrt(1/1200)
    trend = fit_trends([("hopper", 0.0, 0.0, "a"), ("hopper", 1.0, -0.1, "a"), ("hopper", 2.0, -0.3, "a")])["hopper"]
    assert trend.gain_per_year == pytest.approx(0.15)
    assert trend.gain_sd_per_year == pytest.approx(math.sqrt(1 / 1200))
    # two points on a line leave no degree of freedom: not estimable, reported as 0
    assert fit_trends([("tpu", 2021.0, 0.1, "a"), ("tpu", 2022.0, -0.1, "a")])["tpu"].gain_sd_per_year == 0


def test_trend_error_grows_with_the_distance_from_the_reference_date_and_is_flat_after_the_latest():
    from stargate.perf.calibration import load_calibration
    from stargate.perf.vintage import trend_sd_log

    trend = Trend(0.1, 2024.0, 2025.0, 0.2)
    assert trend.sd_log(2024.0) == 0 and trend.sd_log(2022.0) == pytest.approx(0.4)
    assert trend.sd_log(2030.0) == pytest.approx(trend.sd_log(2025.0)) == pytest.approx(0.2)
    cal = load_calibration()
    blackwell, moe = cal.vintage["blackwell"], cal.moe_vintage
    assert blackwell.gain_sd_per_year > 0 and moe.gain_sd_per_year > 0
    # an MoE run adds the MoE trend's error to its family's in quadrature; a dense run has the family's only
    at = 2025.5
    assert trend_sd_log(cal, "blackwell", False, at) == pytest.approx(blackwell.sd_log(at))
    assert trend_sd_log(cal, "blackwell", True, at) == pytest.approx(math.hypot(blackwell.sd_log(at), moe.sd_log(at)))
    # further from the fitted dates, wider; a family without a trend of its own borrows the reference's
    assert trend_sd_log(cal, "blackwell", True, 2025.0) > trend_sd_log(cal, "blackwell", True, 2026.0)
    assert trend_sd_log(cal, "cdna3", False, 2020.0) == pytest.approx(cal.vintage["hopper"].sd_log(2020.0))
    assert trend_sd_log(cal, "tpu", False, 2020.0) == 0   # fitted, no trend: nothing to add


def test_random_effects_prior_is_dersimonian_laird():
    from stargate.perf.vintage import trend_prior

    # gains 0.10 and 0.00, each +- 0.01: w = 10,000 each, fixed mean 0.05, Q = 2 x 10,000 x 0.05^2 = 50,
    # C = 20,000 - 2e8 / 20,000 = 10,000, tau^2 = (50 - 1) / 10,000 = 0.0049; random-effects weights
    # 1 / (0.0001 + 0.0049) = 200 each: mean 0.05 with error 1 / sqrt(400); prior sd sqrt(0.0049 + 0.0025)
    prior = trend_prior({"a": Trend(0.10, 2020.0, 2021.0, 0.01), "b": Trend(0.0, 2022.0, 2023.0, 0.01)})
    assert prior.mean == pytest.approx(0.05) and prior.sd == pytest.approx(math.sqrt(0.0074))
    # agreeing families: no spread between them (tau^2 = 0), the prior is the inverse-variance mean
    prior = trend_prior({"a": Trend(0.05, 2020.0, 2021.0, 0.01), "b": Trend(0.05, 2022.0, 2023.0, 0.02)})
    assert prior.mean == pytest.approx(0.05) and prior.sd == pytest.approx(1 / math.sqrt(10_000 + 2_500))
    # a family whose error is not estimable takes no part; one family alone gives no prior
    assert trend_prior({"a": Trend(0.05, 2020.0, 2021.0, 0.01), "b": Trend(0.3, 2022.0, 2023.0, 0.0)}) is None


@given(gain=st.floats(0.0, 0.3), sd=st.floats(1e-3, 1.0), mean=st.floats(0.0, 0.3), prior_sd=st.floats(1e-3, 1.0))
@settings(max_examples=200, deadline=None)
def test_pooled_gain_lies_between_its_own_and_the_prior_and_is_surer_than_both(gain, sd, mean, prior_sd):
    from stargate.perf.vintage import TrendPrior, pool_trends

    own = Trend(gain, 2025.0, 2026.0, sd)
    pooled = pool_trends({"f": own}, TrendPrior(mean, prior_sd))["f"]
    assert min(gain, mean) - 1e-12 <= pooled.gain_per_year <= max(gain, mean) + 1e-12
    assert pooled.gain_sd_per_year <= min(sd, prior_sd) + 1e-12
    assert (pooled.ref_year, pooled.latest_year) == (own.ref_year, own.latest_year)


def test_a_family_with_four_months_of_rows_borrows_the_other_families_trend():
    from stargate.perf.calibration import load_calibration
    from stargate.perf.vintage import TrendPrior, pool_trends, trend_sd_log

    # Blackwell's own two-stage slope, +28 %/yr +- 34 %/yr (dev rows 2026-04..08), pooled with a prior of
    # 5.4 +- 6.2 %/yr lands on the prior; Ampere's +7.4 +- 1.5 %/yr (two years of rows) barely moves
    prior = TrendPrior(0.0536, 0.0618)
    pooled = pool_trends({"blackwell": Trend(0.279, 2026.514, 2026.625, 0.3395),
                          "ampere": Trend(0.0743, 2022.025, 2023.458, 0.0147)}, prior)
    assert pooled["blackwell"].gain_per_year == pytest.approx(0.0609, abs=1e-3)
    assert pooled["blackwell"].gain_sd_per_year == pytest.approx(0.0608, abs=1e-3)
    assert pooled["ampere"].gain_per_year == pytest.approx(0.0732, abs=1e-3)
    # the shipped calibration: a Blackwell run of early 2025 carries under 10 % of trend error, not 47 %
    cal = load_calibration()
    assert trend_sd_log(cal, "blackwell", False, 2025.1) < 0.1
    assert cal.vintage["blackwell"].gain_per_year > 0
