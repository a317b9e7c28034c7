"""``stargate roadmap`` and ``stargate economics``: the build-out as probabilities, and what it costs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stargate.cli.app import app, console, emit_json, fitted_table, handles_input_errors, uses_calibration, working
from stargate.errors import InputError
from stargate.output import to_json, write_atomic

if TYPE_CHECKING:  # the models are imported by the commands (stargate --help stays light)
    from stargate.roadmap.model import Programme

MAX_SIMULATION_BYTES = 4 * 2**30   # a Monte Carlo that needs more memory is refused, not started
BYTES_PER_CELL = 72                # measured: ~4.95 kB per trajectory for 44 buildings, 10 phases, 29 quarters


def simulation_bytes(programme: Programme, trajectories: int) -> float:
    """Peak memory of :func:`stargate.roadmap.simulate` (an upper estimate from the measured arrays). [B]"""
    campuses = programme.campuses()
    cells = sum(len(c.phases) + sum(p.buildings for p in c.phases) for c in campuses)
    cells += int((programme.end_year - programme.start_year) * 4) + 1
    return float(trajectories) * cells * BYTES_PER_CELL


@app.command("roadmap")
@handles_input_errors
def roadmap_command(
    programme_file: Annotated[Path | None, typer.Argument(help="Programme TOML; default: Stargate")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed and input: identical output)", min=0,
                                      max=2**63 - 1)] = 0,
    trajectories: Annotated[int, typer.Option(help="Monte Carlo trajectories")] = 20_000,
    json_out: Annotated[bool, typer.Option("--json", help="Print the fan of outcomes as JSON")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the quarterly table as CSV")] = None,
) -> None:
    """P10/P50/P90 by quarter of MW online, accelerators, peak FLOP/s, capex and the largest run."""
    from rich.progress import Progress

    from stargate.roadmap import load_programme, simulate

    if not 1 <= trajectories <= 10_000_000:
        raise InputError("trajectories", trajectories, "must be between 1 and 10,000,000")
    programme = load_programme(programme_file)
    need = simulation_bytes(programme, trajectories)
    if need > MAX_SIMULATION_BYTES:
        most = max(1, int(trajectories * MAX_SIMULATION_BYTES / need))
        raise InputError("--trajectories", trajectories, f"would need about {need / 2**30:,.1f} GiB of memory "
                         f"(limit {MAX_SIMULATION_BYTES / 2**30:,.0f} GiB): use at most {most:,}")
    if json_out or not sys.stdout.isatty():
        result = simulate(programme, trajectories, seed)
    else:
        with Progress(transient=True) as bar:
            task = bar.add_task("Monte Carlo", total=1.0)
            result = simulate(programme, trajectories, seed, progress=lambda f: bar.update(task, completed=f))
    if csv is not None:
        write_atomic(csv, result.quarters.to_csv(index_label="year"))
    if json_out:
        emit_json(to_json({"programme": programme.name, "seed": seed, "trajectories": trajectories,
                           "quarters": result.quarters.reset_index(names="year").to_dict(orient="records"),
                           "online_year": result.online_year.to_dict(orient="index")}))
        return
    q = result.quarters
    console.print(f"{programme.name}: {trajectories:,} trajectories, seed {seed}; P10 P50 P90 by half-year",
                  highlight=False)
    groups = ((("GW", "mw_online", 1e3, ",.1f"), ("M accel.", "accelerators", 1e6, ",.2f"),
               ("G$", "cumulative_capex_usd", 1e9, ",.0f")),
              (("EFLOP/s", "peak_flop_s", 1e18, ",.0f"), ("run FLOP", "largest_run_one_campus_flop", 1, ".1e")))
    for group in groups:
        columns = [("quarter", "key")] + [(f"{unit}\nP{p}", "num") for unit, *_ in group for p in (10, 50, 90)]
        table = fitted_table("", columns)
        for year in q.index[::2]:
            table.add_row(f"{year:.2f}", *(format(q.at[year, f"{metric}_p{p}"] / scale, fmt)
                                           for _, metric, scale, fmt in group for p in (10, 50, 90)))
        console.print(table)
    console.print("GW online; M accel.: millions of accelerators; G$: cumulative capex; EFLOP/s: peak FP8; "
                  "run FLOP: the largest compute-optimal run one campus trains", highlight=False)
    if csv is not None:
        console.print(f"wrote {csv}")


@app.command("economics")
@handles_input_errors
@uses_calibration
def economics_command(
    scenario_file: Annotated[Path | None, typer.Argument(help="Scenario .toml/.yaml; default: Abilene")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the breakdown as JSON")] = False,
) -> None:
    """Capex and yearly cost of the scenario's campus by component; cost per GPU-hour, run and token."""
    from rich.table import Table

    from stargate.pipeline import plan
    from stargate.scenario import default_scenario, load_scenario

    scenario = load_scenario(scenario_file) if scenario_file else default_scenario()
    with working("Planning the campus…", quiet=json_out):
        result = plan(scenario)
    econ = result.economics
    if econ is None:
        raise InputError("cluster.accelerator", result.cluster.accelerator.key, "has no public price in the catalog")
    if json_out:
        emit_json(to_json(econ.to_dict()))
        return
    table = Table(title=f"Costs of {result.scenario.name}")
    for col in ("component", "capex G$", "per year G$"):
        table.add_column(col, justify="right" if col != "component" else "left")
    for name, row in econ.breakdown.iterrows():
        table.add_row(name, f"{row.capex_usd / 1e9:,.2f}", f"{row.annual_usd / 1e9:,.3f}")
    table.add_row("total", f"{econ.capex_usd / 1e9:,.2f}", f"{econ.annual_cost_usd / 1e9:,.3f}")
    console.print(table)
    console.print(f"{econ.cost_usd_per_gpu_hour:.2f} $ per GPU-hour; "
                  f"training run {econ.training_run_usd / 1e6:,.0f} M$; "
                  f"{econ.usd_per_million_tokens_served:.2f} $ per million tokens served")
