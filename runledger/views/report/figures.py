"""The report's charts, drawn by matplotlib as SVG text to inline in the page.

Figures are made with ``matplotlib.figure.Figure`` directly (no pyplot, so no GUI backend
and no global state), saved as SVG with text kept as text, and stripped of the XML prologue
so they can sit inside HTML. Each figure gets its own ``svg.hashsalt``: matplotlib names
clip paths and markers by hash, and two figures inlined in one page must not share an id.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from runledger.analysis.curves import Chart, format_value
from runledger.analysis.groups import Grouping
from runledger.analysis.importance import Importance
from runledger.model.record import Run
from runledger.query.select import flatten, metric_values
from runledger.safetext import safe

# matplotlib's tab10: the HTML legend beside each chart shows the same colours.
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
LINE_STYLES = ("-", "--", ":", "-.")
MAX_AXES = 8  # params in the parallel-coordinates view; the most important first
MAX_CATEGORIES = 12  # category names written beside an axis


def colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def line_style(index: int) -> str:
    """Beyond ten runs the colours repeat, so the line style changes with each round."""
    return LINE_STYLES[(index // len(COLOURS)) % len(LINE_STYLES)]


# Longer text is cut on a chart: matplotlib measures every label to lay the figure out, and
# a pulled run's name of 300,000 characters took a minute (a name of 10 MB, hours).
LABEL_CHARS = 80


def _text(value: str) -> str:
    """User text for matplotlib: ``$`` would start mathtext (and fail on a lone one); a control
    character is drawn as its escape (matplotlib warned of each missing glyph on the terminal,
    the raw ESC or carriage return of a pulled record's name in its message)."""
    if len(value) > LABEL_CHARS:
        value = value[: LABEL_CHARS - 1] + "…"
    return safe(value).replace("$", r"\$")


def _svg(figure: Any, salt: str) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=96, layout="constrained")
    return figure


def curves_svg(chart: Chart, salt: str, slots: Mapping[str, int] | None = None) -> str:
    """The chart's curves; ``slots`` gives each run its colour (the same across charts)."""
    figure = _figure(11, 4.4)
    axes = figure.add_subplot()
    for index, curve in enumerate(chart.curves):
        if not curve.xs:
            continue
        slot = slots.get(curve.run_id, index) if slots else index
        axes.plot(
            curve.xs,
            curve.ys,
            color=colour(slot),
            linestyle=line_style(slot),
            linewidth=2.2 if index == 0 else 1.4,
            marker="o" if len(curve.xs) == 1 else None,
            label=curve.short_id,
            zorder=len(chart.curves) - index,  # the best run on top
        )
    if chart.log_y:
        axes.set_yscale("log")
    axes.set_title(_text(chart.title), loc="left", fontsize=11)
    axes.set_xlabel(_text(chart.x_label))
    axes.set_ylabel(_text(chart.metric))
    axes.grid(True, alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, salt)


def _numeric(values: Sequence[Any]) -> list[float] | None:
    numbers: list[float] = []
    for value in values:
        if value is None:
            numbers.append(math.nan)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            return None
        else:
            numbers.append(float(value))
    return numbers


def _axis(values: Sequence[Any]) -> tuple[list[float], list[tuple[float, str]]]:
    """Positions in [0, 1] for one param's values, and the labels to write on its axis."""
    numbers = _numeric(values)
    finite = [n for n in numbers or () if math.isfinite(n)]
    if numbers is not None and finite:
        low, high = min(finite), max(finite)
        log = low > 0 and high / low >= 100
        if log:
            low, high = math.log10(low), math.log10(high)
        span = (high - low) or 1.0

        def place(number: float) -> float:
            if not math.isfinite(number):
                return math.nan
            return ((math.log10(number) if log else number) - low) / span

        ticks = sorted(set(finite))
        if len(ticks) > 5:
            ticks = [min(finite), max(finite)]
        return [place(n) for n in numbers], [(place(t), format_value(t)) for t in ticks]
    texts = ["(none)" if value is None else format_value(value) for value in values]
    categories = sorted(set(texts))
    step = 1 / (len(categories) - 1) if len(categories) > 1 else 0.0
    position = {
        name: (i * step if len(categories) > 1 else 0.5) for i, name in enumerate(categories)
    }
    shown = categories if len(categories) <= MAX_CATEGORIES else categories[:: len(categories) // 6]
    return [position[text] for text in texts], [(position[name], name) for name in shown]


def _finite_pieces(xs: Sequence[float], ys: Sequence[float]) -> list[list[tuple[float, float]]]:
    """A line cut where a value is missing (NaN), as the pieces of two or more points."""
    pieces: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(y):
            pieces[-1].append((x, y))
        elif pieces[-1]:
            pieces.append([])
    return [piece for piece in pieces if len(piece) >= 2]


def parallel_svg(
    runs: Sequence[Run], params: Sequence[str], metric: str, better_high: bool, salt: str
) -> str:
    """Params (axes, left to right) against the metric (last axis), one line per run.

    Lines are coloured by the metric: yellow is the best, dark blue the worst; the best run
    is drawn last and thickest.
    """
    import matplotlib
    from matplotlib.collections import LineCollection

    values = [metric_values(run).get(metric) for run in runs]
    kept = [(run, value) for run, value in zip(runs, values, strict=True) if value is not None]
    flat = [flatten(run.params) for run, _ in kept]
    columns: list[list[Any]] = [[row.get(name) for row in flat] for name in params]
    scores = [value for _, value in kept]
    columns.append(list(scores))
    names = [*params, metric]
    placed = [_axis(column) for column in columns]
    low, high = min(scores), max(scores)
    span = (high - low) or 1.0
    goodness = [((s - low) / span) if better_high else ((high - s) / span) for s in scores]
    cmap = matplotlib.colormaps["viridis"]
    figure = _figure(max(7.0, 1.5 * len(names)), 4.6)
    axes = figure.add_subplot()
    order = sorted(range(len(kept)), key=goodness.__getitem__)  # worst first, best on top
    xs = list(range(len(names)))
    segments: list[list[tuple[float, float]]] = []
    colours: list[Any] = []
    for i in order[:-1]:
        for piece in _finite_pieces(xs, [positions[i] for positions, _ in placed]):
            segments.append(piece)
            colours.append(cmap(goodness[i]))
    # One collection draws thousands of lines in the time a few hundred plot() calls take.
    lines = LineCollection(
        segments, colors=colours, linewidths=1.1, alpha=0.9 if len(kept) <= 30 else 0.45
    )
    axes.add_collection(lines)
    best = order[-1]
    axes.plot(
        xs, [positions[best] for positions, _ in placed], color=cmap(1.0), linewidth=2.8, zorder=5
    )
    for x, (_, labels) in enumerate(placed):
        axes.axvline(x, color="#444", linewidth=0.8, zorder=1)
        for y, label in labels:
            axes.text(
                x + 0.04,
                y,
                _text(label[:24]),
                fontsize=7,
                va="center",
                zorder=1000,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )
    axes.set_xticks(xs, [_text(name[:24]) for name in names], fontsize=9)
    axes.set_yticks([])
    axes.set_xlim(-0.15, len(names) - 0.6)
    axes.set_ylim(-0.06, 1.06)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    mappable = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(0, 1), cmap=cmap)
    bar = figure.colorbar(mappable, ax=axes, fraction=0.03, pad=0.01)
    bar.set_ticks(
        [0, 1],
        labels=[
            f"worst {format_value(low if better_high else high)}",
            f"best {format_value(high if better_high else low)}",
        ],
    )
    bar.set_label(_text(metric))
    return _svg(figure, salt)


