"""Metrics of a run, read from its output and from its metrics file.

What counts as a metric line in the command's output (docs/reference.md, "What is read from
the output"). A line is read, after ANSI escapes and a logging prefix are removed, as the
user's own ``[metrics] patterns`` first, then as one of these, then as one of the shapes real
programs print (Keras, PyTorch examples, nanoGPT, XGBoost, ...: see ``output_formats``):

* A line made only of ``name=value`` tokens, separated by whitespace and/or commas, every
  value a number: ``epoch=3 loss=0.25 acc=0.91`` or ``loss=0.25, acc=0.9``. Names start with
  a letter (any script) or ``_`` and go on with letters, digits, ``_ . / -`` (``val/loss``,
  ``train.acc``). Values are integers, decimals, scientific notation, ``nan``, ``inf``,
  ``-inf`` (any case), or one of these in brackets (a one-element numpy array as printed:
  CleanRL's ``episodic_return=[22.]``). A token that is not ``name=number`` (a word,
  ``12s``) makes the line prose, not metrics: ``Setting lr=0.01 for the run`` records nothing.
* A tqdm bar (``epoch 3: 100%|#####| 10/10 [00:01<00:00, 9.1it/s, loss=0.3]``) counts once,
  as its loop ended: its description's step and metrics and its postfix's metrics
  (``set_postfix``, ``set_postfix_str``, ``set_description``), at the line it was left on
  when it closed, or the last redraw of a nested bar (``MetricsCollector._add_tqdm_bar``).
* A line that is a JSON object whose values are all scalars (number, string, boolean, null)
  with at least one number: the numbers are metrics; strings, booleans and nulls are ignored
  (``{"phase": "train", "loss": 0.3}`` records loss). A nested object or array makes the line
  a data dump, not metrics, and it is ignored whole. Booleans are never metrics.
* The step: a ``step``, ``global_step``, ``iteration`` or ``epoch`` field (any case) on the line,
  in that order of priority. The one chosen is the step and not a metric; the others on the same
  line are recorded as metrics (``step=100 epoch=2 loss=0.3`` gives ``epoch`` as a metric at step
  100). A step that is not a finite number is dropped. A per-batch line whose step is its epoch
  (``Train Epoch: 1 [320/60000 (1%)]``, ``| epoch 1 | 200/2983 batches |``) is placed at the
  fraction of epochs done (``MetricsCollector._position``), and so is a line whose step counter
  restarts every epoch (``Epoch [2/5], Step [100/600]``: ``MetricsCollector._hold``,
  ``_add_counted``) and a Keras bar under an ``Epoch N/M`` header, by Keras' own counter
  (``_add_keras_bar``). A line without a step takes the step of the last header or stepped line
  printed before it (``MetricsCollector._add_stepless``); before any, its step is the number of
  values that metric had before (0, 1, 2, ...), except that one such value goes just before the
  first step it would reach (``_move_unheaded``).
* A config object printed one field a line is settings, not metrics: after a line ending in
  ``Name(`` (Hugging Face's ``TrainingArguments(``), the ``field=value,`` lines up to ``)``
  are not read.
* Only the text after the last carriage return counts (progress bars redraw with ``\\r``);
  a trailing ``\\r`` as in ``\\r\\n`` line ends is not a redraw. ANSI escapes are removed.
  Lines longer than 64 KiB are skipped unread; undecodable bytes become U+FFFD.

Lines of the metrics file (``RUNLEDGER_METRICS_FILE``, written by ``runledger.log`` or by any
program) are JSON objects read the same way, except that non-numeric values of any kind,
nested ones included, are ignored rather than disqualifying. ``{"__params__": {...}}`` lines
carry params from ``runledger.log_params``. A line that is not a JSON object is skipped.
Lines with a ``_runledger`` key come from the in-process capture (runledger/recording/
autocapture): ``"metrics"`` lines are read as metrics; ``"params"`` lines give a source's
params (a later line of one source replaces the earlier); ``"used"`` lines name the packages
the program imported; ``"fact"`` and ``"capture_error"`` lines are kept for the record; any
other kind (``"trial"``) is not a metric and is left to whoever reads it. Metrics and params
lines of a tracker run (``"_tracker_run": "wandb:2"``, with ``"tracker_run"`` lines about it)
are kept apart by run: a tracker's only run is the run's own, two or more are its children
(:meth:`MetricsCollector.tracker_runs`).

When a metric arrives both from the output and from the metrics file or :meth:`add` (a script
that prints ``loss=...`` and calls ``runledger.log``), the explicit source wins and the
printed values of that metric are not used, so the series is not doubled. Names that differ
only in case and separators are one metric there (:func:`series_key`): ``train loss 0.31``
printed and ``train/loss`` logged to wandb, MLflow or TensorBoard keep the logged series. The
same holds for a printed metric named otherwise than the explicit one when both measure the
same thing in the same phase with the same values as printed (``Loss: 0.25`` read as
``train_loss``, and ``add_scalar("Loss/train", ...)``): see
``MetricsCollector._printed_twice``.
"""

from __future__ import annotations

import bisect
import copy
import decimal
import functools
import json
import math
import os
import re
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from runledger.api import PARAMS_KEY
from runledger.recording.capture.lazyre import bind, compile_later
from runledger.recording.capture.output_formats import (
    BOX_STARTS,
    IMBALANCED_AVERAGE,
    METRIC_WORDS,
    PHASES,
    PROGRESS_SUFFIX_MARK,
    TqdmBar,
    boxed_cells,
    cma_drawn_lines,
    column_cells,
    column_header,
    column_row,
    column_spans,
    dash_rule_columns,
    dash_table_row,
    detection_header,
    detection_row,
    fairseq_json_fields,
    fold_table_header,
    fold_table_row,
    has_metric_word,
    header_step,
    is_box_rule,
    is_cma_table,
    is_progress_header,
    is_progress_suffix,
    is_report_header,
    is_results_border,
    is_results_title,
    is_settings_dump,
    is_table_border,
    is_trial_summary_title,
    method_table_header,
    method_table_row,
    metric_above,
    names_global_step,
    parse_shaped_line,
    phase_line,
    progress_row,
    python_dict_fields,
    relative_time_prefix,
    report_row,
    results_statistics,
    split_fields,
    split_phase,
    strip_logging_prefix,
    table_row,
    table_step,
    text_after_bar,
    tqdm_bar,
    unwrap_scalar_reprs,
    value_below,
    with_phase,
)
from runledger.safetext import drawn_over

if TYPE_CHECKING:
    from runledger.recording.capture.results_frames import Frame

Step = int | float

MAX_LINE_BYTES: Final = 64 * 1024
MAX_PLACED: Final = 1000  # step-less points remembered with the stepped line before them
MAX_BAR_STATES: Final = 16  # tqdm bars remembered per stream (their last draw)
# Lines of a bar that may be the run's only one (_LongBar), kept until that is known; more
# and it is read as any other bar.
MAX_LONG_BAR_LINES: Final = 1000
# Params lines (a whole config) can be far longer than any metric line.
MAX_FILE_LINE_BYTES: Final = 16 * 1024 * 1024
# Per metric and source: 3.2 MB of memory and a few MB of metrics.toml at most.
# Beyond it the series is thinned to every other point, then every fourth, and so on.
DEFAULT_MAX_POINTS: Final = 200_000
# A program printing a new name on every line must not grow the run without bound.
DEFAULT_MAX_METRICS: Final = 1_000

STEP_KEYS: Final = ("step", "global_step", "iteration", "epoch")
INPROCESS_KEY: Final = "_runledger"
# The tracker run (``wandb:2``) an in-process metrics or params line belongs to.
TRACKER_RUN_KEY: Final = "_tracker_run"
MAX_TRACKER_RUNS: Final = 1_000
# The Optuna trial (its number) an in-process metrics line was reported in, by its objective.
TRIAL_KEY: Final = "_trial"
# A ``"trial"`` record in one of these states is a child run (recording/children.py).
FINISHED_TRIAL_STATES: Final = ("COMPLETE", "PRUNED", "FAIL")
MAX_CAPTURE_ERRORS: Final = 20
MAX_LOGGER_FOLDERS: Final = 1000
MAX_SAVED_PATHS: Final = 1000
MAX_ALIASES: Final = 2000
MAX_TABLE_ROWS: Final = 1000
MAX_DASH_HEADER: Final = 1000  # a table header's length at most (spaCy's: one per component)
OUTPUT_SOURCE: Final = "output"
_SEPARATORS_RE: Final = compile_later(r"[\W_]+")
FILE_SOURCE: Final = "file"

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_FILE_READ_CHUNK: Final = 1024 * 1024

_ANSI_RE: Final = compile_later(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles, hyperlinks
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
)
_NAME = r"[^\W\d][\w./-]*"
_NUMBER = r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|infinity|inf)"
# A value is a number, or one in brackets: a one-element numpy array as printed (CleanRL's
# ``episodic_return=[22.]``).
_PAIR = rf"{_NAME}=(?i:{_NUMBER}|\[\s*{_NUMBER}\s*\])"
# One pass in C decides whether the whole line is name=number tokens; a second picks them out.
_KEY_VALUE_LINE_RE: Final = compile_later(rf"[\s,]*{_PAIR}(?:[\s,]+{_PAIR})*[\s,]*")
_KEY_VALUE_PAIR_RE: Final = compile_later(rf"({_NAME})=\[?\s*((?i:{_NUMBER}))")
_INTEGER_RE: Final = compile_later(r"[+-]?[0-9]+")
_NUMBER_RE: Final = compile_later(_NUMBER, re.IGNORECASE)
_NAN_INF_RE: Final = compile_later(r"\b(?:nan|inf)", re.IGNORECASE)
_LINE_END_RE: Final = compile_later(rb"[\r\n]")
# A config object printed one field a line, as Hugging Face's TrainingArguments prints itself
# (``logger.info(f"Training/evaluation parameters {training_args}")``): a line ending in
# ``Name(``, then ``field=value,`` lines, then ``)``. Its fields are settings, not metrics.
# A model printed so nests them: Flax NNX's ``nnx.display(model)`` (without treescope) and
# Equinox's ``print(model)`` open ``conv1=Conv( # Param: 320 (1.3 KB)`` or ``layers=[``
# inside, close with ``),`` / ``],``, and a level's last field has no comma.
_LISTING_OPEN_RE: Final = compile_later(r"(?:^|[\s:=])[^\W\d]\w*\((?:\s*#.*)?$")
# scikit-learn's repr of a model too long for a line (print(search.best_estimator_), FLAML's
# "retrained model: ...") opens with its first arguments, its others aligned below it:
#     RandomForestClassifier(criterion='gini', max_features=0.758,
#                            max_leaf_nodes=4, n_estimators=4, random_state=1)
_CALL_OPEN_RE: Final = compile_later(r"(?:^|[\s:=])[^\W\d]\w*\([^\W\d]\w*=")
_LISTING_NESTED_OPEN_RE: Final = compile_later(
    r"(?:[^\W\d][\w.]*=)?(?:[^\W\d][\w.]*\((?:\s*#.*)?|[\[({])"
)
_LISTING_ITEM_RE: Final = compile_later(r"[^\W\d][\w.]*\(.*\),?")  # Dropout(p=0.1),
_LISTING_CLOSE_RE: Final = compile_later(r"[)\]}],?")
_LISTING_FIELD_RE: Final = compile_later(r"[^\W\d][\w.]*=.*,")
_LISTING_LAST_FIELD_RE: Final = compile_later(r"[^\W\d][\w.]*=.*")
MAX_LISTING_LINES: Final = 10_000
# Output lines held while it is not yet known whether a step counter printed with its epoch
# restarts every epoch (MetricsCollector._hold): past this, the printed total decides.
MAX_HELD_LINES: Final = 20_000


@dataclass(slots=True)
class ParsedLine:
    """The metrics of one line: its step (None: by order) and metric name -> value.

    ``within``: for a per-batch line whose step is its epoch, the ``(done, total)`` of its
    counter (``Train Epoch: 1 [320/60000 (1%)]``, ``| epoch 1 | 200/2983 batches |``); the
    collector places the point that far into the epoch (:meth:`MetricsCollector._position`).
    For a line without a step, Keras' own counter (``8/12 ━━━━``: ``_add_keras_bar``).
    ``counted``: ``(epoch, step, total)`` of a line whose step counter is printed with its
    epoch (``Epoch [1/5], Step [100/600]``): ``_add_counted``.
    ``counter``: a line without a step that ends in its own ``[done/total]`` counter
    (``loss: 2.30  [ 6400/60000]``): how far into the epoch of the last header it is.

    Not frozen: one is made for every metric line, and a frozen dataclass sets each field
    through ``object.__setattr__``, a microsecond a line; nothing changes one.
    """

    step: Step | None
    values: dict[str, float]
    within: tuple[int, int] | None = None
    counted: tuple[int, int, int] | None = None
    counter: tuple[int, int] | None = None


@dataclass(frozen=True)
class MetricSeries:
    """One metric over a run, in arrival order.

    ``times``: seconds since the run started at which each point arrived (empty when not
    known); points from the metrics file are seen when it is polled, up to half a second late.
    """

    steps: list[Step]
    values: list[float]
    times: list[float] = field(default_factory=list, compare=False)
    source: str | None = field(default=None, compare=False)  # the file it was read from


@dataclass(frozen=True)
class MetricSummary:
    """Last, lowest and highest value of a metric, each with its step.

    NaN is ignored by min and max; when every value is NaN they are NaN too, at the last
    step. Ties go to the earliest point. ``count`` is every value received, thinned or not.
    """

    last: float
    min: float
    max: float
    last_step: Step
    min_step: Step
    max_step: Step
    count: int


# --- one line -------------------------------------------------------------------------------


def _has_column_word(line: str) -> bool:
    """Whether ``line`` may be a column table's header: its first name is one of these, and
    two blanks part the names (``column_header``). Where the text shown starts is plain (no
    carriage return, no escape), its first character decides at once: a line of prose, or a
    gigabyte of them, is not scanned for each word."""
    if "\r" not in line and "\x1b" not in line:
        if line.lstrip()[:1] not in _COLUMN_STARTS or ("  " not in line and "\t" not in line):
            return False
    return (
        "poch" in line
        or "tep" in line
        or "ter" in line
        or "POCH" in line
        or "TEP" in line
        or "horizon" in line
    )  # epoch, Epoch, step, Step, iter, Iter, EPOCH, STEP (and iteration); Prophet's horizon


def _ends_in_a_name(text: str) -> bool:
    """Whether ``text`` is a metrics line cut after a name, before its value: rich (and any
    console that wraps at its width; 80 columns into a pipe) broke ``epoch 1: ...,
    val_acc: 0.8134`` at the blank after ``val_acc:``."""
    if ":" not in text[-4:] or "\r" in text:
        return False  # most lines, at a glance
    shown = text.rstrip()
    if shown[-1:] != ":" or not shown[-2:-1].isalnum() or not _has_digit(shown):
        return False
    return _VALUE_BEFORE_RE.search(shown) is not None  # not a header: "Epoch 1:"


def _ends_at_a_wrap(text: str) -> bool:
    """Whether ``text`` may be a line a console wrapped at a blank: rich keeps the one blank
    it broke the line at (``... val_acc 0.8134 `` then ``lr 0.001``). A long line only, with
    a number: the next line decides (``MetricsCollector._continues``)."""
    return (
        text[-1:] == " "
        and text[-2:-1] != " "
        and len(text) > _WRAP_MIN_WIDTH
        and "\r" not in text
        and _has_digit(text)
    )


_WRAP_MIN_WIDTH: Final = 40
# A pair opening a line; a step's ("epoch 2: ...") opens a line of its own.
_OPENS_WITH_A_PAIR_RE: Final = compile_later(
    r"(?!(?i:epoch|step|iter|batch))[^\W\d][\w./-]*[:=]? ?[-+]?\.?[0-9]"
)


