"""Software vintage: a per-family trend over the software date, fitted within one software lineage."""

import math

import pytest

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
