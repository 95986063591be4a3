"""``--where`` gives the same runs through the index's SQL as through Python, on random
expressions over random runs.

Each run goes the way the index stores it (run.toml -> index row, store/index.py) into an
in-memory table of the index's layout; the SQL of the expression (query/where_sql.py) says
1, 0 or NULL for each row, and NULL rows are decided by Python over the row (RowView), as
``ls`` does. The answer must be that of the Python filter over the full record (RunView),
which is what ``--where`` meant before the index had columns.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.model.row import RowView
from runledger.query import where
from runledger.query.select import RunView
from runledger.query.where_sql import compile_sql
from runledger.store import index as rindex

KEYS = ["lr", "batch_size", "batch-size", "model", "opt", "model.depth", "use_amp", "x-y_z"]
TEXTS = ["", "adam", "sgd", "0.01", "1e-3", " 2 ", "true", "False", "yes", "ünï", "a'b", "nan"]
NUMBERS = st.one_of(
    st.integers(-5, 5),
    st.sampled_from([0.0, 0.01, 0.5, 1.0, -2.5, 1e-3, 100.0]),
)
PARAM_NUMBERS = st.one_of(NUMBERS, st.just(float("nan")))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.sampled_from(TEXTS))
VALUES = st.one_of(
    SCALARS,
    PARAM_NUMBERS,
    st.dictionaries(st.sampled_from(["depth", "width", "dropout", "de-pth"]), SCALARS, max_size=3),
    st.lists(st.sampled_from(TEXTS[:4]), max_size=2),
)
TAGS = ["baseline", "prod", "0.01", "true"]


@st.composite
def runs(draw: st.DrawFn, number: int) -> Run:
    params = draw(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5))
    metric_values = st.one_of(NUMBERS, st.just(float("nan")))
    metrics = draw(st.dictionaries(st.sampled_from(["acc", "val_loss", "val-loss"]), metric_values))
    return Run(
        id=f"6g{number:08d}aaaaaa",
        status=draw(st.sampled_from(["ok", "failed", "interrupted"])),
        started_at=f"2026-01-01T00:00:{number:02d}.000Z",
        ended_at="2026-01-02T00:00:00.000Z",
        duration_s=draw(st.sampled_from([0.5, 1.0, 60.0, 3600.0])),
        command=("python", "train.py"),
        git=GitInfo(commit="a" * 40, branch=draw(st.sampled_from(["main", "dev", None]))),
        exit_code=draw(st.sampled_from([0, 1, None])),
        name=draw(st.sampled_from([None, "resnet", "0.5", "true", "", "r\udcff"])),
        user=draw(st.sampled_from([None, "ada", "grace"])),
        params=params,
        metrics={name: MetricSummary(last=v, min=v, max=v) for name, v in metrics.items()},
        tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
        note=draw(st.sampled_from([None, "", "good", "0"])),
    )


FIELDS = [
    "params.lr",
    "params.batch_size",
    "params.batch-size",
    "params.model",
    "params.model.depth",
    "params.model.de_pth",
    "params.opt",
    "params.use_amp",
    "params.x_y-z",
    "params.missing",
    "metrics.acc",
    "metrics.val_loss",
    "name",
    "status",
    "branch",
    "user",
    "note",
    "duration_s",
    "exit_code",
    "tags",
    "tag",
]


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


LITERALS = st.one_of(SCALARS, st.sampled_from(TAGS)).map(literal)


@st.composite
def conditions(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(FIELDS))
    shape = draw(
        st.sampled_from(["cmp", "cmp", "cmp", "in", "not in", "truthy", "matches", "glob"])
    )
    if shape == "cmp":
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return f"{field} {op} {draw(LITERALS)}"
    if shape in ("in", "not in"):
        options = draw(st.lists(LITERALS, max_size=3))
        return f"{field} {shape} ({', '.join(options)})"
    if shape == "matches":
        regex = draw(st.sampled_from(["^a", ".*", r"0\\.", "ba.eline$"]))
        return f'{field} matches "{regex}"'
    if shape == "glob":
        return f'{field} glob "{draw(st.sampled_from(["a*", "*", "0.*", "ba?eline"]))}"'
    return field


def expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        conditions(),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
            ),
            inner.map(lambda part: f"not {part}"),
        ),
        max_leaves=4,
    )


def table(records: list[Run]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE runs ({rindex._COLUMNS})")
    db.execute("CREATE TABLE records (ref TEXT PRIMARY KEY, toml TEXT NOT NULL)")
    db.execute("CREATE TEMP TABLE team_tags (id TEXT, tag TEXT)")
    for run in records:
        ref = f"refs/runledger/runs/{run.id}"
        row = rindex.row_for(ref, "0" * 40, run.to_files()["run.toml"])
        assert row.error is None, row.error
        marks = ", ".join("?" * rindex.COLUMN_COUNT)
        db.execute(f"INSERT INTO runs VALUES ({marks})", row.values())
        db.execute("INSERT INTO records VALUES (?, ?)", (ref, row.record_toml))
    db.execute("INSERT INTO team_tags VALUES (?, 'prod')", (records[0].id,))
    return db


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 59), min_size=1, max_size=6, unique=True).flatmap(
        lambda numbers: st.tuples(*(runs(number) for number in numbers))
    ),
    expressions(),
)
@pytest.mark.slow
def test_sql_and_python_agree(records: tuple[Run, ...], text: str) -> None:
    tree = where.parse(text)
    team = {records[0].id: ("prod",)}
    # The runs as --where sees them: read back from their run.toml, as every run is (a
    # metric's last value of 0 is read back as 0.0, which matches "0\\.").
    read = [Run.from_run_toml(run.to_files()["run.toml"], run.id) for run in records]
    by_python = {run.id for run in read if where.evaluate(tree, RunView(_with_team(run, team)))}
    db = table(list(records))
    rows = {run.id: _row(db, run.id, team) for run in records}
    sql = compile_sql(tree).sql
    by_sql = set()
    for run_id, decided in db.execute(f"SELECT id, {sql} FROM runs"):
        if decided == 1 or (decided is None and where.evaluate(tree, RowView(rows[run_id]))):
            by_sql.add(run_id)
        assert decided in (0, 1, None), (text, decided)
    assert by_sql == by_python, text


def test_plain_conditions_need_no_python() -> None:
    records = [
        Run(
            id=f"6g{n:08d}aaaaaa",
            status="ok" if n % 2 else "failed",
            started_at="2026-01-01T00:00:00.000Z",
            ended_at="2026-01-01T00:00:01.000Z",
            duration_s=1.0,
            command=("python",),
            git=GitInfo(commit="a" * 40),
            params={"lr": 0.01 * n, "model": {"depth": n}, "batch_size": 32},
            metrics={"val_loss": MetricSummary(last=1.0 / (n + 1), min=0.0, max=1.0)},
            tags=("baseline",) if n % 3 == 0 else (),
        )
        for n in range(10)
    ]
    db = table(records)
    for text in (
        'status == "ok" and params.lr > 0.03',
        "metrics.val_loss < 0.2 or params.model.depth in (1, 2)",
        'params.batch_size == 32 and not tag == "baseline"',
        "params.missing == null",
    ):
        sql = compile_sql(where.parse(text)).sql
        decided = [value for (value,) in db.execute(f"SELECT {sql} FROM runs")]
        assert None not in decided, text


def _with_team(run: Run, team: dict[str, tuple[str, ...]]) -> Run:
    from dataclasses import replace

    return replace(run, team_tags=team.get(run.id, ()))


def _row(db: sqlite3.Connection, run_id: str, team: dict[str, tuple[str, ...]]) -> Any:
    found = db.execute(f"SELECT {rindex._ROW_COLUMNS} FROM runs WHERE id = ?", (run_id,))
    return rindex._row_of(found.fetchone(), {key: list(value) for key, value in team.items()})
