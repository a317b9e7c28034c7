"""Cluster: how many accelerators, of which kind, and their aggregate dense peak.

A GB200 "superchip" is two Blackwell GPUs; counts are normalised to GPUs (or chips) here, once, so
that no later stage can confuse the two. NVIDIA's GB200 NVL72 product page and datasheet (2024)
count 36 GB200 superchips = 36 Grace CPUs + 72 Blackwell GPUs per rack; press figures such as
"400,000 GB200 in 1.2 GW" (Financial Times, May 2025) only fit the power if they count GPUs
(400,000 / 72 racks x 132 kW ~ 0.73 GW of IT).
"""

from __future__ import annotations

from dataclasses import dataclass

from stargate.catalog import Accelerator, Precision


@dataclass(frozen=True)
class Cluster:
    """A resolved cluster. ``accelerator`` is the per-GPU catalog entry; ``n_gpus`` counts GPUs/chips."""

    accelerator: Accelerator
    n_gpus: int
    scaleup_domain: int
    scaleout_gbit_s: float
    count_given: int
    unit_given: str
    placement: str = "aligned"  # ranks per scale-up domain (stargate.perf.hardware.PLACEMENTS)

    def peak_flop_s(self, precision: Precision) -> float:
        """Aggregate dense peak of the cluster. [FLOP/s]"""
        return cluster_peak_flop_s(self.accelerator, self.n_gpus, precision)


def cluster_peak_flop_s(accelerator: Accelerator, n_gpus: int, precision: Precision) -> float:
    """Dense peak FLOP/s of ``n_gpus`` GPUs of ``accelerator`` at ``precision``.

    Parameters
    ----------
    accelerator : Accelerator  Catalog entry (its peaks are per unit; divided by ``gpus_per_unit``).
    n_gpus : int               GPUs or chips. [-]
    precision : str            bf16, fp16, fp8 or fp4.

    Returns
    -------
    float   Dense peak, 2:4 sparsity never counted. [FLOP/s]

    Notes
    -----
    64,000 GB200 superchips = 128,000 GPUs x 2.5 PFLOP/s = 320 EFLOP/s dense BF16;
    64,000 GB200 GPUs = 160 EFLOP/s. 2.5 PFLOP/s per GPU is half of 360 / 72 = 5 PFLOP/s, NVIDIA's GB200
    NVL72 datasheet (2024) figure of 360 PFLOP/s FP16/BF16 per 72-GPU rack counting 2:4 sparsity.
    """
    per_gpu = accelerator.dense_tflops(precision) * 1e12 / accelerator.gpus_per_unit
    return n_gpus * per_gpu
