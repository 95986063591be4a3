from sacred.experiment import Experiment

__all__ = ["Experiment"]
