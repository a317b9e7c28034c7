"""``stargate plan`` and ``stargate scenario``: run a scenario end to end, show the default."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stargate.cli.app import app, console, emit_json, handles_input_errors, uses_calibration, working
from stargate.errors import InputError
from stargate.output import check_output_dir, check_output_path, to_json, write_atomic

if TYPE_CHECKING:  # imported by the commands, so that `stargate --help` stays light
    from stargate.pipeline import PlanResult
    from stargate.scenario import Scenario

scenario_app = typer.Typer(help="Inspect scenarios.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("show-default")
def show_default() -> None:
    """Print the embedded default scenario (Stargate Abilene) as TOML, to copy and edit."""
    from stargate.scenario import default_scenario_text

    emit_json(default_scenario_text().rstrip())


DEFAULT_SAMPLES = 32
# the bands of the default output (all of them with an explicit --uncertainty N)
DEFAULT_BANDS = ("training_days_with_failures", "training_days", "mfu", "usd_per_gpu_hour", "energy_usd_per_mwh",
                 "training_run_musd", "programme_gw")


@app.command("plan")
@handles_input_errors
@uses_calibration
def plan_command(
    scenario_file: Annotated[Path | None, typer.Argument(help="Scenario .toml/.yaml; default: Abilene")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print all results as JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write results.json into")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report with plots")] = None,
    largest_run_days: Annotated[float | None, typer.Option(
        "--largest-run-days", help="Plan the largest compute-optimal run that trains in this many days")] = None,
    run_flop: Annotated[float | None, typer.Option(
        "--run-flop", help="Plan a compute-optimal run of this many FLOP (e.g. 3e27)")] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="FIELD=VALUE: a dotted scenario field (cluster.count=100000) or catalog value "
        "(catalog.costs.site.usd_per_mw=15e6); repeatable")] = None,
    samples: Annotated[int | None, typer.Option(
        "--uncertainty", min=0, max=100_000, help=f"Samples of the uncertain inputs for P10-P90 bands of every "
        f"headline figure (0: none; default {DEFAULT_SAMPLES}, a few bands shown)")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the uncertainty samples")] = 0,
) -> None:
    """Run every stage on a scenario and print the summary with the sources behind each input."""
    from stargate.scenario import default_scenario, load_scenario
    from stargate.whatif.headline import evaluate_plan
    from stargate.whatif.overrides import apply_overrides, catalog_patched, parse_assignments, split_overrides

    if out is not None:
        check_output_path(check_output_dir(out) / "results.json")
    if report is not None:
        check_output_path(report, "--report")
    scenario = load_scenario(scenario_file) if scenario_file else default_scenario()
    fields, extras = split_overrides(parse_assignments(overrides or []))
    scenario = apply_overrides(scenario, fields)
    if largest_run_days is not None or run_flop is not None:
        scenario = frontier_variant(scenario, largest_run_days, run_flop)
    with catalog_patched(extras):  # --set catalog values hold for every stage, the summary and the report
        with working("Planning: workload, layout search, facility, supply, costs…", quiet=json_out):
            result = evaluate_plan(scenario, extras)
        bands, n = None, DEFAULT_SAMPLES if samples is None else samples
        if n > 0:
            from stargate.whatif.uncertainty import uncertainty

            with working(f"Sampling {n} cases of the uncertain inputs for P10-P90 bands…", quiet=json_out):
                bands = uncertainty(scenario, n, seed=seed, extras=extras, base=result)
        data = result.to_dict()
        from stargate.whatif.uncertainty import plan_mfu_interval

        interval = plan_mfu_interval(result)
        if interval is not None:
            data["training"]["mfu_interval_80"] = [result.training.mfu * interval[0],
                                                   min(result.training.mfu * interval[1], 1.0)]
        if extras:
            data["overrides"] = extras
        if bands is not None:
            data["uncertainty"] = bands_dict(bands)
        text = to_json(data)
        if out is not None:
            write_atomic(out / "results.json", text)
        if report is not None:
            from stargate.report import render_html
            from stargate.roadmap import load_programme, simulate

            tornado = None
            if bands is not None:
                from stargate.whatif.sensitivity import sensitivity

                tornado = sensitivity(scenario, extras=extras, base=result,
                                      outputs=("training_days_with_failures", "usd_per_gpu_hour"))
            write_atomic(report, render_html(result, simulate(load_programme(), 10_000, seed=0), bands, tornado))
        if json_out:
            emit_json(text)
            return
        print_summary(result)
        if bands is not None:
            print_bands(bands, every=samples is not None)
    for path in (out / "results.json" if out else None, report):
        if path is not None:
            console.print(f"wrote {path}")


def bands_dict(bands: Any) -> dict[str, Any]:
    """The bands as JSON: per headline figure its plan value and P10/P50/P90; the inputs sampled."""
    return {
        "samples": len(bands.samples), "method": "Latin hypercube; the planned run held fixed and re-rated",
        "figures": {name: {k: _finite_or_none(row[k]) for k in ("label", "unit", "base", "p10", "p50", "p90")}
                    for name, row in bands.table.iterrows()},
        "inputs": [{"field": u.path, "label": u.label, "low": u.low, "base": u.base, "high": u.high,
                    "quantiles": list(u.quantiles) or None, "sources": list(u.sources)} for u in bands.inputs],
    }


def _finite_or_none(value: Any) -> Any:
    """A figure for strict JSON: NaN (a stage that is absent, e.g. no economics without a price) as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def print_bands(bands: Any, every: bool = False) -> None:
    """P10-P90 of the headline figures (the default's few, or ``every`` one that varies), and the inputs."""
    from rich.table import Table

    from stargate.cli.whatif import number, span_text

    table = Table(title=f"How sure: P10-P90 of {len(bands.samples):,} samples, same run", title_justify="left")
    table.add_column("figure", max_width=34)
    for column in ("plan", "P10", "P50", "P90"):
        table.add_column(column, justify="right")
    for name, row in bands.table.iterrows():
        if not every and name not in DEFAULT_BANDS:
            continue
        if every and not row["p90"] > row["p10"]:
            continue
        unit = "" if row["unit"] in ("fraction", "") else f" [{row['unit']}]"
        table.add_row(row["label"] + unit, *(number(row[k], row["unit"]) for k in ("base", "p10", "p50", "p90")))
    console.print(table)
    spans = "; ".join(f"{u.label} {span_text(*u.span, u.unit)}" for u in bands.inputs)
    console.print(f"Inputs sampled, P10-P90 or range (sourced in stargate/catalog/uncertainty.toml): {spans}. "
                  "`stargate sensitivity` ranks them.")



