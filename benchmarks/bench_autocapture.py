"""What in-process capture adds to a Python program's start-up (README, Performance).

Usage (from the repository root):

    python benchmarks/bench_autocapture.py               # 31 interleaved rounds
    python benchmarks/bench_autocapture.py --rounds 51 --python /path/to/python

Each round runs, in turn, the same program bare and with the capture folder first on
PYTHONPATH (as ``runledger exec`` sets it, with a metrics file to report to), so both see the
same machine load. Programs: ``python -c pass`` (imports none of the hooked libraries: the
figure the README quotes, target +15 ms), ``import argparse`` with one parse (loads the hooks
and reports params), and ``import json, email`` (only the standard library: no "used" line).
Printed: the median wall time of each, and the median of the per-round differences.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "runledger" / "recording" / "autocapture"

PROGRAMS = {
    "python -c pass": "pass",
    "argparse, one parse": "import argparse; argparse.ArgumentParser().parse_args([])",
    "stdlib only (json, email)": "import json, email.message",
}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f}ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds (>= 20)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter measured")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("RUNLEDGER_")}
    base.pop("PYTHONPATH", None)
    base.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: .pyc files are kept
    with tempfile.TemporaryDirectory() as folder:
        captured = dict(base)
        captured["PYTHONPATH"] = str(FOLDER)
        captured["RUNLEDGER_METRICS_FILE"] = os.path.join(folder, "metrics.jsonl")
        print(f"{args.python} ({sys.version.split()[0]}), {args.rounds} interleaved rounds")
        print(
            f"{'program':27} {'bare wall':>10} {'captured':>9} {'added':>9}"
            f" {'bare CPU':>10} {'captured':>9} {'added':>9}"
        )
        for label, code in PROGRAMS.items():
            command = [args.python, "-c", code]
            timed(command, base), timed(command, captured)  # warm the caches
            rows: list[list[float]] = [[], [], [], [], [], []]
            for _ in range(args.rounds):
                (wall_one, cpu_one), (wall_two, cpu_two) = (
                    timed(command, base),
                    timed(command, captured),
                )
                for row, value in zip(
                    rows,
                    (wall_one, wall_two, wall_two - wall_one, cpu_one, cpu_two, cpu_two - cpu_one),
                    strict=True,
                ):
                    row.append(value)
            print(f"{label:27} " + " ".join(f"{ms(row):>9}" for row in rows))
        print("added: the median of the per-round differences; CPU: user + system time")


if __name__ == "__main__":
    main()
