"""``stargate search``, ``stargate validate`` and ``stargate calibrate``: the training performance model."""

from __future__ import annotations

import math
import tomllib
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from stargate.cli.app import app, console, emit_json, fail, fitted_table, handles_input_errors, uses_calibration
from stargate.errors import InputError
from stargate.output import to_json, write_atomic

DATASETS = ("dev", "oos")  # stargate.perf.validation.DATASETS (not imported: `stargate --help` stays light)


@app.command("search")
@handles_input_errors
@uses_calibration
def search_command(
    model: Annotated[str, typer.Option(help="Catalog model key")] = "llama-3.1-405b",
    accelerator: Annotated[str, typer.Option(help="Catalog accelerator key")] = "h100-sxm",
    gpus: Annotated[int, typer.Option(help="Accelerators in the job", min=1, max=100_000_000)] = 16384,
    batch_seqs: Annotated[int, typer.Option(help="Global batch in sequences", min=1, max=100_000_000)] = 2048,
    seq_len: Annotated[int | None, typer.Option(help="Sequence length (default: the model's)", min=1,
                                                max=10_000_000)] = None,
    precision: Annotated[str, typer.Option(help="bf16, fp16, fp8 or fp4")] = "bf16",
    top: Annotated[int, typer.Option(help="Layouts to show", min=1, max=10_000)] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="Print the ranked layouts as JSON")] = False,
    software_date: Annotated[str | None, typer.Option(
        "--software-date", help="Software release, YYYY-MM (the family's software trend); default: today")] = None,
) -> None:
    """Rank every valid parallel layout of a model on a cluster by predicted step time."""
    from stargate import catalog
    from stargate.perf import search
    from stargate.perf.search import BREAKDOWN_FIELDS
    from stargate.performance import step_hardware
    from stargate.scenario import check_software_date
    from stargate.workload import ModelSpec

    if precision not in ("bf16", "fp16", "fp8", "fp4"):
        raise InputError("precision", precision, "one of bf16, fp16, fp8, fp4")
    if software_date is not None:
        try:
            check_software_date(software_date)
        except ValueError as err:
            raise InputError("--software-date", software_date, str(err)) from None
    spec = ModelSpec.from_catalog(catalog.model(model), seq_len=seq_len)
    hw, software = step_hardware(catalog.accelerator(accelerator), software_date, moe=spec.is_moe)
    if software_date is not None:
        software = replace(software, basis="given (--software-date)")
    result = search(spec, hw, gpus, batch_seqs, precision, top=top)
    if json_out:
        emit_json(to_json({"evaluated": result.evaluated, "feasible": result.feasible,
                           "software": vars(software), "ranked": [vars(p) for p in result.ranked]}))
        return
    console.print(f"{spec.name} on {gpus:,} x {accelerator}, batch {batch_seqs:,} x {spec.seq_len:,} tokens "
                  f"({result.evaluated:,} layouts, {result.feasible:,} fit); software {software.date}"
                  f"{' (today)' if software_date is None else ''}, matmul efficiency × {software.factor:.3f}",
                  highlight=False)
    table = fitted_table("", [(c, "num") for c in ("tp", "pp", "dp", "cp", "ep", "vpp", "mb", "recomp", "zero",
                                                   "step\ns", "MFU", "mem\nGB", "comm\ns", "bubble\ns")])
    for p in result.ranked:
        comm = sum(p.breakdown_s[f] for f in BREAKDOWN_FIELDS if f.endswith("comm_s"))
        cells = [str(p.layout[k]) for k in ("tp", "pp", "dp", "cp", "ep", "vpp", "mb", "recompute", "zero")]
        cells[7] = {"selective": "sel"}.get(cells[7], cells[7])
        table.add_row(*cells, f"{p.step_s:.2f}", f"{p.mfu:.1%}", f"{p.memory_gbyte:.0f}", f"{comm:.2f}",
                      f"{p.breakdown_s['bubble_s']:.2f}")
    console.print(table)
    console.print("recomp: activation recomputation (none, sel = selective, full); zero: 0 none, 1 distributed "
                  "optimizer, 2, 3 FSDP, 4 HSDP; comm: exposed communication per step", highlight=False)


PATH_HELP = "CSV in the schema of the shipped development set (stargate/data/validation/dev.csv)"
DATASET_HELP = ("Shipped validation set instead of PATH: dev (the calibration's development set) "
                "or oos (out of sample)")


def validation_file(path: Path | None, dataset: str | None) -> Path:
    """The CSV to read: ``path``, or the shipped set named by ``--dataset`` (exactly one of the two)."""
    from stargate.perf.validation import dataset_path

    if (path is None) == (dataset is None):
        fail(f"give exactly one of PATH or --dataset {'|'.join(DATASETS)}")
    return path if dataset is None else dataset_path(dataset)


