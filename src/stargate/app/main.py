"""A Dash app over the Python API: controls -> scenario -> plan -> the report's tables and figures.

Bad values become :class:`~stargate.errors.InputError` messages shown in the page; the server keeps serving.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import threading
import time
import uuid
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from stargate import catalog
from stargate.errors import InputError
from stargate.output import to_json
from stargate.pipeline import plan
from stargate.report import FIGURE_HEIGHT_PX, MIX_NAMES, PLOTLY_CONFIG, _table_html, figures, summary_tables
from stargate.scenario import default_scenario, scenario_from_dict, scenario_to_toml
from stargate.supply import mixes

GAP = {"marginLeft": "1em"}
# the report's tables (summary, claims) as the report shows them: padded cells, numbers right-aligned
PAGE_CSS = """
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
"""
STATUS = {"color": "#666", "fontSize": "0.85em", "margin": "0.3em 0"}
WORKLOAD_KINDS = {"days": "frontier run of N days", "flop": "frontier run of N FLOP", "model": "catalog model"}


def _number(field: str, value: Any) -> float:
    if value is None or value == "":
        raise InputError(field, value, "must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "must be a number") from None


def scenario_from_controls(kind: str, amount: Any, model: str | None, accelerator: str, count: Any, lat: Any,
                           lon: Any, mix: str, co2_price: Any):
    """The default scenario with the app's controls applied, validated like a scenario file."""
    data = default_scenario().model_dump(mode="json", exclude_none=True)
    kept = {k: v for k, v in data["workload"].items() if k in ("scaling_law", "batch_law", "precision", "seq_len")}
    if kind == "model":
        if not model:
            raise InputError("workload.model", model, "choose a catalog model")
        data["workload"] = {"model": model, "precision": kept.get("precision", "bf16")}
    elif kind == "flop":
        data["workload"] = kept | {"training_flop": _number("workload.training_flop", amount)}
    else:
        data["workload"] = kept | {"run_days": _number("workload.run_days", amount)}
    count_value = _number("cluster.count", count)
    if count_value != int(count_value):
        raise InputError("cluster.count", count, "must be a whole number")
    data["cluster"] = {"accelerator": accelerator, "count": int(count_value), "unit": "gpu"}
    data["site"] |= {"lat_deg": _number("site.lat_deg", lat), "lon_deg": _number("site.lon_deg", lon)}
    data["supply"] = {"mix": mix}
    if co2_price not in (None, ""):
        data["supply"]["co2_price_usd_per_t"] = _number("supply.co2_price_usd_per_t", co2_price)
    changed = ("workload", "cluster", "site.lat", "site.lon", "supply", "performance")
    data["sources"] = {k: v for k, v in data.get("sources", {}).items() if not k.startswith(changed)}
    return scenario_from_dict(data)


RESULTS_KEPT = 8  # plans kept in the server for the report download (per process, most recent)
_results: OrderedDict[str, Any] = OrderedDict()
_results_lock = threading.Lock()


def _keep(result: Any) -> str:
    """Keep ``result`` for a later download; the page holds only its id."""
    key = uuid.uuid4().hex
    with _results_lock:
        _results[key] = result
        while len(_results) > RESULTS_KEPT:
            _results.popitem(last=False)
    return key


def _kept(key: str | None) -> Any:
    with _results_lock:
        return _results.get(key) if key else None


def headline_csv(result: Any) -> str:
    """The plan's headline figures as CSV: figure, label, unit, value."""
    from stargate.whatif.headline import HEADLINES, headline

    out = io.StringIO()
    out.write("figure,label,unit,value\n")
    for key, value in headline(result).items():
        label, unit = HEADLINES.get(key, (key, ""))
        out.write(f"{key},\"{label}\",{unit},{'' if math.isnan(value) else repr(value)}\n")
    return out.getvalue()


def report_html(result: Any) -> str:
    """The HTML report of a plan, as ``stargate plan --report`` writes it."""
    from stargate.report import render_html
    from stargate.roadmap import load_programme, simulate

    return render_html(result, simulate(load_programme(), 10_000, seed=0))


def _error_text(err: Exception) -> str:
    """One line for the page: the InputError as the CLI prints it, anything else named but never a traceback."""
    if isinstance(err, InputError):
        return f"Bad input: {err}"
    first = str(err).splitlines()[0] if str(err) else ""
    return f"The plan failed: {type(err).__name__}: {first}"


