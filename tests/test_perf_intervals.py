"""80 % prediction intervals: split-conformal quantiles, classes, and the shipped table."""

import math

import pytest

from stargate.perf.intervals import (
    conformal_quantile,
    load_intervals,
    metric_interval,
    mfu_interval,
    score_rows,
    table_from_scores,
)
from stargate.perf.validation import dataset_path, read_rows, summarise, validate


def test_conformal_quantile_is_the_ceil_n_plus_one_order_statistic():
    # n = 9 scores at 80 %: the ceil(10 x 0.8) = 8th smallest; n = 3 is too few (infinite)
    assert conformal_quantile(range(1, 10)) == 8
    assert conformal_quantile([-0.3, 0.1, 0.2, 0.05, -0.4]) == pytest.approx(0.4)
    assert math.isinf(conformal_quantile([0.1, 0.2, 0.3]))


def test_interval_classes_order_by_what_is_known():
    fitted = mfu_interval("dense", True, True)
    unfitted = mfu_interval("dense", False, True)
    assumed = mfu_interval("dense", True, False)
    assert fitted[0] < 1 < fitted[1] and unfitted[1] > fitted[1] and assumed[1] > fitted[1]
    assert fitted[0] * fitted[1] == pytest.approx(1.0)  # symmetric in log
    # the spread to the fastest layout widens the fast side only
    wide = mfu_interval("dense", True, False, layout_spread=1.3)
    assert wide[0] == pytest.approx(assumed[0]) and wide[1] == pytest.approx(1.3 * assumed[1])


def test_time_metrics_invert_the_factors():
    assert metric_interval("train_days", 100.0, (0.8, 1.25)) == pytest.approx((80.0, 125.0))
    assert metric_interval("mfu", 0.4, (0.8, 1.25)) == pytest.approx((0.32, 0.5))


def test_shipped_table_is_the_dev_set_conformal_fit():
    shipped = load_intervals()
    fresh = table_from_scores(score_rows(read_rows(dataset_path("dev"))))
    assert fresh.half_width_log == pytest.approx(shipped.half_width_log, abs=2e-4)
    assert fresh.source_spread_log == pytest.approx(shipped.source_spread_log, abs=2e-4)


def test_dev_rows_carry_intervals_and_cover_at_least_the_level():
    summary = summarise(validate(read_rows(dataset_path("dev"))))
    assert summary["interval"]["coverage"] >= 0.8 and summary["interval"]["n"] == summary["predicted"]
