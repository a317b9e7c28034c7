"""Training performance model: step time, MFU and memory of a transformer on a cluster.

Three separate inputs, as in Calculon (Isaev et al., SC'23) and llm-analysis: the application
(:class:`~stargate.workload.ModelSpec`), the system (:class:`Hardware`) and the execution
(:class:`Layouts`, vectorised over many parallel layouts at once). :func:`search` enumerates every
valid layout and ranks them; :func:`predict` evaluates one.
"""

from stargate.perf.calibration import Calibration, load_calibration
from stargate.perf.hardware import Hardware
from stargate.perf.layouts import Layouts, enumerate_layouts
from stargate.perf.search import SearchResult, StepPrediction, predict, search
from stargate.perf.step import StepBreakdown, step_time

__all__ = [
    "Calibration",
    "Hardware",
    "Layouts",
    "SearchResult",
    "StepBreakdown",
    "StepPrediction",
    "enumerate_layouts",
    "load_calibration",
    "predict",
    "search",
    "step_time",
]
