"""The keys under which the run index finds a run by the files it read or wrote (``which``).

A run's files.toml records each input and artifact with its size and sha256, or, for a
file git already tracks, its size and git blob id alone. The index keeps, per run commit,
``sha256:<hex>`` for every hash and ``size:<bytes>`` for every file known by its blob id;
``which FILE`` then looks its hash and size up instead of reading every run's files.toml.
The keys only choose candidates: each candidate's record is still read and checked in full
(analysis/lineage.py), so a key too many costs a read and never a wrong answer.
"""

from __future__ import annotations

import re
from typing import Any

from runledger.model import tomlcodec

_SHA256_LINE = re.compile(rb'^sha256 = "([0-9a-f]{64})"$', re.MULTILINE)
_SIZE_LINE = re.compile(rb"^size = ([0-9]+)$", re.MULTILINE)


def sha256_key(sha256: str) -> str:
    return f"sha256:{sha256}"


def size_key(size: int) -> str:
    return f"size:{size}"


def keys_of(content: bytes | None) -> set[str]:
    """The lookup keys of one files.toml (empty for none, or one that cannot be read)."""
    if not content:
        return set()
    hashes = _SHA256_LINE.findall(content)
    if len(hashes) == content.count(b"sha256") and content.count(b"git_blob") == 0:
        # Laid out as runledger writes it: the lines are the whole story, no parse needed.
        return {sha256_key(found.decode()) for found in hashes}
    return _parsed_keys(content)


def _parsed_keys(content: bytes) -> set[str]:
    try:
        data = tomlcodec.loads(content.decode())
    except (ValueError, UnicodeDecodeError, TypeError):
        # Unreadable: what its lines say, so ``which`` still reads it (and reports it) when
        # it may hold the file.
        return {size_key(int(size)) for size in _SIZE_LINE.findall(content)} | {
            sha256_key(found.decode()) for found in _SHA256_LINE.findall(content)
        }
    keys: set[str] = set()
    for tables in data.values():
        if not isinstance(tables, list):
            continue
        for table in tables:
            if isinstance(table, dict):
                keys |= _table_keys(table)
    return keys


def _table_keys(table: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    sha256 = table.get("sha256")
    if isinstance(sha256, str):
        keys.add(sha256_key(sha256.lower()))
    size = table.get("size")
    if "git_blob" in table and isinstance(size, int) and not isinstance(size, bool):
        keys.add(size_key(size))
    return keys
