"""runledger compare: runs side by side, in every output format, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import sys

import pytest

from runledger.analysis.direction import metric_direction
from tests.conftest import Repo
from tests.synthetic import make_run

A, B, C = "6g00000000aaaaaa", "6g00000001bbbbbb", "6g00000002cccccc"


@pytest.fixture
def three(repo: Repo) -> Repo:
    """Three runs, newest last: partly different params, one metric missing in one run."""
    make_run(
        repo,
        A,
        "2026-01-01T10:00:00.000Z",
        name="base",
        params={"lr": 0.1, "epochs": 10, "model": {"depth": 3}, "opt": "adam"},
        metrics={"val_loss": 0.30, "acc": 0.88},
    )
    make_run(
        repo,
        B,
        "2026-01-02T10:00:00.000Z",
        params={"lr": 0.01, "epochs": 10, "model": {"depth": 5}, "opt": "adam", "dropout": 0.5},
        metrics={"val_loss": 0.20, "acc": 0.91},
    )
    make_run(
        repo,
        C,
        "2026-01-03T10:00:00.000Z",
        name="deep",
        params={"lr": 0.001, "epochs": 10, "model": {"depth": 8}, "opt": "adam"},
        metrics={"val_loss": 0.25},
    )
    return repo


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def parse_markdown(text: str) -> tuple[list[str], list[list[str]]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]
    return cells[0], cells[2:]


def test_csv_has_differing_params_and_metrics_with_blanks_for_missing(three: Repo) -> None:
    result = three.cli("compare", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "id,name,status,started_at,params.lr,params.model.depth,params.dropout,"
        "metrics.val_loss,metrics.acc",
        f"{C},deep,ok,2026-01-03T10:00:00.000Z,0.001,8,,0.25,",
        f"{B},,ok,2026-01-02T10:00:00.000Z,0.01,5,0.5,0.2,0.91",
        f"{A},base,ok,2026-01-01T10:00:00.000Z,0.1,3,,0.3,0.88",
    ]


def test_constant_params_are_summarised_once_not_repeated(three: Repo) -> None:
    out = three.cli("compare").stdout
    head = three.git("rev-parse", "HEAD").strip()
    first = out.splitlines()[0]
    assert first == f"same in all 3 runs: commit={head[:8]} · branch=main · epochs=10 · opt=adam"
    table = out.split("\n", 1)[1]
    assert "epochs" not in table and "adam" not in table
    assert "depth" in table and "dropout" in table and "val_loss" in table
    data = three.cli("compare", "--format", "json").json()
    assert data["constant"] == {
        "commit": head,
        "branch": "main",
        "params.epochs": 10,
        "params.opt": "adam",
    }


def test_all_columns_shows_the_constant_params_too(three: Repo) -> None:
    data = three.cli("compare", "--format", "json", "--all-columns").json()
    assert data["constant"] == {}
    assert {"commit", "branch", "params.epochs", "params.opt"} <= set(data["columns"])
    assert [row["params.epochs"] for row in data["rows"]] == [10, 10, 10]


def test_csv_json_and_markdown_agree(three: Repo) -> None:
    args = ("compare", "--metric", "acc")
    rows_csv = parse_csv(three.cli(*args, "--format", "csv").stdout)
    data = three.cli(*args, "--format", "json").json()
    header, rows_md = parse_markdown(three.cli(*args, "--format", "markdown").stdout)

    assert header == data["columns"] == list(rows_csv[0])
    assert len(rows_csv) == len(data["rows"]) == len(rows_md) == 3
    for row_csv, row_json, row_md in zip(rows_csv, data["rows"], rows_md, strict=True):
        for column, cell_md in zip(header, row_md, strict=True):
            value = row_json[column]
            cell_md = cell_md.strip("*")
            if column == "best":
                assert row_csv[column] == ("true" if value else "false")
                assert cell_md == ("★" if value else "")
            elif value is None:
                assert row_csv[column] == "" == cell_md
            elif isinstance(value, float):
                assert float(row_csv[column]) == value == float(cell_md)
            else:
                assert row_csv[column] == str(value) == cell_md


def test_metric_marks_the_best_run_and_sorts_by_it(three: Repo) -> None:
    data = three.cli("compare", "--metric", "val_loss", "--format", "json").json()
    assert [row["id"] for row in data["rows"]] == [B, C, A]  # lower loss is better
    assert data["columns"][:2] == ["best", "id"]
    assert [row["best"] for row in data["rows"]] == [True, False, False]
    assert data["best"] == {
        "metric": "metrics.val_loss",
        "direction": "min",
        "run": B,
        "value": 0.2,
    }
    # every metric column marks its own best value
    assert data["best_values"]["metrics.acc"] == {"direction": "max", "value": 0.91, "runs": [B]}

    acc = three.cli("compare", "--metric", "acc", "--format", "json").json()
    assert [row["id"] for row in acc["rows"]] == [B, A, C]  # higher is better; missing last
    assert acc["best"]["direction"] == "max"


def test_maximize_and_minimize_override_the_direction(three: Repo) -> None:
    flipped = three.cli("compare", "-m", "val_loss", "--maximize", "--format", "json").json()
    assert [row["id"] for row in flipped["rows"]] == [A, C, B]
    assert flipped["best"]["run"] == A
    assert flipped["best_values"]["metrics.val_loss"]["direction"] == "max"
    low = three.cli("compare", "-m", "acc", "--minimize", "--format", "json").json()
    assert low["best"]["run"] == A


def test_table_marks_the_winner_and_best_values(three: Repo) -> None:
    out = three.cli("compare", "--metric", "val_loss").stdout
    assert f"best by val_loss (lower is better): ★ {B[:10]}  val_loss=0.2" in out
    winner = next(line for line in out.splitlines()[2:] if B[:10] in line)
    assert winner.lstrip().startswith("★")
    assert "0.2 *" in winner and "0.91 *" in winner  # best values, marked without colour


def test_markdown_is_a_table_for_pull_requests(three: Repo) -> None:
    out = three.cli("compare", "--metric", "acc", "--format", "markdown").stdout
    head = three.git("rev-parse", "HEAD").strip()
    lines = out.splitlines()
    assert lines[0] == (
        f"Same in all 3 runs: `commit={head}`, `branch=main`, `params.epochs=10`, `params.opt=adam`"
    )
    assert lines[2] == f"Best by `metrics.acc` (higher is better): `{B}`"
    assert lines[5].startswith("| --- | --- |") and lines[5].endswith("---: | ---: |")
    assert f"| ★ | {B} |" in out and "**0.91**" in out and "**0.2**" in out


def test_runs_named_on_the_command_line_in_the_order_given(three: Repo) -> None:
    data = three.cli("compare", A[:10], C, A, "--format", "json").json()
    assert [row["id"] for row in data["rows"]] == [A, C]
    # with two runs, the dropout param (in neither) is gone, depth differs
    assert "params.dropout" not in data["columns"]
    assert "params.model.depth" in data["columns"]


def test_compare_where_filters(three: Repo) -> None:
    rows = three.cli(
        "compare", "--where", "params.lr < 0.05 and metrics.val_loss <= 0.25", "-f", "json"
    ).json()["rows"]
    assert [row["id"] for row in rows] == [C, B]
    rows = three.cli("compare", "-w", 'name == "base" or params.dropout', "-f", "json").json()
    assert [row["id"] for row in rows["rows"]] == [B, A]
    none = three.cli("compare", "--where", "params.lr > 1")
    assert none.exit_code == 0 and "No runs match --where." in none.stdout


def test_sort_key_orders_compare(three: Repo) -> None:
    data = three.cli("compare", "--sort", "params.model.depth", "-f", "json").json()
    assert [row["id"] for row in data["rows"]] == [A, B, C]
    data = three.cli("compare", "--sort", "-metrics.acc", "-m", "val_loss", "-f", "json").json()
    assert [row["id"] for row in data["rows"]] == [B, A, C]
    assert data["best"]["run"] == B


def test_limit(three: Repo) -> None:
    data = three.cli("compare", "-m", "val_loss", "--limit", "2", "-f", "csv").stdout
    assert [row["id"] for row in parse_csv(data)] == [B, C]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--metric", "f1"),
            "no run has a metric named 'f1'; metrics: acc, val_loss",
        ),
        (("--maximize",), "--maximize/--minimize need --metric NAME: the metric to optimise"),
        (("--format", "xml"), "unknown --format 'xml': use one of table, csv, json, markdown"),
        (
            ("--sort", "metrics.f1"),
            "unknown --sort key 'metrics.f1': no run has it (known: acc, val_loss)",
        ),
        (
            ("--sort", "colour"),
            "unknown --sort key 'colour': use params.NAME, metrics.NAME or one of id, name, "
            "status, exit_code, commit, branch, started_at, ended_at, duration_s, user, host, "
            "parent, sweep, "
            "with a leading '-' for descending (e.g. -metrics.acc)",
        ),
        (("zzzz",), "no run matches 'zzzz': see 'runledger ls' for run ids"),
    ],
)
def test_bad_options_are_one_line(three: Repo, args: tuple[str, ...], message: str) -> None:
    result = three.cli("compare", *args)
    assert result.exit_code == 1
    assert result.stderr == f"runledger: error: {message}\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('touch pwned')",
        "exec('import os')",
        "lambda: 1",
        "[x for x in ()]",
        "params.lr; import os",
        "params.lr == 0.1 and",
    ],
)
def test_where_rejects_injection_and_bad_expressions(three: Repo, expr: str) -> None:
    for command in ("compare", "ls"):
        result = three.cli(command, "--where", expr)
        assert result.exit_code == 1, (command, expr)
        assert result.stderr.startswith("runledger: error: bad --where at column ")
        assert result.stderr.endswith(f"(in: {expr})\n")
        assert result.stderr.count("\n") == 1
    assert not (three.path / "pwned").exists()


def test_dunder_names_are_plain_keys_that_match_nothing(three: Repo) -> None:
    result = three.cli("ls", "--json", "--where", "params.lr.__class__ or params.__dict__")
    assert result.exit_code == 0 and result.json() == []


def test_bad_where_is_rejected_even_with_no_runs(repo: Repo) -> None:
    result = repo.cli("compare", "--where", "params.lr <")
    assert result.exit_code == 1
    assert result.stderr.startswith("runledger: error: bad --where at column ")


def test_empty_ledger(repo: Repo) -> None:
    assert repo.cli("compare").stdout.strip() == "No runs recorded yet."
    assert repo.cli("compare", "-f", "csv").stdout == "id,status,started_at\n"
    assert repo.cli("compare", "-f", "json").json()["rows"] == []


def test_single_run_has_everything_in_the_summary(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"lr": 0.1}, metrics={"acc": 0.5})
    data = repo.cli("compare", "-f", "json").json()
    assert data["columns"] == ["id", "status", "started_at", "metrics.acc"]
    assert data["constant"]["params.lr"] == 0.1
    assert "same in the run: " in repo.cli("compare").stdout


def test_runs_on_different_commits_show_the_commit_column(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"lr": 0.1})
    repo.write("train.py", "print(1)\n")
    second = repo.commit_all("train")
    make_run(repo, B, "2026-01-02T10:00:00.000Z", params={"lr": 0.1})
    data = repo.cli("compare", "-f", "json").json()
    assert "commit" in data["columns"]
    assert [row["commit"] for row in data["rows"]][0] == second
    assert data["constant"] == {"branch": "main", "params.lr": 0.1}


def test_real_runs_compare_end_to_end(repo: Repo) -> None:
    for lr, loss in (("0.1", "0.5"), ("0.01", "0.3")):
        code = f"print('epoch=1 loss={loss}')"
        assert repo.run("exec", sys.executable, "-c", code, "--lr", lr).returncode == 0
    proc = repo.run("compare", "--metric", "loss", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = parse_csv(proc.stdout.decode())
    assert [(row["params.lr"], row["metrics.loss"], row["best"]) for row in rows] == [
        ("0.01", "0.3", "true"),
        ("0.1", "0.5", "false"),
    ]


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("train/loss", "min"),
        ("valLoss", "min"),
        ("trainloss", "min"),
        ("error", "min"),
        ("top1_err", "min"),
        ("mse", "min"),
        ("rmse", "min"),
        ("mae", "min"),
        ("perplexity", "min"),
        ("time", "none"),
        ("step_time", "min"),
        ("runtime", "none"),
        ("latency", "min"),
        ("epoch", "none"),
        ("step", "none"),
        ("best_epoch", "none"),
        ("lr", "none"),
        ("train/lr", "none"),
        ("learning_rate", "none"),
        ("sample_count", "none"),
        ("n_params", "none"),
        ("duration", "none"),
        ("throughput", "none"),
        ("val_auc", "max"),
        ("acc", "max"),
        ("accuracy", "max"),
        ("auc", "max"),
        ("f1", "max"),
        ("bleu", "max"),
        ("power", "max"),
        # rates of time: per-step time is better lower, throughput has no direction
        ("ms/batch", "min"),
        ("s/it", "min"),
        ("sec/step", "min"),
        ("it/s", "none"),
        ("samples/sec", "none"),
        ("train/tokens/s", "none"),
        ("train_samples_per_second", "none"),  # the Hugging Face Trainer's
        ("eval_steps_per_second", "none"),
        ("tokens_per_sec", "none"),
        ("total_flos", "none"),
        ("grad_norm", "none"),
        ("train/grad_norm", "none"),
        # schedules: logged per step, never a result
        ("lr-Adam", "none"),
        ("lr-SGD/pg1", "none"),
        ("lr-Adam-momentum", "none"),
        ("lr_head", "none"),
        ("optimizer/lr/group0", "none"),
        ("momentum", "none"),
        ("train/momentum", "none"),
        ("LearningRate", "none"),
        ("learning_rate_0", "none"),
        ("lr_auc", "max"),  # logistic regression's AUC: a result
        ("lr/accuracy", "max"),
        ("lr_loss", "min"),
        ("clr", "max"),
        ("recall@10", "max"),
        ("mAP@0.5", "max"),
    ],
)
def test_metric_direction_by_name(name: str, direction: str) -> None:
    assert metric_direction(name) == direction


def test_csv_quotes_text_and_writes_lists_as_json(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"note": 'a, "b"', "layers": [1, 2]})
    make_run(repo, B, "2026-01-02T10:00:00.000Z", params={"note": "x|y", "layers": [3]})
    out = repo.cli("compare", "-f", "csv").stdout
    rows = parse_csv(out)
    assert rows[1]["params.note"] == 'a, "b"' and rows[1]["params.layers"] == "[1, 2]"
    md = repo.cli("compare", "-f", "markdown").stdout
    assert "x\\|y" in md
    assert json.loads(repo.cli("compare", "-f", "json").stdout)["rows"][0]["params.layers"] == [3]


def test_a_best_run_with_another_seed_or_inputs_is_flagged_in_one_line(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", params={"lr": 0.1, "seed": 1},
             metrics={"acc": 0.80}, inputs_digest="a" * 64)  # fmt: skip
    make_run(repo, B, "2026-01-02T10:00:00.000Z", params={"lr": 0.2, "seed": 1},
             metrics={"acc": 0.82}, inputs_digest="a" * 64)  # fmt: skip
    make_run(repo, C, "2026-01-03T10:00:00.000Z", params={"lr": 0.3, "seed": 7},
             metrics={"acc": 0.90}, inputs_digest="b" * 64)  # fmt: skip
    result = repo.cli("compare", "--metric", "acc")
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: the best run {C[:10]} read other inputs (data hashes) than 2 of the 2 runs "
        "it beat; compare like with like (runledger diff)",
        f"warning: the best run {C[:10]} used seed=7, unlike 2 of the 2 runs it beat: its lead "
        "may be that seed's luck (--group-by the other params to see mean ± std)",
    ]
    data = repo.cli("compare", "--metric", "acc", "-f", "json")
    assert len(data.json()["caveats"]) == 2 and "runledger: warning: the best run" in data.stderr
    fair = repo.cli("compare", A, B, "--metric", "acc").stdout
    assert "warning:" not in fair
