"""The command line: each command parses its options, calls the core, and renders.

``runledger exec`` has a fast path (``main``) that skips importing typer and rich, because
it sits in front of every training run; ``runledger exec --help`` still goes through typer.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from runledger.errors import RunledgerError

EXEC_HELP_FLAGS = frozenset({"-h", "--help"})


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _report_error(error: RunledgerError) -> int:
    print(f"runledger: error: {_one_line(str(error))}", file=sys.stderr)
    return error.exit_code


def _report_bug(error: BaseException) -> int:
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
    message = redactor.mask_text(_one_line(f"{type(error).__name__}: {error}"))
    print(f"runledger: internal error: {message} ({where}; please report it)", file=sys.stderr)
    return 3


HELP_FLAGS = frozenset({"-h", "--help", "--version"})


def recover_runs(args: Sequence[str]) -> None:
    """Record runs whose runledger died (journal.py), before any command but help."""
    if not args or any(arg in HELP_FLAGS for arg in args):
        return
    from pathlib import Path

    from runledger.recording.journal import recover_here

    try:
        recover_here(Path.cwd())
    except Exception:  # noqa: BLE001 - never in the way of the command itself
        pass


def _exec_fast_path(args: Sequence[str]) -> int | None:
    """Run ``exec`` without typer when no help was asked for; None to fall back to typer."""
    if not args or args[0] != "exec":
        return None
    rest = list(args[1:])
    for arg in rest:
        if arg in EXEC_HELP_FLAGS:
            return None
        if not arg.startswith("-") or arg == "--":
            break
    from runledger.recording.recorder import exec_command, parse_exec_args

    try:
        return exec_command(parse_exec_args(rest))
    except RunledgerError as error:
        return _report_error(error)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - a bug: reported, never a traceback on screen
        return _report_bug(error)


def tolerant_output() -> None:
    """Never crash on printing: text from records and arguments can hold lone surrogates
    (undecodable bytes of a command line); they are written as backslash escapes, which keeps
    JSON output valid too."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or unusual stream: leave it alone
                pass


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    tolerant_output()
    code = _exec_fast_path(args)
    if code is not None:
        sys.exit(code)
    from runledger.cli.app import app

    app(args=args, prog_name="runledger")
