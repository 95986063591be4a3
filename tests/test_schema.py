"""Records from elsewhere: older schemas migrate, newer ones and damaged ones are explained."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runledger.model import schema
from runledger.model.schema import Migration, SchemaError, upgrade
from tests.conftest import Repo
from tests.fuzzing import examples

RUN_ID = "6fh0000000000001"
OTHER_ID = "6fh0000000000002"
REF = f"refs/runledger/runs/{RUN_ID}"
# Every skipped ref names its fix (issue 17).
FIX = f" (remove it with 'git update-ref -d {REF}', or move it aside: 'runledger doctor --fix')"


def run_toml(repo: Repo, run_id: str = RUN_ID, **fields: Any) -> str:
    lines = {
        "schema": "1",
        "id": f'"{run_id}"',
        "status": '"ok"',
        "exit_code": "0",
        "started_at": '"2026-01-01T10:00:00.000Z"',
        "ended_at": '"2026-01-01T10:00:01.000Z"',
        "duration_s": "1.0",
        "command": '["python", "train.py"]',
    }
    lines.update(fields)
    head = repo.git("rev-parse", "HEAD").strip()
    body = "".join(f"{key} = {value}\n" for key, value in lines.items() if value is not None)
    return body + f'\n[git]\ncommit = "{head}"\n'


def record(repo: Repo, files: dict[str, str | bytes], run_id: str = RUN_ID) -> None:
    """Write a run's commit with plain git, as another (older, newer, broken) tool would."""
    entries = []
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        blob = (
            subprocess.run(
                ["git", "hash-object", "-w", "--stdin"],
                cwd=repo.path,
                input=data,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )
        entries.append(f"100644 blob {blob}\t{name}\n")
    tree = subprocess.run(
        ["git", "mktree"],
        cwd=repo.path,
        input="".join(entries),
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    head = repo.git("rev-parse", "HEAD").strip()
    commit = repo.git("commit-tree", tree, "-p", head, "-m", "a run").strip()
    repo.git("update-ref", f"refs/runledger/runs/{run_id}", commit)


# --- migrations -----------------------------------------------------------------------------


def _started_to_started_at(data: dict[str, Any]) -> dict[str, Any]:
    data["started_at"] = data.pop("started")
    data.setdefault("ended_at", data["started_at"])
    return data


SCHEMA_0_STEPS = [Migration(0, "run.toml", "'started' became 'started_at'", _started_to_started_at)]


def test_a_migration_step_brings_an_old_record_up_to_date() -> None:
    old = {"schema": 0, "id": RUN_ID, "started": "2026-01-01T00:00:00Z"}
    assert upgrade("run.toml", old, SCHEMA_0_STEPS) == {
        "schema": 1,
        "id": RUN_ID,
        "started_at": "2026-01-01T00:00:00Z",
        "ended_at": "2026-01-01T00:00:00Z",
    }
    assert old["schema"] == 0  # the record read is never changed in place


def test_steps_run_in_order_one_version_at_a_time() -> None:
    seen: list[str] = []

    def step(name: str) -> Any:
        return lambda data: seen.append(name) or {**data, name: True}

    steps = [
        Migration(2, "run.toml", "third", step("c")),
        Migration(0, "run.toml", "first", step("a")),
        Migration(1, "metrics.toml", "metrics only", step("x")),
        Migration(1, "run.toml", "second", step("b")),
    ]
    result = upgrade("run.toml", {"schema": 0}, steps, current=3)
    assert seen == ["a", "b", "c"] and result == {"schema": 3, "a": True, "b": True, "c": True}
    assert upgrade("environment.toml", {"schema": 1}, steps, current=3) == {"schema": 3}


def test_a_schema_no_runledger_wrote_or_a_newer_one_is_refused() -> None:
    with pytest.raises(SchemaError, match="has schema 0, which no runledger wrote"):
        upgrade("run.toml", {"schema": 0})
    with pytest.raises(SchemaError, match="upgrade runledger") as newer:
        upgrade("run.toml", {"schema": 2})
    assert newer.value.newer
    with pytest.raises(SchemaError, match="has no schema version"):
        upgrade("run.toml", {"schema": True})


def test_an_old_record_lists_and_shows_once_a_migration_exists(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = run_toml(repo, schema="0", started='"2026-01-01T10:00:00.000Z"', started_at=None)
    old = old.replace('ended_at = "2026-01-01T10:00:01.000Z"\n', "")
    record(repo, {"run.toml": old})
    listed = repo.cli("ls", "--json")
    assert listed.json() == [] and "which no runledger wrote" in listed.stderr
    monkeypatch.setattr(schema, "MIGRATIONS", SCHEMA_0_STEPS)
    [run] = repo.cli("ls", "--json").json()
    assert (run["id"], run["started_at"], run["ended_at"]) == (
        RUN_ID,
        "2026-01-01T10:00:00.000Z",
        "2026-01-01T10:00:00.000Z",
    )
    shown = repo.cli("show", RUN_ID, "--json")
    assert shown.exit_code == 0 and shown.json()["schema"] == 1


# --- newer and damaged records --------------------------------------------------------------


def test_a_newer_record_says_to_upgrade(repo: Repo) -> None:
    record(repo, {"run.toml": run_toml(repo, schema="2")})
    record(repo, {"run.toml": run_toml(repo, OTHER_ID)}, OTHER_ID)
    listed = repo.cli("ls", "--json")
    assert [run["id"] for run in listed.json()] == [OTHER_ID]
    assert listed.stderr == (
        f"runledger: warning: skipping {REF}: it was written by a newer runledger "
        f"(schema 2; this one reads up to 1): upgrade runledger to read it{FIX}\n"
    )
    shown = repo.cli("show", RUN_ID)
    assert shown.exit_code == 1 and shown.stdout == ""
    assert shown.stderr == (
        f"runledger: error: cannot read run {RUN_ID[:10]} ({REF}): it was written by a newer "
        "runledger (schema 2; this one reads up to 1): upgrade runledger to read it\n"
    )


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"run.toml": "id = \n[[["}, "run.toml is not valid TOML (Invalid value (at line 1"),
        ({"run.toml": b"\xff\xfe"}, "run.toml is not valid TOML ("),
        ({"notes.txt": "x"}, "has no run.toml"),
        ({"run.toml": "schema = 1\n"}, "run.toml has no id"),
        ({"run.toml": "__name__"}, "run.toml is not valid TOML"),
    ],
)
def test_a_damaged_record_is_explained_by_show_and_skipped_by_ls(
    repo: Repo, files: dict[str, Any], reason: str
) -> None:
    record(repo, files)
    record(repo, {"run.toml": run_toml(repo, OTHER_ID)}, OTHER_ID)
    listed = repo.cli("ls", "--json")
    assert [run["id"] for run in listed.json()] == [OTHER_ID]
    [warning] = listed.stderr.splitlines()
    assert warning.startswith(f"runledger: warning: skipping {REF}: {reason}")
    shown = repo.cli("show", RUN_ID)
    assert shown.exit_code == 1
    [line] = shown.stderr.splitlines()
    assert line.startswith(f"runledger: error: cannot read run {RUN_ID[:10]} ({REF}): {reason}")
    assert line.endswith("; the record is damaged, every other run still reads")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "5", "name must be a string"),
        ("command", '"python train.py"', "command must be a list of strings"),
        ("tags", "[1, 2]", "tags must be a list of strings"),
        ("exit_code", "true", "exit_code must be an integer"),
        ("duration_s", '"long"', "duration_s must be a number"),
        ("started_at", "2026-01-01T10:00:00Z", "started_at must be a string"),
        ("params", "[1]", "params must be a table"),
        ("metrics", '{loss = "low"}', "metrics must be a table of metric summaries"),
        ("param_sources", "{lr = 1}", "param_sources must be a table of strings"),
        ("system", '"fast"', "system must be a table"),
        ("recovered", "7", "recovered must be a table of strings"),
        ("parent", "12", "parent must be a string"),
        ("sweep", "[1]", "sweep must be a string"),
        ("trial", '"3"', "trial must be a table"),
    ],
)
def test_a_field_of_the_wrong_type_is_named(
    repo: Repo, field: str, value: str, reason: str
) -> None:
    record(repo, {"run.toml": run_toml(repo, **{field: value})})
    listed = repo.cli("ls", "--json")
    assert listed.json() == []
    assert listed.stderr == f"runledger: warning: skipping {REF}: run.toml: {reason}{FIX}\n"
    shown = repo.cli("show", RUN_ID)
    assert shown.exit_code == 1 and f"run.toml: {reason}; the record is damaged" in shown.stderr


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("metrics.toml", "schema = 1\nseries = [1, 2]\n", "metrics.toml: series must be a table"),
        ("metrics.toml", "schema = 9\n", "it was written by a newer runledger (schema 9"),
        ("environment.toml", "no schema here = 1\n", "a detail file cannot be read"),
        ("files.toml", "schema = 1\n[[[", "a detail file cannot be read"),
    ],
)
def test_a_damaged_detail_file_still_lists_and_show_explains(
    repo: Repo, name: str, content: str, reason: str
) -> None:
    record(repo, {"run.toml": run_toml(repo), name: content})
    assert [run["id"] for run in repo.runs_json()] == [RUN_ID]  # ls reads run.toml only
    shown = repo.cli("show", RUN_ID, "--json")
    assert shown.exit_code == 1 and shown.stdout == ""
    [line] = shown.stderr.splitlines()
    assert line.startswith(f"runledger: error: cannot read run {RUN_ID[:10]} ({REF}): ")
    assert reason in line


