"""The supply problem: an hourly load, capacity factors, candidate technologies and the constraints."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stargate.errors import InputError, require_range


@dataclass(frozen=True)
class SupplyProblem:
    """Least-cost supply of one site's load (PyPSA-style component tables as inputs).

    ``weights`` give the hours each snapshot stands for (1 for a full year, cluster sizes x 1 h for
    representative days); ``period`` groups the snapshots of one period (one for a full year, one per
    representative day). ``sequence`` (representative days) lists the period standing for each day of the
    year in order: storage then carries its state of charge from each day to the next over the whole year
    (Kotzur et al. 2018); without it each period's storage cycles on its own.
    """

    load_mw: np.ndarray
    availability: pd.DataFrame           # snapshot x technology: available share of capacity [-]
    technologies: pd.DataFrame           # from technology_table()
    weights: np.ndarray
    period: np.ndarray
    co2_price_usd_per_t: float = 0.0
    co2_cap_t: float | None = None
    cfe_share: float | None = None       # hourly-matched carbon-free share of the load [-]
    reserve_margin: float | None = None  # firm capacity >= (1 + margin) x peak load [-]
    fixed_mw: dict[str, float] = field(default_factory=dict)
    year: int = 2030
    redundant_units: int = 0             # N+k: firm capacity also covers the loss of k of the largest units
    sequence: np.ndarray | None = None   # period id of each day of the year, in order (linked storage)
    snapshot_hours: float = 1.0          # hours one snapshot lasts (storage energy per MW of flow) [h]

    def __post_init__(self) -> None:
        n = len(self.load_mw)
        if n == 0 or len(self.weights) != n or len(self.period) != n or len(self.availability) != n:
            raise InputError("supply.snapshots", n, "load, weights, periods and availability must have equal length")
        if not np.all(np.isfinite(self.load_mw)) or np.any(self.load_mw < 0):
            raise InputError("supply.load_mw", "non-finite or negative", "must be >= 0 every hour")
        require_range("supply.co2_price_usd_per_t", self.co2_price_usd_per_t, 0.0)
        if self.cfe_share is not None:
            require_range("supply.cfe_share", self.cfe_share, 0.0, 1.0)
        if self.reserve_margin is not None:
            require_range("supply.reserve_margin", self.reserve_margin, 0.0, 5.0)
        if self.redundant_units < 0:
            raise InputError("supply.redundant_units", self.redundant_units, "must be >= 0")
        if self.sequence is not None:
            periods = np.unique(self.period)
            if len(self.sequence) == 0 or not np.isin(self.sequence, periods).all():
                raise InputError("supply.sequence", "unknown period", "every day must name one of the periods")
        for name, mw in self.fixed_mw.items():
            if name not in self.technologies.index:
                raise InputError("supply.fixed_mw", name, "must name an allowed technology")
            require_range(f"supply.fixed_mw.{name}", mw, 0.0)

    @property
    def annual_load_mwh(self) -> float:
        return float(self.weights @ self.load_mw)
