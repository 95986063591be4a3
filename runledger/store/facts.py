"""Mutable facts about runs (team tags, notes) as small commit chains under refs/runledger/.

Runs never change; what people say about them does. Each such fact has its own ref whose
commits form a chain: every change is a commit holding one TOML file (the new state) whose
parent is the previous state, so the whole history stays readable with plain git
(``git log refs/runledger/tags/production``). When two clones changed the same fact, merging
is a choice between two chains, made by a merge commit that keeps both as parents.

Merge commits are deterministic (a fixed identity and a time taken from the facts themselves),
so two clones that merge the same two chains independently write the very same commit and
their next sync has nothing left to merge.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from runledger.errors import CorruptRecordError
from runledger.model import tomlcodec
from runledger.store import git

SCHEMA_VERSION = 1
MERGE_IDENT = "runledger <runledger@localhost>"
CAS_ATTEMPTS = 5
# What a reader takes of a chain's file, which anyone with push access may have written: every
# listing reads every tag. runledger writes a tag.toml of a few hundred bytes and notes of at
# most 10,000 characters each; a pulled 50 MB tag.toml cost each `ls` 230 MB of memory.
READ_LIMIT_BYTES = {"tag.toml": 1 << 20, "notes.toml": 16 << 20}


def now_iso(timestamp: float | None = None) -> str:
    """UTC time as ISO 8601 with milliseconds, the format runs use."""
    moment = datetime.fromtimestamp(time.time() if timestamp is None else timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_seconds(iso: str) -> int:
    """Seconds since the epoch of an ISO time written by :func:`now_iso` (0 if unreadable)."""
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def current_ident(repo: git.Repo) -> str:
    """Who is changing a fact: git's committer identity, else user@host."""
    ident = git.committer_ident(repo)
    if ident:
        return ident
    import getpass  # here: every listing imports this module, few write a fact
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return git.format_ident(user, f"{user}@{socket.gethostname()}")


def write_commit(
    repo: git.Repo,
    filename: str,
    document: Mapping[str, Any],
    parents: Sequence[str],
    ident: str,
    timestamp: int,
    message: str,
) -> str:
    """One commit of a chain: a tree with ``filename`` holding ``document`` as TOML."""
    writer = git.ObjectWriter(repo)
    blob = writer.blob(tomlcodec.dumps({"schema": SCHEMA_VERSION, **document}).encode())
    tree = writer.flat_tree({filename: blob})
    return writer.commit(tree, parents, ident, timestamp, message)


def read(cat: git.CatFile, spec: str, filename: str) -> bytes | git.ObjectTooLarge | None:
    """The content of ``spec`` (``<commit>:<filename>``) up to its file's read limit: the
    ObjectTooLarge (its bytes read past) over it, None when there is no such file."""
    try:
        return cat.read(spec, READ_LIMIT_BYTES[filename])
    except git.ObjectTooLarge as too_large:
        return too_large


def read_many(
    cat: git.CatFile, specs: Sequence[str], filename: str
) -> list[bytes | git.ObjectTooLarge | None]:
    """:func:`read` of each of ``specs``, in one pipelined batch."""
    limit = READ_LIMIT_BYTES[filename]
    return [content for _, content in cat.read_many_within(specs, limit)]


def parse(content: bytes | git.ObjectTooLarge | None, where: str) -> dict[str, Any]:
    """The TOML document of one chain commit; CorruptRecordError when it cannot be read."""
    if content is None:
        raise CorruptRecordError(f"{where}: the file is missing")
    if isinstance(content, git.ObjectTooLarge):
        raise CorruptRecordError(
            f"{where}: {content.size / (1 << 20):.1f} MiB, more than runledger reads of such a "
            "file (runledger never writes one so large)"
        )
    try:
        data = tomlcodec.loads(content.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptRecordError(f"{where}: not valid TOML ({exc})") from exc
    schema = data.get("schema")
    if not isinstance(schema, int):
        raise CorruptRecordError(f"{where}: no schema version")
    if schema > SCHEMA_VERSION:
        raise CorruptRecordError(
            f"{where}: written by a newer runledger (schema {schema}): upgrade runledger"
        )
    return data
