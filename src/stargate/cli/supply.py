"""``stargate supply``: the least-cost hourly supply mix of the scenario's campus."""

from __future__ import annotations

import os
import tomllib
import warnings
from pathlib import Path
from typing import Annotated

import typer

from stargate.cli.app import app, console, emit_json, handles_input_errors, uses_calibration
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
) -> None:
    """Choose capacities and hourly dispatch that feed the campus at least annual cost."""
    from rich.table import Table

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
    if json_out:
        emit_json(to_json(_supply_dict(outcome, result.training)))
        return
    r = outcome.result
    table = Table(title=f"Supply of {result.facility.facility_power_mw:,.0f} MW ({scenario.site.name}): {outcome.mix} "
                        f"— {outcome.description}")
    for col in ("technology", "capacity MW", "energy GWh/yr", "cost M$/yr"):
        table.add_column(col, justify="right" if col != "technology" else "left")
    for tech, row in r.summary().iterrows():
        if row.capacity_mw >= 1 or row.energy_mwh > 0:
            table.add_row(tech, f"{row.capacity_mw:,.0f}", f"{row.energy_mwh / 1e3:,.0f}", f"{row.cost_usd / 1e6:,.1f}")
    console.print(table)
    console.print(f"total {r.total_cost_usd / 1e6:,.0f} M$/yr = {r.cost_usd_per_mwh:,.1f} $/MWh; "
                  f"CO2 {r.co2_t / 1e6:,.2f} Mt/yr ({r.co2_g_per_kwh:,.0f} g/kWh); "
                  f"carbon-free {r.cfe_hourly_share:.0%} hourly-matched, "
                  f"{r.cfe_annual_share:.0%} annual; {outcome.energy_cost_usd_per_gpu_hour:.3f} $/GPU-hour")
    console.print(f"weather: {outcome.weather}; solver: {r.method}", markup=False)
    if export is not None:
        console.print(f"wrote {export}")
    if co2_sweep:
        from stargate.pipeline import campus_load_mw
        from stargate.supply import co2_price_frontier
        from stargate.weather import site_profiles

        profiles = site_profiles(scenario.site.lat_deg, scenario.site.lon_deg, scenario.supply.weather_source)
        frontier = co2_price_frontier(
            campus_load_mw(scenario, result.facility.facility_power_mw, profiles, result.training.n_gpus_used),
            profiles, mixes()[outcome.mix]["technologies"], year=outcome.problem.year)
        console.print(frontier.round(1).to_string(index=False))
