"""Bad input from the user (review 9): wrong arguments give one clear line and a non-zero exit
(CONTRACT.md's exit codes), never a traceback. Tests named for a crash failed on main; the
others pin a message no test covered."""

from __future__ import annotations

import os

from tests.conftest import Repo
from tests.crafted import craft

NOT_UTF8 = b"r\xff".decode("utf-8", "surrogateescape")  # what Python makes of argv byte 0xff


def test_compare_of_a_metric_named_with_bytes_that_are_not_utf8(repo: Repo) -> None:
    """'runledger compare --metric r<0xff>' ended with an internal error: the name went to
    SQLite, which cannot take a lone surrogate (UnicodeEncodeError)."""
    craft(repo.path, metrics={"loss": {"last": 0.5}})

    result = repo.run("compare", "--metric", NOT_UTF8)

    assert result.returncode == 1, result.stderr
    assert result.stderr.decode() == (
        "runledger: error: no run has a metric named 'r\\udcff'; metrics: loss\n"
    )


def test_which_of_a_pipe_says_it_is_not_a_file(repo: Repo) -> None:
    """A named pipe (or socket, or device) is no file to hash: one line, no wait for a writer."""
    os.mkfifo(repo.path / "stream")

    result = repo.cli("which", "stream")

    assert result.exit_code == 1
    assert result.stderr == "runledger: error: stream is not a regular file\n"
