"""Attention's softmax on the special-function units (stargate.perf.step, catalog ``sfu_exp_tera_per_s``).

Flash attention evaluates one exponential per causal score and head in the forward pass and again in the
backward pass; the SFUs run them beside the attention matmuls, which hide the calibrated share of the
shorter of the two (FlashAttention-3, arXiv:2407.08608, Sec. 3.1: 3.9 TFLOPS of exponentials on H100).
"""

from dataclasses import replace

import pytest

from stargate import catalog
from stargate.perf import Hardware, Layouts, load_calibration, step_time
from stargate.workload import ModelSpec

CAL = load_calibration()


def _hw(key: str) -> Hardware:
    return Hardware.from_catalog(catalog.accelerator(key), CAL)


def test_catalog_exponential_rates_are_the_published_ones():
    # FlashAttention-3 Sec. 3.1 (H100 SXM5); NVIDIA's Blackwell Ultra table: B200/GB200 5, B300/GB300 10.7
    assert _hw("h100-sxm").exp_per_s == 3.9e12
    assert _hw("gb200").exp_per_s == _hw("b200").exp_per_s == 5.0e12
    assert _hw("gb300").exp_per_s == _hw("b300").exp_per_s == 10.7e12
    # a superchip entry is two GPUs: the per-GPU rate is the same
    assert _hw("gb300-superchip").exp_per_s == pytest.approx(10.7e12)
    assert _hw("tpu-v5p").exp_per_s is None   # unpublished: no softmax term


def test_causal_keys_per_query_hand_derived():
    spec = ModelSpec.from_catalog(catalog.model("llama-3.1-405b"))
    assert spec.causal_keys == (8192 + 1) / 2
    # gpt-oss-120b: 18 full layers see (s + 1) / 2 keys a query, 18 windowed ones (w (w + 1) / 2 + (s - w) w) / s
    oss = ModelSpec.from_catalog(catalog.model("gpt-oss-120b"))
    s, w = oss.seq_len, 128
    assert oss.causal_keys == pytest.approx((18 * (s + 1) / 2 + 18 * (w * (w + 1) / 2 + (s - w) * w) / s) / 36)


@pytest.mark.parametrize("overlap", [0.0, 0.5, 1.0])
def test_softmax_time_enters_the_step_as_hand_derived(overlap):
    # Llama 3.1 8B on one H100, one micro-batch of 8,192 tokens, no recomputation: the compute time with the
    # SFU rate minus the time without it is L x (fwd + bwd softmax time not hidden by the matmuls)
    spec = replace(ModelSpec.from_catalog(catalog.model("llama-3.1-405b")), layers=32, hidden=4096, heads=32,
                   kv_heads=8, ffn_hidden=14336, params_b_given=None, active_params_b_given=None)
    cal = replace(CAL, softmax_overlap=overlap)
    hw = Hardware.from_catalog(catalog.accelerator("h100-sxm"), cal)
    layout = Layouts.single(mb=1, recompute=0, zero=1)
    with_sfu = step_time(spec, hw, layout, 1, "bf16", cal)
    without = step_time(spec, replace(hw, exp_per_s=None), layout, 1, "bf16", cal)
    tokens = spec.seq_len
    t_mm = 4 * tokens * spec.attention_context * spec.attention_width / (
        hw.bf16_flop_s * hw.eff.matmul_eff * (spec.hidden / (spec.hidden + cal.gemm_half_dim)))
    t_exp = tokens * spec.heads * (tokens + 1) / 2 / 3.9e12
    extra = 2 * t_exp - overlap * (min(t_mm, t_exp) + min(2 * t_mm, t_exp))
    assert with_sfu.compute_s[0] - without.compute_s[0] == pytest.approx(spec.layers * extra, rel=1e-9)
    assert extra > 0 or overlap == 1.0


def test_blackwell_ultra_exponentials_speed_up_a_step_at_equal_matmul_peak():
    # GB300 and GB200 share the dense BF16/FP8 peaks; Blackwell Ultra's doubled SFU rate shortens attention
    spec = ModelSpec.from_catalog(catalog.model("qwen3-235b-a22b"))
    cal = replace(CAL, softmax_overlap=0.5)
    layout = Layouts.single(tp=1, pp=8, dp=32, ep=32, mb=1, recompute=0, zero=1)
    gb200 = Hardware.from_catalog(catalog.accelerator("gb200"), cal)
    gb300 = replace(gb200, exp_per_s=10.7e12)
    fast = step_time(spec, gb300, layout, 8192, "fp8", cal).step_s[0]
    slow = step_time(spec, gb200, layout, 8192, "fp8", cal).step_s[0]
    assert fast < slow