def _continues_a_value(text: str) -> bool:
    """Whether ``text`` opens with a number: the value the line before it ended without."""
    return text[:1] in _VALUE_STARTS and (text[:1].isdigit() or text[1:2].isdigit())


_VALUE_STARTS: Final = frozenset("0123456789-+.")
_VALUE_BEFORE_RE: Final = compile_later(r"\w[:=] ?[-+]?\.?[0-9]")


# column_header's first word: epoch, step, iter; Prophet's horizon
_COLUMN_STARTS: Final = frozenset("eEsSiIh")


_STEP_DICT_RE: Final = compile_later(
    r"(?:epoch|step|iter|iteration)\s*:?\s*(?P<n>[0-9]+)\s*:\s*(?P<dict>\{.*\})", re.IGNORECASE
)


def _has_digit(text: str) -> bool:
    """Whether ``text`` holds an ASCII digit. Ten substring scans (each a memchr) take a
    tenth of a regular expression's search on a long line without one: a program printing a
    gigabyte of prose has every line checked."""
    return (
        "0" in text or "1" in text or "2" in text or "3" in text or "4" in text
        or "5" in text or "6" in text or "7" in text or "8" in text or "9" in text
    )  # fmt: skip


def parse_metric_line(line: str, patterns: Sequence[re.Pattern[str]] = ()) -> ParsedLine | None:
    """The metrics a line of output carries, or None when it is not a metric line.

    ``patterns``: the user's own (``.runledger.toml [metrics] patterns``), tried first; their
    named groups are metric names (a group named ``step`` gives the step).
    """
    text = _shown_text(line)
    if text is None:
        return None
    if patterns:
        found = _user_pattern_fields(text, patterns)
        if found is not None:
            return _to_parsed_line(found)
    if not text:
        return None
    if not _has_digit(text) and "=" not in text and text[0] != "{":
        if ("n" not in text and "N" not in text) or not _NAN_INF_RE.search(text):
            return None  # most prose: no number at all
    return _builtin_line(strip_logging_prefix(text))


def parse_header_step(line: str) -> Step | None:
    """The step a header line alone gives (``Epoch 2/10``) to the step-less lines after it."""
    text = _visible_text(line)
    if len(text) > MAX_LINE_BYTES or not _has_digit(text):
        return None
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    step = header_step(strip_logging_prefix(text.strip()))
    return None if step is None else _normalize_step(step)


def _builtin_line(text: str) -> ParsedLine | None:
    if not text:
        return None
    text = unwrap_scalar_reprs(text)  # f"{step=} {loss=}" of a jax.Array: loss=Array(0.5, ...)
    if text[0] == "{":
        fields = _dict_fields(text)
        if fields is None or (text[:2] == "{'" and _is_printed_choice(fields)):
            return None
        return _to_parsed_line(fields)
    if text[-1] == "}" and text[0] in "eEsSiI":
        return _step_and_dict(text)
    if "=" in text:
        fields = _key_value_fields(text)
        if fields is not None:  # the classic shape: a whole line of name=number tokens
            return _to_parsed_line(fields)
    return _shaped(text)


def _dict_fields(text: str) -> dict[str, Step] | None:
    fields = _json_object_fields(text)
    if fields is None and text.startswith("{'"):
        fields = python_dict_fields(text)
    return fields


def _is_printed_choice(fields: Mapping[str, Step]) -> bool:
    """Whether a printed Python dict of numbers is a choice of settings, not metrics: no
    step, and no name of a metric. ``print(search.best_params_)`` (``{'C': 10, 'gamma':
    0.001}``), hyperopt's ``print(fmin(...))`` (``{'x': np.float64(3.0)}``), Optuna's
    ``study.best_params``."""
    return _step_key(fields) is None and not any(map(has_metric_word, fields))


def _step_and_dict(text: str) -> ParsedLine | None:
    """``epoch 0: {'accuracy': 0.45}``: a step, then a dict of metrics (Hugging Face's
    ``*_no_trainer.py`` examples log ``f"epoch {epoch}: {eval_metric}"``)."""
    match = _STEP_DICT_RE.fullmatch(text)
    if match is None:
        return None
    fields = _dict_fields(match["dict"])
    if not fields or _step_key(fields) is not None:
        return None
    parsed = _to_parsed_line(fields)
    return None if parsed is None else replace(parsed, step=int(match["n"]))


def _shaped(text: str) -> ParsedLine | None:
    shaped = parse_shaped_line(text)
    if shaped is None:
        return None
    floats = {name: _as_float(value) for name, value in shaped.values.items()}
    step = None if shaped.step is None else _normalize_step(shaped.step)
    return ParsedLine(
        step=step,
        values=floats,
        within=shaped.within,
        counted=shaped.counted,
        counter=shaped.counter,
    )


def _user_pattern_fields(text: str, patterns: Sequence[re.Pattern[str]]) -> dict[str, Step] | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match is None:
            continue
        fields: dict[str, Step] = {}
        for name, raw in match.groupdict().items():
            if raw is not None and _NUMBER_RE.fullmatch(raw.strip()):
                fields[name] = _parse_number(raw.strip())
        if fields:
            return fields
    return None


# The rules of dashes around a printed block of options (_in_options_block).
_OPTIONS_RULE_RE: Final = compile_later(
    r"-{3,} *(?P<title>options|arguments|args|config|configs|configuration|settings"
    r"|hyper-?parameters|parameters|params|end) *-{3,}",
    re.IGNORECASE,
)
MAX_OPTIONS_LINES: Final = 500
_OPTION_LINE_RE: Final = compile_later(r"[\w.\-\[\]]+:(?: .*)?")
# A heading of a printed block of settings: "Params:", "Best params:", "Hyperparameters:".
_SETTINGS_HEADING_RE: Final = compile_later(
    r"(?:best[ _])?(?:hyper-?)?(?:params|parameters|settings|arguments|args)\s*:",
    re.IGNORECASE,
)


def _visible_text(line: str) -> str:
    """What a terminal shows of the line: the text after the last carriage return."""
    line = line.rstrip("\r\n")
    line = line[line.rfind("\r") + 1 :]
    return _drawn_over(line) if "\b" in line else line


def _drawn_over(line: str) -> str:
    """The line as drawn, where the program backs its cursor up and writes over it; a bare
    ``N/M`` counter written so at its end is no part of it: kuangliu's ``progress_bar``
    (pytorch-cifar, copied into many repositories) pads its message to the terminal's width,
    backs up to the middle of its bar and writes `` 5/391 `` there, or inside the message on
    a terminal narrower than the line."""
    overlay = _BACKSPACED_COUNTER_RE.search(line)
    if overlay is not None and "\b" not in line[: overlay.start()]:
        return line[: overlay.start()]
    return drawn_over(line)


_BACKSPACED_COUNTER_RE: Final = compile_later(r"\x08+ *[0-9]+/[0-9]+ *\Z")


def _unstripped_text(line: str) -> str:
    """The visible text without colour codes, its blanks kept (a table's columns are where
    the terminal shows them)."""
    text = _visible_text(line)
    return _ANSI_RE.sub("", text) if "\x1b" in text else text


_Layout = TypeVar("_Layout")  # what a table's header says of its rows (_in_headed_table)


def _tabbed_header(text: str) -> tuple[str, ...] | None:
    return method_table_header(text) if "\t" in text else None


def _shown_text(line: str) -> str | None:
    """The visible text without colour codes and outer blanks; None for a line too long to
    read (MAX_LINE_BYTES)."""
    text = _visible_text(line)
    if len(text) > MAX_LINE_BYTES:
        return None
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    return text.strip()


def _key_value_fields(text: str) -> dict[str, Step] | None:
    if not _KEY_VALUE_LINE_RE.fullmatch(text):
        return None
    return {name: _parse_number(raw) for name, raw in _KEY_VALUE_PAIR_RE.findall(text)}


def _parse_number(raw: str) -> Step:
    if "." not in raw and _INTEGER_RE.fullmatch(raw):
        try:
            return int(raw)
        except ValueError:  # beyond Python's limit on digits in int()
            pass
    return float(raw)


def _json_object_fields(text: str) -> dict[str, Step] | None:
    decoded = _decode_json_object(text)
    if decoded is None:
        return None
    if any(isinstance(value, (dict, list)) for value in decoded.values()):
        return None
    fairseq = fairseq_json_fields(decoded)
    if fairseq is not None:
        return fairseq
    phase = split_phase(decoded)
    if phase:
        return split_fields(decoded, phase)
    if is_settings_dump(decoded):
        return None  # print(json.dumps(vars(args))): the program's settings
    return _numeric_json_fields(decoded)


# A metrics-file line with this key is a record of its own kind (e.g. an in-process search's
# trial, see recording/children.py), not metrics.
RECORD_KEY = "_runledger"
MAX_RECORDS = 100_000


