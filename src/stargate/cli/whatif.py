"""``stargate compare``, ``stargate sweep`` and ``stargate sensitivity``: what-if at scale."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stargate.cli.app import app, console, emit_json, handles_input_errors, uses_calibration
from stargate.output import to_json

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="FIELD=VALUE override (dotted scenario or catalog field; repeatable)")]


def number(value: float, unit: str = "") -> str:
    """Compact display of a headline figure (3-4 significant digits)."""
    if not math.isfinite(value):
        return "—"
    if unit == "fraction":
        return f"{value:.1%}"
    magnitude = abs(value)
    if magnitude >= 1e7 or (0 < magnitude < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.0f}" if magnitude >= 1000 else f"{value:,.3g}"


@app.command("compare")
@handles_input_errors
@uses_calibration
def compare_command(
    a: Annotated[Path, typer.Argument(help="First scenario .toml/.yaml")],
    b: Annotated[Path, typer.Argument(help="Second scenario .toml/.yaml")],
    overrides: SetOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print the comparison as CSV")] = False,
) -> None:
    """Plan two scenarios and show their headline figures side by side, differences highlighted."""
    from stargate.whatif.compare import compare

    frame = compare(a, b, overrides or [])
    if json_out:
        emit_json(to_json(frame.reset_index().to_dict(orient="records")))
        return
    if csv_out:
        emit_json(frame.to_csv().rstrip())
        return
    name_a, name_b = frame.attrs["names"]
    table = Table(title=f"A = {name_a}, B = {name_b}", title_justify="left")
    table.add_column("figure", max_width=30)
    table.add_column("unit", max_width=8)
    for column in ("A", "B", "B - A", "change"):
        table.add_column(column, justify="right", max_width=10)
    for row in frame.itertuples():
        changed = not math.isclose(row.a, row.b, rel_tol=1e-9, abs_tol=1e-12) and not (
            math.isnan(row.a) and math.isnan(row.b))
        style = "bold yellow" if changed else None
        change = "" if math.isnan(row.change_pct) or not changed else f"{row.change_pct:+.1f}%"
        diff = number(row.difference, "" if row.unit == "fraction" else row.unit) if changed else ""
        if changed and row.unit == "fraction":
            diff = f"{row.difference * 100:+.1f} pt"
        table.add_row(row.label, "" if row.unit == "fraction" else row.unit, number(row.a, row.unit),
                      number(row.b, row.unit), diff, change, style=style)
    console.print(table)


@app.command("sweep")
@handles_input_errors
def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep .toml: base scenario, design and fields")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the chunk Parquet files and sweep.csv")] = Path(
        "sweep-out"),
    resume: Annotated[bool, typer.Option("--resume", help="Skip chunks already written to --out")] = False,
    serial: Annotated[bool, typer.Option("--serial", help="Run in this process, not on Dask")] = False,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Existing Dask scheduler, tcp://HOST:8786")
                         ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Local Dask worker processes; default: cores")
                       ] = None,
) -> None:
    """Run a design of scenarios (grid, random or Latin hypercube) and write one row per scenario."""
    from rich.progress import Progress

    from stargate.whatif.sweep import load_sweep, run_sweep

    design = load_sweep(sweep_file)  # validated in full before anything is written
    with Progress(console=console) as bar:
        task = bar.add_task(f"{len(design.rows):,} scenarios", total=len(design.chunks))
        run_sweep(design, out, resume=resume, serial=serial, scheduler=scheduler, workers=workers, keep=False,
                  progress=lambda done, _total: bar.update(task, completed=done))
    console.print(f"wrote {out / 'sweep.csv'} ({len(design.rows):,} scenarios, {len(design.chunks)} chunks)")
