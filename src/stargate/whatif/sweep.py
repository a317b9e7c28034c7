"""Sweeps: a base scenario and a design (grid, random or Latin hypercube) over dotted fields, one row per
scenario with its inputs and every headline figure, run serially or on Dask, written chunk by chunk.

Sweep file (TOML)::

    scenario = "site.toml"          # optional; default: the embedded default scenario
    seed = 0
    chunk_size = 25                 # scenarios per chunk (one Parquet file each)
    [design]
    method = "lhs"                  # grid | random | lhs
    samples = 200                   # random / lhs
    [fields]
    "cluster.count" = [100000, 200000, 400000]             # a list: grid values, or drawn from
    "facility.pue" = { low = 1.1, high = 1.4 }             # a range: uniform (random, lhs) [grid: lists only]
    "catalog.costs.site.usd_per_mw" = { low = 10e6, high = 15e6 }

Chunk files are ``<out>/chunk-<design hash>-<index>.parquet``; ``resume`` skips those already written,
so a killed sweep loses at most the chunks in flight. The table depends only on the design and seed:
each chunk is a pure function of its rows, whatever worker runs it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stargate.errors import InputError
from stargate.performance import software_month
from stargate.scenario import Scenario, default_scenario, load_scenario
from stargate.whatif.headline import cached_train, evaluate, seed_training_cache
from stargate.whatif.overrides import apply_overrides, check_catalog_path, split_overrides

METHODS = ("grid", "random", "lhs")
SWEEP_KEYS = {"scenario", "seed", "chunk_size", "design", "fields"}


@dataclass(frozen=True)
class Design:
    """A validated sweep: the base scenario, the rows of field values, and how they are chunked."""

    base: Scenario
    rows: pd.DataFrame      # one column per dotted field, one row per scenario
    chunk_size: int
    digest: str             # hash of base + design + seed: names the chunk files

    @property
    def chunks(self) -> list[range]:
        n = len(self.rows)
        return [range(i, min(i + self.chunk_size, n)) for i in range(0, n, self.chunk_size)]

    def chunk_path(self, out: Path, index: int) -> Path:
        return out / f"chunk-{self.digest}-{index:05d}.parquet"


def load_sweep(path: str | Path) -> Design:
    """Read and validate a sweep file (see the module doc); errors are one-line InputErrors."""
    path = Path(path)
    if not path.is_file():
        raise InputError("sweep file", str(path), "must be an existing .toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError("sweep file", str(path), f"is not valid TOML: {str(err).splitlines()[0]}") from None
    base = data.get("scenario")
    if isinstance(base, str) and not Path(base).is_absolute():
        data["scenario"] = str(path.parent / base)
    return make_design(data)


def make_design(data: dict[str, Any]) -> Design:
    """A :class:`Design` from a sweep mapping (the sweep file's content; ``scenario`` may be a Scenario)."""
    if unknown := set(data) - SWEEP_KEYS:
        key = sorted(unknown)[0]
        raise InputError(key, data[key], f"unknown sweep key; one of {', '.join(sorted(SWEEP_KEYS))}")
    source = data.get("scenario")
    base = source if isinstance(source, Scenario) else load_scenario(source) if source else default_scenario()
    seed, chunk_size = data.get("seed", 0), data.get("chunk_size", 25)
    if not isinstance(seed, int) or seed < 0:
        raise InputError("seed", seed, "must be an integer >= 0")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError("chunk_size", chunk_size, "must be an integer >= 1")
    design, fields = data.get("design", {}), data.get("fields", {})
    method, samples = design.get("method", "grid"), design.get("samples")
    if method not in METHODS:
        raise InputError("design.method", method, f"one of {', '.join(METHODS)}")
    if not fields:
        raise InputError("fields", fields, "give at least one dotted field with a list or a {low, high} range")
    if method != "grid" and (not isinstance(samples, int) or samples < 1):
        raise InputError("design.samples", samples, f"an integer >= 1 for method = {method!r}")
    rows = _rows(method, fields, samples, seed)
    _validate(base, rows)
    # the software month too: a default of "today" moves, and a resume in another month must not reuse chunks
    software = software_month(base.workload.software_date)[0]
    canon = json.dumps([base.model_dump(mode="json"), software, method, samples, seed, chunk_size, fields],
                       sort_keys=True, default=str)
    return Design(base, rows, chunk_size, hashlib.sha256(canon.encode()).hexdigest()[:12])


def _rows(method: str, fields: dict[str, Any], samples: int | None, seed: int) -> pd.DataFrame:
    for name, spec in fields.items():
        ok = (isinstance(spec, list) and spec) or (isinstance(spec, dict) and set(spec) == {"low", "high"}
                                                   and all(isinstance(spec[k], (int, float)) for k in spec)
                                                   and spec["low"] <= spec["high"])
        if not ok:
            raise InputError(f"fields.{name}", spec, "a non-empty list of values or { low = a, high = b }, a <= b")
        if method == "grid" and isinstance(spec, dict):
            raise InputError(f"fields.{name}", spec, "a grid takes lists of values, not ranges")
    names = list(fields)
    if method == "grid":
        return pd.DataFrame(list(itertools.product(*(fields[n] for n in names))), columns=names)
    rng = np.random.default_rng(seed)
    if method == "lhs":  # one stratum per sample in each field, strata shuffled independently
        unit = (np.stack([rng.permutation(samples) for _ in names], axis=1) + rng.random((samples, len(names))))
        unit /= samples
    else:
        unit = rng.random((samples, len(names)))
    columns = {}
    for j, name in enumerate(names):
        spec = fields[name]
        if isinstance(spec, list):
            columns[name] = [spec[min(int(u * len(spec)), len(spec) - 1)] for u in unit[:, j]]
        else:
            values = spec["low"] + unit[:, j] * (spec["high"] - spec["low"])
            columns[name] = values.round().astype(int) if all(isinstance(spec[k], int) for k in spec) else values
    return pd.DataFrame(columns)


def _validate(base: Scenario, rows: pd.DataFrame) -> None:
    """Every row must give a valid scenario: a bad field or value fails before anything runs."""
    for row in rows.to_dict(orient="records"):
        fields, extras = split_overrides(plain_row(row))
        apply_overrides(base, fields)
        for path, value in extras.items():
            check_catalog_path(path, value)


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of a design with numpy scalars as Python numbers (what overrides and Parquet expect)."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}


def run_chunk(payload: tuple[str, Any], rows: list[dict[str, Any]], first: int) -> pd.DataFrame:
    """The table of one chunk: its inputs (``scenario`` = row index) and every headline figure.

    ``payload`` = (base scenario JSON, its training run or None). A pure function of its arguments (a
    Dask task); the catalogs and weather load once per process, the base training run is computed once
    by the driver (:func:`_warm_training`) instead of once per worker.
    """
    base_json, warm = payload
    base = Scenario.model_validate_json(base_json)
    if warm is not None:
        seed_training_cache(base, warm)
    out = []
    for i, row in enumerate(rows):
        fields, extras = split_overrides(row)
        out.append({"scenario": first + i, **row, **evaluate(apply_overrides(base, fields), extras)})
    return pd.DataFrame(out)


# fields that leave the training stage unchanged (see stargate.whatif.headline._training_key)
_TRAINING_PREFIXES = ("workload.", "cluster.", "performance.", "sources.", "catalog.reliability.")


def _warm_training(design: Design) -> Any:
    """The base scenario's training run when some row reuses it (no training field swept), else None."""
    swept = [f for f in design.rows.columns if f.startswith(_TRAINING_PREFIXES) and f != "cluster.price_usd_per_gpu"]
    return None if swept else cached_train(design.base)


def _load_site(scenario: Scenario) -> None:
    from stargate.weather import site_profiles

    site_profiles(scenario.site.lat_deg, scenario.site.lon_deg, scenario.supply.weather_source)


def run_sweep(design: Design, out: Path | None = None, *, resume: bool = False, serial: bool = False,
              scheduler: str | None = None, workers: int | None = None,
              progress: Callable[[int, int], None] | None = None, keep: bool = True) -> pd.DataFrame | None:
    """Run ``design``: each chunk to ``out`` as Parquet (when given), then ``out/sweep.csv``.

    ``serial``: in this process; else on Dask (``scheduler`` address, or a LocalCluster of ``workers``
    processes, default one per core). ``resume`` skips chunk files already in ``out``. ``progress(done,
    total)`` is called per chunk. ``keep=False`` holds no results in memory (returns None; needs ``out``).
    """
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    base_json = design.base.model_dump_json()
    todo, tables = [], {}
    for index, rows in enumerate(design.chunks):
        if resume and out is not None and design.chunk_path(out, index).is_file():
            if keep:
                tables[index] = pd.read_parquet(design.chunk_path(out, index))
            continue
        todo.append((index, [plain_row(r) for r in design.rows.iloc[rows.start:rows.stop].to_dict(orient="records")],
                     rows.start))
    total, done = len(design.chunks), len(design.chunks) - len(todo)
    if progress:
        progress(done, total)
    payload = (base_json, _warm_training(design) if todo else None)
    if todo and not serial and scheduler is None:
        _load_site(design.base)  # before the local workers fork: they inherit it
    for index, table in execute_chunks(run_chunk, payload, todo, serial, scheduler, workers):
        if out is not None:
            _write_parquet(table, design.chunk_path(out, index))
        if keep:
            tables[index] = table
        done += 1
        if progress:
            progress(done, total)
    if out is not None:
        _write_csv(design, out)
    return pd.concat([tables[i] for i in sorted(tables)], ignore_index=True) if keep else None


def execute_chunks(task: Callable[[Any, list, int], pd.DataFrame], payload: Any, todo: list[tuple[int, list, int]],
                   serial: bool, scheduler: str | None, workers: int | None) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(index, task(payload, rows, first))`` for each chunk of ``todo``, as each completes.

    ``serial``: in this process; else on Dask (``scheduler`` address, or a LocalCluster of ``workers``
    processes). ``payload`` is scattered once to the workers, not shipped with every chunk.
    """
    if serial or not todo:
        for index, rows, first in todo:
            yield index, task(payload, rows, first)
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        import dask

        # Linux: fork the workers from this process, so they start with its imports, catalogs, weather and
        # training cache (~0.5 s instead of ~5-15 s of imports and weather per worker with "spawn"); a
        # method set in the user's Dask config is kept.
        method = dask.config.get("distributed.worker.multiprocessing-method", "spawn")
        if sys.platform == "linux" and method == "spawn":
            method = "fork"
        with dask.config.set({"distributed.worker.multiprocessing-method": method}):
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        shared = client.scatter(payload, broadcast=True)
        futures = {client.submit(task, shared, rows, first, pure=False): index for index, rows, first in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    table.to_parquet(tmp, index=False)
    tmp.replace(path)  # a chunk file exists only once complete


def _write_csv(design: Design, out: Path) -> None:
    path, tmp = out / "sweep.csv", out / "sweep.csv.tmp"
    with tmp.open("w", encoding="utf-8") as handle:
        for index in range(len(design.chunks)):
            pd.read_parquet(design.chunk_path(out, index)).to_csv(handle, index=False, header=index == 0)
    tmp.replace(path)


def sweep(spec: str | Path | dict[str, Any], out: str | Path | None = None, *, serial: bool = True,
          resume: bool = False, scheduler: str | None = None, workers: int | None = None) -> pd.DataFrame:
    """Run a sweep (a sweep file's path or its mapping) and return its table, one row per scenario."""
    design = load_sweep(spec) if isinstance(spec, (str, Path)) else make_design(spec)
    table = run_sweep(design, Path(out) if out is not None else None, resume=resume, serial=serial,
                      scheduler=scheduler, workers=workers)
    assert table is not None
    return table
