"""Where groups sit in rack- and slice-scale domains (NVL72 trays, TPU slices), and the memory of published
fit and out-of-memory cases."""

from dataclasses import replace

import numpy as np
import pytest

from stargate import catalog
from stargate.perf import Hardware, Layouts, load_calibration, step_time
from stargate.perf.layouts import enumerate_layouts
from stargate.perf.step import ranks_per_domain, straddle_fraction
from stargate.workload import ModelSpec

CAL = load_calibration()
GB200 = Hardware.from_catalog(catalog.accelerator("gb200"), CAL)
H100 = Hardware.from_catalog(catalog.accelerator("h100-sxm"), CAL)
V5E = Hardware.from_catalog(catalog.accelerator("tpu-v5e"), CAL)
DENSE = ModelSpec(name="dense 70B-like", layers=80, hidden=8192, heads=64, kv_heads=8, ffn_hidden=28672, vocab=128256,
                  seq_len=8192, glu=True)
MOE = ModelSpec(name="MoE 64 experts", layers=24, hidden=4096, heads=32, kv_heads=8, ffn_hidden=14336, vocab=128256,
                seq_len=4096, experts=64, top_k=8, moe_ffn_hidden=1536)


def _one(**kw):
    return Layouts.single(**kw)


@pytest.mark.parametrize("span,per_dom,fraction", [
    (16, 72, 1 / 9),   # groups [64, 80) and [136, 152) of every 144 ranks: 1 in 9 (boundary every 4.5 groups)
    (4, 72, 0.0),      # a compute tray's 4 GPUs: 72 = 18 x 4, never straddles
    (8, 72, 0.0),      # 72 = 9 x 8
    (16, 64, 0.0),     # aligned: 16 trays of 4 GPUs host 4 whole groups
    (64, 72, 7 / 9),   # 64-rank groups in packed racks: 7 of every 9 straddle (one boundary each)
    (128, 72, 1.0),    # wider than the domain
])
def test_straddling_groups_hand_derived(span, per_dom, fraction):
    assert straddle_fraction(span, per_dom) == pytest.approx(fraction)


def test_aligned_rack_hosts_64_of_72_gpus_for_power_of_two_groups():
    # u = the largest of TP, TP x CP, EP, TP x CP x DP within 72: 8 (TP), 64 (EP), 32 (TP x DP); 2^floor(log2
    # (72 / u)) u = 64 each time: 16 trays per rack, 2 idle. An H100 node hosts its 8; a whole job below one rack
    # sits in it (24 ranks of a 24-GPU job).
    per = ranks_per_domain(GB200, np.array([8, 1, 8, 8]), np.array([1, 1, 1, 1]), np.array([16, 64, 4, 3]),
                           np.array([1, 64, 1, 1]), np.array([1024, 1024, 1024, 24]))
    assert list(per) == [64, 64, 64, 24]
    assert ranks_per_domain(H100, np.array([8]), np.array([1]), np.array([16]), np.array([1]), np.array([128]))[0] == 8
    packed = replace(GB200, placement="packed")
    assert ranks_per_domain(packed, np.array([8]), np.array([1]), np.array([16]), np.array([1]),
                            np.array([1024]))[0] == 72


def test_ep64_inside_an_aligned_partition_stays_on_nvlink():
    # EP 64 on 128 GB200, TP 1: aligned racks host 64 GPUs, so each EP group is one rack: no copy leaves it.
    # Packed racks hold 72: the second group [64, 128) has 8 GPUs in rack 0 and 56 in rack 1, and the
    # all-to-all waits for the copies that cross its NICs.
    lay = _one(tp=1, pp=1, dp=128, ep=64, mb=1, recompute=0, zero=1)
    aligned = step_time(MOE, GB200, lay, 128, "bf16", CAL)
    packed = step_time(MOE, replace(GB200, placement="packed"), lay, 128, "bf16", CAL)
    no_nic = step_time(MOE, replace(GB200, scaleout_byte_s=GB200.scaleout_byte_s * 1e-3), lay, 128, "bf16", CAL)
    assert aligned.ep_comm_s[0] == pytest.approx(no_nic.ep_comm_s[0])   # the NIC plays no part
    assert packed.ep_comm_s[0] > 2 * aligned.ep_comm_s[0]


