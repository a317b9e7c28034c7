"""A Dash app over the Python API: controls -> scenario -> plan -> the report's tables and figures.

Bad values become :class:`~stargate.errors.InputError` messages shown in the page; the server keeps serving.
"""

from __future__ import annotations

import dataclasses
import json
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
                                          clearable=False, style={"width": "220px"})),
        labelled("days or FLOP", dcc.Input(id="workload-amount", type="text", value="100", style={"width": "90px"})),
        labelled("catalog model", dcc.Dropdown(id="model", options=sorted(catalog.models()), value=None,
                                               style={"width": "200px"})),
        labelled("accelerator", dcc.Dropdown(id="accelerator", options=accs, value=sc.cluster.accelerator,
                                             clearable=False, style={"width": "200px"})),
        labelled("GPUs", dcc.Input(id="count", type="number", value=sc.cluster.count, style={"width": "110px"})),
        labelled("site latitude [°]", dcc.Input(id="lat", type="number", value=sc.site.lat_deg,
                                                style={"width": "90px"})),
        labelled("longitude [°]", dcc.Input(id="lon", type="number", value=sc.site.lon_deg, style={"width": "90px"})),
        labelled("supply mix", dcc.Dropdown(id="mix", options={k: MIX_NAMES.get(k, k) for k in mixes()},
                                            value=sc.supply.mix, clearable=False, style={"width": "220px"})),
        labelled("carbon price [$/t CO2]", dcc.Input(id="co2", type="number", placeholder="mix default",
                                                    style={"width": "110px"})),
        html.Div([html.Button("Run the plan", id="run", n_clicks=0, style={"fontSize": "1.05em"})], style=field),
    ])


def create_app() -> dash.Dash:
    """The Dash app (not started): ``create_app().run(host, port)``."""
    app = dash.Dash(__name__, title="Stargate Planner", suppress_callback_exceptions=True)
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
                    html.Div([html.Button("Download scenario (TOML)", id="dl-toml-btn"),
                              html.Button("Download results (JSON)", id="dl-json-btn",
                                          style={"marginLeft": "1em"})]),
                    html.Div(id="output"),
                ]),
            ]),
            dcc.Tab(label="Claims", value="claims", children=[dcc.Loading(html.Div(id="claims"))]),
        ]),
        dcc.Store(id="store"), dcc.Download(id="dl-toml"), dcc.Download(id="dl-json"),
    ])

    @app.callback(Output("error", "children"), Output("headline", "children"), Output("output", "children"),
                  Output("store", "data"),
                  Input("run", "n_clicks"),
                  State("workload-kind", "value"), State("workload-amount", "value"), State("model", "value"),
                  State("accelerator", "value"), State("count", "value"), State("lat", "value"),
                  State("lon", "value"), State("mix", "value"), State("co2", "value"))
    def run(n_clicks, kind, amount, model, accelerator, count, lat, lon, mix, co2):
        if not n_clicks:
            return "", html.P("Choose the inputs and press “Run the plan” (a plan takes a few seconds)."), [], None
        try:
            scenario = scenario_from_controls(kind, amount, model, accelerator, count, lat, lon, mix, co2)
            result = plan(scenario)
        except InputError as err:
            return f"Bad input: {err}", dash.no_update, dash.no_update, dash.no_update
        except Exception as err:  # never a traceback in the page; the server keeps serving
            return (f"The plan failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                    dash.no_update, dash.no_update, dash.no_update)
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
        store = {"toml": scenario_to_toml(scenario), "json": to_json(result.to_dict())}
        return "", headline, body, store

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

    return app


__all__ = ["create_app", "dataclasses", "json", "scenario_from_controls"]
