"""wandb and MLflow calls of a real program, recorded by ``runledger exec`` with no change to it.

The trackers run offline (``WANDB_MODE=offline`` or ``disabled``, a file store for MLflow): no
network. Each program also checks, with the tracker's own API, that the tracker saw what it sees
bare (its steps, its stored params and metrics): runledger only observes the calls.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

SECRET = "sk-live-0123456789abcdef0123456789abcdef"


def wandb_env(repo: Repo, mode: str) -> dict[str, str]:
    return {
        "WANDB_MODE": mode,
        "WANDB_SILENT": "true",
        "WANDB_DIR": str(repo.path),
        "WANDB_DISABLE_CODE": "true",
    }


def mlflow_env(repo: Repo) -> dict[str, str]:
    return {
        "MLFLOW_TRACKING_URI": (repo.path / "mlruns").as_uri(),
        "MLFLOW_ALLOW_FILE_STORE": "true",  # MLflow 3.7+ asks for a database otherwise
    }


def ignore(repo: Repo, *names: str) -> None:
    repo.write(".gitignore", "".join(f"{name}\n" for name in names))
    repo.commit_all("ignore")


WANDB_PROGRAM = """\
import argparse
import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--api-key", default=None)
args = parser.parse_args()

run = wandb.init(project="demo", config=args)
wandb.config.update({"batch_size": 4, "model": {"depth": 3}})
wandb.config.epochs = 2
run.config.setdefaults({"warmup": 5, "lr": 99})
for step in range(3):
    loss = 1.0 / (step + 1)
    print(f"step {step}: train loss {loss:.4f}")
    wandb.log({"train/loss": loss, "val": {"acc": 0.5 + step / 10}, "sizes": [1, 2]})
wandb.log({"grad_norm": 2.0}, commit=False)  # joins the next step
wandb.log({"lr_now": 0.05})
wandb.log({"late": 0.25}, step=10)
wandb.summary["test_acc"] = 0.875
run.summary["train/loss"] = 0.01  # a logged name: its series says it all
# the tracker saw what it sees bare
assert run.step == 10, run.step  # step=10 waits for its commit
assert dict(run.config)["lr"] == 0.1 and dict(run.config)["batch_size"] == 4
run.finish()
"""


@needs("wandb")
def test_wandb_offline_config_log_steps_and_summary(repo: Repo) -> None:
    program(repo, WANDB_PROGRAM)
    ignore(repo, "wandb/")

    proc, run = exec_run(
        repo, sys.executable, "train.py", "--api-key", SECRET, env=wandb_env(repo, "offline")
    )

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    assert run["params"] == {
        "lr": 0.1,
        "api_key": "***",  # masked, as every param source is
        "batch_size": 4,
        "model": {"depth": 3},
        "epochs": 2,
        "warmup": 5,
    }
    assert run["param_sources"]["batch_size"] == "wandb"
    assert run["param_sources"]["model.depth"] == "wandb"
    # wandb's own step: one per log() without step=, commit=False joins the next one
    assert series(run, "train/loss") == [[0, 1.0], [1, 0.5], [2, 1 / 3]]
    assert series(run, "val.acc") == [[0, 0.5], [1, 0.6], [2, 0.7]]  # as wandb's charts name it
    assert series(run, "grad_norm") == [[3, 2.0]]
    assert series(run, "lr_now") == [[3, 0.05]]
    assert series(run, "late") == [[10, 0.25]]
    assert series(run, "test_acc") == [[0, 0.875]]
    # "train loss" printed and train/loss logged are one series; a list is not a metric
    names = {"train/loss", "val.acc", "grad_norm", "lr_now", "late", "test_acc"}
    assert set(run["series"]) == names
    assert SECRET not in repo.cli("show", run["id"], "--json").stdout
    # wandb wrote its offline run as bare
    assert list((repo.path / "wandb").glob("offline-run-*/run-*.wandb"))


def family(repo: Repo) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The newest top-level run (``show --json``) and its children, in the order they ran."""
    top = next(run for run in repo.runs_json() if run["parent"] is None)
    children = repo.cli("ls", "--children", top["id"], "--json").json()
    shown = [repo.cli("show", child["id"], "--json").json() for child in children]
    shown.sort(key=lambda child: child["trial"]["run"])
    return repo.cli("show", top["id"], "--json").json(), shown


