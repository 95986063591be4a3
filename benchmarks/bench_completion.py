"""How long shell completion of a RUN / METRIC takes (issue 18 asks for at most 100 ms).

    python benchmarks/populate.py --runs 1000 /tmp/ledger   # once
    python benchmarks/bench_completion.py /tmp/ledger

Each case is a real process, as the shell starts it; the median of 15 runs is printed, next to
a bare ``python -c pass`` (the interpreter's own start-up, which no completion can beat).
"""

from __future__ import annotations

import os
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
}


def main() -> None:
    repo = Path(sys.argv[1])
    subprocess.run(
        [sys.executable, "-m", "runledger", "ls", "-n", "1"],
        cwd=repo,
        check=True,
        capture_output=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    for label, (command, extra) in CASES.items():
        env = os.environ | {"PYTHONPATH": str(ROOT)} | extra
        times = []
        for _ in range(15):
            start = time.perf_counter()
            subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"{label:28s} median {statistics.median(times) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
