"""Terminal tables never split a token: every row one line, every cell whole or elided.

A property test over random param and metric names and values, at widths 60, 80, 120 and
250, and piped; then the real CLI at the same widths.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runledger.analysis.compare import build
from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.model.row import RunRow
from runledger.views import layout
from runledger.views.compare import PARAM_WIDTH, comparison_lines
from tests.conftest import Repo
from tests.synthetic import make_run

WIDTHS = (60, 80, 120, 250)
NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_./-0123456789", min_size=1, max_size=40).filter(
    lambda name: name[0].isalpha()
)
TEXT_VALUE = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x4E2F, exclude_categories=["Cs"]),
    min_size=1,
    max_size=70,
).filter(
    lambda text: not text.strip() == "" and "…" not in text and "*" not in text and "★" not in text
)  # the markers the checks below strip from each line
VALUE = st.one_of(
    TEXT_VALUE,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def _run(index: int, params: dict[str, Any], metrics: dict[str, float]) -> Run:
    return Run(
        id=f"6g{index:08d}abcdef",
        status="ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:00:01.000Z",
        duration_s=1.0,
        command=("python", "train.py"),
        git=GitInfo(commit="a" * 40, branch="main"),
        exit_code=0,
        params=params,
        metrics={name: MetricSummary(last=v, min=v, max=v) for name, v in metrics.items()},
    )


def is_piece_of(word: str, token: str) -> bool:
    """``word`` shows ``token`` whole, or elided in the middle (its head … its tail)."""
    if word == token:
        return True
    if "…" not in word:
        return False
    head, _, tail = word.partition("…")
    return token.startswith(head) and token.endswith(tail) and len(head) + len(tail) < len(token)


def assert_no_token_split(lines: list[str], width: int, tokens: set[str]) -> None:
    """Every line fits; every word of the table that belongs to a cell is whole or elided."""
    for line in lines:
        assert layout.width_of(line) <= width, (width, line)
    header_at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("id "))
    table = lines[header_at:]
    for line in table:
        if line.startswith(("─", "+", "…", "↑", "↓", "no arrow")) or " left out" in line:
            continue
        for word in line.replace(" *", "").replace("★", "").split():
            if word in ("↑", "↓"):
                continue
            word = word.rstrip("↑↓")
            assert any(is_piece_of(word, token) for token in tokens), (word, line)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    params=st.lists(st.tuples(NAME, st.lists(VALUE, min_size=3, max_size=3)), max_size=25),
    metrics=st.lists(NAME, min_size=1, max_size=6, unique=True),
    width=st.sampled_from(WIDTHS),
    transpose=st.booleans(),
)
def test_no_token_is_ever_split(
    params: list[tuple[str, list[Any]]], metrics: list[str], width: int, transpose: bool
) -> None:
    runs = []
    for index in range(3):
        run_params = {f"p{n}_{name}": values[index] for n, (name, values) in enumerate(params)}
        runs.append(_run(index, run_params, {m: 0.5 + index / 7 for m in metrics}))
    comparison = build([RunRow.of(run) for run in runs], metric=metrics[0])
    lines = [
        line.plain.rstrip() for line in comparison_lines(comparison, width, transpose=transpose)
    ]
    from runledger.analysis.compare import cell_text
    from runledger.views.runs import format_number
    from runledger.views.text import safe

    tokens = {"id", "status", "when", "ok", "2026-01-01", "10:00", "6g00000000"}
    tokens |= {f"6g{i:08d}" for i in range(3)}
    for _, values in params:
        for value in values:
            # as the output boundary shows it: a control character escaped (\x7f)
            tokens |= set(safe(cell_text(value)).split())
            # a value with a Unicode space inside (U+2000) is one cell: elided across it
            tokens.add(safe(cell_text(value)))
            tokens |= set(format_number(value).split())
    for n, (name, _) in enumerate(params):
        tokens |= {f"p{n}_{name}", f"params.p{n}_{name}"}
    for name in metrics:
        tokens |= {name, f"metrics.{name}"}
        tokens |= {format_number(0.5 + i / 7) for i in range(3)}
    if transpose:
        for line in lines:
            assert layout.width_of(line) <= width
        return
    assert_no_token_split(lines, width, tokens)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_start_time_is_shown_whole_or_left_out(width: int) -> None:
    for length in range(1, 2 * PARAM_WIDTH):
        params = [{"a": "x" * length + str(n), "b": "y" * (length // 3) + str(n)} for n in range(3)]
        runs = [_run(index, params[index], {"acc": 0.5 + index / 7}) for index in range(3)]
        rows = [RunRow.of(run) for run in runs]
        lines = [line.plain for line in comparison_lines(build(rows, metric="acc"), width)]
        for line in lines[2:]:
            assert "2026-0" not in line or line.endswith("2026-01-01 10:00"), (length, line)


@pytest.fixture
def wide(repo: Repo) -> Repo:
    """Runs like a LightningCLI project's: many differing keys, long names and values."""
    for index in range(4):
        params = {
            "config": ["configs/base.yaml", "configs/experiments/very_long_name.yaml"][index % 2],
            "lr_scheduler": ["cosine", "step", "plateau", "linear"][index],
            "model": {"net": {f"lin{k}_size": 64 * (1 + (index + k) % 3) for k in range(30)}},
            "seed": index,
        }
        make_run(
            repo,
            f"6g0000000{index}aaaaaa",
            f"2026-01-0{index + 1}T10:00:00.000Z",
            params=params,
            metrics={"val_auc": 0.9 + index / 100, "best_epoch": index, "val_loss": 0.1 * index},
        )
    return repo


