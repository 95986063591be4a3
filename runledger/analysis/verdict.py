"""Did a re-run reproduce the original? Each recorded metric against a relative tolerance.

A metric matches when ``|new - original| <= tolerance * |original|`` (when the original is 0:
``|new| <= tolerance``). The default tolerance is 0: an exact match, right for deterministic
runs. Two NaNs match (the same outcome), as do two equal infinities; a metric the re-run did
not report does not.

Tolerances come from the command line (``--tolerance 0.01``, ``--tolerance acc=0.005``) and
from ``.runledger.toml``'s ``[reproduce] tolerance``; for each metric the most specific value
of the command line wins, then the config's: command-line metric, command-line default,
config metric, config default, exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runledger.config import Tolerance
from runledger.errors import UserError
from runledger.model.record import MetricSummary

VerdictName = Literal["reproduced", "not-reproduced", "not-verified", "failed", "interrupted"]
# The re-run succeeded, but the original recorded nothing to compare it with (no metric, no
# declared output): not a reproduction, not a failure either (docs/reference.md, exit codes).
NOT_VERIFIED_EXIT = 4

# Slack, in units in the last place of the values, for a difference exactly at a non-zero
# tolerance: 0.505 vs 0.5 at 1% is a match, although 0.505 - 0.5 is 0.005000000000000004.
_ULPS_OF_SLACK = 4


def parse_tolerances(texts: Sequence[str]) -> Tolerance:
    """``--tolerance`` values: ``0.01`` or ``1%`` (every metric), ``acc=0.005`` (one metric)."""
    default: float | None = None
    per_metric: dict[str, float] = {}
    for text in texts:
        name, eq, value = text.rpartition("=")
        number = _fraction(value.strip(), text)
        if not eq:
            default = number
        elif not name.strip():
            raise UserError(f"--tolerance {text!r}: name the metric before '=' (e.g. acc=0.005)")
        else:
            per_metric[name.strip()] = number
    return Tolerance(default, per_metric)


def _fraction(value: str, text: str) -> float:
    scale = 1.0
    if value.endswith("%"):
        value, scale = value[:-1], 0.01
    try:
        number = float(value) * scale
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise UserError(
            f"--tolerance {text!r}: expected a relative tolerance >= 0 such as 0.01 (1%), "
            "or METRIC=0.01 for one metric"
        )
    return number


def tolerance_for(name: str, given: Tolerance, configured: Tolerance) -> float:
    """The relative tolerance of metric ``name``: the command line's over the config's."""
    for value in (
        given.per_metric.get(name),
        given.default,
        configured.per_metric.get(name),
        configured.default,
    ):
        if value is not None:
            return value
    return 0.0


@dataclass(frozen=True)
class MetricCheck:
    """One recorded metric: its last value in the original and in the re-run."""

    name: str
    original: float
    new: float | None  # None: the re-run did not report it
    tolerance: float

    @property
    def abs_diff(self) -> float | None:
        if self.new is None or not (math.isfinite(self.original) and math.isfinite(self.new)):
            return None
        return abs(self.new - self.original)

    @property
    def rel_diff(self) -> float | None:
        diff = self.abs_diff
        if diff is None or self.original == 0:
            return None
        return diff / abs(self.original)

    @property
    def matched(self) -> bool:
        if self.new is None:
            return False
        diff = self.abs_diff
        if diff is None:  # NaN or infinity on one side at least
            both_nan = math.isnan(self.original) and math.isnan(self.new)
            return both_nan or self.original == self.new
        allowed = self.tolerance * (abs(self.original) if self.original != 0 else 1.0)
        if self.tolerance > 0:
            allowed += _ULPS_OF_SLACK * math.ulp(max(abs(self.original), abs(self.new)))
        return diff <= allowed


@dataclass(frozen=True)
class OutputCheck:
    """One declared output of the original: its sha256 then and in the re-run."""

    path: str
    original: str
    new: str | None  # None: the re-run did not write it

    @property
    def identical(self) -> bool:
        return self.new == self.original


def check_outputs(
    original: Sequence[Mapping[str, Any]] | None, new: Sequence[Mapping[str, Any]] | None
) -> tuple[OutputCheck, ...]:
    """Every output file the original recorded (with its sha256), in path order."""
    new_by_path = {
        str(record.get("path")): record.get("sha256")
        for record in new or ()
        if isinstance(record, Mapping)
    }
    checks = []
    for record in original or ():
        if not isinstance(record, Mapping) or not isinstance(record.get("sha256"), str):
            continue
        path = str(record.get("path"))
        found = new_by_path.get(path)
        checks.append(
            OutputCheck(path, record["sha256"], found if isinstance(found, str) else None)
        )
    return tuple(sorted(checks, key=lambda check: check.path))


def _outputs_text(outputs: Sequence[OutputCheck]) -> str:
    """ "the declared output is byte-identical", or which differ."""
    differ = [check.path for check in outputs if not check.identical]
    if not differ:
        count = len(outputs)
        return (
            "the declared output is byte-identical"
            if count == 1
            else f"all {count} declared outputs are byte-identical"
        )
    shown = ", ".join(differ[:3]) + (f" and {len(differ) - 3} more" if len(differ) > 3 else "")
    return f"declared outputs differ in bytes: {shown}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a reproduction, and the one line that says it."""

    name: VerdictName
    metrics: tuple[MetricCheck, ...]
    exit_code: int
    reason: str
    outputs: tuple[OutputCheck, ...] = ()

    @property
    def mismatched(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.metrics if not check.matched)

    @property
    def headline(self) -> str:
        label = {"reproduced": "REPRODUCED", "not-verified": "NOT VERIFIED"}.get(
            self.name, "NOT REPRODUCED"
        )
        return f"{label}: {self.reason}"

    @property
    def outputs_differ(self) -> tuple[str, ...]:
        return tuple(check.path for check in self.outputs if not check.identical)


