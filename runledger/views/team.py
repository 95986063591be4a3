"""Rich rendering of team tags and their history (``runledger tags``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runledger import ids
from runledger.model.tag import TagState
from runledger.views.runs import console, format_when
from runledger.views.text import safe


def _run(run_id: str | None) -> Text:
    return Text(safe(ids.short_id(run_id)), style="cyan") if run_id else Text("-", style="dim")


def render_tags(states: Sequence[TagState], out: Console | None = None) -> None:
    out = out or console()
    if not states:
        out.print("No tags yet. Name a run with: runledger tag RUN production", style="dim")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("tag", "run", "by", "when"):
        table.add_column(column, no_wrap=True)
    for state in states:
        table.add_row(
            Text(safe(state.name), style="bold"),
            _run(state.run),
            Text(safe(state.by)),
            Text(f"{safe(format_when(state.at))}  {safe(state.at)}"),
        )
    out.print(table)


# the newest changes of a tag that --history shows: a pulled chain of 5,000 changes took 7 s to
# lay out, and nothing bounds its length
HISTORY_ROWS_SHOWN = 200


def render_history(states: Sequence[TagState], out: Console | None = None) -> None:
    """Every change of one tag, newest first: what it named before and after."""
    out = out or console()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("when", "change", "run", "before", "by"):
        table.add_column(column, no_wrap=column != "change")
    for state in states[:HISTORY_ROWS_SHOWN]:
        change = Text(safe(state.action))
        if state.action == "merge" and state.overruled:
            lost = state.overruled
            lost_run = ids.short_id(str(lost["run"])) if lost.get("run") else "deleted"
            change.append(
                f": changed in two clones; the later change was kept over {safe(lost_run)} "
                f"({safe(lost.get('by', '?'))}, {safe(lost.get('at', '?'))})",
                style="dim",
            )
        table.add_row(
            Text(safe(state.at)),
            change,
            _run(state.run),
            _run(state.previous),
            Text(safe(state.by)),
        )
    out.print(table)
    if len(states) > HISTORY_ROWS_SHOWN:
        earlier = f"{len(states) - HISTORY_ROWS_SHOWN:,} earlier changes"
        out.print(Text(f"and {earlier} (tags --history NAME --json lists them all)", style="dim"))
