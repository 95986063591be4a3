"""Tables of results by model, as hand-written comparison scripts print them.

``print(df_results)`` (a pandas frame, its index first), ``tabulate(rows, headers=...)`` and
PrettyTable: a header naming the models' column (``Model``, ``Classifier``...) and one or more
metrics, then a row per model. Each row's values are recorded as ``<model>_<metric>``
(``random_forest_accuracy``); borders and rules between them are read past.
"""

from __future__ import annotations

from typing import Final

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


# Each of LABEL_COLUMNS holds one of these, whatever its first letter's case.
_LABEL_HINTS: Final = ("odel", "lassifier", "lgorithm", "ethod", "stimator", "egressor", "ame")


def names_a_label_column(line: str) -> bool:
    """Whether ``line`` may be such a header: a cheap test before any parse."""
    return any(hint in line for hint in _LABEL_HINTS)


def _cells(text: str) -> list[str]:
    if text[:1] == "|":
        return [cell.strip() for cell in text.strip("|").split("|")]
    return _SPLIT_RE.split(text.strip())


def frame_header(text: str) -> tuple[str, ...] | None:
    """The metrics' names of a results table's header (``Model  Accuracy  F1``), None for
    any other line: the first column names the models, every other one a metric."""
    cells = _cells(text)
    if len(cells) < 2 or cells[0].lower() not in LABEL_COLUMNS:
        return None
    names = tuple(_clean_name(cell) for cell in cells[1:])
    if len(set(names)) != len(names) or not all(name and has_metric_word(name) for name in names):
        return None
    return names


def is_frame_rule(text: str) -> bool:
    """A border or rule of such a table (``+------+----+``, ``-----  ----``)."""
    return _RULE_RE.fullmatch(text) is not None


def frame_row(text: str, names: tuple[str, ...]) -> Fields | None:
    """A model's row: its label, then a number per metric (a pandas frame's index before
    them), else None."""
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
    return values


bind(globals())
