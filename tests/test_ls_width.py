"""``runledger ls`` on narrow terminals: the command column gives way first."""

from __future__ import annotations

import pytest

from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo

LONG_COMMAND = ("python", "train.py", "--learning-rate", "0.001", "--epochs", "300", "--seed", "7")


@pytest.fixture
def one_run(repo: Repo) -> Repo:
    run = Run(
        id="6fh0000000abcdef",
        status="ok",
        started_at="2026-03-01T09:15:02.417Z",
        ended_at="2026-03-01T09:15:03.417Z",
        duration_s=1.0,
        command=LONG_COMMAND,
        git=GitInfo(commit=repo.git("rev-parse", "HEAD").strip(), branch="main"),
        exit_code=0,
        metrics={"val_loss": MetricSummary(0.25, 0.25, 0.5), "acc": MetricSummary(0.91, 0.5, 0.91)},
    )
    Ledger(rgit.discover(repo.path)).write(run, "Test <t@example.com>", 1_700_000_000)
    return repo


def _table(repo: Repo, columns: int) -> list[str]:
    result = repo.run("ls", env={"COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    return [line.rstrip() for line in result.stdout.decode().splitlines() if line.strip()]


def test_a_terminal_too_narrow_for_the_command_shortens_it_and_nothing_else(
    one_run: Repo,
) -> None:
    header, _, row = _table(one_run, 100)
    assert header.split() == [
        "id", "when", "status", "time", "commit", "branch", "val_loss", "acc", "command",
    ]  # fmt: skip
    assert row.split()[0] == "6fh0000000"
    assert " 0.25 " in row and " 0.91 " in row and " main " in row
    assert row.endswith("…") and " python tr" in row
    assert max(len(line) for line in _table(one_run, 100)) <= 100


def test_no_room_for_a_readable_command_leaves_it_out(one_run: Repo) -> None:
    header, _, row, left_out = _table(one_run, 80)
    assert header.split()[-1] == "acc"
    assert "6fh0000000" in row and " main " in row and "python" not in row
    assert left_out == "1 column left out to fit 80: command (a wider terminal, or --json)"


def test_a_wide_terminal_shows_the_whole_command(one_run: Repo) -> None:
    row = _table(one_run, 200)[-1]
    assert row.endswith(" ".join(LONG_COMMAND))
