"""Hostile and unusual input through the real CLI (issue 14): a corpus of cases, and hypothesis fuzzing.

Each corpus case runs one command of the real entry point (``stargate.cli.app`` in process, or a fresh
``python`` process for alias bombs, hangs and cases that leave state behind) and asserts what a user
must get: exit code 0 or 2 (the one expected), no traceback, at most five short lines on stderr on
error, no output file written (and an existing one left as it was) on error, bounded time and, for
the bombs, bounded memory. ``python tests/test_hostile_inputs.py`` runs the corpus and prints the count
of cases tried and handled well, by class. The inputs are in ``tests/hostile/`` (``make_corpus.py``
writes them).
"""

from __future__ import annotations

import collections
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = Path(__file__).parent / "hostile"
TIME_LIMIT_S = 60
MEMORY_LIMIT_BYTES = 1536 * 2**20   # a bomb must not grow the process past this (a plan run takes ~0.4 GB)
MAX_ERROR_LINES = 5
MAX_ERROR_CHARS = 1200               # the whole error output: a value is quoted to ~80 characters
FAST_PLAN = ("--uncertainty", "0")   # no uncertainty bands: the corpus tests input handling, not the bands
FAST_ROADMAP = ("--trajectories", "200")


@dataclass(frozen=True)
class Case:
    """One hostile input: the command, what it must do, and where it must not write."""

    id: str
    klass: str
    args: tuple[str, ...]              # {h} = tests/hostile, {tmp} = a fresh directory for the case
    code: int                          # the exit code a user must get: 0 (handled) or 2 (refused)
    says: str = ""                     # on stderr when code is 2, on stdout when 0 (shown as given)
    written: tuple[str, ...] = ()      # files (under {tmp}) a successful run writes
    fresh_process: bool = False        # bombs (memory measured), hangs and cases that poison caches
    time_limit: float = TIME_LIMIT_S
    xfail: str = ""                    # a known defect outside this change's files (strict: fails once fixed)


