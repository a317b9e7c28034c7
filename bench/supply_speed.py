"""Benchmark of the supply optimisation (issue: power and supply).

The same problem - default West-Texas site, 8,760 hours, five technologies (PV, wind, gas CC, SMR,
4-h battery), flat-ish campus load, $50/t CO2 - solved by a straightforward PyPSA model
(pypsa.Network + n.optimize with HiGHS) and by the planner's direct sparse LP on HiGHS, then by the
planner in representative-days mode. Ends with one line:
``pypsa_baseline_s=<f> planner_s=<f> speedup=<f> cost_diff_pct=<f> repdays_speedup=<f> repdays_cost_err_pct=<f>``
"""

from __future__ import annotations

import time

from stargate.facility import hourly_load_mw
from stargate.supply import build_problem, solve_lp
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


if __name__ == "__main__":
    main()
