"""The typer application and the error handling shared by every command."""

from __future__ import annotations

import functools
import inspect
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

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
    rich_markup_mode=None,  # plain click help: typer's rich help imports markdown/pygments (~0.4 s of `--help`)
)


def package_version() -> str:
    """The installed distribution's version (``stargate-planner``), from its metadata."""
    from importlib import metadata

    try:
        return metadata.version("stargate-planner")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"stargate-planner {package_version()}\n")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print the version and exit")] = False) -> None:
    pass


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


# --- --calibration FILE: a refitted calibration (as `stargate calibrate --out` writes it) for one run ---------

CALIBRATION_HELP = "Calibration TOML written by `stargate calibrate --out` (default: the shipped one)"
CalibrationOption = Annotated[Path | None, typer.Option("--calibration", help=CALIBRATION_HELP, show_default=False)]
_FRACTION = (0.0, 1.0)
CALIBRATION_RANGES = {  # what a calibration value may be (inclusive); the fit stays well inside these
    "gemm_half_dim": (0.0, 100_000.0), "elementwise_bytes_per_hidden": (1e-9, 10_000.0),
    "layer_overhead_s": (0.0, 1.0), "tp_comm_exposed": _FRACTION, "dp_overlap": _FRACTION,
    "zero3_overlap": _FRACTION, "ep_comm_exposed": _FRACTION, "ep_imbalance": (1.0, 100.0),
    "softmax_overlap": _FRACTION,
    "matmul_eff": (1e-9, 1.0), "lowp_eff": (1e-9, 1.0), "net_eff": (1e-9, 1.0), "mamf_fraction": (1e-9, 1.0),
    # software trends ([vintage.<family>], [vintage_moe]): software does not get slower; dates are years
    "gain_per_year": (0.0, 1.0), "gain_sd_per_year": (0.0, 10.0), "ref_year": (2000.0, 2100.0),
    "latest_year": (2000.0, 2100.0),
}
_NOTES = {"sources", "date"}


def _check_trend(field: str, entry: Any) -> None:
    """A software-trend table: a table of its known keys, each a number in range (else InputError)."""
    from stargate.perf.calibration import TREND_FIELDS, TREND_REQUIRED

    if not isinstance(entry, dict):
        raise InputError(f"--calibration {field}", entry, "must be a table")
    for key in sorted(set(entry) - set(TREND_FIELDS) - _NOTES):
        raise InputError(f"--calibration {field}.{key}", entry[key],
                         "unknown key; allowed: " + ", ".join(TREND_FIELDS))
    for key in TREND_FIELDS:
        if key in entry or key in TREND_REQUIRED:
            _calibration_number(f"{field}.{key}", entry.get(key, "(not given)"))


def _calibration_number(field: str, value: Any) -> float:
    key = field.rsplit(".", 1)[-1]
    low, high = CALIBRATION_RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"--calibration {field}", value, "must be a finite number")
    if not low <= value <= high:
        raise InputError(f"--calibration {field}", value, f"must be between {low:g} and {high:g}")
    return float(value)