def _cases() -> list[Case]:
    cases: list[Case] = []

    def add(id: str, klass: str, *args: str, code: int, says: str = "", **extra: Any) -> None:
        cases.append(Case(id, klass, tuple(args), code, says, **extra))

    def plan(id: str, klass: str, name: str, code: int, says: str = "", **extra: Any) -> None:
        add(id, klass, "plan", f"{{h}}/scenario/{name}", *FAST_PLAN, "--out", "{tmp}/out", code=code, says=says,
            written=("out/results.json",) if code == 0 else (), **extra)

    # -- baselines: the unmutated inputs every other case changes run
    plan("baseline-scenario-toml", "baseline", "base.toml", 0, "hostile-base")
    plan("baseline-scenario-yaml", "baseline", "base.yaml", 0, "hostile-base")
    add("baseline-claims", "baseline", "claims", "--file", "{h}/claims/base.toml", "--json", code=0, says='"C7"')
    add("baseline-programme", "baseline", "roadmap", "{h}/programme/base.toml", *FAST_ROADMAP, "--json", code=0)
    add("baseline-csv", "baseline", "validate", "{h}/csv/two_rows.csv", code=0, says="predicted 2/2")

    # -- markup-looking text: shown as given, never parsed as rich markup
    plan("markup-scenario-toml", "markup", "markup.toml", 0, "[/x] [bold]boom[/bold]")
    plan("markup-scenario-yaml", "markup", "markup.yaml", 0, "[/x] [bold]boom[/bold]")
    add("markup-scenario-json", "markup", "plan", "{h}/scenario/markup.toml", *FAST_PLAN, "--json", code=0,
        says="[/site] [blink]Abilene")
    plan("unicode-names", "markup", "unicode.toml", 0, "Ābilene ☢")
    add("markup-out-path", "markup", "plan", "{h}/scenario/base.toml", *FAST_PLAN, "--out", "{tmp}/[bold]x[/bold]",
        code=0, written=("[bold]x[/bold]/results.json",))
    add("markup-set-name", "markup", "plan", "{h}/scenario/base.toml", *FAST_PLAN, "--set", 'name="[/set]"', code=0,
        says="[/set]")
    add("markup-claims", "markup", "claims", "--file", "{h}/claims/markup.toml", code=0, says="[/x]")
    add("markup-claims-markdown", "markup", "claims", "--file", "{h}/claims/markup.toml", "--markdown", code=0,
        says="[bold]A cluster[/bold]")
    add("markup-claims-json", "markup", "claims", "--file", "{h}/claims/markup.toml", "--json", code=0,
        says="[red]C5")
    add("markup-programme", "markup", "roadmap", "{h}/programme/markup.toml", *FAST_ROADMAP, code=0,
        says="[/x] [bold]programme")
    add("markup-programme-csv-path", "markup", "roadmap", "{h}/programme/markup.toml", *FAST_ROADMAP, "--csv",
        "{tmp}/[red]fan[/red].csv", code=0, written=("[red]fan[/red].csv",))
    add("markup-csv-ids", "markup", "validate", "{h}/csv/markup.csv", code=0, says="[/x] [bold]row")
    add("markup-csv-ids-json", "markup", "validate", "{h}/csv/markup.csv", "--json", code=0, says="[/x] [bold]row")
    add("markup-accelerator", "markup", "search", "--model", "gpt3-175b", "--accelerator", "[/x]", "--gpus", "64",
        code=2, says="'[/x]'")
    add("markup-unknown-accelerator", "markup", "plan", "{h}/scenario/unknown_accelerator.toml", *FAST_PLAN,
        code=2, says="cluster.accelerator = '[/x]'")
    add("markup-supply-mix", "markup", "supply", "{h}/scenario/base.toml", "--mix", "[/x]", code=2, says="[/x]")

    # -- bounded parsing: alias bombs, recursion, deep nesting, huge integers, long keys and values
    plan("bomb-billion-laughs", "bounded parsing", "bomb_big.yaml", 2, "expands to more than", fresh_process=True)
    for name in ("bomb_small.yaml", "bomb_mapping.yaml"):
        plan(f"bomb-{name}", "bounded parsing", name, 2, "expands to more than")
    plan("bomb-recursive", "bounded parsing", "bomb_recursive.yaml", 2, "refers to itself")
    for name in ("deep_array.toml", "deep_table.toml", "deep_dotted.toml", "deep_flow.yaml", "deep_block.yaml"):
        plan(f"deep-{name}", "bounded parsing", name, 2, "deeper than 64")
    plan("huge-int-toml", "bounded parsing", "huge_int.toml", 2, "4300 digits")
    plan("huge-int-yaml", "bounded parsing", "huge_int.yaml", 2, "4300 digits")
    plan("long-key", "bounded parsing", "long_key.toml", 2, "unknown key")
    plan("long-value", "bounded parsing", "long_value.toml", 2, "unknown accelerator")
    plan("control-chars", "bounded parsing", "control_chars.toml", 2, "\\x1b[31m\\r\\nFAKE")
    add("deep-claims", "bounded parsing", "claims", "--file", "{h}/claims/deep.toml", code=2, says="deeper than")
    add("deep-programme", "bounded parsing", "roadmap", "{h}/programme/deep.toml", code=2, says="deeper than")

    # -- strict types: booleans and text are not numbers
    plan("bool-count-toml", "bool/text as number", "bool_count.toml", 2, "cluster.count = true")
    plan("bool-count-yaml-yes", "bool/text as number", "bool_yes.yaml", 2, "cluster.count = true")
    plan("bool-mfu", "bool/text as number", "bool_mfu.toml", 2, "performance.mfu = false")
    plan("bool-days-yaml-on", "bool/text as number", "bool_days.yaml", 2, "supply.representative_days = true")
    plan("text-number-toml", "bool/text as number", "text_number.toml", 2, "cluster.count = '1024'")
    plan("text-number-yaml", "bool/text as number", "text_number.yaml", 2, "cluster.count = '1,024'")
    plan("float-count", "bool/text as number", "float_count.toml", 2, "cluster.count = 1024.5")
    plan("hex-seq-len-yaml", "bool/text as number", "hex_seq.yaml", 0, "hostile-base")  # YAML 1.1: 0x800 is 2048
    plan("null-value-yaml", "bool/text as number", "null_value.yaml", 2, "cluster.count = None")
    plan("null-section-yaml", "bool/text as number", "null_section.yaml", 2, "cluster = None")
    plan("list-section", "bool/text as number", "list_section.toml", 2, "facility = [1, 2]")
    add("bool-claim-count", "bool/text as number", "claims", "--file", "{h}/claims/count_true.toml", code=2,
        says="claim C1.count = true")
    add("text-claim-count", "bool/text as number", "claims", "--file", "{h}/claims/text_number.toml", code=2,
        says="claim C5.count = '64000'")
    add("bool-programme-gpus", "bool/text as number", "roadmap", "{h}/programme/gpus_per_mw_true.toml", code=2,
        says="gpus_per_mw = true")
    add("bool-programme-buildings", "bool/text as number", "roadmap", "{h}/programme/buildings_true.toml", code=2,
        says="buildings = true")
    add("text-programme-year", "bool/text as number", "roadmap", "{h}/programme/text_number.toml", code=2,
        says="start_year = '2025'")
    add("bool-set", "bool/text as number", "plan", "{h}/scenario/base.toml", *FAST_PLAN, "--set", "cluster.count=true",
        code=2, says="cluster.count = true")

    # -- duplicate keys: refused, never "the last one wins"
    plan("dup-key-yaml", "duplicate keys", "dup_key.yaml", 2, "duplicate key 'count'")
    plan("dup-section-yaml", "duplicate keys", "dup_section.yaml", 2, "duplicate key 'cluster'")
    plan("dup-key-toml", "duplicate keys", "dup_key.toml", 2, "not valid TOML")
    plan("dup-section-toml", "duplicate keys", "dup_section.toml", 2, "not valid TOML")
    add("dup-key-claims", "duplicate keys", "claims", "--file", "{h}/claims/dup_key.toml", code=2,
        says="not valid TOML")
    add("dup-key-programme", "duplicate keys", "roadmap", "{h}/programme/dup_key.toml", code=2,
        says="not valid TOML")

    # -- non-finite and extreme numbers, in fields bounded only below too
    for name, says in [("inf_pue.toml", "facility.pue = inf"), ("nan_pue.toml", "facility.pue = nan"),
                       ("neg_inf_lat.toml", "site.lat_deg = -inf"), ("inf_tokens.toml", "training_tokens = inf"),
                       ("inf_yaml.yaml", "facility.pue = inf"), ("nan_yaml.yaml", "performance.mfu = nan"),
                       ("e308_count.toml", "cluster.count = 1e+308"), ("e308_days.toml", "workload.run_days = 1e+308"),
                       ("e308_price.toml", "price_usd_per_gpu = 1e+308"),
                       ("e308_tokens.yaml", "training_tokens = 1e+308"), ("neg_count.toml", "cluster.count = -1024"),
                       ("zero_count.toml", "cluster.count = 0"), ("tiny_flop.toml", "workload.training_flop")]:
        plan(f"number-{name}", "non-finite/extreme numbers", name, 2, says)
    for name, says in [("count_huge.toml", "claim C1.count = 1000000000000000000000000000000"),
                       ("count_huge_training.toml", "claim C2.count"),
                       ("flop_inf.toml", "claim C1.claimed_flop_s = inf"),
                       ("flop_e308.toml", "claim C1.claimed_flop_s = 1e+308"), ("mw_nan.toml", "claimed_mw = nan"),
                       ("gpus_tiny.toml", "claim C4.campus_gpus = 5e-324"),
                       ("search_wh_tiny.toml", "claim C9.search_wh = 5e-324"),
                       ("query_wh_e308.toml", "claim C9.published_query_wh.0 = 1e+308"),
                       ("query_wh_negative.toml", "claim C9.published_query_wh.0 = -1.0"),
                       ("usd_zero.toml", "claim C10.claimed_usd.0 = 0.0"), ("gw_tiny.toml", "programme_gw.0 = 5e-324"),
                       ("price_per_rack_negative.toml", "published_usd_per_rack.x = -1.0"),
                       ("year_huge.toml", "claim C8.claim_year = 1000000000000000000"),
                       ("years_reversed.toml", "update_projection_year must be after update_base_year")]:
        add(f"claims-{name}", "non-finite/extreme numbers", "claims", "--file", f"{{h}}/claims/{name}", "--json",
            code=2, says=says)
    for name, says in [("beta_inf.toml", "risks.chip_supply_a = inf"), ("beta_e308.toml", "chip_supply_b = 1e+308"),
                       ("beta_tiny.toml", "chip_supply_a = 5e-324"), ("median_tiny.toml", "construction_median"),
                       ("mw_nan.toml", "campus 'Abilene'.phases.0.mw = nan"), ("mw_tiny.toml", "mw = 5e-324"),
                       ("year_huge.toml", "end_year = 1000000000000000000000000000000")]:
        add(f"programme-{name}", "non-finite/extreme numbers", "roadmap", f"{{h}}/programme/{name}", *FAST_ROADMAP,
            "--csv", "{tmp}/fan.csv", code=2, says=says)
    for option, value, says in [("--pue", "inf", "--pue = inf"), ("--pue", "nan", "--pue = nan"),
                                ("--pue", "1e308", "--pue = 1e+308")]:
        add(f"query-energy{option}={value}", "non-finite/extreme numbers", "query-energy", "--model",
            "llama-3.1-405b", "--accelerator", "h100-sxm", option, value, code=2, says=says)
    for option, value, says in [("--run-flop", "inf", "training_flop = inf"), ("--run-flop", "nan", "= nan"),
                                ("--run-flop", "1e308", "training_flop = 1e+308"),
                                ("--largest-run-days", "inf", "run_days = inf"),
                                ("--largest-run-days", "0", "run_days = 0.0")]:
        add(f"plan{option}={value}", "non-finite/extreme numbers", "plan", "{h}/scenario/base.toml", *FAST_PLAN,
            option, value, "--out", "{tmp}/out", code=2, says=says)
    for option, value, says in [("--co2-price", "inf", "co2_price_usd_per_t = inf"),
                                ("--co2-price", "nan", "co2_price_usd_per_t = nan"),
                                ("--cfe-share", "nan", "cfe_share = nan")]:
        add(f"supply{option}={value}", "non-finite/extreme numbers", "supply", "{h}/scenario/base.toml", option,
            value, code=2, says=says)
    for value in ("inf", "nan"):
        add(f"set-catalog-{value}", "non-finite/extreme numbers", "plan", "{h}/scenario/base.toml", *FAST_PLAN,
            "--set", f"catalog.costs.site.usd_per_mw={value}", "--out", "{tmp}/out", code=2,
            says="catalog.costs.site.usd_per_mw")
    for value in ("1e300", "1e308"):  # catalog overrides are bounded: refused before any stage overflows
        add(f"set-catalog-{value}", "non-finite/extreme numbers", "plan", "{h}/scenario/base.toml", *FAST_PLAN,
            "--set", f"catalog.costs.site.usd_per_mw={value}", "--json", code=2, says="must be a finite number in",
            fresh_process=True)

    # -- validation CSV cells: a bad cell is the row's reason (named), never a default or a crash
    for name, says in [("seq_len_zero", "seq_len = '0'"), ("seq_len_inf", "seq_len = 'inf'"),
                       ("seq_len_nan", "seq_len = 'nan'"), ("seq_len_text", "seq_len = 'abc'"),
                       ("seq_len_empty", "seq_len = ''"), ("seq_len_fraction", "seq_len = '2.5'"),
                       ("seq_len_bool", "seq_len = 'true'"), ("value_inf", "value = 'inf'"),
                       ("value_empty", "value = ''"), ("value_overflow", "value = '1e400'"),
                       ("value_negative", "value = '-1'"), ("n_accel_nan", "n_accel = 'nan'"),
                       ("n_accel_zero", "n_accel = '0'"), ("tp_zero", "tp = '0'"), ("tp_fraction", "tp = '1.5'"),
                       ("global_batch_seqs_text", "global_batch_seqs = 'abc'"), ("params_b_inf", "params_b = 'inf'"),
                       ("metric_markup", "metric = '[/x]'"), ("accelerator_markup", "accelerator = '[/x]'"),
                       ("date_bad", "date = '2021-13'")]:
        add(f"csv-{name}", "CSV cells", "validate", f"{{h}}/csv/{name}.csv", "--json", code=0, says=says)
    add("csv-layers-empty", "CSV cells", "validate", "{h}/csv/layers_empty.csv", "--json", code=0,
        says="shape not published")
    add("calibrate-no-usable-row", "CSV cells", "calibrate", "{h}/csv/seq_len_zero.csv", "--out", "{tmp}/cal.toml",
        code=2, says="no usable row")
    add("calibrate-header-only", "CSV cells", "calibrate", "{h}/csv/header_only.csv", "--out", "{tmp}/cal.toml",
        code=2, says="no usable row")
    for col in ("layers", "seq_len", "vocab", "global_batch_seqs"):
        add(f"csv-{col}-1e308", "CSV cells", "validate", f"{{h}}/csv/{col}_e308.csv", "--json", code=0,
            says=f"{col} = '1e308'")
    add("csv-n_accel-1e308", "CSV cells", "validate", "{h}/csv/n_accel_e308.csv", "--json", code=0,
        says="n_accel = '1e308'", fresh_process=True, time_limit=15)
    add("csv-ok", "CSV cells", "validate", "{h}/csv/ok.csv", code=0, says="predicted 1/1")
    add("csv-short-row", "CSV cells", "validate", "{h}/csv/short_row.csv", "--json", code=0, says="value = ''")

    # -- encodings and line ends: BOM and CRLF work; other encodings are one line saying so
    plan("bom-toml", "encoding", "bom.toml", 0, "hostile-base")
    plan("crlf-toml", "encoding", "crlf.toml", 0, "hostile-base")
    plan("bom-crlf-yaml", "encoding", "bom_crlf.yaml", 0, "hostile-base")
    plan("cr-only-toml", "encoding", "cr_only.toml", 2, "not valid TOML")
    plan("latin1-toml", "encoding", "latin1.toml", 2, "is not UTF-8 text: byte 0xef at byte offset 10")
    plan("cp1252-yaml", "encoding", "cp1252.yaml", 2, "is not UTF-8 text")
    plan("utf16le-bom", "encoding", "utf16le_bom.toml", 2, "is UTF-16 text")
    plan("utf16be-bom", "encoding", "utf16be_bom.yaml", 2, "is UTF-16 text")
    plan("utf16le-no-bom", "encoding", "utf16le_nobom.toml", 2, "NUL byte at byte offset 1")
    plan("nul-byte", "encoding", "nul.toml", 2, "NUL byte at byte offset 15")
    plan("binary", "encoding", "binary.toml", 2, "is not UTF-8 text")
    plan("tabs-yaml", "encoding", "tabs.yaml", 2, "line 3, column 1")
    for kind, command in (("claims", ("claims", "--file")), ("programme", ("roadmap",))):
        extra = FAST_ROADMAP if kind == "programme" else ()
        add(f"{kind}-bom", "encoding", *command, f"{{h}}/{kind}/bom.toml", *extra, code=0)
        add(f"{kind}-crlf", "encoding", *command, f"{{h}}/{kind}/crlf.toml", *extra, code=0)
        add(f"{kind}-latin1", "encoding", *command, f"{{h}}/{kind}/latin1.toml", code=2, says="is not UTF-8 text")
        add(f"{kind}-utf16", "encoding", *command, f"{{h}}/{kind}/utf16.toml", code=2, says="is UTF-16 text")
    add("csv-bom", "encoding", "validate", "{h}/csv/bom.csv", code=0, says="predicted 1/1")
    add("csv-crlf", "encoding", "validate", "{h}/csv/crlf.csv", code=0, says="predicted 1/1")
    add("csv-latin1", "encoding", "validate", "{h}/csv/latin1.csv", code=2, says="latin1.csv")
    add("csv-utf16", "encoding", "validate", "{h}/csv/utf16.csv", code=2, says="utf16.csv")

    # -- empty, malformed and wrong-shape files
    for name, says in [("empty.toml", "is empty"), ("empty.yaml", "is empty"), ("comments_only.toml", "is empty"),
                       ("empty_doc.yaml", "is empty"), ("list.yaml", "must contain a mapping"),
                       ("scalar.yaml", "must contain a mapping"), ("multi_doc.yaml", "another document"),
                       ("python_tag.yaml", "could not determine a constructor"),
                       ("custom_tag.yaml", "could not determine a constructor"),
                       ("bad_yaml.yaml", "(line 2, column 9)"), ("bad_toml.toml", "(at end of document)"),
                       ("empty_table.toml", "workload.model"), ("unknown_key.toml", "bogus = {...}: unknown key"),
                       ("unknown_field.toml", "cluster.cuont = 8: unknown key"), ("scenario.txt", "must end in")]:
        plan(f"file-{name}", "empty/malformed files", name, 2, says)
    add("file-missing", "empty/malformed files", "plan", "{tmp}/missing.toml", code=2, says="must be an existing")
    add("file-directory", "empty/malformed files", "plan", "{h}/scenario", code=2, says="must be an existing")
    add("file-dev-null", "empty/malformed files", "plan", "/dev/null", code=2, says="must be an existing")
    add("file-fifo", "empty/malformed files", "plan", "{tmp}/fifo", code=2, says="must be an existing")
    add("claims-empty", "empty/malformed files", "claims", "--file", "{h}/claims/empty.toml", code=2, says="no claims")
    add("claims-yaml", "empty/malformed files", "claims", "--file", "{h}/claims/claims.yaml", code=2,
        says="is not valid TOML")
    for name, says in [("no_kind.toml", "claim C1.kind = (not given): required: one of peak_flops"),
                       ("bad_kind.toml", "claim C1.kind = '[/x]': one of peak_flops"),
                       ("not_a_table.toml", "claim C1 = 3: must be a table"),
                       ("unknown_field.toml", "claim C1.bogus = 1: unknown field"),
                       ("unknown_accelerator.toml", "claim C1.accelerator = '[/x]': unknown accelerator"),
                       ("unknown_model.toml", "claim C2.model = 'gpt-5': unknown model"),
                       ("unpriced_accelerator.toml", "tpu-v5e has no catalog price")]:
        add(f"claims-{name}", "empty/malformed files", "claims", "--file", f"{{h}}/claims/{name}", code=2, says=says)
    add("programme-empty", "empty/malformed files", "roadmap", "{h}/programme/empty.toml", code=2, says="")
    add("programme-unknown-accelerator", "empty/malformed files", "roadmap", "{h}/programme/unknown_accelerator.toml",
        code=2, says="campus 'Abilene'.accelerator = '[/x]'")
    add("programme-no-campus", "empty/malformed files", "roadmap", "{h}/programme/no_campus.toml", code=2,
        says="campus = []")
    for name, says in [("empty", "empty.csv"), ("missing_columns", "lacks columns"),
                       ("unterminated_quote", "unterminated_quote.csv")]:
        add(f"csv-{name}", "empty/malformed files", "validate", f"{{h}}/csv/{name}.csv", code=2, says=says)

    # -- degenerate runs: refused with the reason, not a crash or a meaningless number
    plan("utilisation-0", "degenerate runs", "utilisation0.toml", 2, "facility.utilisation = 0.0")
    plan("one-token", "degenerate runs", "one_token.toml", 2, "less than one step")
    plan("one-token-batch", "degenerate runs", "one_token_batch.toml", 2, "less than one sequence (2,048 tokens)")
    plan("no-layout", "degenerate runs", "no_layout.toml", 2, "fits in no layout on the cluster (3 x h100-sxm)")
    add("supply-utilisation-0", "degenerate runs", "supply", "{h}/scenario/utilisation0.toml", code=2,
        says="utilisation")
    add("roadmap-1-trajectory", "degenerate runs", "roadmap", "{h}/programme/base.toml", "--trajectories", "1", code=0)

    # -- option bounds: one line naming the option
    for args, says in [(("roadmap", "--seed", "-1"), "'--seed'"), (("roadmap", "--seed", str(2**64)), "'--seed'"),
                       (("roadmap", "--trajectories", "10000000"), "would need about"),
                       (("roadmap", "--trajectories", "0"), "trajectories = 0"),
                       (("search", "--model", "gpt3-175b", "--accelerator", "h100-sxm", "--gpus", "64", "--top", "0"),
                        "'--top'"),
                       (("search", "--model", "gpt3-175b", "--accelerator", "h100-sxm", "--gpus", "0"), "'--gpus'"),
                       (("search", "--model", "gpt3-175b", "--accelerator", "h100-sxm", "--gpus", "10000000000"),
                        "'--gpus'"),
                       (("search", "--model", "gpt3-175b", "--accelerator", "h100-sxm", "--gpus", "64", "--seq-len",
                         "0"), "'--seq-len'"),
                       (("search", "--model", "gpt3-175b", "--accelerator", "h100-sxm", "--gpus", "3"),
                        "fits in no layout on 3 x h100-sxm"),
                       (("calibrate", "--dataset", "dev", "--max-evaluations", "0", "--out", "{tmp}/cal.toml"),
                        "'--max-evaluations'"),
                       (("calibrate", "--dataset", "[/x]", "--out", "{tmp}/cal.toml"), "dataset = '[/x]'"),
                       (("query-energy", "--model", "llama-3.1-405b", "--accelerator", "h100-sxm", "--pue", "0.5"),
                        "--pue = 0.5"),
                       (("query-energy", "--model", "llama-3.1-405b", "--accelerator", "h100-sxm", "--batch", "0"),
                        "'--batch'"),
                       (("plan", "--uncertainty", "-1"), "'--uncertainty'"), (("plan", "--seed", "-1"), "'--seed'"),
                       (("plan", "--bogus"), "No such option"), (("roadmap", "--seed"), "requires an argument"),
                       (("plan", "a.toml", "b.toml"), "unexpected extra argument"),
                       (("plan", "--run-flop", "lots"), "'--run-flop'"), (("nonsense",), "No such command"),
                       (("plan", "{h}/scenario/base.toml", "--set", "nothing"), "must be FIELD=VALUE"),
                       (("plan", "{h}/scenario/base.toml", "--set", "bogus.x=1"), "unknown field"),
                       (("plan", "{h}/scenario/base.toml", "--set", "cluster.count=inf"), "cluster.count = inf"),
                       (("supply", "{h}/scenario/base.toml", "--cfe-share", "2"), "cfe_share = 2.0")]:
        add("option " + " ".join(a.replace("{tmp}/", "").replace("{h}/scenario/", "") for a in args), "option bounds",
            *args, code=2, says=says)

    # -- output paths: regular files only; nothing written (nor an existing file touched) on error
    for target, says in [("{tmp}/existing.csv", "is a file"), ("/dev/null", "is a character device"),
                         ("{tmp}/fifo", "is a FIFO"), ("{tmp}/existing.csv/sub", "is a file, not a directory")]:
        add(f"out-plan-{target.rsplit('/', 1)[-1]}", "output paths", "plan", "{h}/scenario/base.toml", *FAST_PLAN,
            "--out", target, code=2, says=says)
    add("out-plan-existing-results", "output paths", "plan", "{h}/scenario/base.toml", *FAST_PLAN, "--out",
        "{tmp}/existing_dir", code=0, written=("existing_dir/results.json",))
    add("out-plan-bad-input-existing", "output paths", "plan", "{h}/scenario/bool_count.toml", *FAST_PLAN, "--out",
        "{tmp}/existing_dir", "--report", "{tmp}/report.html", code=2, says="cluster.count")
    for target, says in [("{tmp}/dir", "is a directory"), ("/dev/null", "is a character device"),
                         ("{tmp}/fifo", "is a FIFO")]:
        name = target.rsplit("/", 1)[-1]
        add(f"out-report-{name}", "output paths", "plan", "{h}/scenario/base.toml", *FAST_PLAN, "--report", target,
            code=2, says=says)
        add(f"out-roadmap-csv-{name}", "output paths", "roadmap", "{h}/programme/base.toml", *FAST_ROADMAP, "--csv",
            target, code=2, says=says)
        add(f"out-calibrate-{name}", "output paths", "calibrate", "{h}/csv/ok.csv", "--max-evaluations", "1", "--out",
            target, code=2, says=says)
        add(f"out-export-network-{name}", "output paths", "supply", "{h}/scenario/base.toml", "--export-network",
            target, code=2, says=says)
    add("out-roadmap-csv-existing", "output paths", "roadmap", "{h}/programme/base.toml", *FAST_ROADMAP, "--csv",
        "{tmp}/existing.csv", code=0, written=("existing.csv",))
    add("out-roadmap-bad-input-existing", "output paths", "roadmap", "{h}/programme/latin1.toml", *FAST_ROADMAP,
        "--csv", "{tmp}/existing.csv", code=2, says="not UTF-8")
    add("out-roadmap-bad-option-existing", "output paths", "roadmap", "--trajectories", "0", "--csv",
        "{tmp}/existing.csv", code=2, says="trajectories = 0")
    add("out-calibrate-bad-input", "output paths", "calibrate", "{h}/csv/empty.csv", "--out", "{tmp}/existing.csv",
        code=2, says="empty.csv")
    return cases


