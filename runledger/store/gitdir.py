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
