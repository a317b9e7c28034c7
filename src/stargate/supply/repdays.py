"""Representative days that keep the year: extreme days plus weighted, energy-rescaled cluster days.

The days that size the system are kept as they are, each standing for itself (the "extreme periods" of
Kotzur et al. 2018, "Impact of different time series aggregation methods on optimal energy system
design", Renewable Energy 117, and of tsam): the day of the highest hourly load, for every
weather-dependent technology its day of lowest mean availability, and - given the capacities of the
weather-dependent technologies (``sizing``: a first solve on representative days, see
:func:`stargate.supply.build_problem`) - the days of the highest net load (load minus that wind and PV
output): the highest 4-hour net load, which firm capacity and a 4-h battery must cover, and the
highest daily net energy. Without these days and the duration-curve days below, 16 days missed the
year's cost by 1.4-2.5 % on mixes of wind, PV, batteries and gas (tests/test_supply_repdays.py).

The other days are clustered by k-means on their daily profiles (Nahmmacher et al. 2016, "Carpe diem",
Energy 112), each series standardised by its own spread so that the load and every capacity factor
weigh alike. Each cluster is represented by the member day whose sorted hours lie closest to the
cluster's duration curves - of the load, each capacity factor and the net load - rather than by the day
nearest the cluster's mean (duration curves as the criterion for representative days: Poncelet et al.
2017, "Selecting representative days for capturing the implications of integrating intermittent
renewables in generation expansion planning problems", IEEE Trans. Power Systems 32(3); the duration
representation of tsam): a day close to the mean loses the spread between the cluster's days, which
made 16 days cheaper than the year. The day is weighted by the cluster's size and rescaled so that its
load energy and each capacity factor's daily mean equal the cluster's means, clipped at the year's peak
load and at a capacity factor of 1. Annual load energy and renewable yields are therefore reproduced up
to that clipping (exactly for a smooth load).

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

NET_PEAK_HOURS = 4       # the sustained net-load peak: what a 4-h battery and firm capacity must cover [h]
NET_PEAK_DAYS = 3        # days kept for the highest sustained net load
NET_ENERGY_DAYS = 2      # and for the highest daily net energy


def net_load(load: np.ndarray, profiles: dict[str, np.ndarray], sizing: dict[str, float]) -> np.ndarray:
    """Load minus the output of the sized weather-dependent technologies, per day and hour. [MW]"""
    net = load.copy()
    for name, daily in profiles.items():
        net -= sizing.get(name, 0.0) * daily
    return net


def extreme_days(load: np.ndarray, profiles: dict[str, np.ndarray], sizing: dict[str, float] | None = None
                 ) -> list[int]:
    """Indices (day of year) of the days that size the system, without repeats: the peak-load day, each
    profile's lowest-mean day and, with ``sizing``, the days of highest sustained and daily net load."""
    candidates = [int(np.argmax(load.max(axis=1)))]
    candidates += [int(np.argmin(daily.mean(axis=1))) for daily in profiles.values()]
    if sizing is not None:
        net = net_load(load, profiles, sizing)
        window = np.ones(NET_PEAK_HOURS) / NET_PEAK_HOURS
        sustained = np.array([np.convolve(day, window, "valid").max() for day in net])
        candidates += [int(d) for d in np.argsort(-sustained, kind="stable")[:NET_PEAK_DAYS]]
        candidates += [int(d) for d in np.argsort(-net.sum(axis=1), kind="stable")[:NET_ENERGY_DAYS]]
    return list(dict.fromkeys(candidates))


def _rescaled(day: np.ndarray, target_mean: float, ceiling: float | None) -> np.ndarray:
    mean = day.mean()
    scaled = day * (target_mean / mean) if mean > 0 else np.full_like(day, target_mean)
    return np.minimum(scaled, ceiling) if ceiling is not None else scaled


def _standardised(block: np.ndarray) -> np.ndarray:
    spread = block.std()
    return (block - block.mean()) / spread if spread > 0 else np.zeros_like(block)


def _duration_misfit(daily: np.ndarray, members: np.ndarray) -> np.ndarray:
    """How far each member day's sorted values lie from its cluster's duration curve (the cluster's hours
    sorted and averaged into 24 steps), in units of the series' variance over the year."""
    curve = np.sort(daily[members].ravel()).reshape(24, len(members)).mean(axis=1)
    return ((np.sort(daily[members], axis=1) - curve) ** 2).sum(axis=1) / max(float(daily.var()), 1e-12)


def representative_days(load_mw: np.ndarray, availability: pd.DataFrame, days: int = 16, seed: int = 0,
                        sizing: dict[str, float] | None = None
                        ) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]:
    """Reduce an 8,760-hour year to ``days`` weighted days (extreme days included).

    Returns load, availability, weights (hours each snapshot stands for) and period (day id) arrays;
    ``weights @ load`` equals the year's load energy. ``sizing`` (MW per weather-dependent technology)
    adds the days of highest net load to the extreme days.
    """
    return representative_periods(load_mw, availability, days, seed, sizing)[:4]


def representative_periods(load_mw: np.ndarray, availability: pd.DataFrame, days: int = 16, seed: int = 0,
                           sizing: dict[str, float] | None = None
                           ) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`representative_days` and the year's day sequence: the period id standing for each day."""
    require_range("representative days", days, 2, 365)
    n_days = len(load_mw) // 24
    load = np.asarray(load_mw[: n_days * 24], dtype=float).reshape(n_days, 24)
    varying = [c for c in availability.columns if availability[c].max() > availability[c].min()]
    profiles = {c: availability[c].to_numpy(dtype=float)[: n_days * 24].reshape(n_days, 24) for c in varying}
    extremes = extreme_days(load, profiles, sizing)[: max(1, days // 2)]  # at least half the days are clusters
    peak = float(load.max())
    series = [load, *profiles.values()] + ([net_load(load, profiles, sizing)] if sizing is not None else [])
    rest = np.setdiff1d(np.arange(n_days), extremes)
    x = np.hstack([_standardised(load)[rest], *(_standardised(p)[rest] for p in profiles.values())])
    _, labels = kmeans2(x, days - len(extremes), seed=seed, minit="++")

    out_load = [load[d] for d in extremes]
    out_avail = {c: [profiles[c][d] for d in extremes] for c in varying}
    weights = [1.0] * len(extremes)
    sequence = np.full(n_days, -1, dtype=int)
    sequence[extremes] = np.arange(len(extremes))
    for k in range(days - len(extremes)):
        members = rest[labels == k]
        if len(members) == 0:
            continue
        day = members[np.argmin(sum(_duration_misfit(daily, members) for daily in series))]  # duration fit
        out_load.append(_rescaled(load[day], load[members].mean(), peak))  # never above the year's peak
        for c in varying:
            out_avail[c].append(_rescaled(profiles[c][day], profiles[c][members].mean(), 1.0))
        sequence[members] = len(weights)
        weights.append(float(len(members)))
    n_out = len(weights)
    table = pd.DataFrame({c: np.full(n_out * 24, float(availability[c].iloc[0])) for c in availability.columns})
    for c in varying:
        table[c] = np.concatenate(out_avail[c])
    weight_hours = np.repeat(np.array(weights), 24)
    # the 8,760 h year has 365 whole days; hours beyond them (none for 8,760 or 8,784) would be dropped
    return np.concatenate(out_load), table, weight_hours, np.repeat(np.arange(n_out), 24), sequence
