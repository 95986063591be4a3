from __future__ import annotations

import json
import math
import threading
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.recording.capture.metrics import (
    MAX_LINE_BYTES,
    MetricsCollector,
    MetricSeries,
    MetricSummary,
    ParsedLine,
    parse_metric_line,
    series_from_toml_dict,
    series_to_toml_dict,
    summarize,
)
from tests.fuzzing import examples

# --- parse_metric_line: what is a metric line ----------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("epoch=3 loss=0.25 acc=0.91", ParsedLine(3, {"loss": 0.25, "acc": 0.91})),
        ("loss=0.25", ParsedLine(None, {"loss": 0.25})),
        ("loss=0.25, acc=0.9", ParsedLine(None, {"loss": 0.25, "acc": 0.9})),
        ("loss=0.25,acc=0.9,", ParsedLine(None, {"loss": 0.25, "acc": 0.9})),
        ("  step=7\tloss=1  \n", ParsedLine(7, {"loss": 1.0})),
        ("delta=-0.5 gain=+2", ParsedLine(None, {"delta": -0.5, "gain": 2.0})),
        ("iteration=10 loss=0.1", ParsedLine(10, {"loss": 0.1})),
        ("Epoch=2 loss=0.1", ParsedLine(2, {"loss": 0.1})),
        ("epoch=1.5 loss=0.1", ParsedLine(1.5, {"loss": 0.1})),
        ('{"loss": 0.25}', ParsedLine(None, {"loss": 0.25})),
        # Issue 15: a percentage keeps its number; "name: value" with a metric word counts.
        ("acc=91%", ParsedLine(None, {"acc": 91.0})),
        ("loss = 0.25", ParsedLine(None, {"loss": 0.25})),
        ("loss: 0.25", ParsedLine(None, {"loss": 0.25})),
        ('{"step": 3, "loss": 0.25, "acc": 0.91}', ParsedLine(3, {"loss": 0.25, "acc": 0.91})),
    ],
)
def test_metric_lines_are_read(line: str, expected: ParsedLine) -> None:
    assert parse_metric_line(line) == expected


def test_number_forms() -> None:
    parsed = parse_metric_line("lr=1e-3 big=6.02E+23 half=.5 one=1. neg=-2.5e-2")
    assert parsed == ParsedLine(
        None, {"lr": 0.001, "big": 6.02e23, "half": 0.5, "one": 1.0, "neg": -0.025}
    )


def test_nan_and_infinities_any_case() -> None:
    parsed = parse_metric_line("a=nan b=NaN c=inf d=-INF e=+Infinity")
    assert parsed is not None
    assert math.isnan(parsed.values["a"]) and math.isnan(parsed.values["b"])
    assert parsed.values["c"] == math.inf
    assert parsed.values["d"] == -math.inf
    assert parsed.values["e"] == math.inf


def test_names_with_slash_dot_hyphen_and_unicode() -> None:
    parsed = parse_metric_line("val/loss=0.3 train.acc=0.8 top-5=0.9 précision=0.7 损失=1.5")
    assert parsed == ParsedLine(
        None,
        {"val/loss": 0.3, "train.acc": 0.8, "top-5": 0.9, "précision": 0.7, "损失": 1.5},
    )


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   ",
        "Setting lr=0.01 for the run",
        "lr=0.01 is good",
        'print("a=b") x=1',
        'msg="x=1"',
        "loss=0.25 time=3.2s",
        "loss=",
        "=0.3",
        "a=b=1",
        "1st=3",
        "loss=0x1f",
        "loss=1_000",
        "epoch=3",  # a step and nothing else
        "50%|#####     | 5/10 [00:01<00:01, loss=0.3]",
        '{"config": {"lr": 0.1}, "loss": 0.2}',  # nested: a data dump
        '{"losses": [0.1, 0.2]}',
        '{"done": true}',  # booleans are not metrics
        '{"name": "resnet"}',
        "[1, 2, 3]",
        '{"loss": 0.2',
        "{not json}",
    ],
)
def test_not_metric_lines(line: str) -> None:
    assert parse_metric_line(line) is None


def test_json_line_keeps_numbers_and_ignores_strings_bools_nulls() -> None:
    line = '{"phase": "train", "loss": 0.3, "ok": true, "note": null, "epoch": 2}'
    assert parse_metric_line(line) == ParsedLine(2, {"loss": 0.3})


def test_json_nan_and_infinity() -> None:
    parsed = parse_metric_line('{"loss": NaN, "gap": -Infinity}')
    assert parsed is not None
    assert math.isnan(parsed.values["loss"])
    assert parsed.values["gap"] == -math.inf


