"""Rich rendering of runs for people: tables and panels. Data views live in record.py."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runledger import ids
from runledger.model.record import Reproduction, Run
from runledger.model.row import RunRow

if TYPE_CHECKING:
    from runledger.analysis.lineage import Found, Verification

STATUS_STYLE = {"ok": "green", "failed": "red", "interrupted": "yellow"}
HEADLINE_METRICS = 4
SPARK = "▁▂▃▄▅▆▇█"


def console() -> Console:
    """A console for tables: full width on a terminal, wide enough not to cut when piped."""
    probe = Console()
    # Names, commands, params and metric names come from records anyone can push: they are
    # shown as written, never read as rich markup ("[/]" crashed show) or emoji codes.
    width = None if probe.is_terminal or os.environ.get("COLUMNS") else 200
    return Console(highlight=False, soft_wrap=False, markup=False, emoji=False, width=width)


def format_number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.4g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if "." in f"{value:.4f}" else str(value)
    return str(value)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_when(iso: str, now: datetime | None = None) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    now = now or datetime.now(UTC)
    delta = (now - moment).total_seconds()
    if 0 <= delta < 60:
        return "just now"
    if 0 <= delta < 3600:
        return f"{int(delta // 60)}m ago"
    if 0 <= delta < 86400:
        return f"{int(delta // 3600)}h ago"
    return moment.strftime("%Y-%m-%d %H:%M")


def headline_metrics(runs: Sequence[Run | RunRow], limit: int = HEADLINE_METRICS) -> list[str]:
    """The metrics that most runs share, most common first."""
    counts = Counter(name for run in runs for name in run.metrics)
    return [name for name, _ in counts.most_common(limit)]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# Above this many rows rich's per-cell layout takes seconds (18 s for 10,000 runs on a
# 2-core machine): the same table is then laid out in plain text (plaintable.py).
PLAIN_TABLE_ROWS = 1_000


def _run_table(runs: Sequence[RunRow]) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """The run table's columns (rich ``add_column`` arguments) and rows."""
    metrics = headline_metrics(runs)
    reproductions = any(run.reproduces or run.reproduced_by for run in runs)
    columns: list[dict[str, Any]] = [
        {"header": "id", "style": "cyan", "no_wrap": True},
        {"header": "when", "no_wrap": True},
        {"header": "status", "no_wrap": True},
    ]
    if reproductions:
        columns.append({"header": "reproduced", "no_wrap": True})
    columns += [
        {"header": "time", "justify": "right", "no_wrap": True},
        {"header": "commit", "style": "magenta", "no_wrap": True},
        {"header": "branch", "no_wrap": True},
    ]
    columns += [{"header": name, "justify": "right", "no_wrap": True} for name in metrics]
    columns.append({"header": "command", "overflow": "ellipsis", "no_wrap": True, "max_width": 60})
    rows = []
    for run in runs:
        label = ids.short_id(run.id)
        if run.name:
            label += f" {run.name}"
        row: list[Any] = [
            label,
            format_when(run.started_at),
            Text(run.status, style=STATUS_STYLE.get(run.status, "")),
        ]
        if reproductions:
            row.append(reproduction_cell(run))
        row += [
            format_duration(run.duration_s),
            run.commit[:8],
            run.branch or "",
        ]
        row += [format_number(run.metrics[m]) if m in run.metrics else "" for m in metrics]
        row.append(_shorten(" ".join(run.command), 80))
        rows.append(row)
    return columns, rows


def render_run_table(
    runs: Sequence[Run | RunRow], out: Console | None = None, more: int = 0
) -> None:
    """The run table; ``more``: how many runs matched beyond these (a last line says so)."""
    out = out or console()
    if not runs:
        out.print(
            "No runs recorded yet. Record one with: runledger exec python train.py", style="dim"
        )
        return
    columns, rows = _run_table([RunRow.of(run) if isinstance(run, Run) else run for run in runs])
    _print_table(out, columns, rows)
    if more > 0:
        out.print(f"… and {more} more (--limit, --all)", style="dim")


