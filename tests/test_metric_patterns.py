"""`.runledger.toml [metrics] patterns` (named groups are metric names), and the one line exec
prints when no metric was recognised (issue 15)."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import Repo

PY = sys.executable


def configure(repo: Repo, toml: str, script: str) -> None:
    repo.write(".runledger.toml", toml)
    repo.write("train.py", script)
    repo.commit_all("config")


def test_a_pattern_of_the_users_own_reads_its_named_groups(repo: Repo) -> None:
    configure(
        repo,
        "[metrics]\n"
        "patterns = ['^Val\\s+F1\\s*=\\s*(?P<val_f1>[-\\d.eE]+)',"
        " 'round (?P<step>\\d+) -> recall (?P<recall>[\\d.]+)']\n",
        "print('Val F1 = 0.87')\nprint('round 3 -> recall 0.5')\nprint('round 4 -> recall 0.6')\n",
    )
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    [run] = repo.runs_json()
    assert run["metrics"] == {"val_f1": 0.87, "recall": 0.6}
    shown = repo.cli("show", run["id"], "--json").json()
    assert shown["series"]["recall"] == [[3, 0.5], [4, 0.6]]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[metrics]\npatterns = ['(?P<x>[0-9']\n",
            "'metrics.patterns': '(?P<x>[0-9' is not a valid regular expression",
        ),
        (
            "[metrics]\npatterns = ['loss ([0-9.]+)']\n",
            "'metrics.patterns': 'loss ([0-9.]+)' has no named group",
        ),
        ("[metrics]\npaterns = []\n", "unknown key 'metrics.paterns' (did you mean"),
    ],
)
def test_a_broken_pattern_is_one_line_naming_the_key(repo: Repo, toml: str, message: str) -> None:
    configure(repo, toml, "open('ran', 'w')\n")
    result = repo.cli("exec", PY, "train.py")
    assert result.exit_code == 1
    assert result.stderr.startswith("runledger: error: .runledger.toml: ")
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not (repo.path / "ran").exists()


def test_a_run_without_any_metric_says_so_in_one_line(repo: Repo) -> None:
    repo.write("train.py", "print('training done in 3 minutes')\n")
    repo.commit_all("train")
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0
    said = [line for line in proc.stderr.decode().splitlines() if "no metric" in line]
    assert said == [
        "runledger: no metric was recognised in the output or the files the run wrote; the "
        "formats read are listed in docs/reference.md, 'What is read from the output' (add "
        "your own with .runledger.toml [metrics] patterns)"
    ]
    repo.write("train.py", "print('Test accuracy: 0.8999')\n")
    repo.commit_all("train")
    proc = repo.run("exec", PY, "train.py")
    assert b"no metric" not in proc.stderr
