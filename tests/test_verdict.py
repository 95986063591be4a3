"""The metric judgment of reproduce: tolerances, their precedence, NaN and zero."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.analysis.verdict import (
    MetricCheck,
    check_metrics,
    judge,
    parse_tolerances,
    tolerance_for,
)
from runledger.config import Tolerance
from runledger.errors import UserError
from runledger.model.record import MetricSummary
from tests.fuzzing import examples


def summary(value: float) -> MetricSummary:
    return MetricSummary(last=value, min=value, max=value)


@pytest.mark.parametrize(
    ("original", "new", "tolerance", "matched"),
    [
        (0.5, 0.5, 0.0, True),
        (0.5, 0.5000001, 0.0, False),
        (0.5, 0.505, 0.01, True),  # exactly at the tolerance
        (0.5, 0.5051, 0.01, False),
        (-2.0, -2.02, 0.01, True),
        (0.0, 0.0, 0.0, True),
        (0.0, 0.001, 0.01, True),  # relative to 0: the tolerance is absolute
        (0.0, 0.02, 0.01, False),
        (math.nan, math.nan, 0.0, True),
        (math.nan, 1.0, 0.5, False),
        (math.inf, math.inf, 0.0, True),
        (math.inf, -math.inf, 0.5, False),
    ],
)
def test_matched(original: float, new: float, tolerance: float, matched: bool) -> None:
    assert MetricCheck("m", original, new, tolerance).matched is matched


def test_a_metric_the_rerun_did_not_report_does_not_match() -> None:
    checks = check_metrics({"acc": summary(1.0)}, {}, {})
    assert [check.matched for check in checks] == [False]
    verdict = judge(checks, 0, False, 0)
    assert verdict.name == "not-reproduced"
    assert verdict.headline == "NOT REPRODUCED: not reported by the re-run: acc"
    assert verdict.exit_code == 1


def test_failure_and_interruption_decide_before_metrics() -> None:
    checks = check_metrics({"acc": summary(1.0)}, {"acc": summary(1.0)}, {})
    assert judge(checks, 0, False, 0).headline == "REPRODUCED: the metric matched exactly"
    failed = judge(checks, 3, False, 0)
    assert (failed.name, failed.exit_code) == ("failed", 3)
    assert failed.headline == "NOT REPRODUCED: the re-run failed with exit code 3"
    same = judge(checks, 3, False, 3)
    assert same.headline.endswith("exit code 3 (as the original did)")
    interrupted = judge(checks, 143, True, 0)
    assert (interrupted.name, interrupted.exit_code) == ("interrupted", 143)


def test_no_metrics_recorded() -> None:
    verdict = judge((), 0, False, 0)
    assert verdict.headline == (
        "REPRODUCED: the command succeeded; the original recorded no metrics"
    )


def test_parse_tolerances() -> None:
    parsed = parse_tolerances(["0.01", "acc=0.5%", " loss = 0 "])
    assert parsed.default == 0.01
    assert parsed.per_metric == {"acc": 0.005, "loss": 0.0}


@pytest.mark.parametrize("text", ["abc", "-0.1", "acc=", "=0.1", "nan", "inf", "acc=x%"])
def test_bad_tolerances(text: str) -> None:
    with pytest.raises(UserError, match="--tolerance"):
        parse_tolerances([text])


def test_the_command_line_takes_precedence_over_the_config() -> None:
    config = Tolerance(0.1, {"acc": 0.2, "loss": 0.3})
    assert tolerance_for("acc", Tolerance(), config) == 0.2
    assert tolerance_for("f1", Tolerance(), config) == 0.1
    assert tolerance_for("acc", Tolerance(0.01), config) == 0.01
    assert tolerance_for("acc", Tolerance(None, {"acc": 0.0}), config) == 0.0
    assert tolerance_for("loss", Tolerance(None, {"acc": 0.0}), config) == 0.3
    assert tolerance_for("acc", Tolerance(), Tolerance()) == 0.0


@settings(deadline=None, max_examples=examples(200))
@given(
    original=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    tolerance=st.floats(min_value=0, max_value=1),
    fraction=st.floats(min_value=0, max_value=1),
)
def test_a_difference_within_the_tolerance_matches(
    original: float, tolerance: float, fraction: float
) -> None:
    scale = abs(original) if original != 0 else 1.0
    new = original + fraction * tolerance * scale * 0.999
    assert MetricCheck("m", original, new, tolerance).matched
