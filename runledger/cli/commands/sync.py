"""``runledger push``, ``pull`` and ``init``: share the ledger through a git remote."""

from __future__ import annotations

from pathlib import Path

from runledger.store import git, sync


def pull(cwd: Path, remote: str | None) -> tuple[sync.SyncReport, sync.Remote]:
    return sync.pull(git.discover(cwd), remote)


def push(cwd: Path, remote: str | None) -> tuple[sync.SyncReport, sync.Remote]:
    return sync.push(git.discover(cwd), remote)


def init(cwd: Path, remote: str | None) -> sync.InitResult:
    return sync.init(git.discover(cwd), remote)
