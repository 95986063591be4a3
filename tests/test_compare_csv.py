"""``compare --format csv`` writes plain tables a column at a time (analysis/compare.py
``_plain_csv``): byte for byte what the csv module writes, which it falls back to for any
cell that needs quoting or converting."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.analysis.compare import (
    Column,
    ColumnKind,
    Comparison,
    _plain_csv,
    _written_csv,
    to_csv,
)

KINDS: tuple[ColumnKind, ...] = ("best", "run", "context", "param", "metric")

cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(
        alphabet=st.sampled_from(["a", "Z", "0", " ", ",", '"', "\n", "\r", "é", "\x00", "."]),
        max_size=6,
    ),
    st.lists(st.integers(0, 3), max_size=2),
)
keys = st.text(alphabet=st.sampled_from(["a", ".", "_", ",", '"', " "]), min_size=1, max_size=5)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    width = draw(st.integers(1, 5))
    height = draw(st.integers(0, 6))
    columns = tuple(Column(draw(keys), draw(st.sampled_from(KINDS))) for _ in range(width))
    # most columns of one kind of value, as runs give them; some mixed
    rows = []
    column_cells = [
        st.one_of(st.none(), draw(st.sampled_from([cells, st.floats(), st.text(max_size=3)])))
        for _ in range(width)
    ]
    for _ in range(height):
        rows.append(tuple(draw(strategy) for strategy in column_cells))
    return Comparison(columns=columns, rows=tuple(rows))


@settings(max_examples=500, deadline=None)
@given(comparisons())
def test_plain_csv_is_what_the_csv_module_writes(comparison: Comparison) -> None:
    assert to_csv(comparison) == _written_csv(comparison)


def test_a_plain_table_takes_the_column_way() -> None:
    columns = (
        Column("id", "run"),
        Column("name", "run"),
        Column("params.lr", "param"),
        Column("params.flag", "param"),
        Column("metrics.acc", "metric"),
    )
    rows = (
        ("a1", None, 0.1, True, math.nan),
        ("b2", "resnet 50", 3, None, 0.5),
    )
    comparison = Comparison(columns=columns, rows=rows)
    text = _plain_csv(comparison)
    assert (
        text == "id,name,params.lr,params.flag,metrics.acc\na1,,0.1,true,nan\nb2,resnet 50,3,,0.5\n"
    )
    assert text == _written_csv(comparison)
    # a comma in a value: quoted, by the csv module
    quoted = Comparison(columns=columns, rows=(("a1", "x,y", 0.1, True, 1.0),))
    assert _plain_csv(quoted) is None
    assert to_csv(quoted).splitlines()[1] == 'a1,"x,y",0.1,true,1.0'
