"""MoE from topology: hand-derived all-to-all volumes, node-limited routing, FP8 dispatch, DualPipe."""

from dataclasses import replace

import numpy as np
import pytest

from stargate import catalog
from stargate.perf import Hardware, Layouts, load_calibration, step_time
from stargate.perf.moe import FP8_DISPATCH_BYTES, MoeRouting, dispatch_bytes, routed_copies
from stargate.workload import ModelSpec

CAL = load_calibration()
H800 = Hardware.from_catalog(catalog.accelerator("h800"), CAL)
# DeepSeek-V3 (arXiv:2412.19437 Sec. 4.2, config_671B.json): 61 layers (3 dense), 256 routed experts of width
# 2048 + 1 shared, top-8, hidden 7168
DSV3 = ModelSpec(name="DeepSeek-V3", layers=61, hidden=7168, heads=128, kv_heads=128, ffn_hidden=18432,
                 vocab=129280, seq_len=4096, experts=256, top_k=8, shared_experts=1, moe_ffn_hidden=2048,
                 dense_layers=3, params_b_given=671, active_params_b_given=37)


def test_node_limited_routing_sends_one_copy_per_remote_node():
    # EP64 over 8 nodes of 8 GPUs, top-8. Unlimited: 8 x 56/64 = 7 copies leave the node, 8 x 7/64 = 0.875
    # stay on NVLink. Limited to 4 nodes (DeepSeek-V3): the token reaches min(8 (1 - (7/8)^8), 4) = 4 nodes,
    # its own among them with probability 1/8 each: 4 x 7/8 = 3.5 IB transfers, then 8 x 7/8 = 7 NVLink hops
    local, remote = routed_copies(np.array([64]), 8, 8)
    assert remote[0] == pytest.approx(7.0) and local[0] == pytest.approx(0.875)
    local, remote = routed_copies(np.array([64]), 8, 8, node_limit=4)
    assert remote[0] == pytest.approx(3.5) and local[0] == pytest.approx(7.0)
    # a limit above the nodes touched changes only the dedup: 8 (1 - (7/8)^8) = 5.25 nodes, 5.25 x 7/8 remote
    _, remote = routed_copies(np.array([64]), 8, 8, node_limit=8)
    assert remote[0] == pytest.approx(8 * (1 - (7 / 8) ** 8) * 7 / 8)


@pytest.mark.parametrize("ep,domain,local_expected", [(8, 8, 7.0), (64, 72, 8 * 63 / 64), (1, 8, 0.0)])
def test_groups_inside_one_domain_never_touch_the_nic(ep, domain, local_expected):
    local, remote = routed_copies(np.array([ep]), domain, 8, node_limit=4)
    assert remote[0] == 0 and local[0] == pytest.approx(local_expected)


def test_fp8_dispatch_and_bf16_combine_bytes():
    # DeepSeek-V3 Sec. 3.3.2: dispatch in FP8 (1 B + an fp32 scale per 128 elements), combine in BF16
    assert dispatch_bytes("fp8") == pytest.approx(1 + 4 / 128) and dispatch_bytes("bf16") == 2
    assert abs(FP8_DISPATCH_BYTES - 1.03125) < 1e-12


def _lay(**kw):
    return Layouts.single(**{"tp": 1, "pp": 1, "dp": 64, "ep": 64, "mb": 1, "zero": 1, **kw})


def test_all_to_all_time_is_the_hand_derived_volume_on_the_nic():
    # one micro-batch of 4,096 tokens on EP64 over 8-GPU H800 nodes, node-limited to 4 nodes, bf16:
    # per MoE layer 3.5 IB transfers x 4096 x 7168 x (2 + 2 + 4) B = 822 MB over a 50 GB/s x net_eff NIC
    cal = replace(CAL, ep_comm_exposed=1.0)
    b = step_time(DSV3, H800, _lay(), 64, "bf16", cal, MoeRouting(node_limit=4))
    nic = H800.scaleout_byte_s * H800.eff.net_eff
    nvl = H800.scaleup_byte_s * H800.eff.net_eff
    per_layer = max(3.5 * 4096 * 7168 * 8 / nic, 7.0 * 4096 * 7168 * 8 / nvl) + 4 * 15e-6 * 63
    assert b.ep_comm_s[0] == pytest.approx(58 * per_layer, rel=1e-9)
    unlimited = step_time(DSV3, H800, _lay(), 64, "bf16", cal)
    unlimited_layer = max(7.0 * 4096 * 7168 * 8 / nic, 0.875 * 4096 * 7168 * 8 / nvl) + 4 * 15e-6 * 63
    assert unlimited.ep_comm_s[0] == pytest.approx(58 * unlimited_layer, rel=1e-9)  # 7 vs 3.5 transfers
    fp8 = step_time(DSV3, H800, _lay(), 64, "fp8", cal, MoeRouting(node_limit=4))
    assert fp8.ep_comm_s[0] < b.ep_comm_s[0]


