"""Benchmark of the layout search (issue: training performance model).

Targets: >= 1,000,000 layouts evaluated per second on 2 cores, and the best layout for a 1T-parameter
dense model on 100,000 H100 found in under 1 s. Ends with one line:
``layouts_per_s=<float> search_1t_100k_s=<float>``.
"""

from __future__ import annotations

import time

import numpy as np

from stargate import catalog
from stargate.perf import Hardware, load_calibration, search, step_time
from stargate.perf.layouts import Layouts
from stargate.workload import ModelSpec

# A 1T dense model in Megatron's SC'21 Table 1 shape (128 layers, hidden 25,600, 160 heads).
MODEL_1T = ModelSpec(name="dense 1T", layers=128, hidden=25600, heads=160, kv_heads=160, ffn_hidden=102400,
                     vocab=51200, seq_len=4096, glu=False)


def main() -> None:
    cal = load_calibration()
    hw = Hardware.from_catalog(catalog.accelerator("h100-sxm"), cal)

    # throughput of the vectorised step model on a large random batch of layouts
    rng = np.random.default_rng(0)
    k = 2_000_000
    layouts = Layouts(
        tp=rng.choice([1, 2, 4, 8, 16, 32], k), pp=rng.choice([1, 2, 4, 8, 16, 32, 64], k),
        dp=rng.choice([1, 8, 64, 512, 4096], k), cp=rng.choice([1, 2, 4, 8], k), ep=np.ones(k, dtype=np.int64),
        vpp=rng.choice([1, 2, 4], k), mb=rng.choice([1, 2, 4, 8], k), recompute=rng.integers(0, 3, k),
        zero=rng.integers(0, 4, k))
    step_time(MODEL_1T, hw, layouts.take(np.arange(1000)), 4096, "bf16", cal)  # warm-up
    start = time.perf_counter()
    step_time(MODEL_1T, hw, layouts, 4096, "bf16", cal)
    layouts_per_s = k / (time.perf_counter() - start)
    print(f"step model: {k:,} layouts in {k / layouts_per_s:.2f} s")

    # end-to-end search: 1T dense on 100,000 H100 (enumeration included, nothing cached)
    start = time.perf_counter()
    result = search(MODEL_1T, hw, 100_000, 6_400)
    search_s = time.perf_counter() - start
    best = result.best
    print(f"search: {result.evaluated:,} layouts, {result.feasible:,} fit; best {best.layout} "
          f"MFU {best.mfu:.1%}, step {best.step_s:.2f} s, {best.memory_gbyte:.0f} GB")
    print(f"layouts_per_s={layouts_per_s:.0f} search_1t_100k_s={search_s:.3f}")


if __name__ == "__main__":
    main()
