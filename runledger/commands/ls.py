"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

from pathlib import Path

from runledger import git
from runledger.errors import UserError
from runledger.ledger import Ledger
from runledger.record import STATUSES, Run


def list_runs(
    cwd: Path, *, status: str | None = None, limit: int | None = None, tag: str | None = None
) -> list[Run]:
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown --status {status!r}: use one of {', '.join(STATUSES)}")
    runs = Ledger(git.discover(cwd)).runs()
    if status is not None:
        runs = [run for run in runs if run.status == status]
    if tag is not None:
        runs = [run for run in runs if tag in run.all_tags]
    return runs[:limit] if limit is not None else runs
