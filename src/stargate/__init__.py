"""Stargate Planner: planner and digital twin for gigawatt-scale AI supercomputers.

>>> import stargate
>>> result = stargate.plan(stargate.default_scenario())
>>> round(result.facility.facility_power_mw)  # doctest: +SKIP
"""

from stargate.errors import InputError
from stargate.pipeline import PlanResult, plan, resolve_cluster, resolve_workload
from stargate.scenario import Scenario, default_scenario, load_scenario, scenario_from_dict
from stargate.whatif import compare, sweep

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
    "sweep",
]
__version__ = "0.1.0"