WANDB_FOLDS_PROGRAM = """\
import argparse
import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--folds", type=int, default=3)
args = parser.parse_args()

for fold in range(args.folds):  # k-fold cross-validation: one wandb run per fold
    run = wandb.init(project="cv", name=f"fold-{fold}", config={"lr": 0.1, "fold": fold})
    for epoch in range(2):
        run.log({"val_loss": 1.0 / (fold + epoch + 1)})
    run.summary["test_acc"] = 0.5 + fold / 10
    run.finish()
print("done")
"""


@needs("wandb")
@pytest.mark.parametrize("mode", ["offline", "disabled"])
def test_one_wandb_run_per_fold_is_a_child_run_each(repo: Repo, mode: str) -> None:
    program(repo, WANDB_FOLDS_PROGRAM)
    ignore(repo, "wandb/")

    proc = repo.run("exec", sys.executable, "train.py", env=wandb_env(repo, mode), timeout=120)

    assert b"with 3 child runs" in proc.stderr, proc.stderr.decode()[-2000:]
    parent, children = family(repo)
    # the parent: the program's own params and what every fold shares; no fold's values
    assert parent["params"] == {"folds": 3, "lr": 0.1}
    assert not parent["series"] and not parent["metrics"]
    assert [child["name"] for child in children] == ["fold-0", "fold-1", "fold-2"]
    for fold, child in enumerate(children):
        assert child["status"] == "ok"
        assert child["params"] == {"lr": 0.1, "fold": fold}
        assert series(child, "val_loss") == [[0, 1.0 / (fold + 1)], [1, 1.0 / (fold + 2)]]
        if mode == "offline":  # a disabled run's summary is no wandb Summary
            assert series(child, "test_acc") == [[0, 0.5 + fold / 10]]
        assert child["trial"]["tracker"] == "wandb" and child["trial"]["run"] == fold + 1
        assert child["sweep"] == parent["sweep"] == parent["id"]
    if mode == "offline":
        ids = [child["trial"]["id"] for child in children]
        assert len(set(ids)) == 3
        for run_id in ids:  # wandb wrote each run as bare
            assert list((repo.path / "wandb").glob(f"offline-run-*-{run_id}/run-*.wandb"))
    else:
        assert not (repo.path / "wandb").exists()  # disabled stays disabled


@needs("wandb")
def test_a_wandb_run_per_worker_process_is_a_child_run_each(repo: Repo) -> None:
    program(
        repo,
        """\
        import multiprocessing
        import wandb

        def fold(number):
            run = wandb.init(project="cv", name=f"fold-{number}", config={"fold": number})
            run.log({"acc": 0.5 + number / 10})
            run.finish()

        if __name__ == "__main__":
            context = multiprocessing.get_context("fork")
            for number in range(2):  # one worker per fold, one after the other
                worker = context.Process(target=fold, args=(number,))
                worker.start()
                worker.join()
                assert worker.exitcode == 0
        """,
    )
    ignore(repo, "wandb/")

    proc = repo.run("exec", sys.executable, "train.py", env=wandb_env(repo, "disabled"))

    assert b"with 2 child runs" in proc.stderr, proc.stderr.decode()[-2000:]
    top = next(run for run in repo.runs_json() if run["parent"] is None)
    children = repo.cli("ls", "--children", top["id"], "--json").json()
    shown = sorted(
        (repo.cli("show", child["id"], "--json").json() for child in children),
        key=lambda child: child["name"],
    )
    assert [child["name"] for child in shown] == ["fold-0", "fold-1"]
    assert [child["params"] for child in shown] == [{"fold": 0}, {"fold": 1}]
    assert [series(child, "acc") for child in shown] == [[[0, 0.5]], [[0, 0.6]]]


