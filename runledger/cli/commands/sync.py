"""``runledger push``, ``pull`` and ``init``: share the ledger through a git remote."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from runledger.cli.options import (
    REMOTE_HELP,
    print_json,
    print_sync,
    warn,
)
from runledger.safetext import safe
from runledger.store import git, sync


def pull(cwd: Path, remote: str | None) -> tuple[sync.SyncReport, sync.Remote]:
    return sync.pull(git.discover(cwd), remote)


def push(cwd: Path, remote: str | None) -> tuple[sync.SyncReport, sync.Remote]:
    return sync.push(git.discover(cwd), remote)


def init(cwd: Path, remote: str | None) -> sync.InitResult:
    return sync.init(git.discover(cwd), remote)


def upload_after_push(
    cwd: Path, sent: tuple[str, ...], inputs: bool, jobs: int
) -> dict[str, Any] | None:
    """Upload the bytes of the runs just sent (and of runs whose upload an earlier push did
    not finish) when a store is configured; None when none is."""
    from runledger.store import artifacts

    repo = git.discover(cwd)
    settings = artifacts.read_settings(repo)
    if settings.url is None:
        return None
    from runledger.analysis.transfers import pending_runs, push_runs, set_pending
    from runledger.views.transfer import transfer_progress

    candidates = list(dict.fromkeys([*pending_runs(repo), *sent]))
    if not candidates:
        return None
    # Until the upload ends, every candidate is pending: a killed push resumes next time.
    set_pending(repo, candidates)
    store = artifacts.open_configured(repo, settings)
    report = push_runs(
        repo, store, candidates, inputs, jobs, transfer_progress(), settings.pushed_by
    )
    # Runs with files lost here cannot be completed by trying again: they are warned about.
    set_pending(repo, [])
    for lost in report.lost:
        print(f"runledger: warning: not uploaded: {lost}", file=sys.stderr)
    print(report.line(), file=sys.stderr)
    return report.json()


def push_command(
    remote: Annotated[str | None, typer.Argument(help=REMOTE_HELP, metavar="REMOTE")] = None,
    inputs: Annotated[
        bool,
        typer.Option("--inputs", help="Upload the sent runs' declared inputs to the store too."),
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=64, help="Files uploaded at once.")
    ] = 32,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was sent and received as JSON.")
    ] = False,
) -> None:
    """Send this repository's runs, tags and notes to a git remote.

    Each run's code commit goes with it. Tags the remote changed meanwhile are merged first
    (the later change wins; both stay in the tag's history). Nothing is ever forced. With a
    store configured ([store] url in .runledger.toml), the sent runs' artifacts go to it too.
    """
    cwd = Path.cwd()
    report, target = push(cwd, remote)
    if not as_json:
        print_sync(report, target.mirror, as_json)
    # The runs are in git now, whatever happens to their bytes below.
    from runledger.errors import UserError

    try:
        stored = upload_after_push(cwd, report.sent, inputs, jobs)
    except UserError:
        if as_json:  # what reached git is still printed; the error follows on stderr
            print_sync(report, target.mirror, as_json)
        raise
    if as_json:
        for warning in report.warnings(target.mirror):
            print(f"runledger: warning: {warning}", file=sys.stderr)
        print_json({**report.json(), "store": stored})


def pull_command(
    remote: Annotated[str | None, typer.Argument(help=REMOTE_HELP, metavar="REMOTE")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was received as JSON.")
    ] = False,
) -> None:
    """Bring a git remote's runs, tags and notes into this repository.

    Runs merge by union and are never overwritten; a tag changed on both sides keeps the
    later change, with both in its history. Branches, HEAD and the work tree are untouched.
    """
    report, target = pull(Path.cwd(), remote)
    print_sync(report, target.mirror, as_json)


def init_command(
    remote: Annotated[
        str | None,
        typer.Argument(
            help="A configured remote's name (default: the branch's remote, else origin).",
            metavar="REMOTE",
        ),
    ] = None,
) -> None:
    """Configure a remote so plain 'git fetch' and 'git push' carry the ledger too.

    Fetched runs go to a mirror under refs/runledger/remotes/, so a forced update or
    'git fetch --prune' can never drop a run of this repository.
    """
    result = init(Path.cwd(), remote)
    for warning in result.warnings:
        warn(warning)
    if not result.added:
        print(f"{result.remote} is already set up: 'git fetch' and 'git push' carry the ledger")
        return
    for key, value in result.added:
        print(f"added {safe(key)} = {safe(value)}")
    print(f"plain 'git fetch' and 'git push' with {result.remote} now carry the ledger")
