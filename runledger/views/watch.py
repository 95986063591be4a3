"""``watch``'s frame: a chart of one metric's series so far and a table of last values."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from runledger import ids
from runledger.views import layout
from runledger.views.layout import Cell, Column
from runledger.views.runs import format_duration, format_number
from runledger.views.text import safe

if TYPE_CHECKING:
    from runledger.model.record import Run

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear screen: the frame is redrawn in place


def clear_frame() -> str:
    return CLEAR


def _chosen(run: Run, metric: str | None) -> str | None:
    series = run.series or {}
    if metric is not None:
        return metric
    if not series:
        return None
    return max(sorted(series), key=lambda name: len(series[name][0]))


def render_frame(run: Run, metric: str | None, width: int | None = None) -> str:
    import plotext

    width = width or layout.table_width()
    series = run.series or {}
    elapsed = max(0.0, time.time() - _started(run.started_at))
    lines = [
        layout.elide(
            f"watching {ids.short_id(run.id)}  running for {format_duration(elapsed)}  "
            f"{safe(' '.join(run.command))}",
            width,
        )
    ]
    name = _chosen(run, metric)
    if name is not None and name in series:
        steps, values = series[name]
        figure = plotext.figure
        figure.clear()
        figure.theme("clear")
        figure.plot_size(min(width, 100), 18)
        signal = figure.signal([float(s) for s in steps], [float(v) for v in values])
        if len(steps) > 1:
            signal.lines()
        figure.draw(signal)
        figure.title(f"{safe(name)} ({len(steps)} points)")
        figure.label("step")
        lines.append(figure.build().string(colorless=True).rstrip("\n"))
    elif name is not None:
        lines.append(f"(no points of {safe(name)} yet)")
    else:
        lines.append("(no metrics yet)")
    if run.metrics:
        names = sorted(run.metrics)
        table = layout.lay_out(
            [
                Column("metric", "metric", [Cell(safe(n)) for n in names], priority=0),
                Column(
                    "last",
                    "last",
                    [Cell(format_number(run.metrics[n].last)) for n in names],
                    "right",
                    priority=0,
                ),
                Column(
                    "min", "min", [Cell(format_number(run.metrics[n].min)) for n in names], "right"
                ),
                Column(
                    "max", "max", [Cell(format_number(run.metrics[n].max)) for n in names], "right"
                ),
            ],
            width,
        )
        lines += list(table.plain_lines())
    return "\n".join(lines) + "\n"


def _started(iso: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()
