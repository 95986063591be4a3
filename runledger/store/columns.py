"""``load_runs``' columns straight from the run index: one list per frame column.

The rows are fetched a chunk at a time and turned into columns by one ``zip`` a chunk (in
C), their params, metrics and exec tags by one JSON decoding a chunk: no row object per
run, no Python loop over runs. Where a row needs more (``--where`` left it undecided, or
its values only its record holds) the answer is None and the rows are read one by one
(index.py ``frame_rows``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runledger.model.row import FrameRow
from runledger.store.index import _FRAME_CHUNK, _FRAME_COLUMNS, _loads

if TYPE_CHECKING:
    from runledger.store.index import RunIndex

_SCALARS = len(FrameRow._fields) - 3  # before tags, params and metrics (one JSON text)


def frame_columns(
    index: RunIndex, where: str | None = None, team_tags: dict[str, list[str]] | None = None
) -> dict[str, list[Any]] | None:
    """FrameRow's fields as columns (field name -> values), newest run first, of the runs
    the SQL condition ``where`` keeps; None where a row needs more than SQL and its JSON."""
    if where is not None:
        index._fill_team_tags(team_tags if "team_tags" in where else None)
    decided = "1" if where is None else f"({where})"
    query = f"SELECT {_FRAME_COLUMNS}, {decided} FROM runs WHERE effective = 1 AND error IS NULL"
    if where is not None:
        query += f" AND {decided} IS NOT 0"
    # As ls lists them (a start far in the future counts as the time it was first listed),
    # in the order of the index runs_newest, so SQLite sorts nothing.
    query += " ORDER BY listed_at DESC, id DESC"
    columns: list[list[Any]] = [[] for _ in FrameRow._fields]
    cursor = index.db.execute(query)
    while chunk := cursor.fetchmany(_FRAME_CHUNK):
        fields = list(zip(*chunk, strict=True))
        held = fields[_SCALARS]
        if None in fields[_SCALARS - 1] or None in held or fields[-1].count(1) != len(chunk):
            return None
        for column, values in zip(columns, fields[:_SCALARS], strict=False):
            column.extend(values)
        # One JSON text a chunk: one decoder call, not one a run.
        for column, values in zip(
            columns[_SCALARS:], zip(*_loads("[" + ",".join(held) + "]"), strict=True), strict=True
        ):
            column.extend(values)
    return dict(zip(FrameRow._fields, columns, strict=True))