@needs("wandb", "optuna")
def test_a_wandb_run_per_optuna_trial_is_that_trials_child(repo: Repo) -> None:
    program(
        repo,
        """\
        import optuna
        import wandb

        def objective(trial):
            x = trial.suggest_float("x", -1.0, 1.0)
            run = wandb.init(project="study", config={"x": x, "model": "quad"}, reinit=True)
            for epoch in range(3):
                run.log({"loss": (x - 0.5) ** 2 + 1.0 / (epoch + 1)})
            run.finish()
            return (x - 0.5) ** 2

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
        study.optimize(objective, n_trials=3)
        """,
    )
    ignore(repo, "wandb/")

    proc = repo.run("exec", sys.executable, "train.py", env=wandb_env(repo, "disabled"))

    assert b"with 3 child runs" in proc.stderr, proc.stderr.decode()[-2000:]
    top = next(run for run in repo.runs_json() if run["parent"] is None)
    children = repo.cli("ls", "--children", top["id"], "--json").json()
    trials = sorted(
        (repo.cli("show", child["id"], "--json").json() for child in children),
        key=lambda child: child["trial"]["number"],
    )
    for number, trial in enumerate(trials):
        assert trial["trial"]["number"] == number and trial["trial"]["tracker"] == "wandb"
        assert set(trial["params"]) == {"x", "model"} and trial["params"]["model"] == "quad"
        x = trial["params"]["x"]
        assert [step for step, _ in series(trial, "loss")] == [0, 1, 2]
        assert trial["metrics"]["value"] == pytest.approx((x - 0.5) ** 2)
    parent = repo.cli("show", top["id"], "--json").json()
    best = min(trials, key=lambda trial: trial["metrics"]["value"])
    assert parent["trial"]["trials"] == 3
    assert parent["params"] == {"model": "quad", "x": best["params"]["x"]}  # as a sweep's parent


@needs("wandb")
def test_wandb_steps_of_define_metric_step_and_the_rows_own_counter(repo: Repo) -> None:
    program(
        repo,
        """\
        import wandb

        run = wandb.init(project="steps")
        # nanoGPT: the iteration rides along in the row, no step metric named
        for iter_num in (0, 250, 500):
            wandb.log({"iter": iter_num, "train/loss": 4.0 - iter_num / 250, "lr": 0.001})
        wandb.log({"iter": 600, "late": 1.5}, step=7)  # step= wins over the row's counter
        run.finish()

        run = wandb.init(project="steps")
        run.define_metric("epoch")
        run.define_metric("val/*", step_metric="epoch")
        run.define_metric("lr", step_metric="trainer/step", step_sync=False)
        for batch in range(4):
            run.log({"train/loss": 1.0 / (batch + 1)})  # wandb's own step 0..3
        run.log({"epoch": 10, "val/acc": 0.5, "val/loss": 0.9})
        run.log({"val/acc": 0.75})  # no epoch in the row: the last one logged (step_sync)
        run.log({"epoch": 20}, commit=False)
        run.log({"val/acc": 0.875})  # joins the row with epoch 20
        run.log({"lr": 0.1})  # its step metric never logged, no sync: wandb's step
        assert run.step == 8, run.step
        run.finish()
        """,
    )
    ignore(repo, "wandb/")

    proc = repo.run("exec", sys.executable, "train.py", env=wandb_env(repo, "offline"))

    assert b"with 2 child runs" in proc.stderr, proc.stderr.decode()[-2000:]
    _, (nano, defined) = family(repo)
    assert series(nano, "train/loss") == [[0, 4.0], [250, 3.0], [500, 2.0]]
    assert series(nano, "lr") == [[0, 0.001], [250, 0.001], [500, 0.001]]
    assert series(nano, "late") == [[7, 1.5]]
    assert series(nano, "iter") == [[7, 600]]  # step= is that row's step: iter a value
    assert series(defined, "train/loss") == [[0, 1.0], [1, 0.5], [2, 1 / 3], [3, 0.25]]
    assert series(defined, "val/acc") == [[10, 0.5], [10, 0.75], [20, 0.875]]
    assert series(defined, "val/loss") == [[10, 0.9]]
    assert "epoch" not in defined["series"]  # the axis of others, not a metric
    assert series(defined, "lr") == [[7, 0.1]]


