"""``runledger importance``: which params matter for a metric across runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runledger.analysis.importance import Importance, importance
from runledger.cli.commands.plot import chosen_runs
from runledger.cli.options import (
    JsonObjectOption,
    MaximizeOption,
    SweepOption,
    WhereOption,
    print_json,
)


def param_importance(
    cwd: Path,
    metric: str,
    *,
    where: str | None = None,
    maximize: bool | None = None,
    sweep: str | None = None,
) -> Importance:
    _, runs = chosen_runs(cwd, [], where, "score", sweep)
    return importance(runs, metric, maximize=maximize)


def importance_command(
    metric: Annotated[
        str, typer.Argument(help="The metric to explain, e.g. val_loss.", metavar="METRIC")
    ],
    where: WhereOption = None,
    maximize: MaximizeOption = None,
    as_json: JsonObjectOption = False,
    sweep: SweepOption = None,
) -> int:
    """Which params matter for METRIC across runs, as a ranked bar chart.

    Numeric params are scored by Spearman rank correlation, categorical ones by the
    correlation ratio (variance explained), both on the ranks of each run's last METRIC.
    Exits 1 when there are too few runs (fewer than 5 with METRIC) or no param varies.
    """
    result = param_importance(Path.cwd(), metric, where=where, maximize=maximize, sweep=sweep)
    if as_json:
        print_json(result.to_json())
    elif result.problem is None:
        from runledger.views.charts import render_importance

        render_importance(result)
    if result.problem is not None:
        from runledger.safetext import safe

        print(f"runledger: {safe(result.problem)}", file=sys.stderr)
        return 1
    return 0
