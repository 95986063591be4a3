"""runledger reproduce RUN, end to end in temporary repositories.

Every case checks what the user must find afterwards: their HEAD, branches, index and files
as they were, no work tree left registered or on disk, and nothing half-recorded.
"""

from __future__ import annotations

import json
import os
import platform
import pty
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.recording.capture.environment import capture_environment
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import BuiltOnce, Repo, Result

PY = sys.executable
TRAIN = """\
import sys
numbers = open("data/train.csv").read().split()
print(f"acc={sum(map(float, numbers)) / 10} loss=0.25")
"""


def exec_(repo: Repo, *args: str, cwd: Path | None = None) -> str:
    """Run exec in-process; the new run's id."""
    before = set(repo.run_ids())
    result = repo.cli("exec", *args, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    [run_id] = set(repo.run_ids()) - before
    return run_id


def reproduce(repo: Repo, run_id: str, *args: str) -> Result:
    before = repo.state()
    result = repo.cli("reproduce", run_id, *args)
    assert repo.state() == before, "reproduce changed the user's repository"
    assert_cleaned_up(repo)
    return result


def assert_cleaned_up(repo: Repo) -> None:
    """One work tree (the user's), no reproduction folder, no run left in progress."""
    listed = repo.git("worktree", "list", "--porcelain")
    assert listed.count("worktree ") == 1, listed
    for leftover in ("worktrees", "in-progress"):
        folder = repo.path / ".git" / "runledger" / leftover
        assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())
    assert not (repo.path / ".git" / "worktrees").exists() or not any(
        (repo.path / ".git" / "worktrees").iterdir()
    )


def verdict_row(result: Result, metric: str) -> list[str]:
    """The cells of the verdict table's row for ``metric``."""
    return next(line.split() for line in result.stdout.splitlines() if line.split()[:1] == [metric])


