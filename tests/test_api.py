from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import runledger.api as api
from runledger.recording.capture.metrics import MetricsCollector, MetricSeries

REPO_ROOT = Path(__file__).resolve().parent.parent


def _run_python(
    code: str, cwd: Path, metrics_file: Path | None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != api.METRICS_FILE_ENV}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if metrics_file is not None:
        env[api.METRICS_FILE_ENV] = str(metrics_file)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )


def _collect(path: Path) -> MetricsCollector:
    collector = MetricsCollector()
    collector.poll_metrics_file(path)
    return collector


@pytest.fixture
def metrics_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "metrics.jsonl"
    monkeypatch.setenv(api.METRICS_FILE_ENV, str(path))
    return path


# --- through a real subprocess --------------------------------------------------------------


def test_log_from_a_script_under_exec(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    code = (
        "import runledger.api as r\n"
        "r.log({'loss': 0.5}, step=1)\n"
        "r.log({'loss': 0.25, 'acc': float('nan')}, step=2)\n"
        "r.log_params({'lr': 0.01})\n"
    )
    result = _run_python(code, tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""
    collector = _collect(path)
    series = collector.series()
    assert series["loss"] == MetricSeries([1, 2], [0.5, 0.25])
    assert series["acc"].steps == [2] and math.isnan(series["acc"].values[0])
    assert collector.logged_params == {"lr": 0.01}


def test_log_outside_exec_does_nothing(tmp_path: Path) -> None:
    code = "import runledger.api as r\nr.log({'loss': 0.5}, step=1)\nr.log_params({'lr': 1})\n"
    result = _run_python(code, tmp_path, None)
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_importing_the_api_stays_light(tmp_path: Path) -> None:
    code = (
        "import sys, runledger.api\n"
        "heavy = {'pandas', 'numpy', 'rich', 'typer', 'yaml', 'git', 'tomli_w'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = _run_python(code, tmp_path, None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_writers_in_several_processes_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    code = (
        "import sys, runledger.api as r\n"
        "name = sys.argv[1]\n"
        "for i in range(300):\n"
        "    r.log({name: float(i), 'padding_' + 'x' * 2000: 1.0}, step=i)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), api.METRICS_FILE_ENV: str(path)}
    writers = [
        subprocess.Popen([sys.executable, "-c", code, f"m{n}"], env=env, cwd=tmp_path)
        for n in range(4)
    ]
    assert [writer.wait() for writer in writers] == [0, 0, 0, 0]
    lines = path.read_text().splitlines()
    assert len(lines) == 1200
    assert all(isinstance(json.loads(line), dict) for line in lines)
    series = _collect(path).series()
    for n in range(4):
        assert series[f"m{n}"] == MetricSeries(list(range(300)), [float(i) for i in range(300)])


# --- in this process ------------------------------------------------------------------------


def test_line_format_is_the_documented_one(metrics_file: Path) -> None:
    api.log({"loss": 0.25, "acc": 0.91}, step=3)
    assert json.loads(metrics_file.read_text()) == {"step": 3, "loss": 0.25, "acc": 0.91}


def test_nan_and_infinities_survive(metrics_file: Path) -> None:
    api.log({"loss": math.nan, "up": math.inf, "down": -math.inf})
    series = _collect(metrics_file).series()
    assert math.isnan(series["loss"].values[0])
    assert series["up"].values == [math.inf]
    assert series["down"].values == [-math.inf]


def test_without_step_points_are_numbered_per_metric(metrics_file: Path) -> None:
    api.log({"loss": 1.0})
    api.log({"loss": 0.5, "acc": 0.1})
    series = _collect(metrics_file).series()
    assert series["loss"] == MetricSeries([0, 1], [1.0, 0.5])
    assert series["acc"] == MetricSeries([0], [0.1])


def test_epoch_in_the_metrics_is_the_step(metrics_file: Path) -> None:
    api.log({"epoch": 2, "loss": 0.3})
    assert _collect(metrics_file).series() == {"loss": MetricSeries([2], [0.3])}


class _Scalar:
    """Stands in for a numpy or torch scalar: a number only through __float__."""

    def __init__(self, value: float) -> None:
        self._value = value

    def __float__(self) -> float:
        return self._value


class _IntScalar(_Scalar):
    def __index__(self) -> int:
        return int(self._value)


def test_anything_with_float_is_a_number(metrics_file: Path) -> None:
    api.log({"loss": _Scalar(0.125), "tokens": _IntScalar(2**60)}, step=_IntScalar(7))  # type: ignore[dict-item,arg-type]
    assert json.loads(metrics_file.read_text()) == {"step": 7, "loss": 0.125, "tokens": 2**60}


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"loss": "0.5"}, "metric 'loss' must be a number, not str"),
        ({"loss": None}, "metric 'loss' must be a number, not NoneType"),
        ({"loss": [0.5]}, "metric 'loss' must be a number, not list"),
        ({"done": True}, "metric 'done' is a bool"),
        ({3: 0.5}, "metric names must be non-empty strings"),
        ({"": 0.5}, "metric names must be non-empty strings"),
        ([("loss", 0.5)], "takes a mapping of metric name to number"),
    ],
)
def test_bad_metrics_raise_type_error(metrics_file: Path, metrics: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        api.log(metrics)
    assert not metrics_file.exists()


def test_bad_metrics_raise_outside_exec_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # A script must fail the same way bare and under `runledger exec`.
    monkeypatch.delenv(api.METRICS_FILE_ENV, raising=False)
    with pytest.raises(TypeError, match="must be a number"):
        api.log({"loss": "high"})  # type: ignore[dict-item]


class _Tensor:
    def __float__(self) -> float:
        raise ValueError("only one element tensors can be converted to Python scalars")


def test_many_element_tensor_raises_type_error(metrics_file: Path) -> None:
    with pytest.raises(TypeError, match="metric 'loss' must be a single number: only one"):
        api.log({"loss": _Tensor()})  # type: ignore[dict-item]


@pytest.mark.parametrize("step", [True, 1.5, "3"])
def test_step_must_be_an_integer(metrics_file: Path, step: Any) -> None:
    with pytest.raises(TypeError, match="step must be an integer"):
        api.log({"loss": 0.5}, step=step)


def test_step_given_twice_is_refused(metrics_file: Path) -> None:
    with pytest.raises(ValueError, match="step is given twice"):
        api.log({"step": 1, "loss": 0.5}, step=2)


def test_params_key_is_reserved_in_log(metrics_file: Path) -> None:
    with pytest.raises(ValueError, match="use log_params"):
        api.log({"__params__": 1.0})


def test_log_params_nested_merged_and_made_json(metrics_file: Path) -> None:
    api.log_params({"lr": 0.1, "model": {"depth": 12, "width": 256}, "data": Path("/d")})
    api.log_params(
        {"lr": 0.01, "model": {"depth": 24}, "layers": (1, 2), "seed": _IntScalar(3), "n": None}
    )
    assert _collect(metrics_file).logged_params == {
        "lr": 0.01,
        "model": {"depth": 24, "width": 256},
        "data": "/d",
        "layers": [1, 2],
        "seed": 3,
        "n": None,
    }


def test_log_params_needs_a_mapping(metrics_file: Path) -> None:
    with pytest.raises(TypeError, match=r"pass vars\(args\)"):
        api.log_params([("lr", 0.1)])  # type: ignore[arg-type]


def test_unwritable_metrics_file_warns_and_training_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(api.METRICS_FILE_ENV, str(tmp_path / "missing-dir" / "metrics.jsonl"))
    with pytest.warns(RuntimeWarning, match="could not write"):
        api.log({"loss": 0.5})


def test_threads_logging_at_once(metrics_file: Path) -> None:
    def work(name: str) -> None:
        for i in range(500):
            api.log({name: float(i)}, step=i)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    series = _collect(metrics_file).series()
    assert {name: len(one.values) for name, one in series.items()} == {
        f"t{n}": 500 for n in range(4)
    }
