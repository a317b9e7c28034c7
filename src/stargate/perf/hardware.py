"""System description for the step model: peaks, memory, links, and the family's efficiencies."""

from __future__ import annotations

from dataclasses import dataclass

from stargate.catalog import Accelerator
from stargate.perf.calibration import Calibration, FamilyParams
from stargate.perf.precision import int8_tops

GBYTE = 1e9
# Per-step latency of one ring step of a collective [s]: NVLink-class vs NIC (NCCL small-message
# latency, order of magnitude; Thakur, Rabenseifner & Gropp 2005 alpha-beta model).
SCALEUP_LATENCY_S = 5e-6
SCALEOUT_LATENCY_S = 15e-6
# GPU vendors' "80 GB" of HBM is binary (an H100 80GB shows 81,559 MiB = 85.5e9 B in nvidia-smi; an MI300X
# 192 GB shows ~192 GiB); Google and AWS capacities are already converted from GiB in the catalog.
BINARY_HBM_VENDORS = ("NVIDIA", "AMD", "Intel")
HBM_USABLE_FRACTION = 0.97   # allocator fragmentation [-]
HBM_RESERVED_BYTES = 2.0e9   # CUDA context, NCCL buffers and framework workspace [B]
# XLA on TPU plans buffers at compile time and keeps no CUDA-like context: JAX reports a bytes_limit of
# 16.91e9 B on a 16 GiB (17.18e9 B) TPU chip, 98.4 % of HBM (jax Device.memory_stats())
XLA_USABLE_FRACTION = 0.984
DEFAULT_SCALEOUT_GBIT_S = 100.0  # per accelerator where the vendor publishes none (TPU DCN, Trainium) [Gb/s]
HBM_ACHIEVED_FRACTION = 0.8  # achievable share of peak HBM bandwidth for streaming kernels [-]
# Where a job's ranks sit in the scale-up domains (stargate.perf.step, ``link``). Ranks are numbered in
# Megatron order (TP innermost, then CP, DP/EP, PP outermost) and filled domain by domain.
#   "aligned": each domain hosts R = u * 2^floor(log2(floor(D / u))) ranks, u the largest of the TP, TP x CP,
#              EP and TP x CP x DP groups that fits in the domain of D accelerators: no group that fits
#              straddles two domains and the larger groups cut into equal pieces of R ranks; D - R
#              accelerators of each domain stay idle (or run other jobs). On a GB200/GB300 NVL72 rack
#              (18 compute trays of 4 GPUs) a power-of-two job uses 64 GPUs = 16 trays per rack.
#   "packed":  R = D ranks per domain (all 72 of an NVL72); a group whose ranks straddle two domains
#              sends its traffic between them over the NICs, and a collective runs at the pace of its
#              slowest group.
# The default follows NVIDIA's guidance for training on NVL72: Slurm topology/block scheduling with
# ``--segment=16`` (16 trays = 64 GPUs inside one NVLink domain) for large jobs (NVIDIA Technical Blog,
# "Unlock Exascale Performance on NVIDIA GB200 NVL72 with Slurm Topology-Aware Job Scheduling", 2025;
# "Achieving Peak System and Workload Efficiency on NVIDIA GB200 NVL72 with Slurm Block Scheduling",
# 2026-05-07), and Megatron-Bridge's GB200/GB300 recipes and benchmarks, sized 64 GPUs "in one NVLink
# domain" (docs.nvidia.com/nemo/megatron-bridge, recipes ``*_64gpu_gb200_*``, performance summary at
# 64/128/256 GPUs). TPU slices are allocated whole in power-of-two shapes (v5e: up to 256 chips; v5p:
# up to 8,960 chips a pod; groups across slices use the data-centre network, Cloud TPU Multislice docs),
# which the aligned rule reproduces.
PLACEMENTS = ("aligned", "packed")


@dataclass(frozen=True)
class Hardware:
    """One accelerator (per GPU), its cluster links and its calibrated efficiencies."""

    key: str
    family: str
    bf16_flop_s: float
    fp8_flop_s: float | None
    fp4_flop_s: float | None
    hbm_bytes: float
    hbm_byte_s: float
    scaleup_byte_s: float
    scaleup_domain: int
    scaleout_byte_s: float
    eff: FamilyParams
    xla_runtime: bool = False  # TPUs: memory limit of the XLA runtime instead of the CUDA/ROCm one
    int8_flop_s: float | None = None  # int8 peak (TPU quantised training, catalog/precision_paths.toml) [OP/s]
    placement: str = "aligned"  # ranks per scale-up domain: "aligned" or "packed" (see PLACEMENTS)
    exp_per_s: float | None = None  # softmax exponentials of the special-function units; None: not modelled [1/s]
    # software of the run's date (stargate.perf.vintage.apply_era): selective recomputation exists from May 2022
    selective_recompute: bool = True

    def __post_init__(self) -> None:
        if self.placement not in PLACEMENTS:
            raise ValueError(f"placement must be one of {', '.join(PLACEMENTS)}, not {self.placement!r}")

    @classmethod
    def from_catalog(cls, acc: Accelerator, calibration: Calibration, scaleup_domain: int | None = None,
                     scaleout_gbit_s: float | None = None) -> Hardware:
        """Per-GPU hardware from a catalog entry (superchip entries are divided by their GPU count)."""
        per = acc.gpus_per_unit

        def flop(tflops: float | None) -> float | None:
            return None if tflops is None else tflops * 1e12 / per

        if scaleout_gbit_s is None:
            scaleout_gbit_s = acc.scaleout_gbit_s / per if acc.scaleout_gbit_s else DEFAULT_SCALEOUT_GBIT_S
        return cls(
            key=acc.key, family=acc.family, bf16_flop_s=flop(acc.bf16_dense_tflops),
            fp8_flop_s=flop(acc.fp8_dense_tflops), fp4_flop_s=flop(acc.fp4_dense_tflops),
            hbm_bytes=acc.hbm_gbyte * (2**30 if acc.vendor in BINARY_HBM_VENDORS else GBYTE) / per,
            hbm_byte_s=acc.hbm_tbyte_s * 1e12 / per,
            scaleup_byte_s=acc.scaleup_gbyte_s_per_dir * GBYTE / per,
            scaleup_domain=scaleup_domain or acc.scaleup_domain,
            scaleout_byte_s=scaleout_gbit_s / 8 * GBYTE,
            eff=calibration.family(acc.family),
            xla_runtime=acc.vendor == "Google",
            int8_flop_s=flop(int8_tops(acc.key)),
            exp_per_s=flop(acc.sfu_exp_tera_per_s),
        )

    def peak_flop_s(self, precision: str) -> float:
        """Dense peak for ``precision`` [FLOP/s]; fp16 runs at the bf16 rate, int8 at its OP/s."""
        value = {"bf16": self.bf16_flop_s, "fp16": self.bf16_flop_s, "fp8": self.fp8_flop_s,
                 "fp4": self.fp4_flop_s, "int8": self.int8_flop_s}.get(precision)
        if value is None:
            raise ValueError(f"{self.key} has no {precision} path")
        return value

    @property
    def usable_hbm_bytes(self) -> float:
        if self.xla_runtime:
            return self.hbm_bytes * XLA_USABLE_FRACTION
        return self.hbm_bytes * HBM_USABLE_FRACTION - HBM_RESERVED_BYTES
