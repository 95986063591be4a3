"""Pointers to the files a run read (--input) and wrote (--output): path, size, sha256.

Nothing is copied: a run records what its data and weights were, not the bytes themselves.

Decisions (see the closing notes of each function for the details):
- Paths are recorded relative to the repository root, in posix form. A path outside the
  repository is recorded by its absolute path, but only when the user named it absolutely
  (``/data/imagenet``) or the caller allows it: a relative path that climbs out of the
  repository (``../data``) is refused, since the same text means other files on another
  machine.
- Symbolic links are recorded as links (their target text), never followed: a link to a
  folder outside the repository must not pull a dataset of unknown size into the record.
- A file git tracks unchanged at the run's commit is recorded with its git object id. Its
  sha256 is taken too when it is at most ``TRACKED_HASH_LIMIT`` bytes (cheap, and it keeps
  ``which`` and the JSON view uniform); a larger one is not read: its git object id
  identifies it. A tracked file whose size on disk is not its blob's size (a git-lfs pointer,
  an eol conversion) is not the blob's bytes, so it is hashed like an untracked file. Which
  records get a sha256 depends only on size and tracking, never on the state of the cache,
  so two runs over the same data agree.
- Empty folders record nothing and do not enter the digest, as git does not track them: the
  digest of an input set is a function of its file records alone and can be recomputed
  from files.toml.
- FIFOs, sockets and devices inside a folder are skipped: reading a FIFO would hang the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

from runledger.errors import UserError
from runledger.store.hashcache import CHUNK_SIZE, HashCache, StatKey, StrPath, sha256_file

Kind = Literal["file", "symlink"]
Verdict = Literal["same", "changed", "missing"]
SkipReporter = Callable[[str, str], None]

# sha256 is still taken for tracked files up to this size: at ~1.4 GB/s that is ~25 ms.
TRACKED_HASH_LIMIT = 32 * 1024 * 1024

_KINDS: tuple[Kind, ...] = ("file", "symlink")

T = TypeVar("T")


@dataclass(frozen=True)
class FileDigests:
    """Every identity of one file's content, for matching it against any kind of record."""

    sha256: str
    size: int
    git_blob_sha1: str
    git_blob_sha256: str


@dataclass(frozen=True)
class FileRecord:
    """One file or symbolic link a run read or wrote."""

    path: str
    size: int
    sha256: str | None = None
    mtime: float | None = None
    git_blob: str | None = None
    kind: Kind = "file"
    link_target: str | None = None

    @property
    def content_id(self) -> str:
        """What identifies the content: its sha256, else its git object id, else its target."""
        if self.kind == "symlink":
            return f"link:{self.link_target}"
        if self.sha256 is not None:
            return f"sha256:{self.sha256}"
        return f"git:{self.git_blob}"

    def matches(self, digests: FileDigests) -> bool:
        """Whether a file with these digests has the content this record points to."""
        if self.kind != "file" or self.size != digests.size:
            return False
        if self.sha256 is not None:
            return self.sha256 == digests.sha256
        return self.git_blob in (digests.git_blob_sha1, digests.git_blob_sha256)

    def to_dict(self) -> dict[str, str | int | float]:
        """The TOML table of this record; TOML has no null, so None fields are left out."""
        table: dict[str, str | int | float] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                table[item.name] = value
        return table

    @classmethod
    def from_dict(cls, table: Mapping[str, object]) -> FileRecord:
        """The record a to_dict table describes; ValueError names what is wrong with it."""
        get = table.get
        path, size, sha256, mtime = get("path"), get("size"), get("sha256"), get("mtime")
        if (
            type(path) is str
            and type(size) is int
            and (sha256 is None or type(sha256) is str)
            and (mtime is None or type(mtime) is float)
            and table.get("kind", "file") == "file"
            and table.keys() <= _FILE_TABLE
        ):
            # what to_dict writes for a file (a push reads thousands): the checks below
            # would pass it as it is
            return cls(path, size, sha256, mtime)
        unknown = table.keys() - _RECORD_KEYS
        if unknown:
            raise ValueError(f"unknown keys in a file record: {', '.join(sorted(unknown))}")
        kind = table.get("kind", "file")
        if kind not in _KINDS:
            raise ValueError(f"file record kind must be file or symlink, not {kind!r}")
        return cls(
            path=_typed(table, "path", str),
            size=_typed(table, "size", int),
            sha256=_optional(table, "sha256", str),
            mtime=_optional_number(table, "mtime"),
            git_blob=_optional(table, "git_blob", str),
            kind=kind,
            link_target=_optional(table, "link_target", str),
        )


