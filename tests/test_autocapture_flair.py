"""A flair training script under ``runledger exec``: the ModelTrainer's settings (given and
the defaults that say how it trains) are the run's params, and its log's DEV lines the dev
metrics at each epoch.

flair itself pulls in transformers, gensim and more, so the trainer here is a stand-in with
flair's module path, ``train`` signature and log lines (flair 0.15's ``ModelTrainer``)."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program, series

FLAIR_TRAINER = """\
import logging
from pathlib import Path

try:
    import torch
except ImportError:
    torch = None

log = logging.getLogger("flair")


class SGD:  # torch.optim.SGD where torch is not installed
    pass


class ModelTrainer:
    def __init__(self, model, corpus):
        self.model, self.corpus = model, corpus

    def train(
        self, base_path, anneal_factor=0.5, patience=3, min_learning_rate=0.0001,
        learning_rate=0.1, mini_batch_size=32, eval_batch_size=64, max_epochs=100,
        optimizer=torch.optim.SGD if torch else SGD, train_with_dev=False,
        main_evaluation_metric=("micro avg", "f1-score"), embeddings_storage_mode="cpu",
        save_final_model=True, create_loss_file=True, plugins=None, **kwargs,
    ):
        if torch is not None:  # flair builds the optimizer and the loader itself
            layer = torch.nn.Linear(2, 2)
            optimizer(layer.parameters(), lr=learning_rate)
            torch.utils.data.DataLoader([0, 1, 2], batch_size=mini_batch_size, shuffle=True)
        Path(base_path).mkdir(parents=True, exist_ok=True)
        for epoch in range(1, max_epochs + 1):
            log.info(f"EPOCH {epoch} done: loss {1.5 / epoch:.4f} - lr: {learning_rate:.6f}")
            score = round(0.7 + epoch / 10, 1)
            log.info(f"DEV : loss {0.5 / epoch} - f1-score (micro avg)  {score}")
        return {"test_score": 0.9}
"""

FLAIR_PROGRAM = """\
import logging

from flair.trainers import ModelTrainer

logging.basicConfig(format="%(asctime)-15s %(message)s", level=logging.INFO)
trainer = ModelTrainer(model=None, corpus=None)
trainer.train("resources/taggers/ner", learning_rate=0.05, mini_batch_size=8, max_epochs=2)
"""


def test_flair_trainer_settings_are_params_and_its_dev_lines_metrics(repo: Repo) -> None:
    repo.write("flair/__init__.py", "")
    repo.write("flair/trainers/__init__.py", "from flair.trainers.trainer import ModelTrainer\n")
    repo.write("flair/trainers/trainer.py", textwrap.dedent(FLAIR_TRAINER))
    program(repo, FLAIR_PROGRAM)

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    params = run["params"]
    assert params["learning_rate"] == 0.05 and params["mini_batch_size"] == 8
    assert params["max_epochs"] == 2 and params["optimizer"] == "SGD"
    # the defaults of how the learning rate anneals: the run trained with them
    assert params["anneal_factor"] == 0.5 and params["patience"] == 3
    assert run["param_sources"]["max_epochs"] == "flair"
    # where it writes, and what it logs, are no settings
    assert not {"base_path", "embeddings_storage_mode", "create_loss_file"} & set(params)
    if importlib.util.find_spec("torch") is not None:
        # the optimizer and loader flair built are its settings again, not the program's
        assert "lr" not in params and "batch_size" not in params
    assert series(run, "dev_f1_score_micro_avg") == [[1, 0.8], [2, 0.9]]
    assert series(run, "dev_loss") == [[1, 0.5], [2, 0.25]]
    assert series(run, "loss") == [[1, 1.5], [2, 0.75]]
