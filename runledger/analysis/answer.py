"""The report's first sentence: which run is best on the subject metric, by how much, and
whether the lead is within the noise of the groups (issue 18)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from runledger import ids
from runledger.analysis.compare import Comparison
from runledger.analysis.direction import metric_direction
from runledger.analysis.groups import Group, Grouping
from runledger.model.record import Run


def subject_metric(
    runs: Sequence[Run], declared: Mapping[str, str], configured: str | None = None
) -> str | None:
    """The configured metric, else the one most runs recorded that has a direction (a
    counter such as best_epoch or a setting such as lr is never the subject)."""
    counts = Counter(name for run in runs for name in run.metrics)
    if configured is not None and configured in counts:
        return configured
    ranked = sorted(counts, key=lambda name: (-counts[name], name))
    for name in ranked:
        if metric_direction(name, declared) != "none":
            return name
    return ranked[0] if ranked else None


def _number(value: float) -> str:
    return f"{value:.4g}"


def _lead(value: float) -> str:
    """A difference, to two significant digits: 0.00093, 0.012, 1.5."""
    return f"{value:.2g}"


def _group_text(grouping: Grouping, group: Group, metric: str) -> str:
    key = ", ".join(
        f"{name.removeprefix('params.')}={value}"
        if value is not None
        else f"no {name.removeprefix('params.')}"
        for name, value in zip(grouping.keys, group.values, strict=True)
    )
    stats = group.stats[metric]
    spread = f" ± {stats.std:.3g}" if stats.std is not None else ""
    return f"{key} ({_number(stats.mean)}{spread}, n={stats.count})"


def answer(comparison: Comparison, grouping: Grouping | None = None) -> str | None:
    """One sentence, or None when there is no subject metric."""
    if comparison.metric is None or comparison.direction is None:
        return None
    name = comparison.metric.removeprefix("metrics.")
    best = comparison.best.get(comparison.metric)
    if comparison.direction == "none" or best is None or comparison.best_run is None:
        return f"No run can be called best on {name}: it has no direction or no values."
    index = comparison.keys.index(comparison.metric)
    id_index = comparison.keys.index("id")
    values = [
        (row[id_index], row[index])
        for row in comparison.rows
        if isinstance(row[index], int | float) and math.isfinite(row[index])
    ]
    winner = ids.short_id(comparison.best_run)
    better = "higher" if comparison.direction == "max" else "lower"
    if len(values) < 2:
        return f"Run {winner} is the only run with {name} ({_number(best.value)})."
    runner_id, runner_value = next(
        (run_id, value) for run_id, value in values if run_id != comparison.best_run
    )
    lead = abs(best.value - runner_value)
    # Equal to float noise (0.1 + 0.2 and 0.3): a lead of 1e-14 is no lead.
    if math.isclose(best.value, runner_value, rel_tol=1e-9, abs_tol=1e-12):
        sentence = (
            f"Runs {winner} and {ids.short_id(runner_id)} tie for best on {name} "
            f"({better} is better) at {_number(best.value)}"
        )
    else:
        sentence = (
            f"Run {winner} is best on {name} ({better} is better) with {_number(best.value)}, "
            f"{_lead(lead)} ahead of run {ids.short_id(runner_id)} ({_number(runner_value)})"
        )
    return sentence + _noise(grouping, name) + "."


def _noise(grouping: Grouping | None, metric: str) -> str:
    if grouping is None:
        return "; whether that is within the noise needs repeats (seeds) and --group-by"
    having = [group for group in grouping.groups if metric in group.stats]
    if len(having) < 2:
        return f"; only one group has {metric}, so the noise between groups is unknown"
    first, second = having[0], having[1]
    gap = abs(first.stats[metric].mean - second.stats[metric].mean)
    spreads = [group.stats[metric].std for group in (first, second)]
    head = (
        f"; the best group {_group_text(grouping, first, metric)} leads "
        f"{_group_text(grouping, second, metric)} by {_lead(gap)}"
    )
    if any(spread is None for spread in spreads):
        return head + ", too few runs per group to tell the noise"
    noise = max(spread for spread in spreads if spread is not None)
    if gap <= noise:
        return head + ", within the noise (less than one standard deviation)"
    return head + ", more than one standard deviation: beyond the noise"
