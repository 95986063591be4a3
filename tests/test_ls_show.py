"""runledger ls and show, and how RUN arguments resolve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo

PY = sys.executable


def record(repo: Repo, run_id: str, started_at: str, status: str = "ok", **extra: object) -> None:
    """Write a run through the ledger's real write path with a chosen id."""
    head = repo.git("rev-parse", "HEAD").strip()
    run = Run(
        id=run_id,
        status=status,
        started_at=started_at,
        ended_at=started_at,
        duration_s=1.0,
        command=("python", "train.py"),
        git=GitInfo(commit=head, branch="main"),
        exit_code=0 if status == "ok" else 1,
        **extra,  # type: ignore[arg-type]
    )
    Ledger(rgit.discover(repo.path)).write(run, "Test <t@example.com>", 1_700_000_000)


def test_ls_on_an_empty_ledger(repo: Repo) -> None:
    assert repo.cli("ls", "--json").json() == []
    result = repo.cli("ls")
    assert result.exit_code == 0
    assert "No runs recorded yet" in result.stdout


def test_ls_lists_newest_first_with_contract_fields(repo: Repo) -> None:
    record(
        repo,
        "6g00000000aaaaaa",
        "2026-01-01T10:00:00.000Z",
        metrics={"acc": MetricSummary(last=0.8, min=0.1, max=0.8)},
    )
    record(repo, "6g00000001bbbbbb", "2026-01-02T10:00:00.000Z", status="failed")
    record(repo, "6g00000002cccccc", "2026-01-03T10:00:00.000Z")
    runs = repo.cli("ls", "--json").json()
    assert [run["id"] for run in runs] == [
        "6g00000002cccccc",
        "6g00000001bbbbbb",
        "6g00000000aaaaaa",
    ]
    required = {
        "id",
        "name",
        "status",
        "exit_code",
        "commit",
        "branch",
        "command",
        "started_at",
        "duration_s",
        "params",
        "metrics",
        "tags",
        "reproduces",
    }
    assert required <= set(runs[0])
    assert runs[2]["metrics"] == {"acc": 0.8}


def test_ls_limit_and_status(repo: Repo) -> None:
    record(repo, "6g00000000aaaaaa", "2026-01-01T10:00:00.000Z")
    record(repo, "6g00000001bbbbbb", "2026-01-02T10:00:00.000Z", status="failed")
    record(repo, "6g00000002cccccc", "2026-01-03T10:00:00.000Z")
    assert [r["id"] for r in repo.cli("ls", "--json", "--limit", "1").json()] == [
        "6g00000002cccccc"
    ]
    assert [r["id"] for r in repo.cli("ls", "--json", "--status", "failed").json()] == [
        "6g00000001bbbbbb"
    ]
    bad = repo.cli("ls", "--status", "weird")
    assert bad.exit_code == 1
    assert (
        bad.stderr == "runledger: error: unknown --status 'weird': use one of ok, failed, "
        "interrupted, unknown, running\n"
    )


def test_ls_table_shows_short_ids_status_and_headline_metrics(repo: Repo) -> None:
    assert (
        repo.run("exec", "--name", "base", PY, "-c", "print('auc=0.91 loss=0.2')").returncode == 0
    )
    out = repo.cli("ls").stdout
    [run_id] = repo.run_ids()
    assert run_id[:10] in out
    assert "base" in out
    assert "ok" in out and "auc" in out and "0.91" in out
    assert repo.git("rev-parse", "HEAD").strip()[:8] in out


def test_show_resolves_full_id_and_unique_prefix(repo: Repo) -> None:
    record(repo, "6g00000000aaaaaa", "2026-01-01T10:00:00.000Z")
    record(repo, "6g00000001bbbbbb", "2026-01-02T10:00:00.000Z")
    assert repo.cli("show", "6g00000000aaaaaa", "--json").json()["id"] == "6g00000000aaaaaa"
    assert repo.cli("show", "6g00000001", "--json").json()["id"] == "6g00000001bbbbbb"
    assert repo.cli("show", "6G00000001", "--json").json()["id"] == "6g00000001bbbbbb"


