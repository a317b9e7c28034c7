"""Precision paths by date: which precisions an accelerator family trains in, and from when.

Data in ``catalog/precision_paths.toml`` (each family with its sources): the first public training
runs or framework releases per precision (e.g. Gaudi 2 FP8 from MLPerf Training v3.1, Nov 2023;
Blackwell NVFP4 from late 2025, arXiv:2509.25149; TPU int8 with AQT from Nov 2023), the precision a team
most likely used when a source does not say, and the int8 peaks of TPU chips.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def precision_paths() -> dict[str, Any]:
    """The shipped precision-path catalog (read once)."""
    text = resources.files("stargate.catalog").joinpath("precision_paths.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def decimal_year(yyyy_mm: str) -> float:
    """``"2023-11"`` as a decimal year at mid-month (2023.875)."""
    year, month = yyyy_mm.split("-")
    return int(year) + (int(month) - 0.5) / 12


def today_year() -> float:
    now = dt.date.today()
    return now.year + (now.month - 0.5) / 12


def available(family: str, precision: str, date: float | None = None) -> bool:
    """Whether ``family`` could train in ``precision`` at ``date`` (decimal year; None = today)."""
    entry = precision_paths()["family"].get(family)
    if entry is None:
        return precision in ("bf16", "fp16")
    start = entry["paths"].get(precision)
    return start is not None and (date is None or decimal_year(start) <= date + 1e-9)


def likely_precision(family: str, date: float | None = None) -> tuple[str, str]:
    """(precision, why) a team most likely trained in on ``family`` at ``date`` (None = today)."""
    entry = precision_paths()["family"].get(family)
    if entry is None:
        return "bf16", "no precision path catalogued for the family"
    when = today_year() if date is None else date
    chosen, since = entry["likely"][0][1], entry["likely"][0][0]
    for start, precision in entry["likely"]:
        if decimal_year(start) <= when + 1e-9:
            chosen, since = precision, start
    return chosen, f"the family's likely precision since {since}, precision_paths.toml"


def int8_tops(accelerator_key: str) -> float | None:
    """Dense int8 peak [TOP/s per chip] of an accelerator that trains in int8, else None."""
    return precision_paths()["int8_dense_tops"].get(accelerator_key)
