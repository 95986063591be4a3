"""benchmarks/populate.py (CONTRACT.md, Benchmarks) fills a repository readable by runledger."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import Repo

ROOT = Path(__file__).resolve().parents[1]


def test_populate_writes_realistic_runs_that_runledger_reads(repo: Repo) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "populate.py"), "--runs", "25", "--quiet"]
        + ["--jobs", "1", str(repo.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(f"wrote 25 runs into {repo.path} in ")
    runs = repo.runs_json()
    assert len(runs) == 25
    assert len({run["id"] for run in runs}) == 25
    assert [run["started_at"] for run in runs] == sorted(
        (run["started_at"] for run in runs), reverse=True
    )
    assert len({run["params"]["lr"] for run in runs}) > 20
    assert set(runs[0]["metrics"]) == {"loss", "acc", "val_loss"}
    detail = repo.cli("show", runs[0]["id"], "--json").json()
    assert [len(points) for points in detail["series"].values()] == [100, 100, 100]
    assert len(detail["environment"]["packages"]) >= 150
    assert {item["path"] for item in detail["inputs"]} == {
        "data/train.parquet",
        "data/valid.parquet",
    }
    assert all(set(item) == {"path", "size", "sha256"} for item in detail["artifacts"])
    # the user's branches and work tree are untouched; the runs' code commits are their parents
    assert repo.git("status", "--porcelain") == ""
    assert repo.git("rev-parse", "HEAD").strip() == repo.git("rev-parse", "main").strip()


def test_bench_reads_which_s_own_peak_memory(repo: Repo) -> None:
    """bench.py's ``which`` cells said "0 MiB": which's answer "not found" (exit 1) was timed
    without reading its memory; now each of them reads the command's own peak, as the others."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    rows: dict[str, bench.Cell] = {}

    bench.which_rows(repo.path, rows, 1, 1)

    assert list(rows) == ["which FILE, first after an index build", "which FILE, warm"]
    for cell in rows.values():
        assert cell.note is None
        (sample,) = cell.samples
        assert sample.peak_bytes is not None
        assert 8 * 2**20 < sample.peak_bytes < 500 * 2**20  # a Python process's own, not 0
        assert " MiB" in cell.text() and " · 0 MiB" not in cell.text()
