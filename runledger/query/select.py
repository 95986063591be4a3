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
from runledger.model.record import Run, json_safe

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


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted keys: ``{"model": {"depth": 3}}`` -> ``{"model.depth": 3}``."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        # Records hold plain dicts (from TOML); isinstance(Mapping) costs 10x more per value.
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def metric_values(run: Run) -> dict[str, float | None]:
    """Each metric's last value; NaN and infinities are no value (as in the JSON view)."""
    return {
        name: summary.last if math.isfinite(summary.last) else None
        for name, summary in run.metrics.items()
    }


RunFilter = Callable[[Run], bool]


_VIEW_FIELDS: dict[str, Callable[[Run], Any]] = {
    "id": lambda run: run.id,
    "name": lambda run: run.name,
    "status": lambda run: run.status,
    "exit_code": lambda run: run.exit_code,
    "commit": lambda run: run.git.commit,
    "branch": lambda run: run.git.branch,
    "command": lambda run: list(run.command),
    "started_at": lambda run: run.started_at,
    "ended_at": lambda run: run.ended_at,
    "duration_s": lambda run: run.duration_s,
    "user": lambda run: run.user,
    "host": lambda run: run.host,
    "params": lambda run: json_safe(run.params),
    "metrics": metric_values,
    "tags": lambda run: run.all_tags,
    "note": lambda run: run.note,
    "reproduces": lambda run: run.reproduces,
    "parent": lambda run: run.parent,
    "sweep": lambda run: run.sweep,
}


class RunView(Mapping[str, Any]):
    """``run.summary_json()`` computed one field at a time, as ``--where`` reads it.

    A filter reads one or two fields of each run; building the whole JSON view of 10,000
    runs to read them took longer than the filtering. Fields not listed above fall back to
    the full view, so the two never disagree.
    """

    __slots__ = ("_run",)

    def __init__(self, run: Run) -> None:
        self._run = run

    def __getitem__(self, key: str) -> Any:
        getter = _VIEW_FIELDS.get(key)
        if getter is not None:
            return getter(self._run)
        return self._run.summary_json()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._run.summary_json())

    def __len__(self) -> int:
        return len(self._run.summary_json())


def run_filter(where: str | None) -> RunFilter | None:
    """The ``--where`` predicate over runs (None: keep all); a bad expression fails here."""
    if where is None:
        return None
    from runledger.query.where import compile_where

    keep = compile_where(where)
    return lambda run: keep(RunView(run))


def select(runs: Iterable[Run], keep: RunFilter | None) -> list[Run]:
    """The runs that ``keep`` keeps, in their order."""
    return list(runs) if keep is None else [run for run in runs if keep(run)]


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


def field_value(run: Run, key: SortKey) -> Any:
    """The value ``key`` names in ``run``, or None when the run has none."""
    if key.head == "params":
        return lookup(flatten(run.params), key.rest)
    if key.head == "metrics":
        return lookup(metric_values(run), key.rest)
    if key.head == "commit":
        return run.git.commit
    if key.head == "branch":
        return run.git.branch
    return getattr(run, key.head)


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
    # sort(reverse=True) keeps ties in their given order too.
    present.sort(key=lambda i: _rank(values[i]), reverse=descending)
    return present + missing


def _names(run: Run, container: str) -> Iterable[str]:
    return flatten(run.params) if container == "params" else run.metrics


def sort_runs(runs: Sequence[Run], key: SortKey) -> list[Run]:
    """``runs`` ordered by ``key``; UserError when no run has the field at all (a typo)."""
    values = [field_value(run, key) for run in runs]
    if runs and key.head in CONTAINERS and all(value is None for value in values):
        known = sorted({name for run in runs for name in _names(run, key.head)})
        more = ", ..." if len(known) > 12 else ""
        hint = f" (known: {', '.join(known[:12])}{more})" if known else ""
        raise UserError(f"unknown --sort key {key.field!r}: no run has it{hint}")
    return [runs[i] for i in order(values, key.descending)]
