"""``compare``'s terminal table over many runs, from the run index without decoding them all.

The table shows the first 50 runs (best first, or newest first), but what it says of them
depends on every run: which params are the same in all of them (one line above the table),
which columns hold a value anywhere, each metric's best value (marked where a shown run
reaches it) and how many runs have it (the order of the metric columns), how many runs the
best one beat with other inputs or another seed. Decoding 100,000 runs' params and metrics
for that took most of a second; here SQLite answers it in one pass over the rows, and only
the shown runs are decoded.

The answers are those analysis/compare.py computes from every row (tests/test_overview.py
holds the two to each other). Where SQL cannot give the same answer, :func:`table_facts`
returns None and the caller reads every row: a row the index holds only in its record
(NaN in params, lone surrogates, TOML dates), a ``--where`` that SQL leaves undecided for
some run, a name that a JSON path cannot address (one with a quote, a backslash or a
control character), a value SQLite cannot compare as Python does (a list, a huge integer).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import isfinite
from typing import TYPE_CHECKING, Any

from runledger.model.row import TableRow

if TYPE_CHECKING:
    from runledger.store.index import RunIndex

# Column keys of the run's context, as compare names them, and the index columns holding them.
CONTEXT_COLUMNS = {"commit": "git_commit", "branch": "branch", "author": "author"}
_READABLE = "effective = 1 AND error IS NULL"
_PARAMS = "coalesce(params_flat, params)"
# compare's TableRow fields, in order, and its params (flattened) and metrics as one JSON text.
_SHOWN_COLUMNS = (
    "id, status, started_at, git_commit, branch, name, author, inputs_digest, "
    f"'[' || {_PARAMS} || ',' || metrics || ']'"
)
_INT64 = (-(2**63), 2**63 - 1)
_loads = json.JSONDecoder().decode
_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Judged:
    """How the best run (the first shown) compares with the other runs that have the metric:
    the caveats of analysis/compare.py ``not_comparable``."""

    others: int  # runs other than the best one that have the metric
    other_inputs: int  # of those, the ones whose inputs digest differs from the best run's
    unlike: dict[str, int]  # a param the caveats judge -> how many of those hold another value


@dataclass(frozen=True)
class TableFacts:
    """The first runs, in the table's order, and what the table says of all of them."""

    total: int
    shown: list[TableRow]
    param_keys: list[str]  # every param, in the order first seen in the table's order
    constant: frozenset[str]  # column keys ("commit", "params.lr") the same in every run
    filled: frozenset[str]  # column keys with a value (not None) in some run
    named: bool  # some run has a name
    metric_counts: dict[str, int]  # how many runs have each metric
    best: dict[str, float]  # each metric's best value, for those with a direction
    judged: Judged | None = None
    complete: bool = False  # every run is shown: the table is built from their rows alone


class _Unanswerable(Exception):
    """SQL cannot answer as Python would: the caller reads every row."""


def table_facts(
    index: RunIndex,
    shown: int,
    *,
    where: str | None = None,
    team_tags: dict[str, list[str]] | None = None,
    metric: str | None = None,
    descending: bool = False,
    best_of: Callable[[str], str],
    judged: Callable[[str], bool] | None = None,
) -> TableFacts | None:
    """The first ``shown`` readable runs the SQL condition ``where`` keeps (1), newest first,
    or ordered by ``metric`` (``descending``: highest first; runs without it last), and the
    facts of them all. ``best_of(name)``: "min", "max" or "none", which best value a metric
    has; ``judged``: when given, the first run is the best one by ``metric`` and its params
    for which ``judged(key)`` holds are compared with the other runs'. None when SQL cannot
    answer. When every run is shown, the facts hold only them (``complete``)."""
    try:
        return _Facts(index, where, team_tags, metric, descending).read(shown, best_of, judged)
    except _Unanswerable:
        return None
    except sqlite3.OperationalError as error:
        # NaN in a run's params (its row is not plain): SQLite's JSON refuses it where it
        # does not read it as JSON5 (the pass counts such rows and says None there).
        if "malformed JSON" in str(error):
            return None
        raise


