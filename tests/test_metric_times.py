"""When each metric point arrived: recorded by exec, stored in metrics.toml, read back."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import tomli_w

from runledger.model.record import MetricsFile
from runledger.recording.capture.metrics import (
    MetricsCollector,
    MetricSeries,
    series_from_toml_dict,
    series_to_toml_dict,
)
from tests.conftest import Repo

PY = sys.executable


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_each_point_has_the_time_it_arrived() -> None:
    clock = FakeClock()
    collector = MetricsCollector(clock=clock)
    for step in range(3):
        clock.now = 1.5 * step + 0.0004
        collector.add({"loss": 1.0 / (step + 1)}, step=step * 10)
    loss = collector.series()["loss"]
    assert loss.steps == [0, 10, 20]
    assert loss.times == [0.0, 1.5, 3.0]  # rounded to the millisecond


def test_thinning_keeps_times_with_their_points() -> None:
    clock = FakeClock()
    collector = MetricsCollector(max_points=10, clock=clock)
    for step in range(101):
        clock.now = step / 4
        collector.add({"loss": float(step)}, step=step)
    loss = collector.series()["loss"]
    assert len(loss.times) == len(loss.steps) <= 11
    assert loss.times == [step / 4 for step in loss.steps]
    assert loss.steps[-1] == 100


def test_metrics_toml_round_trips_times_and_reads_runs_without_them() -> None:
    series = {"loss": MetricSeries([0, 1], [0.5, 0.25], [0.1, 2.0])}
    document = tomllib.loads(tomli_w.dumps(series_to_toml_dict(series)))
    assert document["series"]["loss"]["time"] == [0.1, 2.0]
    assert series_from_toml_dict(document)["loss"].times == [0.1, 2.0]
    old = {"series": {"loss": {"step": [0, 1], "value": [0.5, 0.25]}}}
    assert series_from_toml_dict(old)["loss"].times == []
    broken = {"series": {"loss": {"step": [0, 1], "value": [0.5, 0.25], "time": [1.0]}}}
    assert series_from_toml_dict(broken)["loss"].times == []  # ignored, never fatal
    parsed = MetricsFile.parse(b"schema = 1\n[series.loss]\nstep = [0, 1]\nvalue = [1.0, 2.0]\n")
    assert parsed.series == {"loss": ([0, 1], [1.0, 2.0])} and parsed.times == {}


def test_exec_records_point_times_in_metrics_toml(repo: Repo) -> None:
    repo.write(
        "train.py",
        "import json, os\n"
        "for step in range(5):\n"
        "    print(f'step={step} loss={1 / (step + 1)}')\n"
        "with open(os.environ['RUNLEDGER_METRICS_FILE'], 'a') as f:\n"
        "    f.write(json.dumps({'step': 9, 'acc': 0.5}) + '\\n')\n",
    )
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    [run_id] = repo.run_ids()
    stored = tomllib.loads(repo.show_bytes(f"refs/runledger/runs/{run_id}:metrics.toml").decode())
    duration = repo.runs_json()[0]["duration_s"]
    for name, length in (("loss", 5), ("acc", 1)):
        times = stored["series"][name]["time"]
        assert len(times) == length == len(stored["series"][name]["step"])
        assert times == sorted(times)
        assert all(0 <= t <= duration + 1 for t in times)


def test_show_reads_a_run_with_times(repo: Repo, tmp_path: Path) -> None:
    repo.write("train.py", "print('loss=0.5')\nprint('loss=0.25')\n")
    repo.commit_all("train")
    assert repo.run("exec", "--", PY, "train.py").returncode == 0
    [run_id] = repo.run_ids()
    shown = repo.cli("show", run_id, "--json").json()
    assert shown["series"]["loss"] == [[0, 0.5], [1, 0.25]]
