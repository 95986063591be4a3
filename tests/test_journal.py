"""Nothing is lost (issue 8): runs whose runledger died, or could not write, are recorded later."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.journal import process_start
from tests.conftest import Repo

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1])


def in_progress(repo: Repo) -> Path:
    return repo.path / ".git" / "runledger" / "in-progress"


def env_with_src() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def rid(number: int) -> str:
    """A valid run id."""
    return f"6fh00000000000{number:02d}"


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def write_journal(repo: Repo, run_id: str, **facts: Any) -> Path:
    """A journal as exec writes it, for a runledger that died (unless told otherwise)."""
    folder = in_progress(repo) / run_id
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.25}\n')
    (folder / "output.head.log").write_bytes(b"epoch=1 acc=0.75\nworking...\n")
    journal: dict[str, Any] = {
        "version": 1,
        "id": run_id,
        "host": socket.gethostname(),
        "pid": dead_pid(),
        "pid_start": None,
        "child_pid": None,
        "child_start": None,
        "started_at": time.time() - 10,
        "commit": repo.git("rev-parse", "HEAD").strip(),
        "branch": "main",
        "cwd": ".",
        "final": None,
        "handed_over": False,
        "command": ["python", "train.py", "--lr", "0.1", "--api-key", "***"],
        "name": "lost one",
        "tags": ["nightly"],
        "note": None,
        "params": {"seed": 3},
        "user": "ann",
        "runledger_version": "0.1.0",
    }
    journal.update(facts)
    (folder / "journal.json").write_text(json.dumps(journal))
    return folder


# --- runledger killed -----------------------------------------------------------------------

CHILD = """\
import json, os, sys, time
from pathlib import Path
metrics = os.environ["RUNLEDGER_METRICS_FILE"]
with open(metrics, "a") as f:
    f.write(json.dumps({"step": 1, "acc": 0.5}) + "\\n")
print("step=1 loss=0.75", flush=True)
print("ready", flush=True)
flag = Path(sys.argv[1])
while not flag.exists():
    time.sleep(0.02)
# runledger is gone: its pipe is broken, so the last words go to the metrics file
with open(metrics, "a") as f:
    f.write(json.dumps({"step": 2, "acc": 0.875}) + "\\n")