def test_step_priority_is_step_then_iteration_then_epoch() -> None:
    parsed = parse_metric_line("epoch=2 iteration=50 step=100 loss=0.3")
    assert parsed == ParsedLine(100, {"epoch": 2.0, "iteration": 50.0, "loss": 0.3})
    parsed = parse_metric_line("epoch=2 iteration=50 loss=0.3")
    assert parsed == ParsedLine(50, {"epoch": 2.0, "loss": 0.3})


def test_non_finite_step_is_dropped() -> None:
    assert parse_metric_line("step=nan loss=0.3") == ParsedLine(None, {"loss": 0.3})


def test_step_beyond_64_bits_becomes_float() -> None:
    parsed = parse_metric_line(f"step={2**70} loss=1")
    assert parsed == ParsedLine(float(2**70), {"loss": 1.0})
    assert isinstance(parsed.step, float)


def test_only_text_after_last_carriage_return_counts() -> None:
    assert parse_metric_line("Training 10%|#   |\rloss=0.5") == ParsedLine(None, {"loss": 0.5})
    assert parse_metric_line("loss=0.5\rTraining 10%|#   |") is None
    # A \r\n line end is not a redraw.
    assert parse_metric_line("loss=0.5\r\n") == ParsedLine(None, {"loss": 0.5})


def test_ansi_colours_are_stripped() -> None:
    line = "\x1b[1m\x1b[32mepoch\x1b[0m=3 \x1b[31mloss=0.25\x1b[0m\x1b]0;title\x07"
    assert parse_metric_line(line) == ParsedLine(3, {"loss": 0.25})


