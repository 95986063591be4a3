"""runledger.load_runs: one DataFrame row per run, for notebooks."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import runledger
from runledger.analysis.frames import RUN_COLUMNS
from runledger.errors import NotARepositoryError, UserError
from runledger.query.where import WhereError
from tests.conftest import Repo
from tests.synthetic import make_run

A, B = "6g00000000aaaaaa", "6g00000001bbbbbb"


def test_load_runs_has_the_documented_columns(repo: Repo) -> None:
    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        name="base",
        params={"lr": 0.1, "model": {"depth": 3}},
        metrics={"acc": 0.8},
        tags=("baseline",),
    )
    make_run(
        repo,
        B,
        "2026-01-02T10:00:00.000Z",
        params={"lr": 0.01, "dropout": 0.5},
        metrics={"acc": 0.9, "loss": 0.2},
    )
    frame = runledger.load_runs(str(repo.path))
    assert list(frame.columns) == [
        *RUN_COLUMNS,
        "params.lr",
        "params.dropout",
        "params.model.depth",
        "metrics.acc",
        "metrics.loss",
    ]
    assert RUN_COLUMNS == (
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
    assert list(frame["id"]) == [B, A]  # newest first
    assert frame.loc[1, "params.model.depth"] == 3
    assert math.isnan(frame.loc[1, "params.dropout"])  # missing is missing, not an error
    assert math.isnan(frame.loc[1, "metrics.loss"])
    assert list(frame["metrics.acc"]) == [0.9, 0.8]
    assert frame.loc[1, "tags"] == ["baseline"]
    assert frame.loc[0, "command"] == "python train.py"
    assert frame.loc[0, "commit"] == repo.git("rev-parse", "HEAD").strip()
    assert str(frame["started_at"].dtype).startswith("datetime64")
    assert frame.loc[0, "started_at"] == pd.Timestamp("2026-01-02T10:00:00", tz="UTC")


def test_load_runs_where_and_default_path(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"lr": 0.1})
    make_run(repo, B, "2026-01-02T10:00:00.000Z", params={"lr": 0.01})
    monkeypatch.chdir(repo.path)
    assert list(runledger.load_runs(where="params.lr < 0.05")["id"]) == [B]
    with pytest.raises(WhereError, match="bad --where at column"):
        runledger.load_runs(where="params.lr <")


def test_load_runs_on_an_empty_ledger(repo: Repo) -> None:
    frame = runledger.load_runs(repo.path)  # type: ignore[arg-type]
    assert frame.empty
    assert list(frame.columns) == list(RUN_COLUMNS)


def test_load_runs_outside_a_repository_or_folder(tmp_path: Path) -> None:
    with pytest.raises(NotARepositoryError):
        runledger.load_runs(str(tmp_path))
    with pytest.raises(UserError, match="no such folder"):
        runledger.load_runs(str(tmp_path / "nowhere"))


def test_importing_runledger_does_not_import_pandas() -> None:
    code = "import sys, runledger; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_runs_takes_its_columns_straight_from_the_index(repo: Repo) -> None:
    """The frame built from the index's columns (store/columns.py) is the frame of its rows,
    team tags, nested params, NaN and all."""
    from runledger.analysis.frames import runs_frame
    from runledger.query.select import row_filter
    from runledger.store import git as rgit
    from runledger.store.ledger import Ledger

    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        params={"lr": math.nan, "model": {"depth": 3, "act": "relu"}},
        metrics={"acc": 0.8, "loss": math.inf},
        tags=("baseline", "a"),
    )
    make_run(repo, B, "2026-01-02T10:00:00.000Z", params={"lr": 0.01}, metrics={"acc": 0.9})
    assert repo.cli("tag", A, "prod").exit_code == 0
    ledger = Ledger(rgit.discover(repo.path))
    found = ledger.frame_columns()
    assert found is not None
    assert found["id"] == [B, A]
    assert list(found["params"][1]) == ["lr", "model.depth", "model.act"]  # flattened
    assert math.isnan(found["params"][1]["lr"])
    frame = runledger.load_runs(repo.path)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(frame, runs_frame(ledger.frame_rows(), ledger.team_tags()))
    assert frame.loc[1, "tags"] == ["a", "baseline", "prod"]

    keep = row_filter("metrics.acc > 0.85")
    assert keep is not None and keep.sql is not None
    # NaN in A's params: SQL leaves A undecided, so the rows are read one by one.
    assert ledger.frame_columns(keep.sql) is None
    assert list(runledger.load_runs(repo.path, where="metrics.acc > 0.85")["id"]) == [B]  # type: ignore[arg-type]


def test_load_runs_where_decided_by_sql_takes_columns_from_the_index(repo: Repo) -> None:
    from runledger.query.select import row_filter
    from runledger.store import git as rgit
    from runledger.store.ledger import Ledger

    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"lr": 0.1}, metrics={"acc": 0.8})
    make_run(repo, B, "2026-01-02T10:00:00.000Z", params={"lr": 0.01}, metrics={"acc": 0.9})
    keep = row_filter("metrics.acc > 0.85")
    assert keep is not None and keep.sql is not None
    kept = Ledger(rgit.discover(repo.path)).frame_columns(keep.sql)
    assert kept is not None and kept["id"] == [B]
    assert list(runledger.load_runs(repo.path, where="metrics.acc > 0.85")["id"]) == [B]  # type: ignore[arg-type]
