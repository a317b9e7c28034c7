"""Weather profiles, facility load and the supply optimisation."""

import itertools
import json
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stargate.cli import app
from stargate.errors import InputError
from stargate.facility import hourly_load_mw
from stargate.supply import build_problem, solve_lp
from stargate.supply.network import solve_pypsa
from stargate.supply.problem import SupplyProblem
from stargate.supply.technologies import annuity, technology_table
from stargate.weather import site_profiles

TEXAS = site_profiles(35.2018863, -101.945027)
# full-year solves of the campus mixes take 0.5-3 min each on 2 cores: run with STARGATE_SLOW_TESTS=1
slow = pytest.mark.skipif(not os.environ.get("STARGATE_SLOW_TESTS"), reason="full-year campus solve: set "
                          "STARGATE_SLOW_TESTS=1")


def _flat(hours, techs, load=100.0, **kw):
    table = technology_table(techs)
    avail = pd.DataFrame({g: np.full(hours, table.at[g, "availability"]) for g in techs})
    return SupplyProblem(np.full(hours, load), avail, table, np.full(hours, 8760 / hours),
                         np.zeros(hours, dtype=int), **kw)


def test_flat_load_one_firm_technology_gives_the_hand_computed_lcoe():
    problem = _flat(48, ["smr"], year=2035)
    result = solve_lp(problem)
    t = technology_table(["smr"]).loc["smr"]
    capacity = 100.0 / t.availability
    lcoe = (capacity * t.fixed_usd_per_mw_yr + 100.0 * 8760 * t.marginal_usd_per_mwh) / (100.0 * 8760)
    assert result.capacity_mw["smr"] == pytest.approx(capacity, rel=1e-6)
    assert result.cost_usd_per_mwh == pytest.approx(lcoe, rel=1e-6)
    # ATB convention: 5.5 % real over the 30-year cost recovery period (an SMR lives 40 years):
    # 0.055 / (1 - 1.055^-30) = 0.068805 -> 9,366 $/kW x 0.068805 + 127.62 = 772.05 $/kW-yr
    assert annuity(0.055, 30) == pytest.approx(0.0688054, rel=1e-6)
    assert t.fixed_usd_per_mw_yr == pytest.approx(772.05e3, rel=1e-5)


def test_annuity_is_pypsas():
    import pypsa.costs

    for rate, years in ((0.055, 30), (0.044, 15), (0.0, 20), (0.071, 40)):
        assert annuity(rate, years) == pytest.approx(pypsa.costs.annuity(rate, years), rel=1e-12)


def test_energy_balance_every_hour_and_cost_is_the_sum_of_its_parts():
    load = hourly_load_mw(500.0, 0.8)[: 24 * 14]
    problem = build_problem(load, TEXAS, ["pv", "wind", "battery", "gas_cc"], year=2030, co2_price_usd_per_t=80.0)
    result = solve_lp(problem)
    assert np.allclose(result.dispatch_mw.sum(axis=1).to_numpy(), problem.load_mw, atol=1e-3)
    assert result.total_cost_usd == pytest.approx(result.cost_breakdown_usd.to_numpy().sum())
    assert result.summary()["cost_usd"].sum() == pytest.approx(result.total_cost_usd)


def test_planner_lp_equals_the_pypsa_optimum():
    load = hourly_load_mw(300.0, 0.8)[: 24 * 7]
    problem = build_problem(load, TEXAS, ["pv", "wind", "battery", "gas_cc", "smr"], year=2032,
                            co2_price_usd_per_t=50.0)
    assert solve_lp(problem).total_cost_usd == pytest.approx(solve_pypsa(problem), rel=1e-3)


def test_pv_only_100pct_cfe_is_explained_in_one_line():
    problem = build_problem(hourly_load_mw(100.0, 0.8)[:72], TEXAS, ["pv"], cfe_share=1.0)
    with pytest.raises(InputError) as err:
        solve_lp(problem)
    message = str(err.value)
    assert "cfe_share" in message and "no storage or firm clean power" in message and "\n" not in message


def test_higher_co2_price_never_raises_emissions():
    load = hourly_load_mw(200.0, 0.8)[: 24 * 7]
    emissions = [solve_lp(build_problem(load, TEXAS, ["pv", "wind", "battery", "gas_cc"], year=2030,
                                        co2_price_usd_per_t=price)).co2_t for price in (0, 50, 100, 200, 400)]
    assert all(b <= a * (1 + 1e-4) + 1 for a, b in itertools.pairwise(emissions))


def test_representative_days_stay_within_2pct_of_the_full_year():
    load = hourly_load_mw(300.0, 0.8)
    techs = ["pv", "wind", "gas_cc", "battery"]
    full = solve_lp(build_problem(load, TEXAS, techs, year=2030, co2_price_usd_per_t=100.0))
    reduced = solve_lp(build_problem(load, TEXAS, techs, year=2030, co2_price_usd_per_t=100.0, representative=16))
    assert reduced.total_cost_usd == pytest.approx(full.total_cost_usd, rel=0.02)


