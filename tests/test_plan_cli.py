import json
import tomllib

import pytest
import yaml
from typer.testing import CliRunner

import stargate
from stargate.cli import app
from stargate.scenario import default_scenario_text, scenario_to_toml

runner = CliRunner()


def test_default_plan_reports_abilene_figures():
    result = stargate.plan(stargate.default_scenario())
    assert result.cluster.n_gpus == 450_000  # DCD 2025-10-15: 450,000 GB200 GPUs at Abilene
    used = result.performance.n_gpus_used
    assert 0 < used <= 450_000
    assert result.training.peak_flop_s == pytest.approx(used * 2.5e15)
    assert 0 < result.training.mfu < 1 and result.performance.best is not None
    # 450k x 1.2 kW x 1.53 (rack) x 1.14 (network, storage: Epoch AI) x PUE 1.2 = 1.13 GW, under the reported 1.2 GW
    assert result.facility.facility_power_mw == pytest.approx(450_000 * 1200 * 1.53 * 1.14 * 1.2 / 1e6)
    assert result.facility.facility_power_mw < result.facility.reported_capacity_mw
    days = result.workload.training_flop / (result.training.mfu * used * 2.5e15) / 86400
    assert result.training.days == pytest.approx(days)


def test_given_mfu_is_used_as_is():
    data = stargate.default_scenario().model_dump()
    data["performance"] = {"mfu": 0.4}
    result = stargate.plan(stargate.scenario_from_dict(data))
    assert result.training.mfu == 0.4 and result.performance.n_gpus_used == 450_000
    assert result.training.days == pytest.approx(result.workload.training_flop / (0.4 * 1.125e21) / 86400)


def test_moe_plan_says_its_routing_is_force_balanced(tmp_path):
    # the calibration's MoE runs are force-balanced benchmarks, so an MoE plan's MFU assumes the same routing and
    # says so (API, JSON and the printed MFU basis); a dense plan says nothing of routing
    data = stargate.default_scenario().model_dump()
    data["workload"] = {"model": "deepseek-v3", "precision": "bf16"}
    data["cluster"]["count"] = 16_384
    scenario = stargate.scenario_from_dict(data)
    moe = stargate.plan(scenario)
    assert "force-balanced" in moe.performance.routing_note and "(optimistic)" in moe.performance.routing_note
    assert stargate.plan(stargate.default_scenario()).performance.routing_note == ""
    file = tmp_path / "moe.toml"
    file.write_text(scenario_to_toml(scenario))
    out = runner.invoke(app, ["plan", str(file), "--uncertainty", "0"])
    assert out.exit_code == 0, out.output
    assert "force-balanced expert load" in " ".join(out.output.replace("│", " ").split())
    as_json = runner.invoke(app, ["plan", str(file), "--uncertainty", "0", "--json"])
    assert "force-balanced" in json.loads(as_json.stdout)["performance"]["routing_note"]


def test_cli_plan_prints_summary_with_sources():
    out = runner.invoke(app, ["plan"])
    assert out.exit_code == 0, out.output
    for text in ("450,000", "EFLOP/s", "days", "facility power", "TWh", "Chinchilla", "DeepSeek LLM"):
        assert text in out.output


def test_cli_plan_json_and_out_dir(tmp_path):
    out = runner.invoke(app, ["plan", "--json", "--out", str(tmp_path)])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["cluster"]["n_gpus"] == 450_000
    assert json.loads((tmp_path / "results.json").read_text()) == data


def test_show_default_round_trips_through_plan(tmp_path):
    out = runner.invoke(app, ["scenario", "show-default"])
    path = tmp_path / "s.toml"
    path.write_text(out.stdout)
    assert stargate.load_scenario(path) == stargate.default_scenario()
    # and the serialiser round-trips too
    again = stargate.scenario_from_dict(tomllib.loads(scenario_to_toml(stargate.default_scenario())))
    assert again == stargate.default_scenario()


def test_yaml_scenario_loads(tmp_path):
    data = tomllib.loads(default_scenario_text())
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    assert stargate.load_scenario(path) == stargate.default_scenario()


def _edited(tmp_path, section, key, value):
    data = tomllib.loads(default_scenario_text())
    if value is None:
        data[section].pop(key)
    else:
        data[section][key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("section,key,value,expected", [
    ("cluster", "accelerator", "h1000", "cluster.accelerator = 'h1000': unknown accelerator; one of"),
    ("cluster", "count", -5, "cluster.count = -5: Input should be greater than or equal to 1"),
    ("performance", "mfu", 1.5, "performance.mfu = 1.5: Input should be less than or equal to 1"),
    ("cluster", "colour", "red", "cluster.colour = 'red': unknown key"),
    ("cluster", "count", "many", "cluster.count = 'many': Input should be a valid integer"),
])
def test_bad_scenario_gives_one_line_exit_2_and_no_output(tmp_path, section, key, value, expected):
    path = _edited(tmp_path, section, key, value)
    outdir = tmp_path / "out"
    out = runner.invoke(app, ["plan", str(path), "--out", str(outdir)])
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], out.stderr
    assert "Traceback" not in out.output
    assert not outdir.exists()


def test_malformed_toml_is_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[cluster\ncount = 3")
    out = runner.invoke(app, ["plan", str(path)])
    assert out.exit_code == 2
    assert "is not valid TOML" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_missing_file_is_one_line(tmp_path):
    out = runner.invoke(app, ["plan", str(tmp_path / "nope.toml")])
    assert out.exit_code == 2 and "scenario file" in out.stderr


def test_accelerator_without_tdp_asks_for_it_and_runs_when_given(tmp_path):
    path = tmp_path / "tpu.toml"
    path.write_text('[workload]\nmodel = "gpt3-175b"\n[cluster]\naccelerator = "tpu-v5p"\ncount = 1024\n')
    out = runner.invoke(app, ["plan", str(path)])
    assert out.exit_code == 2 and "facility.accelerator_tdp_w" in out.stderr
    path.write_text(path.read_text() + "[facility]\naccelerator_tdp_w = 600\n")
    out = runner.invoke(app, ["plan", str(path), "--json"])
    data = json.loads(out.stdout)
    assert data["facility"]["accelerator_power_mw"] == pytest.approx(1024 * 600 / 1e6)
    assert data["economics"] is None  # rent-only: no purchase price


def test_html_report_has_the_plots_and_sources(tmp_path):
    path = tmp_path / "report.html"
    out = runner.invoke(app, ["plan", "--report", str(path)])
    assert out.exit_code == 0, out.output
    text = path.read_text()
    for title in ("Where a training step goes", "from accelerators to the grid connection", "hourly supply",
                  "Yearly cost of the campus", "Programme build-out", "Sources of the scenario's inputs"):
        assert title in text
    # five figures of the plan and, with the default uncertainty bands, two tornados (days, $/GPU-hour)
    assert "What moves the training time with failures" in text and "How sure" in text
    assert text.count("Plotly.newPlot") == 7 and (path.stat().st_mode & 0o777) != 0o600
