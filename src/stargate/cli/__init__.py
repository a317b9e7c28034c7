"""The ``stargate`` command line: a thin typer + rich layer over the Python API.

Each command lives in its own module and registers itself on :data:`app`; bad input anywhere is an
:class:`~stargate.errors.InputError`, printed as one line with exit code 2.
"""

from __future__ import annotations

# Command modules register themselves on `app` when imported (one line each).
from stargate.cli import catalog as _catalog  # noqa: F401
from stargate.cli import claims as _claims  # noqa: F401
from stargate.cli import perf as _perf  # noqa: F401
from stargate.cli import plan as _plan  # noqa: F401
from stargate.cli import roadmap as _roadmap  # noqa: F401
from stargate.cli import serve as _serve  # noqa: F401
from stargate.cli import supply as _supply  # noqa: F401
from stargate.cli import whatif as _whatif  # noqa: F401
from stargate.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
