"""Time-to-train benchmark suites (MLPerf Training): what a published time to a quality target covers.

An MLPerf Training result is the wall time from the start of training to the quality target, with the
evaluation passes its rules prescribe and without model initialisation; a run that fails is not a result,
so it carries no failures, restarts or checkpoints (MLCommons, MLPerf Training rules, "Benchmarks" and
"Timing rules"). A prediction of such a row is therefore the steady-state step time for the row's tokens
plus the evaluation passes: ``eval_sequences`` forward-only sequences every ``interval_sequences`` trained
ones, each at the forward share of a training step's cost per token (1/3, or 1/4 when the step recomputes
the forward pass). It is not a production run: neither the failure model nor the whole-run efficiency of
:mod:`stargate.perf.validation` applies.

The evaluation schedule is read from the row's notes where given ("eval every 24576 sequences on 5659
sequences"), else taken from the benchmark's rules in ``MLPERF_EVAL`` by the row's model name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class EvalSchedule:
    """Evaluation passes of a time-to-train benchmark: ``eval_sequences`` every ``interval_sequences``."""

    interval_sequences: float
    eval_sequences: float
    basis: str

    def share(self, full_recompute: bool) -> float:
        """Evaluation time as a share of the training time of the same run [-]: forward-only sequences at
        1/3 of a training step's cost per token (1/4 when training recomputes the forward pass)."""
        return self.eval_sequences / self.interval_sequences / (4.0 if full_recompute else 3.0)


# (model-name pattern, every, on [sequences], basis): MLCommons MLPerf Training rules (training_rules.adoc,
# "Evaluation frequency"; mlcommons/training_policies d73e20f) and the evaluation sets the results log
# (eval_samples in the MLPerf Training v4.0-v5.1 result logs, mlcommons/training_results_v4.0..v5.1)
MLPERF_EVAL: tuple[tuple[str, float, float, str], ...] = (
    (r"gpt-?3\b.*175", 24_576, 11_590_004 / 2048,
     "MLPerf gpt3: every 24,576 sequences on 11,590,004 tokens (24,567 C4 validation examples)"),
    (r"llama[ -]?3\.?1.*405", 18_432, 5_760, "MLPerf llama31_405b: every 18,432 sequences on 5,760"),
    (r"llama[ -]?3\.?1.*\b8b", 12_288, 1_024, "MLPerf llama31_8b: every 12,288 sequences on 1,024"),
)

_EVERY = re.compile(r"every\s+([\d,]+)\s+(?:sequences|samples)", re.IGNORECASE)
_ON = re.compile(r"\bon\s+([\d,]+)\s+(?:sequences|samples|examples)", re.IGNORECASE)


def is_time_to_train(source: str, notes: str) -> bool:
    """Whether a row reports a time-to-train benchmark result (MLPerf Training)."""
    return "mlperf" in f"{source} {notes}".lower()


def eval_schedule(model: str, notes: str) -> EvalSchedule | None:
    """The evaluation schedule of a time-to-train row: from its notes, else from the benchmark's rules."""
    every, on = _EVERY.search(notes), _ON.search(notes)
    if every and on:
        return EvalSchedule(float(every.group(1).replace(",", "")), float(on.group(1).replace(",", "")),
                            "evaluation schedule from the row")
    name = model.lower()
    for pattern, interval, size, basis in MLPERF_EVAL:
        if re.search(pattern, name):
            return EvalSchedule(interval, size, basis)
    return None
