"""One metric's series across runs, ready to draw: what ``plot`` and ``report`` show.

Which runs: those that recorded the metric, ordered best first by its last value (the
order and the "lower is better" rules of ``compare``), at most ``top`` of them. Runs without
the metric are listed, not drawn. Each curve is labelled with the run's short id, its name,
and the params that differ between the runs drawn (``compare`` decides which differ).

Points: in the order they were recorded. ``smooth`` averages each point with the ones before
it (a trailing window of N finite values). NaN and infinite values are not drawn (nor values
at or below zero on a log scale); how many were left out is told.

The time axis: seconds since the run started at which each point arrived, recorded by
``exec`` since per-point times exist. For older runs the steps are spread evenly over the
run's duration, and the chart says the time is approximate for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from runledger import ids
from runledger.analysis.compare import Comparison, build
from runledger.analysis.direction import Direction, describe_direction
from runledger.errors import UserError
from runledger.model.record import MetricsFile, Run
from runledger.model.row import RunRow
from runledger.store.ledger import Ledger

XAxis = Literal["step", "time"]
X_AXES: tuple[XAxis, ...] = ("step", "time")
DEFAULT_TOP = 10
# More params than this in a legend entry and it no longer fits a line: the rest are counted.
LEGEND_PARAMS = 6


def parse_x_axis(text: str) -> XAxis:
    for axis in X_AXES:
        if text == axis:
            return axis
    raise UserError(f"unknown --x {text!r}: use step or time")


# A value beyond this is not drawn (a diverged loss of 1e308 beside -1e308 made the axis span
# infinite: plotext and matplotlib failed with an internal error); no real metric is near it.
MAX_DRAWN = 1e100


def drawable(value: float) -> bool:
    return math.isfinite(value) and -MAX_DRAWN <= value <= MAX_DRAWN


@dataclass(frozen=True)
class Curve:
    run_id: str
    label: str  # legend text: short id, name, the params that differ
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    hidden: int = 0  # points not drawn: NaN, infinite or beyond MAX_DRAWN, or <= 0 on a log scale
    approximate: bool = False  # time axis estimated from the steps and the run's duration
    low: tuple[float, ...] = ()  # a group's mean - std at each x (--group-by), else empty
    high: tuple[float, ...] = ()  # mean + std

    @property
    def short_id(self) -> str:
        return ids.short_id(self.run_id)


@dataclass(frozen=True)
class Chart:
    metric: str
    direction: Direction
    x_axis: XAxis
    curves: tuple[Curve, ...]
    x_unit: str = ""  # "s", "min" or "h" on a time axis
    log_y: bool = False
    smooth: int = 1
    missing: tuple[str, ...] = ()  # chosen runs that did not record the metric
    without_series: tuple[str, ...] = ()  # runs with a final value but no series stored
    left_out: int = 0  # runs with the metric beyond --top
    constant: Mapping[str, Any] = field(default_factory=dict)  # same in every run drawn

    @property
    def x_label(self) -> str:
        if self.x_axis == "step":
            return "step"
        approximate = sum(curve.approximate for curve in self.curves)
        if not approximate:
            return f"time since start ({self.x_unit})"
        if approximate == len(self.curves):
            return f"time since start ({self.x_unit}, approximate: steps spread over duration)"
        return f"time since start ({self.x_unit}; approximate for {approximate} older runs)"

    @property
    def title(self) -> str:
        text = f"{self.metric} ({describe_direction(self.direction)})"
        if self.smooth > 1:
            text += f", smoothed over {self.smooth} points"
        return text

    def notes(self) -> list[str]:
        """What the chart does not show, in words."""
        notes: list[str] = []
        drawn = len(self.curves)
        if self.left_out:
            total = drawn + len(self.without_series) + self.left_out
            notes.append(
                f"showing the {drawn} best of {total} runs with {self.metric} by its last value "
                f"({describe_direction(self.direction)}); --top N shows more, --top 0 all"
            )
        if self.missing:
            notes.append(
                f"skipped {_count(len(self.missing), 'run')} without {self.metric}: "
                f"{_some_ids(self.missing)}"
            )
        if self.without_series:
            notes.append(
                f"skipped {_count(len(self.without_series), 'run')} with no recorded series of "
                f"{self.metric} (a final value only): {_some_ids(self.without_series)}"
            )
        for curve in self.curves:
            if curve.hidden:
                what = "NaN, infinite or <= 0" if self.log_y else "NaN or infinite"
                notes.append(
                    f"{curve.short_id}: {_count(curve.hidden, 'point')} not drawn ({what})"
                )
        return notes


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _some_ids(run_ids: Sequence[str], shown: int = 8) -> str:
    text = ", ".join(ids.short_id(run_id) for run_id in run_ids[:shown])
    if len(run_ids) > shown:
        text += f" and {len(run_ids) - shown} more"
    return text


def choose(
    runs: Sequence[Run], metric: str, *, maximize: bool | None, top: int | None
) -> tuple[Comparison, list[Run], int]:
    """The runs to draw, best first, their comparison, and how many were left out by ``top``.

    Raises the ``compare`` error (which names the known metrics) when no run has ``metric``.
    """
    having = [run for run in runs if metric in run.metrics]
    limit = top if top else None
    rows = rows_about(having, metric) if having else [RunRow.of(run) for run in runs]
    comparison = build(rows, metric=metric, maximize=maximize, limit=limit)
    by_id = {run.id: run for run in having}
    chosen = [by_id[run_id] for run_id in comparison.run_ids]
    return comparison, chosen, len(having) - len(chosen)


def rows_about(runs: Sequence[Run], metric: str) -> list[RunRow]:
    """The rows of ``runs`` with ``metric`` as their only metric: what ordering them by it
    and labelling them by their params needs. A run may log 100,000 metrics, and the
    comparison of every chart would lay them all out again."""
    return [replace(row, metrics={metric: row.metrics.get(metric)}) for row in map(RunRow.of, runs)]


def legend_labels(comparison: Comparison, names: Mapping[str, str | None]) -> dict[str, str]:
    """Run id -> short id, name and the params that differ between the compared runs."""
    params = [column for column in comparison.columns if column.kind == "param"]
    keys = comparison.keys
    labels: dict[str, str] = {}
    for row in comparison.rows:
        run_id = row[keys.index("id")]
        parts = [ids.short_id(run_id)]
        if names.get(run_id):
            parts.append(str(names[run_id]))
        shown = [
            f"{column.label}={format_value(row[keys.index(column.key)])}"
            for column in params
            if row[keys.index(column.key)] is not None
        ]
        if len(shown) > LEGEND_PARAMS:
            shown = shown[:LEGEND_PARAMS] + [f"(+{len(shown) - LEGEND_PARAMS} params)"]
        labels[run_id] = "  ".join([" ".join(parts), " ".join(shown)]).strip()
    return labels


def format_value(value: Any) -> str:
    """A param value, short: numbers as people write them, text as it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


