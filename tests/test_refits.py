"""Programs that train more than once in one process: each fit's steps start again.

A second fit (xgboost's ``xgb_model=`` continuation, a second model, a fold) goes on after
the last step of the one before, as Keras' epochs do across ``fit`` calls: the series does
not zig-zag and its last value is the last fit's. The fits of an in-process Optuna study's
trials are each their trial's child run's series; the study's run has the objective's value
per trial number. Steps that repeat within a fit (per-batch lines at their epoch, train and
validation lines sharing a step) are one fit, as before.
"""

from __future__ import annotations

import sys
import textwrap
from typing import Any

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series


def steps(run: dict[str, Any], name: str) -> list[float]:
    return [step for step, _ in series(run, name)]


# A study's program: quiet Optuna and a small regression data set for xgboost.
STUDY = """\
import os, sys, numpy as np, optuna, xgboost as xgb
optuna.logging.set_verbosity(optuna.logging.WARNING)
X = np.arange(80.0).reshape(40, 2)
data = xgb.DMatrix(X, label=X[:, 0] % 5)
"""


def study_runs(repo: Repo, children: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``exec`` of train.py, then ``show --json`` of the study's run and of its children."""
    proc = repo.run("exec", sys.executable, "train.py", timeout=120)
    assert f"with {children}".encode() in proc.stderr, proc.stderr.decode()
    runs = repo.runs_json()
    parent_id = next(run["id"] for run in runs if run["parent"] is None)
    shown = [repo.cli("show", run["id"], "--json").json() for run in runs]
    parent = next(run for run in shown if run["id"] == parent_id)
    return parent, [run for run in shown if run["parent"] == parent_id]


def test_a_printed_loop_training_two_models_goes_on_after_the_first(repo: Repo) -> None:
    # A PyTorch-style loop printing "Epoch 1..N" for one model, then for another: before,
    # the second model's epochs 1..3 lay over the first's (steps 1, 2, 3, 1, 2, 3).
    program(
        repo,
        """\
        for model in ("small", "large"):
            for epoch in range(1, 4):
                loss = (1.0 if model == "small" else 0.5) / epoch
                print(f"Epoch {epoch}/3 - loss: {loss:.4f} - val_acc: {0.5 + epoch / 10:.2f}")
            print(f"Test accuracy: {0.8 if model == 'small' else 0.9}")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert steps(run, "loss") == [1, 2, 3, 4, 5, 6]
    assert steps(run, "val_acc") == [1, 2, 3, 4, 5, 6]
    assert series(run, "loss")[3] == [4, 0.5]
    assert run["metrics"]["loss"] == round(0.5 / 3, 4)  # the last fit's
    # each model's test line at its last epoch, as the epochs lie now
    assert series(run, "test_accuracy") == [[3, 0.8], [6, 0.9]]


def test_transfer_learning_tutorials_two_models_epochs_from_0_go_on(repo: Repo) -> None:
    # PyTorch's transfer_learning_tutorial.py: train_model prints "Epoch 0/24" headers, a
    # line per phase and "Best val Acc" for the fine-tuned model, then for the fixed feature
    # extractor. The second model's headers went on by 2 only, its "Epoch 0/2" on the
    # first's last epoch, so its "Best val Acc" lay at 4, not at its last epoch, 5.
    program(
        repo,
        """\
        for model in range(2):
            for epoch in range(3):
                print(f"Epoch {epoch}/2")
                print("-" * 10)
                print(f"train Loss: {0.5 - model / 10:.4f} Acc: {0.7 + epoch / 10:.4f}")
                print(f"val Loss: {0.4 - model / 10:.4f} Acc: {0.8 + epoch / 20:.4f}")
                print()
            print("Training complete in 0m 1s")
            print(f"Best val Acc: {0.9 + model / 20:4f}")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert steps(run, "train_acc") == [0, 1, 2, 3, 4, 5]
    assert steps(run, "val_acc") == [0, 1, 2, 3, 4, 5]
    assert series(run, "best_val_acc") == [[2, 0.9], [5, 0.95]]


def test_steps_that_repeat_within_a_fit_stay_and_the_next_fit_goes_on(repo: Repo) -> None:
    # Per-batch lines at their epoch and a validation line sharing the epoch's step: one
    # fit, whose steps repeat. The second model's epochs go on after the first's.
    program(
        repo,
        """\
        import json
        for model in range(2):
            for epoch in (1, 2):
                for batch in range(3):
                    print(json.dumps({"epoch": epoch, "loss": 1 / (epoch * 3 + batch)}))
                print(json.dumps({"epoch": epoch, "loss": 0.1 * epoch, "val_loss": 0.2}))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert steps(run, "loss") == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]
    assert steps(run, "val_loss") == [1, 2, 3, 4]


@needs("xgboost")
def test_xgboost_continuation_goes_on_from_the_rounds_trained_before(repo: Repo) -> None:
    # xgboost's demo/guide-python/continuation.py: 4 rounds, then 6 more with xgb_model=;
    # xgboost counts the second session's rounds from 0 again.
    program(
        repo,
        """\
        import numpy as np, xgboost as xgb
        X = np.arange(60.0).reshape(30, 2)
        data = xgb.DMatrix(X, label=X[:, 0] % 7)
        params = {"objective": "reg:squarederror", "max_depth": 2}
        first = xgb.train(params, data, 4, evals=[(data, "train")], verbose_eval=False)
        xgb.train(params, data, 6, evals=[(data, "train")], xgb_model=first)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    points = series(run, "train_rmse")
    assert [step for step, _ in points] == list(range(10))
    assert points[4][1] < points[3][1]  # the continuation improves on the first session
    assert run["metrics"]["train_rmse"] == points[-1][1]


@needs("optuna", "xgboost")
def test_each_optuna_trials_xgb_cv_rounds_are_its_child_runs_series(repo: Repo) -> None:
    # optuna-examples' xgboost/xgboost_cv.py: xgb.cv in each trial's objective. Before, the
    # study's run held every trial's rounds as one series (steps 0..2, 0..4, 0..3) and the
    # children only their value.
    program(
        repo,
        STUDY
        + textwrap.dedent(
            """\
        def objective(trial):
            rounds = trial.suggest_int("rounds", 3, 5)
            params = {"objective": "reg:squarederror", "eta": 0.3}
            results = xgb.cv(params, data, num_boost_round=rounds, nfold=2, seed=0,
                             verbose_eval=True)
            return float(results["test-rmse-mean"].values[-1])

        search = optuna.samplers.GridSampler({"rounds": [3, 5, 4]}, seed=0)
        study = optuna.create_study(sampler=search)
        study.optimize(objective, n_trials=3)
        """
        ),
    )

    parent, children = study_runs(repo, "3 child runs")

    assert not {"test_rmse", "train_rmse"} & set(parent["metrics"])  # printed ones neither
    assert not {"test_rmse", "train_rmse"} & set(parent["series"])
    assert len(children) == 3
    history = []
    for child in children:
        rounds = child["params"]["rounds"]
        assert steps(child, "test_rmse") == list(range(rounds))
        assert steps(child, "train_rmse_std") == list(range(rounds))
        assert child["metrics"]["test_rmse"] == child["metrics"]["value"]
        history.append([child["trial"]["number"], child["metrics"]["value"]])
    # the study's run: the objective's value per trial number, its best as the metric
    assert series(parent, "value") == sorted(history)
    assert all(isinstance(step, int) for step, _ in series(parent, "value"))  # not 0.0, 1.0
    assert parent["metrics"]["value"] == min(value for _, value in history)


@needs("optuna", "xgboost")
def test_a_trial_that_never_finished_leaves_its_rounds_to_the_study_run(repo: Repo) -> None:
    # The process ends inside trial 1's objective: no trial line, no child run for it, so
    # its rounds stay the run's own (nothing recorded is lost); trial 0's are its child's.
    program(
        repo,
        STUDY
        + textwrap.dedent(
            """\
        def objective(trial):
            rounds = trial.suggest_int("rounds", 2, 9)
            xgb.train({"objective": "reg:squarederror"}, data, rounds,
                      evals=[(data, "train")], verbose_eval=False)
            if trial.number == 1:
                sys.stdout.flush()
                os._exit(0)
            return float(rounds)

        search = optuna.samplers.GridSampler({"rounds": [3, 5]}, seed=0)
        optuna.create_study(sampler=search).optimize(objective, n_trials=2)
        """
        ),
    )

    parent, (child,) = study_runs(repo, "1 child run")

    assert steps(child, "train_rmse") == list(range(child["params"]["rounds"]))
    assert len(series(parent, "train_rmse")) == 8 - child["params"]["rounds"]


@needs("optuna", "xgboost")
def test_what_the_program_prints_after_its_study_stays_the_runs(repo: Repo) -> None:
    # A value printed outside the trials under a name the trials reported (the refit of the
    # best trial, say) is the run's own: its last value is that one, not a trial's round.
    program(
        repo,
        STUDY
        + textwrap.dedent(
            """\
        def objective(trial):
            rounds = trial.suggest_int("rounds", 2, 3)
            xgb.cv({"objective": "reg:squarederror"}, data, rounds, nfold=2, verbose_eval=True)
            return float(rounds)

        search = optuna.samplers.GridSampler({"rounds": [2, 3]}, seed=0)
        optuna.create_study(sampler=search).optimize(objective, n_trials=2)
        print("test_rmse=0.123456")
        """
        ),
    )

    parent, children = study_runs(repo, "2 child runs")

    assert parent["metrics"]["test_rmse"] == 0.123456
    assert sorted(len(series(child, "test_rmse")) for child in children) == [2, 3]


@needs("optuna", "keras", "torch")
def test_each_trials_keras_epochs_count_from_zero_in_its_child_run(repo: Repo) -> None:
    # The Keras hook's epochs go on across fit calls; a trial's fit is its own child's
    # series, from epoch 0, and the program's own fit after the study starts at 0 too.
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np, keras, optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
        y = x.sum(axis=1, keepdims=True)

        def fitted(lr, epochs):
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
            return model.fit(x, y, epochs=epochs, verbose=0).history["loss"][-1]

        search = optuna.samplers.GridSampler({"lr": [0.01, 0.1]}, seed=0)
        study = optuna.create_study(sampler=search)
        study.optimize(lambda trial: fitted(trial.suggest_float("lr", 0.01, 0.1), 2), n_trials=2)
        fitted(study.best_params["lr"], 3)
        """,
    )

    parent, children = study_runs(repo, "2 child runs")

    assert [steps(child, "loss") for child in children] == [[0, 1], [0, 1]]
    assert steps(parent, "loss") == [0, 1, 2]
