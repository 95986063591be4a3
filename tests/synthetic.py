"""Runs with chosen facts, written through the ledger's real write path (no git mocking)."""

from __future__ import annotations

from typing import Any

from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo


def make_run(
    repo: Repo,
    run_id: str,
    started_at: str,
    *,
    params: dict[str, Any] | None = None,
    metrics: dict[str, float] | None = None,
    status: str = "ok",
    branch: str | None = "main",
    commit: str | None = None,
    **extra: Any,
) -> Run:
    """Record a run on ``commit`` (default: HEAD) and return it."""
    head = commit or repo.git("rev-parse", "HEAD").strip()
    run = Run(
        id=run_id,
        status=status,
        started_at=started_at,
        ended_at=started_at,
        duration_s=1.0,
        command=("python", "train.py"),
        git=GitInfo(commit=head, branch=branch),
        exit_code=0 if status == "ok" else 1,
        params=params or {},
        metrics={
            name: MetricSummary(last=value, min=value, max=value)
            for name, value in (metrics or {}).items()
        },
        **extra,
    )
    Ledger(rgit.discover(repo.path)).write(run, "Test <t@example.com>", 1_700_000_000)
    return run