def test_very_long_line_is_skipped() -> None:
    many = " ".join(f"m{i}=1" for i in range(MAX_LINE_BYTES // 4))
    assert len(many) > MAX_LINE_BYTES
    assert parse_metric_line(many) is None


def test_very_long_prose_line_is_rejected() -> None:
    assert parse_metric_line("x" * 10_000_000) is None


@given(st.text(max_size=300))
@settings(deadline=None)
def test_any_text_never_crashes(text: str) -> None:
    parsed = parse_metric_line(text)
    assert parsed is None or parsed.values


# --- the collector: output ------------------------------------------------------------------


def _feed_whole(data: bytes) -> dict[str, MetricSeries]:
    collector = MetricsCollector()
    collector.feed_output(data)
    collector.flush_output()
    return collector.series()


def test_collector_reads_lines_and_numbers_steps_per_metric() -> None:
    output = b"starting\nloss=1.0\nloss=0.5 acc=0.1\nstep=10 acc=0.2\nprose x=1 here\n"
    series = _feed_whole(output)
    assert series == {
        "loss": MetricSeries([0, 1], [1.0, 0.5]),
        "acc": MetricSeries([0, 10], [0.1, 0.2]),
    }


def test_collector_keeps_arrival_order_not_step_order() -> None:
    series = _feed_whole(b"step=5 loss=1\nstep=2 loss=2\n")
    assert series["loss"] == MetricSeries([5, 2], [1.0, 2.0])


def test_a_placeholder_printed_before_the_first_measurement_is_not_a_point() -> None:
    # nanoGPT: "mfu -100.00%" until its running mean has a value; "eta=-1" alike
    output = b"step=0 mfu=-100\nstep=1 mfu=-100\nstep=2 mfu=31.5\nstep=3 mfu=31.9\n"
    collector = MetricsCollector()
    collector.feed_output(output + b"step=0 eta=-1\nstep=1 eta=0.0\n")
    collector.flush_output()
    assert collector.series()["mfu"] == MetricSeries([2, 3], [31.5, 31.9])
    assert collector.series()["eta"] == MetricSeries([1], [0.0])
    summary = collector.summaries()["mfu"]
    assert (summary.min, summary.max, summary.count) == (31.5, 31.9, 2)


def test_leading_minus_one_stays_where_the_metric_can_be_negative_or_nothing_else_came() -> None:
    series = _feed_whole(
        b"step=0 reward=-1\nstep=1 reward=0.5\nstep=2 reward=-2\n"
        b"step=0 corr=-1\nstep=1 corr=-1\n"
        b"step=0 loss=1.5\nstep=1 loss=-1\nstep=2 loss=0.5\n"
    )
    assert series["reward"] == MetricSeries([0, 1, 2], [-1.0, 0.5, -2.0])
    assert series["corr"] == MetricSeries([0, 1], [-1.0, -1.0])
    assert series["loss"] == MetricSeries([0, 1, 2], [1.5, -1.0, 0.5])
    collector = MetricsCollector()
    collector.feed_output(b"step=0 reward=-1\nstep=1 reward=0.5\nstep=2 reward=-2\n")
    collector.flush_output()
    summary = collector.summaries()["reward"]
    assert (summary.min, summary.max, summary.last, summary.count) == (-2.0, 0.5, -2.0, 3)


def test_binary_noise_never_crashes() -> None:
    noise = bytes(range(256)) * 50 + b"\xff\xfe\x00loss=\xff\n\x80\x81\nloss=0.5\n"
    assert _feed_whole(noise) == {"loss": MetricSeries([0], [0.5])}


def test_invalid_utf8_in_a_name_does_not_poison_the_line_after() -> None:
    series = _feed_whole(b"l\xffss=1\nloss=2\n")
    assert series["loss"] == MetricSeries([0], [2.0])
    assert "l\ufffdss" not in series  # U+FFFD is not a letter


def test_utf8_character_split_between_chunks() -> None:
    data = "损失=1.5\n".encode()
    collector = MetricsCollector()
    collector.feed_output(data[:1])
    collector.feed_output(data[1:])
    assert collector.series() == {"损失": MetricSeries([0], [1.5])}


def test_tqdm_progress_bar_then_metric_line() -> None:
    bar = "".join(f"\r{p:3d}%|{'#' * (p // 10):10s}| {p}/100" for p in range(101))
    # tqdm.write clears the bar with \r, prints the message, and redraws.
    output = (bar + "\r" + " " * 40 + "\rloss=0.25\n" + bar + "\n").encode()
    assert _feed_whole(output) == {"loss": MetricSeries([0], [0.25])}


def test_pykeen_training_loop_records_the_epochs_loss_not_its_previous_value_again() -> None:
    # PyKEEN's pipeline: an epoch bar whose postfix shows the loss and the previous epoch's
    # (set_postfix(loss=..., prev_loss=...)), a batch bar below it erased each epoch.
    def epoch_bar(done: int, loss: float, prev: str) -> str:
        return (
            f"\rTraining epochs on cpu: {20 * done:3d}%|{'#' * 2 * done:10s}| {done}/5 "
            f"[00:00<00:00,  4.85epoch/s, loss={loss}, prev_loss={prev}]"
        )

    batches = "\n\rTraining batches on cpu:   0%|          | 0.00/7.00 [00:00<?, ?batch/s]"
    batches += "\x1b[A\n\r" + " " * 71 + "\x1b[A"
    output = "Training epochs on cpu:   0%|          | 0/5 [00:00<?, ?epoch/s]"
    previous = "nan"
    for done, loss in enumerate([1.37, 1.39, 1.37], 1):
        output += batches + epoch_bar(done - 1, loss, previous) + epoch_bar(done, loss, previous)
        previous = str(loss)
    series = _feed_whole((output + "\n").encode())
    assert series == {"train_loss": MetricSeries([1, 2, 3], [1.37, 1.39, 1.37])}


def test_tpot_prints_each_generations_best_score_at_that_generation() -> None:
    # TPOT 1.1's fit(verbose=3): a bar over the generations, TPOT's "Generation:  N" printed
    # onto it (no newline before), then the best score on its own line. Before: steps 0, 1.
    def bar(done: int) -> str:
        return (
            f"\rGeneration: {50 * done:3d}%|{'#' * 5 * done:10s}| {done}/2 [00:04<00:04,  4.43s/it]"
        )

    best = "Best roc_auc_score score: 0.9972222222222221\n"
    output = "\r  0%|          | 0/2 [00:00<?, ?it/s]"
    output += (
        bar(0) + "Generation:  1\n" + best + bar(1) + "Generation:  2\n" + best + bar(2) + "\n"
    )
    series = _feed_whole(output.encode())
    assert series == {
        "best_roc_auc_score": MetricSeries([1, 2], [0.9972222222222221, 0.9972222222222221])
    }


def test_utilsforecasts_evaluation_frame_gives_each_models_metrics_of_its_first_series() -> None:
    # print(evaluate(cv_df, metrics=[mae, mape, rmse])) after statsforecast's
    # cross_validation (neuralforecast's too): a row per metric, a column per model; the one
    # blank between "unique_id" and "metric" is pandas' own. Before: nothing.
    output = (
        "   unique_id metric    AutoETS  SeasonalNaive\n"
        "0        1.0    mae  32.821512      35.916667\n"
        "1        1.0   mape   0.072262       0.080602\n"
        "2        1.0   rmse  40.355789      41.979161\n"
        "3        2.0    mae  12.000000      13.000000\n"
        "  metric      NHITS\n"
        "0    mae  41.281918\n"
        "  metric  description\n"
        "0    mae  mean absolute error\n"
    )
    series = _feed_whole(output.encode())
    assert {name: points.values for name, points in series.items()} == {
        "autoets_mae": [32.821512],
        "autoets_mape": [0.072262],
        "autoets_rmse": [40.355789],
        "seasonalnaive_mae": [35.916667],
        "seasonalnaive_mape": [0.080602],
        "seasonalnaive_rmse": [41.979161],
        "nhits_mae": [41.281918],
    }


def test_a_frame_by_metric_grouped_by_pandas_gives_each_models_metrics() -> None:
    # statsforecast's docs: print(evaluation.drop(columns="unique_id").groupby("metric")
    # .mean()): the models' names, then the index's name alone, then a row per metric;
    # right after the frame it was grouped from, as the docs print both.
    output = (
        "   unique_id metric    AutoETS  SeasonalNaive\n"
        "0        1.0   mape   0.072262       0.080602\n"
        "          AutoETS  SeasonalNaive\n"
        "metric                          \n"
        "mae     32.821512      35.916667\n"
        "rmse    40.355789      41.979161\n"
        "        n_windows\n"
        "seed\n"
        "0               3\n"
    )
    series = _feed_whole(output.encode())
    assert {name: points.values for name, points in series.items()} == {
        "autoets_mae": [32.821512],
        "autoets_rmse": [40.355789],
        "autoets_mape": [0.072262],
        "seasonalnaive_mae": [35.916667],
        "seasonalnaive_rmse": [41.979161],
        "seasonalnaive_mape": [0.080602],
    }


def _tqdm_redraws(desc: str, losses: list[float], total: int) -> str:
    return "".join(
        f"\r{desc}: {100 * n // total:3d}%|{'#' * (10 * n // total):10s}| {n}/{total} "
        f"[00:00<00:00, 9.1it/s, loss={loss}]"
        for n, loss in enumerate(losses, 1)
    )


def test_a_bar_erased_with_an_escape_counts_its_last_redraw_and_erased_prose_does_not() -> None:
    # rich-style "\x1b[2K" erases as tqdm's blanks do (leave=False); erased prose and a
    # metric line erased before it was ended are what the terminal no longer shows.
    output = (
        _tqdm_redraws("Epoch 1", [0.5, 0.4], 2)
        + "\r\x1b[2K"
        + _tqdm_redraws("Epoch 2", [0.3, 0.2], 2)
        + "\r\x1b[2K\rloading... loss=9\r      \rdone\n"
    ).encode()
    assert _feed_whole(output) == {"loss": MetricSeries([1, 2], [0.4, 0.2])}


def test_pytorch_ignites_progress_bar_counts_its_last_redraw_kept_or_erased() -> None:
    # ignite's ProgressBar draws "{desc}[{n}/{total}] {pct}%|{bar}{, postfix} [{elapsed}<..]",
    # its postfix before the times: it was no bar. persist=False (its default) erases it.
    def bar(epoch: int, done: int, loss: float) -> str:
        percent = f"{100 * done // 3:3d}%|{'#' * done:3s}"
        return f"\rEpoch [{epoch}/2]: [{done}/3] {percent}, loss={loss} [00:01<00:00]"

    kept = bar(1, 1, 2.5) + bar(1, 3, 2.3) + "\n" + bar(2, 1, 2.2) + bar(2, 3, 2.1) + "\n"
    erased = bar(1, 1, 2.5) + bar(1, 3, 2.3) + "\r" + " " * 50 + "\r"
    erased += bar(2, 1, 2.2) + bar(2, 3, 2.1) + "\r" + " " * 50 + "\rdone\n"
    for output in (kept, erased):
        assert _feed_whole(output.encode()) == {"loss": MetricSeries([1, 2], [2.3, 2.1])}


def test_tianshou_records_the_test_and_best_reward_of_each_epoch_not_its_bars_counts() -> None:
    # tianshou 2's trainer: a bar per epoch whose postfix counts env steps, episodes and
    # updates, then the epoch's line with the best reward's epoch after it ("in #1").
    def bar(epoch: int, done: int, rew: float) -> str:
        return (
            f"\rEpoch #{epoch}: {done * 50}%|#####     | {done}/2 [00:01<00:00, 60.1it/s, "
            f"env_episode={100 * epoch + done}, env_step={1000 * epoch + done}, len=9, n_ep=1, "
            f"n_st=12, rew={rew:.2f}, update_step={84 * epoch}]"
        )

    output = ""
    for epoch, (rew, test, best) in enumerate([(9.0, 10.0, 10.0), (11.0, 9.4, 10.0)], 1):
        output += bar(epoch, 1, rew - 1) + bar(epoch, 2, rew) + "\n"
        output += f"Epoch #{epoch}: test_reward: {test:.6f} \u00b1 0.489898, "
        output += f"best_reward: {best:.6f} \u00b1 0.000000 in #1\n"
    assert _feed_whole(output.encode()) == {
        "len": MetricSeries([1, 2], [9.0, 9.0]),
        "rew": MetricSeries([1, 2], [9.0, 11.0]),
        "test_reward": MetricSeries([1, 2], [10.0, 9.4]),
        "best_reward": MetricSeries([1, 2], [10.0, 10.0]),
    }


def test_text_overwritten_by_a_carriage_return_is_not_read() -> None:
    series = _feed_whole(b"loss=0.5\r 10%|#         |\nacc=0.5\r\nstep=3 acc=0.6\r\r\n")
    assert series == {"acc": MetricSeries([0, 3], [0.5, 0.6])}


def test_overlong_redraw_hides_the_metric_it_overwrote() -> None:
    # The visible text is the last redraw, too long to read: the earlier one must not count.
    assert _feed_whole(b"loss=0.1\r" + b"#" * (MAX_LINE_BYTES + 1) + b"\n") == {}


def test_endless_progress_bar_does_not_hide_the_metric_after_it() -> None:
    # Megabytes of redraws without a newline: memory stays bounded, the line still counts.
    redraws = b"\r 50%|#####     | 5/10" * 200_000
    assert _feed_whole(redraws + b"\repoch=1 loss=0.5\n") == {"loss": MetricSeries([1], [0.5])}


def test_partial_line_over_the_cap_is_dropped_until_newline() -> None:
    collector = MetricsCollector()
    collector.feed_output(b"loss=1 " * (MAX_LINE_BYTES // 7 + 10))
    collector.feed_output(b"loss=2 " * 10)
    collector.feed_output(b"\nloss=3\n")
    assert collector.series() == {"loss": MetricSeries([0], [3.0])}


def test_streams_have_their_own_line_buffers() -> None:
    collector = MetricsCollector()
    collector.feed_output(b"loss=", stream="stdout")
    collector.feed_output(b"warning: slow\n", stream="stderr")
    collector.feed_output(b"0.5\n", stream="stdout")
    assert collector.series() == {"loss": MetricSeries([0], [0.5])}


def test_last_line_without_newline_is_read_on_flush() -> None:
    collector = MetricsCollector()
    collector.feed_output(b"loss=0.1\nloss=0.2")
    assert collector.series()["loss"].values == [0.1]
    collector.flush_output()
    assert collector.series()["loss"].values == [0.1, 0.2]


_OUTPUT_LINES = st.sampled_from(
    [
        "epoch=1 loss=0.5",
        "loss=0.25, acc=0.9",
        '{"step": 4, "loss": 0.1}',
        "\x1b[32mval/loss=1e-3\x1b[0m",
        "  10%|#         | 1/10\r 20%|##        | 2/10\rstep=2 loss=0.4",
        "Setting lr=0.01 for the run",
        "损失=2.5",
        "loss=nan",
        "\r",
        "",
        "x" * 300,
    ]
)


@given(
    lines=st.lists(_OUTPUT_LINES, max_size=20),
    line_end=st.sampled_from(["\n", "\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=30),
)
@settings(deadline=None, max_examples=examples(200))
def test_chunk_boundaries_do_not_matter(lines: list[str], line_end: str, cuts: list[int]) -> None:
    data = line_end.join(lines).encode()
    whole = MetricsCollector()
    whole.feed_output(data)
    whole.flush_output()

    pieces = MetricsCollector()
    start = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        pieces.feed_output(data[start:cut])
        start = cut
    pieces.feed_output(data[start:])
    pieces.flush_output()

    assert _comparable(pieces.series()) == _comparable(whole.series())
    expected = [parse_metric_line(line) for line in lines]
    assert sum(len(p.values) for p in expected if p) == sum(
        len(s.values) for s in whole.series().values()
    )


def _comparable(series: dict[str, MetricSeries]) -> dict[str, tuple[list[int | float], list[str]]]:
    # NaN != NaN, so compare reprs of the values.
    return {name: (s.steps, [repr(v) for v in s.values]) for name, s in series.items()}


# --- the collector: metrics file ------------------------------------------------------------


def test_metrics_file_is_tailed_across_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    collector = MetricsCollector()
    collector.poll_metrics_file(path)  # not there yet: nothing, no error
    assert collector.series() == {}

    with path.open("ab") as file:
        file.write(b'{"step": 1, "loss": 0.5, "acc": 0.8}\n{"step": 2, "lo')
    collector.poll_metrics_file(path)
    assert collector.series() == {
        "loss": MetricSeries([1], [0.5]),
        "acc": MetricSeries([1], [0.8]),
    }

    with path.open("ab") as file:
        file.write(b'ss": 0.4}\n')
    collector.poll_metrics_file(path)
    collector.poll_metrics_file(path)  # nothing new: nothing read twice
    assert collector.series()["loss"] == MetricSeries([1, 2], [0.5, 0.4])


def test_metrics_file_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(
        b"not json\n"
        b"[1, 2]\n"
        b'{"loss": "high"}\n'
        b"\xff\xfe\n"
        b'{"loss": 0.3, "config": {"lr": 1}, "tags": ["a"], "ok": true}\n'
        b'{"loss": NaN}\n'
    )
    collector = MetricsCollector()
    collector.poll_metrics_file(path)
    loss = collector.series()["loss"]
    assert loss.steps == [0, 1]
    assert loss.values[0] == 0.3 and math.isnan(loss.values[1])


def test_final_poll_reads_a_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"loss": 0.1}\n{"loss": 0.2}')
    collector = MetricsCollector()
    collector.poll_metrics_file(path)
    assert collector.series()["loss"].values == [0.1]
    collector.poll_metrics_file(path, final=True)
    assert collector.series()["loss"].values == [0.1, 0.2]


def test_truncated_metrics_file_is_read_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"loss": 0.1}\n{"loss": 0.2}\n')
    collector = MetricsCollector()
    collector.poll_metrics_file(path)
    path.write_bytes(b'{"loss": 0.3}\n')
    collector.poll_metrics_file(path)
    assert collector.series()["loss"].values == [0.1, 0.2, 0.3]


def test_logged_params_are_deep_merged_later_wins(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    lines = [
        {"__params__": {"lr": 0.1, "model": {"depth": 12, "width": 256}}},
        {"__params__": {"lr": 0.01, "model": {"depth": 24}, "seed": 1}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    collector = MetricsCollector()
    collector.poll_metrics_file(path)
    assert collector.logged_params == {
        "lr": 0.01,
        "model": {"depth": 24, "width": 256},
        "seed": 1,
    }
    assert collector.series() == {}
    collector.logged_params["lr"] = 5  # a copy: the collector's own stays
    assert collector.logged_params["lr"] == 0.01


def test_explicit_metric_hides_the_printed_one(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n')
    collector = MetricsCollector()
    collector.feed_output(b"loss=0.5\nacc=0.7\nloss=0.4\n")
    collector.poll_metrics_file(path)
    assert collector.series() == {
        "loss": MetricSeries([1, 2], [0.5, 0.4]),
        "acc": MetricSeries([0], [0.7]),
    }
    assert collector.summaries()["loss"].last_step == 2


def test_a_logged_name_hides_the_printed_one_spelled_with_other_separators() -> None:
    """nanoGPT prints "train loss 4.2" and logs train/loss to wandb: one series, the logged."""
    collector = MetricsCollector()
    collector.feed_output(b"step 0: train loss 4.2874, val loss 4.2823\nVal-Acc: 0.5\n")
    collector.add({"train/loss": 4.28741, "val.loss": 4.28233}, step=0, source="wandb")
    collector.add({"val_acc_top5": 0.9}, step=0, source="wandb")
    assert set(collector.series()) == {"train/loss", "val.loss", "val_acc", "val_acc_top5"}
    assert set(collector.summaries()) == set(collector.series())


def test_add_records_values_at_steps() -> None:
    collector = MetricsCollector()
    collector.add({"loss": 1.0}, step=10, source="file")
    collector.add({"loss": 0.5})
    assert collector.series()["loss"] == MetricSeries([10], [1.0])  # explicit hides printed
    collector.add({"acc": 0.5})
    collector.add({"acc": 0.6})
    assert collector.series()["acc"] == MetricSeries([0, 1], [0.5, 0.6])


def test_feeding_from_several_threads() -> None:
    collector = MetricsCollector()

    def feed(stream: str) -> None:
        for i in range(2000):
            collector.feed_output(f"{stream}_loss={i}\n".encode(), stream=stream)

    threads = [threading.Thread(target=feed, args=(name,)) for name in ("stdout", "stderr")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    series = collector.series()
    assert series["stdout_loss"].values == [float(i) for i in range(2000)]
    assert series["stderr_loss"].values == [float(i) for i in range(2000)]


def test_number_of_metric_names_is_capped() -> None:
    collector = MetricsCollector(max_metrics=3)
    collector.feed_output(b"".join(f"m{i}=1\n".encode() for i in range(10)))
    assert sorted(collector.series()) == ["m0", "m1", "m2"]


# --- size and thinning ----------------------------------------------------------------------


def test_hundred_thousand_points_of_one_metric() -> None:
    collector = MetricsCollector()
    output = b"".join(f"step={i} loss={1 / (i + 1)!r}\n".encode() for i in range(100_000))
    collector.feed_output(output)
    loss = collector.series()["loss"]
    assert loss.steps == list(range(100_000))
    assert loss.values == [1 / (i + 1) for i in range(100_000)]
    summary = collector.summaries()["loss"]
    assert summary == MetricSummary(
        last=1 / 100_000,
        min=1 / 100_000,
        max=1.0,
        last_step=99_999,
        min_step=99_999,
        max_step=0,
        count=100_000,
    )
    stored = series_from_toml_dict(
        tomllib.loads(tomli_w.dumps(series_to_toml_dict({"loss": loss})))
    )
    assert stored["loss"] == loss


@pytest.mark.parametrize("points", [1, 9, 10, 11, 37, 100, 1001])
def test_thinning_keeps_points_evenly_spread_and_the_last(points: int) -> None:
    collector = MetricsCollector(max_points=10)
    for i in range(points):
        collector.add({"loss": float(i)}, step=i)
    loss = collector.series()["loss"]
    assert len(loss.values) <= 11
    assert loss.steps[0] == 0
    assert loss.steps[-1] == points - 1  # the last point is always kept
    assert loss.values == [float(step) for step in loss.steps]
    gaps = {b - a for a, b in zip(loss.steps[:-1], loss.steps[1:], strict=True)}
    stored_gaps = {b - a for a, b in zip(loss.steps[:-2], loss.steps[1:-1], strict=True)}
    assert len(stored_gaps) <= 1  # evenly spread, except the final kept point
    assert all(gap > 0 for gap in gaps)
    if points <= 10:
        assert loss.steps == list(range(points))


def test_summary_is_exact_even_when_series_is_thinned() -> None:
    collector = MetricsCollector(max_points=10)
    values = [5.0, 3.0, 8.0, -1.0, 4.0] + [2.0] * 200 + [9.5, 0.5]
    for value in values:
        collector.add({"loss": value})
    summary = collector.summaries()["loss"]
    assert summary == MetricSummary(
        last=0.5, min=-1.0, max=9.5, last_step=206, min_step=3, max_step=205, count=207
    )


# --- summaries ------------------------------------------------------------------------------


def test_summary_ignores_nan_and_ties_go_to_the_earliest() -> None:
    series = MetricSeries([0, 1, 2, 3, 4], [math.nan, 2.0, 1.0, 1.0, math.nan])
    summary = summarize(series)
    assert summary.min == 1.0 and summary.min_step == 2
    assert summary.max == 2.0 and summary.max_step == 1
    assert math.isnan(summary.last) and summary.last_step == 4
    assert summary.count == 5


def test_summary_of_all_nan_is_nan_at_the_last_step() -> None:
    summary = summarize(MetricSeries([0, 7], [math.nan, math.nan]))
    assert math.isnan(summary.min) and math.isnan(summary.max)
    assert summary.min_step == summary.max_step == summary.last_step == 7


def test_summary_counts_infinities() -> None:
    summary = summarize(MetricSeries([0, 1, 2], [1.0, math.inf, -math.inf]))
    assert (summary.min, summary.min_step, summary.max, summary.max_step) == (
        -math.inf,
        2,
        math.inf,
        1,
    )


def test_summary_of_empty_series_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        summarize(MetricSeries([], []))


def test_collector_summary_matches_summarize_of_its_series() -> None:
    collector = MetricsCollector()
    collector.feed_output(b"loss=3\nloss=nan\nloss=1\nloss=2\n")
    assert collector.summaries()["loss"] == summarize(collector.series()["loss"])


# --- metrics.toml ---------------------------------------------------------------------------


def test_toml_layout_matches_the_design() -> None:
    document = series_to_toml_dict({"loss": MetricSeries([0, 1], [0.5, 0.25])})
    text = tomli_w.dumps(document)
    assert "[series.loss]" in text
    assert tomllib.loads(text) == {"series": {"loss": {"step": [0, 1], "value": [0.5, 0.25]}}}


def test_integer_steps_stay_integers_and_mixed_become_floats() -> None:
    document = series_to_toml_dict(
        {"a": MetricSeries([0, 1], [1.0, 2.0]), "b": MetricSeries([0, 0.5], [1.0, 2.0])}
    )
    assert document["series"]["a"]["step"] == [0, 1]
    assert all(isinstance(step, int) for step in document["series"]["a"]["step"])
    assert all(isinstance(step, float) for step in document["series"]["b"]["step"])


def test_names_that_need_quoting_in_toml() -> None:
    series = {"val/loss": MetricSeries([0], [1.0]), "top-5 acc.": MetricSeries([1], [2.0])}
    text = tomli_w.dumps(series_to_toml_dict(series))
    assert series_from_toml_dict(tomllib.loads(text)) == series


@pytest.mark.parametrize(
    "document",
    [
        {"series": []},
        {"series": {"loss": {"step": [0, 1], "value": [1.0]}}},
        {"series": {"loss": {"step": [0]}}},
        {"series": {"loss": {"step": ["a"], "value": [1.0]}}},
        {"series": {"loss": 3}},
    ],
)
def test_malformed_metrics_toml_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="metrics.toml"):
        series_from_toml_dict(document)


def test_document_without_series_has_none() -> None:
    assert series_from_toml_dict({}) == {}


_floats = st.floats(allow_nan=True, allow_infinity=True)
_steps = st.one_of(
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=20),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=20),
)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.tuples(_steps, st.lists(_floats, max_size=20)),
        max_size=5,
    )
)
@settings(deadline=None)
def test_toml_round_trip(raw: dict[str, tuple[list[int | float], list[float]]]) -> None:
    series = {}
    for name, (steps, values) in raw.items():
        length = min(len(steps), len(values))
        series[name] = MetricSeries(steps[:length], values[:length])
    text = tomli_w.dumps(series_to_toml_dict(series))
    restored = series_from_toml_dict(tomllib.loads(text))
    assert restored.keys() == series.keys()
    for name, one in series.items():
        assert restored[name].steps == one.steps
        assert [type(step) for step in restored[name].steps] == [type(s) for s in one.steps]
        assert [repr(v) for v in restored[name].values] == [repr(v) for v in one.values]


def _bar_over_the_run(counts: range, total: int) -> str:
    return "".join(
        f"\rloss: {1 / (n + 1):.4f}: {100 * n // total:3d}%|{'#' * (10 * n // total):10s}| "
        f"{n}/{total} [00:01<00:02, 9.10it/s]"
        for n in counts
    )


def test_one_bar_over_the_run_is_read_at_each_count_in_bounded_memory() -> None:
    # denoising-diffusion-pytorch's Trainer: one bar, its description updated every step.
    total = 100_000
    collector = MetricsCollector(max_points=1000)
    for start in range(0, total, 10_000):
        collector.feed_output(_bar_over_the_run(range(start, start + 10_000), total).encode())
    collector.feed_output((_bar_over_the_run(range(total, total + 1), total) + "\n").encode())
    collector.flush_output()
    loss = collector.series()["loss"]
    assert len(loss.steps) <= 1000  # thinned evenly, as any long series
    assert loss.steps[0] == 0 and loss.steps[-1] == total
    assert loss.steps == sorted(loss.steps)
    assert loss.values[-1] == pytest.approx(1 / (total + 1), abs=1e-4)


def test_one_bar_over_the_run_goes_on_past_a_nested_bar_showing_no_metric() -> None:
    # The Trainer samples images every save_and_sample_every steps under a bar of its own.
    sampling = "".join(
        f"\n\rsampling loop time step: {10 * i}%|#  | {i}/10 [00:00<00:00, 99.0it/s]\x1b[A"
        for i in range(1, 11)
    )
    output = _bar_over_the_run(range(0, 3), 6) + sampling + _bar_over_the_run(range(3, 7), 6)
    series = _feed_whole((output + "\n").encode())
    assert series["loss"].steps == [0, 1, 2, 3, 4, 5, 6]


def test_a_bar_after_a_printed_step_or_one_per_epoch_counts_once_as_before() -> None:
    # Printed epochs give the step axis: a bar after them is one point at the last epoch.
    after_epochs = "epoch 2: val_loss=0.3\n" + _bar_over_the_run(range(0, 5), 4) + "\n"
    assert _feed_whole(after_epochs.encode())["loss"] == MetricSeries([2], [0.2])
    # One bar per epoch (its count starts again): each bar's last redraw, by order.
    epochs = _bar_over_the_run(range(0, 5), 4) + "\n" + _bar_over_the_run(range(0, 4), 3) + "\n"
    assert _feed_whole(epochs.encode())["loss"] == MetricSeries([0, 1], [0.2, 0.25])
