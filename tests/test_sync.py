"""runledger push / pull / init against real bare remotes with several clones."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Repo, git
from tests.fuzzing import examples
from tests.team import Clone, clone, fsck, ledger_of, make_remote, outside_ledger


class Team:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.remote = make_remote(root)
        self.clones: list[Clone] = []

    def clone(self, name: str) -> Clone:
        made = clone(self.root, self.remote, name)
        self.clones.append(made)
        return made

    def remote_refs(self) -> dict[str, str]:
        return ledger_of(self.remote)

    def remote_run_ids(self) -> set[str]:
        prefix = "refs/runledger/runs/"
        return {ref[len(prefix) :] for ref in self.remote_refs() if ref.startswith(prefix)}

    def outside(self) -> list[dict[str, str]]:
        return [outside_ledger(self.remote)] + [outside_ledger(c.path) for c in self.clones]

    def check(self) -> None:
        for path in [self.remote, *(c.path for c in self.clones)]:
            fsck(path)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    made = Team(tmp_path)
    yield made
    made.check()


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", name)
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", f"{name.lower()}@example.com")


# --- the basics -----------------------------------------------------------------------------


def test_push_then_pull_in_a_fresh_clone_brings_the_whole_ledger(team: Team) -> None:
    alice = team.clone("alice")
    runs = {alice.record(), alice.record()}
    alice.ok("tag", sorted(runs)[0], "production")
    alice.ok("note", "production", "the one we ship")
    before = team.outside()

    assert alice.ok("push") == "pushed to origin: 2 runs, 1 tag (production), notes on 1 run sent\n"
    assert team.remote_run_ids() == runs

    bob = team.clone("bob")  # a plain `git clone` brings no ledger ...
    assert bob.runs_json() == []
    out = bob.ok("pull")  # ... and one pull brings all of it
    assert out.splitlines()[0] == (
        "pulled from origin: 2 new runs, 1 tag updated, new notes on 1 run (2 runs here now)"
    )
    assert "tag production: new, run " in out
    assert bob.ids() == runs
    shown = json.loads(bob.ok("show", "production", "--json"))
    assert shown["id"] == sorted(runs)[0]
    assert shown["tags"] == ["production"]
    assert [note["text"] for note in shown["notes"]] == ["the one we ship"]
    assert bob.ledger_refs().items() >= alice.ledger_refs().items()
    assert team.outside()[:2] == before  # the remote and alice: nothing outside the ledger


def test_push_and_pull_are_idempotent(team: Team) -> None:
    alice = team.clone("alice")
    alice.record()
    alice.ok("push")
    refs = team.remote_refs()
    assert alice.ok("push") == "origin already has everything here: nothing to push\n"
    assert alice.ok("pull") == "already up to date with origin (1 run)\n"
    assert team.remote_refs() == refs
    report = json.loads(alice.ok("push", "--json"))
    assert report["runs_sent"] == [] and report["runs_received"] == []
    assert report["remote"] == "origin" and report["action"] == "push"


def test_pull_json_lists_what_came(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    run = alice.record()
    alice.ok("push")
    report = json.loads(bob.ok("pull", "--json"))
    assert report["runs_received"] == [run]
    assert report["runs_here"] == 1
    assert report["conflicts"] == []


def test_nothing_outside_the_ledger_changes_anywhere(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    alice.record()
    bob.record()
    alice.ok("tag", alice.record(), "baseline")
    git(alice.path, "tag", "v1")  # a user's own tag must not be pushed by runledger
    before = team.outside()
    for who, what in [(alice, "push"), (bob, "pull"), (bob, "push"), (alice, "pull")]:
        who.ok(what)
    assert team.outside() == before
    assert "refs/tags/v1" not in git(team.remote, "for-each-ref")


def test_a_run_on_a_never_pushed_branch_brings_its_code(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    git(alice.path, "switch", "-q", "-c", "experiment")
    alice.write("train.py", "print('loss=0.1')\n")
    code = alice.commit_all("an experiment nobody pushed")
    git(alice.path, "switch", "-q", "main")
    run = alice.record(commit=code)
    alice.ok("push")
    assert "experiment" not in git(team.remote, "branch", "--list")
    bob.ok("pull")
    assert git(bob.path, "cat-file", "-t", code).strip() == "commit"
    assert git(bob.path, "show", f"{code}:train.py") == "print('loss=0.1')\n"
    assert json.loads(bob.ok("show", run, "--json"))["commit"] == code
    assert "experiment" not in git(bob.path, "branch", "--all")


def test_runs_recorded_by_exec_travel(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    proc = alice.run("exec", sys.executable, "-c", "print('loss=0.25')")
    assert proc.returncode == 0, proc.stderr
    proc = alice.run("push")
    assert proc.returncode == 0 and proc.stdout == b"pushed to origin: 1 run sent\n", proc
    proc = bob.run("pull")
    assert proc.returncode == 0, proc.stderr
    [run] = bob.runs_json()
    assert run["metrics"] == {"loss": 0.25}
    assert bob.run("show", run["id"][:8]).returncode == 0


# --- every order, three clones ----------------------------------------------------------------

STEPS = [(who, what) for who in range(3) for what in ("push", "pull", "record")]


@settings(
    max_examples=examples(3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(order=st.permutations(STEPS))
@pytest.mark.slow
def test_push_and_pull_in_any_order_lose_nothing(order: list[tuple[int, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        team = Team(Path(tmp))
        clones = [team.clone(name) for name in ("alice", "bob", "carol")]
        recorded: set[str] = {c.record() for c in clones}
        seen: list[set[str]] = [set(c.run_ids()) for c in clones]
        for who, what in order:
            if what == "record":
                recorded.add(clones[who].record())
            else:
                clones[who].ok(what)
            now = set(clones[who].run_ids())
            assert now >= seen[who], "a clone lost a run"
            seen[who] = now
        for c in clones:
            c.ok("push")
        for c in clones:
            c.ok("pull")
        assert team.remote_run_ids() == recorded
        assert all(c.ids() == recorded for c in clones)
        team.check()


# --- tags moved on both sides ---------------------------------------------------------------


def test_a_tag_moved_on_both_sides_keeps_the_later_move(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    first, second, third = alice.record(), alice.record(), alice.record()
    alice.ok("tag", first, "production")
    alice.ok("push")
    bob.ok("pull")

    as_user(monkeypatch, "Alice")
    alice.ok("tag", second, "production", "--force")
    time.sleep(0.01)  # bob's move is the later one
    as_user(monkeypatch, "Bob")
    bob.ok("tag", third, "production", "--force")

    alice.ok("push")  # alice's move reaches the remote first
    out = bob.ok("push")  # bob's push merges: his move is later, so it wins
    assert out.splitlines()[0] == "pushed to origin: 1 tag (production) sent"
    line = out.splitlines()[-1]
    assert line.startswith("tag production: changed here and on origin; kept the later change")
    assert f"(this clone's: run {third[:10]} by Bob <bob@example.com>" in line
    assert f"the other (run {second[:10]} by Alice <alice@example.com>" in line

    out = alice.ok("pull")
    assert f"tag production: moved, run {third[:10]}" in out
    for c in (alice, bob):
        assert json.loads(c.ok("show", "production", "--json"))["id"] == third
        history = json.loads(c.ok("tags", "--history", "production", "--json"))
        assert [h["action"] for h in history] == ["merge", "move", "move", "create"]
        assert [h["run"] for h in history] == [third, third, second, first]
        assert history[0]["overruled"]["run"] == second
        assert {h["by"] for h in history[1:3]} == {
            "Alice <alice@example.com>",
            "Bob <bob@example.com>",
        }
    assert (
        alice.ledger_refs()["refs/runledger/tags/production"]
        == (bob.ledger_refs()["refs/runledger/tags/production"])
    )


def test_two_clones_merging_the_same_moves_write_the_same_commit(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulling straight from each other (any git URL works), both merge independently."""
    alice, bob = team.clone("alice"), team.clone("bob")
    run_a, run_b = alice.record(), alice.record()
    alice.ok("push")
    bob.ok("pull")
    alice.ok("tag", run_a, "baseline")
    time.sleep(0.01)
    bob.ok("tag", run_b, "baseline")
    alice.ok("pull", str(bob.path))
    bob.ok("pull", str(alice.path))
    tip = "refs/runledger/tags/baseline"
    assert alice.ledger_refs()[tip] == bob.ledger_refs()[tip]
    assert alice.ok("tags", "--json").count(run_b) == 1
    # and nothing is left to merge when they meet again
    assert alice.ok("pull", str(bob.path)).startswith("already up to date with ")


