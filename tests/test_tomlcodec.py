import datetime
import math
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.model import tomlcodec
from tests.fuzzing import examples


def same(a: Any, b: Any) -> bool:
    """Exact equality: NaN equals NaN, and 1, 1.0, True and -0.0/0.0 are told apart."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict):
        return same_dict(a, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def same_dict(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return set(a) == set(b) and all(same(a[k], b[k]) for k in a)


keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "a.b", "a b", "__runledger__", "value", "ünï.cødé", "[x]", '"q"']),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 2),
    st.integers(min_value=-(2**63) - 2, max_value=-(2**63) + 2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=20),
    st.text(alphabet=st.characters(categories=["Cs", "Ll"]), max_size=5),
)
json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=30,
)


@settings(deadline=None, max_examples=examples(300))
@given(st.dictionaries(keys, json_like, max_size=6))
@pytest.mark.slow
def test_any_json_like_dict_round_trips_exactly(data: dict[str, Any]) -> None:
    back = tomlcodec.loads(tomlcodec.dumps(data))
    assert same_dict(back, data), (data, back)


def test_same_tells_apart_what_the_round_trip_must_keep() -> None:
    assert not same(1, 1.0)
    assert not same(1, True)
    assert not same(0.0, -0.0)
    assert not same([1], [1, 2])
    assert not same({"a": 1}, {"a": 2})
    assert same({"a": [float("nan")]}, {"a": [float("nan")]})


def test_none_is_written_as_a_visible_null_marker() -> None:
    text = tomlcodec.dumps({"name": None, "tags": [None, "a"]})
    assert tomllib.loads(text) == {
        "name": {"__runledger__": "null"},
        "tags": [{"__runledger__": "null"}, "a"],
    }
    assert tomlcodec.loads(text) == {"name": None, "tags": [None, "a"]}


def test_int_beyond_64_bits_is_a_bigint_marker_with_its_digits() -> None:
    text = tomlcodec.dumps({"seed": 2**64, "low": -(2**63) - 1, "edge": 2**63 - 1})
    plain = tomllib.loads(text)
    assert plain["seed"] == {"__runledger__": "bigint", "value": "18446744073709551616"}
    assert plain["low"] == {"__runledger__": "bigint", "value": str(-(2**63) - 1)}
    assert plain["edge"] == 2**63 - 1
    assert tomlcodec.loads(text)["seed"] == 2**64


def test_nan_and_infinities_stay_native_toml_floats() -> None:
    text = tomlcodec.dumps({"loss": [float("nan"), float("inf"), float("-inf")]})
    assert "nan" in text and "-inf" in text
    nan, inf, neg_inf = tomllib.loads(text)["loss"]
    assert math.isnan(nan) and inf == math.inf and neg_inf == -math.inf


def test_a_users_dict_that_looks_like_a_marker_comes_back_unchanged() -> None:
    data = {"x": {"__runledger__": "null"}, "y": {"__runledger__": "dict", "value": {}}}
    text = tomlcodec.dumps(data)
    assert tomllib.loads(text)["x"] == {
        "__runledger__": "dict",
        "value": {"__runledger__": "null"},
    }
    assert tomlcodec.loads(text) == data


def test_awkward_keys_and_strings_are_quoted_not_mangled() -> None:
    data = {"": 1, "a.b": {"c d": 2}, "ключ": "line1\nline2\t\x00\x1b\"'\\", "x": {}}
    text = tomlcodec.dumps(data)
    assert tomllib.loads(text) == data
    assert tomlcodec.loads(text) == data


def test_tuples_become_lists_and_mixed_arrays_survive() -> None:
    data = {"shape": (3, 224), "mixed": [1, "a", 2.5, None, [True], {"k": None}]}
    assert tomlcodec.loads(tomlcodec.dumps(data)) == {
        "shape": [3, 224],
        "mixed": [1, "a", 2.5, None, [True], {"k": None}],
    }


def test_strings_with_lone_surrogates_survive_as_a_str_marker() -> None:
    arg = b"--x\xff".decode("utf-8", "surrogateescape")
    text = tomlcodec.dumps({"command": ["python", arg]})
    text.encode("utf-8")  # the file can be written
    assert tomllib.loads(text)["command"][1] == {
        "__runledger__": "str",
        "text": "--x\\xff",
        "hex": "2d2d78edb3bf",
    }
    assert tomlcodec.loads(text) == {"command": ["python", arg]}


def test_keys_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        tomlcodec.dumps({"\udcff": 1})


def test_dates_and_times_are_native_toml() -> None:
    when = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
    text = tomlcodec.dumps({"started_at": when})
    assert tomllib.loads(text)["started_at"] == when


def test_top_level_dict_with_the_marker_key_round_trips() -> None:
    data = {"__runledger__": "bigint", "value": "1"}
    assert tomlcodec.loads(tomlcodec.dumps(data)) == data


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object()])
def test_unsupported_types_are_refused_with_the_type_named(value: object) -> None:
    with pytest.raises(TypeError, match=type(value).__name__):
        tomlcodec.dumps({"v": value})


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="keys must be strings"):
        tomlcodec.dumps({"v": {1: "a"}})


@pytest.mark.parametrize(
    "text",
    [
        'x = { __runledger__ = "nothing" }',
        'x = { __runledger__ = "bigint", value = "12a" }',
        'x = { __runledger__ = "bigint", value = 12 }',
        'x = { __runledger__ = "null", extra = 1 }',
        'x = { __runledger__ = "dict", value = 3 }',
        'x = { __runledger__ = "str", hex = "zz" }',
        'x = { __runledger__ = "str", hex = "ff" }',
    ],
)
def test_a_hand_broken_marker_is_reported(text: str) -> None:
    with pytest.raises(tomlcodec.MarkerError):
        tomlcodec.loads(text)
