"""The run index: every run's run.toml, decoded, in SQLite under the git directory.

Listing 100,000 runs by reading 100,000 run.toml blobs through git and parsing their TOML
takes a minute; reading them from one SQLite file takes a second. The index is only a cache
derived from the run refs (CONTRACT.md, Storage): ``refs/runledger/runs/<id>`` and the
remotes' mirrors ``refs/runledger/remotes/<remote>/runs/<id>`` (sync.py). Deleting it loses
nothing, and it rebuilds itself silently when it is missing, corrupt, or written by another
version of runledger (its format stamp names the index layout, runledger's version, the
record schema, and the JSON that ``ls --json`` prints).

Keeping it current costs what changed, not what is there:

- Nothing changed (the common case): a few ``stat`` calls show that packed-refs and the
  folders of loose run refs are as they were at the last update; no git process runs.
- New runs since (exec writes loose refs, fetch writes loose mirror refs): the loose ref
  names are listed from their folders and git says where they point (one ``for-each-ref``
  naming them); only their run.toml is read (one ``cat-file --batch``).
- Anything else (refs packed, a deletion, a big fetch): one ``for-each-ref`` over every run
  ref, compared with the index by object id; again only new or changed run.toml is read.

Every ref has a row; the row that stands for a run id (``effective``) is the local ref when
there is one, else the first mirror by name, as ``Ledger.run_refs`` has always chosen.

Concurrent readers and writers are safe: SQLite in WAL mode, every update one transaction
(a reader sees the index before or after it, never half of it), run.toml read and parsed
before the write lock is taken, so writers hold it for milliseconds (only the first build of
an empty index, when no one else is writing it, writes its rows as they come, in one
transaction: ``_fill_empty``). The refs' stamp is taken before they are listed, so an index
can never claim to be more current than its listing. A corrupt record is remembered with
its error: it is reported on every listing without its blob being read again.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import math
import os
import sqlite3
import sys
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from runledger import ids
from runledger.errors import CorruptRecordError
from runledger.model import schema as schema_
from runledger.model import tomlcodec
from runledger.model.bulk import cycle_collection_paused
from runledger.model.dates import future_horizon, listing_time
from runledger.model.flat import flatten
from runledger.model.record import (
    FILES_FILE,
    READ_LIMIT_BYTES,
    RUN_FILE,
    SCHEMA_VERSION,
    STATUSES,
    GitInfo,
    MetricSummary,
    Run,
    json_number,
    json_safe,
    over_read_limit,
)
from runledger.model.row import FrameRow, RunRow, TableRow, command_line
from runledger.store import git
from runledger.store import sqlite as sqlite_
from runledger.store.refs import MIRROR_PREFIX, RUNS_PREFIX, run_ref_id
from runledger.version import __version__

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

INDEX_FILE_NAME = "index.sqlite"
# 3: bad refs (name, id, object) are error rows; 4: listing columns; 5: partial indexes,
# run.toml as text in ``records``; 6: nested params also flattened (``params_flat``);
# 7: each command as one shell line (``command_line``)
LAYOUT_VERSION = 9
BUSY_TIMEOUT_S = 30.0
# Above this many loose refs, one listing of every ref is cheaper than naming them all.
NAMED_REFS_LIMIT = 2_000
# Below this many run.toml files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN = 1_000
_READ_CHUNK = 1_000
_IN_FLIGHT = 8  # chunks handed to workers and not collected yet: bounds memory
_QUERY_CHUNK = 500
_ROW_CHUNK = 1_000  # listing rows decoded at a time
_FRAME_CHUNK = 10_000  # load_runs' rows fetched at a time
PROGRESS_AFTER_S = 2.0

# A rowid table: rows of 1-2 KB would spill into overflow pages in a WITHOUT ROWID table
# (measured: 4.7 KB a run instead of 1.5). Each run.toml is kept as written, in the table
# ``records`` beside it (read by the few commands that show whole runs): encoding and
# compressing every record again (JSON, zlib: what earlier layouts kept in ``record``) cost
# a third of a first listing's time, and in the row itself it would leave one row a page
# where listings read two or three. ``runs.record`` and ``runs.record_toml`` stay empty.
_COLUMNS = """
    ref TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    mirror INTEGER NOT NULL,
    effective INTEGER NOT NULL,
    oid TEXT NOT NULL,
    started_at TEXT,
    status TEXT,
    reproduces TEXT,
    record BLOB,
    record_toml TEXT,
    summary TEXT,
    error TEXT,
    name,
    exit_code,
    git_commit,
    branch,
    ended_at,
    duration_s,
    user,
    host,
    note,
    parent,
    sweep,
    command,
    tags,
    params,
    metrics,
    plain,
    verdict,
    author,
    inputs_digest,
    params_flat,
    command_line,
    listed_at TEXT
"""
# runs_newest holds only the readable runs a listing shows (and their parent, for the top-level
# test): counting them, or finding the few unreadable or reproducing ones, reads an index
# instead of every row (each row is 2-3 KB: 20 ms a pass at 10,000 runs); runs_oid finds the
# runs whose files.toml holds a file (``which``) without a pass over every row.
# The listing columns (after ``error``) are what ``ls``, ``compare`` and ``load_runs`` read:
# each run's scalars, and its params, last metric values, exec tags and command as small JSON
# texts that SQLite's JSON functions filter and sort on (query/where_sql.py). ``plain`` is 0
# where the row holds what SQL cannot (NaN in params, text with lone surrogates): such rows
# are filtered in Python.
# They have no declared type, so SQLite stores each value as it comes (a name that is a
# number stays a number, as ``--where`` sees it in Python). ``params_flat`` holds the params
# with nested tables as dotted keys (model/flat.py), for runs that have nested ones (NULL
# for the others: their params are flat already): compare and load_runs read it instead of
# flattening every run's params again (a tenth of compare's time at 10,000 runs).
# ``command_line`` is the command as load_runs shows it (shlex-quoted, one text): decoding
# each command's words and quoting them again was a sixth of load_runs at 10,000 runs.
COLUMN_COUNT = 34
# The columns of temp.incoming as ``runs`` keeps them: the run.toml text goes to ``records``.
_STORED = ", ".join(
    "NULL" if name == "record_toml" else name
    for name in (line.split()[0].rstrip(",") for line in _COLUMNS.strip().splitlines())
)
_LAYOUT = f"""
CREATE TABLE runs ({_COLUMNS});
CREATE INDEX runs_id ON runs (id);
CREATE INDEX runs_newest ON runs (listed_at DESC, id DESC, parent)
    WHERE effective = 1 AND error IS NULL;