CASES = _cases()
EXISTING = "old contents\n"


def _prepare(tmp: Path) -> None:
    """The paths a case may point its outputs at: a directory, a FIFO, existing files."""
    (tmp / "dir").mkdir()
    os.mkfifo(tmp / "fifo")
    (tmp / "existing.csv").write_text(EXISTING)
    (tmp / "existing_dir").mkdir()
    (tmp / "existing_dir" / "results.json").write_text(EXISTING)


def _expand(args: tuple[str, ...], tmp: Path) -> list[str]:
    return [a.replace("{h}", str(HOSTILE)).replace("{tmp}", str(tmp)) for a in args]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    max_rss: int | None = None
    crashed: str = ""              # an exception that escaped the CLI (in process)
    notes: list[str] = field(default_factory=list)


class _TimeLimitError(Exception):
    pass


def _run_in_process(args: list[str]) -> Outcome:
    from typer.testing import CliRunner

    from stargate.cli import app

    def alarm(signum: int, frame: Any) -> None:
        raise _TimeLimitError(f"over {TIME_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIME_LIMIT_S)
    start = time.monotonic()
    try:
        result = CliRunner().invoke(app, args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.monotonic() - start
    crashed = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        crashed = f"{type(result.exception).__name__}: {result.exception}"
    return Outcome(result.exit_code, result.stdout, result.stderr, seconds, crashed=crashed)


def _run_fresh(args: list[str], cwd: Path, timeout: float = TIME_LIMIT_S) -> Outcome:
    """``stargate ARGS`` in a new process; its peak memory from ``wait4``; killed at ``timeout``."""
    command = [sys.executable, "-c", "from stargate.cli import main; main()", *args]
    out, err = cwd / ".stdout", cwd / ".stderr"
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, cwd=cwd)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                break
            time.sleep(0.05)
    seconds = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status) if proc.returncode != -9 else -9
    proc.returncode = code
    texts = [p.read_text(errors="replace") for p in (out, err)]
    out.unlink()
    err.unlink()
    return Outcome(code, texts[0], texts[1], seconds, max_rss=usage.ru_maxrss * 1024)


