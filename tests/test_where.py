from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.errors import UserError
from runledger.query.where import (
    WhereError,
    compile_where,
    evaluate,
    field_text,
    fields,
    parse,
    parse_field,
)
from tests.fuzzing import examples

ROW: dict[str, Any] = {
    "id": "0k3fq7m2abcdefgh",
    "name": "resnet-50",
    "status": "ok",
    "exit_code": 0,
    "commit": "abc123" + "0" * 34,
    "branch": "main",
    "command": ["python", "train.py", "--lr", "0.01"],
    "tags": ["production", "baseline"],
    "params": {
        "lr": "0.01",  # old runs recorded params as strings
        "batch_size": 32,
        "opt": "adam",
        "model": {"depth": 3},
        "data.split": "val",
        "use_amp": "False",
        "weird key": 7,
        "nothing": None,
    },
    "metrics": {
        "acc": 0.91,
        "train/loss": 0.12,
        "ms/batch": 12.5,
        "recall@10": 0.4,
        "mAP@0.5": 0.6,
        "f1 score": 0.8,
        "acc%": 91,
        "val-acc": 0.7,
    },
    "started_at": "2026-03-05T10:00:00+00:00",
    "duration_s": 12.5,
    "user": "ann",
    "host": "gpu-01",
    "reproduces": None,
}


def holds(expr: str, row: dict[str, Any] = ROW) -> bool:
    return evaluate(parse(expr), row)


@pytest.mark.parametrize(
    "expr",
    [
        "params.lr == 0.01",
        "params.lr = 0.01",
        "params.lr < 0.1",
        "params.lr >= 1e-2",
        "params.lr > -1",
        "params.batch_size == 32",
        "params.batch-size == 32",
        "params.model.depth == 3",
        "params.data.split == 'val'",
        'params."weird key" == 7',
        'params.opt in ("adam", "sgd")',
        "params.opt in ['adam']",
        'params.opt not in ("sgd",)',
        '"production" in tags',
        'tag == "production"',
        'tags != "staging"',
        '"staging" not in tags',
        'commit == "ABC1"',
        'commit in ("ffff", "abc12")',
        'id == "0k3f"',
        'started_at >= "2026-03-01"',
        'started_at < "2026-03-05T11:00:00Z"',
        'started_at > "2026-03-05T09:00:00"',
        'name matches "^resnet"',
        'name matches "res.et(18|50)?"',
        'name glob "resnet*"',
        'tags glob "prod*"',
        'tags matches "^prod"',
        'command matches "train\\.py$"',
        '"resnet" in name',
        '"lr" in params',
        '"batch-size" in params',
        "metrics.acc > params.lr",
        "0.5 < metrics.acc",
        "metrics.train/loss < 0.2",
        'metrics."train/loss" < 0.2',
        "metrics.ms/batch > 10",
        "metrics.ms/batch>10",
        "metrics.`ms/batch` > 10",
        'metrics["ms/batch"] > 10',
        "metrics['ms/batch'] > 10",
        "metrics.recall@10 == 0.4",
        "metrics.mAP@0.5 == 0.6",
        "metrics.val-acc == 0.7",
        "metrics.val_acc == 0.7",
        'metrics."f1 score" == 0.8',
        "metrics.`f1 score` == 0.8",
        'metrics["acc%"] == 91',
        'params["model"]["depth"] == 3',
        'params["model"].depth == 3',
        'params.model["depth"] == 3',
        'params["data.split"] == "val"',
        '"depth" in params["model"]',
        'status == "ok" AND (exit_code == 0 OR exit_code == null)',
        'NOT status == "failed"',
        "not params.use_amp",
        "params.missing == null",
        "params.nothing == none",
        "reproduces == null",
        "params.opt != null",
        "not params.missing == 1",
        "duration_s < 60 and user == 'ann' and host == \"gpu-01\" and branch == 'main'",
        "exit_code == 0 or params.missing > 3",
        "(((status == 'ok')))",
    ],
)
def test_expressions_that_hold(expr: str) -> None:
    assert holds(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "params.lr > 0.01",
        "params.opt in ('sgd', 'rmsprop')",
        '"staging" in tags',
        'commit == "abc2"',
        'id == "0k3g"',
        'started_at < "2026-03-01"',
        'name matches "^vit"',
        'name matches "RESNET"',
        'name glob "RESNET*"',
        'name glob "esnet*"',  # a glob covers the whole value
        "params.use_amp",
        # Any comparison with a missing value is false, as in SQL, even !=.
        "params.missing != 1",
        "params.missing == 1",
        "params.missing < 1",
        "params.missing in (1, 2)",
        "params.missing not in (1, 2)",
        "metrics.missing matches '.*'",
        "metrics.missing glob '*'",
        "params.nothing == 0",
        "params.missing",
        "params.opt == null",
        "params.opt < 3",  # a word and a number have no order
        "exit_code == 0 and status == 'failed'",
    ],
)
def test_expressions_that_do_not_hold(expr: str) -> None:
    assert not holds(expr)


