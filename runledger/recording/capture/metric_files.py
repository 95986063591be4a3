"""Metrics from files the run wrote: CSV logs and TensorBoard event files.

Looked for once the command has ended, under the work tree, among files modified since the run
started (folders such as ``.git``, virtual environments and ``node_modules`` are skipped, and
at most MAX_ENTRIES entries are looked at):

- A ``.csv`` file whose header has a step-like column (``step``, ``global_step``, ``steps``,
  ``iteration``, ``iter``, ``epoch``; any case) and at least one column of numbers. Each such
  column is a series; empty cells are skipped (Lightning's CSVLogger ``metrics.csv`` writes
  sparse rows: ``train_loss`` on some, ``val_loss`` on others). The step is the first step-like
  column of that order that has a value on the row; the other step-like columns are metrics.
  A column with a cell that is not a number (a model name) is not a metric.
  A column that several CSV files have is named after each file (``train/loss``, ``val/loss``).
- A TensorBoard event file (``events.out.tfevents.*``), read with the ``tensorboard`` package
  (``pip install 'runledger[tensorboard]'``): each scalar tag is a series. The event files of
  one folder are one log (Lightning writes one for fit and another for test): a tag's points
  in all of them are one series. Keras' TensorBoard callback (``epoch_*`` tags under
  ``train/`` and ``validation/``) is read by the names Keras gives the same values in its logs
  and printed lines: ``train/epoch_loss`` is ``loss``, ``validation/epoch_loss`` is
  ``val_loss``, and ``validation/evaluation_loss_vs_iterations`` (those values again, at the
  training step) is left out. Any other tag written in several folders is named after its
  folder too: ``runs/a/loss`` and ``runs/b/loss`` are ``a/loss`` and ``b/loss``. Event files
  under a folder that the in-process capture names (the HF Trainer's ``runs/``, whose
  ``train/loss`` is the captured ``loss``) are not read: their values are recorded already,
  under their own names.

- torchtune's DiskLogger log (``log_<time>.txt``, its default metric logger): a line a
  step, ``Step 10 | loss:2.3456 lr:2e-05 tokens_per_second_per_gpu:1234.5``; each name a
  series. A ``log_*.txt`` file with any other line is not one.

Each series keeps the path of the file it was read from. A series that the in-process capture
also reported is recorded once, as captured (the collector keeps explicit values first).
"""

from __future__ import annotations

import csv
import importlib
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from runledger.recording.capture.freshness import written_since
from runledger.recording.capture.worktree import Listing, list_files

MAX_CSV_BYTES: Final = 64 * 1024 * 1024
MAX_EVENT_BYTES: Final = 512 * 1024 * 1024
STEP_COLUMNS: Final = ("step", "global_step", "steps", "iteration", "iter", "epoch")
EVENT_FILE_PREFIX: Final = "events.out.tfevents."
LIGHTNING_PLACEHOLDER: Final = "hp_metric"
# Imported by name: the tensorboard extra is optional, and its typing with it.
_ACCUMULATOR: Final = "tensorboard.backend.event_processing.event_accumulator"
# tensorboard's file layer imports these, where installed, to read s3:// and other remote
# paths; the event files read here are local, and with boto3 installed its import was most
# of the reader's (0.5 -> 0.3 s of CPU).
_REMOTE_FILE_LIBRARIES: Final = ("boto3", "botocore", "fsspec")


@dataclass(frozen=True)
class FileSeries:
    """One metric read from a file: its points in file order, and the file (relative path)."""

    name: str
    steps: list[int | float]
    values: list[float]
    source: str


@dataclass(frozen=True)
class WrittenFiles:
    """The metric files a run wrote."""

    csv_files: list[Path]
    event_files: list[Path]
    disk_logs: list[Path]


