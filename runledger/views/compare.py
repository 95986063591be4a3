"""``compare`` for people: the constant params once, the winner, then a rich table."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runledger import ids
from runledger.analysis.compare import Column, Comparison, cell_text, describe_direction
from runledger.views.runs import STATUS_STYLE, console, format_number, format_when
from runledger.views.text import safe

BEST_STYLE = "bold green"
STAR = "★"


def _value_text(column: Column, value: Any) -> str | Text:
    if value is None:
        return ""
    if column.key == "id":
        return Text(safe(ids.short_id(value)), style="cyan")
    if column.key == "status":
        return Text(safe(value), style=STATUS_STYLE.get(value, ""))
    if column.key == "started_at":
        return safe(format_when(value))
    if column.key == "commit":
        return Text(safe(value[:8]), style="magenta")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return safe(cell_text(value))


def _labels(columns: tuple[Column, ...]) -> list[str]:
    """Short headers (``lr``, ``acc``), with the prefix kept where two would read the same."""
    counts = Counter(column.label for column in columns)
    return [safe(column.label if counts[column.label] == 1 else column.key) for column in columns]


def _constant_line(comparison: Comparison) -> Text:
    count = len(comparison.rows)
    line = Text(f"same in {'the run' if count == 1 else f'all {count} runs'}: ", style="dim")
    for position, (key, value) in enumerate(comparison.constant.items()):
        if position:
            line.append(" · ", style="dim")
        label = key.split(".", 1)[1] if key.startswith("params.") else key
        shown = value[:8] if key == "commit" else cell_text(value)
        if isinstance(value, float):
            shown = format_number(value)
        line.append(f"{safe(label)}=", style="dim")
        line.append(safe(shown))
    return line


def _winner_line(comparison: Comparison) -> Text | None:
    if comparison.metric is None or comparison.direction is None:
        return None
    name = safe(comparison.metric.split(".", 1)[1])
    line = Text(f"best by {name} ({describe_direction(comparison.direction)}): ", style="dim")
    best = comparison.best.get(comparison.metric)
    if comparison.best_run is None or best is None:
        line.append("no run has a value")
        return line
    line.append(f"{STAR} ", style=BEST_STYLE)
    line.append(safe(comparison.best_run), style="cyan")
    line.append(f"  {name}={format_number(best.value)}", style=BEST_STYLE)
    return line


def render_comparison(
    comparison: Comparison, empty: str = "No runs to compare.", out: Console | None = None
) -> None:
    out = out or console()
    if not comparison.rows:
        out.print(empty, style="dim")
        return
    if comparison.constant:
        out.print(_constant_line(comparison))
    winner = _winner_line(comparison)
    if winner is not None:
        out.print(winner)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column, label in zip(comparison.columns, _labels(comparison.columns), strict=True):
        if column.kind == "best":
            table.add_column("", no_wrap=True)
        elif column.kind == "metric":
            table.add_column(label, justify="right", no_wrap=True, header_style="bold green")
        elif column.kind == "param":
            table.add_column(label, overflow="fold", header_style="bold yellow")
        else:
            table.add_column(label, no_wrap=True)
    for row in comparison.rows:
        cells: list[str | Text] = []
        for column, value in zip(comparison.columns, row, strict=True):
            if column.kind == "best":
                cells.append(Text(STAR, style=BEST_STYLE) if value else "")
            elif column.kind == "metric" and comparison.is_best(column, value):
                # Without colour (piped, NO_COLOR) the best value still stands out.
                mark = "" if out.color_system else " *"
                cells.append(Text(format_number(value) + mark, style=BEST_STYLE))
            else:
                cells.append(_value_text(column, value))
        table.add_row(*cells)
    out.print(table)
