"""How runledger reports what went wrong: a user's error as one line, a bug as one line plus a
crash log. Every layer may call it; it imports nothing of runledger's but errors, redact and
safetext (an error can quote a ref name or a record's text: no control character goes out raw)."""

from __future__ import annotations

import sys

from runledger.errors import RunledgerError
from runledger.safetext import repr_bytes, safe


def one_line(text: str) -> str:
    # repr_bytes: most messages quote an argument with !r, which spells a byte that was not
    # UTF-8 as a surrogate (\udcff) where safe() and git write \xff
    return repr_bytes(safe(" ".join(text.split())))


def report_error(error: RunledgerError) -> int:
    print(f"runledger: error: {one_line(str(error))}", file=sys.stderr)
    return error.exit_code


def report_bug(error: BaseException) -> int:
    """An unexpected exception: one line on stderr, the traceback in a file.

    Both are masked: an exception's text can quote a command line or a config value, and
    crash logs get pasted into public bug reports.
    """
    import os
    import tempfile
    import traceback

    from runledger.redact import Redactor

    redactor = Redactor(dict(os.environ))
    try:
        handle = tempfile.NamedTemporaryFile(
            "w", prefix="runledger-crash-", suffix=".log", delete=False
        )
        with handle:
            handle.write(redactor.mask_text("".join(traceback.format_exception(error))))
        where = f"details in {handle.name}"
    except OSError:
        where = "no crash log could be written"
    message = redactor.mask_text(one_line(f"{type(error).__name__}: {error}"))
    print(f"runledger: internal error: {message} ({where}; please report it)", file=sys.stderr)
    return 3
