"""Help reads cleanly in an 80-column terminal: wrapped by words, no Python type labels."""

from __future__ import annotations

import re

import pytest

from runledger.cli.app import app
from tests.conftest import Repo

COMMANDS = sorted(info.name or "" for info in app.registered_commands)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_fits_80_columns_without_type_labels(repo: Repo, command: str) -> None:
    args = [command, "--help"] if command else ["--help"]
    result = repo.run(*args, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert not re.search(r"<(list\[\w+\]|bool|str|int|float|int range|float range)>", text)
    assert not any(ch in text for ch in "╭│╰"), "help is plain text, not boxes"
    # Wrapped by words: no help line is a lone word that a wider column would have kept.
    for line in lines:
        assert not re.fullmatch(r"\s{20,}\S{1,3}", line), line


@pytest.mark.parametrize("command", ["env", "get"])
def test_the_usage_line_names_the_run_as_every_command_does(repo: Repo, command: str) -> None:
    """'runledger env --help' and 'get --help' began 'Usage: runledger env [OPTIONS] {run}'
    where show, diff and reproduce say {RUN}, as their docstrings and the reference do."""
    result = repo.run(command, "--help", env={"COLUMNS": "80"})
    usage = result.stdout.decode().splitlines()[0]
    assert f"runledger {command} [OPTIONS] {{RUN}}" in usage
