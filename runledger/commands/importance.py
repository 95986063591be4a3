"""``runledger importance``: which params matter for a metric across runs."""

from __future__ import annotations

from pathlib import Path

from runledger.commands.plot import chosen_runs
from runledger.importance import Importance, importance


def param_importance(
    cwd: Path, metric: str, *, where: str | None = None, maximize: bool | None = None
) -> Importance:
    _, runs = chosen_runs(cwd, [], where, "score")
    return importance(runs, metric, maximize=maximize)
