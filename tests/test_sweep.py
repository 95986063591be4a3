"""``runledger sweep`` with real Optuna: every trial a ``runledger exec`` child run.

Real git repositories, real subprocesses (Ctrl-C is a real SIGINT to the process group),
real Optuna storages (the default journal file, a shared SQLite file).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from runledger.analysis.sweep import parse_space, recorded_flags, trial_command
from runledger.errors import UserError
from tests.conftest import Repo
from tests.team import clone, fsck, make_remote

pytest.importorskip("optuna")

# A deterministic "training": the loss is a known function of its params.
TRAIN = textwrap.dedent(
    """
    import argparse, sys, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float, required=True)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--fail-above", type=float, default=None)
    args = parser.parse_args()
    if args.fail_above is not None and args.x > args.fail_above:
        sys.exit("diverged")
    for step in range(3):
        time.sleep(args.sleep / 3)
        print(f"step={step} loss={(args.x + 0.3) ** 2 + args.depth / 100 + (2 - step) * 0.5}")
    """
)


def _loss(params: dict[str, Any]) -> float:
    return float((params["x"] + 0.3) ** 2 + params.get("depth", 1) / 100)


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write("train.py", TRAIN)
    repo.commit_all("train")
    return repo


def _family(repo: Repo, sweep: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(parents, children) of ``sweep``."""
    runs = [run for run in repo.runs_json() if run["sweep"] == sweep]
    return (
        [run for run in runs if run["parent"] is None],
        [run for run in runs if run["parent"] is not None],
    )


def _sweep_id(stderr: bytes) -> str:
    for line in stderr.decode().splitlines():
        if line.startswith("runledger: sweep "):
            return line.split()[2].rstrip(":")
    raise AssertionError(stderr.decode())


