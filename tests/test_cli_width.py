"""Every command's terminal output fits 80 columns with whole numbers (no '…'), and the supply output says
what its headline includes."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from stargate.cli import app

runner = CliRunner()
NUMBER = re.compile(r"\d[\d,.]*…|…[\d,.]*\d")


def run80(*args: str) -> str:
    out = runner.invoke(app, list(args), env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    return out.output


def assert_fits(text: str) -> None:
    long = [line for line in text.splitlines() if len(line) > 80]
    assert not long, "\n".join(long)
    assert not NUMBER.findall(text), NUMBER.findall(text)
    assert "…" not in text  # nothing is cut: numbers, headers and names wrap or are short


COMMANDS = [
    ["search"],
    ["search", "--model", "deepseek-v3", "--accelerator", "gb200", "--gpus", "2048", "--batch-seqs", "4096"],
    ["roadmap", "--trajectories", "2000"],
    ["validate", "--dataset", "dev"],
    ["validate", "--dataset", "oos"],
    ["supply"],
    ["supply", "--mix", "renewables_gas", "--co2-sweep"],
    ["economics"],
    ["claims"],
    ["query-energy"],
    ["catalog", "accelerators"],
    ["catalog", "sites"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_command_fits_80_columns(args):
    assert_fits(run80(*args))


def test_plan_fits_80_columns():
    text = run80("plan")
    assert_fits(text)
    assert "training time" in text and "Sources:" in text


def test_search_shows_whole_step_times_and_mfu():
    from stargate import catalog
    from stargate.perf import search
    from stargate.performance import step_hardware
    from stargate.workload import ModelSpec

    text = run80("search", "--top", "3")
    best = search(ModelSpec.from_catalog(catalog.model("llama-3.1-405b")),
                  step_hardware(catalog.accelerator("h100-sxm"))[0], 16384, 2048, top=3).ranked[0]
    first = next(line for line in text.splitlines() if line.lstrip().startswith(str(best.layout["tp"]) + " "))
    assert f"{best.step_s:.2f}" in first.split() and f"{best.mfu:.1%}" in first.split()


def test_roadmap_rows_hold_p10_p50_p90():
    text = run80("roadmap", "--trajectories", "2000", "--seed", "1")
    data = json.loads(runner.invoke(app, ["roadmap", "--trajectories", "2000", "--seed", "1", "--json"]).output)
    row = next(q for q in data["quarters"] if abs(q["year"] - 2029.0) < 1e-9)
    line = next(x for x in text.splitlines() if x.startswith("2029.00"))
    assert line.split()[1:4] == [f"{row[f'mw_online_p{p}'] / 1e3:,.1f}" for p in (10, 50, 90)]


def test_carbon_price_of_a_mix_is_in_its_headline():
    text = run80("supply", "--mix", "renewables_gas")
    flat = " ".join(text.split())
    assert "carbon price 100 $/t CO2 (part of the mix) included" in flat
    assert re.search(r"incl\. CO2 [\d,]+ M\$/yr at 100 \$/t", flat)
    given = " ".join(run80("supply", "--mix", "grid", "--co2-price", "50").split())
    assert "carbon price 50 $/t CO2 (given) included" in given
    plain = " ".join(run80("supply", "--mix", "grid").split())
    assert "carbon price" not in plain and "incl. CO2" not in plain


def test_supply_json_includes_the_co2_sweep():
    out = runner.invoke(app, ["supply", "--mix", "renewables_gas", "--co2-sweep", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    sweep = data["co2_sweep"]
    assert [row["co2_price_usd_per_t"] for row in sweep] == [0, 25, 50, 100, 200, 400]
    assert sweep[0]["co2_g_per_kwh"] > sweep[-1]["co2_g_per_kwh"]
    assert data["co2_price_usd_per_t"] == 100 and data["co2_price_basis"] == "the mix's"
    assert data["co2_cost_usd"] == pytest.approx(data["co2_t"] * 100, rel=1e-6)
    table = run80("supply", "--mix", "renewables_gas", "--co2-sweep")
    for row in sweep:
        assert re.search(rf"^\s*{row['co2_price_usd_per_t']:,.0f}\s+{row['cost_usd_per_mwh']:,.1f}\s", table, re.M)
    assert "co2_sweep" not in json.loads(runner.invoke(app, ["supply", "--json"]).output)
