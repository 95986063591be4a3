"""``diff`` for people: one coloured section per kind of change, in the order of RunDiff."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runledger.analysis.compare import cell_text
from runledger.analysis.diff import (
    Change,
    CodeDiff,
    EnvironmentDiff,
    FileChange,
    MetricChange,
    RunDiff,
    Side,
)
from runledger.analysis.direction import describe_direction
from runledger.views.runs import (
    FILE_ROWS_SHOWN,
    STATUS_STYLE,
    TABLE_ROWS_SHOWN,
    console,
    format_number,
    format_size,
    format_when,
)
from runledger.views.text import clipped, safe

MARK = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
VERDICT_STYLE = {"better": "green", "worse": "red", "same": "dim"}
PATCH_STYLES = (
    ("+++", "bold"),
    ("---", "bold"),
    ("+", "green"),
    ("-", "red"),
    ("@@", "cyan"),
    ("diff ", "bold"),
)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return safe(clipped(" ".join(value)))
    return safe(clipped(cell_text(value)))


def _title(out: Console, text: str, detail: str = "") -> None:
    line = Text(f"\n{text}", style="bold underline")
    if detail:
        line.append(f"  {detail}", style="dim")
    out.print(line)


def _side(label: str, side: Side) -> Text:
    line = Text(f"{label}  ", style="bold")
    line.append(safe(side.id), style="cyan")
    if side.name:
        line.append(f"  {safe(clipped(side.name))}")
    line.append("  ")
    line.append(safe(side.status), style=STATUS_STYLE.get(side.status, ""))
    line.append(f"  {safe(format_when(side.started_at))}", style="dim")
    line.append(f"  {safe(side.commit[:8])}", style="magenta")
    if side.branch:
        line.append(f" ({safe(side.branch)})", style="dim")
    return line


def _render_environment(out: Console, env: EnvironmentDiff) -> None:
    """What matters first: the packages the runs imported, then Python, CUDA, GPU, driver."""
    if env.used_missing:
        out.print(Text("packages a run imported, missing in the other", style="bold"))
        out.print(_change_table(env.used_missing))
    if env.used_versions:
        out.print(Text("packages a run imported, at another version", style="bold"))
        out.print(_change_table(env.used_versions))
    if env.platform:
        out.print(Text("Python, CUDA, GPU and driver", style="bold"))
        out.print(_change_table(env.platform))
    rest = env.rest
    if not rest:
        return
    if env.used is None:
        # Which packages the programs imported is unknown: any of them may matter.
        system = [change for change in rest if change not in env.packages]
        if system:
            out.print(_change_table(system))
        packages = [change for change in rest if change in env.packages]
        if packages:
            out.print(Text(f"packages ({len(packages)} differ)", style="bold"))
            out.print(_change_table(packages))
        return
    names = ", ".join(change.key for change in rest[:4]) + (", …" if len(rest) > 4 else "")
    out.print(
        Text(
            f"{len(rest)} other difference{'s' * (len(rest) != 1)} ({names}); "
            "diff --json lists them",
            style="dim",
        )
    )


def _change_table(changes: tuple[Change, ...] | list[Change], sources: bool = False) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    if sources:
        table.add_column(style="dim")
    for change in changes:
        mark, style = MARK[change.kind]
        if change.kind == "added":
            shown = Text(_value(change.b), style="green")
        elif change.kind == "removed":
            shown = Text(_value(change.a), style="red")
        else:
            shown = Text(_value(change.a), style="red")
            shown.append(" → ", style="dim")
            shown.append(_value(change.b), style="green")
        row: list[str | Text] = [Text(mark, style=style), safe(change.key), shown]
        if sources:
            source_a = getattr(change, "source_a", None)
            source_b = getattr(change, "source_b", None)
            if source_a and source_b and source_a != source_b:
                row.append(f"{safe(source_a)} → {safe(source_b)}")
            else:
                row.append(safe(source_b or source_a or ""))
        table.add_row(*row)
    return table


def _percent(relative: float | None) -> str:
    return "" if relative is None else f"{relative * 100:+.1f}%"


def _metric_table(metrics: tuple[MetricChange, ...]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("metric")
    for column in ("a", "b", "delta", "change"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("", style="dim")
    for change in metrics:
        style = VERDICT_STYLE.get(change.verdict or "", "")
        delta = change.delta
        table.add_row(
            safe(change.name),
            format_number(change.a),
            format_number(change.b),
            Text("" if delta is None else ("+" if delta > 0 else "") + format_number(delta), style),
            Text(_percent(change.relative), style),
            describe_direction(change.direction),
        )
    return table


def _render_code(out: Console, code: CodeDiff) -> None:
    _title(out, "code", f"{code.commit_a[:8]} → {code.commit_b[:8]}")
    if code.error:
        out.print(Text(safe(code.error), style="yellow"))
        return
    if not code.files:
        out.print(Text("the two commits have the same files", style="dim"))
    for line in code.stat.rstrip("\n").splitlines():
        text = Text(safe(line))
        text.highlight_regex(r"\++", "green")
        text.highlight_regex(r"-+$", "red")
        out.print(text)
    if code.patch:
        out.print()
        for line in code.patch.rstrip("\n").splitlines():
            style = next((s for prefix, s in PATCH_STYLES if line.startswith(prefix)), "")
            out.print(Text(safe(line), style=style))


def _file_table(changes: tuple[FileChange, ...]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold")
    for change in changes:
        mark, style = MARK[change.kind]
        if change.kind == "changed" and change.a is not None and change.b is not None:
            detail = Text(_identity(change.a), style="red")
            detail.append(" → ", style="dim")
            detail.append(_identity(change.b), style="green")
        else:
            record = change.b if change.b is not None else change.a
            detail = Text(_identity(record or {}), style=style)
        table.add_row(Text(mark, style=style), safe(change.path), detail)
    return table


def _identity(record: Any) -> str:
    if record.get("kind") == "symlink":
        return f"link to {safe(record.get('link_target'))}"
    digest = record.get("sha256") or record.get("git_blob") or "?"
    return f"{safe(str(digest)[:12])} ({_size(record.get('size'))})"


def _size(size: Any) -> str:
    return format_size(size) if isinstance(size, int) else "?"


def render_diff(diff: RunDiff, out: Console | None = None) -> None:
    out = out or console()
    out.print(_side("a", diff.a))
    out.print(_side("b", diff.b))
    anything = False
    if diff.command is not None:
        anything = True
        _title(out, "command")
        out.print(Text("- " + _value(diff.command.a), style="red"))
        out.print(Text("+ " + _value(diff.command.b), style="green"))
    if diff.run:
        anything = True
        _title(out, "run")
        out.print(_change_table(diff.run))
    if diff.params:
        anything = True
        _title(out, "params", f"{len(diff.params)} differ")
        out.print(_change_table(list(diff.params[:TABLE_ROWS_SHOWN]), sources=True))
        _say_how_many_more(out, len(diff.params), "params differ")
    if diff.metrics:
        anything = True
        _title(out, "metrics", "delta = b - a")
        out.print(_metric_table(diff.metrics[:TABLE_ROWS_SHOWN]))
        _say_how_many_more(out, len(diff.metrics), "metrics differ")
    if diff.code is not None:
        anything = True
        _render_code(out, diff.code)
    for title, files in (("inputs", diff.inputs), ("artifacts", diff.artifacts)):
        if files:
            anything = True
            _title(out, title)
            out.print(_file_table(files[:FILE_ROWS_SHOWN]))
            if len(files) > FILE_ROWS_SHOWN:
                more = f"{len(files) - FILE_ROWS_SHOWN:,} more {title} differ"
                out.print(Text(f"and {more} (diff --json lists them all)", style="dim"))
    env = diff.environment
    if env:
        anything = True
        _title(out, "environment")
        _render_environment(out, env)
        if env.variables:
            out.print(Text("variables", style="bold"))
            out.print(_change_table(env.variables))
    if not anything:
        out.print(Text("\nno differences: same command, params, metrics, code and environment"))


def _say_how_many_more(out: Console, count: int, what: str) -> None:
    if count > TABLE_ROWS_SHOWN:
        more = f"and {count - TABLE_ROWS_SHOWN:,} more {what} (diff --json lists them all)"
        out.print(Text(more, style="dim"))
