"""``runledger importance``: which params matter for a metric across runs."""

from __future__ import annotations

from pathlib import Path

from runledger.analysis.importance import Importance, importance
from runledger.cli.commands.plot import chosen_runs


def param_importance(
    cwd: Path, metric: str, *, where: str | None = None, maximize: bool | None = None
) -> Importance:
    _, runs = chosen_runs(cwd, [], where, "score")
    return importance(runs, metric, maximize=maximize)
