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
