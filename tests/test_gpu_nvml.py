"""What exec records of a machine's GPUs through pynvml, on the machines users have.

NVML is the one thing the tests fake. Elsewhere the seam is RUNLEDGER_FAKE_NVML (a JSON list
standing for query_gpus' answer); here the real pynvml path runs, against a stand-in module
``pynvml`` with nvidia-ml-py's names and shapes: ``nvmlInit`` raising
``NVMLError_LibraryNotFound`` where libnvidia-ml is missing, ``c_nvmlMemory_t``-like answers
with ``total``/``used`` in bytes, ``NVMLError_NotSupported`` from ``nvmlDeviceGetUtilizationRates``
on a MIG-enabled GPU, ``NVMLError_FunctionNotFound`` for a call an older driver lacks. The
stand-in answers from a JSON description of the machine written by each test. On Linux
runledger looks for /proc/driver/nvidia before it imports pynvml, so that check is patched
to say a driver is there, and exec runs in-process (the CLI, as typed) to see the stand-in.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture import gpu as gpu_capture
from tests.conftest import Repo

PY = sys.executable

STAND_IN_PYNVML = """\
import json
from types import SimpleNamespace

MACHINE = json.load(open(__file__ + ".json"))
STATE = {"initialised": 0, "shut_down": 0}


class NVMLError(Exception):
    value = 999

    def __str__(self):
        return type(self).__name__


# one subclass per NVML_ERROR_* code, as pynvml makes them (_extractNVMLErrorsAsClasses)
for _name, _value in (("Uninitialized", 1), ("NotSupported", 3), ("NoPermission", 4),
                      ("DriverNotLoaded", 9), ("LibraryNotFound", 12),
                      ("FunctionNotFound", 13), ("GpuIsLost", 15)):
    globals()["NVMLError_" + _name] = type("NVMLError_" + _name, (NVMLError,), {"value": _value})


def _answer(value):
    if isinstance(value, dict) and "raise" in value:
        raise globals()["NVMLError_" + value["raise"]]()
    if isinstance(value, dict) and "bytes" in value:
        return value["bytes"].encode()
    return value


def _gpu(handle):
    return MACHINE["gpus"][handle]


def nvmlInit():
    _answer(MACHINE.get("init"))
    STATE["initialised"] += 1


def nvmlShutdown():
    STATE["shut_down"] += 1
    _answer(MACHINE.get("shutdown"))


def nvmlSystemGetDriverVersion():
    return _answer(MACHINE["driver"])


def nvmlSystemGetCudaDriverVersion_v2():
    return _answer(MACHINE["cuda"])


def nvmlDeviceGetCount():
    return len(MACHINE["gpus"])


def nvmlDeviceGetHandleByIndex(index):
    _answer(MACHINE["gpus"][index].get("open"))
    return index


def nvmlDeviceGetName(handle):
    return _answer(_gpu(handle)["name"])


def nvmlDeviceGetUUID(handle):
    return _answer(_gpu(handle)["uuid"])


def nvmlDeviceGetMemoryInfo(handle, version=None):
    memory = _answer(_gpu(handle)["memory"])
    return SimpleNamespace(total=memory["total"], free=memory["total"] - memory["used"],
                           used=memory["used"])


def nvmlDeviceGetUtilizationRates(handle):
    return SimpleNamespace(gpu=_answer(_gpu(handle)["util"]), memory=0)
