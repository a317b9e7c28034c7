"""Uncertainty bands and sensitivity of a planned run (stargate.whatif.uncertainty, .sensitivity)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stargate.errors import InputError
from stargate.scenario import default_scenario
from stargate.whatif.headline import HEADLINES, evaluate_plan, headline
from stargate.whatif.sensitivity import sensitivity, top_drivers
from stargate.whatif.uncertainty import (
    deployment_values,
    load_uncertainty,
    resolve_inputs,
    sample_inputs,
    triangular_ppf,
    uncertainty,
)


@pytest.fixture(scope="module")
def base():
    return evaluate_plan(default_scenario())


def test_triangular_inverse_cdf_hand_values():
    # on [0, 1] with mode 0.5: F(x) = 2x^2 below the mode, so x = sqrt(u / 2)
    u = np.array([0.0, 0.125, 0.5, 0.875, 1.0])
    assert np.allclose(triangular_ppf(u, 0.0, 0.5, 1.0), [0.0, 0.25, 0.5, 0.75, 1.0])
    assert np.allclose(triangular_ppf(u, 2.0, 2.0, 2.0), 2.0)  # no range: a point


@given(st.floats(0, 1), st.floats(0, 1), st.floats(-1e6, 1e6), st.floats(0, 1e6), st.floats(0, 1))
def test_triangular_inverse_cdf_is_monotone_and_bounded(u1, u2, low, width, where):
    high, mode = low + width, low + where * width
    a, b = triangular_ppf(np.array([min(u1, u2), max(u1, u2)]), low, mode, high)
    assert low - 1e-6 <= a <= b + 1e-9 and b <= high + 1e-6


def test_shipped_inputs_have_sources_and_modes_at_the_plan(base):
    spec = load_uncertainty()
    from stargate.whatif.uncertainty import plan_mfu_interval

    inputs = {u.path: u for u in resolve_inputs(base.scenario, deployment_values(base), spec, plan_mfu_interval(base))}
    assert set(inputs) == set(spec)
    assert all(u.sources for u in inputs.values())
    assert inputs["error.mfu_factor"].base == 1.0  # the step model's own prediction
    assert inputs["cluster.price_usd_per_gpu"].base == base.deployment.price_usd_per_gpu.value
    assert (inputs["cluster.price_usd_per_gpu"].low, inputs["cluster.price_usd_per_gpu"].high) == (43056, 55556)
    assert inputs["catalog.reliability.interruptions.per_gpu_hour"].base == pytest.approx(1.973e-5)
    drawn = sample_inputs(inputs.values(), 50, seed=3)
    for u in inputs.values():
        assert drawn[u.path].between(u.low, u.high).all()
    assert drawn.equals(sample_inputs(inputs.values(), 50, seed=3))


def test_bands_are_ordered_and_bracket_the_spread(base):
    bands = uncertainty(base.scenario, 24, seed=1, base=base)
    for name in HEADLINES:
        p10, p50, p90 = bands.band(name)
        if math.isfinite(p50):
            assert p10 <= p50 <= p90, name
    assert bands.band("training_days")[2] > bands.band("training_days")[0]  # the MFU error widens it
    assert bands.band("gpus") == (base.cluster.n_gpus,) * 3  # the planned run is held fixed
    assert len(bands.samples) == 24
    p10, p50, p90 = bands.band("programme_gw")  # the roadmap's build delays
    assert p10 < p50 <= p90 and p50 == pytest.approx(base.roadmap_p50["mw_online"] / 1e3)


def test_bands_shrink_to_the_plan_when_every_range_is_zero(base):
    inputs = resolve_inputs(base.scenario, deployment_values(base), load_uncertainty(), (0.8, 1.2))
    certain = {u.path: {"low": u.base, "high": u.base} for u in inputs}
    bands = uncertainty(base.scenario, 6, base=base, spec=certain)
    expected = headline(base)
    for name in HEADLINES:
        if math.isfinite(expected[name]):
            assert bands.band(name) == pytest.approx((expected[name],) * 3, rel=1e-9), name


def test_a_set_value_holds_its_input_fixed(base):
    gas = "catalog.energy.defaults.gas_usd_per_mmbtu"
    bands = uncertainty(base.scenario, 4, extras={gas: 4.0})
    assert gas not in [u.path for u in bands.inputs]
    assert gas not in bands.samples.columns


def test_tornado_training_days_move_only_with_the_mfu_error(base):
    frame = sensitivity(base.scenario, base=base, outputs=("training_days", "usd_per_gpu_hour"))
    days = top_drivers(frame, "training_days", 8)
    top = days.iloc[0]
    assert top["input"] == "error.mfu_factor"
    # failure-free days = C / (MFU x peak): inversely proportional to the MFU factor
    assert top["at_low"] == pytest.approx(top["base"] / top["low"], rel=1e-9)
    assert top["at_high"] == pytest.approx(top["base"] / top["high"], rel=1e-9)
    assert (days.iloc[1:]["swing"].abs() < 1e-9 * top["base"]).all()  # nothing else changes the failure-free time
    cost = top_drivers(frame, "usd_per_gpu_hour")
    assert set(cost["input"]) == {"cluster.price_usd_per_gpu", "catalog.costs.it.accelerator_life_yr",
                                  "catalog.costs.financing.wacc"}
    price = cost[cost["input"] == "cluster.price_usd_per_gpu"].iloc[0]
    assert price["swing"] > 0 and price["at_low"] < price["base"] < price["at_high"]
    assert frame.attrs["evaluations"] == 2 * len(load_uncertainty())


def test_morris_ranks_the_same_cost_drivers(base):
    frame = sensitivity(base.scenario, "morris", samples=4, base=base, outputs=("usd_per_gpu_hour",))
    assert top_drivers(frame, "usd_per_gpu_hour")["input"].iloc[0] == "cluster.price_usd_per_gpu"
    assert frame.attrs["evaluations"] == 4 * (len(load_uncertainty()) + 1)


@pytest.mark.parametrize(("spec", "field"), [
    ({"workload.params_b": {"low": 1, "high": 2}}, "workload.params_b"),
    ({"catalog.costs.site.nope": {"low": 1, "high": 2}}, "catalog.costs.site.nope"),
    ({"error.mfu_factor": {"quantiles": [1.2, 1.0]}}, "error.mfu_factor.quantiles"),
    ({"error.mfu_factor": {"quantiles": "wide"}}, "error.mfu_factor.quantiles"),
    ({"catalog.costs.financing.wacc": {"low": 0.05, "high": math.inf}}, "catalog.costs.financing.wacc.high"),
    ({"catalog.costs.financing.wacc": {"low": 0.05, "high": 0.1, "spread": 1}}, "inputs.catalog.costs"),
])
def test_bad_uncertainty_entries_name_the_field(base, spec, field, tmp_path):
    path = tmp_path / "u.toml"
    import tomli_w

    path.write_text(tomli_w.dumps({"inputs": spec}), encoding="utf-8")
    with pytest.raises(InputError) as err:
        resolve_inputs(base.scenario, deployment_values(base), load_uncertainty(path))
    assert str(err.value).startswith(field) and "\n" not in str(err.value)


def test_dask_and_serial_samples_are_identical(base):
    serial = uncertainty(base.scenario, 6, seed=4, base=base)
    dask = uncertainty(base.scenario, 6, seed=4, base=base, serial=False, workers=2)
    assert dask.samples.equals(serial.samples)


def test_mfu_error_is_the_step_models_interval(base):
    from stargate.whatif.uncertainty import plan_mfu_interval, split_lognormal_quantiles

    low, high = plan_mfu_interval(base)
    assert low < 1 < high
    q = split_lognormal_quantiles(low, high)
    assert q[10] == pytest.approx(1.0) and list(q) == sorted(q)
    u = next(u for u in resolve_inputs(base.scenario, deployment_values(base), load_uncertainty(), (low, high))
             if u.path == "error.mfu_factor")
    assert u.value_at(np.array([0.1, 0.5, 0.9])) == pytest.approx([low, 1.0, high], rel=1e-6)
    assert u.span == pytest.approx((low, high), rel=1e-6)
