"""Hourly capacity factors of PV and wind for a site, from shipped NREL data or a synthetic year.

PV: pvlib solar position, single-axis tracking with backtracking (or a fixed tilt), Hay-Davies
transposition, Faiman cell temperature and the PVWatts DC model; DC/AC 1.3 and 14 % system losses
(taken as every DC-to-AC loss), clipped at the AC rating. Wind: the windpowerlib power curve of a
Vestas V126/3450 at 100 m hub height; 15 % losses for the net figure. Data: NREL NSRDB PSM3 and WIND
Toolkit, 2012, near Amarillo TX, shipped with hopp 3.4.2 (``stargate/data/weather/README.md``).
Elsewhere (or on request) a synthetic year: pvlib clear sky times a daily clear-sky index drawn from an
AR(1) process calibrated on the Texas year, and an AR(1) Weibull wind series; or, online, a PVGIS
typical year (cached). Every result says which in its label.

References
----------
.. [1] Holmgren, Hansen, Mikofski (2018), "pvlib python", JOSS 3(29), 884.
.. [2] Dobos (2014), "PVWatts Version 5 Manual", NREL/TP-6A20-62641.
.. [3] Haas et al. (2019), "windpowerlib", JOSS 4(36), 1142.
.. [4] Sengupta et al. (2018), "The National Solar Radiation Data Base (NSRDB)", RSER 89, 51-60;
       Draxl et al. (2015), "The Wind Integration National Dataset (WIND) Toolkit", Applied Energy 151.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from math import gamma
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from scipy.special import ndtr

from stargate.errors import InputError, require_range

TEXAS_LAT, TEXAS_LON, TEXAS_ELEVATION_M = 35.2018863, -101.945027, 1102.0
SOLAR_FILE = "35.2018863_-101.945027_psmv3_60_2012.csv"
WIND_FILE = "35.2018863_-101.945027_windtoolkit_2012_60min_80m_100m.srw"
TEXAS_LABEL = "NREL NSRDB PSM3 / WIND Toolkit 2012 near Amarillo TX, via hopp 3.4.2"
SOURCES = ("auto", "texas", "synthetic", "pvgis")
DC_AC_RATIO = 1.3
SYSTEM_LOSSES = 0.14
GAMMA_PDC_PER_C = -0.0035          # PVWatts "standard" module temperature coefficient [1/C]
TRACKER_MAX_ANGLE_DEG, TRACKER_GCR = 60.0, 0.35
WIND_TURBINE, HUB_HEIGHT_M, WIND_LOSSES = "V126/3450", 100, 0.15
GAS_CONSTANT_DRY_AIR = 287.05      # [J/(kg K)]
TEXAS_RADIUS_DEG = 6.0             # "auto" uses the Texas data within this distance (Abilene is 3 degrees away)
# daily clear-sky index of the Texas year: NSRDB PSM3 2012 GHI (data/weather) over pvlib Ineichen clear sky
KC_MEAN, KC_SD, KC_LAG1, KC_MIN, KC_MAX = 0.916, 0.195, 0.30, 0.05, 1.05
# hourly 100 m wind: Weibull k~2, mean near the Texas year's 8.65 m/s; hour-to-hour persistence
WIND_MEAN_M_S, WIND_WEIBULL_K, WIND_LAG1 = 8.3, 2.0, 0.9
WIND_SHEAR_EXPONENT = 1 / 7        # power law from 10 m to hub height (Peterson & Hennessey 1978)


@dataclass(frozen=True)
class HourlyProfiles:
    """Capacity factors per MW installed, one value per hour of the year."""

    pv_cf: np.ndarray              # (8760,) AC capacity factor of single-axis PV [0, 1]
    wind_cf: np.ndarray            # (8760,) capacity factor of wind, net of losses [0, 1]
    label: str
    synthetic: bool
    lat_deg: float
    lon_deg: float
    year: int
    temperature_c: np.ndarray | None = None  # (8760,) dry-bulb temperature [C]


def _file(name: str):
    return resources.files("stargate.data.weather").joinpath(name)


def pv_ac_cf(times: pd.DatetimeIndex, ghi, dhi, dni, temp_air_c, wind_speed_m_s, lat_deg: float, lon_deg: float,
             elevation_m: float = 0.0, mount: Literal["tracking", "fixed"] = "tracking",
             tilt_deg: float = 30.0) -> np.ndarray:
    """Hourly AC output per MW of inverter (AC) rating.

    Parameters
    ----------
    times : DatetimeIndex       Mid-points of the hours, tz-aware.
    ghi, dhi, dni : array-like  Global horizontal, diffuse horizontal, direct normal irradiance. [W/m2]
    temp_air_c : array-like     Air temperature. [C]
    wind_speed_m_s : array-like Wind speed at 10 m (cell cooling). [m/s]
    lat_deg, lon_deg : float    Site. [deg]
    elevation_m : float         Site elevation (solar position refraction). [m]
    mount : str                 "tracking" (north-south axis, +-60 deg, backtracking at GCR 0.35) or "fixed".
    tilt_deg : float            Tilt of a fixed, south-facing array. [deg]

    Returns
    -------
    numpy.ndarray               AC capacity factor, one per hour. [0-1]

    Notes
    -----
    The DC array is 1.3 MW per MW AC (PVWatts DC model, -0.35 %/C); 14 % system losses are applied
    as the whole DC-to-AC derate and the output is clipped at the AC rating. (PVWatts v5 would apply
    its 96 % inverter curve on top of the 14 %, about 3.5 % less energy.)
    """
    import pvlib

    solpos = pvlib.solarposition.get_solarposition(times, lat_deg, lon_deg, altitude=elevation_m)
    if mount == "tracking":
        track = pvlib.tracking.singleaxis(solpos["apparent_zenith"], solpos["azimuth"], axis_azimuth=180,
                                          max_angle=TRACKER_MAX_ANGLE_DEG, backtrack=True, gcr=TRACKER_GCR)
        tilt, azimuth = track["surface_tilt"].fillna(0.0), track["surface_azimuth"].fillna(180.0)
    else:
        tilt, azimuth = tilt_deg, 180.0 if lat_deg >= 0 else 0.0
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, solpos["apparent_zenith"], solpos["azimuth"], np.asarray(dni, float), np.asarray(ghi, float),
        np.asarray(dhi, float), dni_extra=pvlib.irradiance.get_extra_radiation(times), model="haydavies")
    poa_global = np.clip(np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)), 0.0, None)
    cell_c = pvlib.temperature.faiman(poa_global, np.asarray(temp_air_c, float), np.asarray(wind_speed_m_s, float))
    dc = pvlib.pvsystem.pvwatts_dc(poa_global, cell_c, pdc0=DC_AC_RATIO, gamma_pdc=GAMMA_PDC_PER_C)
    return np.clip(np.nan_to_num(np.asarray(dc, dtype=float)) * (1 - SYSTEM_LOSSES), 0.0, 1.0)


@lru_cache(maxsize=1)
def _power_curve() -> tuple[np.ndarray, np.ndarray, float]:
    from windpowerlib import WindTurbine

    turbine = WindTurbine(turbine_type=WIND_TURBINE, hub_height=HUB_HEIGHT_M)
    curve = turbine.power_curve
    return curve["wind_speed"].to_numpy(float), curve["value"].to_numpy(float), float(turbine.nominal_power)


def wind_cf(speed_m_s: np.ndarray, losses: float = WIND_LOSSES, density_kg_m3: np.ndarray | None = None
            ) -> np.ndarray:
    """Capacity factor of a Vestas V126/3450 from hub-height wind speed.

    Parameters
    ----------
    speed_m_s : array-like      Wind speed at hub height (100 m). [m/s]
    losses : float              Wake, availability and electrical losses. [fraction]
    density_kg_m3 : array-like  Air density at hub height; None uses the power curve as published
                                (1.225 kg/m3). With it, the curve is shifted per IEC 61400-12 (windpowerlib).

    Returns
    -------
    numpy.ndarray               Output per MW installed, one per hour. [0-1]
    """
    require_range("wind losses", losses, 0.0, 1.0)
    speeds, values, nominal_w = _power_curve()
    speed = np.asarray(speed_m_s, dtype=float)
    if density_kg_m3 is None:
        power = np.interp(speed, speeds, values, right=0.0)
    else:
        from windpowerlib.power_output import power_curve_density_correction

        power = power_curve_density_correction(pd.Series(speed), pd.Series(speeds), pd.Series(values),
                                               pd.Series(np.asarray(density_kg_m3, dtype=float))).to_numpy()
    return np.clip(power / nominal_w * (1 - losses), 0.0, 1.0)


@lru_cache(maxsize=1)
def texas_weather() -> pd.DataFrame:
    """The shipped 2012 hourly data: GHI, DHI, DNI [W/m2], temperature [C], 10 m wind [m/s], and at
    100 m: wind [m/s] and air density from the file's pressure and temperature [kg/m3]."""
    with _file(SOLAR_FILE).open("r") as handle:
        solar = pd.read_csv(handle, skiprows=2)
    with _file(WIND_FILE).open("r") as handle:
        wind = pd.read_csv(handle, skiprows=5, header=None)  # 80 m: T, p, speed, dir; then the same at 100 m
    # local standard time (UTC-6); the file skips 29 February, so the stamps come from its own columns
    times = pd.DatetimeIndex(pd.to_datetime(solar[["Year", "Month", "Day", "Hour", "Minute"]])).tz_localize("Etc/GMT+6")
    frame = pd.DataFrame({"ghi": solar["GHI"].to_numpy(float), "dhi": solar["DHI"].to_numpy(float),
                          "dni": solar["DNI"].to_numpy(float), "temp_c": solar["Temperature"].to_numpy(float),
                          "wind_surface_m_s": solar["Wind Speed"].to_numpy(float)}, index=times)
    n = len(frame)
    frame["wind_100m_m_s"] = wind[6].to_numpy(float)[:n]
    frame["density_100m_kg_m3"] = (wind[5].to_numpy(float)[:n] * 101_325.0
                                   / (GAS_CONSTANT_DRY_AIR * (wind[4].to_numpy(float)[:n] + 273.15)))
    return frame


