"""``runledger compare``: runs side by side, as one table that every output format shares.

Rows are runs; columns are the params that differ between them and the metrics. Params (and
the commit and branch) that are the same in every run are kept apart in ``constant`` and
shown once above the table, unless ``all_columns`` asks for them as columns. Each metric
column knows its best value; ``--metric`` also picks the best run and orders by that metric.

The table is plain Python (no pandas): importing pandas alone takes longer than reading
10,000 runs, and csv/json/markdown need nothing it offers. Rich rendering lives in
``render_compare``; this module only builds the table and its text formats.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, compress, repeat
from math import isfinite
from operator import attrgetter, eq, itemgetter
from typing import TYPE_CHECKING, Any, Literal

from runledger.analysis.direction import Direction, describe_direction, metric_direction
from runledger.analysis.prominence import quoted_order
from runledger.errors import UserError
from runledger.model.record import Run, json_safe
from runledger.model.row import TableRow, Tabular
from runledger.query.select import SortKey, flatten, order, sort_order
from runledger.safetext import json_text

if TYPE_CHECKING:
    from runledger.store.overview import TableFacts

ColumnKind = Literal["best", "run", "context", "param", "metric"]


@dataclass(frozen=True)
class Column:
    key: str  # as csv/json/markdown name it: "id", "params.lr", "metrics.acc", "best"
    kind: ColumnKind
    direction: Direction | None = None  # metrics only

    @property
    def label(self) -> str:
        """The key without its ``params.``/``metrics.`` prefix, for tables people read."""
        if self.kind in ("param", "metric"):
            return self.key.split(".", 1)[1]
        return self.key


@dataclass(frozen=True)
class BestValue:
    """The best value of one metric column, and the runs that reached it."""

    column: str
    direction: Direction
    value: float
    runs: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # one per run, aligned with columns; None is blank
    constant: Mapping[str, Any] = field(default_factory=dict)  # same in every run
    best: Mapping[str, BestValue] = field(default_factory=dict)  # by metric column key
    metric: str | None = None  # --metric, as a column key ("metrics.acc")
    direction: Direction | None = None  # of --metric
    best_run: str | None = None  # the run --metric picks
    caveats: tuple[str, ...] = ()  # why the best run may not be comparable with those it beat
    # How many runs are compared, when ``rows`` holds only the first ones shown (the terminal
    # table of many runs): ``constant`` and ``best`` are of all of them.
    total: int | None = None

    @property
    def run_count(self) -> int:
        return len(self.rows) if self.total is None else self.total

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.columns]

    @property
    def run_ids(self) -> list[str]:
        index = self.keys.index("id")
        return [row[index] for row in self.rows]

    def is_best(self, column: Column, value: Any) -> bool:
        best = self.best.get(column.key)
        return best is not None and _number(value) == best.value

    def records(self) -> list[dict[str, Any]]:
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        best_run: dict[str, Any] | None = None
        if self.metric is not None and self.direction is not None:
            value = self.best.get(self.metric)
            best_run = {
                "metric": self.metric,
                "direction": self.direction,
                "run": self.best_run,
                "value": value.value if value else None,
            }
        return {
            "columns": self.keys,
            "rows": [json_safe(record) for record in self.records()],
            "constant": json_safe(dict(self.constant)),
            "best": best_run,
            "caveats": list(self.caveats),
            "best_values": {
                key: {
                    "direction": best.direction,
                    "value": json_safe(best.value),
                    "runs": list(best.runs),
                }
                for key, best in self.best.items()
            },
        }


def _number(value: Any) -> float | None:
    """A finite number, or None (missing, NaN, text, booleans are not compared)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _is_constant(values: Sequence[Any]) -> bool:
    first = values[0]
    return first is not None and all(
        value == first and type(value) is type(first) for value in values
    )


def require_metric(runs: Sequence[Run | Tabular], metric: str) -> None:
    """UserError naming the known metrics when none of ``runs`` (if any) has ``metric``."""
    if runs and not any(metric in run.metrics for run in runs):
        raise _no_such_metric(metric, {name for run in runs for name in run.metrics})