@app.command("validate")
@handles_input_errors
@uses_calibration
def validate_command(
    path: Annotated[Path | None, typer.Argument(help=PATH_HELP)] = None,
    dataset: Annotated[str | None, typer.Option(help=DATASET_HELP)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print rows and summary as one JSON object")] = False,
    baseline: Annotated[bool, typer.Option("--baseline", help="Score the 40 %-MFU rule of thumb instead")] = False,
) -> None:
    """Predict every published run of a validation file and report the errors."""
    from stargate.perf.validation import read_rows, summarise, validate

    path = validation_file(path, dataset)
    results = validate(read_rows(path), baseline=baseline)
    summary = summarise(results)
    if json_out:
        rows = [{"id": r.id, "metric": r.metric, "published": r.published, "predicted": r.predicted,
                 "error_pct": r.error_pct, "reason": r.reason or None, "accelerator": r.accelerator,
                 "source": r.source, "layout": r.layout,
                 "interval": None if r.interval is None else list(r.interval),
                 "interval_class": r.interval_class} for r in results]
        emit_json(to_json({"rows": rows, "summary": summary}))
        return
    table = fitted_table(f"Validation: {dataset or path}", [
        ("id", "text"), ("metric", "text"), ("published", "num"), ("predicted", "num"), ("error\n%", "num"),
        ("note", "num")])
    notes: list[str] = []
    for r in results:
        published = "—" if r.published is None else f"{r.published:.4g}"
        predicted = "—" if r.predicted is None else f"{r.predicted:.4g}"
        if r.reason and r.reason not in notes:
            notes.append(r.reason)
        table.add_row(r.id, r.metric, published, predicted,
                      "—" if r.error_pct is None else f"{r.error_pct:+.1f}",
                      f"[{notes.index(r.reason) + 1}]" if r.reason else "")
    console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[{i}] {note}", highlight=False)
    for key, title in (("by_accelerator", "accelerator"), ("by_source", "source")):
        groups = fitted_table(f"|error| by {title}", [(title, "text"), ("rows", "num"), ("median %", "num"),
                                                          ("p90 %", "num")])
        for name, s in summary.get(key, {}).items():
            groups.add_row(name, str(s["n"]), f"{s['median_abs_error_pct']:.1f}", f"{s['p90_abs_error_pct']:.1f}")
        console.print(groups)
    for row in summary["not_predicted"]:
        console.print(f"not predicted: {row['id']}: {row['reason']}", markup=False)
    overall = summary.get("overall")
    console.print(f"predicted {summary['predicted']}/{summary['rows']} rows ({summary['predicted_share']:.0%})")
    if overall:
        console.print(f"median |error| {overall['median_abs_error_pct']:.1f} %, "
                      f"p90 |error| {overall['p90_abs_error_pct']:.1f} %")
    if "interval" in summary:
        band = summary["interval"]
        console.print(f"80 % intervals cover {band['coverage']:.0%} of {band['n']} rows, "
                      f"median half-width {band['median_half_width_pct']:.0f} %")
        by_arch = [f"{arch} {band['by_class'][arch]['coverage']:.0%} of {band['by_class'][arch]['n']}"
                   for arch in ("dense", "moe") if arch in band.get("by_class", {})]
        if by_arch:
            console.print("  by architecture: " + ", ".join(by_arch))


@app.command("calibrate")
@handles_input_errors
def calibrate_command(
    path: Annotated[Path | None, typer.Argument(help=PATH_HELP)] = None,
    dataset: Annotated[str | None, typer.Option(help=DATASET_HELP)] = None,
    out: Annotated[Path, typer.Option(help="Where to write the refitted calibration TOML")] = Path("calibration.toml"),
    max_evaluations: Annotated[int, typer.Option(help="Objective evaluations allowed", min=1, max=100_000)] = 150,
) -> None:
    """Refit the per-family efficiency parameters on a validation file and write them as TOML."""
    from stargate.output import check_output_path
    from stargate.perf.fit import calibration_toml, fit
    from stargate.perf.validation import PreparedRow, RowResult, prepare_row, read_rows

    check_output_path(out, "--out")  # refused before the fit, not after it
    source = validation_file(path, dataset)
    frame = read_rows(source)
    prepared = [prepare_row(row) for _, row in frame.iterrows()]
    if not any(isinstance(p, PreparedRow) for p in prepared):
        reason = next((p.reason for p in prepared if isinstance(p, RowResult)), "the file has no rows")
        raise InputError("validation file", str(source), f"has no usable row to fit (first: {reason})")
    calibration, median = fit(frame, max_nfev=max_evaluations)
    if not math.isfinite(median):
        raise InputError("validation file", str(source), "gives no finite error to fit: nothing written")
    template = resources.files("stargate.catalog").joinpath("calibration.toml").read_text(encoding="utf-8")
    text = calibration_toml(calibration, template)
    tomllib.loads(text)  # never write a file that would not load
    write_atomic(out, text)
    console.print(f"median |error| {median:.1f} % after the fit; wrote {out} "
                  f"(use it with --calibration {out}, or copy it over src/stargate/catalog/calibration.toml)")