def test_booleans_compare_with_booleans_and_their_spelling_as_strings() -> None:
    row = {"params": {"amp": True, "old_amp": "true", "n": 1}}
    assert holds("params.amp == true", row)
    assert holds("params.old_amp == TRUE", row)
    assert not holds("params.amp == false", row)
    assert not holds("params.n == true", row)  # a number is not a boolean


def test_hyphen_and_underscore_spellings_find_each_other() -> None:
    row = {"params": {"batch-size": 64}}
    assert holds("params.batch_size == 64", row)
    assert holds("params.batch-size == 64", row)


def test_keywords_are_case_insensitive() -> None:
    assert holds("params.opt IN ('adam') And Not status == 'failed' OR False == true")


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "metrics.acc > ",
            "bad --where at column 15: expected a value after '>', found the end "
            "(in: metrics.acc > )",
        ),
        (
            "(params.lr == 1",
            "bad --where at column 16: expected ')' to close the '(' at column 1, found the end "
            "(in: (params.lr == 1)",
        ),
        (
            'commit == "ab"',
            "bad --where at column 11: commit needs at least 4 characters to match, got 'ab' "
            '(in: commit == "ab")',
        ),
        (
            "params.lr == 1 params.x",
            "bad --where at column 16: unexpected 'params' after a complete condition; "
            "join conditions with 'and' or 'or' (in: params.lr == 1 params.x)",
        ),
        ("a && b", "bad --where at column 3: use 'and' instead of '&&' (in: a && b)"),
        ("params", "bad --where at column 1: 'params' needs a key, as in params.lr (in: params)"),
        (
            "status == 'ok' and",
            "bad --where at column 19: expected a condition after 'and' (in: status == 'ok' and)",
        ),
        (
            "name == 'abc",
            "bad --where at column 9: unterminated string starting at column 9 (in: name == 'abc)",
        ),
    ],
)
def test_errors_name_the_column_and_the_problem(expr: str, message: str) -> None:
    with pytest.raises(WhereError) as caught:
        parse(expr)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("expr", "hint"),
    [
        ("metrics.acc% > 1", 'quote a name with other characters, as in metrics."acc%"'),
        ("metrics.acc%>1", 'quote a name with other characters, as in metrics."acc%"'),
        ("metrics.f1 score > 0.5", 'quote a name that holds spaces, as in metrics."f1 score"'),
        (
            "metrics[ms/batch] > 1",
            "expected a quoted key after 'metrics[', as in metrics[\"ms/batch\"]",
        ),
        ('metrics["ms/batch" > 1', "expected ']' to close the '[' at column 8, found '>'"),
        ("metrics.`ms/batch > 1", "unterminated name starting at column 9"),
        ("`ms/batch` > 1", "a `quoted` name goes after 'params.' or 'metrics.'"),
        ('metrics."" > 1', "expected a key after 'metrics.'"),
        ("metrics.`` > 1", "expected a key after 'metrics.'"),
    ],
)
def test_names_that_need_quotes_say_how(expr: str, hint: str) -> None:
    with pytest.raises(WhereError) as caught:
        parse(expr)
    assert hint in str(caught.value)