def check_metrics(
    original: Mapping[str, MetricSummary],
    new: Mapping[str, MetricSummary],
    tolerances: Mapping[str, float],
) -> tuple[MetricCheck, ...]:
    """Every metric of the original, in name order, against the re-run's."""
    return tuple(
        MetricCheck(
            name,
            original[name].last,
            new[name].last if name in new else None,
            tolerances.get(name, 0.0),
        )
        for name in sorted(original)
    )


def judge(
    checks: tuple[MetricCheck, ...],
    exit_code: int,
    interrupted: bool,
    original_exit_code: int | None,
    outputs: tuple[OutputCheck, ...] = (),
) -> Verdict:
    """The verdict: a failed or interrupted re-run decides it before any metric does.

    It claims only what was compared: the metrics, then the declared outputs' bytes (sha256)
    as further evidence; with neither, the re-run is NOT VERIFIED (``NOT_VERIFIED_EXIT``).
    """
    if interrupted:
        return Verdict("interrupted", checks, exit_code, "the re-run was interrupted", outputs)
    if exit_code != 0:
        same = " (as the original did)" if original_exit_code == exit_code else ""
        return Verdict(
            "failed",
            checks,
            exit_code,
            f"the re-run failed with exit code {exit_code}{same}",
            outputs,
        )
    if not checks and not outputs:
        return Verdict(
            "not-verified",
            checks,
            NOT_VERIFIED_EXIT,
            "the command succeeded, but the original recorded no metrics and no declared "
            "outputs to compare it with",
        )
    if not checks:
        if all(check.identical for check in outputs):
            reason = f"{_outputs_text(outputs)}; the original recorded no metrics"
        else:
            reason = (
                "the command succeeded; the original recorded no metrics "
                f"({_outputs_text(outputs)})"
            )
        return Verdict("reproduced", checks, 0, reason, outputs)
    missing = [check.name for check in checks if check.new is None]
    differ = [check for check in checks if check.new is not None and not check.matched]
    if not missing and not differ:
        exact = all(check.tolerance == 0 for check in checks)
        how = "exactly" if exact else "within tolerance"
        count = "the metric" if len(checks) == 1 else f"all {len(checks)} metrics"
        evidence = f"; {_outputs_text(outputs)}" if outputs else ""
        return Verdict("reproduced", checks, 0, f"{count} matched {how}{evidence}", outputs)
    reasons = [_differs(check) for check in differ[:3]]
    if len(differ) > 3:
        reasons.append(f"{len(differ) - 3} more differ")
    if missing:
        reasons.append(f"not reported by the re-run: {', '.join(missing)}")
    if outputs and any(not check.identical for check in outputs):
        reasons.append(_outputs_text(outputs))
    return Verdict("not-reproduced", checks, 1, "; ".join(reasons), outputs)


def _differs(check: MetricCheck) -> str:
    allowed = "exact" if check.tolerance == 0 else f"tolerance {check.tolerance:g}"
    if check.rel_diff is not None:
        return f"{check.name} differs by {check.rel_diff * 100:.3g}% ({allowed})"
    return f"{check.name} is {check.new!r}, was {check.original!r} ({allowed})"
