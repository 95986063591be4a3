"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import (
    SORT_HELP,
    WHERE_HELP,
    print_json_lines,
)
from runledger.errors import UserError
from runledger.model.record import STATUSES
from runledger.model.row import RunRow
from runledger.query.select import parse_sort, row_filter, sort_runs
from runledger.store import git
from runledger.store.ledger import Ledger

# A terminal shows the newest PAGE runs, as ``git log`` pages; --limit and --all show more.
PAGE = 50


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
    page: int | None = None,
) -> tuple[list[RunRow], int]:
    """The runs ``ls`` lists, newest first or by ``sort``, and how many more matched beyond
    ``limit`` (or ``page``, when no limit is given). Built from the index's rows: no run's
    record is read."""
    ledger = Ledger(git.discover(cwd))
    rows, more = _matching(ledger, status, limit, where, sort, tag, page)
    return ledger.with_reproductions(rows), more


def _matching(
    ledger: Ledger,
    status: str | None,
    limit: int | None,
    where: str | None,
    sort: str | None,
    tag: str | None,
    page: int | None = None,
) -> tuple[list[RunRow], int]:
    _check_status(status)
    keep = row_filter(where, status=status, tag=tag)
    sort_key = parse_sort(sort) if sort is not None else None
    shown = limit if limit is not None else page
    if keep is None and sort_key is None:
        rows = ledger.rows(limit=shown)
        total = ledger.count() if shown is not None else len(rows)
    else:
        rows = ledger.rows(keep.sql if keep else None, keep.keep if keep else None)
        if sort_key is not None:
            rows = sort_runs(rows, sort_key)
        total = len(rows)
        rows = rows if shown is None else rows[:shown]
    return rows, (total - len(rows) if limit is None else 0)


def list_runs_json(
    cwd: Path,
    *,
    status: str | None = None,
    limit: int | None = None,
    where: str | None = None,
    sort: str | None = None,
    tag: str | None = None,
) -> list[str]:
    """``ls --json``: each run's JSON object as one line, newest first (or by ``sort``)."""
    _check_status(status)
    ledger = Ledger(git.discover(cwd))
    if where is None and sort is None and tag is None:
        # The common case, printed as the index stores it.
        return ledger.summaries_json(status, limit)
    rows, _ = _matching(ledger, status, limit, where, sort, tag)
    return ledger.summaries_json(ids=[row.id for row in rows])


def ls_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=0, help="Show at most N runs.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only runs with this status: ok, failed, interrupted."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only runs with this tag (a team tag, or one given at exec)."),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    sort: Annotated[str | None, typer.Option("--sort", help=SORT_HELP, metavar="KEY")] = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Show every run, not only the newest 50.")
    ] = False,
) -> None:
    """List runs, newest first: the newest 50 unless --limit or --all says otherwise."""
    if as_json:
        lines = list_runs_json(
            Path.cwd(), status=status, limit=limit, where=where, sort=sort, tag=tag
        )
        print_json_lines(lines)
        return
    page = None if show_all else PAGE
    rows, more = list_runs(
        Path.cwd(), status=status, limit=limit, where=where, sort=sort, tag=tag, page=page
    )
    from runledger.views.runs import console, render_run_table

    if not rows and (where is not None or status is not None or tag is not None):
        console().print("No runs match.", style="dim")
        return
    render_run_table(rows, more=more)
