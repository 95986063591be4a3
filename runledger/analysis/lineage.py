"""Lineage of files: ``which`` (every run that produced or read a file) and ``verify`` (are a
run's recorded files still what they were?).

``which FILE`` finds every run that produced a file (artifact) or read it (input).

The file is known by its content, not its name: a model copied to a server and renamed is
still found. Each run's files.toml is read through one ``cat-file --batch`` process (no
process per run), and only the runs whose raw bytes contain the file's sha256 (or, since a
large tracked file may be recorded by its git blob id alone, a git blob id and the file's size
line) are looked at further, and then only the records around those bytes are parsed: a byte
search costs far less than a TOML parse of a dataset's thousands of records.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from runledger.errors import CorruptRecordError, UserError
from runledger.model import tomlcodec
from runledger.model.record import FILES_FILE, Run
from runledger.recording.capture.files import (
    FileDigests,
    FileRecord,
    Verdict,
    lookup_digests,
    verify,
)
from runledger.store import git
from runledger.store.hashcache import HashCache, cache_path_for
from runledger.store.ledger import Ledger, RunRef

Role = Literal["artifact", "input"]
# verify --store: each pointer's object in the store, or why it has none (a link; a large
# tracked file recorded by its git blob, whose bytes are in git).
StoreVerdict = Literal["stored", "not stored", "link", "in git"]
ROLES: tuple[tuple[Role, str], ...] = (("artifact", "artifacts"), ("input", "inputs"))


@dataclass(frozen=True)
class Match:
    """One record of a run that points at the file's content."""

    run: Run
    role: Role
    record: FileRecord

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run.id,
            "name": self.run.name,
            "status": self.run.status,
            "started_at": self.run.started_at,
            "commit": self.run.git.commit,
            "branch": self.run.git.branch,
            "role": self.role,
            "path": self.record.path,
        }


@dataclass(frozen=True)
class Found:
    """The file asked about and the runs that know it, newest first."""

    path: str
    size: int
    sha256: str
    matches: tuple[Match, ...]
    # With a store configured: each matching run's "stored" / "2/3 stored" / "not stored".
    stored: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "matches": [
                {**match.to_json(), "store": (self.stored or {}).get(match.run.id)}
                for match in self.matches
            ],
        }


def with_store_presence(cwd: Path, found: Found) -> tuple[Found, str | None]:
    """``found`` with each run's bytes looked up in the configured store (none configured:
    unchanged); the warning to show when the store cannot be asked."""
    from runledger.store import artifacts

    repo = git.discover(cwd)
    if not found.matches or artifacts.configured_url(repo) is None:
        return found, None
    from runledger.analysis.transfers import presence

    ledger = Ledger(repo)
    runs = [ledger.read(run_id) for run_id in dict.fromkeys(m.run.id for m in found.matches)]
    try:
        store = artifacts.open_configured(repo)
        counts = presence(store, runs)
    except UserError as error:
        return found, f"{error}; the store column is left out"
    return replace(found, stored={run_id: count.label for run_id, count in counts.items()}), None


def which(cwd: Path, given: str) -> Found:
    """Hash ``given`` and find every run that recorded its content."""
    repo = git.discover(cwd)
    path = cwd / given
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as error:
        raise UserError(f"{given}: no such file") from error
    except OSError as error:
        raise UserError(f"{given}: cannot be read: {error.strerror}") from error
    except ValueError as error:  # a NUL byte: no file can have such a name
        raise UserError(f"{given!r}: no such file ({error})") from error
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"{given} is a folder; give a file (a model, a dataset file)")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{given} is not a regular file")
    try:
        with HashCache(cache_path_for(repo.common_dir)) as cache:
            sha256 = cache.hash_file(path, st)
    except OSError as error:
        raise UserError(f"{given}: cannot be read: {error.strerror}") from error
    if cache.disabled_reason:
        print(f"runledger: warning: {cache.disabled_reason}", file=sys.stderr)
    ledger = Ledger(repo)
    hits = _scan(ledger, path, sha256, st.st_size)
    runs = {run.id: run for run in ledger.summaries(list({ref: None for ref, _, _ in hits}))}
    matches = [Match(runs[ref.id], role, record) for ref, role, record in hits if ref.id in runs]
    matches.sort(key=lambda match: (match.run.started_at, match.run.id), reverse=True)
    return Found(given, st.st_size, sha256, tuple(matches))


def _scan(
    ledger: Ledger, path: Path, sha256: str, size: int
) -> list[tuple[RunRef, Role, FileRecord]]:
    needle = sha256.encode()
    digests: list[FileDigests] = []  # the git blob ids, computed once if ever needed

    def matches(record: FileRecord) -> bool:
        if record.kind != "file" or record.size != size:
            return False
        if record.sha256 is not None:
            return record.sha256 == sha256
        if not digests:
            digests.append(lookup_digests(path))
        return record.matches(digests[0])

    hits: list[tuple[RunRef, Role, FileRecord]] = []
    size_line = f"size = {size}\n".encode()
    for ref, content in ledger.read_each(ledger.file_candidates(sha256, size), FILES_FILE):
        if not content:
            continue
        # Records known by a git blob id alone are found by their size line.
        needles = [needle, size_line] if b"git_blob" in content else [needle]
        if not any(text in content for text in needles):
            continue
        try:
            records = _tables_holding(content, needles)
            if records is None:
                records = _records(content, ref)
            hits.extend((ref, role, record) for role, record in records if matches(record))
        except CorruptRecordError as error:
            ledger.warn_corrupt(ref.ref, error)
    return hits


