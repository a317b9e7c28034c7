"""Hourly capacity factors of PV and wind for a site, from shipped NREL data or a synthetic year.

PV: pvlib single-axis tracking, Perez-free isotropic transposition (Hay-Davies), PVWatts DC and
inverter models (DC/AC 1.3, 14 % system losses): Holmgren et al. (2018), "pvlib python", JOSS 3(29).
Wind: windpowerlib power curve of a Vestas V126/3450 at 100 m hub height (Haas et al. 2019,
windpowerlib, JOSS 4(36)), 15 % losses for the net figure. Data: NREL NSRDB PSM3 and WIND Toolkit,
2012, near Amarillo TX, shipped with hopp 3.4.2 (see ``stargate/data/weather/README.md``).
Elsewhere (or on request) a synthetic year: pvlib clear-sky (Haurwitz) times a daily clear-sky index
drawn from an AR(1) process calibrated on the Texas year, and an AR(1) Weibull wind series.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from stargate.errors import InputError, require_range

TEXAS_LAT, TEXAS_LON, TEXAS_ELEVATION_M = 35.2018863, -101.945027, 1102.0
SOLAR_FILE = "35.2018863_-101.945027_psmv3_60_2012.csv"
WIND_FILE = "35.2018863_-101.945027_windtoolkit_2012_60min_80m_100m.srw"
TEXAS_LABEL = "NREL NSRDB PSM3 / WIND Toolkit 2012 near Amarillo TX, via hopp 3.4.2"
DC_AC_RATIO = 1.3
SYSTEM_LOSSES = 0.14
WIND_LOSSES = 0.15
HUB_HEIGHT_M = 100
TEXAS_RADIUS_DEG = 6.0  # "auto" uses the Texas data within this distance (Abilene is 3 degrees away)
# daily clear-sky index of the Texas year (shared/reference/energy.md, section 7)
KC_MEAN, KC_SD, KC_LAG1 = 0.916, 0.195, 0.30
WIND_MEAN_M_S, WIND_WEIBULL_K, WIND_LAG1 = 8.3, 2.0, 0.9


@dataclass(frozen=True)
class HourlyProfiles:
    """Capacity factors per MW installed, one value per hour of the year."""

    pv_cf: np.ndarray
    wind_cf: np.ndarray
    label: str
    synthetic: bool
    lat_deg: float
    lon_deg: float
    year: int
    temperature_c: np.ndarray | None = None  # hourly dry-bulb [C]


def _file(name: str):
    return resources.files("stargate.data.weather").joinpath(name)


def _pv_ac_cf(times: pd.DatetimeIndex, ghi, dhi, dni, temp_c, wind_m_s, lat: float, lon: float,
              elevation_m: float) -> np.ndarray:
    import pvlib

    solpos = pvlib.solarposition.get_solarposition(times, lat, lon, altitude=elevation_m)
    tracking = pvlib.tracking.singleaxis(solpos["apparent_zenith"], solpos["azimuth"], axis_azimuth=180,
                                         max_angle=60, backtrack=True, gcr=0.35)
    aoi = tracking["aoi"].fillna(90.0)
    tilt = tracking["surface_tilt"].fillna(0.0)
    azimuth = tracking["surface_azimuth"].fillna(180.0)
    dni_extra = pvlib.irradiance.get_extra_radiation(times)
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, solpos["apparent_zenith"], solpos["azimuth"],
                                                dni, ghi, dhi, dni_extra=dni_extra, model="haydavies")
    poa_global = poa["poa_global"].fillna(0.0).clip(lower=0.0)
    cell = pvlib.temperature.faiman(poa_global, temp_c, wind_m_s)
    dc = pvlib.pvsystem.pvwatts_dc(poa_global, cell, pdc0=DC_AC_RATIO, gamma_pdc=-0.0035)
    dc = dc * (1 - SYSTEM_LOSSES) * np.where(aoi < 90, 1.0, 0.0)
    ac = pvlib.inverter.pvwatts(dc, pdc0=1.0 / 0.96, eta_inv_nom=0.96)
    return np.clip(np.nan_to_num(np.asarray(ac, dtype=float)), 0.0, 1.0)


def _wind_cf(speed_m_s: np.ndarray, losses: float = WIND_LOSSES) -> np.ndarray:
    from windpowerlib import WindTurbine

    turbine = WindTurbine(turbine_type="V126/3450", hub_height=HUB_HEIGHT_M)
    curve = turbine.power_curve
    power = np.interp(speed_m_s, curve["wind_speed"].to_numpy(), curve["value"].to_numpy(), right=0.0)
    return np.clip(power / turbine.nominal_power * (1 - losses), 0.0, 1.0)


@lru_cache(maxsize=1)
def texas_weather() -> pd.DataFrame:
    """The shipped 2012 hourly file: GHI, DHI, DNI [W/m2], temperature [C], wind at 100 m [m/s]."""
    with _file(SOLAR_FILE).open("r") as handle:
        solar = pd.read_csv(handle, skiprows=2)
    with _file(WIND_FILE).open("r") as handle:
        wind = pd.read_csv(handle, skiprows=5, header=None)
    times = pd.date_range("2012-01-01 00:30", periods=len(solar), freq="h", tz="Etc/GMT+6")
    frame = pd.DataFrame({"ghi": solar["GHI"].to_numpy(float), "dhi": solar["DHI"].to_numpy(float),
                          "dni": solar["DNI"].to_numpy(float), "temp_c": solar["Temperature"].to_numpy(float),
                          "wind_surface_m_s": solar["Wind Speed"].to_numpy(float)}, index=times)
    frame["wind_100m_m_s"] = wind[6].to_numpy(float)[: len(frame)]
    return frame


@lru_cache(maxsize=4)
def _texas_profiles() -> tuple[np.ndarray, np.ndarray]:
    w = texas_weather()
    pv = _pv_ac_cf(w.index, w["ghi"], w["dhi"], w["dni"], w["temp_c"], w["wind_surface_m_s"], TEXAS_LAT,
                   TEXAS_LON, TEXAS_ELEVATION_M)
    return pv, _wind_cf(w["wind_100m_m_s"].to_numpy())


def _ar1(rng: np.random.Generator, n: int, lag1: float) -> np.ndarray:
    shocks = rng.standard_normal(n) * np.sqrt(1 - lag1**2)
    out = np.empty(n)
    out[0] = rng.standard_normal()
    for i in range(1, n):
        out[i] = lag1 * out[i - 1] + shocks[i]
    return out


@lru_cache(maxsize=16)
def _synthetic_profiles(lat: float, lon: float, year: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import pvlib

    rng = np.random.default_rng(seed)
    tz_hours = round(lon / 15)
    times = pd.date_range(f"{year}-01-01 00:30", periods=8760, freq="h", tz=f"Etc/GMT{-tz_hours:+d}")
    solpos = pvlib.solarposition.get_solarposition(times, lat, lon)
    clear = pvlib.clearsky.haurwitz(solpos["apparent_zenith"])["ghi"].to_numpy()
    kc_daily = np.clip(KC_MEAN + KC_SD * _ar1(rng, 365, KC_LAG1), 0.05, 1.05)
    ghi = pd.Series(clear * np.repeat(kc_daily, 24), index=times)
    split = pvlib.irradiance.erbs(ghi, solpos["zenith"], times)
    pv = _pv_ac_cf(times, ghi, split["dhi"], split["dni"], pd.Series(20.0, index=times),
                   pd.Series(3.0, index=times), lat, lon, 0.0)
    from math import gamma

    scale = WIND_MEAN_M_S / gamma(1 + 1 / WIND_WEIBULL_K)
    from scipy.special import erf

    uniform = 0.5 * (1 + erf(_ar1(rng, 8760, WIND_LAG1) / np.sqrt(2)))  # Gaussian AR(1) -> uniform -> Weibull
    speed = scale * (-np.log(np.clip(1 - uniform, 1e-12, 1))) ** (1 / WIND_WEIBULL_K)
    return pv, _wind_cf(speed)


def _synthetic_temperature_c(lat_deg: float) -> np.ndarray:
    """A smooth annual and daily temperature cycle for a latitude (labelled synthetic with the profiles)."""
    hours = np.arange(8760)
    mean = 28.0 - 0.45 * abs(lat_deg)               # ~12 C at 35 deg, ~6 C at 48 deg (rough climatology)
    season = 10.0 * -np.cos(2 * np.pi * (hours / 8760 - 0.04)) * np.sign(lat_deg or 1)
    day = 5.0 * -np.cos(2 * np.pi * ((hours % 24) - 3) / 24)
    return mean + season + day


PVGIS_CACHE = Path.home() / ".cache" / "stargate" / "pvgis"
WIND_SHEAR_EXPONENT = 1 / 7  # power law from 10 m to hub height (Peterson & Hennessey 1978)


def _pvgis_profiles(lat_deg: float, lon_deg: float) -> HourlyProfiles:
    """Typical meteorological year from PVGIS (online, cached on disk per site)."""
    import pvlib

    PVGIS_CACHE.mkdir(parents=True, exist_ok=True)
    cache = PVGIS_CACHE / f"{lat_deg:.3f}_{lon_deg:.3f}.csv"
    if cache.is_file():
        data = pd.read_csv(cache, index_col=0, parse_dates=True)
    else:
        data = pvlib.iotools.get_pvgis_tmy(lat_deg, lon_deg, timeout=10)[0]
        data.to_csv(cache)
    times = pd.date_range("2019-01-01 00:30", periods=len(data), freq="h", tz="UTC")
    pv = _pv_ac_cf(times, data["ghi"].to_numpy(), data["dhi"].to_numpy(), data["dni"].to_numpy(),
                   data["temp_air"].to_numpy(), data["wind_speed"].to_numpy(), lat_deg, lon_deg, 0.0)
    wind = _wind_cf(data["wind_speed"].to_numpy() * (HUB_HEIGHT_M / 10) ** WIND_SHEAR_EXPONENT)
    return HourlyProfiles(pv[:8760], wind[:8760], f"PVGIS TMY for {lat_deg:.2f}, {lon_deg:.2f} (cached {cache})",
                          False, lat_deg, lon_deg, 0, data["temp_air"].to_numpy()[:8760])


def site_profiles(lat_deg: float, lon_deg: float, source: str = "auto", year: int = 2012,
                  seed: int = 0) -> HourlyProfiles:
    """Hourly PV and wind capacity factors for a site.

    Parameters
    ----------
    lat_deg, lon_deg : float   Site coordinates. [deg]
    source : str               "texas" (shipped NREL 2012 data), "synthetic", "pvgis" (online typical year,
                               cached; synthetic when unreachable), or "auto" (Texas data within 6
                               degrees of Amarillo, else synthetic). Always labelled.
    year : int                 Calendar year of a synthetic series.
    seed : int                 Seed of the synthetic series (deterministic).
    """
    require_range("site.lat_deg", lat_deg, -90.0, 90.0)
    require_range("site.lon_deg", lon_deg, -180.0, 180.0)
    if source not in ("auto", "texas", "synthetic", "pvgis"):
        raise InputError("weather source", source, "one of auto, texas, synthetic, pvgis")
    if source == "pvgis":
        try:
            return _pvgis_profiles(lat_deg, lon_deg)
        except Exception as err:  # offline, service down, bad answer: fall back, and say so
            fallback = site_profiles(lat_deg, lon_deg, "synthetic", year, seed)
            reason = str(err).splitlines()[0][:80] if str(err) else type(err).__name__
            return HourlyProfiles(fallback.pv_cf, fallback.wind_cf, f"{fallback.label} (PVGIS unavailable: {reason})",
                                  True, lat_deg, lon_deg, year, fallback.temperature_c)
    near = np.hypot(lat_deg - TEXAS_LAT, lon_deg - TEXAS_LON) <= TEXAS_RADIUS_DEG
    if source == "texas" or (source == "auto" and near):
        pv, wind = _texas_profiles()
        label = TEXAS_LABEL + ("" if np.hypot(lat_deg - TEXAS_LAT, lon_deg - TEXAS_LON) < 0.5
                               else f" (proxy for {lat_deg:.2f}, {lon_deg:.2f})")
        return HourlyProfiles(pv, wind, label, False, lat_deg, lon_deg, 2012, texas_weather()["temp_c"].to_numpy())
    pv, wind = _synthetic_profiles(round(lat_deg, 3), round(lon_deg, 3), year, seed)
    label = (f"synthetic: pvlib Haurwitz clear sky x AR(1) clear-sky index, AR(1) Weibull wind "
             f"(calibrated on Texas 2012), seed {seed}")
    return HourlyProfiles(pv, wind, label, True, lat_deg, lon_deg, year, _synthetic_temperature_c(lat_deg))