def test_a_dot_after_a_name_is_a_dot_not_a_number() -> None:
    assert parse("metrics.mAP@0.5 > 0").left.path == ("metrics", "mAP@0", "5")  # type: ignore[union-attr]
    with pytest.raises(WhereError):
        parse("metrics.acc .5")  # a number after a complete name: still an error


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("ms/batch", "metrics.ms/batch"),
        ("train/loss", "metrics.train/loss"),
        ("recall@10", "metrics.recall@10"),
        ("mAP@0.5", "metrics.mAP@0.5"),
        ("val-acc", "metrics.val-acc"),
        ("f1 score", 'metrics."f1 score"'),
        ('say "hi"\\', 'metrics."say \\"hi\\"\\\\"'),
        ("x.", 'metrics."x."'),
        ("", 'metrics.""'),
    ],
)
def test_field_text_writes_the_shortest_form(name: str, written: str) -> None:
    assert field_text("metrics", name) == written


def test_parse_field_reads_one_field_only() -> None:
    assert parse_field('metrics["f1 score"]').path == ("metrics", "f1 score")
    assert parse_field("params.model.depth").path == ("params", "model", "depth")
    for text in ("metrics.acc > 1", "1", "", "metrics", "lr"):
        with pytest.raises(WhereError):
            parse_field(text)


_NAMES = st.one_of(
    st.text(min_size=1, max_size=12),
    st.text(alphabet="ab1_-/@. ", min_size=1, max_size=8),
)


@settings(deadline=None, max_examples=examples(300))
@given(_NAMES, st.floats(allow_nan=False, allow_infinity=False))
def test_every_metric_name_can_be_written_and_found_again(name: str, value: float) -> None:
    """Whatever a logger calls a metric, --where can name it: field_text's form, and each of
    the three quoted forms where the name's characters allow it."""
    row = {"metrics": {name: value}}
    spellings = [field_text("metrics", name)]
    if "`" not in name:
        spellings.append(f"metrics.`{name}`")
    if "\\" not in name and '"' not in name:
        spellings += [f'metrics."{name}"', f'metrics["{name}"]']
    for spelled in spellings:
        tree = parse(f"{spelled} == {value!r}")
        assert evaluate(tree, row), spelled
        assert fields(tree) == {f"metrics.{name}"}, spelled
        assert parse_field(spelled) == tree.left  # type: ignore[union-attr]


def test_error_column_points_at_the_fault_for_a_caret() -> None:
    expr = "status == 'ok' and lr > 1"
    with pytest.raises(WhereError) as caught:
        parse(expr)
    assert expr[caught.value.column - 1 :].startswith("lr")
    assert "did you mean params.lr or metrics.lr?" in str(caught.value)


def test_where_errors_are_user_errors() -> None:
    with pytest.raises(UserError):
        compile_where("")


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "   ",
        "lr > 0.1",
        "params.",
        "params.lr >",
        "params.lr == == 1",
        "params.lr in 3",
        "params.lr in (params.x)",
        "params.lr in (1, 2",
        "params.lr matches 3",
        "()",
        "not",
        "1 == ",
        "'x'",
        "status.x == 1",
        'started_at > "yesterday"',
        "1abc == 1",
        "params.lr ! 1",
        "params.lr || 1",
    ],
)
def test_rejects_malformed_expressions(expr: str) -> None:
    with pytest.raises(WhereError):
        parse(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "lambda: 1",
        "a; b",
        "`rm -rf /`",
        "$(rm -rf /)",
        "params.lr == 1; import os",
        "exec('1')",
        "{'a': 1}",
        "params.lr if True else 0",
    ],
)
def test_injection_attempts_are_rejected(expr: str) -> None:
    with pytest.raises(WhereError):
        parse(expr)


def test_dunder_keys_are_plain_lookups_and_never_reach_python_attributes() -> None:
    assert not holds("params.__class__")
    assert not holds("params.__class__.__init__ == 1")
    assert holds("params.__class__ == null")


def test_nesting_is_capped() -> None:
    with pytest.raises(WhereError, match="nesting deeper than 50"):
        parse("(" * 100 + "status == 'ok'" + ")" * 100)
    with pytest.raises(WhereError, match="nesting deeper than 50"):
        parse("not " * 100 + "status == 'ok'")
    assert holds("(" * 40 + "status == 'ok'" + ")" * 40)


def test_long_flat_chains_do_not_recurse() -> None:
    expr = " or ".join(f"params.batch_size == {n}" for n in range(2000))
    assert holds(expr)


