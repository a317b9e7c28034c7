"""The HTML report is the plan: every number of the terminal summary, the scenario, sources, figures."""

from __future__ import annotations

import html
import re
from unittest import mock

import pytest
from rich.console import Console

from stargate.cli import plan as plan_cli
from stargate.pipeline import plan
from stargate.report import render_html
from stargate.roadmap import load_programme, simulate
from stargate.scenario import default_scenario

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?")


@pytest.fixture(scope="module")
def planned():
    result = plan(default_scenario())
    return result, render_html(result, simulate(load_programme(), 1000, seed=0))


def _terminal_text(result) -> str:
    console = Console(record=True, width=400, color_system=None)
    with mock.patch.object(plan_cli, "console", console):
        plan_cli.print_summary(result)
    return console.export_text()


def test_every_number_of_the_summary_is_in_the_report(planned):
    result, page = planned
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<script")[0]) + page)
    terminal = _terminal_text(result)
    numbers = set(NUMBER.findall(terminal))
    assert len(numbers) > 40
    missing = sorted(n for n in numbers if n not in text)
    assert not missing, missing


def test_page_structure(planned):
    _, page = planned
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("plotly.js v") == 1  # embedded once: opens offline
    assert "https://cdn" not in page.split("<script")[0]
    assert page.count("class='figure'") == 5
    assert "@media print" in page and "break-inside: avoid" in page
    assert "height: 420px" in page
    assert '"displaylogo": false' in page
    for internal in ("least_cost", "gas_cc", "nuclear_ppa\"", "capex shown"):
        assert internal not in page.replace('mix = "least_cost"', "").split("Scenario used (TOML)")[0], internal
    assert "Scenario used (TOML)" in page and "[workload]" in page
    assert "Accelerator-dependent settings" in page
    assert "Sites of the programme" in page
    assert "stargate-planner" in page and "generated" in page
    assert "[MW]" in page and "[s]" in page and "G$/yr" in page


def test_report_with_bands_and_tornado_shows_them(planned):
    from stargate.whatif.sensitivity import sensitivity
    from stargate.whatif.uncertainty import uncertainty

    result, _ = planned
    bands = uncertainty(result.scenario, 4, base=result)
    tornado = sensitivity(result.scenario, base=result, outputs=("usd_per_gpu_hour",))
    page = render_html(result, None, bands, tornado)
    assert "How sure: P10-P90 of 4 samples" in page and "What moves the cost per GPU-hour" in page
    assert "Uncertain inputs of the bands" in page and "arXiv:2407.21783" in page
    assert page.count("class='figure'") == 4 + 1  # no roadmap given: four plan figures and the tornado
    console = Console(record=True, width=400, color_system=None)
    with mock.patch.object(plan_cli, "console", console):
        plan_cli.print_bands(bands, every=True)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<script")[0]))
    missing = sorted(n for n in set(NUMBER.findall(console.export_text())) if n not in text)
    assert not missing, missing
