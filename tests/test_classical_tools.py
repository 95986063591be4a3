"""Classical, online and Bayesian tools as their users run them, unchanged.

scikit-surprise's ``cross_validate(..., verbose=True)`` table, Vowpal Wabbit's progress
table and closing summary, PyMC's ``pm.sample``. The printed output is fed to the collector
as the library prints it; the programs run under the real ``runledger exec``, with the real
library where it is installed and a module of the same name imitating it otherwise.
"""

from __future__ import annotations

import sys

import pytest

from runledger.analysis.direction import metric_direction
from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series
from tests.test_constructor_params import _imitate
from tests.test_tabular import _read

# scikit-surprise's README: cross_validate(algo, data, measures=["RMSE", "MAE"], cv=5,
# verbose=True), then accuracy.rmse(predictions) of a train/test split.
SURPRISE_CV = """\
Evaluating RMSE, MAE of algorithm SVD on 5 split(s).

                  Fold 1  Fold 2  Fold 3  Fold 4  Fold 5  Mean    Std     
RMSE (testset)    0.9311  0.9370  0.9320  0.9317  0.9391  0.9342  0.0032  
MAE (testset)     0.7350  0.7375  0.7341  0.7342  0.7375  0.7357  0.0015  
Fit time          6.53    7.11    7.23    7.15    3.99    6.40    1.23    
Test time         0.26    0.26    0.25    0.15    0.13    0.21    0.06    
RMSE: 0.9411
"""


def test_surprise_cross_validate_table_gives_each_measures_mean_and_std() -> None:
    # Before: only the closing "RMSE: 0.9411"; the table gave nothing.
    assert _read(SURPRISE_CV) == {
        "test_rmse": [(0, 0.9342)],
        "test_rmse_std": [(0, 0.0032)],
        "test_mae": [(0, 0.7357)],
        "test_mae_std": [(0, 0.0015)],
        "rmse": [(0, 0.9411)],
    }
    assert metric_direction("test_rmse_std") == "min"


def test_a_train_measure_and_three_folds() -> None:
    # return_train_measures=True adds "(trainset)" rows; cv=3 has three fold columns.
    table = """\
                  Fold 1  Fold 2  Fold 3  Mean    Std     
FCP (testset)     0.6931  0.7012  0.6870  0.6938  0.0058  
FCP (trainset)    0.7531  0.7544  0.7499  0.7525  0.0019  
Fit time          0.02    0.02    0.02    0.02    0.00    
Epoch 3: done
"""
    assert _read(table) == {
        "test_fcp": [(0, 0.6938)],
        "test_fcp_std": [(0, 0.0058)],
        "train_fcp": [(0, 0.7525)],
        "train_fcp_std": [(0, 0.0019)],
    }


def test_a_row_of_other_folds_is_no_row_of_the_table() -> None:
    table = """\
                  Fold 1  Fold 2  Mean    Std     
RMSE (testset)    0.93    0.94    0.95    0.935   0.005
"""
    assert _read(table) == {}


