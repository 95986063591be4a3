"""A transfer's progress on a terminal: one rich bar with bytes, rate and time left.

Off a terminal nothing is drawn; the command prints one summary line when it ends.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class TransferBar:
    """Implements the transfers' Progress protocol with a rich bar on stderr."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def start(self, description: str, total_bytes: int, count: int) -> None:
        if count == 0:
            return
        label = f"{description} {count} file{'s' * (count != 1)}"
        self._task = self._progress.add_task(label, total=total_bytes)
        self._progress.start()

    def advance(self, nbytes: int) -> None:
        if self._task is not None and nbytes:
            self._progress.advance(self._task, nbytes)

    def stop(self) -> None:
        if self._task is not None:
            self._progress.stop()
            self._task = None


def transfer_progress() -> TransferBar | None:
    """A bar when stderr is a terminal; None otherwise (the caller prints a summary line)."""
    console = Console(stderr=True)
    return TransferBar(console) if console.is_terminal else None
