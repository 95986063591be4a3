"""In-process capture of real libraries' params and metrics, through the real ``runledger exec``.

Each test writes a small real program using the library as its users do, runs it unchanged
under ``runledger exec`` and reads ``runledger show --json``. The libraries are the test
extras; torch, lightning and keras are optional (a test skips, saying why, without them).
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.test_autocapture import exec_run

AUTOCAPTURE = Path(__file__).resolve().parents[1] / "runledger" / "recording" / "autocapture"


def needs(*modules: str) -> pytest.MarkDecorator:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"{', '.join(missing)} not installed (pip install 'runledger[test]' and "
        "torch/lightning/keras, which CI installs only where they fit its time)",
    )


def program(repo: Repo, source: str, name: str = "train.py") -> None:
    repo.write(name, textwrap.dedent(source))
    repo.commit_all(name)


def series(run: dict[str, Any], name: str) -> list[list[float]]:
    return [list(point) for point in run["series"][name]]


# --- params -------------------------------------------------------------------------------


@needs("click")
def test_click_group_and_command_params(repo: Repo) -> None:
    program(
        repo,
        """\
        import click

        @click.group()
        @click.option("--seed", type=int, default=0)
        def cli(seed):
            pass

        @cli.command()
        @click.option("--lr", type=float, default=0.01)
        @click.option("--layers", type=int, multiple=True, default=[64, 32])
        @click.option("--amp/--no-amp", default=False)
        def train(lr, layers, amp):
            print("training", lr, layers, amp)

        if __name__ == "__main__":
            cli()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--seed", "3", "train", "--amp")

    assert run["params"] == {"seed": 3, "lr": 0.01, "layers": [64, 32], "amp": True}
    assert run["param_sources"]["lr"] == "click"


