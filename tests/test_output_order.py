"""Output exactly as bare (issue 15): a command writing stdout and stderr in turn shows its
lines in its own order when runledger's stdout and stderr are one file or one terminal, and
the recorded output.log keeps whole lines in arrival order when they are not."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.conftest import Repo

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1])
LINES = 300
INTERLEAVED = (
    "import sys\n"
    f"for i in range({LINES}):\n"
    "    sys.stdout.write(f'out {i}\\n'); sys.stdout.flush()\n"
    "    sys.stderr.write(f'err {i}\\n'); sys.stderr.flush()\n"
)
EXPECTED = [f"{stream} {i}" for i in range(LINES) for stream in ("out", "err")]


def runledger_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def command_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("runledger:")]


def recorded_log(repo: Repo) -> str:
    [run_id] = repo.run_ids()
    return repo.show_bytes(f"refs/runledger/runs/{run_id}:output.log").decode()


def test_one_file_for_both_keeps_all_600_lines_in_order(repo: Repo, tmp_path: Path) -> None:
    log = tmp_path / "log"
    with open(log, "wb") as file:  # runledger exec ... > log 2>&1
        proc = subprocess.run(
            [PY, "-m", "runledger", "exec", PY, "-c", INTERLEAVED],
            cwd=repo.path,
            env=runledger_env(),
            stdout=file,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 0
    assert command_lines(log.read_text()) == EXPECTED
    assert command_lines(recorded_log(repo)) == EXPECTED


def test_one_terminal_for_both_keeps_all_600_lines_in_order(repo: Repo) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [PY, "-m", "runledger", "exec", PY, "-c", INTERLEAVED],
        cwd=repo.path,
        env=runledger_env(),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    seen = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as error:  # EIO: every writer of the terminal has gone
            assert error.errno == errno.EIO
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0
    assert command_lines(seen.decode()) == EXPECTED
    assert command_lines(recorded_log(repo)) == EXPECTED


def test_two_destinations_record_whole_lines_in_arrival_order(repo: Repo) -> None:
    code = (
        "import sys\n"
        f"for i in range({LINES}):\n"
        "    sys.stdout.write(f'out {i} '); sys.stdout.flush()\n"  # a line in two writes
        "    sys.stderr.write(f'err {i}\\n'); sys.stderr.flush()\n"
        "    sys.stdout.write('done\\n'); sys.stdout.flush()\n"
    )
    proc = repo.run("exec", PY, "-c", code, timeout=120)  # two pipes: stdout and stderr
    assert proc.returncode == 0
    lines = command_lines(recorded_log(repo))
    assert sorted(lines) == sorted([f"out {i} done" for i in range(LINES)] + [
        f"err {i}" for i in range(LINES)
    ])  # fmt: skip
    assert [line for line in lines if line.startswith("out")] == [
        f"out {i} done" for i in range(LINES)
    ]