def test_compile_where_none_keeps_everything() -> None:
    keep = compile_where(None)
    assert keep({}) and keep(ROW)
    ok = compile_where("status == 'ok'")
    assert ok(ROW) and not ok({**ROW, "status": "failed"})


def test_fields_lists_the_paths_used() -> None:
    tree = parse(
        "params.lr < 0.1 and ('x' in tag or metrics.acc > params.model.depth) and id == null"
    )
    assert fields(tree) == {"params.lr", "tags", "metrics.acc", "params.model.depth", "id"}


# ---------------------------------------------------------------------------- properties


@settings(deadline=None, max_examples=examples(300))
@given(st.text(max_size=80))
def test_arbitrary_text_only_ever_raises_where_error(text: str) -> None:
    try:
        tree = parse(text)
    except WhereError:
        return
    evaluate(tree, ROW)


_ALPHABET = list("()[],.'\"=!<>-+0123456789 \\") + [
    " and ",
    " or ",
    " not ",
    " in ",
    " matches ",
    "params",
    "metrics",
    "tags",
    "true",
    "null",
]


@settings(deadline=None, max_examples=examples(300))
@given(st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join))
def test_grammar_soup_only_ever_raises_where_error(text: str) -> None:
    try:
        tree = parse(text)
    except WhereError:
        return
    evaluate(tree, ROW)


_FIELDS = st.sampled_from(
    [
        "params.lr",
        "params.batch-size",
        "params.model.depth",
        "metrics.acc",
        "status",
        "tags",
        "name",
        "exit_code",
        "duration_s",
        "params.opt",
        "metrics.missing",
        "metrics.train/loss",
        "metrics.recall@10",
        'metrics["f1 score"]',
        "metrics.`ms/batch`",
    ]
)
_LITERALS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(["true", "false", "null"]),
)


def _condition() -> st.SearchStrategy[str]:
    compare = st.builds(
        lambda f, op, v: f"{f} {op} {v}",
        _FIELDS,
        st.sampled_from(["==", "!=", "<", ">=", "="]),
        _LITERALS,
    )
    membership = st.builds(
        lambda f, neg, vs: f"{f} {'not in' if neg else 'in'} ({', '.join(vs)},)",
        _FIELDS,
        st.booleans(),
        st.lists(_LITERALS, min_size=1, max_size=3),
    )
    glob = st.builds(lambda f: f'{f} glob "*a?[bc]*"', _FIELDS)
    regex = st.builds(lambda f: f'{f} matches "^.*a.[bc]"', _FIELDS)
    return st.one_of(compare, membership, glob, regex, _FIELDS)


_EXPRESSIONS = st.recursive(
    _condition(),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"{a} or {b}", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=8,
)

_ROWS = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["ok", "failed", "interrupted"]),
        "name": st.one_of(st.none(), st.text(max_size=8)),
        "exit_code": st.one_of(st.none(), st.integers(-5, 300)),
        "duration_s": st.floats(allow_nan=True),
        "tags": st.lists(st.text(max_size=5), max_size=3),
        "params": st.dictionaries(
            st.sampled_from(["lr", "batch_size", "opt", "model"]),
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(),
                st.floats(),
                st.text(max_size=5),
                st.dictionaries(st.just("depth"), st.integers()),
            ),
        ),
        "metrics": st.dictionaries(
            st.sampled_from(["acc", "loss", "train/loss", "recall@10", "f1 score", "ms/batch"]),
            st.floats(),
        ),
    }
)


@settings(deadline=None, max_examples=examples(300))
@given(_EXPRESSIONS, _ROWS)
def test_generated_valid_expressions_parse_and_evaluate(expr: str, row: dict[str, Any]) -> None:
    tree = parse(expr)
    result = evaluate(tree, row)
    assert isinstance(result, bool)
    assert evaluate(parse(f"not ({expr})"), row) is (not result)


def test_matches_is_a_regular_expression_and_a_bad_one_is_one_line() -> None:
    from runledger.query.where import WhereError, compile_where

    with pytest.raises(WhereError, match="not a valid regular expression after 'matches'"):
        compile_where('name matches "*resnet"')