plain_values = st.one_of(
    st.sampled_from(["x", "", 0, 3, -1, 1.5, float("nan"), True, False]),
    st.lists(st.sampled_from(["a", 1, 2.5, True, {"a": 1}]), max_size=3),
    st.dictionaries(
        st.sampled_from(["a", "commit", "branch", "remotes", "last", "min", "count"]),
        st.sampled_from(["x", 1, 0.5, True, [1], {"origin": "u"}, {"origin": 1}]),
        max_size=4,
    ),
    st.dictionaries(
        st.sampled_from(["acc", "loss"]),
        st.dictionaries(
            st.sampled_from(["last", "min", "max", "last_step", "count", "other"]),
            st.sampled_from([0.5, 3, "x", True, [1]]),
            max_size=4,
        ),
        max_size=2,
    ),
)


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(
        st.sampled_from([*schema._RUN_FIELDS, "schema", "other"]), plain_values, max_size=3
    ),
    dropped=st.lists(st.sampled_from(["id", "status", "started_at", "git"]), max_size=1),
)
def test_the_quick_check_of_a_record_judges_as_the_full_one(
    fields: dict[str, Any], dropped: list[str]
) -> None:
    """A first listing checks every record with plainly_valid; check_run_toml names what is
    wrong. For the values TOML readers make, they must agree on every record: a record the
    quick check passed wrongly would be listed while show calls it damaged."""
    data: dict[str, Any] = {
        "id": RUN_ID,
        "status": "ok",
        "started_at": "2026-01-01T10:00:00.000Z",
        "git": {"commit": "c" * 40, "branch": "main", "remotes": {"origin": "u"}},
        **fields,
    }
    for key in dropped:
        del data[key]
    try:
        schema.check_run_toml(data)
        valid = True
    except SchemaError:
        valid = False
    assert schema.plainly_valid(data) == valid, data
