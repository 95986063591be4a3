"""A Comet program, unchanged, under ``runledger exec`` (an OfflineExperiment: no account, no
network): the ledger holds the params and metrics Comet got, at Comet's steps."""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

COMET_PROGRAM = """\
from comet_ml import OfflineExperiment

experiment = OfflineExperiment(
    project_name="demo", offline_directory="comet_offline", log_code=False,
    log_env_details=False, log_git_metadata=False, display_summary_level=0,
)
experiment.log_parameters({"lr": 0.01, "hidden": 64})
experiment.log_parameter("optimizer", "adam")
loss = 1.0
for epoch in range(3):
    with experiment.train():  # Comet names the values train_loss
        for batch in range(2):
            loss *= 0.5
            experiment.log_metric("loss", loss, step=epoch * 2 + batch, epoch=epoch)
    experiment.log_metrics({"val_acc": 0.5 + epoch / 10}, epoch=epoch)  # at the last step
experiment.log_metric("test_acc", 0.75)
experiment.end()  # Comet logs its own "process duration" here: a timing, not the program's
"""


@needs("comet_ml")
def test_comet_offline_parameters_and_metrics_at_comets_steps(repo: Repo) -> None:
    program(repo, COMET_PROGRAM)
    repo.write(".gitignore", "comet_offline/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    assert run["params"] == {"lr": 0.01, "hidden": 64, "optimizer": "adam"}
    assert run["param_sources"]["lr"] == "comet"
    assert series(run, "train_loss") == [
        [0, 0.5], [1, 0.25], [2, 0.125], [3, 0.0625], [4, 0.03125], [5, 0.015625]
    ]  # fmt: skip
    assert series(run, "val_acc") == [[1, 0.5], [3, 0.6], [5, 0.7]]
    assert series(run, "test_acc") == [[5, 0.75]]
    assert set(run["series"]) == {"train_loss", "val_acc", "test_acc"}
    assert list((repo.path / "comet_offline").glob("*.zip"))  # Comet saved its run as bare
