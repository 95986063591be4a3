"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

from pathlib import Path

from runledger.errors import UserError
from runledger.model.record import STATUSES, Run, link_reproductions
from runledger.query.select import parse_sort, run_filter, select, sort_runs
from runledger.store import git
from runledger.store.ledger import Ledger


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown --status {status!r}: use one of {', '.join(STATUSES)}")


def list_runs(
    cwd: Path,
    *,
    status: str | None = None,
    limit: int | None = None,
    where: str | None = None,
    sort: str | None = None,
    tag: str | None = None,
) -> list[Run]:
    _check_status(status)
    keep = run_filter(where)
    sort_key = parse_sort(sort) if sort is not None else None
    runs = link_reproductions(Ledger(git.discover(cwd)).runs())
    if status is not None:
        runs = [run for run in runs if run.status == status]
    if tag is not None:
        runs = [run for run in runs if tag in run.all_tags]
    runs = select(runs, keep)
    if sort_key is not None:
        runs = sort_runs(runs, sort_key)
    return runs[:limit] if limit is not None else runs


def list_runs_json(cwd: Path, *, status: str | None = None, limit: int | None = None) -> list[str]:
    """``ls --json``: each run's JSON object as one line, newest first."""
    _check_status(status)
    return Ledger(git.discover(cwd)).summaries_json(status, limit)
