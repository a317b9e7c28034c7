"""The scenario's ``[supply]`` section: which mix feeds the campus and how it is solved.

A light module (pydantic only) so that loading a scenario, or starting the CLI, does not import the
supply stage's solvers and weather models; :mod:`stargate.supply` re-exports :class:`SupplySection`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SupplySection(BaseModel):
    """Scenario section: which supply mix feeds the campus, and how it is solved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mix: str = Field(default="least_cost", description="A name from stargate/supply/mixes.toml")
    mode: Literal["auto", "representative_days", "full_year"] = Field(
        default="auto", description="auto: the mix's mode in mixes.toml (full_year where representative days miss "
        "the year's cost by more than 1 %), else representative_days")
    representative_days: int = Field(default=16, ge=2, le=365)
    co2_price_usd_per_t: float | None = Field(default=None, ge=0, le=10_000)
    cfe_share: float | None = Field(default=None, ge=0, le=1)
    reserve_margin: float | None = Field(default=None, ge=0, le=5)
    year: int | None = Field(default=None, ge=2024, le=2100)
    weather_source: Literal["auto", "texas", "synthetic", "pvgis"] = "auto"
    grid: bool | None = Field(default=None, description="false: islanded campus (no grid import, no grid-delivered"
                              " PPA); default: the mix's")
    redundant_units: int | None = Field(default=None, ge=0, le=10,
                                        description="N+k: firm capacity also covers k lost units; default: the mix's")
