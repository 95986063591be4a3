"""``runledger plot``: one metric's series across runs, as a chart in the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from runledger.analysis.curves import Chart, XAxis, chart
from runledger.cli.commands.compare import choose_runs
from runledger.cli.options import (
    MaximizeOption,
    SweepOption,
    WhereOption,
)
from runledger.errors import UserError
from runledger.model.record import Run
from runledger.query.select import row_filter
from runledger.store import git
from runledger.store.ledger import Ledger


def no_runs(where: str | None, what: str) -> UserError:
    if where is not None:
        return UserError(f"no runs to {what}: none matches --where {where!r}")
    return UserError(f"no runs to {what}: record one with 'runledger exec COMMAND'")


def chosen_runs(
    cwd: Path, specs: Sequence[str], where: str | None, what: str, sweep: str | None = None
) -> tuple[Ledger, list[Run]]:
    """The ledger and the runs named (or all, or a sweep's children), filtered; UserError
    when none is left."""
    keep = row_filter(where)
    ledger = Ledger(git.discover(cwd))
    rows = choose_runs(ledger, specs, keep, sweep)
    if not rows:
        raise no_runs(where, what)
    return ledger, ledger.runs_of([row.id for row in rows])


def plot_chart(
    cwd: Path,
    metric: str,
    specs: Sequence[str],
    *,
    where: str | None = None,
    x_axis: XAxis = "step",
    log_y: bool = False,
    smooth: int = 1,
    top: int | None = None,
    maximize: bool | None = None,
    sweep: str | None = None,
) -> Chart:
    ledger, runs = chosen_runs(cwd, specs, where, "plot", sweep)
    result = chart(
        ledger, runs, metric, x_axis=x_axis, log_y=log_y, smooth=smooth, top=top, maximize=maximize
    )
    if not result.curves:
        raise UserError(
            f"nothing to plot: no chosen run recorded a series of {metric!r} "
            "(only a final value); 'runledger show RUN' lists what a run recorded"
        )
    if not any(curve.xs for curve in result.curves):
        drawable = "a finite number above zero (--log-y)" if log_y else "a finite number"
        raise UserError(f"nothing to plot: no point of {metric!r} in the chosen runs is {drawable}")
    return result


def group_plot(
    cwd: Path,
    metric: str,
    specs: Sequence[str],
    group_by: Sequence[str],
    where: str | None,
    smooth: int,
    maximize: bool | None,
) -> Chart:
    from runledger.analysis.curves import group_chart
    from runledger.cli.commands.compare import declared_directions

    ledger, runs = chosen_runs(cwd, specs, where, "plot")
    result = group_chart(
        ledger,
        runs,
        metric,
        group_by,
        smooth=smooth,
        maximize=maximize,
        declared=declared_directions(ledger.repo.root),
    )
    if not result.curves:
        raise UserError(f"nothing to plot: no chosen run recorded a series of {metric!r}")
    return result


def plot_command(
    metric: Annotated[
        str, typer.Argument(help="The metric to plot, e.g. val_loss.", metavar="METRIC")
    ],
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to plot (ids, prefixes or tags); default: every run.", metavar="RUN"
        ),
    ] = None,
    where: WhereOption = None,
    x_axis: Annotated[
        str,
        typer.Option(
            "--x",
            help="The x axis: step, or time (seconds since each run started; spread over the "
            "run's duration, and marked approximate, for runs recorded before per-point times).",
            metavar="step|time",
        ),
    ] = "step",
    log_y: Annotated[bool, typer.Option("--log-y", help="A logarithmic y axis.")] = False,
    smooth: Annotated[
        int,
        typer.Option(
            "--smooth",
            min=1,
            help="Average each point with the N-1 before it (a trailing moving average).",
            metavar="N",
        ),
    ] = 1,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            "-n",
            min=0,
            help="Draw at most N runs, the best by the metric's last value; 0 draws all.",
            metavar="N",
        ),
    ] = 10,
    maximize: MaximizeOption = None,
    sweep: SweepOption = None,
    group_by: Annotated[
        list[str] | None,
        typer.Option(
            "--group-by",
            "-g",
            help="One curve per group of runs with these values (repeatable): the mean at "
            "each step, with a band of one standard deviation.",
            metavar="KEY",
        ),
    ] = None,
) -> None:
    """METRIC's step series of several runs as one chart in the terminal.

    One colour per run (one character when not on a colour terminal), with a legend of short
    ids and the params that differ. Runs without METRIC are listed on stderr, not drawn.
    """
    from runledger.analysis.curves import parse_x_axis

    if group_by:
        from runledger.views.charts import render_chart

        render_chart(group_plot(Path.cwd(), metric, runs or [], group_by, where, smooth, maximize))
        return
    chart = plot_chart(
        Path.cwd(),
        metric,
        runs or [],
        where=where,
        x_axis=parse_x_axis(x_axis),
        log_y=log_y,
        smooth=smooth,
        top=top,
        maximize=maximize,
        sweep=sweep,
    )
    from runledger.views.charts import render_chart

    render_chart(chart)
