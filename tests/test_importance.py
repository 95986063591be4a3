"""``runledger importance``: which params matter for a metric, through the CLI and by hand."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.analysis.importance import chi2_95, eta_squared, ranks, spearman
from tests.chart_runs import series_run, write
from tests.conftest import Repo
from tests.fuzzing import examples


@pytest.fixture(autouse=True)
def terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "40")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def sweep(repo: Repo, count: int = 30) -> None:
    """loss falls with lr (most), is lower with adam, ignores seed; depth is the same everywhere."""
    rng = random.Random(7)
    runs = []
    for i in range(count):
        lr = [0.001, 0.003, 0.01, 0.03, 0.1][i % 5]
        optimizer = "adam" if i % 3 else "sgd"
        loss = 1.0 - 3 * lr + (0.0 if optimizer == "adam" else 0.2) + rng.random() * 0.05
        runs.append(
            series_run(
                repo,
                i,
                params={
                    "lr": lr,
                    "optimizer": optimizer,
                    "seed": rng.randrange(10_000),
                    "model": {"depth": 4},
                },
                series={"loss": ([0, 1], [2.0, loss])},
            )
        )
    write(repo, runs)


def test_json_ranks_the_params_that_matter(repo: Repo) -> None:
    sweep(repo)
    result = repo.cli("importance", "loss", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["metric"] == "loss" and data["direction"] == "min" and data["runs"] == 30
    scores = {score["param"]: score for score in data["scores"]}
    assert [score["param"] for score in data["scores"]][:2] == ["lr", "optimizer"]
    assert scores["lr"]["kind"] == "numeric" and scores["lr"]["method"] == "spearman"
    assert scores["lr"]["statistic"] < -0.3  # higher lr, lower loss
    assert scores["lr"]["reading"] == "higher lr, lower loss (better)"
    assert scores["optimizer"]["method"] == "correlation_ratio"
    assert scores["optimizer"]["best_value"] == "adam"
    assert scores["optimizer"]["reading"] == "best with optimizer=adam"
    assert scores["seed"]["weak"] is True
    assert scores["seed"]["reading"] == "could be chance"
    assert data["unscored"] == [
        {"param": "model.depth", "reason": "the same value in every run (4)"}
    ]
    assert data["problem"] is None


def test_terminal_chart_names_the_method(repo: Repo) -> None:
    sweep(repo)
    result = repo.cli("importance", "loss")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "what matters for loss across 30 runs" in out
    assert "Spearman" in out and "correlation ratio" in out
    assert out.index("lr┤") < out.index("optimizer┤") < out.index("seed┤")  # ranked bars
    assert "lr┤###" in out  # a strong score: a solid bar; a weak one is dotted
    assert "Weak bars are dotted." in " ".join(out.split())
    assert "note: model.depth: not scored, the same value in every run (4)" in result.stderr


def test_too_few_runs_says_so_plainly(repo: Repo) -> None:
    sweep(repo, count=4)
    result = repo.cli("importance", "loss")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "runledger: too few runs to tell: 4 runs have a value of loss; importance needs at "
        "least 5 (and 20 or more to be trusted)\n"
    )
    as_json = repo.cli("importance", "loss", "--json")
    assert as_json.exit_code == 1
    assert as_json.json()["scores"] == [] and "too few runs" in as_json.json()["problem"]


def test_a_metric_that_never_changes_cannot_be_explained(repo: Repo) -> None:
    write(
        repo,
        [series_run(repo, i, params={"lr": i}, series={"loss": ([0], [0.5])}) for i in range(6)],
    )
    result = repo.cli("importance", "loss")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: every run has the same loss: no param can explain a difference\n"
    )


def test_unknown_metric_and_where(repo: Repo) -> None:
    sweep(repo)
    result = repo.cli("importance", "acc")
    assert result.exit_code == 1
    assert result.stderr == "runledger: error: no run has a metric named 'acc'; metrics: loss\n"
    narrowed = repo.cli("importance", "loss", "--where", "params.optimizer == 'adam'", "--json")
    assert narrowed.exit_code == 0, narrowed.stderr
    data = narrowed.json()
    assert data["runs"] == 20
    assert {"param": "optimizer", "reason": "the same value in every run (adam)"} in data[
        "unscored"
    ]


def test_params_that_moved_together_are_flagged(repo: Repo) -> None:
    runs = [
        series_run(
            repo,
            i,
            params={"lr": 0.01 * (i + 1), "warmup": 100 * (i + 1)},
            series={"loss": ([0], [1.0 / (i + 1)])},
        )
        for i in range(8)
    ]
    write(repo, runs)
    result = repo.cli("importance", "loss")
    assert result.exit_code == 0
    assert "lr and warmup changed together in these runs (ρ=+1.00)" in result.stderr


# --- the statistics, against pandas ------------------------------------------------------------


def test_ranks_share_ties() -> None:
    assert ranks([10.0, 30.0, 20.0, 30.0]) == [1.0, 3.5, 2.0, 3.5]


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6, allow_nan=False)),
        min_size=3,
        max_size=40,
    )
)
def test_spearman_matches_pandas(pairs: list[tuple[int, float]]) -> None:
    xs = [float(x) for x, _ in pairs]
    ys = [y for _, y in pairs]
    frame = pd.DataFrame({"x": xs, "y": ys})
    expected = frame.corr(method="spearman").loc["x", "y"]
    got = spearman(xs, ys)
    if math.isnan(expected):  # one side constant
        assert got == 0.0
    else:
        assert got == pytest.approx(expected, abs=1e-9)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.floats(-1e3, 1e3, allow_nan=False)),
        min_size=2,
        max_size=40,
    )
)
def test_eta_squared_matches_a_groupby(pairs: list[tuple[str, float]]) -> None:
    frame = pd.DataFrame(pairs, columns=["group", "y"])
    total = ((frame.y - frame.y.mean()) ** 2).sum()
    means = frame.groupby("group").y.transform("mean")
    between = ((means - frame.y.mean()) ** 2).sum()
    got = eta_squared(list(frame.group), list(frame.y))
    if total <= 1e-9:
        return
    assert got == pytest.approx(between / total, abs=1e-9)
    assert 0.0 <= got <= 1.0


def test_chi_squared_quantiles() -> None:
    assert chi2_95(1) == 3.841
    assert chi2_95(10) == pytest.approx(18.307, rel=0.01)  # Wilson-Hilferty beyond the table
    assert chi2_95(30) == pytest.approx(43.773, rel=0.01)
