"""The real NVML path, on a machine with an NVIDIA GPU (marked ``gpu``; skipped elsewhere).

Everywhere else NVML is faked through RUNLEDGER_FAKE_NVML; this test is the one that runs
pynvml itself, and it is run on a GPU machine when one is lent (the closing note says so).
"""

from __future__ import annotations

import os
import sys

import pytest

from runledger.recording.capture import gpu
from tests.conftest import Repo

pytestmark = pytest.mark.gpu


def _real_gpus() -> list[dict[str, object]]:
    if gpu.FAKE_NVML_ENV in os.environ:
        pytest.skip("RUNLEDGER_FAKE_NVML is set: this test reads the real NVML")
    found = gpu.query_gpus()
    if not found:
        pytest.skip("no NVIDIA GPU with a driver on this machine")
    return found


def test_real_nvml_reports_each_gpu_with_its_driver() -> None:
    gpus = _real_gpus()
    first = gpus[0]
    assert str(first["name"]).strip()
    assert float(str(first["memory_total_mib"])) > 0
    assert str(first["driver_version"]).count(".") >= 1


def test_exec_records_the_real_gpus(repo: Repo) -> None:
    gpus = _real_gpus()
    assert repo.run("exec", sys.executable, "-c", "pass").returncode == 0
    detail = repo.cli("show", repo.run_ids()[0], "--json").json()
    assert [g["name"] for g in detail["environment"]["gpus"]] == [g["name"] for g in gpus]
