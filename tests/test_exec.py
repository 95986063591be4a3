"""runledger exec through the real CLI against real repositories."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Repo

PY = sys.executable


def test_records_a_run_that_looks_bare(repo: Repo) -> None:
    repo.write(
        "train.py", "import sys\nprint('epoch=1 loss=0.5')\nprint('warn', file=sys.stderr)\n"
    )
    repo.commit_all("train")
    before = repo.state()
    proc = repo.run("exec", PY, "train.py", "--lr", "0.01")
    assert proc.returncode == 0
    assert proc.stdout == b"epoch=1 loss=0.5\n"
    assert proc.stderr.startswith(b"warn\n")
    assert b"runledger: recorded run" in proc.stderr
    assert repo.state() == before

    [run] = repo.runs_json()
    assert run["status"] == "ok"
    assert run["exit_code"] == 0
    assert run["commit"] == repo.git("rev-parse", "HEAD").strip()
    assert run["branch"] == "main"
    assert run["command"] == [PY, "train.py", "--lr", "0.01"]
    assert run["params"]["lr"] == 0.01
    assert run["metrics"]["loss"] == 0.5
    assert run["reproduces"] is None
    assert run["tags"] == []
    assert run["started_at"].endswith("Z")
    assert run["duration_s"] >= 0


def test_run_commit_is_child_of_code_commit_and_plain_git_reads_it(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    assert repo.run("exec", PY, "-c", "print('acc=0.9')").returncode == 0
    [run_id] = repo.run_ids()
    ref = f"refs/runledger/runs/{run_id}"
    assert repo.git("rev-parse", f"{ref}^").strip() == head
    toml_text = repo.git("show", f"{ref}:run.toml")
    assert f'id = "{run_id}"' in toml_text
    assert "schema = 1" in toml_text
    assert repo.git("show", f"{ref}:output.log") == "acc=0.9\n"
    assert "[python]" in repo.git("show", f"{ref}:environment.toml")


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda r: r.write("README.md", "changed\n"), "README.md"),
        (lambda r: (r.write("new.py", "x = 1\n"), r.git("add", "new.py")), "new.py"),
        (lambda r: r.write("untracked.txt", "x\n"), "untracked.txt"),
    ],
    ids=["modified", "staged", "untracked"],
)
def test_refuses_a_dirty_tree_naming_the_paths(repo: Repo, setup, expected: str) -> None:
    setup(repo)
    before = repo.state()
    proc = repo.run("exec", PY, "-c", "open('ran', 'w').write('x')")
    assert proc.returncode == 1
    stderr = proc.stderr.decode()
    assert stderr.count("\n") == 1, stderr
    assert expected in stderr
    assert "commit or stash" in stderr and ".gitignore" in stderr
    assert not (repo.path / "ran").exists()
    assert repo.run_ids() == []
    assert repo.state() == before


def test_ignored_files_do_not_make_the_tree_dirty(repo: Repo) -> None:
    repo.write("data/train.csv", "a,b\n")
    repo.write("model.ckpt", "weights")
    assert repo.run("exec", PY, "-c", "pass").returncode == 0
    assert len(repo.run_ids()) == 1


def test_many_dirty_paths_shows_ten_and_a_count(repo: Repo) -> None:
    for index in range(14):
        repo.write(f"f{index:02d}.txt", "x")
    proc = repo.run("exec", PY, "-c", "pass")
    stderr = proc.stderr.decode()
    assert "f09.txt" in stderr and "f10.txt" not in stderr
    assert "and 4 more" in stderr


def test_exit_code_passes_through_and_run_is_failed(repo: Repo) -> None:
    proc = repo.run("exec", PY, "-c", "import sys; print('loss=2'); sys.exit(3)")
    assert proc.returncode == 3
    [run] = repo.runs_json()
    assert run["status"] == "failed"
    assert run["exit_code"] == 3
    assert run["metrics"] == {"loss": 2.0}


def test_missing_program_is_one_clear_line(repo: Repo) -> None:
    proc = repo.run("exec", "no-such-program-xyz", "--flag")
    assert proc.returncode == 127
    assert proc.stderr.decode() == (
        "runledger: error: command not found: no-such-program-xyz (is it installed and on PATH?)\n"
    )
    assert repo.run_ids() == []


def test_no_command_is_a_clear_error(repo: Repo) -> None:
    proc = repo.run("exec")
    assert proc.returncode != 0
    assert "no command given" in proc.stderr.decode() or "Missing argument" in proc.stderr.decode()
    assert b"Traceback" not in proc.stderr


def test_outside_a_repository(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PY, "-m", "runledger", "exec", PY, "-c", "pass"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 1
    stderr = proc.stderr.decode()
    assert stderr.startswith("runledger: error: not a git repository")
    assert "git init" in stderr
    assert stderr.count("\n") == 1


def test_empty_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run(
        [PY, "-m", "runledger", "exec", PY, "-c", "pass"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "no commit yet" in proc.stderr.decode()
    assert b"Traceback" not in proc.stderr


def test_command_gets_run_id_and_metrics_file(repo: Repo) -> None:
    code = (
        "import os, json\n"
        "print('id', os.environ['RUNLEDGER_RUN_ID'])\n"
        "with open(os.environ['RUNLEDGER_METRICS_FILE'], 'a') as f:\n"
        "    f.write(json.dumps({'step': 1, 'auc': 0.8}) + '\\n')\n"
    )
    proc = repo.run("exec", PY, "-c", code)
    assert proc.returncode == 0
    [run_id] = repo.run_ids()
    assert proc.stdout.decode() == f"id {run_id}\n"
    assert not (repo.path / ".git" / "runledger" / "in-progress" / run_id).exists()


def test_options_after_the_command_belong_to_the_command(repo: Repo) -> None:
    proc = repo.run(
        "exec",
        "--name",
        "baseline",
        "--tag",
        "exp",
        PY,
        "-c",
        "import sys; print(sys.argv[1:])",
        "--name",
        "x",
    )
    assert proc.stdout == b"['--name', 'x']\n"
    [run] = repo.runs_json()
    assert run["name"] == "baseline"
    assert run["tags"] == ["exp"]


def test_double_dash_before_the_command(repo: Repo) -> None:
    proc = repo.run("exec", "-p", "seed=7", "--", PY, "-c", "print('ok')")
    assert proc.returncode == 0
    [run] = repo.runs_json()
    assert run["params"]["seed"] == 7


def test_unknown_exec_option_is_one_line(repo: Repo) -> None:
    proc = repo.run("exec", "--bogus", PY, "-c", "pass")
    assert proc.returncode != 0
    assert "--bogus" in proc.stderr.decode()
    assert b"Traceback" not in proc.stderr


def test_five_megabytes_of_output_pass_through_unchanged(repo: Repo) -> None:
    code = (
        "import sys\n"
        "for i in range(50000):\n"
        "    sys.stdout.write('line %06d ' % i + 'x' * 88 + '\\n')\n"
        "sys.stderr.write('progress\\r50%\\r100%\\n')\n"
    )
    proc = repo.run("exec", PY, "-c", code, timeout=120)
    assert proc.returncode == 0
    expected = b"".join(b"line %06d " % i + b"x" * 88 + b"\n" for i in range(50000))
    assert proc.stdout == expected
    assert proc.stderr.startswith(b"progress\r50%\r100%\n")
    [run_id] = repo.run_ids()
    log = repo.show_bytes(f"refs/runledger/runs/{run_id}:output.log")
    assert len(log) < 4.5 * 1024 * 1024
    assert log.startswith(b"line 000000 ")
    assert b"bytes of output omitted here" in log
    assert log.endswith(b"100%\n")


def test_sigterm_reaches_the_command_and_run_is_interrupted(repo: Repo) -> None:
    code = (
        "import signal, sys, time\n"
        "def bye(signum, frame):\n"
        "    print('got', signum, flush=True); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "print('loss=1.5', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [PY, "-m", "runledger", "exec", PY, "-c", code],
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first == b"loss=1.5\n"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert out == b"got 15\n"
    assert proc.returncode == 128 + signal.SIGTERM
    [run] = repo.runs_json()
    assert run["status"] == "interrupted"
    assert run["metrics"]["loss"] == 1.5


def test_sigint_kills_a_command_that_does_not_handle_it(repo: Repo) -> None:
    code = "import time\nprint('started', flush=True)\ntime.sleep(30)\n"
    proc = subprocess.Popen(
        [PY, "-m", "runledger", "exec", PY, "-c", code],
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"started\n"
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert proc.returncode == 128 + signal.SIGINT
    [run] = repo.runs_json()
    assert run["status"] == "interrupted"


def test_command_killed_by_a_signal_gives_128_plus_signal(repo: Repo) -> None:
    proc = repo.run("exec", PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert proc.returncode == 128 + 9
    [run] = repo.runs_json()
    assert run["status"] == "failed"


def test_runs_from_a_subdirectory_record_the_relative_cwd(repo: Repo) -> None:
    sub = repo.path / "src" / "exp"
    sub.mkdir(parents=True)
    (sub / "keep.py").write_text("print('acc=1')\n")
    repo.commit_all("sub")
    proc = repo.run("exec", PY, "keep.py", cwd=sub)
    assert proc.returncode == 0
    result = repo.cli("show", repo.run_ids()[0], "--json")
    assert result.json()["cwd"] == "src/exp"


def test_environment_is_recorded_without_secrets(repo: Repo) -> None:
    proc = repo.run(
        "exec",
        PY,
        "-c",
        "pass",
        env={
            "CUDA_VISIBLE_DEVICES": "0,1",
            "PYTHONHASHSEED": "42",
            "MY_API_TOKEN": "abc123456",
            "RUNLEDGER_FAKE_NVML": "",  # set, naming no file: a machine without a GPU
        },
    )
    assert proc.returncode == 0
    detail = repo.cli("show", repo.run_ids()[0], "--json").json()
    environment = detail["environment"]
    variables = dict(environment["variables"])
    # allow-listed, and set by the test harness or an activated virtualenv (.ci/run)
    for harness in ("PYTHONPATH", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV"):
        variables.pop(harness, None)
    assert variables == {"CUDA_VISIBLE_DEVICES": "0,1", "PYTHONHASHSEED": "42"}
    assert environment["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert "pytest" in {name.lower() for name in environment["packages"]}
    assert environment["cpu"]["count"] == os.cpu_count()
    assert environment["gpus"] == []
    assert "abc123456" not in repo.git("log", "--all", "-p", "--format=%B")


def test_gpus_come_from_nvml(repo: Repo, tmp_path: Path) -> None:
    fake = tmp_path / "gpus.json"
    fake.write_text(
        '[{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559,'
        ' "driver_version": "550.54.15", "cuda_driver_version": "12.4"}]'
    )
    assert (
        repo.run("exec", PY, "-c", "pass", env={"RUNLEDGER_FAKE_NVML": str(fake)}).returncode == 0
    )
    detail = repo.cli("show", repo.run_ids()[0], "--json").json()
    [gpu] = detail["environment"]["gpus"]
    assert gpu["name"] == "NVIDIA H100 80GB HBM3"
    assert gpu["driver_version"] == "550.54.15"
    shown = repo.cli("show", repo.run_ids()[0]).stdout
    assert "NVIDIA H100 80GB HBM3" in shown and "CUDA 12.4" in shown


def test_remote_urls_are_recorded_without_credentials(repo: Repo) -> None:
    repo.git("remote", "add", "origin", "https://alice:s3cr3t-t0ken@example.com/team/proj.git")
    assert repo.run("exec", PY, "-c", "pass").returncode == 0
    detail = repo.cli("show", repo.run_ids()[0], "--json").json()
    assert detail["git"]["remotes"] == {"origin": "https://example.com/team/proj.git"}


def test_exec_through_clirunner_records_too(repo: Repo) -> None:
    result = repo.cli("exec", PY, "-c", "print('f1=0.75')")
    assert result.exit_code == 0
    assert "f1=0.75" in result.stdout
    assert repo.runs_json()[0]["metrics"] == {"f1": 0.75}


def test_pty_when_stdout_is_a_terminal(repo: Repo) -> None:
    """On a terminal the command sees a terminal and its bytes pass through unchanged."""
    import pty

    code = "import sys; print(sys.stdout.isatty(), sys.stderr.isatty()); print('a\\r\\nb')"
    pid, master = pty.fork()
    if pid == 0:  # child: runledger with its stdout and stderr on the pty
        os.chdir(repo.path)
        os.execv(PY, [PY, "-m", "runledger", "exec", PY, "-c", code])
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    output = b"".join(chunks)
    assert os.waitstatus_to_exitcode(status) == 0
    # the outer pty translates "\n" to "\r\n"; the inner one must not add a second "\r"
    assert output.startswith(b"True True\r\na\r\r\nb\r\n"), output
    [run_id] = repo.run_ids()
    log = repo.show_bytes(f"refs/runledger/runs/{run_id}:output.log")
    assert log == b"True True\na\r\nb\n"


def test_exec_help_lists_every_option_the_fast_parser_knows(repo: Repo) -> None:
    from runledger.cli.exec_args import VALUE_OPTIONS

    proc = repo.run("exec", "--help")
    assert proc.returncode == 0
    help_text = proc.stdout.decode()
    for option in VALUE_OPTIONS:
        assert option in help_text, option


def test_exec_without_a_repository_change_leaves_no_in_progress_state(repo: Repo) -> None:
    assert repo.run("exec", PY, "-c", "pass").returncode == 0
    in_progress = repo.path / ".git" / "runledger" / "in-progress"
    assert not in_progress.exists() or list(in_progress.iterdir()) == []


def test_a_line_with_a_number_no_int_holds_ends_neither_the_program_nor_the_run(
    repo: Repo, tmp_path: Path
) -> None:
    """'epoch <5,000 digits> loss=0.5' made the step's int() raise (Python's 4,300-digit
    limit) in the thread that passes the output through: runledger died mid-run, the
    program lost its output pipe and was killed, and the run was recovered as interrupted."""
    after = tmp_path / "after.txt"
    repo.write(
        "train.py",
        "import sys, time\n"
        "print('epoch ' + '9' * 5000 + ' loss=0.5', flush=True)\n"
        "time.sleep(0.5)\n"
        "print('epoch 2 loss=0.25', flush=True)\n"
        "open(sys.argv[1], 'w').write('done')\n",
    )
    repo.commit_all("train")

    proc = repo.run("exec", PY, "train.py", str(after))

    assert proc.returncode == 0, proc.stderr
    assert after.read_text() == "done"  # the program ran to its end
    assert proc.stdout.count(b"\n") == 2 and proc.stdout.endswith(b"epoch 2 loss=0.25\n")
    [run] = repo.runs_json()
    assert run["status"] == "ok" and run["metrics"] == {"loss": 0.25}


def test_long_lines_of_blanks_or_bests_are_read_in_linear_time(repo: Repo) -> None:
    """Reading a line's metrics held up its pass-through: a dash splitter read each run of
    blanks again from every blank (40,000 blanks: ~50 s) and a 'best ... at epoch N' pattern
    went back over every 'best' for each number after it (56 KB: ~26 s), and a step head's
    optional parts split a run of blanks every way ('Step [1/2]' and 40,000 blanks: ~25 s)."""
    repo.write(
        "train.py",
        "print('loss: 0.5 x' + ' ' * 40000 + 'y')\n"
        "print('loss: 0.5 best 1 ' + 'best 1 ' * 8000 + ' at x')\n"
        "print('Step [1/2]' + ' ' * 40000 + 'x')\n"
        "print('epoch 3 acc=0.75')\n",
    )
    repo.commit_all("train")

    started = time.monotonic()
    proc = repo.run("exec", PY, "train.py", timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 20
    [run] = repo.runs_json()
    assert run["metrics"]["acc"] == 0.75
