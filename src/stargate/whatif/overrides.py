"""Overrides: ``cluster.count=100000``-style edits of a scenario, and of the catalog values a plan reads.

A dotted path names a scenario field (``cluster.accelerator``, ``facility.pue``, ``sources.x``) or a
catalog value (``catalog.costs.site.usd_per_mw``, ``catalog.reliability.restart.seconds``,
``catalog.energy.defaults.gas_usd_per_mmbtu``) or the step model's error factor on MFU
(``error.mfu_factor``). Values are TOML literals (``3e27``, ``true``, ``"h100-sxm"``); anything that is not
one is taken as a string; ``none`` removes the field (back to its default). The edited scenario is
validated like a file, and every error is an :class:`~stargate.errors.InputError` naming the dotted field.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from stargate.economics import cost_data
from stargate.errors import InputError
from stargate.goodput import reliability_data
from stargate.scenario import Scenario, scenario_from_dict
from stargate.supply.technologies import technology_catalog

REMOVE = "none"  # `--set facility.pue=none`: drop the field (its default applies)

# catalog.<name>.<section>.<key>: the lru_cached catalog dicts the stages read at each call
CATALOGS: dict[str, Callable[[], dict[str, Any]]] = {
    "costs": cost_data,                # stargate/catalog/costs.toml (economics)
    "reliability": reliability_data,   # stargate/catalog/reliability.toml (goodput)
    "energy": technology_catalog,      # stargate/catalog/energy_technologies.toml (supply)
}
MAX_CATALOG_VALUE = 1e15  # above every catalog value x 1e6 ($/MW 1e7, $/GPU 1e5): no overflow downstream
ERROR_FIELDS = {"error.mfu_factor": (0.05, 20.0)}  # achieved MFU / the step model's prediction [-]


def parse_value(text: str) -> Any:
    """A TOML literal (number, boolean, quoted string, array, inline table), else the text as a string."""
    text = text.strip()
    if text.lower() == REMOVE:
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(items: Iterable[str] | Mapping[str, Any]) -> dict[str, Any]:
    """``["a.b=1", ...]`` (or a mapping, values taken as given) as ``{"a.b": 1, ...}``, in order."""
    if isinstance(items, Mapping):
        return dict(items)
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError("--set", item, "must be FIELD=VALUE with a dotted field, e.g. cluster.count=100000")
        out[key.strip()] = parse_value(value)
    return out


def split_overrides(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scenario fields, catalog and error fields) of a mapping of dotted paths."""
    scenario, other = {}, {}
    for path, value in values.items():
        (other if path.startswith(("catalog.", "error.")) else scenario)[path] = value
    return scenario, other


def apply_overrides(scenario: Scenario, items: Iterable[str] | Mapping[str, Any]) -> Scenario:
    """``scenario`` with each ``field=value`` applied, validated again (:func:`scenario_from_dict`).

    Only scenario fields are allowed here: catalog and error fields go to :func:`catalog_patched`.
    """
    values = parse_assignments(items)
    if not values:
        return scenario
    data = scenario.model_dump(mode="json", exclude_none=True)
    for path, value in values.items():
        if path.startswith(("catalog.", "error.")):
            raise InputError(path, value, "is not a scenario field (catalog and error fields apply to sweeps, "
                             "comparisons and uncertainty, not to one scenario file)")
        _check_path(path, value)
        _set(data, path.split("."), value)
    try:
        return scenario_from_dict(data)
    except InputError as err:
        named = next((p for p in values if err.field == p or err.field.startswith(p + ".")), None)
        if named is not None:
            raise
        # a cross-field check (e.g. "exactly one of run_days, training_flop, params_b"): name what was set
        path = next((p for p in values if p.startswith(err.field + ".") or err.field == "scenario"),
                    next(iter(values)))
        raise InputError(path, values[path], f"{err.field}: {err.allowed}") from None


def _check_path(path: str, value: Any) -> None:
    model: type[BaseModel] | None = Scenario
    parts = path.split(".")
    for i, part in enumerate(parts):
        if model is None:  # inside a free mapping (sources)
            return
        fields = model.model_fields
        if part not in fields:
            where = ".".join(parts[:i]) or "the scenario"
            raise InputError(path, value, f"unknown field; {where} has {', '.join(fields)}")
        annotation = fields[part].annotation
        sub = _model_in(annotation)
        if i < len(parts) - 1 and sub is None and not _is_mapping(annotation):
            raise InputError(path, value, f"{'.'.join(parts[:i + 1])} is a value, not a section")
        model = sub
    if model is not None and value is not None and not isinstance(value, dict):
        raise InputError(path, value, f"is a section: set one of its fields ({', '.join(model.model_fields)})")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _is_mapping(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is dict


def _set(data: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    if value is None:
        data.pop(parts[-1], None)
    else:
        data[parts[-1]] = value


def check_catalog_path(path: str, value: Any) -> None:
    """Raise :class:`InputError` unless ``path`` is a numeric catalog value (or an error field) and ``value`` fits."""
    if path in ERROR_FIELDS:
        low, high = ERROR_FIELDS[path]
        if not _is_number(value) or not low <= value <= high:
            raise InputError(path, value, f"must be a number in [{low}, {high}]")
        return
    parts = path.split(".")
    if parts[0] != "catalog" or len(parts) < 3 or parts[1] not in CATALOGS:
        raise InputError(path, value, f"unknown field; catalog fields are catalog.<{'|'.join(CATALOGS)}>.<section>."
                         f"<key>, error fields {', '.join(ERROR_FIELDS)}")
    node: Any = CATALOGS[parts[1]]()
    for part in parts[2:]:
        if not isinstance(node, dict) or part not in node:
            raise InputError(path, value, f"unknown catalog value ({part!r} not in {'.'.join(parts[:-1])})")
        node = node[part]
    if not _is_number(node):
        raise InputError(path, value, "is not a numeric catalog value")
    if not _is_number(value) or not 0 <= value <= MAX_CATALOG_VALUE:
        raise InputError(path, value, f"must be a finite number in [0, {MAX_CATALOG_VALUE:.0e}]")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf")  # finite


@contextlib.contextmanager
def catalog_patched(values: Mapping[str, Any]) -> Iterator[float]:
    """Set catalog values for the duration of the block (restored after); yields the MFU error factor.

    The catalogs are cached dicts the stages read at every call, so a patch applies to every stage.
    Not thread-safe: sweeps run one scenario at a time per process.
    """
    saved: list[tuple[dict[str, Any], str, Any]] = []
    factor = 1.0
    try:
        for path, value in values.items():
            check_catalog_path(path, value)
            if path == "error.mfu_factor":
                factor = float(value)
                continue
            parts = path.split(".")
            node = CATALOGS[parts[1]]()
            for part in parts[2:-1]:
                node = node[part]
            saved.append((node, parts[-1], node[parts[-1]]))
            node[parts[-1]] = value
        yield factor
    finally:
        for node, key, old in reversed(saved):
            node[key] = old
