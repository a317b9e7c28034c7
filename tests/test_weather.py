"""Weather profiles: the shipped NREL Texas year, the synthetic fallback and PVGIS offline."""

import numpy as np
import pandas as pd
import pytest

from stargate.errors import InputError
from stargate.weather import (
    KC_LAG1,
    TEXAS_LAT,
    TEXAS_LON,
    _ar1,
    site_profiles,
    texas_pv_cf,
    texas_weather,
    texas_wind_cf,
)

ABILENE = (32.45, -99.73)


def test_texas_file_has_the_reference_irradiance_and_hub_wind():
    w = texas_weather()
    assert len(w) == 8760
    assert w["ghi"].sum() / 1000 == pytest.approx(2002, rel=0.005)          # kWh/m2/yr
    assert w["wind_100m_m_s"].mean() == pytest.approx(8.65, rel=0.005)      # m/s at 100 m


def test_texas_pv_capacity_factor_is_0323_tracking_and_0278_fixed_30deg():
    assert texas_pv_cf("tracking").mean() == pytest.approx(0.323, rel=0.02)
    assert texas_pv_cf("fixed").mean() == pytest.approx(0.278, rel=0.02)


def test_texas_v126_wind_is_0572_gross_and_0486_net_of_15pct():
    net = texas_wind_cf().mean()
    assert net == pytest.approx(0.486, rel=0.02)
    assert net / 0.85 == pytest.approx(0.572, rel=0.02)


def test_thin_air_at_1100m_lowers_the_wind_output():
    w = texas_weather()
    # 0.88 atm at ~15 C: rho = p / (R T) ~ 1.06 kg/m3, 13 % below the 1.225 of the power curve
    assert w["density_100m_kg_m3"].mean() == pytest.approx(0.88 * 101_325 / (287.05 * 288.9), rel=0.02)
    ratio = texas_wind_cf(density_corrected=True).mean() / texas_wind_cf().mean()
    assert 0.90 < ratio < 0.97  # measured 0.934: the curve shifts by (1.225/1.06)^(1/3) ~ 5 % in speed


def test_abilene_uses_the_texas_data_as_a_labelled_proxy():
    profiles = site_profiles(*ABILENE)
    assert not profiles.synthetic and profiles.year == 2012
    assert "NSRDB" in profiles.label and "proxy for 32.45, -99.73" in profiles.label
    assert profiles.pv_cf.shape == profiles.wind_cf.shape == profiles.temperature_c.shape == (8760,)
    assert profiles.pv_cf.min() >= 0 and profiles.pv_cf.max() <= 1 and profiles.wind_cf.max() <= 1
    # local time (UTC-6): no PV output from 22:00 to 04:00 on any day
    night = profiles.pv_cf.reshape(365, 24)[:, [0, 1, 2, 3, 22, 23]]
    assert night.max() == 0.0


def test_far_from_texas_auto_is_synthetic_and_says_so():
    profiles = site_profiles(48.8, 2.3)
    assert profiles.synthetic and profiles.label.startswith("synthetic")


def test_synthetic_texas_year_is_within_15pct_of_the_measured_one():
    synthetic = site_profiles(TEXAS_LAT, TEXAS_LON, source="synthetic")
    assert synthetic.synthetic and "calibrated on NREL Texas 2012" in synthetic.label
    assert synthetic.pv_cf.mean() == pytest.approx(texas_pv_cf().mean(), rel=0.15)
    assert synthetic.wind_cf.mean() == pytest.approx(texas_wind_cf().mean(), rel=0.15)


def test_synthetic_year_is_deterministic_per_seed():
    a = site_profiles(40.0, -100.0, source="synthetic", seed=3)
    b = site_profiles(40.0, -100.0, source="synthetic", seed=3)
    c = site_profiles(40.0, -100.0, source="synthetic", seed=4)
    assert np.array_equal(a.pv_cf, b.pv_cf) and np.array_equal(a.wind_cf, b.wind_cf)
    assert not np.array_equal(a.pv_cf, c.pv_cf)


def test_clear_sky_index_process_has_the_calibrated_persistence():
    series = _ar1(np.random.default_rng(0), 200_000, KC_LAG1)
    assert series.mean() == pytest.approx(0.0, abs=0.01)
    assert series.std() == pytest.approx(1.0, rel=0.01)
    assert np.corrcoef(series[:-1], series[1:])[0, 1] == pytest.approx(KC_LAG1, abs=0.01)


@pytest.mark.parametrize("args,field", [((95.0, 0.0), "site.lat_deg"), ((0.0, -181.0), "site.lon_deg"),
                                        ((0.0, 0.0, "meteonorm"), "supply.weather_source")])
def test_bad_site_or_source_names_the_field(args, field):
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        site_profiles(*args)


def test_pvgis_offline_falls_back_to_a_labelled_synthetic_year(tmp_path, monkeypatch):
    monkeypatch.setenv("STARGATE_CACHE_DIR", str(tmp_path))

    def offline(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr("pvlib.iotools.get_pvgis_tmy", offline)
    profiles = site_profiles(48.8, 2.3, source="pvgis")
    assert profiles.synthetic and "synthetic" in profiles.label
    assert "PVGIS unavailable: no route to host" in profiles.label


def test_pvgis_cached_year_is_read_without_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("STARGATE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("pvlib.iotools.get_pvgis_tmy", lambda *a, **k: pytest.fail("network used"))
    w = texas_weather()
    utc = pd.DataFrame({"ghi": w["ghi"], "dhi": w["dhi"], "dni": w["dni"], "temp_air": w["temp_c"],
                        "wind_speed": w["wind_surface_m_s"]}).iloc[:8760]
    utc = utc.apply(lambda col: np.roll(col.to_numpy(), 6))  # PVGIS years are in UTC; the file is UTC-6
    (tmp_path / "pvgis").mkdir()
    utc.to_csv(tmp_path / "pvgis" / f"{TEXAS_LAT:.3f}_{TEXAS_LON:.3f}.csv")
    profiles = site_profiles(TEXAS_LAT, TEXAS_LON, source="pvgis")
    assert not profiles.synthetic and profiles.label.startswith("PVGIS TMY")
    assert profiles.pv_cf.mean() == pytest.approx(texas_pv_cf().mean(), rel=0.03)
