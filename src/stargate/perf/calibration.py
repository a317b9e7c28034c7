"""Calibrated efficiency parameters of the step model, loaded from ``catalog/calibration.toml``.

A few physical parameters per accelerator family (achievable matmul fraction, low-precision
efficiency, network efficiency) and a handful of global ones; :func:`fit` refits them on a
validation file in the schema of the shipped development set ``stargate/data/validation/dev.csv``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import lru_cache
from importlib import resources
from typing import Any

FAMILY_FIELDS = ("matmul_eff", "lowp_eff", "net_eff")
GLOBAL_FIELDS = ("gemm_half_dim", "elementwise_bytes_per_hidden", "layer_overhead_s", "tp_comm_exposed",
                 "dp_overlap", "zero3_overlap", "ep_comm_exposed", "ep_imbalance", "softmax_overlap")
REFERENCE_FAMILY = "hopper"


@dataclass(frozen=True)
class FamilyParams:
    """Efficiency parameters of one accelerator family (see calibration.toml for meanings)."""

    matmul_eff: float
    lowp_eff: float
    net_eff: float
    fitted: bool


@dataclass(frozen=True)
class Trend:
    """A family's software trend (stargate.perf.vintage): gain [1/year], reference and latest dates [year],
    and the standard error of the gain [1/year] (0 where the development rows cannot estimate it)."""

    gain_per_year: float
    ref_year: float
    latest_year: float
    gain_sd_per_year: float = 0.0

    def sd_log(self, date: float) -> float:
        """Standard error of the trend's log factor at ``date`` [year]: the gain's error times the distance
        from the reference date (the trend is flat after its latest date, and so is its error). [-]"""
        return self.gain_sd_per_year * abs(min(date, self.latest_year) - self.ref_year)


TREND_FIELDS = tuple(f.name for f in fields(Trend))                             # keys of a [vintage.*] table
TREND_REQUIRED = tuple(f.name for f in fields(Trend) if f.default is MISSING)   # gain_sd_per_year: 0 if absent


@dataclass(frozen=True)
class Calibration:
    """All step-model parameters: global ones and per-family ones."""

    gemm_half_dim: float
    elementwise_bytes_per_hidden: float
    layer_overhead_s: float
    tp_comm_exposed: float
    dp_overlap: float
    zero3_overlap: float
    ep_comm_exposed: float
    ep_imbalance: float
    softmax_overlap: float  # share of the shorter of softmax exponentials and attention matmuls hidden [-]
    families: dict[str, FamilyParams] = field(default_factory=dict)
    mamf_fraction: dict[str, float] = field(default_factory=dict)
    vintage: dict[str, Trend] = field(default_factory=dict)  # software trend per family ([vintage.<family>])
    moe_vintage: Trend | None = None  # the MoE path's own software trend, on top of the family's ([vintage_moe])

    def family(self, name: str) -> FamilyParams:
        """Parameters of ``name``; an unfitted family scales the reference fit by its measured MAMF."""
        if name in self.families:
            return self.families[name]
        ref = self.families[REFERENCE_FAMILY]
        ratio = self.mamf_fraction.get(name, self.mamf_fraction[REFERENCE_FAMILY]) / self.mamf_fraction[
            REFERENCE_FAMILY]
        return FamilyParams(ref.matmul_eff * ratio, ref.lowp_eff, ref.net_eff, fitted=False)

    def trends(self) -> dict[str, Trend]:
        """Software trend per family: its own where calibrated; a family without a fit follows the reference
        family's, as its efficiency is the reference's fit (at the reference's dates) scaled by its MAMF."""
        borrowed = self.vintage.get(REFERENCE_FAMILY)
        out = dict(self.vintage)
        if borrowed is not None:
            out.update({name: borrowed for name in self.mamf_fraction if name not in self.vintage
                        and (name not in self.families or not self.families[name].fitted)})
        return out

    def with_values(self, values: dict[str, float]) -> Calibration:
        """A copy with ``{"global_name": v, "family.param": v}`` replaced (used by the fit)."""
        glob = {k: v for k, v in values.items() if "." not in k}
        fams = dict(self.families)
        for key, value in values.items():
            if "." in key:
                fam, name = key.split(".")
                fams[fam] = replace(fams[fam], **{name: value})
        return replace(self, families=fams, **glob)


def _trend(entry: dict[str, Any]) -> Trend:
    return Trend(*(float(entry[k]) for k in TREND_REQUIRED),
                 **{k: float(entry[k]) for k in TREND_FIELDS if k not in TREND_REQUIRED and k in entry})


def calibration_from_dict(data: dict[str, Any]) -> Calibration:
    glob = data["global"]
    families, mamf = {}, {}
    for name, entry in data["family"].items():
        mamf[name] = float(entry["mamf_fraction"])
        if all(k in entry for k in FAMILY_FIELDS):
            families[name] = FamilyParams(*(float(entry[k]) for k in FAMILY_FIELDS), fitted=True)
    vintage = {k: _trend(v) for k, v in data.get("vintage", {}).items() if isinstance(v, dict)}
    moe = data.get("vintage_moe")
    moe_vintage = _trend(moe) if isinstance(moe, dict) else None
    return Calibration(**{k: float(glob[k]) for k in GLOBAL_FIELDS}, families=families, mamf_fraction=mamf,
                       vintage=vintage, moe_vintage=moe_vintage)


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The shipped calibration (``stargate/catalog/calibration.toml``), read once (Calibration is frozen)."""
    text = resources.files("stargate.catalog").joinpath("calibration.toml").read_text(encoding="utf-8")
    return calibration_from_dict(tomllib.loads(text))


@contextmanager
def using_calibration(calibration: Calibration) -> Iterator[Calibration]:
    """Inside the block, :func:`load_calibration` returns ``calibration`` wherever it was imported.

    For one run of a process (the CLI's ``--calibration FILE``): every loaded ``stargate`` module that holds
    :func:`load_calibration` (``from ... import load_calibration``) sees the override; all are restored after.
    """
    import sys

    shipped = sys.modules[__name__].load_calibration

    def override() -> Calibration:
        return calibration

    def holders(target: object) -> list[Any]:
        return [m for name, m in list(sys.modules.items())
                if (name == "stargate" or name.startswith("stargate.")) and vars(m).get("load_calibration") is target]

    for module in holders(shipped):
        module.load_calibration = override
    try:
        yield calibration
    finally:
        for module in holders(override):  # also modules first imported inside the block
            module.load_calibration = shipped
