"""A neptune program, unchanged, under ``runledger exec`` (``mode="offline"``: no account, no
network): the ledger holds the params and metrics the run's fields got, at neptune's steps."""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

NEPTUNE_PROGRAM = """\
import neptune
from neptune.utils import stringify_unsupported

run = neptune.init_run(mode="offline", project="me/demo")
run["parameters"] = {"lr": 0.01, "optimizer": {"name": "adam", "beta1": 0.9}}
run["parameters/max_epochs"] = 3
run["config"] = stringify_unsupported({"layers": [64, 32]})
run["model/depth"] = 3  # a whole number outside a settings namespace: not a result
loss = 1.0
for epoch in range(3):
    loss *= 0.5
    run["train/loss"].append(loss)  # neptune counts the steps: 0, 1, 2
    run["eval/acc"].append(0.5 + epoch / 10, step=epoch * 10)
    run["val"].append({"loss": loss * 2, "f1": 0.25 * (epoch + 1)})
run["test/acc"] = 0.75
run["sys/tags"].add("baseline")
run.stop()
"""


@needs("neptune")
def test_neptune_offline_fields_params_and_series(repo: Repo) -> None:
    program(repo, NEPTUNE_PROGRAM)
    repo.write(".gitignore", ".neptune/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    assert run["params"] == {
        "lr": 0.01,
        "optimizer": {"name": "adam", "beta1": 0.9},
        "max_epochs": 3,
        "layers": [64, 32],  # the value the program gave, not neptune's text of it
    }
    assert run["param_sources"]["lr"] == "neptune"
    assert series(run, "train/loss") == [[0, 0.5], [1, 0.25], [2, 0.125]]
    assert series(run, "eval/acc") == [[0, 0.5], [10, 0.6], [20, 0.7]]
    assert series(run, "val/f1") == [[0, 0.25], [1, 0.5], [2, 0.75]]
    assert run["metrics"]["test/acc"] == 0.75
    # nothing from neptune's own fields (sys/, monitoring/ cpu and memory)
    names = {"train/loss", "eval/acc", "val/loss", "val/f1", "test/acc"}
    assert set(run["series"]) == names
