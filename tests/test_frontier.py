"""Frontier runs sized by a compute budget: scaling laws, shapes, batches, the run-length solver."""

import itertools
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stargate
from stargate.errors import InputError
from stargate.frontier import compute_for_params, compute_optimal, dense_shape, global_batch
from stargate.performance import job_sizes
from stargate.pipeline import largest_run, resolve_cluster, resolve_workload, train
from stargate.scenario import default_scenario_text
from stargate.workload import model_flop_per_token


def scenario(workload: dict, accelerator: str = "gb200", count: int = 450_000, **sections) -> stargate.Scenario:
    data = tomllib.loads(default_scenario_text())
    data["workload"] = workload
    data["cluster"] = {"accelerator": accelerator, "count": count}
    data.update(sections)
    return stargate.scenario_from_dict(data)


def test_shape_rule_reproduces_llama_3_405b():
    # Llama 3.1 405B (arXiv:2407.21783, Table 3): 126 layers, hidden 16,384, FFN 53,248, 128 heads, 8 KV heads
    spec = dense_shape(405e9)
    assert (spec.layers, spec.hidden, spec.ffn_hidden, spec.heads, spec.kv_heads) == (126, 16384, 53248, 128, 8)
    assert spec.params == pytest.approx(405e9, rel=0.01)


def test_compute_optimal_split_matches_chinchilla_and_is_exact():
    # Chinchilla's own budget (70B x 1.4T x 6 = 5.88e23): the Epoch re-fit gives ~20 tokens per parameter
    opt = compute_optimal(6 * 70e9 * 1.4e12)
    assert 60e9 < opt.params < 85e9 and 15 < opt.tokens_per_param < 22
    assert 6 * opt.params * opt.tokens == pytest.approx(opt.flop)
    # hand-derived with the published Hoffmann coefficients: G = (0.34*406.4/(0.28*410.7))^(1/0.62) = 1.3448,
    # N_opt = G (C/6)^(0.28/0.62) = 1.3448 x (9.8e22)^0.4516 = 3.25e10
    assert compute_optimal(5.88e23, "chinchilla-hoffmann-2022").params == pytest.approx(3.25e10, rel=0.01)
    # doubling compute multiplies N by 2^(beta/(alpha+beta)) = 2^0.5126
    ratio = compute_optimal(2e26).params / compute_optimal(1e26).params
    assert ratio == pytest.approx(2 ** (0.3658 / (0.3478 + 0.3658)), rel=1e-9)
    assert compute_for_params(opt.params).flop == pytest.approx(opt.flop, rel=1e-9)


def test_batch_law_reproduces_deepseek_llm_batches_and_is_capped():
    # in the fitted range: 0.2920 x (1e20)^0.3271 = 0.2920 x 10^6.542 = 1.017M tokens
    assert global_batch(1e20).tokens == pytest.approx(1.017e6, rel=0.005)
    # DeepSeek LLM 7B / 67B (arXiv:2401.02954, Table 2): 2,304 and 4,608 sequences of 4,096 on 2T tokens
    # (C = 6 x non-embedding params x tokens ~ 7.8e22 and 7.9e23)
    assert global_batch(7.8e22).tokens == pytest.approx(2304 * 4096, rel=0.06)
    assert global_batch(7.9e23).tokens == pytest.approx(4608 * 4096, rel=0.06)
    # GPT-4's ~2.1e25 FLOP: 56M tokens, near the rumoured 60M; above ~3.6e25 the cap (DeepSeek-V3) applies
    assert global_batch(2.1e25).tokens == pytest.approx(56e6, rel=0.02) and not global_batch(2.1e25).capped
    big = global_batch(3e27)
    assert big.capped and big.tokens == 15_360 * 4096 and big.law_tokens > 2e8
    assert global_batch(3e27, cap_tokens=1e9).tokens == pytest.approx(big.law_tokens)
    assert "capped" in big.basis and "DeepSeek LLM" in big.basis


