"""Wall time of ``stargate --help`` and ``stargate plan`` (default scenario), each in a fresh process.

    python bench/cli_startup.py [--repeat N]

``--help`` is the best of N runs (the import cost of the CLI, which lazy imports keep under 1 s);
``plan`` runs once (imports plus every stage on the embedded Abilene scenario). The last line is
``help_s=<f> plan_s=<f>``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def command() -> list[str]:
    """The installed ``stargate`` script beside this interpreter (not a version manager's shim, which adds its own
    start-up), else the one on PATH, else this interpreter running the same entry point."""
    beside = Path(sys.executable).parent / "stargate"
    script = str(beside) if beside.is_file() else shutil.which("stargate")
    return [script] if script else [sys.executable, "-c", "from stargate.cli import main; main()"]


def wall_s(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command() + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"stargate {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of --help (the best is kept)")
    repeat = max(1, parser.parse_args().repeat)
    print(f"{' '.join(command())}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    helps = [wall_s(["--help"]) for _ in range(repeat)]
    print(f"stargate --help: {', '.join(f'{t:.2f}' for t in helps)} s")
    plan_s = wall_s(["plan"])
    print(f"stargate plan: {plan_s:.2f} s")
    print(f"help_s={min(helps):.3f} plan_s={plan_s:.3f}")


if __name__ == "__main__":
    main()
