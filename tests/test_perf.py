"""Training performance model: published figures, invariants and infeasible requests."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stargate import catalog
from stargate.cli import app
from stargate.errors import InputError
from stargate.perf import Hardware, Layouts, load_calibration, predict, search, step_time
from stargate.perf.validation import precision_of, read_rows, summarise, validate
from stargate.workload import ModelSpec

CAL = load_calibration()
A100 = Hardware.from_catalog(catalog.accelerator("a100-80gb"), CAL)
GPT3 = ModelSpec(name="GPT-3 175B", layers=96, hidden=12288, heads=96, kv_heads=96, ffn_hidden=49152, vocab=51200,
                 seq_len=2048, glu=False)


def _dev_rows(shared_dir, prefix):
    frame = read_rows(shared_dir / "validation" / "dev.csv")
    return {r.id: r for r in validate(frame[frame["id"].str.startswith(prefix)])}


def test_megatron_sc21_ptd_table_within_7pct_each_and_4pct_median(shared_dir):
    # Narayanan et al. SC'21 Table 2 (PTD-P) and the large Table 1 rows: TFLOP/s per GPU with recompute
    rows = [r for key, r in _dev_rows(shared_dir, "megatron-sc21").items()
            if "-ptd-" in key or key.split("-")[3] in ("145.6b", "310.1b", "529.6b", "1008.0b")]
    errors = [abs(r.error_pct) for r in rows]
    assert len(rows) == 10
    assert max(errors) <= 7 and np.median(errors) <= 4, [(r.id, round(r.error_pct, 1)) for r in rows]


@pytest.mark.parametrize("row_id,tolerance_pct", [
    ("korthikanti-22b-step-sel", 5), ("korthikanti-22b-step-full", 5),
    ("korthikanti-175b-step-sel", 12), ("korthikanti-175b-step-full", 12),
])
def test_korthikanti_step_times_within_tolerance(shared_dir, row_id, tolerance_pct):
    row = _dev_rows(shared_dir, "korthikanti")[row_id]
    assert abs(row.error_pct) <= tolerance_pct, (row.published, row.predicted)


def test_zero3_rows_slow_down_with_scale_as_published(shared_dir):
    # Narayanan et al. SC'21 Table 2, ZeRO-3 without model parallelism at a fixed global batch: TFLOP/s per
    # GPU roughly halve with each doubling of GPUs (174.6B: 144, 88, 44; 529.6B: 138, 98, 48)
    rows = _dev_rows(shared_dir, "megatron-sc21-t2-zero3")
    assert len(rows) == 6
    assert max(abs(r.error_pct) for r in rows.values()) <= 20, {k: round(r.error_pct, 1) for k, r in rows.items()}
    small, large = rows["megatron-sc21-t2-zero3-174b-384"], rows["megatron-sc21-t2-zero3-174b-1536"]
    assert 2.5 < small.predicted / large.predicted < 4.5


def test_selective_recompute_is_faster_than_full_as_published():
    sel = predict(GPT3, A100, dict(tp=8, pp=8, dp=1, vpp=3, mb=1, recompute=1, zero=1), 64)
    full = predict(GPT3, A100, dict(tp=8, pp=8, dp=1, vpp=3, mb=1, recompute=2, zero=1), 64)
    # Korthikanti et al. 2022 Table 4: 13.75 s vs 18.13 s (ratio 1.32)
    assert 1.2 < full.step_s / sel.step_s < 1.4
    assert full.hfu > full.mfu and full.memory_gbyte < sel.memory_gbyte


def test_development_set_summary_meets_coverage(shared_dir):
    summary = summarise(validate(read_rows(shared_dir / "validation" / "dev.csv")))
    assert summary["predicted_share"] >= 0.9
    assert summary["overall"]["median_abs_error_pct"] < 7  # back-of-envelope rule scores 16 %


def test_out_of_sample_rows_beat_the_rule_of_thumb():
    # tests/data/oos.csv: 251 published runs the calibration never saw (newer hardware, other sources)
    frame = read_rows(Path(__file__).parent / "data" / "oos.csv")
    results = validate(frame)
    model = summarise(results)
    rule = summarise(validate(frame, baseline=True))
    assert model["predicted_share"] == 1.0
    assert model["overall"]["median_abs_error_pct"] < 0.6 * rule["overall"]["median_abs_error_pct"]
    dense_ids = set(frame.loc[frame["arch"] == "dense", "id"])
    dense = summarise([r for r in results if r.id in dense_ids])
    assert dense["overall"]["median_abs_error_pct"] < 20


@pytest.mark.parametrize("key,expected", [("v100-32gb", "fp16"), ("a100-80gb", "bf16"), ("gb200", "fp8")])
def test_unstated_precision_is_what_the_hardware_trains_in(key, expected):
    chosen, note = precision_of({"precision": ""}, catalog.accelerator(key))
    assert chosen == expected and expected in note
    assert precision_of({"precision": "FP16"}, catalog.accelerator(key)) == ("fp16", "")


def test_unknown_accelerator_row_is_reported_not_raised(tmp_path, shared_dir):
    lines = (shared_dir / "validation" / "dev.csv").read_text().splitlines()
    header, row = lines[0], lines[1].replace("a100-80gb", "z9000", 1)
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([header, row, lines[2]]) + "\n")
    out = CliRunner().invoke(app, ["validate", str(path), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    first, second = data["rows"]
    assert first["predicted"] is None and first["error_pct"] is None and "z9000" in first["reason"]
    assert second["predicted"] == pytest.approx(138, rel=0.25) and second["metric"] == "tflops_per_gpu"
    assert data["summary"]["predicted"] == 1


def _layouts(**kw):
    return Layouts.single(**kw)


hw_scale = st.floats(min_value=1.0, max_value=8.0)


@settings(max_examples=25, deadline=None)
@given(link=hw_scale, peak=hw_scale, hbm=hw_scale)
def test_more_bandwidth_or_peak_never_slows_a_step(link, peak, hbm):
    layouts = search(GPT3, A100, 512, 512, top=1).best.layout  # any fitting layout
    lay = _layouts(**{k: (v if isinstance(v, int) else {"none": 0, "selective": 1, "full": 2}[v])
                      for k, v in layouts.items()})
    from dataclasses import replace
    faster = replace(A100, scaleup_byte_s=A100.scaleup_byte_s * link, scaleout_byte_s=A100.scaleout_byte_s * link,
                     bf16_flop_s=A100.bf16_flop_s * peak, hbm_byte_s=A100.hbm_byte_s * hbm)
    base = step_time(GPT3, A100, lay, 512, "bf16", CAL).step_s[0]
    better = step_time(GPT3, faster, lay, 512, "bf16", CAL).step_s[0]
    assert better <= base * (1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(tp=st.sampled_from([1, 2, 4, 8]), dp=st.sampled_from([1, 2, 8, 32]), mb=st.sampled_from([1, 2, 4]),
       rc=st.sampled_from([0, 1, 2]))
def test_memory_falls_with_more_sharding_and_mfu_stays_below_one(tp, dp, mb, rc):
    memories = []
    for zero in (0, 1, 2, 3):  # hybrid sharding (4) sits between 1 and 3, tested below
        b = step_time(GPT3, A100, _layouts(tp=tp, pp=1, dp=dp, mb=mb, recompute=rc, zero=zero), dp * mb * 4,
                      "bf16", CAL)
        memories.append(b.memory_bytes[0])
        assert 0 < b.mfu[0] < 1 and 0 < b.hfu[0] < 1
    assert all(np.diff(memories) <= 1e-6)


def test_usable_memory_by_runtime():
    # CUDA: 3 % fragmentation and 2 GB of context/NCCL/workspace; XLA on TPU: JAX's bytes_limit, 98.4 %
    assert A100.usable_hbm_bytes == pytest.approx(80 * 2**30 * 0.97 - 2e9)
    v5e = Hardware.from_catalog(catalog.accelerator("tpu-v5e"), CAL)
    assert v5e.usable_hbm_bytes == pytest.approx(17.2e9 * 0.984)


def test_hybrid_sharding_keeps_gathers_on_the_scale_up_links():
    # 8,192 TPU v5e in 32 slices of 256 (MaxText: FSDP inside a slice, data parallel across slices over DCN)
    v5e = Hardware.from_catalog(catalog.accelerator("tpu-v5e"), CAL)
    model = ModelSpec(name="32B", layers=32, hidden=10240, heads=32, kv_heads=32, ffn_hidden=32768, vocab=32768,
                      seq_len=2048, glu=False)
    runs = {zero: step_time(model, v5e, _layouts(tp=1, pp=1, dp=8192, mb=4, recompute=2, zero=zero), 32768, "bf16",
                            CAL) for zero in (1, 3, 4)}
    full, hybrid = runs[3], runs[4]
    # hand-derived: ZeRO-3 over all 8,192 ranks gathers the weights over the 25 Gb/s DCN three times per
    # micro-batch (3 x 65 GB / 2.5 GB/s = 78 s); hybrid gathers over ICI and all-reduces a 1/256 shard
    assert full.step_s[0] > 3 * full.compute_s[0]
    assert hybrid.step_s[0] < 1.1 * hybrid.compute_s[0]
    # states sharded 256 ways (16 B/param / 256), between ZeRO-1 and ZeRO-3 over all ranks
    assert runs[1].memory_bytes[0] > hybrid.memory_bytes[0] > full.memory_bytes[0]
    state_gap = hybrid.memory_bytes[0] - full.memory_bytes[0]
    assert state_gap == pytest.approx(16 * model.params * (1 / 256 - 1 / 8192), rel=0.05)


@pytest.mark.parametrize("fixed,message", [
    ({"tp": 128}, "tp = 128: must divide the 96 attention heads"),
    ({"pp": 200}, "pp = 200: must be <= the 96 layers"),
])
def test_infeasible_layouts_are_explained(fixed, message):
    with pytest.raises(InputError, match=message):
        search(GPT3, A100, 256, 256, fixed=fixed)


def test_batch_that_divides_into_no_replicas_is_explained():
    with pytest.raises(InputError, match="divides the global batch of 3 sequences"):
        search(GPT3, A100, 64, 3, fixed={"tp": 8, "pp": 1, "cp": 1})


def test_model_that_fits_nowhere_is_explained():
    with pytest.raises(InputError, match="fits in no layout on 8 x a100-80gb"):
        search(GPT3, A100, 8, 8)


def test_search_cli_reports_the_best_layout():
    out = CliRunner().invoke(app, ["search", "--model", "gpt3-175b", "--accelerator", "a100-80gb", "--gpus", "1024",
                                   "--batch-seqs", "1536", "--json", "--top", "2"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    best = data["ranked"][0]
    assert best["fits_in_memory"] and 0.3 < best["mfu"] < 0.7
    assert data["evaluated"] > data["feasible"] > 0
    bad = CliRunner().invoke(app, ["search", "--model", "gpt3-175b", "--gpus", "8", "--accelerator", "a100-80gb"])
    assert bad.exit_code == 2 and "fits in no layout" in bad.stderr


def test_malformed_value_row_and_missing_columns_are_reported(tmp_path, shared_dir):
    lines = (shared_dir / "validation" / "dev.csv").read_text().splitlines()
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([lines[0], lines[1].replace(",tflops_per_gpu,137,", ",tflops_per_gpu,abc,")]) + "\n")
    out = CliRunner().invoke(app, ["validate", str(path), "--json"])
    row = json.loads(out.stdout)["rows"][0]
    assert out.exit_code == 0 and row["published"] is None and "must be a positive number" in row["reason"]
    (tmp_path / "cols.csv").write_text("a,b\n1,2\n")
    bad = CliRunner().invoke(app, ["validate", str(tmp_path / "cols.csv")])
    assert bad.exit_code == 2 and "lacks columns id" in bad.stderr


def test_gradient_all_reduce_counts_each_embedding_once_per_pipeline():
    # Llama 3.1 405B at TP8 x PP2 x DP2 on 8-GPU H100 nodes: each rank all-reduces its 1/(pp tp) share of
    # the layers and of the input and output embeddings (2 x vocab x hidden) with its replica over one NIC:
    # 2 x 2 B x (2 - 1) / 2 x params / NIC + 2 latencies (ring all-reduce of bf16 gradients)
    from stargate.perf.hardware import SCALEOUT_LATENCY_S
    from stargate.perf.step import layer_params

    spec = ModelSpec.from_catalog(catalog.model("llama-3.1-405b"))
    cal = load_calibration()
    hw = Hardware.from_catalog(catalog.accelerator("h100-sxm"), cal)
    lp = layer_params(spec)
    params_rank = (spec.layers * (lp.attention + lp.mlp_dense) + 2 * lp.embedding) / (2 * 8)
    nic = hw.scaleout_byte_s * hw.eff.net_eff
    expected = 2 * 2 * (1 / 2) * params_rank / nic + 2 * SCALEOUT_LATENCY_S
    layout = Layouts.single(tp=8, pp=2, dp=2, mb=1, recompute=2, zero=1)
    assert step_time(spec, hw, layout, 16, "bf16", cal).dp_comm_total_s[0] == pytest.approx(expected, rel=1e-9)


def test_xla_runs_the_step_as_one_program_without_per_layer_launch_cost():
    # the calibrated per-layer overhead (kernel launches, synchronisation) is an eager CUDA/ROCm cost: on a TPU
    # (XLA compiles the whole step) the compute time does not depend on it; on a GPU it adds 3 passes per layer
    from dataclasses import replace

    spec = ModelSpec.from_catalog(catalog.model("llama-3.1-405b"))
    cal = load_calibration()
    layout = Layouts.single(tp=8, pp=1, dp=1, mb=1, recompute=0, zero=1)
    for key, per_pass in (("tpu-v5p", 0.0), ("h100-sxm", 1.0)):
        hw = Hardware.from_catalog(catalog.accelerator(key), cal)
        base = step_time(spec, hw, layout, 1, "bf16", cal).compute_s[0]
        slower = replace(cal, layer_overhead_s=cal.layer_overhead_s + 1e-3)
        more = step_time(spec, hw, layout, 1, "bf16", slower).compute_s[0]
        assert more - base == pytest.approx(per_pass * 3 * spec.layers * 1e-3, abs=1e-12)
