"""World size of a distributed run whose metrics come only from its printed output."""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run

# A worker as torchrun starts it (RANK, WORLD_SIZE in its environment) that imports a
# non-standard module and prints its metrics: nothing is reported in process but the exit.
PROGRAM = """\
import helper

for step in range(3):
    print(f"step={step} loss={1.0 / (step + 1):.3f}")
"""


def test_world_size_recorded_when_metrics_are_only_printed(repo: Repo) -> None:
    repo.write("helper.py", "VALUE = 1\n")
    repo.write("train.py", PROGRAM)
    repo.commit_all("train")

    _, run = exec_run(repo, sys.executable, "train.py", env={"RANK": "0", "WORLD_SIZE": "2"})
    assert run["environment"]["distributed"] == {"world_size": 2}
    assert run["series"]["loss"] == [[0, 1.0], [1, 0.5], [2, 0.333]]

    # Another rank says nothing: only rank 0 reports.
    _, run = exec_run(repo, sys.executable, "train.py", env={"RANK": "1", "WORLD_SIZE": "2"})
    assert "distributed" not in run["environment"]