_RECORD_KEYS = frozenset(item.name for item in fields(FileRecord))
_FILE_TABLE = frozenset(("path", "size", "sha256", "mtime", "kind"))


class _Found(NamedTuple):
    """A file or link met while walking: absolute path, path as recorded, lstat."""

    path: str
    recorded: str
    st: os.stat_result


@dataclass(frozen=True)
class InputSet:
    """The files a run read, sorted by path, and one digest over all of them."""

    files: tuple[FileRecord, ...]
    digest: str


@dataclass(frozen=True)
class OutputRoot:
    """One --output path as the user gave it and where it is on disk."""

    given: str
    absolute: Path


@dataclass(frozen=True)
class Snapshot:
    """What existed under the output paths before the command ran (stat only, no content)."""

    repo_root: Path
    roots: tuple[OutputRoot, ...]
    before: Mapping[str, StatKey] = field(default_factory=dict)


def input_digest(records: Sequence[FileRecord]) -> str:
    """A sha256 over (path, kind, size, content) of each record, independent of their order."""
    lines = sorted(
        json.dumps([record.path, record.kind, record.size, record.content_id]) for record in records
    )
    return hashlib.sha256("".join(f"{line}\n" for line in lines).encode()).hexdigest()


def hash_inputs(
    paths: Sequence[str],
    cwd: Path,
    repo_root: Path,
    cache: HashCache | None,
    tracked: Mapping[str, tuple[str, int]] | None = None,
    allow_outside: bool = False,
) -> InputSet:
    """Record every file under the given --input paths (files or folders, recursively).

    ``tracked`` maps repo-relative posix paths to their git object id and size, for the files
    git tracks unchanged at the run's commit (``git.tracked_blobs``). A missing path, or a
    relative one that leaves the repository, raises UserError naming it.
    """
    root = repo_root.resolve()
    known = tracked or {}
    records: dict[str, FileRecord] = {}
    for given in paths:
        start = _locate(given, cwd, root, allow_outside, "--input")
        try:
            start_stat = os.lstat(start)
        except FileNotFoundError as error:
            raise UserError(f"--input {given}: no such file or folder") from error
        try:
            for path, recorded, st in _walk(start, _recorded_path(start, root), start_stat):
                if recorded not in records:
                    records[recorded] = _input_record(path, recorded, st, cache, known)
        except OSError as error:
            message = f"--input {given}: cannot read {error.filename}: {error.strerror}"
            raise UserError(message) from error
    files = tuple(sorted(records.values(), key=lambda record: record.path))
    return InputSet(files, input_digest(files))


def recorded_paths(paths: Sequence[str], cwd: Path, repo_root: Path) -> list[str]:
    """Each path as a record names it: relative to the repository root in posix form ('.'
    for the root itself), absolute when outside. Duplicates are dropped; nothing is checked.
    """
    root = repo_root.resolve()
    located = (_locate(given, cwd, root, allow_outside=True, option="") for given in paths)
    return list(dict.fromkeys(_recorded_path(absolute, root) for absolute in located))


def snapshot(
    paths: Sequence[str], cwd: Path, repo_root: Path, allow_outside: bool = False
) -> Snapshot:
    """Stat (without reading) everything under the --output paths, before the command runs.

    An output path that does not exist yet is fine: the command is expected to create it.
    """
    root = repo_root.resolve()
    roots = tuple(
        OutputRoot(given, _locate(given, cwd, root, allow_outside, "--output")) for given in paths
    )
    before: dict[str, StatKey] = {}
    for output in roots:
        for path, _, st in _walk_existing(output.absolute, root, on_skip=None):
            before[path] = StatKey.of(st)
    return Snapshot(root, roots, before)