@needs("surprise", "pandas")
def test_real_surprise_cross_validate(repo: Repo) -> None:
    program(
        repo,
        """\
        import numpy as np
        import pandas as pd
        from surprise import SVD, Dataset, Reader, accuracy
        from surprise.model_selection import GridSearchCV, cross_validate, train_test_split

        rng = np.random.default_rng(0)
        ratings = pd.DataFrame({
            "user": rng.integers(0, 50, 600), "item": rng.integers(0, 80, 600),
            "rating": rng.integers(1, 6, 600).astype(float),
        })
        data = Dataset.load_from_df(ratings, Reader(rating_scale=(1, 5)))
        cross_validate(SVD(n_epochs=5), data, measures=["RMSE", "MAE"], cv=3, verbose=True)
        trainset, testset = train_test_split(data, test_size=0.25, random_state=0)
        algo = SVD(n_epochs=5, random_state=0)
        algo.fit(trainset)
        accuracy.rmse(algo.test(testset))
        gs = GridSearchCV(SVD, {"n_epochs": [3, 5], "lr_all": [0.002, 0.005]}, cv=2)
        gs.fit(data)
        print(gs.best_score["rmse"])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["metrics"]) == {
        "test_rmse", "test_rmse_std", "test_mae", "test_mae_std", "rmse", "best_rmse",
    }  # fmt: skip
    assert 0.5 < run["metrics"]["test_rmse"] < 3
    # the search's best (not its candidates'), in place of the program's own SVD(n_epochs=5)'s
    assert set(run["params"]) == {"n_epochs", "lr_all"}
    assert run["param_sources"]["lr_all"] == "surprise"


# vw -d train.txt --passes 3 -c -f model.vw --loss_function logistic (Vowpal Wabbit 9.11)
VW_OUTPUT = """\
final_regressor = model.vw
creating cache_file = train.txt.cache
Reading datafile = train.txt
num sources = 1
Num weight bits = 18
learning rate = 0.5
initial_t = 0
power_t = 0.5
decay_learning_rate = 1
Enabled learners: gd, scorer-identity, count_label
Input label = SIMPLE
Output pred = SCALAR
average  since         example        example        current        current  current
loss     last          counter         weight          label        predict features
0.693147 0.693147            1            1.0         1.0000         0.0000        6
0.508781 0.324416            2            2.0         1.0000         0.9591        6
0.883239 1.257697            4            4.0        -1.0000         2.2048        6
0.379009 0.379009         2048         2048.0         1.0000         0.9040        6 h
0.323523 0.268281         4096         4096.0         1.0000         3.4650        6 h

finished run
number of examples per pass = 1800
passes used = 3
weighted example sum = 5400.000000
weighted label sum = 24.000000
average loss = 0.249466 h
best constant = 0.008889
best constant's loss = 0.693137
total feature number = 32388
"""


def test_vowpal_wabbit_gives_its_average_loss_at_each_example_counter() -> None:
    # Before: only best_constant_loss; neither the table nor the closing held-out
    # "average loss = 0.249466 h".
    found = _read(VW_OUTPUT)
    assert found["average_loss"] == [
        (1, 0.693147),
        (2, 0.508781),
        (4, 0.883239),
        (2048, 0.379009),
        (4096, 0.323523),
        (4097, 0.249466),
    ]
    assert set(found) == {"average_loss", "best_constant_loss"}


def test_vowpal_wabbit_rows_of_classes_and_unknown_labels() -> None:
    # --oaa 3: the label and the prediction are classes; a test-only row's label is "unknown".
    table = """\
average  since         example        example        current        current  current
loss     last          counter         weight          label        predict features
1.000000 1.000000            1            1.0              2              1        5
0.500000 0.000000            2            2.0        unknown              3        5
"""
    assert _read(table) == {"average_loss": [(1, 1.0), (2, 0.5)]}


@needs("vowpalwabbit")
def test_real_vowpal_wabbit_command_line(repo: Repo) -> None:
    lines = [f"{1 if i % 3 else -1} |f a:{i % 7} b:{(i * 5) % 11}" for i in range(300)]
    repo.write("train.txt", "\n".join(lines) + "\n")
    repo.write(".gitignore", "model.vw\n*.cache\n")
    repo.commit_all("data")

    _, run = exec_run(
        repo, sys.executable, "-m", "vowpalwabbit", "-d", "train.txt", "--passes", "3", "-c",
        "-f", "model.vw", "--loss_function", "logistic",
    )  # fmt: skip

    points = series(run, "average_loss")
    assert [step for step, _ in points[:3]] == [1, 2, 4] and len(points) > 6
    assert run["params"]["passes"] == 3
    assert [artifact["path"] for artifact in run["artifacts"]] == ["model.vw"]


# pymc.sampling.mcmc.sample's signature (PyMC 5.28), returning what InferenceData shows of
# the chains it ran and of the draws that diverged.
FAKE_PYMC_SAMPLE = """\
class _Posterior:
    def __init__(self, chains, draws):
        self.sizes = {"chain": chains, "draw": draws}


class _Diverging:
    def sum(self):
        return 3


class InferenceData:
    def __init__(self, chains, draws):
        self.posterior = _Posterior(chains, draws)
        self.sample_stats = {"diverging": _Diverging()}


def sample(draws=1000, *, tune=1000, chains=None, cores=None, random_seed=None,
           progressbar=True, quiet=False, step=None, nuts_sampler="pymc", init="auto",
           n_init=200_000, discard_tuned_samples=True, compute_convergence_checks=True,
           return_inferencedata=True, model=None, **kwargs):
    print("Sampling 4 chains for", tune, "tune and", draws, "draw iterations")
    return InferenceData(chains or 4, draws)
"""


def test_pymc_sample_settings_are_params_and_its_divergences_a_metric(repo: Repo) -> None:
    # PyMC's getting-started notebook: pm.sample(draws=200, tune=200, ...) then
    # print(az.summary(idata)). Before: no params, no metric.
    _imitate(repo, "pymc/sampling/mcmc.py", FAKE_PYMC_SAMPLE)
    repo.write("pymc/__init__.py", "from pymc.sampling.mcmc import sample\n")
    program(
        repo,
        """\
        import pymc as pm

        idata = pm.sample(draws=200, random_seed=8927, progressbar=False, target_accept=0.9)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # draws and tune with their defaults too; the chains the sampler chose; not progressbar
    assert run["params"] == {
        "draws": 200,
        "tune": 1000,
        "random_seed": 8927,
        "target_accept": 0.9,
        "chains": 4,
    }
    assert run["param_sources"]["draws"] == "pymc"
    assert run["metrics"] == {"divergences": 3}
    assert metric_direction("divergences") == "min"


@needs("pymc")
def test_real_pymc_sample(repo: Repo) -> None:
    program(
        repo,
        """\
        import numpy as np
        import pymc as pm

        with pm.Model():
            mu = pm.Normal("mu", 0, 1)
            pm.Normal("y", mu, 1, observed=np.array([0.1, -0.3, 0.4]))
            idata = pm.sample(draws=30, tune=30, chains=1, cores=1, random_seed=1,
                              progressbar=False, compute_convergence_checks=False)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "draws": 30, "tune": 30, "chains": 1, "cores": 1, "random_seed": 1,
    }  # fmt: skip
    assert run["metrics"]["divergences"] >= 0


@needs("hmmlearn")
def test_real_hmmlearn_verbose_fit_gives_its_log_likelihood_per_iteration(repo: Repo) -> None:
    # hmmlearn's tutorial with verbose=True: the ConvergenceMonitor's lines on stderr.
    # Before: only the printed score; the iterations gave nothing.
    program(
        repo,
        """\
        import numpy as np
        from hmmlearn import hmm

        rng = np.random.RandomState(0)
        X = np.concatenate([rng.normal(0, 1, (100, 1)), rng.normal(5, 1, (100, 1))])
        model = hmm.GaussianHMM(n_components=2, n_iter=6, tol=-1, verbose=True, random_state=0)
        model.fit(X)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    points = series(run, "log_likelihood")
    assert [step for step, _ in points] == [1, 2, 3, 4, 5, 6]
    assert points[-1][1] > points[0][1]
    assert run["params"]["n_components"] == 2


# fasttext/FastText.py's train_supervised (fastText 0.9.2): keyword arguments over its
# defaults; the model keeps the settings it trained with (the loss an enum of the binding).
FAKE_FASTTEXT = """\
import enum


class loss_name(enum.Enum):
    softmax = 1
    ova = 2


class _FastText:
    def __init__(self, args):
        for name, value in args.items():
            setattr(self, name, value)


def train_supervised(*kargs, **kwargs):
    args = {"lr": 0.1, "dim": 100, "epoch": 5, "wordNgrams": 1, "loss": loss_name.softmax,
            "thread": 12, "verbose": 2}
    args.update(kwargs)
    args["loss"] = loss_name[args["loss"]] if isinstance(args["loss"], str) else args["loss"]
    return _FastText(args)


def train_unsupervised(*kargs, **kwargs):
    return train_supervised(**kwargs)
"""


def test_fasttext_training_settings_are_params(repo: Repo) -> None:
    # fastText's text classification tutorial. Before: no params at all.
    _imitate(repo, "fasttext/FastText.py", FAKE_FASTTEXT)
    repo.write("fasttext/__init__.py", "from .FastText import train_supervised\n")
    program(
        repo,
        """\
        import fasttext

        model = fasttext.train_supervised(input="cooking.train", lr=1.0, epoch=25, wordNgrams=2,
                                          loss="ova", thread=4)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # the given ones (not thread), and the dimension trained with by default
    assert run["params"] == {
        "input": "cooking.train", "lr": 1.0, "epoch": 25, "wordNgrams": 2, "loss": "ova",
        "dim": 100,
    }  # fmt: skip
    assert run["param_sources"]["lr"] == "fasttext"


@needs("fasttext")
def test_real_fasttext_supervised_tutorial(repo: Repo) -> None:
    lines = [f"__label__{'pos' if i % 2 else 'neg'} w{i % 2} x{i % 5} y{i % 7}" for i in range(200)]
    repo.write("cooking.train", "\n".join(lines[:150]) + "\n")
    repo.write("cooking.valid", "\n".join(lines[150:]) + "\n")
    repo.write(".gitignore", "*.bin\n")
    program(
        repo,
        """\
        import fasttext

        def print_results(N, p, r):
            print("N\\t" + str(N))
            print("P@{}\\t{:.3f}".format(1, p))
            print("R@{}\\t{:.3f}".format(1, r))

        model = fasttext.train_supervised(input="cooking.train", epoch=5, thread=1)
        print_results(*model.test("cooking.valid"))
        model.save_model("model_cooking.bin")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["metrics"]) == {"precision_at_1", "recall_at_1", "avg_loss"}
    assert run["params"]["epoch"] == 5 and run["params"]["lr"] == 0.1
    assert [artifact["path"] for artifact in run["artifacts"]] == ["model_cooking.bin"]


# keras_tuner/src/engine/base_tuner.py (KerasTuner 1.4): search runs the trials, and
# on_trial_end has the oracle score each (its best epoch's objective) before it is saved.
FAKE_KERAS_TUNER = """\
class _Objective:
    name = "val_accuracy"
    direction = "max"


class _Observation:
    def __init__(self, step, value):
        self.step, self.value = step, value

    def mean(self):
        return self.value


class _Metrics:
    def __init__(self, history):
        self.history = history

    def exists(self, name):
        return name == "val_accuracy"

    def get_history(self, name):
        return [_Observation(step, value) for step, value in enumerate(self.history)]


class _HyperParameters:
    def __init__(self, values):
        self.values = values


class Trial:
    def __init__(self, trial_id, values, history):
        self.trial_id, self.status, self.score = trial_id, "RUNNING", None
        self.hyperparameters = _HyperParameters(values)
        self.metrics = _Metrics(history)


class _Oracle:
    objective = _Objective()

    def end_trial(self, trial):
        trial.status, trial.score = "COMPLETED", max(trial.metrics.history)


class BaseTuner:
    def __init__(self, project_name):
        self.oracle, self.project_name = _Oracle(), project_name

    def search(self, trials):
        for trial in trials:
            self.on_trial_end(trial)

    def on_trial_end(self, trial):
        self.oracle.end_trial(trial)
"""


def _parent(repo: Repo) -> dict[str, object]:
    parent = next(run for run in repo.runs_json() if run["parent"] is None)
    return dict(repo.cli("show", str(parent["id"]), "--json").json())


def test_keras_tuner_trials_are_child_runs_and_the_parent_has_the_best(repo: Repo) -> None:
    # KerasTuner's README: RandomSearch(build_model, objective="val_accuracy", max_trials=3).
    # Before: no children; the parent's learning_rate was trial 0's, its "score" the worst
    # trial's (results_summary prints the best first).
    _imitate(repo, "keras_tuner/src/engine/base_tuner.py", FAKE_KERAS_TUNER)
    program(
        repo,
        """\
        from keras_tuner.src.engine.base_tuner import BaseTuner, Trial

        tuner = BaseTuner("demo")
        tuner.search([
            Trial("0", {"units": 8, "lr": 0.01}, [0.7, 0.8]),
            Trial("1", {"units": 16, "lr": 0.001}, [0.85, 0.9]),
            Trial("2", {"units": 32, "lr": 0.005}, [0.5, 0.6]),
        ])
        """,
    )

    exec_run(repo, sys.executable, "train.py")

    parent = _parent(repo)
    assert parent["params"] == {"units": 16, "lr": 0.001}
    assert parent["metrics"] == {"value": 0.9}
    assert parent["trial"] == {
        "role": "study", "trials": 3, "direction": "maximize", "metric": "value",
        "best_trial": 1, "best_run": parent["trial"]["best_run"],  # type: ignore[index]
    }  # fmt: skip
    children = {run["name"]: run for run in repo.runs_json() if run["parent"]}
    assert {name: run["metrics"] for name, run in children.items()} == {
        "trial 0": {"value": 0.8},
        "trial 1": {"value": 0.9},
        "trial 2": {"value": 0.6},
    }


def test_keras_tuner_results_summary_gives_no_score() -> None:
    summary = """\
Results summary
Results in kt_dir/demo
Showing 10 best trials
Objective(name="val_accuracy", direction="max")

Trial 2 summary
Hyperparameters:
units: 16
lr: 0.0062135540967083866
Score: 0.9100000262260437

Trial 1 summary
Hyperparameters:
units: 8
Score: 0.5699999928474426
Score: 0.75
"""
    assert _read(summary) == {"score": [(0, 0.75)]}


@pytest.mark.slow
@needs("keras_tuner", "torch")
def test_real_keras_tuner_random_search(repo: Repo) -> None:
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import keras
        import keras_tuner
        import numpy as np

        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, 4)).astype("float32")
        y = (x[:, 0] > 0).astype("float32")

        def build_model(hp):
            model = keras.Sequential([
                keras.layers.Dense(hp.Choice("units", [4, 8]), activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ])
            lr = hp.Float("lr", 1e-3, 1e-2, sampling="log")
            model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(lr),
                          metrics=["accuracy"])
            return model

        tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=2,
                                         directory="kt_dir", project_name="demo", seed=1)
        tuner.search(x[:150], y[:150], epochs=2, validation_data=(x[150:], y[150:]), verbose=0)
        tuner.results_summary()
        """,
    )

    exec_run(repo, sys.executable, "train.py")

    parent = _parent(repo)
    params = parent["params"]
    assert isinstance(params, dict)
    assert set(params) == {"units", "lr", "epochs", "optimizer"}
    assert params["epochs"] == 2
    assert "score" not in parent["metrics"]  # type: ignore[operator]
    assert len([run for run in repo.runs_json() if run["parent"]]) == 2


# implicit/cpu/als.py's model (implicit 0.7): implicit.als.AlternatingLeastSquares builds it.
FAKE_IMPLICIT_ALS = """\
class AlternatingLeastSquares:
    def __init__(self, factors=100, regularization=0.01, alpha=1.0, dtype=None,
                 use_native=True, use_cg=True, iterations=15, calculate_training_loss=False,
                 num_threads=0, random_state=None):
        self.factors = factors

    def fit(self, user_items, show_progress=True):
        return self
