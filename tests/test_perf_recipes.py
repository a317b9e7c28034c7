"""Unpublished layouts: the recipe's choice under memory headroom, pinned against a published case."""

import pandas as pd
import pytest

from stargate import catalog
from stargate.perf import Hardware, load_calibration
from stargate.perf.recipes import HEADROOM, likely_layout
from stargate.workload import ModelSpec

CAL = load_calibration()
H100 = Hardware.from_catalog(catalog.accelerator("h100-sxm"), CAL)
# Llama 3 405B (Dubey et al. 2024, arXiv:2407.21783 Table 3/4): 126 layers, hidden 16384, 128 heads, 8 KV heads,
# FFN 53248, vocab 128256; pre-trained on 16,384 H100 at TP8 CP1 PP16 DP128, seq 8192, batch 2048 sequences
LLAMA3_405B = ModelSpec(name="Llama 3 405B", layers=126, hidden=16384, heads=128, kv_heads=8, ffn_hidden=53248,
                        vocab=128256, seq_len=8192, params_b_given=405.0)


def test_recipe_layout_keeps_headroom_and_reports_the_fastest():
    recipe = likely_layout(LLAMA3_405B, H100, 16384, 2048, "bf16", {}, CAL)
    assert recipe.likely.layout["cp"] == 1   # no context parallelism at 8k tokens
    assert recipe.likely.memory_gbyte * 1e9 <= HEADROOM * H100.usable_hbm_bytes
    assert recipe.fastest.step_s <= recipe.likely.step_s and recipe.spread >= 1.0
    assert "layout not published" in recipe.note
    # pinned: the recipe lands within 15 % of the published 400 TFLOP/s per GPU (Llama 3 Table 4: 41 % MFU)
    assert recipe.likely.mfu == pytest.approx(0.41, rel=0.15)


def _row(source: str, **layout) -> pd.Series:
    base = {"id": "t", "source": source, "model": "Llama 3.1 8B", "arch": "dense", "params_b": 8.03, "layers": 32,
            "hidden": 4096, "heads": 32, "kv_heads": 8, "ffn_hidden": 14336, "vocab": 128256, "seq_len": 8192,
            "global_batch_seqs": 256, "accelerator": "h200", "n_accel": 128, "precision": "bf16", "dp": 128,
            "micro_batch": 2, "recompute": "selective", "metric": "tokens_per_s_per_gpu", "value": 6000,
            "date": "2025-06"}
    return pd.Series(base | layout)


@pytest.mark.parametrize("layout,zero", [({}, 3), ({"pp": 8, "dp": 16}, 2)])
def test_torchtitan_runs_shard_with_fsdp2_unless_the_source_says_otherwise(layout, zero):
    # torchtitan's only data parallelism is FSDP2 over every data-parallel rank (ZeRO-3); with pipeline stages
    # it keeps the gathered parameters from forward to backward (ZeRO-2); the row's reason says so
    from stargate.perf.recipes import framework_zero
    from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

    prepared = prepare_row(_row("torchtitan benchmarks/llama3_h200.md (pytorch/torchtitan)", **layout))
    assert prepared.fixed["zero"] == zero and "torchtitan's FSDP2" in prepared.note
    result = evaluate_row(prepared, CAL, default_goodput())
    assert result.layout["zero"] == zero and "ZeRO stage not published" in result.reason
    # other frameworks keep the search's choice
    assert framework_zero("nvidia-megatron", 8) is None
    assert "zero" not in prepare_row(_row("Megatron-Bridge performance summary", **layout)).fixed
