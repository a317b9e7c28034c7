"""``stargate supply``: the least-cost hourly supply mix of the scenario's campus."""

from __future__ import annotations

import os
import tomllib
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from stargate.cli.app import app, console, emit_json, fitted_table, handles_input_errors, uses_calibration, working
from stargate.output import check_output_path, to_json


def mix_names() -> list[str]:
    """The shipped mixes' names, read without importing the supply stage (for --help)."""
    path = Path(__file__).parent.parent / "supply" / "mixes.toml"
    return list(tomllib.loads(path.read_text(encoding="utf-8")))


@app.command("supply")
@handles_input_errors
@uses_calibration
def supply_command(
    scenario_file: Annotated[Path | None, typer.Argument(help="Scenario .toml/.yaml; default: Abilene")] = None,
    mix: Annotated[str | None, typer.Option(help="Supply mix: " + ", ".join(mix_names()))] = None,
    full_year: Annotated[bool, typer.Option("--full-year/--rep-days", help="8,760 h or representative days")] = False,
    co2_price: Annotated[float | None, typer.Option(help="CO2 price [$/t]")] = None,
    cfe_share: Annotated[float | None, typer.Option(help="Hourly-matched carbon-free share [0-1]")] = None,
    export: Annotated[Path | None, typer.Option("--export-network", help="Write the solved PyPSA network")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    co2_sweep: Annotated[bool, typer.Option("--co2-sweep", help="Also print the cost/CO2 frontier")] = False,
    near_optimal: Annotated[float | None, typer.Option(
        "--near-optimal", min=0.0, max=50.0,
        help="Also give each capacity's range over the mixes within this % of the least cost (MGA: two solves "
             "per technology)")] = None,
) -> None:
    """Choose capacities and hourly dispatch that feed the campus at least annual cost."""
    from stargate.pipeline import _supply_dict, plan
    from stargate.scenario import default_scenario, load_scenario, scenario_from_dict
    from stargate.supply import mixes

    if export is not None:
        check_output_path(export, "--export-network")  # before the solve: a device or directory is refused
    scenario = load_scenario(scenario_file) if scenario_file else default_scenario()
    data = scenario.model_dump(mode="json", exclude_none=True)
    overrides = {"mix": mix, "co2_price_usd_per_t": co2_price, "cfe_share": cfe_share,
                 "mode": "full_year" if full_year else None}
    data["supply"] = {**data.get("supply", {}), **{k: v for k, v in overrides.items() if v is not None}}
    with working("Planning the campus and solving its supply…", quiet=json_out):
        result = plan(scenario_from_dict(data))
    outcome = result.supply
    if export is not None:
        from stargate.supply.network import export_network

        with warnings.catch_warnings():  # PyPSA/xarray FutureWarnings are theirs, not the user's
            warnings.simplefilter("ignore", FutureWarning)
            export_network(outcome.problem, outcome.result, export)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(export, 0o666 & ~umask)  # the temp file's 0600 is not the result's mode
    r, problem = outcome.result, outcome.problem
    co2_cost = float(r.cost_breakdown_usd["co2_usd"].sum()) if "co2_usd" in r.cost_breakdown_usd else 0.0
    given = data["supply"].get("co2_price_usd_per_t") is not None
    frontier = None
    if co2_sweep:
        from stargate.pipeline import campus_load_mw
        from stargate.supply import co2_price_frontier
        from stargate.weather import site_profiles

        profiles = site_profiles(scenario.site.lat_deg, scenario.site.lon_deg, scenario.supply.weather_source)
        with working("Solving the mix at six CO2 prices…", quiet=json_out):
            frontier = co2_price_frontier(
                campus_load_mw(scenario, result.facility.facility_power_mw, profiles, result.training.n_gpus_used),
                profiles, mixes()[outcome.mix]["technologies"], year=problem.year)
    ranges = None
    if near_optimal is not None:
        from stargate.supply.lp import near_optimal_ranges

        with working(f"Ranging each capacity within {near_optimal:g} % of the least cost…", quiet=json_out):
            ranges = near_optimal_ranges(problem, near_optimal)
    if json_out:
        data_out = _supply_dict(outcome, result.training) | {
            "co2_price_usd_per_t": problem.co2_price_usd_per_t,
            "co2_price_basis": "given" if given else "the mix's" if problem.co2_price_usd_per_t else "none",
            "co2_cost_usd": co2_cost}
        if frontier is not None:
            data_out["co2_sweep"] = frontier.to_dict(orient="records")
        if ranges is not None:
            data_out["near_optimal"] = {"slack_pct": near_optimal, "capacity_range_mw": ranges}
        emit_json(to_json(data_out))
        return
    price = ""
    if problem.co2_price_usd_per_t:
        price = (f"; carbon price {problem.co2_price_usd_per_t:,.0f} $/t CO2 "
                 f"({'given' if given else 'part of the mix'}) included")
    console.print(f"Supply of {result.facility.facility_power_mw:,.0f} MW ({scenario.site.name}): "
                  f"{outcome.mix} — {outcome.description}{price}", highlight=False)
    columns = [("technology", "key"), ("capacity\nMW", "num"), ("energy\nGWh/yr", "num"), ("cost\nM$/yr", "num")]
    if ranges is not None:
        columns.append((f"within {near_optimal:g} %\nMW", "num"))
    table = fitted_table("", columns)
    for tech, row in r.summary().iterrows():
        spread = ranges.get(tech) if ranges is not None else None
        if row.capacity_mw >= 1 or row.energy_mwh > 0 or (spread is not None and spread[1] >= 1):
            cells = [tech, f"{row.capacity_mw:,.0f}", f"{row.energy_mwh / 1e3:,.0f}", f"{row.cost_usd / 1e6:,.1f}"]
            if ranges is not None:
                cells.append("—" if spread is None else f"{spread[0]:,.0f}-{spread[1]:,.0f}")
            table.add_row(*cells)
    console.print(table)
    carbon = (f" incl. CO2 {co2_cost / 1e6:,.0f} M$/yr at {problem.co2_price_usd_per_t:,.0f} $/t"
              if problem.co2_price_usd_per_t else "")
    console.print(f"total {r.total_cost_usd / 1e6:,.0f} M$/yr{carbon} = {r.cost_usd_per_mwh:,.1f} $/MWh; "
                  f"CO2 {r.co2_t / 1e6:,.2f} Mt/yr ({r.co2_g_per_kwh:,.0f} g/kWh); "
                  f"carbon-free {r.cfe_hourly_share:.0%} hourly-matched, "
                  f"{r.cfe_annual_share:.0%} annual; {outcome.energy_cost_usd_per_gpu_hour:.3f} $/GPU-hour")
    console.print(f"weather: {outcome.weather}; solver: {r.method}", markup=False)
    from stargate.supply import reserve_note
    from stargate.supply.technologies import technology_catalog

    reserve = reserve_note(outcome.problem, r)
    if reserve:
        console.print(reserve, markup=False)
    finance = technology_catalog()["defaults"]
    console.print(f"finance: {finance['wacc']:.1%} {finance['discount_convention']}", markup=False)
    if export is not None:
        console.print(f"wrote {export}")
    if frontier is not None:
        print_frontier(frontier, outcome.mix)


def print_frontier(frontier: Any, mix: str) -> None:
    """The cost/CO2 frontier: one row per CO2 price, capacities as a wrapped text column."""
    console.print(f"Cost/CO2 frontier of {mix}'s technologies: the least-cost mix at each CO2 price (cost "
                  "without the CO2 payment)", highlight=False)
    table = fitted_table("", [
        ("CO2\n$/t", "num"), ("cost\n$/MWh", "num"), ("CO2\ng/kWh", "num"), ("carbon-\nfree", "num"),
        ("capacity MW", "text")])
    for row in frontier.to_dict(orient="records"):
        caps = ", ".join(f"{k.removesuffix('_mw')} {v:,.0f}" for k, v in row.items()
                         if k.endswith("_mw") and v >= 1)
        table.add_row(f"{row['co2_price_usd_per_t']:,.0f}", f"{row['cost_usd_per_mwh']:,.1f}",
                      f"{row['co2_g_per_kwh']:,.0f}", f"{row['cfe_hourly_share']:.0%}", caps or "—")
    console.print(table)
