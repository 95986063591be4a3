"""How long `runledger which FILE` takes over a ledger of many runs.

Run from the repository root:  python benchmarks/bench_which.py [--runs 2000] [--inputs 20]

Writes --runs runs into a temporary repository through Ledger.write_many (the code path exec
records with), each with --inputs input files (a dataset shared by every run, as in real
projects) and 3 artifacts of its own, then times `python -m runledger which` (the whole
command, start-up included) for an artifact of one run, for a file no run knows and for an
input file every run read, median of --repeats; and `ls --json` over the same ledger, for scale.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.timing import time_cli  # noqa: E402
from runledger import ids  # noqa: E402
from runledger.model.record import GitInfo, Run  # noqa: E402
from runledger.recording.capture.files import FileRecord  # noqa: E402
from runledger.store import git  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_runs(count: int, inputs: int, commit: str) -> list[Run]:
    dataset = [
        FileRecord(f"data/train/shard-{index:05d}.parquet", 2**27 + index, sha(f"shard{index}"))
        for index in range(1, inputs)
    ]
    dataset.insert(0, FileRecord("data/vocab.txt", len("vocab"), sha("vocab")))
    runs = []
    start = time.time() - count * 60
    for number in range(count):
        artifacts = [
            FileRecord(
                f"checkpoints/run{number}/{name}",
                2**28 + number,
                sha(f"{number}{name}"),
                mtime=start + number * 60,
            )
            for name in ("model.pt", "optimizer.pt", "config.json")
        ]
        runs.append(
            Run(
                id=ids.new_run_id(start + number * 60),
                status="ok",
                started_at=f"2026-01-01T00:00:{number % 60:02d}.000Z",
                ended_at="2026-01-01T01:00:00.000Z",
                duration_s=3600.0,
                command=("python", "train.py", f"--seed={number}"),
                git=GitInfo(commit=commit, branch="main"),
                params={"seed": number, "lr": 0.001},
                inputs=[record.to_dict() for record in dataset],
                artifacts=[record.to_dict() for record in artifacts],
                inputs_digest=sha("dataset"),
            )
        )
    return runs


def timed(repo_dir: Path, args: list[str], repeats: int) -> tuple[float, int]:
    timing = time_cli(repo_dir, args, repeats, warmup=False)
    return timing.median_s, timing.exit_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--inputs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
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
        commit = git.head_state(repo).commit or ""
        start = time.perf_counter()
        runs = make_runs(args.runs, args.inputs, commit)
        Ledger(repo).write_many(runs, "bench <b@b>", 1_700_000_000)
        git.pack_refs(repo)
        print(
            f"wrote {args.runs} runs ({args.inputs} inputs, 3 artifacts each) "
            f"in {time.perf_counter() - start:.1f} s"
        )

        known = Path(folder) / "found-on-a-server.bin"
        # The oldest run's model: its record is the content of this file.
        known.write_text("0model.pt")
        oldest = runs[0].artifacts[0]  # type: ignore[index]
        known_record = dict(oldest, size=known.stat().st_size, sha256=sha("0model.pt"))
        extra = Run(**{**runs[0].__dict__, "id": ids.new_run_id(), "artifacts": [known_record]})
        Ledger(repo).write(extra, "bench <b@b>", 1_700_000_000)
        stranger = Path(folder) / "stranger.bin"
        stranger.write_text("nobody recorded this")
        vocab = Path(folder) / "vocab.txt"
        vocab.write_text("vocab")
        cases = (
            ("a file one run produced", known),
            ("a file no run knows", stranger),
            ("a file every run read", vocab),
        )
        for label, target in cases:
            median, code = timed(repo_dir, ["which", str(target), "--json"], args.repeats)
            print(f"which, {label}: {median * 1000:.0f} ms (exit {code}), median of {args.repeats}")
        median, code = timed(repo_dir, ["ls", "--json"], args.repeats)
        print(f"for scale, ls --json: {median * 1000:.0f} ms, median of {args.repeats}")


if __name__ == "__main__":
    main()
