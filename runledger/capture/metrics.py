"""Placeholder until the full metrics capture lands (same API, name=value lines only)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TOKEN = re.compile(r"^([A-Za-z_][\w./-]*)=([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|nan|inf|-inf)$")


@dataclass(frozen=True)
class MetricSeries:
    steps: list[float]
    values: list[float]


@dataclass(frozen=True)
class MetricSummary:
    last: float
    min: float
    max: float
    last_step: float | None
    min_step: float | None
    max_step: float | None
    count: int


@dataclass
class MetricsCollector:
    _series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    _buffers: dict[str, bytes] = field(default_factory=dict)
    logged_params: dict[str, Any] = field(default_factory=dict)

    def feed_output(self, data: bytes, stream: str = "stdout") -> None:
        buffer = self._buffers.get(stream, b"") + data
        *lines, rest = buffer.split(b"\n")
        self._buffers[stream] = rest
        for line in lines:
            self._parse(line.decode(errors="replace").split("\r")[-1])

    def _parse(self, line: str) -> None:
        tokens = line.split()
        if not tokens:
            return
        values = {}
        for token in tokens:
            match = _TOKEN.match(token)
            if not match:
                return
            values[match.group(1)] = float(match.group(2))
        step = values.get("step", values.get("epoch"))
        self.add(values, step)

    def add(self, values: Mapping[str, float], step: float | None = None) -> None:
        for name, value in values.items():
            steps, vals = self._series.setdefault(name, ([], []))
            steps.append(step if step is not None else len(steps))
            vals.append(value)

    def poll_metrics_file(self, path: Path) -> None:
        return None

    def series(self) -> dict[str, MetricSeries]:
        return {k: MetricSeries(list(s), list(v)) for k, (s, v) in self._series.items()}

    def summaries(self) -> dict[str, MetricSummary]:
        out = {}
        for name, (steps, values) in self._series.items():
            finite = [v for v in values if not math.isnan(v)] or [math.nan]
            out[name] = MetricSummary(
                values[-1], min(finite), max(finite), steps[-1], None, None, len(values)
            )
        return out