def _path(key: str) -> str:
    """The JSON path of a top-level ``key``; _Unanswerable for one that JSON escapes, or that
    SQLite cannot be given (a name typed with bytes that are not UTF-8: lone surrogates)."""
    if '"' in key or "\\" in key or any(ord(char) < 0x20 for char in key):
        raise _Unanswerable(key)
    if not key.isascii():
        try:
            key.encode()
        except UnicodeEncodeError:
            raise _Unanswerable(key) from None
    return f'$."{key}"'


def _json_type(value: Any) -> str:
    """SQLite's json_type of a Python value decoded from JSON; _Unanswerable for integers
    beyond 64 bits (SQLite holds them as floats)."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, float):
        return "real"
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return "integer"
    raise _Unanswerable(repr(value))


class _Facts:
    def __init__(
        self,
        index: RunIndex,
        where: str | None,
        team_tags: dict[str, list[str]] | None,
        metric: str | None,
        descending: bool,
    ) -> None:
        self.db = index.db
        self.condition = _READABLE
        if where is not None:
            index._fill_team_tags(team_tags if "team_tags" in where else None)
            self._keep(where)
        self.order = "started_at DESC, id DESC"
        self.order_args: list[Any] = []
        if metric is not None:
            way = "DESC" if descending else "ASC"
            self.order = f"json_extract(metrics, ?) {way} NULLS LAST, {self.order}"
            self.order_args = [_path(metric)]
        self.metric = metric

    def _keep(self, where: str) -> None:
        """Evaluate ``where`` once: the runs it keeps are listed in a temporary table that
        the other queries read (a --where matching 100 of 100,000 runs reads those 100).
        _Unanswerable when it leaves a run undecided (Python decides it)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS kept (row INTEGER PRIMARY KEY, decided)")
        self.db.execute("DELETE FROM temp.kept")
        self.db.execute(
            f"INSERT INTO temp.kept SELECT rowid, ({where}) FROM runs "
            f"WHERE {_READABLE} AND ({where}) IS NOT 0"
        )
        if self.db.execute("SELECT 1 FROM temp.kept WHERE decided IS NULL LIMIT 1").fetchone():
            raise _Unanswerable(where)
        self.condition = "rowid IN (SELECT row FROM temp.kept)"

    def read(
        self, count: int, best_of: Callable[[str], str], judged: Callable[[str], bool] | None
    ) -> TableFacts | None:
        shown = self._first(count)
        if len(shown) < count:  # every run is shown: the rows say it all
            every = frozenset[str]()
            return TableFacts(len(shown), shown, [], every, every, False, {}, {}, complete=True)
        sums = _Sums()
        total = sums.add("count(*)")
        unreadable = sums.add("sum(plain IS NOT 1 OR params IS NULL OR metrics IS NULL)")
        params = [row.params for row in shown]
        metrics = [row.metrics for row in shown]
        param_keys = list(_union(params))
        metric_names = list(_union(metrics))
        if self.metric is not None and self.metric not in metric_names:
            metric_names.append(self.metric)
        param_paths = [_path(key) for key in param_keys]
        metric_paths = [_path(name) for name in metric_names]
        more_params = sums.add(_has_more(_PARAMS, param_paths), param_paths)
        more_metrics = sums.add(_has_more("metrics", metric_paths), metric_paths)

        counts: dict[str, int] = {}
        bests: dict[str, int] = {}
        for name, path in zip(metric_names, metric_paths, strict=True):
            counts[name] = sums.add("count(json_type(metrics, ?))", [path])
            way = best_of(name)
            if way in ("min", "max"):
                bests[name] = sums.add(f"{way}(json_extract(metrics, ?))", [path])

        # A column is the same in every run if it is in the shown ones; it has a value in
        # some run if it has one in a shown one (else SQL looks).
        same: dict[str, int] = {}
        texts: dict[str, tuple[str, Any]] = {}  # lists and tables, compared as JSON text
        filled_here: set[str] = set()
        unfilled: dict[str, int] = {}
        first = shown[0]
        for key, column in CONTEXT_COLUMNS.items():
            values = [getattr(row, key) for row in shown]
            if any(value is not None for value in values):
                filled_here.add(key)
            else:
                unfilled[key] = sums.add(f"count({column})")
            if _same(values):
                same[key] = sums.add(f"sum({column} IS ?)", [getattr(first, key)])
        for key, path in zip(param_keys, param_paths, strict=True):
            values = [row.get(key) for row in params]
            name = f"params.{key}"
            if any(value is not None for value in values):
                filled_here.add(name)
            else:
                unfilled[name] = sums.add(
                    "count(nullif(json_type(" + _PARAMS + ", ?), 'null'))", [path]
                )
            if _same(values):
                same[name] = sums.add(*_equal_count(path, values[0]))
                if isinstance(values[0], list | dict):
                    texts[name] = (path, values[0])
        named = any(row.name for row in shown)
        some_name = None  # as Python's any(): neither an empty name nor 0 counts
        if not named:
            some_name = sums.add("sum(name IS NOT NULL AND name != '' AND name != 0)")

        judging = None
        if judged is not None and self.metric is not None:
            judging = _Judging(sums, first, self.metric, counts[self.metric], judged)

        found = self.db.execute(
            f"SELECT {', '.join(sums.parts)} FROM runs WHERE {self.condition}", sums.args
        ).fetchone()
        if found[unreadable]:
            return None
        total_runs = int(found[total])
        metric_counts = {name: int(found[at]) for name, at in counts.items()}
        best = {name: float(found[at]) for name, at in bests.items() if found[at] is not None}
        constant = {key for key, at in same.items() if found[at] == total_runs}
        for name, (path, value) in texts.items():
            if name not in constant and self._all_equal(path, value):
                constant.add(name)  # [1] and [1.0]: equal to Python, not as JSON text
        filled = filled_here | {key for key, at in unfilled.items() if found[at]}
        if found[more_params]:
            for key, has_value in self._more_params(param_paths).items():
                param_keys.append(key)
                if has_value:
                    filled.add(f"params.{key}")
        if found[more_metrics]:
            self._more_metrics(metric_paths, metric_counts, best, best_of)
        metric_counts = {name: count for name, count in metric_counts.items() if count}
        return TableFacts(
            total=total_runs,
            shown=shown,
            param_keys=param_keys,
            constant=frozenset(constant),
            filled=frozenset(filled),
            named=named if some_name is None else bool(found[some_name]),
            metric_counts=metric_counts,
            best=best,
            judged=judging.result(found) if judging is not None else None,
        )

    def _first(self, count: int) -> list[TableRow]:
        query = (
            f"SELECT {_SHOWN_COLUMNS} FROM runs WHERE {self.condition} "
            f"ORDER BY {self.order} LIMIT ?"
        )
        found = self.db.execute(query, [*self.order_args, count]).fetchall()
        if any(row[8] is None for row in found):
            raise _Unanswerable("values only a record holds")
        values = _loads("[" + ",".join(row[8] for row in found) + "]") if found else []
        return [
            TableRow._make((*row[:8], params, metrics))
            for row, (params, metrics) in zip(found, values, strict=True)
        ]

    def _all_equal(self, path: str, value: list[Any] | dict[str, Any]) -> bool:
        """Whether every run holds a list or table equal to ``value`` as the param at
        ``path``, as Python compares them."""
        query = (
            f"SELECT DISTINCT json_type({_PARAMS}, ?), json_extract({_PARAMS}, ?) "
            f"FROM runs WHERE {self.condition}"
        )
        for kind, text in self.db.execute(query, [path, path]):
            if kind != _json_type(value) or _loads(text) != value:
                return False
        return True

    def _more_params(self, paths: Sequence[str]) -> dict[str, bool]:
        """The params no shown run has, in the order the table's order first shows them,
        and whether each has a value in some run."""
        rest = _rest(_PARAMS, paths)
        query = (
            f"SELECT {rest} FROM runs WHERE {self.condition} AND {rest} != '{{}}' "
            f"ORDER BY {self.order}"
        )
        found: dict[str, bool] = {}
        for (text,) in self.db.execute(query, [*paths, *paths, *self.order_args]):
            for key, value in _loads(text).items():
                found[key] = found.get(key, False) or value is not None
        return found

    def _more_metrics(
        self,
        paths: Sequence[str],
        counts: dict[str, int],
        best: dict[str, float],
        best_of: Callable[[str], str],
    ) -> None:
        """Add the metrics no shown run has to ``counts`` and ``best``."""
        rest = _rest("metrics", paths)
        query = f"SELECT {rest} FROM runs WHERE {self.condition} AND {rest} != '{{}}'"
        values: dict[str, list[float]] = {}
        more: Counter[str] = Counter()
        for (text,) in self.db.execute(query, [*paths, *paths]):
            for name, value in _loads(text).items():
                more[name] += 1
                if isinstance(value, float) and isfinite(value):
                    values.setdefault(name, []).append(value)
        for name, count in more.items():
            counts[name] = count
            way = best_of(name)
            if way in ("min", "max") and name in values:
                best[name] = min(values[name]) if way == "min" else max(values[name])


