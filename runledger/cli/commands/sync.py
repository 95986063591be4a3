"""``runledger push``, ``pull`` and ``init``: share the ledger through a git remote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import (
    REMOTE_HELP,
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


def push_command(
    remote: Annotated[str | None, typer.Argument(help=REMOTE_HELP, metavar="REMOTE")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was sent and received as JSON.")
    ] = False,
) -> None:
    """Send this repository's runs, tags and notes to a git remote.

    Each run's code commit goes with it. Tags the remote changed meanwhile are merged first
    (the later change wins; both stay in the tag's history). Nothing is ever forced.
    """
    report, target = push(Path.cwd(), remote)
    print_sync(report, target.mirror, as_json)


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
