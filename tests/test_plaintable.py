"""Large run tables are laid out without rich's per-cell layout, and look the same."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from runledger.model.record import MetricSummary
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from runledger.views import runs as render
from tests.conftest import Repo
from tests.test_index import add_runs


def test_a_large_table_prints_what_rich_prints(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    add_runs(repo, range(5), name="ünïcode-名前")
    add_runs(repo, range(5, 9), status="failed", exit_code=1)
    add_runs(repo, range(9, 12), metrics={"acc": MetricSummary(last=0.5, min=0.1, max=0.9)})
    monkeypatch.setattr(render, "PLAIN_TABLE_ROWS", 10**9)
    by_rich = repo.cli("ls")
    monkeypatch.setattr(render, "PLAIN_TABLE_ROWS", 2)
    plain = repo.cli("ls")
    assert plain.exit_code == 0
    assert plain.stdout == by_rich.stdout
    assert len(plain.stdout.splitlines()) == 12 + 4


def test_a_large_table_on_a_narrow_console_cuts_lines(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_runs(repo, range(4))
    monkeypatch.setattr(render, "PLAIN_TABLE_ROWS", 2)
    runs = Ledger(rgit.discover(repo.path)).runs()
    for colours in (None, "standard"):
        out = Console(
            file=io.StringIO(), width=50, color_system=colours, force_terminal=True, record=True
        )
        render.render_run_table(runs, out)
        # without colours the lines go straight to the file, bypassing rich's recording
        text = out.export_text() if colours else out.file.getvalue()  # type: ignore[attr-defined]
        lines = text.splitlines()
        assert len(lines) == 4 + 4
        assert all(len(line) <= 50 for line in lines), lines
        assert lines[1].startswith(" id           when")
        assert all(line.endswith("…") for line in lines[3:7]), lines
