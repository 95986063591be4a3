"""Many writers at once, and runs recorded from a git worktree or a submodule."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import Repo, git

CODE_ROOT = str(Path(__file__).resolve().parents[1])


def spawn(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "runledger", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": CODE_ROOT},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_sixteen_execs_finishing_together_record_sixteen_runs(repo: Repo) -> None:
    """All sixteen wait on one barrier file, so they record within moments of each other,
    while `git pack-refs` runs over and over beside them (runledger packs refs too)."""
    go = repo.path / ".git" / "go"
    wait = (
        f"import os, time\nwhile not os.path.exists({str(go)!r}): time.sleep(0.01)\nprint('loss=1')"
    )
    procs = [
        spawn(repo.path, "exec", "--name", f"job{i}", sys.executable, "-c", wait) for i in range(16)
    ]
    stop = threading.Event()
    packs: list[int] = []

    def pack_in_a_loop() -> None:
        while not stop.is_set():
            packs.append(git_rc(repo.path, "pack-refs", "--all"))

    packer = threading.Thread(target=pack_in_a_loop)
    packer.start()
    go.touch()
    try:
        results = [proc.communicate(timeout=300) for proc in procs]
    finally:
        stop.set()
        packer.join()
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err
    runs = repo.runs_json()
    assert sorted(run["name"] for run in runs) == sorted(f"job{i}" for i in range(16))
    assert len({run["id"] for run in runs}) == 16
    assert all(run["status"] == "ok" and run["metrics"] == {"loss": 1.0} for run in runs)
    assert packs  # pack-refs really ran alongside


def git_rc(cwd: Path, *args: str) -> int:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False).returncode


def test_a_run_in_a_worktree_lands_in_the_shared_ledger(repo: Repo) -> None:
    worktree = repo.path.parent / "feature-wt"
    repo.git("worktree", "add", "-q", "-b", "feature", str(worktree))
    (worktree / "train.py").write_text("print('acc=0.9')\n")
    git(worktree, "add", "train.py")
    git(worktree, "commit", "-q", "-m", "feature work")
    commit = git(worktree, "rev-parse", "HEAD").strip()
    before = repo.state()
    proc = repo.run("exec", sys.executable, "train.py", cwd=worktree)
    assert proc.returncode == 0, proc.stderr
    [run] = repo.runs_json()  # seen from the main work tree
    assert (run["commit"], run["branch"], run["metrics"]) == (commit, "feature", {"acc": 0.9})
    assert repo.state() == before
    assert not (repo.path / ".git" / "worktrees" / "feature-wt" / "refs").exists()
    # and every command works from the worktree too
    assert repo.cli("tag", run["id"], "wt", cwd=worktree).exit_code == 0
    assert repo.cli("show", "wt", cwd=repo.path).exit_code == 0
    assert repo.run("ls", cwd=worktree).returncode == 0


def test_a_run_in_a_submodule_lands_in_the_submodules_ledger(repo: Repo, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    git(library, "init", "-q")
    (library / "train.py").write_text("print('loss=0.5')\n")
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "library")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "lib")
    repo.commit_all("add the library")
    sub = repo.path / "lib"
    proc = repo.run("exec", sys.executable, "train.py", cwd=sub)
    assert proc.returncode == 0, proc.stderr
    assert repo.runs_json() == []  # not the superproject's ledger
    refs = git(sub, "for-each-ref", "--format=%(refname)", "refs/runledger/runs/").split()
    assert len(refs) == 1
    run_commit = git(sub, "rev-parse", f"{refs[0]}^").strip()
    assert run_commit == git(sub, "rev-parse", "HEAD").strip()
    assert git(repo.path, "status", "--porcelain") == ""
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=sub, capture_output=True, check=False)
    assert fsck.returncode == 0, fsck.stderr
