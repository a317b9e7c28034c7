"""Training time of a workload on a cluster, from compute and a model FLOPs utilisation (MFU).

The MFU is either given by the scenario or predicted by the step-time model
(:mod:`stargate.perf`); this module turns it into time:
``t = C / (MFU x peak)`` (the usual compute-time identity, e.g. Epoch AI, "Estimating training
compute of deep learning models", 2022, method 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from stargate.cluster import Cluster
from stargate.errors import require_range
from stargate.workload import Workload

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class TrainingEstimate:
    """Time to train ``workload`` on ``cluster`` at ``mfu``, before failures."""

    training_flop: float
    peak_flop_s: float
    mfu: float
    mfu_source: str
    sustained_flop_s: float
    seconds: float
    days: float
    gpu_hours: float


def estimate_training(workload: Workload, cluster: Cluster, mfu: float, mfu_source: str) -> TrainingEstimate:
    """Training time from compute, dense peak and MFU.

    Parameters
    ----------
    workload : Workload  Resolved job (training FLOP, precision).
    cluster : Cluster    Resolved cluster (dense peak at the workload's precision).
    mfu : float          Model FLOPs utilisation, (0, 1]. [fraction]
    mfu_source : str     Where the MFU comes from (shown in reports).

    Returns
    -------
    TrainingEstimate   seconds = C / (mfu x peak); gpu_hours = seconds x n_gpus / 3600.
    """
    require_range("performance.mfu", mfu, 1e-6, 1.0)
    peak = cluster.peak_flop_s(workload.precision)
    sustained = mfu * peak
    seconds = workload.training_flop / sustained
    return TrainingEstimate(
        training_flop=workload.training_flop, peak_flop_s=peak, mfu=mfu, mfu_source=mfu_source,
        sustained_flop_s=sustained, seconds=seconds, days=seconds / SECONDS_PER_DAY,
        gpu_hours=seconds * cluster.n_gpus / 3600.0,
    )