def test_a_deletion_syncs_and_a_later_move_beats_it(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    run_a, run_b = alice.record(), alice.record()
    alice.ok("tag", run_a, "candidate")
    alice.ok("push")
    bob.ok("pull")
    alice.ok("tag", "--delete", "candidate")
    alice.ok("push")
    assert "tag candidate: deleted" in bob.ok("pull")
    carol = team.clone("carol")  # never saw it: the deletion is history, not news
    assert "candidate" not in carol.ok("pull")
    assert len(json.loads(carol.ok("tags", "--history", "candidate", "--json"))) == 2
    assert bob.cli("show", "candidate").exit_code == 1
    bob.ok("tag", run_b, "candidate")  # recreated after the deletion
    bob.ok("push")
    alice.ok("pull")
    assert json.loads(alice.ok("show", "candidate", "--json"))["id"] == run_b


def test_notes_added_on_both_sides_are_all_kept(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    run = alice.record()
    alice.ok("push")
    bob.ok("pull")
    alice.ok("note", run, "from alice")
    bob.ok("note", run, "from bob")
    bob.ok("note", run, "bob again")
    alice.ok("push")
    assert "notes on 1 run" in bob.ok("push")
    alice.ok("pull")
    for c in (alice, bob):
        texts = [n["text"] for n in json.loads(c.ok("show", run, "--json"))["notes"]]
        assert sorted(texts) == ["bob again", "from alice", "from bob"]
    assert alice.ledger_refs() == bob.ledger_refs() | {
        ref: oid for ref, oid in alice.ledger_refs().items() if "/remotes/" in ref
    }


# --- conflicts, races, failures ---------------------------------------------------------------


def test_a_run_id_with_different_content_is_reported_never_overwritten(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    same_id = "6g00000000zzzzzz"
    alice.record(run_id=same_id, name="alice's")
    bob.record(run_id=same_id, name="bob's")
    other = bob.record()
    alice.ok("push")
    ours = bob.ledger_refs()[f"refs/runledger/runs/{same_id}"]

    result = bob.cli("push")
    assert result.exit_code == 0
    assert result.stdout.startswith("pushed to origin: 1 run sent")
    assert f"runledger: warning: run {same_id} differs here and on origin" in result.stderr
    assert bob.ledger_refs()[f"refs/runledger/runs/{same_id}"] == ours
    assert team.remote_refs()[f"refs/runledger/runs/{same_id}"] != ours
    assert other in team.remote_run_ids()
    result = bob.cli("pull")
    assert result.exit_code == 0 and "differs here and on origin" in result.stderr
    assert json.loads(bob.ok("show", same_id, "--json"))["name"] == "bob's"


def test_a_push_that_loses_a_race_fetches_merges_and_lands(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob pushes between alice's fetch and her push (from alice's pre-push hook)."""
    alice, bob = team.clone("alice"), team.clone("bob")
    first, second = alice.record(), alice.record()
    alice.ok("tag", first, "production")
    alice.ok("push")
    bob.ok("pull")
    bob.ok("tag", second, "production", "--force")
    bob_run = bob.record()
    marker = alice.path / ".git" / "raced"
    hook = alice.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        f"if [ ! -e '{marker}' ]; then touch '{marker}'; cd '{bob.path}' && "
        f"PYTHONPATH='{Path(__file__).resolve().parents[1]}' '{sys.executable}' -m runledger "
        "push >/dev/null 2>&1; fi\nexit 0\n"
    )
    hook.chmod(0o755)
    alice_run = alice.record()
    time.sleep(0.01)
    alice.ok("tag", alice_run, "production", "--force")  # rejected by the remote at first
    out = alice.run("push")
    assert out.returncode == 0, out.stderr
    assert marker.exists()
    lines = out.stdout.decode().splitlines()
    assert lines[0] == "pushed to origin: 1 run, 1 tag (production) sent"
    assert lines[1] == "and from origin: 1 new run, 1 tag updated"
    assert lines[2].startswith("tag production: changed here and on origin; kept the later")
    assert {alice_run, bob_run} <= team.remote_run_ids()
    assert f"refs/runledger/runs/{bob_run}" in alice.ledger_refs()
    tip = "refs/runledger/tags/production"
    assert team.remote_refs()[tip] == alice.ledger_refs()[tip]
    assert json.loads(alice.ok("show", "production", "--json"))["id"] == alice_run


@pytest.mark.slow
def test_concurrent_pushes_from_four_clones_all_land(team: Team) -> None:
    clones = [team.clone(f"c{i}") for i in range(4)]
    base = clones[0].record()
    clones[0].ok("push")
    runs = set()
    for c in clones:
        c.ok("pull")
        runs |= {c.record(), c.record()}
        c.ok("tag", c.record(), "nightly", "--force")
        runs |= set(c.ids()) - {base}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "runledger", "push"],
            cwd=c.path,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for c in clones
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert team.remote_run_ids() == runs | {base}
    clones[0].ok("pull")
    history = json.loads(clones[0].ok("tags", "--history", "nightly", "--json"))
    assert len([h for h in history if h["action"] == "create"]) == 4  # every move is kept


def test_a_push_refused_by_the_remote_changes_nothing_and_a_rerun_completes(team: Team) -> None:
    alice = team.clone("alice")
    alice.record()
    alice.ok("push")
    runs = {alice.record(), alice.record()}
    alice.ok("tag", sorted(runs)[0], "production")
    before = team.remote_refs()
    hook = team.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'disk quota exceeded' >&2\nexit 1\n")
    hook.chmod(0o755)

    result = alice.cli("push")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("runledger: error: push to origin failed: ")
    assert "pre-receive hook declined" in result.stderr
    assert "the remote said: disk quota exceeded" in result.stderr
    assert "nothing was changed there" in result.stderr
    assert team.remote_refs() == before

    hook.unlink()
    assert alice.ok("push") == "pushed to origin: 2 runs, 1 tag (production) sent\n"
    assert runs <= team.remote_run_ids()


def test_one_refused_ref_names_its_cause_and_nothing_lands(team: Team) -> None:
    alice = team.clone("alice")
    run = alice.record()
    alice.ok("tag", run, "production")
    hook = team.remote / "hooks" / "update"
    hook.write_text(
        '#!/bin/sh\ncase "$1" in refs/runledger/tags/*) echo "tags are frozen" >&2; exit 1;; '
        "esac\nexit 0\n"
    )
    hook.chmod(0o755)
    result = alice.cli("push")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "runledger: error: push to origin failed: refs/runledger/tags/production remote "
        "rejected (hook declined); the remote said: "
    )
    assert "tags are frozen" in result.stderr and "nothing was changed there" in result.stderr
    assert team.remote_refs() == {}


def test_a_remote_without_atomic_pushes_still_gets_everything(team: Team) -> None:
    git(team.remote, "config", "receive.advertiseAtomic", "false")
    alice = team.clone("alice")
    runs = {alice.record(), alice.record()}
    alice.ok("tag", sorted(runs)[0], "production")
    assert alice.ok("push") == "pushed to origin: 2 runs, 1 tag (production) sent\n"
    assert team.remote_run_ids() == runs


def test_an_unreachable_remote_is_one_line_and_a_rerun_completes(team: Team) -> None:
    alice = team.clone("alice")
    run = alice.record()
    moved = team.root / "elsewhere.git"
    shutil.move(team.remote, moved)
    for command in ("push", "pull"):
        result = alice.cli(command)
        assert result.exit_code == 1
        assert result.stderr.startswith("runledger: error: cannot fetch from origin: ")
        assert "does not appear to be a git repository" in result.stderr
        assert result.stderr.count("\n") == 1
    shutil.move(moved, team.remote)
    alice.ok("push")
    assert team.remote_run_ids() == {run}


# --- which remote ---------------------------------------------------------------------------


def test_the_current_branchs_remote_is_the_default(team: Team) -> None:
    alice = team.clone("alice")
    other = team.root / "other.git"
    git(team.root, "clone", "-q", "--bare", str(team.remote), str(other))
    git(alice.path, "remote", "add", "upstream", str(other))
    git(alice.path, "fetch", "-q", "upstream")
    git(alice.path, "switch", "-q", "-c", "feature", "--track", "upstream/main")
    run = alice.record()
    assert alice.ok("push") == "pushed to upstream: 1 run sent\n"
    assert run in ledger_of(other).__str__()
    assert team.remote_run_ids() == set()
    git(alice.path, "switch", "-q", "--detach")
    assert alice.ok("push") == "pushed to origin: 1 run sent\n"


def test_no_remote_at_all_is_a_clear_error(repo: Repo) -> None:
    result = repo.cli("push")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: no remote to sync with: the current branch tracks none and there "
        "is no 'origin'; name one (runledger push URL-or-REMOTE) or add one with "
        "'git remote add origin URL'\n"
    )


@pytest.mark.parametrize("command", ["pull", "push"])
def test_an_unknown_remote_name_is_a_clear_error(team: Team, command: str) -> None:
    """'runledger push nosuchremote' said 'cannot fetch from nosuchremote: 'nosuchremote' does
    not appear to be a git repository' (a push that speaks of fetching, about a remote that
    is no remote): it now names the remotes there are."""
    alice = team.clone("alice")
    result = alice.cli(command, "nosuchremote")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: no remote named 'nosuchremote' here (this repository's remotes: "
        "origin); give one of them or a git URL, or add it with 'git remote add NAME URL'\n"
    )


def test_credentials_in_a_url_never_show(team: Team) -> None:
    alice = team.clone("alice")
    result = alice.cli("pull", "https://user:s3cr3tpass@127.0.0.1:9/none.git")
    assert result.exit_code == 1
    assert "s3cr3tpass" not in result.stderr + result.stdout
    assert result.stderr.startswith("runledger: error: cannot fetch from https://127.0.0.1:9/")


def test_pull_leaves_the_ledger_refs_packed(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    for _ in range(5):
        alice.record()
    alice.ok("push")
    bob.ok("pull")
    loose = bob.path / ".git" / "refs" / "runledger"
    assert not [p for p in loose.rglob("*") if p.is_file()]
    assert len(bob.ids()) == 5


# --- init: plain git fetch / push carry the ledger -------------------------------------------


def test_init_lets_plain_git_carry_the_ledger(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    config = (alice.path / ".git" / "config").read_text()
    before = outside_ledger(alice.path)
    out = alice.ok("init")
    added = (alice.path / ".git" / "config").read_text()
    assert set(config.splitlines()) <= set(added.splitlines())
    new_lines = sorted(set(added.splitlines()) - set(config.splitlines()))
    assert new_lines == sorted(
        [
            "\tfetch = +refs/runledger/runs/*:refs/runledger/remotes/origin/runs/*",
            "\tfetch = +refs/runledger/tags/*:refs/runledger/remotes/origin/tags/*",
            "\tfetch = +refs/runledger/notes/*:refs/runledger/remotes/origin/notes/*",
            "\tpush = HEAD",
            "\tpush = refs/runledger/runs/*:refs/runledger/runs/*",
            "\tpush = refs/runledger/tags/*:refs/runledger/tags/*",
            "\tpush = refs/runledger/notes/*:refs/runledger/notes/*",
        ]
    )
    assert {k: v for k, v in outside_ledger(alice.path).items() if k != "config"} == {
        k: v for k, v in before.items() if k != "config"
    }
    mirror = "+refs/runledger/runs/*:refs/runledger/remotes/origin/runs/*"
    assert f"added remote.origin.fetch = {mirror}" in out
    assert "added remote.origin.push = HEAD" in out
    assert "added remote.origin.push = refs/runledger/runs/*:refs/runledger/runs/*" in out
    assert alice.ok("init") == (
        "origin is already set up: 'git fetch' and 'git push' carry the ledger\n"
    )
    bob.ok("init")
    run = alice.record()
    alice.write("code.py", "x = 1\n")
    alice.commit_all("code")
    git(alice.path, "push", "-q")  # the branch and the ledger
    assert run in team.remote_run_ids()
    assert git(team.remote, "rev-parse", "main") == git(alice.path, "rev-parse", "HEAD")

    git(bob.path, "fetch", "-q")
    assert bob.ids() == {run}  # seen in the mirror before any runledger pull
    assert bob.ok("pull").startswith("pulled from origin: 1 new run")


def test_a_pruning_fetch_never_drops_a_local_run(team: Team) -> None:
    alice = team.clone("alice")
    alice.ok("init")
    git(alice.path, "config", "fetch.prune", "true")
    git(alice.path, "config", "fetch.pruneTags", "true")
    pushed = alice.record()
    alice.ok("push")
    local = alice.record()
    git(team.remote, "update-ref", "-d", f"refs/runledger/runs/{pushed}")  # gone there
    git(alice.path, "fetch", "-q", "--prune", "origin")
    assert alice.ids() == {pushed, local}
    alice.ok("pull")
    assert alice.ids() == {pushed, local}
    assert set(alice.ledger_refs()) >= {
        f"refs/runledger/runs/{pushed}",
        f"refs/runledger/runs/{local}",
    }


def test_init_keeps_existing_push_refspecs_and_warns_about_prunable_ones(team: Team) -> None:
    alice = team.clone("alice")
    git(alice.path, "config", "--add", "remote.origin.push", "refs/heads/main:refs/heads/main")
    git(alice.path, "config", "--add", "remote.origin.fetch", "refs/runledger/*:refs/runledger/*")
    result = alice.cli("init")
    assert result.exit_code == 0
    assert "HEAD" not in result.stdout
    assert "'git fetch --prune' (or fetch.prune) deletes runs" in result.stderr


def test_init_needs_a_named_remote(team: Team) -> None:
    alice = team.clone("alice")
    result = alice.cli("init", str(team.remote))
    assert result.exit_code == 1
    assert "is not a configured remote" in result.stderr


def _many_runs(alice: Clone, count: int) -> set[str]:
    from runledger import ids
    from runledger.model.record import GitInfo, Run
    from runledger.store import git as rgit
    from runledger.store.ledger import Ledger

    head = alice.git("rev-parse", "HEAD").strip()
    runs = [
        Run(
            id=ids.new_run_id(),
            status="ok",
            started_at=f"2026-01-01T10:{index // 60:02d}:{index % 60:02d}.000Z",
            ended_at="2026-01-01T11:00:00.000Z",
            duration_s=1.0,
            command=("python", "train.py", str(index)),
            git=GitInfo(commit=head, branch="main"),
            exit_code=0,
        )
        for index in range(count)
    ]
    Ledger(rgit.discover(alice.path)).write_many(runs, "Alice <a@example.com>", 1_700_000_000)
    return {run.id for run in runs}


def test_a_first_pull_of_many_runs_writes_packed_refs_and_keeps_every_other_ref(
    tmp_path: Path,
) -> None:
    remote = make_remote(tmp_path)
    alice, bob = clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob")
    recorded = _many_runs(alice, 150)
    alice.ok("push")
    # Bob's own refs, packed, with an annotated tag whose peeled line must survive.
    bob.git("tag", "-a", "-m", "release", "v1")
    bob.git("branch", "feature")
    bob.git("pack-refs", "--all")
    mine = bob.record()
    before = outside_ledger(bob.path)
    peeled = bob.git("show-ref", "-d", "v1")

    bob.ok("pull")

    assert bob.ids() == recorded | {mine}
    assert bob.git("show-ref", "-d", "v1") == peeled
    assert outside_ledger(bob.path) == before
    fsck(bob.path)
    # a later small pull still works on top of the rewritten packed-refs
    more = _many_runs(alice, 3)
    alice.ok("push")
    bob.ok("pull")
    assert bob.ids() == recorded | more | {mine}


def test_a_first_pull_writes_no_loose_ref_per_run_even_when_packing_is_left_to_another(
    tmp_path: Path,
) -> None:
    """git fetch wrote each fetched run's mirror ref as a loose file, deleted again by the
    pack at the end (0.9 s of system time at 10,000 runs); with the pack skipped (another
    runledger process packing) 150 of them stayed. The mirror now goes into packed-refs."""
    import fcntl

    remote = make_remote(tmp_path)
    alice, bob = clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob")
    recorded = _many_runs(alice, 150)
    tagged, noted = sorted(recorded)[:2]
    alice.ok("tag", tagged, "best")
    alice.ok("note", noted, "the one to beat")
    alice.ok("push")
    packing = bob.path / ".git" / "runledger" / "pack-refs.lock"
    packing.parent.mkdir(parents=True, exist_ok=True)
    with open(packing, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        bob.ok("pull")

    loose = bob.path / ".git" / "refs" / "runledger"
    assert [path.relative_to(loose).as_posix() for path in loose.rglob("*") if path.is_file()] == [
        f"notes/{noted}",  # a note and a tag are merged one by one, each its own file
        "tags/best",
    ]
    mirror = "refs/runledger/remotes/origin/"
    assert {
        ref.replace("refs/runledger/", mirror, 1): oid for ref, oid in ledger_of(remote).items()
    } == {ref: oid for ref, oid in bob.ledger_refs().items() if ref.startswith(mirror)}
    assert bob.ids() == recorded
    assert json.loads(bob.ok("show", "best", "--json"))["id"] == tagged
    assert "the one to beat" in bob.ok("show", noted)
    fsck(bob.path)
    assert bob.ok("pull") == "already up to date with origin (150 runs)\n"


@pytest.mark.parametrize("protocol", ["0", "2"])
def test_a_remote_that_moves_between_the_listing_and_the_fetch_leaves_the_mirror_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str
) -> None:
    """A first pull lists the remote's refs, then fetches their objects. Another clone
    pushing a run and moving a tag in between: with protocol v2 the pull takes the ledger
    as listed, with v0 (the old tip is no longer advertised) as it is after the push; either
    way every ref has its objects, and the next pull brings the rest."""
    remote = make_remote(tmp_path)
    alice, bob = clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob")
    first = _many_runs(alice, 80)
    alice.ok("tag", sorted(first)[0], "best")
    alice.ok("push")
    later = alice.record()
    alice.ok("tag", later, "best", "--force")
    bob.git("config", "protocol.version", protocol)
    real_git = shutil.which("git")
    assert real_git
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "git").write_text(
        "#!/bin/sh\n"
        f'"{real_git}" "$@"; code=$?\n'
        f'if [ "$1" = ls-remote ] && [ ! -e "{tmp_path}/pushed" ]; then\n'
        f'  touch "{tmp_path}/pushed"\n'
        f'  "{real_git}" -C "{alice.path}" push -q origin "refs/runledger/*:refs/runledger/*"\n'
        "fi\n"
        "exit $code\n"
    )
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")

    bob.ok("pull")

    fsck(bob.path)
    assert (tmp_path / "pushed").exists()
    now = first | {later}
    best = json.loads(bob.ok("show", "best", "--json"))["id"]
    if protocol == "2":
        assert (bob.ids(), best) == (first, sorted(first)[0])
    else:
        assert (bob.ids(), best) == (now, later)
    bob.ok("pull")
    assert bob.ids() == now
    assert json.loads(bob.ok("show", "best", "--json"))["id"] == later
    fsck(bob.path)


@pytest.mark.parametrize("packed", [True, False])
def test_whether_a_mirror_has_refs_agrees_with_git(repo: Repo, packed: bool) -> None:
    """A pull checks whether a remote's mirror is empty (a first pull) by a binary search of
    packed-refs: it must say what git says, around annotated tags' peeled lines too."""
    from runledger.store import git as rgit

    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("tag", "-a", "-m", "an annotated tag: packed-refs gives it a peeled line", "v1")
    annotated = repo.git("rev-parse", "v1").strip()
    refs = {
        f"refs/runledger/remotes/{remote}/runs/{i:03d}": head for remote in "bdf" for i in range(40)
    }
    refs |= {f"refs/runledger/remotes/{remote}/tags/t": annotated for remote in "cd"}
    refs |= {
        "refs/heads/x": head,
        "refs/runledger/notes/n": head,
        "refs/runledger/remotesz/a": head,
    }
    for ref, oid in refs.items():
        repo.git("update-ref", ref, oid)
    if packed:
        repo.git("pack-refs", "--all")
    here = rgit.discover(repo.path)
    prefixes = [f"refs/runledger/remotes/{r}/" for r in "abcdefgh"] + [
        "refs/",
        "refs/a/",
        "refs/runledger/remotes/b/runs/039/",
        "refs/runledger/remotes/",
        "refs/runledger/remotesz/",
        "refs/tags/",
        "refs/zzz/",
    ]
    for prefix in prefixes:
        listed = repo.git("for-each-ref", "--count=1", "--format=%(refname)", prefix).strip()
        assert rgit.has_refs(here, prefix) == bool(listed), prefix


def test_a_pull_while_git_holds_packed_refs_lock_still_brings_every_run(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    alice, bob = clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob")
    recorded = _many_runs(alice, 100)
    alice.ok("push")
    lock = bob.path / ".git" / "packed-refs.lock"
    lock.write_text("")  # another git process is packing
    try:
        bob.ok("pull")
    finally:
        lock.unlink()
    assert bob.ids() == recorded
    fsck(bob.path)


def test_recording_many_runs_lets_git_gc_pack_the_loose_objects(tmp_path: Path) -> None:
    """runledger's plumbing never triggers git's automatic gc; it starts ``gc --auto`` itself
    every few hundred runs, in the background, so loose objects do not pile up."""
    remote = make_remote(tmp_path)
    alice = clone(tmp_path, remote, "alice")
    alice.git("config", "gc.auto", "100")  # git's default is 6,700 loose objects

    def loose_objects() -> int:
        counts = dict(line.split(": ") for line in alice.git("count-objects", "-v").splitlines())
        return int(counts["count"])

    # git samples one of its 256 object folders to decide: enough objects that it cannot miss
    _many_runs(alice, 600)
    deadline = time.monotonic() + 120
    while loose_objects() > 100 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert loose_objects() <= 100
    assert len(alice.ids()) == 600
    fsck(alice.path)