"""


def test_implicit_model_settings_are_params(repo: Repo) -> None:
    # implicit's README: AlternatingLeastSquares(factors=64) then fit. Before: no params.
    _imitate(repo, "implicit/cpu/als.py", FAKE_IMPLICIT_ALS)
    program(
        repo,
        """\
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(factors=64, regularization=0.05, iterations=20,
                                        num_threads=2, random_state=0)
        model.fit(None)
        print("precision@10: 0.064")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"factors": 64, "regularization": 0.05, "iterations": 20,
                             "random_state": 0}  # fmt: skip
    assert run["param_sources"]["factors"] == "implicit"
    assert run["metrics"] == {"precision10": 0.064}


# hyperopt/fmin.py's fmin and space_eval, hyperopt/base.py's Trials (hyperopt 0.2): fmin
# makes its own Trials when given none; a trial's "vals" hold hp.choice's index.
FAKE_HYPEROPT_FMIN = """\
from hyperopt import base


def space_eval(space, point):
    return {name: space[name][value] if isinstance(space[name], list) else value
            for name, value in point.items()}


def fmin(fn, space, algo=None, max_evals=None, timeout=None, loss_threshold=None,
         trials=None, rstate=None, points_to_evaluate=None, trials_save_file=""):
    if trials is None:
        trials = base.Trials()
    for tid in range(max_evals):
        drawn = {"x": [tid / 10], "kernel": [tid % 2]}
        point = space_eval(space, {name: values[0] for name, values in drawn.items()})
        trials.trials.append({"tid": tid, "misc": {"vals": drawn}, "result": fn(point)})
    best = min(trials.trials, key=lambda trial: trial["result"]["loss"])
    return {name: values[0] for name, values in best["misc"]["vals"].items()}
"""


