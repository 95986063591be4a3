"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

from pathlib import Path

from runledger import git
from runledger.errors import UserError
from runledger.ledger import Ledger
from runledger.record import STATUSES, Run


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown --status {status!r}: use one of {', '.join(STATUSES)}")


def list_runs(cwd: Path, *, status: str | None = None, limit: int | None = None) -> list[Run]:
    _check_status(status)
    runs = Ledger(git.discover(cwd)).runs()
    if status is not None:
        runs = [run for run in runs if run.status == status]
    return runs[:limit] if limit is not None else runs


def list_runs_json(cwd: Path, *, status: str | None = None, limit: int | None = None) -> list[str]:
    """``ls --json``: each run's JSON object as one line, newest first."""
    _check_status(status)
    return Ledger(git.discover(cwd)).summaries_json(status, limit)