def run_case(case: Case, tmp: Path) -> tuple[Outcome, list[str]]:
    """Run ``case`` with outputs under ``tmp``; the problems found (empty: handled well)."""
    _prepare(tmp)
    args = _expand(case.args, tmp)
    outcome = _run_fresh(args, tmp, case.time_limit) if case.fresh_process else _run_in_process(args)
    both = outcome.stdout + outcome.stderr
    problems = []
    if outcome.crashed:
        problems.append(f"exception escaped: {outcome.crashed[:300]}")
    if "Traceback" in both:
        problems.append("a traceback was printed")
    if outcome.code != case.code:
        problems.append(f"exit code {outcome.code}, expected {case.code}: {outcome.stderr.strip()[:300]}")
    if outcome.seconds > case.time_limit:
        problems.append(f"took {outcome.seconds:.0f} s")
    if outcome.max_rss is not None and outcome.max_rss > MEMORY_LIMIT_BYTES:
        problems.append(f"peak memory {outcome.max_rss / 2**20:,.0f} MiB")
    if case.code == 2:
        lines = outcome.stderr.strip().splitlines()
        if not 1 <= len(lines) <= MAX_ERROR_LINES or len(outcome.stderr) > MAX_ERROR_CHARS:
            problems.append(f"{len(lines)} lines, {len(outcome.stderr):,} characters on stderr: "
                            f"{outcome.stderr[:200]!r}")
        if case.says and case.says not in outcome.stderr:
            problems.append(f"stderr lacks {case.says!r}: {outcome.stderr.strip()[:300]!r}")
    elif case.says and case.says not in outcome.stdout:
        problems.append(f"stdout lacks {case.says!r}")
    problems += _check_files(case, tmp)
    return outcome, problems