def collect_artifacts(
    taken: Snapshot, cache: HashCache | None, on_skip: SkipReporter | None = None
) -> list[FileRecord]:
    """Hash every file under the output paths that is new or changed since the snapshot.

    A file is changed when its size, mtime, inode or device differ. The run has already
    happened, so a file that vanishes or cannot be read is passed to ``on_skip(path, why)``
    rather than failing the record.
    """
    records: dict[str, FileRecord] = {}
    for output in taken.roots:
        for path, recorded, st in _walk_existing(output.absolute, taken.repo_root, on_skip):
            if taken.before.get(path) == StatKey.of(st) or recorded in records:
                continue
            try:
                records[recorded] = artifact_record(path, recorded, st, cache)
            except OSError as error:
                _report(on_skip, recorded, error)
    return sorted(records.values(), key=lambda record: record.path)


def verify(
    records: Sequence[FileRecord], repo_root: Path, cache: HashCache | None
) -> list[tuple[FileRecord, Verdict]]:
    """Whether each recorded file is still there with the same content (re-hashed)."""
    return [(record, _verify_one(record, repo_root, cache)) for record in records]


def lookup_digests(path: Path) -> FileDigests:
    """sha256 and git object ids of a file in one read, to match records of either kind."""
    try:
        size = os.stat(path).st_size
        header = f"blob {size}\0".encode()
        hashers = [hashlib.sha256(), hashlib.sha1(header), hashlib.sha256(header)]
        _feed(path, hashers)
    except FileNotFoundError as error:
        raise UserError(f"{path}: no such file") from error
    except IsADirectoryError as error:
        raise UserError(f"{path} is a folder; give a file") from error
    content, blob_sha1, blob_sha256 = (hasher.hexdigest() for hasher in hashers)
    return FileDigests(content, size, blob_sha1, blob_sha256)


def git_blob_id(path: Path, size: int, object_format: Literal["sha1", "sha256"]) -> str:
    """The id git gives a file's bytes as a blob (no clean filters such as git-lfs applied)."""
    hasher = hashlib.new(object_format, f"blob {size}\0".encode())
    _feed(path, [hasher])
    return hasher.hexdigest()


def _locate(given: str, cwd: Path, root: Path, allow_outside: bool, option: str) -> Path:
    """The absolute path of a user's path, its last part left unresolved (it may be a link)."""
    joined = cwd.resolve() / given
    if joined.name in ("", ".", ".."):
        absolute = joined.resolve()
    else:
        absolute = joined.parent.resolve() / joined.name
    if absolute.is_relative_to(root) or os.path.isabs(given) or allow_outside:
        return absolute
    raise UserError(
        f"{option} {given} is outside the repository {root}; "
        f"pass it as an absolute path ({absolute}) to record it anyway"
    )


def _recorded_path(path: Path, root: Path) -> str:
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return path.as_posix()


def _walk(start: Path, recorded: str, start_stat: os.stat_result) -> Iterator[_Found]:
    """Regular files and links at or under start, in sorted order; .git and links not entered.

    Plain strings rather than Path objects: pathlib's parsing was half the time of a warm
    scan over ten thousand files.
    """
    pending = [_Found(os.fspath(start), recorded, start_stat)]
    while pending:
        found = pending.pop()
        mode = found.st.st_mode
        if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
            yield found
        elif stat.S_ISDIR(mode):
            prefix = "" if found.recorded == "." else f"{found.recorded}/"
            with os.scandir(found.path) as scan:
                entries = sorted(
                    (entry for entry in scan if entry.name != ".git"),
                    key=lambda entry: entry.name,
                    reverse=True,
                )
                pending.extend(
                    _Found(entry.path, prefix + entry.name, entry.stat(follow_symlinks=False))
                    for entry in entries
                )


