"""Charts in the terminal (plotext): metric curves for ``plot``, ranked bars for ``importance``.

plotext draws the chart; the legend is drawn here below it, because a legend inside the
canvas hides the curves and cannot fold a long label (short id and the params that differ).
With colour, each run has a colour and the legend shows it; without (piped, NO_COLOR) each
run is drawn with its own character instead, and the legend shows that character.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from runledger.analysis.curves import Chart, format_value
from runledger.analysis.importance import Importance
from runledger.views import layout
from runledger.views.runs import console, format_number
from runledger.views.text import safe

# xterm-256 colours close to matplotlib's tab10, readable on dark and light terminals alike.
PALETTE = (33, 208, 34, 160, 99, 130, 170, 244, 142, 37)
# Without colour, one character per run: distinct at a glance, plain ASCII first.
MARKERS = "*x+o#@%&=~^$"
WEAK = 244  # grey: a score that could be chance
MIN_WIDTH, MAX_HEIGHT, MIN_HEIGHT = 40, 30, 12
MAX_BARS = 15  # params in the importance chart; the table below lists them all


def chart_size(out: Console) -> tuple[int, int]:
    """Width and height in cells: the terminal's (COLUMNS/LINES honoured), within reason."""
    columns, lines = shutil.get_terminal_size((100, 34))
    width = max(MIN_WIDTH, min(columns, out.width if out.is_terminal else columns))
    height = max(MIN_HEIGHT, min(MAX_HEIGHT, lines - 6))
    return width, height


def _marker(plotext: Any, index: int, colour: bool) -> Any:
    if colour:
        return plotext.marker("hd", plotext.pixel(PALETTE[index % len(PALETTE)]))
    return MARKERS[index % len(MARKERS)]


def _band(plotext: Any, index: int, colour: bool) -> Any:
    if colour:
        return plotext.marker("·", plotext.pixel(PALETTE[index % len(PALETTE)]))
    return "·"


def _figure(width: int, height: int) -> Any:
    import plotext

    figure = plotext.figure
    figure.clear()
    figure.theme("simple")
    figure.plot_size(width, height)
    return figure


def render_chart(chart: Chart, out: Console | None = None) -> None:
    """The curves, then the legend (folding to the width), then what was left out (stderr)."""
    import plotext

    out = out or console()
    colour = out.color_system is not None
    width, height = chart_size(out)
    figure = _figure(width, height)
    for index, curve in enumerate(chart.curves):
        if not curve.xs:
            continue
        if curve.low:  # a group's band: its edges, dotted, in the group's colour
            for edge in (curve.low, curve.high):
                band = figure.signal(
                    list(curve.xs), list(edge), marker=_band(plotext, index, colour)
                )
                figure.draw(band)
        signal = figure.signal(
            list(curve.xs), list(curve.ys), marker=_marker(plotext, index, colour)
        )
        if len(curve.xs) > 1:
            signal.lines()
        figure.draw(signal)
    notes = chart.notes()
    if chart.log_y:
        ys = {y for curve in chart.curves for y in curve.ys}
        if len(ys) > 1:
            figure.ruler("y").scale("log")
        else:  # plotext pads a flat range below zero, where a log scale has nothing to show
            notes.append("every value drawn is the same: the y axis is linear, not log")
    figure.title(safe(chart.title))
    figure.label(safe(chart.x_label))
    text = figure.build().string(colorless=not colour)
    out.file.write(text.rstrip("\n") + "\n")
    out.file.write(_legend(chart, colour, width))
    if chart.constant:
        items = [
            f"{safe(key)}={safe(format_value(value))}" for key, value in chart.constant.items()
        ]
        lines = layout.wrapped("same in every run drawn: ", items, width)
        layout.print_lines(out, [Text(line, style="dim") for line in lines], width)
    print_notes(notes)