MLFLOW_PROGRAM = """\
import mlflow
from mlflow import MlflowClient

mlflow.set_experiment("demo")
with mlflow.start_run() as parent:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_params({"l1_ratio": 0.1, "solver": "saga", "token": "THE_SECRET"})
    for epoch in range(3):
        rmse = 1.0 / (epoch + 1)
        print(f"epoch {epoch}: val rmse {rmse:.4f}")
        mlflow.log_metric("val/rmse", rmse, step=epoch)
    mlflow.log_metrics({"r2": 0.75, "mae": 0.25})
    with mlflow.start_run(run_name="trial", nested=True):  # a child run: not the run's values
        mlflow.log_param("alpha", 99)
        mlflow.log_metric("r2", -1.0)
    MlflowClient().log_metric(parent.info.run_id, "client_metric", 3.0, step=5)
    MlflowClient().log_batch(parent.info.run_id, params=[mlflow.entities.Param("n", "7")])
# the store holds what it holds bare: params as text, steps as given (0 without one)
data = mlflow.get_run(parent.info.run_id).data
assert data.params["alpha"] == "0.5" and data.params["n"] == "7", data.params
history = MlflowClient().get_metric_history(parent.info.run_id, "val/rmse")
assert [m.step for m in history] == [0, 1, 2]
assert [m.step for m in MlflowClient().get_metric_history(parent.info.run_id, "r2")] == [0]
""".replace("THE_SECRET", SECRET)


@needs("mlflow")
def test_mlflow_fluent_client_and_nested_runs(repo: Repo) -> None:
    program(repo, MLFLOW_PROGRAM)
    ignore(repo, "mlruns/")

    proc = repo.run("exec", sys.executable, "train.py", env=mlflow_env(repo), timeout=120)
    run, [child] = family(repo)

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    assert run["params"] == {
        "alpha": 0.5,
        "l1_ratio": 0.1,
        "solver": "saga",
        "token": "***",
        "n": 7,  # MLflow's text read back as the number it spells
    }
    assert run["param_sources"]["alpha"] == "mlflow"
    assert series(run, "val/rmse") == [[0, 1.0], [1, 0.5], [2, 1 / 3]]
    assert series(run, "r2") == [[0, 0.75]]  # not the nested child run's -1
    assert series(run, "client_metric") == [[5, 3.0]]
    # "val rmse" printed and val/rmse logged are one series
    assert set(run["series"]) == {"val/rmse", "r2", "mae", "client_metric"}
    assert SECRET not in repo.cli("show", run["id"], "--json").stdout
    # the nested run is a child run with its own values
    assert child["name"] == "trial" and child["params"] == {"alpha": 99}
    assert child["series"] == {"r2": [[0, -1.0]]}