def find_written_files(
    root: Path,
    started_after: float,
    covered_dirs: Sequence[str] = (),
    listing: Listing | None = None,
) -> WrittenFiles:
    """CSV and TensorBoard event files under ``root`` modified since ``started_after``;
    those under ``covered_dirs`` (values captured in process) left out. ``listing``:
    the files under ``root``, when the caller has walked it already."""
    covered = tuple(os.path.join(os.path.realpath(folder), "") for folder in covered_dirs)
    csv_files: list[Path] = []
    event_files: list[Path] = []
    disk_logs: list[Path] = []
    for entry in (listing or list_files(root)).files:
        name = entry.name
        is_csv = name.lower().endswith(".csv")
        is_event = name.startswith(EVENT_FILE_PREFIX)
        is_disk_log = name.startswith(DISK_LOG_PREFIX) and name.endswith(".txt")
        if not (is_csv or is_event or is_disk_log):
            continue
        try:
            if not written_since(entry.stat().st_mtime_ns, started_after):
                continue
        except OSError:
            continue
        if not is_disk_log and covered and os.path.realpath(entry.path).startswith(covered):
            continue
        found = csv_files if is_csv else event_files if is_event else disk_logs
        found.append(Path(entry.path))
    return WrittenFiles(sorted(csv_files), sorted(event_files), sorted(disk_logs))


# --------------------------------------------------------------------------------- CSV


def csv_series(path: Path, source: str) -> list[FileSeries]:
    """The series of a metrics CSV file; [] when it is not one (see the module docstring)."""
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            return []
        with open(path, newline="", encoding="utf-8", errors="replace") as file:
            rows = csv.reader(file)
            header = next(rows, None)
            if not header:
                return []
            return _csv_columns(header, rows, source)
    except (OSError, csv.Error):
        return []


def _csv_columns(header: list[str], rows: Iterator[list[str]], source: str) -> list[FileSeries]:
    names = [name.strip() for name in header]
    lowered = [name.lower() for name in names]
    step_columns = [lowered.index(word) for word in STEP_COLUMNS if word in lowered]
    if not step_columns:
        return []
    points: dict[int, tuple[list[int | float], list[float]]] = {
        index: ([], []) for index, name in enumerate(names) if name
    }
    broken: set[int] = set()
    for row in rows:
        step = _row_step(row, step_columns)
        if step is None:
            continue
        for index, cell in enumerate(row[: len(names)]):
            if index not in points or index in broken or not cell.strip():
                continue
            if index == step[1]:
                continue
            number = _number(cell)
            if number is None:
                broken.add(index)
                continue
            points[index][0].append(step[0])
            points[index][1].append(float(number))
    return [
        FileSeries(names[index], steps, values, source)
        for index, (steps, values) in points.items()
        if values and index not in broken
    ]


def _row_step(row: list[str], step_columns: list[int]) -> tuple[int | float, int] | None:
    for index in step_columns:
        if index < len(row):
            number = _number(row[index])
            if number is not None and math.isfinite(number):
                return number, index
    return None


_INT64: Final = range(-(2**63), 2**63)


def _number(cell: str) -> int | float | None:
    """The cell's number: an int where it is one that fits 64 bits, else a float (inf for
    one too large; an int of 400 digits made float() and math.isfinite() raise)."""
    text = cell.strip()
    try:
        whole = int(text)
    except ValueError:  # not an integer, or one over Python's 4,300 digits
        pass
    else:
        if whole in _INT64:
            return whole
    try:
        return float(text)
    except ValueError:
        return None


# ------------------------------------------------------------------ torchtune's DiskLogger

DISK_LOG_PREFIX: Final = "log_"
_DISK_LOG_LINE_RE: Final = re.compile(r"Step (?P<step>[0-9]+) \| (?P<items>.*)")
_DISK_LOG_ITEM_RE: Final = re.compile(r"(?P<name>[^\W\d][^\s:]*):(?P<value>\S+)")


def disk_log_series(path: Path, source: str) -> list[FileSeries]:
    """The series of torchtune's DiskLogger log; [] when it is not one."""
    points: dict[str, tuple[list[int | float], list[float]]] = {}
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            return []
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                text = line.strip()
                if not text:
                    continue
                match = _DISK_LOG_LINE_RE.fullmatch(text)
                if match is None:
                    return []
                step = _number(match["step"])
                if not isinstance(step, int):
                    return []  # a step no 64-bit int holds: not torchtune's
                for item in match["items"].split():
                    pair = _DISK_LOG_ITEM_RE.fullmatch(item)
                    number = None if pair is None else _number(pair["value"])
                    if pair is not None and number is not None:
                        steps, values = points.setdefault(pair["name"], ([], []))
                        steps.append(step)
                        values.append(float(number))
    except OSError:
        return []
    return [FileSeries(name, steps, values, source) for name, (steps, values) in points.items()]


