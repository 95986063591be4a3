"""What every command does first: tolerant output streams, then recovery of abandoned runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

HELP_FLAGS = frozenset({"-h", "--help", "--version"})


def recover_runs(args: Sequence[str]) -> None:
    """Record runs whose runledger died (journal.py), before any command but help."""
    if not args or any(arg in HELP_FLAGS for arg in args):
        return
    from pathlib import Path

    from runledger.store.gitdir import anything_in_progress

    try:
        if not anything_in_progress(Path.cwd()):
            return
        from runledger.recording.recovery import recover_here

        recover_here(Path.cwd())
    except Exception:  # noqa: BLE001 - never in the way of the command itself
        pass


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
