"""``runledger tag``, ``tags`` and ``note``: team-visible names and notes on runs."""

from __future__ import annotations

from pathlib import Path

from runledger.store import git, notes, tags
from runledger.store.ledger import Ledger


def tag_run(cwd: Path, spec: str, name: str, *, force: bool) -> tags.TagChange:
    tags.validate_name(name)
    ledger = Ledger(git.discover(cwd))
    run = ledger.resolve(spec)
    return tags.set_tag(ledger.repo, name, run.id, run.oid, force=force)


def delete_tag(cwd: Path, name: str) -> tags.TagChange:
    return tags.delete_tag(git.discover(cwd), name)


def list_tags(cwd: Path) -> list[tags.TagState]:
    return sorted(tags.live_tags(git.discover(cwd)).values(), key=lambda state: state.name)


def tag_history(cwd: Path, name: str) -> list[tags.TagState]:
    return tags.history(git.discover(cwd), name)


def add_note(cwd: Path, spec: str, text: str) -> tuple[str, notes.Note]:
    ledger = Ledger(git.discover(cwd))
    run = ledger.resolve(spec)
    return run.id, notes.add_note(ledger.repo, run.id, text)