def _no_such_metric(metric: str, names: Iterable[str]) -> UserError:
    """No run has ``metric``; ``names``: the metrics the runs have."""
    known = sorted(names)
    bare = _without_container(metric)
    if bare in known:
        return UserError(
            f"no run has a metric named {metric!r}: the metric is {bare!r} "
            "(a metric's name goes without 'metrics.' here)"
        )
    hint = f"; metrics: {', '.join(known)}" if known else "; these runs have none"
    return UserError(f"no run has a metric named {metric!r}{hint}")


def _without_container(metric: str) -> str | None:
    """``ms/batch`` for ``metrics.ms/batch`` or ``metrics."ms/batch"`` (as --where names it)."""
    if not metric.startswith(("metrics.", "metrics[")):
        return None
    from runledger.query.where import WhereError, parse_field

    try:
        path = parse_field(metric).path
    except WhereError:
        return None
    return ".".join(path[1:])


def build(
    runs: Sequence[Tabular],
    *,
    metric: str | None = None,
    maximize: bool | None = None,
    sort: SortKey | None = None,
    all_columns: bool = False,
    limit: int | None = None,
    declared: Mapping[str, str] | None = None,
) -> Comparison:
    """The comparison of ``runs`` (already filtered), in their order unless asked otherwise.
    ``declared`` is ``.runledger.toml``'s metric directions."""
    direction = subject_direction(metric, maximize, declared)
    if metric is not None:
        require_metric(runs, metric)
    # The order, as positions in ``runs``: the table is gathered in the runs' own order and
    # its rows put in this one at the end. Gathering 10,000 runs' values in a metric's order
    # reads them all over memory (twice the time of reading them in the order they were
    # decoded in).
    positions: list[int] | None = None
    if sort is not None:
        positions = sort_order(runs, sort)
    elif metric is not None and direction is not None and direction != "none":
        found = list(map(dict.get, map(attrgetter("metrics"), runs), repeat(metric)))
        values = [
            value if value.__class__ is float and isfinite(value) else _number(value)
            for value in found
        ]
        positions = order(values, descending=direction == "max")
    # Each run's params flattened once, for the caveats and the table both.
    flat: dict[int, dict[str, Any]] = {}

    def flat_params(run: Tabular) -> dict[str, Any]:
        if run.__class__ is TableRow:
            return run.params  # flattened by the index
        found = flat.get(id(run))
        if found is None:
            found = flat[id(run)] = flatten(run.params)
        return found

    caveats: tuple[str, ...] = ()
    if metric is not None and direction in ("min", "max") and sort is None and positions:
        top = positions[0]  # the best run; the lines count the others, in any order
        beaten = [*runs[:top], *runs[top + 1 :]]
        caveats = not_comparable(runs[top], beaten, metric, flat_params)
    if limit is not None:
        runs = [runs[i] for i in positions[:limit]] if positions is not None else runs[:limit]
        positions = None
    table = _table(runs, positions, metric, direction, all_columns, declared or {}, flat_params)
    return replace(table, caveats=caveats) if caveats else table


def subject_direction(
    metric: str | None, maximize: bool | None, declared: Mapping[str, str] | None
) -> Direction | None:
    """The direction of ``--metric`` (None without one): ``--maximize``/``--minimize``,
    else what is declared or its name says."""
    if maximize is not None and metric is None:
        raise UserError("--maximize/--minimize need --metric NAME: the metric to optimise")
    if metric is None:
        return None
    if maximize is None:
        return metric_direction(metric, declared)
    return "max" if maximize else "min"


