"""``runledger plot``: one metric's series across runs, as a chart in the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runledger.analysis.curves import Chart, XAxis, chart
from runledger.cli.commands.compare import choose_runs
from runledger.errors import UserError
from runledger.model.record import Run
from runledger.query.select import run_filter
from runledger.store import git
from runledger.store.ledger import Ledger


def no_runs(where: str | None, what: str) -> UserError:
    if where is not None:
        return UserError(f"no runs to {what}: none matches --where {where!r}")
    return UserError(f"no runs to {what}: record one with 'runledger exec COMMAND'")


def chosen_runs(
    cwd: Path, specs: Sequence[str], where: str | None, what: str
) -> tuple[Ledger, list[Run]]:
    """The ledger and the runs named (or all), filtered; UserError when none is left."""
    keep = run_filter(where)
    ledger = Ledger(git.discover(cwd))
    runs = choose_runs(ledger, specs, keep)
    if not runs:
        raise no_runs(where, what)
    return ledger, runs


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
) -> Chart:
    ledger, runs = chosen_runs(cwd, specs, where, "plot")
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
