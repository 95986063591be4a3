"""How long plot, importance and report take over many runs with step series.

    python benchmarks/bench_charts.py --runs 10000 [DIR]

Makes a git repository at DIR (a temporary one by default) holding N synthetic runs written
through the ledger's own write path, each with three 100-point series (with per-point times
for half of them), then times each command as a user would run it (a fresh
``python -m runledger`` process, best of three, after one warm-up run).
"""

from __future__ import annotations

import argparse
import math
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
    ("ls --json (baseline)", ["ls", "--json"]),
    ("plot", ["plot", "val_loss"]),
    ("plot --x time --smooth", ["plot", "val_loss", "--x", "time", "--smooth", "5"]),
    ("plot --where --top 0", ["plot", "acc", "--where", "params.lr == 0.1", "--top", "0"]),
    ("importance", ["importance", "val_loss"]),
    ("importance --json", ["importance", "acc", "--json"]),
    ("report", ["report", "-o", "report.html"]),
    ("report --where", ["report", "--where", "params.optimizer == 'adam'", "-o", "r.html"]),
)
STEPS = 100


def _series(rate: float, rng: random.Random) -> list[float]:
    return [0.1 + 2 * math.exp(-rate * s) + 0.02 * rng.random() for s in range(STEPS)]


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
    steps = list(range(STEPS))
    for i in range(count):
        lr = rng.choice([0.1, 0.03, 0.01, 0.003, 0.001])
        optimizer = rng.choice(["adam", "sgd"])
        rate = lr * (3 if optimizer == "adam" else 1) * rng.uniform(0.5, 2)
        val_loss = _series(rate, rng)
        train_loss = [v * 0.9 for v in val_loss]
        acc = [1 - v / 3 for v in val_loss]
        series = {
            "val_loss": (steps, val_loss),
            "train_loss": (steps, train_loss),
            "acc": (steps, acc),
        }
        times = {name: [0.6 * (s + 1) for s in steps] for name in series} if i % 2 else None
        metrics = {
            name: MetricSummary(last=values[-1], min=min(values), max=max(values), count=STEPS)
            for name, (_, values) in series.items()
        }
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + i * 60))
        batch.append(
            Run(
                id=ids.new_run_id(start + i * 60),
                status="ok",
                started_at=stamp,
                ended_at=stamp,
                duration_s=60.0,
                command=("python", "train.py", "--lr", str(lr)),
                git=GitInfo(commit=head, branch="main"),
                exit_code=0,
                params={
                    "lr": lr,
                    "batch_size": rng.choice([32, 64, 128]),
                    "optimizer": optimizer,
                    "model": {"depth": rng.choice([18, 34, 50]), "width": 64},
                    "seed": i,
                },
                metrics=metrics,
                series=series,
                series_times=times,
                environment={"python": {"version": "3.11.9"}, "packages": {"torch": "2.3.1"}},
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
    size = (path / "report.html").stat().st_size
    print(f"report.html: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
