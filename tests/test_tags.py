"""runledger tag / tags / note, and RUN arguments that name a tag."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer.main

from runledger.cli.app import app
from tests import crafted
from tests.conftest import Repo
from tests.team import Clone


@pytest.fixture
def ledger(repo: Repo) -> Clone:
    return Clone(repo.path, "me")


def ok(repo: Repo, *args: str) -> str:
    result = repo.cli(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_tag_names_a_run_and_every_run_argument_accepts_it(ledger: Clone) -> None:
    run, other = ledger.record(), ledger.record()
    before = ledger.state()
    assert ok(ledger, "tag", run[:8], "production") == f"tagged run {run[:10]} as production\n"
    assert json.loads(ok(ledger, "show", "production", "--json"))["id"] == run
    assert ok(ledger, "note", "production", "shipped") == f"added a note to run {run[:10]}\n"
    assert ok(ledger, "tag", "production", "champion") == f"tagged run {run[:10]} as champion\n"
    assert [r["id"] for r in json.loads(ok(ledger, "ls", "--json", "--tag", "production"))] == [run]
    runs = {r["id"]: r for r in ledger.runs_json()}
    assert runs[run]["tags"] == ["champion", "production"]
    assert runs[other]["tags"] == []
    assert ledger.state() == before


def test_an_existing_tag_is_refused_without_force(ledger: Clone) -> None:
    first, second = ledger.record(), ledger.record()
    ok(ledger, "tag", first, "production")
    result = ledger.cli("tag", second, "production")
    assert result.exit_code == 1
    assert result.stderr == (
        f"runledger: error: tag 'production' already names run {first[:10]}: "
        f"use --force to move it to run {second[:10]}\n"
    )
    assert (
        ok(ledger, "tag", first, "production") == f"tag production already names run {first[:10]}\n"
    )
    assert ok(ledger, "tag", second, "production", "--force") == (
        f"moved tag production from run {first[:10]} to run {second[:10]}\n"
    )
    assert json.loads(ok(ledger, "show", "production", "--json"))["id"] == second


def test_delete_keeps_the_history(ledger: Clone, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = ledger.record(), ledger.record()
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ada")
    ok(ledger, "tag", first, "production")
    time.sleep(0.01)
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Grace")
    ok(ledger, "tag", second, "production", "-f")
    time.sleep(0.01)
    assert ok(ledger, "tag", "--delete", "production") == (
        f"deleted tag production (it named run {second[:10]})\n"
    )
    assert json.loads(ok(ledger, "tags", "--json")) == []
    result = ledger.cli("show", "production")
    assert result.exit_code == 1 and "no run matches 'production'" in result.stderr
    history = json.loads(ok(ledger, "tags", "--history", "production", "--json"))
    assert [(h["action"], h["run"], h["previous"]) for h in history] == [
        ("delete", None, second),
        ("move", second, first),
        ("create", first, None),
    ]
    assert [h["by"] for h in history] == [
        "Grace <author@example.com>",
        "Grace <author@example.com>",
        "Ada <author@example.com>",
    ]
    assert all(h["at"].endswith("Z") for h in history)
    table = ok(ledger, "tags", "--history", "production")
    assert "delete" in table and first[:10] in table and "Ada" in table
    # the history is plain git
    log = ledger.git("log", "--format=%s", "refs/runledger/tags/production")
    assert log.splitlines()[0] == "runledger tag production: delete, now nothing (deleted)"
    assert "run = " in ledger.git("show", "refs/runledger/tags/production~1:tag.toml")


def test_tags_lists_live_tags(ledger: Clone) -> None:
    assert "No tags yet" in ok(ledger, "tags")
    run = ledger.record()
    ok(ledger, "tag", run, "baseline")
    ok(ledger, "tag", run, "paper-table-2")
    [baseline, paper] = json.loads(ok(ledger, "tags", "--json"))
    assert (baseline["name"], baseline["run"], baseline["action"]) == ("baseline", run, "create")
    assert paper["name"] == "paper-table-2"
    assert baseline["commit"] == ledger.ledger_refs()[f"refs/runledger/runs/{run}"]
    table = ok(ledger, "tags")
    assert "baseline" in table and "paper-table-2" in table and run[:10] in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tag"], "give the RUN and the tag's NAME: runledger tag RUN NAME"),
        (["tag", "abc"], "give the RUN and the tag's NAME: runledger tag RUN NAME"),
        (["tag", "--delete"], "--delete takes just the tag's NAME"),
        (["tag", "--delete", "a", "b"], "--delete takes just the tag's NAME"),
    ],
)
def test_tag_usage_errors(ledger: Clone, args: list[str], message: str) -> None:
    result = ledger.cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"runledger: error: {message} (see '")
    assert result.stderr.endswith(" tag --help')\n")


@pytest.mark.parametrize(
    "name",
    ["-x", "a b", "a/b", "a..b", "x.lock", "trailing.", "", "6fh0magn1cv902jc", "é"],
)
def test_bad_tag_names_are_refused(ledger: Clone, name: str) -> None:
    run = ledger.record()
    result = ledger.cli("tag", run, "--", name)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith(f"runledger: error: invalid tag name {name!r}: ")
    assert "refs/runledger/tags/" not in "".join(ledger.ledger_refs())


def test_unknown_tags(ledger: Clone) -> None:
    ledger.record()
    for args in (["tag", "--delete", "nope"], ["tags", "--history", "nope"]):
        result = ledger.cli(*args)
        assert result.exit_code == 1
        assert result.stderr == "runledger: error: no tag named 'nope': see 'runledger tags'\n"
    result = ledger.cli("tag", "nope", "production")
    assert result.exit_code == 1
    assert "no run matches 'nope'" in result.stderr


def test_a_full_id_wins_then_a_tag_then_a_prefix(ledger: Clone) -> None:
    """'beef' is both a tag and a prefix of another run's id: the tag wins."""
    prefixed = ledger.record(run_id="beef000000000000")
    tagged = ledger.record(run_id="6g00000000000001")
    ok(ledger, "tag", tagged, "beef")
    assert json.loads(ok(ledger, "show", "beef", "--json"))["id"] == tagged
    assert json.loads(ok(ledger, "show", "beef0", "--json"))["id"] == prefixed
    assert json.loads(ok(ledger, "show", prefixed, "--json"))["id"] == prefixed
    ok(ledger, "tag", "--delete", "beef")
    assert json.loads(ok(ledger, "show", "beef", "--json"))["id"] == prefixed


