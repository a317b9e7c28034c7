"""`stargate --version` and `stargate catalog ...`: the shipped catalogs as 80-column tables and as JSON."""

from __future__ import annotations

import json
from importlib import metadata

import pytest
from typer.testing import CliRunner

from stargate import catalog
from stargate.cli import app

runner = CliRunner()


def _fits(text: str) -> None:
    long = [line for line in text.splitlines() if len(line) > 80]
    assert not long, long
    assert "…" not in text


def test_version_is_the_package_metadata():
    out = runner.invoke(app, ["--version"])
    assert out.exit_code == 0
    assert out.output.strip() == f"stargate-planner {metadata.version('stargate-planner')}"


@pytest.mark.parametrize("what", ["accelerators", "models", "technologies", "sites"])
def test_catalog_tables_fit_80_columns(what):
    out = runner.invoke(app, ["catalog", what], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    _fits(out.output)
    assert f"stargate catalog {what} --json" in out.output


def test_catalog_accelerators_lists_every_entry_with_its_figures():
    out = runner.invoke(app, ["catalog", "accelerators"], env={"COLUMNS": "80"})
    rows = {line.split()[0].rstrip("*"): line.split() for line in out.output.splitlines() if line.strip()}
    for key, acc in catalog.accelerators().items():
        assert key in rows, key
        assert f"{acc.bf16_dense_tflops:,.0f}" in rows[key]
    assert rows["gb200"][-1] == f"{catalog.accelerator('gb200').price_usd / 1e3:,.1f}"
    assert "vera-rubin*" in out.output  # pre-release estimate marked


def test_catalog_json_holds_sources():
    accs = json.loads(runner.invoke(app, ["catalog", "accelerators", "--json"]).output)
    assert set(accs) == set(catalog.accelerators())
    assert accs["h100-sxm"]["sources"] and accs["h100-sxm"]["tdp_w"] == 700
    models = json.loads(runner.invoke(app, ["catalog", "models", "--json"]).output)
    assert models["llama-3.1-405b"]["layers"] == 126
    techs = json.loads(runner.invoke(app, ["catalog", "technologies", "--json"]).output)
    assert techs["gas_cc"]["capex_usd_per_kw"] > 0 and techs["gas_cc"]["sources"]
    sites = json.loads(runner.invoke(app, ["catalog", "sites", "--json"]).output)
    names = [s["name"] for s in sites["sites"]]
    assert "Abilene, TX" in names and len(names) >= 7
    assert all(s["sources"] for s in sites["sites"])


def test_catalog_technologies_and_sites_show_the_shipped_numbers():
    from stargate.roadmap import load_programme
    from stargate.supply.technologies import technology_catalog

    techs = runner.invoke(app, ["catalog", "technologies"], env={"COLUMNS": "80"}).output
    gas_cc = next(line for line in techs.splitlines() if line.startswith("gas_cc "))
    assert f"{technology_catalog()['gas_cc']['capex_usd_per_kw']:,.0f}" in gas_cc.split()
    sites = runner.invoke(app, ["catalog", "sites"], env={"COLUMNS": "80"}).output
    abilene = next(c for c in load_programme().campus if c.name.startswith("Abilene"))
    line = next(x for x in sites.splitlines() if x.startswith("Abilene"))
    assert f"{sum(p.mw for p in abilene.phases):,.0f}" in line.split()


def test_catalog_unknown_listing_is_one_line_exit_2():
    out = runner.invoke(app, ["catalog", "chips"])
    assert out.exit_code == 2
    assert "Traceback" not in out.output
