"""The one boundary every input file crosses: bytes, text, then TOML or YAML, each step bounded.

:func:`read_text` reads at most :data:`MAX_BYTES`, strips a UTF-8 byte-order mark and decodes UTF-8
(CRLF line ends are fine); :func:`parse_toml` and :func:`parse_yaml` give errors with line and column,
refuse nesting deeper than :data:`MAX_DEPTH`, and YAML duplicate keys and anchors/aliases that would
expand to more than :data:`MAX_YAML_NODES` nodes (an "alias bomb"). Every failure is one
:class:`~stargate.errors.InputError` line naming the file.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from stargate.errors import MISSING, InputError, shorten

MAX_BYTES = 10_000_000     # no scenario, claim, programme or validation file comes near this
MAX_DEPTH = 64             # nesting of tables/arrays/mappings
MAX_YAML_NODES = 10_000    # nodes a YAML document may expand to, aliases counted each time they are used
BOM = b"\xef\xbb\xbf"


def read_text(path: str | Path, what: str, allowed: str = "must be an existing file") -> str:
    """The UTF-8 text of ``path`` (a BOM stripped); ``what`` names the input in errors ("scenario file")."""
    path = Path(path)
    try:
        if not path.is_file():
            raise InputError(what, str(path), allowed)
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise InputError(what, str(path), f"cannot be read: {err.strerror or err}") from None
    if len(data) > MAX_BYTES:
        raise InputError(what, str(path), f"is larger than {MAX_BYTES:,} bytes")
    return decode(data, what, str(path))


def decode(data: bytes, what: str, name: str) -> str:
    """UTF-8 text of ``data`` without a leading BOM; an invalid byte is named with its offset."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(what, name, "is UTF-16 text: save it as UTF-8")
    skipped = len(BOM) if data.startswith(BOM) else 0
    try:
        text = data[skipped:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = err.start + skipped
        raise InputError(what, name, f"is not UTF-8 text: byte 0x{err.object[err.start]:02x} at byte offset "
                         f"{offset:,}") from None
    nul = data.find(b"\x00")
    if nul >= 0:  # valid UTF-8, but no text format allows it: UTF-16 without a byte-order mark, or binary
        raise InputError(what, name, f"is not a text file: NUL byte at byte offset {nul:,} (UTF-16 without a "
                         "byte-order mark? save it as UTF-8)")
    return text


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``data`` nests dicts/lists deeper than ``limit`` (iterative: no recursion)."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def parse_toml(text: str, what: str, name: str) -> dict[str, Any]:
    """Parse TOML; errors carry tomllib's line and column, nesting is bounded."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(what, name, f"is not valid TOML: {str(err).splitlines()[0]}") from None
    except RecursionError:
        raise InputError(what, name, f"is not valid TOML here: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:  # e.g. an integer of more than 4,300 digits
        raise InputError(what, name, f"is not valid TOML: {shorten(str(err), 120)}") from None
    if _too_deep(data):
        raise InputError(what, name, f"nests tables or arrays deeper than {MAX_DEPTH} levels")
    return data


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (instead of keeping the last value)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key",
                    key_node.start_mark) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {shorten(repr(key), 60)} (first at line "
                    f"{seen[key].start_mark.line + 1})", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes ``root`` expands to with every alias copied, computed on the shared graph (no expansion).

    Raises ``ValueError`` on a recursive anchor or a document nested deeper than :data:`MAX_DEPTH`.
    """
    sizes: dict[int, int] = {}
    # iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    open_nodes: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        if done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_YAML_NODES + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ValueError("an anchor refers to itself (a recursive structure)")
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        open_nodes.add(key)
        stack.append((node, depth, True))
        for child in children:
            if id(child) in open_nodes:
                raise ValueError("an anchor refers to itself (a recursive structure)")
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))
    return sizes[id(root)]


def _yaml_message(err: yaml.YAMLError) -> str:
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return shorten(problem, 200) + where
    return shorten(str(err).splitlines()[0] if str(err) else type(err).__name__, 200)


