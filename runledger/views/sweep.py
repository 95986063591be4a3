"""``runledger sweep``'s output: one line per finished trial, then the best trials."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

from runledger import ids
from runledger.views.runs import console, format_number

if TYPE_CHECKING:
    from runledger.analysis.search import SweepResult, TrialOutcome

STATE_WORD = {"COMPLETE": "ok", "PRUNED": "pruned", "FAIL": "failed"}


def _params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{name}={format_number(value)}" for name, value in params.items())


def print_trial_line(outcome: TrialOutcome, metric: str) -> None:
    """Progress, on stderr: the trial, its outcome, its params, its run."""
    word = STATE_WORD.get(outcome.state, outcome.state.lower())
    if outcome.status == "interrupted" and outcome.state == "FAIL":
        word = "interrupted"
    value = f" {metric}={format_number(outcome.value)}" if outcome.value is not None else ""
    detail = f" ({_clean(outcome.detail)})" if outcome.detail and word == "failed" else ""
    print(
        f"runledger: trial {outcome.number} {word}{value}  {_clean(_params_text(outcome.params))}"
        f"  run {ids.short_id(outcome.run_id)}{detail}",
        file=sys.stderr,
    )


def _clean(text: str) -> str:
    """Text from a trial's output or a pulled record: no control character reaches the
    terminal raw."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:200]


def render_sweep_end(result: SweepResult, parent_id: str) -> None:
    """The best trials, the best params, and where to look further."""
    out = console()
    metric = result.settings.metric
    how = "interrupted" if result.interrupted else "finished"
    out.print(
        f"Sweep {result.sweep_id} {how}: {result.finished_trials} trials done, "
        f"{len(result.outcomes)} here; parent run {ids.short_id(parent_id)}."
    )
    if not result.best:
        out.print(f"No trial recorded {metric}.", style="yellow")
    else:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="best trials")
        table.add_column("trial", justify="right")
        table.add_column(metric, justify="right")
        table.add_column("params")
        table.add_column("run", style="cyan", no_wrap=True)
        for best in result.best:
            table.add_row(
                str(best.number),
                format_number(best.value),
                _clean(_params_text(best.params)),
                ids.short_id(best.run_id) if best.run_id else "",
            )
        out.print(table)
        out.print(f"Best params: {_clean(_params_text(result.best[0].params))}")
    resume = "  runledger sweep --resume " + result.sweep_id if result.interrupted else ""
    out.print(f"Look further: runledger compare --sweep {result.sweep_id} --metric {metric}")
    if resume:
        out.print(f"Continue:{resume}")