@lru_cache(maxsize=2)
def texas_pv_cf(mount: Literal["tracking", "fixed"] = "tracking") -> np.ndarray:
    """Hourly PV AC capacity factor of the shipped Texas 2012 year (cached)."""
    w = texas_weather()
    return pv_ac_cf(w.index, w["ghi"], w["dhi"], w["dni"], w["temp_c"], w["wind_surface_m_s"], TEXAS_LAT,
                    TEXAS_LON, TEXAS_ELEVATION_M, mount=mount)


@lru_cache(maxsize=2)
def texas_wind_cf(density_corrected: bool = False) -> np.ndarray:
    """Hourly net wind capacity factor of the shipped Texas 2012 year (cached); optionally corrected
    for the air density at 100 m (about 1.08 kg/m3 at 1,100 m elevation)."""
    w = texas_weather()
    return wind_cf(w["wind_100m_m_s"].to_numpy(), density_kg_m3=w["density_100m_kg_m3"].to_numpy()
                   if density_corrected else None)


def _ar1(rng: np.random.Generator, n: int, lag1: float) -> np.ndarray:
    """Stationary Gaussian AR(1) series with unit variance."""
    shocks = rng.standard_normal(n) * np.sqrt(1 - lag1**2)
    shocks[0] = rng.standard_normal()
    return lfilter([1.0], [1.0, -lag1], shocks)


