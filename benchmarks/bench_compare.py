"""How long compare, ls --where/--sort and load_runs take over many runs.

    python benchmarks/bench_compare.py --runs 10000 [DIR]

Makes a git repository at DIR (a temporary one by default) holding N synthetic runs written
through the ledger's own write path, then times each command as a user would run it (a fresh
``python -m runledger`` process, best of three, after one warm-up run).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.timing import time_cli  # noqa: E402
from runledger import ids  # noqa: E402
from runledger.model.record import GitInfo, MetricSummary, Run  # noqa: E402
from runledger.store import git  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402

COMMANDS = (
    ("ls --json", ["ls", "--json"]),
    ("ls --where", ["ls", "--json", "--where", "params.lr < 0.01 and metrics.acc > 0.9"]),
    ("ls --sort", ["ls", "--json", "--sort", "-metrics.acc", "--limit", "10"]),
    ("compare csv", ["compare", "--format", "csv"]),
    ("compare --metric csv", ["compare", "--metric", "val_loss", "--format", "csv"]),
    ("compare --where csv", ["compare", "--where", "params.optimizer == 'adam'", "-f", "csv"]),
    ("compare json", ["compare", "--format", "json"]),
)


def make_runs(path: Path, count: int) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "README.md").write_text("bench\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b")
    env["GIT_COMMITTER_EMAIL"] = "b@b"
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=path, check=True, env=env)
    repo = git.discover(path)
    head = repo.git("rev-parse", "HEAD").stdout.decode().strip()
    rng = random.Random(7)
    ledger = Ledger(repo)
    start = 1_767_225_600  # 2026-01-01
    batch: list[Run] = []
    for i in range(count):
        lr = rng.choice([0.1, 0.03, 0.01, 0.003, 0.001])
        params = {
            "lr": lr,
            "batch_size": rng.choice([32, 64, 128]),
            "epochs": 10,
            "optimizer": rng.choice(["adam", "sgd"]),
            "model": {"depth": rng.choice([18, 34, 50]), "width": 64},
            "seed": i,
        }
        loss = rng.random()
        metrics = {
            "val_loss": MetricSummary(last=loss, min=loss, max=1.0),
            "acc": MetricSummary(last=1 - loss / 2, min=0.1, max=1 - loss / 2),
            "train_loss": MetricSummary(last=loss * 0.9, min=loss * 0.9, max=1.0),
        }
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + i * 60))
        batch.append(
            Run(
                id=ids.new_run_id(start + i * 60),
                status="ok" if i % 10 else "failed",
                started_at=stamp,
                ended_at=stamp,
                duration_s=60.0,
                command=("python", "train.py", "--lr", str(lr)),
                git=GitInfo(commit=head, branch="main"),
                exit_code=0,
                params=params,
                metrics=metrics,
            )
        )
        if len(batch) == 1000:
            ledger.write_many(batch, "Bench <b@b>", start)
            batch = []
    if batch:
        ledger.write_many(batch, "Bench <b@b>", start)
    git.pack_refs(repo)


def time_command(path: Path, args: list[str]) -> float:
    return time_cli(path, args, repeats=3, env={"COLUMNS": "120", "LINES": "40"}).median_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("dir", nargs="?")
    options = parser.parse_args()
    path = Path(options.dir or tempfile.mkdtemp(prefix="runledger-bench-"))
    if not (path / ".git").exists():
        began = time.perf_counter()
        make_runs(path, options.runs)
        print(f"wrote {options.runs} runs in {time.perf_counter() - began:.1f}s at {path}")
    for label, args in COMMANDS:
        print(f"{label:24} {time_command(path, args):6.2f}s   runledger {' '.join(args)}")
    began = time.perf_counter()
    code = f"import runledger; print(len(runledger.load_runs({str(path)!r})))"
    subprocess.run(
        [sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    print(f"{'load_runs (cold process)':24} {time.perf_counter() - began:6.2f}s")


if __name__ == "__main__":
    main()
