"""How long shell completion of a RUN / METRIC takes (issue 18 asks for at most 100 ms).

    python benchmarks/populate.py --runs 1000 /tmp/ledger   # once
    python benchmarks/bench_completion.py /tmp/ledger

Each case is a real process, as the shell starts it. The cases are interleaved, round after
round, so load from other jobs falls on all of them alike; the medians of wall and CPU time
(user + system, the steadier figure on a shared machine) are printed next to a bare
``python -c pass`` (the interpreter's own start-up, which no completion can beat).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "python -c pass": ([sys.executable, "-c", "pass"], {}),
    "show <TAB> (run ids)": (
        [sys.executable, "-m", "runledger"],
        {
            "_RUNLEDGER_COMPLETE": "complete_bash",
            "COMP_WORDS": "runledger show ",
            "COMP_CWORD": "2",
        },
    ),
    "compare --metric <TAB>": (
        [sys.executable, "-m", "runledger"],
        {
            "_RUNLEDGER_COMPLETE": "complete_bash",
            "COMP_WORDS": "runledger compare --metric ",
            "COMP_CWORD": "3",
        },
    ),
    "ls --tag <TAB>": (
        [sys.executable, "-m", "runledger"],
        {
            "_RUNLEDGER_COMPLETE": "complete_bash",
            "COMP_WORDS": "runledger ls --tag ",
            "COMP_CWORD": "3",
        },
    ),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="a repository with a ledger (populate.py)")
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    subprocess.run(
        [sys.executable, "-m", "runledger", "ls", "-n", "1"],
        cwd=options.repo,
        check=True,
        capture_output=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    wall: dict[str, list[float]] = {label: [] for label in CASES}
    cpu: dict[str, list[float]] = {label: [] for label in CASES}
    for _ in range(options.rounds):
        for label, (command, extra) in CASES.items():
            env = os.environ | {"PYTHONPATH": str(ROOT)} | extra
            cpu_before = _children_cpu()
            start = time.perf_counter()
            subprocess.run(command, cwd=options.repo, env=env, check=True, capture_output=True)
            wall[label].append(time.perf_counter() - start)
            cpu[label].append(_children_cpu() - cpu_before)
    load = os.getloadavg()[0]
    print(f"medians of {options.rounds} interleaved rounds, load average {load:.1f}")
    for label in CASES:
        print(
            f"{label:28s} wall {statistics.median(wall[label]) * 1000:6.1f} ms"
            f"   cpu {statistics.median(cpu[label]) * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()
