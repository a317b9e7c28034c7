"""The planned run's software date (``workload.software_date``): the step model's software trend in the plan."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from stargate import catalog
from stargate.cli import app
from stargate.cli.plan import frontier_variant
from stargate.perf.calibration import load_calibration, using_calibration
from stargate.perf.precision import decimal_year
from stargate.perf.vintage import software_factor
from stargate.performance import step_hardware
from stargate.pipeline import train
from stargate.scenario import scenario_from_dict, scenario_to_toml

runner = CliRunner()
# [vintage.hopper] and [family.hopper] of catalog/calibration.toml, copied by hand
HOPPER_GAIN, HOPPER_REF, HOPPER_LATEST = 0.0397, 2024.156, 2026.458
BLACKWELL_GAIN, BLACKWELL_REF = 0.0519, 2026.514   # [vintage.blackwell]: pooled with the other families'
HOPPER_MATMUL, HOPPER_MAMF = 0.7598, 0.80
JUNE_2023 = 2023 + 5.5 / 12  # mid-month


def scenario(accelerator: str = "h100-sxm", date: str | None = None, **performance):
    workload = {"model": "gpt3-175b"} | ({} if date is None else {"software_date": date})
    return scenario_from_dict({"workload": workload, "cluster": {"accelerator": accelerator, "count": 1024},
                               "performance": performance})


def test_hopper_factor_follows_the_shipped_trend_and_is_flat_after_its_latest_date():
    assert decimal_year("2023-06") == pytest.approx(JUNE_2023)
    assert software_factor("hopper", JUNE_2023) == pytest.approx(math.exp(HOPPER_GAIN * (JUNE_2023 - HOPPER_REF)),
                                                                 rel=1e-12)
    flat = math.exp(HOPPER_GAIN * (HOPPER_LATEST - HOPPER_REF))   # 1.092
    for year in (2026.5, 2027.0, 2035.0):
        assert software_factor("hopper", year) == pytest.approx(flat, rel=1e-12)
    # the plan's hardware: 2023-06 below the calibrated efficiency; from mid-2026 the trend would pass the MAMF
    old, soft_old = step_hardware(catalog.accelerator("h100-sxm"), "2023-06")
    new, soft_new = step_hardware(catalog.accelerator("h100-sxm"), "2026-06")
    assert old.eff.matmul_eff == pytest.approx(HOPPER_MATMUL * math.exp(HOPPER_GAIN * (JUNE_2023 - HOPPER_REF)))
    assert HOPPER_MATMUL * flat > HOPPER_MAMF and new.eff.matmul_eff == pytest.approx(HOPPER_MAMF)
    assert soft_old.factor == pytest.approx(0.9727, abs=1e-4) and soft_new.factor == pytest.approx(
        HOPPER_MAMF / HOPPER_MATMUL)
    assert "capped at the MAMF 0.80" in soft_new.trend and "capped" not in soft_old.trend
    assert "hopper software +4.0 %/yr from 2024.2, flat after 2026.5" in soft_old.trend
    assert step_hardware(catalog.accelerator("h100-sxm"), "2030-01")[0] == new  # flat: the same hardware


def test_older_software_plans_a_slower_h100_and_gb200_run():
    old, new = train(scenario(date="2023-06")), train(scenario(date="2026-06"))
    assert old.performance.mfu < new.performance.mfu and old.training.days > new.training.days
    assert old.performance.software.date == "2023-06" and new.performance.software.date == "2026-06"
    # one layout and job size pinned: only the matmul time moves, so the MFU gains at most the matmul ratio
    lay = new.performance.best.layout
    pinned = {k: lay[k] for k in ("tp", "pp", "dp", "cp", "vpp", "zero")}
    pinned |= {"micro_batch": lay["mb"], "recompute": lay["recompute"]}
    slow, fast = (train(scenario(date=d, **pinned)).performance for d in ("2023-06", "2026-06"))
    assert slow.best.layout == fast.best.layout == lay
    ratio = fast.mfu / slow.mfu
    matmul_ratio = HOPPER_MAMF / (HOPPER_MATMUL * math.exp(HOPPER_GAIN * (JUNE_2023 - HOPPER_REF)))  # 1.0825
    assert 1.0 < ratio <= matmul_ratio + 1e-12 and ratio > 1.03  # compute dominates the step
    # blackwell's gain is the families' pooled one (its own four months of rows cannot set it): older
    # software plans a slower GB200 run too, by the trend's factor at the plan's date
    b_old, b_new = train(scenario("gb200", "2023-06")), train(scenario("gb200", "2026-06"))
    assert b_old.performance.mfu < b_new.performance.mfu
    assert b_old.performance.software.factor == pytest.approx(math.exp(BLACKWELL_GAIN * (JUNE_2023 - BLACKWELL_REF)))


def test_the_default_software_date_is_today():
    today = dt.date.today().strftime("%Y-%m")
    default, given = train(scenario()), train(scenario(date=today))
    assert default.performance.software.date == today and default.performance.software.basis == "default: today"
    assert given.performance.software.basis == "given in scenario"
    assert default.performance.mfu == given.performance.mfu
    assert train(scenario(mfu=0.4)).performance.software is None  # MFU given: no step model, no software


def test_the_calibration_override_brings_its_own_trends():
    acc = catalog.accelerator("h100-sxm")
    with using_calibration(replace(load_calibration(), vintage={})):
        hw, software = step_hardware(acc, "2023-06")
    assert software.factor == 1.0 and hw.eff.matmul_eff == pytest.approx(HOPPER_MATMUL)
    assert "no software trend calibrated for hopper" in software.trend
    assert step_hardware(acc, "2023-06")[1].factor < 1.0  # the shipped trends again after the block


@pytest.mark.parametrize("value", ["2026-13", "soon", "2026", '"2026-6"', "2026-06-01", "1999-01"])
def test_a_bad_software_date_is_one_line_exit_2(value):
    out = runner.invoke(app, ["plan", "--uncertainty", "0", "--set", f"workload.software_date={value}"])
    assert out.exit_code == 2, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.output
    assert lines[0].startswith("error: workload.software_date = ") and '"YYYY-MM"' in lines[0]
    bad = runner.invoke(app, ["search", "--software-date", value.strip('"')])
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0 and "--software-date" in bad.output


def test_the_software_date_round_trips_and_survives_a_frontier_variant():
    sc = scenario(date="2026-12")
    assert scenario_from_dict(json.loads(sc.model_dump_json())).workload.software_date == "2026-12"
    import tomllib

    assert scenario_from_dict(tomllib.loads(scenario_to_toml(sc))) == sc
    assert frontier_variant(sc, None, 1e24).workload.software_date == "2026-12"
    assert scenario().workload.software_date is None  # not written: "today" is resolved at plan time


def test_the_plan_shows_the_software_date_and_factor(tmp_path):
    path = tmp_path / "h100.toml"
    path.write_text('[workload]\nmodel = "gpt3-175b"\nsoftware_date = "2023-06"\n'
                    '[cluster]\naccelerator = "h100-sxm"\ncount = 1024\n', encoding="utf-8")
    data = json.loads(runner.invoke(app, ["plan", str(path), "--json", "--uncertainty", "0"]).output)
    software = data["performance"]["software"]
    assert software["date"] == "2023-06" and software["basis"] == "given in scenario"
    assert software["factor"] == pytest.approx(0.9727, abs=1e-4) and data["scenario"]["workload"]["software_date"] == (
        "2023-06")
    report = tmp_path / "plan.html"
    out = runner.invoke(app, ["plan", str(path), "--uncertainty", "0", "--report", str(report)],
                        env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    assert max(len(line) for line in out.output.splitlines()) <= 80
    row = next(line for line in out.output.splitlines() if "software factor" in line)
    assert "× 0.973" in row and "2023-06" in out.output
    page = report.read_text(encoding="utf-8")
    assert "software date" in page and "× 0.973" in page and "hopper software +4.0 %/yr" in page


def test_the_what_if_training_cache_keys_on_the_software_date():
    from stargate.whatif.headline import cached_train

    old, new = cached_train(scenario(date="2023-06")), cached_train(scenario(date="2026-06"))
    assert old.performance.mfu < new.performance.mfu
    assert cached_train(scenario(date="2023-06")) is old


def test_search_takes_a_software_date():
    args = ["search", "--model", "gpt3-175b", "--gpus", "512", "--batch-seqs", "256", "--top", "1", "--json"]
    old = json.loads(runner.invoke(app, [*args, "--software-date", "2023-06"]).output)
    today = json.loads(runner.invoke(app, args).output)
    assert old["software"]["date"] == "2023-06" and old["software"]["factor"] == pytest.approx(0.9727, abs=1e-4)
    assert today["software"]["date"] == dt.date.today().strftime("%Y-%m")
    assert old["ranked"][0]["mfu"] < today["ranked"][0]["mfu"]


def test_a_family_without_a_fit_plans_with_the_reference_trend():
    # MI355X (CDNA4, no runs in the development set): Hopper's fit scaled by the MAMF, moved by Hopper's trend
    # to the plan's software date, capped at its own MAMF; the plan names the borrowed trend
    from stargate.perf.calibration import load_calibration

    cal = load_calibration()
    old, soft_old = step_hardware(catalog.accelerator("mi355x"), "2023-06")
    assert soft_old.factor == pytest.approx(math.exp(HOPPER_GAIN * (JUNE_2023 - HOPPER_REF)), rel=1e-9)
    assert old.eff.matmul_eff == pytest.approx(cal.family("cdna4").matmul_eff * soft_old.factor)
    assert "cdna4 has no fit: hopper's software trend, +4.0 %/yr" in soft_old.trend
    new, _ = step_hardware(catalog.accelerator("mi355x"), "2026-06")
    assert new.eff.matmul_eff == pytest.approx(cal.mamf_fraction["cdna4"])   # capped at its MAMF, as H100 at its own
