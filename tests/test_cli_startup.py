"""`stargate --help` stays light: the scientific stack is imported by the commands, never by the help."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pvlib", "scipy", "pandas", "pypsa", "dash", "plotly", "highspy")

PROBE = """
import sys
from stargate.cli import app
try:
    app({args!r})
except SystemExit as exit:
    code = exit.code
print()
print("exit", code)
print("heavy", ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def _probe(args: list[str]) -> tuple[str, int, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True,
                          text=True, timeout=120, env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    *text, exit_line, heavy_line = done.stdout.rstrip("\n").splitlines()
    heavy = heavy_line.removeprefix("heavy ").split(",") if heavy_line != "heavy " else []
    return "\n".join(text), int(exit_line.split()[1] or 0), [h for h in heavy if h]


@pytest.mark.parametrize("args", [["--help"], ["plan", "--help"], ["supply", "--help"], ["catalog", "--help"],
                                  ["--version"]])
def test_help_imports_no_scientific_module(args):
    text, code, heavy = _probe(args)
    assert code == 0
    assert heavy == [], f"stargate {' '.join(args)} imported {heavy}"
    assert text.strip()


def test_help_lists_every_command():
    text, _, _ = _probe(["--help"])
    for command in ("plan", "search", "validate", "calibrate", "supply", "economics", "roadmap", "claims",
                    "catalog", "compare", "serve"):
        assert command in text


def test_supply_help_names_the_shipped_mixes():
    from stargate.supply import mixes

    text, _, _ = _probe(["supply", "--help"])
    flat = " ".join(text.split())
    for name in mixes():
        assert name.replace("_", "") in flat.replace("_", "").replace(" ", "") or name in flat


def test_cli_dataset_names_match_the_validation_module():
    from stargate.cli import perf as perf_cli
    from stargate.perf import validation

    assert tuple(perf_cli.DATASETS) == tuple(validation.DATASETS)