def test_dualpipe_hides_the_all_to_all_and_halves_the_bubble():
    lay = _lay(pp=16, dp=8, ep=8, mb=1)
    one = step_time(DSV3, H800, lay, 512, "fp8", CAL, MoeRouting(node_limit=4))
    dual = step_time(DSV3, H800, lay, 512, "fp8", CAL, MoeRouting(node_limit=4, schedule="dualpipe"))
    assert dual.ep_comm_s[0] == 0 and one.ep_comm_s[0] > 0
    assert dual.bubble_s[0] / dual.compute_s[0] < 0.5 * one.bubble_s[0] / one.compute_s[0]
    # the overlap is paid for in SMs: 20 of 132 drive the communication (DeepSeek-V3 Sec. 3.2.2)
    assert dual.compute_s[0] == pytest.approx(one.compute_s[0] * 132 / 112, rel=1e-9)


def test_expert_gradients_reduce_over_one_nic_per_rank():
    # DP32 x EP8 on 8-GPU H800 nodes: the dense gradients all-reduce over 32 ranks, 8 in each node sharing
    # its 8 NICs (up to NVLink speed); the expert gradients over the expert-data-parallel group of the
    # 32 / 8 = 4 ranks that hold the same experts, 8 ranks apart: one member per node, so each reduces
    # over its own NIC. Volumes 2 x 2 B x (g - 1) / g x parameters of a ring all-reduce (bf16 gradients).
    from stargate.perf.hardware import SCALEOUT_LATENCY_S
    from stargate.perf.step import layer_params

    lp = layer_params(DSV3)
    moe_share = DSV3.moe_layers / DSV3.layers
    # the shared expert is a dense parameter (Megatron-Core SharedExpertMLP): it reduces with the dense group
    dense = (DSV3.layers * (lp.attention + (1 - moe_share) * lp.mlp_dense) + DSV3.moe_layers * lp.expert
             + 2 * lp.embedding)
    expert = DSV3.moe_layers * 256 / 8 * lp.expert
    nic = H800.scaleout_byte_s * H800.eff.net_eff
    nvl = H800.scaleup_byte_s * H800.eff.net_eff
    lat = 2 * SCALEOUT_LATENCY_S
    expected = (4 * 31 / 32 * dense / min(8 * nic, nvl) + 31 * lat) + (4 * 3 / 4 * expert / nic + 3 * lat)
    b = step_time(DSV3, H800, _lay(dp=32, ep=8), 32, "bf16", CAL)
    assert b.dp_comm_total_s[0] == pytest.approx(expected, rel=1e-9)
    # 6.1 s of the 6.6 s: the 82 B routed-expert parameters of a rank (32 experts in each of 58 layers) move
    # over one 40 GB/s NIC each, the 18.1 B dense ones (with the shared experts) over the shared NICs in 0.44 s
    assert 4 * 3 / 4 * expert / nic == pytest.approx(6.14, abs=0.01) and expected == pytest.approx(6.58, abs=0.01)


def test_an_expert_gemm_over_fewer_routed_tokens_runs_further_from_the_peak():
    # DeepSeek-V3 on H800, one micro-batch of 4,096 tokens, DP64: each rank receives 4,096 x 8 copies spread
    # over its 256 / ep experts, M = 4,096 x 8 x ep / 256 tokens an expert (EP8: 1,024; EP64: 8,192). Only the
    # routed-expert GEMMs see M: compute(EP8) - compute(EP64) = 3 passes x L x 2 x tokens x routed parameters
    # x (1 / rate(EP8) - 1 / rate(EP64)), rate = BF16 peak x matmul_eff x expert-width factor x M / (M + g)
    # / (tokens / (tokens + g)), g the calibrated GEMM half-dimension (DeepGEMM's H800 table: about 190)
    def compute_s(ep):
        layout = Layouts.single(dp=64, ep=ep, mb=1, recompute=0, zero=1)
        return step_time(DSV3, H800, layout, 64, "bf16", CAL).compute_s[0]   # one micro-batch a rank

    g, tokens = CAL.gemm_half_dim, 4096.0
    expert = (671e9 - 37e9) / (58 * (256 - 8))
    width = min(7168, expert / (3 * 7168))
    rate = H800.bf16_flop_s * H800.eff.matmul_eff * width / (width + g) / (tokens / (tokens + g))

    def seconds(m):
        return 2 * tokens * (58 / 61) * 8 * expert / (rate * m / (m + g))

    expected = 3 * 61 * (seconds(1024.0) - seconds(8192.0))
    assert compute_s(8) - compute_s(64) == pytest.approx(expected, rel=1e-6)
    assert compute_s(8) > compute_s(64)


