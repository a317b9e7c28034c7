"""Representative days against the full year, for every shipped mix, on the default campus's load.

The full-year figures are pinned (cost in M$/yr, every capacity above 5 % of the total, MW) from
solves of the same problems; ``STARGATE_SLOW_TESTS=1`` re-solves them (0.5-3 min per storage mix on
2 cores). Target: 16 linked representative days within 1 % of the full-year cost and 10 % of each
capacity; mixes that miss it default to the full year (``mode = "full_year"`` in mixes.toml) or are
marked as known failures with the measured gap (capacities only: every default solve meets the cost).
"""

import os
from functools import cache, lru_cache

import pytest

import stargate
from stargate.pipeline import campus_load_mw
from stargate.supply import build_problem, mixes, solve_lp
from stargate.weather import site_profiles

FULL_YEAR = {  # mix: (total cost M$/yr, capacities MW) of the 8,760-hour solve, 2025 costs, Abilene campus
    "grid": (475.142, {"grid": 1130.0}),
    "gas_turbines": (489.430, {"gas_turbine": 1189.5}),
    "nuclear_ppa": (747.246, {"nuclear_ppa": 835.0, "grid": 353.4}),
    "smr": (1058.612, {"smr": 1215.1}),
    "renewables_gas": (544.062, {"pv": 364.7, "wind": 1078.7, "battery": 199.6, "gas_cc": 745.1,
                                 "gas_turbine": 210.2}),
    "cfe90": (543.686, {"grid": 1085.8, "pv": 1202.0, "wind": 1597.1, "battery": 582.7}),
    "cfe100": (853.630, {"battery": 194.5, "smr": 146.3, "nuclear_ppa": 835.0}),
    "fusion": (970.733, {"fusion": 500.0, "grid": 880.0}),
    "least_cost": (349.662, {"grid": 837.3, "gas_cc": 284.0, "pv": 356.1, "wind": 822.5}),
    "offgrid_gas": (505.532, {"gas_engine": 1020.0, "battery": 179.0}),
}
# measured with 16 linked days: the capacity furthest off, and what that capacity costs on the full year
KNOWN_GAPS = {
    "renewables_gas": "battery -29 %, gas_turbine +34 % (cost -0.27 %); on the full year a battery 27 % smaller "
                      "costs +0.03 %: the battery/turbine split is set by 0.03 % of the cost",
    "least_cost": "gas_cc -26 % (cost -0.50 %); on the full year a CC 14 % smaller costs +0.02 %: the CC/grid "
                  "split is set by 0.02 % of the cost",
}

@lru_cache(maxsize=1)
def _campus():
    sc = stargate.default_scenario()
    profiles = site_profiles(sc.site.lat_deg, sc.site.lon_deg, "texas")
    return campus_load_mw(sc, 1130.0, profiles, 245_760), profiles


def _problem(name, representative):
    load, profiles = _campus()
    mix = mixes()[name]
    return build_problem(load, profiles, mix["technologies"], mix.get("year", 2030),
                         mix.get("co2_price_usd_per_t", 0.0), mix.get("cfe_share"), mix.get("reserve_margin"),
                         mix.get("fixed_mw"), representative=representative, grid=mix.get("grid", True),
                         redundant_units=mix.get("redundant_units", 0), region="ERCOT")


def test_every_shipped_mix_has_a_full_year_reference():
    assert set(FULL_YEAR) == set(mixes())


@cache
def _default_solve(name):
    return solve_lp(_problem(name, 16))


@pytest.mark.parametrize("name", sorted(FULL_YEAR))
def test_default_solve_of_each_mix_is_within_1pct_of_the_full_year_cost(name):
    if mixes()[name].get("mode") == "full_year":
        return  # its default is the full year itself (16 days: cfe90 -9 %)
    assert _default_solve(name).total_cost_usd / 1e6 == pytest.approx(FULL_YEAR[name][0], rel=0.01)


@pytest.mark.parametrize("name", sorted(FULL_YEAR))
def test_default_solve_of_each_mix_is_within_10pct_of_each_full_year_capacity(name, request):
    if mixes()[name].get("mode") == "full_year":
        return
    if name in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[name]))
    days = _default_solve(name)
    for tech, mw in FULL_YEAR[name][1].items():
        assert days.capacity_mw[tech] == pytest.approx(mw, rel=0.10), tech


def test_linked_storage_carries_energy_from_day_to_day():
    # a 4-h battery on 16 days: the intra-day state of charge need not return to 0 on every day,
    # yet over the year's 365-day sequence the days' net changes sum to zero (the year cycles)
    problem = _problem("offgrid_gas", 16)
    assert problem.sequence is not None and len(problem.sequence) == 365
    assert sorted(set(problem.sequence)) == sorted(set(problem.period))
    counts = {k: int((problem.sequence == k).sum()) for k in set(problem.period)}
    hours = {k: float(problem.weights[problem.period == k][0]) for k in set(problem.period)}
    assert counts == hours  # each day stands for as many days of the year as its weight says


