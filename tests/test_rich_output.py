"""What a program prints through rich, read as it reads printed bare.

Under ``runledger exec`` stdout is a pipe, so rich draws for 80 columns: a long line wraps
onto the next, and a ``Table`` is drawn in boxes (``┃ Epoch ┃ Train Loss ┃`` over ``│ 1 │
0.52 │``). The programs are small imitations run through the real ``runledger exec``.
"""

from __future__ import annotations

import sys

from runledger.recording.capture.metrics import MetricsCollector
from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program, series

RICH_TABLES = """\
from rich.console import Console
from rich.table import Table

console = Console()
history = Table(title="Training history")
for column in ("Epoch", "Train Loss", "Val Acc"):
    history.add_column(column)
for epoch, loss, acc in ((1, 0.52, 0.81), (2, 0.41, 0.85)):
    history.add_row(str(epoch), f"{loss}", f"{acc}")
console.print(history)
"""


def test_a_rich_table_of_epochs_gives_each_column_its_series(repo: Repo) -> None:
    program(repo, RICH_TABLES)

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert "┃ Epoch ┃ Train Loss ┃ Val Acc ┃" in proc.stdout.decode()
    assert series(run, "train_loss") == [[1, 0.52], [2, 0.41]]
    assert series(run, "val_acc") == [[1, 0.81], [2, 0.85]]


HISTORY_AFTER_EPOCHS = """\
from rich.console import Console
from rich.table import Table

console = Console()
rows = ((1, 0.52, 0.81), (2, 0.41, 0.85))
for epoch, loss, acc in rows:
    console.print(f"epoch {epoch}: train_loss: {loss}, val_acc: {acc}")
history = Table()
for column in ("Epoch", "Train Loss", "Val Acc"):
    history.add_column(column)
for epoch, loss, acc in rows:
    history.add_row(str(epoch), f"{loss}", f"{acc}")
console.print(history)
"""


def test_a_history_table_after_the_epochs_adds_no_second_point(repo: Repo) -> None:
    program(repo, HISTORY_AFTER_EPOCHS)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "train_loss") == [[1, 0.52], [2, 0.41]]
    assert series(run, "val_acc") == [[1, 0.81], [2, 0.85]]


def test_a_markdown_table_of_epochs_reads_as_rich_s_does() -> None:
    # print(df.to_markdown()) or a hand-made "| Epoch | ... |" table: the same columns
    text = (
        "| Epoch | Train Loss | Val Acc |\n"
        "|-------|------------|---------|\n"
        "| 1     | 0.52       | 0.81    |\n"
        "| 2     | 0.41       | 0.85    |\n"
    )
    collector = MetricsCollector()
    collector.feed_output(text.encode())
    collector.flush_output()
    series = collector.series()
    read = {name: list(zip(one.steps, one.values, strict=True)) for name, one in series.items()}

    assert read == {"train_loss": [(1, 0.52), (2, 0.41)], "val_acc": [(1, 0.81), (2, 0.85)]}


# width=80: what rich takes for a pipe where no COLUMNS is set (the test's environment may set one)
RICH_WRAPPED_LINE = """\
from rich.console import Console

console = Console(width=80)
for epoch in (1, 2):
    console.print(
        f"epoch {epoch}: train_loss: 0.{epoch}234, val_loss: 0.{epoch}456, "
        f"train_accuracy: 0.9{epoch}12, val_acc: 0.8{epoch}34, lr: 0.001"
    )
"""


def test_a_line_rich_wraps_between_a_name_and_its_value_is_read_whole(repo: Repo) -> None:
    program(repo, RICH_WRAPPED_LINE)

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert "val_acc: \n0.8134, lr: 0.001" in proc.stdout.decode()  # rich's wrap at 80
    assert series(run, "train_loss") == [[1, 0.1234], [2, 0.2234]]
    assert series(run, "val_acc") == [[1, 0.8134], [2, 0.8234]]
    assert series(run, "lr") == [[1, 0.001], [2, 0.001]]


# rich breaks at the blank before the last pair, keeping that blank: "... val_acc 0.8134 "
# then "lr 0.001" (or before a value: "| val_acc " then "0.81 | lr 0.001")
RICH_WRAPPED_PAIRS = """\
from rich.console import Console

console = Console(width=80)
for epoch in (1, 2):
    console.print(
        f"Epoch {epoch}: train_loss 0.{epoch}2345 val_loss 0.{epoch}3456 "
        f"train_acc 0.{epoch}1234 val_acc 0.{epoch}9876 lr 0.001"
    )
for epoch in (3, 4):
    console.print(
        f"Epoch {epoch} | train_loss 0.{epoch}2345 | val_loss 0.{epoch}3456 "
        f"| train_acc 0.{epoch}1234 | val_acc 0.{epoch}9 | lr 0.001"
    )
"""


def test_a_pair_rich_wraps_onto_a_line_of_its_own_is_read_with_its_line(repo: Repo) -> None:
    program(repo, RICH_WRAPPED_PAIRS)

    proc, run = exec_run(repo, sys.executable, "train.py")

    shown = proc.stdout.decode()
    assert "val_acc 0.19876 \nlr 0.001\n" in shown and "| val_acc \n0.39 | lr 0.001" in shown
    assert series(run, "lr") == [[1, 0.001], [2, 0.001], [3, 0.001], [4, 0.001]]
    assert series(run, "val_acc") == [[1, 0.19876], [2, 0.29876], [3, 0.39], [4, 0.49]]
    assert series(run, "train_loss") == [[1, 0.12345], [2, 0.22345], [3, 0.32345], [4, 0.42345]]


def test_a_line_ending_in_a_blank_takes_no_next_line_that_is_its_own() -> None:
    text = (
        "epoch 1: loss 0.3000 acc 0.5000 val_loss 0.3500 val_acc 0.4500 grad 1.00 \n"
        "epoch 2: loss 0.2000 acc 0.6000 val_loss 0.2500 val_acc 0.5500 grad 1.00 \n"
        "Saved checkpoint to ckpt/epoch_2.pt with 3 files in all, for the record \n"
        "loss 0.1\n"
    )
    collector = MetricsCollector()
    collector.feed_output(text.encode())
    collector.flush_output()
    series = collector.series()
    read = {name: list(zip(one.steps, one.values, strict=True)) for name, one in series.items()}

    assert read["loss"] == [(1, 0.3), (2, 0.2)]
    assert read["val_acc"] == [(1, 0.45), (2, 0.55)]