def test_hyperopt_evaluations_are_child_runs_and_the_parent_has_the_best(repo: Repo) -> None:
    # hyperopt's README: best = fmin(objective, space, algo=tpe.suggest, max_evals=100),
    # no Trials given. Before: no params, no children (print(best) is a dict of indices).
    _imitate(repo, "hyperopt/fmin.py", FAKE_HYPEROPT_FMIN)
    repo.write("hyperopt/base.py", "class Trials:\n    trials: list = []\n")
    program(
        repo,
        """\
        from hyperopt.fmin import fmin

        def objective(point):
            return {"loss": (point["x"] - 0.2) ** 2, "status": "ok"}

        best = fmin(objective, {"x": "uniform", "kernel": ["linear", "rbf"]}, max_evals=5)
        print(best)
        """,
    )

    exec_run(repo, sys.executable, "train.py")

    parent = _parent(repo)
    assert parent["params"] == {"x": 0.2, "kernel": "linear"}
    assert parent["metrics"] == {"loss": 0.0}
    children = sorted(
        (run["name"], run["params"]["kernel"]) for run in repo.runs_json() if run["parent"]
    )
    assert children == [
        ("trial 0", "linear"), ("trial 1", "rbf"), ("trial 2", "linear"), ("trial 3", "rbf"),
        ("trial 4", "linear"),
    ]  # fmt: skip