def importance_svg(result: Importance, salt: str) -> str:
    scores = list(reversed(result.scores))  # barh draws bottom-up: the best at the top
    figure = _figure(8, max(2.2, 0.45 * len(scores) + 1.2))
    axes = figure.add_subplot()
    ys = list(range(len(scores)))
    fills = [
        "#cccccc" if s.weak else (COLOURS[0] if s.kind == "numeric" else COLOURS[1]) for s in scores
    ]
    axes.barh(ys, [s.score for s in scores], color=fills, height=0.65)
    for y, score in zip(ys, scores, strict=True):
        axes.plot([score.chance, score.chance], [y - 0.4, y + 0.4], color="black", linewidth=1)
        label = (
            f"ρ={score.statistic:+.2f}" if score.kind == "numeric" else f"η²={score.statistic:.2f}"
        )
        axes.text(min(score.score, 0.8) + 0.01, y, label, va="center", fontsize=8)
    axes.set_yticks(ys, [_text(s.param) for s in scores])
    axes.set_xlim(0, 1)
    axes.set_xlabel("score: |Spearman ρ| (numeric), correlation ratio η (categorical)")
    axes.set_title(
        _text(f"What matters for {result.metric} ({result.runs} runs)"), loc="left", fontsize=11
    )
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    axes.legend(
        handles=[
            Patch(color=COLOURS[0], label="numeric: Spearman"),
            Patch(color=COLOURS[1], label="categorical: correlation ratio"),
            Patch(color="#cccccc", label="weak: could be chance"),
            Line2D([], [], color="black", label="95% chance level"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
    )
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, salt)


def dots_svg(labels: Sequence[str], values: Sequence[float], metric: str, salt: str) -> str:
    """A metric with one value per run: a dot per run, the runs on the y axis, best on top."""
    figure = _figure(11, max(1.6, 0.28 * len(labels) + 0.8))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    axes.hlines(positions, min(values), values, color="#d9d9de", linewidth=1)
    axes.plot(values, positions, "o", color=colour(0))
    axes.set_yticks(positions, [_text(label) for label in labels], fontsize=8)
    axes.set_xlabel(_text(metric))
    axes.grid(True, axis="x", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, salt)


def group_bars_svg(grouping: Grouping, metric: str, salt: str) -> str:
    """Each group's mean of ``metric`` as a dot with an error bar of one standard deviation."""
    having = [group for group in grouping.groups if metric in group.stats]
    labels = [
        ", ".join(
            f"{key.removeprefix('params.')}={format_value(value)}"
            for key, value in zip(grouping.keys, group.values, strict=True)
        )
        + f" (n={group.stats[metric].count})"
        for group in having
    ]
    means = [group.stats[metric].mean for group in having]
    errors = [group.stats[metric].std or 0.0 for group in having]
    figure = _figure(11, max(1.6, 0.32 * len(labels) + 0.8))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    axes.errorbar(means, positions, xerr=errors, fmt="o", color=colour(0), capsize=4)
    axes.set_yticks(positions, [_text(label) for label in labels], fontsize=8)
    axes.set_xlabel(_text(f"{metric}: mean ± std"))
    axes.grid(True, axis="x", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, salt)
