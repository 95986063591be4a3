"""The report page: one self-contained HTML file (no script, no network), built as text.

Every piece of recorded text (names, params, commands, environment) goes through
``html.escape``; the charts are matplotlib SVGs, inlined. Commands are masked when recorded.
"""

from __future__ import annotations

import html
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runledger import ids
from runledger.analysis.compare import Column, Comparison, cell_text
from runledger.analysis.curves import Chart, format_value
from runledger.analysis.direction import describe_direction
from runledger.analysis.groups import Grouping
from runledger.analysis.importance import Importance
from runledger.model.record import Run
from runledger.query.select import flatten
from runledger.safetext import safe
from runledger.views.report.figures import colour, line_style
from runledger.views.runs import format_duration, format_number

# Packages worth naming in a run's environment summary, when the run had them.
NOTABLE_PACKAGES = (
    "torch",
    "tensorflow",
    "jax",
    "keras",
    "transformers",
    "lightning",
    "pytorch-lightning",
    "scikit-learn",
    "xgboost",
    "lightgbm",
    "numpy",
    "pandas",
    "cuda-python",
)


@dataclass(frozen=True)
class Figure:
    """A chart of the page: its SVG and what it leaves out, in words."""

    svg: str
    notes: tuple[str, ...] = ()
    chart: Chart | None = None  # metric curves: the legend is written beside them
    title: str = ""  # a chart without curves (one value per run): its metric


@dataclass(frozen=True)
class Report:
    comparison: Comparison
    runs: tuple[Run, ...]  # in the table's order, environment read
    generated_at: datetime
    version: str
    title: str = "Run report"
    where: str | None = None
    metric: str | None = None
    curves: tuple[Figure, ...] = ()
    parallel: Figure | None = None
    parallel_note: str | None = None
    importance: Importance | None = None
    importance_figure: Figure | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    open_runs: bool = False  # each run's details unfolded (few runs)
    slots: Mapping[str, int] = field(default_factory=dict)  # run id -> its colour in curves
    answer: str | None = None  # the first sentence: which run is best, by how much
    grouping: Grouping | None = None  # --group-by
    groups_figure: Figure | None = None


def e(value: Any) -> str:
    """Text for the page: HTML-escaped, and a record's control characters (ESC, bidi
    overrides) shown as escapes, as on the terminal; line feeds kept."""
    return html.escape(safe(value, newlines=True), quote=True)


STYLE = """
:root { --fg: #1d1d1f; --dim: #6e6e73; --line: #d9d9de; --best: #137333; --bg: #fff; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--fg); background: var(--bg); margin: 0 auto; padding: 24px 32px 64px;
       max-width: 1280px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
p, li { margin: 4px 0; }
.dim { color: var(--dim); }
.note { color: var(--dim); font-size: 13px; }
nav a { margin-right: 14px; color: #0b57d0; text-decoration: none; }
code, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
/* Many runs scroll inside the table, so the first screen still shows the curves below it. */
.scroll.rows { max-height: 40vh; overflow-y: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 10px; text-align: left; white-space: nowrap; border-bottom: 1px solid #eee; }
th { position: sticky; top: 0; background: #f6f6f8; font-weight: 600; }
/* The run column stays in view while the table scrolls sideways (40 params do not fit). */
.scroll th:first-child, .scroll td:first-child { position: sticky; left: 0; z-index: 1;
       background: #fff; box-shadow: 1px 0 0 var(--line); }
.scroll th:first-child { z-index: 2; background: #f6f6f8; }
.scroll tr.winner td:first-child { background: #eef8f0; }
.answer { font-size: 16px; margin: 16px 0; padding: 10px 14px; border-left: 4px solid var(--best);
          background: #f4faf5; }
th.param { color: #8a5a00; } th.metric { color: var(--best); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; color: var(--best); }
tr.winner td { background: #eef8f0; }
.status-ok { color: var(--best); } .status-failed { color: #c5221f; }
.status-interrupted { color: #b06000; }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; }
.legend { list-style: none; padding: 0; margin: 6px 0; columns: 2 420px; }
.legend li { break-inside: avoid; }
.swatch { display: inline-block; width: 26px; height: 0; vertical-align: middle;
          border-top: 3px solid; margin-right: 6px; }
details { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; margin: 6px 0; }
summary { cursor: pointer; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dt { color: var(--dim); } dd { margin: 0; overflow-wrap: anywhere; }
"""


