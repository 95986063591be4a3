"""compare gathers its table in the runs' own order and puts the rows in the metric's (or
--sort's) order last (analysis/compare.py ``build``): the same table, winners, constant
params and key order as gathering it from the runs already in that order."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.analysis.compare import build
from runledger.errors import UserError
from runledger.model.row import TableRow
from runledger.query.select import parse_sort

values = st.one_of(
    st.none(),
    st.sampled_from([0.5, 0.25, 1.0, -0.0, 0.0, math.nan, math.inf]),
    st.integers(0, 2),
)
params = st.dictionaries(st.sampled_from(["lr", "seed", "model.depth", "opt"]), values, max_size=4)
metrics = st.dictionaries(st.sampled_from(["acc", "loss", "epoch"]), values, max_size=3)


@st.composite
def table_rows(draw: st.DrawFn) -> list[TableRow]:
    count = draw(st.integers(1, 8))
    return [
        TableRow(
            f"6g{number:014d}",
            draw(st.sampled_from(["ok", "failed"])),
            f"2026-01-0{1 + number % 9}T00:00:00.000Z",
            draw(st.sampled_from(["c1", "c2"])),
            "main",
            draw(st.sampled_from([None, "a"])),
            None,
            draw(st.sampled_from([None, "d1", "d2"])),
            draw(params),
            draw(metrics),
        )
        for number in range(count)
    ]


@settings(max_examples=400, deadline=None)
@given(
    table_rows(),
    st.sampled_from(["acc", "loss", "epoch"]),
    st.sampled_from([None, True, False]),
    st.sampled_from([None, "params.lr", "-metrics.acc", "status"]),
    st.sampled_from([None, 2]),
)
def test_rows_put_in_order_last_are_the_table_of_the_ordered_runs(
    runs: list[TableRow], metric: str, maximize: bool | None, sort: str | None, limit: int | None
) -> None:
    key = parse_sort(sort) if sort is not None else None
    try:
        first = build(runs, metric=metric, maximize=maximize, sort=key)
    except UserError:  # no run has the metric, or the sort key
        return
    by_id = {run.id: run for run in runs}
    ordered = [by_id[run_id] for run_id in first.run_ids]
    again = build(ordered, metric=metric, maximize=maximize, sort=key)
    assert again == first
    if limit is not None and any(metric in run.metrics for run in ordered[:limit]):
        cut = build(runs, metric=metric, maximize=maximize, sort=key, limit=limit)
        assert cut.run_ids == first.run_ids[:limit]
        try:
            shown = build(ordered[:limit], metric=metric, maximize=maximize, sort=key)
        except UserError:  # the runs shown lack the sort key
            return
        # the caveats weigh the best run against every run, not only those shown
        assert replace(cut, caveats=()) == replace(shown, caveats=())