def build_shown(
    facts: TableFacts,
    *,
    metric: str | None,
    maximize: bool | None,
    declared: Mapping[str, str] | None = None,
) -> Comparison:
    """The comparison of many runs as the terminal table shows it: the rows of the first
    ones (``facts.shown``, in order: best or newest first), and what is said of them all
    (the params the same in every run, each metric's best) from ``facts``, which the run
    index computed (store/overview.py) without every run's values being decoded."""
    if facts.complete:  # every run is shown
        return build(facts.shown, metric=metric, maximize=maximize, declared=declared)
    direction = subject_direction(metric, maximize, declared)
    if metric is not None and facts.total and metric not in facts.metric_counts:
        raise _no_such_metric(metric, facts.metric_counts)
    table = _table(
        facts.shown, None, metric, direction, False, declared or {}, attrgetter("params"), facts
    )
    caveats: tuple[str, ...] = ()
    judged = facts.judged
    if metric is not None and judged is not None and judged.others and facts.shown:
        best = facts.shown[0]
        unlike = [(key, best.params[key], count) for key, count in judged.unlike.items()]
        caveats = _caveat_lines(best.id, judged.others, judged.other_inputs, unlike)
    return replace(table, caveats=caveats, total=facts.total)


def judged_param(key: str) -> bool:
    """A param the caveats compare: one that chooses the data or the randomness."""
    return _SPLIT_OR_SEED.search(key) is not None


# Params that choose the data a metric is measured on, or its randomness: a best run that
# differs in one of them may have won on an easier split or a lucky seed.
_SPLIT_OR_SEED = re.compile(
    r"(^|[._/-])(seed|random_state|split|fold|val_split|data_split)"
    r"($|[._/-])|seed$|split$|fold$",
    re.IGNORECASE,
)


def not_comparable(
    best: Tabular,
    beaten: Sequence[Tabular],
    metric: str,
    flat_params: Callable[[Tabular], Mapping[str, Any]] | None = None,
) -> tuple[str, ...]:
    """One line for each way the best run is not like-for-like with the runs it beat: other
    declared inputs (their hashes), or another split or seed param."""
    others = [run for run in beaten if metric in run.metrics]
    if not others:
        return ()
    other_inputs = 0
    if best.inputs_digest is not None:
        other_inputs = sum(run.inputs_digest not in (None, best.inputs_digest) for run in others)
    flat_of = flat_params or (lambda run: flatten(run.params))
    params = flat_of(best)
    unlike = [
        (key, params[key], sum(flat_of(run).get(key) != params[key] for run in others))
        for key in sorted(key for key in params if judged_param(key))
    ]
    return _caveat_lines(best.id, len(others), other_inputs, unlike)


def _caveat_lines(
    best: str, others: int, other_inputs: int, unlike: Sequence[tuple[str, Any, int]]
) -> tuple[str, ...]:
    """The caveats about the ``best`` run, which beat ``others`` runs: ``other_inputs`` of
    them read other inputs; (param, the best run's value, how many hold another) for each
    param that chooses the data or the randomness."""
    short = best[:10]
    lines: list[str] = []
    if other_inputs:
        lines.append(
            f"the best run {short} read other inputs (data hashes) than "
            f"{other_inputs} of the {others} runs it beat; compare like with like "
            "(runledger diff)"
        )
    for key, value, differing in unlike:
        if differing:
            lines.append(
                f"the best run {short} used {key}={value!r}, unlike {differing} of "
                f"the {others} runs it beat: its lead may be that {key}'s luck "
                "(--group-by the other params to see mean ± std)"
            )
    return tuple(lines)


