"""Who ran it: git's identity as ``author``, the OS user and host kept beside it."""

from __future__ import annotations

import getpass
import socket
import sys

from tests.conftest import Repo


def test_author_is_the_git_identity_and_the_os_user_stays(repo: Repo) -> None:
    result = repo.run("exec", sys.executable, "-c", "print('acc=0.5')")
    assert result.returncode == 0, result.stderr
    [run_id] = repo.run_ids()
    text = repo.show_bytes(f"refs/runledger/runs/{run_id}:run.toml").decode()
    # The test environment pins GIT_AUTHOR_NAME/EMAIL, which git itself prefers to user.name.
    assert 'author = "Test Author <author@example.com>"' in text
    assert f'host = "{socket.gethostname()}"' in text
    assert f'user = "{getpass.getuser()}"' in text
    [listed] = repo.runs_json()
    assert listed["author"] == "Test Author <author@example.com>"
    shown = repo.cli("show", run_id, "--json").json()
    assert shown["author"] == "Test Author <author@example.com>"
    compared = repo.cli("compare", "-f", "json").json()
    assert compared["constant"]["author"] == "Test Author <author@example.com>"
    human = repo.cli("show", run_id).stdout
    assert "Test Author <author@example.com>" in human


def test_without_the_environment_git_config_user_is_the_author(repo: Repo) -> None:
    env = {"GIT_AUTHOR_NAME": "", "GIT_AUTHOR_EMAIL": ""}
    result = repo.run("exec", sys.executable, "-c", "print('acc=0.5')", env=env)
    assert result.returncode == 0, result.stderr
    [listed] = repo.runs_json()
    assert listed["author"] == "Test User <test@example.com>"
