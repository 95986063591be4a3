"""Choosing and ordering runs: the ``--where`` filter and the ``--sort KEY`` order.

Shared by ``ls``, ``compare`` and ``load_runs``, so a filter or an order means the same
everywhere. Field names are those of the JSON view and of ``--where``: ``params.NAME``,
``metrics.NAME``, ``started_at``, ``duration_s``, ``status``, ``name`` and the like; a name
with other characters is quoted as ``--where`` quotes it (``metrics."f1 score"``).

``--sort KEY`` sorts ascending; ``--sort -KEY`` descending (``-metrics.loss``). Runs without
a value for KEY always come last, whichever the direction, and keep their relative order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runledger.errors import UserError
from runledger.model.flat import flatten as flatten  # one flatten for records and capture
from runledger.model.record import Run
from runledger.model.row import VIEW_FIELDS, AnyRow, RowView, RunRow, Tabular

# Fields a run can be sorted by besides params.* and metrics.*: scalars of the JSON view.
SORT_FIELDS = (
    "id",
    "name",
    "status",
    "exit_code",
    "commit",
    "branch",
    "started_at",
    "ended_at",
    "duration_s",
    "user",
    "host",
    "parent",
    "sweep",
)
CONTAINERS = ("params", "metrics")


def metric_values(run: Run) -> dict[str, float | None]:
    """Each metric's last value; NaN and infinities are no value (as in the JSON view)."""
    return {
        name: summary.last if math.isfinite(summary.last) else None
        for name, summary in run.metrics.items()
    }


class RunView(Mapping[str, Any]):
    """``run.summary_json()`` of a full record, computed one field at a time, as ``--where``
    reads it: the fields a listing row holds come from model/row.py's VIEW_FIELDS (one
    definition for both views), the others from the full view, so the two never disagree.
    """

    __slots__ = ("_run", "_row")

    def __init__(self, run: Run) -> None:
        self._run = run
        self._row: RunRow | None = None

    def __getitem__(self, key: str) -> Any:
        getter = VIEW_FIELDS.get(key)
        if getter is not None:
            if self._row is None:
                self._row = RunRow.of(self._run)
            return getter(self._row)
        return self._run.summary_json()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._run.summary_json())

    def __len__(self) -> int:
        return len(self._run.summary_json())


@dataclass(frozen=True)
class RowFilter:
    """A ``--where`` over listing rows: ``sql`` for the index (1, 0 or NULL, where_sql.py),
    ``keep`` for the rows SQL left undecided, or every row when there is no index."""

    sql: str | None
    keep: Callable[[RunRow], bool]


def row_filter(
    where: str | None, *, status: str | None = None, tag: str | None = None
) -> RowFilter | None:
    """The ``--where`` filter over rows, and ``--status``/``--tag`` with it (None: keep
    all); a bad expression fails here."""
    if where is None and status is None and tag is None:
        return None  # the expression language (a dozen dataclasses) stays unloaded
    from runledger.query import where as where_
    from runledger.query.where_sql import compile_sql

    parts: list[where_.Expr] = []
    if where is not None:
        parts.append(where_.parse(where))
    if status is not None:
        parts.append(where_.Compare("==", where_.Field(("status",)), where_.Const(status)))
    if tag is not None:  # a team tag or an exec tag: the view's ``tags`` holds both
        parts.append(where_.Compare("==", where_.Field(("tags",)), where_.Const(tag)))
    if not parts:
        return None
    tree = parts[0] if len(parts) == 1 else where_.And(tuple(parts))
    return RowFilter(compile_sql(tree).sql, lambda row: where_.evaluate(tree, RowView(row)))


@dataclass(frozen=True)
class SortKey:
    """A parsed ``--sort`` value: the field and the direction."""

    field: str  # "started_at", "params.lr", "metrics.val_loss"
    descending: bool = False

    @property
    def head(self) -> str:
        return self.field.split(".", 1)[0]

    @property
    def rest(self) -> str:
        return self.field.split(".", 1)[1] if "." in self.field else ""


