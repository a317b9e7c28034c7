"""``stargate plan --set/--uncertainty`` and ``stargate sensitivity`` from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stargate.cli import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_plan_set_changes_scenario_and_catalog_fields():
    data = _json(["plan", "--json", "--uncertainty", "0", "--set", "cluster.count=100000", "--set",
                  "workload.run_days=none", "--set", "workload.training_flop=1e26",
                  "--set", "catalog.energy.defaults.gas_usd_per_mmbtu=6.0"])
    assert data["cluster"]["n_gpus"] == 100_000
    assert data["workload"]["training_flop"] == pytest.approx(1e26)
    assert data["overrides"] == {"catalog.energy.defaults.gas_usd_per_mmbtu": 6.0}
    assert "uncertainty" not in data
    cheap = _json(["plan", "--json", "--uncertainty", "0", "--set", "cluster.count=100000", "--set",
                   "workload.run_days=none", "--set", "workload.training_flop=1e26"])
    assert data["training"] == cheap["training"]  # the gas price does not touch the run
    assert data["supply"]["cost_usd_per_mwh"] > cheap["supply"]["cost_usd_per_mwh"]


@pytest.mark.parametrize(("value", "field"), [
    ("cluster.cont=5", "cluster.cont"), ("cluster.count=true", "cluster.count"),
    ("cluster.count=-3", "cluster.count"), ("catalog.costs.site.usd_per_mw=-1", "catalog.costs.site.usd_per_mw"),
    ("facility", "--set"),
])
def test_plan_set_errors_name_the_field(value, field, tmp_path):
    out = runner.invoke(app, ["plan", "--set", value, "--out", str(tmp_path / "o")])
    assert out.exit_code == 2
    assert field in out.output and "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "results.json").exists()


def test_plan_uncertainty_bands_in_json_and_terminal():
    data = _json(["plan", "--json", "--uncertainty", "8", "--seed", "2"])
    figures = data["uncertainty"]["figures"]
    assert data["uncertainty"]["samples"] == 8
    for name, band in figures.items():
        if band["p50"] == band["p50"]:  # not NaN
            assert band["p10"] <= band["p50"] <= band["p90"], name
    assert {i["field"] for i in data["uncertainty"]["inputs"]} >= {"error.mfu_factor", "cluster.price_usd_per_gpu"}
    out = runner.invoke(app, ["plan", "--uncertainty", "8", "--seed", "2"], env={"COLUMNS": "80"})
    assert out.exit_code == 0 and "How sure" in out.output and "P90" in out.output
    assert max(len(line) for line in out.output.splitlines()) <= 80


def test_sensitivity_names_top_drivers_with_their_swing(tmp_path):
    data = _json(["sensitivity", "--json", "--output", "training_days", "--output", "usd_per_gpu_hour"])
    rows = data["rows"]
    top = {o: next(r for r in rows if r["output"] == o and r["rank"] == 1)
           for o in ("training_days", "usd_per_gpu_hour")}
    assert top["training_days"]["input"] == "error.mfu_factor"
    assert top["usd_per_gpu_hour"]["input"] == "cluster.price_usd_per_gpu"
    assert data["evaluations"] == 16
    figure = tmp_path / "tornado.html"
    out = runner.invoke(app, ["sensitivity", "--output", "usd_per_gpu_hour", "--figure", str(figure)],
                        env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    assert "price per GPU" in out.output and "swing" in out.output
    assert "What moves the cost per GPU-hour" in figure.read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [["--method", "fast"], ["--output", "speed"], ["--samples", "1"],
                                  ["--set", "cluster.count=0"], ["--method", "morris", "--figure", "x.html"]])
def test_sensitivity_bad_input_is_one_line(args):
    out = runner.invoke(app, ["sensitivity", *args])
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == 1