def _print_table(out: Console, columns: list[dict[str, Any]], rows: list[list[Any]]) -> None:
    if len(rows) > PLAIN_TABLE_ROWS:
        from runledger.views.plaintable import print_plain_table

        print_plain_table(out, columns, rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(**column)
    for row in rows:
        table.add_row(*row)
    _fit_last_column(out, table)
    out.print(table)


VERDICT_MARK = {
    "reproduced": ("✓", "green"),
    "not-reproduced": ("✗", "red"),
    "failed": ("✗", "red"),
    "interrupted": ("?", "yellow"),
    None: ("?", "yellow"),
}


def reproduction_cell(run: RunRow) -> Text:
    """``ls``: how often a run was reproduced (2✓ 1✗), or which run it reproduces (↻ id ✓)."""
    cell = Text()
    if run.reproduced_by:
        counts = Counter(
            VERDICT_MARK.get(item.verdict, VERDICT_MARK[None]) for item in run.reproduced_by
        )
        for position, ((mark, style), count) in enumerate(counts.items()):
            cell.append(("" if position == 0 else " ") + f"{count}{mark}", style=style)
    if run.reproduces:
        mark, style = VERDICT_MARK.get(run.verdict, VERDICT_MARK[None])
        cell.append(("  " if cell else "") + f"↻ {ids.short_id(run.reproduces)} ")
        cell.append(mark, style=style)
    return cell


def sparkline(values: Iterable[float], width: int = 24) -> str:
    points = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not points:
        return ""
    if len(points) > width:
        stride = len(points) / width
        points = [points[int(i * stride)] for i in range(width - 1)] + [points[-1]]
    low, high = min(points), max(points)
    span = high - low
    if span == 0:
        return SPARK[3] * len(points)
    return "".join(SPARK[min(len(SPARK) - 1, int((p - low) / span * len(SPARK)))] for p in points)


def _kv_table() -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def render_run(run: Run, out: Console | None = None) -> None:
    out = out or console()
    head = _kv_table()
    head.add_row("run", Text(run.id, style="cyan"))
    if run.name:
        head.add_row("name", run.name)
    status = Text(run.status, style=STATUS_STYLE.get(run.status, ""))
    if run.exit_code is not None:
        status.append(f" (exit code {run.exit_code})", style="dim")
    head.add_row("status", status)
    if run.recovered:
        head.add_row("recovered", Text(f"{run.recovered.get('reason', '')} (recorded later)"))
    head.add_row("started", f"{run.started_at}  ({format_when(run.started_at)})")
    head.add_row("duration", format_duration(run.duration_s))
    head.add_row("command", " ".join(run.command))
    head.add_row("directory", run.cwd)
    head.add_row("by", f"{run.user or '?'}@{run.host or '?'}")
    head.add_row("commit", Text(run.git.commit, style="magenta"))
    head.add_row("branch", run.git.branch or "(detached HEAD)")
    for remote, url in sorted(run.git.remotes.items()):
        head.add_row(f"remote {remote}", url)
    if run.all_tags:
        head.add_row("tags", ", ".join(run.all_tags))
    if run.reproduces:
        head.add_row("reproduces", run.reproduces)
    if run.reproduction:
        head.add_row("reproduction", _reproduction_text(run.reproduction))
    if run.note:
        head.add_row("note", run.note)
    for note in run.notes:
        text = Text(note["text"])
        text.append(f"  ({note['by']}, {note['at']})", style="dim")
        head.add_row("note", text)
    out.print(head)

    if run.params:
        out.print(Text("\nparams", style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("param")
        table.add_column("value", overflow="fold")
        table.add_column("from", style="dim")
        for key, value in sorted(
            _flatten(run.params).items(), key=lambda kv: (run.param_sources.get(kv[0], ""), kv[0])
        ):
            table.add_row(
                key,
                format_number(value) if not isinstance(value, str) else value,
                run.param_sources.get(key, ""),
            )
        out.print(table)

    if run.metrics:
        out.print(Text("\nmetrics", style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("metric", "last", "min", "max", "steps", "trend"):
            table.add_column(column, justify="left" if column in ("metric", "trend") else "right")
        for name, summary in sorted(run.metrics.items()):
            series = (run.series or {}).get(name)
            table.add_row(
                name,
                format_number(summary.last),
                format_number(summary.min),
                format_number(summary.max),
                str(summary.count),
                sparkline(series[1]) if series else "",
            )
        out.print(table)

    _render_reproductions(run, out)
    _render_system(run, out)
    _render_environment(run, out)
    _render_files(run, out)
    if run.log:
        lines = run.log.decode(errors="replace").splitlines()
        out.print(
            Text(
                f"\noutput (last {min(10, len(lines))} of {len(lines)} lines)",
                style="bold underline",
            )
        )
        for line in lines[-10:]:
            out.print(Text(line.split("\r")[-1]), style="dim")


def _reproduction_text(reproduction: Reproduction) -> Text:
    mark, style = VERDICT_MARK.get(reproduction.verdict, VERDICT_MARK[None])
    text = Text(f"{mark} {reproduction.verdict}", style=style)
    if reproduction.mismatched:
        text.append(f"  (differs: {', '.join(reproduction.mismatched)})")
    tolerances = set(reproduction.tolerance.values())
    if tolerances and tolerances != {0.0}:
        shown = ", ".join(f"{name} {value:g}" for name, value in reproduction.tolerance.items())
        text.append(f"  tolerance {shown}", style="dim")
    for path in reproduction.input_drift:
        text.append(f"\ninput drift: {path}", style="yellow")
    for line in reproduction.environment_drift:
        text.append(f"\nenvironment drift: {line}", style="yellow")
    return text


def _render_reproductions(run: Run, out: Console) -> None:
    if not run.reproduced_by:
        return
    counts = Counter(item.verdict for item in run.reproduced_by)
    summary = ", ".join(f"{count} {verdict or 'no verdict'}" for verdict, count in counts.items())
    out.print(
        Text(f"\nreproductions ({len(run.reproduced_by)}: {summary})", style="bold underline")
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("run", "when", "verdict"):
        table.add_column(column, no_wrap=True)
    for item in run.reproduced_by:
        mark, style = VERDICT_MARK.get(item.verdict, VERDICT_MARK[None])
        table.add_row(
            Text(ids.short_id(item.id), style="cyan"),
            format_when(item.started_at),
            Text(f"{mark} {item.verdict or 'no verdict'}", style=style),
        )
    out.print(table)


def _render_system(run: Run, out: Console) -> None:
    system = run.system or {}
    if not system:
        return
    out.print(Text("\nresources", style="bold underline"))
    table = _kv_table()
    if "cpu_time_s" in system:
        table.add_row("cpu time", format_duration(float(system["cpu_time_s"])))
    if "peak_tree_rss_bytes" in system:
        table.add_row(
            "peak memory", f"{system['peak_tree_rss_bytes'] / 2**20:.0f} MiB (all processes)"
        )
    elif "max_process_rss_bytes" in system:
        table.add_row("peak memory", f"{system['max_process_rss_bytes'] / 2**20:.0f} MiB")
    for gpu in system.get("gpus", []):
        table.add_row(
            f"gpu {gpu.get('index')}",
            f"peak {gpu.get('peak_util_pct')}% busy, {gpu.get('peak_mem_mib')} MiB",
        )
    out.print(table)


def _render_environment(run: Run, out: Console) -> None:
    env = run.environment or {}
    if not env:
        return
    out.print(Text("\nenvironment", style="bold underline"))
    table = _kv_table()
    python = env.get("python")
    if isinstance(python, Mapping):
        table.add_row("python", f"{python.get('version')} ({python.get('executable')})")
    packages = env.get("packages")
    if isinstance(packages, Mapping):
        table.add_row("packages", f"{len(packages)} installed (show --json lists them)")
    os_info = env.get("os")
    if isinstance(os_info, Mapping):
        table.add_row("os", str(os_info.get("platform", "")))
    cpu = env.get("cpu")
    if isinstance(cpu, Mapping):
        table.add_row("cpu", f"{cpu.get('model')} × {cpu.get('count')}")
    memory = env.get("memory_total_bytes")
    if isinstance(memory, int):
        table.add_row("memory", f"{memory / 2**30:.1f} GiB")
    gpus = env.get("gpus") or []
    if gpus:
        for gpu in gpus:
            table.add_row(
                f"gpu {gpu.get('index', '')}",
                f"{gpu.get('name')}, {gpu.get('memory_total_mib')} MiB, driver "
                f"{gpu.get('driver_version')}, CUDA {gpu.get('cuda_driver_version', '?')}",
            )
    else:
        table.add_row("gpus", "none")
    for key, value in sorted((env.get("variables") or {}).items()):
        table.add_row(key, str(value))
    out.print(table)


def _render_files(run: Run, out: Console) -> None:
    for title, records in (("inputs", run.inputs), ("artifacts", run.artifacts)):
        if not records:
            continue
        out.print(Text(f"\n{title}", style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("path")
        table.add_column("size", justify="right")
        table.add_column("content")
        for record in records:
            content = _content_id(
                record.get("sha256"), record.get("git_blob"), record.get("link_target")
            )
            table.add_row(str(record.get("path")), str(record.get("size", "")), content)
        out.print(table)
        if title == "inputs" and run.inputs_digest:
            out.print(Text(f"inputs digest {run.inputs_digest}", style="dim"))


VERDICT_STYLE = {"same": "green", "changed": "red", "missing": "yellow"}


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _content_id(sha256: str | None, git_blob: str | None, link_target: str | None) -> str:
    if link_target is not None:
        return f"-> {link_target}"
    if sha256:
        return sha256[:16]
    return f"git {git_blob[:12]}" if git_blob else ""


def render_which(found: Found, out: Console | None = None) -> None:
    """``which``: the runs that produced or read a file (a commands.which.Found)."""
    out = out or console()
    out.print(
        Text(f"{found.path}  {format_size(found.size)}  sha256 {found.sha256[:16]}", style="bold")
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("run", "when", "status", "as", "recorded path", "commit"):
        table.add_column(column, no_wrap=column != "recorded path", overflow="fold")
    for match in found.matches:
        run = match.run
        label = ids.short_id(run.id) + (f" {run.name}" if run.name else "")
        table.add_row(
            Text(label, style="cyan"),
            format_when(run.started_at),
            Text(run.status, style=STATUS_STYLE.get(run.status, "")),
            match.role,
            match.record.path,
            Text(run.git.commit[:8], style="magenta"),
        )
    out.print(table)


def render_verification(verification: Verification, out: Console | None = None) -> None:
    """``verify``: each recorded file of a run, same / changed / missing."""
    out = out or console()
    checks = verification.checks
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("verdict", no_wrap=True)
    table.add_column("as", no_wrap=True)
    table.add_column("path", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("recorded", no_wrap=True)
    for check in checks:
        record = check.record
        table.add_row(
            Text(check.verdict, style=VERDICT_STYLE.get(check.verdict, "")),
            check.role,
            record.path,
            format_size(record.size),
            _content_id(record.sha256, record.git_blob, record.link_target),
        )
    out.print(table)
    counts = Counter(check.verdict for check in checks)
    summary = ", ".join(f"{counts[v]} {v}" for v in ("same", "changed", "missing") if counts[v])
    out.print(f"run {ids.short_id(verification.run.id)}: {summary}")


MIN_LAST_COLUMN = 12


def _fit_last_column(out: Console, table: Table) -> None:
    """Let the last column (the command) give up width first, so that a narrow terminal
    shortens the command rather than cutting every column to a few characters; when not
    even a short command fits, leave it out."""
    from rich.measure import Measurement

    wide = out.options.update(width=10_000, max_width=10_000)
    last = table.columns[-1]
    need = max(Measurement.get(out, wide, cell).maximum for cell in [last.header, *last.cells])
    need = min(need, last.max_width or need)
    room = out.width - (Measurement.get(out, wide, table).maximum - need)
    if room >= need:
        return
    if room < MIN_LAST_COLUMN:
        table.columns.pop()
    else:
        last.max_width = room
