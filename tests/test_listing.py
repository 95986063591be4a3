"""Listing at scale: ls pages like git log, and a command opens the run index once."""

from __future__ import annotations

import pytest

from runledger.store import index as rindex
from tests.conftest import Repo
from tests.test_index import add_runs


def test_ls_shows_the_newest_50_and_says_how_many_more(repo: Repo) -> None:
    ids = add_runs(repo, range(57))
    newest = sorted(ids, reverse=True)
    table = repo.cli("ls")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.rstrip("\n").splitlines()
    assert lines[-1].strip() == "… and 7 more (--limit, --all)"
    shown = [line for line in lines if line.strip().startswith("6g")]
    assert len(shown) == 50
    assert shown[0].split()[0] == newest[0][:10]
    everything = repo.cli("ls", "--all")
    assert len([line for line in everything.stdout.splitlines() if "6g" in line]) == 57
    assert "more (--limit, --all)" not in everything.stdout
    limited = repo.cli("ls", "--limit", "60")
    assert "more (--limit" not in limited.stdout
    assert len(repo.runs_json()) == 57  # --json lists every run (the contract)


def test_a_filtered_page_counts_the_matching_runs_only(repo: Repo) -> None:
    add_runs(repo, range(60))
    table = repo.cli("ls", "--where", "params.seed >= 5")
    assert table.stdout.rstrip("\n").splitlines()[-1].strip() == "… and 5 more (--limit, --all)"


@pytest.mark.parametrize(
    "args",
    [("compare", "6g00000001", "6g00000002", "6g00000003"), ("show", "6g00000001"), ("ls",)],
)
def test_a_command_opens_the_index_once(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    add_runs(repo, range(5))
    opened: list[object] = []
    original = rindex.RunIndex.open

    def counting(self: rindex.RunIndex) -> None:
        opened.append(self)
        original(self)

    monkeypatch.setattr(rindex.RunIndex, "open", counting)
    result = repo.cli(*args)
    assert result.exit_code == 0, result.stderr
    assert len(opened) == 1
