"""Pulled records of every wrong shape (review 9): runs crafted by plumbing in mallory's clone
(tests/crafted.py), pulled by alice, against every command that reads them. Each named test
failed on the code before its fix; the property test at the end searches for more."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.crafted import craft
from tests.team import Clone, mallory_and_alice, share

LOSS = {"loss": {"last": 0.5, "min": 0.25, "max": 0.75}}


@pytest.fixture
def team(tmp_path: Path) -> tuple[Clone, Clone]:
    return mallory_and_alice(tmp_path)


@pytest.mark.parametrize("duration", [math.nan, math.inf, -math.inf])
def test_a_duration_that_is_no_number_is_null_in_json(
    team: tuple[Clone, Clone], duration: float
) -> None:
    """duration_s = nan (TOML has it) made 'ls --json' and 'show --json' fail for every run
    with an internal error: JSON has no NaN."""
    mallory, alice = team
    good = craft(mallory.path, metrics=LOSS)
    odd = craft(mallory.path, duration_s=duration, metrics=LOSS)
    share(mallory, alice)

    listed = alice.cli("ls", "--json")
    shown = alice.cli("show", odd, "--json")

    assert listed.exit_code == 0 and shown.exit_code == 0, listed.stderr + shown.stderr
    durations = {run["id"]: run["duration_s"] for run in listed.json()}
    assert durations == {good: 1.0, odd: None}
    assert shown.json()["duration_s"] is None
    alice.break_index()  # the same from the refs, without the index
    assert {run["id"]: run["duration_s"] for run in alice.cli("ls", "--json").json()} == durations
