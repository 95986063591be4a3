"""compare's terminal table of many runs from the index (store/overview.py): the first runs
shown and what SQL says of them all must be the table that every run's decoded values give
(analysis/compare.py ``build``) cut to the rows shown.

Random ledgers go the way the index stores runs (run.toml -> index row, store/index.py) into
a real index file; the full table is built from the index's own rows (``table_rows``), as
``compare --format csv`` builds it.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runledger.analysis.compare import (
    Comparison,
    build,
    build_shown,
    judged_param,
    subject_direction,
)
from runledger.analysis.direction import metric_direction
from runledger.errors import UserError
from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.query.select import row_filter
from runledger.store import git as rgit
from runledger.store import index as rindex
from runledger.store.overview import table_facts
from tests.conftest import Repo
from tests.fuzzing import examples
from tests.synthetic import make_run

NUMBERS = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.5, 1e-3, 100.0]),
)
SCALARS = st.one_of(st.booleans(), NUMBERS, st.sampled_from(["", "adam", "sgd", "1", "[1]"]))
VALUES = st.one_of(
    SCALARS,
    st.lists(st.sampled_from([1, 1.0, True, "a"]), max_size=2),
    st.dictionaries(st.sampled_from(["depth", "width"]), SCALARS, min_size=1, max_size=2),
)
PARAM_KEYS = ["lr", "seed", "opt", "model", "data_split", "a.b", "x y", "w"]
METRIC_NAMES = ["acc", "loss", "epoch", "train/loss", "f1 score"]
METRIC_VALUES = st.one_of(
    st.sampled_from([0.5, 0.25, 0.75, 1.0, 0.0, -0.0, 2.0]),
    st.just(math.nan),
    st.just(math.inf),
)
WHERE = [None, "status == 'ok'", "params.seed > 0", "metrics.acc >= 0.5", "tag == 'prod'"]


@st.composite
def ledgers(draw: st.DrawFn) -> list[Run]:
    count = draw(st.integers(2, 14))
    # A few shapes of params, as a ledger of a few scripts has; their values vary.
    shapes = draw(
        st.lists(st.lists(st.sampled_from(PARAM_KEYS), max_size=5, unique=True), min_size=1)
    )
    fixed = draw(st.dictionaries(st.sampled_from(PARAM_KEYS), VALUES, max_size=3))
    # A run with NaN in its params: one ledger in five (compare then reads every row).
    with_nan = draw(st.sampled_from([None, None, None, None, count - 1]))
    runs = []
    for number in range(count):
        keys = draw(st.sampled_from(shapes))
        params = {
            key: fixed[key] if key in fixed and draw(st.integers(0, 3)) else draw(VALUES)
            for key in keys
        }
        if keys and number == with_nan:
            params[keys[0]] = draw(st.sampled_from([math.nan, math.inf]))
        names = draw(st.lists(st.sampled_from(METRIC_NAMES), max_size=3, unique=True))
        metrics = {name: draw(METRIC_VALUES) for name in names}
        runs.append(
            Run(
                id=f"6g{number:08d}aaaaaa",
                status=draw(st.sampled_from(["ok", "failed"])),
                # ties in time: the id orders them
                started_at=f"2026-01-01T00:00:{draw(st.integers(0, 5)):02d}.000Z",
                ended_at="2026-01-02T00:00:00.000Z",
                duration_s=1.0,
                command=("python", "train.py"),
                git=GitInfo(
                    commit=draw(st.sampled_from(["a" * 40, "a" * 40, "b" * 40])),
                    branch=draw(st.sampled_from(["main", "main", None])),
                ),
                name=draw(st.sampled_from([None, None, "", "resnet"])),
                author=draw(st.sampled_from([None, "Ada <a@x>"])),
                inputs_digest=draw(st.sampled_from([None, "d1", "d2"])),
                params=params,
                metrics={name: MetricSummary(last=v, min=v, max=v) for name, v in metrics.items()},
            )
        )
    return runs


def fill(index: rindex.RunIndex, runs: list[Run]) -> None:
    db = index.db
    db.execute("DELETE FROM runs")
    marks = ", ".join("?" * rindex.COLUMN_COUNT)
    for run in runs:
        ref = f"refs/runledger/runs/{run.id}"
        row = rindex.row_for(ref, "0" * 40, run.to_files()["run.toml"])
        assert row.error is None, row.error
        db.execute(f"INSERT INTO runs VALUES ({marks})", row.values(effective=1))
        db.execute("INSERT OR REPLACE INTO records VALUES (?, ?)", (ref, row.record_toml))


def full_table(
    index: rindex.RunIndex, where: str | None, metric: str | None, maximize: bool | None
) -> Comparison:
    keep = row_filter(where)
    rows = [
        row
        for row, decided in index.table_rows(keep.sql if keep else None, TEAM)
        if decided or (keep is not None and keep.keep(row))  # type: ignore[arg-type]
    ]
    return build(rows, metric=metric, maximize=maximize, declared={})


def shown_table(
    index: rindex.RunIndex, shown: int, where: str | None, metric: str | None, maximize: bool | None
) -> Comparison | None:
    keep = row_filter(where)
    direction = subject_direction(metric, maximize, {})
    ranked = metric is not None and direction in ("min", "max")
    facts = table_facts(
        index,
        shown,
        where=keep.sql if keep else None,
        team_tags=TEAM,
        metric=metric if ranked else None,
        descending=direction == "max",
        best_of=lambda name: (
            direction if name == metric and direction else metric_direction(name, {})
        ),
        judged=judged_param if ranked else None,
    )
    if facts is None:
        return None
    return build_shown(facts, metric=metric, maximize=maximize, declared={})


TEAM = {"6g00000001aaaaaa": ["prod"]}


def assert_same_view(shown: Comparison, full: Comparison, count: int) -> None:
    """What the terminal table shows of ``shown`` is what it shows of ``full``."""
    assert shown.run_count == len(full.rows)
    assert shown.columns == full.columns
    assert shown.rows == full.rows[:count]
    assert list(shown.constant.items()) == list(full.constant.items())
    assert {key: best.value for key, best in shown.best.items()} == {
        key: best.value for key, best in full.best.items()
    }
    assert shown.best_run == full.best_run
    assert shown.caveats == full.caveats


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("overview")
    rgit_repo = _repo(folder)
    with rindex.RunIndex(rgit_repo, folder / "index.sqlite") as opened:
        yield opened


def _repo(folder: Path) -> rgit.Repo:
    from tests.conftest import git

    project = folder / "project"
    project.mkdir()
    git(project, "init", "-q")
    return rgit.discover(project)


# 100 examples (about 17 s of CPU) in each suite run, with CI's seed changing every day; the
# nightly workflow (RUNLEDGER_FUZZ_EXAMPLES) searches deeper.
@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ledgers(),
    st.integers(1, 4),
    st.sampled_from(WHERE),
    st.sampled_from([None, "acc", "loss", "epoch", "train/loss", "f1 score"]),
    st.sampled_from([None, None, True, False]),
)
@pytest.mark.slow
def test_the_first_runs_and_facts_from_sql_are_the_full_table_cut(
    index: rindex.RunIndex,
    runs: list[Run],
    shown: int,
    where: str | None,
    metric: str | None,
    maximize: bool | None,
) -> None:
    if maximize is not None and metric is None:
        maximize = None
    fill(index, runs)
    try:
        full = full_table(index, where, metric, maximize)
    except UserError:  # no run has the metric: the facts say so, or leave it to build
        with contextlib.suppress(UserError):
            assert shown_table(index, shown, where, metric, maximize) is None
        return
    found = shown_table(index, shown, where, metric, maximize)
    event(
        "answered by SQL"
        if found is not None
        else "every run shown"
        if len(full.rows) <= shown
        else "every row read"
    )
    if found is None:  # SQL cannot answer (every run shown, NaN in params): compare reads all
        assert (
            len(full.rows) <= shown
            or any(_unanswerable(run) for run in runs)
            or _where_undecided(index, where)
        ), "facts refused for a ledger SQL can answer"
        return
    assert_same_view(found, full, shown)


def _where_undecided(index: rindex.RunIndex, where: str | None) -> bool:
    """Whether ``where``'s SQL leaves a run for Python to decide (a param compared with a
    number that a run holds as text: ``params.seed > 0`` with ``seed = ""``)."""
    keep = row_filter(where)
    # table_rows gives only the runs it kept or left undecided: the undecided come unjudged.
    return keep is not None and any(not decided for _, decided in index.table_rows(keep.sql, TEAM))


def _unanswerable(run: Run) -> bool:
    """A run whose values SQL does not hold (NaN) or compare as Python does (a list or a
    table as the best run's seed)."""
    return any(
        (isinstance(value, float) and not math.isfinite(value))
        or (judged_param(key) and isinstance(value, list | dict))
        for key, value in run.params.items()
    )


def test_nested_lists_equal_to_python_but_not_as_text_are_the_same_in_every_run(
    index: rindex.RunIndex,
) -> None:
    # [1] and [1.0] are equal to Python (the params are the same in every run) but not as
    # JSON text; their runs are not shown, so only the facts can say it.
    runs = [
        _run(number, {"layers": [1] if number < 3 else [1.0], "lr": number / 10})
        for number in range(8)
    ]
    fill(index, runs)
    found = shown_table(index, 2, None, "acc", None)
    assert found is not None
    assert found.constant["params.layers"] == [1.0]
    assert_same_view(found, full_table(index, None, "acc", None), 2)


def test_params_only_old_runs_have_are_columns_in_the_order_first_shown(
    index: rindex.RunIndex,
) -> None:
    runs = [_run(number, {"lr": number / 10}) for number in range(10)]
    runs[1] = _run(1, {"lr": 0.1, "warmup": 5, "decay": 0.9})
    runs[0] = _run(0, {"decay": 0.5, "lr": 0.0, "momentum": 0.8})
    fill(index, runs)
    found = shown_table(index, 3, None, None, None)
    assert found is not None
    assert found.keys == [
        "id",
        "status",
        "started_at",
        "params.lr",
        "params.warmup",
        "params.decay",
        "params.momentum",
        "metrics.acc",
    ]
    assert_same_view(found, full_table(index, None, None, None), 3)


def _run(number: int, params: dict[str, Any], acc: float | None = None) -> Run:
    value = number / 100 if acc is None else acc
    return Run(
        id=f"6g{number:08d}aaaaaa",
        status="ok",
        started_at=f"2026-01-01T00:00:{number:02d}.000Z",
        ended_at="2026-01-02T00:00:00.000Z",
        duration_s=1.0,
        command=("python", "train.py"),
        git=GitInfo(commit="a" * 40, branch="main"),
        params=params,
        metrics={"acc": MetricSummary(last=value, min=value, max=value)},
    )


def test_compare_table_of_many_runs_reads_only_those_shown(repo: Repo) -> None:
    """At 60 runs the terminal table shows the best 50: the same lines as the table of every
    run's values, with the constant params and the best of all 60."""
    for number in range(60):
        make_run(
            repo,
            f"6g{number:08d}aaaaaa",
            f"2026-01-01T00:{number:02d}:00.000Z",
            params={"lr": number / 100, "opt": "adam", "seed": number % 7},
            metrics={"acc": (number * 37 % 60) / 60, "loss": number / 60},
        )
    # The oldest run has another optimiser and the only batch size: not shown, still said.
    make_run(
        repo,
        "6f00000000aaaaaa",
        "2025-01-01T00:00:00.000Z",
        params={"lr": 0.5, "opt": "sgd", "seed": 1, "batch_size": 64},
        metrics={"acc": 0.2},
    )
    ledger_facts = _ledger(repo).table_facts(50, best_of=lambda name: "max")
    assert ledger_facts is not None
    assert (ledger_facts.total, len(ledger_facts.shown)) == (61, 50)

    result = repo.cli("compare", "--metric", "acc")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("same in all 61 runs: commit=")
    assert lines[1].startswith("best by acc (higher is better): ★ 6g00000047")
    assert "batch_size" in lines[3]  # a column, though no shown run has one
    assert "… 11 more runs (the best 50 shown)" in result.stdout
    assert result.stdout == _rendered(repo, metric="acc")

    result = repo.cli("compare", "--where", "params.lr >= 0.05")
    assert result.exit_code == 0, result.output
    assert "… 6 more runs (the first 50 shown)" in result.stdout
    assert "same in all 56 runs: commit=" in result.stdout
    assert result.stdout == _rendered(repo, where="params.lr >= 0.05")


def test_compare_table_with_a_nan_param_reads_every_run(repo: Repo) -> None:
    for number in range(55):
        make_run(
            repo,
            f"6g{number:08d}aaaaaa",
            f"2026-01-01T00:{number:02d}:00.000Z",
            params={"lr": math.nan if number == 0 else number / 100},
            metrics={"acc": number / 60},
        )
    assert _ledger(repo).table_facts(50, best_of=lambda name: "max") is None
    result = repo.cli("compare", "--metric", "acc")
    assert result.exit_code == 0, result.output
    assert "… 5 more runs (the best 50 shown)" in result.stdout
    assert result.stdout == _rendered(repo, metric="acc")


def _ledger(repo: Repo) -> Any:
    from runledger.store.ledger import Ledger

    return Ledger(rgit.discover(repo.path))


def _rendered(repo: Repo, *, metric: str | None = None, where: str | None = None) -> str:
    """The terminal table of every run's values (compare's way before store/overview.py),
    cut to the best or first 50 by the view."""
    import io
    import os

    from runledger.cli.commands.compare import compare_runs, print_comparison

    comparison = compare_runs(repo.path, [], metric=metric, where=where)
    assert comparison.total is None and len(comparison.rows) > 50
    out = io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(repo.path)
        with contextlib.redirect_stdout(out):
            print_comparison(comparison, "table", "No runs.", max_rows=50)
    finally:
        os.chdir(cwd)
    return out.getvalue()
