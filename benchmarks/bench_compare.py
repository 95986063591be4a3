"""How long compare, ls --where/--sort and load_runs take over many runs.

    python benchmarks/bench_compare.py --runs 10000 [DIR]
    python benchmarks/bench_compare.py --wide 5000

Makes a git repository at DIR (a temporary one by default) holding N synthetic runs written
through the ledger's own write path, then times each command as a user would run it (a fresh
``python -m runledger`` process, median of three, after one warm-up run). ``--wide M``: three
runs of M metrics each instead (one per layer and statistic, as some trainers log), for
compare and report, which ask about each metric name many times.
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
from typing import Any

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


WIDE_COMMANDS = (
    ("compare (table)", ["compare"]),
    ("compare csv", ["compare", "--format", "csv"]),
    ("report", ["report", "-o", "report.html"]),
)
START = 1_767_225_600  # 2026-01-01
STATISTICS = ("loss", "acc", "f1", "grad_norm", "lr", "time", "precision", "recall")


def init_repo(path: Path) -> str:
    """A git repository at ``path`` with one commit; its id."""
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "README.md").write_text("bench\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b")
    env["GIT_COMMITTER_EMAIL"] = "b@b"
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=path, check=True, env=env)
    return git.discover(path).git("rev-parse", "HEAD").stdout.decode().strip()


def bench_run(
    i: int,
    head: str,
    command: tuple[str, ...],
    params: dict[str, Any],
    metrics: dict[str, MetricSummary],
    status: str = "ok",
) -> Run:
    """The ``i``-th run, started a minute after the one before it."""
    started = START + i * 60
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(started))
    return Run(
        id=ids.new_run_id(started),
        status=status,
        started_at=stamp,
        ended_at=stamp,
        duration_s=60.0,
        command=command,
        git=GitInfo(commit=head, branch="main"),
        exit_code=0,
        params=params,
        metrics=metrics,
    )


def make_wide_runs(path: Path, metric_count: int) -> None:
    """Three runs, each with ``metric_count`` metrics named ``layerK/STATISTIC``."""
    head = init_repo(path)
    rng = random.Random(7)
    runs = []
    for i in range(3):
        metrics = {
            f"layer{j // len(STATISTICS)}/{STATISTICS[j % len(STATISTICS)]}": MetricSummary(
                last=rng.random(), min=0.0, max=1.0
            )
            for j in range(metric_count)
        }
        command = ("python", "train.py", "--seed", str(i))
        runs.append(bench_run(i, head, command, {"lr": 0.1 * (i + 1), "seed": i}, metrics))
    Ledger(git.discover(path)).write_many(runs, "Bench <b@b>", START)


def make_runs(path: Path, count: int) -> None:
    head = init_repo(path)
    repo = git.discover(path)
    rng = random.Random(7)
    ledger = Ledger(repo)
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
        command = ("python", "train.py", "--lr", str(lr))
        batch.append(bench_run(i, head, command, params, metrics, "ok" if i % 10 else "failed"))
        if len(batch) == 1000:
            ledger.write_many(batch, "Bench <b@b>", START)
            batch = []
    if batch:
        ledger.write_many(batch, "Bench <b@b>", START)
    git.pack_refs(repo)


def time_command(path: Path, args: list[str]) -> float:
    return time_cli(path, args, repeats=3, env={"COLUMNS": "120", "LINES": "40"}).median_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--wide", type=int, metavar="METRICS", help="3 runs of this many metrics")
    parser.add_argument("dir", nargs="?")
    options = parser.parse_args()
    path = Path(options.dir or tempfile.mkdtemp(prefix="runledger-bench-"))
    if options.wide:
        if not (path / ".git").exists():
            make_wide_runs(path, options.wide)
        for label, args in WIDE_COMMANDS:
            print(f"{label:24} {time_command(path, args):6.2f}s   runledger {' '.join(args)}")
        return
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
