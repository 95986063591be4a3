"""``runledger watch [RUN]``: follow a running run's metrics until it ends (issue 18).

The run may have been started in any terminal: its journal folder (journal.py) holds the
output and the metrics so far. Each second the frame is read again and, on a terminal,
redrawn in place: a chart of one metric's series and a table of every metric's last value.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from runledger import ids
from runledger.errors import UserError
from runledger.model.record import STATUSES
from runledger.recording.live import LiveRun, live_runs, read_live
from runledger.store import git
from runledger.store.ledger import Ledger


def choose_live(repo: git.Repo, spec: str | None) -> LiveRun:
    running = live_runs(repo)
    if spec is None:
        if not running:
            raise UserError("no run is in progress here; start one with 'runledger exec ...'")
        return running[0]
    matching = [live for live in running if live.run.id.startswith(spec.lower())]
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1:
        raise UserError(f"run {spec!r} is ambiguous: {len(matching)} running runs start with it")
    # Not running: say how it ended when the ledger has it.
    run = Ledger(repo).read(spec)
    if run.status not in STATUSES:  # a record made elsewhere: it tells nothing true here
        raise UserError(
            f"run {ids.short_id(run.id)} is not running here (its record's status is unknown)"
        )
    raise UserError(f"run {ids.short_id(run.id)} is not running (it ended: {run.status})")


def watch_command(
    run: Annotated[
        str | None,
        typer.Argument(
            help="The running run to follow (id or prefix); default: the newest running run.",
            metavar="RUN",
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="The metric to chart (default: the one with the most points).",
            metavar="NAME",
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.1, help="Seconds between redraws.", metavar="SECONDS"),
    ] = 1.0,
) -> None:
    """Follow a running run's metrics, redrawn in place, until it ends."""
    from runledger.views.watch import clear_frame, render_frame

    repo = git.discover(Path.cwd())
    live = choose_live(repo, run)
    folder = live.folder
    terminal = sys.stdout.isatty()
    shown = ""
    while True:
        frame = render_frame(live.run, metric)
        if frame != shown:
            sys.stdout.write((clear_frame() if terminal else "") + frame)
            sys.stdout.flush()
            shown = frame
        time.sleep(interval)
        current = read_live(repo, folder)
        if current is None:
            break
        live = current
    ended = _ended(repo, live.run.id)
    sys.stdout.write(f"\nrun {ids.short_id(live.run.id)} ended{ended}\n")


def _ended(repo: git.Repo, run_id: str) -> str:
    """How the run ended, once its runledger has recorded it (a moment after it stops)."""
    for _ in range(50):
        for candidate in Ledger(repo).runs():
            if candidate.id == run_id:
                return f": {candidate.status} (runledger show {ids.short_id(run_id)})"
        time.sleep(0.1)
    return ""