def test_straddling_tp16_group_uses_the_nic_in_a_packed_rack():
    # TP 16 in racks of 72: 1 group in 9 straddles, split 8 + 8 (gcd(72, 16) = 8): its ring runs at 8 NICs'
    # share, min(8 x 400 Gb/s, NVLink); the collective waits for it. Aligned (64 a rack) keeps all on NVLink.
    lay = _one(tp=16, pp=1, dp=16, mb=1, recompute=0, zero=1)
    aligned = step_time(DENSE, GB200, lay, 64, "bf16", CAL)
    packed = step_time(DENSE, replace(GB200, placement="packed"), lay, 64, "bf16", CAL)
    nvl, nic = GB200.scaleup_byte_s, GB200.scaleout_byte_s
    assert 8 * nic < nvl
    # the bandwidth term of the ring scales as 1 / bandwidth: nearly nvl / (8 nic) slower (latencies aside)
    ratio = packed.tp_comm_total_s[0] / aligned.tp_comm_total_s[0]
    assert 0.8 * nvl / (8 * nic) < ratio < 1.5 * nvl / (8 * nic)


def test_tray_and_node_groups_never_straddle():
    # TP 4 (one compute tray) and TP 8 divide 72 and 64: the same NVLink time under both policies
    for tp in (4, 8):
        lay = _one(tp=tp, pp=1, dp=32, mb=1, recompute=0, zero=1)
        aligned = step_time(DENSE, GB200, lay, 64, "bf16", CAL)
        packed = step_time(DENSE, replace(GB200, placement="packed"), lay, 64, "bf16", CAL)
        assert packed.tp_comm_total_s[0] == pytest.approx(aligned.tp_comm_total_s[0])


def test_tpu_slice_boundary_sends_groups_over_the_data_centre_network():
    # a v5e slice is 256 chips: a 256-rank FSDP group stays on ICI; over 512 chips it spans two slices (DCN)
    one = step_time(DENSE, V5E, _one(tp=1, pp=1, dp=256, mb=1, recompute=2, zero=3), 256, "bf16", CAL)
    two = step_time(DENSE, V5E, _one(tp=1, pp=1, dp=512, mb=1, recompute=2, zero=3), 512, "bf16", CAL)
    ici_only = replace(V5E, scaleout_byte_s=V5E.scaleout_byte_s * 1e-3)
    assert step_time(DENSE, ici_only, _one(tp=1, pp=1, dp=256, mb=1, recompute=2, zero=3), 256, "bf16",
                     CAL).dp_comm_total_s[0] == pytest.approx(one.dp_comm_total_s[0])
    assert two.dp_comm_total_s[0] > 5 * one.dp_comm_total_s[0]


@pytest.mark.parametrize("placement", ["aligned", "packed"])
def test_more_bandwidth_never_slower_and_aligned_never_slower_than_packed(placement):
    lays = enumerate_layouts(DENSE, 1152, 1152)
    hw = replace(GB200, placement=placement)
    base = step_time(DENSE, hw, lays, 1152, "bf16", CAL).step_s
    for factor in (2.0, 10.0):
        more = replace(hw, scaleout_byte_s=hw.scaleout_byte_s * factor)
        assert np.all(step_time(DENSE, more, lays, 1152, "bf16", CAL).step_s <= base * (1 + 1e-12))
        more = replace(hw, scaleup_byte_s=hw.scaleup_byte_s * factor)
        assert np.all(step_time(DENSE, more, lays, 1152, "bf16", CAL).step_s <= base * (1 + 1e-12))
    # power-of-two layouts: aligned racks (64 GPUs) never communicate slower than packed ones (72)
    pow2 = lays.take(np.flatnonzero((lays.tp & (lays.tp - 1) == 0) & (lays.dp & (lays.dp - 1) == 0)
                                    & (lays.cp & (lays.cp - 1) == 0)))
    aligned = step_time(DENSE, GB200, pow2, 1152, "bf16", CAL).step_s
    packed = step_time(DENSE, replace(GB200, placement="packed"), pow2, 1152, "bf16", CAL).step_s
    assert len(pow2) and np.all(aligned <= packed * (1 + 1e-12))


