"""``stargate claims`` and ``stargate query-energy``: press claims recomputed, energy per query."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from stargate.cli.app import app, console, emit_json, handles_input_errors, styled, uses_calibration, working
from stargate.errors import InputError, require_finite
from stargate.output import to_json

VERDICT_STYLE = {"holds": "green", "holds_only_if": "yellow", "does_not_hold": "red"}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e4 or abs(value) >= 1e15 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


@app.command("claims")
@handles_input_errors
@uses_calibration
def claims_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print all verdicts as JSON")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown report")] = False,
    file: Annotated[Path | None, typer.Option("--file", help="A claim file of your own (TOML)")] = None,
) -> None:
    """Recompute the public claims about Stargate (C1-C12) and give each a verdict."""
    from rich.table import Table

    from stargate.claims import check_claims, load_claims

    claims = load_claims(file)
    with working(f"Recomputing {len(claims)} claims (a plan each)…", quiet=json_out or markdown):
        results = check_claims(claims)
    if json_out:
        emit_json(to_json({"claims": [asdict(r) for r in results]}))
        return
    if markdown:
        lines = ["# Stargate claims, recomputed", ""]
        for r in results:
            lines += [f"## {r.id}: {r.verdict.replace('_', ' ')}", "", f"> {r.claim}", ""]
            lines += [f"- **{k}**: {_fmt(v)}" for k, v in r.computed.items()]
            lines += ["", "Assumptions:", *[f"- {a}" for a in r.assumptions], "", "Sources:",
                      *[f"- {s}" for s in r.sources], ""]
        emit_json("\n".join(lines))
        return
    table = Table(title="Claims about Stargate, recomputed", show_lines=True)
    for col in ("id", "claim", "verdict", "what decides it"):
        table.add_column(col, overflow="fold")
    for r in results:
        style = VERDICT_STYLE[r.verdict]
        table.add_row(r.id, r.claim, styled(r.verdict.replace('_', ' '), style), "; ".join(r.assumptions))
    console.print(table)
    console.print("Figures and sources: stargate claims --markdown (or --json)")


@app.command("query-energy")
@handles_input_errors
def query_energy_command(
    model: Annotated[str, typer.Option(help="Catalog model key with a published shape")] = "llama-3.1-405b",
    accelerator: Annotated[str, typer.Option(help="Catalog accelerator key")] = "h100-sxm",
    prompt_tokens: Annotated[int, typer.Option(help="Prompt length", min=0, max=10_000_000)] = 1000,
    output_tokens: Annotated[int, typer.Option(help="Response length", min=1, max=10_000_000)] = 500,
    batch: Annotated[int, typer.Option(help="Concurrent sequences per replica", min=1, max=1_000_000)] = 64,
    fp8: Annotated[bool, typer.Option(help="Serve FP8 weights")] = False,
    pue: Annotated[float, typer.Option(help="Facility PUE (1-3)")] = 1.2,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Throughput, latency and energy per query of a served model (compare: a 2009 search was 0.3 Wh)."""
    from rich.table import Table

    from stargate import catalog
    from stargate.inference import ServingAssumptions, serve
    from stargate.workload import ModelSpec

    require_finite("--pue", pue, 1.0, 3.0)
    entry = catalog.model(model)
    if not entry.has_shape:
        raise InputError("model", model, "needs a published shape to be served")
    spec = ModelSpec.from_catalog(entry)
    result = serve(spec, catalog.accelerator(accelerator), ServingAssumptions(
        prompt_tokens=prompt_tokens, output_tokens=output_tokens, batch=batch, weight_bytes=1.0 if fp8 else 2.0,
        pue=pue))
    if json_out:
        emit_json(to_json(asdict(result)))
        return
    table = Table(title=f"{spec.name} on {accelerator}: {prompt_tokens} in, {output_tokens} out")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in asdict(result).items():
        table.add_row(key, _fmt(float(value)) if isinstance(value, (int, float)) else str(value))
    table.add_row("searches (0.3 Wh each)", f"{result.energy_wh_per_query / 0.3:.1f}")
    console.print(table)
