"""sacred 0.8's ``Run``: its ``config``, ``log_scalar`` (a step counted per name when none is
given, in ``_metrics._metric_step_counter``) and ``__call__``, which runs the main function
and hands its result to the observers."""

import json
import os


class MetricsLogger:
    def __init__(self):
        self._metric_step_counter = {}
        self.logged = {}

    def log_scalar_metric(self, metric_name, value, step=None):
        if step is None:
            step = self._metric_step_counter.get(metric_name, -1) + 1
        self._metric_step_counter[metric_name] = step
        self.logged.setdefault(metric_name, {"steps": [], "values": []})
        self.logged[metric_name]["steps"].append(step)
        self.logged[metric_name]["values"].append(value)


class Run:
    def __init__(self, config, main_function, observers=()):
        self.config = config
        self.main_function = main_function
        self.observers = list(observers)
        self.result = None
        self._metrics = MetricsLogger()

    def __call__(self, *args):
        self.result = self.main_function(*args)
        for basedir in self.observers:
            folder = os.path.join(basedir, "1")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "metrics.json"), "w") as file:
                json.dump(self._metrics.logged, file)
            with open(os.path.join(folder, "config.json"), "w") as file:
                json.dump(self.config, file)
        return self.result

    def log_scalar(self, metric_name, value, step=None):
        self._metrics.log_scalar_metric(metric_name, value, step)