def _table(
    runs: Sequence[Tabular],
    positions: Sequence[int] | None,
    metric: str | None,
    direction: Direction | None,
    all_columns: bool,
    declared: Mapping[str, str],
    flat_params: Callable[[Tabular], dict[str, Any]],
    whole: TableFacts | None = None,
) -> Comparison:
    """The table of ``runs``, its rows in the order of ``positions`` (None: as given);
    ``whole``: ``runs`` are the first ones shown of more, and which columns are constant,
    hold values or are best are ``whole``'s answers about them all.

    Column-major: each column's values are gathered once, in the runs' order, then zipped
    into rows, which are put in order last."""
    params = list(map(flat_params, runs))
    metrics: list[dict[str, Any]] = list(map(attrgetter("metrics"), runs))
    run_ids: list[str] = list(map(attrgetter("id"), runs))

    constant: dict[str, Any] = {}
    columns: list[Column] = [Column("id", "run")]
    values: list[list[Any]] = [run_ids]
    names = list(map(attrgetter("name"), runs))
    if whole.named if whole is not None else any(names):
        columns.append(Column("name", "run"))
        values.append(names)
    columns += [Column("status", "run"), Column("started_at", "run")]
    values += [list(map(attrgetter("status"), runs)), list(map(attrgetter("started_at"), runs))]

    first = positions[0] if positions else 0  # the first row shown

    def place(key: str, kind: ColumnKind, column: list[Any]) -> None:
        if whole is not None:
            if key in whole.constant:
                constant[key] = column[first]
            elif key in whole.filled:
                columns.append(Column(key, kind))
                values.append(column)
        elif runs and not all_columns and _is_constant(column):
            constant[key] = column[first]
        elif all_columns or any(value is not None for value in column):
            columns.append(Column(key, kind))
            values.append(column)

    for attribute in ("commit", "branch", "author"):
        place(attribute, "context", list(map(attrgetter(attribute), runs)))
    # Every param key, in the order first seen: update keeps a key where it first came.
    keys: dict[str, Any] = {}
    if whole is not None:
        keys = dict.fromkeys(whole.param_keys)
    else:
        for row in params if positions is None else _by_first_shown(params, positions):
            keys.update(row)
    for key in keys:
        place(f"params.{key}", "param", list(map(dict.get, params, repeat(key))))

    best: dict[str, BestValue] = {}
    counts = Counter(chain.from_iterable(metrics)) if whole is None else whole.metric_counts
    # the metric asked for, then as a person quotes them (test and validation results
    # first, timings and settings last)
    quoted = quoted_order(dict(sorted(counts.items())))  # ties by name
    for name in ([metric] if metric in counts else []) + [n for n in quoted if n != metric]:
        wanted = direction if name == metric and direction else metric_direction(name, declared)
        column = Column(f"metrics.{name}", "metric", wanted)
        columns.append(column)
        values.append(list(map(dict.get, metrics, repeat(name))))
        if whole is None:
            found = _best_value(column, wanted, run_ids, values[-1], positions)
        else:
            found = _best_of_all(column, wanted, whole.best.get(name), run_ids, values[-1])
        if found is not None:
            best[column.key] = found

    metric_key = f"metrics.{metric}" if metric is not None else None
    best_run: str | None = None
    if metric_key is not None:
        if metric_key in best and best[metric_key].runs:
            best_run = best[metric_key].runs[0]
        columns.insert(0, Column("best", "best"))
        values.insert(0, list(map(eq, run_ids, repeat(best_run))))
    rows = tuple(zip(*values, strict=True)) if runs else ()
    if positions is not None:
        rows = tuple(map(rows.__getitem__, positions))
    return Comparison(
        columns=tuple(columns),
        rows=rows,
        constant=constant,
        best=best,
        metric=metric_key,
        direction=direction,
        best_run=best_run,
    )


def _by_first_shown(params: Sequence[dict[str, Any]], positions: Sequence[int]) -> list[Any]:
    """One of ``params`` for each distinct sequence of keys among them, in the order
    ``positions`` first shows it: updating a dict with these gives the keys in the order
    first seen in that order, without reading every run's params in it."""
    shapes: dict[tuple[str, ...], int] = {}
    shape_of = [shapes.setdefault(shape, len(shapes)) for shape in map(tuple, params)]
    if len(shapes) == 1:
        return [params[0]] if params else []
    example = dict(zip(shape_of, range(len(params)), strict=True))  # shape -> a run having it
    return [params[example[shape]] for shape in dict.fromkeys(map(shape_of.__getitem__, positions))]


