"""Writing results: JSON serialisation and atomic file writes (temp file + rename).

Only regular files are written: a directory, character device (``/dev/full``), FIFO or socket given
as an output path is refused, never replaced. The temp file beside the target is removed when the
write fails or the process gets SIGTERM/SIGINT/SIGHUP mid-write, and the result has the usual
permissions (``0666 & ~umask``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stargate.errors import InputError


def to_json(data: Any) -> str:
    """Serialise to JSON; NaN or infinity are refused rather than written as invalid JSON.

    A non-finite number in the results comes from an input at the edge of what the models handle (a
    catalog value set to 1e308, say): it is one :class:`InputError` naming where it is, not a traceback.
    """
    try:
        return json.dumps(data, indent=2, allow_nan=False, default=str)
    except ValueError as err:
        where = _non_finite(data)
        if where is None:
            raise
        path, value = where
        raise InputError(f"result {path}", value, "is not a finite number: an input (or --set value) is beyond "
                         "what the models handle; nothing written") from err


def _non_finite(data: Any) -> tuple[str, float] | None:
    """The dotted path and value of the first NaN or infinity in ``data`` (iterative walk), if any."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path or "(top level)", item
        if isinstance(item, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(item))))
    return None


def check_output_path(path: str | Path, what: str = "output file") -> Path:
    """``path`` if a regular file may be written there; else :class:`InputError` (one line)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise InputError(what, str(path), f"cannot be written: {err.strerror or err}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(what, str(path), "is a directory: give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        kind = ("a character device" if stat.S_ISCHR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
        raise InputError(what, str(path), f"is {kind}: results are written to regular files only")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise InputError(what, str(path), f"cannot be created: {parent} is a file, not a directory")
    return path


def check_output_dir(path: str | Path, what: str = "--out") -> Path:
    """``path`` if it is (or can become) a directory to write results into."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        mode = path.stat().st_mode
        kind = ("a file" if stat.S_ISREG(mode) else "a character device" if stat.S_ISCHR(mode)
                else "a FIFO" if stat.S_ISFIFO(mode) else "not a directory")
        raise InputError(what, str(path), f"is {kind}: give a directory to write results.json into")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(what, str(path), f"cannot be created: {parent} is a file, not a directory")
            break
    return path


_pending: set[str] = set()
_lock = threading.Lock()
_previous: dict[int, Any] = {}
_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGINT", None),
                             getattr(signal, "SIGHUP", None)) if s is not None)


def _cleanup_then_resignal(signum: int, frame: Any) -> None:
    for tmp in list(_pending):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _pending.clear()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _temp_removed_on_signals(tmp: str) -> Iterator[None]:
    """Remove ``tmp`` if a terminating signal arrives while it exists (main thread only)."""
    installed = False
    with _lock:
        _pending.add(tmp)
        if threading.current_thread() is threading.main_thread() and not _previous:
            for signum in _SIGNALS:
                try:
                    _previous[signum] = signal.signal(signum, _cleanup_then_resignal)
                    installed = True
                except (ValueError, OSError):
                    pass
    try:
        yield
    finally:
        with _lock:
            _pending.discard(tmp)
            if installed:
                for signum, previous in _previous.items():
                    with contextlib.suppress(ValueError, OSError):
                        signal.signal(signum, previous)
                _previous.clear()


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write ``text`` to ``path`` atomically: a reader sees the old file or the whole new one.

    Refuses anything but a regular file (or a new path) with :class:`InputError`.
    """
    path = check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with _temp_removed_on_signals(tmp):
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8") if isinstance(text, str) else text)
                handle.flush()
                os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
            check_output_path(path)  # a device or FIFO put there meanwhile is still not replaced
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
