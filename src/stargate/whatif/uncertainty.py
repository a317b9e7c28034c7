"""Uncertainty through the whole plan: sample the sourced ranges of its inputs, report P10/P50/P90.

The uncertain inputs and their distributions live in ``stargate/catalog/uncertainty.toml`` (or a file
of the same shape): the step model's error on MFU (deciles of its out-of-sample residuals), failure
rate and restart time, GPU price, site capex, cost of capital, accelerator life and gas price.

What is held fixed: the planned run. The base plan chooses the workload, job size and layout once;
each sample re-rates that run (MFU x the error factor, goodput recomputed at the sampled failure rate
and restart time) and re-runs the facility, supply, economics stages with the sampled costs. A band
therefore answers "how long, and at what cost, does *this* run take", not "which run would one choose
under other assumptions". Samples are a Latin hypercube (McKay, Beckman & Conover 1979) mapped through
each input's inverse CDF, so the same seed gives the same samples whatever the number of workers.

References
----------
.. [1] McKay, Beckman, Conover (1979), "A comparison of three methods for selecting values of input
   variables in the analysis of output from a computer code", Technometrics 21(2).
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stargate.errors import InputError
from stargate.scenario import Scenario
from stargate.whatif.overrides import CATALOGS, ERROR_FIELDS, check_catalog_path

ACCELERATOR_PRICE = "accelerator-price"
STEP_MODEL_INTERVAL = "step-model-interval"
Z_P90 = 1.2815515655446004  # standard normal quantile at 0.9
BAND_QUANTILES = (0.1, 0.5, 0.9)
ENTRY_KEYS = {"label", "unit", "low", "high", "base", "range", "quantiles", "sources", "date", "notes"}


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: a dotted field and its distribution (resolved to numbers).

    ``quantiles`` (evenly spaced, P0..P100) when the distribution is empirical, else triangular on
    ``low``-``high`` with mode ``base``. ``base`` is always the value the plan itself uses (for the
    error factor 1: the step model's prediction), the centre of a one-at-a-time swing.
    """

    path: str
    label: str
    low: float
    base: float
    high: float
    quantiles: tuple[float, ...] = ()
    sources: tuple[str, ...] = ()
    unit: str = ""

    def value_at(self, u: np.ndarray) -> np.ndarray:
        """The input's values at probabilities ``u`` in [0, 1] (inverse CDF)."""
        u = np.asarray(u, dtype=float)
        if self.quantiles:
            return np.interp(u, np.linspace(0.0, 1.0, len(self.quantiles)), self.quantiles)
        return triangular_ppf(u, self.low, self.base, self.high)

    @property
    def span(self) -> tuple[float, float]:
        """(low, high) of the input: the range swung one at a time; the P10-P90 of an empirical one."""
        if self.quantiles:
            low, high = self.value_at(np.array([0.1, 0.9]))
            return float(low), float(high)
        return self.low, self.high


def plan_mfu_interval(result: Any) -> tuple[float, float] | None:
    """The step model's 80 % interval of a plan's MFU as factors (stargate.perf.intervals), None if given.

    The plan's layout is the search's fastest, an assumed layout (not a published one); the software
    trends' error at the plan's software date widens it (:func:`stargate.perf.vintage.trend_sd_log`).
    """
    if result.performance.best is None:
        return None
    from stargate.perf.calibration import load_calibration
    from stargate.perf.intervals import mfu_interval
    from stargate.perf.precision import decimal_year
    from stargate.perf.vintage import trend_sd_log

    calibration = load_calibration()
    spec = result.workload.spec
    moe = spec is not None and spec.is_moe
    family = result.cluster.accelerator.family
    software = result.performance.software
    date = decimal_year(software.date) if software is not None else None
    return mfu_interval("moe" if moe else "dense", family in calibration.families, layout_published=False,
                        trend_sd_log=trend_sd_log(calibration, family, moe, date))


def split_lognormal_quantiles(p10: float, p90: float, points: int = 21) -> tuple[float, ...]:
    """Quantiles (P1, P5, ..., P99 at ``points`` even steps, the ends clipped to P1/P99) of a split
    lognormal with median 1 and the given P10 and P90: the prediction interval as a distribution."""
    from scipy.stats import norm

    z = norm.ppf(np.clip(np.linspace(0.0, 1.0, points), 0.01, 0.99))
    return tuple(float(v) for v in np.exp(np.abs(z) / Z_P90 * np.where(z < 0, math.log(p10), math.log(p90))))


