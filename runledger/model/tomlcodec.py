"""The one place that turns Python values into TOML text and back.

Every file runledger stores (run.toml, metrics.toml, environment.toml, files.toml) goes through
:func:`dumps` and :func:`loads`, so that any JSON-like value survives the round trip exactly.

TOML cannot say everything a Python value can, so these are written as *marker tables*: inline
tables whose key ``__runledger__`` names what they stand for. Plain ``tomllib`` (or
``git show REF:run.toml``) reads them as ordinary tables::

    lost = { __runledger__ = "null" }                            # None
    seed = { __runledger__ = "bigint", value = "18446744073709551616" }  # int outside int64
    odd = { __runledger__ = "dict", value = { __runledger__ = 1 } }     # a user's dict whose
                                                                         # keys include the marker
    arg = { __runledger__ = "str", text = "bad\\xff.pt", hex = "626164eda0bf2e7074" }
                                              # a string with lone surrogates (bytes not UTF-8)

The last one exists because command lines and file names that are not valid UTF-8 reach Python
as strings with lone surrogates, which a UTF-8 TOML file cannot hold: ``hex`` is the string's
UTF-8 bytes with each surrogate written as Python's ``surrogatepass`` does, so it comes back
exactly; ``text`` is the same string with each byte that was not UTF-8 written ``\\xNN``, for
people reading the file with plain git (readers use ``hex``; older files lack ``text``).
Keys must be valid UTF-8 (``ValueError`` otherwise): callers clean user-typed keys.

Everything else is native TOML:

- bool, str, and int within signed 64 bits are written as themselves;
- floats too, including ``nan``, ``inf`` and ``-inf`` (TOML has them) and ``-0.0``;
- dicts become tables; keys may be any string (empty, dotted, spaced, unicode), quoted as needed;
- lists and tuples become arrays (tuples come back as lists); TOML 1.0 allows mixed arrays;
- ``datetime``, ``date`` and ``time`` stay TOML dates and times.

Any other type raises ``TypeError``: a bug in the caller, not something to store silently.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

import tomli_w

MARKER: Final = "__runledger__"
NULL: Final = "null"
BIGINT: Final = "bigint"
DICT: Final = "dict"
STR: Final = "str"

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

_NATIVE_SCALARS: Final = (bool, float, datetime.datetime, datetime.date, datetime.time)


class MarkerError(ValueError):
    """A ``__runledger__`` marker table is malformed (e.g. a TOML file edited by hand)."""


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text for ``data``; :func:`loads` gives back an equal dict."""
    encoded = encode(data)
    if not isinstance(encoded, dict):
        raise TypeError(f"top level must be a mapping, got {type(data).__name__}")
    return tomli_w.dumps(encoded)


def loads(text: str) -> dict[str, Any]:
    """The dict that :func:`dumps` wrote as ``text``."""
    if MARKER not in text:
        # runledger's own shape, read without tomli (a third of its time), or None
        from runledger.model import tomlfast

        fast = tomlfast.loads(text)
        if fast is not None:
            return fast  # no escapes and no marker table in it: nothing to decode
    from runledger import tomlread  # only readers need it: exec writes and never parses

    parsed = tomlread.loads(text)
    if MARKER not in text and "\\u" not in text and "\\U" not in text:
        return parsed  # no marker table can be in it: skip the walk over every value
    decoded = decode(parsed)
    if not isinstance(decoded, dict):
        raise MarkerError("top-level marker table does not stand for a table")
    return decoded


def encode(value: Any) -> Any:
    """``value`` with None, huge ints and marker-like dicts replaced by marker tables."""
    if value is None:
        return {MARKER: NULL}
    if isinstance(value, str):
        if _is_utf8(value):
            return value
        return {MARKER: STR, "text": escaped_bytes(value), "hex": _surrogate_hex(value)}
    if isinstance(value, _NATIVE_SCALARS):
        return value
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return value
        return {MARKER: BIGINT, "value": str(value)}
    if isinstance(value, Mapping):
        return _encode_mapping(value)
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    raise TypeError(f"cannot store a value of type {type(value).__name__} in TOML: {value!r}")


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`: marker tables become the values they stand for."""
    if isinstance(value, dict):
        if MARKER in value:
            return _decode_marker(value)
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def _encode_mapping(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, item in mapping.items():
        if not isinstance(key, str):
            raise TypeError(f"TOML keys must be strings, got {type(key).__name__}: {key!r}")
        if not _is_utf8(key):
            raise ValueError(f"TOML keys must be valid UTF-8 text: {key!r}")
        table[key] = encode(item)
    if MARKER in table:
        return {MARKER: DICT, "value": table}
    return table


def _decode_marker(table: dict[str, Any]) -> Any:
    kind = table[MARKER]
    fields = set(table) - {MARKER}
    if kind == NULL and not fields:
        return None
    if kind == BIGINT and fields == {"value"} and isinstance(table["value"], str):
        try:
            return int(table["value"])
        except ValueError as exc:
            raise MarkerError(f"bigint marker holds no integer: {table['value']!r}") from exc
    if kind == STR and fields in ({"hex"}, {"hex", "text"}) and isinstance(table["hex"], str):
        try:
            return bytes.fromhex(table["hex"]).decode("utf-8", "surrogatepass")
        except ValueError as exc:
            raise MarkerError(f"str marker holds no UTF-8 hex: {table['hex']!r}") from exc
    if kind == DICT and fields == {"value"} and isinstance(table["value"], dict):
        return {key: decode(item) for key, item in table["value"].items()}
    raise MarkerError(f"malformed {MARKER} marker table: {table!r}")


def _is_utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped_bytes(text: str) -> str:
    """Each byte a file name held that was not UTF-8 (surrogateescape) as ``\\xNN``."""
    return "".join(
        f"\\x{code - 0xDC00:02x}"
        if 0xDC80 <= (code := ord(char)) <= 0xDCFF
        else (f"\\u{code:04x}" if 0xD800 <= code <= 0xDFFF else char)
        for char in text
    )


def fs_bytes(text: str) -> bytes:
    """The bytes a file name held (os.fsencode), or for any other lone surrogate its
    ``surrogatepass`` encoding: never an error."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _surrogate_hex(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").hex()
