"""``stargate catalog``: the shipped catalogs as tables (80 columns) or JSON, with their sources."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from stargate.cli.app import app, console, emit_json, fitted_table, handles_input_errors
from stargate.output import to_json

catalog_app = typer.Typer(help="List the shipped catalogs: accelerators, models, technologies, sites.",
                          no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

JsonOption = Annotated[bool, typer.Option("--json", help="Print every field of every entry (with sources) as JSON")]


def _num(value: float | None, fmt: str = ",.0f", scale: float = 1.0) -> str:
    return "—" if value is None else format(value if scale == 1 else value / scale, fmt)


def _month(year: float) -> str:
    """A decimal year as YYYY-MM (2025.75 -> 2025-10)."""
    whole = int(year)
    return f"{whole}-{min(round((year - whole) * 12) + 1, 12):02d}"


def _footer(what: str) -> None:
    console.print(f"Sources and every field: stargate catalog {what} --json", highlight=False)


@catalog_app.command("accelerators")
@handles_input_errors
def accelerators_command(json_out: JsonOption = False) -> None:
    """Accelerators: dense peaks, memory, scale-up domain, board power and price (catalog/accelerators.toml)."""
    from stargate import catalog

    entries = catalog.accelerators()
    if json_out:
        emit_json(to_json({k: dataclasses.asdict(a) for k, a in entries.items()}))
        return
    table = fitted_table("Accelerators (per unit: GPU, superchip or chip; dense peaks; * pre-release)", [
        ("key", "key"), ("year", "num"), ("BF16\nTFLOP/s", "num"), ("FP8\nTFLOP/s", "num"), ("HBM\nGB", "num"),
        ("HBM\nTB/s", "num"), ("scale-up\ndomain", "num"), ("board\nW", "num"), ("price\n$k", "num")])
    for key, a in sorted(entries.items(), key=lambda kv: (kv[1].vendor, kv[1].year, kv[0])):
        table.add_row(key + ("*" if a.estimate else ""), str(a.year), _num(a.bf16_dense_tflops),
                      _num(a.fp8_dense_tflops), _num(a.hbm_gbyte), _num(a.hbm_tbyte_s, ".1f"),
                      _num(a.scaleup_domain), _num(a.tdp_w), _num(a.price_usd, ",.1f", 1e3))
    console.print(table)
    _footer("accelerators")


@catalog_app.command("models")
@handles_input_errors
def models_command(json_out: JsonOption = False) -> None:
    """Models: architecture, parameters, training tokens, compute and batch (catalog/models.toml)."""
    from stargate import catalog

    entries = catalog.models()
    if json_out:
        emit_json(to_json({k: dataclasses.asdict(m) for k, m in entries.items()}))
        return
    table = fitted_table("Models (* estimated figures)", [
        ("key", "key"), ("arch", "key"), ("params\nB", "num"), ("active\nB", "num"),
        ("tokens\nT", "num"), ("compute\nFLOP", "num"), ("batch\nM tokens", "num"), ("seq", "num")])
    for key, m in entries.items():
        table.add_row(key + ("*" if m.estimate else ""), m.arch, _num(m.params_b, ",.1f"),
                      _num(m.active_params_b, ",.1f"), _num(m.training_tokens, ",.1f", 1e12),
                      _num(m.training_flop_estimate, ".2g"), _num(m.global_batch_tokens, ",.1f", 1e6),
                      _num(m.seq_len, ","))
    console.print(table)
    console.print("compute: published estimates only (a plan derives it from the shape: 6N + attention)",
                  highlight=False)
    _footer("models")


@catalog_app.command("technologies")
@handles_input_errors
def technologies_command(json_out: JsonOption = False) -> None:
    """Energy technologies of the supply stage: costs, CO2, availability, first year (energy_technologies.toml)."""
    from stargate.supply.technologies import technology_catalog, technology_table

    raw = technology_catalog()
    if json_out:
        emit_json(to_json(raw))
        return
    techs = technology_table()
    table = fitted_table(f"Energy technologies (costs in 2025 US$, WACC {raw['defaults']['wacc']:.1%}, gas "
                         f"{raw['defaults']['gas_usd_per_mmbtu']:.2f} $/MMBtu)", [
        ("key", "key"), ("kind", "key"), ("capex\n$/kW", "num"), ("fixed\n$/kW-yr", "num"),
        ("energy\n$/MWh", "num"), ("CO2\nt/MWh", "num"), ("avail-\nability", "num"), ("from", "num"),
        ("carbon-\nfree", "key")])
    for key, t in techs.iterrows():
        table.add_row(key, t.kind, _num(t.capex_usd_per_mw, ",.0f", 1e3), _num(t.fixed_usd_per_mw_yr, ",.0f", 1e3),
                      _num(t.marginal_usd_per_mwh, ",.1f"), _num(t.co2_t_per_mwh, ".3f"), f"{t.availability:.0%}",
                      str(int(t.earliest_year)), "yes" if t.carbon_free else "no")
    console.print(table)
    console.print("fixed: annualised capex + fixed O&M (+ take-or-pay PPA energy); energy: variable O&M, fuel "
                  "or energy price", highlight=False)
    _footer("technologies")


def _site_rows(campus: Any) -> tuple[float, float]:
    mw = sum(p.mw for p in campus.phases)
    first = min(p.first_online if p.first_online is not None else p.end for p in campus.phases)
    return mw, first


@catalog_app.command("sites")
@handles_input_errors
def sites_command(json_out: JsonOption = False) -> None:
    """The Stargate programme's campuses: accelerator, planned power, power source, status (roadmap)."""
    from stargate.roadmap import load_programme

    programme = load_programme()
    campuses = programme.campuses(include_optional=True)
    if json_out:
        emit_json(to_json({"programme": programme.name, "sites": [c.model_dump(mode="json") for c in campuses]}))
        return
    table = fitted_table(f"Sites of {programme.name} (+ optional: counted only with include_optional)", [
        ("campus", "text"), ("accelerator", "key"), ("planned\nMW", "num"), ("first\nonline", "num"),
        ("power", "text")], show_lines=False)
    for campus in campuses:
        mw, first = _site_rows(campus)
        table.add_row(campus.name + (" +" if campus.optional else ""), campus.accelerator, f"{mw:,.0f}",
                      _month(first), campus.power)
    console.print(table)
    _footer("sites")