def test_frontier_workload_by_budget_and_by_size():
    wl = resolve_workload(scenario({"training_flop": 3e27}))
    assert wl.training_flop == 3e27
    assert wl.tokens * model_flop_per_token(wl.spec) == pytest.approx(3e27)
    assert wl.spec.params == pytest.approx(wl.compute_optimal.params, rel=0.03)
    assert wl.global_batch_tokens == 15_360 * 4096 and "capped" in wl.batch_basis
    by_size = resolve_workload(scenario({"params_b": 1000}))
    assert by_size.spec.params == pytest.approx(1e12, rel=0.03)
    assert by_size.compute_optimal.params == pytest.approx(1e12)


def test_published_runs_keep_their_batch_and_estimates_get_the_law():
    llama = resolve_workload(scenario({"model": "llama-3.1-405b"}))
    assert llama.global_batch_tokens == 16.8e6 and "published" in llama.batch_basis
    gpt4 = resolve_workload(scenario({"model": "gpt4"}))  # rumoured shape and batch: the law decides
    assert gpt4.global_batch_tokens == pytest.approx(global_batch(2.1e25).tokens)
    given_batch = resolve_workload(scenario({"training_flop": 1e26, "global_batch_tokens": 1e8}))
    assert given_batch.global_batch_tokens == 1e8 and given_batch.batch_basis == "given in scenario"


@pytest.mark.parametrize(("workload", "field"), [
    ({"model": "llama-3.1-405b", "run_days": 100}, "run_days"),
    ({"model": "llama-3.1-405b", "params_b": 100}, "params_b"),
    ({}, "exactly one of"),
    ({"training_flop": 1e26, "run_days": 50}, "exactly one of"),
    ({"training_flop": 1e26, "training_tokens": 1e12}, "training_tokens"),
    ({"training_flop": 1e26, "scaling_law": "kaplan"}, "chinchilla-besiroglu-2024"),
])
def test_bad_frontier_workloads_are_one_line(workload, field):
    with pytest.raises(InputError) as err:
        scenario(workload)
    assert field in str(err.value) and "\n" not in str(err.value)


def test_job_size_ladder_is_fixed_and_fine():
    small, large = job_sizes(100_000), job_sizes(450_000)
    assert set(small) <= set(large)
    assert large[0] == 13 * 32768 and small[0] == 12 * 8192
    big = [n for n in large if n >= 64]
    assert all(a / b <= 1.125 + 1e-12 for a, b in itertools.pairwise(big))
    assert job_sizes(4096, {"tp": 8, "pp": 4, "dp": 16, "cp": 1}) == [512]


@settings(max_examples=8, deadline=None)
@given(flop=st.floats(1e25, 1e27), n_small=st.integers(4_000, 60_000), factor=st.floats(1.0, 4.0),
       accelerator=st.sampled_from(["h100-sxm", "gb200"]))
def test_more_gpus_of_the_same_chip_never_train_the_same_run_slower(flop, n_small, factor, accelerator):
    workload = {"training_flop": flop}
    small = train(scenario(workload, accelerator, n_small)).training
    large = train(scenario(workload, accelerator, int(n_small * factor))).training
    assert large.wall_clock_days <= small.wall_clock_days * (1 + 1e-12)


def test_largest_run_in_100_days_trains_in_99_to_100_days_and_grows_with_the_cluster():
    sc = scenario({"run_days": 100})
    run = train(sc)
    assert 99.0 <= run.training.wall_clock_days <= 100.0
    assert run.workload.target_days == 100 and run.workload.compute_optimal is not None
    # more than Llama 3 405B (3.8e25 on 16k H100 in ~54 days) and within the campus's dense peak x 100 days
    assert 3.8e25 < run.workload.training_flop < run.cluster.peak_flop_s("bf16") * 100 * 86400
    half = largest_run(sc, resolve_cluster(scenario({"run_days": 100}, count=225_000)), 100)
    assert half.workload.training_flop < run.workload.training_flop
