"""``--group-by``: runs grouped by params (seeds, folds, repeats), each metric's mean ± std.

Standard deviations are the sample's (n - 1 in the denominator), as pandas' ``std()``
computes them, and absent for a group of one run. Plain Python: pandas' import alone costs
more than grouping thousands of runs.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runledger.analysis.compare import cell_text
from runledger.analysis.direction import Direction, describe_direction, metric_direction
from runledger.errors import UserError
from runledger.model.record import json_safe
from runledger.model.row import RunRow
from runledger.query.select import SORT_FIELDS, SortKey, field_value, parse_sort
from runledger.safetext import json_text


@dataclass(frozen=True)
class Stats:
    """One metric over one group's runs that have it."""

    count: int
    mean: float
    std: float | None  # None for a single value
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        count = len(values)
        low, high = min(values), max(values)
        if low == high:  # equal values: exactly that mean and no spread, not rounding noise
            return cls(count, low, 0.0 if count > 1 else None, low, high)
        mean = math.fsum(values) / count
        std = None
        if count > 1:
            std = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / (count - 1))
        return cls(count, mean, std, min(values), max(values))


@dataclass(frozen=True)
class Group:
    values: tuple[Any, ...]  # one per group key
    runs: tuple[str, ...]  # run ids, in the order given
    stats: Mapping[str, Stats]  # metric name -> stats over the runs that have it


@dataclass(frozen=True)
class Grouping:
    keys: tuple[str, ...]  # "params.model"
    metrics: tuple[str, ...]  # metric names, most common first
    directions: Mapping[str, Direction]
    groups: tuple[Group, ...]
    metric: str | None = None  # the metric the groups are ordered by (--metric)

    @property
    def best_group(self) -> Group | None:
        if self.metric is None or self.directions.get(self.metric) in (None, "none"):
            return None
        having = [group for group in self.groups if self.metric in group.stats]
        return having[0] if having else None

    def to_json(self) -> dict[str, Any]:
        return {
            "group_by": list(self.keys),
            "metric": self.metric,
            "directions": dict(self.directions),
            "groups": [
                {
                    "key": dict(zip(self.keys, json_safe(list(group.values)), strict=True)),
                    "count": len(group.runs),
                    "runs": list(group.runs),
                    "metrics": {
                        name: json_safe(
                            {
                                "count": stats.count,
                                "mean": stats.mean,
                                "std": stats.std,
                                "min": stats.min,
                                "max": stats.max,
                            }
                        )
                        for name, stats in group.stats.items()
                    },
                }
                for group in self.groups
            ],
        }


def group_key(text: str) -> SortKey:
    """``params.model`` (or just ``model``), ``metrics.NAME``, ``status``, ``branch``, ..."""
    spec = text.strip()
    if spec.startswith("-"):
        raise UserError(f"--group-by {text!r}: a key such as params.model, without '-'")
    if "." not in spec and spec not in SORT_FIELDS:
        spec = f"params.{spec}"
    try:
        return parse_sort(spec)
    except UserError:
        raise UserError(
            f"unknown --group-by key {text!r}: use params.NAME or one of {', '.join(SORT_FIELDS)}"
        ) from None


def group_runs(
    runs: Sequence[RunRow],
    keys: Sequence[str],
    *,
    metric: str | None = None,
    declared: Mapping[str, str] | None = None,
    maximize: bool | None = None,
) -> Grouping:
    """One group per distinct combination of ``keys``' values, in first-seen order unless
    ``metric`` orders them by its mean, best first."""
    parsed = [group_key(key) for key in keys]
    if runs and not any(field_value(run, key) is not None for run in runs for key in parsed):
        raise UserError(f"no run has {', '.join(key.field for key in parsed)} to group by")
    members: dict[tuple[Any, ...], list[RunRow]] = {}
    for run in runs:
        value = tuple(_hashable(field_value(run, key)) for key in parsed)
        members.setdefault(value, []).append(run)
    counts = Counter(name for run in runs for name in run.metrics)
    names = tuple(sorted(counts, key=lambda name: (name != metric, -counts[name], name)))
    directions: dict[str, Direction] = {name: metric_direction(name, declared) for name in names}
    if metric is not None and maximize is not None:
        directions[metric] = "max" if maximize else "min"
    groups = [_group(value, group_runs_, names) for value, group_runs_ in members.items()]
    if metric is not None and directions.get(metric) in ("min", "max"):
        sign = -1.0 if directions[metric] == "max" else 1.0
        groups.sort(
            key=lambda group: (
                metric not in group.stats,
                sign * group.stats[metric].mean if metric in group.stats else 0.0,
            )
        )
    return Grouping(tuple(key.field for key in parsed), names, directions, tuple(groups), metric)


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(json_safe(value), sort_keys=True)
    return value


def _group(value: tuple[Any, ...], runs: Sequence[RunRow], names: Sequence[str]) -> Group:
    stats: dict[str, Stats] = {}
    values = [run.metrics for run in runs]
    for name in names:
        numbers = [
            float(v)
            for row in values
            if isinstance(v := row.get(name), int | float)
            and not isinstance(v, bool)
            and math.isfinite(v)
        ]
        if numbers:
            stats[name] = Stats.of(numbers)
    return Group(value, tuple(run.id for run in runs), stats)


# --- text formats ---------------------------------------------------------------------------


def _csv_number(value: float | None) -> str:
    return "" if value is None else repr(value)


def to_csv(grouping: Grouping) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [*grouping.keys, "count"]
    for name in grouping.metrics:
        header += [f"metrics.{name}.{part}" for part in ("mean", "std", "min", "max", "count")]
    writer.writerow(header)
    for group in grouping.groups:
        row = [cell_text(value) for value in group.values] + [str(len(group.runs))]
        for name in grouping.metrics:
            stats = group.stats.get(name)
            if stats is None:
                row += ["", "", "", "", "0"]
            else:
                row += [
                    _csv_number(stats.mean),
                    _csv_number(stats.std),
                    _csv_number(stats.min),
                    _csv_number(stats.max),
                    str(stats.count),
                ]
        writer.writerow(row)
    return buffer.getvalue()


def to_json_text(grouping: Grouping) -> str:
    text = json.dumps(grouping.to_json(), indent=2, ensure_ascii=False, allow_nan=False)
    return json_text(text) + "\n"


def mean_std(stats: Stats | None, number: Any = repr) -> str:
    if stats is None:
        return ""
    if stats.std is None:
        return f"{number(stats.mean)}"
    return f"{number(stats.mean)} ± {number(stats.std)}"


def to_markdown(grouping: Grouping) -> str:
    from runledger.analysis.compare import markdown_escape as escape

    lines = []
    if grouping.metric is not None:
        direction = grouping.directions.get(grouping.metric, "max")
        lines += [
            f"Grouped by {', '.join(grouping.keys)}; ordered by `{grouping.metric}` "
            f"({describe_direction(direction)}). Mean ± sample std.",
            "",
        ]
    header = [*grouping.keys, "n", *grouping.metrics]
    lines.append("| " + " | ".join(escape(cell) for cell in header) + " |")
    lines.append(
        "| "
        + " | ".join(["---"] * len(grouping.keys) + ["---:"] * (1 + len(grouping.metrics)))
        + " |"
    )
    for group in grouping.groups:
        cells = [escape(cell_text(value)) for value in group.values] + [str(len(group.runs))]
        cells += [mean_std(group.stats.get(name), _short) for name in grouping.metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _short(value: float) -> str:
    return f"{value:.6g}"
