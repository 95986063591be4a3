"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import (
    JsonArrayOption,
    LimitOption,
    SortOption,
    WhereOption,
    print_json_lines,
)
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


def ls_command(
    as_json: JsonArrayOption = False,
    limit: LimitOption = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only runs with this status: ok, failed, interrupted."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only runs with this tag (a team tag, or one given at exec)."),
    ] = None,
    where: WhereOption = None,
    sort: SortOption = None,
) -> None:
    """List runs, newest first."""
    if as_json and where is None and sort is None and tag is None:
        # The common case, served from the run index without building a Run per run.
        print_json_lines(list_runs_json(Path.cwd(), status=status, limit=limit))
        return
    runs = list_runs(Path.cwd(), status=status, limit=limit, where=where, sort=sort, tag=tag)
    if as_json:
        from runledger.store.index import summary_text

        print_json_lines([summary_text(run) for run in runs])
        return
    from runledger.views.runs import console, render_run_table

    if not runs and (where is not None or status is not None or tag is not None):
        console().print("No runs match.", style="dim")
        return
    render_run_table(runs)