def constant_params(comparison: Comparison) -> dict[str, Any]:
    return {
        key.split(".", 1)[1]: value
        for key, value in comparison.constant.items()
        if key.startswith("params.")
    }


def smooth_values(values: Sequence[float], window: int) -> list[float]:
    """Each value averaged with up to ``window - 1`` finite values before it; NaN stays NaN."""
    if window <= 1:
        return list(values)
    smoothed: list[float] = []
    recent: list[float] = []
    total = 0.0
    for value in values:
        if not math.isfinite(value):
            smoothed.append(value)
            continue
        recent.append(value)
        total += value
        if len(recent) > window:
            total -= recent.pop(0)
        smoothed.append(total / len(recent))
    return smoothed


def approximate_times(steps: Sequence[float], duration_s: float) -> list[float]:
    """Steps spread evenly over the run's duration (first step at 0, last at the end)."""
    if not steps:
        return []
    low, high = min(steps), max(steps)
    if high > low:
        return [duration_s * (step - low) / (high - low) for step in steps]
    count = len(steps)
    return [duration_s * (i + 1) / count for i in range(count)]


def time_unit(seconds: float) -> tuple[str, float]:
    if seconds >= 2 * 3600:
        return "h", 3600.0
    if seconds >= 2 * 60:
        return "min", 60.0
    return "s", 1.0


def _curve(
    run: Run,
    label: str,
    steps: Sequence[float],
    values: Sequence[float],
    times: Sequence[float] | None,
    x_axis: XAxis,
    log_y: bool,
    smooth: int,
) -> Curve:
    approximate = False
    xs: Sequence[float] = steps
    if x_axis == "time":
        if times is not None and len(times) == len(steps):
            xs = times
        else:
            xs, approximate = approximate_times(steps, run.duration_s), True
    kept_x: list[float] = []
    kept_y: list[float] = []
    for x, y in zip(xs, smooth_values(values, smooth), strict=True):
        if drawable(x) and drawable(y) and (y > 0 or not log_y):
            kept_x.append(float(x))
            kept_y.append(y)
    return Curve(
        run.id, label, tuple(kept_x), tuple(kept_y), len(values) - len(kept_y), approximate
    )


