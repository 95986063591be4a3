"""Repository defaults: ``.runledger.toml`` at the root of the work tree, committed and shared.

Every key is optional::

    inputs = ["data/train", "configs/tokenizer.json"]   # added to every exec's --input
    outputs = ["checkpoints"]                            # added to every exec's --output
    env = ["WANDB_PROJECT", "HF_*"]                      # more environment variables to record
    secret_patterns = ["MYCORP_*", "re:VAULT"]           # more names that are secrets
    autocapture = false                                  # no in-process capture for Python
    auto_outputs = false                                 # only --output / outputs recorded

    [reproduce]
    tolerance = 0.001                     # relative; or per metric: { "*" = 0.001, acc = 0.005 }

    [metrics]
    patterns = ['^Val\\s+F1\\s*=\\s*(?P<val_f1>[-\\d.eE]+)']   # named groups are metric names
    [store]
    url = "s3://team-bucket/runledger"    # any fsspec URL: gs://, az://, file:///mnt/..., ssh://
    direction = { val_auc = "max", wall = "none" }   # better when higher/lower, or neither
    subject = "val_auc"                   # the metric a report is about (default: guessed)

Paths are relative to the repository root (where this file is), whatever directory exec runs
in; an absolute path (a shared dataset mount) is taken as it is. Since exec refuses a dirty
tree, the file on disk is the one at the run's commit. Any mistake is one UserError that names
the file and the key: a team's typo must not silently drop the data a run reads.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runledger.errors import UserError

CONFIG_FILE = ".runledger.toml"
ALL_METRICS = "*"

_TOP_KEYS = (
    "inputs",
    "outputs",
    "env",
    "secret_patterns",
    "autocapture",
    "auto_outputs",
    "reproduce",
    "metrics",
    "store",
)
_REPRODUCE_KEYS = ("tolerance",)
_METRICS_KEYS = ("patterns", "direction", "subject")
_STORE_KEYS = ("url",)
DIRECTIONS = ("max", "min", "none")


@dataclass(frozen=True)
class Tolerance:
    """How far a reproduced metric may be from the original, relative (0.01 is 1%)."""

    default: float | None = None
    per_metric: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectConfig:
    """What ``.runledger.toml`` says; the defaults when there is none."""

    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    secret_patterns: tuple[str, ...] = ()
    tolerance: Tolerance = field(default_factory=Tolerance)
    store_url: str | None = None
    directions: Mapping[str, str] = field(default_factory=dict)  # metric name -> max|min|none
    subject: str | None = None  # [metrics] subject: the metric reports are about
    path: Path | None = None
    metric_patterns: tuple[re.Pattern[str], ...] = ()
    autocapture: bool = True
    auto_outputs: bool = True


def load(repo_root: Path) -> ProjectConfig:
    """The repository's defaults; without a config file, every key at its default."""
    path = repo_root / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ProjectConfig()
    except OSError as error:
        raise UserError(f"{CONFIG_FILE}: cannot be read: {error.strerror}") from error
    return parse(raw, path)


def parse(raw: bytes, path: Path) -> ProjectConfig:
    """The config in ``raw``; UserError naming the key on any mistake."""
    from runledger import tomlread  # only repositories that have a config pay for it

    try:
        data = tomlread.loads(raw.decode())
    except UnicodeDecodeError as error:
        raise UserError(f"{CONFIG_FILE}: not UTF-8 text ({error.reason})") from error
    except tomlread.TOMLDecodeError as error:
        raise UserError(f"{CONFIG_FILE}: not valid TOML: {error}") from error
    _refuse_unknown(data, _TOP_KEYS, "")
    reproduce = data.get("reproduce", {})
    if not isinstance(reproduce, dict):
        raise _type_error("reproduce", "a table ([reproduce])", reproduce)
    _refuse_unknown(reproduce, _REPRODUCE_KEYS, "reproduce.")
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise _type_error("metrics", "a table ([metrics])", metrics)
    _refuse_unknown(metrics, _METRICS_KEYS, "metrics.")
    store = data.get("store", {})
    if not isinstance(store, dict):
        raise _type_error("store", 'a table ([store] with url = "s3://bucket/prefix")', store)
    _refuse_unknown(store, _STORE_KEYS, "store.")
    return ProjectConfig(
        inputs=_paths(data, "inputs"),
        outputs=_paths(data, "outputs"),
        env=_names(data, "env"),
        secret_patterns=_patterns(data, "secret_patterns"),
        tolerance=_tolerance(reproduce.get("tolerance")),
        store_url=_store_url(store.get("url")),
        directions=_directions(metrics.get("direction")),
        subject=_subject(metrics.get("subject")),
        path=path,
        metric_patterns=_metric_patterns(metrics),
        autocapture=_boolean(data, "autocapture"),
        auto_outputs=_boolean(data, "auto_outputs"),
    )