def parse_yaml(text: str, what: str, name: str) -> Any:
    """Parse one YAML document safely: no duplicate keys, bounded alias expansion and nesting."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = _expanded_size(node)
        except ValueError as err:
            raise InputError(what, name, f"is refused: {err}") from None
        if size > MAX_YAML_NODES:
            raise InputError(what, name, f"expands to more than {MAX_YAML_NODES:,} values (anchors and aliases "
                             "counted each time they are used)")
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise InputError(what, name, f"is not valid YAML: {_yaml_message(err)}") from None
    except RecursionError:
        raise InputError(what, name, f"is not valid YAML here: nested deeper than {MAX_DEPTH} levels") from None
    except InputError:
        raise
    except (ValueError, OverflowError) as err:  # a scalar the constructor cannot build, e.g. a 5,000-digit integer
        raise InputError(what, name, f"is not valid YAML: {shorten(str(err), 120)}") from None
    finally:
        loader.dispose()


FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}


def load_mapping(path: str | Path, what: str, formats: tuple[str, ...] = ("toml", "yaml")) -> dict[str, Any]:
    """Read and parse a TOML (or YAML) file whose top level is a mapping, by its suffix."""
    path = Path(path)
    suffixes = [s for s, f in FORMATS.items() if f in formats]
    kinds = ", ".join(suffixes[:-1]) + " or " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]
    text = read_text(path, what, f"must be an existing {kinds} file")
    kind = FORMATS.get(path.suffix.lower())
    if kind not in formats:
        raise InputError(what, str(path), f"must end in {kinds}")
    data = parse_toml(text, what, str(path)) if kind == "toml" else parse_yaml(text, what, str(path))
    if not isinstance(data, dict):
        raise InputError(what, str(path), "is empty" if data is None else "must contain a mapping of sections")
    if not data:
        raise InputError(what, str(path), "is empty")
    return data


_TYPE_MESSAGES = {
    "int_type": "must be an integer", "float_type": "must be a number", "string_type": "must be a string",
    "bool_type": "must be true or false", "dict_type": "must be a table of fields",
    "model_type": "must be a table of fields", "finite_number": "must be a finite number",
    "model_attributes_type": "must be a table of fields", "list_type": "must be a list",
    "int_from_float": "must be a whole number",
}


def pydantic_problem(error: dict[str, Any], unknown: str = "unknown field") -> tuple[Any, str]:
    """(value, what is allowed) of one pydantic error, worded for a user: bools, missing and unknown keys."""
    value, message, kind = error.get("input"), error["msg"], error["type"]
    if kind == "extra_forbidden":
        return value, unknown
    if kind == "missing":
        return MISSING, "required"
    if kind in _TYPE_MESSAGES:
        boolean = isinstance(value, bool) and kind != "bool_type"
        return value, message + (" (true/false is not a number)" if boolean else "")
    return value, message.removeprefix("Value error, ")


# --- cells of a CSV file (validation data): strict numbers, the same rules as the TOML/YAML fields -----------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_cell(field: str, cell: str | None, *, integer: bool = False, low: float | None = None,
               high: float | None = None, required: bool = False) -> float | int | None:
    """The number in one CSV cell, or ``None`` for an empty cell (unless ``required``).

    Strict like the scenario's fields: decimal notation only (no ``inf``, ``nan``, ``true``, ``0x10``,
    ``1_000`` or text), whole numbers where ``integer``, and within ``[low, high]``; any other cell is
    one :class:`InputError` naming ``field`` and quoting the cell.
    """
    text = "" if cell is None else str(cell).strip()
    if not text:
        if required:
            raise InputError(field, text, "must be given")
        return None
    if not _NUMBER.fullmatch(text):
        raise InputError(field, text, "must be a whole number" if integer else "must be a number")
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise InputError(field, text, "must be a finite number")
    if integer:
        if not value.is_integer():
            raise InputError(field, text, "must be a whole number")
        value = int(value)
    if low is not None and value < low:
        raise InputError(field, text, f"must be >= {low:g}")
    if high is not None and value > high:
        raise InputError(field, text, f"must be <= {high:g}")
    return value
