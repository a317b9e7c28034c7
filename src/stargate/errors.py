"""The one error type bad input raises, so every front end can report it in one line."""

from __future__ import annotations

import math
import reprlib
from typing import Any

MAX_QUOTED_CHARS = 80      # a message quotes at most this much of a bad value
MAX_FIELD_CHARS = 120      # ... of a field name (a user's unknown key can be any length)
MAX_ALLOWED_CHARS = 400    # ... of the explanation (parser messages, lists of allowed keys)


class _Missing:
    def __repr__(self) -> str:
        return "(not given)"


MISSING = _Missing()   # the value of a required field that is absent

_CONTAINERS = reprlib.Repr()
_CONTAINERS.maxlevel, _CONTAINERS.maxlist, _CONTAINERS.maxtuple, _CONTAINERS.maxdict = 3, 8, 8, 4
_CONTAINERS.maxstring, _CONTAINERS.maxlong, _CONTAINERS.maxother = 60, 40, 60


def shorten(text: str, limit: int) -> str:
    """``text`` on one line (newlines and other control characters escaped), at most ``limit`` characters."""
    flat = "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)
    return flat if len(flat) <= limit else flat[: max(limit - 1, 1)] + "…"


def quote(value: Any, limit: int = MAX_QUOTED_CHARS) -> str:
    """A bad value as a message shows it: ``repr``-like, one line, at most ``limit`` characters."""
    if isinstance(value, dict):
        return "{...}"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "None"}[value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):  # bounded: a list nested 5,000 deep has no repr
        return shorten(_CONTAINERS.repr(value), limit)
    try:
        text = repr(value)
    except ValueError:  # an int too long for str() (sys.set_int_max_str_digits)
        text = f"<an integer of about {int(value.bit_length() * 0.30103):,} digits>"
    return shorten(text, limit)


class InputError(ValueError):
    """Bad input: names the field, the value given and what is allowed.

    ``str(err)`` is the one-line message the CLI prints (exit code 2): the value is quoted to at most
    :data:`MAX_QUOTED_CHARS` characters and every part is kept on one line.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{shorten(str(field), MAX_FIELD_CHARS)} = {quote(value)}: "
                         f"{shorten(str(allowed), MAX_ALLOWED_CHARS)}")


def require_range(field: str, value: float, low: float | None = None, high: float | None = None) -> float:
    """Return ``value`` or raise :class:`InputError` if it is NaN or outside ``[low, high]``."""
    if value != value:  # NaN
        raise InputError(field, value, "must be a number, not NaN")
    if low is not None and value < low:
        raise InputError(field, value, f"must be >= {low}")
    if high is not None and value > high:
        raise InputError(field, value, f"must be <= {high}")
    return value


def require_finite(field: str, value: float, low: float | None = None, high: float | None = None) -> float:
    """:func:`require_range`, and infinity refused too (a bound only below lets ``inf`` through)."""
    if isinstance(value, bool):
        raise InputError(field, value, "must be a number, not true/false")
    if isinstance(value, float) and math.isinf(value):
        raise InputError(field, value, "must be a finite number")
    return require_range(field, value, low, high)
