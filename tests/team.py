"""Helpers for tests with a shared remote: a bare repository and several clones of it."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from runledger import ids
from runledger.model.record import GitInfo, Run
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo, git


class Clone(Repo):
    """A clone of the team's remote, with a name for messages."""

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(path)
        self.name = name

    def record(self, run_id: str | None = None, commit: str | None = None, **extra: object) -> str:
        """Write a run through the ledger's own write path; return its id."""
        run_id = run_id or ids.new_run_id()
        head = commit or self.git("rev-parse", "HEAD").strip()
        run = Run(
            id=run_id,
            status="ok",
            started_at="2026-01-01T10:00:00.000Z",
            ended_at="2026-01-01T10:00:01.000Z",
            duration_s=1.0,
            command=("python", "train.py", self.name),
            git=GitInfo(commit=head, branch="main"),
            exit_code=0,
            **extra,  # type: ignore[arg-type]
        )
        Ledger(rgit.discover(self.path)).write(run, "Test <t@example.com>", 1_700_000_000)
        return run_id

    def break_index(self) -> None:
        """Make the run index impossible to open: runledger then reads the refs."""
        from runledger.store.index import index_path

        path = index_path(rgit.discover(self.path))
        for made in path.parent.glob("index.sqlite*"):
            made.unlink()
        path.mkdir()

    def ids(self) -> set[str]:
        return {run["id"] for run in self.runs_json()}

    def ledger_refs(self) -> dict[str, str]:
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/runledger/")
        return dict(line.split(" ") for line in out.splitlines())

    def ok(self, *args: str) -> str:
        """Run runledger in-process; it must succeed; its stdout."""
        result = self.cli(*args)
        assert result.exit_code == 0, f"{self.name}: runledger {args}: {result.stderr}"
        return result.stdout


def make_remote(root: Path) -> Path:
    remote = root / "remote.git"
    git(root, "init", "-q", "--bare", str(remote))
    seed = root / "seed"
    git(root, "clone", "-q", str(remote), str(seed))
    (seed / "README.md").write_text("# team project\n")
    (seed / ".gitignore").write_text("data/\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "initial")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return remote


def clone(root: Path, remote: Path, name: str) -> Clone:
    path = root / name
    git(root, "clone", "-q", str(remote), str(path))
    return Clone(path, name)


def ledger_of(path: Path) -> dict[str, str]:
    """refname -> object of everything under refs/runledger/ (works for bare repositories)."""
    out = git(path, "for-each-ref", "--format=%(refname) %(objectname)", "refs/runledger/")
    return dict(line.split(" ") for line in out.splitlines())


def outside_ledger(path: Path) -> dict[str, str]:
    """Everything runledger must leave alone in a repository (bare or not): every ref outside
    refs/runledger/, HEAD, the config, FETCH_HEAD, the index and the work tree."""
    git_dir = Path(git(path, "rev-parse", "--absolute-git-dir").strip())
    refs = git(path, "for-each-ref", "--format=%(refname) %(objectname) %(symref)")
    state = {
        "refs": "\n".join(
            line for line in refs.splitlines() if not line.startswith("refs/runledger/")
        ),
        "head": (git_dir / "HEAD").read_text(),
        "config": (git_dir / "config").read_text(),
        "fetch_head": _read(git_dir / "FETCH_HEAD"),
        "index": hashlib.sha1(_read(git_dir / "index").encode()).hexdigest(),
    }
    if git(path, "rev-parse", "--is-bare-repository").strip() == "false":
        state["status"] = git(path, "status", "--porcelain=v1", "--ignored")
    return state


def _read(path: Path) -> str:
    return path.read_bytes().hex() if path.exists() else ""


def fsck(path: Path) -> None:
    proc = subprocess.run(
        ["git", "fsck", "--strict", "--no-progress"],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"git fsck failed in {path}:\n{proc.stdout}\n{proc.stderr}"


def mallory_and_alice(root: Path) -> tuple[Clone, Clone]:
    """Two clones of one new remote: mallory, who crafts records, and alice, who pulls them."""
    remote = make_remote(root)
    return clone(root, remote, "mallory"), clone(root, remote, "alice")


def share(mallory: Clone, alice: Clone) -> None:
    """Mallory pushes her ledger refs as they are (plumbing, no checks); alice pulls them."""
    mallory.git("push", "-q", "origin", "refs/runledger/*:refs/runledger/*")
    alice.ok("pull")
