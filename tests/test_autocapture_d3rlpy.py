"""A d3rlpy program, unchanged, under ``runledger exec`` (a small synthetic dataset): the
algorithm's config, each epoch's metrics and the models it saves, and nothing from the CSV
files its logger writes beside them (the same values again, and gradient statistics)."""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Repo
from tests.standins import imitate
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program

D3RLPY_PROGRAM = """\
import numpy as np
import d3rlpy

rng = np.random.default_rng(0)
size = 40
dataset = d3rlpy.dataset.MDPDataset(
    observations=rng.normal(size=(size, 4)).astype(np.float32),
    actions=rng.integers(0, 2, size=(size, 1)),
    rewards=rng.normal(size=(size, 1)).astype(np.float32),
    terminals=(np.arange(size) % 20 == 19).astype(np.float32),
    action_space=d3rlpy.ActionSpace.DISCRETE,
    action_size=2,
)
dqn = d3rlpy.algos.DQNConfig(learning_rate=1e-3, batch_size=8, gamma=0.95).create(device="cpu:0")
dqn.fit(
    dataset, n_steps=20, n_steps_per_epoch=10, show_progress=False,
    evaluators={"td_error": d3rlpy.metrics.TDErrorEvaluator(episodes=dataset.episodes)},
)
"""


@needs("d3rlpy", "torch")
def test_d3rlpy_config_epoch_metrics_and_models(repo: Repo) -> None:
    program(repo, D3RLPY_PROGRAM)
    repo.write(".gitignore", "d3rlpy_logs/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_dqns_config_epochs_and_models(run)


def test_d3rlpy_stand_in_config_epoch_metrics_and_models(repo: Repo) -> None:
    # d3rlpy's logger and algorithm as the hooks see them (tests/standins/d3rlpy), for CI,
    # which lacks torch: the same program and assertions
    imitate(repo.path, "d3rlpy")
    program(repo, D3RLPY_PROGRAM)
    repo.write(".gitignore", "d3rlpy_logs/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_dqns_config_epochs_and_models(run)
    assert list(repo.path.glob("d3rlpy_logs/*/loss.csv"))  # its own files, as bare


def _assert_dqns_config_epochs_and_models(run: dict[str, Any]) -> None:
    params = run["params"]
    assert params["algo"] == "dqn" and params["batch_size"] == 8 and params["gamma"] == 0.95
    assert params["learning_rate"] == 0.001 and params["target_update_interval"] == 8000
    assert run["param_sources"]["gamma"] == "d3rlpy"
    assert "lr" not in params  # the Adam d3rlpy builds is not a second learning rate
    # the epochs' metrics at d3rlpy's steps; not its timings, nor the CSVs' gradient stats
    assert set(run["series"]) == {"loss", "td_error"}
    assert [step for step, _ in run["series"]["loss"]] == [10, 20]
    assert sorted(a["path"].rpartition("/")[2] for a in run["artifacts"]) == [
        "model_10.d3",
        "model_20.d3",
    ]
