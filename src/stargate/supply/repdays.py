"""Representative days: cluster the 365 days of load, PV and wind and keep one weighted day per cluster.

k-means on daily profiles (Nahmmacher et al. 2016, "Carpe diem: A novel approach to select
representative days for long-term power system modeling", Energy 112), each cluster represented by
its medoid day and weighted by its size; storage cycles within each representative day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from stargate.errors import require_range


def representative_days(load_mw: np.ndarray, availability: pd.DataFrame, days: int = 16, seed: int = 0
                        ) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]:
    """Reduce an 8,760-hour year to ``days`` weighted days.

    Returns load, availability, weights (hours each snapshot stands for) and period (day id) arrays.
    """
    require_range("representative days", days, 1, 365)
    hours = len(load_mw)
    n_days = hours // 24
    load = np.asarray(load_mw[: n_days * 24], dtype=float).reshape(n_days, 24)
    features = [load / max(load.max(), 1e-9)]
    varying = [c for c in availability.columns if availability[c].std() > 0]
    features += [availability[c].to_numpy()[: n_days * 24].reshape(n_days, 24) for c in varying]
    x = np.hstack(features)
    centroids, labels = kmeans2(x, days, seed=seed, minit="++")
    chosen, weights = [], []
    for k in range(days):
        members = np.flatnonzero(labels == k)
        if len(members) == 0:
            continue
        medoid = members[np.argmin(((x[members] - centroids[k]) ** 2).sum(axis=1))]
        chosen.append(medoid)
        weights.append(len(members))
    weight_hours = np.repeat(np.array(weights, dtype=float), 24)  # each hour stands for its cluster's days
    idx = np.concatenate([np.arange(d * 24, d * 24 + 24) for d in chosen])
    period = np.repeat(np.arange(len(chosen)), 24)
    return load.reshape(-1)[idx], availability.iloc[idx].reset_index(drop=True), weight_hours, period
