import pytest

from stargate import catalog
from stargate.cluster import cluster_peak_flop_s
from stargate.facility import facility_power
from stargate.workload import ModelSpec, model_flop_per_token, training_flop


def test_gpt3_175b_on_300b_tokens_is_3_15e23_flop():
    assert training_flop(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-9)


def test_gpt3_shape_gives_175b_parameters():
    spec = ModelSpec.from_catalog(catalog.model("gpt3-175b"))
    # 12 L h^2 (attention + 4h MLP) + embeddings: 174.6B published
    assert ModelSpec(**{**spec.__dict__, "params_b_given": None, "active_params_b_given": None}).params \
        == pytest.approx(174.6e9, rel=0.01)


def test_llama_405b_flop_per_token_matches_hand_value():
    spec = ModelSpec.from_catalog(catalog.model("llama-3.1-405b"))
    n = 405e9 - 128256 * 16384  # active less input embedding
    attention = 12 * 126 * 128 * 128 * 8192
    assert model_flop_per_token(spec) == pytest.approx(6 * n + attention)
    # x 15.6T tokens ~ 4.1e25, near the paper's 3.8e25 (which uses a lower attention count)
    assert model_flop_per_token(spec) * 15.6e12 == pytest.approx(3.8e25, rel=0.1)


def test_moe_active_parameters_count_top_k_and_shared_experts():
    spec = ModelSpec(name="toy", layers=2, hidden=64, heads=4, kv_heads=4, ffn_hidden=256, vocab=100,
                     seq_len=16, glu=False, experts=8, top_k=2, moe_ffn_hidden=128)
    attn = 4 * 64 * 64
    expert = 2 * 64 * 128
    embed = 2 * 100 * 64
    router = 64 * 8
    assert spec.params == 2 * (attn + 8 * expert + router) + embed
    assert spec.active_params == 2 * (attn + 2 * expert + router) + embed


def test_64k_gb200_superchips_are_320_eflops_and_64k_gpus_160():
    gpu = catalog.accelerator("gb200")
    assert cluster_peak_flop_s(gpu, 128_000, "bf16") == pytest.approx(320e18)
    assert cluster_peak_flop_s(gpu, 64_000, "bf16") == pytest.approx(160e18)
    chip = catalog.accelerator("gb200-superchip")
    assert cluster_peak_flop_s(chip, 128_000, "bf16") == pytest.approx(320e18)  # counted in GPUs


def test_precision_without_hardware_path_is_refused():
    with pytest.raises(catalog.InputError, match="precision = 'fp8'.*a100-80gb supports bf16, fp16"):
        catalog.accelerator("a100-80gb").dense_tflops("fp8")


def test_facility_power_hand_computed():
    result = facility_power(n_gpus=1000, tdp_w_per_gpu=700, server_overhead_factor=1.82, pue=1.1,
                            utilisation=0.5, nuclear_unit_mw=1000, japan_twh=1000)
    assert result.it_power_mw == pytest.approx(1.274)
    assert result.facility_power_mw == pytest.approx(1.4014)
    assert result.annual_energy_twh == pytest.approx(1.4014 * 8760 * 0.5 / 1e6)
    assert result.nuclear_units == pytest.approx(1.4014e-3)


@pytest.mark.parametrize("field,kwargs", [("facility.pue", {"pue": 0.9}),
                                          ("facility.utilisation", {"utilisation": 1.5})])
def test_facility_rejects_out_of_range(field, kwargs):
    base = dict(n_gpus=1, tdp_w_per_gpu=700, server_overhead_factor=1.5, pue=1.2, utilisation=0.8,
                nuclear_unit_mw=1000, japan_twh=1000)
    with pytest.raises(catalog.InputError, match=field):
        facility_power(**{**base, **kwargs})