def test_supply_cli_json_and_export(tmp_path):
    import tomli_w

    import stargate

    data = stargate.default_scenario().model_dump(mode="json", exclude_none=True)
    data["supply"] = {"mix": "cfe90", "mode": "representative_days"}  # cfe90's own default is the full year
    scenario = tmp_path / "cfe90.toml"
    scenario.write_text(tomli_w.dumps(data), encoding="utf-8")
    out = CliRunner().invoke(app, ["supply", str(scenario), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["cfe_hourly_share"] >= 0.9 - 1e-3 and data["cost_usd_per_mwh"] > 0
    path = tmp_path / "net.nc"
    out = CliRunner().invoke(app, ["supply", "--mix", "grid", "--export-network", str(path)])
    assert out.exit_code == 0 and path.is_file()
    import pypsa
    assert "grid" in pypsa.Network(str(path)).generators.index


def test_co2_frontier_is_monotone():
    from stargate.supply import co2_price_frontier
    frontier = co2_price_frontier(hourly_load_mw(100.0, 0.8), TEXAS, ["pv", "wind", "battery", "gas_cc"],
                                  (0, 100, 200, 400), representative=16)
    assert (np.diff(frontier["co2_g_per_kwh"]) <= 1e-3).all()
    assert (np.diff(frontier["cost_usd_per_mwh"]) >= -1e-3).all()
    assert frontier["co2_g_per_kwh"].iloc[-1] < 0.5 * frontier["co2_g_per_kwh"].iloc[0]


def test_representative_days_keep_the_year_energy_the_peak_and_the_worst_weather_days():
    import numpy as np
    import pandas as pd

    from stargate.supply.repdays import representative_days

    rng = np.random.default_rng(4)
    hours = 8760
    load = 1000 + 200 * np.sin(np.arange(hours) / 24 * 2 * np.pi) + rng.normal(0, 30, hours)
    load[5000:5024] += 400  # one heat-wave day
    wind = np.clip(rng.beta(2, 2, hours), 0, 1)
    wind[3000:3024] = 0.01  # a windless day
    avail = pd.DataFrame({"wind": wind, "gas_cc": np.full(hours, 0.95)})
    out_load, out_avail, weights, period = representative_days(load, avail, 12, seed=1)
    assert weights @ out_load == pytest.approx(load.sum(), rel=1e-12)  # annual energy exactly
    assert weights.sum() == hours and len(np.unique(period)) == 12
    assert out_load.max() == pytest.approx(load.max())                 # the peak-load day is kept as it is
    assert out_avail["wind"].min() == pytest.approx(0.01)              # and the windless day
    assert weights @ out_avail["wind"] == pytest.approx(wind.sum(), rel=0.01)
    assert bool((out_avail["gas_cc"] == 0.95).all())  # constant availabilities stay as they are


@slow
@pytest.mark.xfail(strict=True, reason="least_cost is grid + wind + PV + 284 MW of CC, whose split with the grid "
                   "is set by 0.02 % of the cost (a CC 14 % smaller costs +0.02 % on the full year): 16 days meet "
                   "the cost (-0.5 %) but miss the CC by 26 % (tests/test_supply_repdays.py)")
def test_least_cost_on_representative_days_is_within_1pct_of_the_full_year():
    import stargate
    from stargate.pipeline import campus_load_mw
    from stargate.supply import build_problem, mixes, solve_lp
    from stargate.weather import site_profiles

    sc = stargate.default_scenario()
    profiles = site_profiles(sc.site.lat_deg, sc.site.lon_deg, "texas")
    load = campus_load_mw(sc, 1130.0, profiles, 245_760)
    techs = mixes()["least_cost"]["technologies"]
    full = solve_lp(build_problem(load, profiles, techs, 2030))
    days = solve_lp(build_problem(load, profiles, techs, 2030, representative=16))
    assert days.total_cost_usd == pytest.approx(full.total_cost_usd, rel=0.01)
    assert days.load_mwh == pytest.approx(full.load_mwh, rel=1e-9)
    for tech, mw in full.capacity_mw.items():
        if mw > 0.05 * sum(full.capacity_mw.values()):
            assert days.capacity_mw[tech] == pytest.approx(mw, rel=0.10), tech
    assert "simplex" in days.method


def test_an_islanded_campus_builds_n_plus_1_on_site_and_imports_nothing():
    import stargate
    from stargate.errors import InputError
    from stargate.supply import SupplySection, optimise_supply

    data = stargate.default_scenario().model_dump(mode="json", exclude_none=True)
    data["supply"] = {"mix": "offgrid_gas"}
    data["workload"] = {"training_flop": 1e26}
    result = stargate.plan(stargate.scenario_from_dict(data))
    r, techs = result.supply.result, result.supply.problem.technologies
    assert not set(techs["kind"]) & {"grid", "ppa"}
    peak = float(result.supply.problem.load_mw.max())
    # N+1: available firm capacity (engines at 95 %, the battery) covers the peak with one 18 MW engine lost
    firm = r.capacity_mw["gas_engine"] * 0.95 + r.capacity_mw["battery"]
    assert firm == pytest.approx(peak + 18.0, rel=1e-6)
    assert "N+1 on 18.0 MW units" in result.supply.description
    with pytest.raises(InputError, match="unit size for gas_cc"):
        optimise_supply(result.supply.problem.load_mw, TEXAS, SupplySection(mix="least_cost", grid=False,
                                                                             redundant_units=1), 1.0)
