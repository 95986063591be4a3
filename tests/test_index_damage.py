"""A damaged run index (the SQLite cache under .git/runledger/) never costs a listing: the
runs are read from their refs, and the index is made again."""

from __future__ import annotations

import sqlite3
import sys

from tests.conftest import Repo

PY = sys.executable


def two_runs(repo: Repo) -> list[str]:
    for value in ("0.5", "0.7"):
        proc = repo.run("exec", PY, "-c", f"print('acc={value}')")
        assert proc.returncode == 0, proc.stderr
    return sorted(repo.run_ids())


def listed(repo: Repo) -> list[str]:
    result = repo.cli("ls", "--json")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return sorted(run["id"] for run in result.json())


def test_pages_damaged_after_the_header_are_read_around_then_rebuilt(repo: Repo) -> None:
    runs = two_runs(repo)
    assert listed(repo) == runs  # the index exists now
    index = repo.path / ".git" / "runledger" / "index.sqlite"
    size = index.stat().st_size
    with open(index, "r+b") as handle:  # the schema page survives, the rows do not
        handle.seek(4096)
        handle.write(b"\xff" * (size - 4096))

    assert listed(repo) == runs
    assert listed(repo) == runs
    with sqlite3.connect(index) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (2,)


def test_an_index_path_taken_by_a_folder_is_read_around(repo: Repo) -> None:
    runs = two_runs(repo)
    index = repo.path / ".git" / "runledger" / "index.sqlite"
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (index.parent / name).unlink(missing_ok=True)
    index.mkdir()
    (index / "kept").write_text("not runledger's")

    assert listed(repo) == runs
    assert (index / "kept").read_text() == "not runledger's"
