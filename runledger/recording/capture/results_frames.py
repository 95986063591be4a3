"""Tables of results by model, as hand-written comparison scripts print them.

``print(df_results)`` (a pandas frame, its index first), ``tabulate(rows, headers=...)`` and
PrettyTable: a header naming the models' column (``Model``, ``Classifier``...) and one or more
metrics, then a row per model. Each row's values are recorded as ``<model>_<metric>``
(``random_forest_accuracy``); borders and rules between them are read past.

Or the other way round, a row per metric and a column per model, under a ``metric`` column:
Nixtla's ``utilsforecast.evaluation.evaluate`` (statsforecast's and neuralforecast's
cross-validation), ``unique_id  metric  AutoETS  SeasonalNaive`` then ``1.0  mae  32.82  35.92``:
the same ``<model>_<metric>`` names, the rows of its first series only.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from runledger.recording.capture.lazyre import bind, compile_later
from runledger.recording.capture.output_formats import (
    Fields,
    _clean_name,
    _number,
    has_metric_word,
)

LABEL_COLUMNS: Final = frozenset(
    "model models classifier classifiers algorithm algorithms method methods estimator "
    "estimators regressor regressors name".split()
)
_SPLIT_RE: Final = compile_later(r" {2,}|\t")
_RULE_RE: Final = compile_later(r"[-=+|: ]*-[-=+|: ]*")
_CELL_RE: Final = compile_later(
    r"(?P<num>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*%?"
)


METRIC_COLUMNS: Final = frozenset({"metric", "metrics"})
# The one column of a frame by metric that holds no model's values but the values
# (``metric  value``).
_VALUE_COLUMNS: Final = frozenset({"value", "values", "score", "scores", "result"})
# Each of LABEL_COLUMNS (and METRIC_COLUMNS) holds one of these, whatever its first letter's case.
_LABEL_HINTS: Final = (
    "odel", "lassifier", "lgorithm", "ethod", "stimator", "egressor", "ame", "etric",
)  # fmt: skip


class Frame(NamedTuple):
    """A results table being read: ``names`` are the metrics of its columns (a row per
    model), or with ``by_metric`` the models of its columns (a row per metric)."""

    names: tuple[str, ...]
    by_metric: bool = False
    ids: int = 0  # by metric: the columns before the metric's (utilsforecast's unique_id)
    series: str | None = None  # by metric: the id of the rows read so far


def names_a_label_column(line: str) -> bool:
    """Whether ``line`` may be such a header: a cheap test before any parse."""
    return any(hint in line for hint in _LABEL_HINTS)


def _cells(text: str) -> list[str]:
    if text[:1] == "|":
        return [cell.strip() for cell in text.strip("|").split("|")]
    return _SPLIT_RE.split(text.strip())


def frame_header(text: str) -> Frame | None:
    """A results table's header, None for any other line: ``Model  Accuracy  F1`` (the first
    column names the models, every other one a metric), or ``[unique_id]  metric  AutoETS``."""
    cells = _cells(text)
    if len(cells) < 2:
        return None
    first = cells[0].lower()
    if first not in LABEL_COLUMNS:
        return _by_metric_header(_words(text))
    names = tuple(_clean_name(cell) for cell in cells[1:])
    if len(set(names)) != len(names) or not all(name and has_metric_word(name) for name in names):
        return None
    return Frame(names)


def index_named_header(text: str) -> Frame | None:
    """The models' names over a frame by metric whose index (the metric) is named on the
    line after: pandas' ``groupby("metric").mean()``, printed."""
    return _by_metric_header(["metric", *_words(text)])


def _by_metric_header(cells: list[str]) -> Frame | None:
    ids = 1 if cells[0].lower().endswith("id") and len(cells) > 2 else 0
    if cells[ids].lower() not in METRIC_COLUMNS:
        return None
    models = tuple(_clean_name(cell) for cell in cells[ids + 1 :])
    if len(set(models)) != len(models) or not all(models):
        return None
    if models[0] in _VALUE_COLUMNS and len(models) == 1:
        models = ("",)  # the metric's own name
    return Frame(models, by_metric=True, ids=ids)


def is_frame_rule(text: str) -> bool:
    """A border or rule of such a table (``+------+----+``, ``-----  ----``)."""
    return _RULE_RE.fullmatch(text) is not None


def frame_row(text: str, frame: Frame) -> tuple[Fields, Frame] | None:
    """A model's row: its label, then a number per metric (a pandas frame's index before
    them); or by metric, a metric's: its name, then a number per model. With the frame as
    it reads on; else None."""
    if frame.by_metric:
        return _metric_row(text, frame)
    names = frame.names
    cells = _cells(text)
    if len(cells) == len(names) + 2 and cells[0].isdigit():
        cells = cells[1:]  # pandas' index
    if len(cells) != len(names) + 1:
        return None
    label = _clean_name(cells[0])
    if not label or _CELL_RE.fullmatch(cells[0]) is not None:
        return None
    values: Fields = {}
    for name, cell in zip(names, cells[1:], strict=True):
        number = _CELL_RE.fullmatch(cell)
        if number is None:
            return None
        values[f"{label}_{name}"] = _number(number["num"])
    return values, frame


def _words(text: str) -> list[str]:
    """A frame by metric's cells: pandas puts one blank between two columns where a value
    fills its column (``unique_id metric``, ``1.0 scaled_crps``); names of one word."""
    return _cells(text) if text[:1] == "|" else text.split()


def _metric_row(text: str, frame: Frame) -> tuple[Fields, Frame] | None:
    cells = _words(text)
    width = frame.ids + 1 + len(frame.names)
    if len(cells) == width + 1 and cells[0].isdigit():
        cells = cells[1:]  # pandas' index
    if len(cells) != width:
        return None
    series = cells[0] if frame.ids else None
    if frame.series is not None and series != frame.series:
        return None  # another series' rows: under the same names, they would mix
    metric = _clean_name(cells[frame.ids])
    if not metric or _CELL_RE.fullmatch(cells[frame.ids]) is not None:
        return None
    values: Fields = {}
    for model, cell in zip(frame.names, cells[frame.ids + 1 :], strict=True):
        number = _CELL_RE.fullmatch(cell)
        if number is None:
            return None
        values[f"{model}_{metric}" if model else metric] = _number(number["num"])
    return values, frame._replace(series=series)


bind(globals())
