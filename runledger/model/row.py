"""A run as listing, filtering, sorting and comparing see it: one row, no detail.

``ls``, ``compare``, ``load_runs`` and ``report`` read these from the run index's columns
instead of decoding each run's whole record: at 100,000 runs a ``Run`` per run costs most
of a minute and most of a gigabyte. A full :class:`~runledger.model.record.Run` is read
only where a command shows one run's detail (``show``, ``diff``, ``reproduce``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from runledger.model.record import ReproducedBy, Run, json_safe, reruns


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which made
# building 10,000 rows from the index cost ten times as much. Nothing changes a row: copies
# are made with dataclasses.replace.
@dataclass(slots=True)
class RunRow:
    id: str
    status: str
    started_at: str
    ended_at: str
    duration_s: float
    command: tuple[str, ...]
    commit: str
    branch: str | None = None
    exit_code: int | None = None
    name: str | None = None
    user: str | None = None
    host: str | None = None
    author: str | None = None  # git's "user.name <user.email>"
    # as recorded: nested tables kept, NaN kept (compare shows it)
    params: dict[str, Any] = field(default_factory=dict)
    # each metric's last value; NaN and infinities are no value (as in the JSON view)
    metrics: dict[str, float | None] = field(default_factory=dict)
    tags: tuple[str, ...] = ()  # given at exec
    team_tags: tuple[str, ...] = ()  # `runledger tag`, merged in when listed
    note: str | None = None
    reproduces: str | None = None
    parent: str | None = None
    sweep: str | None = None
    inputs_digest: str | None = None  # one hash of its declared inputs
    verdict: str | None = None  # of its own reproduction, when it reproduces a run
    # the runs whose ``reproduces`` names this one, oldest first (link_reproductions)
    reproduced_by: tuple[ReproducedBy, ...] = ()
    # its ``reproduces`` names a run here that it did not re-run (record.reruns)
    claim_unfounded: bool = False

    @property
    def all_tags(self) -> list[str]:
        return sorted(set(self.tags) | set(self.team_tags))

    @classmethod
    def of(cls, run: Run) -> RunRow:
        """The row of a run already read (a report's detailed runs, a record without index)."""
        return cls(
            id=run.id,
            status=run.status,
            started_at=run.started_at,
            ended_at=run.ended_at,
            duration_s=run.duration_s,
            command=run.command,
            commit=run.git.commit,
            branch=run.git.branch,
            exit_code=run.exit_code,
            name=run.name,
            user=run.user,
            host=run.host,
            author=run.author,
            params=run.params,
            metrics={
                name: summary.last if math.isfinite(summary.last) else None
                for name, summary in run.metrics.items()
            },
            tags=run.tags,
            team_tags=run.team_tags,
            note=run.note,
            reproduces=run.reproduces,
            parent=_optional_text(getattr(run, "parent", None)),
            sweep=_optional_text(getattr(run, "sweep", None)),
            inputs_digest=run.inputs_digest,
            verdict=run.reproduction.verdict if run.reproduction else None,
            reproduced_by=run.reproduced_by,
            claim_unfounded=run.claim_unfounded,
        )


class TableRow(NamedTuple):
    """A run as ``compare`` tabulates and judges it: the fields of a :class:`RunRow` that
    its table and its caveats read, and not the command, tags, note or times.

    Read straight from the index's columns (store/index.py ``table_rows``): at 10,000 runs,
    decoding every run's command and tags for a table that shows neither cost a third of
    ``compare --format csv``. ``--sort`` by a field it lacks (``duration_s``) reads
    RunRows. The fields are in the order the index selects them. Its ``params`` are
    flattened already (nested tables as dotted keys, as model/flat.py ``flatten`` makes
    them): the table shows them so, and the index keeps them so (``params_flat``).
    """

    id: str
    status: str
    started_at: str
    commit: str
    branch: str | None
    name: str | None
    author: str | None
    inputs_digest: str | None
    params: dict[str, Any]  # flattened
    metrics: dict[str, float | None]


class FrameRow(NamedTuple):
    """A run as ``load_runs`` (analysis/frames.py) puts it in a DataFrame: its columns in
    the frame's order, read straight from the index's columns, so that the frame is built
    column by column (one ``zip`` of the rows) without a :class:`RunRow` per run.

    ``tags`` are the exec tags as recorded (the team tags are merged in by the frame);
    ``params`` are flattened (nested tables as dotted keys), as in :class:`TableRow`.
    """

    id: str
    name: str | None
    status: str
    exit_code: int | None
    commit: str
    branch: str | None
    started_at: str
    duration_s: float
    user: str | None
    host: str | None
    reproduces: str | None
    parent: str | None
    sweep: str | None
    command: str  # one shell line (command_line)
    tags: list[str]
    params: dict[str, Any]  # flattened
    metrics: dict[str, float | None]


@lru_cache(maxsize=4096)
def _quoted(word: str) -> str:
    import shlex  # only the index's parsing workers and load_runs quote

    return shlex.quote(word)


def command_line(command: Iterable[str]) -> str:
    """``shlex.join(command)``, each distinct word quoted once (a sweep's runs repeat them)."""
    return " ".join(map(_quoted, command))


# What compare's table (analysis/compare.py) and ``--sort`` read: either kind of row.
Tabular = RunRow | TableRow
AnyRow = TypeVar("AnyRow", bound=Tabular)


def link_reproductions(rows: Sequence[RunRow], reproducers: Iterable[RunRow]) -> list[RunRow]:
    """``rows`` with ``reproduced_by`` filled in from ``reproducers`` (as record.py's
    link_reproductions does for runs)."""
    found: dict[str, list[RunRow]] = {}
    for row in sorted(reproducers, key=lambda row: (row.started_at, row.id)):
        if row.reproduces:
            found.setdefault(row.reproduces, []).append(row)
    linked = []
    for row in rows:
        mine = tuple(
            ReproducedBy(item.id, item.started_at, item.verdict)
            for item in found.get(row.id, ())
            if reruns(item.commit, item.command, row.commit, row.command)
        )
        linked.append(replace(row, reproduced_by=mine) if mine else row)
    return linked


def check_claims(rows: Sequence[RunRow], originals: Iterable[RunRow]) -> list[RunRow]:
    """``rows`` with ``claim_unfounded`` set where the run their ``reproduces`` names is
    among ``originals`` and they did not re-run it."""
    by_id = {row.id: row for row in originals}
    checked = []
    for row in rows:
        original = by_id.get(row.reproduces) if row.reproduces else None
        if original is not None and not reruns(
            row.commit, row.command, original.commit, original.command
        ):
            row = replace(row, claim_unfounded=True)
        checked.append(row)
    return checked


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


VIEW_FIELDS: dict[str, Any] = {
    "id": lambda row: row.id,
    "name": lambda row: row.name,
    "status": lambda row: row.status,
    "exit_code": lambda row: row.exit_code,
    "commit": lambda row: row.commit,
    "branch": lambda row: row.branch,
    "command": lambda row: list(row.command),
    "started_at": lambda row: row.started_at,
    "ended_at": lambda row: row.ended_at,
    "duration_s": lambda row: row.duration_s,
    "user": lambda row: row.user,
    "host": lambda row: row.host,
    "params": lambda row: json_safe(row.params),
    "metrics": lambda row: row.metrics,
    "tags": lambda row: row.all_tags,
    "note": lambda row: row.note,
    "reproduces": lambda row: row.reproduces,
    "parent": lambda row: row.parent,
    "sweep": lambda row: row.sweep,
}


class RowView(Mapping[str, Any]):
    """The fields of a run's JSON view that ``--where`` reads, computed one at a time.

    A filter reads one or two fields of each run; building every field of 100,000 views to
    read them costs more than the filtering. Fields a row does not hold (``environment``,
    ``git``) are missing, so a condition on them is false, as on a JSON view without them.
    """

    __slots__ = ("_row",)

    def __init__(self, row: RunRow) -> None:
        self._row = row

    def __getitem__(self, key: str) -> Any:
        getter = VIEW_FIELDS.get(key)
        if getter is None:
            raise KeyError(key)
        return getter(self._row)

    def __iter__(self) -> Iterator[str]:
        return iter(VIEW_FIELDS)

    def __len__(self) -> int:
        return len(VIEW_FIELDS)
