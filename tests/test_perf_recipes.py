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


@pytest.mark.parametrize("chips,zero", [(256, 3), (512, 4), (2048, 4)])
def test_maxtext_shards_inside_a_slice_and_replicates_across_slices(chips, zero):
    # MaxText's defaults (configs/base.yml): ici_fsdp_parallelism -1, dcn_data_parallelism -1. A TPU v6e slice
    # holds at most 256 chips, so 512 chips are two slices: FSDP inside each, data parallel across (hybrid)
    from stargate.perf.recipes import framework_zero
    from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

    row = _row("MaxText README", accelerator="tpu-v6e", n_accel=chips, dp=chips, global_batch_seqs=chips,
               micro_batch=1, recompute="full")
    prepared = prepare_row(row)
    assert prepared.fixed["zero"] == zero and "MaxText's FSDP" in prepared.note
    assert evaluate_row(prepared, CAL, default_goodput()).layout["zero"] == zero
    # a pipelined MaxText run, or a job size or slice the row does not give, stays open
    assert framework_zero("maxtext", 4, chips, 256) is None and framework_zero("maxtext", None, None, 256) is None


@pytest.mark.parametrize("date,schedule,mb,vpp", [("2024-12", "", 4, 1), ("2024-12", "interleaved", 4, 2),
                                                 ("2025-06", "", 1, 1), ("2025-06", "interleaved", 1, 2)])
def test_torchtitan_pipelines_split_the_rank_batch_as_its_defaults_did(date, schedule, mb, vpp):
    # torchtitan's TorchTitan benchmark (405B on 512 H100, FSDP 8 x TP 8 x PP 8, local batch 32, global 256): before
    # April 2025 the batch of a rank went in as many micro-batches as pipeline stages (32 / 8 = 4 sequences each),
    # from then in micro-batches of pipeline_parallel_microbatch_size = 1; interleaved schedules hold 2 stages
    from stargate.perf.recipes import framework_pipeline
    from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

    row = _row("torchtitan benchmarks/llama3_h100_202412_torchtitan.md", n_accel=512, tp=8, pp=8, dp=8,
               micro_batch="", global_batch_seqs=256, date=date, pipeline_schedule=schedule, recompute="full")
    prepared = prepare_row(row)
    assert (prepared.fixed["mb"], prepared.fixed["vpp"]) == (mb, vpp) and "torchtitan's" in prepared.note
    result = evaluate_row(prepared, CAL, default_goodput())
    assert (result.layout["mb"], result.layout["vpp"]) == (mb, vpp)
    assert "pipeline settings not published" in result.reason
    # a published micro-batch stays; no pipeline, or another framework, pins nothing
    published = _row("torchtitan", n_accel=512, tp=8, pp=8, dp=8, micro_batch=2, global_batch_seqs=256, date=date)
    assert prepare_row(published).fixed["mb"] == 2
    assert framework_pipeline("torchtitan", 2024.9, {"pp": 1}, "1f1b", 256, 8) is None
    assert framework_pipeline("nvidia-megatron", 2024.9, {"pp": 8, "dp": 8}, "1f1b", 256, 512) is None
    # a batch that does not split evenly into the stages leaves the micro-batch to the search
    assert "mb" not in framework_pipeline("torchtitan", 2024.9, {"pp": 8, "dp": 8}, "1f1b", 200, 512)[0]


def test_runs_before_selective_recomputation_checkpoint_every_layer_unless_they_say():
    # selective recomputation appeared in May 2022 (Korthikanti et al., arXiv:2205.05198); before it the recipes
    # checkpointed every layer (Megatron-LM's GPT-3 175B script: --activations-checkpoint-method uniform), and
    # every pre-May-2022 row of the shipped sets that states its recomputation says "full"
    from stargate.perf.precision import decimal_year
    from stargate.perf.recipes import era_recompute
    from stargate.perf.validation import dataset_path, prepare_row, read_rows

    assert era_recompute(decimal_year("2022-04"))[0] == 2 and era_recompute(decimal_year("2022-05")) is None
    assert era_recompute(None) is None
    old = prepare_row(_row("Some 2021 paper", recompute="", date="2021-10"))
    assert old.fixed["recompute"] == 2 and "recompute not published: full" in old.note
    said = prepare_row(_row("Some 2021 paper", recompute="selective", date="2021-10"))
    assert said.fixed["recompute"] == 1 and "recompute not published" not in said.note
    assert "recompute" not in prepare_row(_row("Some 2023 paper", recompute="", date="2023-10")).fixed
    stated = {str(r["recompute"]) for frame in (read_rows(dataset_path("dev")), read_rows(dataset_path("oos")))
              for _, r in frame.iterrows() if str(r["date"]) < "2022-05" and str(r["recompute"]).strip()}
    assert stated == {"full"}


