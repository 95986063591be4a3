"""``runledger.load_runs``: every run as a pandas DataFrame, for notebooks.

The only module that imports pandas (it takes about a second to import), so no command pays
for it. One row per run, newest first, with these columns in this order:

- ``id``, ``name``, ``status``, ``exit_code``, ``commit``, ``branch``, ``started_at``
  (a UTC ``Timestamp``), ``duration_s``, ``user``, ``host``, ``command`` (one string),
  ``tags`` (a list), ``reproduces``, ``parent``, ``sweep`` (a search's trials: group by it);
- ``params.NAME`` for every param of any run (nested params flattened with dots:
  ``params.model.depth``), in the order they first appear;
- ``metrics.NAME`` for every metric of any run: its last value, as a float.

A run without a param or metric has a missing value (NaN/None) there.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

import pandas as pd

from runledger.errors import UserError
from runledger.model.bulk import cycle_collection_paused
from runledger.model.record import Run
from runledger.model.row import RunRow
from runledger.query.select import flatten, row_filter
from runledger.store import git
from runledger.store.ledger import Ledger

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


def _command_lines(commands: Sequence[Sequence[str]]) -> list[str]:
    """``shlex.join`` of each command, quoting each distinct argument once (sweeps repeat
    them)."""
    quote = lru_cache(maxsize=None)(shlex.quote)
    return [" ".join(map(quote, command)) for command in commands]


# The RunRow attribute of each of RUN_COLUMNS (the command is joined below).
_ATTRIBUTES = {"tags": "all_tags"}


def runs_frame(runs: Sequence[Run | RunRow]) -> pd.DataFrame:
    rows = [RunRow.of(run) if isinstance(run, Run) else run for run in runs]
    params = [flatten(row.params) for row in rows]
    metrics = [row.metrics for row in rows]
    # Every key in the order first seen: update keeps a key where it first came.
    param_keys: dict[str, Any] = {}
    metric_keys: dict[str, Any] = {}
    for flat in params:
        param_keys.update(flat)
    for values in metrics:
        metric_keys.update(values)
    columns: dict[str, list[Any]] = {
        key: list(map(attrgetter(_ATTRIBUTES.get(key, key)), rows)) for key in RUN_COLUMNS
    }
    columns["command"] = _command_lines(columns["command"])
    for key in param_keys:
        columns[f"params.{key}"] = list(map(dict.get, params, repeat(key)))
    nan = float("nan")
    for key in metric_keys:
        columns[f"metrics.{key}"] = [
            nan if value is None else value for value in map(dict.get, metrics, repeat(key))
        ]
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
    ledger = Ledger(git.discover(folder))
    with cycle_collection_paused():
        return runs_frame(ledger.rows(keep.sql if keep else None, keep.keep if keep else None))