def _best_value(
    column: Column,
    direction: Direction,
    run_ids: Sequence[str],
    values: Sequence[Any],
    positions: Sequence[int] | None = None,
) -> BestValue | None:
    """The best of ``values`` and the runs that reached it, in the order of ``positions``
    (None: as given)."""
    if direction == "none":
        return None  # a counter or a setting: no value of it is "best"
    numbers: Sequence[Any] = values
    if set(map(type, values)) <= _FLOAT_KINDS:
        # The common case, in C but for one pass: floats, some missing.
        present = [value for value in values if value is not None]
        if not all(map(isfinite, present)):
            numbers = [value if value is None or isfinite(value) else None for value in values]
            present = [value for value in numbers if value is not None]
    else:
        # Metric values are floats or None: those are checked in C, anything else by _number.
        numbers = [
            value if value.__class__ is float and isfinite(value) else _number(value)
            for value in values
        ]
        present = [number for number in numbers if number is not None]
    if not present:
        return None
    top = min(present) if direction == "min" else max(present)
    found = list(compress(range(len(numbers)), map(eq, numbers, repeat(top))))
    if positions is not None and len(found) > 1:
        rank = dict(zip(positions, range(len(positions)), strict=True))
        found.sort(key=rank.__getitem__)
    return BestValue(column.key, direction, top, tuple(map(run_ids.__getitem__, found)))


_FLOAT_KINDS = frozenset({float, type(None)})


def _best_of_all(
    column: Column,
    direction: Direction,
    top: float | None,
    run_ids: Sequence[str],
    values: Sequence[Any],
) -> BestValue | None:
    """The best value ``top`` of all runs, and those of ``run_ids`` (the ones shown) that
    reached it."""
    if direction == "none" or top is None:
        return None
    reached = [run for run, value in zip(run_ids, values, strict=True) if _number(value) == top]
    return BestValue(column.key, direction, top, tuple(reached))


# --- text formats: csv, json, markdown share the columns and the values ----------------


def cell_text(value: Any) -> str:
    """A value as csv and markdown write it: full precision, blank when missing."""
    if isinstance(value, float):  # the common cases first: this runs once per cell
        return repr(value)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(json_safe(value), ensure_ascii=False, sort_keys=True)


def to_csv(comparison: Comparison) -> str:
    fast = _plain_csv(comparison)
    return fast if fast is not None else _written_csv(comparison)


