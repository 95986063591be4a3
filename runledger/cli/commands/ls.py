"""``runledger ls``: the runs of a repository, newest first, filtered."""

from __future__ import annotations

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
from runledger.model.record import STATUSES, Run, link_reproductions
from runledger.query.select import parse_sort, run_filter, select, sort_runs
from runledger.store import git
from runledger.store.ledger import Ledger

LS_STATUSES = (*STATUSES, "running")


def _check_status(status: str | None) -> None:
    if status is not None and status not in LS_STATUSES:
        raise UserError(f"unknown --status {status!r}: use one of {', '.join(LS_STATUSES)}")


def running_runs(repo: git.Repo, status: str | None) -> list[Run]:
    """Runs in progress (from their journals), newest first; none when --status excludes."""
    if status is not None and status != "running":
        return []
    from runledger.recording.live import live_runs

    return [live.run for live in live_runs(repo)]


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
) -> list[Run]:
    _check_status(status)
    keep = run_filter(where)
    sort_key = parse_sort(sort) if sort is not None else None
    repo = git.discover(cwd)
    ledger = Ledger(repo)
    runs = running_runs(repo, status) + link_reproductions(ledger.runs())
    if children_of is not None:
        parent = ledger.resolve(children_of).id
        runs = [run for run in runs if run.parent == parent]
    if sweep is not None:
        from runledger.analysis.family import sweep_children

        runs = sweep_children(ledger, sweep, runs)
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
    from runledger.store.index import summary_text

    repo = git.discover(cwd)
    running = [summary_text(run) for run in running_runs(repo, status)]
    if status == "running":
        return running[:limit] if limit is not None else running
    left = None if limit is None else max(0, limit - len(running))
    return (running + Ledger(repo).summaries_json(status, left))[:limit]


def ls_command(
    as_json: JsonArrayOption = False,
    limit: LimitOption = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only runs with this status: ok, failed, interrupted, running.",
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
) -> None:
    """List runs, newest first. A search's trials are counted on its parent's row; list them
    with --children RUN."""
    filtered = where is not None or sort is not None or tag is not None
    if as_json and not filtered and children is None and sweep is None:
        # The common case, served from the run index without building a Run per run.
        print_json_lines(list_runs_json(Path.cwd(), status=status, limit=limit))
        return
    runs = list_runs(
        Path.cwd(),
        status=status,
        limit=None if children is None and sweep is None and not filtered else limit,
        where=where,
        sort=sort,
        tag=tag,
        children_of=children,
        sweep=sweep,
    )
    if as_json:
        from runledger.store.index import summary_text

        print_json_lines([summary_text(run) for run in runs])
        return
    from runledger.views.runs import console, render_run_table

    if not runs and (filtered or status is not None or children or sweep):
        console().print("No runs match.", style="dim")
        return
    counts: dict[str, int] = {}
    if children is None and sweep is None and not filtered:
        from runledger.analysis.family import fold_children

        runs, counts = fold_children(runs)
        runs = runs[:limit] if limit is not None else runs
    render_run_table(runs, children=counts)
    if not runs:
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
