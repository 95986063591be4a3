"""Programs that train more than once in one process: each fit's steps start again.

A second fit (xgboost's ``xgb_model=`` continuation, a second model, a fold) goes on after
the last step of the one before, as Keras' epochs do across ``fit`` calls: the series does
not zig-zag and its last value is the last fit's. Steps that repeat within a fit (per-batch
lines at their epoch, train and validation lines sharing a step) are one fit, as before.
"""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series


def steps(run: dict[str, Any], name: str) -> list[float]:
    return [step for step, _ in series(run, name)]


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
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert steps(run, "loss") == [1, 2, 3, 4, 5, 6]
    assert steps(run, "val_acc") == [1, 2, 3, 4, 5, 6]
    assert series(run, "loss")[3] == [4, 0.5]
    assert run["metrics"]["loss"] == round(0.5 / 3, 4)  # the last fit's


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