def _walk_existing(start: Path, root: Path, on_skip: SkipReporter | None) -> Iterator[_Found]:
    """Like _walk, but a start that does not exist yields nothing and errors are reported."""
    try:
        start_stat = os.lstat(start)
    except FileNotFoundError:
        return
    try:
        yield from _walk(start, _recorded_path(start, root), start_stat)
    except OSError as error:
        _report(on_skip, os.fspath(error.filename or start), error)


def _input_record(
    path: str,
    recorded: str,
    st: os.stat_result,
    cache: HashCache | None,
    tracked: Mapping[str, tuple[str, int]],
) -> FileRecord:
    entry = tracked.get(recorded)
    blob = entry[0] if entry is not None and entry[1] == st.st_size else None
    if stat.S_ISLNK(st.st_mode):
        return _link_record(path, recorded, st, mtime=None, git_blob=blob)
    if blob is not None and st.st_size > TRACKED_HASH_LIMIT:
        return FileRecord(recorded, st.st_size, git_blob=blob)
    return FileRecord(recorded, st.st_size, sha256=_hash(path, st, cache), git_blob=blob)


def artifact_record(
    path: str, recorded: str, st: os.stat_result, cache: HashCache | None
) -> FileRecord:
    """The record of a file or link the run wrote, hashed (through the cache) now."""
    mtime = st.st_mtime_ns / 1e9
    if stat.S_ISLNK(st.st_mode):
        return _link_record(path, recorded, st, mtime=mtime, git_blob=None)
    return FileRecord(recorded, st.st_size, sha256=_hash(path, st, cache), mtime=mtime)


def _link_record(
    path: str, recorded: str, st: os.stat_result, mtime: float | None, git_blob: str | None
) -> FileRecord:
    return FileRecord(
        recorded,
        st.st_size,
        mtime=mtime,
        git_blob=git_blob,
        kind="symlink",
        link_target=os.readlink(path),
    )


def _hash(path: StrPath, st: os.stat_result, cache: HashCache | None) -> str:
    if cache is None:
        return sha256_file(path)
    return cache.hash_file(path, st)


def _verify_one(record: FileRecord, repo_root: Path, cache: HashCache | None) -> Verdict:
    path = Path(record.path)
    if not path.is_absolute():
        path = repo_root / path
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        # ValueError: a pulled record's path with a NUL byte, which no file can have
        return "missing"
    try:
        return "same" if _unchanged(record, path, st, cache) else "changed"
    except OSError as error:
        raise UserError(f"cannot read {record.path}: {error.strerror}") from error


def _unchanged(record: FileRecord, path: Path, st: os.stat_result, cache: HashCache | None) -> bool:
    if record.kind == "symlink":
        return stat.S_ISLNK(st.st_mode) and os.readlink(path) == record.link_target
    if not stat.S_ISREG(st.st_mode) or st.st_size != record.size:
        return False
    if record.sha256 is not None:
        return _hash(path, st, cache) == record.sha256
    if record.git_blob is not None:
        sha1_length = 40
        object_format: Literal["sha1", "sha256"] = (
            "sha1" if len(record.git_blob) == sha1_length else "sha256"
        )
        return git_blob_id(path, st.st_size, object_format) == record.git_blob
    return True


def _feed(path: Path, hashers: Sequence[hashlib._Hash]) -> None:
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        while read := stream.readinto(buffer):
            chunk = view[:read]
            for hasher in hashers:
                hasher.update(chunk)


def _report(on_skip: SkipReporter | None, path: str, error: OSError) -> None:
    if on_skip is not None:
        on_skip(path, error.strerror or str(error))


def _typed(table: Mapping[str, object], key: str, expected: type[T]) -> T:
    value = table.get(key)
    if not isinstance(value, expected) or isinstance(value, bool):
        raise ValueError(f"file record {key} must be {expected.__name__}, not {value!r}")
    return value


def _optional(table: Mapping[str, object], key: str, expected: type[T]) -> T | None:
    if table.get(key) is None:
        return None
    return _typed(table, key, expected)


def _optional_number(table: Mapping[str, object], key: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"file record {key} must be a number, not {value!r}")
    return float(value)
