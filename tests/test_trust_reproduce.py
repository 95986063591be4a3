"""reproduce runs only what its plan shows (issue #17), for runs crafted by plumbing and pulled."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from runledger.analysis.provenance import script_call
from tests.crafted import craft
from tests.team import Clone, clone, make_remote

PY = sys.executable
SPOOF = "rm -rf DIR #\r\x1b[2K\x1b[1Gpython train.py --lr 0.1"
ENVDUMP = "import json, os, sys\nopen(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))\n"


def push_crafted(mallory: Clone) -> None:
    mallory.git("push", "-q", "origin", "refs/runledger/runs/*:refs/runledger/runs/*")


@pytest.fixture
def team(tmp_path: Path) -> tuple[Clone, Clone]:
    remote = make_remote(tmp_path)
    return clone(tmp_path, remote, "mallory"), clone(tmp_path, remote, "alice")


def test_a_spoofed_shell_command_is_shown_escaped_and_called_out(
    team: tuple[Clone, Clone],
) -> None:
    mallory, alice = team
    (alice.path / "DIR").mkdir()
    run_id = craft(mallory.path, command=["sh", "-c", SPOOF])
    push_crafted(mallory)
    alice.ok("pull")

    result = alice.cli("reproduce", run_id)  # off a terminal and without --yes: shown, not run

    assert result.exit_code != 0
    plan = result.stderr
    for raw in ("\x1b", "\r", "\x07"):
        assert raw not in plan
    assert '"rm -rf DIR #\\r\\x1b[2K\\x1b[1Gpython train.py --lr 0.1"' in plan
    assert re.search(r'command +\["sh", "-c", "rm -rf DIR', plan)
    assert re.search(r"program +/\S*sh *\n", plan)  # the resolved path of sh
    assert re.search(r"runs +shell script \(sh -c\)", plan)
    assert "runs a shell (sh -c): the script it is given is the real command" in plan
    assert "mallory@elsewhere  pulled from origin" in plan
    assert "not running a command from the ledger unconfirmed" in plan
    assert (alice.path / "DIR").is_dir()


def test_only_allow_listed_variables_from_here_reach_the_child(
    team: tuple[Clone, Clone], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mallory, alice = team
    # The pulled commit's own config tries to widen the allow-list: it must not count.
    mallory.write(".runledger.toml", 'env = ["MYCORP_*", "BROWSER", "LD_*", "PATH"]\n')
    mallory.write("envdump.py", ENVDUMP)
    mallory.commit_all("envdump")
    dump = tmp_path / "child-env.json"
    recorded = {
        "SEED": "7",
        "LD_PRELOAD": "/nonexistent/evil.so",
        "PATH": "/evil/bin",
        "BROWSER": "touch pwned",
        "PYTHONWARNINGS": "error",
        "MYCORP_FLAG": "1",
    }
    run_id = craft(
        mallory.path,
        command=[PY, "envdump.py", str(dump)],
        environment={"variables": recorded},
    )
    push_crafted(mallory)
    alice.ok("pull")
    for name in ("BROWSER", "PYTHONWARNINGS", "LD_PRELOAD", "MYCORP_FLAG", "SEED"):
        monkeypatch.delenv(name, raising=False)

    result = alice.cli("reproduce", run_id, "--yes")

    child = json.loads(dump.read_text())
    assert child["SEED"] == "7"
    assert child["PATH"] == os.environ["PATH"]
    for name in ("LD_PRELOAD", "BROWSER", "PYTHONWARNINGS", "MYCORP_FLAG"):
        assert name not in child, name
    assert re.search(
        r"not applied +BROWSER LD_PRELOAD MYCORP_FLAG PATH PYTHONWARNINGS", result.stderr
    )
    assert re.search(r'sets +SEED="7"', result.stderr)


def test_this_repositorys_config_widens_the_allow_list(
    team: tuple[Clone, Clone], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mallory, alice = team
    mallory.write("envdump.py", ENVDUMP)
    mallory.commit_all("envdump")
    dump = tmp_path / "child-env.json"
    run_id = craft(
        mallory.path,
        command=[PY, "envdump.py", str(dump)],
        environment={"variables": {"MYCORP_FLAG": "1", "LD_PRELOAD": "/x.so"}},
    )
    push_crafted(mallory)
    alice.ok("pull")
    # Alice's own config allows MYCORP_* and even LD_*: the first counts, the second never.
    alice.write(".runledger.toml", 'env = ["MYCORP_*", "LD_*"]\n')
    alice.commit_all("config")
    monkeypatch.delenv("MYCORP_FLAG", raising=False)

    alice.cli("reproduce", run_id, "--yes")

    child = json.loads(dump.read_text())
    assert child["MYCORP_FLAG"] == "1"
    assert "LD_PRELOAD" not in child


def test_a_run_recorded_here_does_not_warn_about_its_origin(team: tuple[Clone, Clone]) -> None:
    _mallory, alice = team
    alice.write("ok.py", "print('acc=1')\n")
    alice.commit_all("ok")
    assert alice.cli("exec", PY, "ok.py").exit_code == 0
    [run_id] = alice.run_ids()
    result = alice.cli("reproduce", run_id, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "recorded by" not in result.stderr
    assert "not applied" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["sh", "-c", "x"], ("sh", "-c")),
        (["/bin/bash", "-lc", "x"], ("/bin/bash", "-lc")),
        (["zsh", "-c", "x"], ("zsh", "-c")),
        (["/usr/bin/env", "FOO=1", "bash", "-c", "x"], ("bash", "-c")),
        (["nohup", "dash", "-ec", "x"], ("dash", "-ec")),
        (["python3.11", "-c", "import os"], ("python3.11", "-c")),
        (["python", "-W", "ignore", "-c", "x"], ("python", "-W")),
        (["perl", "-e", "x"], ("perl", "-e")),
        (["node", "--eval", "x"], ("node", "--eval")),
        (["ruby", "-e", "x"], ("ruby", "-e")),
        (["timeout", "10", "sh", "-c", "x"], ("sh", "-c")),
    ],
)
def test_shells_and_interpreter_scripts_are_found(argv: list[str], found: tuple[str, str]) -> None:
    call = script_call(argv)
    assert call is not None
    if argv[:2] == ["python", "-W"]:
        assert (call.program, call.flag) == ("python", "-c")
    else:
        assert (call.program, call.flag) == found


@pytest.mark.parametrize(
    "argv", [["python", "train.py", "--lr", "0.1"], ["bash", "train.sh"], ["make", "-C", "x"], []]
)
def test_plain_commands_are_not_script_calls(argv: list[str]) -> None:
    assert script_call(argv) is None


def test_a_pulled_python_path_outside_the_repository_is_not_applied(
    team: tuple[Clone, Clone], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PYTHONPATH is allow-listed (it is recorded for what it says about a run), and a pulled
    record's PYTHONPATH=/somewhere was set for the re-run: Python then ran the
    sitecustomize.py found there, code the plan never showed."""
    mallory, alice = team
    evil = tmp_path / "shared" / "lib"
    evil.mkdir(parents=True)
    marker = tmp_path / "sitecustomize-ran"
    (evil / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    mallory.write("envdump.py", ENVDUMP)
    mallory.commit_all("envdump")
    dump = tmp_path / "child-env.json"
    run_id = craft(
        mallory.path,
        command=[PY, "envdump.py", str(dump)],
        environment={"variables": {"PYTHONPATH": str(evil), "SEED": "7"}},
    )
    push_crafted(mallory)
    alice.ok("pull")
    monkeypatch.delenv("PYTHONPATH", raising=False)

    result = alice.cli("reproduce", run_id, "--yes")

    child = json.loads(dump.read_text())
    assert child["SEED"] == "7"
    assert str(evil) not in child.get("PYTHONPATH", "")
    assert not marker.exists()
    assert re.search(r"not applied +PYTHONPATH +\(a path outside this repository", result.stderr)
