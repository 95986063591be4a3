"""ls --where and --sort (runledger.query.select), through the real CLI."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.query.select import order
from tests.conftest import Repo
from tests.fuzzing import examples
from tests.synthetic import make_run

A, B, C, D = "6g00000000aaaaaa", "6g00000001bbbbbb", "6g00000002cccccc", "6g00000003dddddd"


@pytest.fixture
def four(repo: Repo) -> Repo:
    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        name="resnet-a",
        params={"lr": 0.1, "batch_size": 32, "opt": "sgd"},
        metrics={"acc": 0.80, "loss": 0.5},
        tags=("baseline",),
    )
    make_run(
        repo,
        B,
        "2026-02-01T10:00:00.000Z",
        status="failed",
        params={"lr": 0.01, "batch_size": 64, "opt": "adam"},
        metrics={"loss": 0.9},
    )
    make_run(
        repo,
        C,
        "2026-03-01T10:00:00.000Z",
        name="resnet-c",
        params={"lr": 0.001, "batch_size": 64, "opt": "adam", "model": {"depth": 50}},
        metrics={"acc": 0.93, "loss": 0.2},
        branch="exp",
    )
    make_run(repo, D, "2026-04-01T10:00:00.000Z", params={"lr": "0.05"})
    return repo


def ids(repo: Repo, *args: str) -> list[str]:
    result = repo.cli("ls", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [run["id"] for run in result.json()]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("params.lr < 0.05", [C, B]),
        ("params.lr >= 0.05", [D, A]),  # "0.05" recorded as text compares as a number
        ("metrics.acc > 0.9", [C]),
        ("not metrics.acc > 0.9", [D, B, A]),
        ("status == 'failed'", [B]),
        ("status != 'ok'", [B]),
        ('params.opt in ("adam", "rmsprop") and params.batch-size == 64', [C, B]),
        ("tag == 'baseline'", [A]),
        ("branch == 'exp'", [C]),
        ('started_at >= "2026-02-15" and started_at < "2026-04-01"', [C]),
        ("params.model.depth == 50", [C]),
        ('name matches "resnet*"', [C, A]),
        ("(metrics.loss < 0.3 or metrics.loss > 0.8) and status == 'ok'", [C]),
        (f"id == '{A[:11]}'", [A]),
    ],
)
def test_ls_where(four: Repo, expr: str, expected: list[str]) -> None:
    assert ids(four, "--where", expr) == expected


def test_ls_where_commit_prefix(four: Repo) -> None:
    head = four.git("rev-parse", "HEAD").strip()
    assert ids(four, "--where", f"commit == '{head[:7]}'") == [D, C, B, A]
    assert ids(four, "--where", "commit == 'ffffffff'") == []


def test_ls_where_combines_with_status_and_limit(four: Repo) -> None:
    assert ids(four, "--where", "params.batch_size == 64", "--status", "ok") == [C]
    assert ids(four, "-w", "metrics.loss", "--limit", "2") == [C, B]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("metrics.acc", [A, C, D, B]),  # runs without the metric come last
        ("-metrics.acc", [C, A, D, B]),
        ("metrics.loss", [C, A, B, D]),
        ("params.lr", [C, B, D, A]),  # "0.05" (text) sorts as the number it spells
        ("-params.batch_size", [C, B, A, D]),  # ties keep newest-first order
        ("started_at", [A, B, C, D]),
        ("-started_at", [D, C, B, A]),
        ("name", [A, C, D, B]),
        ("status", [B, D, C, A]),
    ],
)
def test_ls_sort(four: Repo, key: str, expected: list[str]) -> None:
    assert ids(four, "--sort", key) == expected


def test_ls_sort_then_limit_and_table(four: Repo) -> None:
    assert ids(four, "--sort", "-metrics.acc", "--limit", "1") == [C]
    out = four.cli("ls", "--sort", "-metrics.acc", "--where", "metrics.acc").stdout
    rows = [line for line in out.splitlines() if line.strip().startswith("6g")]
    assert [row.split()[0] for row in rows] == [C[:10], A[:10]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--sort", "metrics.f1"),
            "unknown --sort key 'metrics.f1': no run has it (known: acc, loss)",
        ),
        (
            ("--sort", "params.nope"),
            "unknown --sort key 'params.nope': no run has it (known: batch_size, lr, "
            "model.depth, opt)",
        ),
        (("--sort", "tags"), "unknown --sort key 'tags': use params.NAME, metrics.NAME"),
        (("--sort", "metrics"), "unknown --sort key 'metrics': use params.NAME, metrics.NAME"),
        (("--where", "params.lr <"), "bad --where at column "),
        (("--where", "metrics.acc > > 1"), "bad --where at column "),
    ],
)
def test_ls_bad_where_or_sort_is_one_line(four: Repo, args: tuple[str, ...], message: str) -> None:
    result = four.cli("ls", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"runledger: error: {message}")
    assert result.stderr.count("\n") == 1


def test_ls_where_through_a_real_subprocess(four: Repo) -> None:
    proc = four.run("ls", "--json", "--where", "metrics.acc > 0.9")
    assert proc.returncode == 0, proc.stderr
    assert b'"id": "' + C.encode() in proc.stdout and A.encode() not in proc.stdout
    bad = four.run("ls", "--where", "__import__('os')")
    assert bad.returncode == 1
    assert bad.stderr.decode().startswith("runledger: error: bad --where at column")
    assert b"Traceback" not in bad.stderr


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(-5, 5),
            st.floats(allow_nan=True, allow_infinity=False),
            st.text(max_size=3),
            st.booleans(),
        ),
        max_size=12,
    ),
    st.booleans(),
)
def test_order_is_a_permutation_with_missing_last(values: list[object], descending: bool) -> None:
    positions = order(values, descending)
    assert sorted(positions) == list(range(len(values)))
    missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and v != v)]
    assert positions[len(positions) - len(missing) :] == missing


def test_the_where_view_is_the_json_view_field_by_field() -> None:
    from runledger.model.record import GitInfo, MetricSummary, Run
    from runledger.query.select import RunView

    run = Run(
        id=A,
        status="failed",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:01:00.000Z",
        duration_s=60.0,
        command=("python", "train.py", "--lr", "0.1"),
        git=GitInfo(commit="a" * 40, branch=None),
        exit_code=2,
        name="n",
        user="u",
        host="h",
        params={"lr": 0.1, "model": {"depth": 3}, "bad": float("nan"), "xs": [1, 2]},
        metrics={
            "acc": MetricSummary(last=0.5, min=0.1, max=0.5),
            "nan": MetricSummary(last=float("nan"), min=0.0, max=1.0),
        },
        tags=("t1",),
        team_tags=("production",),
        note="note",
        reproduces=B,
    )
    summary = run.summary_json()
    view = RunView(run)
    assert {key: view[key] for key in summary} == summary
    assert dict(view) == summary
    assert view.get("nothing") is None


def test_ls_table_says_when_nothing_matches(four: Repo) -> None:
    result = four.cli("ls", "--where", "metrics.acc > 2")
    assert result.exit_code == 0
    assert result.stdout == "No runs match.\n"
