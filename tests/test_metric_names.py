"""Metric names as real programs print them (ms/batch, train/loss, recall@10, "f1 score") are
named back by --where, --sort, --group-by and --metric; a learning rate printed per step is a
series with no direction, never judged as a result and never mistaken for the param lr."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import BuiltOnce, Repo
from tests.synthetic import make_run

# pytorch/examples word_language_model's lines, with its argparse --lr and its lr schedule.
WORD_LANGUAGE_MODEL = """\
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=20)
parser.add_argument("--ms", type=float, default=10)
args = parser.parse_args()
lr = args.lr
for epoch in (1, 2):
    for batch in (200, 400):
        print("| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | "
              "loss {:5.2f} | ppl {:8.2f}".format(epoch, batch, 2983, lr, args.ms + epoch,
                                                  7.0 - epoch, 1200.0 - 100 * epoch))
    print("-" * 89)
    print("| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | "
          "valid ppl {:8.2f}".format(epoch, 30.0, 6.0 - epoch - 1 / args.lr, 400.0 - epoch))
    print("-" * 89)
    lr /= 4.0
"""


def _two_wlm_runs(repo: Repo) -> None:
    repo.write("main.py", WORD_LANGUAGE_MODEL)
    repo.commit_all("word language model")
    for lr, ms in (("20", "10"), ("5", "30")):
        done = repo.run("exec", sys.executable, "main.py", "--lr", lr, "--ms", ms)
        assert done.returncode == 0, done.stderr


@pytest.fixture
def wlm(built_once: BuiltOnce) -> Repo:
    """Two word_language_model runs: --lr 20 (ms/batch 12 at the end) and --lr 5 (ms/batch 32),
    recorded once and copied for each test."""
    return built_once(_two_wlm_runs)[0]


def _lrs(repo: Repo, *args: str) -> list[float]:
    result = repo.cli("ls", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [run["params"]["lr"] for run in result.json()]


def test_the_slash_name_is_recorded_and_named_back_by_where_and_sort(wlm: Repo) -> None:
    runs = wlm.runs_json()
    assert {run["metrics"]["ms/batch"] for run in runs} == {12.0, 32.0}
    assert _lrs(wlm, "--where", "metrics.ms/batch > 20") == [5]
    for spelled in ('metrics."ms/batch"', "metrics.`ms/batch`", 'metrics["ms/batch"]'):
        assert _lrs(wlm, "--where", f"{spelled} < 20") == [20], spelled
        assert _lrs(wlm, "--sort", f"-{spelled}") == [5, 20], spelled
        assert _lrs(wlm, "--sort", spelled) == [20, 5], spelled
    assert _lrs(wlm, "--sort", "metrics.ms/batch") == [20, 5]


def test_the_learning_rate_is_a_series_apart_from_the_param(wlm: Repo) -> None:
    run = next(run for run in wlm.runs_json() if run["params"]["lr"] == 20)
    shown = wlm.cli("show", run["id"], "--json").json()
    assert shown["params"]["lr"] == 20  # what argparse read: the param
    assert shown["metrics"]["lr"] == 5.0  # the schedule's last value: 20, 20, 5, 5
    assert [value for _, value in shown["series"]["lr"]] == [20.0, 20.0, 5.0, 5.0]
    assert _lrs(wlm, "--where", "params.lr == 20 and metrics.lr == 5") == [20]


def test_the_learning_rate_is_never_judged_as_a_result(wlm: Repo) -> None:
    data = wlm.cli("compare", "--format", "json").json()
    assert data["best_values"]["metrics.ms/batch"]["direction"] == "min"
    assert data["best_values"]["metrics.valid_loss"]["direction"] == "min"
    assert "metrics.lr" not in data["best_values"]  # never starred
    judged = wlm.cli("compare", "--metric", "lr", "--format", "json").json()
    assert judged["best"]["direction"] == "none" and judged["best"]["run"] is None
    out = wlm.cli("compare").stdout
    assert "metrics.lr" in out and "params.lr" in out  # one name, two things: both labelled
    assert "lr↑" not in out and "lr↓" not in out


def test_ls_shows_results_before_a_learning_rate_that_reads_like_the_param(wlm: Repo) -> None:
    header = wlm.cli("ls").stdout.splitlines()[0].split()
    # the validation results first, then the training ones: four results fill the metric
    # columns, before the timing and the schedule
    assert header[header.index("valid_loss") :][:4] == ["valid_loss", "valid_ppl", "loss", "ppl"]
    assert "lr" not in header and "ms/batch" not in header


def test_compare_narrow_drops_the_schedule_before_the_param_that_differs(
    wlm: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = []
    for width in range(80, 160, 4):
        monkeypatch.setenv("COLUMNS", str(width))
        headers.append(wlm.cli("compare").stdout.splitlines()[1].split())
    for header in headers:
        assert "metrics.lr" not in header or "params.lr" in header, header
        if "metrics.lr" in header:  # after the results, not among them
            assert header.index("valid_ppl↓") < header.index("metrics.lr")
    assert any("params.lr" in header and "metrics.lr" not in header for header in headers)
    assert "metrics.lr" in headers[-1]


def test_plot_draws_the_schedule(wlm: Repo) -> None:
    result = wlm.cli("plot", "lr")
    assert result.exit_code == 0, result.stderr


def test_metric_option_says_to_drop_the_metrics_prefix(wlm: Repo) -> None:
    for spelled in ("metrics.ms/batch", 'metrics."ms/batch"', 'metrics["ms/batch"]'):
        result = wlm.cli("compare", "--metric", spelled)
        assert result.exit_code != 0
        assert "the metric is 'ms/batch'" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert wlm.cli("compare", "--metric", "ms/batch").exit_code == 0


def test_names_with_spaces_and_other_characters_are_quoted(repo: Repo) -> None:
    make_run(repo, "6g00000000aaaaaa", "2026-01-01T10:00:00.000Z", metrics={"f1 score": 0.7})
    make_run(
        repo,
        "6g00000001bbbbbb",
        "2026-01-02T10:00:00.000Z",
        metrics={"f1 score": 0.9, "recall@10": 0.4, "mAP@0.5": 0.6},
    )
    ids = lambda *args: [run["id"][:10] for run in repo.cli("ls", "--json", *args).json()]  # noqa: E731
    assert ids("--where", 'metrics."f1 score" > 0.8') == ["6g00000001"]
    assert ids("--where", "metrics.recall@10 > 0.3 and metrics.mAP@0.5 == 0.6") == ["6g00000001"]
    assert ids("--sort", 'metrics["f1 score"]') == ["6g00000000", "6g00000001"]
    assert ids("--sort", "-metrics.`f1 score`") == ["6g00000001", "6g00000000"]
    grouped = repo.cli("compare", "--group-by", 'metrics."f1 score"', "-f", "json")
    assert grouped.exit_code == 0, grouped.stderr
    bad = repo.cli("ls", "--where", "metrics.f1 score > 0.8")
    assert bad.exit_code != 0
    assert 'metrics."f1 score"' in bad.stderr and "Traceback" not in bad.stderr


# The dicts the Hugging Face Trainer logs at the end of run_glue.py's training and evaluation,
# as its in-process capture records them.
TRAINER_FINAL_LOGS = """\
import runledger
runledger.log({"loss": 0.6939, "grad_norm": 0.33, "learning_rate": 4.2e-05, "epoch": 2.0},
              step=12)
