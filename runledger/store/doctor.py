"""``runledger doctor``: what is wrong with the ledger's refs, objects and index, and repairs
that lose nothing.

One bad ref must never block the rest (issue #17): a ref left dangling by a ``git gc
--prune=now`` racing an exec, a ref pointing at a blob, a ref ``runs/B`` whose record says it
is run A, a ref whose name is not a run id. Listing skips them with a warning; push leaves
them out; doctor names each one, and ``--fix`` moves it aside under
``refs/runledger/quarantine/`` instead of deleting it. A ref whose object is missing cannot
point anywhere, so its quarantine ref points at a small blob that says what it pointed at.
The index is only a cache: doctor checks it and ``--fix`` rebuilds it. The journal (runs in
progress) is checked by the command itself, which owns recording.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from runledger.model.record import RUN_FILE
from runledger.store import git
from runledger.store.index import RunIndex, current_index, explain_missing, row_for
from runledger.store.refs import MIRROR_PREFIX, RUNS_PREFIX, run_ref_id

QUARANTINE_PREFIX = "refs/runledger/quarantine/"
LEDGER_PREFIX = "refs/runledger/"
_READ_CHUNK = 1000


@dataclass(frozen=True)
class BadRef:
    ref: str
    oid: str
    problem: str  # without the ref name

    @property
    def mirror(self) -> bool:
        return self.ref.startswith(MIRROR_PREFIX)


@dataclass(frozen=True)
class Finding:
    """One thing doctor found, and what was done about it."""

    area: str  # refs, objects, index, journal
    subject: str
    problem: str
    fix: str  # what --fix does, or how to fix it by hand
    fixed: bool = False

    def json(self) -> dict[str, object]:
        return {
            "area": self.area,
            "subject": self.subject,
            "problem": self.problem,
            "fix": self.fix,
            "fixed": self.fixed,
        }


def _problem(ref: str, error: str) -> str:
    return error[len(ref) + 2 :] if error.startswith(ref + ": ") else error


def check_run_refs(repo: git.Repo, refs: Sequence[tuple[str, str]] | None = None) -> list[BadRef]:
    """Every run ref (local and mirrored) that is not a readable run of its own name.

    Reads each run.toml through git, not the index: doctor does not trust a cache.
    """
    if refs is None:
        refs = [
            (ref, oid)
            for ref, oid in git.list_refs(repo, RUNS_PREFIX, MIRROR_PREFIX)
            if ref.startswith(RUNS_PREFIX) or run_ref_id(ref) is not None
        ]
    bad: list[BadRef] = []
    with git.CatFile(repo) as cat:
        for start in range(0, len(refs), _READ_CHUNK):
            chunk = refs[start : start + _READ_CHUNK]
            contents = cat.read_many(f"{oid}:{RUN_FILE}" for _, oid in chunk)
            rows = [
                row_for(ref, oid, content)
                for (ref, oid), (_, content) in zip(chunk, contents, strict=True)
            ]
            for row in explain_missing(repo, rows):
                if row.error is not None:
                    bad.append(BadRef(row.ref, row.oid, _problem(row.ref, row.error)))
    return bad


def bad_local_run_refs(repo: git.Repo) -> list[BadRef]:
    """The refs under refs/runledger/runs/ that push must leave out: from the index when it
    can be used (it already knows), else read from git."""
    with current_index(repo) as index:
        if index is not None:
            return [
                BadRef(ref, oid, _problem(ref, error))
                for ref, oid, error in index.bad_refs()
                if ref.startswith(RUNS_PREFIX)
            ]
    return check_run_refs(repo, git.list_refs(repo, RUNS_PREFIX))


def check_other_refs(repo: git.Repo) -> list[BadRef]:
    """Tag and notes refs whose object is missing or not a commit."""
    refs = [
        (ref, oid)
        for ref, oid in git.list_refs(repo, LEDGER_PREFIX)
        if not ref.startswith((RUNS_PREFIX, MIRROR_PREFIX, QUARANTINE_PREFIX))
    ]
    types = git.object_types(repo, [oid for _, oid in refs])
    bad = []
    for ref, oid in refs:
        kind = types.get(oid)
        if kind is None:
            bad.append(BadRef(ref, oid, f"points at {oid[:12]}, a missing object"))
        elif kind != "commit":
            bad.append(BadRef(ref, oid, f"points at a {kind}, not a commit"))
    commits = [(ref, oid) for ref, oid in refs if types.get(oid) == "commit"]
    return bad + _unreadable_tags_and_notes(repo, commits)


def _unreadable_tags_and_notes(repo: git.Repo, refs: Sequence[tuple[str, str]]) -> list[BadRef]:
    """Tag and notes commits whose tag.toml or notes.toml cannot be read (every reader skips
    them with a warning)."""
    from runledger.errors import CorruptRecordError
    from runledger.store import facts, notes, tags

    oids = dict(refs)
    bad: list[BadRef] = []

    def unreadable(ref: str, error: CorruptRecordError) -> None:
        text = " ".join(str(error).split())
        bad.append(BadRef(ref, oids[ref], text[len(ref) :].lstrip(": ")))

    if any(ref.startswith(tags.TAGS_PREFIX) for ref in oids):
        tags.tips(repo, None, unreadable)
    notes_refs = [(ref, oid) for ref, oid in refs if ref.startswith(notes.NOTES_PREFIX)]
    with git.CatFile(repo) as cat:
        specs = [f"{oid}:{notes.NOTES_FILE}" for _, oid in notes_refs]
        contents = facts.read_many(cat, specs, notes.NOTES_FILE)
        for (ref, _), content in zip(notes_refs, contents, strict=True):
            try:
                notes.from_content(content, f"{ref}: {notes.NOTES_FILE}")
            except CorruptRecordError as exc:
                unreadable(ref, exc)
    return bad


def dangling_refs(repo: git.Repo) -> list[BadRef]:
    """Refs of the ledger whose object is missing. git's own fetch checks every ref's objects,
    so one of these makes every fetch (and so every push and pull) fail."""
    refs = [
        (ref, oid)
        for ref, oid in git.list_refs(repo, LEDGER_PREFIX)
        if not ref.startswith(QUARANTINE_PREFIX)
    ]
    types = git.object_types(repo, [oid for _, oid in refs])
    return [
        BadRef(ref, oid, f"points at {oid[:12]}, a missing object")
        for ref, oid in refs
        if types.get(oid) is None
    ]


def quarantine_ref(repo: git.Repo, bad: BadRef) -> str:
    """Move a bad local ref aside (never delete what it held); the new ref's name."""
    base = QUARANTINE_PREFIX + bad.ref[len(LEDGER_PREFIX) :]
    taken = {ref for ref, _ in git.list_refs(repo, base)}
    target = base
    suffix = 2
    while target in taken:
        target = f"{base}-{suffix}"
        suffix += 1
    exists = git.object_types(repo, [bad.oid]).get(bad.oid) is not None
    if exists:
        keep = bad.oid
    else:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        note = (
            f"{bad.ref} pointed at {bad.oid}, an object missing from this repository; "
            f"moved aside by runledger doctor --fix at {when}\n"
        )
        keep = git.ObjectWriter(repo).blob(note.encode())
    git.create_refs(repo, {target: keep})
    git.delete_ref(repo, bad.ref, bad.oid)
    return target


