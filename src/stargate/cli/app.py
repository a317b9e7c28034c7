"""The typer application and the error handling shared by every command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from stargate.errors import InputError

app = typer.Typer(
    name="stargate",
    help="Stargate Planner: training time, power, supply, cost and schedule of gigawatt AI campuses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> None:
    """Print one error line on stderr and exit with ``code`` (2 = bad input)."""
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def handles_input_errors(func: F) -> F:
    """Turn :class:`InputError` (and unreadable files) into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as err:
            fail(str(err))
        except OSError as err:
            fail(f"{getattr(err, 'filename', '') or 'file'}: {err.strerror or err}")

    return wrapper  # type: ignore[return-value]


def emit_json(text: str) -> None:
    """Print JSON on stdout, unstyled."""
    sys.stdout.write(text + "\n")
