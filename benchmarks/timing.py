"""Timing a runledger command as a user runs it: a fresh process, ``python -m runledger``.

Shared by the benchmark scripts, so each measures the same way: the code under test on
PYTHONPATH, one warm-up run first (the OS's caches and runledger's own index), then the
median of the rest. Medians, not minimums: the README quotes typical times.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Timing:
    median_s: float
    exit_code: int  # the last run's
    stderr: str  # the last run's


def time_cli(
    repo_dir: Path,
    args: Sequence[str],
    repeats: int = 3,
    code: Path = ROOT,
    env: Mapping[str, str] | None = None,
    warmup: bool = True,
) -> Timing:
    """Median wall time of ``runledger ARGS`` in ``repo_dir`` over ``repeats`` runs."""
    full_env = dict(os.environ, PYTHONPATH=str(code), **(env or {}))
    seconds: list[float] = []
    proc: subprocess.CompletedProcess[bytes] | None = None
    for attempt in range(repeats + (1 if warmup else 0)):
        began = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "runledger", *args],
            cwd=repo_dir,
            env=full_env,
            capture_output=True,
            check=False,
        )
        if attempt or not warmup:
            seconds.append(time.perf_counter() - began)
    assert proc is not None
    return Timing(statistics.median(seconds), proc.returncode, proc.stderr.decode(errors="replace"))
