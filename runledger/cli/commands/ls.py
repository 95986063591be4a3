"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import (
    JsonArrayOption,
    LimitOption,
    SortOption,
    SweepOption,
    WhereOption,
    print_json_lines,
)
from runledger.errors import UserError
from runledger.model.record import STATUSES, UNKNOWN_STATUS, Run, is_child_of
from runledger.model.row import RunRow
from runledger.query.select import parse_sort, row_filter, sort_runs
from runledger.store import git
from runledger.store.ledger import Ledger

LS_STATUSES = (*STATUSES, UNKNOWN_STATUS, "running")
# A terminal shows the newest PAGE runs, as ``git log`` pages; --limit and --all show more.
PAGE = 50


def _check_status(status: str | None) -> None:
    if status is not None and status not in LS_STATUSES:
        raise UserError(f"unknown --status {status!r}: use one of {', '.join(LS_STATUSES)}")


def running_runs(repo: git.Repo, status: str | None) -> list[Run]:
    """Runs in progress (from their journals), newest first; none when --status excludes."""
    if status is not None and status != "running":
        return []
    from runledger.store.gitdir import any_in_progress

    if not any_in_progress(repo.common_dir):  # the journal and live modules stay unloaded
        return []
    from runledger.recording.live import live_runs

    return [live.run for live in live_runs(repo)]


@dataclass(frozen=True)
class Listing:
    """What ``ls`` prints: the rows, how many more matched beyond them, and each parent's
    count of child runs (trials, jobs) folded into its row."""

    rows: list[RunRow]
    more: int = 0
    children: dict[str, int] = field(default_factory=dict)


def list_runs(
    cwd: Path,
    *,
    status: str | None = None,
    limit: int | None = None,
    where: str | None = None,
    sort: str | None = None,
    tag: str | None = None,
    children_of: str | None = None,
    sweep: str | None = None,
    page: int | None = None,
) -> Listing:
    """The runs ``ls`` lists, newest first or by ``sort``: runs in progress first, then
    the recorded ones from the index's rows (no run's record is read). Unfiltered, a
    search's children are counted on their parent's row instead of listed; ``page`` cuts
    the list when no ``limit`` is given, and ``more`` says how many it left out."""
    _check_status(status)
    keep = row_filter(where, status=status, tag=tag)
    sort_key = parse_sort(sort) if sort is not None else None
    repo = git.discover(cwd)
    ledger = Ledger(repo)
    live = [RunRow.of(run) for run in running_runs(repo, status)]
    if keep is not None:
        live = [row for row in live if keep.keep(row)]
    shown = limit if limit is not None else page
    if children_of is None and sweep is None and where is None and sort is None and tag is None:
        # The common case: one page of top-level rows, children counted by the index.
        wanted = None if shown is None else max(0, shown - len(live))
        if keep is None:
            rows = ledger.rows(limit=wanted, top_level=True)
        else:
            rows = ledger.rows(keep.sql, keep.keep, limit=wanted, top_level=True)
        total = len(live) + (
            ledger.count(top_level=True) if keep is None and wanted is not None else len(rows)
        )
        if keep is not None and wanted is not None and len(rows) == wanted:
            total = len(live) + len(ledger.rows(keep.sql, keep.keep, top_level=True))
        shown_rows = (live + ledger.with_reproductions(rows))[
            : shown if shown is not None else None
        ]
        counts = ledger.child_counts([row.id for row in shown_rows])
        more = total - len(shown_rows) if limit is None else 0
        return Listing(shown_rows, max(0, more), counts)
    rows = ledger.rows(keep.sql if keep else None, keep.keep if keep else None)
    if children_of is not None:
        parent = next(iter(ledger.runs_of([ledger.resolve(children_of).id])), None)
        rows = [
            row
            for row in rows
            if parent is not None
            and row.parent == parent.id
            and is_child_of(row.commit, parent.git.commit)
        ]
    if sweep is not None:
        from runledger.analysis.family import sweep_children

        members = {row.id for row in sweep_children(ledger, sweep, ledger.rows())}
        rows = [row for row in rows if row.id in members]
    rows = live + rows
    if sort_key is not None:
        rows = sort_runs(rows, sort_key)
    cut = rows if shown is None else rows[:shown]
    more = len(rows) - len(cut) if limit is None else 0
    return Listing(ledger.with_reproductions(cut), more)


