"""One bad ref never blocks the rest, and ``runledger doctor`` names and fixes it (issue #17).

Bad refs are made as a broken or hostile clone would leave them: a ref whose object is gone
(written as a loose ref file, since git itself refuses), a ref at a blob, a ref ``runs/B``
holding run A's commit, a ref whose name is not a run id.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.crafted import blob, craft
from tests.team import Clone, clone, ledger_of, make_remote

PY = sys.executable
RUNS = "refs/runledger/runs/"
MISSING = "0123456789abcdef0123456789abcdef01234567"
DANGLING = "6gj0cccccccccccc"
AT_BLOB = "6gj0bbbbbbbbbbbb"
WRONG_ID = "6gj0aaaaaaaaaaaa"
BAD_NAME = "not-a-valid-id"


def break_refs(path: Path, good: str) -> None:
    """Every kind of bad run ref, next to the good run ``good``."""
    from tests.conftest import git

    good_commit = git(path, "rev-parse", RUNS + good).strip()
    git(path, "update-ref", RUNS + AT_BLOB, blob(path, b"not a run\n"))
    git(path, "update-ref", RUNS + WRONG_ID, good_commit)
    git(path, "update-ref", RUNS + BAD_NAME, good_commit)
    loose = path / ".git" / "refs" / "runledger" / "runs" / DANGLING
    loose.write_text(MISSING + "\n")


def recorded(repo: Repo) -> str:
    repo.write("ok.py", "print('acc=0.5')\n")
    repo.commit_all("ok")
    result = repo.cli("exec", PY, "ok.py")
    assert result.exit_code == 0, result.stderr
    [run_id] = repo.run_ids()
    return run_id


def test_ls_skips_each_bad_ref_with_one_warning_and_its_fix(repo: Repo) -> None:
    good = recorded(repo)
    break_refs(repo.path, good)

    result = repo.cli("ls", "--json")

    assert result.exit_code == 0, result.stderr
    assert [run["id"] for run in result.json()] == [good]  # once, not under B as well
    warnings = result.stderr.splitlines()
    expected = {
        DANGLING: f"points at {MISSING[:12]}, a missing object",
        AT_BLOB: "points at a blob, not a run commit",
        WRONG_ID: f"its run.toml says it is run {good}",
        BAD_NAME: "its name is not a run id",
    }
    for name, problem in expected.items():
        [line] = [line for line in warnings if f"{RUNS}{name}:" in line]
        assert problem in line
        assert f"git update-ref -d {RUNS}{name}" in line
        assert "runledger doctor --fix" in line
    assert repo.cli("doctor", "--fix").exit_code == 0  # fsck-clean for the fixture


def test_doctor_lists_then_moves_bad_refs_aside_without_losing_them(repo: Repo) -> None:
    good = recorded(repo)
    break_refs(repo.path, good)
    good_commit = repo.git("rev-parse", RUNS + good).strip()

    found = repo.cli("doctor", "--json")
    assert found.exit_code == 1
    problems = {item["subject"]: item for item in found.json()["findings"]}
    assert set(problems) == {RUNS + name for name in (DANGLING, AT_BLOB, WRONG_ID, BAD_NAME)}
    assert not any(item["fixed"] for item in problems.values())
    text = repo.cli("doctor")
    assert text.exit_code == 1
    assert "'runledger doctor --fix' repairs what it can" in text.stdout

    fixed = repo.cli("doctor", "--fix")

    assert fixed.exit_code == 0, fixed.stdout
    assert "4 problems, 4 fixed, 0 left" in fixed.stdout
    quarantine = "refs/runledger/quarantine/runs/"
    assert repo.git("rev-parse", quarantine + WRONG_ID).strip() == good_commit
    assert repo.git("rev-parse", quarantine + BAD_NAME).strip() == good_commit
    assert repo.git("cat-file", "-p", quarantine + AT_BLOB) == "not a run\n"
    note = repo.git("cat-file", "-p", quarantine + DANGLING)
    assert MISSING in note and RUNS + DANGLING in note
    assert repo.run_ids() == [good]
    again = repo.cli("doctor")
    assert again.exit_code == 0
    assert "fine" in again.stdout
    listed = repo.cli("ls")
    assert listed.stderr == ""


def test_doctor_rebuilds_a_damaged_index(repo: Repo) -> None:
    good = recorded(repo)
    assert repo.cli("ls").exit_code == 0  # the index exists
    index = repo.path / ".git" / "runledger" / "index.sqlite"
    index.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)

    result = repo.cli("doctor", "--fix", "--json")

    [finding] = result.json()["findings"]
    assert finding["area"] == "index" and finding["fixed"] is True
    assert [run["id"] for run in repo.runs_json()] == [good]


@pytest.fixture
def team(tmp_path: Path) -> tuple[Clone, Clone, Path]:
    remote = make_remote(tmp_path)
    return clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob"), remote


def test_push_goes_on_with_every_other_run(team: tuple[Clone, Clone, Path]) -> None:
    alice, _bob, remote = team
    good = alice.record()
    other = alice.record()
    break_refs(alice.path, good)

    result = alice.cli("push")

    assert result.exit_code == 0, result.stderr
    assert set(ledger_of(remote)) == {RUNS + good, RUNS + other}
    for name in (DANGLING, AT_BLOB, WRONG_ID, BAD_NAME):
        assert f"not pushing {RUNS}{name}" in result.stderr
    assert alice.cli("doctor", "--fix").exit_code == 0


def test_a_dangling_ref_that_stops_git_fetch_is_moved_aside(
    team: tuple[Clone, Clone, Path],
) -> None:
    alice, bob, remote = team
    bob.record()
    assert bob.cli("push").exit_code == 0  # so that alice's fetch receives objects
    good = alice.record()
    (alice.path / ".git" / "refs" / "runledger" / "runs" / DANGLING).write_text(MISSING + "\n")

    result = alice.cli("push")

    assert result.exit_code == 0, result.stderr
    assert RUNS + good in ledger_of(remote)
    assert f"{RUNS}{DANGLING} points at {MISSING[:12]}, a missing object" in result.stderr
    note = alice.git("cat-file", "-p", "refs/runledger/quarantine/runs/" + DANGLING)
    assert MISSING in note


def test_pull_takes_every_good_run_and_leaves_a_blob_ref_behind(
    team: tuple[Clone, Clone, Path],
) -> None:
    alice, bob, _remote = team
    good = craft(alice.path)
    alice.git("update-ref", RUNS + AT_BLOB, blob(alice.path, b"not a run\n"))
    alice.git("push", "-q", "origin", f"{RUNS}*:{RUNS}*")

    result = bob.cli("pull")

    assert result.exit_code == 0, result.stderr
    assert bob.run_ids() == [good]
    assert f"not taking run {AT_BLOB} from the remote: it points at a blob" in result.stderr
    doctor = bob.cli("doctor", "--json")
    mirrored = [item for item in doctor.json()["findings"] if AT_BLOB in item["subject"]]
    assert mirrored and "fix it on the remote" in mirrored[0]["fix"]


def test_doctor_on_a_healthy_ledger(repo: Repo) -> None:
    recorded(repo)
    result = repo.cli("doctor", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "findings": []}