def _swept(repo: Repo, *args: str) -> tuple[Any, str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``runledger sweep ARGS`` to its end: (the process, sweep id, parents, children)."""
    proc = repo.run("sweep", *args, timeout=600)
    assert proc.returncode == 0, proc.stderr
    sweep = _sweep_id(proc.stderr)
    return (proc, sweep, *_family(repo, sweep))


# --- the search ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_sweep_of_20_trials_records_20_children_and_a_parent_with_the_best(
    project: Repo,
) -> None:
    proc, sweep, parents, children = _swept(
        project, "-s", "x=uniform(0,1)", "-s", "depth=int(1,4)", "--metric", "loss",
        "--trials", "20", "--sampler", "random", "--seed", "3",
        "--", sys.executable, "train.py", "--x", "{x}",
    )  # fmt: skip
    assert len(children) == 20 and len(parents) == 1
    parent = parents[0]
    assert parent["id"] == sweep
    assert {child["parent"] for child in children} == {sweep}
    for child in children:
        assert child["status"] == "ok"
        # {x} was replaced; depth, named nowhere in the command, was appended as --depth=N
        assert f"--depth={child['params']['depth']}" in child["command"]
        assert child["metrics"]["loss"] == pytest.approx(_loss(child["params"]))
    best = min(children, key=lambda child: child["metrics"]["loss"])
    assert parent["metrics"]["loss"] == pytest.approx(best["metrics"]["loss"])
    assert parent["metrics"]["trials"] == 20
    assert parent["params"]["x"] == pytest.approx(best["params"]["x"])
    out = proc.stdout.decode()
    assert "best trials" in out and f"runledger compare --sweep {sweep}" in out
    # the children: one environment blob for all (the same interpreter, captured alike)
    blobs = {
        project.git("rev-parse", f"refs/runledger/runs/{child['id']}:environment.toml").strip()
        for child in children
    }
    assert len(blobs) == 1
    # compare / importance / plot take the sweep (or its parent run)
    compared = project.cli("compare", "--sweep", sweep[:8], "--format", "json").json()
    assert len(compared["rows"]) == 20
    importance = project.cli("importance", "loss", "--sweep", sweep, "--json")
    assert importance.exit_code == 0, importance.stderr
    names = [item["param"] for item in importance.json()["scores"]]
    assert names[0] == "x"
    plotted = project.cli("plot", "loss", "--sweep", sweep, "--top", "3")
    assert plotted.exit_code == 0, plotted.stderr


def test_jobs_2_runs_trials_side_by_side(project: Repo) -> None:
    proc = project.run(
        "sweep", "-s", "x=0.1,0.2,0.3,0.4", "--metric", "loss", "--jobs", "2",
        "--", sys.executable, "train.py", "--x", "{x}", "--sleep", "1.5",
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    _, children = _family(project, _sweep_id(proc.stderr))
    assert sorted(child["params"]["x"] for child in children) == [0.1, 0.2, 0.3, 0.4]
    spans = sorted((_moment(child["started_at"]), _moment(child["ended_at"])) for child in children)
    overlapping = sum(1 for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1])
    assert overlapping >= 1


SAVE = textwrap.dedent(
    """
    import argparse, os, time, joblib
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=int, required=True)
    args = parser.parse_args()
    os.makedirs("out", exist_ok=True)
    time.sleep(2)  # both trials have started when either saves
    joblib.dump({"x": args.x}, f"out/model-{args.x}.joblib")
    time.sleep(3)  # and both have saved when either ends
    print(f"loss={args.x}")
    """
)


def test_side_by_side_trials_each_record_only_the_model_their_process_saved(repo: Repo) -> None:
    pytest.importorskip("joblib")
    repo.write("save.py", SAVE)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("save")
    proc = repo.run(
        "sweep", "-s", "x=1,2", "--metric", "loss", "--jobs", "2",
        "--", sys.executable, "save.py", "--x", "{x}",
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    _, children = _family(repo, _sweep_id(proc.stderr))
    spans = sorted((_moment(child["started_at"]), _moment(child["ended_at"])) for child in children)
    assert spans[1][0] < spans[0][1]  # side by side, each walking after the other saved
    for child in children:
        shown = repo.cli("show", child["id"], "--json")
        assert shown.exit_code == 0, shown.stderr
        paths = [record["path"] for record in shown.json()["artifacts"]]
        # before: both trials recorded both models, found by the walk of the shared tree
        assert paths == [f"out/model-{child['params']['x']}.joblib"], paths
    assert not list((repo.path / ".git" / "runledger").glob("sweep-claims/*"))


def _moment(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_failing_trial_is_a_failed_run_and_the_search_goes_on(project: Repo) -> None:
    proc, sweep, parents, children = _swept(
        project, "-s", "x=0.1,0.5,0.9", "--metric", "loss",
        "--", sys.executable, "train.py", "--x", "{x}", "--fail-above", "0.7",
    )  # fmt: skip
    by_x = {child["params"]["x"]: child for child in children}
    assert by_x[0.9]["status"] == "failed"
    assert by_x[0.1]["status"] == by_x[0.5]["status"] == "ok"
    assert b"trial 2 failed" in proc.stderr and b"(diverged)" in proc.stderr
    assert parents[0]["metrics"]["trials"] == 3
    assert parents[0]["metrics"]["loss"] == pytest.approx(_loss({"x": 0.1}))


FLAX_MAIN = textwrap.dedent(
    """
    from absl import app, flags
    from ml_collections import config_flags

    config_flags.DEFINE_config_file("config")

    def main(argv):
        config = flags.FLAGS.config
        print(f"loss={(config.learning_rate - 0.3) ** 2}")

    app.run(main)
    """
)
FLAX_CONFIG = textwrap.dedent(
    """
    import ml_collections

    def get_config():
        config = ml_collections.ConfigDict()
        config.learning_rate = 0.1
        return config
    """
)


def test_a_space_of_an_ml_collections_config_field_is_passed_as_its_config_flag(
    repo: Repo,
) -> None:
    # Flax's examples: `main.py --config=configs/default.py`; the field is recorded as
    # `learning_rate` but absl knows it only as --config.learning_rate.
    pytest.importorskip("ml_collections")
    repo.write("main.py", FLAX_MAIN)
    repo.write("configs/default.py", FLAX_CONFIG)
    repo.commit_all("flax")
    command = [sys.executable, "main.py", "--config=configs/default.py"]
    assert repo.run("exec", *command).returncode == 0
    [run] = repo.runs_json()
    assert run["params"]["learning_rate"] == 0.1  # the name a user sweeps

    proc, sweep, parents, children = _swept(
        repo, "-s", "learning_rate=0.2,0.4", "--metric", "loss", "--", *command
    )

    assert sorted(child["status"] for child in children) == ["ok", "ok"]
    assert sorted(child["params"]["learning_rate"] for child in children) == [0.2, 0.4]
    assert "--config.learning_rate=0.2" in " ".join(children[0]["command"] + children[1]["command"])


def test_recorded_flags_name_the_config_file_flag_of_the_recorded_command() -> None:
    sources = {"learning_rate": "ml_collections", "model.depth": "ml_collections", "x": "absl"}
    command = ["python", "main.py", "--cfg", "configs/big.py:large", "--workdir=/tmp/w"]
    names = ["learning_rate", "model.depth", "x", "cfg.batch_size"]
    assert recorded_flags(names, sources, command) == {
        "learning_rate": "cfg.learning_rate", "model.depth": "cfg.model.depth"
    }  # fmt: skip
    flags = recorded_flags(["learning_rate"], sources, ["python", "main.py"])
    assert trial_command(["python", "main.py"], {"learning_rate": 0.5}, "flags", flags) == [
        "python", "main.py", "--config.learning_rate=0.5"
    ]  # fmt: skip


def test_a_sweep_where_no_trial_recorded_the_metric_exits_1(project: Repo) -> None:
    proc = project.run(
        "sweep", "-s", "x=0.8,0.9", "--metric", "loss",
        "--", sys.executable, "train.py", "--x", "{x}", "--fail-above", "0.5",
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.decode().rstrip().endswith("runledger: error: no trial recorded loss")
    parents, children = _family(project, _sweep_id(proc.stderr))
    assert [child["status"] for child in children] == ["failed", "failed"]
    assert parents[0]["metrics"] == {"trials": 2}


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resume_finishes_the_sweep(project: Repo) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    sweep_proc = subprocess.Popen(
        [sys.executable, "-m", "runledger", "sweep", "-s", "x=uniform(0,1)", "--metric", "loss",
         "--trials", "4", "--seed", "1", "--",
         sys.executable, "train.py", "--x", "{x}", "--sleep", "3"],
        cwd=project.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
        # as on a terminal: a job started with `&` by a script inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    in_progress = project.path / ".git" / "runledger" / "in-progress"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the first trial recorded, the second one running
        if project.run_ids() and in_progress.is_dir() and any(in_progress.iterdir()):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(sweep_proc.pid, signal.SIGINT)  # Ctrl-C on a terminal: the whole group
    out, err = sweep_proc.communicate(timeout=120)
    assert sweep_proc.returncode == 130, err
    sweep = _sweep_id(err)
    parents, children = _family(project, sweep)
    assert [parent["status"] for parent in parents] == ["interrupted"]
    assert {child["status"] for child in children} == {"ok", "interrupted"}, err
    done = sum(1 for child in children if child["status"] == "ok")
    assert f"runledger sweep --resume {sweep}".encode() in out

    resumed = project.run("sweep", "--resume", sweep[:8], timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    parents, children = _family(project, sweep)
    assert len(parents) == 2
    ok = [child for child in children if child["status"] == "ok"]
    assert len(ok) == 4, (done, [c["status"] for c in children])
    assert max(parent["metrics"]["trials"] for parent in parents) == 4


@pytest.mark.slow
def test_two_clones_share_one_sqlite_storage_and_push_pull_join_the_sweep(
    tmp_path: Path,
) -> None:
    remote = make_remote(tmp_path)
    alice, bob = clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob")
    alice.write("train.py", TRAIN)
    alice.commit_all("train")
    alice.git("push", "-q", "origin", "HEAD:main")
    bob.git("pull", "-q", "origin", "main")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    first = subprocess.Popen(
        [sys.executable, "-m", "runledger", "sweep", "-s", "x=uniform(0,1)", "--metric", "loss",
         "--trials", "6", "--storage", storage, "--", sys.executable, "train.py", "--x", "{x}",
         "--sleep", "1"],
        cwd=alice.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert first.stderr is not None
    header = first.stderr.readline()
    sweep = _sweep_id(header)
    joined = bob.run("sweep", "--join", sweep, "--storage", storage, timeout=600)
    rest = first.communicate(timeout=600)
    assert first.returncode == 0, rest[1]
    assert joined.returncode == 0, joined.stderr

    _, alice_children = _family(alice, sweep)
    _, bob_children = _family(bob, sweep)
    assert len(alice_children) + len(bob_children) == 6
    assert bob_children, "the joined worker ran no trial"
    assert alice.cli("push").exit_code == 0
    assert bob.cli("push").exit_code == 0
    assert alice.cli("pull").exit_code == 0
    parents, children = _family(alice, sweep)
    assert len(children) == 6 and len(parents) == 2
    compared = alice.cli("compare", "--sweep", sweep, "--format", "json").json()
    assert len(compared["rows"]) == 6
    for path in (alice.path, bob.path, remote):
        fsck(path)


# --- what a user can get wrong ------------------------------------------------------------------


def test_a_dirty_tree_is_refused_once_before_any_trial(project: Repo) -> None:
    project.write("train.py", TRAIN + "# edited\n")
    proc = project.run(
        "sweep", "-s", "x=0.1,0.2", "--metric", "loss", "--", sys.executable, "train.py"
    )
    assert proc.returncode == 1
    assert proc.stderr.decode().count("uncommitted changes") == 1
    assert project.run_ids() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "lr=gauss(1,2)", "--metric", "loss", "--", "true"], "unknown space gauss()"),
        (["-s", "lr=loguniform(0,1)", "--metric", "loss", "--", "true"], "bounds above 0"),
        (["-s", "lr=uniform(1)", "--metric", "loss", "--", "true"], "takes two bounds"),
        (["-s", "lr=0.1", "--", "true"], "--metric NAME is needed"),
        (["--metric", "loss", "--", "true"], "at least one search space"),
        (["-s", "lr=uniform(0,1)", "--sampler", "grid", "--metric", "m", "--", "true"], "grid"),
        (["-s", "lr=0.1", "--metric", "m", "--sampler", "annealing", "--", "true"], "--sampler"),
        (["--resume", "nosuchsweep"], "no sweep"),
        (["--join", "abcd1234"], "--join needs --storage"),
    ],
)
def test_bad_input_is_one_line(project: Repo, args: list[str], message: str) -> None:
    result = project.cli("sweep", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_optuna_the_error_names_the_extra(project: Repo, tmp_path: Path) -> None:
    blocker = tmp_path / "no_optuna"
    blocker.mkdir()
    (blocker / "optuna.py").write_text("raise ImportError('No module named optuna')\n")
    env = {"PYTHONPATH": f"{blocker}{os.pathsep}{Path(__file__).resolve().parents[1]}"}
    proc = project.run("sweep", "-s", "x=0.1", "--metric", "loss", "--", "true", env=env)
    assert proc.returncode == 1
    assert b"pip install 'runledger[sweep]'" in proc.stderr
    assert b"Traceback" not in proc.stderr


# --- spaces and commands ------------------------------------------------------------------------


def test_spaces_parse() -> None:
    assert parse_space("lr=loguniform(1e-5,1e-1)").kind == "loguniform"
    assert parse_space("n=intlog(1, 1024)").high == 1024
    assert parse_space("bs=choice(16,32,64)").choices == (16, 32, 64)
    assert parse_space("opt=choice(adam,'sgd')").choices == ("adam", "sgd")
    assert parse_space("lr=0.1,0.01").choices == (0.1, 0.01)
    with pytest.raises(UserError):
        parse_space("lr")


def test_trial_command_replaces_and_appends() -> None:
    values = {"lr": 0.01, "bs": 32, "model": "mlp"}
    argv = trial_command(["python", "t.py", "--lr", "{lr}", "--out=run-{bs}"], values)
    assert argv == ["python", "t.py", "--lr", "0.01", "--out=run-32", "--model=mlp"]
    hydra = trial_command(["python", "app.py"], {"optimizer.lr": 0.1}, "hydra")
    assert hydra == ["python", "app.py", "optimizer.lr=0.1"]


@pytest.mark.slow
def test_prune_stops_unpromising_trials_on_their_intermediate_values(project: Repo) -> None:
    project.write(
        "slow.py",
        textwrap.dedent(
            """
            import sys, time
            x = float(sys.argv[1])
            for step in range(6):
                print(f"step={step} loss={x * (10 - step)}", flush=True)
                time.sleep(0.4)
            """
        ),
    )
    project.commit_all("slow")
    proc = project.run(
        "sweep", "-s", "x=uniform(0,1)", "--metric", "loss", "--trials", "10", "--prune",
        "--sampler", "random", "--seed", "0", "--", sys.executable, "slow.py", "{x}",
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sweep = _sweep_id(proc.stderr)
    parents, children = _family(project, sweep)
    pruned = [child for child in children if child["status"] == "interrupted"]
    assert pruned, proc.stderr
    assert b"pruned" in proc.stderr
    for child in pruned:
        shown = project.cli("show", child["id"], "--json").json()
        assert shown["trial"]["number"] >= 3  # the first trials are never pruned
        assert len(shown["series"]["loss"]) < 6
    assert parents[0]["metrics"]["trials"] == 10


def test_objective_max_reads_the_largest_value_of_each_trials_series(project: Repo) -> None:
    # train.py's loss falls by 0.5 a step: the last value is the lowest, the first the highest.
    proc, sweep, parents, children = _swept(
        project, "-s", "x=uniform(0,1)", "--metric", "loss", "--objective", "max",
        "--trials", "3", "--sampler", "random", "--seed", "1",
        "--", sys.executable, "train.py", "--x", "{x}",
    )  # fmt: skip
    assert len(children) == 3
    for child in children:
        assert child["metrics"]["loss"] == pytest.approx(_loss(child["params"]))
    # each trial's objective is its step-0 value (last + 1.0); the parent keeps the best of them
    objectives = [_loss(child["params"]) + 1.0 for child in children]
    assert parents[0]["metrics"]["loss"] == pytest.approx(min(objectives))
    assert parents[0]["metrics"]["loss"] != pytest.approx(min(_loss(c["params"]) for c in children))


def test_cmaes_without_its_package_is_one_line(project: Repo) -> None:
    pytest.importorskip("optuna")
    if __import__("importlib").util.find_spec("cmaes") is not None:
        pytest.skip("cmaes is installed here")
    proc = project.run(
        "sweep", "-s", "x=uniform(0,1)", "--metric", "loss", "--sampler", "cmaes",
        "--trials", "2", "--", sys.executable, "train.py", "--x", "{x}",
    )  # fmt: skip
    assert proc.returncode != 0
    err = proc.stderr.decode().strip().splitlines()
    assert err == ["runledger: error: --sampler cmaes needs the cmaes package: pip install cmaes"]
    assert not project.runs_json()


def test_report_of_a_sweep_covers_its_children_and_not_the_parent(
    project: Repo, tmp_path: Path
) -> None:
    proc, sweep, parents, children = _swept(
        project, "-s", "x=uniform(0,1)", "--metric", "loss", "--trials", "3",
        "--sampler", "random", "--seed", "1", "--", sys.executable, "train.py", "--x", "{x}",
    )  # fmt: skip
    page = tmp_path / "sweep.html"
    report = project.run("report", "--sweep", sweep[:8], "-o", str(page))
    assert report.returncode == 0, report.stderr
    assert "(3 runs about loss" in report.stderr.decode()
    html = page.read_text()
    for child in children:
        assert child["id"] in html
    assert parents[0]["id"] not in html


def test_group_by_over_a_sweep_groups_only_its_children(project: Repo) -> None:
    outside = project.run("exec", sys.executable, "train.py", "--x", "0.5", timeout=600)
    assert outside.returncode == 0, outside.stderr
    proc = project.run(
        "sweep", "-s", "x=0.1,0.2,0.3", "--metric", "loss", "--sampler", "grid",
        "--", sys.executable, "train.py", "--x", "{x}",
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sweep = _sweep_id(proc.stderr)
    grouped = project.run(
        "compare", "--sweep", sweep[:8], "--group-by", "status", "--format", "json"
    )
    assert grouped.returncode == 0, grouped.stderr
    groups = json.loads(grouped.stdout)["groups"]
    assert [group["count"] for group in groups] == [3]  # the trials: not the parent, nor x=0.5


def test_workers_sharing_a_study_that_ask_at_once_run_only_the_budget() -> None:
    # Two workers joined on one storage each saw 5 of 6 trials counted and asked: the
    # study then held 7, and the sweep ran 7 trials for --trials 6.
    optuna = pytest.importorskip("optuna")
    from runledger.analysis.search import SURPLUS, counted_trials, over_budget

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    asked = [study.ask() for _ in range(7)]  # 5 finished or running, then two at once
    assert [over_budget(study, trial.number, 6) for trial in asked] == [False] * 6 + [True]

    asked[6].set_user_attr(SURPLUS, True)
    study.tell(asked[6], state=optuna.trial.TrialState.FAIL)
    assert counted_trials(study) == 6

    # a trial interrupted by Ctrl-C gives its place back: the next one asked runs
    asked[2].set_user_attr("interrupted", True)
    study.tell(asked[2], state=optuna.trial.TrialState.FAIL)
    assert not over_budget(study, study.ask().number, 6)