class _Sums:
    """The aggregates of one pass over the rows: each added expression's place in the
    result, and its arguments in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, expression: str, args: Iterable[Any] = ()) -> int:
        self.parts.append(expression)
        self.args.extend(args)
        return len(self.parts) - 1


class _Judging:
    """The counts behind compare's caveats about the best run (analysis/compare.py
    ``not_comparable``), added to one pass: each is counted from the few runs like the best
    one (one call a run), not from the many unlike it."""

    def __init__(
        self,
        sums: _Sums,
        best: TableRow,
        metric: str,
        having: int,
        judged: Callable[[str], bool],
    ) -> None:
        self.having = having  # where the pass counts the runs that have the metric
        self.mine = 1 if metric in best.metrics else 0  # the best run, among those
        has_metric = "json_type(metrics, ?) IS NOT NULL"
        path = _path(metric)
        self.other_inputs: int | None = None
        if best.inputs_digest is not None:
            self.other_inputs = sums.add(
                "sum(CASE WHEN inputs_digest IS NOT NULL AND inputs_digest IS NOT ? "
                f"THEN {has_metric} ELSE 0 END)",
                [best.inputs_digest, path],
            )
        self.alike: dict[str, int] = {}
        for key in sorted(key for key in best.params if judged(key)):
            value = best.params[key]
            if _json_type(value) in ("array", "object"):
                raise _Unanswerable(key)  # SQL cannot say what Python's == says of a list
            at = _path(key)
            # Python's ==: 1, 1.0 and true are alike; text is only like text (json_extract
            # gives a list's JSON as text too).
            text = f"json_type({_PARAMS}, ?) = 'text' AND " if isinstance(value, str) else ""
            self.alike[key] = sums.add(
                f"sum(CASE WHEN json_extract({_PARAMS}, ?) = ? THEN {text}{has_metric} ELSE 0 END)",
                [at, value, *([at] if text else []), path],
            )

    def result(self, found: Sequence[Any]) -> Judged:
        others = int(found[self.having]) - self.mine
        alike = {key: int(found[at] or 0) - self.mine for key, at in self.alike.items()}
        return Judged(
            others=others,
            other_inputs=0 if self.other_inputs is None else int(found[self.other_inputs] or 0),
            unlike={key: others - count for key, count in alike.items()},
        )


def _union(tables: Iterable[Mapping[str, Any]]) -> dict[str, None]:
    """The keys of ``tables``, in the order first seen."""
    keys: dict[str, None] = {}
    for table in tables:
        keys.update(dict.fromkeys(table))
    return keys


def _same(values: Sequence[Any]) -> bool:
    """As compare's ``_is_constant``: a value, the same (and of the same type) in each."""
    first = values[0]
    return first is not None and all(
        value == first and type(value) is type(first) for value in values
    )


def _equal_count(path: str, value: Any) -> tuple[str, list[Any]]:
    """How many runs hold ``value`` (and its type) as the param at ``path``."""
    kind = _json_type(value)
    if kind in ("true", "false"):
        return f"sum(json_type({_PARAMS}, ?) = '{kind}')", [path]
    if kind in ("array", "object"):  # as JSON text, as the index writes it
        value = _JSON.encode(value)
    return (
        f"sum(json_type({_PARAMS}, ?) = '{kind}' AND json_extract({_PARAMS}, ?) = ?)",
        [path, path, value],
    )


def _rest(column: str, paths: Sequence[str]) -> str:
    """``column``'s JSON without the keys at ``paths`` (their arguments: ``paths``)."""
    if not paths:
        return f"json_remove({column})"
    return f"json_remove({column}, {', '.join('?' * len(paths))})"


def _has_more(column: str, paths: Sequence[str]) -> str:
    """How many runs have a key in ``column`` besides those at ``paths``."""
    return f"sum({_rest(column, paths)} != '{{}}')"
