"""sacred and dvclive programs, unchanged, under ``runledger exec``: the ledger holds the params
and metrics the tracker got (sacred's config and ``log_scalar``; dvclive's ``log_param(s)``,
``log_metric`` at its ``next_step`` and summary values). Both trackers write local files only.
"""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Repo
from tests.standins import imitate
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

SACRED_PROGRAM = """\
from sacred import Experiment

ex = Experiment("toy")


@ex.config
def config():
    lr = 0.01
    epochs = 5
    hidden = 32
    optimizer = {"name": "adam", "beta1": 0.9}


@ex.automain
def main(_run, lr, epochs):
    loss = 1.0
    for epoch in range(epochs):
        loss *= 1 - lr * 10
        _run.log_scalar("training.loss", loss, epoch * 100)
        ex.log_scalar("val_acc", 0.5 + epoch / 10)  # sacred counts its steps: 0, 1, 2...
        print(f"epoch {epoch} done")
    return loss
"""


# sacred 0.8 imports pkg_resources, which setuptools 81 and later no longer have.
@needs("sacred", "pkg_resources")
def test_sacred_config_with_updates_log_scalar_and_result(repo: Repo) -> None:
    program(repo, SACRED_PROGRAM)
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(
        repo, sys.executable, "train.py", "-F", "runs", "with", "lr=0.05", "epochs=4"
    )

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_sacreds_config_scalars_and_result(run)
    assert (repo.path / "runs" / "1" / "metrics.json").is_file()  # sacred's observer, as bare


def test_sacred_stand_in_config_scalars_result_not_its_options(repo: Repo) -> None:
    # sacred's Experiment and Run as the hooks see them (tests/standins/sacred), for CI: sacred
    # 0.8 needs wrapt < 2 (pinned 2.5) and pkg_resources
    imitate(repo.path, "sacred")
    program(repo, SACRED_PROGRAM)
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(
        repo, sys.executable, "train.py", "-F", "runs", "--name", "x", "with", "lr=0.05", "epochs=4"
    )

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_sacreds_config_scalars_and_result(run)
    assert (repo.path / "runs" / "1" / "metrics.json").is_file()


def _assert_sacreds_config_scalars_and_result(run: dict[str, Any]) -> None:
    params = dict(run["params"])
    assert isinstance(params.pop("seed"), int)  # the seed sacred drew and seeded with
    # the config scope with the command line's updates; not sacred's own options (-F runs,
    # --debug...)
    assert params == {
        "lr": 0.05,
        "epochs": 4,
        "hidden": 32,
        "optimizer": {"name": "adam", "beta1": 0.9},
    }
    assert run["param_sources"]["hidden"] == "sacred"
    assert series(run, "training.loss") == [[0, 0.5], [100, 0.25], [200, 0.125], [300, 0.0625]]
    assert [step for step, _ in series(run, "val_acc")] == [0, 1, 2, 3]
    assert run["metrics"]["result"] == 0.0625  # what main returned, sacred's "Result: 0.0625"


DVCLIVE_PROGRAM = """\
import argparse
from dvclive import Live

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=4)
args = parser.parse_args()

with Live(save_dvc_exp=False) as live:
    live.log_params({"optimizer": "sgd", "momentum": 0.9})
    live.log_param("lr", 0.1)
    loss = 1.0
    for epoch in range(args.epochs):
        loss *= 0.5
        live.log_metric("train/loss", loss)
        live.log_metric("val/acc", 0.5 + epoch / 10)
        live.next_step()
    live.summary["test_acc"] = 0.75
"""


@needs("dvclive")
def test_dvclive_params_metrics_at_its_steps_and_summary(repo: Repo) -> None:
    program(repo, DVCLIVE_PROGRAM)
    repo.write(".gitignore", "dvclive/\n.dvc/\n.dvcignore\ndvc.yaml\n")
    repo.commit_all("ignore")

    proc, run = exec_run(
        repo, sys.executable, "train.py", "--epochs", "3", env={"DVC_NO_ANALYTICS": "1"}
    )

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_dvclives_params_metrics_and_summary(run)
    # dvclive wrote its own files as bare
    assert (repo.path / "dvclive" / "metrics.json").is_file()


def test_dvclive_stand_in_params_metrics_and_summary(repo: Repo) -> None:
    # dvclive's Live as the hooks see it (tests/standins/dvclive), for CI: dvclive pulls dvc
    imitate(repo.path, "dvclive")
    program(repo, DVCLIVE_PROGRAM)
    repo.write(".gitignore", "dvclive/\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py", "--epochs", "3")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_dvclives_params_metrics_and_summary(run)
    assert (repo.path / "dvclive" / "metrics.json").is_file()


def _assert_dvclives_params_metrics_and_summary(run: dict[str, Any]) -> None:
    assert run["params"] == {"epochs": 3, "optimizer": "sgd", "momentum": 0.9, "lr": 0.1}
    assert run["param_sources"]["momentum"] == "dvclive"
    assert series(run, "train/loss") == [[0, 0.5], [1, 0.25], [2, 0.125]]
    assert series(run, "val/acc") == [[0, 0.5], [1, 0.6], [2, 0.7]]
    assert series(run, "test_acc") == [[0, 0.75]]
    assert set(run["series"]) == {"train/loss", "val/acc", "test_acc"}


DVCLIVE_LIGHTNING_PROGRAM = """\
import torch
import lightning.pytorch as pl
from torch.utils.data import DataLoader, TensorDataset
from dvclive.lightning import DVCLiveLogger


class Model(pl.LightningModule):
    def __init__(self, lr=0.1):
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(3, 1)

    def training_step(self, batch, index):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


data = DataLoader(TensorDataset(torch.randn(16, 3), torch.randn(16, 1)), batch_size=8)
trainer = pl.Trainer(
    logger=DVCLiveLogger(save_dvc_exp=False), max_epochs=2, enable_progress_bar=False,
    enable_model_summary=False, enable_checkpointing=False,
)
trainer.fit(Model(), data)
"""


@needs("dvclive", "lightning", "torch")
def test_dvclive_lightning_logger_values_are_lightnings_once(repo: Repo) -> None:
    program(repo, DVCLIVE_LIGHTNING_PROGRAM)
    repo.write(".gitignore", "dvclive/\n.dvc/\n.dvcignore\ndvc.yaml\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py", env={"DVC_NO_ANALYTICS": "1"})

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    # Lightning's own names, once: not again as dvclive's train/loss (its logger calls
    # dvclive through lightning_utilities' rank_zero_only)
    assert set(run["series"]) == {"train_loss", "epoch"}
    assert run["params"] == {"lr": 0.1, "max_epochs": 2}
    assert run["param_sources"]["lr"] == "lightning"
