"""Metrics logged through the logging module read as they read printed bare.

Pyro's examples log with ``logging.basicConfig(format="%(relativeCreated) 9d %(message)s")``:
every line opens with the milliseconds since start, right-aligned in nine columns, and the
training loop logs a ``Step\\tLoss`` table under it (examples/hmm.py, lda.py). The programs
below are small imitations run through the real ``runledger exec``.
"""

from __future__ import annotations

import sys

from runledger.recording.capture.metrics import MetricsCollector
from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program, series

PYRO_STYLE = """\
import logging

logging.basicConfig(format="%(relativeCreated) 9d %(message)s", level=logging.INFO)
logging.info("Loading data")
logging.info("-" * 40)
logging.info("Training model_1 on 229 sequences")
logging.info("Step\\tLoss")
for step in range(4):
    logging.info("{: >5d}\\t{}".format(step, 3.5 - step / 4))
logging.info("training loss = {}".format(2.75))
logging.info("test loss = {}".format(2.9))
logging.info("model_1 capacity = 1234 parameters")
"""


def test_pyro_examples_relative_time_prefix_gives_the_loss_table_and_no_times(
    repo: Repo,
) -> None:
    program(repo, PYRO_STYLE)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "Loss") == [[0, 3.5], [1, 3.25], [2, 3.0], [3, 2.75]]
    assert series(run, "training_loss") == [[3, 2.75]]
    assert series(run, "test_loss") == [[3, 2.9]]
    assert set(run["series"]) == {"Loss", "training_loss", "test_loss"}


def _collected(text: str) -> dict[str, list[tuple[float, float]]]:
    collector = MetricsCollector()
    collector.feed_output(text.encode(), "stderr")
    collector.flush_output()
    return {
        name: list(zip(one.steps, one.values, strict=True))
        for name, one in collector.series().items()
    }


def test_the_relative_time_prefix_is_cut_while_it_grows_past_nine_columns() -> None:
    lines = [
        "       12 Starting",
        "       30 epoch 1: loss=0.5",
        "     4500 epoch 2: loss=0.4",
        " 100000123 epoch 3: loss=0.3",  # past 27 hours: ten columns
        "       20 epoch 4: loss=0.2",  # going back: not the prefix
    ]

    assert _collected("".join(line + "\n" for line in lines)) == {
        "loss": [(1, 0.5), (2, 0.4), (3, 0.3)]
    }


RICH_STYLE = """\
import logging
from rich.logging import RichHandler

logging.basicConfig(level="INFO", format="%(message)s", datefmt="[%X]", handlers=[RichHandler()])
log = logging.getLogger("rich")
for epoch in range(1, 3):
    log.info(f"epoch {epoch}: loss=0.{epoch}5 acc=0.9{epoch}")
    log.info(f"Test accuracy: 0.8{epoch}")
"""


def test_rich_handler_lines_read_without_time_level_and_source(repo: Repo) -> None:
    program(repo, RICH_STYLE)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "loss") == [[1, 0.15], [2, 0.25]]
    assert series(run, "acc") == [[1, 0.91], [2, 0.92]]
    assert series(run, "test_accuracy") == [[1, 0.81], [2, 0.82]]


NAMED_LOGGER_STYLE = """\
import logging

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
log = logging.getLogger("trainer.loop")
for epoch in range(1, 3):
    log.info(f"epoch {epoch}: loss=0.{epoch}5")
log.info("Test accuracy: 0.91")
"""


def test_asctime_level_then_logger_name_prefix_is_cut(repo: Repo) -> None:
    program(repo, NAMED_LOGGER_STYLE)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "loss") == [[1, 0.15], [2, 0.25]]
    assert series(run, "test_accuracy") == [[2, 0.91]]
    assert set(run["series"]) == {"loss", "test_accuracy"}