@needs("hyperopt", "sklearn")
def test_real_hyperopt_fmin_with_trials(repo: Repo) -> None:
    program(
        repo,
        """\
        from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

        def objective(params):
            return {"loss": (params["x"] - 1) ** 2, "status": STATUS_OK}

        trials = Trials()
        space = {"x": hp.uniform("x", -3, 3), "kind": hp.choice("kind", ["a", "b"])}
        best = fmin(objective, space, algo=tpe.suggest, max_evals=8, trials=trials,
                    show_progressbar=False)
        print(best)
        """,
    )

    exec_run(repo, sys.executable, "train.py")

    parent = _parent(repo)
    params = parent["params"]
    assert isinstance(params, dict) and set(params) == {"x", "kind"}
    assert params["kind"] in ("a", "b")
    assert len([run for run in repo.runs_json() if run["parent"]]) == 8


# PyOD's examples/knn_example.py (PyOD 2): evaluate_print after a line naming the data.
PYOD_OUTPUT = """\

On Training Data:
KNN ROC:0.9992, precision @ rank n:0.95

On Test Data:
KNN ROC:1.0, precision @ rank n:1.0
"""


def test_pyod_evaluate_print_gives_roc_and_precision_at_rank_n_of_each_data_set() -> None:
    # Before: nothing ("no metric was recognised").
    assert _read(PYOD_OUTPUT) == {
        "train_roc": [(0, 0.9992)],
        "train_precision_at_rank_n": [(0, 0.95)],
        "test_roc": [(0, 1.0)],
        "test_precision_at_rank_n": [(0, 1.0)],
    }
