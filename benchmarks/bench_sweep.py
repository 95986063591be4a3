"""What child runs and ``runledger sweep`` cost.

Run from the repository root:  python benchmarks/bench_sweep.py [--children 1000] [--trials 10]

1. Children: a parent run (a full environment, as populate.py makes it) and N children (an
   Optuna trial each: 3 params, a value and a 20-point series), built and written through the
   same code path as exec's in-process capture (recording.children.build_children +
   Ledger.write_family). Reports the time and the number of processes started (git's
   included), against the time of recording one run with ``runledger exec``.
2. Sweep overhead per trial: ``runledger sweep`` of a trivial command (python printing a
   loss) against running the same command bare the same number of times, at --jobs 1 and 2
   (bare at 2: two at a time). Overhead per trial = (sweep - bare) / trials.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from populate import ensure_repo, environment, make_run, package_versions  # noqa: E402
from timing import time_cli  # noqa: E402

from runledger.recording.children import ChildSpec, build_children, write_family  # noqa: E402
from runledger.store import git  # noqa: E402

TRIVIAL = [sys.executable, "-c", "import sys; print(f'loss={float(sys.argv[1]) ** 2}')", "{x}"]


def count_processes() -> list[int]:
    """A counter of the processes this process starts from now on."""
    started = [0]
    original = subprocess.Popen.__init__

    def counting(self: subprocess.Popen[bytes], *args: object, **kwargs: object) -> None:
        started[0] += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    subprocess.Popen.__init__ = counting  # type: ignore[method-assign]
    return started


def bench_children(root: Path, count: int) -> None:
    path = root / "children"
    repo = ensure_repo(path)
    rng = random.Random(0)
    head = git.head_state(repo)
    assert head.commit is not None
    parent = make_run(rng, time.time(), head.commit, "main", environment(package_versions(rng)))
    specs = [
        ChildSpec(
            params={"lr": 10 ** rng.uniform(-5, -1), "depth": rng.randint(1, 8), "opt": "adam"},
            series={"value": [(step, rng.random()) for step in range(20)]},
            final={"value": rng.random()},
            trial={"number": number, "state": "COMPLETE"},
            name=f"trial {number}",
        )
        for number in range(count)
    ]
    started = count_processes()
    begin = time.perf_counter()
    children = build_children(parent, specs)
    write_family(repo, parent, children, with_parent=True)
    elapsed = time.perf_counter() - begin
    processes = started[0]
    refs = repo.git("for-each-ref", "--format=%(refname)", "refs/runledger/runs/")
    written = len(refs.stdout.splitlines())
    print(
        f"children: {count} children + parent written in {elapsed:.3f} s "
        f"({elapsed / count * 1000:.2f} ms a child), {processes} processes started, "
        f"{written} run refs"
    )
    one = time_cli(path, ["exec", sys.executable, "-c", "print('loss=1')"]).median_s
    print(
        f"children: one 'runledger exec' of a trivial command takes {one:.3f} s; "
        f"{count} of them would take ~{one * count:.0f} s"
    )


def bench_sweep(root: Path, trials: int, jobs: int) -> None:
    path = root / f"sweep-{jobs}"
    ensure_repo(path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    values = [0.1 * (index + 1) for index in range(trials)]

    def bare(value: float) -> None:
        argv = [arg.replace("{x}", repr(value)) for arg in TRIVIAL]
        subprocess.run(argv, cwd=path, check=True, capture_output=True)

    begin = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(bare, values))
    bare_s = time.perf_counter() - begin
    grid = "x=" + ",".join(repr(value) for value in values)
    begin = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "runledger", "sweep", "-s", grid, "--metric", "loss",
         "--jobs", str(jobs), "--", *TRIVIAL],
        cwd=path, env=env, capture_output=True, check=False,
    )  # fmt: skip
    sweep_s = time.perf_counter() - begin
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.decode())
    print(
        f"sweep --jobs {jobs}: {trials} trials in {sweep_s:.2f} s, bare {bare_s:.2f} s; "
        f"overhead {(sweep_s - bare_s) / trials * 1000:.0f} ms a trial"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_children(root, args.children)
        for jobs in (1, 2):
            bench_sweep(root, args.trials, jobs)


if __name__ == "__main__":
    main()
