"""Every line of tests/corpus/output_formats.txt is read exactly as its "=" line says.

The corpus holds what real programs print (Keras, PyTorch examples, nanoGPT, XGBoost,
LightGBM, Hugging Face, Lightning, logging prefixes) and prose that must stay prose.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runledger.recording.capture.metrics import MetricsCollector, ParsedLine, parse_metric_line

CORPUS = Path(__file__).parent / "corpus" / "output_formats.txt"


@dataclass(frozen=True)
class Case:
    style: str
    line: str
    expected: ParsedLine | None


def _decode(text: str) -> str:
    return text.replace("\\t", "\t").replace("\\e", "\x1b").replace("\\b", "\b")


def _expected(text: str) -> ParsedLine | None:
    if text == "none":
        return None
    tokens = dict(token.split("=", 1) for token in text.split())
    raw_step = tokens.pop("step")
    step = None if raw_step == "-" else (float(raw_step) if "." in raw_step else int(raw_step))
    counter = None
    if "within" in tokens:
        done, total = tokens.pop("within").split("/")
        counter = (int(done), int(total))
    counted = None
    if "counted" in tokens:
        epoch, count, of = tokens.pop("counted").split("/")
        counted = (int(epoch), int(count), int(of))
    own = None
    if "counter" in tokens:
        done, total = tokens.pop("counter").split("/")
        own = (int(done), int(total))
    values = {name: float(value) for name, value in tokens.items()}
    if own is None:
        return ParsedLine(step, values, counter, counted)
    return ParsedLine(step, values, counter, counted, own)


def _cases() -> list[Case]:
    cases: list[Case] = []
    style, line = "", None
    for raw in CORPUS.read_text(encoding="utf-8").splitlines():
        if raw.startswith("## "):
            style = raw[3:]
        elif raw.startswith("> "):
            line = _decode(raw[2:])
        elif raw.startswith("= "):
            assert line is not None, f"an '=' line without its '>' line: {raw}"
            cases.append(Case(style, line, _expected(raw[2:])))
            line = None
    return cases


CASES = _cases()


def test_the_corpus_is_broad() -> None:
    styles = {case.style for case in CASES if case.expected is not None}
    prose = [case for case in CASES if case.expected is None]
    assert len(styles) >= 15
    assert len(prose) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.style}: {case.line[:60]}")
def test_each_corpus_line_gives_exactly_its_metrics(case: Case) -> None:
    assert parse_metric_line(case.line) == case.expected


def test_the_corpus_as_a_program_prints_it_gives_each_metric_its_series() -> None:
    collector = MetricsCollector()
    output = "".join(case.line + "\n" for case in CASES).encode()
    collector.feed_output(output[:1000])
    collector.feed_output(output[1000:])
    collector.flush_output()
    series = collector.series()
    assert series["eval_logloss"].values == [0.22646]
    # pytorch/examples mnist and gcn, "Test accuracy:", then Flax's mnist and its NNX MNIST
    # tutorial's "[test] step:", Equinox's, JAX's tutorial, Haiku's split record and its
    # mnist_pruning's line, the PyTorch Quickstart's "Test Error:" line
    mnist = [88.8889, 99.15]  # the percentage its count gives, not the whole one it prints
    mnist.append(98.0)  # Lightning Fabric's image_classifier: the percentage alone
    test_accuracy = [0.801, 0.8999, 100.0, 95.52284240722656, 0.10161226242780685, 0.9101]
    test_accuracy += [0.912, 0.905, 40.8]
    cifar = [54.0, 98.12, 54.2]  # the CIFAR-10 tutorial's "Accuracy of the network on the ..."
    assert series["test_accuracy"].values == mnist + test_accuracy + cifar
    assert "seed" not in series and "learning_rate" in series  # from the HF dict only
    # pipe tables, timm's "LR:" and "iter 100 loss 2.31 lr 0.0003" (after mmengine's and
    # fairseq's lines), not "Learning rate: 0.001"
    assert series["lr"].values[-5:] == [10.0, 0.01, 0.005, 0.0003, 0.0003]
    assert 0.001 not in series["lr"].values
    # MetricLogger's and imagenet's per-batch values (not their running averages), imagenet's
    # validation summary
    assert series["acc1"].values == [10.0, 0.0, 1.17] and series["val_acc1"].values == [1.02]


_NAMES = st.sampled_from(["loss", "val loss", "accuracy", "val_auc", "eval-logloss", "f1"])
_VALUES = st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda v: round(v, 4))


@given(
    step=st.integers(min_value=0, max_value=10**6),
    pairs=st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=4),
    shape=st.sampled_from(["step {s}: {p}", "[{s}]\t{p}", "Epoch {s}/99 - {p}", "iter {s}: {p}"]),
)
def test_any_step_and_values_round_trip_through_each_shape(
    step: int, pairs: dict[str, float], shape: str
) -> None:
    separator = "\t" if shape.startswith("[") else (" - " if "Epoch" in shape else ", ")
    body = separator.join(f"{name}: {value}" for name, value in pairs.items())
    parsed = parse_metric_line(shape.format(s=step, p=body))
    expected = {re.sub(r"[^\w./]+", "_", name): value for name, value in pairs.items()}
    assert parsed == ParsedLine(step, expected)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_text_without_a_digit_is_never_a_metric_line(text: str) -> None:
    parsed = parse_metric_line(text)
    # Only NaN and infinities are numbers without a digit.
    assert parsed is None or all(
        math.isnan(value) or math.isinf(value) for value in parsed.values.values()
    )


@given(st.text(max_size=300))
def test_any_text_parses_without_error(text: str) -> None:
    parse_metric_line(text)


def test_a_header_line_alone_gives_its_step_to_the_steps_less_lines_after_it() -> None:
    keras = (
        "Epoch 1/2\n"
        "469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 5ms/step - accuracy: 0.85 - loss: 0.47\n"
        "Epoch 2/2\n"
        "469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 5ms/step - accuracy: 0.9 - loss: 0.3\n"
        "step=7 loss=0.2\n"  # a step of its own wins
    )
    collector = MetricsCollector()
    collector.feed_output(keras.encode())
    collector.flush_output()
    series = collector.series()
    assert (series["loss"].steps, series["accuracy"].steps) == ([1, 2, 7], [1, 2])


def test_a_keras_bar_cut_short_by_a_print_mid_epoch_is_inside_its_epoch() -> None:
    """Keras 3's bar redraws itself with \\r and \\b; a callback's print mid-epoch ends the
    line with the bar where it stood (8/12). Keras' counter places it inside its epoch (1.667),
    not on the epoch's step; the epoch's finished bar (12/12) is at the epoch."""

    def bar(done: int, accuracy: float, loss: float, tail: str = "") -> str:
        return (
            f"\r\x1b[1m{done:>2}/12\x1b[0m \x1b[32m━━━━━━━━━━━━━\x1b[0m\x1b[37m━━━━━━━\x1b[0m "
            f"\x1b[1m0s\x1b[0m 8ms/step - accuracy: {accuracy:.4f} - loss: {loss:.4f}{tail}"
        )

    output = ""
    for epoch in (1, 2):
        output += f"Epoch {epoch}/2\n" + bar(1, 0.4, 0.9) + "\nbatch 5: halfway\n"
        output += bar(8, 0.45, 0.8) + "\b" * 40 + bar(8, 0.45, 0.8) + "\n"
        output += "Epoch 1: val_loss improved from None to 0.72852, saving model to m.keras\n"
        output += bar(12, 0.5, 0.7, f" - val_loss: {0.7 - epoch / 10:.4f}") + "\n"
    collector = MetricsCollector()
    collector.feed_output(output.encode())
    collector.flush_output()
    series = collector.series()
    inside = [0.083, 0.667, 1.0, 1.083, 1.667, 2.0]
    assert (series["loss"].steps, series["loss"].values) == (inside, [0.9, 0.8, 0.7] * 2)
    assert series["val_loss"].steps == [1, 2]
    assert series["accuracy"].steps == inside


def test_a_keras_bar_printed_again_after_a_print_at_the_epochs_end_counts_once() -> None:
    """A callback printing at the epoch's end (the TensorFlow tutorials' ``PrintLR``) cuts the
    finished bar before Keras redraws it with the validation values: one epoch, one point.
    Another fit's epochs (after ``Epoch 1/1`` again) go on after the earlier ones, and
    ``evaluate``'s bar is a test metric at the last epoch, as in-process capture records it."""

    def bar(values: str) -> str:
        return f"\r50/50 \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m 2ms/step - {values}"

    output = ""
    for epoch in (1, 2):
        output += f"Epoch {epoch}/2\n" + bar(f"loss: 0.{9 - epoch}000") + "\n"
        output += f"Learning rate for epoch {epoch} is 0.00100\n"
        output += bar(f"loss: 0.{9 - epoch}000 - val_loss: 0.{8 - epoch}000") + "\n"
    for _ in range(2):  # fit(epochs=1) in a loop: the same header, and its values each time
        output += "Epoch 1/1\n" + bar("loss: 0.5000 - val_loss: 0.4000") + "\n"
    output += bar("loss: 0.3000") + "\n"  # evaluate()
    collector = MetricsCollector()
    collector.feed_output(output.encode())
    collector.flush_output()
    series = collector.series()
    assert list(zip(series["loss"].steps, series["loss"].values, strict=True)) == [
        (1, 0.8), (2, 0.7), (3, 0.5), (4, 0.5)
    ]  # fmt: skip
    assert (series["test_loss"].steps, series["test_loss"].values) == ([4], [0.3])
    assert series["val_loss"].values == [0.7, 0.6, 0.4, 0.4]