def _boolean(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, True)
    if not isinstance(value, bool):
        raise _type_error(key, f"true or false (e.g. {key} = false)", value)
    return value


def _refuse_unknown(table: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key in known:
            continue
        import difflib  # ~10 ms, paid only on a mistake

        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = (
            f"did you mean '{prefix}{close[0]}'?"
            if close
            else f"known keys: {', '.join(prefix + name for name in known)}"
        )
        raise UserError(f"{CONFIG_FILE}: unknown key '{prefix}{key}' ({hint})")


def _type_error(key: str, expected: str, value: object) -> UserError:
    return UserError(f"{CONFIG_FILE}: '{key}' must be {expected}, not {_describe(value)}")


def _describe(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "a list", dict: "a table"}
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return f"{names.get(type(value), type(value).__name__)} ({shown})"


def _strings(data: Mapping[str, Any], key: str, example: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _type_error(key, f"a list of strings (e.g. {key} = [{example}])", value)
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _type_error(key, "a list of non-empty strings", item)
    return tuple(value)


def _paths(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    paths = _strings(data, key, '"data/train"')
    for path in paths:
        if os.path.isabs(path):
            continue
        normal = posixpath.normpath(path.replace(os.sep, "/"))
        if normal == ".." or normal.startswith("../"):
            raise UserError(
                f"{CONFIG_FILE}: '{key}': {path} is outside the repository; write paths "
                "relative to the repository root, or absolute ones"
            )
    return paths


def _names(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    names = _strings(data, key, '"WANDB_PROJECT"')
    for name in names:
        if "=" in name or any(ch.isspace() for ch in name):
            raise UserError(
                f"{CONFIG_FILE}: '{key}': {name!r} is not an environment variable name "
                "(a name such as WANDB_PROJECT, or a glob such as HF_*)"
            )
    return names


def _patterns(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    patterns = _strings(data, key, '"MYCORP_*"')
    for pattern in patterns:
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as error:
                raise UserError(
                    f"{CONFIG_FILE}: '{key}': {pattern!r} is not a valid regular expression "
                    f"({error})"
                ) from error
    return patterns


def _metric_patterns(metrics: Mapping[str, Any]) -> tuple[re.Pattern[str], ...]:
    """``[metrics] patterns``: regexes whose named groups are metric names (``step``: the step)."""
    key = "metrics.patterns"
    example = "'^Val F1 = (?P<val_f1>[-\\d.eE]+)'"
    compiled = []
    for text in _strings(metrics, "patterns", example):
        try:
            pattern = re.compile(text)
        except re.error as error:
            raise UserError(
                f"{CONFIG_FILE}: '{key}': {text!r} is not a valid regular expression ({error})"
            ) from error
        if not pattern.groupindex:
            raise UserError(
                f"{CONFIG_FILE}: '{key}': {text!r} has no named group; name each metric's "
                f"group, e.g. {example}"
            )
        compiled.append(pattern)
    return tuple(compiled)


def _store_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _type_error("store.url", 'a URL such as "s3://bucket/prefix"', value)
    return value.strip()


def _tolerance(value: object) -> Tolerance:
    key = "reproduce.tolerance"
    expected = 'a relative tolerance >= 0 (e.g. 0.01), or a table such as { "*" = 0.01, acc = 0 }'
    if value is None:
        return Tolerance()
    if isinstance(value, dict):
        per_metric = {name: _fraction(f"{key}.{name}", item) for name, item in value.items()}
        default = per_metric.pop(ALL_METRICS, None)
        return Tolerance(default, per_metric)
    if _is_fraction(value):
        return Tolerance(float(value))  # type: ignore[arg-type]
    raise _type_error(key, expected, value)


def _fraction(key: str, value: object) -> float:
    if not _is_fraction(value):
        raise _type_error(key, "a relative tolerance >= 0 (e.g. 0.01)", value)
    return float(value)  # type: ignore[arg-type]


def _is_fraction(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _directions(value: object) -> dict[str, str]:
    key = "metrics.direction"
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _type_error(key, 'a table such as { val_auc = "max", val_loss = "min" }', value)
    for name, direction in value.items():
        if direction not in DIRECTIONS:
            raise _type_error(f"{key}.{name}", '"max", "min" or "none"', direction)
    return dict(value)


def _subject(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _type_error("metrics.subject", 'a metric name (e.g. subject = "val_auc")', value)
    return value
