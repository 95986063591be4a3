"""Notes on runs: free text with author and time, several per run, synced like tags.

``refs/runledger/notes/<run-id>`` is a chain of commits (see facts.py); each holds
``notes.toml`` with every note on the run so far, so reading them is one object. Notes are only
ever added: two clones that both added notes merge into the union of both (ordered by time),
in a deterministic merge commit whose parents are both chains.

Note text is masked for secrets before it is written, like everything else in the ledger.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from runledger import ids
from runledger.errors import CorruptRecordError, UserError
from runledger.store import facts, git, refs

NOTES_PREFIX = refs.NOTES_PREFIX
NOTES_FILE = "notes.toml"
MAX_NOTE_CHARS = 10_000


@dataclass(frozen=True)
class Note:
    id: str
    by: str
    at: str
    text: str

    def json(self) -> dict[str, str]:
        return {"id": self.id, "by": self.by, "at": self.at, "text": self.text}


def notes_ref(run_id: str) -> str:
    return NOTES_PREFIX + run_id


def from_content(content: bytes | git.ObjectTooLarge | None, where: str) -> list[Note]:
    """The notes held by one notes.toml (none when there is no such file)."""
    if content is None:
        return []
    data = facts.parse(content, where)
    try:
        return [
            Note(id=str(n["id"]), by=str(n["by"]), at=str(n["at"]), text=str(n["text"]))
            for n in data.get("note", [])
        ]
    except (KeyError, TypeError) as exc:
        raise CorruptRecordError(f"{where}: a note has no {exc}") from exc


def _document(run_id: str, notes: list[Note]) -> dict[str, Any]:
    ordered = sorted(notes, key=lambda note: (note.at, note.id))
    return {"run": run_id, "note": [note.json() for note in ordered]}


def read(repo: git.Repo, oid: str, where: str) -> list[Note]:
    with git.CatFile(repo) as cat:
        content = facts.read(cat, f"{oid}:{NOTES_FILE}", NOTES_FILE)
        return from_content(content, f"{where}:{NOTES_FILE}")


def add_note(repo: git.Repo, run_id: str, text: str) -> Note:
    """Append a note to run ``run_id`` (secrets masked); concurrent writers both land."""
    from runledger.redact import Redactor

    text = Redactor(os.environ).mask_text(text.strip())
    if not text:
        raise UserError("the note is empty: write the text after the run, in quotes")
    if len(text) > MAX_NOTE_CHARS:
        raise UserError(f"the note is {len(text)} characters long: keep it under {MAX_NOTE_CHARS}")
    ident = facts.current_ident(repo)
    ref = notes_ref(run_id)
    for _ in range(facts.CAS_ATTEMPTS):
        refs = git.list_refs(repo, ref)
        old = next((oid for name, oid in refs if name == ref), None)
        existing = read(repo, old, ref) if old else []
        timestamp = time.time()
        note = Note(id=ids.new_run_id(timestamp), by=ident, at=facts.now_iso(timestamp), text=text)
        oid = facts.write_commit(
            repo,
            NOTES_FILE,
            _document(run_id, [*existing, note]),
            [old] if old else [],
            ident,
            int(timestamp),
            f"runledger note on run {run_id}\n",
        )
        try:
            git.update_ref(repo, ref, oid, old)
        except git.RefExistsError:
            continue  # another note landed meanwhile: add ours on top of it
        return note
    raise UserError(f"notes on run {ids.short_id(run_id)} kept changing: try again")


def merge(repo: git.Repo, run_id: str, ours: str, theirs: str) -> str:
    """Join two diverged chains of notes on one run: the union of both, ordered by time."""
    ref = notes_ref(run_id)
    union = {note.id: note for note in read(repo, ours, ref)}
    union.update((note.id, note) for note in read(repo, theirs, ref))
    newest = max((note.at for note in union.values()), default="")
    return facts.write_commit(
        repo,
        NOTES_FILE,
        _document(run_id, list(union.values())),
        sorted((ours, theirs)),
        facts.MERGE_IDENT,
        facts.iso_seconds(newest),
        f"runledger notes on run {run_id}: merge\n",
    )
