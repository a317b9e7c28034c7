"""The shipped Stargate programme against its sources: the seven US sites, reported online phases, power."""

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from stargate.cli import app
from stargate.errors import InputError
from stargate.roadmap import load_programme, programme_from_dict, simulate

PROGRAMME = load_programme()

# name: (total facility MW, power, new grid connection needed, construction start, planned/projected
# completion), hand-copied from the sources (Epoch AI, "OpenAI Stargate: where the US sites stand",
# 2026-04-17, unless stated):
EXPECTED = {
    # Crusoe PR 2025-09-30; DCD 2025-10-15: 1.2 GW, 8 buildings; full capacity projected Q4 2026
    "Abilene, TX": (1200.0, "grid", False, 2024.45, 2026.875),
    # Capacity Media 2025-08-20: 1.4 GW, 10 buildings, gas microgrid; complete ~2028
    "Shackelford County, TX": (1400.0, "off-grid", False, 2025.63, 2028.5),
    # Albuquerque Journal 2025-09; Epoch: 2.2 GW, two gas microgrids, complete ~Q4 2028
    "Doña Ana County, NM": (2200.0, "off-grid", False, 2025.75, 2028.875),
    # verdict.co.uk 2026-01-12: 1.2 GW, on-site power; construction 2025-10; complete ~Q4 2028
    "Milam County, TX": (1200.0, "off-grid", False, 2025.79, 2028.875),
    # Tom's Hardware 2025-08-18; Reuters 2025-11-20: < 0.3 GW, mostly a factory; "operational 2026"
    "Lordstown, OH": (150.0, "grid", True, 2025.63, 2026.5),
    # WPR 2025-10-22: ~0.9-1.3 GW, We Energies; groundbreaking 2025-12-17; complete ~2028
    "Port Washington, WI": (1100.0, "grid", True, 2025.96, 2028.5),
    # OpenAI/Oracle/Related Digital 2025-10-30: > 1 GW (Epoch 1.4 GW), DTE; early 2026 -> ~Q4 2028
    "Saline Township, MI": (1400.0, "grid", True, 2026.1, 2028.875),
}
SEVEN_SITES_MW = 8650.0


def _risks(**update):
    return PROGRAMME.model_copy(update={"risks": PROGRAMME.risks.model_copy(update=update)})


def test_site_table_matches_the_sources():
    table = {c.name: (sum(p.mw for p in c.phases), "off-grid" if "off-grid" in c.power else c.power.split()[0],
                      c.interconnection, c.phases[0].start, c.phases[-1].end) for c in PROGRAMME.campuses()}
    assert table.keys() == EXPECTED.keys()
    for name, (mw, power, grid_wait, start, end) in EXPECTED.items():
        assert table[name][1:3] == (power, grid_wait), name
        assert (table[name][0], *table[name][3:]) == pytest.approx((mw, start, end)), name
    assert sum(v[0] for v in table.values()) == SEVEN_SITES_MW
    for c in PROGRAMME.campuses():
        if "off-grid" in c.power:  # Milam: on-site power, fuel not stated (verdict.co.uk 2026-01-12)
            assert not c.interconnection and "on-site" in c.power and ("gas" in c.power or "Milam" in c.name)
    assert "on-site gas" in PROGRAMME.campus[0].power  # Abilene: ERCOT grid + on-site gas
    assert [c.name for c in PROGRAMME.campus if c.optional] == ["Pike County, OH (proposal)"]


def test_every_campus_cites_dated_primary_sources():
    for c in PROGRAMME.campus:
        assert c.sources, c.name
        for s in c.sources:
            assert re.search(r"\(20\d\d(-\d\d)?(-\d\d)?\)", s) and "shared/" not in s and "reference/" not in s, s
        assert c.gpus_basis
    assert PROGRAMME.campus[0].gpus_per_mw == pytest.approx(450_000 / 1200)  # DCD 2025-10-15


def test_off_grid_campuses_never_wait_for_the_grid():
    # no construction variance, a long grid queue: off-grid phases finish exactly on plan
    result = simulate(_risks(construction_median=1.0, construction_sigma=0.0, interconnection_median_yr=3.0,
                             interconnection_sigma=0.5), 500, seed=2)
    for c in PROGRAMME.campuses():
        for p in c.phases:
            row = result.online_year.loc[f"{c.name} / {p.name}"]
            if not c.interconnection or p.online is not None:
                assert row["p10"] == row["p90"] == pytest.approx(p.end), (c.name, p.name)
            else:
                assert row["p10"] > p.end + 1.0, (c.name, p.name)


