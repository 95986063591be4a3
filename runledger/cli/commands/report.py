"""``runledger report``: one self-contained HTML page about the chosen runs, to share.

The compare table comes from ``compare`` (the same columns, best values and winner as
``runledger compare``), the curves from ``curves`` (the same choice of runs as ``plot``), the
importance from ``importance``; this module gathers them, has matplotlib draw the charts,
and writes the page atomically.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from runledger import ids
from runledger.analysis.compare import Comparison, build, cell_text, require_metric
from runledger.analysis.curves import DEFAULT_TOP, choose, drawable, rows_about
from runledger.analysis.curves import chart as make_chart
from runledger.analysis.importance import Importance, importance
from runledger.cli.commands.plot import chosen_runs
from runledger.cli.options import (
    MaximizeOption,
    SweepOption,
    WhereOption,
)
from runledger.errors import CorruptRecordError, UserError
from runledger.model.record import ENVIRONMENT_FILE, Run
from runledger.model.row import RunRow
from runledger.query.select import flatten, metric_values
from runledger.safetext import safe
from runledger.store.ledger import Ledger
from runledger.version import __version__

MAX_CURVE_CHARTS = 4  # the chosen metric and the next most recorded ones
OPEN_RUNS = 10  # up to this many runs, each run's details are shown unfolded
MAX_PARALLEL_LINES = 1000  # beyond, a page of SVG lines gets slow to draw and to open
MAX_DETAILS = 200  # runs whose commit, command and environment the page lists


def spread(runs: Sequence[Run], count: int) -> list[Run]:
    """At most ``count`` of ``runs``, evenly spaced through them, first and last included."""
    if len(runs) <= count:
        return list(runs)
    if count == 1:
        return [runs[0]]
    return [runs[round(i * (len(runs) - 1) / (count - 1))] for i in range(count)]


def _with_environment(ledger: Ledger, runs: Sequence[Run]) -> list[Run]:
    """``runs`` with their environment.toml read, through one cat-file process."""
    wanted = {run.id for run in runs}
    refs = [ref for ref in ledger.run_refs() if ref.id in wanted]
    found: dict[str, Run] = {}
    by_id = {run.id: run for run in runs}
    for ref, content in ledger.read_each(refs, ENVIRONMENT_FILE):
        run = by_id[ref.id]
        try:
            found[ref.id] = run.with_files({ENVIRONMENT_FILE: content})
        except (ValueError, UnicodeDecodeError, TypeError, KeyError, CorruptRecordError):
            # a pulled environment.toml of a newer schema or a bad shape stopped the whole
            # report: the page still shows everything else of the run
            found[ref.id] = run
    return [found.get(run.id, run) for run in runs]


def build_report(
    cwd: Path,
    specs: Sequence[str],
    *,
    where: str | None = None,
    metric: str | None = None,
    maximize: bool | None = None,
    top: int = DEFAULT_TOP,
    title: str | None = None,
    sweep: str | None = None,
    group_by: Sequence[str] = (),
) -> tuple[str, int, str | None, str | None]:
    """The page's HTML, the number of runs in it, the metric it is about, and its first
    sentence (which run is best, by how much)."""
    from runledger import config
    from runledger.analysis.answer import answer, subject_metric
    from runledger.analysis.groups import group_runs
    from runledger.views.report import figures
    from runledger.views.report.html import Figure, Report, render

    ledger, runs = chosen_runs(cwd, specs, where, "report on", sweep)
    project = config.load(ledger.repo.root)
    declared = dict(project.directions)
    if metric is not None:
        require_metric(runs, metric)
    else:
        metric = subject_metric(runs, declared, project.subject)
    rows = [RunRow.of(run) for run in runs]
    comparison = build(rows, metric=metric, maximize=maximize, declared=declared)
    grouping = None
    groups_figure = None
    if group_by:
        grouping = group_runs(rows, group_by, metric=metric, maximize=maximize, declared=declared)
        if metric is not None and any(metric in g.stats for g in grouping.groups):
            groups_figure = Figure(figures.group_bars_svg(grouping, metric, "groups"))
    order = {run_id: i for i, run_id in enumerate(comparison.run_ids)}
    ordered = sorted(runs, key=lambda run: order[run.id])
    notes: list[str] = []
    slots: dict[str, int] = {}
    curves: list[Figure] = []
    parallel = None
    parallel_note = None
    result = None
    importance_figure = None
    if metric is not None:
        counts = Counter(name for run in runs for name in run.metrics)
        others = sorted((name for name in counts if name != metric), key=lambda n: (-counts[n], n))
        charted = [metric, *others[: MAX_CURVE_CHARTS - 1]]
        if len(counts) > len(charted):
            notes.append(
                f"curves of {len(charted)} of {len(counts)} metrics: {metric} (chosen with "
                "--metric) and the ones most runs recorded"
            )
        wanted: set[str] = set()
        for name in charted:
            wanted.update(run.id for run in choose(runs, name, maximize=None, top=top)[1])
        series = ledger.read_series(sorted(wanted))
        for index, name in enumerate(charted):
            chart = make_chart(
                ledger,
                runs,
                name,
                top=top,
                maximize=maximize if name == metric else None,
                series=series,
            )
            for curve in chart.curves:  # a run keeps its colour from chart to chart
                slots.setdefault(curve.run_id, len(slots))
            if not any(len(curve.xs) > 1 for curve in chart.curves):
                # One value per run (a final score): dots with the runs on the axis, not a
                # "curve" of one point on a made-up step axis.
                dots = _dots(runs, name, maximize if name == metric else None, declared, top)
                if dots is not None:
                    curves.append(Figure(dots, title=name))
            elif any(curve.xs for curve in chart.curves):
                svg = figures.curves_svg(chart, f"curves{index}", slots)
                curves.append(Figure(svg, tuple(chart.notes()), chart))
        result = importance(runs, metric, maximize=maximize)
        if result.problem is None:
            importance_figure = Figure(figures.importance_svg(result, "importance"))
        # A run whose value is NaN or infinite (a diverged loss) has none to draw a line to.
        having = [run for run in ordered if _drawn_value(run, metric)]
        params = _parallel_params(comparison, result, having)
        if len(having) < 2:
            parallel_note = f"Needs at least two runs with {metric}."
        elif not params:
            parallel_note = "No param differs between the runs: nothing to set against the metric."
        else:
            direction = comparison.direction or "max"
            shown = params[: figures.MAX_AXES]
            drawn = spread(having, MAX_PARALLEL_LINES)
            svg = figures.parallel_svg(drawn, shown, metric, direction == "max", "parallel")
            left: list[str] = []
            if len(drawn) < len(having):
                left.append(
                    f"{len(drawn)} of {len(having)} runs drawn, evenly across the ranking by "
                    f"{metric} (the best and the worst included)"
                )
            if len(params) > len(shown):
                left.append(
                    f"{len(params) - len(shown)} more params that differ are not drawn: "
                    + ", ".join(params[len(shown) :])
                )
            parallel = Figure(svg, tuple(left))
    if len(ordered) > MAX_DETAILS:
        notes.append(
            f"each run's commit, command and environment: the first {MAX_DETAILS} of "
            f"{len(ordered)} runs in the table's order (choose runs with RUN... or --where)"
        )
    first_sentence = answer(comparison, grouping)
    report = Report(
        comparison=comparison,
        runs=tuple(_with_environment(ledger, ordered[:MAX_DETAILS])),
        generated_at=datetime.now(UTC),
        version=__version__,
        title=title or (f"Run report: {metric}" if metric else "Run report"),
        where=where,
        metric=metric,
        curves=tuple(curves),
        parallel=parallel,
        parallel_note=parallel_note,
        importance=result,
        importance_figure=importance_figure,
        notes=tuple(notes),
        open_runs=len(runs) <= OPEN_RUNS,
        slots=slots,
        answer=first_sentence,
        grouping=grouping,
        groups_figure=groups_figure,
    )
    return render(report), len(runs), metric, first_sentence


def _drawn_value(run: Run, metric: str) -> bool:
    """Whether the run's value of ``metric`` can be drawn: not NaN, infinite or huge."""
    value = metric_values(run).get(metric)
    return value is not None and drawable(value)


