"""Representative days that keep the year: extreme days plus weighted, energy-rescaled cluster days.

The days that size the system are kept as they are, each standing for itself: the day of the highest
hourly load and, for every weather-dependent technology, its day of lowest mean availability (the
"extreme periods" of Kotzur et al. 2018, "Impact of different time series aggregation methods on optimal
energy system design", Renewable Energy 117, and of tsam). The other days are clustered by k-means on
their daily profiles (Nahmmacher et al. 2016, "Carpe diem", Energy 112); each cluster is represented by
its medoid day, weighted by the cluster's size, and rescaled so that its load energy and each capacity
factor's daily mean equal the cluster's means, clipped at the year's peak load and at a capacity factor
of 1. Annual load energy and renewable yields are therefore reproduced up to that clipping (exactly for
a smooth load).

Storage is linked across the days (Kotzur et al. 2018, "Time series aggregation for energy system design:
modeling seasonal storage", Applied Energy 213): :func:`representative_periods` also returns the
chronological sequence of the year's days as representative-day ids, so the supply LP can carry the
state of charge from each day of the year to the next (see :mod:`stargate.supply.lp`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from stargate.errors import require_range


def extreme_days(load: np.ndarray, profiles: dict[str, np.ndarray]) -> list[int]:
    """Indices (day of year) of the peak-load day and each profile's lowest-mean day, without repeats."""
    days = [int(np.argmax(load.max(axis=1)))]
    for daily in profiles.values():
        day = int(np.argmin(daily.mean(axis=1)))
        if day not in days:
            days.append(day)
    return days


def _rescaled(day: np.ndarray, target_mean: float, ceiling: float | None) -> np.ndarray:
    mean = day.mean()
    scaled = day * (target_mean / mean) if mean > 0 else np.full_like(day, target_mean)
    return np.minimum(scaled, ceiling) if ceiling is not None else scaled


def representative_days(load_mw: np.ndarray, availability: pd.DataFrame, days: int = 16, seed: int = 0
                        ) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]:
    """Reduce an 8,760-hour year to ``days`` weighted days (extreme days included).

    Returns load, availability, weights (hours each snapshot stands for) and period (day id) arrays;
    ``weights @ load`` equals the year's load energy.
    """
    return representative_periods(load_mw, availability, days, seed)[:4]


def representative_periods(load_mw: np.ndarray, availability: pd.DataFrame, days: int = 16, seed: int = 0
                           ) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`representative_days` and the year's day sequence: the period id standing for each day."""
    require_range("representative days", days, 2, 365)
    n_days = len(load_mw) // 24
    load = np.asarray(load_mw[: n_days * 24], dtype=float).reshape(n_days, 24)
    varying = [c for c in availability.columns if availability[c].max() > availability[c].min()]
    profiles = {c: availability[c].to_numpy(dtype=float)[: n_days * 24].reshape(n_days, 24) for c in varying}
    extremes = extreme_days(load, profiles)[: days - 1]
    peak = float(load.max())
    rest = np.setdiff1d(np.arange(n_days), extremes)
    x = np.hstack([load[rest] / max(load.max(), 1e-9), *(p[rest] for p in profiles.values())])
    centroids, labels = kmeans2(x, days - len(extremes), seed=seed, minit="++")

    out_load = [load[d] for d in extremes]
    out_avail = {c: [profiles[c][d] for d in extremes] for c in varying}
    weights = [1.0] * len(extremes)
    sequence = np.full(n_days, -1, dtype=int)
    sequence[extremes] = np.arange(len(extremes))
    for k in range(len(centroids)):
        members = rest[labels == k]
        if len(members) == 0:
            continue
        local = np.flatnonzero(labels == k)
        medoid = members[np.argmin(((x[local] - centroids[k]) ** 2).sum(axis=1))]
        out_load.append(_rescaled(load[medoid], load[members].mean(), peak))  # never above the year's peak
        for c in varying:
            out_avail[c].append(_rescaled(profiles[c][medoid], profiles[c][members].mean(), 1.0))
        sequence[members] = len(weights)
        weights.append(float(len(members)))
    n_out = len(weights)
    table = pd.DataFrame({c: np.full(n_out * 24, float(availability[c].iloc[0])) for c in availability.columns})
    for c in varying:
        table[c] = np.concatenate(out_avail[c])
    weight_hours = np.repeat(np.array(weights), 24)
    # the 8,760 h year has 365 whole days; hours beyond them (none for 8,760 or 8,784) would be dropped
    return np.concatenate(out_load), table, weight_hours, np.repeat(np.arange(n_out), 24), sequence