def test_power_of_two_nodes_see_no_change_of_policy():
    lays = enumerate_layouts(DENSE, 512, 512)
    aligned = step_time(DENSE, H100, lays, 512, "bf16", CAL).step_s
    packed = step_time(DENSE, replace(H100, placement="packed"), lays, 512, "bf16", CAL).step_s
    pow2 = (lays.tp & (lays.tp - 1)) == 0
    assert np.allclose(aligned[pow2], packed[pow2])


def test_unknown_placement_is_refused():
    with pytest.raises(ValueError, match="placement"):
        replace(GB200, placement="scattered")


# --- memory: published fit and out-of-memory cases --------------------------------------------------------
# Llama 3 405B (Dubey et al. 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, Table 3 shape, Sec. 3.3.2
# and Table 4 layout): TP 8, CP 1, PP 16, DP 128 on 16,384 H100-80GB, 8,192-token sequences, batch 16 per DP
# rank (16M tokens a step), bf16, interleaved pipeline with one layer fewer on the first and last stage, FSDP
# sharding optimizer states and gradients (weights kept after the forward pass), trained "without activation
# checkpointing".
LLAMA3_405B = ModelSpec(name="Llama 3 405B", layers=126, hidden=16384, heads=128, kv_heads=8, ffn_hidden=53248,
                        vocab=128256, seq_len=8192, glu=True)


@pytest.mark.parametrize("vpp", [1, 2, 4, 8])
def test_llama3_405b_fits_at_its_published_layout(vpp):
    lay = _one(tp=8, pp=16, dp=128, cp=1, vpp=vpp, mb=1, recompute=0, zero=2)
    b = step_time(LLAMA3_405B, H100, lay, 2048, "bf16", CAL)
    assert b.fits[0], b.memory_bytes[0] / 1e9
    # the busiest stage holds the step's 16 micro-batches of 8 layers: 16 x 8 x 32 s h / t bytes of activations
    act = 16 * 8 * 32 * 8192 * 16384 / 8
    assert act < b.memory_bytes[0] < act + 8e9


def test_llama3_405b_layout_is_enumerated_when_its_sharding_is_pinned():
    fixed = {"tp": 8, "pp": 16, "cp": 1, "vpp": 8, "mb": 1, "recompute": 0, "zero": 2}
    lays = enumerate_layouts(LLAMA3_405B, 16384, 2048, fixed)
    assert len(lays) == 1 and int(lays.dp[0]) == 128
    # unpinned, the search keeps to Megatron/DeepSpeed's space: ZeRO-2/3 only without pipelining
    free = enumerate_layouts(LLAMA3_405B, 16384, 2048, {"tp": 8, "pp": 16, "cp": 1})
    assert not np.any((free.zero >= 2) & (free.pp > 1))


def test_llama3_405b_1f1b_fits_with_the_distributed_optimizer():
    # 1F1B: the second stage holds 15 micro-batches of 8 layers, the first 16 of 7 (one layer to the embedding)
    b = step_time(LLAMA3_405B, H100, _one(tp=8, pp=16, dp=128, vpp=1, mb=1, recompute=0, zero=1), 2048, "bf16",
                  CAL)
    assert b.fits[0]


