"""Sweep throughput, serial and on a local Dask cluster, and the driver's peak memory.

A Latin-hypercube sweep of the default scenario (Abilene) over PUE, GPU price, site capex per MW and
gas price, representative-day supply. Usage: ``python bench/sweep_speed.py [scenarios] [workers]``.
Ends with one line ``serial_scenarios_per_s=... dask_scenarios_per_s=... workers=... speedup=...
peak_rss_mb=...`` (peak RSS of this driver process, which streams chunks to disk and keeps no results).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from stargate.whatif.sweep import make_design, run_sweep


def design(n: int):
    return make_design({
        "seed": 0, "chunk_size": 10, "design": {"method": "lhs", "samples": n},
        "fields": {"facility.pue": {"low": 1.1, "high": 1.4},
                   "cluster.price_usd_per_gpu": {"low": 30000.0, "high": 40000.0},
                   "catalog.costs.site.usd_per_mw": {"low": 10e6, "high": 15e6},
                   "catalog.energy.defaults.gas_usd_per_mmbtu": {"low": 2.5, "high": 5.0}},
    })


def rate(n: int, **options) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_sweep(design(n), Path(out), keep=False, **options)
        return n / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    serial = rate(n, serial=True)
    dask = rate(n, workers=workers)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"serial_scenarios_per_s={serial:.2f} dask_scenarios_per_s={dask:.2f} workers={workers} "
          f"speedup={dask / serial:.2f} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
