"""Real Hydra apps (hydra-core, a test extra) under ``runledger exec``: the composed config is
what is recorded, config-group overrides never replace a group by a string, and multirun jobs
are found with their overrides, configs and folders."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture.params import hydra_multirun_jobs
from tests.conftest import Repo

pytest.importorskip("hydra")

PY = sys.executable

APP = """\
import hydra
from hydra.core.hydra_config import HydraConfig


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg):
    out = HydraConfig.get().runtime.output_dir
    print(f"Output folder: \\x1b[1;32m{out}\\x1b[0m")
    print(f"loss={cfg.lr * 10}")


main()
"""
FILES = {
    "app.py": APP,
    "conf/config.yaml": (
        "defaults:\n  - db: mysql\n  - _self_\nlr: 0.01\nrun_name: ${db.driver}-${lr}\n"
    ),
    "conf/db/mysql.yaml": "driver: mysql\nuser: omry\ntimeout: 10\n",
    "conf/db/postgresql.yaml": "driver: postgresql\nuser: postgres\ntimeout: 20\n",
    "conf/optim/adam.yaml": "name: adam\nbeta1: 0.9\n",
    ".gitignore": "outputs/\nmultirun/\nelsewhere/\n",
}


@pytest.fixture
def app(repo: Repo) -> Repo:
    for name, content in FILES.items():
        repo.write(name, content)
    repo.commit_all("a hydra app")
    return repo


def recorded(repo: Repo) -> dict[str, Any]:
    """The run exec recorded: the newest without a parent (a multirun's jobs are its children,
    listed before it by ``ls --json``: they are written after it)."""
    runs = [run for run in repo.runs_json() if run["parent"] is None]
    return dict(repo.cli("show", runs[0]["id"], "--json").json())


def children(repo: Repo, parent: str) -> list[dict[str, Any]]:
    runs = [run for run in repo.runs_json() if run["parent"] == parent]
    shown = [repo.cli("show", run["id"], "--json").json() for run in runs]
    return sorted(shown, key=lambda run: run["trial"]["job"])


def test_a_group_override_records_the_composed_group_not_its_name(app: Repo) -> None:
    proc = app.run("exec", PY, "app.py", "db=postgresql", "lr=0.1")
    assert proc.returncode == 0, proc.stderr
    run = recorded(app)
    assert run["params"]["db"] == {"driver": "postgresql", "user": "postgres", "timeout": 20}
    assert run["params"]["lr"] == 0.1
    assert run["params"]["run_name"] == "postgresql-0.1"  # interpolation resolved
    assert run["param_sources"]["db.user"] == "hydra"
    [hydra] = [entry for entry in run["config_files"] if entry.get("kind") == "hydra"]
    assert hydra["overrides"] == ["db=postgresql", "lr=0.1"]
    assert hydra["path"].endswith(".hydra/config.yaml") and len(hydra["sha256"]) == 64
    assert run["metrics"]["loss"] == 1.0


def test_plus_and_tilde_overrides_add_and_remove_groups(app: Repo) -> None:
    proc = app.run("exec", PY, "app.py", "+optim=adam", "~db", "run_name=plain")
    assert proc.returncode == 0, proc.stderr
    run = recorded(app)
    assert run["params"]["optim"] == {"name": "adam", "beta1": 0.9}
    assert "db" not in run["params"]
    assert run["params"]["run_name"] == "plain"


def test_a_run_folder_outside_the_defaults_is_found_through_the_coloured_log(app: Repo) -> None:
    app.write(
        "conf/config.yaml",
        FILES["conf/config.yaml"] + "hydra:\n  run:\n    dir: elsewhere/${now:%H%M%S%f}\n",
    )
    app.commit_all("custom run dir")
    proc = app.run("exec", PY, "app.py", "db=postgresql")
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b[1;32m" in proc.stdout  # the folder is only named in a coloured line
    run = recorded(app)
    assert run["params"]["db"]["driver"] == "postgresql"


def test_a_multirun_lists_each_job_with_its_overrides_config_and_folder(app: Repo) -> None:
    started = time.time()
    proc = app.run("exec", PY, "app.py", "-m", "db=mysql,postgresql", "lr=0.5")
    assert proc.returncode == 0, proc.stderr
    jobs = hydra_multirun_jobs(app.path, None, started)
    assert [job.overrides for job in jobs] == [["db=mysql", "lr=0.5"], ["db=postgresql", "lr=0.5"]]
    assert [job.config["db"]["driver"] for job in jobs] == ["mysql", "postgresql"]
    assert [job.folder.name for job in jobs] == ["0", "1"]
    run = recorded(app)
    # The parent records what every job shares; each job's own values are its child's.
    assert run["params"]["lr"] == 0.5
    assert "driver" not in run["params"].get("db", {})
    assert "run_name" not in run["params"]  # mysql-0.5 in one job, postgresql-0.5 in the other
    jobs_run = children(app, run["id"])
    assert [child["trial"]["overrides"] for child in jobs_run] == [job.overrides for job in jobs]
    assert [child["params"]["db"]["driver"] for child in jobs_run] == ["mysql", "postgresql"]
    # each nested value has its source (show's "from" column was empty: keyed "db", not dotted)
    assert [child["param_sources"].get("db.driver") for child in jobs_run] == ["child", "child"]
    # resolved as in a single run, not the text of the interpolation
    assert [child["params"]["run_name"] for child in jobs_run] == ["mysql-0.5", "postgresql-0.5"]
    folders = [Path(child["config_files"][0]["path"]).parent.parent for child in jobs_run]
    assert folders == [job.folder.relative_to(app.path.resolve()) for job in jobs]


def test_a_multirun_in_a_sweep_dir_of_its_own_has_its_jobs_as_children(app: Repo) -> None:
    proc = app.run(
        "exec", PY, "app.py", "-m", "db=mysql,postgresql", "hydra.sweep.dir=elsewhere/sweep"
    )
    assert proc.returncode == 0, proc.stderr
    run = recorded(app)
    assert "driver" not in run["params"].get("db", {})
    jobs_run = children(app, run["id"])
    assert [child["params"]["db"]["driver"] for child in jobs_run] == ["mysql", "postgresql"]
    assert [child["config_files"][0]["path"] for child in jobs_run] == [
        "elsewhere/sweep/0/.hydra/config.yaml",
        "elsewhere/sweep/1/.hydra/config.yaml",
    ]


def test_a_password_in_a_jobs_config_or_override_is_masked_in_its_child(app: Repo) -> None:
    app.write("conf/db/mysql.yaml", "driver: mysql\npassword: hydraJobPassw0rd-4242\n")
    app.commit_all("a password in the config")
    proc = app.run(
        "exec", PY, "app.py", "-m", "lr=0.1,0.2", "+db.api_key=sk_live_51HgTyRfEdWsQaZx9Pl0"
    )
    assert proc.returncode == 0, proc.stderr
    # the objects runledger wrote (the user's own commit holds the config file, password and all)
    objects = app.git("rev-list", "--objects", "--glob=refs/runledger/*", "--not", "--branches")
    blobs = [line.split(" ", 1)[0] for line in objects.splitlines() if line.strip()]
    text = "\n".join(app.git("cat-file", "-p", oid) for oid in blobs)
    assert len(children(app, recorded(app)["id"])) == 2
    assert "hydraJobPassw0rd-4242" not in text
    assert "sk_live_51HgTyRfEdWsQaZx9Pl0" not in text


def test_a_library_warning_names_the_line_it_names_bare(repo: Repo) -> None:
    # Hydra's tutorial apps leave version_base out; run_job then warns with stacklevel=2, which
    # must name Hydra's own caller as bare, not runledger's wrapper of run_job.
    for name, content in FILES.items():
        repo.write(name, content.replace("version_base=None, ", ""))
    repo.commit_all("a hydra app without version_base")
    proc = repo.run("exec", PY, "app.py")
    assert proc.returncode == 0, proc.stderr
    stderr = proc.stderr.decode()
    assert "change working directory" in stderr
    assert "_runledger_autocapture" not in stderr
    assert "hydra.py:" in stderr
