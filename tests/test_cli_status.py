"""Slow commands show a transient status line on a terminal, and nothing when piped or with --json."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

PROBE = "from stargate.cli import main; main()"


def _run_with_terminal_stderr(args: list[str]) -> tuple[str, str, int]:
    """Run ``stargate args`` with stderr on a pseudo-terminal and stdout on a pipe: (stdout, stderr, code)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-c", PROBE, *args], stdout=subprocess.PIPE, stderr=slave,
                            env=env, text=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    out = proc.stdout.read()
    code = proc.wait(timeout=300)
    os.close(master)
    return out, b"".join(chunks).decode("utf-8", "replace"), code


def test_a_slow_command_shows_a_status_line_on_a_terminal_only(tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text('[workload]\nmodel = "llama-3.1-405b"\n[cluster]\naccelerator = "h100-sxm"\ncount = 4096\n'
                        '[supply]\nmix = "grid"\n', encoding="utf-8")
    out, err, code = _run_with_terminal_stderr(["economics", str(scenario)])
    assert code == 0, err
    assert "Planning the campus" in err
    assert "Planning" not in out and "\x1b[" not in out and "per GPU-hour" in out  # the result on stdout is clean
    out, err, code = _run_with_terminal_stderr(["economics", str(scenario), "--json"])
    assert code == 0 and "Planning" not in err and out.lstrip().startswith("{")
