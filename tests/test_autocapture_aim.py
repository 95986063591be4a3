"""An aim program, unchanged, under ``runledger exec`` (its repository a local ``.aim``): the
ledger holds the params and tracked series aim got, named by their context, at aim's steps."""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Repo
from tests.standins import imitate
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

AIM_PROGRAM = """\
from aim import Run

run = Run(experiment="demo", system_tracking_interval=None)
run["hparams"] = {"lr": 0.01, "optimizer": {"name": "adam"}}
run["dataset"] = "mnist"
loss = 1.0
for epoch in range(3):
    for batch in range(2):
        loss *= 0.5
        run.track(loss, name="loss", step=epoch * 2 + batch, epoch=epoch,
                  context={"subset": "train"})
    run.track(0.5 + epoch / 10, name="acc", epoch=epoch, context={"subset": "val"})  # 0, 1, 2
    run.track({"f1": 0.25 * (epoch + 1)}, context={"subset": "val"})
run.track(0.75, name="test_acc")
run.close()
"""


@needs("aim")
def test_aim_hparams_and_tracked_series_by_context(repo: Repo) -> None:
    program(repo, AIM_PROGRAM)
    repo.write(".gitignore", ".aim/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_aims_params_and_series(run)


def test_aim_stand_in_with_its_system_params(repo: Repo) -> None:
    # aim's Run as the hooks see it (tests/standins/aim), for CI, which lacks aim: the same
    # program, with the system params aim itself sets (``__system_params``: not the program's)
    imitate(repo.path, "aim")
    program(repo, AIM_PROGRAM.replace("=None)", "=None, log_system_params=True)"))
    repo.write(".gitignore", ".aim/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_aims_params_and_series(run)
    assert (repo.path / ".aim").is_dir()  # the program's own records, as bare


def _assert_aims_params_and_series(run: dict[str, Any]) -> None:
    assert run["params"] == {"lr": 0.01, "optimizer": {"name": "adam"}, "dataset": "mnist"}
    assert run["param_sources"]["lr"] == "aim"
    assert series(run, "train/loss") == [
        [0, 0.5], [1, 0.25], [2, 0.125], [3, 0.0625], [4, 0.03125], [5, 0.015625]
    ]  # fmt: skip
    assert series(run, "val/acc") == [[0, 0.5], [1, 0.6], [2, 0.7]]
    assert series(run, "val/f1") == [[0, 0.25], [1, 0.5], [2, 0.75]]
    assert series(run, "test_acc") == [[0, 0.75]]
    assert set(run["series"]) == {"train/loss", "val/acc", "val/f1", "test_acc"}