def run_json(repo: Repo, run_id: str) -> dict[str, Any]:
    result = repo.cli("show", run_id, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = result.json()
    return data


def new_runs(repo: Repo, before: set[str]) -> list[dict[str, Any]]:
    return [run_json(repo, run_id) for run_id in sorted(set(repo.run_ids()) - before)]


def _train(repo: Repo) -> str:
    repo.write("train.py", TRAIN)
    repo.commit_all("train")
    repo.write("data/train.csv", "1 2 3\n")
    return exec_(repo, "--input", "data", PY, "train.py")


@pytest.fixture
def trained(built_once: BuiltOnce) -> tuple[Repo, str]:
    """A run of train.py over the ignored data/ folder, declared as its input (recorded once,
    copied for each test)."""
    repo, run_id = built_once(_train)
    return repo, str(run_id)


# --- the plain case ---------------------------------------------------------------------------


def test_reproduces_the_recorded_code_after_head_moved_on(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    recorded_commit = run_json(repo, original)["commit"]
    repo.write("train.py", "print('acc=0.99 loss=0.01')\n")
    repo.commit_all("better model")
    before = set(repo.run_ids())

    result = reproduce(repo, original, "--yes")

    assert result.exit_code == 0, result.stderr
    assert "REPRODUCED: all 2 metrics matched exactly" in result.stdout
    assert verdict_row(result, "acc") == ["acc", "0.6", "0.6", "0", "0%", "exact", "✓"]
    assert verdict_row(result, "loss") == ["loss", "0.25", "0.25", "0", "0%", "exact", "✓"]
    [new] = new_runs(repo, before)
    assert new["reproduces"] == original
    assert new["commit"] == recorded_commit
    assert new["metrics"] == {"acc": 0.6, "loss": 0.25}
    assert new["reproduction"]["verdict"] == "reproduced"
    assert new["reproduction"]["mismatched"] == []
    assert new["reproduction"]["tolerance"] == {"acc": 0.0, "loss": 0.0}
    assert new["cwd"] == "."
    assert f"a reproduction of {original[:10]}" in result.stderr


def test_the_plan_names_command_commit_directory_and_checks(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    commit = run_json(repo, original)["commit"]
    result = reproduce(repo, original, "--yes")
    plan = result.stderr
    assert f"reproduce run {original}" in plan
    assert f'command    ["{PY}", "train.py"]' in plan
    assert f"program    {PY}" in plan
    assert f"commit     {commit}  (recorded on branch main)" in plan
    assert "directory  .  (in " in plan
    assert "data/ linked from your work tree (git does not track it)" in plan
    assert "inputs        1 file as recorded" in plan
    assert "environment   Python" in plan


def test_an_ignored_input_folder_is_linked_and_left_intact(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    before = set(repo.run_ids())
    assert reproduce(repo, original, "--yes").exit_code == 0
    [new] = new_runs(repo, before)
    first = run_json(repo, original)
    assert first["inputs"] == [
        {
            "path": "data/train.csv",
            "size": 6,
            "sha256": first["inputs"][0]["sha256"],
            "kind": "file",
        }
    ]
    # The re-run read the very same file, under the same path: the same input digest.
    assert new["inputs"] == [*first["inputs"]]
    assert new["inputs_digest"] == first["inputs_digest"]
    assert new["input_paths"] == ["data"]
    # Removing the work tree never follows the link into the user's data.
    assert (repo.path / "data" / "train.csv").read_text() == "1 2 3\n"


def test_a_file_added_to_an_input_folder_is_drift(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    repo.write("data/more/extra.txt", "the re-run would read it too")
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 1
    assert "the inputs differ from the recorded ones: data/more/extra.txt (new)" in result.stderr


def test_runs_in_the_recorded_directory_with_the_recorded_params(repo: Repo) -> None:
    repo.write("src/train.py", "import os; print('depth=' + str(len(os.getcwd().split('/'))))\n")
    repo.write("src/conf.txt", "x")
    repo.commit_all("src")
    original = exec_(
        repo, "-p", "lr=0.01", "-p", "model.depth=3", PY, "train.py", cwd=repo.path / "src"
    )
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes")
    # The work tree is elsewhere, so the depth of the directory differs: the run did run in
    # src/ (train.py is only there) and its metric honestly differs.
    assert result.exit_code == 1, result.stderr
    [new] = new_runs(repo, before)
    assert new["cwd"] == "src"
    assert new["params"] == run_json(repo, original)["params"]
    assert new["params"]["lr"] == 0.01 and new["params"]["model"] == {"depth": 3}


def test_recorded_environment_variables_are_set_again(repo: Repo) -> None:
    repo.write("seeded.py", "import os; print('seed=' + os.environ.get('SEED', '-1'))\n")
    repo.commit_all("seeded")
    assert repo.run("exec", PY, "seeded.py", env={"SEED": "7"}).returncode == 0
    [original] = repo.run_ids()
    assert "SEED" not in os.environ
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 0, result.stderr
    assert 'SEED="7"' in result.stderr  # the plan says it will be set
    assert "seed=7" in result.stdout


def test_an_allow_listed_variable_the_original_did_not_have_is_unset(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("seeded.py", "import os; print('seed=' + os.environ.get('SEED', '-1'))\n")
    repo.commit_all("seeded")
    original = exec_(repo, PY, "seeded.py")
    monkeypatch.setenv("SEED", "5")
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 0, result.stdout
    assert "unsets     SEED  (not set in the original run)" in result.stderr
    assert "seed=-1" in result.stdout


# --- inputs -----------------------------------------------------------------------------------


def test_a_changed_input_stops_before_running(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    repo.write("data/train.csv", "4 5 6\n")
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "runledger: error: the inputs differ from the recorded ones: data/train.csv (changed); "
        "restore them, or pass --allow-input-drift to reproduce anyway"
    )
    assert "acc=" not in result.stdout  # nothing ran
    assert set(repo.run_ids()) == before


def test_a_missing_input_stops_before_running(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    (repo.path / "data" / "train.csv").unlink()
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 1
    assert "the inputs differ from the recorded ones: data/train.csv (missing)" in result.stderr


def test_allow_input_drift_runs_and_notes_it_in_the_new_run(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    repo.write("data/train.csv", "4 5 6\n")
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes", "--allow-input-drift")
    assert result.exit_code == 1  # acc follows the data: 1.5, not 0.6
    assert "NOT REPRODUCED: acc differs by 150% (exact)" in result.stdout
    assert "the inputs differed from the original's (--allow-input-drift)" in result.stdout
    [new] = new_runs(repo, before)
    assert new["reproduction"]["verdict"] == "not-reproduced"
    assert new["reproduction"]["mismatched"] == ["acc"]
    assert new["reproduction"]["input_drift"] == ["data/train.csv (changed)"]
    assert new["inputs"][0]["sha256"] != run_json(repo, original)["inputs"][0]["sha256"]
    shown = repo.cli("show", new["id"]).stdout
    assert "input drift: data/train.csv (changed)" in shown


def test_a_tracked_input_is_read_at_the_recorded_commit(repo: Repo) -> None:
    repo.write("config.txt", "0.5")
    repo.write("train.py", "print('acc=' + open('config.txt').read())\n")
    repo.commit_all("config")
    original = exec_(repo, "--input", "config.txt", PY, "train.py")
    repo.write("config.txt", "0.9")
    repo.commit_all("new config")
    edited = repo.write("config.txt", "0.7")  # uncommitted: neither is what the run read
    # An edit as old as the index makes every `git status` (repo.state() too) rewrite the
    # index; one older than it does not.
    os.utime(edited, (edited.stat().st_mtime - 10, edited.stat().st_mtime - 10))
    repo.git("status")
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "inputs        1 file as recorded" in result.stderr
    assert "acc=0.5" in result.stdout


def test_a_partly_tracked_input_folder_links_only_the_untracked_files(repo: Repo) -> None:
    repo.write("assets/labels.txt", "cat dog")
    repo.write("train.py", "print('acc=' + str(len(open('assets/model.ckpt').read())))\n")
    repo.commit_all("assets")
    repo.write("assets/model.ckpt", "weights")  # *.ckpt is ignored
    original = exec_(repo, "--input", "assets", PY, "train.py")
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "assets/model.ckpt linked from your work tree (git does not track it)" in result.stderr
    [new] = new_runs(repo, before)
    first = run_json(repo, original)
    assert [record["path"] for record in new["inputs"]] == [
        "assets/labels.txt",
        "assets/model.ckpt",
    ]
    assert new["inputs"] == first["inputs"]
    assert new["inputs_digest"] == first["inputs_digest"]
    assert (repo.path / "assets" / "model.ckpt").read_text() == "weights"


def test_an_input_outside_the_repository_is_checked_where_it_is(repo: Repo, tmp_path: Path) -> None:
    shared = tmp_path / "shared.csv"
    shared.write_text("1 2")
    repo.write("train.py", f"print('acc=' + str(len(open({str(shared)!r}).read())))\n")
    repo.commit_all("train")
    original = exec_(repo, "--input", str(shared), PY, "train.py")
    assert reproduce(repo, original, "--yes").exit_code == 0
    shared.write_text("1 2 3")
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 1
    assert f"the inputs differ from the recorded ones: {shared.as_posix()} (changed)" in (
        result.stderr
    )


def test_an_output_outside_the_work_tree_is_a_warning(repo: Repo, tmp_path: Path) -> None:
    model = tmp_path / "models" / "prod.bin"
    model.parent.mkdir()
    repo.write("train.py", f"open({str(model)!r}, 'w').write('w'); print('acc=1')\n")
    repo.commit_all("train")
    original = exec_(repo, "--output", str(model), PY, "train.py")
    result = reproduce(repo, original)  # refused off a terminal: the plan is what matters
    assert f"{model.as_posix()} is outside the work tree: the re-run writes there" in (
        result.stderr
    )


# --- the commit -------------------------------------------------------------------------------


def test_a_missing_commit_says_to_fetch(repo: Repo, tmp_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "experiment")
    repo.write("train.py", "print('acc=0.5')\n")
    repo.commit_all("experiment")
    original = exec_(repo, PY, "train.py")
    repo.git("checkout", "-q", "main")
    # A teammate's shallow clone: the run came with the ledger, its code commit did not.
    clone = Repo(tmp_path / "clone")
    url = (repo.path.resolve()).as_uri()
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "-b", "main", url, str(clone.path)],
        check=True,
        capture_output=True,
    )
    clone.git(
        "fetch", "-q", "--depth", "1", "origin", "refs/runledger/runs/*:refs/runledger/runs/*"
    )
    commit = run_json(repo, original)["commit"]
    assert clone.git("cat-file", "-t", commit, check=False) == ""

    before = clone.state()
    result = clone.cli("reproduce", original, "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        f"runledger: error: run {original[:10]} ran on commit {commit[:12]}, which is not in "
        "this repository: fetch it with 'runledger pull' (or 'git fetch'), then try again\n"
    )
    assert clone.state() == before
    assert_cleaned_up(clone)


# --- the environment --------------------------------------------------------------------------


def synthetic_run(repo: Repo, run_id: str, environment: dict[str, Any]) -> None:
    """A run recorded on another machine: train.py printed acc=0.5 there."""
    repo.write("train.py", "print('acc=0.5')\n")
    commit = repo.commit_all("train")
    run = Run(
        id=run_id,
        status="ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:00:01.000Z",
        duration_s=1.0,
        command=(PY, "train.py"),
        git=GitInfo(commit=commit, branch="main"),
        exit_code=0,
        metrics={"acc": MetricSummary(last=0.5, min=0.5, max=0.5)},
        environment=environment,
    )
    Ledger(rgit.discover(repo.path)).write(run, "Other <o@example.com>", 1_700_000_000)


def this_environment() -> dict[str, Any]:
    environment = capture_environment(PY, os.environ, {}, None)
    environment["variables"] = {}
    return environment


def test_package_and_python_drift_is_a_warning(repo: Repo) -> None:
    environment = this_environment()
    real_pytest = environment["packages"]["pytest"]
    environment["packages"]["pytest"] = "0.0.1"
    environment["packages"]["left-over-package"] = "1.0"
    environment["python"]["version"] = "3.0.1"
    synthetic_run(repo, "0000000000dr0ft1", environment)
    result = reproduce(repo, "0000000000dr0ft1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "environment   3 differences: " in result.stderr
    assert f"Python 3.0.1 -> {platform.python_version()}" in result.stderr
    assert f"pytest 0.0.1 -> {real_pytest}" in result.stderr
    assert "left-over-package 1.0 (not installed here)" in result.stderr
    assert "REPRODUCED" in result.stdout
    assert "the environment differed (3 differences)" in result.stdout
    new = run_json(repo, [i for i in repo.run_ids() if i != "0000000000dr0ft1"][0])
    assert new["reproduction"]["environment_drift"] == [
        f"Python 3.0.1 -> {platform.python_version()}",
        "2 other differences (packages): left-over-package 1.0 (not installed here), "
        f"pytest 0.0.1 -> {real_pytest}",
    ]


def test_strict_stops_on_package_drift_before_running(repo: Repo) -> None:
    environment = this_environment()
    environment["packages"]["pytest"] = "0.0.1"
    synthetic_run(repo, "0000000000dr0ft2", environment)
    result = reproduce(repo, "0000000000dr0ft2", "--yes", "--strict")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "runledger: error: the environment differs from the recorded one (--strict): pytest 0.0.1"
    )
    assert result.stdout == ""
    assert repo.run_ids() == ["0000000000dr0ft2"]


def test_gpu_model_driver_and_cuda_drift(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded_gpu = {
        "index": 0,
        "name": "NVIDIA A100",
        "uuid": "GPU-1",
        "memory_total_mib": 1,
        "driver_version": "535.1",
        "cuda_driver_version": "12.2",
    }
    fake = tmp_path / "nvml.json"
    fake.write_text(
        json.dumps(
            [
                recorded_gpu
                | {
                    "name": "NVIDIA H100",
                    "uuid": "GPU-2",
                    "driver_version": "550.2",
                    "cuda_driver_version": "12.4",
                }
            ]
        )
    )
    monkeypatch.setenv("RUNLEDGER_FAKE_NVML", str(fake))
    environment = this_environment()
    environment["gpus"] = [recorded_gpu]
    synthetic_run(repo, "0000000000dr0ft3", environment)
    result = reproduce(repo, "0000000000dr0ft3", "--yes", "--strict")
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    for drift in (
        "GPU 0 NVIDIA A100 -> NVIDIA H100",
        "GPU 0 driver 535.1 -> 550.2",
        "GPU 0 CUDA 12.2 -> 12.4",
    ):
        assert drift in last


def test_no_drift_when_the_environment_is_the_same(repo: Repo) -> None:
    synthetic_run(repo, "00000000005ame01", this_environment())
    result = reproduce(repo, "00000000005ame01", "--yes", "--strict")
    assert result.exit_code == 0, result.stderr
    assert "packages, no GPU: as recorded" in result.stderr


# --- the verdict ------------------------------------------------------------------------------

NOISY = "import random; print(f'acc={0.5 + random.random() * 1e-6} loss=0.25')\n"


def test_a_nondeterministic_run_is_not_reproduced(repo: Repo) -> None:
    repo.write("noisy.py", NOISY)
    repo.commit_all("noisy")
    original = exec_(repo, PY, "noisy.py")
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 1
    assert verdict_row(result, "acc")[-2:] == ["exact", "✗"]
    assert verdict_row(result, "loss")[1:] == ["0.25", "0.25", "0", "0%", "exact", "✓"]
    assert "NOT REPRODUCED: acc differs by " in result.stdout
    [new] = new_runs(repo, before)
    assert new["reproduction"]["verdict"] == "not-reproduced"
    assert new["reproduction"]["mismatched"] == ["acc"]


@pytest.mark.parametrize(
    "tolerance",
    [["--tolerance", "acc=0.001"], ["--tolerance", "1%"], ["-t", "0.01", "-t", "loss=0"]],
)
def test_a_tolerance_accepts_small_differences(repo: Repo, tolerance: list[str]) -> None:
    repo.write("noisy.py", NOISY)
    repo.commit_all("noisy")
    original = exec_(repo, PY, "noisy.py")
    result = reproduce(repo, original, "--yes", *tolerance)
    assert result.exit_code == 0, result.stdout
    assert "REPRODUCED: all 2 metrics matched within tolerance" in result.stdout


def test_the_tolerance_from_runledger_toml(repo: Repo) -> None:
    repo.write("noisy.py", NOISY)
    repo.commit_all("noisy")
    original = exec_(repo, PY, "noisy.py")
    repo.write(".runledger.toml", '[reproduce]\ntolerance = { "*" = 0, acc = 0.001 }\n')
    repo.commit_all("tolerance")
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 0, result.stdout
    [new] = new_runs(repo, before)
    assert new["reproduction"]["tolerance"] == {"acc": 0.001, "loss": 0.0}
    # The command line takes precedence over the config.
    assert reproduce(repo, original, "--yes", "--tolerance", "acc=0").exit_code == 1


def test_a_bad_tolerance_is_refused_before_any_work(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    result = reproduce(repo, original, "--yes", "--tolerance", "acc=lots")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: --tolerance 'acc=lots': expected a relative tolerance >= 0 such as "
        "0.01 (1%), or METRIC=0.01 for one metric\n"
    )


def test_a_failing_rerun_exits_with_its_own_code(repo: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "license-server-up"
    marker.touch()
    repo.write(
        "train.py",
        f"import os, sys; print('acc=1'); sys.exit(0 if os.path.exists({str(marker)!r}) else 4)\n",
    )
    repo.commit_all("train")
    original = exec_(repo, PY, "train.py")
    marker.unlink()
    before = set(repo.run_ids())
    result = reproduce(repo, original, "--yes")
    assert result.exit_code == 4
    assert result.stdout.splitlines()[-1].startswith(
        "NOT REPRODUCED: the re-run failed with exit code 4  [run "
    )
    [new] = new_runs(repo, before)
    assert new["status"] == "failed"
    assert new["reproduction"]["verdict"] == "failed"


def test_a_missing_program_is_refused_with_127(repo: Repo) -> None:
    run_id = "00000000000cmd01"
    commit = repo.git("rev-parse", "HEAD").strip()
    run = Run(
        id=run_id,
        status="ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:00:00.000Z",
        duration_s=1.0,
        command=("/nowhere/bin/python9", "train.py"),
        git=GitInfo(commit=commit),
    )
    Ledger(rgit.discover(repo.path)).write(run, "Other <o@example.com>", 1_700_000_000)
    result = reproduce(repo, run_id, "--yes")
    assert result.exit_code == 127
    assert result.stderr.splitlines()[-1] == (
        "runledger: error: the recorded command's program '/nowhere/bin/python9' is not found "
        "on this machine (is it installed and on PATH?)"
    )


# --- confirmation -----------------------------------------------------------------------------

MARK_RUN = "open('ran-it', 'w').write('yes'); print('acc=1')\n"


def marked(repo: Repo, tmp_path: Path) -> str:
    repo.write("mark.py", MARK_RUN.replace("ran-it", str(tmp_path / "ran-it")))
    repo.commit_all("mark")
    run_id = exec_(repo, PY, "mark.py")
    (tmp_path / "ran-it").unlink()
    return run_id


def test_without_yes_off_a_terminal_nothing_runs(repo: Repo, tmp_path: Path) -> None:
    original = marked(repo, tmp_path)
    result = reproduce(repo, original)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "runledger: error: not running a command from the ledger unconfirmed: stdin is not a "
        "terminal; review the plan above and pass --yes to run it"
    )
    assert f'command    ["{PY}", "mark.py"]' in result.stderr  # but the plan was shown
    assert not (tmp_path / "ran-it").exists()
    assert repo.run_ids() == [original]


def run_on_a_terminal(repo: Repo, args: list[str], answer: bytes) -> tuple[int, str]:
    """reproduce with a terminal as stdin; type ``answer`` once the question is asked."""
    controller, terminal = pty.openpty()
    proc = popen_runledger(repo, "reproduce", *args, stdin=terminal)
    os.close(terminal)
    try:
        assert proc.stderr is not None
        seen = b""
        while b"Run it?" not in seen:
            chunk = proc.stderr.read1(4096)
            assert chunk, seen.decode()
            seen += chunk
        os.write(controller, answer)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(controller)
    return proc.returncode, (seen + err).decode()


def test_on_a_terminal_it_asks_and_a_no_runs_nothing(repo: Repo, tmp_path: Path) -> None:
    original = marked(repo, tmp_path)
    before = repo.state()
    code, stderr = run_on_a_terminal(repo, [original], b"n\n")
    assert code == 1
    assert "runledger: reproduction cancelled; nothing was run" in stderr
    assert not (tmp_path / "ran-it").exists()
    assert repo.state() == before
    assert_cleaned_up(repo)


def test_on_a_terminal_a_yes_runs_it(repo: Repo, tmp_path: Path) -> None:
    original = marked(repo, tmp_path)
    code, stderr = run_on_a_terminal(repo, [original], b"y\n")
    assert code == 0, stderr
    assert (tmp_path / "ran-it").exists()
    assert_cleaned_up(repo)


# --- interruption -----------------------------------------------------------------------------

SLOW = "import time; print('started', flush=True); time.sleep(60); print('acc=1')\n"


def popen_runledger(repo: Repo, *args: str, stdin: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.Popen(
        [PY, "-m", "runledger", *args],
        cwd=repo.path,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_rerun_cleans_up(repo: Repo, signum: int) -> None:
    repo.write("slow.py", SLOW)
    commit = repo.commit_all("slow")
    # Recorded elsewhere (a real run would take the minute this one sleeps).
    slow_run = "00000000005z0w01"
    run = Run(
        id=slow_run,
        status="ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:01:00.000Z",
        duration_s=60.0,
        command=(PY, "slow.py"),
        git=GitInfo(commit=commit),
        exit_code=0,
        metrics={"acc": MetricSummary(1.0, 1.0, 1.0)},
    )
    Ledger(rgit.discover(repo.path)).write(run, "Other <o@example.com>", 1_700_000_000)
    before_state = repo.state()
    proc = popen_runledger(repo, "reproduce", slow_run, "--yes", stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"started\n"
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 2
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err.decode()
    assert b"acc=1" not in out
    assert b"NOT REPRODUCED: the re-run was interrupted" in out
    assert repo.state() == before_state
    assert_cleaned_up(repo)
    # The interrupted re-run is recorded whole, as exec records any interrupted run.
    [new] = new_runs(repo, {slow_run})
    assert new["status"] == "interrupted"
    assert new["reproduces"] == slow_run
    assert new["reproduction"]["verdict"] == "interrupted"


def test_sigterm_at_the_question_removes_the_work_tree(repo: Repo, tmp_path: Path) -> None:
    original = marked(repo, tmp_path)
    before = repo.state()
    controller, terminal = pty.openpty()
    proc = popen_runledger(repo, "reproduce", original, stdin=terminal)
    os.close(terminal)
    try:
        assert proc.stderr is not None
        seen = b""
        while b"Run it?" not in seen:
            chunk = proc.stderr.read1(4096)
            assert chunk, seen.decode()
            seen += chunk
        # The work tree exists while the question waits.
        assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 2
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(controller)
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert b"runledger: reproduction interrupted" in err
    assert repo.run_ids() == [original]
    assert not (tmp_path / "ran-it").exists()
    assert repo.state() == before
    assert_cleaned_up(repo)


# --- keep -------------------------------------------------------------------------------------


def test_keep_keeps_the_work_tree_and_its_outputs(repo: Repo) -> None:
    repo.write("train.py", "open('model.ckpt', 'w').write('weights'); print('acc=1')\n")
    repo.commit_all("train")
    original = exec_(repo, "--output", "model.ckpt", PY, "train.py")
    (repo.path / "model.ckpt").unlink()
    before = repo.state()
    result = repo.cli("reproduce", original, "--yes", "--keep")
    assert result.exit_code == 0, result.stderr
    assert repo.state() == before
    line = result.stderr.splitlines()[-1]
    assert line.startswith("runledger: kept the work tree at ")
    kept = Path(line.removeprefix("runledger: kept the work tree at "))
    assert (kept / "model.ckpt").read_text() == "weights"
    assert str(kept) in repo.git("worktree", "list")
    assert not (repo.path / "model.ckpt").exists()
    repo.git("worktree", "remove", "--force", str(kept))


# --- ls and show ------------------------------------------------------------------------------


def test_ls_and_show_make_reproductions_visible(repo: Repo) -> None:
    repo.write("noisy.py", NOISY)
    repo.commit_all("noisy")
    original = exec_(repo, PY, "noisy.py")
    assert reproduce(repo, original, "--yes").exit_code == 1
    assert reproduce(repo, original, "--yes", "--tolerance", "0.01").exit_code == 0
    runs = {run["id"]: run for run in repo.runs_json()}
    verdicts = [item["verdict"] for item in runs[original]["reproduced_by"]]
    assert verdicts == ["not-reproduced", "reproduced"]
    assert runs[original]["reproduces"] is None

    listing = repo.cli("ls").stdout
    row = next(line for line in listing.splitlines() if line.lstrip().startswith(original[:10]))
    assert "1✗ 1✓" in row
    for item in runs[original]["reproduced_by"]:
        row = next(line for line in listing.splitlines() if item["id"][:10] in line)
        mark = "✓" if item["verdict"] == "reproduced" else "✗"
        assert f"↻ {original[:10]} {mark}" in row

    shown = repo.cli("show", original).stdout
    assert "reproductions (2: 1 not-reproduced, 1 reproduced)" in shown
    assert run_json(repo, original)["reproduced_by"] == runs[original]["reproduced_by"]
    repro = runs[original]["reproduced_by"][0]["id"]
    assert "reproduction  ✗ not-reproduced  (differs: acc)" in repo.cli("show", repro).stdout


def test_ls_has_no_reproduction_column_without_reproductions(trained: tuple[Repo, str]) -> None:
    repo, _ = trained
    assert "reproduced" not in repo.cli("ls").stdout


def test_unknown_run(repo: Repo) -> None:
    result = reproduce(repo, "zzzz", "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: no run matches 'zzzz': see 'runledger ls' for run ids\n"
    )


def test_help_documents_every_option(repo: Repo) -> None:
    result = repo.cli("reproduce", "--help")
    assert result.exit_code == 0
    for option in ("--yes", "--tolerance", "--strict", "--allow-input-drift", "--keep"):
        assert option in result.stdout


def test_the_production_model_is_reproduced_by_its_tag(trained: tuple[Repo, str]) -> None:
    repo, original = trained
    assert repo.cli("tag", original, "production").exit_code == 0
    before = set(repo.run_ids())
    result = reproduce(repo, "production", "--yes")
    assert result.exit_code == 0, result.stderr
    [new] = new_runs(repo, before)
    assert new["reproduces"] == original
    assert "production" not in new["tags"]  # the tag stays on the original
