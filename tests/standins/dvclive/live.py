"""dvclive 3's ``Live`` without DVC: ``log_metric`` at ``step`` (``next_step`` writes the
summary, then counts), ``log_param(s)`` into ``_params``, and the ``summary`` dict, the
metrics' latest values nested by their ``/`` parts plus ``step``, which ``make_summary``
writes to ``metrics.json``."""

import json
import os


class Live:
    def __init__(
        self,
        dir="dvclive",
        resume=False,
        report=None,
        save_dvc_exp=True,  # noqa: A002
        dvcyaml=True,
        cache_images=False,
        exp_message=None,
    ):
        self.summary = {}
        self._dir = dir
        self._step = None
        self._metrics = {}
        self._params = {}
        self._inside_with = False
        os.makedirs(self._dir, exist_ok=True)

    @property
    def step(self):
        return self._step or 0

    @step.setter
    def step(self, value):
        self._step = value

    def next_step(self):
        if self._step is None:
            self._step = 0
        self.make_summary()
        self.step += 1

    def log_metric(self, name, val, timestamp=False, plot=True):
        self._metrics.setdefault(name, []).append((self.step, val))
        *parents, leaf = name.split("/")
        node = self.summary
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = val

    def log_params(self, params):
        self._params.update(params)
        with open(os.path.join(self._dir, "params.yaml"), "w") as file:
            file.writelines(f"{key}: {value}\n" for key, value in self._params.items())

    def log_param(self, name, val):
        self.log_params({name: val})

    def make_summary(self, update_step=True):
        if self._step is not None and update_step:
            self.summary["step"] = self.step
        with open(os.path.join(self._dir, "metrics.json"), "w") as file:
            json.dump(self.summary, file)

    def end(self):
        if self._inside_with:
            return
        self.make_summary(update_step=False)

    def __enter__(self):
        self._inside_with = True
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self._inside_with = False
        self.end()
