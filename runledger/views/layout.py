"""Terminal tables that never split a token (issue 18).

Every row is one line no wider than the console. A table that does not fit loses whole
columns, the least important first, and says which; a value too long for its column is
elided in the middle (``configs/…/base.yaml``), never wrapped onto a second line. rich's
``Table`` wraps or folds cells to fit, which cut headers and numbers into pieces, so tables
of runs are laid out here and only printed through rich (for colour).

Record strings arrive as plain ``str`` cells: whoever escapes text from records wraps the
cell texts before they reach ``Cell``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

Justify = Literal["left", "right"]
GAP = 2  # spaces between columns
ELLIPSIS = "…"
MIN_WIDTH = 6  # a column narrower than this says nothing: it is left out instead
PIPED_WIDTH = 120  # the width assumed when stdout is not a terminal and COLUMNS is not set


def table_width(out: Console | None = None) -> int:
    """The real width on a terminal; else COLUMNS when set; else 120."""
    if out is not None and out.is_terminal:
        return out.width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return PIPED_WIDTH


def width_of(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def elide(text: str, width: int, at: Literal["middle", "end"] = "middle") -> str:
    """``text`` in at most ``width`` cells, its middle (or end) replaced by ``…`` when too long."""
    text = " ".join(text.split()) if ("\n" in text or "\r" in text or "\t" in text) else text
    if width_of(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if at == "end":
        return _take(text, width - 1) + ELLIPSIS
    keep = width - 1
    head_cells = (keep + 1) // 2
    tail_cells = keep - head_cells
    head = _take(text, head_cells)
    tail = _take(text[::-1], tail_cells)[::-1]
    return head + ELLIPSIS + tail


def _take(text: str, cells: int) -> str:
    taken: list[str] = []
    used = 0
    for char in text:
        size = width_of(char)
        if used + size > cells:
            break
        taken.append(char)
        used += size
    return "".join(taken)


@dataclass(frozen=True)
class Cell:
    text: str
    style: str = ""


@dataclass
class Column:
    """One column: its header and its cells, and how much it matters when space is short."""

    key: str  # what --columns and the "left out" line name it by
    header: str
    cells: list[Cell]
    justify: Justify = "left"
    priority: int = 1  # 0: always shown; otherwise lower numbers are kept first
    max_width: int = 40  # longer values are elided in the middle
    style: str = ""
    header_style: str = "bold"
    elide_at: Literal["middle", "end"] = "middle"  # a command reads best cut at its end
    # False for values that read wrong when cut (a date and time): shown whole or left out.
    squeeze: bool = True
    width: int = field(default=0, init=False)

    def natural_width(self) -> int:
        widest = max((width_of(cell.text) for cell in self.cells), default=0)
        return min(max(widest, width_of(self.header)), max(self.max_width, MIN_WIDTH))


@dataclass(frozen=True)
class Layout:
    shown: tuple[Column, ...]
    left_out: tuple[Column, ...]
    width: int

    def lines(self, color: bool) -> Iterable[Text]:
        yield self._line([Cell(c.header, c.header_style) for c in self.shown], color)
        rule = (" " * GAP).join("─" * column.width for column in self.shown)
        yield Text(rule, style="dim" if color else "")
        rows = len(self.shown[0].cells) if self.shown else 0
        for index in range(rows):
            yield self._line([column.cells[index] for column in self.shown], color)

    def plain_lines(self) -> Iterator[str]:
        """The same lines without styles: fast enough for 100,000 rows."""
        shown = self.shown
        widths = [column.width for column in shown]
        right = [column.justify == "right" for column in shown]
        at = [column.elide_at for column in shown]
        gap = " " * GAP

        def line(texts: Sequence[str]) -> str:
            parts = []
            for text, size, is_right, where in zip(texts, widths, right, at, strict=True):
                fitted = elide(text, size, where)
                pad = " " * (size - width_of(fitted))
                parts.append(pad + fitted if is_right else fitted + pad)
            return gap.join(parts).rstrip()

        yield line([column.header for column in shown])
        yield gap.join("─" * size for size in widths)
        rows = len(shown[0].cells) if shown else 0
        for index in range(rows):
            yield line([column.cells[index].text for column in shown])

    def _line(self, cells: Sequence[Cell], color: bool) -> Text:
        line = Text(no_wrap=True, overflow="ignore")
        for position, (column, cell) in enumerate(zip(self.shown, cells, strict=True)):
            if position:
                line.append(" " * GAP)
            text = elide(cell.text, column.width, column.elide_at)
            room = column.width - width_of(text)
            if position == len(self.shown) - 1 and column.justify == "left":
                room = 0  # no trailing spaces
            style = f"{column.style} {cell.style}".strip() if color else ""
            if column.justify == "right":
                line.append(" " * room)
                line.append(text, style=style or None)
            else:
                line.append(text, style=style or None)
                line.append(" " * room)
        return line


def lay_out(columns: Sequence[Column], width: int) -> Layout:
    """Which columns fit in ``width`` cells, and how wide each is; display order is kept."""
    for column in columns:
        column.width = column.natural_width()
    order = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i))
    chosen: set[int] = set()
    used = 0
    for index in order:
        column = columns[index]
        extra = column.width + (GAP if chosen else 0)
        if column.priority == 0 or used + extra <= width:
            chosen.add(index)
            used += extra
            continue
        # Squeeze a wide text column into the room that is left rather than drop it.
        gap = GAP if chosen else 0
        room = width - used - gap
        fits_squeezed = room >= max(MIN_WIDTH, width_of(column.header), 12)
        if column.squeeze and column.justify == "left" and fits_squeezed:
            column.width = room
            chosen.add(index)
            used += gap + room
    shown = [columns[i] for i in sorted(chosen)]
    _shrink_to(shown, width)
    left_out = [columns[i] for i in range(len(columns)) if i not in chosen]
    return Layout(tuple(shown), tuple(left_out), width)


def _shrink_to(shown: list[Column], width: int) -> None:
    """Columns that must be shown but do not fit give up width, the widest first."""
    total = sum(column.width for column in shown) + GAP * max(0, len(shown) - 1)
    squeezable = [column for column in shown if column.squeeze]
    while total > width and squeezable:
        widest = max(squeezable, key=lambda column: column.width)
        if widest.width <= MIN_WIDTH:
            break
        widest.width -= 1
        total -= 1


def print_table(out: Console, table: Layout) -> None:
    if out.color_system is None:
        write = out.file.write
        chunk: list[str] = []
        for line in table.plain_lines():
            chunk.append(line)
            if len(chunk) >= 1000:
                write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            write("\n".join(chunk) + "\n")
        return
    print_lines(out, table.lines(color=True), table.width)


def print_lines(out: Console, lines: Iterable[Text], width: int) -> None:
    """Each line as one line: nothing wraps, and a line still too wide is cut at ``width``."""
    color = out.color_system is not None
    for line in lines:
        if line.cell_len > width:
            line = line.copy()
            line.truncate(width - 1)
            line.append(ELLIPSIS)
        if color:
            out.print(line, soft_wrap=True, crop=False)
        else:
            out.file.write(line.plain.rstrip() + "\n")


def one_line(prefix: str, items: Sequence[str], width: int, more: str = "+{n} more") -> str:
    """``prefix`` and as many whole ``items`` as fit in ``width``, then how many did not."""
    line = prefix
    for position, item in enumerate(items):
        left = len(items) - position - 1
        tail = (" " + more.format(n=left)) if left else ""
        candidate = line + ("" if position == 0 else " · ") + item
        if width_of(candidate + tail) > width:
            return line + " " + more.format(n=len(items) - position)
        line = candidate
    return line


def wrapped(prefix: str, items: Sequence[str], width: int, sep: str = " ") -> list[str]:
    """``prefix`` then ``items`` packed onto lines of at most ``width`` cells, broken only
    between items; later lines indented by two spaces, an item too long for a line elided."""
    indent = "  "
    prefix = elide(prefix, width)
    lines: list[str] = []
    line = prefix
    fresh = True  # nothing on ``line`` yet but the prefix or the indent
    for item in items:
        if not fresh and width_of(line + sep + item) <= width:
            line += sep + item
            continue
        if not fresh:
            lines.append(line)
            line = indent
        room = max(1, width - width_of(line))
        if width_of(item) > room and line == prefix and width_of(item) <= width - len(indent):
            lines.append(line.rstrip())  # the item fits whole on a line of its own
            line = indent
            room = width - len(indent)
        line += elide(item, room)
        fresh = False
    lines.append(line.rstrip() if fresh else line)
    return lines


def first_fitting(candidates: Sequence[str], width: int) -> str:
    """The first of ``candidates`` (richest first) that fits ``width``; else the last, elided."""
    for candidate in candidates:
        if width_of(candidate) <= width:
            return candidate
    return elide(candidates[-1], width)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
