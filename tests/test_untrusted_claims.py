"""Claims a pulled record makes about another run (review 7): that it reproduces it, or that
it is one of its children. A claim is shown on the other run only when the claimant re-ran
the same thing: the same commit and command, as ``reproduce`` and a search's children do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crafted import craft
from tests.team import Clone, mallory_and_alice, share

REPRODUCED = {"verdict": "reproduced", "mismatched": [], "tolerance": {}}


@pytest.fixture
def team(tmp_path: Path) -> tuple[Clone, Clone]:
    return mallory_and_alice(tmp_path)


def alices_run(mallory: Clone, alice: Clone) -> str:
    run_id = alice.record()
    alice.ok("push")
    mallory.ok("pull")
    return run_id


def row_of(listing: str, run_id: str) -> str:
    return next(line for line in listing.splitlines() if line.lstrip().startswith(run_id[:10]))


@pytest.mark.parametrize("what", ["command", "commit"])
def test_a_reproduction_of_something_else_is_not_shown_on_the_run(
    team: tuple[Clone, Clone], what: str
) -> None:
    """A pulled run that said 'reproduces = <alice's run>, verdict reproduced' made ls show
    '1✓' on alice's run and show list it under 'reproductions', though it ran another
    command (or another commit) and so proved nothing about her run."""
    mallory, alice = team
    mine = alices_run(mallory, alice)
    if what == "command":
        claim = {"command": ["python", "other.py"]}
    else:
        mallory.write("other.py", "print(1)\n")
        mallory.commit_all("other")
        claim = {"command": ["python", "train.py", "alice"]}
    craft(mallory.path, reproduces=mine, reproduction=REPRODUCED, **claim)
    share(mallory, alice)

    listed = {run["id"]: run for run in alice.runs_json()}
    assert listed[mine]["reproduced_by"] == []
    listing = alice.ok("ls")
    assert "1✓" not in row_of(listing, mine)
    shown = alice.ok("show", mine)
    assert "reproductions" not in shown
    assert alice.cli("show", mine, "--json").json()["reproduced_by"] == []


def test_a_reproduction_of_something_else_shows_its_claim_as_a_claim(
    team: tuple[Clone, Clone],
) -> None:
    """The claimant's own row said '↻ <alice's run> ✓' and its show 'reproduces <id>' beside
    'reproduction ✓ reproduced', though it ran another command than her run."""
    mallory, alice = team
    mine = alices_run(mallory, alice)
    theirs = craft(
        mallory.path, reproduces=mine, reproduction=REPRODUCED, command=["python", "other.py"]
    )
    share(mallory, alice)

    assert f"↻ {mine[:10]} ? claimed" in row_of(alice.ok("ls"), theirs)
    assert f"{mine}  (claimed: it ran another commit or command)" in alice.ok("show", theirs)


def test_a_real_reproduction_by_a_teammate_is_still_shown(team: tuple[Clone, Clone]) -> None:
    mallory, alice = team
    mine = alices_run(mallory, alice)
    theirs = craft(
        mallory.path,
        reproduces=mine,
        reproduction=REPRODUCED,
        command=["python", "train.py", "alice"],
    )
    share(mallory, alice)

    listing = alice.ok("ls")
    assert "1✓" in row_of(listing, mine)
    assert f"↻ {mine[:10]} ✓" in row_of(listing, theirs)
    assert "claimed" not in listing + alice.ok("show", theirs)
    by = alice.cli("show", mine, "--json").json()["reproduced_by"]
    assert [item["id"] for item in by] == [theirs]


def test_a_child_at_another_commit_is_not_counted_as_yours(team: tuple[Clone, Clone]) -> None:
    """A pulled run that said 'parent = <alice's run>' made ls show '+1 child' on her run, was
    hidden from ls itself, and was listed by 'ls --children' and 'compare <her run>' as one of
    her trials, though it ran another commit (a child runs its parent's commit)."""
    mallory, alice = team
    mine = alices_run(mallory, alice)
    mallory.write("other.py", "print(1)\n")
    mallory.commit_all("other")
    theirs = craft(
        mallory.path, parent=mine, sweep=mine, metrics={"acc": {"last": 0.99}}, name="forged"
    )
    share(mallory, alice)

    for index in ("on", "off"):
        if index == "off":
            alice.break_index()
        listing = alice.ok("ls")
        assert "child" not in row_of(listing, mine), index
        assert theirs[:10] in listing, index
        children = alice.cli("ls", "--children", mine, "--json")
        assert theirs not in children.stdout, index
        assert theirs not in alice.cli("compare", "--sweep", mine, "--format", "csv").stdout
    shown = alice.ok("show", theirs)
    assert f"{mine}  (claimed: that run is at another commit)" in shown


def test_a_child_at_its_parents_commit_is_still_counted(team: tuple[Clone, Clone]) -> None:
    mallory, alice = team
    mine = alices_run(mallory, alice)
    theirs = craft(mallory.path, parent=mine, sweep=mine, metrics={"acc": {"last": 0.5}})
    share(mallory, alice)

    assert "+1 child" in row_of(alice.ok("ls"), mine)
    assert "claimed" not in alice.ok("show", theirs)
    children = alice.cli("ls", "--children", mine, "--json").json()
    assert [run["id"] for run in children] == [theirs]
