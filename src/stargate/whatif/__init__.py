"""What-if analysis: overrides, comparisons, sweeps (serial or on Dask), uncertainty bands and sensitivity."""

from stargate.whatif.headline import HEADLINES, evaluate, headline
from stargate.whatif.overrides import apply_overrides, parse_value

__all__ = ["HEADLINES", "apply_overrides", "evaluate", "headline", "parse_value"]
