"""``compare`` builds its table from the index's columns (model/row.py TableRow: no command,
tags or note decoded), and ``load_runs`` and ``ls`` decode rows a chunk at a time: the same
answers, in every format, as from the full records read through git without an index."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest

from runledger.model.record import Run
from runledger.model.row import RunRow, TableRow
from runledger.query.select import row_filter
from runledger.store import git as rgit
from runledger.store.index import index_path
from runledger.store.ledger import Ledger
from tests.conftest import Repo
from tests.synthetic import make_run

A, B, C, D = "6g00000000aaaaaa", "6g00000001bbbbbb", "6g00000002cccccc", "6g00000003dddddd"

COMMANDS = [
    ("compare", "-f", "csv"),
    ("compare", "-f", "csv", "--all-columns"),
    ("compare", "-f", "json", "--metric", "acc"),
    ("compare", "-f", "markdown", "--metric", "val_loss"),
    ("compare", "--metric", "acc"),
    ("compare", "--all", "--transpose"),
    ("compare", "-f", "csv", "--where", 'tags == "prod"'),
    ("compare", "-f", "csv", "--where", "params.lr > 0.05"),
    ("compare", "-f", "csv", "--where", 'command matches "train"'),
    ("compare", "-f", "csv", "--where", 'note == "kept"'),
    ("compare", "-f", "csv", "--sort", "duration_s"),
    ("compare", "-f", "csv", "--sort", "-params.lr"),
    ("compare", "-f", "csv", "--columns", "params.model.*,metrics.acc"),
    ("compare", "-f", "csv", C, A),
    ("compare", "-f", "json", "--group-by", "params.flag", "--metric", "acc"),
    ("ls", "--json"),
    ("ls", "--all"),
    ("ls", "--json", "--where", "params.lr > 0.05"),
]


@pytest.fixture
def tricky(repo: Repo) -> Repo:
    """Runs whose values take every way out of the index's plain columns: NaN and a lone
    surrogate (an undecodable byte) in params (SQL cannot filter them: Python does), a name
    with a lone surrogate (text SQLite cannot hold: the run is read from its record), a
    team tag, booleans, lists, nested and empty tables."""
    make_run(repo, A, "2026-01-01T10:00:00.000Z", name="base",
             params={"lr": 0.1, "model": {"depth": 3, "width": 8}, "flag": True,
                     "layers": [1, 2], "empty": {}},
             metrics={"acc": 0.8, "val_loss": 0.3}, note="kept",
             inputs_digest="a" * 64)  # fmt: skip
    make_run(repo, B, "2026-01-02T10:00:00.000Z",
             params={"lr": math.nan, "model": {"depth": 5}, "flag": False, "seed": 2},
             metrics={"acc": math.nan, "val_loss": 0.2})  # fmt: skip
    make_run(repo, C, "2026-01-03T10:00:00.000Z", name="dated",
             params={"lr": 0.01, "path": "data/\udcff", "model": {"depth": 5}},
             metrics={"acc": 0.9}, inputs_digest="b" * 64)  # fmt: skip
    make_run(repo, D, "2026-01-04T10:00:00.000Z", name="r\udcff",
             params={"lr": 0.2, "model": {"depth": 3}}, metrics={"acc": 0.85})  # fmt: skip
    assert repo.cli("tag", A, "prod").exit_code == 0
    return repo


def outputs(repo: Repo) -> list[tuple[int, str, str]]:
    found = []
    for args in COMMANDS:
        result = repo.cli(*args)
        found.append((result.exit_code, result.stdout, result.stderr))
    return found


def without_index(repo: Repo) -> None:
    """Make the index unusable here (a folder where its file goes): the refs are read."""
    path = index_path(rgit.discover(repo.path))
    for extra in path.parent.glob("index.sqlite*"):
        extra.unlink()
    path.mkdir()


def test_compare_from_the_index_columns_is_compare_from_the_records(tricky: Repo) -> None:
    from_index = outputs(tricky)
    assert all(code == 0 for code, _, _ in from_index), from_index
    csv_text = from_index[0][1]
    assert "params.path" in csv_text and "data/\\xff" in csv_text
    assert "nan" in csv_text
    without_index(tricky)
    assert outputs(tricky) == from_index


def test_load_runs_from_the_index_is_load_runs_from_the_records(tricky: Repo) -> None:
    pytest.importorskip("pandas")
    import pandas as pd

    import runledger

    frames = [runledger.load_runs(tricky.path), runledger.load_runs(tricky.path, "params.lr > 0")]
    without_index(tricky)
    again = [runledger.load_runs(tricky.path), runledger.load_runs(tricky.path, "params.lr > 0")]
    for mine, theirs in zip(frames, again, strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    assert pickle.dumps(frames[0]["params.lr"].tolist()) == pickle.dumps(
        again[0]["params.lr"].tolist()
    )


def test_table_rows_decode_only_what_a_table_shows(tricky: Repo) -> None:
    """TableRows for the runs whose params and metrics the index holds and SQL decided;
    RunRows (every field) for the rest: a run with text SQLite cannot hold, and the runs a
    --where leaves to Python."""
    with Ledger(rgit.discover(Path(tricky.path))) as ledger:
        rows = {row.id: row for row in ledger.table_rows()}
        assert [type(rows[run_id]) for run_id in (A, B, C, D)] == [
            TableRow,
            TableRow,
            TableRow,
            RunRow,
        ]
        # params flattened by the index (as the table shows them), empty tables kept
        assert rows[A].params["model.depth"] == 3 and rows[A].params["model.width"] == 8
        assert "model" not in rows[A].params and rows[A].params["empty"] == {}
        assert rows[A].metrics == {
            "acc": 0.8,
            "val_loss": 0.3,
        }
        assert math.isnan(rows[B].params["lr"]) and rows[B].metrics["acc"] is None
        keep = row_filter("params.lr > 0.05")
        assert keep is not None
        kept = ledger.table_rows(keep.sql, keep.keep)
        # B's NaN leaves SQL undecided: Python decides over its full row (and drops it)
        assert [row.id for row in kept] == [D, A]
        assert [row.id for row in ledger.table_rows(ids=[C, A])] == [C, A]


# Words a shell reads back only quoted: spaces, quotes, globs, an empty word, non-ASCII.
COMMANDS_TO_QUOTE = [
    ("python", "train.py", "--name", "my run", "it's", "", "*.csv", "$HOME", "λ=0.5"),
    ("python", "train.py"),
    ("a\tb", "x\ny", '--flag="q"'),
]


def test_load_runs_commands_come_from_the_index_as_shell_lines(repo: Repo) -> None:
    """load_runs' command column is each command as one shell line (shlex.join): the index
    keeps that line (``command_line``), so a frame of 100,000 runs neither decodes every
    command's words nor quotes them again; the records without an index give the same."""
    pytest.importorskip("pandas")
    import shlex
    import sqlite3

    import runledger
    from runledger.model.record import GitInfo

    head = repo.git("rev-parse", "HEAD").strip()
    with Ledger(rgit.discover(Path(repo.path))) as ledger:
        for number, command in enumerate(COMMANDS_TO_QUOTE):
            started = f"2026-01-0{number + 1}T10:00:00.000Z"
            run = Run(
                id=f"6g0000000{number}eeeeee", status="ok", started_at=started,
                ended_at=started, duration_s=1.0, command=command, git=GitInfo(commit=head),
            )  # fmt: skip
            ledger.write(run, "Test <t@example.com>", 1_700_000_000)
    expected = [shlex.join(command) for command in reversed(COMMANDS_TO_QUOTE)]  # newest first
    assert list(runledger.load_runs(repo.path)["command"]) == expected
    db = sqlite3.connect(index_path(rgit.discover(Path(repo.path))))
    try:
        stored = [line for (line,) in db.execute("SELECT command_line FROM runs ORDER BY id")]
    finally:
        db.close()
    assert stored == [shlex.join(command) for command in COMMANDS_TO_QUOTE]
    without_index(repo)
    assert list(runledger.load_runs(repo.path)["command"]) == expected