def test_a_tag_given_at_exec_resolves_when_one_run_has_it(ledger: Clone) -> None:
    one = ledger.record(tags=("sweep-7", "only"))
    ledger.record(tags=("sweep-7",))
    assert json.loads(ok(ledger, "show", "only", "--json"))["id"] == one
    result = ledger.cli("show", "sweep-7")
    assert result.exit_code == 1
    assert result.stderr.startswith("runledger: error: tag 'sweep-7' is on 2 runs (")
    assert len(json.loads(ok(ledger, "ls", "--json", "--tag", "sweep-7"))) == 2
    assert json.loads(ok(ledger, "ls", "--json", "--tag", "nothing")) == []


def test_a_tag_whose_run_is_missing_says_to_pull(ledger: Clone) -> None:
    run = ledger.record()
    ok(ledger, "tag", run, "production")
    ledger.git("update-ref", "-d", f"refs/runledger/runs/{run}")
    result = ledger.cli("show", "production")
    assert result.exit_code == 1
    assert result.stderr == (
        f"runledger: error: tag 'production' names run {run}, which is not in this "
        "repository: run 'runledger pull' to fetch it\n"
    )


def test_notes_are_kept_with_author_and_time_and_masked(
    ledger: Clone, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = ledger.record()
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnopqrstuvwxyz123456")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ada")
    ok(ledger, "note", run, "first look: fine")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Grace")
    ok(ledger, "note", run[:6], "used hf_abcdefghijklmnopqrstuvwxyz123456 to download")
    notes = json.loads(ok(ledger, "show", run, "--json"))["notes"]
    assert [n["text"] for n in notes] == ["first look: fine", "used *** to download"]
    assert [n["by"] for n in notes] == ["Ada <author@example.com>", "Grace <author@example.com>"]
    assert notes[0]["at"] <= notes[1]["at"]
    shown = ok(ledger, "show", run)
    assert "first look: fine" in shown and "Grace" in shown
    raw = ledger.git("show", f"refs/runledger/notes/{run}:notes.toml")
    assert "hf_abcdefghijklmnopqrstuvwxyz" not in raw
    assert len(ledger.git("rev-list", f"refs/runledger/notes/{run}").split()) == 2


