"""What-if analysis: overrides, comparisons, sweeps (serial or on Dask), uncertainty bands and sensitivity."""

from stargate.whatif.compare import compare
from stargate.whatif.headline import HEADLINES, evaluate, headline
from stargate.whatif.overrides import apply_overrides, parse_value
from stargate.whatif.sensitivity import sensitivity
from stargate.whatif.sweep import sweep
from stargate.whatif.uncertainty import uncertainty

__all__ = ["HEADLINES", "apply_overrides", "compare", "evaluate", "headline", "parse_value", "sensitivity", "sweep",
           "uncertainty"]
