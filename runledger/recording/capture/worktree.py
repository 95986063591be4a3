"""One bounded walk of the work tree after a run, shared by everything that looks for the files
the run wrote (metric files, automatic outputs), so that a run pays for it once.

Folders that hold no run's results (``.git``, virtual environments, ``node_modules``, caches)
are not entered. The walk stops after MAX_ENTRIES entries or MAX_WALK_S seconds, whichever
comes first (a work tree on a slow network mount, a dataset of millions of files unpacked in
it), and says so: what it did not reach is not searched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Final

MAX_ENTRIES: Final = 20_000
MAX_DEPTH: Final = 8
MAX_WALK_S: Final = 2.0
# Where programs write their results (nanoGPT's out/, ultralytics' runs/, mmengine's
# work_dirs/, Lightning's lightning_logs/, Hydra's outputs/ and multirun/): walked first.
RESULT_FOLDERS: Final = frozenset(
    {
        "out", "output", "outputs", "checkpoint", "checkpoints", "runs", "models", "weights",
        "saved_models", "work_dirs", "lightning_logs", "results", "multirun",
    }
)  # fmt: skip
SKIPPED_FOLDERS: Final = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", "env",
        "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".ipynb_checkpoints", "wandb", "mlruns", ".cache",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Listing:
    """The regular files found under a root (not followed through links), in walk order;
    ``cut``: why the walk stopped early, or None when it saw everything."""

    files: list[os.DirEntry[str]]
    cut: str | None = None


def list_files(root: Path, first: Collection[str] = RESULT_FOLDERS) -> Listing:
    """The regular files under ``root``, within the walk's bounds; folders named in ``first``
    (where runs write their results) are walked before their siblings, so that a tree too big
    for the bounds still has them looked at."""
    seen = 0
    deadline = time.monotonic() + MAX_WALK_S
    files: list[os.DirEntry[str]] = []
    folders: list[tuple[str, int]] = [(str(root), 0)]
    while folders:
        if time.monotonic() > deadline:
            return Listing(files, f"the walk of the work tree stopped after {MAX_WALK_S:g} s")
        folder, depth = folders.pop()
        preferred: list[tuple[str, int]] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_ENTRIES:
                        return Listing(
                            files, f"the walk of the work tree stopped after {MAX_ENTRIES} entries"
                        )
                    if entry.is_dir(follow_symlinks=False):
                        if depth < MAX_DEPTH and entry.name not in SKIPPED_FOLDERS:
                            pending = preferred if entry.name in first else folders
                            pending.append((entry.path, depth + 1))
                    elif entry.is_file(follow_symlinks=False):
                        files.append(entry)
        except OSError:
            continue
        folders.extend(preferred)  # popped first
    return Listing(files)