def test_the_models_own_node_limit_routes_like_a_published_one():
    # DeepSeek-V3's router sends a token to at most 4 nodes (report Sec. 2.1.2; config.json n_group 8,
    # topk_group 4): the catalog carries it, and a run that publishes no limit is routed with it
    spec = ModelSpec.from_catalog(catalog.model("deepseek-v3"))
    assert spec.node_limit == 4 and ModelSpec.from_catalog(catalog.model("qwen3-235b-a22b")).node_limit == 0
    cal = replace(CAL, ep_comm_exposed=1.0)
    own = step_time(replace(DSV3, node_limit=4), H800, _lay(), 64, "bf16", cal)
    given = step_time(DSV3, H800, _lay(), 64, "bf16", cal, MoeRouting(node_limit=4))
    unlimited = step_time(DSV3, H800, _lay(), 64, "bf16", cal)
    assert own.ep_comm_s[0] == pytest.approx(given.ep_comm_s[0], rel=1e-12)
    assert own.ep_comm_s[0] < 0.6 * unlimited.ep_comm_s[0]     # 3.5 IB transfers a token instead of 7
    # the run's own limit wins over the model's
    wider = step_time(replace(DSV3, node_limit=4), H800, _lay(), 64, "bf16", cal, MoeRouting(node_limit=8))
    assert wider.ep_comm_s[0] > own.ep_comm_s[0]


def test_a_validation_row_without_a_node_limit_takes_the_catalog_models():
    import pandas as pd

    from stargate.perf.validation import PreparedRow, prepare_row

    row = {"id": "x", "source": "test", "model": "DeepSeek-V3", "arch": "moe", "params_b": 671,
           "active_params_b": 37, "layers": 61, "hidden": 7168, "heads": 128, "kv_heads": 128, "ffn_hidden": 18432,
           "vocab": 129280, "experts": 256, "top_k": 8, "seq_len": 4096, "global_batch_seqs": 2048,
           "accelerator": "b200", "n_accel": 256, "precision": "fp8", "tp": 1, "pp": 8, "ep": 32,
           "metric": "tokens_per_s_per_gpu", "value": 3000, "date": "2026-04"}
    prepared = prepare_row(pd.Series(row))
    assert isinstance(prepared, PreparedRow) and prepared.spec.node_limit == 4
    assert "node limit not in the row: DeepSeek-V3's router sends a token to at most 4 nodes" in prepared.note
    given = prepare_row(pd.Series(row | {"node_limit": 2}))
    assert given.spec.node_limit == 0 and given.routing.node_limit == 2 and "node limit not in" not in given.note


def test_an_inline_moe_shape_can_limit_its_routing_to_nodes():
    # a planner's own router (scenario workload.shape.node_limit) is routed like DeepSeek-V3's; a bad value is
    # one line naming the field
    from stargate.errors import InputError
    from stargate.pipeline import resolve_workload
    from stargate.scenario import scenario_from_dict

    shape = {"layers": 61, "hidden": 7168, "heads": 128, "ffn_hidden": 18432, "vocab": 129280, "experts": 256,
             "top_k": 8, "shared_experts": 1, "moe_ffn_hidden": 2048, "dense_layers": 3}

    def workload(**extra):
        return resolve_workload(scenario_from_dict({"workload": {"shape": shape | extra, "training_tokens": 1e12},
                                                    "cluster": {"accelerator": "h800", "count": 2048}}))

    assert workload(node_limit=4).spec.node_limit == 4 and workload().spec.node_limit == 0
    with pytest.raises((InputError, ValueError), match="node_limit"):
        workload(node_limit=-1)
