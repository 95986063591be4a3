import json
import os


class FileAdapter:
    """Writes the params, a CSV per metric and the models under ``d3rlpy_logs/<name>``."""

    def __init__(self, logdir):
        self._logdir = logdir
        os.makedirs(logdir, exist_ok=True)

    def write_params(self, params):
        with open(os.path.join(self._logdir, "params.json"), "w") as file:
            json.dump(params, file)

    def before_write_metric(self, epoch, step):
        pass

    def write_metric(self, epoch, step, name, value):
        with open(os.path.join(self._logdir, f"{name}.csv"), "a") as file:
            file.write(f"{epoch},{step},{value}\n")

    def after_write_metric(self, epoch, step):
        pass

    def save_model(self, epoch, algo):
        algo.save(os.path.join(self._logdir, f"model_{epoch}.d3"))

    def close(self):
        pass


class FileAdapterFactory:
    def __init__(self, root_dir="d3rlpy_logs"):
        self._root_dir = root_dir

    def create(self, experiment_name):
        return FileAdapter(os.path.join(self._root_dir, experiment_name))