def _check_files(case: Case, tmp: Path) -> list[str]:
    """On success exactly the declared files are new or changed; on error none, and no temp file is left."""
    problems = []
    expected = {tmp / w for w in case.written} if case.code == 0 else set()
    for path in expected:
        if not path.is_file() or path.read_text() == EXISTING:
            problems.append(f"{path.relative_to(tmp)} was not written")
    for existing in (tmp / "existing.csv", tmp / "existing_dir" / "results.json"):
        if existing not in expected and existing.read_text() != EXISTING:
            problems.append(f"{existing.relative_to(tmp)} was changed")
    prepared = {tmp / "dir", tmp / "fifo", tmp / "existing.csv", tmp / "existing_dir",
                tmp / "existing_dir" / "results.json"}
    for path in tmp.rglob("*"):
        if path in prepared or path in expected or path.is_dir():
            continue
        problems.append(f"{path.relative_to(tmp)} was left behind" if path.name.endswith(".tmp")
                        else f"{path.relative_to(tmp)} was written")
    return problems


def _marks(case: Case) -> list[Any]:
    return [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marks(c)) for c in CASES])
def test_hostile_input_is_handled(case: Case, tmp_path: Path) -> None:
    _, problems = run_case(case, tmp_path)
    assert not problems, f"{case.id} ({' '.join(case.args)}):\n  " + "\n  ".join(problems)


