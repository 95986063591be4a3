"""The run index: a cache under the git directory that ls, show and compare read runs from.

What a user must never notice: runs listed from the index are the runs the refs hold, whatever
happened to the refs (new runs, packing, deletions, moved refs) or to the index (deleted,
corrupt, from another runledger, unusable), and whoever else is reading or writing at once.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shlex
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runledger.model.flat import flatten
from runledger.model.record import RUN_FILE, GitInfo, MetricSummary, Run
from runledger.store import git as rgit
from runledger.store import index as rindex
from runledger.store.index import RunIndex, index_path
from runledger.store.ledger import Ledger
from tests.conftest import Repo
from tests.fuzzing import examples

IDENT = "Test <t@example.com>"
AN_HOUR_NS = 3_600 * 10**9


def make_run(head: str, number: int, **changes: Any) -> Run:
    fields: dict[str, Any] = {
        "id": f"6g{number:08d}aaaaaa",
        "status": "ok",
        "started_at": f"2026-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
        "ended_at": "2026-01-02T00:00:00.000Z",
        "duration_s": 1.5,
        "command": ("python", "train.py", f"--seed={number}"),
        "git": GitInfo(commit=head, branch="main"),
        "exit_code": 0,
        "params": {"seed": number, "model": {"depth": number % 4}},
        "metrics": {"loss": MetricSummary(last=1.0 / (number + 1), min=0.0, max=1.0)},
    }
    fields.update(changes)
    return Run(**fields)


def ledger(repo: Repo) -> Ledger:
    return Ledger(rgit.discover(repo.path))


def add_runs(repo: Repo, numbers: range, **changes: Any) -> list[str]:
    head = repo.git("rev-parse", "HEAD").strip()
    runs = [make_run(head, number, **changes) for number in numbers]
    ledger(repo).write_many(runs, IDENT, 1_700_000_000)
    return [run.id for run in runs]


def listed_ids(repo: Repo) -> list[str]:
    result = repo.cli("ls", "--json")
    assert result.exit_code == 0, result.stderr
    return [run["id"] for run in result.json()]


def newest_first(ids: list[str]) -> list[str]:
    return sorted(ids, reverse=True)  # make_run's start times grow with the number, as ids do


def refresh(repo: Repo) -> int:
    """How many run.toml blobs bringing the index up to date reads now."""
    with RunIndex(rgit.discover(repo.path)) as index:
        return index.refresh()


def age_refs(repo: Repo) -> None:
    """Make the ref files look an hour old, as they are once a run is not brand new."""
    for path in (
        repo.path / ".git" / "packed-refs",
        repo.path / ".git" / "refs" / "runledger" / "runs",
    ):
        if path.exists() and os.stat(path).st_mtime_ns > time.time_ns() - AN_HOUR_NS // 2:
            stamp = os.stat(path).st_mtime_ns - AN_HOUR_NS
            os.utime(path, ns=(stamp, stamp))


def current_stamp(repo: Repo) -> rgit.RefsStamp:
    handle = rgit.discover(repo.path)
    mirrors = rgit.ref_subfolders(handle, rindex.MIRROR_PREFIX)
    stamp, _ = rgit.loose_refs_state(
        handle,
        [rindex.RUNS_PREFIX, *(f"{folder}runs/" for folder in mirrors)],
        [rindex.MIRROR_PREFIX, *mirrors],
    )
    return stamp


def test_index_is_built_on_first_listing_and_deleting_it_loses_nothing(repo: Repo) -> None:
    ids = add_runs(repo, range(5))
    assert not index_path(rgit.discover(repo.path)).exists()
    first = repo.cli("ls", "--json")
    assert first.stderr == ""
    assert index_path(rgit.discover(repo.path)).exists()
    assert [run["id"] for run in first.json()] == newest_first(ids)
    for path in index_path(rgit.discover(repo.path)).parent.glob("index.sqlite*"):
        path.unlink()
    again = repo.cli("ls", "--json")
    assert again.json() == first.json()
    assert again.stderr == ""


def test_only_new_runs_are_read_after_the_first_listing(repo: Repo) -> None:
    ids = add_runs(repo, range(20))
    assert listed_ids(repo) == newest_first(ids)
    assert refresh(repo) == 0
    ids += add_runs(repo, range(20, 23))
    assert refresh(repo) == 3
    assert refresh(repo) == 0
    assert listed_ids(repo) == newest_first(ids)


def test_unchanged_refs_are_not_listed_again(repo: Repo) -> None:
    ids = add_runs(repo, range(3))
    age_refs(repo)
    listed_ids(repo)
    repo_handle = rgit.discover(repo.path)
    stamp = current_stamp(repo)
    assert stamp.trusted
    with RunIndex(repo_handle) as index:
        assert (
            rgit.RefsStamp(rindex._meta(index.db, "packed"), rindex._meta(index.db, "loose"))
            == stamp
        )
    assert listed_ids(repo) == newest_first(ids)


def test_a_fresh_change_is_never_trusted_to_show_in_the_stamp(repo: Repo) -> None:
    add_runs(repo, range(2))
    stamp = current_stamp(repo)
    assert stamp.loose is None  # written just now: a second change could keep the same mtime
    assert not stamp.trusted


def test_packed_refs_loose_refs_and_packing_between_listings(repo: Repo) -> None:
    ids = add_runs(repo, range(300))  # past PACK_EVERY: the ledger packs its refs
    assert not (repo.path / ".git" / "refs" / "runledger" / "runs").exists() or not any(
        (repo.path / ".git" / "refs" / "runledger" / "runs").iterdir()
    )
    assert listed_ids(repo) == newest_first(ids)
    ids += add_runs(repo, range(300, 304))  # loose, beside the packed ones
    age_refs(repo)
    assert refresh(repo) == 4
    assert listed_ids(repo) == newest_first(ids)
    repo.git("pack-refs", "--all")
    assert refresh(repo) == 0  # listed again, nothing to read
    assert listed_ids(repo) == newest_first(ids)


def test_deleted_runs_disappear_whether_their_refs_were_packed_or_loose(repo: Repo) -> None:
    packed = add_runs(repo, range(3))
    repo.git("pack-refs", "--all")
    loose = add_runs(repo, range(3, 6))
    assert listed_ids(repo) == newest_first(packed + loose)
    repo.git("update-ref", "-d", f"refs/runledger/runs/{packed[1]}")
    repo.git("update-ref", "-d", f"refs/runledger/runs/{loose[1]}")
    left = [packed[0], packed[2], loose[0], loose[2]]
    assert listed_ids(repo) == newest_first(left)
    show = repo.cli("show", loose[1])
    assert show.exit_code == 1
    assert show.stderr == (
        f"runledger: error: no run matches {loose[1]!r}: see 'runledger ls' for run ids\n"
    )


def test_a_loose_run_deleted_beside_unchanged_packed_refs_disappears(repo: Repo) -> None:
    packed = add_runs(repo, range(3))
    repo.git("pack-refs", "--all")
    loose = add_runs(repo, range(3, 6))
    age_refs(repo)
    assert listed_ids(repo) == newest_first(packed + loose)
    packed_refs = (repo.path / ".git" / "packed-refs").read_bytes()
    repo.git("update-ref", "-d", f"refs/runledger/runs/{loose[0]}")
    assert (repo.path / ".git" / "packed-refs").read_bytes() == packed_refs
    age_refs(repo)
    assert listed_ids(repo) == newest_first(packed + loose[1:])


def test_a_ref_moved_to_another_record_shows_the_new_record(repo: Repo) -> None:
    (run_id,) = add_runs(repo, range(1))
    age_refs(repo)
    assert repo.cli("ls", "--json").json()[0]["status"] == "ok"
    head = repo.git("rev-parse", "HEAD").strip()
    handle = rgit.discover(repo.path)
    moved = Ledger(handle).build_commit(
        make_run(head, 0, status="failed", exit_code=1), rgit.ObjectWriter(handle), IDENT, 1
    )
    repo.git("update-ref", f"refs/runledger/runs/{run_id}", moved)
    runs = repo.cli("ls", "--json").json()
    assert [(run["id"], run["status"], run["exit_code"]) for run in runs] == [(run_id, "failed", 1)]


def corrupt_ref(repo: Repo, name: str, files: dict[str, bytes]) -> str:
    handle = rgit.discover(repo.path)
    writer = rgit.ObjectWriter(handle)
    tree = writer.flat_tree({file: writer.blob(content) for file, content in files.items()})
    head = repo.git("rev-parse", "HEAD").strip()
    commit = writer.commit(tree, [head], IDENT, 1_700_000_000, "broken\n")
    repo.git("update-ref", f"refs/runledger/runs/{name}", commit)
    return f"refs/runledger/runs/{name}"


def test_a_corrupt_record_is_reported_by_every_listing_but_read_once(repo: Repo) -> None:
    ids = add_runs(repo, range(2))
    no_toml = corrupt_ref(repo, "6g99999998zzzzzz", {"output.log": b"hi\n"})
    bad_toml = corrupt_ref(repo, "6g99999999zzzzzz", {RUN_FILE: b"schema = [\n"})
    for _ in range(2):
        result = repo.cli("ls", "--json")
        assert [run["id"] for run in result.json()] == newest_first(ids)
        lines = result.stderr.splitlines()
        assert len(lines) == 2
        assert lines[0] == (
            f"runledger: warning: skipping {no_toml}: has no run.toml (remove it with "
            f"'git update-ref -d {no_toml}', or move it aside: 'runledger doctor --fix')"
        )
        assert lines[1].startswith(
            f"runledger: warning: skipping {bad_toml}: run.toml is not valid TOML"
        )
        assert refresh(repo) == 0


def test_an_index_from_another_runledger_is_rebuilt(repo: Repo) -> None:
    ids = add_runs(repo, range(3))
    listed_ids(repo)
    path = index_path(rgit.discover(repo.path))
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = 'written by runledger 0.0.1' WHERE key = 'format'")
        # a row the refs do not back: an index is never a source of truth
        db.execute(
            "INSERT INTO runs (ref, id, mirror, effective, oid, started_at) "
            "VALUES ('refs/runledger/runs/ghost', 'ghost', 0, 1, 'x', 'z')"
        )
    db.close()
    assert listed_ids(repo) == newest_first(ids)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    assert listed_ids(repo) == newest_first(ids)


def test_a_corrupt_index_file_is_replaced_silently(repo: Repo) -> None:
    ids = add_runs(repo, range(3))
    listed_ids(repo)
    path = index_path(rgit.discover(repo.path))
    for extra in path.parent.glob("index.sqlite-*"):
        extra.unlink()
    path.write_bytes(b"this is not a database" * 100)
    result = repo.cli("ls", "--json")
    assert result.stderr == ""
    assert [run["id"] for run in result.json()] == newest_first(ids)
    assert refresh(repo) == 0  # rebuilt, and whole again


def test_an_unusable_index_location_falls_back_to_the_refs(repo: Repo) -> None:
    ids = add_runs(repo, range(3))
    path = index_path(rgit.discover(repo.path))
    path.mkdir(parents=True)  # sqlite cannot open a folder
    result = repo.cli("ls", "--json")
    assert result.stderr == ""
    assert [run["id"] for run in result.json()] == newest_first(ids)
    show = repo.cli("show", ids[0][:12], "--json")
    assert show.exit_code == 0
    assert show.json()["id"] == ids[0]


def test_json_is_the_same_from_the_index_and_from_the_refs(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    runs = [
        make_run(head, 1, name="é ünïcode ✓", note="x" * 300, tags=("b", "a")),
        make_run(
            head,
            2,
            params={"none": None, "big": 2**70, "nan": math.nan, "list": [1, "two", None]},
            metrics={"loss": MetricSummary(last=math.nan, min=-math.inf, max=math.inf)},
            status="interrupted",
            exit_code=None,
        ),
        make_run(head, 3, status="failed", exit_code=2, reproduces="6g00000001aaaaaa"),
    ]
    ledger(repo).write_many(runs, IDENT, 1)
    from_index = repo.cli("ls", "--json")
    for status in ("ok", "failed", "interrupted"):
        subset = repo.cli("ls", "--json", "--status", status).json()
        assert subset == [run for run in from_index.json() if run["status"] == status]
    assert repo.cli("ls", "--json", "--limit", "2").json() == from_index.json()[:2]
    for path in index_path(rgit.discover(repo.path)).parent.glob("index.sqlite*"):
        path.unlink()
    index_path(rgit.discover(repo.path)).mkdir()
    from_refs = repo.cli("ls", "--json")
    assert from_refs.stdout == from_index.stdout
    assert from_index.json()[1]["params"] == {
        "none": None,
        "big": 2**70,
        "nan": None,
        "list": [1, "two", None],
    }


def test_concurrent_listings_while_runs_are_written(repo: Repo) -> None:
    add_runs(repo, range(10))
    seen: list[int] = []
    errors: list[str] = []

    def list_in_a_subprocess() -> None:
        for _ in range(3):
            proc = repo.run("ls", "--json")
            if proc.returncode != 0 or proc.stderr:
                errors.append(proc.stderr.decode())
                return
            ids = [run["id"] for run in json.loads(proc.stdout)]
            if len(set(ids)) != len(ids) or ids != sorted(ids, reverse=True):
                errors.append(f"inconsistent listing: {ids}")
            seen.append(len(ids))

    readers = [threading.Thread(target=list_in_a_subprocess) for _ in range(3)]
    for reader in readers:
        reader.start()
    for batch in range(5):
        add_runs(repo, range(10 + 4 * batch, 14 + 4 * batch))
    for reader in readers:
        reader.join()
    assert errors == []
    assert all(10 <= count <= 30 for count in seen)
    assert len(listed_ids(repo)) == 30
    assert refresh(repo) == 0


def test_parsing_in_worker_processes_gives_the_same_index(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = add_runs(repo, range(40))
    serial = repo.cli("ls", "--json").stdout
    shown = repo.cli("show", ids[3], "--json").stdout
    stored = _stored_rows(repo)
    for path in index_path(rgit.discover(repo.path)).parent.glob("index.sqlite*"):
        path.unlink()
    monkeypatch.setattr(rindex, "PARALLEL_MIN", 2)
    monkeypatch.setattr(rindex, "_READ_CHUNK", 7)
    assert refresh(repo) == len(ids)
    assert _stored_rows(repo) == stored  # workers send rows without the run.toml text
    assert repo.cli("ls", "--json").stdout == serial
    assert repo.cli("show", ids[3], "--json").stdout == shown


def _stored_rows(repo: Repo) -> list[Any]:
    with sqlite3.connect(index_path(rgit.discover(repo.path))) as db:
        return [
            *db.execute("SELECT * FROM runs ORDER BY ref"),
            *db.execute("SELECT * FROM records ORDER BY ref"),
        ]


def test_one_index_refreshed_again_forgets_the_runs_it_staged_before(repo: Repo) -> None:
    """The rows of an update stay staged after it (emptying the staging table cost a tenth
    of a cold build's SQLite time): the next update on the same connection must not bring
    back a run deleted in between."""
    ids = add_runs(repo, range(4))
    with RunIndex(rgit.discover(repo.path)) as index:
        assert index.refresh() == 4
        repo.git("update-ref", "-d", f"refs/runledger/runs/{ids[1]}")
        more = add_runs(repo, range(4, 6))
        assert index.refresh() == 2
        assert [row.id for row, _ in index.rows()] == newest_first([*ids[:1], *ids[2:], *more])
    assert listed_ids(repo) == newest_first([*ids[:1], *ids[2:], *more])


def test_a_first_build_is_seen_by_readers_empty_or_whole(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build writes its rows as they are parsed (no staging), in one transaction:
    another process reading the index meanwhile sees no run, never some of them."""
    ids = add_runs(repo, range(20))
    path = index_path(rgit.discover(repo.path))
    seen: list[int] = []
    explain = rindex.explain_missing

    def reading_meanwhile(git_repo: rgit.Repo, rows: list[Any]) -> list[Any]:
        with contextlib.closing(sqlite3.connect(path)) as other:
            seen.append(other.execute("SELECT count(*) FROM runs").fetchone()[0])
        return explain(git_repo, rows)

    monkeypatch.setattr(rindex, "explain_missing", reading_meanwhile)
    monkeypatch.setattr(rindex, "_READ_CHUNK", 6)
    with RunIndex(rgit.discover(repo.path)) as index:
        assert index.refresh() == 20
        staged = index.db.execute("SELECT count(*) FROM temp.incoming").fetchone()[0]
    assert seen == [0, 0, 0, 0] and staged == 0  # written straight to the index
    assert listed_ids(repo) == newest_first(ids)


def test_a_first_build_while_another_writer_holds_the_index_waits_for_it(repo: Repo) -> None:
    """Another runledger writing the index (its own first build, say): this one does not
    take the short way; it stages its rows and joins them once the other is done."""
    ids = add_runs(repo, range(5))
    handle = rgit.discover(repo.path)
    with RunIndex(handle):
        pass  # creates the index file
    other = sqlite3.connect(index_path(handle), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    timer.start()
    try:
        with RunIndex(handle) as index:
            assert index.refresh() == 5
            staged = index.db.execute("SELECT count(*) FROM temp.incoming").fetchone()[0]
    finally:
        timer.join()
        other.close()
    assert staged == 5  # the usual way: staged, then joined in one short transaction
    assert listed_ids(repo) == newest_first(ids)
    assert refresh(repo) == 0


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    name=st.none() | st.text(max_size=10),
)
def test_a_run_read_back_from_the_index_is_the_run_read_from_its_toml(
    params: dict[str, Any], name: str | None
) -> None:
    run = make_run("a" * 40, 7, params=params, name=name)
    content = run.to_files()[RUN_FILE]
    row = rindex.row_for(rindex.RUNS_PREFIX + run.id, "b" * 40, content)
    assert row.error is None
    from_index = rindex._decode_record(row.record, row.record_toml, "where")
    from_toml = Run.from_run_toml(content, "where")
    # tomlcodec's text of both is equal exactly when they are (NaN, -0.0 and types included)
    from runledger.model import tomlcodec

    assert tomlcodec.dumps(from_index.run_toml()) == tomlcodec.dumps(from_toml.run_toml())
    assert row.summary is None or json.loads(row.summary) == json.loads(
        json.dumps(from_toml.summary_json())
    )
    # the listing columns are those of the run's RunRow (they are taken from the run directly)
    assert repr(row.listing) == repr(listing_of_row(from_toml))


def listing_of_row(run: Run) -> tuple[Any, ...]:
    """The index's listing columns as they were first defined: from ``RunRow.of``."""
    from runledger.model.row import RunRow

    row = RunRow.of(run)

    def strict(data: Any) -> str:
        text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        text.encode()
        return text

    def compact(data: Any) -> str:
        return json.dumps(data, allow_nan=True, separators=(",", ":"))

    try:
        params: str | None = strict(row.params)
        plain = 1
    except ValueError:
        params, plain = json.dumps(row.params, allow_nan=True, separators=(",", ":")), 0
    except (TypeError, UnicodeEncodeError):
        params, plain = None, 0
    try:
        texts: tuple[str | None, ...] = (strict(list(row.command)), strict(list(row.tags)))
        metrics: str | None = strict(row.metrics)
    except (TypeError, ValueError, UnicodeEncodeError):
        texts, metrics, params, plain = (None, None), None, None, 0
    scalars = (
        row.name, row.exit_code, row.commit, row.branch, row.ended_at, row.duration_s,
        row.user, row.host, row.note, row.parent, row.sweep,
    )  # fmt: skip
    provenance = (row.verdict, row.author, row.inputs_digest)
    for value in (*scalars, *provenance):
        try:
            value.encode() if isinstance(value, str) else None
        except UnicodeEncodeError:
            return (None,) * (rindex.COLUMN_COUNT - 18) + (0, None, None, None, None, None)
    # params_flat: the params flattened, where a nested table made them differ
    flat = None
    if params is not None and flatten(row.params) != row.params:
        flat = (strict if plain else compact)(flatten(row.params))
    # command_line: the command as a shell would read it back, where its words were kept
    line = None if texts[0] is None else shlex.join(row.command)
    return (*scalars, *texts, params, metrics, plain, *provenance, flat, line)


def test_the_index_keeps_each_run_toml_as_written(repo: Repo) -> None:
    """A first listing reads every run.toml once: the index keeps its text as it is (no
    second encoding of every record), beside the listing rows, and show reads the run back
    from it."""
    ids = add_runs(repo, range(3), params={"lr": 0.1, "nested": {"a": [1, 2]}, "none": None})
    assert len(listed_ids(repo)) == 3
    handle = rgit.discover(repo.path)
    with sqlite3.connect(index_path(handle)) as db:
        stored = dict(db.execute("SELECT id, toml FROM runs JOIN records USING (ref)"))
    assert set(stored) == set(ids)
    for run_id in ids:
        blob = repo.git("cat-file", "-p", f"refs/runledger/runs/{run_id}:{RUN_FILE}")
        assert stored[run_id] == blob
    shown = repo.cli("show", ids[0], "--json").json()
    assert shown["params"] == {"lr": 0.1, "nested": {"a": [1, 2]}, "none": None}


def test_show_resolves_prefixes_through_the_index(repo: Repo, tmp_path: Path) -> None:
    ids = add_runs(repo, range(3))
    result = repo.cli("show", "6g0000000", "--json")
    assert result.exit_code == 1
    assert result.stderr.startswith("runledger: error: run prefix '6g0000000' is ambiguous")
    assert repo.cli("show", ids[1][:11], "--json").json()["id"] == ids[1]


def test_team_tags_and_reproductions_are_in_the_listed_json(repo: Repo) -> None:
    ids = add_runs(repo, range(3), tags=("sweep",))
    head = repo.git("rev-parse", "HEAD").strip()
    again = make_run(head, 9, reproduces=ids[0], command=("python", "train.py", "--seed=0"))
    ledger(repo).write(again, IDENT, 1)
    tagged = repo.cli("tag", ids[1], "production")
    assert tagged.exit_code == 0, tagged.stderr
    from_index = repo.cli("ls", "--json")
    listed = {run["id"]: run for run in from_index.json()}
    assert listed[ids[1]]["tags"] == ["production", "sweep"]
    assert listed[ids[2]]["tags"] == ["sweep"]
    assert [item["id"] for item in listed[ids[0]]["reproduced_by"]] == [again.id]
    assert listed[again.id]["reproduces"] == ids[0]
    for path in index_path(rgit.discover(repo.path)).parent.glob("index.sqlite*"):
        path.unlink()
    index_path(rgit.discover(repo.path)).mkdir()
    assert repo.cli("ls", "--json").stdout == from_index.stdout
    assert repo.cli("ls", "--json", "--tag", "production").json() == [listed[ids[1]]]


def test_runs_only_in_a_remotes_mirror_are_listed_once(repo: Repo) -> None:
    ids = add_runs(repo, range(3))
    oid = {run_id: repo.git("rev-parse", f"refs/runledger/runs/{run_id}").strip() for run_id in ids}
    # a run fetched from a remote and not adopted: only under the mirror
    repo.git("update-ref", f"refs/runledger/remotes/origin/runs/{ids[0]}", oid[ids[0]])
    repo.git("update-ref", "-d", f"refs/runledger/runs/{ids[0]}")
    # a run both here and in two mirrors, whose copies say something else: the local one wins
    head = repo.git("rev-parse", "HEAD").strip()
    handle = rgit.discover(repo.path)
    other = Ledger(handle).build_commit(
        make_run(head, 1, status="failed", exit_code=3), rgit.ObjectWriter(handle), IDENT, 1
    )
    for remote in ("origin", "backup"):
        repo.git("update-ref", f"refs/runledger/remotes/{remote}/runs/{ids[1]}", other)
    repo.git("update-ref", "refs/runledger/remotes/origin/tags/x", oid[ids[2]])  # not a run
    assert listed_ids(repo) == newest_first(ids)
    statuses = {run["id"]: run["status"] for run in repo.cli("ls", "--json").json()}
    assert statuses[ids[1]] == "ok"
    shown = repo.cli("show", ids[0], "--json")
    assert shown.exit_code == 0, shown.stderr
    age_refs(repo)
    for folder in ("origin", "backup", "origin/runs", "backup/runs", ""):
        path = repo.path / ".git" / "refs" / "runledger" / "remotes" / folder
        stamp = os.stat(path).st_mtime_ns - AN_HOUR_NS
        os.utime(path, ns=(stamp, stamp))
    assert refresh(repo) == 0
    # adopted: the local ref stands for it; the mirror's copy is not listed twice
    repo.git("update-ref", f"refs/runledger/runs/{ids[0]}", oid[ids[0]])
    assert listed_ids(repo) == newest_first(ids)
    # gone from here and from one mirror: the other mirror's copy stands for it
    repo.git("update-ref", "-d", f"refs/runledger/runs/{ids[1]}")
    repo.git("update-ref", "-d", f"refs/runledger/remotes/origin/runs/{ids[1]}")
    assert listed_ids(repo) == newest_first(ids)
    statuses = {run["id"]: run["status"] for run in repo.cli("ls", "--json").json()}
    assert statuses[ids[1]] == "failed"
    repo.git("update-ref", "-d", f"refs/runledger/remotes/backup/runs/{ids[1]}")
    assert listed_ids(repo) == newest_first([ids[0], ids[2]])


odd_fields = st.fixed_dictionaries(
    {},
    optional={
        "schema": st.sampled_from([1, 0, 2, True, "1"]),
        "id": st.sampled_from(["6g00000001aaaaaa", "6g00000002aaaaaa", 7]),
        "duration_s": st.sampled_from([1, 2.5, 10**400, float("nan"), "x", True]),
        "exit_code": st.sampled_from([0, 3, 1.5, "0", True]),
        "tags": st.lists(st.sampled_from(["b", "a", "b"]), max_size=3) | st.just([1]),
        "command": st.sampled_from([["python", "x.py"], [], ["a", 1], "python"]),
        "metrics": st.dictionaries(
            st.sampled_from(["acc", "loss"]),
            st.fixed_dictionaries(
                {"last": st.sampled_from([0.5, 1, float("nan"), float("inf"), 10**400, "x"])},
                optional={
                    "min": st.sampled_from([0.1, 10**400, "x"]),
                    "count": st.sampled_from([3, 2.5, float("nan"), float("inf")]),
                    "last_step": st.sampled_from([3, 2.5]),
                },
            ),
            max_size=2,
        ),
        "params": st.dictionaries(
            st.sampled_from(["lr", "when", "deep"]),
            st.sampled_from([0.1, float("nan"), float("inf"), "x", [1, 2], {"a": 1}]),
            max_size=3,
        ),
        "input_paths": st.sampled_from([["a.csv"], "a.csv", 5, [1]]),
        "inputs_digest": st.sampled_from(["ab12", 5, {"a": 1}]),
        "parent": st.sampled_from(["6g00000009aaaaaa", 5]),
        "reproduces": st.sampled_from(["6g00000009aaaaaa"]),
        "reproduction": st.sampled_from([{"verdict": "reproduced"}]),
        "trial": st.sampled_from([{"number": 1}, 5]),
        "unknown": st.just(1),
        "git": st.sampled_from(
            [{"commit": "c" * 40}, {"commit": 5}, {"commit": "c" * 40, "branch": "main"}, "x"]
        ),
    },
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=odd_fields, date_param=st.booleans())
def test_a_plain_record_row_is_the_row_the_run_path_builds(
    fields: dict[str, Any], date_param: bool
) -> None:
    """The index builds most rows straight from run.toml's TOML (index._plain_row); any
    record, plain, odd or bad, gets the row (or the error) that reading it as a Run gives."""
    import datetime
    from unittest import mock

    import tomli_w

    from tests.crafted import run_toml

    data = run_toml("6g00000001aaaaaa", "c" * 40, **fields)
    if date_param:
        data.setdefault("params", {})["when"] = datetime.date(2024, 1, 2)
    content = tomli_w.dumps(data).encode()
    ref = rindex.RUNS_PREFIX + "6g00000001aaaaaa"
    row = rindex.row_for(ref, "b" * 40, content)
    with mock.patch.object(rindex, "_plain_row", lambda *args: None):
        expected = rindex.row_for(ref, "b" * 40, content)
    assert repr(row) == repr(expected)


def test_a_toml_date_in_a_pushed_record_is_listed_not_a_crash(repo: Repo) -> None:
    """A record may hold TOML dates (tomlcodec keeps them; runledger writes none, another tool
    or a person can): every listing crashed on them (an internal error, for everyone who
    pulled the run). JSON views show them as ISO 8601 text, as captured YAML dates are."""
    import datetime

    from tests.crafted import craft

    dated = craft(repo.path, params={"day": datetime.date(2024, 1, 2), "lr": 0.1})
    assert repo.cli("ls").exit_code == 0
    listed = repo.cli("ls", "--json")
    assert listed.exit_code == 0, listed.stderr
    [run] = listed.json()
    assert run["id"] == dated and run["params"] == {"day": "2024-01-02", "lr": 0.1}
    shown = repo.cli("show", dated, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["params"]["day"] == "2024-01-02"
    compared = repo.cli("compare", "--format", "csv")
    assert compared.exit_code == 0, compared.stderr


def test_a_record_whose_inputs_digest_is_not_text_is_reported_and_the_index_kept(
    repo: Repo,
) -> None:
    """inputs_digest was never checked: a table there made SQLite refuse the whole index
    update, so every command read every ref, silently, from then on."""
    from tests.crafted import craft

    good = craft(repo.path)
    bad = craft(repo.path, inputs_digest={"a": 1})
    listed = repo.cli("ls", "--json")
    assert listed.exit_code == 0
    assert [run["id"] for run in listed.json()] == [good]
    assert f"skipping refs/runledger/runs/{bad}: run.toml: inputs_digest must be" in (listed.stderr)
    with RunIndex(rgit.discover(repo.path)) as index:
        assert index.refresh() == 0  # current: the update went through
        assert [run_id for run_id, _ in index.summaries()] == [good]


@pytest.mark.parametrize("seed", range(4))
def test_the_row_standing_for_each_run_follows_any_change_of_its_refs(
    repo: Repo, seed: int
) -> None:
    """New rows come marked as the one standing for their id (or not) from the refresh, and
    only ids with older rows are decided again in SQL: whatever refs come and go, local
    and mirrored, the index's choice is the local ref, else the first mirror by name."""
    import random

    rng = random.Random(seed)
    ids = add_runs(repo, range(3))
    oids = [repo.git("rev-parse", f"refs/runledger/runs/{run_id}").strip() for run_id in ids]
    places = ["refs/runledger/runs/", *(f"refs/runledger/remotes/{r}/runs/" for r in "ab")]
    handle = rgit.discover(repo.path)
    for _ in range(8):
        for _ in range(rng.randint(1, 4)):
            ref = rng.choice(places) + rng.choice(ids)
            if rng.random() < 0.35:
                repo.git("update-ref", "-d", ref)
            else:
                repo.git("update-ref", ref, rng.choice(oids))
        if rng.random() < 0.3:
            repo.git("pack-refs", "--all")
        age_refs(repo)
        for folder in ("a", "b", "a/runs", "b/runs", ""):
            path = repo.path / ".git" / "refs" / "runledger" / "remotes" / folder
            if path.exists():
                stamp = os.stat(path).st_mtime_ns - AN_HOUR_NS
                os.utime(path, ns=(stamp, stamp))
        expected: dict[str, tuple[bool, str]] = {}
        for ref, _ in rgit.list_refs(handle, "refs/runledger/"):
            parsed = rindex.run_ref_id(ref)
            if parsed is not None:
                run_id, mirror = parsed
                expected[run_id] = min(expected.get(run_id, (mirror, ref)), (mirror, ref))
        with RunIndex(handle) as index:
            index.refresh()
            chosen = {run_id: (mirror, ref) for run_id, _, ref, mirror in index.refs()}
        assert chosen == expected


def test_which_keys_of_many_runs_are_stored_in_one_transaction(repo: Repo) -> None:
    """The first ``which`` after an index build stores the keys of every run's files.toml.
    The connection autocommits, so without an explicit transaction each of those rows was a
    commit of its own (30 s at 100,000 runs)."""
    add_runs(repo, range(30), artifacts=[{"path": "model.ckpt", "size": 3, "sha256": "a" * 64}])
    repo.cli("ls", "--json")
    with RunIndex(rgit.discover(repo.path)) as index:
        statements: list[str] = []
        index.db.set_trace_callback(statements.append)
        found = index.file_candidates([f"sha256:{'a' * 64}"])
        index.db.set_trace_callback(None)
    assert len(found) == 30
    writes = [s for s in statements if s.startswith(("INSERT", "BEGIN", "COMMIT"))]
    assert writes[0] == "BEGIN IMMEDIATE" and writes[-1] == "COMMIT"
    assert writes.count("BEGIN IMMEDIATE") == 1 and writes.count("COMMIT") == 1


def test_a_record_shared_by_a_run_and_its_mirror_is_parsed_once(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a pull, a run's ref and its remote's mirror ref name one commit: the first
    listing parses that record once and still has a row for each ref."""
    ids = add_runs(repo, range(12))
    for ref, oid in rgit.list_refs(rgit.discover(repo.path), "refs/runledger/runs/"):
        repo.git("update-ref", ref.replace("runledger/", "runledger/remotes/origin/", 1), oid)
    parsed: list[str] = []
    real = rindex.row_for

    def counted(ref: str, oid: str, content: bytes | None) -> Any:
        parsed.append(ref)
        return real(ref, oid, content)

    monkeypatch.setattr(rindex, "row_for", counted)
    assert refresh(repo) == 24
    assert len(parsed) == 12
    with RunIndex(rgit.discover(repo.path)) as index:
        rows = index.db.execute("SELECT ref, mirror, effective, record FROM runs").fetchall()
    assert len(rows) == 24
    assert sorted(ref for ref, mirror, _, _ in rows if mirror) == sorted(
        f"refs/runledger/remotes/origin/runs/{run_id}" for run_id in ids
    )
    assert sum(effective for _, _, effective, _ in rows) == 12
    assert all(not mirror for _, mirror, effective, _ in rows if effective)
    assert listed_ids(repo) == newest_first(ids)