def ref_findings(repo: git.Repo, fix: bool) -> list[Finding]:
    findings = []
    for bad in [*check_run_refs(repo), *check_other_refs(repo)]:
        if bad.mirror:
            findings.append(
                Finding(
                    "refs",
                    bad.ref,
                    bad.problem,
                    "a copy of the remote's ref: the next pull replaces it; fix it on the remote",
                )
            )
            continue
        plan = f"moved aside under {QUARANTINE_PREFIX}, or: git update-ref -d {bad.ref}"
        if fix:
            target = quarantine_ref(repo, bad)
            findings.append(Finding("refs", bad.ref, bad.problem, f"moved to {target}", True))
        else:
            findings.append(Finding("refs", bad.ref, bad.problem, plan))
    return findings


def code_commit_findings(repo: git.Repo) -> list[Finding]:
    """Runs whose code commit is not in this repository (reproduce and diff need it)."""
    refs = git.list_refs(repo, RUNS_PREFIX)
    parents = _first_parents(repo, [oid for _, oid in refs])
    types = git.object_types(repo, [parent for parent in parents.values() if parent])
    findings = []
    for ref, oid in refs:
        parent = parents.get(oid)
        if parent and types.get(parent) is None:
            findings.append(
                Finding(
                    "objects",
                    ref,
                    f"its code commit {parent[:12]} is not in this repository",
                    "fetch it: runledger pull (or git fetch)",
                )
            )
    return findings


def _first_parents(repo: git.Repo, oids: Iterable[str]) -> dict[str, str | None]:
    wanted = list(dict.fromkeys(oids))
    types = git.object_types(repo, wanted)
    commits = [oid for oid in wanted if types.get(oid) == "commit"]
    found: dict[str, str | None] = dict.fromkeys(wanted)
    with git.CatFile(repo) as cat:
        for oid, content in cat.read_many(commits):
            for line in (content or b"").split(b"\n"):
                if not line:
                    break
                if line.startswith(b"parent "):
                    found[oid] = line[7:].decode()
                    break
    return found


def index_findings(repo: git.Repo, fix: bool) -> list[Finding]:
    """The index: readable, consistent; --fix rebuilds it from the refs (it is a cache)."""
    index = RunIndex(repo)
    problem: str | None = None
    if index.path.exists():
        try:
            with contextlib.closing(sqlite3.connect(index.path)) as db:
                result = db.execute("PRAGMA quick_check").fetchone()
            if not result or result[0] != "ok":
                problem = f"the index file is damaged ({result[0] if result else 'no answer'})"
        except sqlite3.Error as error:
            problem = f"the index file cannot be read ({error})"
    if problem is None:
        return []
    if fix:
        index.delete()
        with current_index(repo) as rebuilt:
            done = rebuilt is not None
        return [
            Finding(
                "index",
                str(index.path),
                problem,
                "rebuilt from the refs" if done else "could not be rebuilt here",
                done,
            )
        ]
    return [Finding("index", str(index.path), problem, "runledger doctor --fix rebuilds it")]