def test_corpus_covers_every_class_of_the_issue() -> None:
    classes = collections.Counter(c.klass for c in CASES)
    assert set(classes) == {"baseline", "markup", "bounded parsing", "bool/text as number", "duplicate keys",
                            "non-finite/extreme numbers", "CSV cells", "encoding", "empty/malformed files",
                            "degenerate runs", "option bounds", "output paths"}
    assert all(n >= 5 for n in classes.values()), classes
    assert len({c.id for c in CASES}) == len(CASES), "case ids repeat"
    used = {a.removeprefix("{h}/") for c in CASES for a in c.args if a.startswith("{h}/")}
    files = {str(p.relative_to(HOSTILE)) for p in HOSTILE.rglob("*") if p.is_file() and p.parent != HOSTILE}
    assert files <= used, f"corpus files no case uses: {sorted(files - used)}"


# --- hypothesis: scenario files generated from the schema, with hostile values ------------------------------

def _schema_paths() -> list[tuple[str, ...]]:
    """Every field of the Scenario schema as a path of keys, nested models walked."""
    from pydantic import BaseModel

    from stargate.scenario import Scenario

    def walk(model: type[BaseModel], prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        out = []
        for name, info in model.model_fields.items():
            out.append((*prefix, name))
            for arg in (info.annotation, *getattr(info.annotation, "__args__", ())):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    out += walk(arg, (*prefix, name))
        return out

    return walk(Scenario, ())


def _small_scenario() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((HOSTILE / "scenario" / "base.toml").read_text())


MARKUP = st.sampled_from(["[/x]", "[bold]", "[/]", "[link=file:///etc/passwd]x", "\x1b[31m", "\u202e", "e\u0301",
                          "𝔘", "\x00", "\r\n", "'\"", "k" * 500])
NUMBERS = st.one_of(
    st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 0.0, -0.0, 1e-300]))
