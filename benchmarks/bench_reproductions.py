"""What listing reproductions costs `ls` and `show` over a ledger of many runs.

Run from the repository root:  python benchmarks/bench_reproductions.py [--runs 10000]

Writes --runs runs into a temporary repository through Ledger.write_many (the code path exec
records with); every tenth one reproduces an earlier run, with a verdict. Then times the whole
`python -m runledger show RUN --json` of the oldest run and of a recent one (show finds a
run's reproductions among the runs started after it, so the oldest is the worst case) and
`ls --json`, median of --repeats. With --baseline DIR (a checkout of runledger without
reproduce), times the same commands with that code too, for the cost of the scan.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.timing import time_cli  # noqa: E402
from runledger import ids  # noqa: E402
from runledger.model.record import GitInfo, MetricSummary, Reproduction, Run  # noqa: E402
from runledger.store import git  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402


def make_runs(count: int, commit: str) -> list[Run]:
    runs: list[Run] = []
    start = time.time() - count * 60
    for number in range(count):
        reproduces = runs[number - 9].id if number % 10 == 9 else None
        runs.append(
            Run(
                id=ids.new_run_id(start + number * 60),
                status="ok",
                started_at=f"2026-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
                ended_at="2026-01-01T01:00:00.000Z",
                duration_s=3600.0,
                command=("python", "train.py", f"--seed={number}"),
                git=GitInfo(commit=commit, branch="main"),
                params={"seed": number, "lr": 0.001, "model": {"depth": 12, "width": 768}},
                metrics={
                    name: MetricSummary(last=0.5, min=0.1, max=0.9, count=100)
                    for name in ("loss", "acc", "val_loss")
                },
                reproduces=reproduces,
                reproduction=Reproduction("reproduced", (), {"loss": 0.0}) if reproduces else None,
            )
        )
    return runs


def timed(code: Path, repo_dir: Path, args: list[str], repeats: int) -> float:
    timing = time_cli(repo_dir, args, repeats, code=code, warmup=False)
    if timing.exit_code != 0:
        raise SystemExit(timing.stderr)
    return timing.median_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="runledger code without reproduce")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        repo_dir = Path(folder) / "repo"
        repo_dir.mkdir()
        for command in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "code"]):
            subprocess.run(
                ["git", "-c", "user.name=b", "-c", "user.email=b@b", *command],
                cwd=repo_dir,
                check=True,
            )
        repo = git.discover(repo_dir)
        runs = make_runs(args.runs, git.head_state(repo).commit or "")
        Ledger(repo).write_many(runs, "bench <b@b>", 1_700_000_000)
        git.pack_refs(repo)
        cases = (
            ("show --json, the oldest run", ["show", runs[0].id, "--json"]),
            ("show --json, a run 10 minutes old", ["show", runs[-10].id, "--json"]),
            ("ls --json", ["ls", "--json"]),
        )
        codes = [("this code", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
        print(f"{args.runs} runs, one a minute, {args.runs // 10} of them reproductions")
        for label, arguments in cases:
            for name, code in codes:
                median = timed(code, repo_dir, arguments, args.repeats)
                print(f"{label} ({name}): {median * 1000:.0f} ms, median of {args.repeats}")


if __name__ == "__main__":
    main()
