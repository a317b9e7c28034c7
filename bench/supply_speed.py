"""Benchmark of the supply optimisation (issue: power and supply).

The same problem - default West-Texas site, 8,760 hours, five technologies (PV, wind, gas CC, SMR,
4-h battery), flat-ish campus load, $50/t CO2 - solved by a straightforward PyPSA model
(pypsa.Network + n.optimize with HiGHS) and by the planner's direct sparse LP on HiGHS, then by the
planner in representative-days mode; then every shipped mix on the default campus's hourly load, full
year vs 16 representative days (storage linked across the days), with each mix's default mode (mixes.toml).
Ends with one line:
``full_year_s=<f> pypsa_reference_s=<f> repdays_s=<f> repdays_cost_err_pct=<f> worst_mix_err_pct=<f>``
(worst_mix_err_pct: the largest |cost error| of representative days over the shipped mixes, with its mix).
"""

from __future__ import annotations

import time

from stargate.facility import hourly_load_mw
from stargate.supply import build_problem, mixes, solve_lp
from stargate.supply.network import solve_pypsa
from stargate.weather import site_profiles

TECHNOLOGIES = ["pv", "wind", "gas_cc", "smr", "battery"]


def main() -> None:
    profiles = site_profiles(32.45, -99.73)
    load = hourly_load_mw(1200.0, 0.8)
    full = build_problem(load, profiles, TECHNOLOGIES, year=2032, co2_price_usd_per_t=50.0)

    start = time.perf_counter()
    pypsa_cost = solve_pypsa(full)
    pypsa_s = time.perf_counter() - start

    start = time.perf_counter()
    planner = solve_lp(full)
    planner_s = time.perf_counter() - start

    start = time.perf_counter()
    reduced = build_problem(load, profiles, TECHNOLOGIES, year=2032, co2_price_usd_per_t=50.0, representative=16)
    rep = solve_lp(reduced)
    rep_s = time.perf_counter() - start

    diff = (planner.total_cost_usd - pypsa_cost) / pypsa_cost * 100
    rep_err = (rep.total_cost_usd - planner.total_cost_usd) / planner.total_cost_usd * 100
    print(f"PyPSA + HiGHS: {pypsa_s:.2f} s, {pypsa_cost / 1e6:,.1f} M$/yr")
    print(f"planner, full year: {planner_s:.2f} s, {planner.total_cost_usd / 1e6:,.1f} M$/yr, "
          f"{planner.cost_usd_per_mwh:.1f} $/MWh, mix {({k: round(v) for k, v in planner.capacity_mw.items()})}")
    print(f"planner, 16 representative days: {rep_s:.3f} s, {rep.total_cost_usd / 1e6:,.1f} M$/yr")
    print(f"pypsa_baseline_s={pypsa_s:.3f} planner_s={planner_s:.3f} speedup={pypsa_s / planner_s:.2f} "
          f"cost_diff_pct={diff:.4f} repdays_speedup={pypsa_s / rep_s:.1f} repdays_cost_err_pct={rep_err:.3f}")
    worst, worst_mix = 0.0, ""
    campus = hourly_load_mw(1130.0, 0.8)
    for name, mix in mixes().items():
        args = (campus, profiles, mix["technologies"], mix.get("year", 2030), mix.get("co2_price_usd_per_t", 0.0),
                mix.get("cfe_share"), mix.get("reserve_margin"), mix.get("fixed_mw"))
        extra = {"grid": mix.get("grid", True), "redundant_units": mix.get("redundant_units", 0), "region": "ERCOT"}
        start = time.perf_counter()
        year = solve_lp(build_problem(*args, **extra))
        year_s = time.perf_counter() - start
        days = solve_lp(build_problem(*args, representative=16, **extra))
        err = (days.total_cost_usd / year.total_cost_usd - 1) * 100
        total = sum(year.capacity_mw.values())
        caps = ", ".join(f"{g} {(days.capacity_mw[g] / mw - 1) * 100:+.0f} %" for g, mw in year.capacity_mw.items()
                         if mw > 0.05 * total)
        print(f"{name}: full year {year_s:.1f} s ({year.method}), 16 days {err:+.2f} % cost ({caps}); "
              f"default {mix.get('mode', 'representative_days')}", flush=True)
        if abs(err) > abs(worst):
            worst, worst_mix = err, name
    print(f"worst mix: {worst_mix}")
    print(f"full_year_s={planner_s:.3f} pypsa_reference_s={pypsa_s:.3f} repdays_s={rep_s:.3f} "
          f"repdays_cost_err_pct={rep_err:.3f} worst_mix_err_pct={worst:.3f}")


if __name__ == "__main__":
    main()
