"""Runs in progress: ``ls`` shows them as running with their latest metrics, and ``watch``
follows one started in another terminal, redrawn in place in a real pty, until it ends."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Repo

TRAIN = """
import os, sys, time
stop = sys.argv[1]
step = 0
while not os.path.exists(stop):
    print(f"step={step} loss={1 / (step + 1):.4f}", flush=True)
    step += 1
    time.sleep(0.2)
print("done", flush=True)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


@pytest.fixture
def training(repo: Repo, tmp_path: Path) -> Iterator[tuple[Repo, Path, subprocess.Popen[bytes]]]:
    """A run in progress, started as another terminal would start it; ends when ``stop``
    exists."""
    repo.write("train.py", TRAIN)
    repo.commit_all("train")
    stop = tmp_path / "stop"
    process = subprocess.Popen(
        [sys.executable, "-m", "runledger", "exec", sys.executable, "train.py", str(stop)],
        cwd=repo.path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield repo, stop, process
    finally:
        stop.touch()
        process.wait(timeout=60)


def _running(repo: Repo) -> list[dict[str, object]]:
    result = repo.run("ls", "--json", "--status", "running")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def _wait_for(predicate: object, timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()  # type: ignore[operator]
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_ls_lists_a_running_run_with_its_latest_metrics(
    training: tuple[Repo, Path, subprocess.Popen[bytes]],
) -> None:
    repo, stop, process = training
    running = _wait_for(lambda: [r for r in _running(repo) if "loss" in r["metrics"]])
    [run] = running  # type: ignore[misc]
    assert run["status"] == "running" and run["exit_code"] is None
    assert 0 < run["metrics"]["loss"] <= 1
    table = repo.run("ls", env={"COLUMNS": "150"}).stdout.decode()
    assert " running " in table
    stop.touch()
    assert process.wait(timeout=60) == 0
    assert _running(repo) == []
    [recorded] = repo.runs_json()
    assert recorded["id"] == run["id"] and recorded["status"] == "ok"


def test_watch_follows_a_run_in_a_pty_until_it_ends(
    training: tuple[Repo, Path, subprocess.Popen[bytes]],
) -> None:
    repo, stop, process = training
    _wait_for(lambda: [r for r in _running(repo) if "loss" in r["metrics"]])
    main, secondary = pty.openpty()
    env = _env() | {"COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "runledger", "watch", "--interval", "0.3"],
        cwd=repo.path,
        env=env,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""

    def read_some(seconds: float) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                seen += chunk

    try:
        read_some(8)
        assert seen.count(b"\x1b[H\x1b[2J") >= 2, seen[-2000:]  # redrawn in place
        assert b"loss (" in seen and b"points)" in seen  # the chart's title
        assert b"metric" in seen and b"last" in seen  # the table of last values
        stop.touch()
        assert process.wait(timeout=60) == 0
        read_some(10)
        assert watcher.wait(timeout=30) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
        os.close(main)
    assert b"ended: ok" in seen, seen[-2000:]


def test_watch_without_a_running_run_is_one_line(repo: Repo) -> None:
    result = repo.run("watch")
    assert result.returncode == 1
    assert result.stderr.decode().strip() == (
        "runledger: error: no run is in progress here; start one with 'runledger exec ...'"
    )


HOSTILE_TRAIN = """
import json, os, sys, time
stop = sys.argv[1]
step = 0
while not os.path.exists(stop):
    with open(os.environ["RUNLEDGER_METRICS_FILE"], "a") as metrics:
        metrics.write(json.dumps({"step": step, "loss\\x1b]0;pwned\\x07": 0.5}) + "\\n")
    step += 1
    time.sleep(0.2)
"""


def test_watch_shows_control_characters_of_names_and_command_as_escapes(
    repo: Repo, tmp_path: Path
) -> None:
    """watch wrote the metric names, the chart's title and the command raw: a name holding
    ESC ] 0; set the terminal's title, an argument holding ESC [2J cleared the screen."""
    repo.write("train.py", HOSTILE_TRAIN)
    repo.commit_all("train")
    stop = tmp_path / "stop"
    command = [sys.executable, "train.py", str(stop), "\x1b[2Jx"]  # the line keeps its end
    process = subprocess.Popen(
        [sys.executable, "-m", "runledger", "exec", *command],
        cwd=repo.path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: [r for r in _running(repo) if r["metrics"]])
        watcher = subprocess.Popen(
            [sys.executable, "-m", "runledger", "watch", "--interval", "0.3"],
            cwd=repo.path,
            env=_env() | {"COLUMNS": "120"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.5)
    finally:
        stop.touch()
        process.wait(timeout=60)
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert b"\x1b" not in out and b"\x07" not in out, out[-2000:]
    assert b"loss\\x1b]0;pwned\\x07 (" in out  # the chart's title
    assert b"\\x1b[2Jx" in out  # the command
