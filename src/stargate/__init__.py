"""Stargate Planner: planner and digital twin for gigawatt-scale AI supercomputers.

>>> import stargate
>>> result = stargate.plan(stargate.default_scenario())
>>> round(result.facility.facility_power_mw)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stargate.errors import InputError

if TYPE_CHECKING:
    from stargate.pipeline import PlanResult, plan, resolve_cluster, resolve_workload
    from stargate.scenario import Scenario, default_scenario, load_scenario, scenario_from_dict
    from stargate.whatif import compare, sensitivity, sweep, uncertainty

# The API is imported on first use (PEP 562), so `import stargate.cli` (and `stargate --help`) does not
# load the solvers, weather models and data frames behind it.
_LAZY = {"PlanResult": "stargate.pipeline", "plan": "stargate.pipeline", "resolve_cluster": "stargate.pipeline",
         "resolve_workload": "stargate.pipeline", "Scenario": "stargate.scenario",
         "default_scenario": "stargate.scenario", "load_scenario": "stargate.scenario",
         "scenario_from_dict": "stargate.scenario", "compare": "stargate.whatif", "sweep": "stargate.whatif",
         "uncertainty": "stargate.whatif", "sensitivity": "stargate.whatif"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'stargate' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "InputError",
    "PlanResult",
    "Scenario",
    "compare",
    "default_scenario",
    "load_scenario",
    "plan",
    "resolve_cluster",
    "resolve_workload",
    "scenario_from_dict",
    "sensitivity",
    "sweep",
    "uncertainty",
]
__version__ = "0.1.0"
