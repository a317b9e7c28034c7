"""`--calibration FILE`: a refitted calibration is checked, then used by the commands that run the step model."""

from __future__ import annotations

import importlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.cli import app
from stargate.cli.app import read_calibration
from stargate.perf import calibration as calibration_module

runner = CliRunner()
SHIPPED = resources.files("stargate.catalog").joinpath("calibration.toml").read_text(encoding="utf-8")


def _variant(tmp_path: Path, name: str, pattern: str, replacement: str, section: str | None = None) -> Path:
    """The shipped calibration with one value replaced (inside ``[section]`` when given)."""
    if section is None:
        text, n = re.subn(pattern, replacement, SHIPPED, count=1, flags=re.M)
    else:
        head, _, tail = SHIPPED.partition(f"[{section}]\n")
        body, n = re.subn(pattern, replacement, tail, count=1, flags=re.M)
        text = head + f"[{section}]\n" + body
    assert n == 1
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_calibration_passes_the_checks():
    assert read_calibration(Path(str(resources.files("stargate.catalog").joinpath("calibration.toml")))) == (
        calibration_module.load_calibration())


def test_search_uses_the_given_calibration(tmp_path):
    slow = _variant(tmp_path, "slow.toml", r"^matmul_eff = .*$", "matmul_eff = 0.4", "family.hopper")
    args = ["search", "--gpus", "1024", "--batch-seqs", "512", "--top", "1", "--json"]
    base = json.loads(runner.invoke(app, args).output)["ranked"][0]
    out = runner.invoke(app, [*args, "--calibration", str(slow)])
    assert out.exit_code == 0, out.output
    calibrated = json.loads(out.output)["ranked"][0]
    assert calibrated["mfu"] < 0.8 * base["mfu"]
    # the override ends with the command: the next run uses the shipped calibration again
    assert json.loads(runner.invoke(app, args).output)["ranked"][0] == base
    search_module = importlib.import_module("stargate.perf.search")
    assert search_module.load_calibration is calibration_module.load_calibration


def test_plan_and_validate_use_the_given_calibration(tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text('name = "small"\n[workload]\nmodel = "llama-3.1-405b"\n'
                        '[cluster]\naccelerator = "h100-sxm"\ncount = 16384\n', encoding="utf-8")
    slow = _variant(tmp_path, "slow.toml", r"^matmul_eff = .*$", "matmul_eff = 0.4", "family.hopper")
    base = json.loads(runner.invoke(app, ["plan", str(scenario), "--json"]).output)
    out = runner.invoke(app, ["plan", str(scenario), "--json", "--calibration", str(slow)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["training"]["days"] > 1.3 * base["training"]["days"]
    val = runner.invoke(app, ["validate", "--dataset", "dev", "--json", "--calibration", str(slow)])
    shipped = runner.invoke(app, ["validate", "--dataset", "dev", "--json"])
    worse = json.loads(val.output)["summary"]["overall"]["median_abs_error_pct"]
    assert worse > json.loads(shipped.output)["summary"]["overall"]["median_abs_error_pct"] + 3


def test_a_file_written_by_calibrate_is_accepted(tmp_path):
    out_file = tmp_path / "refit.toml"
    fit = runner.invoke(app, ["calibrate", "--dataset", "dev", "--out", str(out_file), "--max-evaluations", "2"])
    assert fit.exit_code == 0, fit.output
    # the MoE path's trend is re-estimated on the refit and written with its dates (not rounded to a year)
    import tomllib

    from stargate.perf.calibration import load_calibration

    moe = tomllib.loads(out_file.read_text())["vintage_moe"]
    shipped = load_calibration().moe_vintage
    assert moe["gain_per_year"] > 0.1 and moe["ref_year"] == pytest.approx(shipped.ref_year, abs=1e-3)
    assert moe["latest_year"] == pytest.approx(shipped.latest_year, abs=1e-3)
    # ... and every trend with its gain's standard error, which the prediction intervals carry
    written = tomllib.loads(out_file.read_text())
    assert moe["gain_sd_per_year"] > 0.1
    # Blackwell's own four months of rows give an error above 0.3 per year; pooled with the other families'
    # gains (stargate.perf.vintage.pool_trends) the refit writes the pooled one
    assert 0 < written["vintage"]["blackwell"]["gain_sd_per_year"] < 0.1
    assert written["vintage"]["blackwell"]["gain_per_year"] > 0.02
    assert 0 < written["vintage"]["hopper"]["gain_sd_per_year"] < 0.1
    out = runner.invoke(app, ["search", "--gpus", "512", "--batch-seqs", "256", "--top", "1",
                              "--calibration", str(out_file)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output


BAD = [
    ("malformed.toml", r"^\[global\]$", "[global", None, "--calibration", "TOML"),
    ("range.toml", r"^tp_comm_exposed = .*$", "tp_comm_exposed = 3", "global", "global.tp_comm_exposed", "between"),
    ("text.toml", r"^matmul_eff = .*$", 'matmul_eff = "fast"', "family.hopper", "family.hopper.matmul_eff",
     "number"),
    ("unknown.toml", r"^gemm_half_dim = ", "gemm_halfdim = 1\ngemm_half_dim = ", "global", "global.gemm_halfdim",
     "unknown key"),
    ("partial.toml", r"^net_eff = .*$", "", "family.hopper", "family.hopper", "hopper"),
    ("sd.toml", r"^gain_sd_per_year = .*$", "gain_sd_per_year = -0.1", "vintage.hopper",
     "vintage.hopper.gain_sd_per_year", "between"),
    ("trend.toml", r"^ref_year = .*$", "", "vintage_moe", "vintage_moe.ref_year", "not given"),
]


@pytest.mark.parametrize(("name", "pattern", "replacement", "section", "field", "says"), BAD)
@pytest.mark.parametrize("command", [["plan"], ["search"], ["validate", "--dataset", "dev"], ["claims"],
                                     ["economics"], ["supply"]])
def test_a_bad_calibration_is_one_line_exit_2(tmp_path, command, name, pattern, replacement, section, field, says):
    bad = _variant(tmp_path, name, pattern, replacement, section)
    out = runner.invoke(app, [*command, "--calibration", str(bad)])
    assert out.exit_code == 2, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in out.output
    assert field in lines[0] and says in lines[0]


def test_a_missing_calibration_file_is_one_line_exit_2(tmp_path):
    out = runner.invoke(app, ["compare", "a.toml", "b.toml", "--calibration", str(tmp_path / "none.toml")])
    assert out.exit_code == 2
    assert out.output.strip().count("\n") == 0 and "--calibration" in out.output
