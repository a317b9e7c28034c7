"""An off-grid campus (Shackelford County-like: on-site gas engines, no grid, N+1) plans with its reserve."""

import pytest
import tomli_w
from typer.testing import CliRunner

import stargate
from stargate.cli import app


def _shackelford() -> dict:
    # Vantage "Frontier", Shackelford County TX: off-grid gas microgrid of reciprocating engines
    # (Capacity Media, 2025-08-20); a 1e26 FLOP run keeps the plan quick
    data = stargate.default_scenario().model_dump(mode="json", exclude_none=True)
    data["site"] = {"name": "Shackelford County TX", "lat_deg": 32.71, "lon_deg": -99.33, "grid_region": "ERCOT"}
    data["supply"] = {"mix": "offgrid_gas"}
    data["workload"] = {"training_flop": 1e26}
    return data


def test_offgrid_campus_plans_n_plus_1_engines_with_reserve_and_cost(tmp_path):
    result = stargate.plan(stargate.scenario_from_dict(_shackelford()))
    sup = result.supply
    r, techs = sup.result, sup.problem.technologies
    assert set(techs.index) == {"gas_engine", "pv", "battery"}          # no grid, no PPA
    peak = float(sup.problem.load_mw.max())
    firm = r.capacity_mw["gas_engine"] * 0.95 + r.capacity_mw["battery"]  # engines 95 % available, battery firm
    assert firm == pytest.approx(peak + 18.0, rel=1e-6)                   # N+1: one 18 MW engine lost
    assert r.capacity_mw["gas_engine"] * 0.95 >= peak - r.capacity_mw["battery"]
    # engines: 8.295 MMBtu/MWh x 53.06 kg/MMBtu = 440 g/kWh on what they generate
    engine_share = r.summary().at["gas_engine", "energy_mwh"] / r.load_mwh
    assert r.co2_g_per_kwh == pytest.approx(8.295 * 53.06 * engine_share, rel=1e-6)
    assert 40 < r.cost_usd_per_mwh < 120
    assert "N+1 on 18.0 MW units" in sup.description and "firm" in sup.description

    scenario = tmp_path / "shackelford.toml"
    scenario.write_text(tomli_w.dumps(_shackelford()), encoding="utf-8")
    out = CliRunner().invoke(app, ["supply", str(scenario)])
    assert out.exit_code == 0, out.output
    assert "reserve N+1 on 18.0 MW units: firm" in out.output
    assert "$/MWh" in out.output and "real WACC" in out.output
