"""Benchmark and validation figures of the weather profiles and the hourly facility load.

Prints the time of the first ``site_profiles`` call after ``import stargate`` (parses the shipped
NREL files, runs the PV and wind models), of a cached call, of a synthetic year and of an hourly load,
then the Texas 2012 figures beside the reference notes (shared/reference/energy.md, section 7).
Target: a call well under 1 s after the first. Ends with one line:
``first_s=<f> cached_ms=<f> synthetic_s=<f> load_ms=<f> pv_cf=<f> wind_cf=<f>``
"""

from __future__ import annotations

import time

from stargate.facility import hourly_load_mw, hourly_pue, pue_from_climate
from stargate.weather import site_profiles, texas_pv_cf, texas_weather, texas_wind_cf

ABILENE = (32.45, -99.73)


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    texas, first_s = _timed(site_profiles, *ABILENE)
    _, cached_s = _timed(site_profiles, *ABILENE)
    synthetic, synthetic_s = _timed(site_profiles, *ABILENE, source="synthetic", seed=7)
    pue = hourly_pue("liquid", texas.temperature_c)
    load, load_s = _timed(hourly_load_mw, 1200.0, 0.8, inference_share=0.2, job_gpus=100_000, pue_hourly=pue)
    w = texas_weather()
    print(f"first call {first_s:.2f} s, cached {cached_s * 1e3:.3f} ms, synthetic year {synthetic_s:.2f} s, "
          f"hourly load {load_s * 1e3:.1f} ms")
    print("Texas 2012 (measured here | reference notes):")
    print(f"  GHI                   {w['ghi'].sum() / 1000:7.0f} | 2,002 kWh/m2/yr")
    print(f"  PV CF tracking        {texas_pv_cf().mean():7.3f} | 0.323")
    print(f"  PV CF fixed 30 deg    {texas_pv_cf('fixed').mean():7.3f} | 0.278")
    print(f"  wind mean at 100 m    {w['wind_100m_m_s'].mean():7.2f} | 8.65 m/s")
    print(f"  wind CF gross / net   {texas_wind_cf().mean() / 0.85:.3f} / {texas_wind_cf().mean():.3f} | 0.572 / 0.486")
    print(f"  wind CF net, density  {texas_wind_cf(True).mean():7.3f} | (not in the notes; "
          f"{w['density_100m_kg_m3'].mean():.3f} kg/m3 at 100 m)")
    print(f"  synthetic (seed 7)    PV {synthetic.pv_cf.mean():.3f}, wind {synthetic.wind_cf.mean():.3f}")
    print(f"  PUE liquid / air      {pue_from_climate('liquid', w['temp_c']):.3f} / "
          f"{pue_from_climate('air', w['temp_c']):.3f}")
    print(f"  load 1.2 GW x 0.8     mean {load.mean():.1f} MW, min {load.min():.0f}, max {load.max():.0f}")
    print(f"first_s={first_s:.3f} cached_ms={cached_s * 1e3:.3f} synthetic_s={synthetic_s:.3f} "
          f"load_ms={load_s * 1e3:.2f} pv_cf={texas.pv_cf.mean():.4f} wind_cf={texas.wind_cf.mean():.4f}")


if __name__ == "__main__":
    main()
