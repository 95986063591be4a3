"""Content hashing and a persistent cache of file hashes under the git directory.

The cache maps a file's identity as the filesystem reports it (absolute path, size,
modification time in nanoseconds, inode, device) to the sha256 of its content, so a
dataset hashed once is not read again until it changes. It is a cache in the sense of
CONTRACT.md: deleting it loses nothing but time. Every problem with it (locked by another
process, corrupt, on a read-only disk) makes runledger hash without it; it never fails a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runledger.store import sqlite as sqlite_

CACHE_FILE_NAME = "hashcache.sqlite"
SCHEMA_VERSION = 1

# Measured on a 1 GiB file (benchmarks/bench_hashing.py): 1 MiB chunks into one reused buffer
# hash as fast as hashlib.file_digest (~1.5 GB/s with OpenSSL's SHA-NI code) and 256 KiB to
# 4 MiB are within noise; the reused buffer saves an allocation per chunk.
CHUNK_SIZE = 1 << 20

# A file whose mtime is this close to the moment it was stat'ed may still be written within
# the same mtime tick (1 s on HFS+, 2 s on FAT) without its size changing: caching its hash
# could hide that change, so such "racily clean" files (git's term) are hashed but not cached.
RACY_WINDOW_NS = 2_000_000_000

StrPath = str | os.PathLike[str]

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    device INTEGER NOT NULL,
    sha256 TEXT NOT NULL
)
"""


def sha256_file(path: StrPath, size_hint: int | None = None) -> str:
    """The hex sha256 of a file's content, read in large chunks into one reused buffer (no
    larger than a file of ``size_hint`` bytes needs: zeroing a megabyte for each small file
    costs more than hashing it)."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE if size_hint is None else min(CHUNK_SIZE, max(size_hint, 0) + 1))
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        while read := stream.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def cache_path_for(git_common_dir: Path) -> Path:
    """Where the hash cache of a repository lives: shared by all its worktrees."""
    return git_common_dir / "runledger" / CACHE_FILE_NAME


@dataclass(frozen=True)
class StatKey:
    """The part of a stat result that says a file is unchanged since it was last seen."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatKey:
        # st_ino and st_dev are 0 on some Windows filesystems; size and mtime still guard.
        return cls(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def is_racily_clean(st: os.stat_result, now_ns: int | None = None) -> bool:
    """Whether the file changed so recently that a same-size rewrite could keep its mtime."""
    now = time.time_ns() if now_ns is None else now_ns
    return st.st_mtime_ns > now - RACY_WINDOW_NS


def cache_key(abspath: StrPath) -> str:
    """The cache's key for a path: the path itself, or for a file name that is not UTF-8
    (a lone surrogate, which sqlite cannot store) a NUL, which no path holds, and its bytes."""
    path = os.fspath(abspath)
    if path.isascii():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "\0" + os.fsencode(path).hex()
    return path


class HashCache:
    """A sqlite cache of file hashes, opened as a context manager for one scan.

    Reads go to the database; writes are kept in memory and written in a single transaction
    when the scan ends (``flush`` or leaving the ``with`` block), so concurrent runs hold the
    write lock only for milliseconds. When the cache cannot be used, ``disabled_reason``
    says why and every ``get`` misses.
    """

    def __init__(self, path: Path, timeout_s: float = 2.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.disabled_reason: str | None = None
        self._connection: sqlite3.Connection | None = None
        self._pending: dict[str, tuple[StatKey, str]] = {}

    def __enter__(self) -> HashCache:
        self.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def enabled(self) -> bool:
        return self._connection is not None

    def open(self) -> None:
        """Open (creating if needed) the cache; a corrupt file is deleted and recreated."""
        try:
            self._connection = self._connect()
        except sqlite3.DatabaseError as first_error:
            if not sqlite_.is_corruption(first_error):
                self._disable(first_error)
                return
            try:
                self._delete_files()
                self._connection = self._connect()
            except (sqlite3.Error, OSError) as second_error:
                self._disable(second_error)
        except (sqlite3.Error, OSError) as error:
            self._disable(error)

    def close(self) -> None:
        self.flush()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def get(self, st: os.stat_result, abspath: StrPath) -> str | None:
        """The cached sha256 of the file at abspath if its stat is unchanged, else None."""
        key = StatKey.of(st)
        path = cache_key(abspath)
        pending = self._pending.get(path)
        if pending is not None:
            return pending[1] if pending[0] == key else None
        if self._connection is None:
            return None
        try:
            row = self._connection.execute(
                "SELECT size, mtime_ns, inode, device, sha256 FROM file_hashes WHERE path = ?",
                (path,),
            ).fetchone()
        except sqlite3.Error as error:
            self._disable(error)
            return None
        if row is None or StatKey(row[0], row[1], row[2], row[3]) != key:
            return None
        return str(row[4])

    def put(self, st: os.stat_result, abspath: StrPath, sha256: str) -> None:
        """Remember a hash; written at the next flush. Racily clean files are not kept."""
        if self._connection is None or is_racily_clean(st):
            return
        self._pending[cache_key(abspath)] = (StatKey.of(st), sha256)

    def flush(self) -> None:
        """Write the remembered hashes in one transaction; on failure, drop them."""
        pending, self._pending = self._pending, {}
        if self._connection is None or not pending:
            return
        rows = [
            (path, key.size, key.mtime_ns, key.inode, key.device, sha256)
            for path, (key, sha256) in pending.items()
        ]
        try:
            with sqlite_.transaction(self._connection):
                self._connection.executemany(
                    "INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.Error as error:
            self._disable(error)

    def hash_file(self, path: StrPath, st: os.stat_result) -> str:
        """The sha256 of a regular file, from the cache when its stat is unchanged."""
        cached = self.get(st, path)
        if cached is not None:
            return cached
        sha256 = sha256_file(path)
        self.put(st, path, sha256)
        return sha256

    def _connect(self) -> sqlite3.Connection:
        return sqlite_.connect(self.path, self.timeout_s, _prepare)

    def _delete_files(self) -> None:
        sqlite_.delete_files(self.path)

    def _disable(self, error: BaseException) -> None:
        self.disabled_reason = f"hash cache {self.path} not used: {error}"
        self._pending = {}
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        if isinstance(error, sqlite3.Error) and sqlite_.is_corruption(error):
            # Found corrupt mid-scan: this scan goes on without it, the next one recreates it.
            with contextlib.suppress(OSError):
                self._delete_files()


def _prepare(db: sqlite3.Connection) -> None:
    # The cache is rebuilt at will: an unknown layout is dropped, not migrated.
    def create(db: sqlite3.Connection) -> None:
        db.execute(_CREATE_TABLE)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    sqlite_.rebuild_if(db, lambda db: sqlite_.user_version(db) != SCHEMA_VERSION, create)


@contextlib.contextmanager
def optional_cache(path: Path | None) -> Iterator[HashCache | None]:
    """A cache opened for one scan, or None when no path is given."""
    if path is None:
        yield None
        return
    with HashCache(path) as cache:
        yield cache
