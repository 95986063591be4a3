"""Runs crafted the way an attacker with push access would: with git plumbing, not runledger.

Nothing here goes through runledger's write path (no masking, no validation): the blobs,
tree, commit and ref are made with ``git hash-object``, ``mktree``, ``commit-tree`` and
``update-ref``, so a test sees exactly what a hostile or broken clone could push.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runledger import ids
from runledger.model import tomlcodec
from tests.conftest import git

RUNS = "refs/runledger/runs/"


def blob(path: Path, data: bytes) -> str:
    proc = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=path, input=data, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().strip()


def tree(path: Path, files: dict[str, bytes], entries: Sequence[str] = ()) -> str:
    """A tree of ``files`` and raw ``entries`` (mktree lines: a link, a submodule's commit)."""
    lines = "".join(f"100644 blob {blob(path, data)}\t{name}\n" for name, data in files.items())
    lines += "".join(f"{entry}\n" for entry in entries)
    proc = subprocess.run(
        ["git", "mktree", "--missing"], cwd=path, input=lines.encode(), capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().strip()


def run_toml(run_id: str, commit: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": 1,
        "id": run_id,
        "status": "ok",
        "exit_code": 0,
        "started_at": "2026-01-01T10:00:00.000Z",
        "ended_at": "2026-01-01T10:00:01.000Z",
        "duration_s": 1.0,
        "command": ["python", "train.py"],
        "cwd": ".",
        "user": "mallory",
        "host": "elsewhere",
        "git": {"commit": commit, "branch": "main"},
    }
    data.update(fields)
    return data


def craft(
    path: Path,
    run_id: str | None = None,
    *,
    files: dict[str, bytes] | None = None,
    environment: dict[str, Any] | None = None,
    ref: str | None = None,
    entries: Sequence[str] = (),
    **fields: Any,
) -> str:
    """Write a run commit and its ref by plumbing; the run id."""
    run_id = run_id or ids.new_run_id()
    commit = git(path, "rev-parse", "HEAD").strip()
    content = dict(files or {})
    if "run.toml" not in content:
        content["run.toml"] = tomlcodec.dumps(run_toml(run_id, commit, **fields)).encode()
    if environment is not None:
        content["environment.toml"] = tomlcodec.dumps({"schema": 1, **environment}).encode()
    run_commit = git(
        path,
        "commit-tree",
        tree(path, content, entries),
        "-p",
        commit,
        "-m",
        f"runledger run {run_id}",
    ).strip()
    git(path, "update-ref", ref or RUNS + run_id, run_commit)
    return run_id