def _decode_json_object(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _numeric_json_fields(decoded: Mapping[str, Any]) -> dict[str, Step]:
    return {
        key: value
        for key, value in decoded.items()
        if key and isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def _to_parsed_line(fields: dict[str, Step]) -> ParsedLine | None:
    step_key = _step_key(fields)
    step = _normalize_step(fields.pop(step_key)) if step_key is not None else None
    values = {name: _as_float(value) for name, value in fields.items()}
    return ParsedLine(step=step, values=values) if values else None


def _step_key(fields: Mapping[str, Step]) -> str | None:
    by_lower = {name.lower(): name for name in fields}
    for candidate in STEP_KEYS:
        if candidate in by_lower:
            return by_lower[candidate]
    return None


def series_key(name: str) -> str:
    """What makes two metric names one series: case, and separators as one underscore.

    A program that prints ``train loss 0.31`` (read as ``train_loss``) and logs ``train/loss``
    to wandb, MLflow or TensorBoard reports one metric: the logged name and values are kept.
    """
    return _SEPARATORS_RE.sub("_", name.lower()).strip("_")


def _normalize_step(step: Step) -> Step | None:
    """Finite steps only; integers past TOML's 64 bits become floats."""
    if isinstance(step, int):
        return step if _INT64_MIN <= step <= _INT64_MAX else _normalize_step(_as_float(step))
    return step if math.isfinite(step) else None


def _as_float(value: Step) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer past 1e308
        return math.inf if value > 0 else -math.inf


# --- a stream of bytes into lines -----------------------------------------------------------


class _ErasedLine(bytes):
    """Text the program drew and then erased before ending its line: blanks written over it
    (``\\r`` and spaces, as a tqdm bar with ``leave=False`` closes, or as ``tqdm.write``
    clears the bar to print above it) or an erase-line escape (``\\x1b[2K``).

    ``first``: the first text drawn since the line began or was last erased (a bar's first
    draw: a new bar's, or the same bar's redraw after ``tqdm.write``). An empty one is blanks
    over nothing, or over a row the cursor left (a bar drawn below another ends with a
    cursor-up): a clear, as ``tqdm.write`` clears every bar before it prints."""

    first: bytes = b""


class _RedrawLine(bytes):
    """A tqdm bar's redraw that the next one replaced on the same line (``\\r``): no line of
    the output, but what the bar showed at its count then (:class:`_LongBar`)."""


# Blanks or ANSI erase-line escapes, with cursor moves or not: the segment erases the line
# (cursor moves alone do not).
_ERASING_RE: Final = compile_later(rb"(?:[ \t]|\x1b\[[0-9;]*[ABCDGKJ])*")
_ERASES_RE: Final = compile_later(rb"[ \t]|\x1b\[[0-9;]*[KJ]")
_CURSOR_UP_BYTES: Final = b"\x1b[A"
_ERASING_STARTS: Final = (b" ", b"\t", b"\x1b")  # what a line _ERASING_RE matches starts with


class _LineSplitter:
    """Cuts a byte stream into lines, keeping of each only the text after its last ``\\r``.

    Works segment by segment (between ``\\r`` and ``\\n``), so memory stays bounded by
    ``max_bytes`` even when a progress bar redraws for hours without a newline. A segment
    longer than ``max_bytes`` is dropped, and with it the line if it is the visible text.
    With ``erased``, text erased by a later segment of blanks (:class:`_ErasedLine`) is
    given as a line of its own: a tqdm bar closed with ``leave=False`` shows nothing at the
    end, but its last redraw held the loop's metrics. With ``redraws``, a tqdm bar's redraw
    that a later one replaced (:class:`_RedrawLine`) is given too.
    """

    def __init__(self, max_bytes: int, *, erased: bool = False, redraws: bool = False) -> None:
        self._max_bytes = max_bytes
        self._erased = erased
        self._redraws = redraws
        self._segment = bytearray()
        self._segment_too_long = False
        self._visible: bytes | None = None  # last non-empty segment; b"" when too long
        self._first: bytes | None = None  # the first one since the line began or was erased

    def feed(self, data: bytes) -> list[bytes]:
        if b"\r" in data:
            return self._feed_segments(data)
        # No carriage return: after the open line ends, each line is one segment, read
        # without the per-segment bookkeeping (a program printing a gigabyte of lines).
        end = data.find(b"\n")
        if end < 0:
            self._extend_segment(data)
            return []
        lines = self._feed_segments(data[: end + 1])
        pieces = data[end + 1 :].split(b"\n")
        self._extend_segment(pieces.pop())
        for piece in pieces:
            if not piece or len(piece) > self._max_bytes:
                continue
            if (
                self._erased
                and piece[:1] in _ERASING_STARTS
                and _ERASING_RE.fullmatch(piece)
                and _ERASES_RE.search(piece)
            ):
                lines.append(_ErasedLine(b""))  # blanks over nothing, as _end_segment says
            else:
                lines.append(piece)
        return lines

    def _feed_segments(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        start = 0
        for match in _LINE_END_RE.finditer(data):
            self._extend_segment(data[start : match.start()])
            erased = self._end_segment()
            if erased is not None:
                lines.append(erased)
            if match.group() == b"\n":
                lines.extend(self._end_line())
            start = match.end()
        self._extend_segment(data[start:])
        return lines

    def flush(self) -> list[bytes]:
        """The unfinished last line, as if a newline had come."""
        erased = self._end_segment()
        return ([erased] if erased is not None else []) + self._end_line()

    def _extend_segment(self, data: bytes) -> None:
        if self._segment_too_long or not data:
            return
        if len(self._segment) + len(data) > self._max_bytes:
            self._segment_too_long = True
            self._segment.clear()
            return
        self._segment += data

    def _end_segment(self) -> bytes | None:
        """Ends a segment; returns the text it erased, when it is blanks over text, or the
        tqdm bar it replaced (with ``redraws``)."""
        erased: bytes | None = None
        if self._segment_too_long:
            self._visible = b""
        elif self._segment:
            visible = self._visible
            segment = self._segment
            if self._erased and _ERASING_RE.fullmatch(segment) and _ERASES_RE.search(segment):
                if (
                    visible
                    and not _ERASING_RE.fullmatch(visible)
                    and not visible.endswith(_CURSOR_UP_BYTES)
                ):
                    erased = _ErasedLine(visible)
                    erased.first = self._first or b""
                else:
                    erased = _ErasedLine(b"")
                self._visible = self._first = None
            else:
                if (
                    self._redraws
                    and visible
                    and (_is_bar_redraw(visible) or visible.endswith(b" -"))
                ):
                    erased = _RedrawLine(visible)  # a bar, or a CMA-ES row drawn over
                self._visible = bytes(segment)
                if self._first is None and self._erased:
                    self._first = self._visible
        self._segment.clear()
        self._segment_too_long = False
        return erased

    def _end_line(self) -> list[bytes]:
        visible, self._visible, self._first = self._visible, None, None
        return [visible] if visible else []


_LETTER_RE: Final = compile_later(rb"[A-Za-z]")
# A redraw of a bar whose description names its global step (names_global_step), cheaply.
_PIPED_BAR_RE: Final = compile_later(rb"[0-9]+\|[0-9]+\|")


def _is_bar_redraw(text: bytes) -> bool:
    """Whether ``text`` may be a tqdm bar at the top position showing a metric: its rate
    shown, then a postfix (``, loss=0.5]``), or a description before its ``|``; not a nested
    bar's redraw, which ends in a cursor-up and is a line of its own. Cheap: a bar showing
    only its count (the HF Trainer's) is no redraw worth parsing."""
    rate = text.rfind(b"it/s")
    if rate < 0:
        rate = text.rfind(b"s/it")
    if rate < 0 or text.endswith(_CURSOR_UP_BYTES):
        return False
    if b"," in text[rate:] or _PIPED_BAR_RE.match(text):
        return True
    bar = text.find(b"|")
    return _LETTER_RE.search(text, 0, bar if bar >= 0 else len(text)) is not None


# --- one metric's points --------------------------------------------------------------------

# What a program prints for a value it has not measured yet: nanoGPT's running_mfu starts at
# -1, so its first iterations print "mfu -100.00%". Such leading values of a printed series
# are dropped once a measured value (zero or more) follows them and no value below zero does.
# (A leading NaN stays: no summary counts it, and it may be the first sign of divergence.)
_PLACEHOLDER_VALUES: Final = (-1.0, -100.0)
MAX_PLACEHOLDERS: Final = 100


class _PointStore:
    """One metric's points, compact (8 bytes per number) and capped at ``max_points``.

    When full, every other stored point is dropped and from then on only every
    ``stride``-th point arrives in storage, so the kept points stay evenly spread. The
    latest point is always kept, and the summary is computed over every point.
    """

    def __init__(self, max_points: int, *, placeholders: bool = False) -> None:
        """``placeholders``: the series' first values may be a placeholder
        (``_PLACEHOLDER_VALUES``), held aside until what follows shows whether they were."""
        self._max_points = max(2, max_points)
        self._leading: list[tuple[Step, float, float]] = []
        self._holding = placeholders
        self._leading_measured = False
        self._steps: array[int] | array[float] = array("q")
        self._values: array[float] = array("d")
        self._times: array[float] = array("d")
        self._stride = 1
        self._received = 0
        self._latest_unstored: tuple[Step, float, float] | None = None
        self._summary = _RunningSummary()
        self._last: tuple[Step, float] | None = None
        # A fit that starts again in the same program (:meth:`_fit_step`): the step its
        # points are moved on by, and the step the current fit started from, as received.
        self._offset: Step = 0
        self._fit_start: Step | None = None
        self._stored_last: Step | None = None

    @property
    def received(self) -> int:
        return self._received

    @property
    def last_step(self) -> Step | None:
        """The step of the point received last; None before any."""
        return None if self._last is None else self._last[0]

    @property
    def last_value(self) -> float | None:
        """The value of the point received last; None before any."""
        return None if self._last is None else self._last[1]

    @property
    def offset(self) -> Step:
        """How far the current fit's points are moved on (:meth:`_fit_step`)."""
        return self._offset

    @property
    def capacity(self) -> int:
        return self._max_points

    def repeats_last(self, step: Step | None, value: float) -> bool:
        """Whether (step, value) is the point just received: two in-process sources (a
        framework's own hook and the TensorBoard writer it calls) report one value once."""
        last = self._last
        return step is not None and last is not None and last == (step, value)

    def shows_last(self, step: Step, printed: float) -> bool:
        """Whether ``printed`` (a value as some line printed it, rounded) is the point just
        received, at the same step."""
        last = self._last
        return (
            last is not None
            and last[0] == step
            and (abs(last[1] - printed) <= _print_tolerance(printed))
        )

    def reprints_last(self, step: Step, printed: float) -> bool:
        """``shows_last`` for a line with no step of its own, which may as well be a new
        value: rounding counts only where ``printed`` keeps three significant digits or more
        (``loss=0.5`` after ``loss: 0.52`` is a new value)."""
        last = self._last
        if last is None or last[0] != step:
            return False
        if _print_tolerance(printed) > 1e-3 * abs(printed):
            return last[1] == printed
        return self.shows_last(step, printed)

    def append(self, step: Step | None, value: float, at: float = 0.0) -> None:
        received_step: Step = self._received if step is None else step
        start = self._fit_start
        if step is None:
            point_step = received_step
        elif start is not None and step > start:  # most points: within the current fit
            point_step = step + self._offset if self._offset else step
        else:
            point_step = self._fit_step(step)
        self._last = (received_step, value)
        self._stored_last = point_step
        index = self._received
        self._received += 1
        if self._holding:
            if self._repeats_placeholder(value):
                if len(self._leading) < MAX_PLACEHOLDERS:
                    self._leading.append((point_step, value, at))
                    return
                self._leading_measured = True  # a series of nothing else: its values
            self._holding = False
        if self._leading and value < 0:
            # the quantity can be negative: a sentinel below zero stands in for nothing
            self._leading_measured = True
        self._summary.add(point_step, value)
        if index % self._stride == 0 and len(self._values) >= self._max_points:
            self._thin()
        if index % self._stride != 0:
            self._latest_unstored = (point_step, value, at)
            return
        self._store(point_step, value, at)
        self._latest_unstored = None

    def _fit_step(self, step: Step) -> Step:
        """Where a point at ``step`` goes: a step back to (or below) where the series
        started, once it went past that, is a new fit of the same program (xgboost's
        ``xgb_model=`` continuation, a second model, a fold): its points go on after the
        last one, as Keras' epochs do across ``fit`` calls and wandb's step does, so the
        chart does not zig-zag and the last value is the last fit's. The series' own steps
        (1, 2, ... or 0, 1, ...) keep their spacing: epoch 1 follows epoch N at N + 1."""
        last, start = self._last, self._fit_start
        if last is None or start is None:
            self._fit_start = step
        elif step <= start < last[0] and self._stored_last is not None:
            self._fit_start = step
            self._offset = self._stored_last + (0 if step > 0 else 1 - step)
            if isinstance(self._offset, float) and self._offset.is_integer():
                self._offset = int(self._offset)
        return step + self._offset if self._offset else step

    def stored_values(self) -> Sequence[float] | None:
        """Every value received, in order; None once the store has thinned some away."""
        if self._stride != 1 or self._latest_unstored is not None:
            return None
        leading = self._kept_leading()
        return [value for _, value, _ in leading] + list(self._values) if leading else self._values

    def series(self) -> MetricSeries:
        leading = self._kept_leading()
        steps: list[Step] = [step for step, _, _ in leading] + list(self._steps)
        values = [value for _, value, _ in leading] + list(self._values)
        times = [at for _, _, at in leading] + list(self._times)
        if self._latest_unstored is not None:
            steps.append(self._latest_unstored[0])
            values.append(self._latest_unstored[1])
            times.append(self._latest_unstored[2])
        return MetricSeries(steps=steps, values=values, times=times)

    def summary(self) -> MetricSummary:
        leading = self._kept_leading()
        if not leading:
            return self._summary.result()
        summary = copy.copy(self._summary)
        for step, value, _ in reversed(leading):
            summary.add_before(step, value)
        return summary.result()

    def _repeats_placeholder(self, value: float) -> bool:
        if not self._leading:
            return value in _PLACEHOLDER_VALUES
        return value == self._leading[0][1]

    def _kept_leading(self) -> list[tuple[Step, float, float]]:
        """The leading placeholder-like points, when they were values after all: nothing
        measured followed them, or a negative value did."""
        return self._leading if self._holding or self._leading_measured else []

    def _store(self, step: Step, value: float, at: float) -> None:
        if isinstance(step, float) and self._steps.typecode == "q":
            self._steps = array("d", self._steps)
        self._steps.append(step)  # type: ignore[arg-type]
        self._values.append(value)
        self._times.append(at)

    def _thin(self) -> None:
        self._steps = self._steps[::2]
        self._values = self._values[::2]
        self._times = self._times[::2]
        self._stride *= 2


class _RunningSummary:
    def __init__(self) -> None:
        self._count = 0
        self._last = math.nan
        self._last_step: Step = 0
        self._min: tuple[float, Step] | None = None
        self._max: tuple[float, Step] | None = None

    def add(self, step: Step, value: float) -> None:
        self._count += 1
        self._last, self._last_step = value, step
        if math.isnan(value):
            return
        if self._min is None or value < self._min[0]:
            self._min = (value, step)
        if self._max is None or value > self._max[0]:
            self._max = (value, step)

    def add_before(self, step: Step, value: float) -> None:
        """A point that arrived before every point added so far."""
        if self._count == 0:
            self._last, self._last_step = value, step
        self._count += 1
        if math.isnan(value):
            return
        if self._min is None or value <= self._min[0]:
            self._min = (value, step)
        if self._max is None or value >= self._max[0]:
            self._max = (value, step)

    def result(self) -> MetricSummary:
        if self._count == 0:
            raise ValueError("a metric with no values has no summary")
        all_nan = (math.nan, self._last_step)
        low, low_step = self._min or all_nan
        high, high_step = self._max or all_nan
        return MetricSummary(
            last=self._last,
            min=low,
            max=high,
            last_step=self._last_step,
            min_step=low_step,
            max_step=high_step,
            count=self._count,
        )


def summarize(series: MetricSeries) -> MetricSummary:
    """The summary of a stored series (over the points it holds)."""
    running = _RunningSummary()
    for step, value in zip(series.steps, series.values, strict=True):
        running.add(step, value)
    return running.result()


# --- the collector --------------------------------------------------------------------------


class MetricsCollector:
    """Gathers a run's metrics from its output, its metrics file and direct calls.

    Thread-safe: the runner may feed stdout and stderr from two threads and poll the
    metrics file from a third.
    """

    def __init__(
        self,
        max_points: int = DEFAULT_MAX_POINTS,
        max_metrics: int = DEFAULT_MAX_METRICS,
        clock: Callable[[], float] | None = None,
        patterns: Sequence[re.Pattern[str]] = (),
    ) -> None:
        """``clock``: seconds since the run started; default, since this collector was made.

        ``patterns``: the user's own line patterns (``.runledger.toml [metrics] patterns``).
        """
        self._patterns = tuple(patterns)
        started = time.monotonic()
        self._clock = clock or (lambda: time.monotonic() - started)
        self._max_points = max_points
        self._max_metrics = max_metrics
        self._lock = threading.Lock()
        self._splitters: dict[str, _LineSplitter] = {}
        self._file_tails: dict[Path, _FileTail] = {}
        # Two tiers: printed values ("output") give way to explicit ones (file, add()).
        self._explicit: dict[str, _PointStore] = {}
        self._printed: dict[str, _PointStore] = {}
        self._logged_params: dict[str, Any] = {}
        self._sources: dict[str, str] = {}
        # The step the step-less lines of a stream take (_add_stepless): that of its last
        # header line alone (Keras' "Epoch 2/10") or metric line with a step; and the
        # latest of any stream, for a stream that has none of its own.
        self._context_steps: dict[str, Step] = {}
        self._latest_context: Step | None = None
        # The stepped line that set a stream's context step (its step and values), and each
        # step-less point placed at it: at the end, at the step where the in-process capture
        # gave that line's values, if at another (_context_steps_captured).
        self._context_lines: dict[str, tuple[Step, Mapping[str, float]]] = {}
        self._placed_at_lines: list[tuple[str, Step, Mapping[str, float]]] = []
        # Each name's last value on a line with a step, and that step (_printed_again).
        self._stepped_last: dict[str, tuple[Step, float]] = {}
        # Metric name -> how many points it got by order, before any step (_add_stepless),
        # while those are all its printed points: one is moved before the first step it
        # would reach (_move_unheaded).
        self._unheaded: dict[str, int] = {}
        # Metric name -> the step _add_stepless last placed it at: a point there is no line's
        # own, printed with its step.
        self._stepless_at: dict[str, Step] = {}
        # The first epoch a per-batch line counted from (0 or 1): see _position.
        self._epoch_base: int | None = None
        # Step counters printed with their epoch (Epoch [1/5], Step [100/600]): whether they
        # restart every epoch (None: not known yet, the lines are held), the last (epoch,
        # step) seen, the largest step (an epoch's size when no total is printed): _hold.
        self._restarts: bool | None = None
        self._held: list[tuple[str, str, bytes | None]] | None = None
        self._last_counted: tuple[int, int] | None = None
        self._counter_size = 0
        self._held_size = 0
        self._saw_total = False
        # Keras' bars (_add_keras_bar), by stream: "fit" after an "Epoch 2/10" header, "done"
        # after the epoch's finished bar, "evaluate" after a bar that is evaluate()'s; the
        # last bar's values; how many epochs earlier fit() calls ran; evaluate()'s points.
        self._bar_phase: dict[str, str] = {}
        self._bar_values: dict[str, Mapping[str, float]] = {}
        self._bar_header: dict[str, int] = {}
        self._fit_offset: dict[str, int] = {}
        self._evaluated: dict[str, float] = {}
        # test_* name -> the name it was read from, of each bar taken for evaluate()'s
        # (_fit_bar_as_evaluate: Keras 3 prints no header for a fit(epochs=1)).
        self._bar_tested: dict[str, str] = {}
        self._sgd_fits: dict[str, _SgdFits] = {}
        # Streams whose last line named only a phase ("Test Error:"): the phase of the
        # step-less metrics of the line after it (_add_output_line).
        self._next_phase: dict[str, str] = {}
        # Streams whose messages come behind logging's "%(relativeCreated) 9d" (Pyro's
        # examples): the last milliseconds read there (_without_relative_time).
        self._relative_times: dict[str, int] = {}
        # Each stream's tqdm bar that may be the run's only one (_watch_bar); None once the
        # stream showed it is not.
        self._long_bars: dict[str, _LongBar | None] = {}
        # The last redraw of each stream's positioned tqdm bar (_add_tqdm_bar).
        self._held_tqdm: dict[str, _HeldTqdm] = {}
        # Each stream's bars as last drawn, by description; the streams just cleared.
        self._bar_states: dict[str, dict[str, tuple[float, dict[str, float]]]] = {}
        self._cleared: set[str] = set()
        # Streams inside a printed config listing (_LISTING_OPEN_RE): lines read in it so far.
        self._listings: dict[str, tuple[int, int]] = {}  # stream -> (lines read, depth)
        self._settings_blocks: dict[str, int] = {}  # stream -> its heading's indent
        self._options_blocks: dict[str, int] = {}  # stream -> lines read (_in_options_block)
        # Streams inside a logger table (SB3's): the table read so far.
        self._tables: dict[str, _LoggerTable] = {}
        # Streams showing a column table (fastai's): its names, the step its epochs start
        # from (a later table of the stream goes on after the earlier one), its last step.
        self._columns: dict[str, tuple[tuple[str, ...], int]] = {}
        # A metrics line whose last name's value a console's wrap put on the next line.
        self._wrapped: dict[str, str] = {}
        self._column_last: dict[str, int] = {}
        # A column table's header as shown, until the next line (a rule of dashes under it
        # places the columns: skorch's); then where its columns start. The first epoch of
        # a table after another is the one after the earlier table's last.
        self._column_heads: dict[str, str] = {}
        self._column_starts: dict[str, tuple[int, ...]] = {}
        self._column_follows: set[str] = set()
        # Streams inside scikit-learn's classification_report (_in_report); and how many
        # points each name the reports gave had just after a report gave it.
        self._reports: set[str] = set()
        self._detections: dict[str, tuple[str, ...]] = {}  # ultralytics' validation header
        self._method_tables: dict[str, tuple[str, ...]] = {}  # _in_method_table's columns
        self._fold_tables: dict[str, int] = {}  # _in_fold_table's number of folds
        self._progress_tables: set[str] = set()  # streams inside _in_progress_table
        self._trial_summaries: set[str] = set()  # streams inside _in_trial_summary
        self._metrics_above: dict[str, str] = {}  # _in_metric_above's metric
        self._frames: dict[str, Frame] = {}  # the results table each stream is in
        self._lines_before: dict[str, str] = {}  # a results frame's header, maybe
        self._report_points: dict[str, int] = {}
        # Streams inside a statsmodels results summary (_in_results): -1 after its title,
        # then the rows of its first block read so far.
        self._results: dict[str, int] = {}
        # Each stream's last line if it held a "#" (a table's header, for the rule of dashes
        # under it), and the columns of the dash-ruled table it shows.
        self._last_header: dict[str, str] = {}
        self._dash_tables: dict[str, tuple[str, ...]] = {}
        # Progress bars ended under the stream's epoch header: (that epoch, how many); the
        # second is the test set's (_second_bar_under_header).
        self._bars_under_header: dict[str, tuple[Step, int]] = {}
        self._inprocess = InProcessReport()
        self._records: list[dict[str, Any]] = []
        # The values of each tracker run (``wandb:2``) of the in-process capture, apart: a
        # tracker's only run counts as the run's own, two or more are the run's children.
        self._tracker_stores: dict[str, dict[str, _PointStore]] = {}
        # The values each Optuna trial's objective reported, by trial number: a finished
        # trial's are its child run's (trial_series), an unfinished one's the run's own.
        self._trial_stores: dict[int, dict[str, _PointStore]] = {}

    @property
    def records(self) -> list[dict[str, Any]]:
        """The metrics file's lines that describe something other than metrics: objects
        with a ``_runledger`` key naming what they are (an Optuna trial: ``"trial"``), in the
        order they came. They never become metrics."""
        with self._lock:
            return list(self._records)

    @property
    def facts(self) -> list[dict[str, Any]]:
        """The same lines as :attr:`records`: facts about the run, never metrics."""
        return self.records

    @property
    def logged_params(self) -> dict[str, Any]:
        """Params from ``runledger.log_params`` calls, deep-merged, later values winning."""
        with self._lock:
            return _deep_copy(self._logged_params)

    @property
    def inprocess(self) -> InProcessReport:
        """What the in-process capture reported besides metrics (a copy). A tracker with two
        or more runs gives the run only the params all its runs share."""
        with self._lock:
            report = copy.deepcopy(self._inprocess)
            for tracker, tags in self._tracker_tags_locked().items():
                own = self._own_tracker_run(tags)
                if tracker not in report.params or (len(tags) == 1 and own is not None):
                    continue
                if own is not None:  # a parent run with nested ones: the parent's params
                    kept = report.tracker_params.get(own, {})
                else:
                    kept = _shared_params([report.tracker_params.get(tag, {}) for tag in tags])
                del report.params[tracker]
                if kept:
                    report.params[tracker] = kept
            return report

    def tracker_runs(self) -> list[TrackerRun]:
        """The runs of each tracker that ran two or more in the process (one per fold or per
        config of a loop), in the order they began: each with its own params and series. A
        tracker's only run is not among them: its values are the run's own; nor is the only
        run that others are nested in (MLflow's ``start_run(nested=True)`` in a parent run,
        as a hyperparameter search logs its trials): the nested ones are."""
        with self._lock:
            report = self._inprocess
            found: list[TrackerRun] = []
            for tags in self._tracker_tags_locked().values():
                own = self._own_tracker_run(tags)
                for tag in tags:
                    if tag == own:
                        continue
                    stores = self._tracker_stores.get(tag, {})
                    found.append(
                        TrackerRun(
                            tag=tag,
                            facts=dict(report.tracker_runs.get(tag, {})),
                            params=copy.deepcopy(report.tracker_params.get(tag, {})),
                            series={name: store.series() for name, store in stores.items()},
                        )
                    )
            return found

    def trial_series(self) -> dict[int, dict[str, MetricSeries]]:
        """The series each finished trial of an in-process Optuna study reported while its
        objective ran (``xgb.cv``'s rounds, a fit's epochs), by trial number: its child
        run's, not the study's run's."""
        with self._lock:
            finished = self._finished_trials()
            return {
                number: {name: store.series() for name, store in stores.items()}
                for number, stores in self._trial_stores.items()
                if number in finished
            }

    def _finished_trials(self) -> set[int]:
        numbers: set[int] = set()
        for record in self._records:
            number = record.get("number")
            if (
                record.get(RECORD_KEY) == "trial"
                and isinstance(number, int)
                and str(record.get("state", "")).upper() in FINISHED_TRIAL_STATES
            ):
                numbers.add(number)
        return numbers

    def _own_tracker_run(self, tags: list[str]) -> str | None:
        """Of a tracker's runs, the one whose values are the run's own: its only run, or its
        only run not nested in another (the parent of nested runs); None when there are two
        or more of those (each is then a child run)."""
        facts = self._inprocess.tracker_runs
        top = [tag for tag in tags if "parent" not in facts.get(tag, {})]
        return top[0] if len(top) == 1 else None

    def _tracker_tags_locked(self) -> dict[str, list[str]]:
        """Tracker -> its runs' tags, in the order they were first named."""
        report = self._inprocess
        by_tracker: dict[str, list[str]] = {}
        for tag in [*report.tracker_runs, *report.tracker_params, *self._tracker_stores]:
            tags = by_tracker.setdefault(tag.rpartition(":")[0], [])
            if tag not in tags:
                tags.append(tag)
        return by_tracker

    def _explicit_view(self) -> dict[str, _PointStore]:
        """The explicit stores of the run itself: the untagged ones, those of every
        tracker's only run and of a trial that never finished (a name both give merged, in
        arrival order)."""
        if not self._tracker_stores and not self._trial_stores:
            return self._explicit
        view = dict(self._explicit)
        finished = self._finished_trials()
        for number, stores in self._trial_stores.items():
            if number not in finished:
                for name, store in stores.items():
                    view[name] = store if name not in view else _merged(view[name], store)
        for tags in self._tracker_tags_locked().values():
            own = self._own_tracker_run(tags)
            if own is None:
                continue
            for name, store in self._tracker_stores.get(own, {}).items():
                view[name] = store if name not in view else _merged(view[name], store)
        return view

    def feed_output(self, data: bytes, stream: str = "stdout") -> None:
        """Read metric lines from a chunk of the command's output, cut anywhere."""
        with self._lock:
            splitter = self._splitters.get(stream)
            if splitter is None:
                splitter = self._splitters[stream] = _LineSplitter(
                    MAX_LINE_BYTES, erased=True, redraws=True
                )
            self._add_output_lines(splitter.feed(data), stream)

    def flush_output(self) -> None:
        """Read the unfinished last line of every stream; call once the command has ended."""
        with self._lock:
            for stream, splitter in self._splitters.items():
                self._add_output_lines(splitter.flush(), stream)
            for stream, text in list(self._wrapped.items()):
                del self._wrapped[stream]
                self._route_line(text, stream, None)
            if self._held is not None:
                self._restarts = self._saw_total
                self._release()
            for stream in list(self._long_bars):
                self._end_long_bar(stream)
            for stream in list(self._held_tqdm):
                self._add_held_tqdm(stream)

    def add(
        self, values: Mapping[str, float], step: Step | None = None, source: str = OUTPUT_SOURCE
    ) -> None:
        """Record values at a step (None: by order, per metric).

        ``source`` is ``"output"`` for values read from what the command printed; any other
        source (``"file"``) is explicit, and an explicit metric hides the printed one of the
        same name.
        """
        normalized = None if step is None else _normalize_step(step)
        with self._lock:
            self._add_locked(values, normalized, source)

    def poll_metrics_file(self, path: Path, *, final: bool = False) -> None:
        """Read the lines appended to the metrics file since the last poll.

        A last line without its newline waits for the next poll, unless ``final``. A file
        that has shrunk is read again from its start.
        """
        with self._lock:
            tail = self._file_tails.setdefault(path, _FileTail())
            for line in tail.read_new_lines(path, final=final):
                self._add_file_line(line)

    def add_series(
        self, name: str, steps: Sequence[Step], values: Sequence[float], source: str
    ) -> bool:
        """Record a whole series read from a file the run wrote (``source``: its path).

        A metric already given explicitly (metrics file, ``runledger.log``) keeps its values:
        False then. Otherwise the series hides a printed metric of the same name.
        """
        with self._lock:
            explicit = self._explicit_view()
            if name in explicit or len(explicit) >= self._max_metrics:
                return False
            store = self._explicit[name] = _PointStore(self._max_points)
            for step, value in zip(steps, values, strict=True):
                store.append(_normalize_step(step), _as_float(value))
            self._sources[name] = source
            return True

    def series(self) -> dict[str, MetricSeries]:
        with self._lock:
            return {
                name: replace(store.series(), source=self._sources.get(name))
                for name, store in self._chosen_stores()
            }

    def summaries(self) -> dict[str, MetricSummary]:
        with self._lock:
            return {name: store.summary() for name, store in self._chosen_stores()}

    def _chosen_stores(self) -> Iterator[tuple[str, _PointStore]]:
        view = self._explicit_view()
        yield from view.items()
        explicit = {series_key(name) for name in view}
        moved = self._context_steps_captured(view)
        for name, store in self._printed.items():
            if series_key(name) in explicit or self._printed_twice(name, store, view):
                continue
            if self._printed_by_trials(name, store):
                continue
            if self._fit_bar_as_evaluate(name, store, view):
                continue
            steps = moved.get(name)
            yield name, (store if steps is None else _restepped(store, steps))

    def _context_steps_captured(
        self, explicit_stores: Mapping[str, _PointStore]
    ) -> dict[str, dict[Step, Step]]:
        """Printed metric name -> {step: step}: a step-less line printed after a stepped
        one took that line's step (the epoch of the Hugging Face Trainer's printed dict), but
        the in-process capture gave the stepped line's values at a step of its own (the
        Trainer's global step): the step-less values go there too, so that
        ``print(trainer.predict(...).metrics)`` after training is at the run's last step,
        not at its epoch count among the steps."""
        if not self._placed_at_lines or not explicit_stores:
            return {}
        by_key = {series_key(name): store for name, store in explicit_stores.items()}
        sorted_points: dict[str, tuple[list[float], list[Step]]] = {}
        found: dict[int, Step | None] = {}
        moved: dict[str, dict[Step, Step]] = {}
        for name, step, line in self._placed_at_lines:
            if id(line) not in found:
                found[id(line)] = _captured_at(line, by_key, sorted_points)
            captured = found[id(line)]
            if captured is not None and captured != step:
                moved.setdefault(name, {})[step] = captured
        return moved

    def _fit_bar_as_evaluate(
        self, name: str, printed: _PointStore, explicit_stores: Mapping[str, _PointStore]
    ) -> bool:
        """Whether a ``test_*`` metric read from Keras bars taken for ``evaluate()``'s
        (_add_keras_bar) is in fact a later ``fit(epochs=1)``'s training values: Keras 3 draws
        that fit's bar with no ``Epoch 1/1`` header, as evaluate()'s, and the in-process
        capture, which tells them apart, gave each printed value under the trained name at
        the same step (KerasTuner's refit of the best model, keras-io's fine-tuning)."""
        trained = self._bar_tested.get(name)
        explicit = None if trained is None else explicit_stores.get(trained)
        if explicit is None:
            return False
        series = explicit.series()
        at_step = dict(zip(series.steps, series.values, strict=True))
        shown = printed.series()
        return all(
            step in at_step and abs(value - at_step[step]) <= _print_tolerance(value)
            for step, value in zip(shown.steps, shown.values, strict=True)
        )

    def _printed_by_trials(self, name: str, printed: _PointStore) -> bool:
        """Whether each printed value of ``name`` is one the trials of an Optuna study
        reported in process under that name, as printed (xgb.cv's ``verbose_eval`` rounds):
        theirs, not the run's. A value printed outside them (a last fit of the program's
        own) keeps the printed series the run's."""
        key = series_key(name)
        reported = sorted(
            value
            for stores in self._trial_stores.values()
            for other, store in stores.items()
            if series_key(other) == key
            for value in store.series().values
        )
        if not reported:
            return False
        for value in printed.series().values:
            at = bisect.bisect_left(reported, value - _print_tolerance(value))
            if at == len(reported) or reported[at] > value + _print_tolerance(value):
                return False
        return True

    def _printed_twice(
        self, name: str, printed: _PointStore, explicit_stores: Mapping[str, _PointStore]
    ) -> bool:
        """Whether a printed metric is one the program also gave explicitly under a name of
        its own: ``Loss: 0.25`` read as ``train_loss`` while ``add_scalar("Loss/train", ...)``
        reported the same values. It is, when the names measure the same thing in the same
        phase (:func:`_metric_words`) and the printed values are the explicit ones as printed
        (rounded to the printed digits); the steps may differ (the line's epoch, the
        writer's batch)."""
        words = _metric_words(name)
        if not words[0]:
            return _printed_unnamed(name, printed, explicit_stores)
        printed_values = printed.stored_values()
        if printed_values is None:
            return False
        for other, explicit in explicit_stores.items():
            measured, phases = _metric_words(other)
            if measured != words[0]:
                continue
            # A printed name without its phase ("current mean dice", MONAI's) is a phase's
            # explicit one (val_mean_dice) when two or more values show it point for point.
            if phases != words[1] and (words[1] or len(printed_values) < 2):
                continue
            explicit_values = explicit.stored_values()
            if explicit_values is None:
                continue
            if _printed_within(printed_values, explicit_values):
                return True
            # The writer's store keeps a point given twice once (repeats_last); a program
            # printing it twice (CleanRL: two environments ending on one global_step with one
            # return) prints it twice.
            once = _without_repeats(printed, printed_values)
            if once is not None and _printed_within(once, explicit_values):
                return True
        return False

    def _add_output_lines(self, lines: list[bytes], stream: str) -> None:
        for line in lines:
            try:
                self._add_one_line(line, stream)
            except (ValueError, OverflowError):
                continue  # a number no int or float holds ("epoch <5,000 digits>"): no metric

    def _add_one_line(self, line: bytes, stream: str) -> None:
        if isinstance(line, _RedrawLine):
            if line.endswith(b" -"):
                self._add_cma_redraw(line, stream)
            elif self._long_bars.get(stream, False) is not None or _PIPED_BAR_RE.match(line):
                self._add_redraw(line, stream)
            return
        text = line.decode("utf-8", errors="replace")
        if text[:1] == " ":
            text = self._without_relative_time(text, stream)
        first = line.first if isinstance(line, _ErasedLine) else None
        wrapped = self._wrapped.pop(stream, None) if self._wrapped else None
        if wrapped is not None:
            if self._continues(wrapped, text):  # rich wrapped "val_acc:" | "0.8134, lr: 0.001"
                text = f"{wrapped.rstrip()} {text.lstrip()}"
            else:
                self._route_line(wrapped, stream, None)
        if first is None and (_ends_in_a_name(text) or _ends_at_a_wrap(text)):
            self._wrapped[stream] = text  # its value, or its last pair, may be on the next line
            return
        self._route_line(text, stream, first)

    def _continues(self, wrapped: str, text: str) -> bool:
        """Whether ``text`` is the rest of ``wrapped``, a line a console's wrap cut: the value
        of the name it ended with, or (after a wrap at a blank) the pairs the wrap pushed to
        the next line (rich: ``... val_acc 0.8134 `` then ``lr 0.001``), which add metrics
        to those the line read alone, changing none."""
        if _ends_in_a_name(wrapped):
            return _continues_a_value(text)
        if not (_continues_a_value(text) or _OPENS_WITH_A_PAIR_RE.match(text)):
            return False
        whole = parse_metric_line(f"{wrapped.rstrip()} {text}", self._patterns)
        if whole is None:
            return False
        alone = parse_metric_line(wrapped, self._patterns)
        if alone is None:  # cut between a name and its value: "| val_acc " then "0.81 | lr 0.001"
            return whole.step is not None and _continues_a_value(text)
        return (
            whole.step == alone.step
            and len(whole.values) > len(alone.values)
            and alone.values.items() <= whole.values.items()
        )

    def _route_line(self, text: str, stream: str, first: bytes | None) -> None:
        if self._held is not None:
            self._hold(text, stream, first)
        else:
            self._add_output_line(text, stream, first)

    def _without_relative_time(self, text: str, stream: str) -> str:
        """``text`` without logging's ``%(relativeCreated) 9d`` prefix, once the stream has
        shown it before a message in words ("      12 Loading data"), and while its
        milliseconds only grow: a table's right-aligned first column stays."""
        prefix = relative_time_prefix(text)
        if prefix is None:
            return text
        millis, start = prefix
        last = self._relative_times.get(stream)
        if last is None:
            if not text[start : start + 1].isalpha():
                return text
        elif millis < last:
            return text
        self._relative_times[stream] = millis
        return text[start:]

    def _add_output_line(self, text: str, stream: str, erased: bytes | None = None) -> None:
        if erased is not None:
            self._add_erased_line(text, erased, stream)
            return
        if (
            self._in_settings_block(text, stream)
            or self._in_options_block(text, stream)
            or self._in_results_frame(text, stream)
            or self._in_listing(text, stream)
            or self._in_table(text, stream)
            or self._in_report(text, stream)
            or self._in_detection_summary(text, stream)
            or self._in_method_table(text, stream)
            or self._in_fold_table(text, stream)
            or self._in_progress_table(text, stream)
            or self._in_trial_summary(text, stream)
            or self._in_metric_above(text, stream)
            or self._in_results(text, stream)
            or self._in_dash_table(text, stream)
        ):
            return
        if self._in_column_table(text, stream):
            return
        phase = self._next_phase.pop(stream, None) if self._next_phase else None
        if "|" in text or ("/" in text and ("it/s" in text or "s/it" in text)):
            shown = _shown_text(text)
            bar = None if shown is None else tqdm_bar(shown)
            if bar is not None:
                cursor_up = text.rstrip("\r\n").endswith(_CURSOR_UP)
                if not self._watch_bar(bar, stream, (text, None), cursor_up):
                    self._add_tqdm_bar(bar, cursor_up, stream)
                return
            after = None if shown is None else text_after_bar(shown)
            if after is not None:  # a line logged while a bar was drawn, after its redraw
                self._add_output_line(after, stream)
                return
        parsed = parse_metric_line(text, self._patterns)
        if parsed is None:
            header = parse_header_step(text)
            if header is not None:
                if isinstance(header, int) and text.startswith(_SGD_HEADER):
                    self._new_sgd_epoch(header, stream)
                elif isinstance(header, int):
                    header = self._new_fit(header, stream)
                self._context_steps[stream] = self._latest_context = header
                self._bar_phase[stream] = "fit"
                return
            shown = _shown_text(text)
            named = None if not shown else phase_line(shown)
            if named is not None:
                self._next_phase[stream] = named
            return
        if parsed.step is None:
            if parsed.within is not None and stream in self._bar_header:
                self._add_keras_bar(parsed.values, parsed.within, stream)
            elif parsed.counter is None or not self._add_within_header(parsed, stream):
                if phase is None and ("\b" in text or PROGRESS_SUFFIX_MARK in text):
                    phase = self._second_bar_under_header(text, stream)
                values = parsed.values if phase is None else with_phase(parsed.values, phase)
                if self._sgd_fits and text.startswith(_SGD_LINE):
                    values = self._sgd_names(values, stream)
                self._add_stepless(values, stream)
            return
        self._bar_header.pop(stream, None)
        if parsed.counted is not None:
            if self._restarts is None:  # the stream has yet to show how the counter goes
                self._held = []
                self._hold(text, stream)
                return
            if self._restarts and self._add_counted(parsed.values, parsed.counted, stream):
                return
        self._add_locked(parsed.values, self._position(parsed), OUTPUT_SOURCE)
        # a fit that started again (_PointStore._fit_step): the step-less lines after this
        # one are at its step as stored (a second model's "Test accuracy" at its last epoch)
        name = next(iter(parsed.values), None)
        store = None if name is None else self._printed.get(name)
        moved = parsed.step if store is None else parsed.step + store.offset
        self._context_steps[stream] = self._latest_context = moved
        self._context_lines[stream] = (moved, parsed.values)
        for name, value in parsed.values.items():
            if name in self._stepped_last or len(self._stepped_last) < MAX_PLACED:
                self._stepped_last[name] = (moved, value)

    def _second_bar_under_header(self, text: str, stream: str) -> str | None:
        """``"test"`` for the second finished progress bar under one epoch header, where a
        train and a test pass print the same names: kuangliu/pytorch-cifar's ``train(epoch)``
        then ``test(epoch)`` each end with a ``Loss: | Acc:`` bar with its counter drawn
        over it (:func:`_drawn_over`) under ``Epoch: 3``; bearpaw/pytorch-classification's
        two ``Processing`` bars under ``Epoch: [3 | 164]``. None for the first, for another
        line, or without a header."""
        line = text.rstrip("\r\n")
        line = line[line.rfind("\r") + 1 :]
        if _BACKSPACED_COUNTER_RE.search(line) is None and not is_progress_suffix(line):
            return None
        context = self._context_steps.get(stream)
        if context is None:
            return None
        last, count = self._bars_under_header.get(stream, (None, 0))
        count = count + 1 if last == context else 1
        self._bars_under_header[stream] = (context, count)
        return "test" if count == 2 else None

    def _add_erased_line(self, text: str, first: bytes, stream: str) -> None:
        """Text the program erased (:class:`_ErasedLine`): only a tqdm bar counts, as its loop
        ended when it closed with ``leave=False``. It is held as a nested bar's redraw is
        (:meth:`_add_tqdm_bar`), since ``tqdm.write`` erases the bar too and then draws it
        again: the same bar drawn again (its first draw after the erasure shows what the
        erased one showed) replaces it; another bar adds it."""
        shown = _shown_text(text)
        if not shown:  # a clear: the bars drawn again next are no new draws (tqdm.write)
            self._cleared.add(stream)
            return
        bar = None if "|" not in shown and "/s" not in shown else tqdm_bar(shown)
        if bar is None:
            return
        if self._watch_bar(bar, stream, (text, first), False):
            return
        held = self._held_tqdm.get(stream)
        if held is not None and held.erased and not self._draws_again(held, first):
            self._add_held_tqdm(stream)
        self._add_tqdm_bar(bar, True, stream, erased=True)

    def _add_cma_redraw(self, line: bytes, stream: str) -> None:
        """A CMA-ES row that the next one was drawn over (``verb_disp_overwrite``): a row of
        its table all the same."""
        table = self._columns.get(stream)
        if table is not None and is_cma_table(table[0]):
            self._in_column_table(line.decode("utf-8", errors="replace"), stream)

    def _add_redraw(self, line: bytes, stream: str) -> None:
        shown = _shown_text(line.decode("utf-8", errors="replace"))
        bar = None if shown is None else tqdm_bar(shown)
        if bar is None:
            return
        if self._long_bars.get(stream, False) is not None and self._watch_bar(
            bar, stream, None, False
        ):
            return
        if bar.shaped is not None and bar.shaped.step is not None and names_global_step(bar.desc):
            self._add_bar_at_step(bar.shaped.values, _normalize_step(bar.shaped.step))

    def _add_bar_at_step(self, values: Mapping[str, Step], step: Step | None) -> None:
        """A bar's values at the step it shows, but those its previous draw gave there."""
        numbers = {name: _as_float(value) for name, value in values.items()}
        new = {
            name: value
            for name, value in numbers.items()
            if not self._shown_before(name, step, value)
        }
        if new:
            self._add_locked(new, step, OUTPUT_SOURCE)

    def _watch_bar(
        self, bar: TqdmBar, stream: str, line: tuple[str, bytes | None] | None, cursor_up: bool
    ) -> bool:
        """Keep a draw of a bar that may be the run's only one (:class:`_LongBar`): a bar
        showing metrics and no step (``loss: 0.1234: 40%|...| 400/1000``), drawn while the
        stream has shown no step at all. True when the draw is kept (``line``, a line of the
        output, is then read later). The stream stops watching for good, and reads what it
        kept as any bar's lines, when a bar's count goes back (one bar per epoch), a bar
        shows a step (``Epoch 3``) or is nested (``cursor_up``), or a step was printed."""
        if bar.shaped is None or not bar.shaped.values:
            return False
        watch = self._long_bars.get(stream, False)
        if watch is None:
            return False
        if (
            cursor_up
            or bar.shaped.step is not None
            or self._context_steps.get(stream, self._latest_context) is not None
            or (isinstance(watch, _LongBar) and (bar.done < watch.last or watch.full()))
        ):
            self._stop_watching(stream)
            return False
        if not isinstance(watch, _LongBar):
            watch = self._long_bars[stream] = _LongBar(self._max_points, self._max_metrics)
        values = {name: _as_float(value) for name, value in bar.shaped.values.items()}
        count = _normalize_step(int(bar.done) if bar.done.is_integer() else bar.done)
        if count is None:
            self._stop_watching(stream)
            return False
        watch.draw(count, bar.done, values, round(self._clock(), 3))
        if line is not None:
            watch.lines.append(line)
        return True

    def _stop_watching(self, stream: str) -> None:
        """The stream's bars are not one bar over the run: read the lines kept, as they would
        have been read when they came (no step was printed before them)."""
        watch = self._long_bars.get(stream)
        self._long_bars[stream] = None
        if not isinstance(watch, _LongBar) or not watch.lines:
            return
        missing = object()
        context, latest = self._context_steps.pop(stream, missing), self._latest_context
        self._latest_context = None
        try:
            for text, first in watch.lines:
                self._add_output_line(text, stream, first)
        finally:
            if context is not missing:
                self._context_steps[stream] = context  # type: ignore[assignment]
            self._latest_context = latest

    def _end_long_bar(self, stream: str) -> None:
        """At the end of the output: a bar the stream watched to the end, drawn at two counts
        or more, is the run's only bar: each of its redraws gives its values at its count."""
        watch = self._long_bars.get(stream)
        if not isinstance(watch, _LongBar):
            return
        watch.commit()
        if watch.counts < 2 or self._context_steps.get(stream, self._latest_context) is not None:
            self._stop_watching(stream)
            return
        self._long_bars[stream] = None
        for name, points in watch.stores.items():
            store = self._printed.get(name)
            if store is None:
                if len(self._printed) < self._max_metrics:
                    self._printed[name] = points
                continue
            series = points.series()
            for step, value, at in zip(series.steps, series.values, series.times, strict=True):
                store.append(step, value, at)

    @staticmethod
    def _draws_again(held: _HeldTqdm, first: bytes) -> bool:
        """Whether ``first`` (a bar's first draw after ``held`` was erased) is that bar drawn
        again, as after ``tqdm.write``, not a new bar (whose first draw shows no postfix)."""
        shown = _shown_text(first.decode("utf-8", errors="replace"))
        bar = None if not shown else tqdm_bar(shown)
        if bar is None or bar.shaped is None or bar.desc != held.desc:
            return False
        return {name: _as_float(value) for name, value in bar.shaped.values.items()} == held.values

    def _hold(self, text: str, stream: str, erased: bytes | None = None) -> None:
        """Keep an output line until the stream shows whether the step counter printed with
        the epoch restarts every epoch (``Epoch [2/5], Step [100/600]`` after ``Epoch [1/5],
        Step [600/600]``) or goes on (``Step [700/3000]``); then every held line is read in
        order. The first change of epoch decides; without one (the command ended, or
        ``MAX_HELD_LINES`` held), a printed total (``/600``) says the counter is the
        epoch's, as an ``enumerate(train_loader)`` counter is, and none that it goes on."""
        held = self._held
        if held is None:
            return
        held.append((text, stream, erased))
        parsed = parse_metric_line(text, self._patterns)
        if parsed is not None and parsed.counted is not None and parsed.step is not None:
            epoch, done, total = parsed.counted
            self._saw_total = self._saw_total or total > 0
            self._held_size = max(self._held_size, done)
            last, self._last_counted = self._last_counted, (epoch, done)
            if total and done > total:
                self._restarts = False  # past its printed total: it counts the whole run
            elif last is not None and epoch > last[0]:
                self._restarts = done <= last[1]
        if self._restarts is None and len(held) >= MAX_HELD_LINES:
            self._restarts = self._saw_total
        if self._restarts is not None:
            self._release()

    def _release(self) -> None:
        held, self._held = self._held or [], None
        self._counter_size = max(self._counter_size, self._held_size)
        for text, stream, erased in held:
            self._add_output_line(text, stream, erased)

    def _add_counted(
        self, values: Mapping[str, float], counted: tuple[int, int, int], stream: str
    ) -> bool:
        """A line whose step counter restarts every epoch (``Epoch [2/5], Step [100/600]``):
        at the fraction of epochs done (1.1667), as a per-batch line whose step is its epoch
        is (:meth:`_position`); its ``epoch`` is that axis, not a metric. False when the
        counter does not fit in its epoch (it is then a step, as printed)."""
        epoch, done, total = counted
        if not total:
            self._counter_size = max(self._counter_size, done)
        position = self._fraction(epoch, done, total or self._counter_size)
        if position is None:
            return False
        self._context_steps[stream] = self._latest_context = epoch
        kept = {name: value for name, value in values.items() if name != "epoch"}
        self._add_locked(kept, position, OUTPUT_SOURCE)
        return True

    def _add_within_header(self, parsed: ParsedLine, stream: str) -> bool:
        """A line without a step ending in its own counter (``loss: 2.30  [ 6400/60000]``,
        the PyTorch Quickstart tutorial), right under an ``Epoch 2`` header or after other
        such lines: at that fraction of the header's epoch (1.1067), as a per-batch line
        whose step is its epoch is. False when no header comes before it."""
        header = self._bar_header.get(stream)
        if header is None or parsed.counter is None:
            return False
        epoch = header + self._fit_offset.get(stream, 0)
        if self._context_steps.get(stream) != epoch:
            return False  # a stepped line came after the header: the counter is not its
        position = self._fraction(epoch, *parsed.counter)
        if position is None:
            return False
        self._add_locked(parsed.values, position, OUTPUT_SOURCE)
        return True

    def _fraction(self, epoch: int, done: int, total: int) -> Step | None:
        """``epoch - base + done / total``: base 0 or 1, from the first such line."""
        if total <= 0 or not 0 <= done <= total:
            return None
        if self._epoch_base is None:
            self._epoch_base = 0 if epoch == 0 else 1
        if epoch < self._epoch_base:
            return None
        # as many decimals as tell every counter value apart, and one more
        return round(epoch - self._epoch_base + done / total, len(str(total)) + 1)

    def _position(self, parsed: ParsedLine) -> Step | None:
        """Where a printed line's point goes: its step, or for a per-batch line (its step the
        epoch, ``within`` its counter) the fraction of epochs done, as Hugging Face's
        ``epoch`` counts: ``Train Epoch: 1 [320/60000]`` at 0.0053, ``| epoch 2 | 52/104
        batches`` at 1.5. The epoch's own lines (``end of epoch 1 | valid loss``, at 1) come
        after its batches on the same axis. Epochs counted from 0 (``[Epoch 0/200] [Batch
        469/938]``, the first per-batch line decides) are at 0.5 there."""
        step, within = parsed.step, parsed.within
        if within is None or not isinstance(step, int):
            return step
        position = self._fraction(step, *within)
        return step if position is None else position

    def _new_fit(self, epoch: int, stream: str) -> int:
        """Keras' ``Epoch 1/3`` header: an epoch not after the last one starts another
        ``fit()`` call, whose epochs go on after the earlier calls' (as in process). Returns
        the header's epoch on that axis."""
        last = self._bar_header.get(stream)
        if last is not None and epoch <= last:  # counted from 0 (Epoch 0/24): 0 after last
            self._fit_offset[stream] = self._fit_offset.get(stream, 0) + last + max(0, 1 - epoch)
        self._bar_header[stream] = epoch
        return epoch + self._fit_offset.get(stream, 0)

    def _new_sgd_epoch(self, epoch: int, stream: str) -> None:
        """scikit-learn's SGD models' ``-- Epoch N``: an epoch not after the last one starts
        another problem (a multiclass SGDClassifier fits one binary problem per class, one
        after another, each from epoch 1; or another ``fit()``). Each problem's values are a
        series of their own (``problem_2/avg_loss``), at their own epochs: one series on from
        another would show epochs that never were."""
        fits = self._sgd_fits.get(stream)
        if fits is None:
            fits = self._sgd_fits[stream] = _SgdFits()
        elif epoch <= fits.epoch:
            fits.problem += 1
            if fits.problem == 2:  # the first problem's series were named as if it were alone
                for name in fits.first_names:
                    store = self._printed.pop(name, None)
                    if store is not None:
                        self._printed[f"problem_1/{name}"] = store
        fits.epoch = epoch

    def _sgd_names(self, values: dict[str, float], stream: str) -> dict[str, float]:
        fits = self._sgd_fits.get(stream)
        if fits is None:
            return values
        if fits.problem == 1:
            fits.first_names.update(values)
            return values
        return {f"problem_{fits.problem}/{name}": value for name, value in values.items()}

    def _add_keras_bar(
        self, values: Mapping[str, float], within: tuple[int, int], stream: str
    ) -> None:
        """A line of Keras' progress bar (``8/12 ━━━━ - loss: 0.81``) after an ``Epoch 2/10``
        header: Keras' counter is how far into the epoch it is, so a bar printed mid-epoch
        (a callback's print cut it short, or Keras 2 printing a line per update) is at 1.667
        and the epoch's finished bar (12/12) at 2. Another ``fit()`` call's epochs go on
        after the earlier ones'. A bar after the epoch's finished one and before the next
        header, with other values, is ``evaluate()``'s: its finished bar is recorded as
        ``test_*`` at the last epoch, as the in-process capture records it."""
        done, total = within
        epoch = self._bar_header[stream] + self._fit_offset.get(stream, 0)
        phase, last = self._bar_phase.get(stream), self._bar_values.get(stream, {})
        self._bar_values[stream] = values
        redraw = all(last.get(name, value) == value for name, value in values.items())
        if phase == "evaluate" or (phase == "done" and not redraw):
            self._bar_phase[stream] = "evaluate"
            if done == total:
                tested = {
                    name if name.startswith("test_") else f"test_{name}": value
                    for name, value in values.items()
                }
                for name in values:
                    if not name.startswith("test_"):
                        self._bar_tested.setdefault(f"test_{name}", name)
                self._evaluated.update(tested)
                at = self._fraction(epoch, 1, 1)
                self._add_locked(tested, epoch if at is None else at, OUTPUT_SOURCE)
            return
        position = self._fraction(epoch, done, total)
        if position is None:
            self._add_stepless(values, stream)
            return
        if done == total:
            self._bar_phase[stream] = "done"
        for name, value in values.items():
            store = self._printed.get(name)
            if store is not None and store.repeats_last(position, value):
                continue  # the finished bar drawn again after a callback's print
            self._add_locked({name: value}, position, OUTPUT_SOURCE)

    def _add_tqdm_bar(
        self, bar: TqdmBar, redraw: bool, stream: str, *, erased: bool = False
    ) -> None:
        """A tqdm bar counts once, as its loop ended: the line it was left on when it closed.
        A bar drawn at a position below another (nested bars: ``position=1``, or a bar
        opened inside another's loop) ends each redraw with a newline and a cursor-up: such
        a redraw is held, replaced by the next redraw of the same bar, and added when
        another bar is drawn on the stream, the same bar counts from lower again (its next
        loop), or the output ends. A bar showing no metric counts nothing."""
        if self._redrawn_after_clear(bar, stream):
            return
        held = self._held_tqdm.get(stream)
        if held is not None and (held.desc != bar.desc or bar.done < held.done):
            self._add_held_tqdm(stream)
        elif held is not None:
            del self._held_tqdm[stream]  # a later redraw or the close of the same bar
        if bar.shaped is None:
            return
        values = {name: _as_float(value) for name, value in bar.shaped.values.items()}
        if bar.done == 0 and 0.0 in values.values():
            return  # drawn before its first batch with a placeholder (Ignite's "loss: 0.0000")
        step = None if bar.shaped.step is None else _normalize_step(bar.shaped.step)
        if step is not None:
            self._context_steps[stream] = self._latest_context = step
        context = step if step is not None else self._context_steps.get(stream)
        if redraw:
            self._held_tqdm[stream] = _HeldTqdm(bar.desc, bar.done, values, step, context, erased)
        elif step is not None:
            self._add_bar_at_step(values, step)
        else:
            self._add_stepless(values, stream)

    def _redrawn_after_clear(self, bar: TqdmBar, stream: str) -> bool:
        """Whether ``bar`` is a bar drawn again as it was, after a clear: ``tqdm.write`` with
        nested bars clears them all, prints, and draws each again, the outer one as a line of
        its own. That is no end of its loop, nor of the inner bar's."""
        values = {} if bar.shaped is None else bar.shaped.values
        state = (bar.done, {name: _as_float(value) for name, value in values.items()})
        states = self._bar_states.setdefault(stream, {})
        if stream in self._cleared:
            if states.get(bar.desc) == state:
                return True
            self._cleared.discard(stream)
        states.pop(bar.desc, None)
        states[bar.desc] = state
        if len(states) > MAX_BAR_STATES:
            del states[next(iter(states))]
        return False

    def _add_held_tqdm(self, stream: str) -> None:
        held = self._held_tqdm.pop(stream, None)
        if held is None:
            return
        if held.step is not None:
            self._add_locked(held.values, held.step, OUTPUT_SOURCE)
        else:
            self._add_stepless(held.values, stream, held.context)

    def _add_stepless(
        self, values: Mapping[str, float], stream: str, context: Step | None = None
    ) -> None:
        """A printed line without a step: at the step of the stream's last header or stepped
        line (``Test set: Average loss`` after ``Train Epoch: 1 [...]`` lines is at 1,
        ``| End of training | test loss`` at the last epoch), or just after the metric's last
        point when it already has one there; by order (0, 1, 2, ...) before any step.
        ``context``: that step as it was when the line was drawn (a held tqdm bar)."""
        if context is None:
            context = self._context_steps.get(stream, self._latest_context)
        if context is None:
            for name in values:
                if name in self._unheaded or name not in self._printed:
                    self._unheaded[name] = self._unheaded.get(name, 0) + 1
            self._add_locked(values, None, OUTPUT_SOURCE)
            for name in values:  # placed by order
                store = self._printed.get(name)
                if store is not None and store.last_step is not None:
                    self._stepless_at[name] = store.last_step
            return
        # A line bringing a name new at the step (val_ppl after train_ppl) may repeat one that
        # is there already, unchanged: that is the same point (attention-is-all-you-need's lr).
        fresh = any(self._printed_before(name, context) for name in values)
        for name, value in values.items():
            evaluated = self._evaluated.get(name)
            # the bar shows 4 decimals; the program may print every digit, or fewer
            if evaluated is not None and abs(evaluated - value) <= max(
                _print_tolerance(evaluated), _print_tolerance(value)
            ):
                del self._evaluated[name]
                continue  # evaluate()'s result printed by the program: its bar's point
            if self._unheaded:
                self._move_unheaded(name, context)
            store = self._printed.get(name)
            if store is not None and self._printed_again(name, context, value, store):
                continue
            if store is not None and store.repeats_last(context, value) and fresh:
                continue  # the learning rate on the train and the valid line of one epoch
            last = None if store is None else store.last_step
            if last == context and self._stepless_at.get(name) != last:
                if store is not None and store.reprints_last(last, value):
                    continue  # its line's value printed again (river's print(metric) at the end)
            step = context if last is None or last < context else last + 1
            self._stepless_at[name] = step
            line = self._context_lines.get(stream)
            if line is not None and line[0] == step and len(self._placed_at_lines) < MAX_PLACED:
                self._placed_at_lines.append((name, step, line[1]))
            self._add_locked({name: value}, step, OUTPUT_SOURCE)

    def _printed_again(self, name: str, step: Step, value: float, store: _PointStore) -> bool:
        """Whether a step-less value is the one a line with a step printed there last, shown
        again: Hugging Face's ``trainer.log_metrics("train", metrics)`` lists the results of
        the Trainer's printed dict (``train_loss = 0.693`` under ``'train_loss': '0.693',
        'epoch': '2'``), which are no second point one step on."""
        stepped = self._stepped_last.get(name)
        if stepped is None or stepped[0] != step or store.last_step != step:
            return False
        # transformers 4 prints the dict's floats whole and log_metrics' rounded to 4
        # decimals: one number when they agree to the coarser one's 3 decimals or more
        coarser = max(_print_tolerance(stepped[1]), _print_tolerance(value))
        finer = min(_print_tolerance(stepped[1]), _print_tolerance(value))
        return abs(stepped[1] - value) <= (coarser if coarser <= 0.0005 else finer)

    def _printed_before(self, name: str, step: Step) -> bool:
        """Whether the printed metric ``name`` has no point at ``step`` or after it."""
        store = self._printed.get(name)
        last = None if store is None else store.last_step
        return last is None or last < step

    def _move_unheaded(self, name: str, step: Step) -> None:
        """A value printed once before any step (TensorFlow's basic_training_loops guide:
        ``Starting:`` then ``W = 5.00, b = 0.00, loss=10.33501`` above ``Epoch  0:``) is the
        state before training: it goes just before the first step that would land on or
        before it (``Epoch  0`` stays 0, that line is at -1) instead of pushing every later
        epoch one step on. Several such values are a series by order and stay as they are."""
        count = self._unheaded.pop(name, None)
        store = self._printed.get(name)
        if count != 1 or store is None or store.received != 1:
            return
        last = store.last_step
        if last is None or last < step:
            return
        series = store.series()
        moved = _PointStore(store.capacity)
        moved.append(math.ceil(step) - 1, series.values[0], series.times[0])
        self._printed[name] = moved

    def _in_settings_block(self, line: str, stream: str) -> bool:
        """Whether ``line`` is under a printed ``Params:`` heading (Optuna's examples print
        the best trial so: ``  Params: `` then ``    lambda_l1: 0.02`` a line each): settings,
        not metrics. The block ends at a blank line or one indented no deeper than its
        heading."""
        indent = self._settings_blocks.get(stream)
        if indent is None and not line.rstrip().endswith(":"):
            return False  # the common case, cheaply
        visible = _visible_text(line)
        shown = visible.strip()
        depth = len(visible) - len(visible.lstrip())
        if indent is not None:
            if shown and depth > indent:
                return True
            del self._settings_blocks[stream]
        if _SETTINGS_HEADING_RE.fullmatch(shown):
            self._settings_blocks[stream] = depth
            return True
        return False

    def _in_options_block(self, line: str, stream: str) -> bool:
        """Whether ``line`` is inside a block of options between rules of dashes:
        pytorch-CycleGAN-and-pix2pix's ``print_options`` (copied by many repositories)
        prints ``----------------- Options ---------------``, then ``{:>25}: {:<30}`` a
        line each (``lambda_L1: 100.0``), then ``----------------- End -------------------``.
        Settings, not metrics. The block ends at its closing rule, any other rule, a line
        that is no ``name: value`` (a blank one, a metrics line naming two), or after
        MAX_OPTIONS_LINES lines."""
        read = self._options_blocks.get(stream)
        if read is None and line[:3] != "---":
            return False  # the common case, cheaply
        shown = _shown_text(line) or ""
        rule = _OPTIONS_RULE_RE.fullmatch(shown) if shown[:3] == "---" else None
        if read is None:
            if rule is None or rule["title"].lower() == "end":
                return False
            self._options_blocks[stream] = 0
            return True
        ends = shown.count(": ") > 1 or not _OPTION_LINE_RE.fullmatch(shown)
        if rule is not None or shown[:3] == "---" or ends or read >= MAX_OPTIONS_LINES:
            del self._options_blocks[stream]
            return rule is not None or shown[:3] == "---"
        self._options_blocks[stream] = read + 1
        return True

    def _in_listing(self, line: str, stream: str) -> bool:
        """Whether ``line`` is a field of a printed config listing (not metrics); follows
        where each stream is: an opening ``Name(`` line starts one (``Name( # comment`` too),
        a nested ``field=Name(`` or ``field=[`` goes a level in, ``)`` / ``),`` a level out,
        the outermost's ``)`` or any line that is not ``field=value,`` ends it (a level's last
        field may have no comma)."""
        at = self._listings.get(stream)
        if at is None and "(" not in line:
            return False  # the common case, cheaply: no listing open, no "(" to open one
        text = _shown_text(line)
        if text is None:
            return False
        if at is not None:
            read, depth = at
            if read >= MAX_LISTING_LINES:
                del self._listings[stream]
                return False
            if _LISTING_CLOSE_RE.fullmatch(text):
                if depth <= 1:
                    del self._listings[stream]
                else:
                    self._listings[stream] = (read + 1, depth - 1)
                return True
            if _LISTING_NESTED_OPEN_RE.fullmatch(text):
                self._listings[stream] = (read + 1, depth + 1)
                return True
            if (_LISTING_FIELD_RE.fullmatch(text) or _LISTING_ITEM_RE.fullmatch(text)) or (
                read > 0
                and _LISTING_LAST_FIELD_RE.fullmatch(text)
                # a nested level's last field; at the outer level, "loss=0.5 acc=0.75"
                # may be the program's next line
                and (depth > 1 or not _KEY_VALUE_LINE_RE.fullmatch(text))
            ):
                self._listings[stream] = (read + 1, depth)
                return True
            del self._listings[stream]
        if (text.endswith("(") or "( #" in text) and _LISTING_OPEN_RE.search(text):
            self._listings[stream] = (0, 1)
            return True  # "CNN( # Param: 824,650 (3.3 MB), ...": no metric on it either
        if (
            text.endswith(",")
            and text.count("(") - text.count(")") == 1
            and _CALL_OPEN_RE.search(text)
        ):
            self._listings[stream] = (0, 1)
            return True
        return False

    def _in_table(self, line: str, stream: str) -> bool:
        """Whether ``line`` belongs to a logger table (a border or a row); a closing border
        adds the table's values at its step. A table holding a value that is not a number is
        settings, not metrics; a line that is neither a row nor a border ends a table
        unread."""
        table = self._tables.get(stream)
        if table is None and line[:1] not in "-\x1b":
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None:
            self._tables.pop(stream, None)
            return False
        if is_table_border(text):
            if table is not None and table.values and not table.settings:
                values = dict(table.values)
                step = table_step(values)
                if step is not None:  # printed by a line just before (SB3's "Eval ...")
                    values = {
                        name: value
                        for name, value in values.items()
                        if not self._shown_before(name, _normalize_step(step), value)
                    }
                if values:
                    self._add_locked(
                        values, None if step is None else _normalize_step(step), OUTPUT_SOURCE
                    )
            self._tables[stream] = _LoggerTable()  # a border also opens the next table
            return True
        if table is None:
            return False
        row = table_row(text)
        if row is None or table.rows >= MAX_TABLE_ROWS:
            del self._tables[stream]
            return False
        table.read(*row)
        return True

    def _in_column_table(self, line: str, stream: str) -> bool:
        """Whether ``line`` is a column table's header or one of its rows (fastai's ``epoch
        train_loss valid_loss accuracy time``, then ``0  0.69  0.41  0.87  00:16``), each
        row's values added at its epoch. A table after another on the stream (``fine_tune``'s
        second ``fit``) goes on after the epochs of the earlier one, as they were run."""
        table = self._columns.get(stream)
        boxed = line[:1] in BOX_STARTS or (line[:1] == " " and line.lstrip()[:1] in BOX_STARTS)
        if boxed:  # rich's Table: "┃ Epoch ┃ Train Loss ┃"
            cells = boxed_cells(_ANSI_RE.sub("", line) if "\x1b" in line else line)
            if cells is None or is_box_rule(line):  # "┡━━━╇━━━┩", a markdown "|---|---|"
                return table is not None and is_box_rule(line)
            line = "  ".join(cells)
        if table is None and not _has_column_word(line):
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None:
            return False
        if table is not None and is_cma_table(table[0]):
            drawn = cma_drawn_lines(text)
            if drawn is not None:
                for piece in drawn:
                    self._in_column_table(piece, stream)
                return True
        names = column_header(text)
        if names is not None:
            last = self._column_last.get(stream)
            self._columns[stream] = (names, 0 if last is None else last + 1)
            self._column_heads[stream] = _unstripped_text(line)
            self._column_starts.pop(stream, None)
            if last is not None:
                self._column_follows.add(stream)
            return True
        if table is None:
            return False
        head = self._column_heads.pop(stream, None)
        if head is not None and line.lstrip()[:1] == "-":
            starts = column_spans(head, _unstripped_text(line), len(table[0]))
            if starts is not None:
                self._column_starts[stream] = starts
                return True
        starts = self._column_starts.get(stream)
        cells = None if starts is None else column_cells(_unstripped_text(line), starts)
        row = column_row(text, table[0], cells)
        if row is None:
            return False
        epoch, values, counted = row
        if stream in self._column_follows:  # its first row: the step after the last table's
            self._column_follows.discard(stream)
            self._columns[stream] = table = (table[0], table[1] - epoch)
        step = epoch if counted else table[1] + epoch
        if boxed:  # a history drawn after the epochs printed it: their points, once
            values = {name: value for name, value in values.items() if not self._past(name, step)}
        self._column_last[stream] = step
        self._context_steps[stream] = self._latest_context = step
        self._add_locked(values, step, OUTPUT_SOURCE)
        return True

    def _past(self, name: str, step: Step) -> bool:
        """Whether the printed series ``name`` has reached ``step`` already."""
        store = self._printed.get(name)
        last = None if store is None else store.last_step
        return last is not None and last >= step

    def _in_results_frame(self, line: str, stream: str) -> bool:
        """Whether ``line`` is a results table's header (``Model  Accuracy``: a printed
        pandas frame, tabulate, PrettyTable), a rule in it or a model's row, whose values
        are added as ``<model>_<metric>`` without a step of their own. Any other line ends
        the table."""
        frame = self._frames.get(stream)
        before = self._lines_before.pop(stream, None)
        if frame is None and not (line[:1] in " |+Mm" or line[:1].isupper()):
            return False  # the common case, cheaply
        from runledger.recording.capture import results_frames  # noqa: PLC0415 - rare

        if frame is None and not results_frames.names_a_label_column(line):
            if line[:1] == " ":  # pandas' header of a frame whose index is named, maybe
                self._lines_before[stream] = line
            return False
        if frame is None and before is not None and line.strip() in results_frames.METRIC_COLUMNS:
            # print(evaluation.groupby("metric").mean()): the columns' names, then the
            # index's name on a line of its own, then a row per metric
            header = results_frames.index_named_header(_shown_text(before) or "")
            if header is not None:
                self._frames[stream] = header
                return True
        text = _shown_text(line)
        if text is None or not text:
            self._frames.pop(stream, None)
            return False
        if frame is not None:
            if results_frames.is_frame_rule(text):
                return True
            row = results_frames.frame_row(text, frame)
            if row is not None:
                self._add_stepless(row[0], stream)
                self._frames[stream] = row[1]
                return True
            del self._frames[stream]
        header = results_frames.frame_header(text)
        if header is None:
            if line[:1] == " ":
                self._lines_before[stream] = line
            return False
        self._frames[stream] = header
        return True

    def _in_report(self, line: str, stream: str) -> bool:
        """Whether ``line`` belongs to scikit-learn's ``classification_report`` (its header,
        a blank, a class's row, the accuracy or an average); the accuracy and the averages'
        precision, recall and F1 are added as they come, without a step of their own (see
        :meth:`_add_stepless`). Any other line ends the report."""
        reading = stream in self._reports
        if not reading and "support" not in line and "iba" not in line:
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None:
            self._reports.discard(stream)
            return False
        if reading:
            if not text:
                return True
            row = report_row(text)
            if row is not None:
                label, values = row
                self._add_report_values(values, stream)
                if label in ("samples avg", IMBALANCED_AVERAGE):  # a report's last row
                    self._reports.discard(stream)
                return True
            self._reports.discard(stream)
        if is_report_header(text):
            self._reports.add(stream)
            return True
        return False

    def _in_detection_summary(self, line: str, stream: str) -> bool:
        """Whether ``line`` is ultralytics' validation header (``Class  Images  Instances
        Box(P  R  mAP50  mAP50-95)``) or the ``all`` row after it, whose values are added
        at the epoch of the training row before them (:meth:`_add_stepless`)."""
        kinds = self._detections.pop(stream, None)
        if kinds is None and "mAP50-95)" not in line:
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None:
            return False
        if kinds is not None:
            values = detection_row(text, kinds)
            if values is not None:
                self._add_stepless(values, stream)
                return True
        header = detection_header(text)
        if header is not None:
            self._detections[stream] = header
            return True
        return False

    def _in_metric_above(self, line: str, stream: str) -> bool:
        """Whether ``line`` names a metric alone (``Brier score losses:``, ``Log-loss of``)
        or is a ``label: value`` line under it (scikit-learn's plot_calibration): each value
        is added as ``<metric>/<label>`` without a step (:meth:`_add_stepless`)."""
        metric = self._metrics_above.get(stream)
        if metric is None and not line.rstrip().endswith((":", " of", ")")):
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None:
            self._metrics_above.pop(stream, None)
            return False
        if metric is not None:
            values = value_below(text, metric)
            if values is not None:
                self._add_stepless(values, stream)
                return True
            del self._metrics_above[stream]
        # Not the line's own: "Test Error:" also names the phase of the line after it.
        above = None if phase_line(text) is not None else metric_above(text.strip())
        if above is not None:
            self._metrics_above[stream] = above
        return False

    def _in_method_table(self, line: str, stream: str) -> bool:
        """Whether ``line`` is a tab-separated table's header of names or a row under it, a
        method a row (scikit-learn's plot_kmeans_digits): each row's values are added as
        ``<row>/<column>`` (:meth:`_in_headed_table`)."""
        if stream not in self._method_tables and "\t" not in line:
            return False  # the common case, cheaply
        return self._in_headed_table(
            line, stream, self._method_tables, _tabbed_header, method_table_row
        )

    def _in_fold_table(self, line: str, stream: str) -> bool:
        """Whether ``line`` is a cross-validation table's header (``Fold 1 ... Mean  Std``)
        or a row under it (scikit-surprise's ``cross_validate``): each measure's mean and
        standard deviation are added (:meth:`_in_headed_table`)."""
        if stream not in self._fold_tables and "Std" not in line:
            return False  # the common case, cheaply
        return self._in_headed_table(
            line, stream, self._fold_tables, fold_table_header, fold_table_row
        )

    def _in_headed_table(
        self,
        line: str,
        stream: str,
        tables: dict[str, _Layout],
        header: Callable[[str], _Layout | None],
        row: Callable[[str, _Layout], Mapping[str, float] | None],
    ) -> bool:
        """Whether ``line`` is a header (``tables`` keeps what ``header`` read of it) or a
        row under it; a row's values are added without a step of their own
        (:meth:`_add_stepless`). A line that is no row ends the table."""
        layout = tables.get(stream)
        text = _shown_text(line)
        if text is None:
            tables.pop(stream, None)
            return False
        if layout is not None:
            values = row(text, layout)
            if values is not None:
                if values:
                    self._add_stepless(values, stream)
                return True
            del tables[stream]
        found = header(text)
        if found is not None:
            tables[stream] = found
            return True
        return False

    def _in_progress_table(self, line: str, stream: str) -> bool:
        """Whether ``line`` is the end of Vowpal Wabbit's progress header or a row under it:
        each row's average loss is added at its example counter. Any other line ends it."""
        reading = stream in self._progress_tables
        if not reading and "counter" not in line:
            return False  # the common case, cheaply
        text = _shown_text(line)
        row = None if text is None or not reading else progress_row(text)
        if row is not None:
            step, values = row
            self._context_steps[stream] = self._latest_context = step
            self._add_locked(values, step, OUTPUT_SOURCE)
            return True
        self._progress_tables.discard(stream)
        if text is not None and is_progress_header(text):
            self._progress_tables.add(stream)
            return True
        return False

    def _in_trial_summary(self, line: str, stream: str) -> bool:
        """Whether ``line`` belongs to a trial's block of KerasTuner's ``results_summary()``
        (``Trial 2 summary``, its hyperparameters, ``Score: 0.91``), read for nothing: the
        trials are child runs already, and the blocks come best first, so the last score
        printed is the worst trial's. A blank line or the score ends the block."""
        reading = stream in self._trial_summaries
        if not reading and "summary" not in line:
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None or (reading and not text):
            self._trial_summaries.discard(stream)
            return False
        if reading:
            if text.startswith("Score:"):
                self._trial_summaries.discard(stream)
            return True
        if is_trial_summary_title(text):
            self._trial_summaries.add(stream)
            return True
        return False

    def _in_results(self, line: str, stream: str) -> bool:
        """Whether ``line`` belongs to the first block of a statsmodels results summary (its
        title, the border under it, a row, the border closing it); the fit statistics of
        each row are added as they come, without a step of their own (:meth:`_add_stepless`).
        The coefficient table and the diagnostics after the block are left to the other
        readers (they hold no ``name: value`` line)."""
        read = self._results.get(stream)
        if read is None and "Results" not in line:
            return False  # the common case, cheaply
        text = _shown_text(line)
        if text is None:
            self._results.pop(stream, None)
            return False
        if read is None:
            if is_results_title(text):
                self._results[stream] = -1
                return True
            return False
        if is_results_border(text):
            if read < 0:
                self._results[stream] = 0
            else:
                del self._results[stream]
            return True
        if read < 0 or read >= MAX_TABLE_ROWS:
            del self._results[stream]
            return False
        self._results[stream] = read + 1
        values = results_statistics(text)
        if values:
            self._add_stepless(values, stream)
        return True

    def _in_dash_table(self, line: str, stream: str) -> bool:
        """Whether ``line`` is the rule of dashes under a table's header or a row of that
        table (spaCy's ``E  #  LOSS TEXTCAT  CATS_SCORE  SCORE``): each row's values are
        added at its ``#`` step. A line that is no row ends the table."""
        columns = self._dash_tables.get(stream)
        if columns is not None:
            text = _shown_text(line)
            row = None if text is None else dash_table_row(text, columns)
            if row is not None:
                step, values = row
                self._context_steps[stream] = self._latest_context = step
                self._add_locked(values, step, OUTPUT_SOURCE)
                return True
            del self._dash_tables[stream]
        header = self._last_header.pop(stream, None) if self._last_header else None
        if header is not None and line[:1] == "-":
            text = _shown_text(line)
            found = None if text is None else dash_rule_columns(header, text)
            if found is not None:
                self._dash_tables[stream] = found
                return True
        if "#" in line:
            shown = _shown_text(line)
            if shown is not None and len(shown) <= MAX_DASH_HEADER:
                self._last_header[stream] = shown
        return False

    def _add_report_values(self, values: Mapping[str, float], stream: str) -> None:
        """A report's values, but for one the program printed just before with more
        decimals (``Accuracy: 0.9766`` then the report's ``accuracy 0.98``): that value is
        already recorded, and more exactly."""
        kept: dict[str, float] = {}
        for name, value in values.items():
            store = self._printed.get(name)
            if (
                store is not None
                and self._report_points.get(name) != store.received
                and store.last_value is not None
                and abs(store.last_value - value) <= _print_tolerance(value)
            ):
                continue
            kept[name] = value
        if kept:
            self._add_stepless(kept, stream)
            for name in kept:
                store = self._printed.get(name)
                if store is not None:
                    self._report_points[name] = store.received

    def _shown_before(self, name: str, step: Step | None, value: float) -> bool:
        store = self._printed.get(name)
        return step is not None and store is not None and store.shows_last(step, value)

    def _add_file_line(self, line: bytes) -> None:
        decoded = _decode_json_object(line.decode("utf-8", errors="replace"))
        if decoded is None:
            return
        kind = decoded.pop(INPROCESS_KEY, None)
        if kind is not None and kind != "metrics":
            self._inprocess.add(kind, decoded)
            if isinstance(kind, str) and len(self._records) < MAX_RECORDS:
                self._records.append({RECORD_KEY: kind, **decoded})
            return
        params = decoded.pop(PARAMS_KEY, None)
        if isinstance(params, dict):
            _deep_merge(self._logged_params, params)
        tag = decoded.pop(TRACKER_RUN_KEY, None) if kind == "metrics" else None
        trial = decoded.pop(TRIAL_KEY, None) if kind == "metrics" else None
        parsed = _to_parsed_line(_numeric_json_fields(decoded))
        if parsed is None:
            return
        if isinstance(tag, str) and tag and len(self._tracker_stores) < MAX_TRACKER_RUNS:
            stores = self._tracker_stores.setdefault(tag, {})
            self._add_locked(parsed.values, parsed.step, FILE_SOURCE, stores)
        elif (
            isinstance(trial, int)
            and not isinstance(trial, bool)
            and (trial in self._trial_stores or len(self._trial_stores) < MAX_TRACKER_RUNS)
        ):
            stores = self._trial_stores.setdefault(trial, {})
            self._add_locked(parsed.values, parsed.step, FILE_SOURCE, stores)
        else:
            self._add_locked(parsed.values, parsed.step, FILE_SOURCE)

    def _add_locked(
        self,
        values: Mapping[str, float],
        step: Step | None,
        source: str,
        into: dict[str, _PointStore] | None = None,
    ) -> None:
        stores = self._printed if source == OUTPUT_SOURCE else self._explicit
        stores = stores if into is None else into
        at = round(self._clock(), 3)
        for name, value in values.items():
            if self._unheaded and step is not None and into is None and source == OUTPUT_SOURCE:
                self._move_unheaded(name, step)
            store = stores.get(name)
            if store is None:
                if len(stores) >= self._max_metrics:
                    continue
                printed = source == OUTPUT_SOURCE and into is None
                store = stores[name] = _PointStore(self._max_points, placeholders=printed)
            number = _as_float(value)
            if source != OUTPUT_SOURCE and store.repeats_last(step, number):
                continue
            store.append(step, number, at)


_CURSOR_UP: Final = "\x1b[A"


class _LongBar:
    """A tqdm bar that may be the run's only one: one bar over the whole training, whose
    description or postfix the program updates every step (denoising-diffusion-pytorch's
    Trainer: ``loss: 0.1234``; diffusers' scripts: ``step_loss=0.12``), so the redraw left
    when it closes is one point for the whole run. Each count's point (see :meth:`draw`) is
    kept, in point stores as capped and thinned as any metric's; the lines of the bar, to be
    read as any bar's if the stream turns out to have several."""

    def __init__(self, max_points: int, max_metrics: int) -> None:
        self._max_points = max_points
        self._max_metrics = max_metrics
        self.stores: dict[str, _PointStore] = {}
        self.lines: list[tuple[str, bytes | None]] = []
        self.last = -math.inf  # the count of the last draw
        self.counts = 0  # counts kept
        self._pending: tuple[Step, dict[str, float], float] | None = None
        self._shown: dict[str, float] | None = None  # the values of the last redraw
        self._before: dict[str, float] | None = None  # those shown before the pending count
        self._settled = False  # the pending count's point is chosen

    def full(self) -> bool:
        return len(self.lines) >= MAX_LONG_BAR_LINES

    def draw(self, count: Step, done: float, values: dict[str, float], at: float) -> None:
        """A redraw. A count's point is its first redraw that shows new values, else its
        last: tqdm redraws at a new count with the values last set (the count before's),
        then once per ``set_postfix`` / ``set_description``; and a loop faster than tqdm's
        ``mininterval`` leaves the count shown behind, so the later redraws at it are the
        values of later steps (``tqdm(range(200))``: the count 0 showed step 26's loss)."""
        if self._pending is not None and self._pending[0] != count:
            self.commit()
        if self._pending is None:
            self._before = self._shown
            self._settled = False
        if not self._settled:
            self._pending = (count, values, at)
            self._settled = values != self._before
        self._shown = values
        self.last = done

    def commit(self) -> None:
        if self._pending is None:
            return
        count, values, at = self._pending
        self._pending = None
        self.counts += 1
        for name, value in values.items():
            store = self.stores.get(name)
            if store is None:
                if len(self.stores) >= self._max_metrics:
                    continue
                store = self.stores[name] = _PointStore(self._max_points)
            store.append(count, value, at)


# scikit-learn's SGD models (verbose): "-- Epoch 3", then "Norm: 6.39, ..., Avg. loss: 0.14".
_SGD_HEADER: Final = "-- Epoch "
_SGD_LINE: Final = "Norm: "


@dataclass(slots=True)
class _SgdFits:
    """The problems a stream's SGD model fitted so far: the last epoch header, the current
    problem (from 1), the names the first one gave."""

    epoch: int = 0
    problem: int = 1
    first_names: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _HeldTqdm:
    """A positioned tqdm bar's last redraw, with the step it was drawn at; ``erased``: the
    bar was erased (``leave=False``, ``tqdm.write``), not drawn above another."""

    desc: str
    done: float
    values: dict[str, float]
    step: Step | None
    context: Step | None
    erased: bool = False


class _LoggerTable:
    """A logger table read so far: its values by key (``rollout/ep_rew_mean``, the section
    before the key), whether it held text (then it is settings)."""

    def __init__(self) -> None:
        self.section = ""
        self.values: dict[str, int | float] = {}
        self.settings = False
        self.rows = 0

    def read(self, key: str, value: int | float | str | None, indented: bool) -> None:
        self.rows += 1
        if value is None:
            self.section = key if key.endswith("/") else ""
        elif isinstance(value, str):
            self.settings = True
        else:
            self.values[self.section + key if indented else key] = value


@functools.lru_cache(maxsize=4096)
def _metric_words(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a name measures: its metric words and its phase other than training.

    ``Loss/train`` and ``train_loss`` are both ``({"loss"}, {})``, ``test_average_loss`` and
    ``Loss/test`` both ``({"loss"}, {"test"})``; ``val_loss`` is not ``loss``.
    """
    words = _NAME_WORD_RE.split(name.lower())
    measured = frozenset(
        word for word in words if word in METRIC_WORDS or word.rstrip("0123456789") in METRIC_WORDS
    )
    phases = frozenset(PHASES[word] for word in words if PHASES.get(word, "train") != "train")
    return measured, phases


_NAME_WORD_RE: Final = compile_later(r"[\W_]+")


def _printed_unnamed(
    name: str, printed: _PointStore, explicit_stores: Mapping[str, _PointStore]
) -> bool:
    """Whether a printed value named only by its data set (CatBoost's round line, ``test:
    0.69``: its eval metric, whichever that is) is, point for point, one the program gave
    under that name and its metric's (``test_Logloss`` or ``test_AUC`` from CatBoost's
    evaluation results): each printed point shows the value one of those has at its step."""
    prefix = series_key(name) + "_"
    covering = [
        store for other, store in explicit_stores.items() if series_key(other).startswith(prefix)
    ]
    if not covering:
        return False
    at_step: dict[Step, list[float]] = {}
    for store in covering:
        series = store.series()
        for step, value in zip(series.steps, series.values, strict=True):
            at_step.setdefault(step, []).append(value)
    shown = printed.series()
    return all(
        any(abs(value - other) <= _print_tolerance(value) for other in at_step.get(step, ()))
        for step, value in zip(shown.steps, shown.values, strict=True)
    )


def _without_repeats(store: _PointStore, values: Sequence[float]) -> list[float] | None:
    """``values`` (the store's) without a point that repeats the one before it, step and
    value; None when no point does, or the steps do not line up with the values."""
    steps = store.series().steps
    if len(steps) != len(values):
        return None
    kept = [
        value
        for index, value in enumerate(values)
        if index == 0 or (steps[index], value) != (steps[index - 1], values[index - 1])
    ]
    return kept if len(kept) != len(values) else None


def _printed_within(printed: Sequence[float], explicit: Sequence[float]) -> bool:
    """Whether ``printed`` is ``explicit`` as printed: as many values, each matching the
    explicit one rounded to as many decimals as the printed one shows. (A subsequence would
    also match an epoch's printed average against a writer's values of every batch by chance.)
    """
    if not printed or len(printed) != len(explicit):
        return False
    return all(
        abs(value - other) <= _print_tolerance(value)
        for value, other in zip(printed, explicit, strict=True)
    )


def _print_tolerance(value: float) -> float:
    """Half a unit of the last decimal a printed value shows: 0.05 for 2.3 (printed 2.30 or
    2.3), 0.0005 for 0.125; 0 for NaN and infinities."""
    if not math.isfinite(value):
        return 0.0
    exponent = decimal.Decimal(repr(value)).as_tuple().exponent
    return 0.5 * 10.0**exponent if isinstance(exponent, int) else 0.0


def _captured_at(
    line: Mapping[str, float],
    by_key: Mapping[str, _PointStore],
    sorted_points: dict[str, tuple[list[float], list[Step]]],
) -> Step | None:
    """The last step at which the explicit stores hold every value of a printed ``line``
    (each as printed, rounded), or None. ``sorted_points``: each store's values in order
    with their steps, made once for all lines (a bisection per value, not a scan)."""
    common: set[Step] | None = None
    for name, printed in line.items():
        key = series_key(name)
        store = by_key.get(key)
        if store is None or not math.isfinite(printed):
            return None
        if key not in sorted_points:
            series = store.series()
            points = zip(series.values, series.steps, strict=True)
            pairs = sorted(point for point in points if math.isfinite(point[0]))
            sorted_points[key] = ([value for value, _ in pairs], [step for _, step in pairs])
        values, at = sorted_points[key]
        tolerance = _print_tolerance(printed)
        start = bisect.bisect_left(values, printed - tolerance)
        end = bisect.bisect_right(values, printed + tolerance)
        steps = set(at[start:end])
        common = steps if common is None else common & steps
        if not common:
            return None
    return None if common is None else max(common)


def _restepped(store: _PointStore, steps: Mapping[Step, Step]) -> _PointStore:
    """A copy of ``store`` with the points at each key of ``steps`` at its value."""
    series = store.series()
    times = series.times or [0.0] * len(series.steps)
    moved = _PointStore(store.capacity)
    for at, step, value in zip(times, series.steps, series.values, strict=False):
        moved.append(steps.get(step, step), value, at)
    return moved


def _merged(first: _PointStore, second: _PointStore) -> _PointStore:
    """One store of two stores' points, in the order they arrived (a point both hold once)."""
    points: list[tuple[float, int, Step, float]] = []
    for rank, store in enumerate((first, second)):
        series = store.series()
        times = series.times or [0.0] * len(series.steps)
        points.extend(
            (at, rank, step, value)
            for at, step, value in zip(times, series.steps, series.values, strict=False)
        )
    points.sort(key=lambda point: (point[0], point[1]))
    merged = _PointStore(max(first.capacity, second.capacity))
    for at, _, step, value in points:
        if not merged.repeats_last(step, value):
            merged.append(step, value, at)
    return merged


def _shared_params(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The params every run has with the same value (a k-fold loop's config, not its fold)."""
    if not runs:
        return {}
    first, *others = runs
    return {
        name: copy.deepcopy(value)
        for name, value in first.items()
        if all(name in other and other[name] == value for other in others)
    }


@dataclass(frozen=True)
class TrackerRun:
    """One run of an experiment tracker (a wandb run, an MLflow run) of the program.

    ``tag``: ``wandb:2``, its tracker and number; ``facts``: from its ``tracker_run`` lines
    (``at``: began, ``ended``, ``exit_code``, ``name``, ``id``); ``params``: its own.
    """

    tag: str
    facts: dict[str, Any]
    params: dict[str, Any]
    series: dict[str, MetricSeries]


@dataclass
class InProcessReport:
    """The in-process capture's lines other than metrics, as the recorder needs them.

    ``params``: source name -> that source's last params; ``used``: distribution -> version
    of the packages the program imported; ``facts`` such as ``world_size``; ``errors``: what
    went wrong inside the capture (the program ran on regardless); ``covered_log_dirs``: the
    TensorBoard folders whose values were reported in process (absolute paths);
    ``logger_folders``: the folders Lightning's own loggers write (``lightning_logs/version_0``);
    ``aliases``: option names that set a param under another name (argparse's ``-b`` ->
    ``batch_size``); ``saved``: the absolute paths the program saved models and weights to
    (``torch.save``, ``joblib.dump``), in the order first saved.
    """

    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    covered_log_dirs: list[str] = field(default_factory=list)
    logger_folders: list[str] = field(default_factory=list)
    saved: dict[str, None] = field(default_factory=dict)
    # Tracker run tag (``wandb:2``) -> its params; -> what its ``tracker_run`` lines say.
    tracker_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracker_runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: object, line: dict[str, Any]) -> None:
        if kind == "params":
            source, params = line.get("source"), line.get("params")
            if isinstance(source, str) and source and isinstance(params, dict):
                self.params.pop(source, None)  # the latest parse decides the order too
                self.params[source] = params
                tag = line.get(TRACKER_RUN_KEY)
                if isinstance(tag, str) and tag and self._room_for(tag):
                    self.tracker_params[tag] = params
                aliases = line.get("aliases")
                if isinstance(aliases, dict):
                    self.aliases.update(
                        (name, dest)
                        for name, dest in list(aliases.items())[:MAX_ALIASES]
                        if isinstance(name, str)
                        and isinstance(dest, str)
                        and len(self.aliases) < MAX_ALIASES
                    )
        elif kind == "tracker_run":
            tag = line.get("tracker_run")
            if isinstance(tag, str) and tag and self._room_for(tag):
                facts = self.tracker_runs.setdefault(tag, {})
                for key in ("at", "ended", "name", "id", "exit_code", "parent"):
                    value = line.get(key)
                    if isinstance(value, (str, int)) and not isinstance(value, bool):
                        facts[key] = value
        elif kind == "used" and isinstance(line.get("packages"), dict):
            for name, version in line["packages"].items():
                if isinstance(name, str) and isinstance(version, str):
                    self.used[name] = version
        elif kind == "fact":
            self.facts.update(
                (key, value) for key, value in line.items() if isinstance(value, (int, str))
            )
        elif kind == "tensorboard_covered":
            log_dir = line.get("log_dir")
            if isinstance(log_dir, str) and log_dir and log_dir not in self.covered_log_dirs:
                if len(self.covered_log_dirs) < MAX_CAPTURE_ERRORS:
                    self.covered_log_dirs.append(log_dir)
        elif kind == "logger_folders" and isinstance(line.get("folders"), list):
            for folder in line["folders"]:
                if (
                    isinstance(folder, str)
                    and folder not in self.logger_folders
                    and len(self.logger_folders) < MAX_LOGGER_FOLDERS
                ):
                    self.logger_folders.append(folder)
        elif kind == "saved":
            path = line.get("path")
            if isinstance(path, str) and path and len(self.saved) < MAX_SAVED_PATHS:
                self.saved[path] = None
        elif kind == "capture_error" and len(self.errors) < MAX_CAPTURE_ERRORS:
            self.errors.append(f"{line.get('hook', '?')}: {line.get('error', '')}"[:500])

    def _room_for(self, tag: str) -> bool:
        known = tag in self.tracker_runs or tag in self.tracker_params
        return known or len({*self.tracker_runs, *self.tracker_params}) < MAX_TRACKER_RUNS


class _FileTail:
    """Where the last poll of a metrics file stopped."""

    def __init__(self) -> None:
        self._offset = 0
        self._splitter = _LineSplitter(MAX_FILE_LINE_BYTES)

    def read_new_lines(self, path: Path, *, final: bool) -> list[bytes]:
        try:
            with open(path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size < self._offset:
                    self._offset = 0
                    self._splitter = _LineSplitter(MAX_FILE_LINE_BYTES)
                file.seek(self._offset)
                lines = self._read_to_end(file)
        except FileNotFoundError:
            lines = []
        if final:
            lines.extend(self._splitter.flush())
        return lines

    def _read_to_end(self, file: Any) -> list[bytes]:
        lines: list[bytes] = []
        while chunk := file.read(_FILE_READ_CHUNK):
            self._offset += len(chunk)
            lines.extend(self._splitter.feed(chunk))
        return lines


def _deep_merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _deep_merge(current, value)
        else:
            into[key] = _deep_copy(value) if isinstance(value, dict) else value


def _deep_copy(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value)


# --- metrics.toml ---------------------------------------------------------------------------


def series_to_toml_dict(series: Mapping[str, MetricSeries]) -> dict[str, Any]:
    """The content of metrics.toml: ``{"series": {name: {"step": [...], "value": [...]}}}``.

    Steps stay integers when every step of the series is one; values are always floats
    (NaN and infinities are TOML floats). ``time`` (seconds since the start) is written
    when the series knows it.
    """
    tables: dict[str, Any] = {}
    for name, one in series.items():
        table: dict[str, Any] = {
            "step": _toml_steps(one.steps),
            "value": [float(v) for v in one.values],
        }
        if one.times and len(one.times) == len(one.steps):
            table["time"] = [float(t) for t in one.times]
        if one.source:
            table["source"] = one.source
        tables[name] = table
    return {"series": tables}


def series_from_toml_dict(document: Mapping[str, Any]) -> dict[str, MetricSeries]:
    """The series of a metrics.toml document; ValueError when one is malformed."""
    tables = document.get("series", {})
    if not isinstance(tables, Mapping):
        raise ValueError("metrics.toml: 'series' must be a table")
    return {name: _series_from_table(name, table) for name, table in tables.items()}


def _toml_steps(steps: list[Step]) -> list[Step]:
    if all(isinstance(step, int) and _INT64_MIN <= step <= _INT64_MAX for step in steps):
        return [int(step) for step in steps]
    return [_as_float(step) for step in steps]


def _series_from_table(name: str, table: Any) -> MetricSeries:
    steps = table.get("step") if isinstance(table, Mapping) else None
    values = table.get("value") if isinstance(table, Mapping) else None
    if not isinstance(steps, list) or not isinstance(values, list) or len(steps) != len(values):
        raise ValueError(
            f"metrics.toml: series {name!r} needs 'step' and 'value' arrays of one length"
        )
    if not all(_is_number(item) for item in steps + values):
        raise ValueError(f"metrics.toml: series {name!r} holds something that is not a number")
    times = table.get("time")
    # Runs recorded before per-point times have none; a malformed one is ignored, not fatal.
    if not (
        isinstance(times, list)
        and len(times) == len(steps)
        and all(_is_number(item) for item in times)
    ):
        times = []
    source = table.get("source")
    return MetricSeries(
        steps=list(steps),
        values=[float(value) for value in values],
        times=[float(t) for t in times],
        source=source if isinstance(source, str) else None,
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


bind(globals())  # the patterns above are compiled on first use (lazyre)
