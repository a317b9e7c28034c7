"""HTML report of a plan: plotly figures over the pipeline's results (a thin layer, no computation)."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from stargate.pipeline import PlanResult
from stargate.roadmap import RoadmapResult

PLOTLY_CONFIG = {"displaylogo": False}


def _figures(result: PlanResult, roadmap: RoadmapResult | None) -> list[tuple[str, go.Figure]]:
    figs = []
    perf = result.performance
    if perf.best is not None:
        parts = {k.removesuffix("_s").replace("_", " "): v for k, v in perf.best.breakdown_s.items() if v > 0}
        figs.append(("Where a training step goes (best layout)",
                     go.Figure(go.Bar(x=list(parts), y=list(parts.values())),
                               layout={"yaxis_title": "seconds per step"})))
    fa = result.facility
    figs.append(("From accelerators to the grid connection", go.Figure(go.Bar(
        x=["accelerators", "IT (servers, network)", "facility (cooling, losses)", "reported capacity"],
        y=[fa.accelerator_power_mw, fa.it_power_mw, fa.facility_power_mw, fa.reported_capacity_mw or 0]),
        layout={"yaxis_title": "MW"})))
    if result.supply is not None:
        r = result.supply.result
        week = r.dispatch_mw.iloc[: 24 * 7]
        fig = go.Figure([go.Scatter(x=list(range(len(week))), y=week[c].clip(lower=0), name=c, stackgroup="one")
                         for c in week.columns if week[c].abs().max() > 1e-3])
        fig.update_layout(xaxis_title="hour (first representative days)", yaxis_title="MW")
        figs.append((f"Hourly supply: {result.supply.mix} ({r.cost_usd_per_mwh:,.1f} $/MWh, "
                     f"{r.co2_g_per_kwh:,.0f} g CO2/kWh)", fig))
    if result.economics is not None:
        b = result.economics.breakdown["annual_usd"] / 1e9
        figs.append(("Yearly cost of the campus", go.Figure(go.Waterfall(
            x=[*b.index, "total"], y=[*b.to_numpy(), 0], measure=["relative"] * len(b) + ["total"]),
            layout={"yaxis_title": "G$ per year"})))
    if roadmap is not None:
        q = roadmap.quarters
        fig = go.Figure([
            go.Scatter(x=q.index, y=q["mw_online_p90"] / 1e3, name="P90", line={"width": 0}),
            go.Scatter(x=q.index, y=q["mw_online_p10"] / 1e3, name="P10-P90", fill="tonexty", line={"width": 0}),
            go.Scatter(x=q.index, y=q["mw_online_p50"] / 1e3, name="P50")])
        fig.update_layout(xaxis_title="year", yaxis_title="GW online")
        figs.append((f"Programme build-out ({roadmap.trajectories:,} trajectories, seed {roadmap.seed})", fig))
    return figs


def render_html(result: PlanResult, roadmap: RoadmapResult | None = None) -> str:
    """A self-contained HTML page (plotly.js embedded, so it opens offline)."""
    parts = [f"<html><head><meta charset='utf-8'><title>Stargate Planner: {html.escape(result.scenario.name)}"
             "</title></head><body style='font-family:sans-serif;max-width:1000px;margin:auto'>",
             f"<h1>Stargate Planner — {html.escape(result.scenario.name)}</h1>",
             f"<p>{html.escape(result.scenario.description)}</p>"]
    tr = result.training
    parts.append(f"<p>Training {html.escape(result.workload.name)}: {tr.training_flop:.3g} FLOP on "
                 f"{tr.n_gpus_used:,} GPUs at {tr.mfu:.1%} MFU: {tr.days:,.1f} days failure-free, "
                 f"{tr.wall_clock_days:,.1f} days with failures (goodput {tr.goodput:.1%}).</p>")
    for i, (title, fig) in enumerate(_figures(result, roadmap)):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), config=PLOTLY_CONFIG))
    parts.append("<h2>Sources of the inputs</h2><ul>")
    parts += [f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in result.scenario.sources.items()]
    parts.append("</ul></body></html>")
    return "\n".join(parts)
