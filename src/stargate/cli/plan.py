"""``stargate plan`` and ``stargate scenario``: run a scenario end to end, show the default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stargate import catalog
from stargate.cli.app import app, console, emit_json, handles_input_errors
from stargate.output import to_json, write_atomic
from stargate.pipeline import PlanResult, plan
from stargate.scenario import default_scenario, default_scenario_text, load_scenario

scenario_app = typer.Typer(help="Inspect scenarios.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("show-default")
def show_default() -> None:
    """Print the embedded default scenario (Stargate Abilene) as TOML, to copy and edit."""
    emit_json(default_scenario_text().rstrip())


@app.command("plan")
@handles_input_errors
def plan_command(
    scenario_file: Annotated[Path | None, typer.Argument(help="Scenario .toml/.yaml; default: Abilene")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print all results as JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write results.json into")] = None,
) -> None:
    """Run every stage on a scenario and print the summary with the sources behind each input."""
    scenario = load_scenario(scenario_file) if scenario_file else default_scenario()
    result = plan(scenario)
    text = to_json(result.to_dict())
    if out is not None:
        write_atomic(out / "results.json", text)
    if json_out:
        emit_json(text)
    else:
        print_summary(result)
        if out is not None:
            console.print(f"wrote {out / 'results.json'}")


def _fmt(value: float, digits: int = 3) -> str:
    return f"{value:,.{digits}g}" if abs(value) < 1e6 else f"{value:.{digits}e}"


def print_summary(result: PlanResult) -> None:
    """Rich table of the headline figures and where their inputs come from."""
    sc, wl, cl, tr, fa = result.scenario, result.workload, result.cluster, result.training, result.facility
    src = sc.sources
    acc = cl.accelerator
    table = Table(title=f"Stargate Planner — {sc.name}", show_lines=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("source / basis", overflow="fold")
    acc_src = "; ".join(catalog.cite(acc.sources)[:2])
    table.add_row("accelerator", acc.name, acc_src)
    table.add_row("chips (GPUs)", f"{cl.n_gpus:,}",
                  src.get("cluster.count", f"{cl.count_given:,} {cl.unit_given}(s) in scenario"))
    table.add_row(f"dense peak {wl.precision.upper()}", f"{tr.peak_flop_s / 1e18:,.1f} EFLOP/s",
                  f"{cl.n_gpus:,} x {acc.dense_tflops(wl.precision):,.0f} TFLOP/s dense (catalog)")
    table.add_row("workload", wl.name, "; ".join(wl.sources[:1]) or src.get("workload.model", ""))
    table.add_row("training compute", f"{wl.training_flop:.3g} FLOP",
                  "estimate" if wl.flop_is_estimate else "6N + 12LHQT per token x tokens (PaLM App. B)")
    table.add_row("MFU", f"{tr.mfu:.1%}", src.get("performance.mfu", tr.mfu_source))
    table.add_row("training time", f"{tr.days:,.2f} days", "C / (MFU x peak), before failures")
    table.add_row("accelerator power", f"{fa.accelerator_power_mw:,.0f} MW",
                  f"{cl.n_gpus:,} x {cl.tdp_w_per_gpu:,.0f} W TDP (catalog)")
    table.add_row("IT power", f"{fa.it_power_mw:,.0f} MW",
                  src.get("facility.server_overhead_factor", f"x {sc.facility.server_overhead_factor}"))
    table.add_row("facility power", f"{fa.facility_power_mw:,.0f} MW",
                  f"PUE {sc.facility.pue}: " + src.get("facility.pue", ""))
    if fa.reported_capacity_mw:
        table.add_row("reported capacity", f"{fa.reported_capacity_mw:,.0f} MW",
                      src.get("facility.reported_capacity_mw", ""))
    table.add_row("annual energy", f"{fa.annual_energy_twh:,.2f} TWh",
                  f"utilisation {sc.facility.utilisation:.0%}: " + src.get("facility.utilisation", ""))
    refs = catalog.references()
    table.add_row("= nuclear units", f"{fa.nuclear_units:,.2f}",
                  f"{refs['nuclear_unit'].description}: {refs['nuclear_unit'].sources[0]}")
    table.add_row("= share of Japan", f"{fa.share_of_japan:.2%}",
                  f"{refs['japan_electricity'].description}: {refs['japan_electricity'].sources[0]}")
    console.print(table)