def test_reported_phases_are_not_delayed():
    # Abilene phase 1 live 2025-09-30 (Crusoe PR); 4 of 8 buildings in 2026-04 (Epoch AI 2026-04-17)
    result = simulate(_risks(construction_median=3.0, construction_sigma=1.0), 1000, seed=4)
    for name, date in (("phase 1 (2 buildings)", 2025.75), ("phase 2a (buildings 3-4)", 2026.29)):
        row = result.online_year.loc[f"Abilene, TX / {name}"]
        assert row["p10"] == row["p50"] == row["p90"] == date
    q = result.quarters.loc[2026.5]
    assert q["mw_online_p10"] == q["mw_online_p90"] == 500.0
    assert q["accelerators_p10"] == q["accelerators_p90"] == pytest.approx(500 * 375)  # installed, not sampled


def test_p50_mid_2026_is_what_abilene_reported_online():
    # reported: ~200 MW (2025) + ~0.3 GW (2026-04) = ~0.5 GW; 421 MW IT by late 2026-05 x PUE 1.2 = 505 MW
    p50 = simulate(PROGRAMME, 4000, seed=0).p50_at(2026.5)["mw_online"]
    assert 340 <= p50 <= 560
    assert p50 == pytest.approx(421 * 1.2, rel=0.02)


def test_p50_2029_of_the_seven_sites():
    # On the sources' own schedule the seven sites give 8.65 GW by 2029.0 (Epoch: > 9 GW by 2029), most of it
    # completing in H2 2028. Campuses energise building by building (Abilene: 2 buildings 2025-09, 2 more
    # 2026-04), so with the median slip of x1.15 (Abilene's record) and the grid wait in Wisconsin and
    # Michigan the P50 is ~6.9 GW on 2029-01-01 and passes 8 GW in Q4 2029.
    on_plan = simulate(_risks(construction_median=1.0, construction_sigma=0.0, interconnection_median_yr=0.0,
                              interconnection_sigma=0.0), 100, seed=0).p50_at(2029.0)["mw_online"]
    assert on_plan == pytest.approx(SEVEN_SITES_MW) and on_plan >= 8000
    result = simulate(PROGRAMME, 4000, seed=0)
    assert 6000 <= result.p50_at(2029.0)["mw_online"] <= 7500
    assert result.p50_at(2029.75)["mw_online"] >= 8000
    assert result.p50_at(2031.0)["mw_online"] == pytest.approx(SEVEN_SITES_MW)


def test_buildings_energise_one_at_a_time_between_first_online_and_the_finish():
    # zero variance: Port Washington's 4 buildings (1,100 MW) at 2027.26, 2027.67, 2028.09, 2028.50
    port = next(c for c in PROGRAMME.campuses() if c.name.startswith("Port Washington"))
    phase = port.phases[0]
    assert (phase.buildings, phase.first_online, phase.end) == (4, 2027.26, pytest.approx(2028.5))
    alone = _risks(construction_median=1.0, construction_sigma=0.0, interconnection_median_yr=0.0,
                   interconnection_sigma=0.0).model_copy(update={"campus": [port]})
    mw = simulate(alone, 50, seed=0).quarters["mw_online_p50"]
    assert [mw[q] for q in (2027.25, 2027.5, 2027.75, 2028.25, 2028.5)] == pytest.approx([0, 275, 550, 825, 1100])


def test_optional_campuses_count_only_on_request():
    base = simulate(PROGRAMME, 500, seed=1)
    more = simulate(PROGRAMME, 500, seed=1, include_optional=True)
    assert not any("Pike" in k for k in base.online_year.index)
    assert more.quarters.iloc[-1]["mw_online_p50"] == pytest.approx(base.quarters.iloc[-1]["mw_online_p50"] + 800)


def _data():
    import tomllib
    from importlib import resources
    return tomllib.loads(resources.files("stargate.roadmap").joinpath("stargate_programme.toml").read_text())


@pytest.mark.parametrize("campus,phase,message", [
    ({"interconnection": True}, None, "off-grid campus has no interconnection wait"),
    (None, {"duration_yr": None}, "give duration_yr"),
    (None, {"online": 2025.0}, "online must be after start"),
])
def test_inconsistent_campus_is_refused(campus, phase, message):
    data = _data()
    target = data["campus"][1]
    target.update(campus or {})
    for k, v in (phase or {}).items():
        if v is None:
            target["phases"][0].pop(k)
        else:
            target["phases"][0][k] = v
    with pytest.raises(InputError, match=f"campus 'Shackelford County, TX'.*{message}"):
        programme_from_dict(data)


def test_roadmap_and_plan_cli_run_with_the_new_sites():
    out = CliRunner().invoke(app, ["roadmap", "--trajectories", "300", "--json"])
    data = json.loads(out.stdout)
    assert out.exit_code == 0 and "Saline Township, MI / build-out (3 buildings)" in data["online_year"]
    assert np.isclose(data["online_year"]["Abilene, TX / phase 1 (2 buildings)"]["p50"], 2025.75)
    table = CliRunner().invoke(app, ["roadmap", "--trajectories", "300"])
    assert table.exit_code == 0 and "GW online" in table.stdout
    plan = CliRunner().invoke(app, ["plan", "--json"])
    assert plan.exit_code == 0 and json.loads(plan.stdout)["roadmap_p50"]["mw_online"] >= 6000
