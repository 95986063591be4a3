"""The one output boundary for text that came from a record, a ref name or a file name.

Records are written by everyone who can push to the team's remote, so their strings are
untrusted (issue #17). Every renderer passes them through :func:`safe` before they reach a
terminal or a pipe; the escaping itself lives in ``runledger/safetext.py`` so that error lines
and warnings, printed below the views layer, use the same rules. JSON output does not come
through here: it goes through ``safetext.json_text``, which writes the same characters as
``\\u`` escapes, so the JSON value stays exact.
"""

from __future__ import annotations

from runledger.safetext import has_unsafe, quoted, safe

__all__ = ["SHOWN_CHARS", "clipped", "has_unsafe", "quoted", "safe", "safe_markup"]

# The most of one value a terminal view shows: a pulled run's name or note of 10 MB (under
# run.toml's read limit) took rich minutes to fold into lines, and no one reads that much
# there; JSON views and the report's tables keep it whole.
SHOWN_CHARS = 10_000


def clipped(text: str) -> str:
    """``text`` cut to SHOWN_CHARS characters, saying how many more there are."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}… ({len(text) - SHOWN_CHARS:,} more characters)"


def safe_markup(text: object) -> str:
    """:func:`safe`, then escaped for a console that reads rich markup (``[bold]``)."""
    from rich.markup import escape

    return escape(safe(text))
