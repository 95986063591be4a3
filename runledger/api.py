"""What a training script calls: ``runledger.log()`` and ``runledger.log_params()``.

Both append one JSON line to the file named by ``RUNLEDGER_METRICS_FILE``, which
``runledger exec`` sets for the command it runs. Without that variable they do nothing,
so a script behaves the same run bare or under ``runledger exec``. For the same reason the
arguments are checked in both cases: a bad call fails the same way everywhere.

Imported by every training script, so only the standard library, and little of it.
"""

from __future__ import annotations

import json
import operator
import os
import warnings
from collections.abc import Mapping
from typing import Any

METRICS_FILE_ENV = "RUNLEDGER_METRICS_FILE"
PARAMS_KEY = "__params__"
STEP_KEY = "step"


def log(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Record metric values, e.g. ``log({"loss": 0.25, "acc": 0.91}, step=3)``.

    Values may be anything with ``__float__`` (numpy and torch scalars included);
    NaN and infinities are kept. Booleans and text raise TypeError.
    """
    record: dict[str, Any] = {}
    if step is not None:
        record[STEP_KEY] = _as_step(step)
    record.update(_as_metric_values(metrics, step_given=step is not None))
    _append_record(record)


def log_params(params: Mapping[str, Any]) -> None:
    """Record hyperparameters, e.g. ``log_params({"lr": 0.01, "model": {"depth": 12}})``.

    Nested mappings are kept nested; later calls are merged into earlier ones, later
    values winning. Values JSON cannot hold are recorded as their ``str()``.
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"runledger.log_params() takes a mapping such as a dict, not {type(params).__name__}"
            " (for argparse results pass vars(args))"
        )
    _append_record({PARAMS_KEY: _jsonable_mapping(params)})


def _as_step(step: object) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise TypeError(f"runledger.log(): step must be an integer, not {type(step).__name__}")
    try:
        return operator.index(step)
    except TypeError:
        raise TypeError(f"runledger.log(): step must be an integer, not {step!r:.60}") from None


def _as_metric_values(metrics: object, *, step_given: bool) -> dict[str, float | int]:
    if not isinstance(metrics, Mapping):
        raise TypeError(
            "runledger.log() takes a mapping of metric name to number, such as"
            f" {{'loss': 0.25}}, not {type(metrics).__name__}"
        )
    values: dict[str, float | int] = {}
    for name, value in metrics.items():
        _check_metric_name(name, step_given=step_given)
        values[name] = _as_metric_value(name, value)
    return values


def _check_metric_name(name: object, *, step_given: bool) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"runledger.log(): metric names must be non-empty strings, not {name!r}")
    if name == PARAMS_KEY:
        raise ValueError(f"runledger.log(): {PARAMS_KEY!r} is reserved; use log_params()")
    if name == STEP_KEY and step_given:
        raise ValueError("runledger.log(): the step is given twice, as step= and in the metrics")


def _as_metric_value(name: str, value: object) -> float | int:
    # numpy.bool_ is not a bool subclass but has __float__: refuse it by name.
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise TypeError(f"runledger.log(): metric {name!r} is a bool; metrics must be numbers")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
        raise TypeError(
            f"runledger.log(): metric {name!r} must be a number, not {type(value).__name__}"
            f" ({value!r:.60})"
        )
    if hasattr(value, "__index__"):
        # Integers stay exact: a metric named epoch or step is read back as the step.
        try:
            return operator.index(value)
        except TypeError:
            pass  # e.g. a float tensor: __index__ exists but refuses
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        # e.g. a torch tensor with more than one element.
        raise TypeError(f"runledger.log(): metric {name!r} must be a single number: {exc}") from exc


def _jsonable_mapping(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key): _jsonable(value) for key, value in mapping.items()}


def _jsonable(value: object) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return _jsonable_mapping(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    return _jsonable_scalar(value)


def _jsonable_scalar(value: object) -> Any:
    """numpy / torch scalars become numbers; anything else its str()."""
    if hasattr(value, "__index__"):
        try:
            return operator.index(value)
        except TypeError:
            pass
    if hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    return str(value)


def _append_record(record: Mapping[str, Any]) -> None:
    path = os.environ.get(METRICS_FILE_ENV)
    if not path:
        return
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        _append_line(path, line.encode("utf-8"))
    except OSError as exc:
        # The user's training must not die because the ledger cannot take a metric.
        warnings.warn(
            f"runledger: could not write to {METRICS_FILE_ENV}={path}: {exc}",
            RuntimeWarning,
            stacklevel=3,
        )


def _append_line(path: str, data: bytes) -> None:
    # O_APPEND and one write per line: lines from several threads or processes never
    # interleave. Opened per call, so a fork or a moved file cannot leave a stale handle.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)