def test_ambiguous_prefix_lists_candidates(repo: Repo) -> None:
    record(repo, "6g00000000aaaaaa", "2026-01-01T10:00:00.000Z")
    record(repo, "6g00000001bbbbbb", "2026-01-02T10:00:00.000Z")
    result = repo.cli("show", "6g0000000")
    assert result.exit_code == 1
    assert result.stderr.startswith("runledger: error: run prefix '6g0000000' is ambiguous")
    assert "6g00000000a" in result.stderr and "6g00000001b" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("spec", ["zzzz", "not-a-run!", "6g00000009"])
def test_unknown_run_is_one_line(repo: Repo, spec: str) -> None:
    record(repo, "6g00000000aaaaaa", "2026-01-01T10:00:00.000Z")
    result = repo.cli("show", spec)
    assert result.exit_code == 1
    assert (
        result.stderr == f"runledger: error: no run matches {spec!r}: see 'runledger ls' "
        "for run ids\n"
    )


def test_show_prints_every_recorded_fact(repo: Repo) -> None:
    code = "import sys\nfor i in range(5): print(f'step={i} loss={1/(i+1)}')\n"
    repo.run("exec", "--note", "first try", PY, "-c", code, "--lr", "0.1")
    [run_id] = repo.run_ids()
    out = repo.cli("show", run_id[:8]).stdout
    for expected in (
        run_id,
        "ok",
        "first try",
        "--lr 0.1",
        "lr",
        "0.1",
        "argv",
        "loss",
        "environment",
        "python",
        "packages",
        "output",
    ):
        assert expected in out, expected
    detail = repo.cli("show", run_id, "--json").json()
    assert detail["series"]["loss"][0] == [0, 1.0]
    assert len(detail["series"]["loss"]) == 5
    assert detail["git"]["commit"] == repo.git("rev-parse", "HEAD").strip()
    assert detail["inputs"] == [] and detail["artifacts"] == []
    assert detail["environment"]["python"]["executable"]


def test_usage_errors_are_one_line(repo: Repo) -> None:
    result = repo.cli("ls", "--limit", "many")
    assert result.exit_code == 2
    assert result.stderr.startswith("runledger: error: ")
    assert result.stderr.count("\n") == 1
    result = repo.cli("nonsense")
    assert result.exit_code == 2
    assert "nonsense" in result.stderr


def test_outside_a_repository_ls_is_one_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from runledger.cli.app import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["ls"])
    assert result.exit_code == 1
    assert result.stderr.startswith("runledger: error: not a git repository")


def test_a_corrupt_record_is_reported_and_the_rest_still_list(repo: Repo) -> None:
    record(repo, "6g00000000aaaaaa", "2026-01-01T10:00:00.000Z")
    blob = repo.git("hash-object", "-w", "--stdin", check=True)  # empty blob
    tree_input = f"100644 blob {blob.strip()}\trun.toml\n"
    import subprocess

    tree = subprocess.run(
        ["git", "mktree"],
        cwd=repo.path,
        input=tree_input,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    commit = repo.git("commit-tree", tree, "-m", "broken").strip()
    repo.git("update-ref", "refs/runledger/runs/6g00000005broken", commit)
    result = repo.cli("ls", "--json")
    assert result.exit_code == 0
    assert [run["id"] for run in result.json()] == ["6g00000000aaaaaa"]
    assert "refs/runledger/runs/6g00000005broken" in result.stderr


def test_version(repo: Repo) -> None:
    from runledger import __version__

    result = repo.cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"runledger {__version__}\n"


def test_ls_in_a_clone_without_runs_suggests_pull(repo: Repo, tmp_path: Path) -> None:
    alone = repo.cli("ls").stdout
    assert "runledger pull" not in alone  # no remote: nothing to pull from
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    out = repo.cli("ls", cwd=clone).stdout
    assert "No runs recorded yet." in out
    assert (
        "This repository has a remote (origin): if your team shares runs there, bring them "
        "here with: runledger pull origin" in out
    )
