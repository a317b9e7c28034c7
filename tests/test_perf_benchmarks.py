"""Time-to-train benchmark rows (MLPerf Training): steady steps plus evaluation passes, no production losses."""

import pandas as pd
import pytest

from stargate.perf import load_calibration
from stargate.perf.benchmarks import EvalSchedule, eval_schedule, is_time_to_train
from stargate.perf.validation import default_goodput, evaluate_row, prepare_row

CAL = load_calibration()
TOKENS = 1.2e9


def _row(metric: str, source: str, notes: str, value: float) -> pd.Series:
    # GPT-3 175B on 512 H100 at a pinned layout (TP4 PP8 DP16, no recomputation), seq 2048, batch 2048
    return pd.Series({"id": metric + source[:3], "source": source, "model": "GPT-3 175B", "arch": "dense",
                      "params_b": 175, "layers": 96, "hidden": 12288, "heads": 96, "kv_heads": 96,
                      "ffn_hidden": 49152, "vocab": 50257, "seq_len": 2048, "global_batch_seqs": 2048,
                      "accelerator": "h100-sxm", "n_accel": 512, "precision": "fp8", "tp": 4, "pp": 8, "dp": 16,
                      "vpp": 4, "micro_batch": 1, "recompute": "none", "metric": metric, "value": value,
                      "tokens": TOKENS if metric == "train_days" else None, "notes": notes, "date": "2024-11"})


def _predict(row: pd.Series):
    return evaluate_row(prepare_row(row), CAL, default_goodput())


def test_mlperf_time_is_the_steady_steps_plus_forward_only_evaluation():
    # eval every 24,576 sequences on 12,288 sequences: 0.5 x 1/3 of the training time (forward only, no
    # recompute); no failures, checkpoints or whole-run efficiency: hand-derived from the row's own throughput
    rate = _predict(_row("tokens_per_s", "a benchmark", "", 1.0)).predicted
    notes = "MLPerf time-to-train: eval every 24576 sequences on 12288 sequences"
    timed = _predict(_row("train_days", "MLPerf Training v4.1 closed", notes, 0.01))
    assert timed.predicted == pytest.approx(TOKENS / rate * (1 + 0.5 / 3) / 86400, rel=1e-9)
    assert "time-to-train benchmark" in timed.reason and "+16.7% of the time" in timed.reason
    # the same figure read as a production run carries failures and the whole-run efficiency (slower)
    production = _predict(_row("train_days", "a production run", "", 0.01))
    assert production.predicted > timed.predicted * 1.2 and "covers the whole run" in production.reason


def test_eval_schedule_reads_the_row_and_says_when_unknown():
    assert is_time_to_train("MLPerf Training v5.0", "") and not is_time_to_train("Llama 3 paper", "runs")
    schedule = eval_schedule("GPT-3 175B", "eval every 24,576 sequences on 11,590 samples")
    assert schedule == EvalSchedule(24576.0, 11590.0, "evaluation schedule from the row")
    assert schedule.share(full_recompute=True) == pytest.approx(11590 / 24576 / 4)
    # without a schedule in the row, the benchmark's rules: MLPerf gpt3 evaluates 11,590,004 tokens every
    # 24,576 sequences of 2,048 (training_rules.adoc; the v4.x result logs' eval_samples)
    rules = _predict(_row("train_days", "MLPerf Training v4.1", "MLPerf time-to-train", 0.01))
    assert "MLPerf gpt3: every 24,576 sequences" in rules.reason and "+7.7% of the time" in rules.reason
    assert eval_schedule("Llama 3.1 405B", "") == EvalSchedule(18432, 5760, "MLPerf llama31_405b: every 18,432 "
                                                                              "sequences on 5,760")
    assert eval_schedule("Llama 3.1 70B", "MLPerf") is None   # no such pre-training benchmark: said in the reason
    other = _row("train_days", "MLPerf Training v4.1", "MLPerf time-to-train", 0.01)
    other["model"] = "a 175B model"
    assert "no evaluation passes (schedule not known" in _predict(other).reason
