"""Roadmap: a multi-campus build-out with delays and supply limits, as probabilities."""

from stargate.roadmap.model import Programme, load_programme, programme_from_dict
from stargate.roadmap.montecarlo import RoadmapResult, largest_run_flop, simulate

__all__ = ["Programme", "RoadmapResult", "largest_run_flop", "load_programme", "programme_from_dict", "simulate"]