DEEP = st.integers(min_value=60, max_value=3000).map(lambda n: _nested(n))
HOSTILE_VALUES = st.one_of(NUMBERS, MARKUP, st.text(max_size=30), st.none(), DEEP,
                           st.lists(NUMBERS, max_size=3), st.dictionaries(MARKUP, NUMBERS, max_size=2))


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


@st.composite
def hostile_scenarios(draw: Any) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """The small base scenario with 1-3 fields (from the schema, or unknown keys) set to hostile values."""
    data = _small_scenario()
    paths = draw(st.lists(st.sampled_from(SCHEMA_PATHS), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        parent = draw(st.sampled_from([(), *{p[:-1] for p in SCHEMA_PATHS if len(p) > 1}]))
        paths.append((*parent, draw(st.sampled_from(["bogus", "[/x]", "count ", "Count", "k" * 300]))))
    for path in paths:
        _set(data, path, draw(HOSTILE_VALUES))
    return data, paths


SCHEMA_PATHS = _schema_paths()


def _related(named: list[str], changed: list[str]) -> bool:
    """Whether an error at ``named`` is about the field ``changed``: it, a section holding it, a field inside
    it, or a sibling in its section (a required field of a section the change created)."""
    common = 0
    for a, b in zip(named, changed, strict=False):
        if a != b:
            break
        common += 1
    return common >= max(1, min(len(named), len(changed)) - 1)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_scenarios())
def test_scenario_loader_returns_a_scenario_or_one_line_naming_the_field(drawn: Any) -> None:
    from stargate.errors import InputError
    from stargate.scenario import Scenario, scenario_from_dict, scenario_to_toml

    data, paths = drawn
    try:
        scenario = scenario_from_dict(data)
    except InputError as err:
        message = str(err)
        assert "\n" not in message and len(message) <= 700, message
        assert err.field == "scenario" or any(_related(err.field.split("."), list(p)) for p in paths), (err.field,
                                                                                                        paths)
        return
    assert isinstance(scenario, Scenario)
    import tomllib

    assert scenario_from_dict(tomllib.loads(scenario_to_toml(scenario))) == scenario  # a valid one round-trips


def _hostile_number() -> Any:
    return st.one_of(NUMBERS, st.sampled_from(["1024", "[/x]", 0.5, 2, 100, 1e6]))


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                                  HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from([p for p in SCHEMA_PATHS if len(p) == 2]), value=_hostile_number(),
       yaml_file=st.booleans())