def _dots(
    runs: Sequence[Run],
    metric: str,
    maximize: bool | None,
    declared: dict[str, str],
    top: int,
) -> str | None:
    from runledger.views.report import figures

    having = [run for run in runs if metric in run.metrics]
    if not having:
        return None
    rows = rows_about(having, metric)
    shown = build(rows, metric=metric, maximize=maximize, declared=declared, limit=top or None)
    index = shown.keys.index(f"metrics.{metric}")
    names = {run.id: run.name for run in having}
    pairs = [
        (row[0] if shown.keys[0] == "id" else row[shown.keys.index("id")], row[index])
        for row in shown.rows
        if isinstance(row[index], int | float) and drawable(row[index])
    ]
    if not pairs:  # every value NaN, infinite or huge (a diverged loss): no dot to draw
        return None
    labels = [
        ids.short_id(run_id) + (f" {names[run_id]}" if names.get(run_id) else "")
        for run_id, _ in pairs
    ]
    return figures.dots_svg(labels, [float(v) for _, v in pairs], metric, f"dots-{metric}")


def _parallel_params(
    comparison: Comparison, result: Importance, having: Sequence[Run]
) -> list[str]:
    """The params that differ between the runs with the metric, the most important first."""
    flat = [flatten(run.params) for run in having]
    differing = [
        name
        for name in (c.key.split(".", 1)[1] for c in comparison.columns if c.kind == "param")
        if len({cell_text(row.get(name)) for row in flat}) > 1
    ]
    ranked = [score.param for score in result.scores if score.param in differing]
    return ranked + [name for name in differing if name not in ranked]


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_report(page: str, output: str) -> int:
    """Write ``page`` to ``output`` (``-``: stdout), atomically; return its size in bytes."""
    data = page.encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return len(data)
    target = Path(output)
    folder = target.parent
    if not folder.is_dir():
        raise UserError(f"cannot write the report to {output}: no folder {folder}")
    if target.is_dir():
        raise UserError(f"cannot write the report to {output}: it is a folder; name a file")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(f"cannot write the report to {output}: {exc.strerror or exc}") from exc
    return len(data)