@pytest.mark.skipif(not os.environ.get("STARGATE_SLOW_TESTS"), reason="full-year solves: STARGATE_SLOW_TESTS=1")
@pytest.mark.parametrize("name", sorted(FULL_YEAR))
def test_pinned_full_year_figures_are_current(name):
    cost, caps = FULL_YEAR[name]
    year = solve_lp(_problem(name, None))
    assert year.total_cost_usd / 1e6 == pytest.approx(cost, rel=1e-4)
    for tech, mw in caps.items():
        assert year.capacity_mw[tech] == pytest.approx(mw, rel=1e-3, abs=0.5), tech


def test_the_days_of_highest_net_load_stand_for_themselves():
    import numpy as np
    import pandas as pd

    from stargate.supply.repdays import representative_periods

    rng = np.random.default_rng(2)
    hours = 8760
    load = 1000 + rng.normal(0, 20, hours)
    wind = rng.beta(3, 2, hours)
    wind[24 * 200: 24 * 201] = 0.9
    wind[24 * 200 + 16: 24 * 200 + 22] = 0.0  # a calm evening on an otherwise windy day
    avail = pd.DataFrame({"wind": wind})
    _, _, weights, period, sequence = representative_periods(load, avail, 16, sizing={"wind": 1000.0})
    assert weights[period == sequence[200]][0] == 1.0  # kept as it is, standing for itself
    _, _, weights, period, sequence = representative_periods(load, avail, 16)
    assert weights[period == sequence[200]][0] > 1.0   # without the wind's capacity, just a cluster day
    assert weights.sum() == hours


NEAR_OPTIMAL_SLACK_PCT = 0.25  # a quarter of the 1 % the representative days may miss the cost by


@pytest.mark.parametrize("name", sorted(FULL_YEAR))
def test_full_year_capacities_are_near_optimal_on_the_representative_days(name):
    # where a capacity misses 10 % (KNOWN_GAPS), the optimum is flat: the full year's capacities are among the
    # mixes the 16 days cannot tell from their least cost by more than 0.25 % (MGA ranges, DeCarolis 2011)
    if mixes()[name].get("mode") == "full_year":
        return
    from stargate.supply.lp import near_optimal_ranges

    ranges = near_optimal_ranges(_problem(name, 16), NEAR_OPTIMAL_SLACK_PCT)
    for tech, mw in FULL_YEAR[name][1].items():
        if tech not in ranges:  # fixed or free of capacity cost: sized by its use
            continue
        low, high = ranges[tech]
        assert low - 0.5 <= mw <= high + 0.5, (tech, low, mw, high)


def test_near_optimal_range_of_two_equal_generators_spans_the_load():
    # two identical generators: any split of the 100 MW load costs the same, so each ranges over 0-100 MW,
    # plus the idle capacity the slack buys: 0.1 % of (100 MW x 100 k$/MW + 100 MW x 8,760 h x 10 $/MWh)
    # = 18,760 $ = 0.1876 MW more
    import numpy as np
    import pandas as pd

    from stargate.supply.lp import near_optimal_ranges
    from stargate.supply.problem import SupplyProblem

    techs = pd.DataFrame({"kind": ["generator", "generator"], "fixed_usd_per_mw_yr": [100_000.0, 100_000.0],
                          "marginal_usd_per_mwh": [10.0, 10.0], "co2_t_per_mwh": [0.0, 0.0],
                          "max_mw": [np.inf, np.inf], "earliest_year": [2020, 2020], "carbon_free": [True, True],
                          "availability": [1.0, 1.0], "efficiency": [1.0, 1.0], "duration_h": [0.0, 0.0]},
                         index=["a", "b"])
    hours = 24
    load = np.full(hours, 100.0)
    avail = pd.DataFrame({"a": np.ones(hours), "b": np.ones(hours)})
    problem = SupplyProblem(load_mw=load, availability=avail, technologies=techs, weights=np.full(hours, 365.0),
                            period=np.zeros(hours, dtype=int), year=2030)
    ranges = near_optimal_ranges(problem, 0.1)
    top = 100.0 + 0.001 * (100 * 100_000 + 100 * 8760 * 10) / 100_000
    assert ranges["a"] == pytest.approx((0.0, top), rel=1e-5, abs=1e-6)
    assert ranges["b"] == pytest.approx((0.0, top), rel=1e-5, abs=1e-6)


def test_supply_cli_ranges_each_capacity_around_the_least_cost_mix():
    import json

    from typer.testing import CliRunner

    from stargate.cli import app

    out = CliRunner().invoke(app, ["supply", "--near-optimal", "0.25", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    ranges = data["near_optimal"]["capacity_range_mw"]
    assert data["near_optimal"]["slack_pct"] == 0.25 and ranges
    for tech, (low, high) in ranges.items():   # the least-cost mix is one of the near-optimal ones
        assert low - 1e-3 <= data["capacity_mw"][tech] <= high + 1e-3, tech
    bad = CliRunner().invoke(app, ["supply", "--near-optimal", "-1"])
    assert bad.exit_code == 2 and "--near-optimal" in bad.output
