"""Finding the git common directory by reading files: no subprocess, no heavy import.

Kept apart from ``git.py`` (which imports subprocess and dataclasses) and written with
``os.path`` (pathlib alone costs a few milliseconds), because shell completion needs it and must
answer within a keystroke.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself is not imported on the completion path

if TYPE_CHECKING:
    from pathlib import Path


def find_common_dir(cwd: Path | str) -> Path | None:
    """The git common directory around ``cwd``, found by reading files, not by running git.

    Best effort and cheap, for work every command does at start-up (journal recovery): a
    wrong or missing answer only postpones that work to a later command.
    """
    from pathlib import Path

    found = common_dir_path(cwd)
    return None if found is None else Path(found)


def common_dir_path(cwd: Path | str) -> str | None:
    """:func:`find_common_dir` as a string, without importing pathlib."""
    try:
        explicit = os.environ.get("GIT_COMMON_DIR") or os.environ.get("GIT_DIR")
        git_dir: str | None = None
        if explicit:
            git_dir = os.path.join(cwd, explicit)
        else:
            folder = os.path.abspath(cwd)
            while True:
                dot_git = os.path.join(folder, ".git")
                if os.path.isdir(dot_git):
                    git_dir = dot_git
                elif os.path.isfile(dot_git):
                    with open(dot_git, encoding="utf-8", errors="replace") as handle:
                        text = handle.read().strip()
                    if text.startswith("gitdir:"):
                        git_dir = os.path.join(folder, text[len("gitdir:") :].strip())
                parent = os.path.dirname(folder)
                if git_dir is not None or parent == folder:
                    break
                folder = parent
        if git_dir is None:
            return None
        commondir = os.path.join(git_dir, "commondir")
        if os.path.isfile(commondir):
            with open(commondir, encoding="utf-8", errors="replace") as handle:
                return os.path.realpath(os.path.join(git_dir, handle.read().strip()))
        return os.path.realpath(git_dir)
    except OSError:
        return None


def in_progress_path(common_dir: str) -> str:
    """Where the journals of the runs in progress are kept (recording/journal.py)."""
    return os.path.join(common_dir, "runledger", "in-progress")


def anything_in_progress(cwd: Path | str) -> bool:
    """Whether a run may be in progress or abandoned in the repository around ``cwd``: its
    in-progress folder has an entry. Cheap, for the start of every command: the journal,
    recovery and what they import are loaded only when this says so."""
    common_dir = common_dir_path(cwd)
    return common_dir is not None and any_in_progress(common_dir)


def any_in_progress(common_dir: Path | str) -> bool:
    """Whether the in-progress folder of the git directory ``common_dir`` has an entry."""
    try:
        with os.scandir(in_progress_path(str(common_dir))) as entries:
            return any(True for _ in entries)
    except OSError:
        return False
