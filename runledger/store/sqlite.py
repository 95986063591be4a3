"""The one way runledger opens its SQLite caches (the run index and the hash cache).

Both are rebuildable caches under the git directory, shared by concurrent runledger
processes: WAL mode so readers never wait on a writer, a busy timeout so writers queue, and
a layout stamped in ``user_version`` that is dropped and recreated, never migrated.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

SUFFIXES = ("", "-wal", "-shm", "-journal")


def connect(
    path: Path, timeout_s: float, prepare: Callable[[sqlite3.Connection], None]
) -> sqlite3.Connection:
    """A connection to ``path`` (created if needed) in WAL mode, ``prepare``d; closed on error.

    ``prepare`` brings the layout up to date (see :func:`rebuild_if`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        use_wal(db, timeout_s)
        db.execute("PRAGMA synchronous = NORMAL")
        prepare(db)
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, committed at the end, rolled back on any error.

    The connections :func:`connect` opens autocommit (``isolation_level=None``), where
    ``with db:`` begins no transaction: each statement of an ``executemany`` would be a
    commit of its own (500,000 of them took 30 s in ``which``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def use_wal(db: sqlite3.Connection, timeout_s: float) -> None:
    # Switching a new database to WAL fails at once with "locked" while another process does
    # the same: sqlite does not wait on the busy timeout there, so we do.
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def rebuild_if(
    db: sqlite3.Connection,
    stale: Callable[[sqlite3.Connection], bool],
    create: Callable[[sqlite3.Connection], None],
) -> None:
    """Drop every table and ``create`` the layout anew when ``stale`` says so.

    Checked once without a lock (the common case: current) and again under the write lock,
    since another process may have just rebuilt it.
    """
    if not stale(db):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if stale(db):
            for (table,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall():
                db.execute(f'DROP TABLE IF EXISTS "{table}"')
            create(db)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise


def user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def delete_files(path: Path) -> None:
    """Remove a database and its WAL, shared-memory and journal files."""
    for suffix in SUFFIXES:
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def is_busy(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def is_corruption(error: sqlite3.Error) -> bool:
    # Only "not a database" and "malformed" justify deleting the file; locked, read-only or
    # unable to open say nothing about its content.
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