def report_command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to report on (ids, prefixes or tags); default: every run.", metavar="RUN"
        ),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file to write (replaced if it exists); - writes to stdout.",
            metavar="FILE",
        ),
    ] = ...,  # type: ignore[assignment]
    where: WhereOption = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="The metric the page is about: best run, order, curves, importance "
            "(default: the metric most runs recorded).",
            metavar="NAME",
        ),
    ] = None,
    maximize: MaximizeOption = None,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            "-n",
            min=0,
            help="Curves of at most N runs per metric, the best; 0 draws all.",
            metavar="N",
        ),
    ] = 10,
    title: Annotated[
        str | None, typer.Option("--title", help="The page's title.", metavar="TEXT")
    ] = None,
    sweep: SweepOption = None,
    group_by: Annotated[
        list[str] | None,
        typer.Option(
            "--group-by",
            "-g",
            help="Add a table of groups of runs with these values (repeatable): the count and "
            "each metric's mean ± std, with error bars.",
            metavar="KEY",
        ),
    ] = None,
) -> None:
    """One self-contained HTML page to share: compare table, curves, importance, runs.

    The page needs no network to open (no scripts, charts inlined as SVG): the compare
    table, metric curves, params against the metric (parallel coordinates), which params
    matter, and each run's commit, command and environment.
    """
    page, count, chosen, sentence = build_report(
        Path.cwd(),
        runs or [],
        where=where,
        metric=metric,
        maximize=maximize,
        top=top,
        title=title,
        sweep=sweep,
        group_by=group_by or (),
    )
    size = write_report(page, output)
    if output != "-":
        about = f" about {safe(chosen)}" if chosen else ""
        print(
            f"runledger: wrote {output} ({count} run{'s' if count != 1 else ''}{about}, "
            f"{size / 1024:.0f} KiB)",
            file=sys.stderr,
        )
        if sentence:
            print(safe(sentence), file=sys.stderr)  # it names a pulled record's metric