def chart(
    ledger: Ledger,
    runs: Sequence[Run],
    metric: str,
    *,
    x_axis: XAxis = "step",
    log_y: bool = False,
    smooth: int = 1,
    top: int | None = DEFAULT_TOP,
    maximize: bool | None = None,
    series: Mapping[str, MetricsFile] | None = None,
) -> Chart:
    """The chart of ``metric`` over ``runs`` (already chosen and filtered).

    ``series`` may hold the runs' metrics files already read (the report reads them once for
    several metrics); otherwise they are read here, for the runs drawn only.
    """
    if smooth < 1:
        raise UserError(f"--smooth must be 1 or more (got {smooth})")
    comparison, chosen, left_out = choose(runs, metric, maximize=maximize, top=top)
    labels = legend_labels(comparison, {run.id: run.name for run in chosen})
    files = series if series is not None else ledger.read_series([run.id for run in chosen])
    curves: list[Curve] = []
    without: list[str] = []
    for run in chosen:
        stored = files.get(run.id, MetricsFile())
        points = stored.series.get(metric)
        if points is None or not points[0]:
            without.append(run.id)
            continue
        steps, values = points
        curves.append(
            _curve(
                run,
                labels[run.id],
                steps,
                values,
                stored.times.get(metric),
                x_axis,
                log_y,
                smooth,
            )
        )
    unit = ""
    if x_axis == "time":
        longest = max((max(curve.xs) for curve in curves if curve.xs), default=0.0)
        unit, scale = time_unit(longest)
        if scale != 1.0:
            curves = [
                Curve(
                    curve.run_id,
                    curve.label,
                    tuple(x / scale for x in curve.xs),
                    curve.ys,
                    curve.hidden,
                    curve.approximate,
                )
                for curve in curves
            ]
    direction = comparison.direction or "max"
    missing = tuple(run.id for run in runs if metric not in run.metrics)
    return Chart(
        metric=metric,
        direction=direction,
        x_axis=x_axis,
        curves=tuple(curves),
        x_unit=unit,
        log_y=log_y,
        smooth=smooth,
        missing=missing,
        without_series=tuple(without),
        left_out=left_out,
        constant=constant_params(comparison),
    )


def group_chart(
    ledger: Ledger,
    runs: Sequence[Run],
    metric: str,
    group_by: Sequence[str],
    *,
    smooth: int = 1,
    maximize: bool | None = None,
    declared: Mapping[str, str] | None = None,
) -> Chart:
    """``plot --group-by``: one curve per group, the mean of its runs' series at each step,
    with a band of one (sample) standard deviation either side."""
    from runledger.analysis.compare import require_metric
    from runledger.analysis.direction import metric_direction
    from runledger.analysis.groups import group_runs

    require_metric(runs, metric)
    having = [run for run in runs if metric in run.metrics]
    from runledger.model.row import RunRow

    rows = [RunRow.of(run) for run in having]
    grouping = group_runs(rows, group_by, metric=metric, maximize=maximize, declared=declared)
    files = ledger.read_series([run.id for run in having])
    curves: list[Curve] = []
    without: list[str] = []
    for group in grouping.groups:
        at_step: dict[float, list[float]] = {}
        for run_id in group.runs:
            points = files.get(run_id, MetricsFile()).series.get(metric)
            if points is None or not points[0]:
                without.append(run_id)
                continue
            for step, value in zip(points[0], smooth_values(points[1], smooth), strict=True):
                if drawable(step) and drawable(value):
                    at_step.setdefault(float(step), []).append(value)
        if not at_step:
            continue
        xs = sorted(at_step)
        means, lows, highs = [], [], []
        for x in xs:
            values = at_step[x]
            mean = math.fsum(values) / len(values)
            spread = 0.0
            if len(values) > 1:
                spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
            means.append(mean)
            lows.append(mean - spread)
            highs.append(mean + spread)
        key = " ".join(
            f"{name.removeprefix('params.')}={format_value(value)}"
            for name, value in zip(grouping.keys, group.values, strict=True)
        )
        curves.append(
            Curve(
                group.runs[0],
                f"{key}  n={len(group.runs)}, mean ± std",
                tuple(xs),
                tuple(means),
                low=tuple(lows),
                high=tuple(highs),
            )
        )
    direction = grouping.directions.get(metric) or metric_direction(metric, declared)
    if maximize is not None:
        direction = "max" if maximize else "min"
    return Chart(
        metric=metric,
        direction=direction,
        x_axis="step",
        curves=tuple(curves),
        smooth=smooth,
        missing=tuple(run.id for run in runs if metric not in run.metrics),
        without_series=tuple(without),
    )