def test_the_pytorch_quickstart_loop_places_each_batch_in_its_epoch_and_its_test_lines() -> None:
    """The PyTorch Quickstart tutorial (and its Optimization chapter) prints an ``Epoch 1``
    header, ``loss: ...  [ done/size]`` per 100 batches, then ``Test Error:`` and the
    test set's `` Accuracy: 40.8%, Avg loss: 2.21`` on the next line. The batches sit at the
    fraction of their epoch; the test values are the test set's, at their epoch."""
    output = ""
    for epoch, losses, accuracy, test_loss in (
        (1, (2.31, 2.29), 30.8, 2.26),
        (2, (2.27, 2.25), 40.8, 2.21),
    ):
        output += f"Epoch {epoch}\n-------------------------------\n"
        for batch, loss in enumerate(losses):
            output += f"loss: {loss:>7f}  [{batch * 6400:>5d}/12800]\n"
        output += f"Test Error: \n Accuracy: {accuracy:>0.1f}%, Avg loss: {test_loss:>8f} \n\n"
    output += "Done!\nAccuracy: 0.75\n"  # a phase names only the line right after it
    collector = MetricsCollector()
    collector.feed_output(output.encode())
    collector.flush_output()
    series = collector.series()
    assert series["loss"].steps == [0.0, 0.5, 1.0, 1.5]
    assert series["loss"].values == [2.31, 2.29, 2.27, 2.25]
    assert series["test_accuracy"].steps == [1, 2]
    assert series["test_accuracy"].values == [30.8, 40.8]
    assert series["test_avg_loss"].values == [2.26, 2.21]
    assert series["accuracy"].values == [0.75]
    assert "avg_loss" not in series


