"""Runs with step series, written in one ref transaction through the ledger's real write path."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from runledger import ids
from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo

BASE = 1_700_000_000


def summary(values: Sequence[float]) -> MetricSummary:
    finite = [v for v in values if not math.isnan(v)]
    return MetricSummary(
        last=values[-1],
        min=min(finite, default=math.nan),
        max=max(finite, default=math.nan),
        count=len(values),
    )


def series_run(
    repo: Repo,
    index: int,
    *,
    params: dict[str, Any] | None = None,
    series: dict[str, tuple[list[float], list[float]]] | None = None,
    times: dict[str, list[float]] | None = None,
    duration_s: float = 60.0,
    **extra: Any,
) -> Run:
    """A run (not yet written) started ``index`` minutes after BASE, with these series."""
    series = series or {}
    head = repo.git("rev-parse", "HEAD").strip()
    start = BASE + 60 * index
    return Run(
        id=ids.new_run_id(start),
        status=extra.pop("status", "ok"),
        started_at=f"2023-11-14T{index // 60 % 24:02d}:{index % 60:02d}:00Z",
        ended_at=f"2023-11-14T{index // 60 % 24:02d}:{index % 60:02d}:30Z",
        duration_s=duration_s,
        command=extra.pop("command", ("python", "train.py")),
        git=GitInfo(commit=head, branch="main"),
        exit_code=0,
        params=params or {},
        metrics=extra.pop(
            "metrics", {name: summary(values) for name, (_, values) in series.items()}
        ),
        series=series,
        series_times=times,
        **extra,
    )


def write(repo: Repo, runs: Sequence[Run]) -> list[str]:
    Ledger(rgit.discover(repo.path)).write_many(list(runs), "Test <t@example.com>", BASE)
    return [run.id for run in runs]


def decay(rate: float, steps: Sequence[float], floor: float = 0.1) -> list[float]:
    return [floor + 2.0 * math.exp(-rate * step) for step in steps]