@needs("click")
def test_click_short_options_are_their_params_once(repo: Repo) -> None:
    program(
        repo,
        """\
        import click

        @click.command()
        @click.option("-e", "--epochs", type=int, default=3)
        @click.option("--lr", "learning_rate", type=float, default=0.01)
        def train(epochs, learning_rate):
            print("training", epochs, learning_rate)

        if __name__ == "__main__":
            train()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "-e", "5", "--lr", "0.1")

    assert run["params"] == {"epochs": 5, "learning_rate": 0.1}


@needs("typer")
def test_typer_params(repo: Repo) -> None:
    program(
        repo,
        """\
        import enum
        import typer

        class Optimizer(str, enum.Enum):
            adam = "adam"
            sgd = "sgd"

        def main(epochs: int = 5, dropout: float = 0.1, optimizer: Optimizer = Optimizer.adam):
            print(epochs, dropout, optimizer)

        if __name__ == "__main__":
            typer.run(main)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--optimizer", "sgd")

    assert run["params"] == {"epochs": 5, "dropout": 0.1, "optimizer": "sgd"}
    assert run["param_sources"]["epochs"] == "click"


@needs("hydra", "omegaconf")
def test_hydra_resolved_job_config(repo: Repo) -> None:
    repo.write(
        "conf/config.yaml",
        textwrap.dedent(
            """\
            defaults:
              - model: small
            lr: 0.001
            run_name: ${model.name}-lr${lr}
            """
        ),
    )
    repo.write("conf/model/small.yaml", "name: small\ndepth: 4\n")
    repo.write("conf/model/big.yaml", "name: big\ndepth: 24\n")
    repo.write(".gitignore", "outputs/\nmultirun/\n")
    program(
        repo,
        """\
        import hydra

        @hydra.main(version_base=None, config_path="conf", config_name="config")
        def main(cfg):
            print(cfg.run_name)

        if __name__ == "__main__":
            main()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "model=big", "lr=0.01")

    # Hydra's own argparse command line (overrides, --multirun, ...) is not a param.
    assert run["params"] == {
        "model": {"name": "big", "depth": 24},
        "lr": 0.01,
        "run_name": "big-lr0.01",
    }
    assert run["param_sources"]["run_name"] == "hydra"


@needs("jsonargparse")
def test_jsonargparse_parsed_config(repo: Repo) -> None:
    program(
        repo,
        """\
        from jsonargparse import ArgumentParser

        parser = ArgumentParser()
        parser.add_argument("--config", action="config")
        parser.add_argument("--model.depth", type=int, default=12)
        parser.add_argument("--model.width", type=int, default=256)
        parser.add_argument("--lr", type=float, default=3e-4)
        cfg = parser.parse_args()
        print(cfg.model.depth, cfg.lr)
        """,
    )
    repo.write("cfg.yaml", "model:\n  depth: 6\n")
    repo.commit_all("config")

    _, run = exec_run(repo, sys.executable, "train.py", "--config", "cfg.yaml", "--lr", "0.1")

    assert run["params"]["model"] == {"depth": 6, "width": 256}
    assert run["params"]["lr"] == 0.1
    assert run["param_sources"]["model.width"] == "jsonargparse"


@needs("absl")
def test_absl_flags_without_absls_own(repo: Repo) -> None:
    program(
        repo,
        """\
        from absl import app, flags

        FLAGS = flags.FLAGS
        flags.DEFINE_integer("batch_size", 128, "batch size")
        flags.DEFINE_float("learning_rate", 0.1, "lr")
        flags.DEFINE_string("dataset", "mnist", "data")

        def main(argv):
            print(FLAGS.batch_size, FLAGS.learning_rate)

        if __name__ == "__main__":
            app.run(main)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--learning_rate", "0.5")

    assert run["params"] == {"batch_size": 128, "learning_rate": 0.5, "dataset": "mnist"}
    assert run["param_sources"]["dataset"] == "absl"


@needs("absl")
def test_absl_flags_set_after_parsing_are_recorded_as_the_program_used_them(
    repo: Repo,
) -> None:
    # Flax's examples/seq2seq/main.py sets train.py's flags from its config after parsing:
    # train.FLAGS.batch_size = config.batch_size, ...; the run used those values.
    program(
        repo,
        """\
        from absl import app, flags

        FLAGS = flags.FLAGS
        flags.DEFINE_integer("batch_size", 128, "batch size")
        flags.DEFINE_integer("hidden_size", 512, "width")
        flags.DEFINE_string("workdir", ".", "where")

        def main(argv):
            FLAGS.batch_size = 16
            FLAGS.hidden_size = 512  # unchanged
            FLAGS.alsologtostderr = True  # absl's own
            print(FLAGS.batch_size, FLAGS.hidden_size)

        if __name__ == "__main__":
            app.run(main)
        """,
    )

    proc, run = exec_run(repo, sys.executable, "train.py", "--workdir", "out")

    assert proc.stdout.decode().split() == ["16", "512"]
    assert run["params"] == {"batch_size": 16, "hidden_size": 512, "workdir": "out"}
    assert run["environment"]["autocapture"]["errors"] == []


@needs("absl")
def test_absl_flags_of_installed_libraries_are_not_the_programs(repo: Repo) -> None:
    # Flax's examples import TensorFlow, tensorflow_datasets and orbax, which define absl
    # flags of their own (TensorFlow's delta_threshold, runtime_oom_exit, ...): none is a
    # param of the program; a flag in the program's own module beside it is.
    repo.write(
        "vendor/site-packages/tpulib/__init__.py",
        "from absl import flags\n"
        'flags.DEFINE_bool("runtime_oom_exit", True, "a library flag")\n'
        'flags.DEFINE_float("delta_threshold", 0.5, "a library flag")\n',
    )
    repo.write(
        "models.py",
        'from absl import flags\nflags.DEFINE_integer("width", 64, "the model\'s width")\n',
    )
    program(
        repo,
        """\
        import os, sys
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "vendor", "site-packages"))
        import tpulib, models
        from absl import app, flags

        flags.DEFINE_string("workdir", None, "where to write")

        def main(argv):
            print(flags.FLAGS.workdir)

        if __name__ == "__main__":
            app.run(main)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--workdir=out")

    assert run["params"] == {"workdir": "out", "width": 64}


@needs("sklearn")
def test_sklearn_program_params_and_used_packages(repo: Repo) -> None:
    program(
        repo,
        """\
        import argparse
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        parser = argparse.ArgumentParser()
        parser.add_argument("--C", type=float, default=1.0)
        parser.add_argument("--max-iter", type=int, default=200)
        args = parser.parse_args()
        X, y = load_iris(return_X_y=True)
        model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(X, y)
        print(f"accuracy={model.score(X, y):.4f}")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--C", "0.5")

    assert run["params"] == {"C": 0.5, "max_iter": 200}
    # the installed version, read as pip does: importing scikit-learn here for its
    # __version__ cost this worker 2-3 s of CPU (scipy.stats and pandas come with it)
    assert run["environment"]["used"]["scikit-learn"] == importlib.metadata.version("scikit-learn")
    assert "numpy" in run["environment"]["used"]
    assert run["metrics"]["accuracy"] > 0.9


# --- metrics ------------------------------------------------------------------------------


@needs("xgboost", "sklearn")
def test_xgboost_train_evals_with_steps(repo: Repo) -> None:
    program(
        repo,
        """\
        import xgboost as xgb
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        train = xgb.DMatrix(X[:400], label=y[:400])
        valid = xgb.DMatrix(X[400:], label=y[400:])
        params = {"objective": "binary:logistic", "eval_metric": "logloss", "max_depth": 2}
        xgb.train(params, train, 4, evals=[(train, "train"), (valid, "eval")], verbose_eval=False)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    steps = [step for step, _ in series(run, "eval_logloss")]
    values = [value for _, value in series(run, "eval_logloss")]
    assert steps == [0, 1, 2, 3]
    assert values == sorted(values, reverse=True)
    assert set(run["metrics"]) == {"train_logloss", "eval_logloss"}
    # the booster's params, which never pass through a command line or a parser
    assert run["params"]["max_depth"] == 2 and run["params"]["objective"] == "binary:logistic"
    assert run["params"]["num_boost_round"] == 4
    assert run["param_sources"]["max_depth"] == "xgboost"


@needs("xgboost", "sklearn")
def test_xgboost_sklearn_api(repo: Repo) -> None:
    program(
        repo,
        """\
        from sklearn.datasets import load_breast_cancer
        from xgboost import XGBClassifier

        X, y = load_breast_cancer(return_X_y=True)
        model = XGBClassifier(n_estimators=3, max_depth=2, eval_metric="error")
        model.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert [step for step, _ in series(run, "validation_0_error")] == [0, 1, 2]
    assert run["params"]["max_depth"] == 2 and run["params"]["eval_metric"] == "error"
    assert run["params"]["num_boost_round"] == 3  # n_estimators, as the estimator trains


@needs("lightgbm", "sklearn")
def test_lightgbm_eval_results_with_steps(repo: Repo) -> None:
    program(
        repo,
        """\
        import lightgbm as lgb
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        train = lgb.Dataset(X[:400], y[:400])
        valid = lgb.Dataset(X[400:], y[400:], reference=train)
        params = {"objective": "binary", "metric": "binary_logloss", "verbose": -1}
        lgb.train(
            params, train, num_boost_round=3, valid_sets=[valid], valid_names=["valid"],
            callbacks=[lgb.early_stopping(stopping_rounds=5), lgb.log_evaluation(1)],
        )
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # every round, the last included (early stopping raises on it), and the printed
    # "[3]\tvalid's binary_logloss: ..." lines are the same series, not a second one
    assert [step for step, _ in series(run, "valid_binary_logloss")] == [0, 1, 2]
    # early stopping's pick ("Did not meet early stopping. Best iteration is: [3]")
    assert set(run["metrics"]) == {"valid_binary_logloss", "best_iteration"}
    assert run["metrics"]["best_iteration"] == 3
    assert run["params"]["objective"] == "binary" and run["params"]["num_boost_round"] == 3
    assert run["param_sources"]["objective"] == "lightgbm"


@needs("xgboost", "lightgbm", "sklearn")
def test_xgboost_and_lightgbm_cross_validation_give_the_mean_series_and_params(
    repo: Repo,
) -> None:
    # xgb.cv and lgb.cv recorded nothing, params included: xgb.cv prints nothing by default,
    # and the "mean+std" lines printed with verbose_eval / log_evaluation were prose.
    program(
        repo,
        """\
        import lightgbm as lgb
        import xgboost as xgb
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        params = {"max_depth": 3, "eta": 0.3, "objective": "reg:squarederror"}
        xgb.cv(params, xgb.DMatrix(X, label=y), num_boost_round=4, nfold=3, seed=0)
        xgb.cv(params, xgb.DMatrix(X, label=y), 2, 3, verbose_eval=True, seed=1)
        lgb.cv(
            {"objective": "regression", "num_leaves": 7, "verbose": -1},
            lgb.Dataset(X, label=y), num_boost_round=3, nfold=3, seed=0,
            callbacks=[lgb.log_evaluation(1)],
        )
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # the mean over the folds at each round, and its deviation beside it; the second cv's
    # rounds (0, 1 again) go on after the first's (tests/test_refits.py)
    assert [step for step, _ in series(run, "test_rmse")] == [0, 1, 2, 3, 4, 5]
    assert [step for step, _ in series(run, "train_rmse")] == [0, 1, 2, 3, 4, 5]
    assert all(40 < value < 200 for _, value in series(run, "test_rmse"))
    assert [step for step, _ in series(run, "valid_l2")] == [0, 1, 2]
    assert set(run["metrics"]) == {
        *("train_rmse", "test_rmse", "valid_l2"),
        *("train_rmse_std", "test_rmse_std", "valid_l2_std"),
    }
    assert run["params"]["max_depth"] == 3 and run["params"]["num_leaves"] == 7
    assert run["params"]["nfold"] == 3 and run["param_sources"]["nfold"] in {"xgboost", "lightgbm"}


@needs("tensorboardX")
def test_tensorboardx_scalars(repo: Repo) -> None:
    program(
        repo,
        """\
        from tensorboardX import SummaryWriter

        writer = SummaryWriter("runs")
        for step in range(3):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
            writer.add_scalars("acc", {"train": 0.5 + step / 10, "val": 0.4}, step)
        writer.close()
        """,
    )
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "train/loss") == [[0, 1.0], [1, 0.5], [2, 1 / 3]]
    assert series(run, "acc/val") == [[0, 0.4], [1, 0.4], [2, 0.4]]
    assert run["metrics"]["acc/train"] == pytest.approx(0.7)
    # add_scalars' own folders (runs/acc/train) hold the same values again: not read
    assert set(run["series"]) == {"train/loss", "acc/train", "acc/val"}


@needs("tensorboardX", "tensorboard")
def test_tensorboard_values_of_a_tracker_are_recorded_once_without_the_step_counter(
    repo: Repo,
) -> None:
    # accelerate's TensorBoardTracker.log, as Hugging Face's run_glue_no_trainer.py
    # --with_tracking calls it: accelerator.log({"glue": {"accuracy": ...}, "train_loss": ...,
    # "epoch": epoch, "step": completed_steps}, step=completed_steps). A dict goes through
    # add_scalars, whose values land again in a folder of their own (runs/glue_accuracy)
    # under the bare tag "glue"; "step" is the step itself.
    program(
        repo,
        """\
        from tensorboardX import SummaryWriter

        writer = SummaryWriter("runs")
        for epoch, step in ((0, 13), (1, 26)):
            values = {"glue": {"accuracy": 0.45 + epoch / 100}, "train_loss": 0.69 - epoch / 100,
                      "epoch": epoch, "step": step}
            for key, value in values.items():
                if isinstance(value, dict):
                    writer.add_scalars(key, value, global_step=step)
                else:
                    writer.add_scalar(key, value, global_step=step)
        writer.close()
        """,
    )
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["series"]) == {"glue/accuracy", "train_loss", "epoch"}
    assert series(run, "glue/accuracy") == [[13, 0.45], [26, 0.46]]


HPARAMS = """\
    import sys

    if sys.argv[1] == "torch":
        from torch.utils.tensorboard import SummaryWriter
    else:
        from tensorboardX import SummaryWriter

    writer = SummaryWriter("runs/hp")
    for dropout in [0.1, 0.2][: int(sys.argv[2])]:  # one trial, or a loop of two
        writer.add_hparams(
            {"lr": 0.01, "batch_size": 32, "optimizer": "adam", "dropout": dropout},
            {"hparam/accuracy": 0.9},
        )
    writer.close()
    """


@pytest.mark.parametrize(
    "library", ["tensorboardX", pytest.param("torch", marks=needs("torch", "tensorboard"))]
)
@needs("tensorboardX")
def test_summary_writer_add_hparams_gives_params_and_its_metric(repo: Repo, library: str) -> None:
    program(repo, HPARAMS)
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, one = exec_run(repo, sys.executable, "train.py", library, "1")
    _, loop = exec_run(repo, sys.executable, "train.py", library, "2")

    assert one["params"] == {"lr": 0.01, "batch_size": 32, "optimizer": "adam", "dropout": 0.1}
    assert set(one["param_sources"].values()) == {"tensorboard"}
    assert one["metrics"]["hparam/accuracy"] == pytest.approx(0.9)
    # two trials' values of dropout: neither is the run's
    assert loop["params"] == {"lr": 0.01, "batch_size": 32, "optimizer": "adam"}


@needs("tensorboard")
def test_tensorboard_hparams_plugin_values_are_params_by_their_names(repo: Repo) -> None:
    # hp.hparams({HP_UNITS: 16, ...}) (TensorFlow's HParams tutorial), its Keras callback and
    # clu's write_hparams all build the summary with hparams_pb; it needs no TensorFlow.
    program(
        repo,
        """\
        from tensorboard.plugins.hparams import summary_v2 as hp

        HP_UNITS = hp.HParam("num_units", hp.Discrete([16, 32]))
        HP_DROPOUT = hp.HParam("dropout", hp.RealInterval(0.1, 0.2))
        summary = hp.hparams_pb({HP_UNITS: 16, HP_DROPOUT: 0.1, "optimizer": "adam"})
        print(type(summary).__name__)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"num_units": 16, "dropout": 0.1, "optimizer": "adam"}
    assert run["param_sources"]["num_units"] == "tensorboard"


@needs("torch", "tensorboard")
def test_torch_tensorboard_scalars_and_rank_zero_only(repo: Repo) -> None:
    program(
        repo,
        """\
        import os

        import torch
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(os.environ.get("TB_DIR", "runs"))
        for step in range(3):
            writer.add_scalar("loss", torch.tensor(2.0 - step), global_step=step)
        writer.close()
        """,
    )
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, sys.executable, "train.py", env={"RANK": "0", "WORLD_SIZE": "2"})
    assert series(run, "loss") == [[0, 2.0], [1, 1.0], [2, 0.0]]
    assert run["environment"]["distributed"] == {"world_size": 2}

    # Rank 1 writes its event files outside the work tree, where no file reader looks: what
    # could still be recorded is only what its in-process hook reported, which must be nothing.
    elsewhere = str(repo.path.parent / "rank1-events")
    env = {"RANK": "1", "WORLD_SIZE": "2", "TB_DIR": elsewhere}
    _, run = exec_run(repo, sys.executable, "train.py", env=env)
    assert run["series"] == {}


@needs("torch", "lightning")
def test_lightning_self_log_with_global_step(repo: Repo) -> None:
    program(
        repo,
        """\
        import torch
        import lightning as L
        from torch.utils.data import DataLoader, TensorDataset

        class Model(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.layer = torch.nn.Linear(2, 1)

            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = torch.nn.functional.mse_loss(self.layer(x), y)
                self.log("train_loss", loss)
                self.log_dict({"lr_seen": 0.1})
                return loss

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        torch.manual_seed(0)
        data = TensorDataset(torch.randn(8, 2), torch.randn(8, 1))
        trainer = L.Trainer(
            max_epochs=2, log_every_n_steps=1, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False,
        )
        trainer.fit(Model(), DataLoader(data, batch_size=4))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # The step Lightning's own loggers get: batches stepped before this one.
    assert [step for step, _ in series(run, "train_loss")] == [0, 1, 2, 3]
    assert run["metrics"]["lr_seen"] == pytest.approx(0.1)


@needs("torch", "lightning", "tensorboard")
def test_lightning_with_its_loggers_gives_each_metric_once(repo: Repo) -> None:
    """fit then test with Lightning's TensorBoard and CSV loggers: their files (a new event file
    per stage, hp_metric, metrics.csv) hold what was captured in process; one series each."""
    program(
        repo,
        """\
        import torch
        import lightning as L
        from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
        from torch.utils.data import DataLoader, TensorDataset

        class Model(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.layer = torch.nn.Linear(2, 1)

            def step(self, batch, name):
                x, y = batch
                loss = torch.nn.functional.mse_loss(self.layer(x), y)
                self.log(name, loss)
                return loss

            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = torch.nn.functional.mse_loss(self.layer(x), y)
                # Per epoch only (as lightning-hydra-template logs): at each step Lightning
                # has nothing to log and logs nothing, not even the epoch.
                self.log("train_loss", loss, on_step=False, on_epoch=True)
                return loss

            def validation_step(self, batch, batch_idx):
                self.step(batch, "val/loss")

            def on_train_epoch_end(self):
                # Straight to a logger, past self.log: only its file has it.
                self.loggers[0].log_metrics({"direct": self.current_epoch}, self.global_step)

            def test_step(self, batch, batch_idx):
                self.step(batch, "test/loss")

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        torch.manual_seed(0)
        data = DataLoader(TensorDataset(torch.randn(8, 2), torch.randn(8, 1)), batch_size=4)
        trainer = L.Trainer(
            max_epochs=2, log_every_n_steps=1, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False,
            logger=[TensorBoardLogger("tb_logs"), CSVLogger("csv_logs")],
        )
        model = Model()
        trainer.fit(model, data, data)
        trainer.test(model, data)
        """,
    )
    repo.write(".gitignore", "tb_logs/\ncsv_logs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, sys.executable, "train.py")

    # Not "version_0/epoch" nor "version_0/hp_metric" (the TensorBoard logger's placeholder)
    # from the event files, nor a second "epoch" from metrics.csv: the epoch Lightning adds to
    # what its loggers get, once. What only the files hold is read from them.
    assert set(run["series"]) == {"train_loss", "val/loss", "test/loss", "epoch", "direct"}
    assert set(run["series_sources"]) == {"direct"}
    assert run["series_sources"]["direct"].startswith("tb_logs/lightning_logs/version_0/events.")
    assert series(run, "direct") == [[2, 0.0], [4, 1.0]]
    assert [step for step, _ in series(run, "train_loss")] == [1, 3]
    assert [step for step, _ in series(run, "test/loss")] == [4]
    # Lightning's own files are written as bare, and say the same.
    with open(repo.path / "csv_logs" / "lightning_logs" / "version_0" / "metrics.csv") as file:
        logged = {(int(row["step"]), float(row["epoch"])) for row in csv.DictReader(file)}
    assert {(step, value) for step, value in series(run, "epoch")} == logged
    assert list((repo.path / "tb_logs" / "lightning_logs" / "version_0").glob("events.*"))


@needs("torch", "lightning")
def test_lightning_fabric_log_and_log_dict(repo: Repo) -> None:
    program(
        repo,
        """\
        import sys
        import torch
        from lightning.fabric import Fabric
        from lightning.fabric.loggers import CSVLogger

        loggers = [CSVLogger("logs")] if sys.argv[1:] == ["--csv"] else []
        fabric = Fabric(accelerator="cpu", devices=1, loggers=loggers)
        model, optimizer = fabric.setup(torch.nn.Linear(2, 1), torch.optim.SGD(
            torch.nn.Linear(2, 1).parameters(), lr=0.1))
        for step in range(3):
            loss = model(torch.ones(1, 2)).sum() ** 2
            fabric.log("train/loss", loss, step=step * 10)
            fabric.log_dict({"lr": 0.1, "acc": torch.tensor(0.5 + step / 10)}, step=step * 10)
        fabric.log("final", 1.5)
        """,
    )
    repo.write(".gitignore", "logs/\n")
    repo.commit_all("ignore")

    for args in ((), ("--csv",)):
        _, run = exec_run(repo, sys.executable, "train.py", *args)

        assert set(run["series"]) == {"train/loss", "lr", "acc", "final"}, args
        assert [step for step, _ in series(run, "train/loss")] == [0, 10, 20]
        assert run["metrics"]["acc"] == pytest.approx(0.7)
        assert not run.get("series_sources")  # in process: one series, not metrics.csv's too


@needs("torch")
def test_a_plain_torch_loop_records_its_optimizer_and_training_loader(repo: Repo) -> None:
    # The PyTorch Quickstart's shape: settings written in the code, no parser at all.
    program(
        repo,
        """\
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset

        data = TensorDataset(torch.randn(16, 2), torch.randn(16, 1))
        train_dataloader = DataLoader(data, batch_size=4, shuffle=True)
        test_dataloader = DataLoader(data, batch_size=8)
        model = nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        for x, y in train_dataloader:
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
        print("done")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    # what the program passed, not SGD's defaults (dampening, nesterov, weight_decay)
    assert run["params"] == {"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9, "batch_size": 4}
    assert set(run["param_sources"].values()) == {"torch"}


@needs("torch")
def test_loaders_that_do_not_shuffle_give_the_batch_size_they_share(repo: Repo) -> None:
    # The PyTorch Quickstart: `batch_size = 64` for both loaders, neither shuffled.
    program(
        repo,
        """\
        import sys
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        data = TensorDataset(torch.randn(16, 2), torch.randn(16, 1))
        sizes = [int(size) for size in sys.argv[1:]]
        loaders = [DataLoader(data, batch_size=size) for size in sizes]
        print(sum(len(loader) for loader in loaders))
        """,
    )

    _, shared = exec_run(repo, sys.executable, "train.py", "8", "8")
    _, differ = exec_run(repo, sys.executable, "train.py", "8", "4")

    assert shared["params"] == {"batch_size": 8}
    assert "batch_size" not in differ["params"]  # which one is the training loader's? unknown


@needs("torch")
def test_torch_settings_rank_below_the_programs_parser_and_command_line(repo: Repo) -> None:
    program(
        repo,
        """\
        import argparse
        import torch

        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.01)
        args = parser.parse_args()
        model = torch.nn.Linear(2, 1)
        # the rate scaled by the program: the command line's --lr is the param
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr * 4, betas=(0.5, 0.999))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--lr", "0.1")

    params, sources = run["params"], run["param_sources"]
    assert params == {"lr": 0.1, "optimizer": "Adam", "betas": [0.5, 0.999]}
    assert sources == {"lr": "argparse", "optimizer": "torch", "betas": "torch"}


@needs("torch")
def test_a_loader_given_a_camel_case_option_adds_no_second_batch_size(repo: Repo) -> None:
    # pytorch/examples dcgan: parser.add_argument('--batchSize', ...), then
    # DataLoader(dataset, batch_size=opt.batchSize, shuffle=True)
    program(
        repo,
        """\
        import argparse
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        parser = argparse.ArgumentParser()
        parser.add_argument("--batchSize", type=int, default=64)
        parser.add_argument("--accum", type=int, default=1)
        opt = parser.parse_args()
        data = TensorDataset(torch.randn(16, 2))
        loader = DataLoader(data, batch_size=opt.batchSize * opt.accum, shuffle=True)
        print(len(loader))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--batchSize", "4")
    _, scaled = exec_run(repo, sys.executable, "train.py", "--batchSize", "4", "--accum", "2")

    assert run["params"] == {"batchSize": 4, "accum": 1}  # was batch_size = 4 beside it
    # the loader's own size, another value, is a param of its own still
    assert scaled["params"] == {"batchSize": 4, "accum": 2, "batch_size": 8}


@needs("torch")
def test_torch_optimizers_that_differ_give_no_optimizer_params_and_alike_ones_one(
    repo: Repo,
) -> None:
    gan = """\
        import torch
        from torch.utils.data import DataLoader

        generator, discriminator = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
        for epoch in range(2):  # a loader made anew each epoch is still the one loader
            loader = DataLoader(list(range(8)), batch_size=2, shuffle=True)
        optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        optimizer_d = torch.optim.{}(discriminator.parameters(), lr={})
        """
    program(repo, gan.format("Adam", "2e-4, betas=(0.5, 0.999)"), name="dcgan.py")
    program(repo, gan.format("SGD", "0.01"), name="two.py")

    _, alike = exec_run(repo, sys.executable, "dcgan.py")
    _, differ = exec_run(repo, sys.executable, "two.py")

    assert alike["params"] == {
        "optimizer": "Adam", "lr": 2e-4, "betas": [0.5, 0.999], "batch_size": 2
    }  # fmt: skip
    # which optimizer the run's results are of cannot be told: none is recorded
    assert differ["params"] == {"batch_size": 2}


@needs("torch")
def test_torch_param_groups_give_the_settings_they_share_and_the_decayed_weight_decay(
    repo: Repo,
) -> None:
    # nanoGPT's configure_optimizers and the HF Trainer's decay/no-decay split: weight_decay
    # set in the groups alone; a head with its own lr overrides the constructor's.
    groups = """\
        import torch

        model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        optimizer = torch.optim.AdamW(
            [{{"params": decay, {}}}, {{"params": no_decay, "weight_decay": 0.0}}],
            lr=6e-4, betas=(0.9, 0.95),
        )
        """
    program(repo, groups.format('"weight_decay": 0.1'), name="nanogpt.py")
    program(repo, groups.format('"weight_decay": 0.0'), name="no_decay.py")
    program(repo, groups.format('"weight_decay": 0.1, "lr": 1e-3'), name="head_lr.py")

    _, nanogpt = exec_run(repo, sys.executable, "nanogpt.py")
    _, no_decay = exec_run(repo, sys.executable, "no_decay.py")
    _, head_lr = exec_run(repo, sys.executable, "head_lr.py")

    assert nanogpt["params"] == {
        "optimizer": "AdamW", "lr": 6e-4, "betas": [0.9, 0.95], "weight_decay": 0.1
    }  # fmt: skip
    assert no_decay["params"]["weight_decay"] == 0.0  # not AdamW's default of 0.01
    # lr is 1e-3 for one group and 6e-4 for the other: neither is the run's
    assert head_lr["params"] == {"optimizer": "AdamW", "betas": [0.9, 0.95], "weight_decay": 0.1}


@needs("optax")
def test_an_optax_optimizer_records_its_settings_and_its_schedules(repo: Repo) -> None:
    # Flax's and JAX programs' shape: the optimizer written in the code, a schedule as its rate.
    program(
        repo,
        """\
        import sys

        import jax.numpy as jnp
        import optax

        if sys.argv[1] == "schedule":
            schedule = optax.warmup_cosine_decay_schedule(
                init_value=0.0, peak_value=1e-3, warmup_steps=10, decay_steps=100
            )
            adamw = optax.adamw(learning_rate=schedule, weight_decay=0.05)
            tx = optax.chain(optax.clip_by_global_norm(1.0), adamw)
        elif sys.argv[1] == "two":
            tx = optax.multi_transform(
                {"a": optax.adam(1e-3), "b": optax.sgd(1e-2)}, {"w": "a", "b": "b"}
            )
        elif sys.argv[1] == "injected":  # the rate in the optimizer's state, to change it
            tx = optax.inject_hyperparams(optax.adam)(learning_rate=3e-4, b1=0.85)
        else:
            tx = optax.adam(learning_rate=1e-3, b1=0.8)
            # inject_hyperparams calls adam again on each update: not the program's own call
            tx = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3, b1=0.8)
        params = {"w": jnp.zeros(2), "b": jnp.zeros(1)}
        state = tx.init(params)
        updates, state = tx.update({"w": jnp.ones(2), "b": jnp.ones(1)}, state, params)
        print("updated", float(updates["w"][0]))
        """,
    )

    _, plain = exec_run(repo, sys.executable, "train.py", "plain")
    _, scheduled = exec_run(repo, sys.executable, "train.py", "schedule")
    _, two = exec_run(repo, sys.executable, "train.py", "two")
    _, injected = exec_run(repo, sys.executable, "train.py", "injected")

    assert plain["params"] == {"optimizer": "adam", "learning_rate": 1e-3, "b1": 0.8}
    assert set(plain["param_sources"].values()) == {"optax"}
    assert scheduled["params"] == {
        "optimizer": "adamw",
        "weight_decay": 0.05,
        "learning_rate": {
            "schedule": "warmup_cosine_decay_schedule",
            "init_value": 0.0,
            "peak_value": 1e-3,
            "warmup_steps": 10,
            "decay_steps": 100,
        },
    }
    assert two["params"] == {}  # adam and sgd: which one is the run's cannot be told
    assert injected["params"] == {"optimizer": "adam", "learning_rate": 3e-4, "b1": 0.85}


@needs("torch", "lightning")
def test_lightning_builds_the_optimizer_so_no_torch_params(repo: Repo) -> None:
    program(
        repo,
        """\
        import torch
        import lightning as L
        from torch.utils.data import DataLoader, TensorDataset

        class Model(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.layer = torch.nn.Linear(2, 1)

            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = torch.nn.functional.mse_loss(self.layer(x), y)
                self.log("train_loss", loss)
                return loss

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        data = DataLoader(TensorDataset(torch.randn(8, 2), torch.randn(8, 1)), batch_size=4,
                          shuffle=True)
        trainer = L.Trainer(
            max_epochs=1, log_every_n_steps=1, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False,
        )
        trainer.fit(Model(), data)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    assert [step for step, _ in series(run, "train_loss")] == [0, 1]
    # the loader the program made before the trainer ran was reported, then taken back
    assert "torch" not in set(run["param_sources"].values())
    assert not {"optimizer", "lr", "batch_size"} & set(run["params"])


@needs("keras", "torch")
def test_keras_fit_history_per_epoch(repo: Repo) -> None:
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np
        import keras

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        x = np.random.default_rng(0).normal(size=(32, 3))
        model.fit(x, x.sum(axis=1), epochs=3, validation_split=0.25, verbose=0)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert [step for step, _ in series(run, "loss")] == [0, 1, 2]
    assert {"loss", "mae", "val_loss", "val_mae"} <= set(run["metrics"])


@needs("keras", "torch")
def test_keras_fits_go_on_in_steps_evaluate_is_test_and_fit_settings_are_params(
    repo: Repo,
) -> None:
    # As real Keras programs train: a callback of their own, validation_split, a second fit
    # to fine-tune (epochs counted from 0 again), fit(epochs=1) once per loop turn
    # (keras-io's addition_rnn), a fit that goes on with initial_epoch, then evaluate.
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np
        import keras

        class PrintEpoch(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                print(f"Finished epoch {epoch + 1}")

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        x = np.random.default_rng(0).normal(size=(32, 3))
        y = x.sum(axis=1)
        model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, callbacks=[PrintEpoch()])
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse", metrics=["mae"])
        for turn in range(2):
            print("Iteration", turn + 1)
            model.fit(x, y, epochs=1, validation_split=0.25)
        model.fit(x, y, epochs=5, initial_epoch=4, validation_split=0.25)
        loss, mae = model.evaluate(x, y)
        print("Test loss:", loss)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    for name in ("loss", "mae", "val_loss", "val_mae"):
        assert [step for step, _ in series(run, name)] == [0, 1, 2, 3, 4], name
    assert [step for step, _ in series(run, "test_loss")] == [4]
    assert [step for step, _ in series(run, "test_mae")] == [4]
    # The printed progress lines and "Test loss:" are these series, not a second set.
    assert set(run["series"]) == {"loss", "mae", "val_loss", "val_mae", "test_loss", "test_mae"}
    # The first fit's settings; SGD's learning rate as typed, not float32's 0.00999999977.
    assert run["params"] == {
        "epochs": 2,
        "batch_size": 16,
        "validation_split": 0.25,
        "optimizer": "sgd",
        "learning_rate": 0.01,
    }
    assert run["param_sources"]["learning_rate"] == "keras"


@needs("keras", "torch")
def test_a_keras_fit_of_one_epoch_after_another_fit_is_training_not_evaluate(
    repo: Repo,
) -> None:
    # KerasTuner's getting-started refits the best hyperparameters with fit(epochs=1) after
    # the search's fits; keras-io's transfer learning fine-tunes so. Keras 3 draws no
    # "Epoch 1/1" header for one epoch, so its bar looks like evaluate()'s.
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np
        import keras

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        x = np.random.default_rng(0).normal(size=(32, 3))
        y = x.sum(axis=1)
        model.fit(x, y, batch_size=16, epochs=2)
        model.fit(x, y, batch_size=16, epochs=1)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert [step for step, _ in series(run, "loss")] == [0, 1, 2]
    # the last fit's printed bar is that fit's epoch, not a test_loss of an evaluate()
    assert set(run["series"]) == {"loss", "mae"}


@needs("keras", "torch")
def test_a_keras_optimizer_made_again_is_recorded_by_its_name_not_keras_numbered_one(
    repo: Repo,
) -> None:
    # KerasTuner's build_model compiles with a new Adam per trial; Keras 3 names the second
    # "adam_1", the third "adam_2".
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np
        import keras

        keras.optimizers.Adam(learning_rate=0.1)  # an earlier trial's
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-4), loss="mse")
        print(model.optimizer.name)
        x = np.random.default_rng(0).normal(size=(32, 3))
        model.fit(x, x.sum(axis=1), epochs=1, verbose=0)
        """,
    )

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert b"adam_1" in proc.stdout
    assert run["params"]["optimizer"] == "adam"
    assert run["params"]["learning_rate"] == 3e-4


@needs("keras", "torch")
def test_a_keras_training_loop_of_the_program_records_its_optimizer(repo: Repo) -> None:
    # Keras' guide "Writing a training loop from scratch in PyTorch" (TensorFlow's guides
    # call apply_gradients, JAX's stateless_apply): no fit, whose hook gave the params
    program(
        repo,
        """\
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np
        import keras
        import torch

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        optimizer = keras.optimizers.Adam(learning_rate=3e-4)
        loss_fn = keras.losses.MeanSquaredError()
        x = torch.tensor(np.random.default_rng(0).normal(size=(32, 3)), dtype=torch.float32)
        for step in range(3):
            loss_value = loss_fn(x.sum(axis=1, keepdim=True), model(x))
            model.zero_grad()
            trainable_weights = [v for v in model.trainable_weights]
            loss_value.backward()
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)
            print(f"step={step} loss={float(loss_value):.4f}")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"optimizer": "adam", "learning_rate": 3e-4}
    assert run["param_sources"]["learning_rate"] == "keras"
    assert [step for step, _ in series(run, "loss")] == [0, 1, 2]


@needs("transformers")
def test_hugging_face_trainer_log() -> None:
    pytest.skip("transformers' Trainer needs a model download; covered by the hook's own code")


@needs("transformers", "torch")
def test_a_trainers_results_printed_after_training_are_at_its_last_step(repo: Repo) -> None:
    # The Hugging Face course's Trainer chapter, with a model made from a tiny config (no
    # download): report_to="none", a log every 2 steps, then print(predictions.metrics).
    # The Trainer's printed dicts are at its epoch; its logs, captured, at its global step.
    program(
        repo,
        """\
        import torch
        from transformers import BertConfig, BertForSequenceClassification, Trainer
        from transformers import TrainingArguments

        torch.manual_seed(0)
        config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=16)
        model = BertForSequenceClassification(config)
        data = [{"input_ids": torch.randint(0, 20, (6,)), "labels": i % 2} for i in range(16)]
        args = TrainingArguments("out", logging_steps=2, report_to="none", num_train_epochs=2,
                                 per_device_train_batch_size=4, save_strategy="no")
        trainer = Trainer(model, args, train_dataset=data, eval_dataset=data)
        trainer.train()
        print(trainer.predict(data).metrics)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert [step for step, _ in series(run, "loss")] == [2, 4, 6, 8]
    assert [step for step, _ in series(run, "train_loss")] == [8]
    # printed after training: at the last step, not at 2 (the epochs the Trainer printed)
    assert [step for step, _ in series(run, "test_loss")] == [8]


# --- optuna trials: lines for the sweep recorder ------------------------------------------


@needs("optuna")
def test_optuna_writes_one_trial_line_per_finished_trial(tmp_path: Path) -> None:
    script = tmp_path / "search.py"
    script.write_text(
        textwrap.dedent(
            """\
            import optuna
            optuna.logging.set_verbosity(optuna.logging.WARNING)

            def objective(trial):
                x = trial.suggest_float("x", -1, 1)
                trial.report(x * 2, step=1)
                if trial.number == 1:
                    raise optuna.TrialPruned()
                return x ** 2

            study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
            study.optimize(objective, n_trials=3)
            """
        )
    )
    metrics_file = tmp_path / "metrics.jsonl"
    env = {
        **os.environ,
        "RUNLEDGER_METRICS_FILE": str(metrics_file),
        "PYTHONPATH": str(AUTOCAPTURE),
    }
    env.pop("RUNLEDGER_AUTOCAPTURE_OWNER", None)

    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=120)

    lines = [json.loads(line) for line in metrics_file.read_text().splitlines()]
    trials = [line for line in lines if line["_runledger"] == "trial"]
    assert [(t["number"], t["state"]) for t in trials] == [
        (0, "COMPLETE"),
        (1, "PRUNED"),
        (2, "COMPLETE"),
    ]
    first = trials[0]
    assert set(first["params"]) == {"x"}
    assert first["value"] == pytest.approx(first["params"]["x"] ** 2)
    assert first["values"] == [first["value"]]
    assert first["intermediate"] == {"1": pytest.approx(first["params"]["x"] * 2)}
    # Optuna keeps a pruned trial's last intermediate value as its value.
    assert trials[1]["value"] == pytest.approx(trials[1]["params"]["x"] * 2)
    assert first["datetime_start"] <= first["datetime_complete"]


@needs("optuna")
def test_optuna_trial_lines_are_not_metrics(repo: Repo) -> None:
    program(
        repo,
        """\
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study()
        study.optimize(lambda t: t.suggest_int("n", 1, 3), n_trials=2)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # The trial lines are no metrics of the run itself: the study's run is the parent of one
    # child run per trial, and its only metric is the best value (issue 16).
    assert set(run["metrics"]) <= {"value", "trials"}


@needs("optuna")
def test_an_in_process_study_parent_holds_its_best_value(repo: Repo) -> None:
    program(
        repo,
        """\
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        search = optuna.samplers.GridSampler({"n": [1, 3, 2]}, seed=0)
        study = optuna.create_study(direction="maximize", sampler=search)
        study.optimize(lambda t: t.suggest_int("n", 1, 3) * 10, n_trials=3)
        """,
    )
    proc = repo.run("exec", sys.executable, "train.py", timeout=120)
    assert b"with 3 child runs" in proc.stderr, proc.stderr.decode()

    runs = repo.runs_json()
    parent = next(run for run in runs if run["parent"] is None)
    best = next(run for run in runs if run["params"].get("n") == 3)
    # maximized: the largest value, not the last or the smallest
    assert parent["metrics"]["value"] == 30
    shown = repo.cli("show", parent["id"], "--json").json()
    assert shown["trial"]["direction"] == "maximize"
    assert shown["trial"]["best_run"] == best["id"]
    best_trial = repo.cli("show", best["id"], "--json").json()["trial"]["number"]
    assert shown["trial"]["best_trial"] == best_trial


@needs("optuna", "xgboost")
def test_a_study_parent_holds_its_best_trials_params_not_the_last_ones(repo: Repo) -> None:
    # optuna-examples' xgboost_simple.py: xgb.train in each trial; the parent showed the last
    # trial's max_depth (from the xgb.train hook) beside the best trial's value.
    program(
        repo,
        """\
        import numpy as np, optuna, xgboost as xgb
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        data = xgb.DMatrix(np.arange(40.0).reshape(20, 2), label=np.arange(20.0))
        def objective(trial):
            depth = trial.suggest_int("max_depth", 2, 5)
            xgb.train({"max_depth": depth, "objective": "reg:squarederror"}, data, 2)
            return depth * 10
        search = optuna.samplers.GridSampler({"max_depth": [2, 5, 3]}, seed=0)
        study = optuna.create_study(direction="maximize", sampler=search)
        study.optimize(objective, n_trials=3)
        """,
    )
    repo.run("exec", sys.executable, "train.py", timeout=120)

    parent = next(run for run in repo.runs_json() if run["parent"] is None)
    shown = repo.cli("show", parent["id"], "--json").json()
    assert shown["metrics"]["value"] == 50
    assert shown["params"]["max_depth"] == 5
    assert shown["param_sources"]["max_depth"] == "best trial"
    assert shown["params"]["objective"] == "reg:squarederror"  # the same in every trial


@needs("optuna")
def test_a_multi_objective_study_parent_claims_no_best(repo: Repo) -> None:
    program(
        repo,
        """\
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(directions=["minimize", "maximize"])
        study.optimize(lambda t: (t.suggest_int("n", 1, 3), 1.0), n_trials=2)
        """,
    )
    proc = repo.run("exec", sys.executable, "train.py", timeout=120)
    assert b"with 2 child runs" in proc.stderr, proc.stderr.decode()

    parent = next(run for run in repo.runs_json() if run["parent"] is None)
    shown = repo.cli("show", parent["id"], "--json").json()
    assert shown["trial"] == {"role": "study", "trials": 2, "directions": ["minimize", "maximize"]}
    assert not {"value", "value_0", "value_1"} & set(parent["metrics"])


@needs("torch", "tensorboardX")
def test_torchrun_workers_rank_zero_reports_and_the_launcher_does_not(repo: Repo) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this interpreter")
    program(
        repo,
        """\
        import argparse, os
        from tensorboardX import SummaryWriter

        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser.parse_args()
        rank = int(os.environ["RANK"])
        writer = SummaryWriter(f"runs/{rank}")
        for step in range(3):
            writer.add_scalar("loss", 10 * rank + step, step)
        writer.close()
        """,
    )
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, str(torchrun), "--nproc_per_node", "2", "train.py", "--lr", "0.3")

    assert run["params"] == {"nproc_per_node": 2, "lr": 0.3}
    assert run["param_sources"] == {"nproc_per_node": "argv", "lr": "argparse"}
    assert series(run, "loss") == [[0, 0.0], [1, 1.0], [2, 2.0]]
    assert run["environment"]["distributed"] == {"world_size": 2}


@needs("torch", "lightning")
def test_a_plain_trainer_fit_records_the_modules_saved_hyperparameters(repo: Repo) -> None:
    # The Lightning docs' pattern without LightningCLI: the learning rate, which Lightning
    # gives the optimizer itself, was recorded nowhere; only the argparse options were.
    program(
        repo,
        """\
        import argparse, torch
        import lightning as L
        from torch.utils.data import DataLoader, TensorDataset

        class Model(L.LightningModule):
            def __init__(self, hidden_dim: int = 4, learning_rate: float = 0.05):
                super().__init__()
                self.save_hyperparameters()
                self.net = torch.nn.Linear(2, self.hparams.hidden_dim)

            def training_step(self, batch, batch_idx):
                loss = self.net(batch[0]).pow(2).mean()
                self.log("train_loss", loss)
                return loss

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)

        parser = argparse.ArgumentParser()
        parser.add_argument("--hidden_dim", type=int, default=4)
        args = parser.parse_args()
        data = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
        trainer = L.Trainer(max_epochs=1, log_every_n_steps=1, logger=False,
                            enable_checkpointing=False, enable_progress_bar=False)
        trainer.fit(Model(args.hidden_dim), data)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--hidden_dim", "3")

    assert run["params"] == {"hidden_dim": 3, "learning_rate": 0.05, "max_epochs": 1}
    assert run["param_sources"]["learning_rate"] == "lightning"
    assert [step for step, _ in series(run, "train_loss")] == [0, 1]


@needs("torch", "lightning")
def test_a_trainers_epochs_clipping_and_accumulation_are_params(repo: Repo) -> None:
    # pytorch-forecasting's and GluonTS's examples: Trainer(max_epochs=3,
    # gradient_clip_val=0.1) were how the run trained, and recorded nowhere.
    program(
        repo,
        """\
        import torch
        import lightning as L
        from torch.utils.data import DataLoader, TensorDataset

        class Model(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.net = torch.nn.Linear(2, 1)

            def training_step(self, batch, batch_idx):
                loss = self.net(batch[0]).pow(2).mean()
                self.log("train_loss", loss)
                return loss

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        data = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=2)
        trainer = L.Trainer(max_epochs=2, gradient_clip_val=0.5, accumulate_grad_batches=2,
                            log_every_n_steps=1, logger=False, enable_checkpointing=False,
                            enable_progress_bar=False, enable_model_summary=False)
        trainer.fit(Model(), data)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    params = run["params"]
    assert params["max_epochs"] == 2 and params["gradient_clip_val"] == 0.5
    assert params["accumulate_grad_batches"] == 2
    assert run["param_sources"]["max_epochs"] == "lightning"
    assert "precision" not in params and "max_steps" not in params  # Lightning's defaults


@needs("torch", "lightning", "jsonargparse")
def test_lightning_cli_config_and_metrics(repo: Repo) -> None:
    program(
        repo,
        """\
        import torch
        import lightning as L
        from lightning.pytorch.cli import LightningCLI
        from torch.utils.data import DataLoader, TensorDataset

        class Model(L.LightningModule):
            def __init__(self, hidden: int = 4, lr: float = 0.1):
                super().__init__()
                self.save_hyperparameters()
                self.net = torch.nn.Sequential(
                    torch.nn.Linear(2, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
                )

            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = torch.nn.functional.mse_loss(self.net(x), y)
                self.log("loss", loss)
                return loss

            def train_dataloader(self):
                torch.manual_seed(0)
                return DataLoader(TensorDataset(torch.randn(8, 2), torch.randn(8, 1)), batch_size=4)

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

        LightningCLI(Model, save_config_kwargs={"overwrite": True})
        """,
    )
    repo.write(".gitignore", "lightning_logs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(
        repo,
        sys.executable,
        "train.py",
        "fit",
        "--model.hidden",
        "8",
        "--trainer.max_epochs",
        "1",
        "--trainer.log_every_n_steps",
        "1",
        "--trainer.enable_progress_bar",
        "false",
    )

    # One name per param: argv's "model.hidden" is the program's "fit.model.hidden".
    assert set(run["params"]) == {"fit", "subcommand"}
    fit = run["params"]["fit"]
    assert fit["model"] == {"hidden": 8, "lr": 0.1}
    assert fit["trainer"]["max_epochs"] == 1
    assert run["params"]["subcommand"] == "fit"
    assert run["param_sources"]["fit.model.hidden"] == "jsonargparse"
    assert [step for step, _ in series(run, "loss")] == [0, 1]
