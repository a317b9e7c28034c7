"""Two plans side by side: every headline figure, the difference and the change in per cent."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from stargate.scenario import Scenario, default_scenario, load_scenario
from stargate.whatif.headline import HEADLINES, evaluate
from stargate.whatif.overrides import apply_overrides, parse_assignments, split_overrides

ScenarioLike = Scenario | str | Path | None


def resolve_case(source: ScenarioLike, overrides: Iterable[str] | Mapping[str, Any] = ()) -> tuple[Scenario, dict]:
    """(scenario, catalog/error fields) of a scenario, a file path or None (the default), with ``overrides``."""
    scenario = source if isinstance(source, Scenario) else load_scenario(source) if source else default_scenario()
    fields, extras = split_overrides(parse_assignments(overrides))
    return apply_overrides(scenario, fields), extras


def compare(a: ScenarioLike, b: ScenarioLike, overrides: Iterable[str] | Mapping[str, Any] = ()) -> pd.DataFrame:
    """Headline figures of ``a`` and ``b`` (``overrides`` applied to both), one row per figure.

    Columns: label, unit, a, b, difference (b - a), change_pct (100 (b - a) / |a|, NaN where a is 0).
    """
    (sa, ea), (sb, eb) = resolve_case(a, overrides), resolve_case(b, overrides)
    ra, rb = evaluate(sa, ea), evaluate(sb, eb)
    rows = []
    for key, (label, unit) in HEADLINES.items():
        x, y = ra[key], rb[key]
        rows.append({"figure": key, "label": label, "unit": unit, "a": x, "b": y, "difference": y - x,
                     "change_pct": 100 * (y - x) / abs(x) if x and math.isfinite(x) else math.nan})
    frame = pd.DataFrame(rows).set_index("figure")
    frame.attrs["names"] = (sa.name, sb.name)
    return frame