def test_software_before_may_2022_has_no_selective_recomputation():
    from stargate.perf.layouts import Layouts
    from stargate.perf.step import step_time
    from stargate.perf.vintage import apply_era
    from stargate.performance import step_hardware

    old = apply_era(H100, 2021.5)
    assert not old.selective_recompute and apply_era(H100, 2022.5) is H100
    assert apply_era(H100, 2021.5, recompute_published=True) is H100   # a run that says it did, did
    lay = Layouts.single(tp=8, pp=16, dp=8, mb=1, recompute=1)
    assert step_time(LLAMA3_405B, H100, lay, 1024, "bf16", CAL).step_s[0] < float("inf")
    assert step_time(LLAMA3_405B, old, lay, 1024, "bf16", CAL).step_s[0] == float("inf")
    # a plan with 2021 software says so and never picks selective recomputation
    hw, software = step_hardware(catalog.accelerator("a100-80gb"), "2021-06")
    assert not hw.selective_recompute and "before May 2022: no selective recomputation" in software.trend
    assert step_hardware(catalog.accelerator("a100-80gb"), "2023-06")[0].selective_recompute


def test_a_run_that_fitted_keeps_the_lightest_layouts_when_the_memory_model_overflows():
    # AMD's ROCm PyTorch training container v25.2 trained Llama 3.1 70B with FSDP on 8 MI300X at micro-batch 4 of
    # 8,192 tokens (426.79 TFLOP/s per GPU), recomputation not published. ZeRO-3 state alone is 16 B x 70.55e9 / 8
    # = 141 GB of the 192 GB; without recomputation 32 s b h bytes per layer (80 x 32,768 x 8,192 x 32 = 687 GB)
    # cannot fit, with full recomputation 2 s b h (43 GB) nearly does, so the model's estimate, over the limit for
    # every layout, must still keep the full-recompute layouts, not rank the unconstrained fastest (no recompute)
    from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

    row = _row("ROCm PyTorch Training Container v25.2", model="Llama 3.1 70B", params_b=70.55, layers=80,
               hidden=8192, heads=64, kv_heads=8, ffn_hidden=28672, accelerator="mi300x", n_accel=8, dp=8,
               micro_batch=4, global_batch_seqs=32, recompute="", metric="tflops_per_gpu", value=426.79,
               notes="MODEL_FLOPS: 6N + 12 L h s", date="2025-02")
    result = evaluate_row(prepare_row(row), CAL, default_goodput())
    assert "memory model finds no fitting layout" in result.reason
    assert result.layout["recompute"] == "full"
    # the model's MODEL_FLOPS rate under full recomputation: 3/4 of the no-recompute one, near the published value
    assert result.predicted == pytest.approx(426.79, rel=0.15)


def test_maxtext_moe_runs_shard_experts_by_fsdp_unless_an_expert_axis_is_published():
    # MaxText configs/base.yml: ici_expert_parallelism 1 and dcn_expert_parallelism 1; the tpu-recipes MoE
    # workloads (DeepSeek-V3 on v5p and TPU7x, Llama 4 Maverick, Mixtral) set no expert axis (fsdp_shard_on_exp)
    from stargate.perf.recipes import framework_expert_parallel
    from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

    mixtral = dict(model="Mixtral 8x7B", arch="moe", params_b=46.7, active_params_b=12.9, layers=32, hidden=4096,
                   heads=32, kv_heads=8, ffn_hidden=14336, vocab=32000, experts=8, top_k=2, accelerator="tpu-v6e",
                   n_accel=256, dp=256, global_batch_seqs=3072, seq_len=4096, micro_batch=12, recompute="full")
    prepared = prepare_row(_row("AI-Hypercomputer/tpu-recipes Mixtral-8x7B-MaxText", **mixtral))
    assert prepared.fixed["ep"] == 1 and "MaxText's default" in prepared.note
    assert evaluate_row(prepared, CAL, default_goodput()).layout["ep"] == 1
    # a published expert axis, a dense model or another framework pins nothing
    assert prepare_row(_row("tpu-recipes", **mixtral | {"ep": 8})).fixed["ep"] == 8
    assert framework_expert_parallel("maxtext", False, {}) is None
    assert framework_expert_parallel("nvidia-megatron", True, {}) is None


def test_an_unpublished_layout_that_overflows_the_memory_model_is_still_predicted():
    # a row without its layout whose every recipe layout overflows the estimate (Llama 3.1 405B on 16 MI300X:
    # 16 B x 405.85e9 / 16 = 406 GB of ZeRO-3 state alone against 192 GB) was still run, so the layouts within
    # the headroom of the smallest footprint are taken as fitting and the row gets a prediction (it had none)
    # on all 16 accelerators, and the reason says so
    from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

    row = _row("a vendor benchmark page", model="Llama 3.1 405B", params_b=405.85, layers=126, hidden=16384,
               heads=128, kv_heads=8, ffn_hidden=53248, accelerator="mi300x", n_accel=16, dp="", micro_batch="",
               global_batch_seqs=64, recompute="", metric="tokens_per_s_per_gpu", value=100.0, date="2025-06")
    result = evaluate_row(prepare_row(row), CAL, default_goodput())
    assert result.predicted is not None and result.predicted > 0, result.reason
    assert "memory model finds no fitting layout" in result.reason
    layout = result.layout
    assert layout["tp"] * layout["pp"] * layout["dp"] * layout["cp"] == 16
