"""Rich rendering of runs for people: tables and panels. Data views live in record.py."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from runledger import ids
from runledger.model.dates import is_future
from runledger.model.record import Reproduction, Run
from runledger.model.row import RunRow
from runledger.query.select import flatten
from runledger.safetext import drawn_over
from runledger.views.text import clipped, safe

if TYPE_CHECKING:
    from rich.table import Table

    from runledger.analysis.lineage import Found, Verification
    from runledger.views.layout import Column

STATUS_STYLE = {
    "ok": "green",
    "failed": "red",
    "interrupted": "yellow",
    "running": "blue",
    "unknown": "magenta",
}
HEADLINE_METRICS = 4
SPARK = "▁▂▃▄▅▆▇█"


class SafeConsole(Console):
    """A console whose every plain string goes through the output boundary (views/text.py).

    Names, commands, params and metric names come from records anyone can push: they are
    shown as written, never read as rich markup ("[/]" crashed show) or emoji codes, and no
    control character in them reaches the terminal raw. ``Text`` objects do not pass through
    here: the renderers build those from :func:`safe` strings.
    """

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(safe(clipped(text), newlines=True), **options)


def console(stderr: bool = False) -> Console:
    """A console for tables: full width on a terminal, wide enough not to cut when piped."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal or os.environ.get("COLUMNS") else 200
    return SafeConsole(
        stderr=stderr, highlight=False, soft_wrap=False, markup=False, emoji=False, width=width
    )


# Past this many digits an integer is shown in scientific form: a pulled record's 10**400
# must not widen a column past the screen (issue #17).
MAX_INT_DIGITS = 12
MAX_DURATION_S = 100 * 365 * 86400  # a century: anything longer is not a real duration


