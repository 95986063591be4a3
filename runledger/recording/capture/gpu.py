"""GPUs through NVML: name, memory, driver and CUDA driver version; ``[]`` without a driver.

NVML is the one thing tests fake, behind one explicit seam: when ``RUNLEDGER_FAKE_NVML`` is set,
its value names a JSON file holding the list this module would return, and anything else (an
empty value, a missing file, ``{"error": "..."}``) acts as a machine without a driver. When it
is unset, the real path runs (on any machine with an NVIDIA driver).
"""

from __future__ import annotations

import json
import os
from typing import Any

FAKE_NVML_ENV = "RUNLEDGER_FAKE_NVML"


def _fake_gpus(path: str) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return []
    return [dict(gpu) for gpu in data] if isinstance(data, list) else []


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _cuda_version(raw: int) -> str:
    return f"{raw // 1000}.{(raw % 1000) // 10}"


def _nvml_possible() -> bool:
    """Cheap check before importing pynvml: Linux without the NVIDIA driver has no NVML."""
    import sys

    if sys.platform == "darwin":
        return False
    if sys.platform.startswith("linux"):
        return os.path.exists("/proc/driver/nvidia") or os.path.exists("/usr/lib/wsl/lib")
    return True


def query_gpus() -> list[dict[str, Any]]:
    """One dict per visible NVIDIA GPU; ``[]`` (silently) when NVML or a driver is missing."""
    fake = os.environ.get(FAKE_NVML_ENV)
    if fake is not None:
        return _fake_gpus(fake)
    if not _nvml_possible():
        return []
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...: no usable GPU here
        return []
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        cuda_raw = _optional(pynvml.nvmlSystemGetCudaDriverVersion_v2)
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            gpu = _describe(pynvml, index, driver)
            if gpu is not None:
                if cuda_raw is not None:
                    gpu["cuda_driver_version"] = _cuda_version(cuda_raw)
                gpus.append(gpu)
        return gpus
    except Exception:
        return []
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


def _optional(call: Any, *args: Any) -> Any:
    """NVML's answer, or None where this driver or GPU has no answer: an older driver lacks the
    function (NVMLError_FunctionNotFound, or an older pynvml lacks the name), a GPU does not
    support the query (NVMLError_NotSupported: utilisation on a MIG-enabled GPU)."""
    try:
        return call(*args)
    except Exception:
        return None


def _describe(pynvml: Any, index: int, driver: str) -> dict[str, Any] | None:
    """One GPU's facts, each one left out where NVML cannot tell it; None for a GPU that cannot
    be opened at all (NVMLError_NoPermission outside a container's share, NVMLError_GpuIsLost),
    which must not cost the record the GPUs that can."""
    handle = _optional(pynvml.nvmlDeviceGetHandleByIndex, index)
    if handle is None:
        return None
    gpu: dict[str, Any] = {"index": index}
    name = _optional(pynvml.nvmlDeviceGetName, handle)
    if name is not None:
        gpu["name"] = _text(name)
    uuid = _optional(pynvml.nvmlDeviceGetUUID, handle)
    if uuid is not None:
        gpu["uuid"] = _text(uuid)
    memory = _optional(pynvml.nvmlDeviceGetMemoryInfo, handle)
    if memory is not None:
        gpu["memory_total_mib"] = int(memory.total) // (1024 * 1024)
    gpu["driver_version"] = driver
    return gpu


class GpuSampler:
    """Reads utilisation and memory of every GPU, for sampling while a command runs."""

    def __init__(self) -> None:
        self._fake: list[dict[str, Any]] | None = None
        self._handles: list[tuple[int, Any]] = []
        self._nvml: Any = None
        fake = os.environ.get(FAKE_NVML_ENV)
        if fake is not None:
            self._fake = _fake_gpus(fake)
            return
        if not _nvml_possible():
            return
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            handles = (
                (index, _optional(pynvml.nvmlDeviceGetHandleByIndex, index))
                for index in range(pynvml.nvmlDeviceGetCount())
            )
            self._handles = [(index, handle) for index, handle in handles if handle is not None]
        except Exception:
            self._handles = []

    def sample(self) -> list[tuple[int, float | None, float | None]]:
        """(index, utilisation %, memory used MiB) per GPU; None where the GPU cannot tell
        (a MIG-enabled GPU has no utilisation, yet its memory is still worth a sample)."""
        if self._fake is not None:
            return [
                (
                    int(gpu.get("index", i)),
                    float(gpu.get("utilization_pct", 0.0)),
                    float(gpu.get("memory_used_mib", 0.0)),
                )
                for i, gpu in enumerate(self._fake)
            ]
        samples = []
        for index, handle in self._handles:
            util = _optional(self._nvml.nvmlDeviceGetUtilizationRates, handle)
            memory = _optional(self._nvml.nvmlDeviceGetMemoryInfo, handle)
            if util is None and memory is None:
                continue
            samples.append(
                (
                    index,
                    None if util is None else float(util.gpu),
                    None if memory is None else round(int(memory.used) / 2**20, 1),
                )
            )
        return samples

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                pass
            self._nvml = None