def parse_sort(text: str) -> SortKey:
    """``KEY`` (ascending) or ``-KEY`` (descending); UserError names what is accepted."""
    spec = text.strip()
    descending = spec.startswith("-")
    field = spec[1:].strip() if descending else spec
    if any(quote in field for quote in "\"'`["):
        field = _unquoted(field)
    head, _, rest = field.partition(".")
    if head in CONTAINERS and rest:
        return SortKey(field, descending)
    if head in SORT_FIELDS and not rest:
        return SortKey(field, descending)
    raise UserError(
        f"unknown --sort key {text!r}: use params.NAME, metrics.NAME or one of "
        f"{', '.join(SORT_FIELDS)}, with a leading '-' for descending (e.g. -metrics.acc)"
    )


def _unquoted(field: str) -> str:
    """``metrics."f1 score"`` (or `` metrics.`f1 score` ``, ``metrics["f1 score"]``), as
    ``--where`` reads it, to the dotted key ``metrics.f1 score``; a key that is not quoted
    that way (``params.a[0]``) stays as written."""
    from runledger.query.where import WhereError, parse_field

    try:
        return ".".join(parse_field(field).path)
    except WhereError:
        return field


def _normal(key: str) -> str:
    return key.replace("-", "_")


def lookup(flat: Mapping[str, Any], key: str) -> Any:
    """``flat[key]``, else the key spelled with ``-`` and ``_`` alike (as ``--where`` does)."""
    if key in flat:
        return flat[key]
    wanted = _normal(key)
    for candidate, value in flat.items():
        if _normal(candidate) == wanted:
            return value
    return None


def field_value(row: Tabular, key: SortKey) -> Any:
    """The value ``key`` names in ``row``, or None when the run has none."""
    if key.head == "params":
        return lookup(flatten(row.params), key.rest)
    if key.head == "metrics":
        return lookup(row.metrics, key.rest)
    return getattr(row, key.head)


def _rank(value: Any) -> tuple[int, Any]:
    """Values of different kinds still order: numbers (and booleans), then text, then others.

    Text that spells a number sorts as that number, as ``--where`` compares it: older runs
    recorded some params as strings ("0.01").
    """
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return (1, value)
        return (0, number) if math.isfinite(number) else (1, value)
    return (2, repr(value))


def order(values: Sequence[Any], descending: bool) -> list[int]:
    """Positions of ``values`` in sorted order, missing (None, NaN) last, stable otherwise."""
    present: list[int] = []
    missing: list[int] = []
    for i, value in enumerate(values):
        absent = value is None or (isinstance(value, float) and math.isnan(value))
        (missing if absent else present).append(i)
    # sort(reverse=True) keeps ties in their given order too. Metric values are floats:
    # those sort by themselves, as _rank would order them, without a tuple each.
    if all(values[i].__class__ is float for i in present):
        present.sort(key=values.__getitem__, reverse=descending)
    else:
        present.sort(key=lambda i: _rank(values[i]), reverse=descending)
    return present + missing


def _names(row: Tabular, container: str) -> Iterable[str]:
    return flatten(row.params) if container == "params" else row.metrics


def sort_runs(runs: Sequence[AnyRow], key: SortKey) -> list[AnyRow]:
    """``runs`` ordered by ``key``; UserError when no run has the field at all (a typo)."""
    return [runs[i] for i in sort_order(runs, key)]


def sort_order(runs: Sequence[Tabular], key: SortKey) -> list[int]:
    """The positions of ``runs`` in the order :func:`sort_runs` puts them."""
    values = [field_value(run, key) for run in runs]
    if runs and key.head in CONTAINERS and all(value is None for value in values):
        known = sorted({name for run in runs for name in _names(run, key.head)})
        more = ", ..." if len(known) > 12 else ""
        hint = f" (known: {', '.join(known[:12])}{more})" if known else ""
        raise UserError(f"unknown --sort key {key.field!r}: no run has it{hint}")
    return order(values, key.descending)
