"""d3rlpy 2's ``LearnableBase`` (``save``, ``save_model``) and its config's serialized form,
``{"type": "dqn", "params": {...}}``, which ``fit`` hands its logger's ``add_params``."""

import dataclasses
import json


@dataclasses.dataclass()
class LearnableConfig:
    batch_size: int = 256
    gamma: float = 0.99

    @staticmethod
    def get_type():
        raise NotImplementedError

    def serialize_to_dict(self):
        return dataclasses.asdict(self)


class LearnableBase:
    def __init__(self, config, device):
        self._config = config
        self._device = device

    @property
    def config(self):
        return self._config

    def save(self, fname):
        self.save_model(fname)

    def save_model(self, fname):
        with open(fname, "w") as file:
            json.dump(self._config.serialize_to_dict(), file)


def dump_learnable(algo):
    config = algo.config
    return {"config": {"type": config.get_type(), "params": config.serialize_to_dict()}}
