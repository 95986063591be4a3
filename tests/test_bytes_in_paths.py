"""File names that are not UTF-8 are recorded losslessly, hashed, shown escaped (issue #17).

Through the real command line: the program writes ``outs/bad\\xff.pt``; the run is recorded
with its own exit code, its artifact with the exact bytes of its name.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import pytest

from tests.conftest import Repo

PY = sys.executable
BAD = b"bad\xff.pt"
WRITE_BAD = (
    "import os, sys\n"
    "os.makedirs('outs', exist_ok=True)\n"
    "open(b'outs/bad\\xff.pt', 'wb').write(b'weights')\n"
    "print('acc=0.5')\n"
    "sys.exit(int(sys.argv[1]))\n"
)


@pytest.fixture
def writer(repo: Repo) -> Repo:
    repo.write("write_bad.py", WRITE_BAD)
    repo.write(".gitignore", "outs/\ndata/\n")
    repo.commit_all("writer")
    return repo


def only_run(repo: Repo) -> dict[str, object]:
    [run_id] = repo.run_ids()
    result = repo.run("show", run_id, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("code", [0, 3])
def test_an_artifact_named_in_bytes_is_recorded_with_the_real_exit_code(
    writer: Repo, code: int
) -> None:
    result = writer.run("exec", "--output", "outs", PY, "write_bad.py", str(code))

    assert result.returncode == code, result.stderr
    assert b"internal error" not in result.stderr
    run = only_run(writer)
    assert run["exit_code"] == code
    assert run["status"] == ("ok" if code == 0 else "failed")
    assert run["metrics"] == {"acc": 0.5}
    [artifact] = run["artifacts"]  # type: ignore[misc]
    assert artifact["path"] == "outs/bad\\xff.pt"
    assert bytes.fromhex(artifact["path_bytes"]) == b"outs/" + BAD
    assert artifact["sha256"] == hashlib.sha256(b"weights").hexdigest()


def test_the_name_is_kept_exactly_in_git_and_shown_escaped(writer: Repo) -> None:
    writer.run("exec", "--output", "outs", PY, "write_bad.py", "0")
    [run_id] = writer.run_ids()
    files = writer.show_bytes(f"refs/runledger/runs/{run_id}:files.toml").decode()
    assert 'text = "outs/bad\\\\xff.pt"' in files
    assert f'hex = "{(b"outs/bad").hex()}' in files

    shown = writer.run("show", run_id)
    assert b"outs/bad\\xff.pt" in shown.stdout
    assert b"\xff" not in shown.stdout

    verified = writer.run("verify", run_id)
    assert verified.returncode == 0, verified.stderr
    assert b"same" in verified.stdout and b"outs/bad\\xff.pt" in verified.stdout

    (writer.path / os.fsdecode(b"outs/" + BAD)).write_bytes(b"changed")
    assert writer.run("verify", run_id).returncode == 1

    which = writer.run("which", os.fsdecode(b"outs/" + BAD))
    assert which.returncode == 1  # the changed file: no run wrote these bytes


def test_which_finds_a_file_by_an_undecodable_name(writer: Repo) -> None:
    writer.run("exec", "--output", "outs", PY, "write_bad.py", "0")
    result = writer.run("which", os.fsdecode(b"outs/" + BAD))
    assert result.returncode == 0, result.stderr
    assert b"artifact" in result.stdout and b"outs/bad\\xff.pt" in result.stdout


def test_inputs_named_in_bytes_are_hashed_and_the_command_runs(writer: Repo) -> None:
    data = writer.path / "data"
    data.mkdir()
    (data / os.fsdecode(b"in\xfe.csv")).write_bytes(b"1,2\n")
    named = os.fsdecode(b"data/in\xfe.csv")

    result = writer.run("exec", "--input", "data", "--input", named, PY, "write_bad.py", "0")

    assert result.returncode == 0, result.stderr
    run = only_run(writer)
    [record] = run["inputs"]  # type: ignore[misc]
    assert record["path"] == "data/in\\xfe.csv"
    assert bytes.fromhex(record["path_bytes"]) == b"data/in\xfe.csv"
    assert record["sha256"] == hashlib.sha256(b"1,2\n").hexdigest()
    assert writer.run("verify", str(run["id"])).returncode == 0