def _figure_cell(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "—"
    if unit == "fraction":
        return f"{value:.1%}"
    magnitude = abs(value)
    if magnitude >= 1e7 or 0 < magnitude < 1e-3:
        return f"{value:.3g}"
    return f"{value:,.0f}" if magnitude >= 1000 else f"{value:,.3g}"


def compare_table(frame: Any) -> html.Table:
    """The comparison DataFrame of :func:`stargate.whatif.compare.compare` as an HTML table, changes in bold."""
    name_a, name_b = frame.attrs.get("names", ("A", "B"))
    cell = {"padding": "3px 10px", "borderBottom": "1px solid #ddd", "textAlign": "left", "verticalAlign": "top"}
    num = cell | {"textAlign": "right", "whiteSpace": "nowrap", "fontVariantNumeric": "tabular-nums"}
    head = html.Tr([html.Th("figure", style=cell), html.Th("unit", style=cell),
                    html.Th(f"A: {name_a}", style=num | {"whiteSpace": "normal", "maxWidth": "14em"}),
                    html.Th(f"B: {name_b}", style=num | {"whiteSpace": "normal", "maxWidth": "14em"}),
                    html.Th("B − A", style=num), html.Th("change", style=num)])
    rows = []
    for row in frame.itertuples():
        changed = not (math.isclose(row.a, row.b, rel_tol=1e-9, abs_tol=1e-12)
                       or (math.isnan(row.a) and math.isnan(row.b)))
        unit = "" if row.unit == "fraction" else row.unit
        diff = (f"{row.difference * 100:+.1f} pt" if row.unit == "fraction" else _figure_cell(row.difference, unit)
                ) if changed else ""
        change = f"{row.change_pct:+.1f} %" if changed and math.isfinite(row.change_pct) else ""
        style = {"background": "#fff6d5"} if changed else {}
        rows.append(html.Tr([html.Td(row.label, style=cell), html.Td(unit, style=cell),
                             html.Td(_figure_cell(row.a, row.unit), style=num),
                             html.Td(_figure_cell(row.b, row.unit), style=num), html.Td(diff, style=num),
                             html.Td(change, style=num)], style=style))
    return html.Table([html.Thead(head), html.Tbody(rows)], id="compare-table",
                      style={"borderCollapse": "collapse", "margin": "0.5em 0 1em", "fontSize": "0.95em"})


@lru_cache(maxsize=1)
def _claims_table() -> str:
    from stargate.claims import check_claims, load_claims

    rows = "".join(f"<tr><td>{r.id}</td><td>{dash_escape(r.claim)}</td><td><b>{r.verdict.replace('_', ' ')}</b></td>"
                   f"<td>{dash_escape('; '.join(r.assumptions))}</td></tr>" for r in check_claims(load_claims()))
    return ("<table><thead><tr><th>id</th><th>claim</th><th>verdict</th><th>what decides it</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def dash_escape(text: str) -> str:
    import html as _html

    return _html.escape(text)


def _controls() -> html.Div:
    sc = default_scenario()
    accs = sorted(catalog.accelerators())
    field = {"display": "inline-block", "margin": "0 1em 0.5em 0", "verticalAlign": "top"}

    def labelled(label: str, control: Any) -> html.Div:
        return html.Div([html.Label(label, style={"display": "block", "fontSize": "0.85em"}), control], style=field)

    return html.Div([
        labelled("workload", dcc.Dropdown(id="workload-kind", options=WORKLOAD_KINDS, value="days",
                                          clearable=False, style={"width": "250px"})),
        labelled("days or FLOP", dcc.Input(id="workload-amount", type="text", value="100", style={"width": "90px"})),
        labelled("catalog model", dcc.Dropdown(id="model", options=sorted(catalog.models()), value=None,
                                               style={"width": "200px"})),
        labelled("accelerator", dcc.Dropdown(id="accelerator", options=accs, value=sc.cluster.accelerator,
                                             clearable=False, style={"width": "200px"})),
        labelled("GPUs", dcc.Input(id="count", type="number", value=sc.cluster.count, style={"width": "170px"})),
        labelled("site latitude [°]", dcc.Input(id="lat", type="number", value=sc.site.lat_deg,
                                                style={"width": "150px"})),
        labelled("longitude [°]", dcc.Input(id="lon", type="number", value=sc.site.lon_deg, style={"width": "150px"})),
        labelled("supply mix", dcc.Dropdown(id="mix", options={k: MIX_NAMES.get(k, k) for k in mixes()},
                                            value=sc.supply.mix, clearable=False, style={"width": "220px"})),
        labelled("carbon price [$/t CO2]", dcc.Input(id="co2", type="number", placeholder="mix default",
                                                    style={"width": "170px"})),
        html.Div([html.Button("Run the plan", id="run", n_clicks=0, style={"fontSize": "1.05em"})], style=field),
    ])


def _compare_controls() -> html.Div:
    field = {"display": "inline-block", "margin": "0 1em 0.5em 0", "verticalAlign": "top"}

    def labelled(label: str, control: Any) -> html.Div:
        return html.Div([html.Label(label, style={"display": "block", "fontSize": "0.85em"}), control], style=field)

    return html.Div([
        html.P("A is the scenario set above; B is A with the changes below (empty: as A). Both are planned with "
               "the same workload settings (a frontier run is sized again for B's cluster)."),
        labelled("B: accelerator", dcc.Dropdown(id="b-accelerator", options=sorted(catalog.accelerators()),
                                                value=None, placeholder="as A", style={"width": "200px"})),
        labelled("B: GPUs", dcc.Input(id="b-count", type="number", placeholder="as A", style={"width": "170px"})),
        labelled("B: supply mix", dcc.Dropdown(id="b-mix", options={k: MIX_NAMES.get(k, k) for k in mixes()},
                                               value=None, placeholder="as A", style={"width": "220px"})),
        labelled("B: carbon price [$/t CO2]", dcc.Input(id="b-co2", type="number", placeholder="as A",
                                                       style={"width": "170px"})),
        html.Div([html.Button("Compare A and B", id="compare-run", n_clicks=0, style={"fontSize": "1.05em"})],
                 style=field),
    ], id="compare-controls")


def create_app() -> dash.Dash:
    """The Dash app (not started): ``create_app().run(host, port)``."""
    app = dash.Dash(__name__, title="Stargate Planner", suppress_callback_exceptions=True)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + PAGE_CSS + "</style>")
    app.layout = html.Div(style={"fontFamily": "system-ui, sans-serif", "maxWidth": "1150px", "margin": "auto"},
                          children=[
        html.H1("Stargate Planner — what if?"),
        _controls(),
        dcc.Tabs(id="tabs", value="plan", children=[
            dcc.Tab(label="Plan", value="plan", children=[
                dcc.Loading(id="loading", type="default", children=[
                    html.Div(id="error", role="alert", style={"color": "#b00", "fontWeight": "bold",
                                                              "margin": "0.5em 0"}),
                    html.Div(id="headline"),
                    html.Div(id="run-status", style=STATUS),
                    html.Div([html.Button("Download scenario (TOML)", id="dl-toml-btn"),
                              html.Button("Download results (JSON)", id="dl-json-btn", style=GAP),
                              html.Button("Download results (CSV)", id="dl-csv-btn", style=GAP),
                              html.Button("Download report (HTML)", id="dl-report-btn", style=GAP)]),
                    html.Div(id="output"),
                ]),
            ]),
            dcc.Tab(label="Compare", value="compare", children=[
                _compare_controls(),
                dcc.Loading(id="compare-loading", type="default", children=[
                    html.Div(id="compare-error", role="alert", style={"color": "#b00", "fontWeight": "bold",
                                                                      "margin": "0.5em 0"}),
                    html.Div(id="compare-output"),
                    html.Div(id="compare-status", style=STATUS),
                    html.Button("Download comparison (CSV)", id="dl-compare-btn"),
                ]),
            ]),
            dcc.Tab(label="Claims", value="claims", children=[dcc.Loading(html.Div(id="claims"))]),
        ]),
        dcc.Store(id="store"), dcc.Store(id="compare-store"), dcc.Download(id="dl-toml"), dcc.Download(id="dl-json"),
        dcc.Download(id="dl-csv"), dcc.Download(id="dl-report"), dcc.Download(id="dl-compare"),
    ])

    @app.callback(Output("error", "children"), Output("headline", "children"), Output("output", "children"),
                  Output("store", "data"), Output("run-status", "children"),
                  Input("run", "n_clicks"),
                  State("workload-kind", "value"), State("workload-amount", "value"), State("model", "value"),
                  State("accelerator", "value"), State("count", "value"), State("lat", "value"),
                  State("lon", "value"), State("mix", "value"), State("co2", "value"))
    def run(n_clicks, kind, amount, model, accelerator, count, lat, lon, mix, co2):
        if not n_clicks:
            return ("", html.P("Choose the inputs and press “Run the plan” (a plan takes a few seconds)."), [], None,
                    "")
        started = time.perf_counter()
        try:
            scenario = scenario_from_controls(kind, amount, model, accelerator, count, lat, lon, mix, co2)
            result = plan(scenario)
        except Exception as err:  # InputError, or anything else: never a traceback in the page
            # the last result is taken down: its numbers are not those of the inputs shown
            return _error_text(err), html.P("No result for these inputs."), [], None, f"run {n_clicks}: not run"
        tr = result.training
        headline = html.P([f"{result.workload.name} on {result.cluster.n_gpus:,} × {result.cluster.accelerator.name}: ",
                           html.B(f"{tr.days:,.2f} days", id="training-time"),
                           f" failure-free, {tr.wall_clock_days:,.2f} days with failures."])
        tables, sources = summary_tables(result)
        body: list[Any] = [dcc.Markdown("\n".join(_table_html(t) for t in tables), dangerously_allow_html=True)]
        for title, fig in figures(result, None):
            body += [html.H3(title), dcc.Graph(figure=fig, config=PLOTLY_CONFIG,
                                              style={"height": f"{FIGURE_HEIGHT_PX}px"})]
        body += [html.H3("Sources"), html.Ol([html.Li(s) for s in sources])]
        store = {"toml": scenario_to_toml(scenario), "json": to_json(result.to_dict()), "result": _keep(result),
                 "name": scenario.name}
        return "", headline, body, store, f"run {n_clicks}: done in {time.perf_counter() - started:,.1f} s"

    @app.callback(Output("compare-error", "children"), Output("compare-output", "children"),
                  Output("compare-store", "data"), Output("compare-status", "children"),
                  Input("compare-run", "n_clicks"),
                  State("workload-kind", "value"), State("workload-amount", "value"), State("model", "value"),
                  State("accelerator", "value"), State("count", "value"), State("lat", "value"),
                  State("lon", "value"), State("mix", "value"), State("co2", "value"),
                  State("b-accelerator", "value"), State("b-count", "value"), State("b-mix", "value"),
                  State("b-co2", "value"))
    def run_compare(n_clicks, kind, amount, model, accelerator, count, lat, lon, mix, co2, b_acc, b_count, b_mix,
                    b_co2):
        if not n_clicks:
            return "", html.P("Set B's changes and press “Compare A and B” (two plans: a few seconds each)."), None, ""
        started = time.perf_counter()
        try:
            from stargate.whatif.compare import compare

            a = scenario_from_controls(kind, amount, model, accelerator, count, lat, lon, mix, co2)
            b = scenario_from_controls(kind, amount, model, b_acc or accelerator,
                                       count if b_count in (None, "") else b_count, lat, lon, b_mix or mix,
                                       co2 if b_co2 in (None, "") else b_co2)
            a = a.model_copy(update={"name": f"{a.cluster.count:,} x {a.cluster.accelerator}, {a.supply.mix}"})
            b = b.model_copy(update={"name": f"{b.cluster.count:,} x {b.cluster.accelerator}, {b.supply.mix}"})
            frame = compare(a, b)
        except Exception as err:  # InputError, or anything else: never a traceback in the page
            return _error_text(err), [], None, f"comparison {n_clicks}: not run"
        return ("", compare_table(frame), {"csv": frame.to_csv()},
                f"comparison {n_clicks}: done in {time.perf_counter() - started:,.1f} s")

    @app.callback(Output("claims", "children"), Input("tabs", "value"))
    def claims(tab):
        if tab != "claims":
            return dash.no_update
        try:
            return dcc.Markdown(_claims_table(), dangerously_allow_html=True)
        except Exception as err:
            return html.P(f"The claims could not be checked: {err}")

    @app.callback(Output("dl-toml", "data"), Input("dl-toml-btn", "n_clicks"), State("store", "data"),
                  prevent_initial_call=True)
    def download_toml(_, store):
        return dash.no_update if not store else {"content": store["toml"], "filename": "scenario.toml"}

    @app.callback(Output("dl-json", "data"), Input("dl-json-btn", "n_clicks"), State("store", "data"),
                  prevent_initial_call=True)
    def download_json(_, store):
        return dash.no_update if not store else {"content": store["json"], "filename": "results.json"}

    @app.callback(Output("dl-csv", "data"), Input("dl-csv-btn", "n_clicks"), State("store", "data"),
                  prevent_initial_call=True)
    def download_csv(_, store):
        result = _kept((store or {}).get("result"))
        return dash.no_update if result is None else {"content": headline_csv(result), "filename": "results.csv"}

    @app.callback(Output("dl-report", "data"), Input("dl-report-btn", "n_clicks"), State("store", "data"),
                  prevent_initial_call=True)
    def download_report(_, store):
        result = _kept((store or {}).get("result"))
        return dash.no_update if result is None else {"content": report_html(result), "filename": "report.html"}

    @app.callback(Output("dl-compare", "data"), Input("dl-compare-btn", "n_clicks"), State("compare-store", "data"),
                  prevent_initial_call=True)
    def download_compare(_, store):
        return dash.no_update if not store else {"content": store["csv"], "filename": "comparison.csv"}

    return app


__all__ = ["compare_table", "create_app", "dataclasses", "headline_csv", "json", "report_html",
           "scenario_from_controls"]
