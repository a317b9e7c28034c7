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


def span_text(low: float, high: float, unit: str = "") -> str:
    """``low-high unit`` of an input's range, compactly (``6%-10%`` for fractions)."""
    if unit == "fraction":
        return f"{low:.0%}-{high:.0%}"
    suffix = "" if unit in ("", "ratio") else " " + unit
    return f"{number(low)}-{number(high)}{suffix}"


@app.command("compare")
@handles_input_errors
@uses_calibration
def compare_command(
    a: Annotated[Path, typer.Argument(help="First scenario .toml/.yaml")],
    b: Annotated[Path, typer.Argument(help="Second scenario .toml/.yaml")],
    overrides: SetOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print the comparison as CSV")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report of the comparison")] = None,
) -> None:
    """Plan two scenarios and show their headline figures side by side, differences highlighted."""
    from stargate.output import check_output_path, write_atomic
    from stargate.whatif.compare import compare

    if report is not None:
        check_output_path(report, "--report")
    frame = compare(a, b, overrides or [])
    if report is not None:
        from stargate.report import compare_html

        write_atomic(report, compare_html(frame))
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
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report of the sweep")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the sweep's table as JSON records")] = False,
) -> None:
    """Run a design of scenarios (grid, random or Latin hypercube) and write one row per scenario."""
    from rich.progress import Progress

    from stargate.cli.app import err_console
    from stargate.output import check_output_path, write_atomic
    from stargate.whatif.sweep import load_sweep, run_sweep

    if report is not None:
        check_output_path(report, "--report")
    design = load_sweep(sweep_file)  # validated in full before anything is written
    with Progress(console=err_console if json_out else console) as bar:
        task = bar.add_task(f"{len(design.rows):,} scenarios", total=len(design.chunks))
        run_sweep(design, out, resume=resume, serial=serial, scheduler=scheduler, workers=workers, keep=False,
                  progress=lambda done, _total: bar.update(task, completed=done))
    if report is not None:
        import pandas as pd

        from stargate.report import sweep_html

        write_atomic(report, sweep_html(pd.read_csv(out / "sweep.csv"), list(design.rows.columns)))
    if json_out:
        import pandas as pd

        frame = pd.read_csv(out / "sweep.csv")
        emit_json(to_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records")))  # NaN: null
        return
    console.print(f"wrote {out / 'sweep.csv'} ({len(design.rows):,} scenarios, {len(design.chunks)} chunks)"
                  + (f" and {report}" if report else ""))


@app.command("sensitivity")
@handles_input_errors
def sensitivity_command(
    scenario_file: Annotated[Path | None, typer.Argument(help="Scenario .toml/.yaml; default: Abilene")] = None,
    method: Annotated[str, typer.Option("--method", help="tornado (one at a time), morris or sobol (SALib)")
                      ] = "tornado",
    outputs: Annotated[list[str] | None, typer.Option(
        "--output", help="Headline figure to rank the inputs for (repeatable; default: days, $/GPU-hour, ...)")
                       ] = None,
    samples: Annotated[int, typer.Option("--samples", min=2, max=10_000,
                                         help="Morris trajectories or Sobol base samples")] = 10,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Inputs shown per figure")] = 3,
    overrides: SetOption = None,
    uncertainty_file: Annotated[Path | None, typer.Option(
        "--inputs", help="Uncertain inputs .toml (default: stargate/catalog/uncertainty.toml)")] = None,
    figure: Annotated[Path | None, typer.Option("--figure", help="Write the tornado figures as HTML")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the ranking as JSON")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print the ranking as CSV")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=256,
                                                help="Run on a local Dask cluster of this many processes")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Existing Dask scheduler, tcp://HOST:8786")
                         ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the Morris/Sobol design")] = 0,
) -> None:
    """Rank which uncertain inputs move each headline figure of the planned run, with their swing."""
    from stargate.output import check_output_path, write_atomic
    from stargate.scenario import default_scenario, load_scenario
    from stargate.whatif.overrides import apply_overrides, parse_assignments, split_overrides
    from stargate.whatif.sensitivity import DEFAULT_OUTPUTS, sensitivity, top_drivers, tornado_figure
    from stargate.whatif.uncertainty import load_uncertainty

    if figure is not None:
        check_output_path(figure, "--figure")
        if method != "tornado":
            from stargate.errors import InputError

            raise InputError("--figure", str(figure), "draws the tornado: use it with --method tornado")
    scenario = load_scenario(scenario_file) if scenario_file else default_scenario()
    fields, extras = split_overrides(parse_assignments(overrides or []))
    spec = load_uncertainty(uncertainty_file) if uncertainty_file else None
    frame = sensitivity(apply_overrides(scenario, fields), method, outputs=tuple(outputs or DEFAULT_OUTPUTS),
                        samples=samples, seed=seed, spec=spec, extras=extras,
                        serial=workers is None and scheduler is None, workers=workers, scheduler=scheduler)
    if figure is not None:
        from stargate.report import figures_page

        figs = [tornado_figure(frame, o) for o in frame.attrs["units"]]
        write_atomic(figure, figures_page("Stargate Planner: sensitivity", figs))
    if json_out:
        emit_json(to_json({"method": method, "evaluations": frame.attrs["evaluations"],
                           "rows": frame.to_dict(orient="records")}))
        return
    if csv_out:
        emit_json(frame.to_csv(index=False).rstrip())
        return
    effect = {"tornado": "swing", "morris": "mu*", "sobol": "total index"}[method]
    for output, unit in frame.attrs["units"].items():
        label = frame.attrs["labels"][output]
        table = Table(title=f"What moves the {label}" + ("" if unit == "fraction" else f" [{unit}]"),
                      title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("input", max_width=30)
        if method == "tornado":
            table.add_column("range", justify="right", max_width=16)
            table.add_column("at low", justify="right")
            table.add_column("at high", justify="right")
        table.add_column(effect, justify="right")
        for row in top_drivers(frame, output, top).itertuples():
            cells = [str(row.rank), row.label]
            if method == "tornado":
                cells += [span_text(row.low, row.high, row.unit), number(row.at_low, unit),
                          number(row.at_high, unit)]
                cells.append(("+" if row.swing > 0 else "") + number(row.swing, "" if unit == "fraction" else unit))
            else:
                cells.append(f"{row.effect:.3g}")
            table.add_row(*cells)
        console.print(table)
    console.print(f"{frame.attrs['evaluations']:,} runs of the planned run (layout and job size held), "
                  f"{method}; inputs and sources: stargate/catalog/uncertainty.toml"
                  + (f"; wrote {figure}" if figure else ""))
