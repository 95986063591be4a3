"""aim 3's ``aim.sdk.run.Run``: ``run[key] = value`` params and ``track``'d sequences,
kept in the run's folder under ``.aim`` as the real one keeps them in its repository."""

import json
import os


class Run:
    def __init__(
        self,
        run_hash=None,
        *,
        repo=None,
        read_only=False,
        experiment=None,
        force_resume=False,
        system_tracking_interval=10,
        log_system_params=False,
        capture_terminal_logs=True,
    ):
        self.hash = run_hash or "0123456789abcdef01234567"
        self._repo = repo or ".aim"
        self._params = {}
        self._sequences = {}
        if log_system_params:
            self["__system_params"] = {"arguments": [], "env_variables": {}}
        if experiment is not None:
            self.experiment = experiment

    def __setitem__(self, key, val):
        if key is Ellipsis:
            self._params = dict(val)
        else:
            self._params[key] = val

    def __getitem__(self, key):
        return self._params if key is Ellipsis else self._params[key]

    def track(self, value, name=None, step=None, epoch=None, *, context=None):
        values = value if name is None and isinstance(value, dict) else {name: value}
        context_key = json.dumps(context or {}, sort_keys=True)
        for key, item in values.items():
            points = self._sequences.setdefault(f"{context_key}:{key}", [])
            at = step if step is not None else (max(s for s, _, _ in points) + 1 if points else 0)
            points.append((at, epoch, item))

    def close(self):
        os.makedirs(self._repo, exist_ok=True)
        with open(os.path.join(self._repo, self.hash + ".json"), "w") as file:
            json.dump({"params": self._params, "sequences": self._sequences}, file)