def _written_csv(comparison: Comparison) -> str:
    """The csv text of ``comparison`` as the csv module writes it (any cell, quoted where
    needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(comparison.keys)
    # csv writes None as "" and floats as repr already; only booleans and the odd list or
    # table (params, the best mark) need cell_text, so only the columns holding one are
    # converted, and the rest is written by the csv module alone.
    rows = comparison.rows
    convert = [
        i
        for i, column in enumerate(comparison.columns)
        if column.kind in ("param", "best")
        and not _CSV_AS_IS.issuperset(map(type, map(itemgetter(i), rows)))
    ]
    if convert:
        rows = tuple(_converted(row, convert) for row in rows)
    writer.writerows(rows)
    return buffer.getvalue()


# Characters that make the csv module quote a field (or that some Python versions quote).
_CSV_SPECIAL = (",", '"', "\n", "\r", "\x00")
_NONE = type(None)
_TEXT_KINDS = frozenset({str, _NONE})
_NUMBER_KINDS = frozenset({int, float, _NONE})


def _plain_csv(comparison: Comparison) -> str | None:
    """The csv text of ``comparison`` built a column at a time, when no cell needs quoting
    and every cell is text, a number, a boolean (in a param or best column) or missing:
    exactly what csv.writer writes for it (test_compare.py holds the two to each other), in
    a fifth of its time at 10,000 runs (the writer looks at every character of every
    cell). None for anything else, which the csv module writes."""
    keys = comparison.keys
    rows = comparison.rows
    if len(keys) < 2 or any(map(_needs_quotes, keys)):
        return None  # a row of one empty field is written as "" by csv
    if not rows:
        return ",".join(keys) + "\n"
    texts: list[Sequence[str]] = []
    for column, cells in zip(comparison.columns, zip(*rows, strict=True), strict=True):
        kinds = set(map(type, cells))
        if kinds <= _TEXT_KINDS:
            if str in kinds and _needs_quotes("".join(filter(None, cells))):
                return None
            texts.append(cells if _NONE not in kinds else ["" if c is None else c for c in cells])
        elif kinds <= _NUMBER_KINDS:
            # floats as repr and ints as str, as the writer (and cell_text) writes them
            if _NONE in kinds:
                texts.append(["" if c is None else repr(c) for c in cells])
            else:
                texts.append(list(map(repr, cells)))
        elif kinds <= {bool, _NONE} and column.kind in ("param", "best"):
            texts.append(["" if c is None else "true" if c else "false" for c in cells])
        else:
            return None
    return "\n".join([",".join(keys), *map(",".join, zip(*texts, strict=True))]) + "\n"


def _needs_quotes(text: str) -> bool:
    return any(special in text for special in _CSV_SPECIAL)


def _converted(row: tuple[Any, ...], convert: Sequence[int]) -> tuple[Any, ...]:
    """``row`` with cell_text for the values csv would write otherwise (True, lists)."""
    cells = list(row)
    for i in convert:
        if cells[i].__class__ not in _CSV_AS_IS:
            cells[i] = cell_text(cells[i])
    return tuple(cells)


# Values the csv module writes as cell_text does: text as is, floats as repr, ints as str.
_CSV_AS_IS = frozenset({str, float, int, type(None)})


def to_json_text(comparison: Comparison) -> str:
    text = json.dumps(comparison.to_json(), indent=2, ensure_ascii=False, allow_nan=False)
    return json_text(text) + "\n"


def markdown_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def to_markdown(comparison: Comparison) -> str:
    """A GitHub-flavoured markdown table, with the constant params and the winner above it."""
    lines: list[str] = []
    if comparison.constant:
        same = ", ".join(
            f"`{markdown_escape(key)}={markdown_escape(cell_text(value))}`"
            for key, value in comparison.constant.items()
        )
        count = len(comparison.rows)
        lines.append(f"Same in {'the run' if count == 1 else f'all {count} runs'}: {same}")
        lines.append("")
    if comparison.metric is not None and comparison.direction is not None:
        winner = f"`{comparison.best_run}`" if comparison.best_run else "no run has a value"
        lines.append(
            f"Best by `{comparison.metric}` ({describe_direction(comparison.direction)}): {winner}"
        )
        lines.append("")
    lines.append("| " + " | ".join(markdown_escape(key) for key in comparison.keys) + " |")
    aligns = ["---:" if column.kind == "metric" else "---" for column in comparison.columns]
    lines.append("| " + " | ".join(aligns) + " |")
    for row in comparison.rows:
        cells = []
        for column, value in zip(comparison.columns, row, strict=True):
            if column.kind == "best":
                cells.append("★" if value else "")
                continue
            text = markdown_escape(cell_text(value))
            cells.append(f"**{text}**" if comparison.is_best(column, value) else text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def select_columns(comparison: Comparison, patterns: Sequence[str]) -> Comparison:
    """Only the columns whose key (``params.lr``) or short name (``lr``) matches one of the
    globs; the run id and the best mark stay. UserError when a glob matches nothing."""
    from fnmatch import fnmatchcase

    def wanted(column: Column, pattern: str) -> bool:
        return fnmatchcase(column.key, pattern) or fnmatchcase(column.label, pattern)

    for pattern in patterns:
        if not any(wanted(column, pattern) for column in comparison.columns):
            known = ", ".join(c.key for c in comparison.columns if c.kind in ("param", "metric"))
            raise UserError(f"--columns {pattern!r} matches no column; columns: {known}")
    keep = [
        index
        for index, column in enumerate(comparison.columns)
        if column.kind == "best"
        or column.key == "id"
        or any(wanted(column, pattern) for pattern in patterns)
    ]
    return Comparison(
        columns=tuple(comparison.columns[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in comparison.rows),
        constant={},
        best={
            key: best
            for key, best in comparison.best.items()
            if key in {comparison.columns[i].key for i in keep}
        },
        metric=comparison.metric,
        direction=comparison.direction,
        best_run=comparison.best_run,
    )


def parse_columns(text: str) -> list[str]:
    """``'params.lr,metrics.val_*'`` -> the globs, without blanks."""
    globs = [part.strip() for part in text.split(",") if part.strip()]
    if not globs:
        raise UserError("--columns needs globs such as 'params.lr,metrics.val_*'")
    return globs