def _clear_sky_ghi(times: pd.DatetimeIndex, solpos: pd.DataFrame, lat_deg: float, lon_deg: float
                   ) -> tuple[np.ndarray, str]:
    """Ineichen clear sky with pvlib's shipped Linke turbidity and altitude grids, else Haurwitz."""
    import pvlib

    try:
        altitude = float(pvlib.location.lookup_altitude(lat_deg, lon_deg))
        linke = pvlib.clearsky.lookup_linke_turbidity(times, lat_deg, lon_deg)
    except (ImportError, OSError):  # turbidity grid or h5py missing: the model that needs no data
        return pvlib.clearsky.haurwitz(solpos["apparent_zenith"])["ghi"].to_numpy(), "Haurwitz"
    airmass = pvlib.atmosphere.get_absolute_airmass(pvlib.atmosphere.get_relative_airmass(solpos["apparent_zenith"]),
                                                    pvlib.atmosphere.alt2pres(altitude))
    clear = pvlib.clearsky.ineichen(solpos["apparent_zenith"], airmass, linke, altitude)
    return np.nan_to_num(clear["ghi"].to_numpy()), "Ineichen"


@lru_cache(maxsize=16)
def _synthetic_profiles(lat: float, lon: float, year: int, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    import pvlib

    rng = np.random.default_rng(seed)
    tz_hours = round(lon / 15)
    times = pd.date_range(f"{year}-01-01 00:30", periods=8760, freq="h", tz=f"Etc/GMT{-tz_hours:+d}")
    solpos = pvlib.solarposition.get_solarposition(times, lat, lon)
    clear, model = _clear_sky_ghi(times, solpos, lat, lon)
    kc_daily = np.clip(KC_MEAN + KC_SD * _ar1(rng, 365, KC_LAG1), KC_MIN, KC_MAX)
    ghi = pd.Series(clear * np.repeat(kc_daily, 24), index=times)
    split = pvlib.irradiance.erbs(ghi, solpos["zenith"], times)
    temperature = _synthetic_temperature_c(lat)
    pv = pv_ac_cf(times, ghi, split["dhi"], split["dni"], temperature, np.full(8760, 3.0), lat, lon)
    scale = WIND_MEAN_M_S / gamma(1 + 1 / WIND_WEIBULL_K)
    uniform = ndtr(_ar1(rng, 8760, WIND_LAG1))  # Gaussian AR(1) -> uniform -> Weibull (inverse CDF)
    speed = scale * (-np.log(np.clip(1 - uniform, 1e-12, 1))) ** (1 / WIND_WEIBULL_K)
    return pv, wind_cf(speed), model


def _synthetic_temperature_c(lat_deg: float) -> np.ndarray:
    """A smooth annual and daily temperature cycle for a latitude (labelled synthetic with the profiles)."""
    hours = np.arange(8760)
    mean = 28.0 - 0.45 * abs(lat_deg)               # ~12 C at 35 deg, ~6 C at 48 deg (rough climatology)
    season = 10.0 * -np.cos(2 * np.pi * (hours / 8760 - 0.04)) * np.sign(lat_deg or 1)
    day = 5.0 * -np.cos(2 * np.pi * ((hours % 24) - 3) / 24)
    return mean + season + day


def pvgis_cache_dir() -> Path:
    """Where PVGIS answers are kept: ``$STARGATE_CACHE_DIR/pvgis`` or ``~/.cache/stargate/pvgis``."""
    root = os.environ.get("STARGATE_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "stargate") / "pvgis"


def _pvgis_profiles(lat_deg: float, lon_deg: float) -> HourlyProfiles:
    """Typical meteorological year from PVGIS (online once, then cached on disk per site)."""
    import pvlib

    cache = pvgis_cache_dir() / f"{lat_deg:.3f}_{lon_deg:.3f}.csv"
    if cache.is_file():
        data = pd.read_csv(cache, index_col=0)
    else:
        data = pvlib.iotools.get_pvgis_tmy(lat_deg, lon_deg, timeout=10)[0]
        cache.parent.mkdir(parents=True, exist_ok=True)
        data.to_csv(cache)
    data = data.iloc[:8760]
    times = pd.date_range("2019-01-01 00:30", periods=len(data), freq="h", tz="UTC")
    pv = pv_ac_cf(times, data["ghi"], data["dhi"], data["dni"], data["temp_air"], data["wind_speed"],
                  lat_deg, lon_deg)
    wind = wind_cf(data["wind_speed"].to_numpy() * (HUB_HEIGHT_M / 10) ** WIND_SHEAR_EXPONENT)
    return HourlyProfiles(pv, wind, f"PVGIS TMY for {lat_deg:.2f}, {lon_deg:.2f} (cached {cache}); "
                          "wind scaled from 10 m by the 1/7 power law", False, lat_deg, lon_deg, 0,
                          data["temp_air"].to_numpy(float))


def site_profiles(lat_deg: float, lon_deg: float, source: str = "auto", year: int = 2012,
                  seed: int = 0) -> HourlyProfiles:
    """Hourly PV and wind capacity factors for a site.

    Parameters
    ----------
    lat_deg, lon_deg : float   Site coordinates. [deg]
    source : str               "texas" (shipped NREL 2012 data), "synthetic", "pvgis" (online typical year,
                               cached; a labelled synthetic year when unreachable), or "auto" (Texas data
                               within 6 degrees of Amarillo, else synthetic).
    year : int                 Calendar year of a synthetic series.
    seed : int                 Seed of the synthetic series (deterministic).

    Returns
    -------
    HourlyProfiles             Capacity factors and hourly temperature, with a label naming the source.

    Notes
    -----
    The synthetic year carries West Texas's cloudiness and wind to any latitude (only the clear sky and
    the temperature cycle move with the site), so it overstates PV and wind in cloudier or calmer
    climates; use "pvgis" (once online, then cached) for such sites.
    """
    require_range("site.lat_deg", lat_deg, -90.0, 90.0)
    require_range("site.lon_deg", lon_deg, -180.0, 180.0)
    if source not in SOURCES:
        raise InputError("supply.weather_source", source, "one of " + ", ".join(SOURCES))
    require_range("weather year", year, 1900, 2100)
    if source == "pvgis":
        try:
            return _pvgis_profiles(lat_deg, lon_deg)
        except Exception as err:  # offline, service down, bad answer: fall back, and say so in the label
            fallback = site_profiles(lat_deg, lon_deg, "synthetic", year, seed)
            reason = str(err).splitlines()[0][:80] if str(err) else type(err).__name__
            return HourlyProfiles(fallback.pv_cf, fallback.wind_cf, f"{fallback.label} (PVGIS unavailable: {reason})",
                                  True, lat_deg, lon_deg, year, fallback.temperature_c)
    distance_deg = float(np.hypot(lat_deg - TEXAS_LAT, lon_deg - TEXAS_LON))
    if source == "texas" or (source == "auto" and distance_deg <= TEXAS_RADIUS_DEG):
        label = TEXAS_LABEL + ("" if distance_deg < 0.5 else f" (proxy for {lat_deg:.2f}, {lon_deg:.2f})")
        return HourlyProfiles(texas_pv_cf(), texas_wind_cf(), label, False, lat_deg, lon_deg, 2012,
                              texas_weather()["temp_c"].to_numpy())
    pv, wind, model = _synthetic_profiles(round(lat_deg, 3), round(lon_deg, 3), year, seed)
    label = (f"synthetic: pvlib {model} clear sky x AR(1) daily clear-sky index, AR(1) Weibull wind "
             f"(calibrated on NREL Texas 2012), seed {seed}")
    return HourlyProfiles(pv, wind, label, True, lat_deg, lon_deg, year, _synthetic_temperature_c(lat_deg))