def list_runs_json(
    cwd: Path,
    *,
    status: str | None = None,
    limit: int | None = None,
    where: str | None = None,
    sort: str | None = None,
    tag: str | None = None,
    children_of: str | None = None,
    sweep: str | None = None,
) -> list[str]:
    """``ls --json``: each run's JSON object as one line, newest first (or by ``sort``),
    children listed like any run."""
    _check_status(status)
    from runledger.store.index import summary_text

    repo = git.discover(cwd)
    ledger = Ledger(repo)
    if where is None and sort is None and tag is None and children_of is None and sweep is None:
        # The common case, printed as the index stores it.
        running = [summary_text(run) for run in running_runs(repo, status)]
        if status == "running":
            return running[:limit] if limit is not None else running
        left = None if limit is None else max(0, limit - len(running))
        return (running + ledger.summaries_json(status, left))[:limit]
    listing = list_runs(
        cwd,
        status=status,
        limit=limit,
        where=where,
        sort=sort,
        tag=tag,
        children_of=children_of,
        sweep=sweep,
    )
    live = {run.id: summary_text(run) for run in running_runs(repo, status)}
    stored = ledger.summaries_json(ids=[row.id for row in listing.rows if row.id not in live])
    by_id = {json.loads(line)["id"]: line for line in stored}
    return [
        live.get(row.id) or by_id[row.id]
        for row in listing.rows
        if row.id in live or row.id in by_id
    ]


def ls_command(
    as_json: JsonArrayOption = False,
    limit: LimitOption = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only runs with this status: ok, failed, interrupted, unknown, running.",
            metavar="STATUS",
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag",
            help="Only runs with this tag (a team tag, or one given at exec).",
            metavar="NAME",
        ),
    ] = None,
    where: WhereOption = None,
    sort: SortOption = None,
    children: Annotated[
        str | None,
        typer.Option(
            "--children", help="Only the child runs (trials, jobs) of this RUN.", metavar="RUN"
        ),
    ] = None,
    sweep: SweepOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Show every run, not only the newest 50.")
    ] = False,
) -> None:
    """List runs, newest first: the newest 50 unless --limit or --all says otherwise. A
    search's trials are counted on its parent's row; list them with --children RUN."""
    filters = dict(
        status=status, where=where, sort=sort, tag=tag, children_of=children, sweep=sweep
    )
    if as_json:
        print_json_lines(list_runs_json(Path.cwd(), limit=limit, **filters))
        return
    listing = list_runs(Path.cwd(), limit=limit, page=None if show_all else PAGE, **filters)
    from runledger.views.runs import console, render_run_table

    if not listing.rows and any(value is not None for value in filters.values()):
        console().print("No runs match.", style="dim")
        return
    render_run_table(listing.rows, children=listing.children, more=listing.more)
    if not listing.rows:
        hint = pull_hint(Path.cwd())
        if hint:
            console().print(hint, style="dim")


def pull_hint(cwd: Path) -> str | None:
    """In a clone with a remote and no runs: where the team's runs may be. Cheap and honest:
    no network is asked (a fresh clone cannot know whether the remote has a ledger), so the
    hint says "if"."""
    repo = git.discover(cwd)
    remotes = sorted(git.read_config(repo).remotes)
    if not remotes:
        return None
    remote = "origin" if "origin" in remotes else remotes[0]
    return (
        f"This repository has a remote ({remote}): if your team shares runs there, "
        f"bring them here with: runledger pull {remote}"
    )