def _tables_holding(content: bytes, needles: list[bytes]) -> list[tuple[Role, FileRecord]] | None:
    """The ``[[inputs]]``/``[[artifacts]]`` tables whose text holds a needle, each parsed alone.

    A file that every run read (the training set) puts the needle in every run's files.toml:
    parsing only the table around it, not thousands of records, is what keeps ``which`` on
    such a file as fast as on an artifact. None when the text is not laid out the way
    runledger writes it; the caller then parses the whole file.
    """
    spans: set[tuple[int, int]] = set()
    for needle in needles:
        at = content.find(needle)
        while at != -1:
            start = content.rfind(b"\n[[", 0, at)
            end = content.find(b"\n[[", at)
            if start == -1:
                return None
            spans.add((start + 1, len(content) if end == -1 else end + 1))
            at = content.find(needle, at + len(needle))
    keys = dict((key, role) for role, key in ROLES)
    found: list[tuple[Role, FileRecord]] = []
    try:
        for start, end in sorted(spans):
            data = tomlcodec.loads(content[start:end].decode())
            [(key, tables)] = data.items()
            [table] = tables
            found.append((keys[key], FileRecord.from_dict(table)))
    except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError):
        return None
    return found


def _records(content: bytes, ref: RunRef) -> list[tuple[Role, FileRecord]]:
    try:
        data = tomlcodec.loads(content.decode())
        return [
            (role, FileRecord.from_dict(table))
            for role, key in ROLES
            for table in data.get(key, [])
        ]
    except (ValueError, UnicodeDecodeError, TypeError, AttributeError) as error:
        raise CorruptRecordError(f"{ref.ref}: {FILES_FILE} cannot be read ({error})") from error


# verify: are a run's recorded files still what they were?


@dataclass(frozen=True)
class Check:
    role: Role
    record: FileRecord
    verdict: Verdict | StoreVerdict

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "path": self.record.path,
            "kind": self.record.kind,
            "size": self.record.size,
            "sha256": self.record.sha256,
            "git_blob": self.record.git_blob,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Verification:
    run: Run
    checks: tuple[Check, ...]
    store: str | None = None  # verify --store: the store that was asked

    @property
    def all_same(self) -> bool:
        fine = ("stored", "link", "in git") if self.store else ("same",)
        return all(check.verdict in fine for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.all_same else 1

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"run": self.run.id}
        if self.store:
            data |= {"store": self.store, "stored": self.all_same}
        else:
            data["same"] = self.all_same
        return data | {"files": [check.to_json() for check in self.checks]}


def verify_run(cwd: Path, spec: str, fast: bool = False, in_store: bool = False) -> Verification:
    """Each recorded file of ``spec``: same, changed or missing. Every file is re-hashed:
    content changed with its size and mtime put back must read as changed (issue #17).
    ``fast`` trusts the stat-keyed hash cache instead, as exec does."""
    repo = git.discover(cwd)
    run = Ledger(repo).read(spec)
    recorded: list[tuple[Role, FileRecord]] = []
    sources: tuple[tuple[Role, list[dict[str, Any]] | None], ...] = (
        ("input", run.inputs),
        ("artifact", run.artifacts),
    )
    try:
        for role, tables in sources:
            recorded += [(role, FileRecord.from_dict(table)) for table in tables or []]
    except (ValueError, TypeError, AttributeError) as error:
        raise CorruptRecordError(
            f"run {run.id}: its files.toml cannot be read ({error})"
        ) from error
    if in_store:
        return _verify_in_store(repo, run, recorded)
    files = [record for _, record in recorded]
    if not fast:
        verdicts = verify(files, repo.root, None)
    else:
        with HashCache(cache_path_for(repo.common_dir)) as cache:
            verdicts = verify(files, repo.root, cache)
        if cache.disabled_reason:
            print(f"runledger: warning: {cache.disabled_reason}", file=sys.stderr)
    checks = tuple(
        Check(role, record, verdict)
        for (role, _), (record, verdict) in zip(recorded, verdicts, strict=True)
    )
    return Verification(run, checks)


def _verify_in_store(
    repo: git.Repo, run: Run, recorded: list[tuple[Role, FileRecord]]
) -> Verification:
    """Whether the store holds an object for each pointer (asked once per distinct object)."""
    from runledger.analysis.transfers import object_presence
    from runledger.store import artifacts

    store = artifacts.open_configured(repo)
    shas = [record.sha256 for _, record in recorded if record.kind == "file" and record.sha256]
    there = object_presence(store, [sha for sha in shas if sha])
    checks = []
    for role, record in recorded:
        verdict: StoreVerdict
        if record.kind == "symlink":
            verdict = "link"
        elif record.sha256 is None:
            verdict = "in git"
        else:
            verdict = "stored" if there[record.sha256] else "not stored"
        checks.append(Check(role, record, verdict))
    return Verification(run, tuple(checks), store.shown)
