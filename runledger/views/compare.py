"""``compare`` for people: the constant params on one line, the winner, then a table that fits.

The table is laid out by views/layout.py: one line per run, whole columns left out (and named)
when the terminal is too narrow, long values elided in the middle. ``--transpose`` turns it
so that runs are columns and keys are rows, the natural view of a few runs with many keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from runledger import ids
from runledger.analysis.compare import Column, Comparison, cell_text
from runledger.analysis.direction import describe_direction, is_schedule
from runledger.views import layout
from runledger.views.layout import Cell
from runledger.views.runs import STATUS_STYLE, console, format_number, format_when
from runledger.views.text import safe

if TYPE_CHECKING:
    from runledger.analysis.groups import Grouping

BEST_STYLE = "bold green"
STAR = "★"
ARROW = {"max": "↑", "min": "↓", "none": ""}
PARAM_WIDTH = 32  # a param value longer than this is elided in the middle
TRANSPOSED_WIDTH = 24
DEFAULT_ROWS = 50  # the table shows the best (or newest) 50 runs unless told otherwise


def record_text(value: Any) -> str:
    """A value from a record as one cell's text, escaped. The one place record strings become
    text (views.text.safe: no control character from a record reaches the terminal)."""
    return safe(cell_text(value))


def _value_text(column: Column, value: Any) -> Cell:
    if value is None:
        return Cell("")
    if column.key == "id":
        return Cell(safe(ids.short_id(value)), "cyan")
    if column.key == "status":
        return Cell(record_text(value), STATUS_STYLE.get(value, ""))
    if column.key == "started_at":
        return Cell(format_when(value))
    if column.key == "commit":
        return Cell(record_text(value)[:8], "magenta")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Cell(format_number(value))
    return Cell(record_text(value))


def _labels(columns: Sequence[Column]) -> list[str]:
    """Short headers (``lr``, ``acc``), with the prefix kept where two would read the same."""
    counts = Counter(column.label for column in columns)
    return [safe(column.label if counts[column.label] == 1 else column.key) for column in columns]


def _header(column: Column, label: str) -> str:
    if column.kind == "metric" and column.direction:
        arrow = ARROW[column.direction]
        return f"{label}{arrow}" if arrow else label
    if column.key == "started_at":
        return "when"
    return record_text(label)


def constant_line(comparison: Comparison, width: int) -> str:
    """``same in all 5 runs (62): lr=0.1 · opt=adam · +55 more``, cut to one line."""
    count = comparison.run_count
    items = []
    for key, value in comparison.constant.items():
        label = key.split(".", 1)[1] if key.startswith("params.") else key
        shown = record_text(value)[:8] if key == "commit" else record_text(value)
        if isinstance(value, float):
            shown = format_number(value)
        items.append(layout.elide(f"{record_text(label)}={shown}", 40))
    who = "the run" if count == 1 else f"all {count} runs"
    return layout.one_line(f"same in {who}: ", items, width, "+{n} more (--all-columns)")


def _winner_line(comparison: Comparison, width: int) -> Text | None:
    if comparison.metric is None or comparison.direction is None:
        return None
    name = record_text(comparison.metric.split(".", 1)[1])
    best = comparison.best.get(comparison.metric)
    how = describe_direction(comparison.direction)
    if comparison.direction == "none":
        text = f"best by {name} ({how}): none; --maximize or --minimize chooses one"
        return Text(layout.first_fitting([text, f"best by {name}: none ({how})"], width), "dim")
    if comparison.best_run is None or best is None:
        return Text(layout.elide(f"best by {name} ({how}): no run has a value", width), "dim")
    run = safe(ids.short_id(comparison.best_run))
    value = f"{name}={format_number(best.value)}"
    heads = [f"best by {name} ({how}): ", f"best by {name}{ARROW[comparison.direction]}: "]
    head = layout.first_fitting(heads + [""], width - layout.width_of(f"{STAR} {run}  {value}"))
    line = Text(head, style="dim")
    line.append(f"{STAR} ", style=BEST_STYLE)
    line.append(run, style="cyan")
    line.append(f"  {layout.elide(value, max(8, width - line.cell_len - 2))}", style=BEST_STYLE)
    return line


def _directions_line(comparison: Comparison, width: int) -> str | None:
    used = {column.direction for column in comparison.columns if column.kind == "metric"}
    long = {"max": "↑ higher is better", "min": "↓ lower is better"}
    long["none"] = "no arrow: a counter or setting"
    short = {"max": "↑ higher better", "min": "↓ lower better", "none": "no arrow: neither"}
    order = [key for key in ("max", "min", "none") if key in used]
    if not order:
        return None
    line = ", ".join(long[key] for key in order)
    brief = ", ".join(short[key] for key in order)
    where = " (.runledger.toml [metrics] direction)"
    return layout.first_fitting([line + where, line, brief], width)


def _priority(column: Column, distinct: int, rank: int, subject: str | None = None) -> int:
    if column.kind in ("best",) or column.key == "id":
        return 0
    if column.kind == "metric":
        # A schedule (metrics.lr) gives way to the params that differ (params.lr); a
        # counter (best_epoch) is still an outcome of the run, shown after the results.
        if column.direction == "none" and column.key != f"metrics.{subject}":
            return 500 if is_schedule(column.key.removeprefix("metrics.")) else 5
        return 1
    if column.key == "status":
        return 2
    if column.key == "name":
        return 3
    if column.kind == "param":
        return 10 + rank  # params with the most distinct values first
    return 1000 + rank  # when, commit, branch


def _display_order(columns: Sequence[Column], subject: str | None = None) -> list[int]:
    first = [i for i, c in enumerate(columns) if c.kind == "best" or c.key in ("id", "name")]
    status = [i for i, c in enumerate(columns) if c.key == "status"]
    metrics = sorted(
        (i for i, c in enumerate(columns) if c.kind == "metric"),
        key=lambda i: columns[i].direction == "none" and columns[i].key != f"metrics.{subject}",
    )
    params = [i for i, c in enumerate(columns) if c.kind == "param"]
    taken = set(first + status + metrics + params)
    rest = [i for i in range(len(columns)) if i not in taken]
    return first + status + metrics + params + rest


def _table_columns(
    comparison: Comparison, rows: Sequence[Sequence[Any]], color: bool
) -> list[layout.Column]:
    labels = _labels(comparison.columns)
    distinct = [len({repr(row[i]) for row in rows}) for i in range(len(comparison.columns))]
    param_rank = sorted(
        (i for i, c in enumerate(comparison.columns) if c.kind == "param"),
        key=lambda i: (-distinct[i], i),
    )
    ranks = {index: rank for rank, index in enumerate(param_rank)}
    built: list[layout.Column] = []
    for index in _display_order(comparison.columns, comparison.metric):
        column = comparison.columns[index]
        if column.kind == "best" and comparison.best_run is None:
            continue  # no run is best (a counter, or no values): no empty star column
        cells: list[Cell] = []
        for row in rows:
            value = row[index]
            if column.kind == "best":
                cells.append(Cell(STAR, BEST_STYLE) if value else Cell(""))
            elif column.kind == "metric" and comparison.is_best(column, value):
                # Without colour (piped, NO_COLOR) the best value still stands out.
                cells.append(Cell(format_number(value) + ("" if color else " *"), BEST_STYLE))
            else:
                cells.append(_value_text(column, value))
        built.append(
            layout.Column(
                key=column.key,
                header="" if column.kind == "best" else _header(column, labels[index]),
                cells=cells,
                justify="right" if column.kind == "metric" else "left",
                priority=_priority(
                    column, distinct[index], ranks.get(index, index), comparison.metric
                ),
                max_width=PARAM_WIDTH if column.kind in ("param", "context") else 40,
                squeeze=column.key != "started_at",
                header_style={"metric": "bold green", "param": "bold yellow"}.get(
                    column.kind, "bold"
                ),
            )
        )
    return built


def _left_out_line(left_out: Sequence[layout.Column], width: int, transpose: bool) -> str:
    """One line: how many columns did not fit, which, and how to see them."""
    names = [safe(column.key) for column in left_out]  # a pulled record's param names
    count = len(names)
    if transpose:
        hints = [" (--limit N, --columns or -f csv)"]
        what = f"{layout.plural(count, 'run')} left out to fit {width} columns"
    else:
        params = [name for name in names if name.startswith("params.")]
        example = ",".join(params[:2] or names[:2])
        hints = [
            f" (see them with --columns '{example}', --transpose or -f csv)",
            " (--columns, --transpose or -f csv)",
        ]
        what = f"{layout.plural(count, 'column')} left out to fit {width}"
    listed = [layout.elide(name.removeprefix("params."), 24) for name in names]
    candidates = [
        layout.one_line(what + ": ", listed, width - layout.width_of(hint), "+{n}") + hint
        for hint in hints
    ]
    candidates = [line for line in candidates if not line.startswith(what + ":  +")]
    short = f"{layout.plural(count, 'run' if transpose else 'column')} left out"
    candidates += [what + hint for hint in hints] + [short + hint for hint in hints] + [short]
    return layout.first_fitting(candidates, width)


def _transposed(comparison: Comparison, rows: Sequence[Sequence[Any]]) -> list[layout.Column]:
    labels = _labels(comparison.columns)
    keys = [
        i
        for i in _display_order(comparison.columns, comparison.metric)
        if comparison.columns[i].kind != "best" and comparison.columns[i].key != "id"
    ]
    first = layout.Column(
        key="key",
        header="",
        cells=[Cell(_header(comparison.columns[i], labels[i]), "bold") for i in keys],
        priority=0,
        max_width=PARAM_WIDTH,
    )
    built = [first]
    id_index = comparison.keys.index("id")
    for position, row in enumerate(rows):
        run_id = row[id_index]
        best = comparison.best_run == run_id
        cells = []
        for i in keys:
            column = comparison.columns[i]
            value = row[i]
            if column.kind == "metric" and comparison.is_best(column, value):
                cells.append(Cell(format_number(value) + " *", BEST_STYLE))
            else:
                cells.append(_value_text(column, value))
        built.append(
            layout.Column(
                key=ids.short_id(run_id),
                header=(STAR + " " if best else "") + ids.short_id(run_id),
                cells=cells,
                priority=1 + position,
                max_width=TRANSPOSED_WIDTH,
                header_style="bold cyan",
            )
        )
    return built


def comparison_lines(
    comparison: Comparison,
    width: int,
    *,
    color: bool = False,
    transpose: bool = False,
    max_rows: int | None = DEFAULT_ROWS,
) -> Iterator[Text]:
    """The terminal view of ``comparison``, line by line, every line at most ``width`` wide."""
    if comparison.constant:
        yield Text(constant_line(comparison, width), style="dim")
    winner = _winner_line(comparison, width)
    if winner is not None:
        yield winner
    for caveat in comparison.caveats:
        yield Text(
            layout.first_fitting(
                [f"warning: {caveat}", "warning: " + caveat.split(";")[0].split(":")[0]], width
            ),
            style="yellow",
        )
    rows = comparison.rows
    hidden = comparison.run_count - len(rows)  # not in the comparison (build_shown)
    if max_rows is not None and len(rows) > max_rows:
        hidden += len(rows) - max_rows
        rows = rows[:max_rows]
    columns = (
        _transposed(comparison, rows) if transpose else _table_columns(comparison, rows, color)
    )
    table = layout.lay_out(columns, width)
    yield from table.lines(color)
    if hidden:
        by = "best" if comparison.best_run else "first"
        yield Text(
            layout.one_line(
                f"… {hidden} more runs (the {by} {len(rows)} shown): ",
                ["--limit N", "--all", "-f csv"],
                width,
            ),
            style="dim",
        )
    if table.left_out:
        yield Text(_left_out_line(table.left_out, width, transpose), style="dim")
    directions = _directions_line(comparison, width)
    if directions is not None and not transpose:
        yield Text(directions, style="dim")


def render_comparison(
    comparison: Comparison,
    empty: str = "No runs to compare.",
    out: Console | None = None,
    *,
    transpose: bool = False,
    max_rows: int | None = DEFAULT_ROWS,
) -> None:
    out = out or console()
    if not comparison.rows:
        out.print(empty, style="dim")
        return
    width = layout.table_width(out)
    lines = comparison_lines(
        comparison,
        width,
        color=out.color_system is not None,
        transpose=transpose,
        max_rows=max_rows,
    )
    layout.print_lines(out, lines, width)


def grouping_lines(grouping: Grouping, width: int, *, color: bool = False) -> Iterator[Text]:
    """``compare --group-by``: one line per group, n and each metric's mean ± std."""
    from runledger.analysis import groups  # only here: a table of runs needs none of it

    best = grouping.best_group
    if grouping.metric is not None:
        direction = grouping.directions.get(grouping.metric, "max")
        name = record_text(grouping.metric)
        yield Text(
            layout.elide(
                f"groups by {record_text(', '.join(grouping.keys))}, ordered by mean {name} "
                f"({describe_direction(direction)}); mean ± std over each group's runs",
                width,
            ),
            style="dim",
        )
    columns: list[layout.Column] = []
    if best is not None:
        columns.append(
            layout.Column(
                "best",
                "",
                [
                    Cell(STAR, BEST_STYLE) if group is best else Cell("")
                    for group in grouping.groups
                ],
                priority=0,
            )
        )
    for position, key in enumerate(grouping.keys):
        columns.append(
            layout.Column(
                key,
                record_text(key.removeprefix("params.")),
                [Cell(record_text(group.values[position])) for group in grouping.groups],
                priority=0,
                max_width=PARAM_WIDTH,
                header_style="bold yellow",
            )
        )
    columns.append(
        layout.Column(
            "n", "n", [Cell(str(len(group.runs))) for group in grouping.groups], "right", 0
        )
    )
    for name in grouping.metrics:
        direction = grouping.directions.get(name, "max")
        arrow = ARROW[direction]
        cells = []
        for group in grouping.groups:
            stats = group.stats.get(name)
            text = groups.mean_std(stats, format_number)
            if stats is not None and stats.count != len(group.runs):
                text += f" (n={stats.count})"
            style = BEST_STYLE if group is best and name == grouping.metric else ""
            cells.append(Cell(text, style))
        columns.append(
            layout.Column(
                f"metrics.{name}",
                record_text(name) + arrow,
                cells,
                "right",
                0 if name == grouping.metric else 1,
                header_style="bold green",
            )
        )
    table = layout.lay_out(columns, width)
    yield from table.lines(color)
    if table.left_out:
        yield Text(_left_out_line(table.left_out, width, False), style="dim")


def render_grouping(grouping: Grouping, out: Console | None = None) -> None:
    out = out or console()
    if not grouping.groups:
        out.print("No runs to group.", style="dim")
        return
    width = layout.table_width(out)
    layout.print_lines(
        out, grouping_lines(grouping, width, color=out.color_system is not None), width
    )
