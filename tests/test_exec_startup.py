"""exec's start-up stays lean: it is on every training run's path.

``python -X importtime`` lists every module runledger imported while recording a run: typer,
rich, pandas and the rest belong to the other commands, never to exec.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Repo

HEAVY = ("typer", "click", "rich", "pandas", "numpy", "matplotlib", "plotext", "yaml", "sqlite3")


def _imported_by_exec(repo: Repo) -> set[str]:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "runledger", "exec", "--", "true"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_exec_imports_none_of_the_heavy_libraries(repo: Repo) -> None:
    imported = _imported_by_exec(repo)
    assert "runledger.recording.recorder" in imported  # the list is real
    assert sorted(name for name in imported if name.split(".")[0] in HEAVY) == []


def test_exec_help_still_goes_through_typer(repo: Repo) -> None:
    result = repo.run("exec", "--help")
    assert result.returncode == 0
    assert "--param" in result.stdout.decode()