def triangular_ppf(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution on [low, high] with ``mode`` (a point when low == high)."""
    if high <= low:
        return np.full_like(np.asarray(u, dtype=float), low)
    split = (mode - low) / (high - low)
    rising = low + np.sqrt(u * (high - low) * (mode - low))
    falling = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
    return np.where(u < split, rising, falling)


def load_uncertainty(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The uncertain inputs (raw entries by dotted field) of ``path``, default the shipped catalog."""
    if path is None:
        data = tomllib.loads(resources.files("stargate.catalog").joinpath("uncertainty.toml").read_text("utf-8"))
        where = "uncertainty.toml"
    else:
        from stargate.inputs import load_mapping

        data, where = load_mapping(path, "uncertainty file", formats=("toml",)), str(path)
    inputs = data.get("inputs")
    if not isinstance(inputs, dict) or not inputs:
        raise InputError(f"{where}: inputs", "", "must be a table of [inputs.\"<dotted field>\"] entries")
    for name, entry in inputs.items():
        if not isinstance(entry, dict) or set(entry) - ENTRY_KEYS:
            raise InputError(f"inputs.{name}", "", f"must be a table with keys among {', '.join(sorted(ENTRY_KEYS))}")
    return inputs


def resolve_inputs(scenario: Scenario, deployment_values: Mapping[str, Any],
                   spec: Mapping[str, Mapping[str, Any]] | None = None,
                   mfu_factors: tuple[float, float] | None = None) -> list[UncertainInput]:
    """The inputs of ``spec`` with their numbers: modes from the plan's own values.

    ``deployment_values``: dotted scenario field -> the value the plan used (given or from the catalog),
    for fields such as ``cluster.price_usd_per_gpu`` that the scenario may leave to the catalog.
    ``mfu_factors``: the step model's 80 % interval for the plan (:func:`plan_mfu_interval`), for an
    entry with ``range = "step-model-interval"`` (left out when None: the MFU is given).
    """
    spec = load_uncertainty() if spec is None else spec
    out = []
    for path, entry in spec.items():
        label, unit = str(entry.get("label", path)), str(entry.get("unit", ""))
        sources = tuple(str(s) for s in entry.get("sources", ()))
        _check_field(path, scenario)
        if entry.get("range") == STEP_MODEL_INTERVAL:
            if mfu_factors is None:
                continue
            q = split_lognormal_quantiles(*mfu_factors)
            out.append(UncertainInput(path, label, q[0], 1.0, q[-1], q, sources, unit))
            continue
        if "quantiles" in entry:
            if not isinstance(entry["quantiles"], list):
                raise InputError(f"{path}.quantiles", entry["quantiles"], "must be a list of numbers (P0..P100)")
            q = tuple(_number(f"{path}.quantiles", v) for v in entry["quantiles"])
            if len(q) < 2 or any(b < a for a, b in itertools.pairwise(q)):
                raise InputError(f"{path}.quantiles", entry["quantiles"], "must be >= 2 non-decreasing numbers")
            for v in (q[0], q[-1]):
                _check_value(path, v)
            plan_value = _plan_value(path, scenario, deployment_values)
            centre = float(np.median(q)) if plan_value is None else float(plan_value)
            out.append(UncertainInput(path, label, q[0], centre, q[-1], q, sources, unit))
            continue
        base = entry.get("base", _plan_value(path, scenario, deployment_values))
        if entry.get("range") == ACCELERATOR_PRICE:
            acc = scenario_accelerator(scenario)
            low, high = acc.price_usd_low, acc.price_usd_high
            if low is None or high is None or base is None:
                continue  # no published range for this accelerator: the input stays certain
        elif "range" in entry:
            raise InputError(f"{path}.range", entry["range"], f"must be {ACCELERATOR_PRICE!r} or "
                             f"{STEP_MODEL_INTERVAL!r}")
        else:
            low, high = entry.get("low"), entry.get("high")
        low, base, high = (_number(f"{path}.{k}", v) for k, v in (("low", low), ("base", base), ("high", high)))
        if not low <= base <= high:
            if "base" in entry:
                raise InputError(path, base, f"base must lie in [low, high] = [{low:g}, {high:g}]")
            low, high = min(low, base), max(high, base)  # the plan's own value widens the range
        for v in (low, high):
            _check_value(path, v)
        out.append(UncertainInput(path, label, low, base, high, (), sources, unit))
    return out


def scenario_accelerator(scenario: Scenario) -> Any:
    from stargate.catalog import accelerators

    return accelerators()[scenario.cluster.accelerator]


def _check_field(path: str, scenario: Scenario) -> None:
    fixed = ("workload.", "performance.", "sources.")
    if path.startswith(fixed) or (path.startswith("cluster.") and path != "cluster.price_usd_per_gpu"):
        raise InputError(path, "", "cannot be uncertain: it changes the planned run itself (sweep it instead)")
    if path.startswith(("catalog.", "error.")):
        return
    from stargate.whatif.overrides import apply_overrides  # validates the dotted path against the schema

    value = _scenario_value(scenario, path)
    if value is not None:
        apply_overrides(scenario, {path: value})


def _plan_value(path: str, scenario: Scenario, deployment_values: Mapping[str, Any]) -> Any:
    if path in ERROR_FIELDS:
        return 1.0
    if path.startswith("catalog."):
        parts = path.split(".")
        node: Any = CATALOGS.get(parts[1], dict)()
        for part in parts[2:]:
            node = node.get(part) if isinstance(node, dict) else None
        return node
    value = _scenario_value(scenario, path)
    return value if value is not None else deployment_values.get(path)


def _scenario_value(scenario: Scenario, path: str) -> Any:
    node: Any = scenario.model_dump(mode="json")
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(field, value, "must be a finite number")
    return float(value)


def _check_value(path: str, value: float) -> None:
    if path.startswith(("catalog.", "error.")):
        check_catalog_path(path, value)
    elif value < 0:
        raise InputError(path, value, "must be >= 0")


def sample_inputs(inputs: Iterable[UncertainInput], n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` Latin-hypercube samples of ``inputs``, one column per dotted field."""
    inputs = list(inputs)
    if n < 1:
        raise InputError("--uncertainty", n, "must be >= 1 sample")
    if not inputs:
        return pd.DataFrame(index=range(n))
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(inputs), seed=seed).random(n)
    return pd.DataFrame({u.path: u.value_at(unit[:, j]) for j, u in enumerate(inputs)})


@dataclass(frozen=True)
class Bands:
    """P10/P50/P90 of every headline figure over the samples, beside the base plan's value."""

    table: pd.DataFrame      # index: headline name; columns label, unit, base, p10, p50, p90
    samples: pd.DataFrame    # one row per sample: the inputs drawn and every headline figure
    inputs: tuple[UncertainInput, ...]

    def band(self, name: str) -> tuple[float, float, float]:
        row = self.table.loc[name]
        return float(row["p10"]), float(row["p50"]), float(row["p90"])


def deployment_values(result: Any) -> dict[str, Any]:
    """Dotted scenario field -> the value the plan used for each accelerator-dependent setting."""
    from stargate.deployment import SCENARIO_FIELDS

    if result.deployment is None:
        return {}
    return {SCENARIO_FIELDS[name]: value for name, value, _basis in result.deployment.rows()}


def as_scenario(source: Scenario | str | Path | None) -> Scenario:
    """A scenario, a scenario file's path, or None (the embedded default) as a :class:`Scenario`."""
    from stargate.scenario import default_scenario, load_scenario

    if isinstance(source, Scenario):
        return source
    return load_scenario(source) if source is not None else default_scenario()


def planned_run(scenario: Scenario, extras: Mapping[str, Any] | None = None, base: Any = None,
                spec: Mapping[str, Any] | None = None) -> tuple[Any, list[UncertainInput]]:
    """The base plan (``extras``: catalog/error fields applied) and the uncertain inputs resolved on it.

    An input also given in ``extras`` is held at that value (a ``--set`` fixes it) and left out.
    """
    from stargate.whatif.headline import evaluate_plan
    from stargate.whatif.overrides import catalog_patched

    extras = dict(extras or {})
    with catalog_patched(extras):
        base = evaluate_plan(scenario) if base is None else base
        inputs = resolve_inputs(scenario, deployment_values(base), spec, plan_mfu_interval(base))
    return base, [u for u in inputs if u.path not in extras]


def uncertainty(scenario: Scenario | str | Path | None = None, samples: int = 64, *, seed: int = 0,
                spec: Mapping[str, Any] | None = None, extras: Mapping[str, Any] | None = None, base: Any = None,
                serial: bool = True, workers: int | None = None, scheduler: str | None = None) -> Bands:
    """Sample the uncertain inputs of ``scenario`` and return the bands of every headline figure.

    ``extras``: catalog/error fields applied to the base plan and every sample. ``base``: the plan, if
    already computed (with ``extras``). ``serial=False`` runs the samples on Dask (``scheduler`` or a
    local cluster of ``workers`` processes), chunk by chunk like a sweep.
    """
    from stargate.whatif.headline import HEADLINES, headline

    scenario = as_scenario(scenario)
    extras = dict(extras or {})
    base, inputs = planned_run(scenario, extras, base, spec)
    drawn = sample_inputs(inputs, samples, seed)
    rows = run_fixed_run(scenario, base, drawn.to_dict(orient="records"), serial=serial, workers=workers,
                         scheduler=scheduler, extras=extras)
    table = pd.concat([drawn, rows], axis=1)
    base_row = headline(base)
    records = []
    for name, (label, unit) in HEADLINES.items():
        values = table[name].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        p10, p50, p90 = (np.quantile(finite, BAND_QUANTILES) if finite.size else (math.nan,) * 3)
        records.append({"name": name, "label": label, "unit": unit, "base": base_row[name],
                        "p10": float(p10), "p50": float(p50), "p90": float(p90)})
    if base.roadmap_p50 is not None:
        records.append(programme_band(base.roadmap_p50["year"]))
    return Bands(pd.DataFrame(records).set_index("name"), table, tuple(inputs))


def programme_band(year: float) -> dict[str, Any]:
    """The programme's capacity online at ``year``: P10/P50/P90 of the roadmap's Monte Carlo (build delays,
    stargate.roadmap), beside the plan's P50, as one more row of the bands. [GW]"""
    from stargate.pipeline import ROADMAP_TRAJECTORIES_IN_PLAN
    from stargate.roadmap import load_programme
    from stargate.whatif.headline import roadmap_once

    roadmap = roadmap_once(load_programme(), ROADMAP_TRAJECTORIES_IN_PLAN, seed=0)  # the plan's own simulation
    row = roadmap.quarters.loc[roadmap.quarters.index[roadmap.quarters.index <= year + 1e-9][-1]]
    p10, p50, p90 = (float(row[f"mw_online_{q}"]) / 1e3 for q in ("p10", "p50", "p90"))
    return {"name": "programme_gw", "label": f"Stargate online {year:.0f} (delays)", "unit": "GW",
            "base": p50, "p10": p10, "p50": p50, "p90": p90}


def run_fixed_run(scenario: Scenario, base: Any, rows: list[dict[str, Any]], *, serial: bool = True,
                  workers: int | None = None, scheduler: str | None = None, chunk_size: int = 16,
                  extras: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Headline figures of the base plan's run under each row of input values (``extras`` under them)."""
    from stargate.whatif.sweep import execute_chunks

    rows = [dict(extras or {}) | row for row in rows]
    from stargate.pipeline import TrainingRun

    payload = (scenario.model_dump_json(), TrainingRun(base.workload, base.cluster, base.performance, base.training))
    todo = [(i, rows[start:start + chunk_size], start) for i, start in enumerate(range(0, len(rows), chunk_size))]
    tables = dict(execute_chunks(fixed_run_chunk, payload, todo, serial, scheduler, workers))
    if not tables:
        return pd.DataFrame(index=range(len(rows)))
    return pd.concat([tables[i] for i in sorted(tables)], ignore_index=True)


def fixed_run_chunk(payload: tuple[str, Any], rows: list[dict[str, Any]], first: int) -> pd.DataFrame:
    """The headline figures of one chunk of samples (a Dask task: a pure function of its arguments)."""
    from stargate.whatif.headline import evaluate_fixed_run
    from stargate.whatif.sweep import plain_row

    scenario_json, run = payload
    scenario = Scenario.model_validate_json(scenario_json)
    return pd.DataFrame([evaluate_fixed_run(scenario, run, plain_row(row)) for row in rows],
                        index=range(first, first + len(rows)))


def band_text(p10: float, p50: float, p90: float, fmt: Callable[[float], str]) -> str:
    """``P50 (P10-P90)`` in ``fmt``."""
    return f"{fmt(p50)} ({fmt(p10)}–{fmt(p90)})"

