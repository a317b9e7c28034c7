"""Benchmark of the roadmap Monte Carlo: 100,000 trajectories of the Stargate programme (target < 2 s
on 2 cores). Ends with one line: ``trajectories_per_s=<float>``."""

from __future__ import annotations

import time

from stargate.roadmap import load_programme, simulate


def main() -> None:
    programme = load_programme()
    simulate(programme, 1000, seed=0)  # warm-up (imports, catalog)
    n = 100_000
    start = time.perf_counter()
    result = simulate(programme, n, seed=0)
    seconds = time.perf_counter() - start
    p50 = result.p50_at(2030.0)
    print(f"{n:,} trajectories in {seconds:.2f} s; P50 in 2030: {p50['mw_online'] / 1e3:.1f} GW, "
          f"{p50['accelerators'] / 1e6:.2f} M accelerators, {p50['cumulative_capex_usd'] / 1e9:.0f} G$")
    print(f"trajectories_per_s={n / seconds:.0f}")


if __name__ == "__main__":
    main()