def test_notes_render_markup_as_text(ledger: Clone) -> None:
    run = ledger.record()
    ok(ledger, "note", run, "[bold]not markup[/bold]")
    assert "[bold]not markup[/bold]" in ok(ledger, "show", run)


def test_an_empty_note_is_refused(ledger: Clone) -> None:
    run = ledger.record()
    result = ledger.cli("note", run, "   ")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: the note is empty: write the text after the run, in quotes\n"
    )
    assert f"refs/runledger/notes/{run}" not in ledger.ledger_refs()


def test_concurrent_notes_and_tag_moves_all_land(ledger: Clone) -> None:
    run = ledger.record()
    targets = [ledger.record() for _ in range(4)]
    env_path = str(Path(__file__).resolve().parents[1])
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "runledger", *args],
            cwd=ledger.path,
            env={**os.environ, "PYTHONPATH": env_path},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for args in [("note", run, f"note {i}") for i in range(4)]
        + [("tag", target, "hot", "--force") for target in targets]
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    texts = sorted(n["text"] for n in json.loads(ok(ledger, "show", run, "--json"))["notes"])
    assert texts == [f"note {i}" for i in range(4)]
    history = json.loads(ok(ledger, "tags", "--history", "hot", "--json"))
    assert sorted(h["run"] for h in history) == sorted(targets)


def test_every_new_command_and_option_has_help() -> None:
    group = typer.main.get_command(app)
    for name in ("push", "pull", "init", "tag", "tags", "note", "ls"):
        command = group.commands[name]  # type: ignore[attr-defined]
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name} has no help"


def _point_at_commit_with(ledger: Clone, ref: str, name: str, content: bytes) -> None:
    """Local damage that pull refuses: ``ref`` at a commit whose ``name`` is not readable."""
    commit = ledger.git("commit-tree", crafted.tree(ledger.path, {name: content}), "-m", "bad")
    ledger.git("update-ref", ref, commit.strip())


def test_a_damaged_tag_is_skipped_with_one_warning_by_every_reader(ledger: Clone) -> None:
    run = ledger.record()
    ok(ledger, "tag", run, "production")
    _point_at_commit_with(ledger, "refs/runledger/tags/candidate", "other.toml", b"x = 1\n")
    warning = (
        "runledger: warning: skipping refs/runledger/tags/candidate: tag.toml: the file is "
        "missing (remove it with 'git update-ref -d refs/runledger/tags/candidate', or move it "
        "aside: 'runledger doctor --fix')\n"
    )
    listed = ledger.cli("ls", "--json")
    assert listed.exit_code == 0 and listed.stderr == warning
    assert json.loads(listed.stdout)[0]["tags"] == ["production"]
    for args in (["ls", "--tag", "production"], ["tags"], ["show", "production"]):
        result = ledger.cli(*args)
        assert (result.exit_code, result.stderr) == (0, warning), args
        assert run[:10] in result.stdout
    report = ledger.cli("report", "-o", str(ledger.path / "report.html"))
    assert (report.exit_code, report.stderr.count("warning")) == (0, 1)
    refused = ledger.cli("tag", run, "candidate")
    assert refused.exit_code == 1
    assert "git update-ref -d refs/runledger/tags/candidate" in refused.stderr
    doctor = ledger.cli("doctor")
    assert doctor.exit_code == 1
    assert "refs/runledger/tags/candidate: tag.toml: the file is missing" in doctor.stdout
    assert ledger.cli("doctor", "--fix").exit_code == 0
    assert ledger.git("for-each-ref", "refs/runledger/quarantine/tags/")
    assert ledger.cli("ls").stderr == ""


def test_damaged_notes_leave_the_run_readable(ledger: Clone) -> None:
    run = ledger.record()
    _point_at_commit_with(ledger, f"refs/runledger/notes/{run}", "notes.toml", b"not = = toml")
    result = ledger.cli("show", run, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["notes"] == []
    assert result.stderr.startswith(f"runledger: warning: skipping refs/runledger/notes/{run}: ")
    assert f"git update-ref -d refs/runledger/notes/{run}" in result.stderr
    doctor = ledger.cli("doctor")
    assert f"refs/runledger/notes/{run}: notes.toml: not valid TOML" in doctor.stdout
