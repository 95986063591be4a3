"""``runledger plot``: a metric's series across runs, as a terminal chart, through the CLI."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from runledger import ids
from runledger.analysis.curves import approximate_times, smooth_values, time_unit
from tests.chart_runs import decay, series_run, write
from tests.conftest import Repo

SRC = str(Path(__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "40")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


ENTRY = r"[*x+o#@%&=~^$]  [0-9a-z]{10}\b"


def legend(stdout: str) -> list[str]:
    """The legend's entries (a run's marker, two spaces, its short id, its params), in order.

    Short entries are packed several to a line, in columns.
    """
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(("step", "time")))
    entries: list[str] = []
    for line in lines[start + 1 :]:
        if re.match(ENTRY, line):
            entries += [part.strip() for part in re.split(rf"\s{{3,}}(?={ENTRY})", line)]
    return entries


def three_runs(repo: Repo) -> list[str]:
    """Different lengths and spacings: 51 steps of 1, 21 of 10, 12 float steps of 0.5."""
    fast = list(range(51))
    sparse = list(range(0, 201, 10))
    floats = [i * 0.5 for i in range(12)]
    return write(
        repo,
        [
            series_run(
                repo, 0, params={"lr": 0.1, "depth": 4}, series={"loss": (fast, decay(0.2, fast))}
            ),
            series_run(
                repo,
                1,
                params={"lr": 0.01, "depth": 4},
                series={"loss": (sparse, decay(0.01, sparse, floor=0.3))},
            ),
            series_run(
                repo,
                2,
                params={"lr": 0.001, "depth": 4},
                series={"loss": (floats, decay(0.01, floats, floor=1.0))},
            ),
        ],
    )


def test_each_run_is_drawn_with_a_legend_of_ids_and_differing_params(repo: Repo) -> None:
    best, middle, worst = three_runs(repo)
    before = repo.state()
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0, result.stderr
    assert repo.state() == before
    assert "loss (lower is better)" in result.stdout
    assert legend(result.stdout) == [
        f"*  {ids.short_id(best)}  lr=0.1",
        f"x  {ids.short_id(middle)}  lr=0.01",
        f"+  {ids.short_id(worst)}  lr=0.001",
    ]
    assert "same in every run drawn: depth=4" in result.stdout
    chart = result.stdout.split("step")[0]
    for marker in "*x+":  # every curve is on the canvas
        assert marker in chart
    assert " 200" in chart.splitlines()[-2]  # the x axis reaches the longest series
    assert result.stderr == ""


def test_the_params_every_run_shares_wrap_between_pairs_within_the_width(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    steps = list(range(10))
    shared = {
        "data": "datasets/imagenet-subset/train with spaces.tar",
        "optimizer": "adamw",
        "scheduler": "cosine-with-a-long-warmup-and-restarts",
        "batch_size": 256,
    }
    write(
        repo,
        [
            series_run(
                repo, i, params={**shared, "lr": lr}, series={"loss": (steps, decay(lr, steps))}
            )
            for i, lr in enumerate((0.1, 0.01))
        ],
    )
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("same in every run drawn:"))
    same = lines[start:]
    assert all(len(line) <= 60 for line in same), same
    assert len(same) > 1
    shown = "\n".join(same)
    for key, value in shared.items():  # each pair whole on one line, never cut at the edge
        assert f"{key}={value}" in shown, same


def test_runs_without_the_metric_are_listed_as_skipped(repo: Repo) -> None:
    three_runs(repo)
    steps = [0, 1]
    [other] = write(repo, [series_run(repo, 5, series={"acc": (steps, [0.1, 0.2])})])
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0
    assert f"note: skipped 1 run without loss: {ids.short_id(other)}" in result.stderr
    assert len(legend(result.stdout)) == 3


def test_nan_and_infinite_points_are_left_out_and_counted(repo: Repo) -> None:
    values = [1.0, math.nan, 0.5, math.inf, 0.25]
    [run_id] = write(repo, [series_run(repo, 0, series={"loss": (list(range(5)), values)})])
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0, result.stderr
    assert f"note: {ids.short_id(run_id)}: 2 points not drawn (NaN or infinite)" in result.stderr
    assert len(legend(result.stdout)) == 1


def test_a_single_run_named_by_prefix(repo: Repo) -> None:
    best, _, _ = three_runs(repo)
    result = repo.cli("plot", "loss", best[:8])
    assert result.exit_code == 0, result.stderr
    assert legend(result.stdout) == [f"*  {ids.short_id(best)}"]
    assert "same in every run drawn: lr=0.1 depth=4" in result.stdout


def test_two_hundred_runs_show_the_best_ten_and_a_legend_that_fits(repo: Repo) -> None:
    steps = list(range(0, 100, 5))
    runs = [
        series_run(
            repo,
            i,
            params={
                "lr": 0.001 * (i + 1),
                "optimizer": "adam" if i % 2 else "sgd",
                "scheduler": "cosine-with-a-long-warmup-and-restarts" if i % 3 else "linear",
                "seed": i,
            },
            series={"loss": (steps, decay(0.01 + i / 1000, steps))},
        )
        for i in range(200)
    ]
    write(repo, runs)
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0, result.stderr
    entries = legend(result.stdout)
    assert len(entries) == 10
    best = sorted(runs, key=lambda run: run.metrics["loss"].last)[:10]
    assert [entry.split()[1] for entry in entries] == [ids.short_id(run.id) for run in best]
    assert "note: showing the 10 best of 200 runs with loss by its last value" in result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 100

    everything = repo.cli("plot", "loss", "--top", "0")
    assert everything.exit_code == 0
    assert everything.stdout.count(" lr=") == 200
    assert "(more runs than markers, which repeat: --top N draws fewer)" in everything.stdout
    assert max(len(line) for line in everything.stdout.splitlines()) <= 100


def test_where_chooses_the_runs(repo: Repo) -> None:
    best, middle, _ = three_runs(repo)
    result = repo.cli("plot", "loss", "--where", "params.lr >= 0.01")
    assert result.exit_code == 0
    assert [entry.split()[1] for entry in legend(result.stdout)] == [
        ids.short_id(best),
        ids.short_id(middle),
    ]


def test_time_axis_uses_recorded_times_and_marks_older_runs_approximate(repo: Repo) -> None:
    steps = list(range(10))
    write(
        repo,
        [
            series_run(
                repo,
                0,
                series={"loss": (steps, decay(0.3, steps))},
                times={"loss": [30.0 * (s + 1) for s in steps]},
                duration_s=300,
            ),
            series_run(repo, 1, series={"loss": (steps, decay(0.1, steps))}, duration_s=600),
        ],
    )
    result = repo.cli("plot", "loss", "--x", "time")
    assert result.exit_code == 0, result.stderr
    assert "time since start (min; approximate for 1 older runs)" in result.stdout
    assert "10.0" in result.stdout  # 600 s is 10 minutes: the approximate run's last point


def test_log_scale_leaves_out_values_at_or_below_zero(repo: Repo) -> None:
    [run_id] = write(
        repo, [series_run(repo, 0, series={"loss": ([0, 1, 2, 3], [1.0, 0.1, 0.0, -1.0])})]
    )
    result = repo.cli("plot", "loss", "--log-y", "--smooth", "1")
    assert result.exit_code == 0, result.stderr
    short = ids.short_id(run_id)
    assert f"note: {short}: 2 points not drawn (NaN, infinite or <= 0)" in result.stderr


def test_smoothing_is_a_trailing_mean_that_skips_nan() -> None:
    assert smooth_values([1.0, 2.0, 3.0, math.nan, 5.0], 2)[:3] == [1.0, 1.5, 2.5]
    smoothed = smooth_values([1.0, 2.0, 3.0, math.nan, 5.0], 2)
    assert math.isnan(smoothed[3]) and smoothed[4] == 4.0
    assert smooth_values([4.0, 8.0], 1) == [4.0, 8.0]


def test_time_helpers() -> None:
    assert approximate_times([0, 5, 10], 100.0) == [0.0, 50.0, 100.0]
    assert approximate_times([3, 3], 10.0) == [5.0, 10.0]
    assert time_unit(90) == ("s", 1.0)
    assert time_unit(600) == ("min", 60.0)
    assert time_unit(3 * 3600) == ("h", 3600.0)


def test_smoothed_chart_says_so(repo: Repo) -> None:
    three_runs(repo)
    result = repo.cli("plot", "loss", "--smooth", "5")
    assert result.exit_code == 0
    assert "loss (lower is better), smoothed over 5 points" in result.stdout


def test_colour_terminal_legend_matches_the_curves(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_runs(repo)
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0, result.stderr
    chart, _, legend_text = result.stdout.partition("step")
    for code in (33, 208, 34):  # the first three colours, on the canvas and in the legend
        assert f"\x1b[38;5;{code}m" in chart
        assert f"\x1b[38;5;{code}m━━" in legend_text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope"], 1, "runledger: error: no run has a metric named 'nope'; metrics: loss\n"),
        (
            ["loss", "--x", "epochs"],
            1,
            "runledger: error: unknown --x 'epochs': use step or time\n",
        ),
        (
            ["loss", "--where", "params.lr > 5"],
            1,
            "runledger: error: no runs to plot: none matches --where 'params.lr > 5'\n",
        ),
        (["loss", "zzzzzz"], 1, "runledger: error: no run matches 'zzzzzz'"),
    ],
)
def test_bad_input_is_one_line(repo: Repo, args: list[str], code: int, message: str) -> None:
    three_runs(repo)
    result = repo.cli("plot", *args)
    assert result.exit_code == code
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_smooth_below_one_is_a_usage_error(repo: Repo) -> None:
    three_runs(repo)
    result = repo.cli("plot", "loss", "--smooth", "0")
    assert result.exit_code == 2
    assert result.stderr.startswith("runledger: error: Invalid value for '--smooth'")


def test_no_runs_and_final_values_only(repo: Repo) -> None:
    result = repo.cli("plot", "loss")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: no runs to plot: record one with 'runledger exec COMMAND'\n"
    )
    from tests.synthetic import make_run

    make_run(repo, ids.new_run_id(1_700_000_000), "2023-11-14T00:00:00Z", metrics={"loss": 0.5})
    result = repo.cli("plot", "loss")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "runledger: error: nothing to plot: no chosen run recorded a series of 'loss'"
    )


def test_plot_of_a_real_exec_run(repo: Repo) -> None:
    repo.write("train.py", "for step in range(20):\n    print(f'step={step} loss={1/(step+1)}')\n")
    repo.commit_all("train")
    assert repo.run("exec", "--", sys.executable, "train.py").returncode == 0
    proc = repo.run("plot", "loss", "--x", "time", env={"COLUMNS": "80", "LINES": "30"})
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "time since start (s)" in text  # recorded times: not approximate
    assert "approximate" not in text


def test_listing_runs_never_imports_the_chart_libraries(repo: Repo) -> None:
    three_runs(repo)
    code = (
        "import sys\n"
        "from runledger.cli.main import main\n"
        "try:\n    main(['ls'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('plotext', 'matplotlib', 'numpy', 'pandas') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo.path,
        env={**__import__("os").environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_an_unreadable_metrics_file_is_reported_and_skipped(repo: Repo) -> None:
    good, bad, worst = three_runs(repo)
    # Rewrite one run's commit with a broken metrics.toml (the ledger never does this).
    ref = f"refs/runledger/runs/{bad}"
    blob = (
        subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            cwd=repo.path,
            input=b"[series.loss\nstep = ",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    entries = [
        line if not line.endswith("\tmetrics.toml") else f"100644 blob {blob}\tmetrics.toml"
        for line in repo.git("ls-tree", ref).splitlines()
    ]
    tree = (
        subprocess.run(
            ["git", "mktree"],
            cwd=repo.path,
            input="\n".join(entries).encode() + b"\n",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    parent = repo.git("rev-parse", f"{ref}^").strip()
    commit = repo.git("commit-tree", tree, "-p", parent, "-m", "broken").strip()
    repo.git("update-ref", ref, commit)
    result = repo.cli("plot", "loss")
    assert result.exit_code == 0, result.stderr
    assert f"runledger: warning: skipping {ref}: metrics.toml cannot be read" in result.stderr
    assert f"with no recorded series of loss (a final value only): {ids.short_id(bad)}" in (
        result.stderr
    )
    assert [entry.split()[1] for entry in legend(result.stdout)] == [
        ids.short_id(good),
        ids.short_id(worst),
    ]


def test_log_scale_of_a_single_value_falls_back_to_linear(repo: Repo) -> None:
    write(repo, [series_run(repo, 0, series={"loss": ([5], [0.5])})])
    result = repo.cli("plot", "loss", "--log-y", "--x", "time")
    assert result.exit_code == 0, result.stderr
    assert "every value drawn is the same: the y axis is linear, not log" in result.stderr


def test_nothing_finite_to_draw(repo: Repo) -> None:
    write(repo, [series_run(repo, 0, series={"loss": ([0, 1], [math.nan, -1.0])})])
    result = repo.cli("plot", "loss", "--log-y")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: nothing to plot: no point of 'loss' in the chosen runs is a finite "
        "number above zero (--log-y)\n"
    )