def _legend(chart: Chart, colour: bool, width: int) -> str:
    """One entry per run, packed into columns when they are short, folded when long.

    Colours are written as the same 256-colour escapes plotext uses for the curves, so the
    legend matches the chart on every terminal (rich would translate them to its own).
    """
    entries: list[tuple[str, str, str]] = []  # (swatch as printed, short id, the rest)
    for index, curve in enumerate(chart.curves):
        if colour:
            swatch = f"\x1b[38;5;{PALETTE[index % len(PALETTE)]}m━━\x1b[0m "
        else:
            swatch = f"{MARKERS[index % len(MARKERS)]}  "
        short, _, rest = (
            safe(curve.label).partition(" ") if not curve.low else (safe(curve.label), "", "")
        )
        entries.append((swatch, short, rest.strip()))
    plain = [f"{short}  {rest}".rstrip() for _, short, rest in entries]
    cell = max((len(text) for text in plain), default=0) + 3 + 3  # swatch and a gap
    columns = max(1, width // cell) if cell * 2 <= width else 1
    lines: list[str] = []
    if columns > 1:
        for start in range(0, len(entries), columns):
            row = []
            for (swatch, short, _), text in zip(
                entries[start : start + columns], plain[start : start + columns], strict=True
            ):
                row.append(
                    swatch + _id(short, colour) + text[len(short) :].ljust(cell - 3 - len(short))
                )
            lines.append("".join(row).rstrip())
    else:
        for (swatch, short, _), text in zip(entries, plain, strict=True):
            folded = textwrap.wrap(
                text, width=max(20, width - 3), subsequent_indent=" " * (len(short) + 2)
            ) or [text]
            lines.append(swatch + _id(short, colour) + folded[0][len(short) :])
            lines += ["   " + line for line in folded[1:]]
    if len(chart.curves) > len(PALETTE if colour else MARKERS):
        lines.append(
            f"(more runs than {'colours' if colour else 'markers'}, which repeat: "
            "--top N draws fewer)"
        )
    return "\n".join(lines) + "\n"


def _id(short: str, colour: bool) -> str:
    return f"\x1b[36m{short}\x1b[0m" if colour else short


def print_notes(notes: Sequence[str]) -> None:
    """Notes on what a chart leaves out: on stderr, so stdout holds the chart alone."""
    if not notes:
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for note in notes:
        err.print(Text(f"note: {safe(note)}", style="dim"))


# --- importance ------------------------------------------------------------------------------


def render_importance(result: Importance, out: Console | None = None) -> None:
    """A ranked bar chart of the scores, the method in words, then a table of the details."""
    import plotext

    out = out or console()
    colour = out.color_system is not None
    width, _ = chart_size(out)
    scores = result.scores[:MAX_BARS]
    height = max(MIN_HEIGHT, 2 * len(scores) + 6)
    figure = _figure(width, height)
    names = [safe(score.param) for score in reversed(scores)]  # best at the top
    values = [round(score.score, 3) for score in reversed(scores)]
    if colour:  # weak scores (could be chance) in grey; the values are in the table below
        markers: Any = [
            plotext.marker("full", plotext.pixel(WEAK if score.weak else PALETTE[0]))
            for score in reversed(scores)
        ]
    else:
        markers = ["." if score.weak else "#" for score in reversed(scores)]
    bars = figure.bar(names, values, orientation="horizontal", marker=markers, labeled=not colour)
    figure.draw(bars)
    figure.ruler("x").lim(0, 1)
    more = len(result.scores) - len(scores)
    figure.title(
        f"what matters for {safe(result.metric)} across {result.runs} runs"
        + (f" (top {len(scores)} params; the table lists {more} more)" if more else "")
    )
    figure.label("score: |Spearman ρ| (numeric), correlation ratio η (categorical)")
    text = figure.build().string(colorless=not colour)
    out.file.write(text.rstrip("\n") + "\n")
    shown = "grey" if colour else "dotted"
    method = safe(result.method_text())
    out.print(Text(f"{method} Weak bars are {shown}.", style="dim"), overflow="fold")
    out.print(_importance_table(result))
    notes = [f"{item.param}: not scored, {item.reason}" for item in result.unscored]
    notes += result.caveats()
    print_notes(notes)


def _importance_table(result: Importance) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None)
    for header in ("param", "method", "score", "runs", "values", "reading"):
        table.add_column(
            header, justify="right" if header in ("score", "runs", "values") else "left"
        )
    for score in result.scores:
        style = "dim" if score.weak else ""
        table.add_row(
            Text(safe(score.param), style="bold yellow"),
            score.method_label,
            Text(format_number(round(score.score, 3)), style=style),
            str(score.runs),
            str(score.distinct),
            Text(safe(score.reading(result.metric, result.direction)), style=style),
        )
    return table
