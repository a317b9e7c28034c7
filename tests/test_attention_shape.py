"""Attention that is not ``hidden`` wide: head dims, MLA, sliding windows; pipeline sends under interleaving.

The catalog's shapes are checked against the totals their developers publish: a shape that reproduces the
published parameter count is the shape the step model times.
"""

from dataclasses import replace

import pandas as pd
import pytest

from stargate import catalog
from stargate.errors import InputError
from stargate.perf import Hardware, Layouts, load_calibration, step_time
from stargate.perf.validation import spec_from_row
from stargate.workload import ModelSpec, model_flop_per_token

CAL = load_calibration()


def _from_shape(key: str) -> ModelSpec:
    """The catalog model with its published totals removed: parameters from the shape alone."""
    return replace(ModelSpec.from_catalog(catalog.model(key)), params_b_given=None, active_params_b_given=None)


def test_mla_attention_parameters_are_the_hand_derived_projections():
    # DeepSeek-V3 config.json: hidden 7168, 128 heads, q_lora 1536, kv_lora 512, qk 128 + 64 rope, v 128
    spec = ModelSpec.from_catalog(catalog.model("deepseek-v3"))
    q = 7168 * 1536 + 1536 * 128 * 192
    kv = 7168 * (512 + 64) + 512 * 128 * (128 + 128)
    out = 128 * 128 * 7168
    assert spec.attention_params == q + kv + out == 187_105_280
    assert spec.attention_width == 128 * (192 + 128) / 2


def test_standard_attention_keeps_the_hidden_wide_formula():
    # Llama 3.1 405B: 2 h^2 + 2 h kv_heads (h / heads), the formula before attention shapes existed
    spec = ModelSpec.from_catalog(catalog.model("llama-3.1-405b"))
    assert spec.attention_params == 2 * 16384**2 + 2 * 16384 * 8 * 128
    assert spec.attention_width == 16384 and spec.attention_context == 8192


@pytest.mark.parametrize("key,total_b,active_b,active_counts_embedding", [
    ("deepseek-v3", 671.0, 37.0, True),        # DeepSeek-V3 report, Table 1 / Sec. 4.2 (MTP module excluded)
    ("qwen3-235b-a22b", 235.0, 22.0, True),    # Qwen3 report, Table 2
    ("qwen3-30b-a3b", 30.5, 3.3, True),
    ("gpt-oss-120b", 116.83, 5.13, False),     # gpt-oss model card: active count without the input embedding
    ("gpt-oss-20b", 20.91, 3.61, False),       # gpt-oss model card, as for gpt-oss-120b
    ("kimi-k2", 1040.0, 32.6, True),           # Kimi K2 report, Table 2 (1.04T; the shape gives 1.026T)
])
def test_catalog_attention_shapes_reproduce_the_published_totals(key, total_b, active_b, active_counts_embedding):
    spec = _from_shape(key)
    # published totals omit norms and biases and are rounded: within 1.5 % (Kimi K2's "1.04T" is the widest:
    # the shape gives 1.026T), active counts within 1.5 % or 0.06B of a figure rounded to 0.1B
    assert spec.params / 1e9 == pytest.approx(total_b, rel=0.015)
    active = spec.active_params if active_counts_embedding else spec.active_nonembedding_params
    assert active / 1e9 == pytest.approx(active_b, rel=0.015, abs=0.06)


def test_attention_flop_uses_heads_times_head_dim_and_the_window():
    # Qwen3-235B: 64 heads x 128 = 8,192 wide (hidden 4,096); 12 L H Q T of PaLM App. B
    qwen = ModelSpec.from_catalog(catalog.model("qwen3-235b-a22b"))
    assert model_flop_per_token(qwen) == pytest.approx(6 * qwen.active_nonembedding_params + 12 * 94 * 8192 * 4096)
    # gpt-oss-120b: 18 of 36 layers see 128 tokens, the others the whole 4,096
    oss = ModelSpec.from_catalog(catalog.model("gpt-oss-120b"))
    assert oss.attention_context == (18 * 4096 + 18 * 128) / 36
    assert replace(oss, sliding_window=0).attention_context == 4096


def test_bad_attention_shape_names_the_field():
    with pytest.raises(InputError, match="sliding_window_layers"):
        replace(ModelSpec.from_catalog(catalog.model("gpt-oss-120b")), sliding_window_layers=37)
    with pytest.raises(InputError, match="qk_head_dim"):
        replace(ModelSpec.from_catalog(catalog.model("qwen3-30b-a3b")), qk_head_dim=-1)


def _row(**cells) -> pd.Series:
    base = {"id": "r", "model": "Qwen3-235B-A22B (benchmark)", "arch": "moe", "params_b": 235, "active_params_b": 22,
            "layers": 94, "hidden": 4096, "heads": 64, "kv_heads": 4, "experts": 128, "top_k": 8, "vocab": 151936,
            "seq_len": 4096}
    return pd.Series({**base, **cells})


def test_a_row_without_attention_columns_takes_the_catalog_shape_and_says_so():
    notes: list[str] = []
    spec = spec_from_row(_row(), notes)
    assert spec.qk_head_dim == 128 and spec.attention_width == 8192
    assert any("Qwen3-235B-A22B's from the model catalog" in n for n in notes)


def test_a_row_with_attention_columns_keeps_them():
    notes: list[str] = []
    spec = spec_from_row(_row(head_dim=96), notes)
    assert spec.qk_head_dim == 96 and not any("model catalog" in n for n in notes)
    with pytest.raises(InputError, match="head_dim"):
        spec_from_row(_row(head_dim=-4))


def test_a_shape_no_catalog_model_has_keeps_the_standard_attention():
    spec = spec_from_row(_row(layers=93))
    assert spec.qk_head_dim == 0 and spec.attention_width == 4096


def test_interleaved_pipeline_exposes_only_the_fill_and_flush_sends():
    # Llama 3.1 405B on H100, tp 8, pp 8, dp 2, 1 sequence per micro-batch, 16 micro-batches. One hop moves
    # 8,192 x 16,384 / 8 x 2 B over the NIC (stage neighbours are 16 ranks apart, off the 8-GPU node).
    h100 = Hardware.from_catalog(catalog.accelerator("h100-sxm"), CAL)
    spec = ModelSpec.from_catalog(catalog.model("llama-3.1-405b"))
    nic = h100.scaleout_byte_s * h100.eff.net_eff
    hop = 8192 * 16384 / 8 * 2 / nic + 15e-6
    lay = {"tp": 8, "pp": 8, "dp": 2, "mb": 1, "zero": 1, "recompute": 2}
    plain = step_time(spec, h100, Layouts.single(**lay, vpp=1), 32, "bf16", CAL)
    inter = step_time(spec, h100, Layouts.single(**lay, vpp=4), 32, "bf16", CAL)
    assert plain.pp_comm_s[0] == pytest.approx(16 * 2 * hop, rel=1e-9)   # every micro-batch: one send each way
    assert inter.pp_comm_s[0] == pytest.approx(2 * 7 * hop, rel=1e-9)    # steady phase hidden
