"""A narrow reader for the TOML that runledger writes, with tomli for everything else.

A first listing of 10,000 runs parses 10,000 run.toml files, and tomli (compiled) takes
about 170 µs for each: most of the time. Every such file was written by tomli_w, in a
regular shape: ``[table.headers]`` of bare keys, ``key = value`` lines, arrays one item a
line, a list of tables (files.toml's artifacts) as ``[[key]]`` blocks at the top level.
:func:`loads` reads exactly that shape with one regular expression (less than half of
tomli's time) and answers None for anything else (quoted keys, escapes, dates, inline
tables, comments, other spacing, dotted ``[[a.b]]``...), which the caller then hands to
tomli.

What it accepts is a strict subset of TOML, and it gives what tomli gives for it: the same
dict, keys in the same order, the same ints and floats (both convert the same digits with
``int``/``float``). Anything TOML forbids in that subset (a key or table defined twice, a
table over a value, ``[[a]]`` after ``a = []``) is also answered None, so tomli reports the
error in its own words.
Records are untrusted input (anyone with push access writes them): tests compare the two
readers on generated records and on corrupted ones (tests/test_tomlfast.py).
"""

from __future__ import annotations

import re
from typing import Any

_KEY = r"[A-Za-z0-9_-]+"
# A basic string without escapes: no quote, no backslash, no control character but tab.
_STR = r'"[^"\\\x00-\x08\x0a-\x1f\x7f]*"'
# Decimal integers and floats as ``str(int)`` and ``repr(float)`` write them (TOML allows
# more: underscores, signs, hex... which go to tomli).
_INT = r"-?(?:0|[1-9][0-9]*)"
_NUM = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|-?inf|nan"
_SCALAR = rf"{_STR}|{_NUM}|true|false"
# One line (or one array, a line an item) a match, each kind of value in its own group so
# that no value is looked at twice. Any other line is caught whole by the last group: one
# pass checks the shape and reads it (checking first, then reading, took half again as long).
_LINES = re.compile(
    rf"({_KEY}) = (?:({_STR})|({_INT})|({_NUM})|(true|false)"  # key = value
    rf"|(\[\]|\[\n(?:    (?:{_SCALAR}),\n)*\]))\n"  # key = an array, an item a line
    rf"|\[({_KEY}(?:\.{_KEY})*)\]\n"  # a table header
    rf"|\[\[({_KEY})\]\]\n"  # a new table of a top-level list of tables
    r"|\n"  # an empty line
    r"|(.+)"  # anything else: not this shape
)
_ITEM = re.compile(rf"    ({_SCALAR}),\n")
_TEXT_ITEM = re.compile(r'    "([^"\\\x00-\x08\x0a-\x1f\x7f]*)",\n')


def loads(text: str) -> dict[str, Any] | None:
    """The TOML document ``text`` as tomli reads it, or None when it is not in the narrow
    shape read here (the caller then parses it with tomli)."""
    root: dict[str, Any] = {}
    table = root
    listed: set[str] = set()  # the top-level keys that [[key]] made lists of tables
    for key, string, integer, number, boolean, array, header, item, other in _LINES.findall(text):
        if key:
            if key in table:
                return None  # defined twice: tomli says so
            if string:
                table[key] = string[1:-1]
            elif integer:
                table[key] = int(integer)
            elif number:
                table[key] = float(number)  # a float, inf or nan
            elif boolean:
                table[key] = boolean == "true"
            else:
                table[key] = _array(array)
        elif header:
            table = root
            parts = header.split(".")
            for part in parts[:-1]:
                inner = table.get(part)
                if inner is None:
                    inner = table[part] = {}
                elif not isinstance(inner, dict):
                    return None  # a table under a value
                table = inner
            if parts[-1] in table:
                return None  # defined before (TOML allows some such orders: tomli decides)
            table[parts[-1]] = table = {}
        elif item:
            table = {}
            if item in listed:
                root[item].append(table)
            elif item in root:
                return None  # [[a]] over a value or a table (tomli says which)
            else:
                root[item] = [table]
                listed.add(item)
        elif other:
            return None
    return root


def _array(text: str) -> list[Any]:
    if len(text) == 2:
        return []  # []
    texts = _TEXT_ITEM.findall(text)
    if len(texts) == text.count("\n") - 1:
        return texts  # only strings (a command, tags): read whole, without a call an item
    return [_scalar(item) for item in _ITEM.findall(text)]


def _scalar(value: str) -> Any:
    first = value[0]
    if first == '"':
        return value[1:-1]
    if value == "true":
        return True
    if value == "false":
        return False
    if "." in value or "e" in value or "E" in value or "n" in value:
        return float(value)  # a float, inf or nan
    return int(value)