# ------------------------------------------------------------------------- TensorBoard


def tensorboard_available() -> bool:
    try:
        _event_accumulator()
    except Exception:  # noqa: BLE001 - missing, or broken: either way it cannot read
        return False
    return True


def _event_accumulator() -> Any:
    """tensorboard's event reader, imported without the remote file libraries (a None in
    sys.modules makes their import fail, as if not installed, for that import only)."""
    if _ACCUMULATOR in sys.modules:
        return sys.modules[_ACCUMULATOR]
    hidden = [name for name in _REMOTE_FILE_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        return importlib.import_module(_ACCUMULATOR)
    finally:
        for name in hidden:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


def event_series(files: list[Path], root: Path) -> list[FileSeries]:
    """The scalar series of TensorBoard event files (needs the ``tensorboard`` package).

    The event files of one folder are one log (Lightning's logger starts a new file for fit,
    test and predict): a tag's points of all of them are one series, in file-name order.
    """
    merged: dict[tuple[Path, str], tuple[Path, list[int | float], list[float]]] = {}
    for path in sorted(files):
        try:
            if path.stat().st_size > MAX_EVENT_BYTES:
                continue
            read = []
            for tag, steps, values in _scalars(path):
                name = _keras_callback_name(path.parent.name, tag)
                if name != _LEFT_OUT:
                    read.append((tag if name is None else name, steps, values))
        except Exception:  # noqa: BLE001, S112 - a corrupt event file must not fail the run
            continue
        for tag, steps, values in read:
            first, all_steps, all_values = merged.setdefault((path.parent, tag), (path, [], []))
            all_steps.extend(steps)
            all_values.extend(values)
    counts: dict[str, int] = {}
    for _, tag in merged:
        counts[tag] = counts.get(tag, 0) + 1
    return [
        FileSeries(
            f"{folder.name}/{tag}" if counts[tag] > 1 else tag,
            steps,
            values,
            _relative(first, root),
        )
        for (folder, tag), (first, steps, values) in merged.items()
    ]


# Keras' TensorBoard callback writes its train and validation logs to these folders.
_KERAS_CALLBACK_FOLDERS: Final = {"train": "", "validation": "val_"}
_LEFT_OUT: Final = ""


def _keras_callback_name(folder: str, tag: str) -> str | None:
    """The name Keras gives a value its TensorBoard callback wrote (``loss``, ``val_loss``);
    ``_LEFT_OUT`` for validation values repeated at the training step; None: not Keras'."""
    prefix = _KERAS_CALLBACK_FOLDERS.get(folder)
    if prefix is None:
        return None
    if tag.startswith("epoch_") and len(tag) > len("epoch_"):
        return prefix + tag[len("epoch_") :]
    if prefix and tag.startswith("evaluation_") and tag.endswith("_vs_iterations"):
        return _LEFT_OUT
    return None


def _scalars(path: Path) -> Iterator[tuple[str, list[int | float], list[float]]]:
    event_accumulator = _event_accumulator()
    accumulator = event_accumulator.EventAccumulator(
        str(path), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    for tag in tags.get("scalars", []):
        events = accumulator.Scalars(tag)
        yield tag, [event.step for event in events], [float(event.value) for event in events]
    for tag in tags.get("tensors", []):  # tf.summary.scalar in TF 2 (Keras' callback)
        steps: list[int | float] = []
        values: list[float] = []
        for event in accumulator.Tensors(tag):
            value = _scalar_tensor(event.tensor_proto)
            if value is not None:
                steps.append(event.step)
                values.append(value)
        if values:
            yield tag, steps, values


def _scalar_tensor(proto: Any) -> float | None:
    try:
        array = importlib.import_module("tensorboard.util.tensor_util").make_ndarray(proto)
    except Exception:  # noqa: BLE001 - not a numeric tensor
        return None
    if getattr(array, "ndim", None) != 0 or array.dtype.kind not in "fiu":
        return None
    return float(array)


# ---------------------------------------------------------------------------- together


def series_from_written_files(
    root: Path,
    started_after: float,
    warn: Callable[[str], None],
    covered_dirs: Sequence[str] = (),
    logger_folders: Collection[str] = (),
    listing: Listing | None = None,
) -> list[FileSeries]:
    """Every series of the CSV and event files written under ``root`` since the start (but
    the event files under ``covered_dirs``, whose values were captured in process).

    ``logger_folders``: the folders Lightning's loggers wrote, as its in-process hook reported
    them; the ``hp_metric`` of -1 that its TensorBoard logger writes there as a placeholder
    (``default_hp_metric``) is no metric of the run.
    """
    written = find_written_files(root, started_after, covered_dirs, listing)
    found: list[FileSeries] = _named_by_file(
        [csv_series(path, _relative(path, root)) for path in written.csv_files]
    )
    for path in written.disk_logs:
        found.extend(disk_log_series(path, _relative(path, root)))
    if written.event_files:
        if tensorboard_available():
            placeholders = {os.path.realpath(folder) for folder in logger_folders}
            found.extend(
                series
                for series in event_series(written.event_files, root)
                if not _is_hp_metric_placeholder(series, root, placeholders)
                and not _is_step_counter(series)
            )
        else:
            warn(
                f"{len(written.event_files)} TensorBoard event file(s) were written but not "
                "read: pip install 'runledger[tensorboard]' to record their scalars"
            )
    return found


def _named_by_file(per_file: list[list[FileSeries]]) -> list[FileSeries]:
    """The series of several CSV files, a column two files share named after each file's
    stem (``train/loss``, ``val/loss``; its path without ``.csv`` where stems repeat too):
    under its bare name only the first file's would be kept."""
    counts = Counter(name for read in per_file for name in {series.name for series in read})
    shared = [read for read in per_file if any(counts[series.name] > 1 for series in read)]
    stems = Counter(_csv_label(read[0].source, by_path=False) for read in shared)
    named: list[FileSeries] = []
    for read in per_file:
        for series in read:
            if counts[series.name] > 1:
                label = _csv_label(series.source, by_path=False)
                label = _csv_label(series.source, by_path=stems[label] > 1)
                series = replace(series, name=f"{label}/{series.name}")
            named.append(series)
    return named


def _csv_label(source: str, by_path: bool) -> str:
    stem = source[: -len(".csv")] if source.lower().endswith(".csv") else source
    return stem if by_path else stem.rpartition("/")[2]


# Scalars that count the steps they are written at (accelerate's ``accelerator.log({...,
# "step": completed_steps}, step=completed_steps)`` writes ``step`` through TensorBoard).
_STEP_COUNTER_TAGS: Final = frozenset({"step", "global_step", "iteration", "iter"})


def _is_step_counter(series: FileSeries) -> bool:
    """A scalar that only repeats its own step: the axis, not a metric of the run."""
    return (
        series.name.rpartition("/")[2].lower() in _STEP_COUNTER_TAGS
        and len(series.values) > 0
        and all(value == step for step, value in zip(series.steps, series.values, strict=True))
    )


def _is_hp_metric_placeholder(series: FileSeries, root: Path, logger_folders: set[str]) -> bool:
    """In a folder Lightning's hook reported, or beside the ``hparams.yaml`` its TensorBoard
    logger writes: a trainer that logged no metric (neuralforecast's ``predict``) is reported
    by no hook, yet its logger wrote the placeholder."""
    if series.name.rpartition("/")[2] != LIGHTNING_PLACEHOLDER:
        return False
    if not all(value == -1 for value in series.values):
        return False
    folder = os.path.realpath(os.path.dirname(root / series.source))
    return folder in logger_folders or os.path.isfile(os.path.join(folder, _LIGHTNING_HPARAMS))


_LIGHTNING_HPARAMS: Final = "hparams.yaml"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
