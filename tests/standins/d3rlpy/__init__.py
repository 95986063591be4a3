from d3rlpy import algos, dataset, logging, metrics
from d3rlpy.constants import ActionSpace

__all__ = ["ActionSpace", "algos", "dataset", "logging", "metrics"]
