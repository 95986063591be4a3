"""The escaping behind the one output boundary (``views/text.py``) for text from records.

A foundation module so that error lines (crash.py) and warnings use it too.

Records are written by everyone who can push to the team's remote, so their strings are
untrusted: a raw ESC can clear the screen, move the cursor over an earlier line, set the
window title or (OSC 52) write the clipboard, and a carriage return can hide the start of a
command behind its end. :func:`safe` shows every such character as an escape instead:
C0 controls, DEL, C1 controls, ESC, the bidirectional overrides (which reorder what is shown)
and the lone surrogates that stand for bytes that were not UTF-8 (``\\xff``). JSON output
goes through :func:`json_text` instead: ``json.dumps`` escapes the C0 controls itself, and
``json_text`` the rest as ``\\u`` escapes, so the JSON stays exact.
"""

from __future__ import annotations

import re

_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\x1b": "\\x1b", "\\": "\\\\"}
# C0, DEL, C1, the bidi embeddings/overrides/isolates and marks, line/paragraph separators,
# and the surrogates of os.fsdecode's surrogateescape.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_OR_BACKSLASH = re.compile(_UNSAFE.pattern[:-1] + "\\\\]")
# What json.dumps(ensure_ascii=False) leaves raw: DEL, the C1 controls (U+009B is a CSI to a
# terminal that reads 8-bit controls), the bidi marks and overrides, the line separators and
# lone surrogates (which would also make the output bytes invalid UTF-8).
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(found: re.Match[str]) -> str:
    char = found.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as surrogateescape keeps it
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def safe(text: object, *, newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\r``, ``\\x1b``).

    ``newlines=True`` keeps line feeds where a layout wants several lines (a note, a log).
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():  # the common case, in C: no control, format or surrogate char
        return value
    if newlines and value.replace("\n", "").isprintable():  # csv, markdown: many lines
        return value
    if newlines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in value.split("\n"))
    return _UNSAFE.sub(_escape, value)


def quoted(text: str) -> str:
    """``text`` in double quotes, unambiguous: backslashes and quotes escaped as well."""
    return '"' + _UNSAFE_OR_BACKSLASH.sub(_escape, text).replace('"', '\\"') + '"'


# In repr()'s text every backslash starts an escape; a byte that was not UTF-8 (the lone
# surrogate os.fsdecode's surrogateescape keeps it as) is one of \\udc80 to \\udcff.
_REPR_ESCAPE = re.compile(r"\\(?:udc([89a-f][0-9a-f])|.)", re.S)


def _byte_escape(found: re.Match[str]) -> str:
    byte = found.group(1)
    return f"\\x{byte}" if byte else found.group(0)


def repr_bytes(text: str) -> str:
    """``text`` with each ``\\udcff`` that repr() made of a byte that was not UTF-8 written as
    the byte's escape, ``\\xff``, as :func:`safe` (and git) show it: ``'r\\udcff'`` in an error
    line is ``'r\\xff'``."""
    if "\\udc" not in text:
        return text
    return _REPR_ESCAPE.sub(_byte_escape, text)


def has_unsafe(text: str) -> bool:
    """Whether :func:`safe` would change ``text`` (tests and checks)."""
    return _UNSAFE.search(text) is not None


def _json_escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group(0)):04x}"


def json_text(text: str) -> str:
    """JSON from ``json.dumps(..., ensure_ascii=False)`` with every character a terminal would
    act on (or that is not UTF-8) written as a ``\\uXXXX`` escape: the same JSON value, and
    nothing from a pulled record reaches a terminal raw (issue #17). Such characters can only
    stand inside strings, where the escape means the same character."""
    if text.isascii():
        return text
    return _JSON_UNSAFE.sub(_json_escape, text)


def drawn_over(line: str) -> str:
    """What a terminal shows of a line that backs its cursor up (``\\b``) and writes over
    what it drew (kuangliu/pytorch-cifar's progress bar writes its counter so); no wrapping.
    """
    cells: list[str] = []
    at = 0
    for char in line:
        if char == "\b":
            at = max(at - 1, 0)
            continue
        if at < len(cells):
            cells[at] = char
        else:
            cells.append(char)
        at += 1
    return "".join(cells)