runledger.log({"train_runtime": 5.233, "train_samples_per_second": 18.345,
               "train_steps_per_second": 2.293, "total_flos": 136065024.0,
               "train_loss": 0.6911, "epoch": 2.0}, step=12)
runledger.log({"eval_loss": 0.6833, "eval_accuracy": 0.8125, "eval_runtime": 0.1259,
               "eval_samples_per_second": 127.045, "eval_steps_per_second": 15.881,
               "epoch": 2.0}, step=12)
"""


def test_trainer_throughputs_are_shown_after_its_results(repo: Repo) -> None:
    """run_glue.py's train_samples_per_second, eval_steps_per_second, total_flos and grad_norm
    were shown among its results (between eval_loss and train_loss), judged higher-is-better."""
    repo.write("run_glue.py", TRAINER_FINAL_LOGS)
    repo.commit_all("trainer logs")
    done = repo.run("exec", sys.executable, "run_glue.py")
    assert done.returncode == 0, done.stderr
    shown = repo.cli("show", repo.runs_json()[0]["id"]).stdout
    rows = [line.split()[0] for line in shown.splitlines() if line[:1] == " " and line.split()]
    results = ["eval_accuracy", "eval_loss", "loss", "train_loss"]
    not_results = [
        "eval_samples_per_second",
        "grad_norm",
        "eval_steps_per_second",
        "total_flos",
        "train_samples_per_second",
        "train_steps_per_second",
    ]
    assert set(results + not_results) <= set(rows), shown
    assert max(map(rows.index, results)) < min(map(rows.index, not_results)), shown


# scikit-learn's old cross-validation tutorial after a hold-out score:
# print("Accuracy: %0.2f (+/- %0.2f)" % (scores.mean(), scores.std() * 2)).
HOLD_OUT_THEN_CV = """\
print("Accuracy: 0.94")
scores = [0.95, 0.97, 0.96]
print("Accuracy: %0.2f (+/- %0.2f)" % (sum(scores) / 3, 0.02))
"""


def test_a_cross_validated_mean_is_recorded_apart_from_the_hold_out_value(repo: Repo) -> None:
    repo.write("cv.py", HOLD_OUT_THEN_CV)
    repo.commit_all("cv")
    done = repo.run("exec", sys.executable, "cv.py")
    assert done.returncode == 0, done.stderr

    metrics = repo.runs_json()[0]["metrics"]

    assert metrics["accuracy"] == 0.94  # the hold-out's, not overwritten by the folds' mean
    assert metrics["accuracy_mean"] == 0.96
