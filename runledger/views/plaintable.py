"""Large tables laid out as plain text, looking like rich's ``box.SIMPLE_HEAD`` table.

rich lays out every cell of a table as a renderable (padding, wrapping, measuring): about a
millisecond a row, so ``runledger ls`` over 10,000 runs took 18 seconds and 100,000 runs
minutes. Run tables are one line a row of short cells, so above a few thousand rows they are
laid out here instead: the widest cell sets each column's width, the last column that may be
cut (``overflow="ellipsis"``) gives way when the table is wider than the console (then lines are
cut at the console's width rather than wrapped), and styles apply only when the console
shows colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from runledger.views.text import safe

GAP = 3  # one space of padding on each side of a cell and the column divider
EDGE = 1
MIN_WIDTH = 8


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _fit(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    cut = text[: max(0, width - 1)]
    while _width(cut) > width - 1:
        cut = cut[:-1]
    return cut + "…"


def _pad(text: str, width: int, justify: str) -> str:
    room = width - _width(text)
    if room <= 0:
        return text
    if justify == "right":
        return " " * room + text
    if justify == "center":
        return " " * (room // 2) + text + " " * (room - room // 2)
    return text + " " * room


def print_plain_table(
    out: Console, columns: Sequence[Mapping[str, Any]], rows: Sequence[Sequence[Any]]
) -> None:
    """Print ``rows`` under ``columns`` (rich ``add_column`` arguments) as rich would."""
    cells = [
        [safe(cell.plain if isinstance(cell, Text) else str(cell)) for cell in row] for row in rows
    ]
    headers = [str(column.get("header", "")) for column in columns]
    widths = [_width(header) for header in headers]
    for row in cells:
        for index, text in enumerate(row):
            size = _width(text)
            if size > widths[index]:
                widths[index] = size
    for index, column in enumerate(columns):
        if column.get("max_width") is not None:
            widths[index] = min(widths[index], int(column["max_width"]))
    total = EDGE * 2 + sum(widths) + GAP * (len(widths) - 1)
    shrinkable = [i for i, column in enumerate(columns) if column.get("overflow") == "ellipsis"]
    for index in reversed(shrinkable):
        if total <= out.width:
            break
        give = min(total - out.width, widths[index] - MIN_WIDTH)
        if give > 0:
            widths[index] -= give
            total -= give
    justify = [str(column.get("justify", "left")) for column in columns]
    inner = total - 2 * EDGE

    def line(texts: Sequence[str]) -> str:
        padded = (
            _pad(_fit(text, widths[i]), widths[i], justify[i]) for i, text in enumerate(texts)
        )
        whole = " " + (" " * GAP).join(padded) + " "
        # Still wider than the console: cut each line rather than let the terminal wrap it.
        return whole if total <= out.width else _fit(whole, out.width)

    blank = " " * min(total, out.width)
    if out.color_system is None:
        chunk = [blank, line(headers), _fit(" " + "─" * inner + " ", out.width)]
        write = out.file.write
        for row in cells:
            chunk.append(line(row))
            if len(chunk) >= 1000:
                write("\n".join(chunk) + "\n")
                chunk = []
        chunk.append(blank)
        write("\n".join(chunk) + "\n")
        return
    styles = [str(column.get("style", "")) for column in columns]
    out.print(blank, soft_wrap=True)
    out.print(Text(line(headers), style="bold"), soft_wrap=True)
    out.print(_fit(" " + "─" * inner + " ", out.width), soft_wrap=True)
    for raw, row in zip(rows, cells, strict=True):
        styled = Text(" ")
        for index, value in enumerate(row):
            if index:
                styled.append(" " * GAP)
            cell = raw[index]
            fitted = _fit(value, widths[index])
            if isinstance(cell, Text) and fitted == value:
                # keep the cell's own spans (several colours in one cell), under the column's
                room = widths[index] - _width(value)
                left = room if justify[index] == "right" else 0
                piece = cell.copy()
                piece.style = f"{styles[index]} {cell.style}".strip()  # the base, under spans
                styled.append(" " * left)
                styled.append_text(piece)
                styled.append(" " * (room - left))
                continue
            style = styles[index]
            if isinstance(cell, Text) and cell.style:
                style = f"{style} {cell.style}".strip()
            styled.append(_pad(fitted, widths[index], justify[index]), style)
        styled.append(" ")
        if len(styled) > out.width:
            styled.truncate(out.width - 1)
            styled.append("…")
        out.print(styled, soft_wrap=True)
    out.print(blank, soft_wrap=True)
