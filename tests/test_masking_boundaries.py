"""A secret that crosses a boundary is masked whole (issue #17): the head/tail cut of
output.log, and the journal's half-second batches, even after ``kill -9`` and recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from runledger.recording.journal import Journal, read_log
from runledger.recording.runner import LogCapture
from runledger.redact import Redactor
from tests.conftest import Repo

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1])
BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    + "".join(f"{BODY}{index:012d}\n" for index in range(40))
    + "-----END PRIVATE KEY-----\n"
)
HALF = 2 * 1024 * 1024  # output.log keeps this much of the start, and of the end


def test_keys_across_the_head_and_tail_cuts_are_masked(repo: Repo) -> None:
    line = "x" * 99 + "\n"
    program = f"""
import sys
out = sys.stdout
key = {KEY!r}
line = {line!r}
head = {HALF} - len(key) // 2            # the first key straddles the end of the head
out.write(line * (head // 100) + "h" * (head % 100) + "\\n")
out.write(key)
out.write(line * 40000)                  # a middle that is cut out
out.write(key)                           # the second key straddles the start of the tail
out.write(line * (({HALF} - len(key) // 2) // 100))
"""
    repo.write("leak.py", program)
    repo.commit_all("leak")

    result = repo.run("exec", PY, "leak.py")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count(BODY.encode()) == 80  # the terminal saw it all, unmasked
    [run_id] = repo.run_ids()
    log = repo.show_bytes(f"refs/runledger/runs/{run_id}:output.log")
    assert b"bytes of output omitted here" in log
    assert BODY.encode() not in log
    assert b"-----BEGIN" not in log


def test_log_capture_cuts_never_split_a_key() -> None:
    redactor = Redactor({})
    line = b"y" * 63 + b"\n"
    key = KEY.encode()
    for offset in range(1, len(key), 97):
        # the head ends ``offset`` bytes into the key; the rest is in the kept tail
        head_cut = line * (8 * 1024 // 64) + key + line * (7 * 1024 // 64)
        stream = line * ((8 * 1024 - offset) // 64) + b"z" * ((8 * 1024 - offset) % 64) + head_cut
        # the tail starts ``offset`` bytes into the key
        tail_cut = line * 4000 + key + b"t" * (8 * 1024 - len(key) + offset)
        for case in (stream, tail_cut):
            capture = LogCapture(16 * 1024)
            for start in range(0, len(case), 4096):
                capture.add(case[start : start + 4096])
            content = capture.content()
            assert b"omitted here" in content
            assert BODY.encode() not in redactor.mask_bytes(content), offset


def test_the_journal_masks_a_key_split_over_two_batches(tmp_path: Path) -> None:
    journal = Journal.begin(
        tmp_path / "run",
        "6fh0000000000001",
        commit="0" * 40,
        branch=None,
        cwd=".",
        redactor=Redactor({}),
        facts={},
    )
    journal.started(os.getpid(), time.time())
    lines = KEY.encode().splitlines(keepends=True)
    journal.feed(b"before\n" + b"".join(lines[:20]))
    journal.tick()  # half a key: it must wait for its END
    journal.feed(b"".join(lines[20:]) + b"after\n")
    journal.tick()
    text = b"".join(read_log(journal.folder))
    assert text == b"before\n***\nafter\n"


def test_a_key_printed_across_batches_stays_masked_after_kill_and_recovery(
    repo: Repo, tmp_path: Path
) -> None:
    flag = tmp_path / "printed"
    lines = KEY.splitlines(keepends=True)
    program = f"""
import sys, time, pathlib
sys.stdout.write({"".join(lines[:20])!r}); sys.stdout.flush()
time.sleep(1.5)                           # the journal writes a batch meanwhile
sys.stdout.write({"".join(lines[20:])!r} + "done\\n"); sys.stdout.flush()
time.sleep(1.5)
pathlib.Path({str(flag)!r}).touch()
time.sleep(600)
"""
    repo.write("slow.py", program)
    repo.commit_all("slow")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    wrapper = subprocess.Popen(
        [PY, "-m", "runledger", "exec", PY, "slow.py"],
        cwd=repo.path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert time.monotonic() < deadline, "the program never finished printing"
        time.sleep(0.05)
    [folder] = (repo.path / ".git" / "runledger" / "in-progress").iterdir()
    facts: dict[str, Any] = json.loads((folder / "journal.json").read_text())
    wrapper.send_signal(signal.SIGKILL)
    wrapper.wait()
    os.kill(facts["child_pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{facts['child_pid']}") and _alive(facts["child_pid"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    listed = repo.run("ls", "--json")

    assert b"recovered run" in listed.stderr, listed.stderr
    log = repo.show_bytes(f"refs/runledger/runs/{facts['id']}:output.log")
    assert BODY.encode() not in log
    assert log.endswith(b"***\ndone\n")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
