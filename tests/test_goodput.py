import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.errors import InputError
from stargate.goodput import daly_wall_fraction, training_goodput, young_interval_s


def test_llama3_snapshot_interruptions_and_effective_time():
    # Llama 3 (arXiv:2407.21783, 3.3.4): 419 unexpected interruptions in 54 days on 16,384 H100,
    # "higher than 90% effective training time"
    run = training_goodput(54 * 86400 * 0.92, 16384, 405e9)
    assert run.wall_clock_days == pytest.approx(54, rel=0.03)
    assert run.expected_interruptions == pytest.approx(419, rel=0.05)
    assert 0.9 < run.goodput < 0.95
    assert run.job_mtbf_hours == pytest.approx(24 * 54 / 419, rel=0.01)


def test_young_and_daly_hand_computed():
    assert young_interval_s(8.0, 3600.0) == pytest.approx(math.sqrt(2 * 8 * 3600))
    # Daly's wall fraction for tau = 600 s, delta = 10 s, R = 300 s, M = 3 h
    m = 3 * 3600.0
    expected = m * math.exp(300 / m) * (math.exp(610 / m) - 1) / 600
    assert float(daly_wall_fraction(600.0, 10.0, 300.0, m)) == pytest.approx(expected)


def test_a_campus_scale_job_with_ten_minute_restarts_loses_most_of_its_time():
    run = training_goodput(10 * 86400, 400_000, 405e9)
    assert run.job_mtbf_hours < 0.2 and run.goodput < 0.4


def test_no_failures_means_full_goodput():
    assert training_goodput(3600, 1000, 1e9, interruptions_per_gpu_hour=0.0).goodput == 1.0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 200_000), extra=st.integers(1, 200_000), bw=st.floats(1.0, 1e4), factor=st.floats(1.0, 100.0),
       params=st.floats(1e8, 2e12))
def test_goodput_bounded_and_monotone(n, extra, bw, factor, params):
    base = training_goodput(86400.0, n, params, storage_gbyte_s=bw)
    assert 0 < base.goodput <= 1
    assert training_goodput(86400.0, n + extra, params, storage_gbyte_s=bw).goodput <= base.goodput + 1e-12
    assert training_goodput(86400.0, n, params, storage_gbyte_s=bw * factor).goodput >= base.goodput - 1e-12


@pytest.mark.parametrize("kwargs,field", [({"n_gpus": 0}, "n_gpus"), ({"params": -1.0}, "params"),
                                          ({"ideal_seconds": float("nan")}, "ideal_seconds")])
def test_bad_input_names_the_field(kwargs, field):
    args = {"ideal_seconds": 3600.0, "n_gpus": 8, "params": 1e9, **kwargs}
    with pytest.raises(InputError, match=field):
        training_goodput(args.pop("ideal_seconds"), args.pop("n_gpus"), args.pop("params"))
