"""The one error type bad input raises, so every front end can report it in one line."""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input: names the field, the value given and what is allowed.

    ``str(err)`` is the one-line message the CLI prints (exit code 2).
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r}: {allowed}")


def require_range(field: str, value: float, low: float | None = None, high: float | None = None) -> float:
    """Return ``value`` or raise :class:`InputError` if it is NaN or outside ``[low, high]``."""
    if value != value:  # NaN
        raise InputError(field, value, "must be a number, not NaN")
    if low is not None and value < low:
        raise InputError(field, value, f"must be >= {low}")
    if high is not None and value > high:
        raise InputError(field, value, f"must be <= {high}")
    return value