def read_calibration(path: Path) -> Any:
    """The :class:`~stargate.perf.calibration.Calibration` in ``path``, every field checked (else InputError)."""
    from stargate.inputs import load_mapping
    from stargate.perf.calibration import FAMILY_FIELDS, GLOBAL_FIELDS, REFERENCE_FAMILY, calibration_from_dict

    data = load_mapping(path, "--calibration", formats=("toml",))
    if not isinstance(data.get("global"), dict) or not isinstance(data.get("family"), dict):
        raise InputError("--calibration", str(path), "must hold the [global] and [family.*] tables that "
                         "`stargate calibrate --out` writes")
    glob = data["global"]
    for key in sorted(set(glob) - set(GLOBAL_FIELDS) - _NOTES):
        raise InputError(f"--calibration global.{key}", glob[key], "unknown key; allowed: " + ", ".join(GLOBAL_FIELDS))
    for key in GLOBAL_FIELDS:
        _calibration_number(f"global.{key}", glob.get(key, "(not given)"))
    for name, entry in data["family"].items():
        if not isinstance(entry, dict):
            raise InputError(f"--calibration family.{name}", entry, "must be a table")
        allowed = {*FAMILY_FIELDS, "mamf_fraction"}
        for key in sorted(set(entry) - allowed - _NOTES):
            raise InputError(f"--calibration family.{name}.{key}", entry[key], "unknown key; allowed: "
                             + ", ".join(sorted(allowed)))
        _calibration_number(f"family.{name}.mamf_fraction", entry.get("mamf_fraction", "(not given)"))
        given = [k for k in FAMILY_FIELDS if k in entry]
        if given and len(given) != len(FAMILY_FIELDS):
            missing = next(k for k in FAMILY_FIELDS if k not in entry)
            raise InputError(f"--calibration family.{name}.{missing}", "(not given)",
                             "a fitted family gives all of " + ", ".join(FAMILY_FIELDS))
        for key in given:
            _calibration_number(f"family.{name}.{key}", entry[key])
    reference = data["family"].get(REFERENCE_FAMILY, {})
    if not all(k in reference for k in FAMILY_FIELDS):
        raise InputError(f"--calibration family.{REFERENCE_FAMILY}", "(not fitted)",
                         "the reference family needs " + ", ".join(FAMILY_FIELDS) + " (unfitted families scale it)")
    vintage = data.get("vintage", {})
    if not isinstance(vintage, dict):
        raise InputError("--calibration vintage", vintage, "must hold one [vintage.<family>] table per family")
    for name, entry in vintage.items():
        _check_trend(f"vintage.{name}", entry)
    if "vintage_moe" in data:
        _check_trend("vintage_moe", data["vintage_moe"])
    try:  # the remaining tables (e.g. [intervals]) are read by the model itself
        return calibration_from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError("--calibration", str(path), f"is not a calibration the step model can read: "
                         f"{type(err).__name__}: {err}") from None


def _forget_cached_training() -> None:
    """Drop the training stages this process cached (stargate.whatif.headline): their key has no calibration."""
    cache = getattr(sys.modules.get("stargate.whatif.headline"), "_train_cache", None)
    if cache is not None:
        cache.clear()


def uses_calibration(func: F) -> F:
    """Add ``--calibration FILE`` to a command: a bad file is one line and exit 2, a good one is used for the run."""
    signature = inspect.signature(func, eval_str=True)

    @functools.wraps(func)
    def wrapper(*args: Any, calibration: Path | None = None, **kwargs: Any) -> Any:
        if calibration is None:
            return func(*args, **kwargs)
        try:
            loaded = read_calibration(calibration)
        except InputError as err:
            fail(str(err))
        from stargate.perf.calibration import using_calibration

        _forget_cached_training()
        try:
            with using_calibration(loaded):
                return func(*args, **kwargs)
        finally:
            _forget_cached_training()

    extra = inspect.Parameter("calibration", inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=CalibrationOption)
    params = [p for p in signature.parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]
    wrapper.__signature__ = signature.replace(parameters=[*params, extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**func.__annotations__, "calibration": CalibrationOption}
    return wrapper  # type: ignore[return-value]


# --- tables that fit an 80-column terminal ---------------------------------------------------------------

def fitted_table(title: str, columns: list[tuple[str, str]], **options: Any) -> Any:
    """A rich table for narrow terminals: a rule under the header and two spaces between columns.

    ``columns`` are ``(header, kind)``: ``"num"`` right-aligned and never wrapped or cut (numbers stay whole),
    ``"key"`` left-aligned and never wrapped, ``"text"`` left-aligned and wrapped (the column that gives way).
    """
    from rich import box
    from rich.table import Table

    table = Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False,
                  show_edge=False, **options)
    for header, kind in columns:
        if kind == "text":
            table.add_column(header, overflow="fold")
        else:
            table.add_column(header, justify="right" if kind == "num" else "left", no_wrap=True)
    return table


def working(message: str, quiet: bool = False) -> Any:
    """A transient status line (spinner) on stderr while a slow step runs; nothing when not a terminal or ``quiet``."""
    import contextlib

    if quiet or not err_console.is_terminal:
        return contextlib.nullcontext()
    return err_console.status(message)
