"""One formulation: the exported PyPSA network, re-optimised with the planner's added constraints
(24/7 CFE, firm capacity / N+k, storage linked across representative days), gives the planner's optimum."""

import warnings

import pytest

import stargate
from stargate.pipeline import campus_load_mw
from stargate.supply import build_problem, mixes, solve_lp
from stargate.supply.network import build_network, export_network, optimize_with_planner_constraints
from stargate.weather import site_profiles


def _problem(name, representative=8):  # the formulation, not the day count, is under test
    sc = stargate.default_scenario()
    profiles = site_profiles(sc.site.lat_deg, sc.site.lon_deg, "texas")
    load = campus_load_mw(sc, 1130.0, profiles, 245_760)
    mix = mixes()[name]
    return build_problem(load, profiles, mix["technologies"], mix.get("year", 2030),
                         mix.get("co2_price_usd_per_t", 0.0), mix.get("cfe_share"), mix.get("reserve_margin"),
                         mix.get("fixed_mw"), representative=representative, grid=mix.get("grid", True),
                         redundant_units=mix.get("redundant_units", 0), region="ERCOT")


@pytest.mark.parametrize("name", sorted(mixes()))
def test_reoptimised_export_equals_the_planner_objective(name, tmp_path):
    import pypsa

    problem = _problem(name)
    result = solve_lp(problem)
    path = tmp_path / f"{name}.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_network(problem, result, path)
        n = pypsa.Network(str(path))
        objective = optimize_with_planner_constraints(n)
    assert objective == pytest.approx(result.total_cost_usd, rel=1e-4)  # within 0.01 %
    assert n.meta["stargate"]["cfe_share"] == mixes()[name].get("cfe_share")  # kept by the NetCDF file


def test_without_the_added_constraints_pypsa_would_miss_cfe_and_n_plus_1():
    # the plain network is the relaxation: cfe90 without its 90 % hourly-matching is cheaper,
    # the islanded campus without N+1 builds less firm capacity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("cfe90", "offgrid_gas"):
            problem = _problem(name)
            n = build_network(problem)
            n.optimize(solver_name="highs", log_to_console=False)
            assert n.objective < 0.995 * solve_lp(problem).total_cost_usd, name


@pytest.mark.parametrize("name", sorted(mixes()))
def test_full_year_mode_export_equals_the_planner_objective(name, tmp_path):
    # the full-year formulation (unit weights, storage cycling over the horizon, no day links) on a
    # two-week horizon: the same code path as 8,760 hours at a 25th of the solve time
    import pypsa

    sc = stargate.default_scenario()
    profiles = site_profiles(sc.site.lat_deg, sc.site.lon_deg, "texas")
    load = campus_load_mw(sc, 1130.0, profiles, 245_760)[: 14 * 24]
    mix = mixes()[name]
    problem = build_problem(load, profiles, mix["technologies"], mix.get("year", 2030),
                            mix.get("co2_price_usd_per_t", 0.0), mix.get("cfe_share"), mix.get("reserve_margin"),
                            mix.get("fixed_mw"), representative=None, grid=mix.get("grid", True),
                            redundant_units=mix.get("redundant_units", 0), region="ERCOT")
    assert problem.sequence is None and (problem.weights == 1).all()
    result = solve_lp(problem)
    path = tmp_path / f"{name}.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_network(problem, result, path)
        objective = optimize_with_planner_constraints(pypsa.Network(str(path)))
    assert objective == pytest.approx(result.total_cost_usd, rel=1e-4)  # within 0.01 %
