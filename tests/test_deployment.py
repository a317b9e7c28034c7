"""Accelerator-dependent settings come from the catalog unless given, and say which."""

import re
import tomllib

import pytest
from typer.testing import CliRunner

import stargate
from stargate.cli import app
from stargate.errors import InputError
from stargate.pipeline import resolve_cluster, train
from stargate.scenario import default_scenario_text

runner = CliRunner()


def h100_text() -> str:
    """The issue's edit of the default: `sed 's/"gb200"/"h100-sxm"/; s/^count = .*/count = 100000/'`."""
    text = default_scenario_text().replace('"gb200"', '"h100-sxm"', 1)
    return re.sub(r"(?m)^count = .*$", "count = 100000", text)


def test_switching_the_default_to_h100_plans_an_hgx_cluster():
    sc = stargate.scenario_from_dict(tomllib.loads(h100_text()))
    run = train(sc)
    layout = run.performance.best.layout
    assert run.cluster.scaleup_domain == 8 and layout["tp"] <= 8
    result = stargate.plan(sc)
    dep = result.deployment
    assert dep.tdp_w_per_gpu.value == 700 and dep.cooling.value == "air"
    # DGX H100: 10.2 kW for 8 x 700 W = x1.82 (NVIDIA DGX H100 datasheet)
    assert dep.server_overhead_factor.value == pytest.approx(10.2 / 5.6, abs=0.01)
    assert all(basis == "catalog (h100-sxm)" for _, _, basis in dep.rows())
    # 100k x 700 W x 1.82 x 1.14 (network, storage) x PUE 1.2 = 174 MW (GB200 settings would give 2.2x more)
    assert result.facility.facility_power_mw == pytest.approx(100_000 * 700 * 1.82 * 1.14 * 1.2 / 1e6, rel=0.01)


def test_given_values_win_and_are_labelled():
    data = tomllib.loads(h100_text())
    data["facility"]["server_overhead_factor"] = 1.6
    data["cluster"]["scaleup_domain"] = 16
    result = stargate.plan(stargate.scenario_from_dict(data))
    dep = result.deployment
    assert (dep.server_overhead_factor.value, dep.server_overhead_factor.basis) == (1.6, "given in scenario")
    assert dep.scaleup_domain.value == 16 and dep.rack_kw.basis == "catalog (h100-sxm)"
    assert result.facility.it_power_mw == pytest.approx(100_000 * 700 * 1.6 * 1.14 / 1e6, rel=1e-6)


def test_a_source_note_naming_another_accelerator_is_refused():
    data = tomllib.loads(h100_text())
    data["facility"]["rack_kw"] = 132.0
    data["sources"]["facility.rack_kw"] = "GB200 NVL72 rack: 132 kW"
    with pytest.raises(InputError) as err:
        resolve_cluster(stargate.scenario_from_dict(data))
    message = str(err.value)
    assert "sources.facility.rack_kw" in message and "GB200" in message and "h100-sxm" in message
    # the same note on a GB200 cluster is fine
    data["cluster"]["accelerator"] = "gb200"
    resolve_cluster(stargate.scenario_from_dict(data))


def test_plan_cli_shows_where_each_setting_comes_from(tmp_path):
    path = tmp_path / "h100.toml"
    path.write_text(h100_text())
    out = runner.invoke(app, ["plan", str(path)])
    assert out.exit_code == 0, out.output
    assert "Accelerator-dependent settings (h100-sxm)" in out.stdout and "catalog (h100-sxm)" in out.stdout


def test_plan_shows_the_softmax_rate_it_used(tmp_path):
    # the step model's softmax term: the catalog's exponentials per GPU (H100: 3.9e12, FlashAttention-3) and the
    # calibration's overlap; an accelerator without a published rate says that no softmax time is counted
    path = tmp_path / "h100.toml"
    path.write_text(h100_text())
    out = runner.invoke(app, ["plan", str(path)])
    assert out.exit_code == 0, out.output
    row = next(line for line in out.stdout.splitlines() if "softmax exponentials" in line)
    assert "3.9e12/s per GPU" in row and "catalog (h100-sxm)" in row
    assert "hide 50% of" in " ".join(out.stdout.split())
