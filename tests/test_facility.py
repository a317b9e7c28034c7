"""Facility: power chain, PUE from cooling and climate, racks, water and the hourly load."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson
from typer.testing import CliRunner

import stargate
from stargate.cli import app
from stargate.errors import InputError
from stargate.facility import (
    cooling_system,
    facility_catalog,
    facility_power,
    free_cooling_hours,
    hourly_load_mw,
    hourly_pue,
    pue_from_climate,
)
from stargate.goodput import reliability_data
from stargate.weather import texas_weather

COMPARE = dict(nuclear_unit_mw=1000.0, japan_twh=1000.0)


def test_nvl72_rack_power_chain_hand_computed():
    f = facility_power(72, 1200.0, 1.53, 1.1, 0.5, **COMPARE, it_overhead_factor=1.14, training_power_fraction=0.76,
                       idle_power_fraction=0.25, rack_kw=132.0, cooling=cooling_system("liquid"))
    assert f.accelerator_power_mw == pytest.approx(0.0864)              # 72 x 1.2 kW
    assert f.host_power_mw == pytest.approx(0.0864 * 0.53)              # rack 132.2 kW less the GPUs
    assert f.network_storage_power_mw == pytest.approx(0.132192 * 0.14)
    assert f.it_power_mw == pytest.approx(0.132192 * 1.14)
    assert f.facility_power_mw == pytest.approx(0.132192 * 1.14 * 1.1)
    assert f.training_it_power_mw == pytest.approx(0.132192 * 1.14 * 0.76)
    assert f.training_facility_power_mw == pytest.approx(0.132192 * 1.14 * 0.76 * 1.1)
    assert f.idle_it_power_mw == pytest.approx(0.132192 * 1.14 * 0.25)
    assert f.racks == 2                                                   # 150.7 kW of IT in 132 kW racks
    assert f.wue_l_per_kwh == 0.3                                         # liquid cooling's catalog WUE
    assert f.water_m3_per_yr == pytest.approx(0.132192 * 1.14 * 8760 * 0.5 * 0.3)  # MWh x L/kWh = m3
    assert f.annual_energy_twh == pytest.approx(0.132192 * 1.14 * 1.1 * 8760 * 0.5 / 1e6)


def test_dgx_h100_nameplate_is_10_2_kw_and_trains_at_7_75_kw():
    # 8 x 700 W x 1.82 (Epoch AI) = 10.2 kW DGX H100 rating; Newkirk et al. measured <= 76 % in training
    f = facility_power(8, 700.0, 1.82, 1.0, 1.0, **COMPARE, training_power_fraction=0.76)
    assert f.it_power_mw * 1e3 == pytest.approx(10.19, abs=0.01)
    assert f.training_it_power_mw * 1e3 == pytest.approx(7.75, abs=0.01)


def test_hourly_pue_follows_the_free_cooling_limit_hand_computed():
    assert hourly_pue("liquid", np.array([10.0, 25.0, 30.0])) == pytest.approx([1.08, 1.08, 1.08 + 0.004 * 5])
    assert pue_from_climate("air", np.array([15.0, 25.0])) == pytest.approx((1.30 + 1.30 + 0.015 * 5) / 2)
    assert free_cooling_hours("air", np.array([19.0, 20.0, 21.0])) == 2


def test_texas_climate_puts_liquid_below_and_air_above_the_lbnl_ai_average():
    temperature = texas_weather()["temp_c"].to_numpy()
    liquid, air = pue_from_climate("liquid", temperature), pue_from_climate("air", temperature)
    assert 1.08 < liquid < 1.14 < air < 1.56  # LBNL 2024: AI sites 1.14; Uptime 2024: industry 1.56
    assert free_cooling_hours("liquid", temperature) > free_cooling_hours("air", temperature) > 4380


def test_air_cooling_cannot_carry_nvl72_racks():
    with pytest.raises(InputError, match=r"facility\.rack_kw = 132.0: air cooling carries at most 50 kW"):
        facility_power(72, 1200.0, 1.53, 1.3, 0.8, **COMPARE, rack_kw=132.0, cooling=cooling_system("air"))


@pytest.mark.parametrize("call,field", [
    (lambda: cooling_system("immersion"), "facility.cooling"),
    (lambda: facility_power(8, 700.0, 1.8, 1.2, 0.8, **COMPARE, training_power_fraction=0.5,
                            idle_power_fraction=0.6), "facility.idle_power_fraction"),
    (lambda: facility_power(8, 700.0, 1.8, 1.2, 0.8, **COMPARE, it_overhead_factor=0.9), "facility.it_overhead_factor"),
    (lambda: hourly_load_mw(100.0, 0.8, inference_share=1.5), "facility.inference_share"),
    (lambda: hourly_load_mw(100.0, 0.8, pue_hourly=np.ones(10)), "pue_hourly"),
])
def test_bad_facility_input_names_the_field(call, field):
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        call()


@settings(max_examples=40, deadline=None)
@given(power=st.floats(1.0, 5000.0), utilisation=st.floats(0.0, 1.0), seed=st.integers(0, 1000),
       inference=st.floats(0.0, 1.0), job_gpus=st.integers(0, 400_000), with_pue=st.booleans())
def test_hourly_load_mean_is_power_times_utilisation_and_never_above_nameplate(power, utilisation, seed, inference,
                                                                              job_gpus, with_pue):
    pue = hourly_pue("air", texas_weather()["temp_c"].to_numpy()) if with_pue else None
    load = hourly_load_mw(power, utilisation, seed, inference_share=inference, job_gpus=job_gpus, pue_hourly=pue)
    assert load.shape == (8760,)
    assert load.mean() == pytest.approx(power * utilisation, rel=1e-9, abs=1e-9)
    assert load.max() <= power * (1 + 1e-12) and load.min() >= 0.0


def test_training_load_idles_in_maintenance_and_stalls_at_the_llama3_rate():
    load = hourly_load_mw(1000.0, 0.6, seed=1, job_gpus=16_384)  # low utilisation: pure scaling, no narrowing
    train, idle = load.max(), load.min()
    assert idle / train == pytest.approx(0.25 / 0.76)              # idle / training draw
    assert (load == idle).sum() >= 12 * facility_catalog().maintenance_hours_per_month
    # expected stalled share of an hour: E[min(1, k R / 1 h)], k ~ Poisson(rate x GPUs x 1 h)
    rel = reliability_data()
    lam, restart_h = rel["interruptions"]["per_gpu_hour"] * 16_384, rel["restart"]["seconds"] / 3600
    k = np.arange(40)
    stall = float(np.sum(poisson.pmf(k, lam) * np.minimum(1.0, k * restart_h)))
    working = load[load > idle + 1e-9]
    assert 1 - working.mean() / train == pytest.approx((1 - 0.25 / 0.76) * stall, rel=0.1)


def test_inference_load_follows_the_day_with_the_catalog_swing():
    load = hourly_load_mw(1000.0, 0.5, inference_share=1.0, job_gpus=0)
    by_hour = np.median(load.reshape(365, 24), axis=0)
    a = facility_catalog().inference_diurnal_amplitude
    assert by_hour.argmax() == facility_catalog().inference_peak_hour
    assert by_hour.max() / by_hour.min() == pytest.approx((1 + a) / (1 - a), rel=1e-9)


def test_plan_reports_the_facility_chain_and_climate_pue():
    data = stargate.default_scenario().model_dump(exclude_none=True)
    data["facility"] = {**data["facility"], "cooling": "air", "rack_kw": 40.0}
    del data["facility"]["pue"]
    result = stargate.plan(stargate.scenario_from_dict(data))
    fa = result.to_dict()["facility"]
    temperature = texas_weather()["temp_c"].to_numpy()
    assert fa["pue"] == pytest.approx(pue_from_climate("air", temperature))
    assert fa["free_cooling_hours"] == free_cooling_hours("air", temperature)
    assert fa["racks"] == int(np.ceil(fa["it_power_mw"] * 1000 / 40.0))
    assert fa["accelerator_power_mw"] + fa["host_power_mw"] + fa["network_storage_power_mw"] == \
        pytest.approx(fa["it_power_mw"])
    assert result.supply.problem.load_mw.mean() == pytest.approx(fa["facility_power_mw"] * 0.8, rel=0.05)


def test_plan_cli_shows_training_draw_and_refuses_air_cooled_nvl72(tmp_path):
    out = CliRunner().invoke(app, ["plan"])
    text = re.sub(r"[│\s]+", " ", out.stdout)  # table cells wrapped over lines, joined again
    assert out.exit_code == 0 and "draw in training" in text and "network and storage" in text
    bad = tmp_path / "air.toml"
    text = stargate.scenario.default_scenario_text().replace("[facility]\n", '[facility]\ncooling = "air"\n')
    bad.write_text(text)
    out = CliRunner().invoke(app, ["plan", str(bad)])
    assert out.exit_code == 2 and "facility.rack_kw = 132.0" in out.stderr and "Traceback" not in out.output