@pytest.mark.parametrize("width", [*WIDTHS, None])
@pytest.mark.parametrize("transpose", [False, True])
def test_compare_fits_every_width_through_the_cli(
    wide: Repo, width: int | None, transpose: bool
) -> None:
    env = {"COLUMNS": str(width)} if width else {"COLUMNS": ""}
    args = ["compare", "--metric", "val_auc", *(["--transpose"] if transpose else [])]
    result = wide.run(*args, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    limit = width or 120  # piped, without COLUMNS: 120 columns
    assert all(layout.width_of(line) <= limit for line in lines), lines
    text = result.stdout.decode()
    assert "configs/base.yaml" in text or "configs/base.yaml" not in text.replace("…", "")
    for piece in ("lr_sc", "hedul"):
        assert not any(line.strip() == piece for line in lines)
    if not transpose:
        header = next(line for line in lines if line.lstrip().startswith("id"))
        assert "val_auc↑" in header and "val_loss↓" in header
        assert re.search(r"\bbest_epoch\b", header)  # no arrow: a counter
        assert any("columns left out" in line for line in lines) or limit >= 250


def test_compare_says_what_it_left_out_and_how_to_see_it(wide: Repo) -> None:
    out = wide.run("compare", env={"COLUMNS": "120"}).stdout.decode().splitlines()
    note = next(line for line in out if "left out to fit 120" in line)
    assert "--columns" in note and "--transpose" in note and "-f csv" in note
    assert re.match(r"\d+ columns left out to fit 120: ", note)


def test_same_in_all_runs_is_one_line_with_a_count(repo: Repo) -> None:
    for index in range(2):
        make_run(
            repo,
            f"6g0000000{index}aaaaaa",
            "2026-01-01T10:00:00.000Z",
            params={**{f"key_{k}": f"value_{k}" for k in range(60)}, "lr": index},
            metrics={"acc": 0.5},
        )
    lines = repo.run("compare", env={"COLUMNS": "100"}).stdout.decode().splitlines()
    assert lines[0].startswith("same in all 2 runs: commit=")
    assert re.search(r"\+\d+ more \(--all-columns\)$", lines[0])
    assert len(lines[0]) <= 100 and lines[1].lstrip().startswith("id")


def test_columns_chooses_columns_by_glob(wide: Repo) -> None:
    result = wide.cli("compare", "--columns", "params.seed,metrics.val_*", "-f", "csv")
    assert result.stdout.splitlines()[0] == "id,params.seed,metrics.val_auc,metrics.val_loss"
    bad = wide.cli("compare", "--columns", "params.nope*")
    assert bad.exit_code != 0 and "--columns 'params.nope*' matches no column" in bad.stderr


def test_transpose_shows_runs_as_columns(wide: Repo) -> None:
    lines = wide.run("compare", "--transpose", env={"COLUMNS": "250"}).stdout.decode().splitlines()
    header = next(line for line in lines if "6g00000000" in line)
    assert header.split() == ["6g00000003", "6g00000002", "6g00000001", "6g00000000"]
    assert any(line.split()[:1] == ["seed"] for line in lines)


def test_the_table_shows_the_best_50_and_says_how_many_more(repo: Repo) -> None:
    for index in range(55):
        make_run(
            repo,
            f"6g{index:08d}aaaaaa",
            "2026-01-01T10:00:00.000Z",
            params={"seed": index},
            metrics={"acc": index / 100},
        )
    out = repo.run("compare", "--metric", "acc").stdout.decode().splitlines()
    rows = [line for line in out if line.lstrip("★ ").startswith("6g")]
    assert len(rows) == 50 and "0.54" in rows[0]
    assert any(line.startswith("… 5 more runs (the best 50 shown): --limit N") for line in out)
    every = repo.run("compare", "--metric", "acc", "--all").stdout.decode().splitlines()
    assert len([line for line in every if line.lstrip("★ ").startswith("6g")]) == 55


def test_ls_fits_the_width_and_names_what_it_left_out(wide: Repo) -> None:
    for width in WIDTHS:
        lines = wide.run("ls", env={"COLUMNS": str(width)}).stdout.decode().splitlines()
        assert all(len(line) <= width for line in lines)
        if width == 60:
            assert "left out to fit 60" in lines[-1]
