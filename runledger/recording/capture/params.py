"""Hyperparameters read from where they already are: the command line, config files, Hydra.

Nothing here may crash a run: odd arguments, broken files and unreadable folders give fewer
params, never an exception (only :func:`parse_param_assignment`, fed by the user's own
``-p KEY=VALUE``, raises ``UserError``). Imports stay light; YAML is imported only when a YAML
file is actually read.

How the command line is read (:func:`params_from_argv`) — we cannot know the program's own
parser, so the rules are simple and predictable:

- Which arguments: for ``python [interpreter options] SCRIPT ARGS``, ``python -m MODULE ARGS``
  and ``python -c CODE ARGS``, only ARGS. For any other command (``torchrun``, ``accelerate``,
  ``./train.sh``) every argument after the program name, so a launcher's flags such as
  ``--nproc_per_node 2`` are recorded too (they often change results). ``--`` ends options:
  what follows is positional.
- ``--name VALUE`` and ``--name=VALUE`` record ``name``, the key exactly as written
  (``batch-size``; :func:`normalize_key` gives ``batch_size``). ``-n 5`` and single-dash long
  names (``-epochs 10``) work the same way; ``-abc`` is one name, ``abc``, not three flags.
- A flag takes the following tokens that are not themselves an option, a ``key=value``
  override, ``--`` or a script (a name ending in ``.py``): none gives ``True`` (``--amp``), one
  gives that value, several of one kind (all numbers, or all strings) give a list
  (``--milestones 30 60``); a token of another kind ends the list. So
  ``accelerate launch --multi_gpu train.py`` records ``multi_gpu = true``, but a positional
  right after a flag (``--epochs 3 data/`` is fine, ``--name run data/`` is not) is read as
  its value: the program's parser alone knows.
- ``--no-amp`` is recorded as written (``no-amp = true``): argparse and click disagree on what
  it means, and the name the script uses is what a user searches for.
- A negative number (``-0.5``, ``-1e-4``) is a value, never a flag. ``--flag=`` gives ``""``.
- A repeated flag gives the list of its values in order.
- Hydra/OmegaConf overrides ``a.b=1``, ``+a.b=1`` and ``++a.b=1`` record ``a.b``; ``~a.b``
  (deletion) is skipped. In overrides, ``null`` is None, quotes make a string and ``[1,2]``
  is a list, as Hydra reads them.
- Keys with dots nest: ``model.depth=12`` and ``--trainer.max_epochs 3`` give tables. A key
  that would nest under a key that already has a plain value (``model=resnet model.depth=12``)
  stays flat (``"model.depth"``) so that neither value is lost.
- Keys that are not valid UTF-8 (undecodable bytes) show U+FFFD for those bytes; values are
  kept exactly (the TOML codec stores them losslessly).
- Values: canonical integers (``12``, ``-3``; not ``007``), floats with a point or an exponent
  (``0.01``, ``1e-4``, ``-.5``), ``true``/``false`` in any common case; everything else is kept
  as the string it was (``inf``, ``nan`` and ``0x10`` included).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from runledger.errors import UserError
from runledger.query.select import flatten as flatten  # one flatten for records and capture

CONFIG_SUFFIXES: Final = frozenset({".yaml", ".yml", ".toml", ".json"})
MAX_CONFIG_BYTES: Final = 10 * 1024 * 1024
# A YAML file of a few KB can alias itself into billions of values; stop long before that.
MAX_CONFIG_VALUES: Final = 100_000
# Filesystems with coarse timestamps may date a file written just after the start a bit early.
MTIME_SLACK_S: Final = 2.0
HYDRA_CONFIG: Final = Path(".hydra") / "config.yaml"
HYDRA_DEFAULT_GLOBS: Final = (
    "outputs/*/*/.hydra/config.yaml",
    "multirun/*/*/*/.hydra/config.yaml",
)
MAX_OUTPUT_PATHS: Final = 200
MAX_PARENT_STEPS: Final = 6

_PYTHON_NAME: Final = re.compile(r"(?:python|pypy|py)(?:\d+(?:\.\d+)*)?[wdt]?(?:\.exe)?", re.I)
_INT: Final = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT: Final = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?")
_BOOLS: Final = {
    word: word.lower() == "true" for word in ("true", "True", "TRUE", "false", "False", "FALSE")
}
_OVERRIDE: Final = re.compile(
    r"(?P<prefix>\+\+|\+|~)?(?P<key>[\w@][\w@/-]*(?:\.[\w@/-]+)*)(?:=(?P<value>.*))?", re.S
)
# Words of the output, of which those with a "/" are paths. Matching "a word with a slash"
# directly costs time quadratic in a word's length (a 4 MB line without one hung exec).
_WORD_IN_TEXT: Final = re.compile(r"[^\s'\"`<>|,;:=()\[\]{}]+")


@dataclass(frozen=True)
class ConfigFile:
    """A config file named on the command line, pinned by its content hash."""

    path: str
    sha256: str
    params: dict[str, Any]
    error: str | None = None


# ---------------------------------------------------------------- values and keys


def parse_value(text: str) -> Any:
    """``text`` as the int, float or bool it spells, else the string itself."""
    if _INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # beyond Python's int-from-string digit limit
            return text
    if _FLOAT.fullmatch(text):
        return float(text)
    return _BOOLS.get(text, text)


def normalize_key(key: str) -> str:
    """The key with dashes as underscores, as argparse names its attributes."""
    return key.replace("-", "_")


def parse_param_assignment(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from ``exec -p`` as (key, typed value); the key may be dotted."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    example = "write it as KEY=VALUE, e.g. -p lr=0.01"
    if not sep:
        raise UserError(f"--param {text!r} has no '=': {example}")
    if not key:
        raise UserError(f"--param {text!r} has an empty key: {example}")
    return key, parse_value(raw)


# ---------------------------------------------------------------- the command line


def params_from_argv(argv: Sequence[str]) -> dict[str, Any]:
    """The params spelled on the command line, nested by dots (rules: module docstring)."""
    values: dict[str, list[Any]] = {}
    for key, value in _assignments(argv, _args_start(argv)):
        values.setdefault(_valid_text(key), []).append(value)
    flat = {key: found[0] if len(found) == 1 else found for key, found in values.items()}
    return unflatten(flat)


def _valid_text(key: str) -> str:
    """``key`` with bytes that were not UTF-8 (lone surrogates in Python) shown as U+FFFD."""
    if _is_utf8(key):
        return key
    try:  # surrogates that stand for undecodable bytes of the original argument
        raw = key.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = key.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _args_start(argv: Sequence[str]) -> int:
    """Index of the first argument that belongs to the program rather than its launcher."""
    if not argv:
        return 0
    if not _is_python(argv[0]):
        return 1
    index = 1
    while index < len(argv):
        token = argv[index]
        if token == "--":
            return index + 2
        if token == "-" or not token.startswith("-"):
            return index + 1
        if token == "--check-hash-based-pycs":
            index += 2
            continue
        if token.startswith("--"):
            index += 1
            continue
        span, program_follows = _python_short_options(token)
        index += span
        if program_follows:
            return index
    return len(argv)


def _python_short_options(token: str) -> tuple[int, bool]:
    """(tokens spanned, whether the program's own arguments follow) for e.g. ``-uW ignore``."""
    for position, option in enumerate(token[1:], start=2):
        span = 1 if position < len(token) else 2
        if option in "cm":  # -c CODE / -m MODULE: what follows is the program's
            return span, True
        if option in "WX":
            return span, False
    return 1, False


def _is_python(program: str) -> bool:
    name = re.split(r"[\\/]", program)[-1]
    return _PYTHON_NAME.fullmatch(name) is not None


def _assignments(argv: Sequence[str], start: int) -> Iterator[tuple[str, Any]]:
    index = start
    while index < len(argv):
        token = argv[index]
        index += 1
        if token == "--":
            return
        option = _as_option(token)
        if option is not None:
            name, inline = option
            if inline is not None:
                yield name, parse_value(inline)
                continue
            taken = _values_after(argv, index)
            index += len(taken)
            yield name, _one_or_many(taken)
            continue
        override = _as_override(token)
        if override is not None:
            yield override


def _values_after(argv: Sequence[str], index: int) -> list[Any]:
    taken: list[Any] = []
    for token in argv[index:]:
        if not _is_plain_value(token) or _names_script(token):
            break
        value = parse_value(token)
        if taken and _kind(value) != _kind(taken[0]):
            break
        taken.append(value)
    return taken


def _names_script(token: str) -> bool:
    return token.lower().endswith(".py")


def _kind(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return type(value).__name__


def _one_or_many(taken: list[Any]) -> Any:
    if not taken:
        return True
    return taken[0] if len(taken) == 1 else taken


def _is_plain_value(token: str) -> bool:
    return token != "--" and _as_option(token) is None and _as_override(token) is None


def _as_option(token: str) -> tuple[str, str | None] | None:
    """(name, inline value or None) when ``token`` is ``--name[=v]`` or ``-name[=v]``."""
    if len(token) < 2 or token[0] != "-" or token == "--":
        return None
    if _INT.fullmatch(token) or _FLOAT.fullmatch(token):
        return None
    body = token[2:] if token.startswith("--") else token[1:]
    name, sep, value = body.partition("=")
    if not name or any(char.isspace() for char in name):
        return None
    return name, value if sep else None


def _as_override(token: str) -> tuple[str, Any] | None:
    """(key, value) for a Hydra override ``[+|++]key=value``; None for others and ``~key``."""
    match = _OVERRIDE.fullmatch(token)
    if match is None or match["prefix"] == "~" or match["value"] is None:
        return None
    return match["key"], _parse_override_value(match["value"])


def _parse_override_value(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text == "null":
        return None
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]" and not _has_nesting(text[1:-1]):
        inner = text[1:-1].strip()
        return [_parse_override_value(item.strip()) for item in inner.split(",")] if inner else []
    return parse_value(text)


def _has_nesting(text: str) -> bool:
    return any(char in text for char in "[]{}'\"")


# ---------------------------------------------------------------- config files


def config_files_from_argv(argv: Sequence[str], cwd: Path) -> list[ConfigFile]:
    """Each existing .yaml/.yml/.toml/.json file an argument names, hashed and parsed."""
    found: list[ConfigFile] = []
    seen: set[Path] = set()
    for given in _config_candidates(argv[1:]):
        path = _existing_config(cwd, given)
        if path is None or path in seen:
            continue
        seen.add(path)
        found.append(_read_config(given, path))
    return found


def _config_candidates(args: Iterable[str]) -> Iterator[str]:
    for arg in args:
        for text in (arg, arg.partition("=")[2]):
            if text and Path(text).suffix.lower() in CONFIG_SUFFIXES:
                yield text


def _existing_config(cwd: Path, given: str) -> Path | None:
    try:
        path = (cwd / given).resolve()
        if path.is_file() and path.stat().st_size <= MAX_CONFIG_BYTES:
            return path
    except (OSError, ValueError):  # unreadable, or a name the OS refuses (NUL bytes)
        pass
    return None


def _read_config(given: str, path: Path) -> ConfigFile:
    import hashlib

    try:
        content = path.read_bytes()
    except OSError as exc:
        return ConfigFile(given, "", {}, _error_text(exc))
    digest = hashlib.sha256(content).hexdigest()
    try:
        parsed = _parse_config(content, path.suffix.lower())
    except Exception as exc:  # noqa: BLE001 - a user's broken file must never stop the run
        return ConfigFile(given, digest, {}, _error_text(exc))
    if parsed is None:
        return ConfigFile(given, digest, {})
    if not isinstance(parsed, dict):
        kind = type(parsed).__name__
        return ConfigFile(given, digest, {}, f"top level is a {kind}, not a mapping")
    return ConfigFile(given, digest, parsed)


def _parse_config(content: bytes, suffix: str) -> Any:
    import json  # parsers load only when a config file is named: exec start-up is precious
    import tomllib

    text = content.decode("utf-8-sig")
    if suffix == ".json":
        return to_plain(json.loads(text))
    if suffix == ".toml":
        return to_plain(tomllib.loads(text))
    return to_plain(_load_yaml(text))


def _load_yaml(text: str) -> Any:
    # Imported only when a YAML file is there (start-up time), and by name so that type
    # checking does not depend on PyYAML's stubs being installed.
    yaml = importlib.import_module("yaml")
    return yaml.safe_load(text)


def _error_text(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())  # one line, whatever the parser's layout
    message = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return message[:300]


class _TooManyValues(ValueError):
    pass


def to_plain(value: Any) -> Any:
    """``value`` as JSON-like data: str keys; dates as ISO text; anything else as ``str``.

    Raises ValueError for self-referencing data or more than MAX_CONFIG_VALUES values.
    """
    budget = [MAX_CONFIG_VALUES]
    return _plain(value, budget, set())


def _plain(value: Any, budget: list[int], active: set[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooManyValues(f"more than {MAX_CONFIG_VALUES} values")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if not isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return str(value)
    if id(value) in active:
        raise ValueError("the data refers to itself")
    active.add(id(value))
    try:
        if isinstance(value, Mapping):
            return {_key_text(k): _plain(v, budget, active) for k, v in value.items()}
        return [_plain(item, budget, active) for item in value]
    finally:
        active.discard(id(value))


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


# ---------------------------------------------------------------- Hydra


def hydra_config(cwd: Path, output_text: str | None, started_after: float) -> dict[str, Any] | None:
    """The config a Hydra run composed (``.hydra/config.yaml``) written since the run started.

    Looks in Hydra's default output folders under ``cwd`` and in folders named in the run's
    output; the newest one wins (for a multirun, the last job's). None when there is none.
    Safe to call for any run: without Hydra nothing fresh is found.
    """
    candidates = set(_default_hydra_configs(cwd))
    if output_text:
        candidates.update(_hydra_configs_named_in(output_text, cwd))
    fresh = [
        (mtime, path)
        for path in candidates
        if (mtime := _mtime(path)) is not None and mtime >= started_after - MTIME_SLACK_S
    ]
    for _, path in sorted(fresh, reverse=True):
        parsed = _read_hydra_config(path)
        if parsed is not None:
            return parsed
    return None


def _default_hydra_configs(cwd: Path) -> Iterator[Path]:
    for pattern in HYDRA_DEFAULT_GLOBS:
        try:
            yield from (path.resolve() for path in cwd.glob(pattern))
        except OSError:
            continue


def _hydra_configs_named_in(text: str, cwd: Path) -> Iterator[Path]:
    words = (found.group() for found in _WORD_IN_TEXT.finditer(text))
    named = list(dict.fromkeys(word for word in words if "/" in word))[-MAX_OUTPUT_PATHS:]
    for token in named:
        try:
            folder = cwd / token.rstrip(".")
            for candidate in [folder, *list(folder.parents)[:MAX_PARENT_STEPS]]:
                config = candidate / HYDRA_CONFIG
                if config.is_file():
                    yield config.resolve()
                    break
        except (OSError, ValueError):
            continue


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _read_hydra_config(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        parsed = to_plain(_load_yaml(path.read_text(encoding="utf-8")))
    except Exception:  # noqa: BLE001 - a broken Hydra file means no params, not a failed run
        return None
    return parsed if isinstance(parsed, dict) else None


# ---------------------------------------------------------------- merging


def merge_params(
    sources: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Deep-merge ``sources`` (least to most specific; later wins) and say who set what.

    Returns the merged params and, for each flattened dotted key of the result, the name of
    the source whose value won.
    """
    merged: dict[str, Any] = {}
    setter: dict[str, str] = {}
    for name, params in sources:
        merged = deep_merge(merged, params)
        for key in flatten(params):
            setter[key] = name
    return merged, {key: setter[key] for key in flatten(merged) if key in setter}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` with ``override`` laid over it, tables merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        elif isinstance(value, Mapping):
            merged[key] = deep_merge({}, value)
        else:
            merged[key] = value
    return merged


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys as nested tables.

    A key stays flat when a shorter key already holds a plain value where its table would go
    (``{"model": "a", "model.depth": 1}``), and when it has an empty part (``"a..b"``).
    """
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        blocked = any(".".join(parts[:end]) in flat for end in range(1, len(parts)))
        if "" in parts or blocked or not _place(nested, parts, value):
            nested[key] = value
    return nested


def _place(nested: dict[str, Any], parts: list[str], value: Any) -> bool:
    node = nested
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return False
        node = child
    node[parts[-1]] = value
    return True