def format_number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int) and len(str(abs(value))) > MAX_INT_DIGITS:
        digits = str(abs(value))
        sign = "-" if value < 0 else ""
        return f"{sign}{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
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
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        return "?"
    if seconds > MAX_DURATION_S:
        return f"{seconds:.3g}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_when(iso: str, now: datetime | None = None) -> str:
    """``5m ago`` or ``2026-01-01 10:00``; a start time that is no date (a pulled record's
    text) comes back as it is, escaped (it is shown where record strings are)."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return safe(iso)
    if moment.tzinfo is None:  # a pulled record's time without a zone: read as UTC
        moment = moment.replace(tzinfo=UTC)
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
    """The metrics of ``runs`` as a person quotes them (prominence.quoted_order): results on
    test, then validation data, then other results; counters, timings and schedules last (a
    logged ``lr`` next to a run's ``--lr`` reads as that param, and is not)."""
    from runledger.analysis.prominence import quoted_order

    return quoted_order(Counter(name for run in runs for name in run.metrics))[:limit]


def _run_table(runs: Sequence[RunRow], children: Mapping[str, int] | None = None) -> list[Column]:
    """The run table's columns, most important first when the terminal is narrow; ``children``:
    how many child runs (trials, jobs) each parent run has, shown beside its status."""
    from runledger.views.layout import Cell, Column

    metrics = headline_metrics(runs)
    reproductions = any(run.reproduces or run.reproduced_by for run in runs)
    children = children or {}
    labels = []
    for run in runs:
        label = safe(ids.short_id(run.id))
        if run.name:
            label += f" {safe(run.name)}"
        labels.append(Cell(label))

    def status(run: RunRow) -> str:
        count = children.get(run.id, 0)
        more = f" +{count} child{'ren' if count != 1 else ''}" if count else ""
        return safe(run.status) + more

    columns = [
        Column("id", "id", labels, priority=0, style="cyan", max_width=40),
        Column(
            "when",
            "when",
            [Cell(safe(format_when(run.started_at))) for run in runs],
            priority=3,
            squeeze=False,
        ),
        Column(
            "status",
            "status",
            [Cell(status(run), STATUS_STYLE.get(run.status, "")) for run in runs],
            priority=1,
        ),
    ]
    if reproductions:
        cells = [Cell(reproduction_cell(run).plain) for run in runs]
        columns.append(Column("reproduced", "reproduced", cells, priority=4))
    columns += [
        Column(
            "time",
            "time",
            [Cell(format_duration(run.duration_s)) for run in runs],
            "right",
            priority=5,
        ),
        Column(
            "commit",
            "commit",
            [Cell(safe(run.commit[:8])) for run in runs],
            priority=6,
            style="magenta",
        ),
        Column("branch", "branch", [Cell(safe(run.branch or "")) for run in runs], priority=7),
    ]
    for name in metrics:
        cells = [
            Cell(format_number(value) if (value := run.metrics.get(name)) is not None else "")
            for run in runs
        ]
        columns.append(Column(f"metrics.{name}", safe(name), cells, "right", priority=2))
    columns.append(
        Column(
            "command",
            "command",
            [Cell(safe(" ".join(run.command))) for run in runs],
            priority=8,
            max_width=60,
            elide_at="end",
        )
    )
    return columns


def render_run_table(
    runs: Sequence[Run | RunRow],
    out: Console | None = None,
    children: Mapping[str, int] | None = None,
    more: int = 0,
) -> None:
    """The run table; ``children``: each parent's count of child runs; ``more``: how many runs
    matched beyond these (a last line says so)."""
    from runledger.views import layout

    out = out or console()
    if not runs:
        out.print(
            "No runs recorded yet. Record one with: runledger exec python train.py", style="dim"
        )
        return
    width = layout.table_width(out)
    rows = [RunRow.of(run) if isinstance(run, Run) else run for run in runs]
    table = layout.lay_out(_run_table(rows, children), width)
    layout.print_table(out, table)
    if table.left_out:
        names = [column.header for column in table.left_out]
        hint = " (a wider terminal, or --json)"
        line = layout.one_line(
            f"{layout.plural(len(names), 'column')} left out to fit {width}: ",
            names,
            width - len(hint),
            "+{n}",
        )
        out.print(layout.first_fitting([line + hint, line], width), style="dim", soft_wrap=True)
    if more > 0:
        out.print(f"… and {more} more (--limit, --all)", style="dim")


VERDICT_MARK = {
    "reproduced": ("✓", "green"),
    "not-reproduced": ("✗", "red"),
    "failed": ("✗", "red"),
    "not-verified": ("?", "yellow"),
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
        if run.claim_unfounded:
            mark, style = "? claimed", "yellow"
        cell.append(("  " if cell else "") + f"↻ {safe(ids.short_id(run.reproduces))} ")
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
    from rich.table import Table  # here: compare and ls need neither

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def render_run(run: Run, out: Console | None = None) -> None:
    from rich import box
    from rich.table import Table  # here: compare and ls need neither

    from runledger.analysis.prominence import by_prominence

    out = out or console()
    head = _kv_table()
    head.add_row("run", Text(safe(run.id), style="cyan"))
    if run.name:
        head.add_row("name", safe(run.name))
    status = Text(safe(run.status), style=STATUS_STYLE.get(run.status, ""))
    if run.exit_code is not None:
        status.append(f" (exit code {run.exit_code})", style="dim")
    head.add_row("status", status)
    if run.recovered:
        reason = safe(run.recovered.get("reason", ""))
        head.add_row("recovered", Text(f"{reason} (recorded later)"))
    when = "dated in the future" if is_future(run.started_at) else format_when(run.started_at)
    head.add_row("started", f"{safe(run.started_at)}  ({safe(when)})")
    head.add_row("duration", format_duration(run.duration_s))
    head.add_row("command", safe(" ".join(run.command)))
    head.add_row("directory", safe(run.cwd))
    if run.author:
        head.add_row("by", safe(run.author))
    head.add_row("on", f"{safe(run.user or '?')}@{safe(run.host or '?')}")
    head.add_row("commit", Text(safe(run.git.commit), style="magenta"))
    head.add_row("branch", safe(run.git.branch or "(detached HEAD)"))
    for remote, url in sorted(run.git.remotes.items()):
        head.add_row(f"remote {safe(remote)}", safe(url))
    if run.all_tags:
        head.add_row("tags", ", ".join(map(safe, run.all_tags)))
    if run.reproduces:
        claim = "  (claimed: it ran another commit or command)" if run.claim_unfounded else ""
        head.add_row("reproduces", safe(run.reproduces) + claim)
    if run.parent:
        parent = safe(run.parent)
        if run.parent_unfounded:
            parent += "  (claimed: that run is at another commit)"
        head.add_row("parent", f"{parent}  (sweep {safe(run.sweep)})" if run.sweep else parent)
    elif run.sweep:
        head.add_row(
            "sweep", f"{safe(run.sweep)}  (list its trials: runledger ls --children {run.id})"
        )
    if not run.parent and run.trial and "best_trial" in run.trial:
        head.add_row("best trial", _best_trial_text(run.trial))
    if run.parent and run.trial and "number" in run.trial:
        state = f" ({safe(str(run.trial['state']))})" if "state" in run.trial else ""
        head.add_row("trial", f"{safe(str(run.trial['number']))}{state}")
    if run.reproduction:
        head.add_row("reproduction", _reproduction_text(run.reproduction))
    if run.note:
        head.add_row("note", safe(run.note, newlines=True))
    for note in run.notes[-NOTE_ROWS_SHOWN:]:
        text = Text(safe(note.get("text", ""), newlines=True))
        text.append(f"  ({safe(note.get('by', ''))}, {safe(note.get('at', ''))})", style="dim")
        head.add_row("note", text)
    if len(run.notes) > NOTE_ROWS_SHOWN:
        earlier = len(run.notes) - NOTE_ROWS_SHOWN
        head.add_row("", Text(f"and {earlier:,} earlier notes (show --json lists them all)"))
    out.print(head)

    if run.params:
        out.print(Text("\nparams", style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("param")
        table.add_column("value", overflow="fold")
        table.add_column("from", style="dim")
        params = sorted(
            flatten(run.params).items(), key=lambda kv: (run.param_sources.get(kv[0], ""), kv[0])
        )
        for key, value in params[:TABLE_ROWS_SHOWN]:
            table.add_row(
                safe(key),
                safe(format_number(value) if not isinstance(value, str) else value),
                safe(run.param_sources.get(key, "")),
            )
        out.print(table)
        _say_how_many_more(out, len(params), "params")

    if run.metrics:
        out.print(Text("\nmetrics", style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("metric", "last", "min", "max", "steps", "trend"):
            table.add_column(column, justify="left" if column in ("metric", "trend") else "right")
        names = by_prominence(list(run.metrics))
        for name in names[:TABLE_ROWS_SHOWN]:
            summary = run.metrics[name]
            series = (run.series or {}).get(name)
            table.add_row(
                safe(name),
                format_number(summary.last),
                format_number(summary.min),
                format_number(summary.max),
                str(summary.count),
                sparkline(series[1]) if series else "",
            )
        out.print(table)
        _say_how_many_more(out, len(names), "metrics")

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
            shown = line.split("\r")[-1]
            out.print(Text(safe(drawn_over(shown) if "\b" in shown else shown)), style="dim")


def _reproduction_text(reproduction: Reproduction) -> Text:
    mark, style = VERDICT_MARK.get(reproduction.verdict, VERDICT_MARK[None])
    text = Text(f"{mark} {safe(reproduction.verdict)}", style=style)
    if reproduction.mismatched:
        text.append(f"  (differs: {', '.join(map(safe, reproduction.mismatched))})")
    tolerances = set(reproduction.tolerance.values())
    if tolerances and tolerances != {0.0}:
        shown = ", ".join(
            f"{safe(name)} {value:g}" for name, value in reproduction.tolerance.items()
        )
        text.append(f"  tolerance {shown}", style="dim")
    if reproduction.outputs_compared:
        same = reproduction.outputs_compared - len(reproduction.outputs_differ)
        text.append(
            f"\noutputs: {same} of {reproduction.outputs_compared} byte-identical", style="dim"
        )
        if reproduction.outputs_differ:
            differ = ", ".join(map(safe, reproduction.outputs_differ))
            text.append(f" (differ: {differ})", style="yellow")
    if reproduction.virtualenv:
        text.append(
            f"\nre-run in a fresh virtualenv ({safe(reproduction.virtualenv)})", style="dim"
        )
    for line in reproduction.relaxed:
        text.append(f"\n--relax: {safe(line)}", style="yellow")
    for path in reproduction.input_drift:
        text.append(f"\ninput drift: {safe(path)}", style="yellow")
    for line in reproduction.environment_drift:
        text.append(f"\nenvironment drift: {safe(line)}", style="yellow")
    return text


def _render_reproductions(run: Run, out: Console) -> None:
    from rich import box
    from rich.table import Table  # here: compare and ls need neither

    if not run.reproduced_by:
        return
    counts = Counter(item.verdict for item in run.reproduced_by)
    summary = ", ".join(
        f"{count} {safe(verdict or 'no verdict')}" for verdict, count in counts.items()
    )
    out.print(
        Text(f"\nreproductions ({len(run.reproduced_by)}: {summary})", style="bold underline")
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("run", "when", "verdict"):
        table.add_column(column, no_wrap=True)
    for item in run.reproduced_by:
        mark, style = VERDICT_MARK.get(item.verdict, VERDICT_MARK[None])
        table.add_row(
            Text(safe(ids.short_id(item.id)), style="cyan"),
            safe(format_when(item.started_at)),
            Text(f"{mark} {safe(item.verdict or 'no verdict')}", style=style),
        )
    out.print(table)


def _render_system(run: Run, out: Console) -> None:
    system = run.system or {}
    if not system:
        return
    out.print(Text("\nresources", style="bold underline"))
    table = _kv_table()
    # a pulled record's numbers may be text and its gpus no list: shown only when they fit
    keys = ("cpu_time_s", "peak_tree_rss_bytes", "max_process_rss_bytes")
    cpu_time, tree_rss, process_rss = (_real(system.get(key)) for key in keys)
    if cpu_time is not None:
        table.add_row("cpu time", format_duration(cpu_time))
    if tree_rss is not None:
        table.add_row("peak memory", f"{tree_rss / 2**20:.0f} MiB (all processes)")
    elif process_rss is not None:
        table.add_row("peak memory", f"{process_rss / 2**20:.0f} MiB")
    gpus = system.get("gpus")
    for gpu in gpus if isinstance(gpus, list) else []:
        if isinstance(gpu, Mapping):
            peaks = [
                f"{gpu['peak_util_pct']}% busy" if "peak_util_pct" in gpu else None,
                f"{gpu['peak_mem_mib']} MiB" if "peak_mem_mib" in gpu else None,
            ]
            table.add_row(f"gpu {gpu.get('index')}", "peak " + ", ".join(p for p in peaks if p))
    out.print(table)


def _real(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is none (text, a table, NaN, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _render_environment(run: Run, out: Console) -> None:
    env = run.environment or {}
    if not env:
        return
    out.print(Text("\nenvironment", style="bold underline"))
    table = _kv_table()
    python = env.get("python")
    if isinstance(python, Mapping):
        implementation = python.get("implementation")
        name = f"{implementation} " if implementation and implementation != "CPython" else ""
        table.add_row("python", f"{name}{python.get('version')} ({python.get('executable')})")
        if python.get("build") or python.get("compiler"):
            built = ", ".join(str(python[key]) for key in ("build", "compiler") if python.get(key))
            table.add_row("", Text(f"build {safe(built)}", style="dim"))
    torch = env.get("torch")
    if isinstance(torch, Mapping):
        table.add_row(
            "torch",
            f"{torch.get('version', '?')}, built with CUDA {torch.get('cuda') or 'none'}, "
            f"cuDNN {torch.get('cudnn') or 'none'}",
        )
    used = env.get("used")
    if isinstance(used, Mapping):
        listed = ", ".join(f"{name} {version}" for name, version in list(used.items())[:8])
        more = f", and {len(used) - 8} more" if len(used) > 8 else ""
        table.add_row("imported", f"{listed}{more}" if used else "no installed package")
    packages = env.get("packages")
    if isinstance(packages, Mapping):
        table.add_row("packages", f"{len(packages)} installed (runledger env RUN --all lists them)")
    venv = env.get("virtualenv")
    if isinstance(venv, Mapping):
        relaxed = venv.get("relaxed") or []
        note = f"; --relax: {', '.join(map(str, relaxed))}" if relaxed else ""
        table.add_row(
            "virtualenv",
            f"built by reproduce --venv with {venv.get('tool')} at {venv.get('path')}{note}",
        )
    os_info = env.get("os")
    if isinstance(os_info, Mapping):
        table.add_row("os", str(os_info.get("platform", "")))
    cpu = env.get("cpu")
    if isinstance(cpu, Mapping):
        table.add_row("cpu", f"{cpu.get('model')} × {cpu.get('count')}")
    memory = env.get("memory_total_bytes")
    if isinstance(memory, int):
        table.add_row("memory", f"{memory / 2**30:.1f} GiB")
    recorded_gpus = env.get("gpus")
    gpus: list[Mapping[str, Any]] = (
        [gpu for gpu in recorded_gpus if isinstance(gpu, Mapping)]
        if isinstance(recorded_gpus, list)
        else []
    )
    if gpus:
        for gpu in gpus:
            # a fact NVML could not tell (a GPU without memory info) is left out, not "None"
            facts = [
                f"{gpu['memory_total_mib']} MiB" if "memory_total_mib" in gpu else None,
                f"driver {gpu['driver_version']}" if "driver_version" in gpu else None,
                f"CUDA {gpu.get('cuda_driver_version', '?')}",
            ]
            table.add_row(
                f"gpu {gpu.get('index', '')}",
                ", ".join(str(fact) for fact in [gpu.get("name", "?"), *facts] if fact),
            )
    else:
        table.add_row("gpus", "none")
    variables = sorted((env.get("variables") or {}).items())
    for key, value in variables[:TABLE_ROWS_SHOWN]:
        table.add_row(safe(key), safe(value))
    out.print(table)
    _say_how_many_more(out, len(variables), "environment variables")


# rows of the params, metrics and variables tables show prints: a pulled run.toml (16 MiB read)
# of 100,000 params and 100,000 metrics kept show busy for minutes (about 1 ms a row, and more)
TABLE_ROWS_SHOWN = 1_000


def _say_how_many_more(out: Console, count: int, what: str) -> None:
    if count > TABLE_ROWS_SHOWN:
        more = f"and {count - TABLE_ROWS_SHOWN:,} more {what} (show --json lists them all)"
        out.print(Text(more, style="dim"))


# the newest notes show prints: a pulled notes.toml (16 MiB read) can hold 15,000 notes, which
# took show 12 s to lay out
NOTE_ROWS_SHOWN = 50
# rows of each file table show prints: rich lays a table out at about 3 ms a row, and a
# pulled files.toml (64 MiB read) can list a million artifacts, an hour of show
FILE_ROWS_SHOWN = 200


def _render_files(run: Run, out: Console) -> None:
    from rich import box
    from rich.table import Table  # here: compare and ls need neither

    for title, records in (("inputs", run.inputs), ("artifacts", run.artifacts)):
        if not records:
            continue
        out.print(Text(f"\n{title}", style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("path")
        table.add_column("size", justify="right")
        table.add_column("content")
        for record in records[:FILE_ROWS_SHOWN]:
            content = _content_id(
                record.get("sha256"), record.get("git_blob"), record.get("link_target")
            )
            table.add_row(safe(record.get("path")), safe(record.get("size", "")), safe(content))
        out.print(table)
        if len(records) > FILE_ROWS_SHOWN:
            more = f"{len(records) - FILE_ROWS_SHOWN:,} more {title}"
            out.print(Text(f"and {more} (show --json lists them all)", style="dim"))
        if title == "inputs" and run.inputs_digest:
            out.print(Text(f"inputs digest {safe(run.inputs_digest)}", style="dim"))


VERDICT_STYLE = {
    "same": "green",
    "changed": "red",
    "missing": "yellow",
    "stored": "green",
    "not stored": "red",
}


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
    from rich import box
    from rich.table import Table  # here: compare and ls need neither

    out = out or console()
    out.print(
        Text(
            f"{safe(found.path)}  {format_size(found.size)}  sha256 {safe(found.sha256[:16])}",
            style="bold",
        )
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns = ["run", "when", "status", "as", "recorded path", "commit"]
    if found.stored is not None:
        columns.append("store")
    for column in columns:
        table.add_column(column, no_wrap=column != "recorded path", overflow="fold")
    for match in found.matches:
        run = match.run
        label = ids.short_id(run.id) + (f" {run.name}" if run.name else "")
        cells: list[Text | str] = [
            Text(safe(label), style="cyan"),
            safe(format_when(run.started_at)),
            Text(safe(run.status), style=STATUS_STYLE.get(run.status, "")),
            match.role,
            safe(match.record.path),
            Text(safe(run.git.commit[:8]), style="magenta"),
        ]
        if found.stored is not None:
            stored = found.stored.get(run.id, "")
            cells.append(Text(stored, style=VERDICT_STYLE.get(stored, "yellow")))
        table.add_row(*cells)
    out.print(table)


def render_verification(verification: Verification, out: Console | None = None) -> None:
    """``verify``: each recorded file of a run, same / changed / missing."""
    from rich import box
    from rich.table import Table  # here: compare and ls need neither

    out = out or console()
    checks = verification.checks
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("verdict", no_wrap=True)
    table.add_column("as", no_wrap=True)
    table.add_column("path", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("recorded", no_wrap=True)
    shown = list(checks)
    if len(shown) > FILE_ROWS_SHOWN:  # those to look at first, as show and diff cut their lists
        shown.sort(key=lambda check: check.verdict not in ("changed", "missing", "not stored"))
        shown = shown[:FILE_ROWS_SHOWN]
    for check in shown:
        record = check.record
        table.add_row(
            Text(check.verdict, style=VERDICT_STYLE.get(check.verdict, "")),
            check.role,
            safe(record.path),
            format_size(record.size),
            safe(_content_id(record.sha256, record.git_blob, record.link_target)),
        )
    out.print(table)
    if len(checks) > len(shown):
        more = f"{len(checks) - len(shown):,} more files"
        out.print(Text(f"and {more} (verify --json lists them all)", style="dim"))
    counts: Counter[str] = Counter(check.verdict for check in checks)
    order = ("same", "changed", "missing", "stored", "not stored", "link", "in git")
    summary = ", ".join(f"{counts[v]} {v}" for v in order if counts[v])
    where = f" in the store {verification.store}" if verification.store else ""
    out.print(f"run {safe(ids.short_id(verification.run.id))}{safe(where)}: {summary}")


def _best_trial_text(search: dict[str, Any]) -> str:
    """'7 (minimize value), run 6g3k…' for a sweep's or an in-process study's parent."""
    text = safe(str(search["best_trial"]))
    if "direction" in search and "metric" in search:
        text += f" ({safe(str(search['direction']))} {safe(str(search['metric']))})"
    if isinstance(search.get("best_run"), str):
        text += f", run {safe(ids.short_id(search['best_run']))}"
    return text
