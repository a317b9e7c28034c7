"""HTML report of a plan: the terminal summary's tables, the scenario, sources and plotly figures.

A thin layer over the pipeline's results: the tables are the ones ``stargate plan`` prints (collected
from :func:`stargate.cli.plan.print_summary`), so the report shows every number of the terminal output.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from importlib import metadata
from typing import Any
from unittest import mock

import plotly.graph_objects as go
from rich.table import Table

from stargate.pipeline import PlanResult
from stargate.roadmap import RoadmapResult
from stargate.scenario import scenario_to_toml

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False, "responsive": True,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"],
}
FIGURE_HEIGHT_PX = 420

TECH_NAMES = {
    "grid": "grid import", "gas_cc": "gas combined cycle", "gas_turbine": "gas turbines", "pv": "solar PV",
    "wind": "onshore wind", "geothermal": "geothermal", "nuclear_ppa": "nuclear PPA", "nuclear_new": "new nuclear",
    "smr": "small modular reactors", "fusion": "fusion", "battery": "batteries (net)",
}
MIX_NAMES = {
    "grid": "grid only", "gas_turbines": "on-site gas turbines", "nuclear_ppa": "nuclear PPA + grid",
    "smr": "SMR fleet", "renewables_gas": "renewables + gas backup", "cfe90": "24/7 carbon-free 90 %",
    "cfe100": "24/7 carbon-free 100 %", "fusion": "fusion + grid", "least_cost": "least cost",
}
STEP_NAMES = {
    "compute_s": "compute", "bubble_s": "pipeline bubble", "tp_comm_s": "tensor-parallel comm.",
    "cp_comm_s": "context-parallel comm.", "ep_comm_s": "expert-parallel comm.", "pp_comm_s": "pipeline comm.",
    "dp_comm_s": "data-parallel comm.", "optimizer_s": "optimizer",
}

CSS = f"""
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
.figure {{ height: {FIGURE_HEIGHT_PX}px; margin-bottom: 1.5em; break-inside: avoid; page-break-inside: avoid; }}
.figure .js-plotly-plot, .figure .plot-container {{ height: {FIGURE_HEIGHT_PX}px !important; }}
pre {{ background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }}
.meta {{ color: #666; }}
@media print {{
  body {{ max-width: none; }}
  .figure {{ display: block !important; visibility: visible !important; break-inside: avoid; }}
  .modebar {{ display: none !important; }}
  pre {{ white-space: pre-wrap; }}
}}
"""


def readable(key: str) -> str:
    """A reader's name for an internal technology, mix or step key."""
    return TECH_NAMES.get(key) or MIX_NAMES.get(key) or STEP_NAMES.get(key) or key.replace("_", " ")


class _Collector:
    """Stands in for the CLI's console: keeps what :func:`print_summary` prints."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def print(self, obj: Any = "", *args: Any, **kwargs: Any) -> None:
        self.items.append(obj)


def summary_tables(result: PlanResult, bands: Any = None) -> tuple[list[Table], list[str]]:
    """The rich tables and source lines of ``stargate plan``'s terminal summary (and bands, when given)."""
    from stargate.cli import plan as plan_cli

    out = _Collector()
    with mock.patch.object(plan_cli, "console", out):
        plan_cli.print_summary(result)
        if bands is not None:
            plan_cli.print_bands(bands, every=True)
    tables = [t for t in out.items if isinstance(t, Table)]
    sources = [re.sub(r"^\s*\[\d+\]\s*", "", t) for t in out.items if isinstance(t, str) and re.match(r"\s*\[\d+\]", t)]
    return tables, sources


def _linkify(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"(https?://[^\s)&;,]+)", r"<a href='\1'>\1</a>", escaped)


def _table_html(table: Table) -> str:
    title = str(table.title or "")
    cols = table.columns
    rows = max((len(c._cells) for c in cols), default=0)
    out = [f"<h2>{html.escape(title)}</h2>", "<table><thead><tr>"]
    out += [f"<th>{html.escape(str(c.header))}</th>" for c in cols]
    out.append("</tr></thead><tbody>")
    for i in range(rows):
        cells = []
        for c in cols:
            text = str(c._cells[i]) if i < len(c._cells) else ""
            text = MIX_NAMES.get(text, text)
            text = re.sub(r"\b(" + "|".join(TECH_NAMES) + r") (?=[\d,.]+ MW)", lambda m: TECH_NAMES[m[1]] + " ", text)
            cls = " class='num'" if c.justify == "right" else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _layout(fig: go.Figure, x: str, y: str) -> go.Figure:
    fig.update_layout(height=FIGURE_HEIGHT_PX, autosize=True, xaxis_title=x, yaxis_title=y,
                      margin={"l": 70, "r": 20, "t": 30, "b": 60}, legend={"orientation": "h", "y": -0.2})
    return fig


def _top_layouts(result: PlanResult, top: int = 5) -> list[Any]:
    """The fastest layouts at the plan's job size (the layout search re-run; the best alone if it fails)."""
    perf, wl, cl = result.performance, result.workload, result.cluster
    if perf.best is None:
        return []
    try:
        from stargate.perf import search
        from stargate.performance import _round_batch, step_hardware

        hw, _ = step_hardware(cl.accelerator, perf.software.date if perf.software else None, cl.scaleup_domain,
                              cl.scaleout_gbit_s or None, cl.placement, wl.spec.is_moe)
        seqs = _round_batch(wl.global_batch_tokens / wl.spec.seq_len)
        found = search(wl.spec, hw, perf.n_gpus_used, seqs, wl.precision,
                       fixed=result.scenario.performance.fixed_layout(), top=top)
        return list(found.ranked[:top]) or [perf.best]
    except Exception:  # the figure is an illustration: keep the winner if the re-run cannot be made
        return [perf.best]


def figures(result: PlanResult, roadmap: RoadmapResult | None) -> list[tuple[str, go.Figure]]:
    """The report's figures, each with a title (units on every axis and hover)."""
    figs: list[tuple[str, go.Figure]] = []
    layouts = _top_layouts(result)
    if layouts:
        names = [f"#{i + 1} TP{p.layout['tp']} PP{p.layout['pp']} DP{p.layout['dp']} CP{p.layout['cp']} "
                 f"mb{p.layout['mb']}" for i, p in enumerate(layouts)]
        bars = []
        for key, label in STEP_NAMES.items():
            ys = [p.breakdown_s.get(key, 0.0) for p in layouts]
            if max(ys) > 0:
                bars.append(go.Bar(x=names, y=ys, name=label,
                                   hovertemplate=f"{label}: %{{y:.3f}} s<extra>%{{x}}</extra>"))
        fig = go.Figure(bars)
        fig.update_layout(barmode="stack")
        figs.append((f"Where a training step goes: the fastest layouts on {result.performance.n_gpus_used:,} GPUs",
                     _layout(fig, "layout (fastest first)", "seconds per step [s]")))
    fa = result.facility
    stages = ["accelerators", "IT (servers, network)", "facility (cooling, losses)", "draw in training"]
    values = [fa.accelerator_power_mw, fa.it_power_mw, fa.facility_power_mw, fa.training_facility_power_mw]
    if fa.reported_capacity_mw:
        stages.append("reported capacity")
        values.append(fa.reported_capacity_mw)
    figs.append(("Power chain: from accelerators to the grid connection", _layout(go.Figure(go.Bar(
        x=stages, y=values, text=[f"{v:,.0f} MW" for v in values], textposition="outside",
        hovertemplate="%{x}: %{y:,.0f} MW<extra></extra>")), "stage", "power [MW]")))
    if result.supply is not None:
        r = result.supply.result
        week = r.dispatch_mw.iloc[: 24 * 7]
        hours = list(range(len(week)))
        traces: list[Any] = [go.Scatter(x=hours, y=week[c].clip(lower=0), name=readable(c), stackgroup="one",
                                        hovertemplate=f"{readable(c)}: %{{y:,.0f}} MW<extra>hour %{{x}}</extra>")
                             for c in week.columns if week[c].abs().max() > 1e-3]
        traces.append(go.Scatter(x=hours, y=week.sum(axis=1), name="campus load", mode="lines",
                                 line={"color": "black", "width": 2},
                                 hovertemplate="load: %{y:,.0f} MW<extra>hour %{x}</extra>"))
        figs.append((f"A week of hourly supply: {readable(result.supply.mix)} ({r.cost_usd_per_mwh:,.1f} $/MWh, "
                     f"{r.co2_g_per_kwh:,.0f} g CO2/kWh)",
                     _layout(go.Figure(traces), "hour of the first representative days [h]", "power [MW]")))
    if result.economics is not None:
        b = result.economics.breakdown["annual_usd"] / 1e9
        labels = [("energy" if str(k).startswith("energy") else str(k)) for k in b.index]
        figs.append(("Yearly cost of the campus", _layout(go.Figure(go.Waterfall(
            x=[*labels, "total"], y=[*b.to_numpy(), 0], measure=["relative"] * len(b) + ["total"],
            hovertemplate="%{x}: %{y:,.2f} G$/yr<extra></extra>")), "component", "cost [G$ per year]")))
    if roadmap is not None:
        q = roadmap.quarters
        fig = go.Figure([
            go.Scatter(x=q.index, y=q["mw_online_p10"] / 1e3, name="P10", line={"width": 1, "color": "#9ab"},
                       hovertemplate="P10: %{y:,.2f} GW<extra>%{x}</extra>"),
            go.Scatter(x=q.index, y=q["mw_online_p90"] / 1e3, name="P90 (band P10-P90)", fill="tonexty",
                       line={"width": 1, "color": "#9ab"}, hovertemplate="P90: %{y:,.2f} GW<extra>%{x}</extra>"),
            go.Scatter(x=q.index, y=q["mw_online_p50"] / 1e3, name="P50", line={"width": 3, "color": "#136"},
                       hovertemplate="P50: %{y:,.2f} GW<extra>%{x}</extra>")])
        figs.append((f"Programme build-out ({roadmap.trajectories:,} trajectories, seed {roadmap.seed})",
                     _layout(fig, "year", "facility power online [GW]")))
    return figs


def _sites_html() -> str:
    """The programme's campuses as a table (no map: it would need tiles from the network)."""
    try:
        from stargate.roadmap import load_programme

        prog = load_programme()
    except Exception:
        return ""
    rows = []
    for c in prog.campuses(include_optional=True):
        mw = sum(p.mw for p in c.phases)
        rows.append(f"<tr><td>{html.escape(c.name)}</td><td>{html.escape(c.accelerator)}</td>"
                    f"<td class='num'>{mw:,.0f} MW</td><td>{html.escape(c.power)}</td>"
                    f"<td>{html.escape(c.status)}{' (optional)' if c.optional else ''}</td></tr>")
    return ("<h2>Sites of the programme</h2><table><thead><tr><th>campus</th><th>accelerator</th>"
            "<th>planned facility power</th><th>power</th><th>status</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _version() -> str:
    try:
        return metadata.version("stargate-planner")
    except metadata.PackageNotFoundError:
        return "unknown"


def figures_page(title: str, figs: list[go.Figure]) -> str:
    """A self-contained HTML page of ``figs`` (plotly.js embedded once), each under its own title."""
    return _page(title, [], [(fig.layout.title.text or "", fig) for fig in figs])


def render_html(result: PlanResult, roadmap: RoadmapResult | None = None, bands: Any = None,
                sensitivity: Any = None) -> str:
    """A self-contained HTML page (plotly.js embedded once, so it opens offline).

    ``bands`` (stargate.whatif.uncertainty.Bands) adds the P10-P90 table; ``sensitivity`` (a tornado
    frame of stargate.whatif.sensitivity) adds a tornado figure per headline figure it ranks.
    """
    sc = result.scenario
    body = [f"<p>{html.escape(sc.description)}</p>"]
    tables, sources = summary_tables(result, bands)
    body += [_table_html(t) for t in tables]
    if sources:
        body.append("<h2>Sources of the summary</h2><ol>")
        body += [f"<li>{_linkify(s)}</li>" for s in sources]
        body.append("</ol>")
    if bands is not None:
        from stargate.cli.whatif import span_text

        body.append("<h2>Uncertain inputs of the bands</h2><ul>")
        body += [f"<li><b>{html.escape(u.label)}</b> ({html.escape(u.path)}): "
                 f"{html.escape(span_text(*u.span, u.unit))}; "
                 + "; ".join(_linkify(src) for src in u.sources) + "</li>" for u in bands.inputs]
        body.append("</ul>")
    extra = []
    if sensitivity is not None:
        from stargate.whatif.sensitivity import tornado_figure

        extra = [(f"What moves the {sensitivity.attrs['labels'][o]}", tornado_figure(sensitivity, o))
                 for o in sensitivity.attrs["units"]]
    tail = [_sites_html(), "<h2>Sources of the scenario's inputs</h2><ul>"]
    tail += [f"<li><b>{html.escape(k)}</b>: {_linkify(v)}</li>" for k, v in sc.sources.items()]
    tail.append("</ul><h2>Scenario used (TOML)</h2>")
    tail.append(f"<pre>{html.escape(scenario_to_toml(sc))}</pre>")
    return _page(f"Stargate Planner — {sc.name}", body, figures(result, roadmap) + extra, tail)


def _page(title: str, body: list[str], figs: list[tuple[str, go.Figure]], tail: list[str] | None = None) -> str:
    """A self-contained page: ``body`` HTML, each titled figure (plotly.js embedded once), ``tail`` HTML."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p class='meta'>stargate-planner {html.escape(_version())}, generated {stamp}</p>", *body]
    for i, (fig_title, fig) in enumerate(figs):
        parts.append(f"<h2>{html.escape(fig_title)}</h2><div class='figure'>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), config=PLOTLY_CONFIG,
                                 default_height=f"{FIGURE_HEIGHT_PX}px", default_width="100%"))
        parts.append("</div>")
    parts += [*(tail or []), "</body></html>"]
    return "\n".join(parts)


def _frame_html(frame: Any, columns: dict[str, str], numeric: set[str]) -> str:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in columns.values()), "</tr></thead><tbody>"]
    for row in frame.to_dict(orient="records"):
        cells = []
        for key in columns:
            value = row[key]
            text = f"{value:,.4g}" if isinstance(value, float) else str(value)
            cells.append(f"<td{' class=num' if key in numeric else ''}>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def compare_html(frame: Any) -> str:
    """Report of ``stargate compare``: the side-by-side table and the change of each headline figure."""
    name_a, name_b = frame.attrs.get("names", ("A", "B"))
    table = frame.reset_index()
    same = (table["a"] - table["b"]).abs() <= 1e-9 * table[["a", "b"]].abs().max(axis=1)
    table.loc[same, ["difference", "change_pct"]] = 0.0  # rounding noise of equal figures
    body = [f"<p>A = {html.escape(name_a)}, B = {html.escape(name_b)}; change = 100 (B - A) / |A|.</p>",
            _frame_html(table, {"label": "figure", "unit": "unit", "a": "A", "b": "B", "difference": "B - A",
                                "change_pct": "change [%]"}, {"a", "b", "difference", "change_pct"})]
    moved = table[table["change_pct"].abs() > 1e-9].dropna(subset=["change_pct"])
    fig = go.Figure(go.Bar(x=moved["change_pct"], y=moved["label"], orientation="h", marker_color="#4c78a8",
                           hovertemplate="%{y}: %{x:+.1f} %<extra></extra>"))
    _layout(fig, "change from A to B [%]", "").update_layout(margin={"l": 220})
    return _page(f"Stargate Planner — compare {name_a} and {name_b}", body, [("What changes from A to B", fig)])


SWEEP_OUTPUTS = ("training_days_with_failures", "usd_per_gpu_hour", "energy_usd_per_mwh", "co2_mt_per_yr")


def sweep_html(table: Any, fields: list[str]) -> str:
    """Report of ``stargate sweep``: the spread of each headline figure, and each output against each swept
    (numeric) field, one point per scenario."""
    from stargate.whatif.headline import HEADLINES

    stats = [{"label": label, "unit": unit, "min": table[k].min(), "p10": table[k].quantile(0.1),
              "p50": table[k].median(), "p90": table[k].quantile(0.9), "max": table[k].max()}
             for k, (label, unit) in HEADLINES.items() if k in table and table[k].notna().any()]
    import pandas as pd

    body = [f"<p>{len(table):,} scenarios over {html.escape(', '.join(fields))}.</p>",
            _frame_html(pd.DataFrame(stats), {"label": "figure", "unit": "unit", "min": "min", "p10": "P10",
                                              "p50": "P50", "p90": "P90", "max": "max"},
                        {"min", "p10", "p50", "p90", "max"})]
    figs = []
    for field in [f for f in fields if pd.api.types.is_numeric_dtype(table[f])][:3]:
        for output in [o for o in SWEEP_OUTPUTS if table[o].nunique() > 1]:  # the figures the sweep moves
            label, unit = HEADLINES[output]
            fig = go.Figure(go.Scatter(x=table[field], y=table[output], mode="markers", marker_color="#4c78a8",
                                       hovertemplate=f"{field} = %{{x:.4g}}<br>{label}: %{{y:,.4g}} {unit}"
                                       "<extra></extra>"))
            figs.append((f"{label} against {field}", _layout(fig, field, f"{label} [{unit}]")))
    return _page("Stargate Planner — sweep", body, figs)