def test_plan_end_to_end_on_mutated_scenarios(path: tuple[str, ...], value: Any, yaml_file: bool,
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    import yaml

    tmp = tmp_path_factory.mktemp("fuzz")
    data = _small_scenario()
    _set(data, path, value)
    if yaml_file or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, int) and abs(value) > 2**63):
        scenario = tmp / "s.yaml"
        scenario.write_text(yaml.safe_dump(data))
    else:
        scenario = tmp / "s.toml"
        scenario.write_text(tomli_w.dumps(data))
    outcome = _run_in_process(["plan", str(scenario), *FAST_PLAN, "--out", str(tmp / "out")])
    assert not outcome.crashed and "Traceback" not in outcome.stdout + outcome.stderr, outcome.crashed
    assert outcome.code in (0, 2), (outcome.code, outcome.stderr)
    if outcome.code == 2:
        lines = outcome.stderr.strip().splitlines()
        assert 1 <= len(lines) <= MAX_ERROR_LINES, outcome.stderr
        assert not (tmp / "out").exists()
    else:
        assert (tmp / "out" / "results.json").is_file()


def main() -> None:
    """Run the corpus and print tried / handled well, by class (the issue's closing note)."""
    import tempfile

    tried: collections.Counter[str] = collections.Counter()
    good: collections.Counter[str] = collections.Counter()
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            _, problems = run_case(case, Path(tmp))
        tried[case.klass] += 1
        good[case.klass] += not problems
        if problems:
            print(f"  not handled well: {case.id}: {problems[0][:160]}" + (" (known: xfail)" if case.xfail else ""))
    width = max(map(len, tried))
    for klass in tried:
        print(f"{klass:<{width}}  {good[klass]:>3} / {tried[klass]:>3}")
    print(f"{'all':<{width}}  {sum(good.values()):>3} / {sum(tried.values()):>3} handled well")


if __name__ == "__main__":
    main()