@needs("mlflow")
def test_one_mlflow_run_per_config_is_a_child_run_each(repo: Repo) -> None:
    program(
        repo,
        """\
        import mlflow

        mlflow.set_experiment("grid")
        for alpha in (0.1, 0.5):
            with mlflow.start_run(run_name=f"alpha-{alpha}"):
                mlflow.log_params({"alpha": alpha, "solver": "saga"})
                for epoch in range(2):
                    mlflow.log_metric("rmse", alpha + epoch, step=epoch)
                with mlflow.start_run(run_name="inner", nested=True):  # a child of its own
                    mlflow.log_metric("rmse", -1.0)
        with mlflow.start_run(run_name="broken"):
            mlflow.log_param("alpha", 9)
            mlflow.end_run(status="FAILED")
        """,
    )
    ignore(repo, "mlruns/")

    proc = repo.run("exec", sys.executable, "train.py", env=mlflow_env(repo), timeout=120)

    assert b"with 5 child runs" in proc.stderr, proc.stderr.decode()[-2000:]
    parent, children = family(repo)
    assert parent["params"] == {}  # "solver" is not the failed run's
    assert not parent["series"]
    names = ["alpha-0.1", "inner", "alpha-0.5", "inner", "broken"]
    assert [child["name"] for child in children] == names
    assert [child["status"] for child in children] == ["ok", "ok", "ok", "ok", "failed"]
    assert children[0]["params"] == {"alpha": 0.1, "solver": "saga"}
    assert series(children[0], "rmse") == [[0, 0.1], [1, 1.1]]
    assert series(children[2], "rmse") == [[0, 0.5], [1, 1.5]]
    assert series(children[1], "rmse") == series(children[3], "rmse") == [[0, -1.0]]
    assert children[4]["params"] == {"alpha": 9} and not children[4]["series"]
    assert all(child["trial"]["tracker"] == "mlflow" for child in children)


@needs("mlflow")
def test_nested_mlflow_runs_of_a_search_are_child_runs_and_the_parent_keeps_its_own(
    repo: Repo,
) -> None:
    # The usual hyperparameter search: a parent run, a nested run per candidate. The nested
    # runs' values were dropped; each is now a child run, the parent's values the run's own.
    program(
        repo,
        """\
        import mlflow

        mlflow.set_experiment("search")
        with mlflow.start_run(run_name="search"):
            mlflow.log_params({"model": "ridge", "folds": 3})
            best = None
            for alpha in (0.1, 1.0, 10.0):
                with mlflow.start_run(run_name=f"alpha={alpha}", nested=True):
                    mlflow.log_param("alpha", alpha)
                    for fold in range(3):
                        mlflow.log_metric("rmse", alpha / 10 + fold, step=fold)
                    score = alpha / 10
                    mlflow.log_metric("score", score)
                best = score if best is None else min(best, score)
            mlflow.log_metric("best_score", best)
        """,
    )
    ignore(repo, "mlruns/")

    proc = repo.run("exec", sys.executable, "train.py", env=mlflow_env(repo), timeout=120)

    assert b"with 3 child runs" in proc.stderr, proc.stderr.decode()[-2000:]
    parent, children = family(repo)
    assert parent["params"] == {"model": "ridge", "folds": 3}
    assert parent["series"] == {"best_score": [[0, 0.01]]}
    assert [child["name"] for child in children] == ["alpha=0.1", "alpha=1.0", "alpha=10.0"]
    assert [child["params"] for child in children] == [{"alpha": a} for a in (0.1, 1.0, 10.0)]
    assert series(children[1], "rmse") == [[0, 0.1], [1, 1.1], [2, 2.1]]
    assert [series(child, "score") for child in children] == [[[0, 0.01]], [[0, 0.1]], [[0, 1.0]]]
    assert all(child["status"] == "ok" for child in children)


@needs("mlflow", "sklearn")
def test_mlflow_sklearn_autolog(repo: Repo) -> None:
    program(
        repo,
        """\
        import mlflow
        from sklearn.datasets import load_diabetes
        from sklearn.linear_model import ElasticNet

        mlflow.sklearn.autolog(log_models=False, log_datasets=False)
        X, y = load_diabetes(return_X_y=True)
        with mlflow.start_run():
            ElasticNet(alpha=0.3, l1_ratio=0.2).fit(X, y)
        """,
    )
    ignore(repo, "mlruns/")

    _, run = exec_run(repo, sys.executable, "train.py", env=mlflow_env(repo))

    params: dict[str, Any] = run["params"]
    assert params["alpha"] == 0.3 and params["l1_ratio"] == 0.2 and params["max_iter"] == 1000
    assert params["fit_intercept"] is True and params["random_state"] is None
    assert [step for step, _ in series(run, "training_r2_score")] == [0]


@pytest.fixture(autouse=True)
def _no_tracker_network(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("WANDB_API_KEY", "WANDB_BASE_URL", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(key, raising=False)
