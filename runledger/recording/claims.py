"""Which trial of a sweep saved a file, when trials run side by side in one work tree.

The walk after a run (capture/auto_outputs) takes the untracked files written in result
folders since the run started; with ``sweep --jobs 2`` or more that includes what the other
trials wrote meanwhile. A trial's in-process hooks know the files its own program saved
(``saved`` lines in its metrics file), so the trials tell each other: a file the walk found
that a sibling's program saved is the sibling's output, not this trial's.

``<runledger dir>/sweep-claims/<sweep key>/<run id>``: one file per trial, made empty by the
sweep before it starts the trial, and holding the paths the trial's program saved (a JSON
list) once the command has ended, written before the trial walks the tree. While a sibling
runs, its claims are read from its metrics file in its journal folder, where its hooks append
them as files are saved; that file is read first, then the claims file, so a sibling that ends
in between is not missed (it writes its claims before its journal folder goes). The sweep
removes its trials' files when it ends. A file that no hook saw (a program that is not Python,
or one that writes its bytes itself) is still taken by every trial whose walk finds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

CLAIMS_DIR: Final = "sweep-claims"
_RUN_ID: Final = re.compile(r"[0-9a-z]{1,64}")
_SAVED_MARK: Final = b'"saved"'


def _folder(runledger_dir: Path, sweep: str) -> Path:
    # the sweep id may be a user's study name: a hash of it is a safe folder name
    return runledger_dir / CLAIMS_DIR / hashlib.sha256(sweep.encode()).hexdigest()[:20]


def register(runledger_dir: Path, sweep: str, run_id: str) -> None:
    """Before trial ``run_id`` starts: its siblings will look for what it saves."""
    if not _RUN_ID.fullmatch(run_id):
        return
    folder = _folder(runledger_dir, sweep)
    with contextlib.suppress(OSError):  # attribution is a refinement: never stops a sweep
        folder.mkdir(parents=True, exist_ok=True)
        (folder / run_id).touch()


def publish(runledger_dir: Path, sweep: str, run_id: str, saved: Iterable[str]) -> None:
    """Once trial ``run_id``'s command has ended: the paths its program saved, for the
    siblings that walk the tree after its journal folder is gone. Nothing for a run the sweep
    did not register."""
    claim = _folder(runledger_dir, sweep) / run_id
    if not _RUN_ID.fullmatch(run_id) or not claim.is_file():
        return
    staged = claim.with_name(f".{run_id}.new")
    with contextlib.suppress(OSError):
        staged.write_text(json.dumps(list(saved)))
        os.replace(staged, claim)


def saved_by_siblings(runledger_dir: Path, sweep: str, run_id: str) -> set[str]:
    """The paths (made real) that the other trials of ``sweep`` registered here saved so far."""
    found: set[str] = set()
    with contextlib.suppress(OSError), os.scandir(_folder(runledger_dir, sweep)) as entries:
        siblings = [e.name for e in entries if e.name != run_id and _RUN_ID.fullmatch(e.name)]
    for sibling in siblings:
        found.update(_from_metrics_file(runledger_dir / "in-progress" / sibling / "metrics.jsonl"))
        found.update(_from_claim(_folder(runledger_dir, sweep) / sibling))
    return {os.path.realpath(path) for path in found}


def _from_metrics_file(path: Path) -> list[str]:
    try:
        content = path.read_bytes()
    except OSError:
        return []  # ended (its claims file says) or not started
    paths = []
    at = content.find(_SAVED_MARK)
    while at >= 0:  # only the lines that may be claims: the file is mostly metrics
        start = content.rfind(b"\n", 0, at) + 1
        end = content.find(b"\n", at)
        end = len(content) if end < 0 else end
        line = content[start:end]
        at = content.find(_SAVED_MARK, end)
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("_runledger") == "saved":
            path_saved = record.get("path")
            if isinstance(path_saved, str) and os.path.isabs(path_saved):
                paths.append(path_saved)
    return paths


def _from_claim(path: Path) -> list[str]:
    try:
        listed = json.loads(path.read_text() or "[]")
    except (OSError, ValueError):
        return []
    if not isinstance(listed, list):
        return []
    return [item for item in listed if isinstance(item, str) and os.path.isabs(item)]


def release(runledger_dir: Path, sweep: str, run_ids: Iterable[str]) -> None:
    """When the sweep ends: its trials' claims go (the folder too, once no other sweep
    process sharing the sweep id has any left)."""
    folder = _folder(runledger_dir, sweep)
    for run_id in run_ids:
        if _RUN_ID.fullmatch(run_id):
            with contextlib.suppress(OSError):
                (folder / run_id).unlink()
    for empty in (folder, folder.parent):
        with contextlib.suppress(OSError):
            empty.rmdir()
