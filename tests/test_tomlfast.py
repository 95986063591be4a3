"""The narrow TOML reader (model/tomlfast.py) reads what tomli reads, or says it cannot.

Records are untrusted: whatever text the narrow reader accepts must be TOML that tomli
accepts too, read into the very same values; anything else must be handed to tomli (None).
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runledger.model import tomlcodec, tomlfast
from tests.conftest import Repo
from tests.crafted import craft, run_toml
from tests.fuzzing import examples


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types (NaN equal to NaN, -0.0 not 0.0), keys in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and str(a) == str(b))
    return bool(a == b)


def check(text: str) -> dict[str, Any] | None:
    """What the narrow reader says of ``text``, checked against tomli."""
    fast = tomlfast.loads(text)
    if fast is not None:
        assert same(fast, tomli.loads(text)), text
    return fast


scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.text(max_size=6),
    st.dates(),
)
keys = st.one_of(st.sampled_from(["lr", "a-b", "x_1", "0", "true", "a.b", ""]), st.text(max_size=4))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=st.dictionaries(keys, values, max_size=5), name=st.none() | st.text(max_size=8))
def test_records_runledger_writes_read_the_same_as_with_tomli(
    params: dict[str, Any], name: str | None
) -> None:
    data = run_toml("6g00000001aaaaaa", "a" * 40, params=params, name=name)
    text = tomlcodec.dumps(data)
    check(text)
    assert same(tomlcodec.loads(text), tomlcodec.loads(text))  # the reader is deterministic
    decoded = tomlcodec.loads(text)
    assert decoded["params"].keys() == params.keys()


def test_a_plain_record_takes_the_narrow_path() -> None:
    data = run_toml(
        "6g00000001aaaaaa",
        "a" * 40,
        params={"lr": 0.001, "n": -3, "big": 1e300, "tiny": 5e-324, "odd": float("-inf")},
        metrics={"loss": {"last": 0.5, "min": 0.25, "max": 2.0, "count": 3}},
        tags=[],
        note="a\ttab and unicode é ✓",
    )
    text = tomlcodec.dumps(data)
    assert check(text) is not None


SEED_TEXT = tomlcodec.dumps(
    run_toml(
        "6g00000001aaaaaa",
        "a" * 40,
        params={"lr": 0.5, "model": {"depth": 4}, "name": "x"},
        metrics={"acc": {"last": 0.5, "min": 0.1, "max": 0.9}},
        tags=["t"],
    )
)
PIECES = list('[]"=.,\n \t#\\{}0123456789eE+-_abinftrue') + [
    "[params]\n",
    "lr = 1\n",
    '"',
    "\n[git]\n",
    "\r\n",
    "\x7f",
    "\x00",
    "nan",
    "inf",
    "1979-05-27",
    "[[a]]\n",
    "a.b = 1\n",
]


FILES_SEED_TEXT = tomlcodec.dumps(
    {
        "schema": 1,
        "inputs": [],
        "artifacts": [
            {"path": f"m/{n}.bin", "size": n, "sha256": "ab" * 32, "mtime": 1.5, "kind": "file"}
            for n in range(3)
        ],
    }
)


@pytest.mark.parametrize("seed_text", [SEED_TEXT, FILES_SEED_TEXT], ids=["run", "files"])
@pytest.mark.parametrize("seed", range(examples(400)))
def test_corrupted_records_are_read_as_tomli_reads_them_or_left_to_it(
    seed: int, seed_text: str
) -> None:
    rng = random.Random(seed)
    text = seed_text
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        cut = rng.choice([0, 0, 1, 2, 5])
        text = text[:at] + rng.choice(PIECES + [""]) + text[at + cut :]
    try:
        tomli.loads(text)
    except tomli.TOMLDecodeError:
        assert tomlfast.loads(text) is None, text  # never accepts what TOML forbids
        return
    check(text)


@pytest.mark.parametrize(
    "text",
    [
        "a = 1\na = 2\n",  # a key twice
        "[t]\n[t]\n",  # a table twice
        "a = 1\n[a]\n",  # a table over a value
        "a = 1\n[a.b]\n",
        "[t]\nb = 1\n[t.b]\n",
        "[a.b]\n[a]\n",  # valid TOML (a defined after a.b): tomli decides
        "a = 01\n",
        "a = +1\n",
        "a = 1_000\n",
        "a = -nan\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 1e\n",
        "a = 0x10\n",
        "a = 1979-05-27\n",
        'a = "x\\ty"\n',
        'a = "x"  # note\n',
        "a = 1\r\n",
        "a=1\n",
        "a = 1",
        'a = "\x7f"\n',
        'a = "\x00"\n',
        "a = [1, 2]\n",
        "a = [\n  1,\n]\n",
        "a = [\n    [\n        1,\n    ],\n]\n",
        "a = { b = 1 }\n",
        '"a" = 1\n',
        "a.b = 1\n",
        "\ufeffa = 1\n",
        "a = []\n[[a]]\n",  # a list of tables over a value
        "a = 1\n[[a]]\n",
        "[a]\n[[a]]\n",  # over a table
        "[[a]]\n[a]\n",  # a table over a list of tables
        "[[a.b]]\n",  # dotted: tomli decides
        "[[a]]\n[a.b]\n",  # valid TOML (a table in a's last item): tomli decides
        "[[ a ]]\n",
        "[[a]]\n[[a]]\nb = 1\nb = 2\n",  # a key twice in one item
    ],
)
def test_anything_outside_the_narrow_shape_is_left_to_tomli(text: str) -> None:
    assert tomlfast.loads(text) is None
    try:
        tomli.loads(text)
    except tomli.TOMLDecodeError:
        pass


def test_values_read_the_narrow_way() -> None:
    text = (
        'a = 1\nb = -0.0\nc = 1e-05\nd = inf\ne = -inf\nf = nan\ng = true\nh = "x\ty"\n'
        'i = []\nj = [\n    1,\n    2.5,\n    "s",\n    false,\n]\n\n[t.u]\nk = 9\n'
    )
    read = check(text)
    assert read is not None
    assert read["t"] == {"u": {"k": 9}} and read["h"] == "x\ty" and math.isnan(read["f"])
    assert check("") == {}
    assert tomlfast.loads("d = 1979-05-27\n") is None
    assert tomlcodec.loads("d = 1979-05-27\n") == {"d": datetime.date(1979, 5, 27)}


def test_a_files_toml_takes_the_narrow_path() -> None:
    """files.toml lists a run's artifacts as [[artifacts]] tables: a push or get of a run of
    many files reads them without tomli."""
    read = check(FILES_SEED_TEXT)
    assert read is not None
    assert [item["size"] for item in read["artifacts"]] == [0, 1, 2] and read["inputs"] == []
    assert check("[[a]]\n\n[[a]]\nb = 1\n\n[t]\nc = 2\n") == {
        "a": [{}, {"b": 1}],
        "t": {"c": 2},
    }


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=st.dictionaries(
        keys, st.lists(st.dictionaries(keys, values, max_size=3), min_size=1, max_size=3)
    ),
    plain=st.dictionaries(keys, scalars, max_size=2),
)
def test_top_level_lists_of_tables_read_the_same_as_with_tomli(
    tables: dict[str, list[dict[str, Any]]], plain: dict[str, Any]
) -> None:
    text = tomlcodec.dumps({**plain, **tables})
    check(text)


# Valid TOML that runledger does not write (hand edits, other tools): the narrow reader
# declines it, and the row must be the one the full parser gives.
ODD_BUT_VALID = [
    lambda text: "# edited by hand\n" + text,
    lambda text: text.replace(" = ", "=", 3),
    lambda text: text.replace("\n", "\r\n"),
    lambda text: text.replace('status = "', "'status' = \"", 1),
    lambda text: text.replace('status = "ok"', "status = 'ok'  # literal", 1),
    lambda text: text.rstrip("\n"),
    lambda text: text.replace("exit_code = 0", "exit_code = +0", 1),
    lambda text: text.replace("[git]\n", "[git]  \n", 1),
]


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=st.dictionaries(keys, values, max_size=4),
    metrics=st.dictionaries(
        st.sampled_from(["acc", "loss", "val-loss"]),
        st.fixed_dictionaries(
            {"last": st.floats() | st.integers(-5, 5)},
            optional={"min": st.floats(), "count": st.integers(0, 9)},
        ),
        max_size=2,
    ),
    tags=st.lists(st.text(max_size=3), max_size=2),
    variant=st.sampled_from([None, *range(len(ODD_BUT_VALID))]),
)
def test_index_rows_from_the_narrow_reader_are_the_rows_of_the_full_parser(
    params: dict[str, Any], metrics: dict[str, Any], tags: list[str], variant: int | None
) -> None:
    """A first listing reads most records with the narrow reader and builds their rows
    straight from its dict (index._plain_row); the row, or the error, must be what tomli
    and a Run give, for records runledger writes and for valid TOML it does not write."""
    from unittest import mock

    from runledger.store import index

    run_id = "6g00000001aaaaaa"
    text = tomlcodec.dumps(run_toml(run_id, "c" * 40, params=params, metrics=metrics, tags=tags))
    if variant is not None:
        text = ODD_BUT_VALID[variant](text)
        assert tomlfast.loads(text) is None
    content = text.encode()
    ref = index.RUNS_PREFIX + run_id
    row = index.row_for(ref, "b" * 40, content)
    with mock.patch.object(tomlfast, "loads", lambda text: None):
        by_tomli = index.row_for(ref, "b" * 40, content)
        with mock.patch.object(index, "_plain_row", lambda *args: None):
            by_run = index.row_for(ref, "b" * 40, content)
    assert repr(row) == repr(by_tomli) == repr(by_run)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (
            lambda text: text.replace('status = "ok"\n', 'status = "ok"\nstatus = "failed"\n'),
            "Cannot overwrite a value (at line",
        ),
        (lambda text: text + "[git]\n", "Cannot declare ('git',) twice (at line"),
        (lambda text: text.replace("exit_code = 0", "exit_code = 01"), "Expected newline"),
        (lambda text: text.replace('cwd = "."', 'cwd = "\x7f"'), "Illegal character"),
    ],
)
def test_a_record_damaged_in_runledgers_own_shape_is_skipped_with_one_line(
    repo: Repo, damage: Callable[[str], str], reason: str
) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    good = craft(repo.path)
    bad = "6g00000009aaaaaa"
    text = damage(tomlcodec.dumps(run_toml(bad, head)))
    craft(repo.path, bad, files={"run.toml": text.encode()})
    listed = repo.cli("ls", "--json")
    assert listed.exit_code == 0
    assert [run["id"] for run in listed.json()] == [good]
    [warning] = listed.stderr.splitlines()
    assert warning.startswith(
        f"runledger: warning: skipping refs/runledger/runs/{bad}: run.toml is not valid TOML ("
    )
    assert reason in warning