def test_a_printed_dict_with_a_value_that_is_not_finite_gives_all_its_metrics() -> None:
    # GluonTS's Evaluator: print(agg_metrics) shows NumPy scalars and OWA's float nan bare.
    line = (
        "{'MSE': np.float64(602.8771565755209), 'abs_error': np.float64(222.748), "
        "'MASE': np.float64(1.5468), 'QuantileLoss[0.5]': np.float64(222.748), "
        "'Coverage[0.5]': np.float64(0.5), 'RMSE': np.float64(24.5535), 'OWA': nan}"
    )
    parsed = parse_metric_line(line)
    assert parsed is not None and parsed.step is None
    assert parsed.values["MSE"] == 602.8771565755209 and parsed.values["RMSE"] == 24.5535
    assert parsed.values["QuantileLoss[0.5]"] == 222.748 and math.isnan(parsed.values["OWA"])
    # a not-finite value as a NumPy or torch scalar, and an infinity, read alike
    shown = parse_metric_line("{'loss': np.float32(nan), 'grad_norm': inf, 'epoch': 1.0}")
    assert shown is not None and shown.step == 1.0
    assert math.isnan(shown.values["loss"]) and shown.values["grad_norm"] == math.inf
    assert parse_metric_line("{'name': 'nan', 'epoch': 1}") is None  # text stays text
