"""Runs in progress, read from their journals: what ``ls`` shows as ``running`` and what
``watch`` follows (issue 18).

A run in progress has a folder under ``<git-common-dir>/runledger/in-progress/`` (see
journal.py) holding its masked output and its metrics file, so any terminal, not only the
one that started it, can read how far it got. Nothing here writes: the journal belongs to
the runledger that runs the command.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runledger.model.record import Run
from runledger.recording import journal
from runledger.store import git
from runledger.store.facts import now_iso


@dataclass(frozen=True)
class LiveRun:
    run: Run  # status "running", metrics and series as recorded so far
    folder: Path
    heartbeat: float  # when the journal last showed a sign of life


def _in_progress(facts: Mapping[str, Any]) -> bool:
    """Still running: no result yet, and (on this host) its runledger is alive."""
    if facts.get("final") is not None or facts.get("handed_over"):
        return False
    if facts.get("host") != socket.gethostname():
        return True  # another machine's clone shares this git dir: trust its heartbeat
    pid, start = facts.get("pid"), facts.get("pid_start")
    return journal.process_alive(
        pid if isinstance(pid, int) else None, start if isinstance(start, int) else None
    )


def folders(common_dir: Path) -> list[Path]:
    """The journal folders of runs in progress (one scandir when there are none)."""
    try:
        entries = list(os.scandir(journal.in_progress_dir(common_dir)))
    except OSError:
        return []
    return [
        Path(entry.path)
        for entry in entries
        if entry.is_dir() and not entry.name.startswith(journal.STAGING_PREFIX)
    ]


def read_live(repo: git.Repo, folder: Path) -> LiveRun | None:
    """The run of one journal folder as it stands, or None when it is not in progress."""
    from runledger.recording.recovery import _heartbeat, _run_from_journal
    from runledger.redact import Redactor, usable_patterns

    facts = journal.read_journal(folder)
    if facts is None or not _in_progress(facts):
        return None
    config = git.read_config(repo)
    patterns, _ = usable_patterns(config.secret_patterns)
    redactor = Redactor(dict(os.environ), patterns)
    try:
        run = _run_from_journal(folder, facts, config, redactor, now_iso(time.time()))
    except (OSError, ValueError):
        return None
    running = replace(run, status="running", exit_code=None, signal=None, recovered=None)
    return LiveRun(running, folder, _heartbeat(folder))


def live_runs(repo: git.Repo) -> list[LiveRun]:
    """Every run in progress in this repository, newest first."""
    found = [live for folder in folders(repo.common_dir) if (live := read_live(repo, folder))]
    return sorted(found, key=lambda live: live.run.started_at, reverse=True)
