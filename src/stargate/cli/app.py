"""The typer application and the error handling shared by every command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

try:  # typer >= 0.24 vendors click as typer._click; older typer uses click itself
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click  # type: ignore[no-redef]

from stargate.errors import InputError, shorten


class _OneLineErrors(TyperGroup):
    """The root command: click/typer usage errors (bad option values, unknown options) as one line, exit 2."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as err:
            if err.format_message():  # rich help is printed already; plain help is the message
                sys.stdout.write(err.format_message() + "\n")
            sys.exit(err.exit_code)
        except click.ClickException as err:
            ctx = getattr(err, "ctx", None)
            hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
            err_console.print(f"error: {shorten(err.format_message(), 400)}{hint}", markup=False, highlight=False,
                              soft_wrap=True)
            sys.exit(err.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="stargate",
    help="Stargate Planner: training time, power, supply, cost and schedule of gigawatt AI campuses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# markup=False: text from scenarios, claim and programme files, CSVs and paths ("[/x]") is shown as given,
# never parsed as rich markup; styles are applied with rich.text.Text (see `styled`)
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

F = TypeVar("F", bound=Callable[..., Any])


def plain(value: object) -> str:
    """User text escaped for a rich renderable or console that does parse markup (e.g. progress bars)."""
    return escape(str(value))


def styled(text: str, style: str) -> Any:
    """``text`` in ``style`` without markup parsing (for table cells built from user text)."""
    from rich.text import Text

    return Text(text, style=style)


def fail(message: str, code: int = 2) -> None:
    """Print one error line on stderr and exit with ``code`` (2 = bad input)."""
    err_console.print(f"error: {shorten(message, 600)}", markup=False, highlight=False, soft_wrap=True)
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
            fail(shorten(f"{getattr(err, 'filename', '') or 'file'}: {err.strerror or err}", 400))

    return wrapper  # type: ignore[return-value]


def emit_json(text: str) -> None:
    """Print JSON on stdout, unstyled."""
    sys.stdout.write(text + "\n")