DEPLOYMENT_LABELS = {
    "scaleup_domain": ("scale-up domain", "{:,} GPUs"),
    "scaleout_gbit_s": ("scale-out NIC", "{:,.0f} Gb/s"),
    "tdp_w_per_gpu": ("board power", "{:,.0f} W"),
    "server_overhead_factor": ("server overhead", "× {:.2f}"),
    "rack_kw": ("rack power", "{:,.0f} kW"),
    "cooling": ("cooling", "{}"),
    "price_usd_per_gpu": ("price per GPU", "${:,.0f}"),
}


def print_deployment(result: PlanResult, cite: _Sources) -> None:
    """The accelerator-dependent values the plan used, each "given" or "catalog" (stargate.deployment)."""
    from rich.table import Table

    from stargate.deployment import SCENARIO_FIELDS

    if result.deployment is None:
        return
    table = Table(title=f"Accelerator-dependent settings ({result.cluster.accelerator.key})", title_justify="left")
    for column, justify in (("setting", "left"), ("value", "right"), ("from", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    notes = result.scenario.sources
    for name, value, basis in result.deployment.rows():
        label, fmt = DEPLOYMENT_LABELS[name]
        field = SCENARIO_FIELDS[name]
        table.add_row(label, "—" if value is None else fmt.format(value), basis + " " + cite.ref(notes.get(field, "")))
    software = result.performance.software
    if software is not None:  # the step model's software (none when the MFU is given)
        table.add_row("software date", software.date,
                      software.basis + " " + cite.ref(notes.get("workload.software_date", "")))
        table.add_row("software factor", f"× {software.factor:.3f}", "on the matmul efficiency: " + software.trend)
        from stargate.perf.calibration import load_calibration

        acc = result.cluster.accelerator
        rate = acc.sfu_exp_tera_per_s
        table.add_row("softmax exponentials", "—" if rate is None else f"{rate / acc.gpus_per_unit:.1f}e12/s per GPU",
                      "not published: no softmax time" if rate is None else
                      f"catalog ({acc.key}); the attention matmuls hide {load_calibration().softmax_overlap:.0%} of "
                      "the shorter of the two (calibration softmax_overlap)")
    console.print(table)


def frontier_variant(scenario: Scenario, run_days: float | None, training_flop: float | None) -> Scenario:
    """The scenario with its workload replaced by a frontier run of ``run_days`` or ``training_flop``.

    The laws, precision, sequence length, batch settings and software date of the scenario's workload are kept.
    """
    from stargate.scenario import scenario_from_dict

    if run_days is not None and training_flop is not None:
        raise InputError("--largest-run-days", run_days, "give --largest-run-days or --run-flop, not both")
    kept = scenario.workload.model_dump(include={"scaling_law", "batch_law", "max_batch_tokens", "precision",
                                                 "seq_len", "global_batch_tokens", "software_date"}, exclude_none=True)
    size = {"run_days": run_days} if run_days is not None else {"training_flop": training_flop}
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["workload"] = kept | size
    return scenario_from_dict(data)


class _Sources:
    """Numbered citations collected while the summary is built, printed once below the table."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def ref(self, *texts: str) -> str:
        marks = []
        for text in filter(None, texts):
            if text not in self.items:
                self.items.append(text)
            marks.append(f"[{self.items.index(text) + 1}]")
        return "".join(marks)


def print_summary(result: PlanResult) -> None:
    """Rich table of the headline figures; every input's source is numbered below it."""
    from rich.table import Table

    from stargate import catalog
    from stargate.facility import cooling_system, facility_catalog
    from stargate.frontier import compute_laws, law_sources
    from stargate.goodput import reliability_data
    from stargate.perf.layouts import ZERO_NAMES

    sc, wl, cl, tr, fa = result.scenario, result.workload, result.cluster, result.training, result.facility
    perf = result.performance
    src, refs, acc = sc.sources, catalog.references(), cl.accelerator
    cite = _Sources()
    table = Table(title=f"Stargate Planner — {sc.name}", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("basis")
    table.add_row("accelerator", acc.name, cite.ref(*catalog.cite(acc.sources)[:2]))
    table.add_row("GPUs in the cluster", f"{cl.n_gpus:,}", cite.ref(src.get("cluster.count", "")))
    table.add_row(f"dense {wl.precision.upper()} peak", f"{cl.peak_flop_s(wl.precision) / 1e18:,.1f} EFLOP/s",
                  f"{acc.dense_tflops(wl.precision):,.0f} TFLOP/s per GPU, no sparsity")
    table.add_row("workload", wl.name, cite.ref(*(wl.sources[:1] or [src.get("workload.model", "")])))
    flop_basis = "estimate " + cite.ref(*wl.sources) if wl.flop_is_estimate else "6N + 12·L·H·Q·T per token (PaLM)"
    if wl.target_days is not None:
        flop_basis = f"largest compute-optimal run in {wl.target_days:g} days with failures; " + flop_basis
    table.add_row("training compute", f"{wl.training_flop:.3g} FLOP", flop_basis)
    if wl.spec is not None:
        shape = wl.spec
        size_basis = (f"{shape.layers} layers, hidden {shape.hidden:,}, FFN {shape.ffn_hidden:,}, "
                      f"{shape.heads} heads ({shape.kv_heads} KV)")
        if wl.compute_optimal is not None:
            opt = wl.compute_optimal
            size_basis = (f"compute-optimal by {compute_laws()[opt.law]['name']} {cite.ref(*wl.sources[:1])}: "
                          f"{opt.tokens_per_param:.1f} tokens per parameter; " + size_basis)
        table.add_row("parameters, tokens", f"{shape.params / 1e9:,.0f}B, {wl.tokens / 1e12:,.1f}T", size_basis)
    from_law = wl.batch_basis not in ("given in scenario", "published with the model (catalog)")
    batch_refs = law_sources(None, sc.workload.batch_law) if from_law else ()
    table.add_row("global batch", f"{wl.global_batch_tokens / 1e6:,.1f}M tokens",
                  wl.batch_basis + " " + cite.ref(*batch_refs))
    if perf.best is not None:
        lay = perf.best.layout
        job_basis = f"fastest of the job sizes searched ({perf.n_gpus_used / cl.n_gpus:.0%} of the cluster)"
        if perf.job_capacity is not None and perf.job_capacity < cl.n_gpus:
            per_domain = perf.job_capacity // (cl.n_gpus // cl.scaleup_domain)
            job_basis += (f"; one job can use {perf.job_capacity:,} ({per_domain} of {cl.scaleup_domain} GPUs per "
                          "scale-up domain: power-of-two groups, aligned placement)")
        table.add_row("job size", f"{perf.n_gpus_used:,} GPUs", job_basis)
        expert = f" EP{lay['ep']}" if lay.get("ep", 1) > 1 else ""
        table.add_row("best layout", f"TP{lay['tp']} PP{lay['pp']} DP{lay['dp']} CP{lay['cp']}{expert}",
                      f"vpp {lay['vpp']}, micro-batch {lay['mb']}, recompute {lay['recompute']}, "
                      f"{ZERO_NAMES[int(lay['zero'])]}")
        table.add_row("step time", f"{perf.best.step_s:,.2f} s",
                      f"{perf.layouts_feasible:,} of {perf.layouts_evaluated:,} layouts fit in memory")
        table.add_row("memory per GPU", f"{perf.best.memory_gbyte:,.0f} GB", f"of {acc.hbm_gbyte:,.0f} GB HBM")
        table.add_row("tokens per GPU per step", f"{wl.global_batch_tokens / perf.n_gpus_used:,.0f}",
                      "global batch / GPUs in the job")
    from stargate.whatif.uncertainty import plan_mfu_interval

    interval = plan_mfu_interval(result)
    table.add_row("MFU", f"{tr.mfu:.1%}", "given " + cite.ref(src.get("performance.mfu", "")) if interval is None
                  else f"predicted by the step model; 80 % interval {tr.mfu * interval[0]:.1%}-"
                  f"{min(tr.mfu * interval[1], 1.0):.1%} (calibrated on published runs, stargate validate)"
                  + (f"; {perf.routing_note}" if perf.routing_note else ""))
    table.add_row("training time", f"{tr.days:,.2f} days", "C / (MFU × peak), failure-free")
    if tr.goodput < 1:
        rel = reliability_data()
        per_hour = rel["interruptions"]["per_gpu_hour"] * tr.n_gpus_used
        table.add_row("with failures", f"{tr.wall_clock_days:,.2f} days",
                      f"goodput {tr.goodput:.1%}: {per_hour:,.1f} interruptions an hour at Llama 3's rate per GPU, "
                      f"{rel['restart']['seconds'] / 60:,.0f} min to restart, Daly-optimal checkpoints "
                      + cite.ref(*rel["interruptions"]["sources"], *rel["restart"]["sources"][:1]))
    table.add_row("accelerator power", f"{fa.accelerator_power_mw:,.0f} MW",
                  f"{cl.n_gpus:,} × {fa.accelerator_power_mw * 1e6 / cl.n_gpus:,.0f} W TDP")
    dep = result.deployment
    overhead, rack_kw, cooling_name = (dep.server_overhead_factor.value, dep.rack_kw.value, dep.cooling.value)
    table.add_row("IT power", f"{fa.it_power_mw:,.0f} MW", f"× {overhead:.2f} server overhead "
                  f"(hosts {fa.host_power_mw:,.0f} MW){cite.ref(src.get('facility.server_overhead_factor', ''))}"
                  + f", × {(fa.it_power_mw / (fa.accelerator_power_mw + fa.host_power_mw)):.2f} network and storage "
                  f"({fa.network_storage_power_mw:,.0f} MW) " + cite.ref(*facility_catalog().sources[:1]))
    free = "" if fa.free_cooling_hours is None else f"; {fa.free_cooling_hours:,} h/yr of free cooling"
    table.add_row("facility power", f"{fa.facility_power_mw:,.0f} MW",
                  f"× PUE {fa.pue:.2f}, {fa.pue_basis}{free} " + cite.ref(src.get("facility.pue", "")))
    table.add_row("draw in training", f"{fa.training_facility_power_mw:,.0f} MW",
                  f"IT at {sc.facility.training_power_fraction:.0%} of nameplate (DGX H100 ≤ 76 %) "
                  + cite.ref("Newkirk et al. (2025), arXiv:2506.14551") + f"; idle IT {fa.idle_it_power_mw:,.0f} MW")
    table.add_row("racks, water", f"{fa.racks:,} racks", f"at {rack_kw:,.0f} kW; "
                  f"{fa.water_m3_per_yr / 1e6:,.2f} million m³ of water a year at {fa.wue_l_per_kwh:.2f} L/kWh "
                  f"({cooling_name} cooling) " + cite.ref(*cooling_system(cooling_name).sources[-2:]))
    if fa.reported_capacity_mw:
        table.add_row("reported capacity", f"{fa.reported_capacity_mw:,.0f} MW",
                      cite.ref(src.get("facility.reported_capacity_mw", "")))
    table.add_row("annual energy", f"{fa.annual_energy_twh:,.2f} TWh",
                  f"at {sc.facility.utilisation:.0%} utilisation " + cite.ref(src.get("facility.utilisation", "")))
    table.add_row("= large nuclear units", f"{fa.nuclear_units:,.2f}",
                  refs["nuclear_unit"].description + " " + cite.ref(*refs["nuclear_unit"].sources))
    table.add_row("= share of Japan", f"{fa.share_of_japan:.2%}",
                  refs["japan_electricity"].description + " " + cite.ref(*refs["japan_electricity"].sources))
    if result.supply is not None:
        sup, r = result.supply, result.supply.result
        mix = ", ".join(f"{k} {v:,.0f} MW" for k, v in r.capacity_mw.items() if v >= 1)
        table.add_row("supply mix", sup.mix, f"{mix}; {sup.description}")
        table.add_row("energy cost", f"{r.cost_usd_per_mwh:,.1f} $/MWh",
                      f"{r.total_cost_usd / 1e6:,.0f} M$/yr; {sup.energy_cost_usd_per_gpu_hour:.3f} $ per GPU-hour "
                      + cite.ref("EIA AEO2026 EMM Tables 3-4; NREL ATB 2024 (catalog/energy_technologies.toml)"))
        table.add_row("CO2", f"{r.co2_t / 1e6:,.2f} Mt/yr", f"{r.co2_g_per_kwh:,.0f} g/kWh; carbon-free "
                      f"{r.cfe_hourly_share:.0%} hourly-matched ({r.method}) " + cite.ref(sup.weather))
    if result.economics is not None:
        econ = result.economics
        table.add_row("capex", f"{econ.capex_usd / 1e9:,.1f} G$", "accelerators, network, buildings and plant "
                      + cite.ref("catalog/costs.toml: Crusoe/Blue Owl $15B for 1.2 GW; Cottier et al. 2024"))
        table.add_row("cost per GPU-hour", f"{econ.cost_usd_per_gpu_hour:,.2f} $",
                      f"{econ.annual_cost_usd / 1e9:,.2f} G$/yr incl. energy and financing")
        table.add_row("training run cost", f"{econ.training_run_usd / 1e6:,.0f} M$", "GPU-hours with failures")
    if result.roadmap_p50 is not None:
        rm = result.roadmap_p50
        table.add_row(f"Stargate by {rm['year']:.0f} (P50)", f"{rm['mw_online'] / 1e3:,.1f} GW",
                      f"{rm['accelerators'] / 1e6:,.2f} M accelerators, {rm['cumulative_capex_usd'] / 1e9:,.0f} G$; "
                      "stargate roadmap for the fan")
    console.print(table)
    print_deployment(result, cite)
    console.print("Sources:")
    for i, text in enumerate(cite.items, 1):
        console.print(f"  [{i}] {text}", markup=False, highlight=False)
