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

__all__ = ["has_unsafe", "quoted", "safe", "safe_markup"]


def safe_markup(text: object) -> str:
    """:func:`safe`, then escaped for a console that reads rich markup (``[bold]``)."""
    from rich.markup import escape

    return escape(safe(text))
