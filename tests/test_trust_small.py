"""The smaller items of issue #17: numeric extremes in the ls table, verify that really
re-hashes, and a failing pre-push hook's own message."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Repo, git
from tests.crafted import craft
from tests.team import clone, make_remote

PY = sys.executable


@pytest.mark.parametrize("duration", [1e308, float("inf"), float("nan"), -5.0, 10**30])
def test_an_extreme_duration_never_breaks_the_ls_table(repo: Repo, duration: float) -> None:
    good = craft(repo.path, duration_s=1.5, command=["python", "good.py"])
    craft(
        repo.path,
        duration_s=duration,
        metrics={"acc": {"last": 1e308, "min": -1e308, "max": 1e308}},
        params={"seed": 10**400},
        command=["python", "odd.py"],
    )

    result = repo.cli("ls")

    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 200
    [row] = [line for line in lines if line.lstrip().startswith(good[:10])]
    assert "python good.py" in row and "1.5s" in row  # every column still there
    for ref in repo.run_ids():
        repo.git("update-ref", "-d", f"refs/runledger/runs/{ref}")


def test_a_metric_too_big_for_a_float_skips_that_run_only(repo: Repo) -> None:
    good = craft(repo.path)
    bad = craft(repo.path, metrics={"acc": {"last": 10**400, "min": 0, "max": 10**400}})
    result = repo.cli("ls", "--json")
    assert result.exit_code == 0
    assert [run["id"] for run in result.json()] == [good]
    assert f"skipping refs/runledger/runs/{bad}" in result.stderr
    for ref in repo.run_ids():
        repo.git("update-ref", "-d", f"refs/runledger/runs/{ref}")


def test_verify_rehashes_content_changed_with_its_mtime_put_back(repo: Repo) -> None:
    repo.write("write.py", "open('model.bin', 'wb').write(b'A' * 4096)\n")
    repo.write(".gitignore", "model.bin\n")
    repo.commit_all("writer")
    assert repo.cli("exec", "--output", "model.bin", PY, "write.py").exit_code == 0
    [run_id] = repo.run_ids()
    model = repo.path / "model.bin"
    assert repo.cli("verify", run_id).exit_code == 0  # hashes now in the cache
    before = os.stat(model)
    model.write_bytes(b"B" * 4096)  # same size
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))

    result = repo.cli("verify", run_id)

    assert result.exit_code == 1
    assert "changed" in result.stdout
    # --fast trusts the stat-keyed cache, and says so in its help
    help_text = repo.cli("verify", "--help").stdout
    assert "--fast" in help_text and "mtime put back" in help_text


def test_a_failing_pre_push_hooks_own_message_is_passed_through(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    alice = clone(tmp_path, remote, "alice")
    alice.record()
    hook = alice.path / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho 'pre-push: run make check first' >&2\nexit 1\n")
    hook.chmod(0o755)

    result = alice.cli("push")

    assert result.exit_code != 0
    assert "the pre-push hook said: pre-push: run make check first" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB file system of its own (root only), so a run can really fill its disk."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


FILL = """
import sys
print('acc=0.5', flush=True)
with open(sys.argv[1], 'wb') as fill:
    try:
        while True:
            fill.write(b'x' * 65536)
            fill.flush()
    except OSError as error:
        print('disk full:', error.strerror, flush=True)
raise SystemExit(7)
"""


def test_a_run_that_fills_the_disk_is_recorded_with_its_real_status(tiny_disk: Path) -> None:
    path = tiny_disk / "project"
    path.mkdir()
    git(path, "init", "-q")
    (path / "README.md").write_text("# project\n")
    (path / "fill.py").write_text(FILL)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    repo = Repo(path)
    filler = tiny_disk / "fill"

    result = repo.run("exec", PY, "fill.py", str(filler))

    assert result.returncode == 7, result.stderr
    filler.unlink()  # the user frees space; the next command records what was kept
    [run] = repo.runs_json()
    assert (run["status"], run["exit_code"]) == ("failed", 7)
    assert b"runledger was killed" not in result.stderr
