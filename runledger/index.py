"""The run index: every run's run.toml, decoded, in SQLite under the git directory.

Listing 100,000 runs by reading 100,000 run.toml blobs through git and parsing their TOML
takes minutes; reading them from one SQLite file takes a second. The index is only a cache
derived from the refs under ``refs/runledger/runs/`` (CONTRACT.md, Storage): deleting it loses
nothing, and it rebuilds itself silently when it is missing, corrupt, or written by another
version of runledger (its format stamp names the index layout, runledger's version, the
record schema, and the JSON that ``ls --json`` prints).

Keeping it current costs what changed, not what is there:

- Nothing changed (the common case): two ``stat`` calls show that packed-refs and the folder
  of loose run refs are as they were at the last update (:func:`git.refs_stamp`); no git
  process runs at all.
- New runs since (exec writes loose refs): the loose ref names are listed from the folder
  and git says where they point (one ``for-each-ref`` naming them); only their run.toml is
  read (one ``cat-file --batch``).
- Anything else (refs packed, a pull, a deletion): one ``for-each-ref`` over every run ref,
  compared with the index by object id; again only new or changed run.toml blobs are read.

Concurrent readers and writers are safe: SQLite in WAL mode, every update one transaction
(a reader sees the index before or after it, never half of it), blobs read before the write
lock is taken so writers hold it for milliseconds. An index whose refs were listed before
the stamp it carries was taken can never claim to be current, because the stamp is taken
first. A corrupt record is remembered with its error, so it is reported on every listing
without its blob being read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runledger import __version__, git, tomlcodec
from runledger.errors import CorruptRecordError
from runledger.record import RUN_FILE, SCHEMA_VERSION, GitInfo, MetricSummary, Run

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

INDEX_FILE_NAME = "index.sqlite"
LAYOUT_VERSION = 1
RUNS_PREFIX = "refs/runledger/runs/"
BUSY_TIMEOUT_S = 30.0
# Above this many loose refs, one listing of every ref is cheaper than naming them all.
NAMED_REFS_LIMIT = 2_000
# Below this many run.toml files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN = 1_000
_READ_CHUNK = 1_000
_IN_FLIGHT = 8  # chunks handed to workers and not collected yet: bounds memory
_INSERT_CHUNK = 500

_LAYOUT = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    oid TEXT NOT NULL,
    started_at TEXT,
    status TEXT,
    record TEXT,
    record_toml TEXT,
    summary TEXT,
    error TEXT
) WITHOUT ROWID;
CREATE INDEX runs_newest ON runs (started_at DESC, id DESC);
CREATE TABLE loose_refs (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""
_INCOMING = """
CREATE TEMP TABLE IF NOT EXISTS incoming (
    id TEXT PRIMARY KEY,
    oid TEXT NOT NULL,
    started_at TEXT,
    status TEXT,
    record TEXT,
    record_toml TEXT,
    summary TEXT,
    error TEXT
) WITHOUT ROWID
"""


def _format_stamp() -> str:
    """What the rows were derived with: a change to any of it rebuilds the index.

    The ``ls --json`` objects are stored ready to print, so a sample run's JSON is part of
    the stamp: a runledger that prints them differently does not reuse old ones.
    """
    sample = Run(
        id="0" * 16,
        status="ok",
        started_at="2020-01-01T00:00:00.000Z",
        ended_at="2020-01-01T00:00:01.000Z",
        duration_s=1.0,
        command=("python", "x.py"),
        git=GitInfo(commit="0" * 40, branch="main", remotes={"origin": "u"}),
        params={"a": 1, "b": {"c": None}},
        metrics={"m": MetricSummary(last=1.0, min=0.5, max=2.0)},
        tags=("t",),
    )
    view = json.dumps(sample.summary_json(), sort_keys=True)
    digest = hashlib.sha256(view.encode()).hexdigest()[:16]
    return f"{LAYOUT_VERSION}/{__version__}/{SCHEMA_VERSION}/{digest}"


def index_path(repo: git.Repo) -> Path:
    return repo.runledger_dir / INDEX_FILE_NAME


def summary_text(run: Run) -> str:
    """One run's ``ls --json`` object on one line."""
    return json.dumps(run.summary_json(), ensure_ascii=False, allow_nan=False)