CREATE INDEX runs_bad ON runs (ref) WHERE error IS NOT NULL;
CREATE INDEX runs_reproducing ON runs (reproduces) WHERE reproduces IS NOT NULL;
CREATE INDEX runs_oid ON runs (oid);
CREATE TABLE records (ref TEXT PRIMARY KEY, toml TEXT NOT NULL);
CREATE INDEX runs_sweep ON runs (sweep) WHERE sweep IS NOT NULL;
CREATE INDEX runs_parent ON runs (parent) WHERE parent IS NOT NULL;
CREATE TABLE loose_refs (ref TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE file_keys (key TEXT NOT NULL, oid TEXT NOT NULL);
CREATE INDEX file_keys_key ON file_keys (key);
CREATE TABLE files_read (oid TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""
_TEMP_TABLES = (
    f"CREATE TEMP TABLE IF NOT EXISTS incoming ({_COLUMNS})",
    "CREATE TEMP TABLE IF NOT EXISTS affected (id TEXT PRIMARY KEY)",
    "CREATE TEMP TABLE IF NOT EXISTS team_tags (id TEXT, tag TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT PRIMARY KEY)",
)
# A run that is a child of a run held here: one that names it as its parent and ran its
# commit (model/record.py is_child_of; a pulled record may name any run).
_CHILD_HERE = (
    "EXISTS (SELECT 1 FROM runs AS parents WHERE parents.id = runs.parent "
    "AND parents.effective = 1 AND parents.error IS NULL "
    "AND parents.git_commit = runs.git_commit)"
)
# A run that is not (a child whose parent is missing, as a worker's trials pulled before
# their parent, is listed on its own).
_TOP_LEVEL = f"NOT {_CHILD_HERE}"
# One JSON text per row for what a RunRow needs beyond scalars: one json.loads, not four.
_ROW_JSON = "'[' || command || ',' || tags || ',' || params || ',' || metrics || ']'"
_ROW_LACKS = "(command IS NULL OR tags IS NULL OR params IS NULL OR metrics IS NULL)"
# A run's run.toml text, in a query over ``runs``.
_RECORD_TOML = "(SELECT toml FROM records WHERE records.ref = runs.ref)"
_ROW_COLUMNS = (
    "id, status, started_at, ended_at, duration_s, git_commit, branch, exit_code, name, user, "
    f"host, note, reproduces, parent, sweep, verdict, {_ROW_JSON}, ref, "
    f"CASE WHEN {_ROW_LACKS} THEN record END, "
    f"CASE WHEN {_ROW_LACKS} THEN {_RECORD_TOML} END, author, inputs_digest"
)

# What ``compare`` tabulates (model/row.py TableRow, in its field order), and its params
# (flattened) and last metric values as one JSON text (NULL when the row does not hold them).
_TABLE_COLUMNS = (
    "id, status, started_at, git_commit, branch, name, author, inputs_digest, "
    "'[' || coalesce(params_flat, params) || ',' || metrics || ']'"
)

# What ``load_runs`` puts in its frame (model/row.py FrameRow, in its field order), and its
# command, exec tags, params (flattened) and last metric values as one JSON text.
_FRAME_COLUMNS = (
    "id, name, status, exit_code, git_commit, branch, started_at, duration_s, user, host, "
    "reproduces, parent, sweep, command_line, "
    "'[' || tags || ',' || coalesce(params_flat, params) || ',' || metrics || ']'"
)


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
    # A runledger that learned a migration reads records it once reported as unreadable.
    from runledger.model import schema as schema_

    steps = ";".join(f"{m.from_schema}:{m.file}:{m.name}" for m in schema_.MIGRATIONS)
    migrations = hashlib.sha256(steps.encode()).hexdigest()[:8]
    return f"{LAYOUT_VERSION}/{__version__}/{SCHEMA_VERSION}/{migrations}/{digest}"


def index_path(repo: git.Repo) -> Path:
    return repo.runledger_dir / INDEX_FILE_NAME


def summary_text(run: Run) -> str:
    """One run's ``ls --json`` object on one line."""
    return _SUMMARY(run.summary_json())


class _Row(NamedTuple):
    """One ref's row as parsing workers hand it back: a tuple, cheap to pickle."""

    ref: str
    id: str
    mirror: bool
    oid: str
    started_at: str | None = None
    status: str | None = None
    reproduces: str | None = None
    record: bytes | None = None
    record_toml: str | None = None
    summary: str | None = None
    error: str | None = None
    listing: tuple[Any, ...] = (None,) * (COLUMN_COUNT - 13)
    committed_at: int | None = None  # only read for a start in the future (with_commit_times)

    def values(self, effective: int = 0) -> tuple[Any, ...]:
        return (
            self.ref,
            self.id,
            int(self.mirror),
            effective,
            self.oid,
            self.started_at,
            self.status,
            self.reproduces,
            self.record,
            self.record_toml,
            self.summary,
            self.error,
            *self.listing,
            listing_time(self.started_at, self.committed_at),
        )


def too_large_row(ref: str, oid: str, size: int) -> _Row:
    """The row of a run whose run.toml is over READ_LIMIT_BYTES: unreadable, not parsed."""
    run_id, mirror = run_ref_id(ref) or (ref, False)
    return _Row(ref, run_id, mirror, oid, error=f"{ref}: {over_read_limit(RUN_FILE, size)}")


def row_for(ref: str, oid: str, content: bytes | None) -> _Row:
    """The index row of one run ref, from its run.toml (None: the tree has no run.toml)."""
    run_id, mirror = run_ref_id(ref) or (ref, False)
    try:
        if not ids.is_run_id(run_id):
            raise CorruptRecordError(f"{ref}: its name is not a run id")
        if content is None:
            raise CorruptRecordError(f"{ref}: has no {RUN_FILE}")
        try:
            text = content.decode()
            data = tomlcodec.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise CorruptRecordError(f"{ref}: run.toml is not valid TOML ({exc})") from exc
        if tomlcodec.MARKER not in text:
            plain = _plain_row(ref, run_id, mirror, oid, text, data)
            if plain is not None:
                return plain
        run = Run.from_run_dict(data, ref)
        if run.id != run_id:
            # A pulled ref runs/B whose record says A would list A twice, under two names.
            raise CorruptRecordError(f"{ref}: its {RUN_FILE} says it is run {run.id}")
    except CorruptRecordError as exc:
        return _Row(ref, run_id, mirror, oid, error=str(exc))
    # Lone surrogates (text SQLite and strict JSON cannot hold) only come from runledger's
    # marker tables: UTF-8 text and TOML's escapes cannot carry them.
    clean = tomlcodec.MARKER not in text
    summary: str | None
    try:
        summary = summary_text(run)
        if not clean:
            summary.encode()
    except (ValueError, UnicodeEncodeError):
        summary = None  # built when printed, where the same error reaches the user
    # The record is run.toml's text as it is: encoding it again (JSON, zlib) cost a third
    # of a first listing's time; the few commands that read whole records parse it.
    return _Row(
        ref, run_id, mirror, oid, run.started_at, run.status, run.reproduces, None, text,
        summary, None, _listing(run, clean),
    )  # fmt: skip


# The run.toml keys a plain record may hold (the others: read as a Run, see _plain_row).
_PLAIN_KEYS = frozenset(
    "schema id name status exit_code signal started_at ended_at duration_s command cwd user "
    "host author git params param_sources metrics tags note reproduces parent sweep trial "
    "runledger_version config_files system inputs_digest input_paths output_paths "
    "recovered".split()
)


def _plain_row(
    ref: str, run_id: str, mirror: bool, oid: str, text: str, data: dict[str, Any]
) -> _Row | None:
    """The row of a record in runledger's plain shape, built from its TOML without a Run
    (a third of a row's time), or None for anything else: an older schema, a reproduction,
    a key or value Run.from_run_dict would treat another way or refuse. Such records take
    the Run path, which says what is wrong with a bad one; the rows of both paths are equal
    (tests/test_index.py compares them)."""
    if (
        data.get("schema") != SCHEMA_VERSION
        or type(data["schema"]) is not int
        or not _PLAIN_KEYS.issuperset(data)
        or data.get("id") != run_id
        or data.get("status") not in STATUSES
    ):
        return None
    if not schema_.plainly_valid(data):
        return None  # or valid in a way only the Run path reads: it decides
    for key in ("input_paths", "output_paths"):
        paths = data.get(key, [])
        if type(paths) is not list or not all(type(path) is str for path in paths):
            return None
    metrics = data.get("metrics", {})
    try:
        duration = float(data.get("duration_s", 0.0))
        lasts = {}
        for name, summary in metrics.items():
            last = lasts[name] = float(summary["last"])
            float(summary.get("min", last))  # as MetricSummary.from_dict converts them
            float(summary.get("max", last))
            int(summary.get("count", 1))
    except (TypeError, ValueError, OverflowError):
        return None
    git_table = data["git"]
    started_at = data["started_at"]
    ended_at = data.get("ended_at", started_at)
    command = data.get("command", [])
    tags = data.get("tags", [])
    params = data.get("params", {})
    view = {
        "id": run_id,
        "name": data.get("name"),
        "status": data["status"],
        "exit_code": data.get("exit_code"),
        "commit": git_table["commit"],
        "branch": git_table.get("branch"),
        "command": command,
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_s": duration,
        "cwd": data.get("cwd", "."),
        "user": data.get("user"),
        "host": data.get("host"),
        "author": data.get("author"),
        "params": params,
        "metrics": lasts,
        "tags": sorted(set(tags)),
        "note": data.get("note"),
        "reproduces": data.get("reproduces"),
        "reproduction": None,
        "reproduced_by": [],
        "parent": data.get("parent"),
        "sweep": data.get("sweep"),
        "inputs_digest": data.get("inputs_digest"),
    }  # Run.summary_json's fields, in its order
    try:
        summary = _SUMMARY(view)
    except (ValueError, TypeError):  # NaN, infinity, TOML dates: as summary_json writes them
        view["params"] = json_safe(params)
        view["metrics"] = {name: json_number(last) for name, last in lasts.items()}
        view["duration_s"] = json_number(duration)
        try:
            summary = _SUMMARY(view)
        except (ValueError, TypeError):
            return None
    listing = _listing_of(
        (
            view["name"], view["exit_code"], view["commit"], view["branch"], ended_at,
            duration, view["user"], view["host"], view["note"], view["parent"], view["sweep"],
        ),
        command, tags, params, lasts, None, view["author"], view["inputs_digest"], clean=True,
    )  # fmt: skip
    return _Row(
        ref, run_id, mirror, oid, started_at, view["status"], view["reproduces"], None, text,
        summary, None, listing,
    )  # fmt: skip


def with_commit_times(repo: git.Repo, rows: list[_Row]) -> list[_Row]:
    """``rows``, those dated in the future with their record's commit time, which they are
    listed by (dates.listing_time)."""
    horizon = future_horizon()  # once: a chunk holds thousands of rows
    future = [row.oid for row in rows if row.started_at is not None and row.started_at > horizon]
    if not future:
        return rows
    times = git.commit_times(repo, future)
    return [
        row._replace(committed_at=times.get(row.oid)) if row.oid in times else row for row in rows
    ]


def explain_missing(repo: git.Repo, rows: list[_Row]) -> list[_Row]:
    """Say why a ref has no run.toml: its object is missing, or is not a commit at all."""
    lacking = [row for row in rows if row.error is not None and row.error.endswith(RUN_FILE)]
    if not lacking:
        return rows
    types = git.object_types(repo, [row.oid for row in lacking])
    explained = {}
    for row in lacking:
        kind = types.get(row.oid)
        if kind is None:
            explained[row.ref] = f"{row.ref}: points at {row.oid[:12]}, a missing object"
        elif kind != "commit":
            explained[row.ref] = f"{row.ref}: points at a {kind}, not a run commit"
    return [row._replace(error=explained[row.ref]) if row.ref in explained else row for row in rows]


def _listing(run: Run, clean: bool = False) -> tuple[Any, ...]:
    """The listing columns of a readable run (see _COLUMNS); ``clean``: it holds no lone
    surrogate (so no text needs checking for one)."""
    # The fields RunRow.of reads, taken straight from the run (no row object per run).
    scalars = (
        run.name, run.exit_code, run.git.commit, run.git.branch, run.ended_at, run.duration_s,
        run.user, run.host, run.note, _text_or_none(run.parent), _text_or_none(run.sweep),
    )  # fmt: skip
    lasts = {name: summary.last for name, summary in run.metrics.items()}
    verdict = run.reproduction.verdict if run.reproduction else None
    return _listing_of(
        scalars, run.command, run.tags, run.params, lasts, verdict, run.author,
        run.inputs_digest, clean,
    )  # fmt: skip


def _listing_of(
    scalars: tuple[Any, ...],
    command: Sequence[str],
    tags: Sequence[str],
    params: dict[str, Any],
    lasts: dict[str, float],
    verdict: str | None,
    author: str | None,
    inputs_digest: str | None,
    clean: bool,
) -> tuple[Any, ...]:
    metrics_of = {name: last if math.isfinite(last) else None for name, last in lasts.items()}
    params_text: str | None
    try:
        params_text = _strict(params, clean)
        plain = 1
    except ValueError:  # NaN or infinity: kept for compare, filtered in Python
        plain = 0
        try:
            params_text = _compact(params)
        except TypeError:  # a TOML date beside the NaN: read the record
            params_text = None
    except (TypeError, UnicodeEncodeError):  # TOML dates, lone surrogates: read the record
        params_text, plain = None, 0
    try:
        texts: tuple[str | None, ...] = (
            _strict(list(command), clean),
            _strict(list(tags), clean),
        )
        metrics: str | None = _strict(metrics_of, clean)
    except (TypeError, ValueError, UnicodeEncodeError):
        texts, metrics, params_text, plain = (None, None), None, None, 0
    provenance = (verdict, author, inputs_digest)
    if not clean and not all(_storable(value) for value in (*scalars, *provenance)):
        # Text SQLite cannot hold (lone surrogates from undecodable bytes): the row is read
        # from its record and filtered in Python.
        return (None,) * (COLUMN_COUNT - 19) + (0, None, None, None, None, None)
    flat_text: str | None = None
    if params_text is not None and any(
        isinstance(value, dict) and value for value in params.values()
    ):
        flat = flatten(params)
        flat_text = _strict(flat, clean) if plain else _compact(flat)
    line = None if texts[0] is None else command_line(command)
    return (*scalars, *texts, params_text, metrics, plain, *provenance, flat_text, line)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None  # as RunRow.of reads parent and sweep


def _storable(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, without the C encoder it builds again on every call: a row
    encodes six values (its summary, command, tags, params, metrics...), and building
    the encoder cost more than encoding most of them. The same C code writes the same
    text; without it (another Python), ``encoder.encode`` itself."""
    from json import encoder as json_encoder

    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return encoder.encode
    quote = (
        json_encoder.encode_basestring_ascii
        if encoder.ensure_ascii
        else json_encoder.encode_basestring
    )
    made = make(
        None,  # no check for cycles: values read from TOML have none
        encoder.default,
        quote,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    join = "".join
    return lambda data: join(made(data, 0))


# Made once: json.dumps with options builds an encoder on every call.
_STRICT = _one_shot(json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":")))
_COMPACT = _one_shot(json.JSONEncoder(separators=(",", ":")))
_SUMMARY = _one_shot(json.JSONEncoder(ensure_ascii=False, allow_nan=False))


def _strict(data: Any, clean: bool = False) -> str:
    text = _STRICT(data)
    if not clean:
        text.encode()
    return text


def _compact(data: Any) -> str:
    return _COMPACT(data)


def _note_refs(db: sqlite3.Connection, loose: Sequence[str] | None, stamp: git.RefsStamp) -> None:
    """Remember, in the update's transaction, the refs' state the index now reflects."""
    db.execute("DELETE FROM loose_refs")
    db.executemany("INSERT INTO loose_refs VALUES (?)", ((name,) for name in loose or ()))
    # Without the loose names the next refresh cannot take the short way: forget the packed
    # stamp so that it lists every ref.
    packed = stamp.packed if loose is not None else None
    db.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", [("packed", packed), ("loose", stamp.loose)]
    )


def _decode_record(record: bytes | None, record_toml: str | None, where: str) -> Run:
    data: dict[str, Any]
    if record is not None:
        data = json.loads(zlib.decompress(record))
    else:
        data = tomlcodec.loads(record_toml or "")
    return Run.from_run_dict(data, where)


# Python's sqlite3 connections sit in a reference cycle (their statement cache) and are
# freed only by a garbage collection: a command run in-process (the API, a test's CliRunner)
# would leave its index open, with its WAL file, until then. A RunIndex closes its own when
# it is freed, and the CLI closes those still held after each command (close_open_indexes).
_OPEN: weakref.WeakSet[RunIndex] = weakref.WeakSet()


def close_open_indexes() -> None:
    """Close every index this process still has open."""
    for index in list(_OPEN):
        index.close()


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

    def __exit__(self, *_: object) -> None:
        self.close()

    def open(self) -> None:
        """Open or create the index; a corrupt or foreign file is replaced."""
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as error:
            if not sqlite_.is_corruption(error):
                raise IndexUnavailable(str(error)) from error
            self.delete()
            try:
                self._db = self._connect()
            except (sqlite3.Error, OSError) as second:
                raise IndexUnavailable(str(second)) from second
        except OSError as error:
            raise IndexUnavailable(str(error)) from error
        _OPEN.add(self)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        _OPEN.discard(self)

    def __del__(self) -> None:
        # Its connection would outlive it, open, until a garbage collection (see _OPEN). A
        # collection may run on another thread (a transfer's worker), where sqlite refuses
        # close(); the connection closes itself when it is freed, right after.
        if self._db is not None:
            with contextlib.suppress(sqlite3.ProgrammingError):
                self._db.close()

    def delete(self) -> None:
        """Remove the index files (it is rebuilt on the next listing)."""
        sqlite_.delete_files(self.path)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexUnavailable("the index is not open")
        return self._db

    def _connect(self) -> sqlite3.Connection:
        return sqlite_.connect(self.path, BUSY_TIMEOUT_S, _prepare)

    # --- keeping it current -------------------------------------------------------------

    def refresh(self) -> int:
        """Bring the index up to the refs; return how many run.toml blobs were read."""
        db = self.db
        mirrors = git.ref_subfolders(self.repo, MIRROR_PREFIX)
        stamp, loose = git.loose_refs_state(
            self.repo,
            [RUNS_PREFIX, *(f"{folder}runs/" for folder in mirrors)],
            [MIRROR_PREFIX, *mirrors],
        )
        stored = git.RefsStamp(_meta(db, "packed"), _meta(db, "loose"))
        if stamp.trusted and stamp == stored:
            return 0
        scope: set[str] | None = None  # the refs looked at; None: every run ref
        if stamp.packed is not None and stamp.packed == stored.packed and loose is not None:
            names = set(loose) | {row[0] for row in db.execute("SELECT ref FROM loose_refs")}
            if len(names) <= NAMED_REFS_LIMIT:
                scope = names
        if scope is None:
            listed = git.list_refs(self.repo, RUNS_PREFIX, MIRROR_PREFIX)
            known = dict(db.execute("SELECT ref, oid FROM runs").fetchall())
        else:
            listed = git.list_named_refs(self.repo, sorted(scope))
            known = self._oids_of(scope)
        current = {ref: oid for ref, oid in listed if run_ref_id(ref) is not None}
        changed = [(ref, oid) for ref, oid in current.items() if known.get(ref) != oid]
        vanished = [ref for ref in (known if scope is None else scope) if ref not in current]
        # Parsed rows wait in a temporary table (memory stays flat at 100,000 new runs) and
        # join the index in one short transaction.
        db.execute("DELETE FROM temp.incoming")
        # The row that stands for each id among the new ones (its local ref, else its first
        # mirror): marked as they are stored, so that _apply only decides again for the ids
        # with rows from before (rewriting every new row would cost a tenth of a cold build).
        first: dict[str, tuple[bool, str]] = {}
        for ref, _ in changed:
            run_id, mirror = run_ref_id(ref) or (ref, False)
            if run_id not in first or (mirror, ref) < first[run_id]:
                first[run_id] = (mirror, ref)
        progress = _Progress(len(changed))
        empty = scope is None and not known  # a first build (no runs, or a new index)
        if empty and changed and self._fill_empty(changed, first, loose, stamp, progress):
            progress.done()
            return len(changed)
        insert = f"INSERT OR REPLACE INTO temp.incoming VALUES ({', '.join('?' * COLUMN_COUNT)})"
        with cycle_collection_paused():  # rows by the thousand, no cycles among them
            for rows in self._parsed_rows(changed):
                rows = with_commit_times(self.repo, explain_missing(self.repo, rows))
                progress.advance(len(rows))
                db.executemany(
                    insert,
                    (row.values(int(first.get(row.id) == (row.mirror, row.ref))) for row in rows),
                )
        self._apply(vanished, loose, stamp)
        progress.done()
        return len(changed)

    def _fill_empty(
        self,
        changed: Sequence[tuple[str, str]],
        first: dict[str, tuple[bool, str]],
        loose: Sequence[str] | None,
        stamp: git.RefsStamp,
        progress: _Progress,
    ) -> bool:
        """Build an empty index (a first listing) by writing each row to ``runs`` and
        ``records`` as it is parsed, in one transaction taken first; False, with nothing
        done, when another runledger is writing the index or has filled it meanwhile (the
        caller stages the rows then, as every other update does).

        Staging 100,000 rows and copying them over cost a third of a first listing, all
        of it after the parsing workers were done. Readers still see the index empty or
        whole; another runledger building it at the same time finds the write lock taken,
        builds its own rows aside and replaces these with the same rows afterwards."""
        db = self.db
        db.execute("PRAGMA busy_timeout = 0")
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False  # locked by another writer: do not wait for it here
        finally:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        try:
            filled = db.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is not None
            if filled or _meta(db, "format") != _format_stamp():
                db.execute("ROLLBACK")
                return False
            insert = f"INSERT INTO runs VALUES ({', '.join('?' * COLUMN_COUNT)})"
            with cycle_collection_paused():
                for rows in self._parsed_rows(changed):
                    rows = with_commit_times(self.repo, explain_missing(self.repo, rows))
                    progress.advance(len(rows))
                    db.executemany(
                        insert,
                        (
                            row._replace(record_toml=None).values(
                                int(first.get(row.id) == (row.mirror, row.ref))
                            )
                            for row in rows
                        ),
                    )
                    db.executemany(
                        "INSERT INTO records VALUES (?, ?)",
                        ((row.ref, row.record_toml) for row in rows if row.record_toml is not None),
                    )
            _note_refs(db, loose, stamp)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return True

    def _oids_of(self, refs: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        wanted = list(refs)
        for start in range(0, len(wanted), _QUERY_CHUNK):
            chunk = wanted[start : start + _QUERY_CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.db.execute(f"SELECT ref, oid FROM runs WHERE ref IN ({marks})", chunk)
            )
        return found

    def _parsed_rows(self, refs: Sequence[tuple[str, str]]) -> Iterator[list[_Row]]:
        """The rows of ``refs``, a chunk at a time; parsing spreads over the cores when many.

        A record is parsed once for all the refs of its id that point at it: after a pull,
        a run's own ref and its remote's mirror ref share one commit (100,000 records were
        parsed twice in the first listing after a fresh clone's pull)."""
        if not refs:
            return
        unique: list[tuple[str, str]] = []
        same: dict[tuple[str, str], list[str]] = {}  # (id, oid) -> the refs sharing it
        for ref, oid in refs:
            run_id = (run_ref_id(ref) or (ref, False))[0]
            sharing = same.setdefault((run_id, oid), [])
            if not sharing:
                unique.append((ref, oid))
            sharing.append(ref)
        for rows in self._parsed_unique(unique):
            shared: list[_Row] = []
            for row in rows:
                for ref in same[(row.id, row.oid)][1:]:
                    # An error names its ref: such a (rare) record is read again for it.
                    shared.append(
                        row._replace(ref=ref, mirror=(run_ref_id(ref) or (ref, False))[1])
                        if row.error is None
                        else self._row_read_again(ref, row.oid)
                    )
            yield rows + shared if shared else rows

    def _row_read_again(self, ref: str, oid: str) -> _Row:
        with git.CatFile(self.repo) as cat:
            [(_, content)] = cat.read_many_within([f"{oid}:{RUN_FILE}"], READ_LIMIT_BYTES[RUN_FILE])
        if isinstance(content, git.ObjectTooLarge):
            return too_large_row(ref, oid, content.size)
        return row_for(ref, oid, content)

    def _parsed_unique(self, refs: Sequence[tuple[str, str]]) -> Iterator[list[_Row]]:
        from concurrent.futures import BrokenExecutor

        pool = _parsing_pool(len(refs))
        pending: list[
            tuple[Future[list[tuple[Any, ...]]], list[tuple[str, str, bytes | None]]]
        ] = []
        try:
            with git.CatFile(self.repo) as cat:
                for start in range(0, len(refs), _READ_CHUNK):
                    chunk = refs[start : start + _READ_CHUNK]
                    specs = [f"{oid}:{RUN_FILE}" for _, oid in chunk]
                    read = cat.read_many_within(specs, READ_LIMIT_BYTES[RUN_FILE])
                    items: list[tuple[str, str, bytes | None]] = []
                    too_large: list[_Row] = []
                    for (ref, oid), (_, content) in zip(chunk, read, strict=True):
                        if isinstance(content, git.ObjectTooLarge):
                            too_large.append(too_large_row(ref, oid, content.size))
                        else:
                            items.append((ref, oid, content))
                    if too_large:
                        yield too_large
                    if pool is None:
                        yield _rows_of(items)
                        continue
                    try:
                        pending.append((pool.submit(_packed_rows_of, items), items))
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
        self, vanished: Sequence[str], loose: Sequence[str] | None, stamp: git.RefsStamp
    ) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if _meta(db, "format") != _format_stamp():
                db.execute("ROLLBACK")  # rebuilt meanwhile by another runledger: leave it be
                return
            db.execute("DELETE FROM temp.affected")
            db.execute("INSERT OR IGNORE INTO temp.affected SELECT id FROM temp.incoming")
            for start in range(0, len(vanished), _QUERY_CHUNK):
                chunk = list(vanished[start : start + _QUERY_CHUNK])
                marks = ",".join("?" * len(chunk))
                db.execute(
                    "INSERT OR IGNORE INTO temp.affected "
                    f"SELECT id FROM runs WHERE ref IN ({marks})",
                    chunk,
                )
                db.execute(f"DELETE FROM runs WHERE ref IN ({marks})", chunk)
                db.execute(f"DELETE FROM records WHERE ref IN ({marks})", chunk)
            db.execute("DELETE FROM records WHERE ref IN (SELECT ref FROM temp.incoming)")
            db.execute(
                "INSERT INTO records SELECT ref, record_toml FROM temp.incoming "
                "WHERE record_toml IS NOT NULL"
            )
            db.execute(f"INSERT OR REPLACE INTO runs SELECT {_STORED} FROM temp.incoming")
            # The row standing for each touched id: its local ref, else its first mirror.
            # The new rows came marked (refresh); the ids that also have older rows, or lost
            # some, are decided here over all their rows.
            db.execute(
                "UPDATE runs SET effective = (rowid = (SELECT r.rowid FROM runs r "
                "WHERE r.id = runs.id ORDER BY r.mirror, r.ref LIMIT 1)) "
                "WHERE id IN (SELECT a.id FROM temp.affected a WHERE EXISTS (SELECT 1 "
                "FROM runs o WHERE o.id = a.id AND o.ref NOT IN (SELECT ref FROM temp.incoming)))"
            )
            _note_refs(db, loose, stamp)
            db.execute("COMMIT")
        except BaseException:
            for undo in ("ROLLBACK", "DELETE FROM temp.incoming"):
                with contextlib.suppress(sqlite3.Error):
                    db.execute(undo)
            raise
        # The rows staged in temp.incoming stay there until the next refresh empties it, or
        # until the connection closes (after each command) and SQLite drops its temporary
        # tables: deleting them cost 8 µs a run, a sixth of a cold build's time in SQLite.

    # --- reading ------------------------------------------------------------------------

    def runs(self) -> Iterator[Run]:
        """Every readable run, newest first (by start time, then id)."""
        query = (
            f"SELECT ref, record, {_RECORD_TOML} FROM runs WHERE effective = 1 AND error IS NULL "
            "ORDER BY listed_at DESC, id DESC"
        )
        for ref, record, record_toml in self.db.execute(query):
            yield _decode_record(record, record_toml, ref)

    def runs_for(self, refs: Sequence[str]) -> Iterator[tuple[str, Run | None, str | None]]:
        """(ref, run or None, error) for each of ``refs`` the index holds, in that order."""
        found: dict[str, tuple[bytes | None, str | None, str | None]] = {}
        for start in range(0, len(refs), _QUERY_CHUNK):
            chunk = list(refs[start : start + _QUERY_CHUNK])
            marks = ",".join("?" * len(chunk))
            for ref, record, record_toml, error in self.db.execute(
                f"SELECT ref, record, {_RECORD_TOML}, error FROM runs WHERE ref IN ({marks})",
                chunk,
            ):
                found[ref] = (record, record_toml, error)
        for ref in refs:
            if ref in found:
                record, record_toml, error = found[ref]
                if error is not None:
                    yield ref, None, error
                else:
                    yield ref, _decode_record(record, record_toml, ref), None

    def bad_refs(self) -> list[tuple[str, str, str]]:
        """(ref, oid, error) of every run ref, effective or not, that is not a readable run."""
        return list(
            self.db.execute("SELECT ref, oid, error FROM runs WHERE error IS NOT NULL ORDER BY ref")
        )

    def errors(self) -> list[tuple[str, str]]:
        """(ref, error) of every run whose record cannot be read."""
        return list(
            self.db.execute(
                "SELECT ref, error FROM runs WHERE effective = 1 AND error IS NOT NULL ORDER BY ref"
            )
        )

    def summaries(
        self, status: str | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str]]:
        """(id, ``ls --json`` object on one line) of each readable run, newest first; only
        those ``ids`` names when given."""
        # The record only for the rare run whose object could not be stored: reading every
        # run's run.toml beside its summary cost half of ``ls --json``.
        query = (
            "SELECT ref, id, summary, CASE WHEN summary IS NULL THEN record END, "
            f"CASE WHEN summary IS NULL THEN {_RECORD_TOML} END FROM runs "
        )
        query += "WHERE effective = 1 AND error IS NULL"
        args: list[Any] = []
        if ids is not None:
            self._want(ids)
            query += " AND id IN (SELECT id FROM temp.wanted)"
        if status is not None:
            query += " AND status = ?"
            args.append(status)
        query += " ORDER BY listed_at DESC, id DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        for ref, run_id, summary, record, record_toml in self.db.execute(query, args):
            if summary is None:
                summary = summary_text(_decode_record(record, record_toml, ref))
            yield run_id, summary

    def refs(self, prefix: str = "") -> list[tuple[str, str, str, bool]]:
        """(id, oid, ref, is a mirror) of each run whose id starts with ``prefix``: local refs
        first, then mirrored ones, each in ref order."""
        query = "SELECT id, oid, ref, mirror FROM runs WHERE effective = 1"
        args: list[str] = []
        if not prefix.isascii():  # run ids are ascii: nothing matches (and sqlite wants UTF-8)
            return []
        if prefix:
            query += " AND id >= ? AND id < ?"
            args += [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
        query += " ORDER BY mirror, ref"
        return [
            (run_id, oid, ref, bool(mirror))
            for run_id, oid, ref, mirror in self.db.execute(query, args)
        ]

    def file_candidates(self, keys: Sequence[str]) -> list[tuple[str, str, str, bool]]:
        """(id, oid, ref, is a mirror) of each run whose files.toml holds one of ``keys``
        (store/filekeys.py); the files.toml of runs not looked at before are read first,
        once, through one ``git cat-file`` process."""
        from runledger.store import filekeys

        unread = [
            oid
            for (oid,) in self.db.execute(
                "SELECT DISTINCT oid FROM runs WHERE effective = 1 AND error IS NULL "
                "AND oid NOT IN (SELECT oid FROM files_read)"
            )
        ]
        if unread:
            with git.CatFile(self.repo) as cat:
                found = cat.read_many(f"{oid}:{FILES_FILE}" for oid in unread)
                # In key order, each insert lands beside the last in file_keys_key: 400,000
                # keys (100,000 runs) in read order scattered them over the whole index.
                pairs = sorted(
                    (key, oid)
                    for oid, (_, content) in zip(unread, found, strict=True)
                    for key in filekeys.keys_of(content)
                )
            with sqlite_.transaction(self.db):
                self.db.executemany("INSERT INTO file_keys VALUES (?, ?)", pairs)
                self.db.executemany(
                    "INSERT OR IGNORE INTO files_read VALUES (?)", ((oid,) for oid in unread)
                )
        marks = ", ".join("?" * len(keys))
        query = (
            "SELECT id, oid, ref, mirror FROM runs WHERE effective = 1 AND oid IN "
            f"(SELECT oid FROM file_keys WHERE key IN ({marks})) ORDER BY mirror, ref"
        )
        return [
            (run_id, oid, ref, bool(mirror))
            for run_id, oid, ref, mirror in self.db.execute(query, list(keys))
        ]

    def rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        limit: int | None = None,
        ids: Sequence[str] | None = None,
        reproducing: bool = False,
        top_level: bool = False,
    ) -> Iterator[tuple[RunRow, bool]]:
        """(row, decided) of each readable run, newest first: those for which the SQL
        condition ``where`` (query/where_sql.py) is 1 (decided) or NULL (not decided: the
        caller filters in Python); only the runs ``ids`` names when given, or with
        ``reproducing`` those that reproduce one of them; with ``top_level``, not the child
        runs whose parent is here (``ls`` counts them on their parent's row)."""
        self._fill_team_tags(team_tags if where is not None and "team_tags" in where else None)
        decided = "1" if where is None else f"({where})"
        query = f"SELECT {_ROW_COLUMNS}, {decided} FROM runs WHERE effective = 1 AND error IS NULL"
        if top_level:
            query += f" AND {_TOP_LEVEL}"
        if where is not None:
            query += f" AND {decided} IS NOT 0"
        args: list[Any] = []
        if ids is not None:
            self._want(ids)
            column = "reproduces" if reproducing else "id"
            query += f" AND {column} IN (SELECT id FROM temp.wanted)"
        query += " ORDER BY listed_at DESC, id DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        team = team_tags or {}
        cursor = self.db.execute(query, args)
        while chunk := cursor.fetchmany(_ROW_CHUNK):
            # One JSON text a chunk: one decoder call, not one a run (a third less time).
            texts = [found[16] for found in chunk if found[16] is not None]
            values = iter(_loads("[" + ",".join(texts) + "]") if texts else ())
            for found in chunk:
                held = None if found[16] is None else next(values)
                yield _row_of(found, team, held), found[-1] == 1

    def table_rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> Iterator[tuple[TableRow | RunRow, bool]]:
        """(row, decided) as :meth:`rows` gives them, for ``compare``: a TableRow (no
        command, tags or note) for each run the SQL ``where`` kept (1) whose params and
        metrics the index holds, so that only those are decoded; a RunRow from
        :meth:`rows` for the others, those ``where`` left undecided (the caller filters
        them with every field) and those whose values only their record holds."""
        self._fill_team_tags(team_tags if where is not None and "team_tags" in where else None)
        decided = "1" if where is None else f"({where})"
        query = f"SELECT {_TABLE_COLUMNS}, {decided} FROM runs "
        query += "WHERE effective = 1 AND error IS NULL"
        if where is not None:
            query += f" AND {decided} IS NOT 0"
        if ids is not None:
            self._want(ids)
            query += " AND id IN (SELECT id FROM temp.wanted)"
        query += " ORDER BY listed_at DESC, id DESC"
        found = self.db.execute(query).fetchall()
        narrow = [row[8] for row in found if row[9] == 1 and row[8] is not None]
        # One JSON text for them all: one decoder call, not one a run (a third less time).
        values = iter(_loads("[" + ",".join(narrow) + "]") if narrow else ())
        others = [row[0] for row in found if row[9] != 1 or row[8] is None]
        full = {}
        if others:
            full = {row.id: (row, ok) for row, ok in self.rows(where, team_tags, None, others)}
        new = tuple.__new__
        for row in found:
            if row[9] == 1 and row[8] is not None:
                yield new(TableRow, (*row[:8], *next(values))), True
            elif row[0] in full:
                yield full[row[0]]

    def frame_rows(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> Iterator[tuple[FrameRow | RunRow, bool]]:
        """(row, decided) as :meth:`table_rows` gives them, for ``load_runs``: a FrameRow for
        each run the SQL ``where`` kept whose values the index holds as JSON; a RunRow from
        :meth:`rows` for the others (those ``where`` left undecided, those whose values only
        their record holds)."""
        self._fill_team_tags(team_tags if where is not None and "team_tags" in where else None)
        decided = "1" if where is None else f"({where})"
        query = f"SELECT {_FRAME_COLUMNS}, {decided} FROM runs "
        query += "WHERE effective = 1 AND error IS NULL"
        if where is not None:
            query += f" AND {decided} IS NOT 0"
        query += " ORDER BY listed_at DESC, id DESC"
        # A chunk at a time, so that only the rows made stay (at 100,000 runs the texts
        # fetched would hold a tenth of load_runs' peak); the others (None here) are read
        # once the query is done.
        made: list[tuple[FrameRow | RunRow, bool] | str] = []
        others: list[str] = []
        new = tuple.__new__
        cursor = self.db.execute(query)
        while chunk := cursor.fetchmany(_FRAME_CHUNK):
            held = [row[14] for row in chunk if row[15] == 1 and None not in row[13:15]]
            # One JSON text a chunk: one decoder call, not one a run.
            values = iter(_loads("[" + ",".join(held) + "]") if held else ())
            for row in chunk:
                if row[15] == 1 and None not in row[13:15]:
                    made.append((new(FrameRow, (*row[:14], *next(values))), True))
                else:
                    made.append(row[0])
                    others.append(row[0])
        full = {}
        if others:
            full = {row.id: (row, ok) for row, ok in self.rows(where, team_tags, None, others)}
        for item in made:
            if not isinstance(item, str):
                yield item
            elif item in full:
                yield full[item]

    def _want(self, ids: Sequence[str]) -> None:
        """Fill the temporary table ``wanted`` with ``ids`` (a query then joins it)."""
        self.db.execute("DELETE FROM temp.wanted")
        self.db.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)", ((i,) for i in ids))

    def count(self, top_level: bool = False) -> int:
        """How many readable runs there are (with ``top_level``, as :meth:`rows` says)."""
        query = "SELECT count(*) FROM runs WHERE effective = 1 AND error IS NULL"
        if top_level:
            query += f" AND {_TOP_LEVEL}"
        return int(self.db.execute(query).fetchone()[0])

    def child_counts(self, parents: Sequence[str]) -> dict[str, int]:
        """Parent id -> how many readable child runs name it, for those of ``parents`` with any."""
        self._want(parents)
        query = (
            "SELECT parent, count(*) FROM runs WHERE effective = 1 AND error IS NULL "
            f"AND parent IN (SELECT id FROM temp.wanted) AND {_CHILD_HERE} GROUP BY parent"
        )
        return {parent: int(count) for parent, count in self.db.execute(query)}

    def _fill_team_tags(self, team_tags: dict[str, list[str]] | None) -> None:
        self.db.execute("DELETE FROM temp.team_tags")
        if team_tags:
            self.db.executemany(
                "INSERT INTO temp.team_tags VALUES (?, ?)",
                ((run_id, tag) for run_id, names in team_tags.items() for tag in names),
            )

    def reproduced(self) -> dict[str, list[str]]:
        """Run id -> the refs of the readable runs that reproduce it."""
        found: dict[str, list[str]] = {}
        for original, ref in self.db.execute(
            "SELECT reproduces, ref FROM runs WHERE effective = 1 AND error IS NULL "
            "AND reproduces IS NOT NULL"
        ):
            found.setdefault(original, []).append(ref)
        return found

    def reproducers(self, run_id: str) -> list[str]:
        """Refs of the readable runs that reproduce ``run_id``."""
        return [
            ref
            for (ref,) in self.db.execute(
                "SELECT ref FROM runs WHERE effective = 1 AND error IS NULL AND reproduces = ? "
                "ORDER BY ref",
                (run_id,),
            )
        ]

    def refs_mentioning(self, text: str) -> list[str]:
        """Refs of the readable runs whose ``ls --json`` object contains ``text`` (a quick
        first pass: callers check the runs themselves)."""
        return [
            ref
            for (ref,) in self.db.execute(
                "SELECT ref FROM runs WHERE effective = 1 AND error IS NULL "
                "AND (summary IS NULL OR instr(summary, ?) > 0) ORDER BY mirror, ref",
                (text,),
            )
        ]


def open_current(repo: git.Repo) -> RunIndex | None:
    """The repository's index, open and brought up to date, or None when it cannot be used
    here.

    Every problem with the index (a read-only git directory, a full disk, a lock held for
    too long) makes the caller read the refs directly: the index is never a reason to fail.
    """
    index = RunIndex(repo)
    try:
        index.open()
        index.refresh()
    except (IndexUnavailable, sqlite3.Error, OSError) as error:
        index.close()
        if isinstance(error, sqlite3.Error) and sqlite_.is_corruption(error):
            # Found corrupt after opening: this command reads the refs, the next rebuilds it.
            with contextlib.suppress(OSError):
                index.delete()
        return None
    return index


@contextlib.contextmanager
def current_index(repo: git.Repo) -> Iterator[RunIndex | None]:
    """:func:`open_current` for one block: the index is closed after it."""
    index = open_current(repo)
    try:
        yield index
    finally:
        if index is not None:
            index.close()


def _row_of(
    found: tuple[Any, ...], team_tags: dict[str, list[str]], held: list[Any] | None = None
) -> RunRow:
    """A RunRow from the columns of ``_ROW_COLUMNS``; ``held``: their JSON (command, tags,
    params, metrics) when decoded already."""
    team = tuple(team_tags.get(found[0], ()))
    if held is None and found[16] is not None:
        held = _loads(found[16])
    if held is None:  # values JSON cannot hold (TOML dates): from the record
        run = _decode_record(found[18], found[19], found[17])
        return replace(RunRow.of(run), team_tags=team)
    command, tags, params, metrics = held
    # Positional, in RunRow's field order (the fastest way to build one).
    return RunRow(
        found[0], found[1], found[2], found[3], found[4], tuple(command), found[5], found[6],
        found[7], found[8], found[9], found[10], found[20], params, metrics, tuple(tags), team,
        found[11], found[12], found[13], found[14], found[21], found[15],
    )  # fmt: skip


_loads = json.JSONDecoder().decode


def _result(
    future: Future[list[tuple[Any, ...]]], items: Sequence[tuple[str, str, bytes | None]]
) -> list[_Row]:
    from concurrent.futures import BrokenExecutor

    try:
        packed = future.result()
    except BrokenExecutor:  # a worker died (out of memory?): parse here instead
        return _rows_of(items)
    new = tuple.__new__
    return [
        new(
            _Row,
            (*row[:_TOML_AT], _text_of(content) if row[_TOML_AT] else None, *row[_TOML_AT + 1 :]),
        )
        for row, (_, _, content) in zip(packed, items, strict=True)
    ]


def _rows_of(items: Sequence[tuple[str, str, bytes | None]]) -> list[_Row]:
    return [row_for(ref, oid, content) for ref, oid, content in items]


_TOML_AT = _Row._fields.index("record_toml")


def _packed_rows_of(items: Sequence[tuple[str, str, bytes | None]]) -> list[tuple[Any, ...]]:
    """A worker's rows as it sends them back: plain tuples (a named tuple pickles with its
    class, at twice the cost), without the run.toml text that the caller has already (it
    is a half of the bytes). :func:`_result` makes rows of them again."""
    return [
        (*row[:_TOML_AT], row.record_toml is not None, *row[_TOML_AT + 1 :])
        for row in _rows_of(items)
    ]


def _text_of(content: bytes | None) -> str:
    return content.decode() if content is not None else ""


def _start_worker() -> None:
    """A parsing worker: without the cycle collector, ended with its parent."""
    # Parsing makes no reference cycles, but its many new dicts and lists set off
    # collections that walk everything the worker holds (and inherited): a sixth of its
    # time, and more or less of it from one build to the next.
    gc.disable()
    _die_with_parent()


def _die_with_parent() -> None:
    """Have the kernel end this worker when the process that forked it dies, even by
    SIGKILL: a parser blocked on its queue would otherwise wait forever."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class _Progress:
    """``indexing runs: 41% (41,000 of 100,000)`` on a terminal's stderr, once building the
    index has taken more than PROGRESS_AFTER_S; cleared when done."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0
        self.start = time.monotonic()
        self.shown = False
        self.enabled = total > 0 and sys.stderr.isatty()

    def advance(self, count: int) -> None:
        self.count += count
        if not self.enabled or time.monotonic() - self.start < PROGRESS_AFTER_S:
            return
        share = self.count / self.total
        width = 30
        bar = "█" * int(share * width) + "░" * (width - int(share * width))
        sys.stderr.write(
            f"\rrunledger: indexing runs {bar} {share:4.0%} ({self.count:,} of {self.total:,})"
        )
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _parsing_pool(count: int) -> ProcessPoolExecutor | None:
    """Worker processes for parsing ``count`` run.toml files, when that pays.

    tomllib parses about 1,500 run.toml files a second on one core (tomli's compiled wheel,
    used when installed, about 5,000), so a first listing of
    10,000 runs is mostly parsing. Workers are forked (Linux only: fork is the cheap way, and
    only safe before any thread starts, so the pool is started before git's reader thread).
    """
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)
    if count < PARALLEL_MIN or workers < 2 or sys.platform != "linux":
        return None
    import multiprocessing
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
        )
        pool.submit(int).result()  # forks every worker now, while this process has one thread
    except (OSError, BrokenExecutor):
        return None
    return pool


def _prepare(db: sqlite3.Connection) -> None:
    stamp = _format_stamp()

    def stale(db: sqlite3.Connection) -> bool:
        return sqlite_.user_version(db) != LAYOUT_VERSION or _meta(db, "format") != stamp

    def create(db: sqlite3.Connection) -> None:
        # Derived data: an index of another layout or version is dropped, not migrated.
        for statement in _LAYOUT.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('format', ?)", (stamp,))
        db.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    sqlite_.rebuild_if(db, stale, create)
    for statement in _TEMP_TABLES:
        db.execute(statement)


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # no meta table yet
        return None
    return None if row is None else row[0]
