"""Child runs: an in-process Optuna study and a Hydra multirun under ``runledger exec``.

Real Optuna and real Hydra (the ``test`` extra), real git repositories, the real CLI.
"""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import Repo

# What the in-process capture's Optuna hook writes (recording/children.py documents the line);
# until that hook is on every path, the study writes the same lines itself.
STUDY = textwrap.dedent(
    """
    import json, os, sys
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    PATH = os.environ["RUNLEDGER_METRICS_FILE"]

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        if trial.number == 3:
            raise ValueError("bad trial")
        for step in range(3):
            trial.report((x - 2) ** 2 + 3 - step, step)
        return (x - 2) ** 2

    def write(study, trial):
        line = {
            "_runledger": "trial", "number": trial.number, "params": trial.params,
            "value": trial.value, "values": trial.values, "state": trial.state.name,
            "intermediate": {str(k): v for k, v in trial.intermediate_values.items()},
            "datetime_start": trial.datetime_start.isoformat(),
            "datetime_complete": trial.datetime_complete.isoformat(),
        }
        with open(PATH, "a") as out:
            out.write(json.dumps(line) + "\\n")

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=30, callbacks=[write], catch=(ValueError,))
    print("best", study.best_value)
    """
)


def _by_id(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {run["id"]: run for run in runs}


def test_in_process_optuna_study_of_30_trials_becomes_30_children(repo: Repo) -> None:
    pytest.importorskip("optuna")
    repo.write("study.py", STUDY)
    repo.commit_all("study")
    proc = repo.run("exec", sys.executable, "study.py", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert b"with 30 child runs" in proc.stderr

    runs = repo.runs_json()
    parents = [run for run in runs if run["parent"] is None]
    assert len(parents) == 1
    parent = parents[0]
    children = [run for run in runs if run["parent"] == parent["id"]]
    assert len(children) == 30
    assert parent["sweep"] == parent["id"]
    assert {child["sweep"] for child in children} == {parent["id"]}
    assert {child["commit"] for child in children} == {parent["commit"]}
    failed = [child for child in children if child["status"] == "failed"]
    assert [child["name"] for child in failed] == ["trial 3"]
    assert all(set(child["params"]) == {"x"} for child in children)
    ok = [child for child in children if child["status"] == "ok"]
    assert len(ok) == 29
    for child in ok:
        assert child["metrics"]["value"] == pytest.approx((child["params"]["x"] - 2) ** 2)
    # the parent holds the study's result, as a `runledger sweep` parent does: the best value
    # (a minimized objective) and the trial and child run that reached it
    best = min(ok, key=lambda child: child["metrics"]["value"])
    assert parent["metrics"]["value"] == best["metrics"]["value"]
    shown_parent = repo.cli("show", parent["id"], "--json").json()
    assert shown_parent["trial"]["role"] == "study"
    assert shown_parent["trial"]["direction"] == "minimize"
    assert shown_parent["trial"]["best_run"] == best["id"]
    assert shown_parent["trial"]["trials"] == 30
    assert f"run {best['id'][:8]}" in repo.cli("show", parent["id"]).stdout

    # show: the intermediate values are the child's series, its trial table is kept
    shown = repo.cli("show", ok[0]["id"], "--json").json()
    assert [point[0] for point in shown["series"]["value"]] == [0, 1, 2]
    assert shown["trial"]["state"] == "COMPLETE"
    assert shown["parent"] == parent["id"]
    # the environment is shared by reference: every child's tree holds the parent's blob
    blob = repo.git("rev-parse", f"refs/runledger/runs/{parent['id']}:environment.toml").strip()
    for child in children[:5]:
        assert (
            repo.git("rev-parse", f"refs/runledger/runs/{child['id']}:environment.toml").strip()
            == blob
        )
    assert shown["environment"] == repo.cli("show", parent["id"], "--json").json()["environment"]

    # plain ls folds the children into their parent's row; --children and --where list them
    table = repo.cli("ls").stdout
    assert "+30 children" in table
    assert "trial 7" not in table
    listed = repo.cli("ls", "--children", parent["id"][:10], "--json").json()
    assert len(listed) == 30
    where = repo.cli("ls", "--where", f"parent == '{parent['id']}'", "--json").json()
    assert _by_id(where).keys() == _by_id(children).keys()
    swept = repo.cli("ls", "--sweep", parent["id"], "--json").json()
    assert len(swept) == 30


def test_children_are_written_in_one_ref_transaction(repo: Repo) -> None:
    pytest.importorskip("optuna")
    repo.write("study.py", STUDY)
    repo.commit_all("study")
    repo.git("config", "core.logAllRefUpdates", "always")
    proc = repo.run("exec", sys.executable, "study.py", timeout=120)
    assert proc.returncode == 0, proc.stderr
    # one reflog entry per ref, all with the same time: a single update-ref transaction
    stamps = {
        line.split("\t")[0].rsplit(" ", 2)[-2]
        for ref in repo.run_ids()
        for line in (repo.path / ".git" / "logs" / "refs" / "runledger" / "runs" / ref)
        .read_text()
        .splitlines()
    }
    assert len(repo.run_ids()) == 31
    assert len(stamps) == 1


def test_a_run_without_trials_has_no_family(repo: Repo) -> None:
    proc = repo.run("exec", sys.executable, "-c", "print('loss=0.5')")
    assert proc.returncode == 0, proc.stderr
    (run,) = repo.runs_json()
    assert run["parent"] is None and run["sweep"] is None
    assert "child" not in repo.cli("ls").stdout


HYDRA_APP = textwrap.dedent(
    """
    import hydra
    from omegaconf import DictConfig

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg: DictConfig) -> None:
        print(f"loss={cfg.lr * cfg.model.depth}")

    if __name__ == "__main__":
        main()
    """
)


def test_hydra_multirun_of_4_jobs_becomes_4_children(repo: Repo) -> None:
    pytest.importorskip("hydra")
    repo.write("app.py", HYDRA_APP)
    repo.write("conf/config.yaml", "lr: 0.1\nmodel:\n  depth: 2\n  name: mlp\n")
    repo.write(".gitignore", "multirun/\noutputs/\n")
    repo.commit_all("hydra app")
    proc = repo.run(
        "exec", sys.executable, "app.py", "-m", "lr=0.1,0.01", "model.depth=2,4", timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    runs = repo.runs_json()
    parent = next(run for run in runs if run["parent"] is None)
    children = [run for run in runs if run["parent"] == parent["id"]]
    assert len(children) == 4
    composed = sorted((c["params"]["lr"], c["params"]["model"]["depth"]) for c in children)
    assert composed == [(0.01, 2), (0.01, 4), (0.1, 2), (0.1, 4)]
    assert all(child["params"]["model"]["name"] == "mlp" for child in children)
    shown = repo.cli("show", children[0]["id"], "--json").json()
    assert any(item.startswith("lr=") for item in shown["trial"]["overrides"])


def test_parent_sweep_and_trial_round_trip_through_run_toml() -> None:
    from runledger.model.record import RUN_FILE, GitInfo, Run

    run = Run(
        id="6gj0000000aaaaaa",
        status="interrupted",
        started_at="2026-01-01T00:00:00.000Z",
        ended_at="2026-01-01T00:00:01.000Z",
        duration_s=1.0,
        command=("python", "t.py"),
        git=GitInfo(commit="0" * 40),
        parent="6gj0000000bbbbbb",
        sweep="6gj0000000bbbbbb",
        trial={"number": 7, "state": "PRUNED"},
    )
    back = Run.from_run_toml(run.to_files()[RUN_FILE])
    assert (back.parent, back.sweep, back.trial) == (run.parent, run.sweep, run.trial)
    assert back.summary_json()["parent"] == "6gj0000000bbbbbb"
    plain = Run.from_run_toml(
        replace(run, parent=None, sweep=None, trial=None).to_files()[RUN_FILE]
    )
    assert plain.summary_json()["parent"] is None and plain.summary_json()["sweep"] is None
    assert "parent" not in plain.run_toml()  # absent, not written as a null marker


def test_trial_lines_map_states_and_keep_the_last_report() -> None:
    from runledger.recording.children import specs_from_trial_lines

    lines = [
        {"_runledger": "trial", "number": 1, "params": {"x": 1}, "value": None,
         "state": "PRUNED", "intermediate": {"0": 5.0, "1": 4.0}},
        {"_runledger": "trial", "number": 0, "params": {"x": 0}, "value": 2.0,
         "state": "RUNNING"},
        {"_runledger": "trial", "number": 0, "params": {"x": 0}, "value": 1.5,
         "state": "COMPLETE", "datetime_start": "2026-01-01T10:00:00",
         "datetime_complete": "2026-01-01T10:00:02"},
        {"_runledger": "trial", "number": 2, "params": {}, "values": [0.1, 0.2],
         "state": "COMPLETE"},
        {"_runledger": "other", "number": 3},
    ]  # fmt: skip
    specs = specs_from_trial_lines(lines)
    assert [spec.trial for spec in specs] == [
        {"state": "COMPLETE", "number": 0},
        {"state": "PRUNED", "number": 1},
        {"state": "COMPLETE", "number": 2},
    ]
    assert [spec.status for spec in specs] == ["ok", "interrupted", "ok"]
    assert specs[0].final == {"value": 1.5}
    assert specs[1].series == {"value": [(0.0, 5.0), (1.0, 4.0)]} and specs[1].final == {}
    assert specs[2].final == {"value_0": 0.1, "value_1": 0.2}


def test_record_children_adds_children_to_a_recorded_run(repo: Repo) -> None:
    from runledger.recording.children import ChildSpec, record_children
    from runledger.store import git as rgit
    from runledger.store.ledger import Ledger

    proc = repo.run("exec", sys.executable, "-c", "print('loss=0.5')")
    assert proc.returncode == 0, proc.stderr
    (parent_id,) = repo.run_ids()
    store = rgit.discover(repo.path)
    parent = Ledger(store).read(parent_id)
    specs = [
        ChildSpec(params={"fold": fold}, series={"loss": [(0, 1.0), (1, 0.5 + fold)]})
        for fold in range(3)
    ]
    children = record_children(parent, specs, repo=store)
    listed = repo.cli("ls", "--children", parent_id, "--json").json()
    assert sorted(run["params"]["fold"] for run in listed) == [0, 1, 2]
    assert {run["id"] for run in listed} == {child.id for child in children}
    assert {run["metrics"]["loss"] for run in listed} == {0.5, 1.5, 2.5}
    blob = repo.git("rev-parse", f"refs/runledger/runs/{parent_id}:environment.toml").strip()
    for child in children:
        ref = f"refs/runledger/runs/{child.id}:environment.toml"
        assert repo.git("rev-parse", ref).strip() == blob
