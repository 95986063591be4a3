"""Tag names and note text go through exec's masking (issue #17)."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import Repo

PY = sys.executable
TOKEN = "ghp_" + "a1B2c3D4e5" * 4


def recorded(repo: Repo) -> str:
    assert repo.cli("exec", PY, "-c", "print('acc=1')").exit_code == 0
    [run_id] = repo.run_ids()
    return run_id


def test_a_token_is_never_made_a_tag_name(repo: Repo) -> None:
    run_id = recorded(repo)
    result = repo.cli("tag", run_id, TOKEN)
    assert result.exit_code != 0
    assert result.stderr.count("\n") == 1
    assert "looks like a secret" in result.stderr
    assert TOKEN not in result.stderr
    assert repo.git("for-each-ref", "refs/runledger/tags/") == ""


@pytest.mark.parametrize(
    "name", ["npm_" + "a1B2c3D4e5" * 3 + "f6G7h8", "hf_" + "a1B2c3D4e5" * 4, "sk-" + "a1" * 15]
)
def test_other_token_shapes_are_refused_too(repo: Repo, name: str) -> None:
    run_id = recorded(repo)
    result = repo.cli("tag", run_id, name)
    assert result.exit_code != 0 and "looks like a secret" in result.stderr
    assert repo.cli("tag", run_id, "production-2024.1").exit_code == 0


def test_note_text_is_masked_like_execs(repo: Repo) -> None:
    run_id = recorded(repo)
    result = repo.cli("note", run_id, f"deployed with {TOKEN}; the password is hunter22")
    assert result.exit_code == 0, result.stderr
    [note] = repo.cli("show", run_id, "--json").json()["notes"]
    assert note["text"] == "deployed with ***; the password is ***"
