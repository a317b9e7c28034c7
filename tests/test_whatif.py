"""What-if: overrides, comparison, sweeps (serial and Dask, resume), uncertainty bands, sensitivity."""

from __future__ import annotations

import pytest

from stargate import InputError, default_scenario
from stargate.economics import cost_data
from stargate.whatif import apply_overrides, evaluate, parse_value
from stargate.whatif.overrides import catalog_patched


def test_parse_value_is_toml_then_string():
    assert parse_value("100000") == 100000 and parse_value("1.2") == 1.2 and parse_value("3e27") == 3e27
    assert parse_value("true") is True and parse_value("h100-sxm") == "h100-sxm" and parse_value('"x y"') == "x y"
    assert parse_value("none") is None


def test_overrides_apply_and_validate():
    sc = apply_overrides(default_scenario(), ["cluster.accelerator=h100-sxm", "cluster.count=100000",
                                              "facility.pue=none", "workload.run_days=60"])
    assert (sc.cluster.accelerator, sc.cluster.count, sc.facility.pue, sc.workload.run_days) == \
        ("h100-sxm", 100000, None, 60)
    assert default_scenario().cluster.count == 450000  # the input is not changed


@pytest.mark.parametrize(("item", "field"), [
    ("cluster.cnt=5", "cluster.cnt"), ("cluster.count=abc", "cluster.count"), ("cluster.count=0", "cluster.count"),
    ("cluster.accelerator=tpu-v99", "cluster.accelerator"), ("workload.training_flop=1e27", "workload.training_flop"),
    ("facility.pue.x=1", "facility.pue.x"), ("nosuch=1", "nosuch"), ("cluster=3", "cluster"),
])
def test_override_errors_name_the_field(item, field):
    with pytest.raises(InputError) as err:
        apply_overrides(default_scenario(), [item])
    assert str(err.value).startswith(field + " = ") and "\n" not in str(err.value)


def test_catalog_patch_is_applied_and_restored():
    base = cost_data()["site"]["usd_per_mw"]
    with catalog_patched({"catalog.costs.site.usd_per_mw": 2 * base}):
        assert cost_data()["site"]["usd_per_mw"] == 2 * base
    assert cost_data()["site"]["usd_per_mw"] == base
    with pytest.raises(InputError, match=r"^catalog\.costs\.site\.nope = "), catalog_patched(
            {"catalog.costs.site.nope": 1.0}):
        pass


def test_evaluate_matches_plan_and_moves_with_inputs():
    import stargate
    from stargate.whatif import headline

    sc = default_scenario()
    row = evaluate(sc)
    assert row == headline(stargate.plan(sc))
    assert 90 < row["training_days_with_failures"] <= 100 and 1000 < row["facility_mw"] < 1200
    dearer = evaluate(sc, {"catalog.costs.site.usd_per_mw": 25e6, "error.mfu_factor": 0.8})
    assert dearer["capex_busd"] > row["capex_busd"] and dearer["usd_per_gpu_hour"] > row["usd_per_gpu_hour"]
    assert dearer["training_days"] == pytest.approx(row["training_days"] / 0.8)
    assert dearer["facility_mw"] == row["facility_mw"]


def test_compare_table_and_cli(tmp_path):
    from typer.testing import CliRunner

    from stargate.cli import app
    from stargate.scenario import default_scenario_text
    from stargate.whatif.compare import compare

    a = tmp_path / "a.toml"
    a.write_text(default_scenario_text())
    b = tmp_path / "b.toml"
    b.write_text(default_scenario_text().replace("count = 450000", "count = 300000"))
    frame = compare(a, b)
    assert frame.at["gpus", "difference"] == -150_000 and frame.at["gpus", "change_pct"] == pytest.approx(-100 / 3)
    assert frame.at["facility_mw", "b"] == pytest.approx(frame.at["facility_mw", "a"] * 2 / 3)
    assert frame.at["training_run_musd", "a"] > 1000
    runner = CliRunner()
    out = runner.invoke(app, ["compare", str(a), str(b)], env={"COLUMNS": "80"})
    assert out.exit_code == 0 and "GPUs in the cluster" in out.output
    assert max(len(line) for line in out.output.splitlines()) <= 80
    csv = runner.invoke(app, ["compare", str(a), str(b), "--csv", "--set", "facility.pue=1.3"])
    assert csv.exit_code == 0 and csv.output.startswith("figure,label,unit,a,b,difference,change_pct")
    bad = runner.invoke(app, ["compare", str(a), str(b), "--set", "cluster.cont=3"])
    assert bad.exit_code == 2 and "cluster.cont" in bad.output


SWEEP = """seed = 3
chunk_size = 2
[design]
method = "lhs"
samples = 6
[fields]
"facility.pue" = { low = 1.1, high = 1.4 }
"catalog.costs.site.usd_per_mw" = { low = 10e6, high = 15e6 }
"""


def test_sweep_serial_equals_dask_and_resume(tmp_path, monkeypatch):
    import importlib

    import pandas as pd

    import stargate

    sweep_module = importlib.import_module("stargate.whatif.sweep")  # the module, not stargate.whatif.sweep()

    spec = tmp_path / "sweep.toml"
    spec.write_text(SWEEP)
    serial = stargate.sweep(spec, tmp_path / "serial")
    assert len(serial) == 6 and list(serial["scenario"]) == list(range(6))
    assert serial["facility_mw"].is_monotonic_increasing == serial["facility.pue"].is_monotonic_increasing
    assert serial["capex_busd"].nunique() == 6 and (serial["facility_mw"] > 900).all()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "serial" / "sweep.csv"), serial, check_dtype=False)
    dask = stargate.sweep(spec, tmp_path / "dask", serial=False, workers=2)
    pd.testing.assert_frame_equal(serial, dask)
    # stop after two of three chunks, then resume: only the third is computed
    out = tmp_path / "resumed"
    design = sweep_module.load_sweep(spec)
    calls = []
    real = sweep_module.run_chunk

    def stop_after_two(base_json, rows, first):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(first)
        return real(base_json, rows, first)

    monkeypatch.setattr(sweep_module, "run_chunk", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        sweep_module.run_sweep(design, out, serial=True)
    assert len(list(out.glob("chunk-*.parquet"))) == 2 and not (out / "sweep.csv").exists()
    calls.clear()
    monkeypatch.setattr(sweep_module, "run_chunk", lambda b, r, f: calls.append(f) or real(b, r, f))
    resumed = sweep_module.run_sweep(design, out, serial=True, resume=True)
    assert calls == [4]
    pd.testing.assert_frame_equal(resumed, serial)


@pytest.mark.parametrize(("line", "field"), [('"cluster.cnt" = [1, 2]', "cluster.cnt"),
                                             ('"facility.pue" = [0.5]', "facility.pue"),
                                             ('"catalog.costs.site.nope" = [1.0]', "catalog.costs.site.nope")])
def test_bad_sweep_field_is_one_line_exit_2_nothing_written(tmp_path, line, field):
    from typer.testing import CliRunner

    from stargate.cli import app

    spec = tmp_path / "bad.toml"
    spec.write_text(f"[design]\nmethod = 'grid'\n[fields]\n{line}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--serial"])
    assert result.exit_code == 2 and field in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
