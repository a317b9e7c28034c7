"""Reports of ``stargate compare`` and ``stargate sweep`` (stargate.report.compare_html, sweep_html)."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from stargate.cli import app
from stargate.report import compare_html, sweep_html
from stargate.whatif.headline import HEADLINES

runner = CliRunner()


def test_compare_report_shows_every_figure_and_the_changes():
    rows = [{"figure": k, "label": label, "unit": unit, "a": 10.0, "b": 10.0 if k != "capex_busd" else 12.5}
            for k, (label, unit) in HEADLINES.items()]
    frame = pd.DataFrame(rows).set_index("figure")
    frame["difference"] = frame["b"] - frame["a"]
    frame["change_pct"] = 100 * frame["difference"] / frame["a"].abs()
    frame.attrs["names"] = ("abilene", "h100 campus")
    page = compare_html(frame)
    assert page.startswith("<!DOCTYPE html>") and "A = abilene, B = h100 campus" in page
    assert all(label in page for label, _ in HEADLINES.values())
    assert "25" in page and page.count("Plotly.newPlot") == 1  # one bar: capex +25 %


def test_sweep_cli_writes_report_and_prints_json(tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text('seed = 1\nchunk_size = 2\n[design]\nmethod = "lhs"\nsamples = 4\n[fields]\n'
                    '"catalog.energy.defaults.gas_usd_per_mmbtu" = { low = 2.5, high = 5.0 }\n', encoding="utf-8")
    report = tmp_path / "sweep.html"
    out = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "runs"), "--serial", "--json",
                              "--report", str(report)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == 4 and {r["scenario"] for r in rows} == {0, 1, 2, 3}
    gas = sorted(r["catalog.energy.defaults.gas_usd_per_mmbtu"] for r in rows)
    assert 2.5 <= gas[0] < gas[-1] <= 5.0
    page = report.read_text(encoding="utf-8")
    assert "4 scenarios over catalog.energy.defaults.gas_usd_per_mmbtu" in page
    assert "energy cost against catalog.energy.defaults.gas_usd_per_mmbtu" in page
    assert "training time with failures against" not in page  # the gas price does not move the run
    table = pd.DataFrame(rows)
    assert sweep_html(table, ["catalog.energy.defaults.gas_usd_per_mmbtu"]).count("Plotly.newPlot") >= 1