def with_tags(summary: str, tags: Iterable[str]) -> str:
    """A stored ``ls --json`` object with more tags (team tags live outside the run's commit,
    so they are merged in when listed, as ``Run.all_tags`` does)."""
    data = json.loads(summary)
    data["tags"] = sorted(set(data.get("tags", [])) | set(tags))
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class _Row:
    id: str
    oid: str
    started_at: str | None = None
    status: str | None = None
    record: str | None = None
    record_toml: str | None = None
    summary: str | None = None
    error: str | None = None

    def values(self) -> tuple[str | None, ...]:
        return (
            self.id,
            self.oid,
            self.started_at,
            self.status,
            self.record,
            self.record_toml,
            self.summary,
            self.error,
        )


def row_for(run_id: str, oid: str, content: bytes | None) -> _Row:
    """The index row of one run, from its run.toml (None: the tree has no run.toml)."""
    where = RUNS_PREFIX + run_id
    try:
        if content is None:
            raise CorruptRecordError(f"{where}: has no {RUN_FILE}")
        try:
            text = content.decode()
            data = tomlcodec.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise CorruptRecordError(f"{where}: run.toml is not valid TOML ({exc})") from exc
        run = Run.from_run_dict(data, where)
    except CorruptRecordError as exc:
        return _Row(run_id, oid, error=str(exc))
    try:
        # JSON keeps every value run.toml can hold (NaN, big ints, lone surrogates) except
        # TOML dates, which only a config file could bring: those rows keep the TOML text.
        record, record_toml = json.dumps(data, allow_nan=True), None
    except TypeError:
        record, record_toml = None, text
    summary: str | None
    try:
        summary = summary_text(run)
        summary.encode()
    except (ValueError, UnicodeEncodeError):
        summary = None  # built when printed, where the same error reaches the user
    return _Row(run_id, oid, run.started_at, run.status, record, record_toml, summary)


def _result(
    future: Future[list[_Row]], items: Sequence[tuple[str, str, bytes | None]]
) -> list[_Row]:
    from concurrent.futures import BrokenExecutor

    try:
        return future.result()
    except BrokenExecutor:  # a worker died (out of memory?): parse here instead
        return _rows_of(items)


def _rows_of(items: Sequence[tuple[str, str, bytes | None]]) -> list[_Row]:
    return [row_for(run_id, oid, content) for run_id, oid, content in items]


def _parsing_pool(count: int) -> ProcessPoolExecutor | None:
    """Worker processes for parsing ``count`` run.toml files, when that pays.

    tomllib parses about 1,500 run.toml files a second on one core, so a first listing of
    10,000 runs is mostly parsing. Workers are forked (Linux only: fork is the cheap way, and
    only safe before any thread starts, so the pool is started before git's reader thread).
    """
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)
    if count < PARALLEL_MIN or workers < 2 or sys.platform != "linux":
        return None
    import multiprocessing
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        pool.submit(int).result()  # forks every worker now, while this process has one thread
    except (OSError, BrokenExecutor):
        return None
    return pool


def _decode_record(record: str | None, record_toml: str | None, where: str) -> Run:
    data: dict[str, Any]
    if record is not None:
        data = json.loads(record)
    else:
        data = tomlcodec.loads(record_toml or "")
    return Run.from_run_dict(data, where)


class IndexUnavailable(Exception):
    """The index cannot be used here (read-only git directory, locked for too long...)."""