def test_interleaved_schedule_never_holds_more_than_the_steps_micro_batches():
    # m = pp = 16: Megatron's warm-up (2 (pp - r - 1) + (v - 1) pp forwards) exceeds the step's m v chunks, so
    # every stage holds all 16 micro-batches whatever v (the model once counted 16 (1 + 15 / (16 v)) of them)
    mems = [step_time(LLAMA3_405B, H100, _one(tp=8, pp=16, dp=128, vpp=v, mb=1, recompute=0, zero=2), 2048, "bf16",
                      CAL).memory_bytes[0] for v in (2, 4, 8)]
    assert mems[0] == pytest.approx(mems[1]) == pytest.approx(mems[2])


# torchtitan docs/performance.md (pytorch/torchtitan, 2024, "LLaMa 2 performance numbers", FSDP2 on 64
# A100-80GB, seq_len 4096 of train_configs/llama2_70b.toml): LLaMa 2 70B at local batch 2 is "OOM" with
# selective layer checkpointing (half the layers' activations kept), and runs with full checkpointing. Keeping
# every layer's activations (no recomputation) needs more than the OOM case.
LLAMA2_70B = ModelSpec(name="Llama 2 70B", layers=80, hidden=8192, heads=64, kv_heads=8, ffn_hidden=28672,
                       vocab=32000, seq_len=4096, glu=True)


def test_llama2_70b_fsdp_on_64_a100_ooms_without_recompute_and_fits_with_full():
    a100 = Hardware.from_catalog(catalog.accelerator("a100-80gb"), CAL)
    none = step_time(LLAMA2_70B, a100, _one(tp=1, pp=1, dp=64, mb=2, recompute=0, zero=3), 128, "bf16", CAL)
    full = step_time(LLAMA2_70B, a100, _one(tp=1, pp=1, dp=64, mb=2, recompute=2, zero=3), 128, "bf16", CAL)
    assert not none.fits[0] and full.fits[0]


def test_one_job_uses_64_of_72_gpus_per_nvl72_under_aligned_placement():
    from stargate.performance import job_capacity

    gb200 = Hardware.from_catalog(catalog.accelerator("gb200"), load_calibration())
    h100 = Hardware.from_catalog(catalog.accelerator("h100-sxm"), load_calibration())
    # 450,000 GB200 = 6,250 racks of 72: 6,250 x 64 = 400,000 for one job; packed uses all of them
    assert job_capacity(450_000, gb200) == 400_000
    assert job_capacity(450_000, replace(gb200, placement="packed")) == 450_000
    # a partial last rack gives up to 64 more; a job inside one rack is the rack's GPUs; 8-GPU nodes lose none
    assert job_capacity(100, gb200) == 64 + 28 and job_capacity(3 * 72 + 70, gb200) == 4 * 64
    assert job_capacity(60, gb200) == 60 and job_capacity(100_000, h100) == 100_000


def test_the_plan_never_sizes_a_job_beyond_the_aligned_racks():
    import stargate
    from stargate.pipeline import train

    # 10 NVL72 racks (720 GPUs) for a 175B run: the largest job the ladder offers within 640 GPUs
    sc = stargate.scenario_from_dict({"workload": {"model": "gpt3-175b"},
                                      "cluster": {"accelerator": "gb200", "count": 720}})
    run = train(sc)
    assert run.performance.job_capacity == 640 and run.performance.n_gpus_used <= 640


def test_the_scenario_chooses_the_placement_and_rejects_others_in_one_line():
    from typer.testing import CliRunner

    import stargate
    from stargate.cli import app
    from stargate.pipeline import resolve_cluster, train

    data = {"workload": {"model": "gpt3-175b"},
            "cluster": {"accelerator": "gb200", "count": 720, "placement": "packed"}}
    sc = stargate.scenario_from_dict(data)
    assert resolve_cluster(sc).placement == "packed" and train(sc).performance.job_capacity == 720
    bad = CliRunner().invoke(app, ["plan", "--uncertainty", "0", "--set", "cluster.placement=spread"])
    lines = [ln for ln in bad.output.splitlines() if ln.strip()]
    assert bad.exit_code == 2 and len(lines) == 1 and "cluster.placement" in lines[0] and "aligned" in lines[0]
