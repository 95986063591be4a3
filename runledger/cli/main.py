"""The command line: each command parses its options, calls the core, and renders.

``runledger exec`` has a fast path (``main``) that skips importing typer and rich, because
it sits in front of every training run; ``runledger exec --help`` still goes through typer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

EXEC_HELP_FLAGS = frozenset({"-h", "--help"})


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
    from runledger.cli.exec_args import parse_exec_args
    from runledger.errors import RunledgerError
    from runledger.recording.recorder import exec_command

    try:
        return exec_command(parse_exec_args(rest))
    except RunledgerError as error:
        from runledger.crash import report_error

        return report_error(error)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - a bug: reported, never a traceback on screen
        from runledger.crash import report_bug

        return report_bug(error)


def _completion_fast_path() -> bool:
    """Answer a shell's request to complete a RUN, METRIC or tag without importing typer (or
    anything this module would otherwise import first: it runs on every TAB)."""
    if "_RUNLEDGER_COMPLETE" not in os.environ:
        return False
    from runledger.cli.completion import answer

    try:
        reply = answer(os.environ, os.getcwd())
    except Exception:  # noqa: BLE001 - completion must never print a traceback into a prompt
        reply = ""
    if reply is None:
        return False
    sys.stdout.write(reply + ("\n" if reply else ""))
    return True


def main(argv: Sequence[str] | None = None) -> None:
    if argv is None:  # a process of its own (the runledger script, python -m): not a caller's
        from runledger.cli.own_path import leave_the_working_folder_out

        leave_the_working_folder_out()
    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None and _completion_fast_path():
        sys.exit(0)
    from runledger.cli.startup import tolerant_output

    tolerant_output()
    code = _exec_fast_path(args)
    if code is not None:
        sys.exit(code)
    from runledger.cli.app import build_app

    verb = next((arg for arg in args if not arg.startswith("-")), None)
    build_app(verb)(args=args, prog_name="runledger")
