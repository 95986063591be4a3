"""``runledger.load_runs``: every run as a pandas DataFrame, for notebooks.

The only module that imports pandas (it takes about a second to import), so no command pays
for it; ``load_runs`` imports it on a thread while it reads the rows. One row per run,
newest first, with these columns in this order:

- ``id``, ``name``, ``status``, ``exit_code``, ``commit``, ``branch``, ``started_at``
  (a UTC ``Timestamp``), ``duration_s``, ``user``, ``host``, ``command`` (one string),
  ``tags`` (a list), ``reproduces``, ``parent``, ``sweep`` (a search's trials: group by it);
- ``params.NAME`` for every param of any run (nested params flattened with dots:
  ``params.model.depth``), in the order they first appear;
- ``metrics.NAME`` for every metric of any run: its last value, as a float.

A run without a param or metric has a missing value (NaN/None) there.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runledger.errors import UserError
from runledger.model.bulk import cycle_collection_paused
from runledger.model.record import Run
from runledger.model.row import FrameRow, RunRow, command_line
from runledger.query.select import flatten, row_filter
from runledger.store import git
from runledger.store.ledger import Ledger

if TYPE_CHECKING:
    import pandas as pd

RUN_COLUMNS = (
    "id",
    "name",
    "status",
    "exit_code",
    "commit",
    "branch",
    "started_at",
    "duration_s",
    "user",
    "host",
    "command",
    "tags",
    "reproduces",
    "parent",
    "sweep",
)


def _frame_row(run: Run | RunRow) -> FrameRow:
    """The frame's row of a run read whole, or of a RunRow (a run ``--where`` filtered in
    Python, or one whose values only its record holds): its tags with the team's merged."""
    row = RunRow.of(run) if isinstance(run, Run) else run
    return FrameRow(
        row.id, row.name, row.status, row.exit_code, row.commit, row.branch, row.started_at,
        row.duration_s, row.user, row.host, row.reproduces, row.parent, row.sweep,
        command_line(row.command), row.all_tags, flatten(row.params), row.metrics,
    )  # fmt: skip


def _tags(tags: Sequence[list[str]], ids: Sequence[str], team: dict[str, list[str]]) -> list[Any]:
    """Each run's exec tags and team tags, sorted, once each (RunRow.all_tags)."""
    return [
        sorted(set(mine).union(team[run_id]))
        if run_id in team
        else (mine if len(mine) < 2 else sorted(set(mine)))
        for mine, run_id in zip(tags, ids, strict=True)
    ]


def runs_frame(
    runs: Sequence[Run | RunRow | FrameRow], team_tags: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """The frame of ``runs``, built column by column: FrameRows (the index's columns) are
    transposed with one ``zip``; ``team_tags`` (run id -> tags) are merged into theirs.

    A list given is emptied: each row, and each run's params and metrics tables, is freed
    once its values are in their columns, before pandas copies them (at 100,000 runs they
    would otherwise all be held at the peak, a quarter of it)."""
    rows = [run if isinstance(run, FrameRow) else _frame_row(run) for run in runs]
    if isinstance(runs, list):
        runs.clear()
    fields = list(zip(*rows, strict=True)) if rows else [()] * len(FrameRow._fields)
    del rows
    found = dict(zip(FrameRow._fields, fields, strict=True))
    del fields
    return columns_frame(found, team_tags)


def columns_frame(
    found: dict[str, Any], team_tags: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """The frame of FrameRow's fields as columns (field name -> values, store/columns.py);
    ``team_tags`` (run id -> tags) are merged into the exec tags. ``found`` is emptied of
    the params and metrics tables, freed once their values are in their columns."""
    params: Sequence[dict[str, Any]] = found.pop("params")
    metrics: Sequence[dict[str, float | None]] = found.pop("metrics")
    found["tags"] = _tags(found["tags"], found["id"], team_tags or {})
    # Every key in the order first seen (fromkeys keeps a key where it first came).
    param_keys = dict.fromkeys(chain.from_iterable(params))
    metric_keys = dict.fromkeys(chain.from_iterable(metrics))
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {key: found[key] for key in RUN_COLUMNS}
    for key in param_keys:
        columns[f"params.{key}"] = list(map(dict.get, params, repeat(key)))
    for key in metric_keys:
        # Last values are floats or None: numpy makes None NaN, in C.
        columns[f"metrics.{key}"] = np.array(list(map(dict.get, metrics, repeat(key))), float)
    del params, metrics

    frame = pd.DataFrame(columns)
    # A pulled record's start time that is no date is NaT, not a ValueError for every run.
    frame["started_at"] = pd.to_datetime(
        frame["started_at"], utc=True, format="ISO8601", errors="coerce"
    )
    return frame


def load_runs(path: str | Path = ".", where: str | None = None) -> pd.DataFrame:
    """Every run of the repository at ``path`` that passes ``where``, newest first."""
    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"no such folder: {folder}")
    keep = row_filter(where)
    # pandas (a third of a second of CPU) is imported on a thread of its own while the rows
    # are read: SQLite and git run without holding the interpreter's lock, so on two cores
    # some of the import is done by the time the frame is built.
    # What reading the rows imports is imported first: two threads importing at once could
    # otherwise wait on each other's half-imported modules.
    from runledger.store import catalog, columns, tags  # noqa: F401

    loading = threading.Thread(target=_import_pandas, name="runledger-pandas", daemon=True)
    loading.start()
    try:
        ledger = Ledger(git.discover(folder))
        with cycle_collection_paused():
            sql = keep.sql if keep else None
            # Columns straight from the index where it holds every value the frame shows.
            found = ledger.frame_columns(sql) if keep is None or sql is not None else None
            if found is None:
                rows = ledger.frame_rows(sql, keep.keep if keep else None)
            team = ledger.team_tags()
    finally:
        loading.join()
    with cycle_collection_paused():
        if found is not None:
            return columns_frame(found, team)
        return runs_frame(rows, team)


def _import_pandas() -> None:
    """Import pandas, or leave it to runs_frame to raise why it cannot be imported."""
    with contextlib.suppress(Exception):
        import pandas  # noqa: F401