"""

GIB = 2**30
NOT_SUPPORTED = {"raise": "NotSupported"}


def h100(index: int, *, util: Any = 87, used: int = 12 * GIB) -> dict[str, Any]:
    return {
        "name": "NVIDIA H100 80GB HBM3",
        "uuid": f"GPU-0000000{index}-aaaa-bbbb-cccc-dddddddddddd",
        "memory": {"total": 81559 * 2**20, "used": used},
        "util": util,
    }


def machine(*gpus: dict[str, Any], **system: Any) -> dict[str, Any]:
    return {"driver": "550.54.15", "cuda": 12040, "gpus": list(gpus), **system}


@pytest.fixture
def nvml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``nvml(machine)``: the stand-in pynvml answering as ``machine``, in sys.modules; the
    module, so a test can read what runledger called."""

    def install(description: dict[str, Any] | None) -> Any:
        folder = tmp_path / "nvml"
        folder.mkdir(exist_ok=True)
        source = folder / "pynvml.py"
        source.write_text(STAND_IN_PYNVML)
        Path(f"{source}.json").write_text(json.dumps(description or {}))
        spec = importlib.util.spec_from_file_location("pynvml", source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        monkeypatch.setitem(sys.modules, "pynvml", module)
        return module

    monkeypatch.delenv(gpu_capture.FAKE_NVML_ENV, raising=False)
    monkeypatch.setattr(gpu_capture, "_nvml_possible", lambda: True)
    return install


def exec_and_show(repo: Repo, code: str = "pass") -> dict[str, Any]:
    """The record of ``exec python -c CODE`` (show --json), with its run id under "id"."""
    before = set(repo.run_ids())
    result = repo.cli("exec", PY, "-c", code)
    assert result.exit_code == 0, result.stderr
    [run_id] = set(repo.run_ids()) - before
    shown = repo.cli("show", run_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    detail: dict[str, Any] = shown.json()
    return detail


def test_two_gpus_with_their_memory_driver_cuda_and_use(repo: Repo, nvml: Any) -> None:
    """Two H100s: both in environment.toml with memory, driver and CUDA version, and each one's
    utilisation and memory sampled while the command runs (it runs past the 1 s interval)."""
    module = nvml(machine(h100(0, util=87), h100(1, util=12, used=3 * GIB)))
    detail = exec_and_show(repo, "import time; time.sleep(1.4)")
    gpus = detail["environment"]["gpus"]
    assert [gpu["index"] for gpu in gpus] == [0, 1]
    assert gpus[0] == {
        "index": 0,
        "name": "NVIDIA H100 80GB HBM3",
        "uuid": "GPU-00000000-aaaa-bbbb-cccc-dddddddddddd",
        "memory_total_mib": 81559,
        "driver_version": "550.54.15",
        "cuda_driver_version": "12.4",
    }
    system = detail["system"]["gpus"]
    assert system == [
        {"index": 0, "peak_util_pct": 87.0, "peak_mem_mib": 12288.0},
        {"index": 1, "peak_util_pct": 12.0, "peak_mem_mib": 3072.0},
    ]
    # NVML is shut down as often as it was started: the query and the sampler each close it
    assert module.STATE["initialised"] == module.STATE["shut_down"] == 2
    shown = repo.cli("show", repo.run_ids()[-1]).stdout
    assert "NVIDIA H100 80GB HBM3, 81559 MiB, driver 550.54.15, CUDA 12.4" in shown
    assert "peak 87.0% busy, 12288.0 MiB" in shown


def test_one_gpu_and_no_gpu(repo: Repo, nvml: Any) -> None:
    """One GPU (an older pynvml answering bytes) is recorded as text; NVML with no GPU records
    none, and diff names the count and the GPU the second run lacks."""
    old_pynvml = machine(h100(0), driver={"bytes": "535.104.05"})
    old_pynvml["gpus"][0]["name"] = {"bytes": "Tesla T4"}
    old_pynvml["gpus"][0]["uuid"] = {"bytes": "GPU-t4"}
    nvml(old_pynvml)
    first = exec_and_show(repo)
    [gpu] = first["environment"]["gpus"]
    assert (gpu["name"], gpu["uuid"], gpu["driver_version"]) == ("Tesla T4", "GPU-t4", "535.104.05")
    nvml(machine())
    second = exec_and_show(repo)
    assert second["environment"]["gpus"] == []
    shown = repo.cli("show", second["id"]).stdout
    assert "none" in next(line for line in shown.splitlines() if "gpus" in line)
    diff = repo.cli("diff", first["id"], second["id"])
    assert diff.exit_code == 0, diff.stderr
    assert "gpus.count" in diff.stdout and "Tesla T4" in diff.stdout


@pytest.mark.parametrize(
    "init",
    [{"raise": "LibraryNotFound"}, {"raise": "DriverNotLoaded"}],
    ids=["no-libnvidia-ml", "driver-not-loaded"],
)
def test_no_usable_nvml_records_no_gpu_and_the_run_succeeds(
    repo: Repo, nvml: Any, init: dict[str, str]
) -> None:
    """pynvml installed but libnvidia-ml missing, or the driver not loaded: no GPU, no error."""
    nvml(machine(h100(0), init=init))
    result = repo.cli("exec", PY, "-c", "print('acc=1')")
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    detail = repo.cli("show", repo.run_ids()[-1], "--json").json()
    assert detail["environment"]["gpus"] == [] and detail["metrics"]["acc"] == 1


def test_without_pynvml_there_is_no_gpu(repo: Repo, nvml: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    assert exec_and_show(repo)["environment"]["gpus"] == []


def test_mig_gpu_keeps_its_memory_samples_without_utilisation(repo: Repo, nvml: Any) -> None:
    """A MIG-enabled A100 answers NotSupported for utilisation (NVML's documented limit) and
    still tells its memory: the run records the memory it used, and show says so without a
    made-up 0 % busy. A GPU outside the container's share (NoPermission on its handle) is left
    out; the others are still recorded."""
    mig = {**h100(0, util=NOT_SUPPORTED, used=5 * GIB), "name": "NVIDIA A100-SXM4-80GB"}
    hidden = {**h100(1), "open": {"raise": "NoPermission"}}
    nvml(machine(mig, hidden))
    detail = exec_and_show(repo, "import time; time.sleep(1.4)")
    assert [gpu["name"] for gpu in detail["environment"]["gpus"]] == ["NVIDIA A100-SXM4-80GB"]
    assert detail["system"]["gpus"] == [{"index": 0, "peak_mem_mib": 5120.0}]
    shown = repo.cli("show", repo.run_ids()[-1]).stdout
    assert "peak 5120.0 MiB" in shown and "busy" not in shown


def test_a_driver_without_some_calls_loses_only_those_facts(repo: Repo, nvml: Any) -> None:
    """An older driver lacks nvmlSystemGetCudaDriverVersion_v2 (FunctionNotFound) and a GPU
    answers NotSupported for its UUID and memory: its name and driver are still recorded, and
    show leaves the unknown memory out instead of printing "None MiB"."""
    odd = {**h100(0), "uuid": NOT_SUPPORTED, "memory": NOT_SUPPORTED}
    nvml(machine(odd, cuda={"raise": "FunctionNotFound"}, shutdown={"raise": "Uninitialized"}))
    [gpu] = exec_and_show(repo)["environment"]["gpus"]
    assert gpu == {"index": 0, "name": "NVIDIA H100 80GB HBM3", "driver_version": "550.54.15"}
    shown = repo.cli("show", repo.run_ids()[-1]).stdout
    assert "NVIDIA H100 80GB HBM3, driver 550.54.15, CUDA ?" in shown and "None" not in shown


def test_a_driver_that_fails_mid_query_records_no_gpu(repo: Repo, nvml: Any) -> None:
    nvml(machine(h100(0), driver={"raise": "GpuIsLost"}))
    assert exec_and_show(repo)["environment"]["gpus"] == []


def test_nvml_is_looked_for_only_where_a_driver_can_be(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS has no NVIDIA driver; Linux has one when /proc/driver/nvidia (or WSL's
    /usr/lib/wsl/lib) exists; Windows is asked through pynvml itself."""
    monkeypatch.delenv(gpu_capture.FAKE_NVML_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert gpu_capture._nvml_possible() is False
    monkeypatch.setattr(sys, "platform", "win32")
    assert gpu_capture._nvml_possible() is True
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(gpu_capture.os.path, "exists", lambda path: path == "/usr/lib/wsl/lib")
    assert gpu_capture._nvml_possible() is True
    monkeypatch.setattr(gpu_capture.os.path, "exists", lambda path: False)
    assert gpu_capture._nvml_possible() is False
    assert gpu_capture.query_gpus() == [] and gpu_capture.GpuSampler().sample() == []


def test_the_sampler_skips_what_nvml_cannot_read(nvml: Any) -> None:
    """Sampling while a command runs: a GPU that answers neither utilisation nor memory (lost
    mid-run) gives no sample, the others do; NVML that cannot start gives no samples at all,
    and an NVML that fails to shut down does not fail the run."""
    lost = {**h100(0), "util": {"raise": "GpuIsLost"}, "memory": {"raise": "GpuIsLost"}}
    nvml(machine(lost, h100(1, util=50, used=GIB), shutdown={"raise": "Uninitialized"}))
    sampler = gpu_capture.GpuSampler()
    assert sampler.sample() == [(1, 50.0, 1024.0)]
    sampler.close()
    sampler.close()  # closing twice is harmless
    nvml(machine(h100(0), init={"raise": "LibraryNotFound"}))
    assert gpu_capture.GpuSampler().sample() == []
