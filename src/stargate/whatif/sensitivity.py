"""Sensitivity: which uncertain inputs move each headline figure of a planned run, and by how much.

Two methods over the same inputs and ranges as :mod:`stargate.whatif.uncertainty` (the planned run
held fixed, each evaluation a re-rated run through facility, supply and economics):

- ``tornado``: one at a time, each input at the low and high end of its span (P10-P90 for an
  empirical distribution) with the others at the plan's values; the swing is the change between the
  two ends. 2k evaluations for k inputs.
- ``morris`` (elementary effects, Morris 1991; the mu* of Campolongo et al. 2007) and ``sobol``
  (first and total order, Saltelli 2002), global methods from SALib (Herman & Usher 2017) on the unit
  cube of each input's probability, mapped through its inverse CDF.

References
----------
.. [1] Morris (1991), "Factorial sampling plans for preliminary computational experiments",
   Technometrics 33(2).
.. [2] Campolongo, Cariboni, Saltelli (2007), "An effective screening design for sensitivity
   analysis of large models", Environmental Modelling & Software 22(10).
.. [3] Saltelli (2002), "Making best use of model evaluations to compute sensitivity indices",
   Computer Physics Communications 145(2).
.. [4] Herman, Usher (2017), "SALib: An open-source Python library for sensitivity analysis",
   Journal of Open Source Software 2(9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stargate.errors import InputError
from stargate.scenario import Scenario
from stargate.whatif.uncertainty import UncertainInput, as_scenario, planned_run, run_fixed_run

METHODS = ("tornado", "morris", "sobol")
DEFAULT_OUTPUTS = ("training_days_with_failures", "training_days", "usd_per_gpu_hour", "energy_usd_per_mwh",
                   "training_run_musd", "capex_busd", "co2_mt_per_yr")


def sensitivity(scenario: Scenario | str | Path | None = None, method: str = "tornado", *,
                outputs: Sequence[str] = DEFAULT_OUTPUTS, samples: int = 10, seed: int = 0,
                spec: Mapping[str, Any] | None = None, extras: Mapping[str, Any] | None = None, base: Any = None,
                serial: bool = True, workers: int | None = None, scheduler: str | None = None) -> pd.DataFrame:
    """One row per (output, input): the input's effect on the output, ranked within each output.

    Columns: ``output``, ``input``, ``label``, ``rank`` (1 = largest), ``effect`` (tornado: the swing
    high - low in the output's unit; morris: mu*; sobol: total-order index ST) and the method's details
    (tornado: ``low``, ``high`` input values and ``at_low``, ``at_high``, ``base`` outputs; morris:
    ``mu_star``, ``sigma``; sobol: ``s1``, ``st``). ``samples``: Morris trajectories or Sobol base
    samples (ignored by the tornado). ``extras``: catalog/error fields applied to every run (an input
    among them is held at its value). ``attrs['evaluations']`` counts the runs.
    """
    from stargate.whatif.headline import HEADLINES, headline

    if method not in METHODS:
        raise InputError("--method", method, f"must be one of {', '.join(METHODS)}")
    unknown = [o for o in outputs if o not in HEADLINES]
    if unknown:
        raise InputError("--output", unknown[0], f"must be one of {', '.join(HEADLINES)}")
    if samples < 2:
        raise InputError("--samples", samples, "must be >= 2")
    scenario = as_scenario(scenario)
    extras = dict(extras or {})
    base, inputs = planned_run(scenario, extras, base, spec)
    inputs = [u for u in inputs if u.span[1] > u.span[0]]
    if not inputs:
        raise InputError("uncertainty", "", "no input has a range: nothing to rank")
    run = {"serial": serial, "workers": workers, "scheduler": scheduler, "extras": extras}
    if method == "tornado":
        frame = _tornado(scenario, base, inputs, headline(base), outputs, run)
    else:
        frame = _global(scenario, base, inputs, outputs, method, samples, seed, run)
    frame["rank"] = frame.groupby("output")["effect"].rank(ascending=False, method="first").astype(int)
    frame = frame.sort_values(["output", "rank"], key=lambda c: c.map(list(outputs).index) if c.name == "output"
                              else c).reset_index(drop=True)
    frame.attrs["method"] = method
    frame.attrs["units"] = {o: HEADLINES[o][1] for o in outputs}
    frame.attrs["labels"] = {o: HEADLINES[o][0] for o in outputs}
    return frame


def _tornado(scenario: Scenario, base: Any, inputs: list[UncertainInput], base_row: Mapping[str, float],
             outputs: Sequence[str], run: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for u in inputs:
        rows += [{u.path: u.span[0]}, {u.path: u.span[1]}]
    table = run_fixed_run(scenario, base, rows, **run)
    records = []
    for j, u in enumerate(inputs):
        low, high = table.iloc[2 * j], table.iloc[2 * j + 1]
        for o in outputs:
            swing = float(high[o] - low[o])
            records.append({"output": o, "input": u.path, "label": u.label, "unit": u.unit, "effect": abs(swing),
                            "swing": swing,
                            "low": u.span[0], "high": u.span[1], "at_low": float(low[o]), "at_high": float(high[o]),
                            "base": float(base_row[o])})
    frame = pd.DataFrame(records)
    frame.attrs["evaluations"] = len(rows)
    return frame


def _global(scenario: Scenario, base: Any, inputs: list[UncertainInput], outputs: Sequence[str], method: str,
            samples: int, seed: int, run: dict[str, Any]) -> pd.DataFrame:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(inputs), "names": [u.path for u in inputs], "bounds": [[0.0, 1.0]] * len(inputs)}
    if method == "morris":
        unit = morris_sample.sample(problem, samples, num_levels=4, seed=seed)
    else:
        unit = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    rows = [{u.path: float(u.value_at(np.array(p[j]))) for j, u in enumerate(inputs)} for p in unit]
    table = run_fixed_run(scenario, base, rows, **run)
    records = []
    for o in outputs:
        y = table[o].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            raise InputError("--output", o, "is not defined for this scenario (a stage is absent)")
        if method == "morris":
            res = morris_analyze.analyze(problem, unit, y, num_levels=4, seed=seed)
            for j, u in enumerate(inputs):
                records.append({"output": o, "input": u.path, "label": u.label, "effect": float(res["mu_star"][j]),
                                "mu_star": float(res["mu_star"][j]), "sigma": float(res["sigma"][j])})
        else:
            res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            for j, u in enumerate(inputs):
                records.append({"output": o, "input": u.path, "label": u.label, "effect": float(res["ST"][j]),
                                "s1": float(res["S1"][j]), "st": float(res["ST"][j])})
    frame = pd.DataFrame(records)
    frame.attrs["evaluations"] = len(rows)
    return frame


def top_drivers(frame: pd.DataFrame, output: str, n: int = 3) -> pd.DataFrame:
    """The ``n`` inputs that move ``output`` most, largest first."""
    return frame[frame["output"] == output].nsmallest(n, "rank")


def tornado_figure(frame: pd.DataFrame, output: str) -> Any:
    """A plotly tornado of ``output``: one bar per input from its value at the input's low to its high end."""
    import plotly.graph_objects as go

    rows = frame[frame["output"] == output].sort_values("rank", ascending=False)
    unit, label = frame.attrs["units"][output], frame.attrs["labels"][output]
    base = float(rows["base"].iloc[0])
    fig = go.Figure()
    for end, colour, name in (("at_low", "#4c78a8", "input at its low end"),
                              ("at_high", "#f58518", "input at its high end")):
        fig.add_bar(y=rows["label"], x=rows[end] - base, base=base, orientation="h", name=name,
                    marker_color=colour, customdata=np.stack([rows[end], rows[end.replace("at_", "")]], axis=1),
                    hovertemplate=f"%{{y}} = %{{customdata[1]:.4g}}<br>{label}: %{{customdata[0]:,.4g}} {unit}"
                    "<extra></extra>")
    fig.add_vline(x=base, line_color="#333", annotation_text=f"plan {base:,.4g} {unit}")
    fig.update_layout(title=f"What moves the {label}", barmode="overlay", height=min(420, 100 + 36 * len(rows)),
                      xaxis_title=f"{label} [{unit}]", template="plotly_white",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
                      margin={"l": 220, "r": 30, "t": 60, "b": 60})
    return fig
