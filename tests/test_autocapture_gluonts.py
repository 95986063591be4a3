"""A GluonTS estimator under ``runledger exec``: the arguments it was made with (GluonTS keeps
them, defaults included, as ``__init_args__``) are the run's params.

GluonTS pins pandas below 3, so the estimator here is a stand-in with GluonTS's module path,
its ``@validated`` arguments and ``train`` (gluonts 0.17's ``PyTorchLightningEstimator``)."""

from __future__ import annotations

import sys
import textwrap

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program

GLUONTS_ESTIMATOR = """\
import inspect
from collections import OrderedDict


class StudentTOutput:
    pass


class PyTorchLightningEstimator:
    def __init__(self, trainer_kwargs=None):
        self.trainer_kwargs = trainer_kwargs

    def train(self, training_data, validation_data=None):
        print("training", self.__init_args__["prediction_length"])
        return self


class DeepAREstimator(PyTorchLightningEstimator):
    def __init__(self, freq, prediction_length, context_length=None, num_layers=2,
                 hidden_size=40, lr=1e-3, distr_output=StudentTOutput(), batch_size=32,
                 num_batches_per_epoch=50, trainer_kwargs=None, lags_seq=None):
        # as gluonts.core.component.validated keeps them
        bound = inspect.signature(DeepAREstimator.__init__).bind(
            self, freq, prediction_length, context_length, num_layers, hidden_size, lr,
            distr_output, batch_size, num_batches_per_epoch, trainer_kwargs, lags_seq)
        self.__init_args__ = OrderedDict(list(bound.arguments.items())[1:])
        super().__init__(trainer_kwargs)
"""

GLUONTS_PROGRAM = """\
from gluonts.torch.model.estimator import DeepAREstimator

estimator = DeepAREstimator(prediction_length=12, freq="M", num_batches_per_epoch=10,
                            trainer_kwargs={"max_epochs": 3})
predictor = estimator.train([])
print("loss=0.5")
"""


def test_a_gluonts_estimators_arguments_are_params(repo: Repo) -> None:
    for folder in ("gluonts", "gluonts/torch", "gluonts/torch/model"):
        repo.write(f"{folder}/__init__.py", "")
    repo.write("gluonts/torch/model/estimator.py", textwrap.dedent(GLUONTS_ESTIMATOR))
    program(repo, GLUONTS_PROGRAM)

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    params = run["params"]
    assert params["prediction_length"] == 12 and params["freq"] == "M"
    assert params["num_batches_per_epoch"] == 10
    assert params["num_layers"] == 2 and params["lr"] == 0.001  # DeepAR's defaults
    assert params["distr_output"] == "StudentTOutput"  # an object by its class
    assert run["param_sources"]["prediction_length"] == "gluonts"
    # None (not set) is no setting; the Trainer's arguments are Lightning's to record
    assert not {"context_length", "lags_seq", "trainer_kwargs"} & set(params)
