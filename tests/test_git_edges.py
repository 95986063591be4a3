"""What the user sees where git itself is missing, odd or stuck: no git on PATH, a bare
repository, a corrupt index, a staged rename, a lock file a crashed git left behind, and
code renamed between two runs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.conftest import Repo

PY = sys.executable


def error_line(proc: object) -> str:
    stderr = proc.stderr.decode()  # type: ignore[attr-defined]
    assert proc.returncode != 0, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()[-1]


def test_without_git_on_path_one_line_says_so(repo: Repo, tmp_path: Path) -> None:
    no_git = tmp_path / "empty-bin"
    no_git.mkdir()
    for command in (["ls"], ["exec", PY, "-c", "pass"]):
        proc = repo.run(*command, env={"PATH": str(no_git)})
        assert error_line(proc) == (
            "runledger: error: git is not installed or not on PATH: install git first"
        )
    assert repo.run_ids() == []


def test_a_bare_repository_is_named(repo: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    for command in (["ls"], ["exec", PY, "-c", "pass"]):
        proc = repo.run(*command, cwd=bare)
        assert error_line(proc) == (
            "runledger: error: this is a bare git repository: run runledger inside a clone "
            "with a work tree"
        )


def test_a_corrupt_index_stops_exec_before_the_command_runs(repo: Repo) -> None:
    index = repo.path / ".git" / "index"
    kept = index.read_bytes()
    index.write_bytes(b"garbage")
    proc = repo.run("exec", PY, "-c", "open('ran', 'w').close()")
    line = error_line(proc)
    assert line.startswith("runledger: error: git status failed: ") and "index" in line
    assert not (repo.path / "ran").exists() and repo.run_ids() == []
    index.write_bytes(kept)


def test_a_staged_rename_is_one_uncommitted_path(repo: Repo) -> None:
    repo.git("mv", "README.md", "DOCS.md")
    proc = repo.run("exec", PY, "-c", "pass")
    assert "uncommitted changes (DOCS.md)" in error_line(proc)


def test_a_lock_a_crashed_git_left_is_named_at_once(repo: Repo) -> None:
    """``runledger tag`` behind a stale ``production.lock``: one line naming the file and what
    to do, within the lock retries (it was 'kept changing ... try again' after six rounds of
    them, 12 s), and the tag is set once the file is gone."""
    proc = repo.run("exec", PY, "-c", "print('acc=1')")
    assert proc.returncode == 0, proc.stderr
    [run_id] = repo.run_ids()
    lock = repo.path / ".git" / "refs" / "runledger" / "tags" / "production.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    started = time.monotonic()
    refused = repo.run("tag", run_id, "production")
    elapsed = time.monotonic() - started
    line = error_line(refused)
    assert line == (
        f"runledger: error: git's lock {lock} stays: another git process holds it, or one "
        "that crashed left it behind; when no git command is running in this repository, "
        "delete it and try again"
    )
    assert "kept changing" not in refused.stderr.decode()
    assert elapsed < 10, elapsed
    lock.unlink()
    assert repo.run("tag", run_id, "production").returncode == 0
    tagged = repo.cli("ls", "--tag", "production", "--json")
    assert [run["id"] for run in tagged.json()] == [run_id]


def test_code_renamed_between_two_runs(repo: Repo) -> None:
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    assert repo.run("exec", PY, "train.py").returncode == 0
    repo.git("mv", "train.py", "fit.py")
    repo.write("fit.py", "print('acc=1')\n# renamed\n")
    repo.commit_all("rename")
    assert repo.run("exec", PY, "fit.py").returncode == 0
    first, second = (run["id"] for run in reversed(repo.runs_json()))
    diff = repo.cli("diff", first, second)
    assert diff.exit_code == 0, diff.stderr
    assert "train.py => fit.py | 1 +" in diff.stdout
