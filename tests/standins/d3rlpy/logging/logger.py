"""d3rlpy 2's ``D3RLPyLogger``: ``add_params``, ``add_metric`` buffers (``time_*`` ones from
``measure_time``) averaged by ``commit(epoch, step)``, which returns them; ``adapter``."""

import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime


class D3RLPyLogger:
    def __init__(self, adapter_factory, experiment_name, with_timestamp=True):
        if with_timestamp:
            experiment_name += "_" + datetime.now().strftime("%Y%m%d%H%M%S")
        self._experiment_name = experiment_name
        self._adapter = adapter_factory.create(experiment_name)
        self._metrics_buffer = defaultdict(list)

    def add_params(self, params):
        self._adapter.write_params(params)

    def add_metric(self, name, value):
        self._metrics_buffer[name].append(value)

    def commit(self, epoch, step):
        self._adapter.before_write_metric(epoch, step)
        metrics = {}
        for name, buffer in self._metrics_buffer.items():
            metrics[name] = sum(buffer) / len(buffer)
            self._adapter.write_metric(epoch, step, name, metrics[name])
        self._adapter.after_write_metric(epoch, step)
        self._metrics_buffer.clear()
        return metrics

    def save_model(self, epoch, algo):
        self._adapter.save_model(epoch, algo)

    def close(self):
        self._adapter.close()

    @contextmanager
    def measure_time(self, name):
        start = time.time()
        try:
            yield
        finally:
            self.add_metric("time_" + name, time.time() - start)

    @property
    def adapter(self):
        return self._adapter
