"""runledger diff: what changed between two runs, for people and as JSON."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.synthetic import make_run

A, B = "6g00000000aaaaaa", "6g00000001bbbbbb"
ROOT = Path(__file__).resolve().parents[1]


def fake_packages(folder: Path, packages: dict[str, str]) -> str:
    """A folder that makes ``packages`` look installed to importlib.metadata."""
    for name, version in packages.items():
        info = folder / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return str(ROOT) + os.pathsep + str(folder)


def environment(**changes: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "python": {"version": "3.11.7", "implementation": "CPython", "executable": "/usr/bin/py"},
        "packages": {"numpy": "1.26.4", "torch": "2.2.0", "scipy": "1.11.0"},
        "os": {"system": "Linux", "release": "6.1", "machine": "x86_64"},
        "cpu": {"model": "Xeon", "count": 16},
        "memory_total_bytes": 2**36,
        "gpus": [
            {
                "index": 0,
                "name": "NVIDIA A100",
                "uuid": "GPU-1",
                "memory_total_mib": 40960,
                "driver_version": "535.104",
                "cuda_driver_version": "12.2",
            }
        ],
        "variables": {"CUDA_VISIBLE_DEVICES": "0"},
    }
    env.update(changes)
    return env


def test_real_runs_on_different_commits_and_package_sets(repo: Repo, tmp_path: Path) -> None:
    repo.write("train.py", "print('epoch=1 loss=0.5 acc=0.8')\n")
    first = repo.commit_all("train")
    env_a = {"PYTHONPATH": fake_packages(tmp_path / "a", {"fakepkg": "1.0", "oldpkg": "0.1"})}
    proc = repo.run("exec", sys.executable, "train.py", "--lr", "0.1", env=env_a)
    assert proc.returncode == 0, proc.stderr

    repo.write("train.py", "print('epoch=1 loss=0.4 acc=0.85')\nprint('tuned')\n")
    second = repo.commit_all("tune")
    env_b = {"PYTHONPATH": fake_packages(tmp_path / "b", {"fakepkg": "2.0", "newpkg": "3.0"})}
    proc = repo.run("exec", sys.executable, "train.py", "--lr", "0.05", env=env_b)
    assert proc.returncode == 0, proc.stderr
    [run_b, run_a] = [run["id"] for run in repo.runs_json()]

    data = repo.cli("diff", run_a, run_b, "--json").json()
    assert data["a"]["id"] == run_a and data["b"]["id"] == run_b
    assert data["command"]["b"][-2:] == ["--lr", "0.05"]
    assert data["params"] == [
        {
            "key": "lr",
            "kind": "changed",
            "a": 0.1,
            "b": 0.05,
            "source_a": "argv",
            "source_b": "argv",
        }
    ]
    loss = next(metric for metric in data["metrics"] if metric["name"] == "loss")
    assert loss["a"] == 0.5 and loss["b"] == 0.4
    assert loss["delta"] == pytest.approx(-0.1)
    assert loss["relative"] == pytest.approx(-0.2)
    assert loss["verdict"] == "better"
    code = data["code"]
    assert (code["commit_a"], code["commit_b"]) == (first, second)
    assert code["files"] == [{"path": "train.py", "old_path": None, "added": 2, "deleted": 1}]
    assert "train.py | 3 ++-" in code["stat"]
    assert code["patch"] is None
    packages = {change["key"]: change for change in data["environment"]["packages"]}
    assert set(packages) == {"fakepkg", "newpkg", "oldpkg"}
    assert (packages["fakepkg"]["a"], packages["fakepkg"]["b"]) == ("1.0", "2.0")
    assert packages["newpkg"]["kind"] == "added" and packages["oldpkg"]["kind"] == "removed"

    out = repo.cli("diff", run_a[:12], run_b[:12]).stdout
    # train.py imports none of them (its [used] is empty): packages it did not use are
    # collapsed under a count, after what matters (issue 19's order)
    collapsed = "3 other differences (fakepkg, newpkg, oldpkg); diff --json lists them"
    for expected in (collapsed, "train.py | 3"):
        assert expected in out, expected
    positions = [
        out.index(f"\n{title}") for title in ("command", "params", "metrics", "code", "environment")
    ]
    assert positions == sorted(positions)

    patch = repo.cli("diff", run_a, run_b, "--code")
    assert "+print('tuned')" in patch.stdout
    assert "-print('epoch=1 loss=0.5 acc=0.8')" in patch.stdout
    assert (
        "+print('tuned')"
        in repo.cli("diff", run_a, run_b, "--code", "--json").json()["code"]["patch"]
    )


def test_params_added_removed_changed_with_sources(repo: Repo) -> None:
    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        params={"lr": 0.1, "model": {"depth": 3}, "momentum": 0.9, "same": 1},
        param_sources={
            "lr": "argv",
            "model.depth": "config.yaml",
            "momentum": "argv",
            "same": "argv",
        },
    )
    make_run(
        repo,
        B,
        "2026-01-02T10:00:00.000Z",
        params={"lr": 0.01, "model": {"depth": 5}, "dropout": 0.2, "same": 1},
        param_sources={
            "lr": "-p",
            "model.depth": "config.yaml",
            "dropout": "log_params",
            "same": "argv",
        },
    )
    data = repo.cli("diff", A, B, "--json").json()
    assert data["params"] == [
        {"key": "lr", "kind": "changed", "a": 0.1, "b": 0.01, "source_a": "argv", "source_b": "-p"},
        {
            "key": "model.depth",
            "kind": "changed",
            "a": 3,
            "b": 5,
            "source_a": "config.yaml",
            "source_b": "config.yaml",
        },
        {
            "key": "dropout",
            "kind": "added",
            "a": None,
            "b": 0.2,
            "source_a": None,
            "source_b": "log_params",
        },
        {
            "key": "momentum",
            "kind": "removed",
            "a": 0.9,
            "b": None,
            "source_a": "argv",
            "source_b": None,
        },
    ]
    out = repo.cli("diff", A, B).stdout
    assert "params  4 differ" in out
    lines = out.splitlines()
    assert any(line.split() == ["~", "lr", "0.1", "→", "0.01", "argv", "→", "-p"] for line in lines)
    assert any(line.split() == ["+", "dropout", "0.2", "log_params"] for line in lines)
    assert any(line.split() == ["-", "momentum", "0.9", "argv"] for line in lines)
    assert "same" not in out
    assert data["code"] is None  # same commit: nothing to say


def test_metrics_with_both_values_delta_and_relative_change(repo: Repo) -> None:
    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        metrics={"acc": 0.8, "loss": 0.5, "zero": 0.0, "gone": 1.0},
    )
    make_run(
        repo,
        B,
        "2026-01-02T10:00:00.000Z",
        metrics={"acc": 0.9, "loss": 0.6, "zero": 2.0, "new": 3.0},
    )
    metrics = {m["name"]: m for m in repo.cli("diff", A, B, "--json").json()["metrics"]}
    assert metrics["acc"]["verdict"] == "better" and metrics["acc"]["direction"] == "max"
    assert metrics["acc"]["relative"] == pytest.approx(0.125)
    assert metrics["loss"]["verdict"] == "worse" and metrics["loss"]["direction"] == "min"
    assert metrics["zero"]["delta"] == 2.0 and metrics["zero"]["relative"] is None
    assert metrics["gone"] == {
        "name": "gone",
        "a": 1.0,
        "b": None,
        "delta": None,
        "relative": None,
        "direction": "max",
        "verdict": None,
    }
    assert metrics["new"]["a"] is None and metrics["new"]["b"] == 3.0
    out = repo.cli("diff", A, B).stdout
    acc = next(line for line in out.splitlines() if line.strip().startswith("acc"))
    assert acc.split() == ["acc", "0.8", "0.9", "+0.1", "+12.5%", "higher", "is", "better"]


def test_inputs_and_artifacts_whose_content_changed(repo: Repo) -> None:
    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        inputs=[
            {"path": "data/train.csv", "size": 10, "sha256": "a" * 64},
            {"path": "data/same.csv", "size": 5, "sha256": "c" * 64},
            {"path": "data/old.csv", "size": 7, "sha256": "d" * 64},
        ],
        artifacts=[{"path": "model.ckpt", "size": 2048, "sha256": "e" * 64}],
    )
    make_run(
        repo,
        B,
        "2026-01-02T10:00:00.000Z",
        inputs=[
            {"path": "data/train.csv", "size": 10, "sha256": "b" * 64},
            {"path": "data/same.csv", "size": 5, "sha256": "c" * 64},
            {"path": "data/extra.csv", "size": 3, "git_blob": "f" * 40},
        ],
        artifacts=[{"path": "model.ckpt", "size": 4096, "sha256": "9" * 64}],
    )
    data = repo.cli("diff", A, B, "--json").json()
    assert [(c["path"], c["kind"]) for c in data["inputs"]] == [
        ("data/extra.csv", "added"),
        ("data/old.csv", "removed"),
        ("data/train.csv", "changed"),
    ]
    changed = data["inputs"][2]
    assert changed["a"]["sha256"] == "a" * 64 and changed["b"]["sha256"] == "b" * 64
    assert [(c["path"], c["kind"]) for c in data["artifacts"]] == [("model.ckpt", "changed")]
    out = repo.cli("diff", A, B).stdout
    assert "same.csv" not in out
    assert "aaaaaaaaaaaa (10 B) → bbbbbbbbbbbb (10 B)" in out
    assert "eeeeeeeeeeee (2.0 KiB) → 999999999999 (4.0 KiB)" in out
    assert out.index("\ninputs") < out.index("\nartifacts")


def test_environment_python_packages_os_cpu_gpu_driver_cuda(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", environment=environment())
    gpu_b = dict(
        environment()["gpus"][0], uuid="GPU-2", driver_version="550.54", cuda_driver_version="12.4"
    )
    make_run(
        repo,
        B,
        "2026-01-02T10:00:00.000Z",
        environment=environment(
            python={"version": "3.12.1", "implementation": "CPython", "executable": "/usr/bin/py"},
            packages={"NumPy": "2.0.0", "torch": "2.2.0", "jax": "0.4.30"},
            cpu={"model": "EPYC", "count": 16},
            gpus=[gpu_b],
            variables={"CUDA_VISIBLE_DEVICES": "1"},
        ),
    )
    env = repo.cli("diff", A, B, "--json").json()["environment"]
    assert [(c["key"], c["a"], c["b"]) for c in env["system"]] == [
        ("python.version", "3.11.7", "3.12.1"),
        ("cpu.model", "Xeon", "EPYC"),
        ("gpus[0].driver_version", "535.104", "550.54"),
        ("gpus[0].cuda_driver_version", "12.2", "12.4"),
    ]
    assert [(c["key"], c["kind"], c["a"], c["b"]) for c in env["packages"]] == [
        ("NumPy", "changed", "1.26.4", "2.0.0"),  # names match whatever their case
        ("jax", "added", None, "0.4.30"),
        ("scipy", "removed", "1.11.0", None),
    ]
    assert env["variables"] == [
        {"key": "CUDA_VISIBLE_DEVICES", "kind": "changed", "a": "0", "b": "1"}
    ]
    out = repo.cli("diff", A, B).stdout
    for expected in (
        "python.version",
        "3.11.7 → 3.12.1",
        "gpus[0].driver_version",
        "535.104 → 550.54",
        "12.2 → 12.4",
        "packages (3 differ)",
        "variables",
    ):
        assert expected in out, expected
    assert "GPU-2" not in out  # a card's uuid is noise, not a difference worth reading


def test_a_run_against_itself_has_nothing_to_say(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"lr": 0.1}, environment=environment())
    out = repo.cli("diff", A, A).stdout
    assert "no differences" in out
    data = repo.cli("diff", A, A, "--json").json()
    assert data["params"] == [] and data["code"] is None and data["command"] is None
    assert data["environment"] == {
        "system": [],
        "packages": [],
        "variables": [],
        "used": None,
    }


def test_status_and_name_changes(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", name="base")
    make_run(repo, B, "2026-01-02T10:00:00.000Z", name="try", status="failed")
    data = repo.cli("diff", A, B, "--json").json()
    assert [(c["key"], c["a"], c["b"]) for c in data["run"]] == [
        ("name", "base", "try"),
        ("status", "ok", "failed"),
        ("exit_code", 0, 1),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((A, "zzzz"), "no run matches 'zzzz': see 'runledger ls' for run ids"),
        (("6g0000000", A), "run prefix '6g0000000' is ambiguous"),
    ],
)
def test_bad_runs_are_one_line(repo: Repo, args: tuple[str, str], message: str) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z")
    make_run(repo, B, "2026-01-02T10:00:00.000Z")
    result = repo.cli("diff", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"runledger: error: {message}")
    assert result.stderr.count("\n") == 1


def test_diff_needs_two_runs(repo: Repo) -> None:
    result = repo.cli("diff", A)
    assert result.exit_code == 2
    assert result.stderr.startswith("runledger: error: Missing argument 'RUN_B'.")


def test_a_run_without_a_package_list_does_not_list_every_package(repo: Repo) -> None:
    no_python = {k: v for k, v in environment().items() if k not in ("python", "packages")}
    make_run(repo, A, "2026-01-01T10:00:00.000Z", environment=no_python)
    make_run(repo, B, "2026-01-02T10:00:00.000Z", environment=environment())
    env = repo.cli("diff", A, B, "--json").json()["environment"]
    assert env["packages"] == []
    assert [c["key"] for c in env["system"]] == [
        "python.version",
        "python.implementation",
        "python.executable",
    ]
