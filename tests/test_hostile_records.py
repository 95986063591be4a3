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
SERIES = b"schema = 1\n[series.loss]\nstep = [0, 1, 2]\nvalue = [0.75, 0.25, 0.5]\n"


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


@pytest.mark.parametrize(
    ("system", "environment"),
    [
        ({"gpus": "x", "cpu_time_s": "long", "peak_tree_rss_bytes": "big"}, {"gpus": "x"}),
        ({"gpus": [1, "a"], "max_process_rss_bytes": [1]}, {"gpus": 5}),
    ],
    ids=["text", "numbers"],
)
def test_show_of_resources_and_gpus_of_the_wrong_shape(
    team: tuple[Clone, Clone], system: dict[str, object], environment: dict[str, object]
) -> None:
    """run.toml's system table (gpus = "x", cpu_time_s = "long") and environment.toml's gpus
    (a string, a number) ended 'show' with an internal error ('str' object has no attribute
    'get', could not convert string to float)."""
    mallory, alice = team
    good_gpu = {"index": 0, "peak_util_pct": 97, "peak_mem_mib": 4096}
    odd = craft(
        mallory.path,
        metrics=LOSS,
        system={**system, "gpus": [*system["gpus"], good_gpu]}
        if isinstance(system["gpus"], list)
        else system,
        environment=environment,
    )
    share(mallory, alice)

    shown = alice.cli("show", odd)

    assert shown.exit_code == 0, shown.stderr
    assert "resources" in shown.stdout and "gpus" in shown.stdout
    if isinstance(system["gpus"], list):
        assert "peak 97% busy, 4096 MiB" in shown.stdout  # the one well-formed GPU
