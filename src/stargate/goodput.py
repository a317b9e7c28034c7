"""Goodput at scale: wall-clock training time with failures, checkpoints and restarts.

A job of N accelerators is interrupted at a rate proportional to N (Llama 3: 419 unexpected
interruptions in 54 days on 16,384 H100). Between interruptions it writes checkpoints every tau
seconds, each costing delta seconds; after one, it pays a restart R and loses the work since the last
checkpoint. Daly's higher-order model (2006) gives the expected wall time per unit of useful work,
``T_wall / T_useful = M e^(R/M) (e^((tau + delta)/M) - 1) / tau``, minimised over tau (Young 1974
gives the first-order optimum ``sqrt(2 delta M)``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from stargate.errors import require_range

SECONDS_PER_HOUR = 3600.0


@lru_cache(maxsize=1)
def reliability_data() -> dict[str, Any]:
    """The shipped reliability catalog (``catalog/reliability.toml``)."""
    text = resources.files("stargate.catalog").joinpath("reliability.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def young_interval_s(checkpoint_s: float, mtbf_s: float) -> float:
    """First-order optimal checkpoint interval ``sqrt(2 delta M)``. [s]

    References
    ----------
    .. [1] Young (1974), "A first order approximation to the optimum checkpoint interval", CACM 17(9).
    """
    return float(np.sqrt(2.0 * checkpoint_s * mtbf_s))


def daly_wall_fraction(interval_s: np.ndarray | float, checkpoint_s: float, restart_s: float,
                       mtbf_s: float) -> np.ndarray:
    """Expected wall-clock time per second of useful work with exponential failures. [-]

    ``M e^(R/M) (e^((tau + delta)/M) - 1) / tau`` (Daly 2006, eq. 13, per unit of solve time).

    References
    ----------
    .. [1] Daly (2006), "A higher order estimate of the optimum checkpoint interval for restart dumps",
       Future Generation Computer Systems 22(3), 303-312.
    """
    tau = np.asarray(interval_s, dtype=float)
    return mtbf_s * np.exp(restart_s / mtbf_s) * np.expm1((tau + checkpoint_s) / mtbf_s) / tau


@dataclass(frozen=True)
class GoodputResult:
    """Failures and checkpoints of one training run."""

    n_gpus: int
    interruptions_per_hour: float
    job_mtbf_hours: float
    checkpoint_write_s: float
    checkpoint_interval_min: float
    restart_s: float
    expected_interruptions: float
    goodput: float
    ideal_days: float
    wall_clock_days: float
    gpu_hours: float


def training_goodput(ideal_seconds: float, n_gpus: int, params: float, *, family: str = "hopper",
                     storage_gbyte_s: float | None = None, restart_s: float | None = None,
                     interruptions_per_gpu_hour: float | None = None) -> GoodputResult:
    """Goodput and wall-clock time of a run that needs ``ideal_seconds`` of failure-free training.

    Parameters
    ----------
    ideal_seconds : float               Failure-free training time. [s]
    n_gpus : int                        Accelerators in the job. [-]
    params : float                      Model parameters (checkpoint size = 14 B per parameter). [-]
    family : str                        Accelerator family (all share the Llama 3 rate; see the catalog).
    storage_gbyte_s : float, optional   Aggregate checkpoint write bandwidth; default 0.122 GB/s per GPU. [GB/s]
    restart_s : float, optional         Restart cost before the checkpoint is read back; default 600 s. [s]
    interruptions_per_gpu_hour : float  Unexpected interruptions per GPU-hour; default Llama 3's 1.97e-5. [1/h]

    Returns
    -------
    GoodputResult   goodput = ideal time / expected wall time at the optimal checkpoint interval.
    """
    data = reliability_data()
    require_range("ideal_seconds", ideal_seconds, 0.0)
    require_range("n_gpus", n_gpus, 1)
    require_range("params", params, 1.0)
    rate = interruptions_per_gpu_hour if interruptions_per_gpu_hour is not None \
        else data["interruptions"]["per_gpu_hour"]
    require_range("interruptions_per_gpu_hour", rate, 0.0)
    bandwidth = storage_gbyte_s if storage_gbyte_s is not None \
        else data["checkpoint"]["storage_gbyte_s_per_gpu"] * n_gpus
    require_range("storage_gbyte_s", bandwidth, 1e-9)
    restart = restart_s if restart_s is not None else data["restart"]["seconds"]
    require_range("restart_s", restart, 0.0)

    checkpoint_s = params * data["checkpoint"]["bytes_per_param"] / (bandwidth * 1e9)
    per_hour = rate * n_gpus
    if per_hour == 0:
        fraction, interval = 1.0, np.inf
    else:
        mtbf_s = SECONDS_PER_HOUR / per_hour
        # the optimum lies near Young's interval; search a log grid around it
        young = young_interval_s(checkpoint_s, mtbf_s)
        grid = young * np.logspace(-1.5, 1.5, 301)
        walls = daly_wall_fraction(grid, checkpoint_s, restart + checkpoint_s, mtbf_s)
        best = int(np.argmin(walls))
        fraction, interval = float(walls[best]), float(grid[best])
    wall_s = ideal_seconds * fraction
    return GoodputResult(
        n_gpus=n_gpus, interruptions_per_hour=per_hour,
        job_mtbf_hours=np.inf if per_hour == 0 else 1.0 / per_hour,
        checkpoint_write_s=checkpoint_s, checkpoint_interval_min=interval / 60.0, restart_s=restart,
        expected_interruptions=per_hour * wall_s / SECONDS_PER_HOUR, goodput=1.0 / fraction,
        ideal_days=ideal_seconds / 86400.0, wall_clock_days=wall_s / 86400.0,
        gpu_hours=wall_s * n_gpus / SECONDS_PER_HOUR,
    )