"""


def test_runledger_killed_while_the_command_runs_is_recorded_as_interrupted(
    repo: Repo, tmp_path: Path
) -> None:
    flag = tmp_path / "finish"
    wrapper = subprocess.Popen(
        [sys.executable, "-m", "runledger", "exec", "--tag", "t1", PY, "-c", CHILD, str(flag)],
        cwd=repo.path,
        env=env_with_src(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def journal() -> dict[str, Any] | None:
        for folder in in_progress(repo).glob("*"):
            head = folder / "output.head.log"
            if head.exists() and b"ready" in head.read_bytes():
                return dict(json.loads((folder / "journal.json").read_text()))
        return None

    wait_for(lambda: journal() is not None, what="the journal to hold the first output")
    facts = journal()
    assert facts is not None and facts["pid"] == wrapper.pid
    wrapper.send_signal(signal.SIGKILL)
    wrapper.wait()

    # The command still runs: nobody records it yet, whatever command comes.
    listed = repo.run("ls", "--json")
    assert json.loads(listed.stdout) == [] and listed.stderr == b""
    assert (in_progress(repo) / facts["id"]).exists()

    flag.touch()
    from runledger.recording.journal import process_alive

    wait_for(lambda: not process_alive(facts["child_pid"], facts["child_start"]), what="child")
    listed = repo.run("ls", "--json")
    short = facts["id"][:10]
    assert listed.stderr.decode() == (
        f"runledger: recovered run {short} as interrupted: "
        "runledger was killed while the command ran\n"
    )
    [run] = json.loads(listed.stdout)
    assert run["id"] == facts["id"] and run["status"] == "interrupted"
    assert run["exit_code"] is None and run["tags"] == ["t1"]
    assert run["metrics"] == {"acc": 0.875, "loss": 0.75}
    assert not (in_progress(repo) / facts["id"]).exists()
    # said once: the next command says nothing
    assert repo.run("ls").stderr == b""
    detail = repo.cli("show", facts["id"], "--json").json()
    assert detail["recovered"]["reason"] == "runledger was killed while the command ran"
    assert detail["series"]["acc"] == [[1, 0.5], [2, 0.875]]
    log = repo.show_bytes(f"refs/runledger/runs/{facts['id']}:output.log")
    assert log == b"step=1 loss=0.75\nready\n"
    assert "recovered" in repo.cli("show", facts["id"]).stdout


def test_a_run_whose_runledger_lives_is_never_recovered(repo: Repo) -> None:
    alive = write_journal(repo, rid(1), pid=os.getpid(), pid_start=process_start(os.getpid()))
    elsewhere = write_journal(repo, rid(2), host="another-machine")
    result = repo.run("ls", "--json")
    assert result.returncode == 0 and result.stderr == b""
    # Listed as running (issue 18), never recorded while their runledger lives.
    listed = json.loads(result.stdout)
    assert {run["id"] for run in listed} == {rid(1), rid(2)}
    assert {run["status"] for run in listed} == {"running"}
    assert repo.run_ids() == []
    assert alive.exists() and elsewhere.exists()


def test_a_reused_pid_does_not_keep_a_dead_runledgers_run_alive(repo: Repo) -> None:
    # The pid is alive (this test process) but started at another moment: another process.
    write_journal(repo, rid(3), pid=os.getpid(), pid_start=1)
    result = repo.run("ls", "--json")
    assert [run["id"] for run in json.loads(result.stdout)] == [rid(3)]


def test_what_a_dead_journal_knew_is_recorded(repo: Repo) -> None:
    write_journal(repo, rid(4))
    result = repo.cli("ls", "--json")
    assert result.stderr == (
        f"runledger: recovered run {rid(4)[:10]} as interrupted: "
        "runledger was killed as the command started\n"
    )
    [run] = result.json()
    assert run["name"] == "lost one" and run["tags"] == ["nightly"]
    assert run["command"] == ["python", "train.py", "--lr", "0.1", "--api-key", "***"]
    assert run["params"] == {"lr": 0.1, "api_key": "***", "seed": 3}
    assert run["metrics"] == {"loss": 0.25, "acc": 0.75}
    assert run["duration_s"] >= 9


def test_a_dead_journals_tracker_runs_are_recovered_as_child_runs(repo: Repo) -> None:
    # The metrics file held an MLflow search (a parent run, two nested runs) as the
    # in-process capture writes it: the recovered run kept only the parent's values and the
    # children were lost.
    folder = write_journal(repo, rid(7))
    lines: list[dict[str, Any]] = [
        {"_runledger": "tracker_run", "tracker_run": "mlflow:1", "at": "2026-01-02T10:00:00Z"},
        {"_runledger": "params", "source": "mlflow", "params": {"model": "ridge"},
         "_tracker_run": "mlflow:1"},
    ]  # fmt: skip
    for number, alpha in ((2, 0.1), (3, 1.0)):
        tag = f"mlflow:{number}"
        lines += [
            {"_runledger": "tracker_run", "tracker_run": tag, "name": f"alpha={alpha}",
             "parent": "abc", "at": "2026-01-02T10:00:01Z"},
            {"_runledger": "params", "source": "mlflow", "params": {"alpha": alpha},
             "_tracker_run": tag},
            {"_runledger": "metrics", "_source": "mlflow", "step": 0, "rmse": alpha,
             "_tracker_run": tag},
            {"_runledger": "tracker_run", "tracker_run": tag, "ended": "2026-01-02T10:00:02Z",
             "exit_code": 0},
        ]  # fmt: skip
    lines.append(
        {"_runledger": "metrics", "_source": "mlflow", "best": 0.1, "_tracker_run": "mlflow:1"}
    )
    with open(folder / "metrics.jsonl", "a") as file:
        file.writelines(json.dumps(line) + "\n" for line in lines)

    result = repo.cli("ls", "--json")
    assert f"recovered run {rid(7)[:10]} as interrupted" in result.stderr
    [run] = [run for run in result.json() if run["parent"] is None]
    assert run["params"] == {"lr": 0.1, "api_key": "***", "seed": 3, "model": "ridge"}
    assert run["metrics"] == {"loss": 0.25, "acc": 0.75, "best": 0.1}
    children = repo.cli("ls", "--children", rid(7), "--json").json()
    shown = sorted(
        (repo.cli("show", child["id"], "--json").json() for child in children),
        key=lambda child: child["trial"]["run"],
    )
    assert [child["name"] for child in shown] == ["alpha=0.1", "alpha=1.0"]
    assert [child["params"]["alpha"] for child in shown] == [0.1, 1.0]
    assert [child["series"]["rmse"] for child in shown] == [[[0, 0.1]], [[0, 1.0]]]
    assert [child["status"] for child in shown] == ["ok", "ok"]


def test_killed_after_the_command_ended_keeps_its_result(repo: Repo) -> None:
    ended = time.time() - 5
    final = {
        "status": "failed",
        "exit_code": 2,
        "signal": None,
        "ended_at": ended,
        "duration_s": 4.5,
    }
    write_journal(repo, rid(5), final=final, child_pid=dead_pid())
    result = repo.cli("ls", "--json")
    assert "as failed: runledger was killed after the command ended" in result.stderr
    [run] = result.json()
    assert (run["status"], run["exit_code"], run["duration_s"]) == ("failed", 2, 4.5)


def test_two_runledgers_recovering_at_once_record_the_run_once(repo: Repo) -> None:
    for index in range(3):
        write_journal(repo, rid(20 + index))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "runledger", "ls", "--json"],
            cwd=repo.path,
            env=env_with_src(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    messages = [line for _, err in outputs for line in err.decode().splitlines()]
    assert len(messages) == 3 and all("recovered run" in line for line in messages), messages
    assert len(repo.run_ids()) == 3
    assert list(in_progress(repo).iterdir()) == []


def test_exec_recovers_before_it_runs(repo: Repo) -> None:
    write_journal(repo, rid(6))
    proc = repo.run("exec", PY, "-c", "pass")
    assert proc.returncode == 0
    assert proc.stderr.decode().startswith(f"runledger: recovered run {rid(6)[:10]} as interrupted")
    assert len(repo.run_ids()) == 2


def test_help_does_not_recover(repo: Repo) -> None:
    folder = write_journal(repo, rid(7))
    assert repo.run("ls", "--help").returncode == 0
    assert folder.exists()
    assert repo.run("ls").returncode == 0
    assert not folder.exists()


def test_unreadable_journals_are_left_until_old_then_removed(repo: Repo) -> None:
    fresh = in_progress(repo) / rid(8)
    old = in_progress(repo) / rid(9)
    for folder in (fresh, old):
        folder.mkdir(parents=True)
        (folder / "journal.json").write_text("{not json")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    result = repo.run("ls", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    assert fresh.exists() and not old.exists()


def test_a_journal_naming_a_commit_that_is_gone_is_reported_and_kept(repo: Repo) -> None:
    folder = write_journal(repo, rid(10), commit="1" * 40)
    result = repo.run("ls", "--json")
    assert result.returncode == 0
    assert result.stderr.decode() == (
        f"runledger: warning: cannot recover the run in {folder}: its code commit "
        f"{'1' * 40} is no longer in the repository\n"
    )
    assert folder.exists()


# --- recording fails ------------------------------------------------------------------------


def test_a_failing_git_keeps_the_exit_code_and_the_run(repo: Repo) -> None:
    # A file where git wants the refs/runledger folder: update-ref fails, even for root.
    repo.git("pack-refs", "--all")
    blocker = repo.path / ".git" / "refs" / "runledger"
    if blocker.exists():
        import shutil

        shutil.rmtree(blocker)
    blocker.write_text("")
    proc = repo.run("exec", PY, "-c", "print('loss=0.5'); raise SystemExit(3)")
    assert proc.returncode == 3
    assert proc.stdout == b"loss=0.5\n"
    [line] = proc.stderr.decode().splitlines()
    [folder] = in_progress(repo).iterdir()
    short = folder.name[:10]
    assert line.startswith(f"runledger: error: run {short} was not recorded: git update-ref failed")
    assert "non-directory in the way" in line
    assert line.endswith(
        f"; it is kept in {folder}, and the next runledger command in this repository records it"
    )
    assert (folder / "record" / "run.toml").exists()
    # still broken: the next command tries, fails, keeps it, and the user's command is unaffected
    listed = repo.run("ls", "--json")
    assert listed.returncode == 0 and folder.exists()
    assert listed.stderr.decode().startswith(
        f"runledger: warning: run {short} is still not recorded: git update-ref failed"
    )
    blocker.unlink()
    listed = repo.run("ls", "--json")
    assert listed.stderr.decode().startswith(
        f"runledger: recovered run {short} as failed: recording failed at first (git update-ref"
    )
    [run] = json.loads(listed.stdout)
    assert (run["status"], run["exit_code"], run["metrics"]) == ("failed", 3, {"loss": 0.5})
    assert repo.show_bytes(f"refs/runledger/runs/{folder.name}:output.log") == b"loss=0.5\n"
    assert not folder.exists()


def exec_on_a_full_disk(
    repo: Repo, code: str, room: int = 256 * 1024
) -> subprocess.CompletedProcess[bytes]:
    """``runledger exec PY -c CODE`` on a disk that is full, as root can meet it: writes of a
    file past ``room`` bytes fail with EFBIG (Python ignores SIGXFSZ). chmod cannot simulate
    it: root writes through permissions."""
    return subprocess.run(
        [sys.executable, "-m", "runledger", "exec", PY, "-c", code],
        cwd=repo.path,
        env=env_with_src(),
        capture_output=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (room, room)),
        timeout=120,
        check=False,
    )


def test_a_full_disk_keeps_the_exit_code_and_what_is_known(repo: Repo) -> None:
    code = (
        "import os\n"
        "print('acc=0.5', flush=True)\n"
        "for _ in range(64): print(os.urandom(8192).hex(), flush=True)\n"
        "raise SystemExit(7)\n"
    )
    proc = exec_on_a_full_disk(repo, code)
    assert proc.returncode == 7
    assert len(proc.stdout) > 1_000_000  # the output passed through whole
    [line] = proc.stderr.decode().splitlines()
    [folder] = in_progress(repo).iterdir()
    assert line.startswith(
        f"runledger: error: run {folder.name[:10]} was not recorded: File too large"
    )
    assert "what is known of it (result, metrics, part of the output) is kept in" in line
    assert repo.run_ids() == []
    listed = repo.run("ls", "--json")
    assert "as failed: recording failed at first (File too large" in listed.stderr.decode()
    [run] = json.loads(listed.stdout)
    assert (run["status"], run["exit_code"], run["metrics"]) == ("failed", 7, {"acc": 0.5})
    log = repo.show_bytes(f"refs/runledger/runs/{folder.name}:output.log")
    assert log.startswith(b"acc=0.5\n") and 0 < len(log) <= 4 * 1024 * 1024 + 100


def test_a_bug_while_recording_keeps_the_exit_code(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runledger.recording import recorder as exec_

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(exec_, "build_run", broken)
    result = repo.cli("exec", PY, "-c", "print('loss=1'); raise SystemExit(4)")
    assert result.exit_code == 4
    assert result.stderr.startswith("runledger: internal error: RuntimeError: boom (details in ")
    monkeypatch.undo()
    # handed over: this very process may record it now
    listed = repo.cli("ls", "--json")
    assert "as failed: recording failed at first (RuntimeError: boom)" in listed.stderr
    [run] = listed.json()
    assert (run["status"], run["exit_code"]) == ("failed", 4)


def test_a_command_that_cannot_start_leaves_no_journal(repo: Repo) -> None:
    repo.write("tool", "not a program\n")
    (repo.path / "tool").chmod(0o755)
    repo.commit_all("tool")
    proc = repo.run("exec", "./tool")
    assert proc.returncode == 127
    assert not in_progress(repo).exists() or list(in_progress(repo).iterdir()) == []


def test_the_journals_copy_of_the_output_is_bounded_masked_and_in_order(tmp_path: Path) -> None:
    from runledger.recording.journal import (
        PENDING_BYTES,
        SEGMENT_BYTES,
        Journal,
        log_segments,
        read_log,
    )
    from runledger.redact import Redactor

    redactor = Redactor({"HF_TOKEN": "hf_secretvalue123"})
    journal = Journal.begin(
        tmp_path / "run", rid(1), commit="0" * 40, branch=None, cwd=".", redactor=redactor, facts={}
    )
    journal.started(os.getpid(), time.time())
    journal.feed(b"first line hf_secretvalue123\n")
    journal.tick()
    line = b"x" * 99 + b"\n"
    for lines_per_tick in [1000] * 100 + [10_000] * 5:  # 10 MB in 100 KB ticks, then floods
        for _ in range(lines_per_tick):
            journal.feed(line)
        assert len(journal._pending) + len(journal._pending_head) <= PENDING_BYTES
        journal.tick()
    journal.feed(b"last line\n")
    journal.finish({"status": "ok"})
    segments = log_segments(journal.folder)
    assert [path.name for path in segments][0] == "output.head.log"
    assert sum(path.stat().st_size for path in segments) <= 3 * SEGMENT_BYTES + PENDING_BYTES
    text = b"".join(read_log(journal.folder))
    assert text.startswith(b"first line ***\n")
    assert text.endswith(b"x" * 99 + b"\nlast line\n")
    assert b"\n[runledger: output omitted here]\n" in text  # segments dropped
    assert b" bytes of output omitted here]\n" in text  # a flood between two ticks
    assert set(text.split(b"\n")) <= {
        b"first line ***",
        b"x" * 99,
        b"last line",
        b"",
        *(line for line in text.split(b"\n") if line.startswith(b"[runledger: ")),
    }


def _tiny_files_only() -> None:
    # git's own small writes (the index) fit; a journal holding an 8 KB note does not.
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_no_room_for_the_journal_refuses_before_starting_the_command(repo: Repo) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "runledger", "exec", "--note", "n" * 8000, PY, "-c", "print('ran')"],
        cwd=repo.path,
        # coverage's measurement of subprocesses could not write its data under the limit
        env={k: v for k, v in env_with_src().items() if not k.startswith("COVERAGE_PROCESS_")},
        capture_output=True,
        preexec_fn=_tiny_files_only,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and proc.stdout == b""
    [line] = proc.stderr.decode().splitlines()
    assert line.startswith(
        f"runledger: error: cannot write the run's journal in {in_progress(repo)}"
    )
    assert "File too large" in line and "so the command was not started" in line
    assert list(in_progress(repo).iterdir()) == []


def test_a_journal_folder_whose_runledger_died_while_making_it_is_removed(repo: Repo) -> None:
    debris = in_progress(repo) / f".new-{rid(1)}-{dead_pid()}"
    making = in_progress(repo) / f".new-{rid(2)}-{os.getpid()}"
    for folder in (debris, making):
        folder.mkdir(parents=True)
        (folder / "metrics.jsonl").touch()
    assert repo.run("ls").returncode == 0
    assert not debris.exists() and making.exists()


def test_writing_the_run_waits_out_one_signal_but_not_two() -> None:
    from runledger.recording.journal import shielded

    before = signal.getsignal(signal.SIGTERM)
    # Aimed at this thread, so each signal is handled before the next is sent; sent to the
    # process, a busy machine may deliver both to another thread at once, and they merge.
    here = threading.main_thread().ident
    assert here is not None
    # A job started with `&` by a non-interactive shell inherits SIGINT ignored; a user's
    # terminal does not, and that is the case under test.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    with shielded():
        signal.pthread_kill(here, signal.SIGTERM)  # a scheduler stopping the job: held
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGTERM) == before
    with pytest.raises(KeyboardInterrupt), shielded():
        signal.pthread_kill(here, signal.SIGINT)
        time.sleep(0.05)
        signal.pthread_kill(here, signal.SIGINT)  # asked twice: stop now
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    signal.signal(signal.SIGINT, inherited)


def test_the_journals_host_is_the_one_recovery_and_ls_compare_with() -> None:
    """The journal names its host without importing socket (exec's start-up path); recovery
    and ``ls`` compare it with ``socket.gethostname()``: the two must agree."""
    from runledger.recording.journal import host_name

    assert host_name() == socket.gethostname()


def test_no_room_for_the_journal_starts_nothing(repo: Repo) -> None:
    """The journal keeps 128 KiB in reserve for a disk that fills while the command runs; a
    disk that cannot hold even that refuses the run before its command starts, in one line,
    and leaves no journal folder for recovery to puzzle over."""
    proc = exec_on_a_full_disk(repo, "open('ran', 'w').close()", room=64 * 1024)
    assert proc.returncode != 0
    # Under coverage its data file meets the limit too, and coverage's exit hook complains
    # after runledger's line: not runledger's output (and this test adds no coverage).
    ours = proc.stderr.decode().split("Exception ignored in atexit callback")[0]
    [line] = ours.splitlines()
    assert line.startswith("runledger: error: cannot write the run's journal in ")
    assert "File too large" in line and "the command was not started" in line
    assert not (repo.path / "ran").exists()
    assert list(in_progress(repo).iterdir()) == [] and repo.run_ids() == []
