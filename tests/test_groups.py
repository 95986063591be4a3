"""compare --group-by: one row per group, mean ± std checked against pandas, in every format."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from runledger.views.runs import format_number
from tests.conftest import Repo
from tests.synthetic import make_run

AUC = {
    ("resnet", 0): 0.901,
    ("resnet", 1): 0.912,
    ("resnet", 2): 0.905,
    ("vit", 0): 0.915,
    ("vit", 1): 0.897,
    ("vit", 2): 0.921,
    ("mlp", 0): 0.850,
}


@pytest.fixture
def seeds(repo: Repo) -> Repo:
    for index, ((model, seed), auc) in enumerate(AUC.items()):
        make_run(
            repo,
            f"6g{index:08d}aaaaaa",
            f"2026-01-01T10:{index:02d}:00.000Z",
            params={"model": model, "seed": seed, "opt": "adam" if index % 2 else "sgd"},
            metrics={"val_auc": auc, "val_loss": 1 - auc + index / 1000, "best_epoch": seed + 3},
        )
    return repo


def expected() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {"model": m, "seed": s, "val_auc": auc, "val_loss": 1 - auc + i / 1000}
            for i, ((m, s), auc) in enumerate(AUC.items())
        ]
    )
    return frame.groupby("model").agg(["mean", "std", "min", "max", "count"])


def test_csv_has_mean_std_min_max_as_pandas_computes_them(seeds: Repo) -> None:
    result = seeds.cli("compare", "--group-by", "params.model", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {row["params.model"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    want = expected()
    assert set(rows) == {"resnet", "vit", "mlp"}
    for model, row in rows.items():
        assert int(row["count"]) == int(want.loc[model, ("val_auc", "count")])
        for metric in ("val_auc", "val_loss"):
            for stat in ("mean", "std", "min", "max"):
                theirs = want.loc[model, (metric, stat)]
                ours = row[f"metrics.{metric}.{stat}"]
                if math.isnan(theirs):
                    assert ours == ""  # pandas: NaN for the std of one value
                else:
                    assert float(ours) == pytest.approx(theirs, rel=1e-12)


def test_json_carries_the_same_numbers(seeds: Repo) -> None:
    data = seeds.cli("compare", "-g", "model", "--metric", "val_auc", "-f", "json").json()
    want = expected()
    assert data["group_by"] == ["params.model"]
    assert [group["key"]["params.model"] for group in data["groups"]] == ["vit", "resnet", "mlp"]
    vit = data["groups"][0]
    assert vit["count"] == 3 and len(vit["runs"]) == 3
    assert vit["metrics"]["val_auc"]["std"] == pytest.approx(want.loc["vit", ("val_auc", "std")])
    assert data["groups"][2]["metrics"]["val_auc"]["std"] is None


def test_the_terminal_shows_n_and_mean_plus_minus_std(seeds: Repo) -> None:
    out = seeds.cli("compare", "-g", "params.model", "--metric", "val_auc").stdout
    lines = out.splitlines()
    assert lines[0].startswith("groups by params.model, ordered by mean val_auc (higher is better)")
    header = lines[1].split()
    assert header[:3] == ["model", "n", "val_auc↑"]
    vit = next(line for line in lines if " vit " in line)
    assert vit.lstrip().startswith("★")
    want = expected()
    mean, std = want.loc["vit", ("val_auc", "mean")], want.loc["vit", ("val_auc", "std")]
    assert f"{format_number(float(mean))} ± {format_number(float(std))}" in vit
    assert "0.911 ± 0.0125" in vit
    assert " 3 " in vit


def test_several_keys_make_one_group_per_combination(seeds: Repo) -> None:
    data = seeds.cli("compare", "-g", "model", "-g", "opt", "-f", "json").json()
    keys = {(g["key"]["params.model"], g["key"]["params.opt"]) for g in data["groups"]}
    frame = pd.DataFrame(
        [{"model": m, "opt": "adam" if i % 2 else "sgd"} for i, (m, _) in enumerate(AUC)]
    )
    assert keys == set(frame.groupby(["model", "opt"]).groups)


def test_markdown_groups(seeds: Repo) -> None:
    out = seeds.cli("compare", "-g", "model", "-f", "markdown").stdout
    assert "| params.model | n | " in out and " ± " in out


def test_group_by_an_unknown_key_is_one_line(seeds: Repo) -> None:
    result = seeds.cli("compare", "-g", "params.nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == "runledger: error: no run has params.nope to group by"


def test_plot_group_by_draws_each_groups_mean_with_a_band(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runledger.analysis.curves import group_chart
    from runledger.store import git as rgit
    from runledger.store.ledger import Ledger
    from tests.chart_runs import series_run, write

    monkeypatch.setenv("COLUMNS", "100")
    steps = [0.0, 1.0, 2.0, 3.0]
    runs = []
    for index, (model, offset) in enumerate([("a", 0.0), ("a", 0.2), ("a", 0.4), ("b", 1.0)]):
        values = [10.0 - step + offset for step in steps]
        runs.append(
            series_run(
                repo,
                index,
                params={"model": model, "seed": index},
                series={"loss": (steps, values)},
            )
        )
    write(repo, runs)
    result = repo.run("plot", "loss", "--group-by", "params.model", env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "model=a  n=3, mean ± std" in out and "model=b  n=1, mean ± std" in out
    assert "·" in out  # the band's edges
    ledger = Ledger(rgit.discover(repo.path))
    chart = group_chart(ledger, ledger.runs(), "loss", ["model"])
    group_a = next(curve for curve in chart.curves if curve.label.startswith("model=a"))
    frame = pd.DataFrame([[10.0 - s + o for s in steps] for o in (0.0, 0.2, 0.4)])
    assert list(group_a.ys) == pytest.approx(list(frame.mean()))
    spread = [h - m for h, m in zip(group_a.high, group_a.ys, strict=True)]
    assert spread == pytest.approx(list(frame.std()))