def render(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="runledger {e(report.version)}">',
        f"<title>{e(report.title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        _header(report),
        _answer(report),
        _groups(report),
        _compare(report),
        _curves(report),
        _parallel(report),
        _importance(report),
        _runs(report),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _header(report: Report) -> str:
    count = len(report.comparison.rows)
    facts = [f"{count} run{'s' if count != 1 else ''}"]
    if report.metric is not None and report.comparison.direction is not None:
        facts.append(
            f"metric <b>{e(report.metric)}</b> ({describe_direction(report.comparison.direction)})"
        )
    if report.where:
        facts.append(f"where <code>{e(report.where)}</code>")
    facts.append(
        f"generated {e(report.generated_at.strftime('%Y-%m-%d %H:%M UTC'))} "
        f"by runledger {e(report.version)}"
    )
    sections = [("groups", "Groups")] if report.grouping is not None else []
    sections.append(("compare", "Compare"))
    if report.curves:
        sections.append(("curves", "Curves"))
    if report.metric is not None:
        sections += [("params", "Params vs metric"), ("importance", "What matters")]
    sections.append(("runs", "Runs"))
    nav = "".join(f'<a href="#{key}">{e(title)}</a>' for key, title in sections)
    notes = "".join(f'<p class="note">{e(note)}</p>' for note in report.notes)
    return (
        f"<header><h1>{e(report.title)}</h1>"
        f'<p class="dim">{" · ".join(facts)}</p><nav>{nav}</nav>{notes}</header>'
    )


# --- the compare table -------------------------------------------------------------------


def _labels(columns: Sequence[Column]) -> list[str]:
    counts = Counter(column.label for column in columns)
    return [column.label if counts[column.label] == 1 else column.key for column in columns]


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M")


def _cell(comparison: Comparison, column: Column, value: Any) -> str:
    if column.kind == "best":
        return '<td class="best" title="best run">★</td>' if value else "<td></td>"
    if value is None:
        return "<td></td>"
    if column.key == "id":
        star = "★ " if value == comparison.best_run else ""
        return f'<td class="mono">{star}<a href="#run-{e(value)}">{e(ids.short_id(value))}</a></td>'
    if column.key == "status":
        return f'<td class="status-{e(value)}">{e(value)}</td>'
    if column.key == "started_at":
        return f"<td>{e(_when(value))}</td>"
    if column.key == "commit":
        return f'<td class="mono" title="{e(value)}">{e(value[:8])}</td>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        best = " best" if comparison.is_best(column, value) else ""
        return f'<td class="num{best}" title="{e(cell_text(value))}">{e(format_number(value))}</td>'
    return f"<td>{e(cell_text(value))}</td>"


def _compare(report: Report) -> str:
    comparison = report.comparison
    out = ['<section id="compare"><h2>Compare</h2>']
    if comparison.constant:
        same = " · ".join(
            f"<code>{e(key.removeprefix('params.'))}={e(_constant(key, value))}</code>"
            for key, value in comparison.constant.items()
        )
        out.append(f'<p class="dim">Same in every run: {same}</p>')
    if comparison.metric is not None and comparison.direction is not None:
        best = comparison.best.get(comparison.metric)
        name = comparison.metric.removeprefix("metrics.")
        if comparison.best_run is not None and best is not None:
            out.append(
                f"<p>Best by <b>{e(name)}</b> ({describe_direction(comparison.direction)}): "
                f'<a class="mono" href="#run-{e(comparison.best_run)}">'
                f"{e(ids.short_id(comparison.best_run))}</a> with "
                f"<b>{e(format_number(best.value))}</b></p>"
            )
        else:
            out.append(f"<p>Best by <b>{e(name)}</b>: no run has a value.</p>")
    labels = _labels(comparison.columns)
    order = _metrics_first(comparison.columns)
    head = "".join(f'<th class="{comparison.columns[i].kind}">{e(labels[i])}</th>' for i in order)
    rows = []
    for row in comparison.rows:
        record = dict(zip(comparison.keys, row, strict=True))
        winner = ' class="winner"' if record.get("id") == comparison.best_run else ""
        cells = "".join(_cell(comparison, comparison.columns[i], row[i]) for i in order)
        rows.append(f"<tr{winner}>{cells}</tr>")
    out.append(
        f'<div class="scroll rows"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )
    return "".join(out)


def _metrics_first(columns: Sequence[Column]) -> list[int]:
    """The run id first (it stays in view), then the metrics, then everything else; the best
    mark is written inside the id cell."""
    first = [i for i, c in enumerate(columns) if c.key == "id"]
    metrics = [i for i, c in enumerate(columns) if c.kind == "metric"]
    rest = [i for i, c in enumerate(columns) if c.kind not in ("metric", "best") and c.key != "id"]
    return first + metrics + rest


def _answer(report: Report) -> str:
    if report.answer is None:
        return ""
    return f'<section id="answer"><p class="answer">{e(report.answer)}</p></section>'


def _groups(report: Report) -> str:
    grouping = report.grouping
    if grouping is None:
        return ""
    out = [f'<section id="groups"><h2>Groups by {e(", ".join(grouping.keys))}</h2>']
    out.append('<p class="dim">Mean ± standard deviation (sample) over each group\'s runs.</p>')
    if report.groups_figure is not None:
        out.append(f"<figure>{report.groups_figure.svg}</figure>")
    head = "".join(
        f'<th class="param">{e(key.removeprefix("params."))}</th>' for key in grouping.keys
    )
    head += "<th>n</th>" + "".join(
        f'<th class="metric">{e(name)}</th>' for name in grouping.metrics
    )
    rows = []
    best = grouping.best_group
    for group in grouping.groups:
        cells = "".join(f"<td>{e(format_value(value))}</td>" for value in group.values)
        cells += f'<td class="num">{len(group.runs)}</td>'
        for name in grouping.metrics:
            stats = group.stats.get(name)
            text = "" if stats is None else format_number(stats.mean)
            if stats is not None and stats.std is not None:
                text += f" ± {format_number(stats.std)}"
            mark = " best" if group is best and name == grouping.metric else ""
            cells += f'<td class="num{mark}">{e(text)}</td>'
        winner = ' class="winner"' if group is best else ""
        rows.append(f"<tr{winner}>{cells}</tr>")
    out.append(
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )
    return "".join(out)


def _constant(key: str, value: Any) -> str:
    return value[:8] if key == "commit" and isinstance(value, str) else format_value(value)


# --- charts ----------------------------------------------------------------------------------


def _notes(notes: Iterable[str]) -> str:
    return "".join(f'<p class="note">{e(note)}</p>' for note in notes)


def _legend(chart: Chart, slots: Mapping[str, int]) -> str:
    items = []
    for index, curve in enumerate(chart.curves):
        slot = slots.get(curve.run_id, index)
        style = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dashed"}[line_style(slot)]
        short, _, rest = curve.label.partition(" ")
        items.append(
            f'<li><span class="swatch" style="border-top-color:{colour(slot)};'
            f'border-top-style:{style}"></span>'
            f'<a class="mono" href="#run-{e(curve.run_id)}">{e(short)}</a> {e(rest)}</li>'
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def _curves(report: Report) -> str:
    if not report.curves:
        return ""
    out = ['<section id="curves"><h2>Curves</h2>']
    for figure in report.curves:
        chart = figure.chart
        if chart is None:
            out.append(f"<h3>{e(figure.title)}</h3><figure>{figure.svg}</figure>")
            out.append('<p class="note">One value per run (no series): the best on top.</p>')
            continue
        out.append(f"<h3>{e(chart.metric)}</h3><figure>{figure.svg}</figure>")
        out.append(_legend(chart, report.slots))
        out.append(_notes(figure.notes))
    out.append("</section>")
    return "".join(out)


def _parallel(report: Report) -> str:
    if report.metric is None:
        return ""
    out = [f'<section id="params"><h2>Params against {e(report.metric)}</h2>']
    if report.parallel is not None:
        out.append(
            '<p class="dim">One line per run, through the value of each param that differs '
            "(most important first) to its last "
            f"{e(report.metric)}; the colour goes from the worst run (dark) to the best "
            "(yellow), which is drawn thickest.</p>"
        )
        out.append(f"<figure>{report.parallel.svg}</figure>")
        out.append(_notes(report.parallel.notes))
    else:
        out.append(f'<p class="note">{e(report.parallel_note or "Nothing to show.")}</p>')
    out.append("</section>")
    return "".join(out)


def _importance(report: Report) -> str:
    result = report.importance
    if result is None:
        return ""
    out = [f'<section id="importance"><h2>What matters for {e(result.metric)}</h2>']
    if result.problem is not None or report.importance_figure is None:
        problem = result.problem or "nothing to score"
        out.append(f"<p>{e(problem[:1].upper() + problem[1:])}.</p>")
    else:
        out.append(f"<figure>{report.importance_figure.svg}</figure>")
        out.append(f'<p class="dim">{e(result.method_text())}</p>')
        rows = "".join(
            f"<tr><td><b>{e(score.param)}</b></td><td>{e(score.kind)}</td>"
            f'<td class="num">{score.score:.3f}</td><td>{e(score.method_label)}</td>'
            f'<td class="num">{score.chance:.2f}</td><td class="num">{score.runs}</td>'
            f'<td class="num">{score.distinct}</td>'
            f"<td>{e(score.reading(result.metric, result.direction))}</td></tr>"
            for score in result.scores
        )
        out.append(
            '<div class="scroll"><table><thead><tr><th>param</th><th>kind</th><th>score</th>'
            "<th>statistic</th><th>chance level</th><th>runs</th><th>values</th>"
            f"<th>reading</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
        out.append(_notes(result.caveats()))
    if result.unscored:
        items = "".join(
            f"<li><code>{e(item.param)}</code>: {e(item.reason)}</li>" for item in result.unscored
        )
        out.append(f'<p class="note">Not scored:</p><ul class="note">{items}</ul>')
    out.append("</section>")
    return "".join(out)


# --- each run ----------------------------------------------------------------------------


def environment_summary(environment: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The environment in a few lines: interpreter, OS, CPU, memory, GPUs, key packages."""
    lines: list[tuple[str, str]] = []
    python = environment.get("python")
    if isinstance(python, Mapping):
        lines.append(("python", f"{python.get('version', '?')} ({python.get('executable', '?')})"))
    os_info = environment.get("os")
    if isinstance(os_info, Mapping) and os_info.get("platform"):
        lines.append(("os", str(os_info["platform"])))
    cpu = environment.get("cpu")
    if isinstance(cpu, Mapping):
        lines.append(("cpu", f"{cpu.get('model', '?')} × {cpu.get('count', '?')}"))
    memory = environment.get("memory_total_bytes")
    if isinstance(memory, int):
        lines.append(("memory", f"{memory / 2**30:.1f} GiB"))
    gpus = environment.get("gpus")
    if isinstance(gpus, list):
        described = [
            f"{gpu.get('name', '?')} ({gpu.get('memory_total_mib', '?')} MiB)"
            for gpu in gpus
            if isinstance(gpu, Mapping)
        ]
        lines.append(("gpus", ", ".join(described) if described else "none"))
    packages = environment.get("packages")
    if isinstance(packages, Mapping) and packages:
        lowered = {str(name).lower(): version for name, version in packages.items()}
        notable = [f"{name} {lowered[name]}" for name in NOTABLE_PACKAGES if name in lowered]
        text = f"{len(packages)} installed"
        if notable:
            text += ": " + ", ".join(notable)
        lines.append(("packages", text))
    if environment.get("capture_error"):
        lines.append(("capture error", str(environment["capture_error"])))
    return lines


def _run(run: Run, unfolded: bool) -> str:
    facts: list[tuple[str, str]] = [
        ("id", run.id),
        ("status", run.status + (f" (exit {run.exit_code})" if run.exit_code is not None else "")),
        ("started", _when(run.started_at) + " UTC"),
        ("duration", format_duration(run.duration_s)),
        ("commit", run.git.commit),
    ]
    if run.git.branch:
        facts.append(("branch", run.git.branch))
    if run.all_tags:
        facts.append(("tags", ", ".join(run.all_tags)))
    if run.note:
        facts.append(("note", run.note))
    if run.reproduces:
        facts.append(("reproduces", run.reproduces))
    params = flatten(run.params)
    if params:
        facts.append(("params", " ".join(f"{k}={format_value(v)}" for k, v in params.items())))
    if run.metrics:
        facts.append(
            (
                "metrics",
                " ".join(f"{k}={format_number(s.last)}" for k, s in sorted(run.metrics.items())),
            )
        )
    facts += environment_summary(run.environment or {})
    body = "".join(
        f"<dt>{e(key)}</dt><dd{' class=mono' if key in ('id', 'commit') else ''}>{e(value)}</dd>"
        for key, value in facts
    )
    command = shlex.join(run.command)
    title = ids.short_id(run.id) + (f" · {run.name}" if run.name else "")
    return (
        f'<details id="run-{e(run.id)}"{" open" if unfolded else ""}>'
        f'<summary><span class="mono">{e(title)}</span> '
        f'<span class="status-{e(run.status)}">{e(run.status)}</span> '
        f'<code class="dim">{e(command[:120])}</code></summary>'
        f"<dl>{body}<dt>command</dt><dd><code>{e(command)}</code></dd></dl></details>"
    )


def _runs(report: Report) -> str:
    return (
        '<section id="runs"><h2>Runs</h2><p class="dim">Each run\'s commit, command and '
        "environment. Commands were masked for secrets when recorded.</p>"
        + "".join(_run(run, report.open_runs) for run in report.runs)
        + "</section>"
    )
