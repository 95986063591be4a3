"""System metrics sampled while the command runs: memory of its process tree, GPU use.

A daemon thread wakes every ``interval`` seconds, sums the resident memory of the command's
process tree (psutil) and reads each GPU's utilisation and memory (NVML). One sample costs well
under a millisecond of one core, so the training loop does not notice it. CPU time and the
largest single process's peak memory come exactly from the kernel when the command is reaped
(see runner.py), not from sampling.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from runledger.recording.capture.gpu import GpuSampler

DEFAULT_INTERVAL_S = 1.0


@dataclass
class SystemSeries:
    """Samples by seconds since the command started."""

    seconds: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, at: float, sample: dict[str, float]) -> None:
        index = len(self.seconds)
        self.seconds.append(round(at, 2))
        for name, value in sample.items():
            column = self.values.setdefault(name, [])
            column.extend([float("nan")] * (index - len(column)))
            column.append(value)


class SystemSampler:
    """Samples the process tree rooted at ``pid`` until stopped."""

    def __init__(self, interval: float = DEFAULT_INTERVAL_S) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self.series = SystemSeries()
        self.peak_tree_rss_bytes = 0
        self.gpu_peaks: dict[int, dict[str, float]] = {}

    def start(self, pid: int) -> None:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, args=(pid,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self, pid: int) -> None:
        # Nothing is sampled before the first interval has passed: a command that ends sooner
        # must not wait for psutil and NVML to load (exec's overhead on short commands).
        if self._stop.wait(self._interval):
            return
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is a dependency
            psutil = None
        root = None
        gpus = GpuSampler()
        try:
            first = True
            if psutil is not None:
                try:
                    root = psutil.Process(pid)
                except psutil.Error:
                    root = None
            while first or not self._stop.wait(self._interval):
                first = False
                sample: dict[str, float] = {}
                if root is not None:
                    rss = _tree_rss(root)
                    if rss is not None:
                        self.peak_tree_rss_bytes = max(self.peak_tree_rss_bytes, rss)
                        sample["rss_mib"] = round(rss / 2**20, 1)
                for index, util, memory in gpus.sample():
                    peaks = self.gpu_peaks.setdefault(index, {})
                    for name, value in (("util_pct", util), ("mem_mib", memory)):
                        if value is not None:
                            sample[f"gpu{index}_{name}"] = value
                            peaks[name] = max(peaks.get(name, 0.0), value)
                if sample:
                    self.series.add(time.monotonic() - self._started, sample)
        finally:
            gpus.close()

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.peak_tree_rss_bytes:
            data["peak_tree_rss_bytes"] = self.peak_tree_rss_bytes
        if self.gpu_peaks:
            data["gpus"] = [
                {"index": index, **{f"peak_{name}": peak for name, peak in peaks.items()}}
                for index, peaks in sorted(self.gpu_peaks.items())
            ]
        return data


def _tree_rss(root: Any) -> int | None:
    import psutil

    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total