class RunIndex:
    """The index of one repository, opened for one command."""

    def __init__(self, repo: git.Repo, path: Path | None = None) -> None:
        self.repo = repo
        self.path = path or index_path(repo)
        self._db: sqlite3.Connection | None = None

    # --- opening ------------------------------------------------------------------------

    def __enter__(self) -> RunIndex:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Open or create the index; a corrupt or foreign file is replaced."""
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as error:
            if not _is_corruption(error):
                raise IndexUnavailable(str(error)) from error
            self.delete()
            try:
                self._db = self._connect()
            except (sqlite3.Error, OSError) as second:
                raise IndexUnavailable(str(second)) from second
        except OSError as error:
            raise IndexUnavailable(str(error)) from error

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexUnavailable("the index is not open")
        return self._db

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            _use_wal(db)
            db.execute("PRAGMA synchronous = NORMAL")
            self._prepare_layout(db)
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _prepare_layout(db: sqlite3.Connection) -> None:
        stamp = _format_stamp()
        if _user_version(db) == LAYOUT_VERSION and _meta(db, "format") == stamp:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            # Checked again under the write lock: another process may have just rebuilt it.
            if _user_version(db) != LAYOUT_VERSION or _meta(db, "format") != stamp:
                # Derived data: an index of another layout or version is dropped, not migrated.
                for (table,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall():
                    db.execute(f'DROP TABLE IF EXISTS "{table}"')
                for statement in _LAYOUT.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('format', ?)", (stamp,))
                db.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def delete(self) -> None:
        """Remove the index files (it is rebuilt on the next listing)."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{self.path}{suffix}")

    # --- keeping it current -------------------------------------------------------------

    def refresh(self) -> int:
        """Bring the index up to the refs; return how many run.toml blobs were read."""
        db = self.db
        stamp = git.refs_stamp(self.repo, RUNS_PREFIX)
        stored = git.RefsStamp(_meta(db, "packed"), _meta(db, "loose"))
        if stamp.trusted and stamp == stored:
            return 0
        loose = git.loose_ref_names(self.repo, RUNS_PREFIX)
        scope: set[str] | None = None  # the ids looked at; None: every run
        if stamp.packed is not None and stamp.packed == stored.packed and loose is not None:
            names = set(loose) | {row[0] for row in db.execute("SELECT id FROM loose_refs")}
            if len(names) <= NAMED_REFS_LIMIT:
                scope = names
        if scope is None:
            listed = git.list_refs(self.repo, RUNS_PREFIX)
            known = dict(db.execute("SELECT id, oid FROM runs").fetchall())
        else:
            listed = git.list_named_refs(self.repo, sorted(RUNS_PREFIX + name for name in scope))
            known = self._oids_of(scope)
        current = {ref[len(RUNS_PREFIX) :]: oid for ref, oid in listed}
        changed = [(run_id, oid) for run_id, oid in current.items() if known.get(run_id) != oid]
        looked_at = known if scope is None else scope
        vanished = [run_id for run_id in looked_at if run_id not in current]
        # Parsed rows wait in a temporary table (memory stays flat at 100,000 new runs) and
        # join the index in one short transaction.
        db.execute(_INCOMING)
        db.execute("DELETE FROM temp.incoming")
        for rows in self._parsed_rows(changed):
            db.executemany(
                "INSERT OR REPLACE INTO temp.incoming VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.values() for row in rows),
            )
        self._apply(vanished, loose, stamp)
        return len(changed)

    def _oids_of(self, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), _INSERT_CHUNK):
            chunk = wanted[start : start + _INSERT_CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT id, oid FROM runs WHERE id IN ({marks})", chunk))
        return found

    def _parsed_rows(self, refs: Sequence[tuple[str, str]]) -> Iterator[list[_Row]]:
        """The rows of ``refs``, a chunk at a time; parsing spreads over the cores when many."""
        if not refs:
            return
        from concurrent.futures import BrokenExecutor

        pool = _parsing_pool(len(refs))
        pending: list[tuple[Future[list[_Row]], list[tuple[str, str, bytes | None]]]] = []
        try:
            with git.CatFile(self.repo) as cat:
                for start in range(0, len(refs), _READ_CHUNK):
                    chunk = refs[start : start + _READ_CHUNK]
                    specs = [f"{oid}:{RUN_FILE}" for _, oid in chunk]
                    items = [
                        (run_id, oid, content)
                        for (run_id, oid), (_, content) in zip(
                            chunk, cat.read_many(specs), strict=True
                        )
                    ]
                    if pool is None:
                        yield _rows_of(items)
                        continue
                    try:
                        pending.append((pool.submit(_rows_of, items), items))
                    except BrokenExecutor:
                        yield _rows_of(items)
                    while pending and (pending[0][0].done() or len(pending) > _IN_FLIGHT):
                        yield _result(*pending.pop(0))
            while pending:
                yield _result(*pending.pop(0))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _apply(
        self,
        vanished: Sequence[str],
        loose: Sequence[str] | None,
        stamp: git.RefsStamp,
    ) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if _meta(db, "format") != _format_stamp():
                db.execute("ROLLBACK")  # rebuilt meanwhile by another runledger: leave it be
                return
            db.executemany("DELETE FROM runs WHERE id = ?", ((run_id,) for run_id in vanished))
            db.execute("INSERT OR REPLACE INTO runs SELECT * FROM temp.incoming")
            db.execute("DELETE FROM loose_refs")
            # Without the loose names, the next refresh cannot take the short way: forget
            # the packed stamp so it lists every ref.
            packed = stamp.packed if loose is not None else None
            db.executemany("INSERT INTO loose_refs VALUES (?)", ((name,) for name in loose or ()))
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("packed", packed), ("loose", stamp.loose)],
            )
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        finally:
            with contextlib.suppress(sqlite3.Error):
                db.execute("DELETE FROM temp.incoming")

    # --- reading ------------------------------------------------------------------------

    def runs(self) -> Iterator[Run]:
        """Every readable run, newest first (by start time, then id)."""
        query = (
            "SELECT id, record, record_toml FROM runs WHERE error IS NULL "
            "ORDER BY started_at DESC, id DESC"
        )
        for run_id, record, record_toml in self.db.execute(query):
            yield _decode_record(record, record_toml, RUNS_PREFIX + run_id)

    def errors(self) -> list[tuple[str, str]]:
        """(ref, error) of every run whose record cannot be read."""
        return [
            (RUNS_PREFIX + run_id, error)
            for run_id, error in self.db.execute(
                "SELECT id, error FROM runs WHERE error IS NOT NULL ORDER BY id"
            )
        ]

    def summaries(
        self, status: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, str]]:
        """(id, ``ls --json`` object on one line) of each readable run, newest first."""
        query = "SELECT id, summary, record, record_toml FROM runs WHERE error IS NULL"
        args: list[Any] = []
        if status is not None:
            query += " AND status = ?"
            args.append(status)
        query += " ORDER BY started_at DESC, id DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        for run_id, summary, record, record_toml in self.db.execute(query, args):
            if summary is None:
                summary = summary_text(_decode_record(record, record_toml, RUNS_PREFIX + run_id))
            yield run_id, summary

    def refs(self, prefix: str = "") -> list[tuple[str, str]]:
        """(id, oid) of every run whose id starts with ``prefix``, in id order."""
        if not prefix:
            return list(self.db.execute("SELECT id, oid FROM runs ORDER BY id"))
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return list(
            self.db.execute(
                "SELECT id, oid FROM runs WHERE id >= ? AND id < ? ORDER BY id", (prefix, upper)
            )
        )


@contextlib.contextmanager
def current_index(repo: git.Repo) -> Iterator[RunIndex | None]:
    """The repository's index brought up to date, or None when it cannot be used here.

    Every problem with the index (a read-only git directory, a full disk, a lock held for
    too long) makes the caller read the refs directly: the index is never a reason to fail.
    """
    index = RunIndex(repo)
    try:
        index.open()
        index.refresh()
    except (IndexUnavailable, sqlite3.Error, OSError) as error:
        index.close()
        if isinstance(error, sqlite3.Error) and _is_corruption(error):
            # Found corrupt after opening: this command reads the refs, the next rebuilds it.
            with contextlib.suppress(OSError):
                index.delete()
        yield None
        return
    try:
        yield index
    finally:
        index.close()


def _use_wal(db: sqlite3.Connection) -> None:
    # Switching a new database to WAL fails at once with "locked" while another process does
    # the same: sqlite does not wait on the busy timeout there, so we do.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # no meta table yet
        return None
    return None if row is None else row[0]


def _is_busy(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _is_corruption(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
