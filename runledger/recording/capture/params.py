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
  (``batch-size``); :func:`merge_params` normalizes every source's keys (``batch_size``), so
  that one param has one name. ``-n 5`` and single-dash long
  names (``-epochs 10``) work the same way; ``-abc`` is one name, ``abc``, not three flags.
- A flag takes the following tokens that are not themselves an option, a ``key=value``
  override, ``--`` or a script (a name ending in ``.py``): none gives ``True`` (``--amp``), one
  gives that value, several of one kind (all numbers, or all strings) give a list
  (``--milestones 30 60``); a token of another kind ends the list. So
  ``accelerate launch --multi_gpu train.py`` records ``multi_gpu = true``, but a positional
  right after a flag (``--epochs 3 data/`` is fine, ``--name run data/`` is not) is read as
  its value: the program's parser alone knows.
- ``--no-amp`` alone is ``amp = false`` (``--no-x 3``, with a value, stays ``no-x``).
- Flags that only name a config file (``--config conf.yaml``, ``--cfg``, ``-c``, Hydra's
  ``--config-name``) are not params: :func:`config_files_from_argv` records the file.
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
from runledger.model.flat import flatten as flatten  # one flatten for records and capture
from runledger.recording.capture.freshness import written_since

CONFIG_SUFFIXES: Final = frozenset({".yaml", ".yml", ".toml", ".json", ".conf"})
# The LightGBM and XGBoost command lines' config: "key = value" lines, "#" comments.
# The value is stripped after the match: a lazy value before trailing blanks tried every
# blank run to the line's end from each of its characters (a 40 KB line: 30 s).
_CONF_LINE: Final = re.compile(r"\s*(?P<key>[A-Za-z_][\w.-]*)\s*=(?P<value>.*)")
PYTHON_CONFIG_SUFFIX: Final = ".py"
# Flags whose value only names a config file (or Hydra's config folder and name): not params.
CONFIG_FLAGS: Final = frozenset(
    {
        "config", "configs", "cfg", "c", "conf", "config_file", "configfile", "cfg_file",
        "config_path", "config_name", "config_dir", "cp", "cn",
    }
)  # fmt: skip
# Where a param's value came from, least to most specific: a later source wins a key.
# "hydra" (the composed config, read from .hydra/ or in-process) is the command line already
# applied, so it outranks argv's text; "inprocess" is what the program's own parser gave.
# "torch" is what a plain loop passed its optimizer and loader (``SGD(..., lr=1e-3)``): the
# program's own settings, but the command line, its parser and its config files name them
# first (``--lr`` may be scaled, or be one of two optimizers' rates), so they win a key.
PRECEDENCE: Final = (
    "default",
    "torch",
    "config",
    "argv",
    "hydra",
    "inprocess",
    "log_params",
    "cli",
)
# Settings written in the program's code (its optimizer's), ranked as "torch".
CODE_SOURCES: Final = frozenset({"torch", "optax"})
# Source names of the in-process capture (capture/inprocess.py), ranked as "inprocess".
INPROCESS_SOURCES: Final = frozenset(
    {
        "argparse",
        "click",
        "typer",
        "jsonargparse",
        "absl",
        "ml_collections",
        "tyro",
        "fire",
        "gin",
        "omegaconf",
        "docopt",
        "xgboost",
        "lightgbm",
        "sklearn",
        "sktime",
        "catboost",
        "flaml",
        "spacy",
        "gensim",
        "prophet",
        "numpyro",
        "pymc",
        "fasttext",
        "implicit",
        "surprise",
        "nevergrad",
        "pykeen",
        "pmdarima",
        "wandb",
        "mlflow",
        "sacred",
        "dvclive",
        "comet",
        "neptune",
        "aim",
        "d3rlpy",
        "stable_baselines3",
        "flair",
        "gluonts",
        "tensorboard",
        "keras",
        "lightning",
        "transformers",
        "setfit",
        "peft",
    }
)
MAX_CONFIG_BYTES: Final = 10 * 1024 * 1024
# A YAML file of a few KB can alias itself into billions of values; stop long before that.
MAX_CONFIG_VALUES: Final = 100_000
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
_ANSI_RE: Final = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_WORD_IN_TEXT: Final = re.compile(r"[^\s'\"`<>|,;:=()\[\]{}]+")
# A top-level comment that heads a script's settings: "# hyperparameters" (karpathy's
# ng-video-lecture), "# Hyper-parameters" (yunjey's pytorch-tutorial), "# Hyperparameters:".
_HYPER_COMMENT: Final = re.compile(rb"^#[^\n]*\bhyper[ _-]?param", re.IGNORECASE | re.MULTILINE)


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


def normalize_keys(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every key, at every depth, normalized (``split-seed`` -> ``split_seed``).

    When two keys become one (``a-b`` and ``a_b`` in one source), the later one wins.
    """
    normalized: dict[str, Any] = {}
    for key, value in params.items():
        name = normalize_key(key)
        if isinstance(value, Mapping):
            value = normalize_keys(value)
            current = normalized.get(name)
            if isinstance(current, dict):
                value = deep_merge(current, value)
        normalized[name] = value
    return normalized


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
                value = parse_value(inline)
            else:
                taken = _values_after(argv, index)
                index += len(taken)
                value = _one_or_many(taken)
            if _names_a_config_file(name, value):
                continue  # the file itself is recorded, hashed, with its keys
            if value is True and name[:3].lower() in ("no-", "no_") and len(name) > 3:
                yield name[3:], False  # --no-early-stopping: early_stopping = false
                continue
            yield name, value
            continue
        override = _as_override(token)
        if override is not None:
            yield override


def _names_a_config_file(name: str, value: Any) -> bool:
    return normalize_key(name).lower() in CONFIG_FLAGS and isinstance(value, str)


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
    """Each existing config file an argument names, hashed and parsed.

    .yaml/.yml/.toml/.json files, and .py files after the script (nanoGPT's
    ``train.py config/train_shakespeare_char.py``): of those only the simple top-level
    assignments of literals are read (with ``ast``; the file is never run).
    """
    found: list[ConfigFile] = []
    seen: set[Path] = set()
    for given in _config_candidates(_after_the_script(argv[1:])):
        path = _existing_config(cwd, given)
        if path is None or path in seen:
            continue
        seen.add(path)
        found.append(_read_config(given, path))
    return found


def _after_the_script(args: Sequence[str]) -> Iterator[tuple[str, bool]]:
    """Each argument, and whether a .py file it names may be a config (not the script)."""
    script_seen = False
    for arg in args:
        yield arg, script_seen
        if not script_seen and _names_script(arg) and not arg.startswith("-"):
            script_seen = True


def _config_candidates(args: Iterable[tuple[str, bool]]) -> Iterator[str]:
    for arg, python_allowed in args:
        for text in (arg, arg.partition("=")[2]):
            suffix = Path(text).suffix.lower() if text else ""
            if suffix in CONFIG_SUFFIXES or (python_allowed and suffix == PYTHON_CONFIG_SUFFIX):
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

    from runledger import tomlread

    text = content.decode("utf-8-sig")
    if suffix == PYTHON_CONFIG_SUFFIX:
        return python_literal_assignments(text)
    if suffix == ".json":
        return to_plain(json.loads(text))
    if suffix == ".toml":
        return to_plain(tomlread.loads(text))
    if suffix == ".conf":
        return _conf_assignments(text)
    return to_plain(_load_yaml(text))


def _conf_assignments(text: str) -> dict[str, Any]:
    """A ``.conf`` of ``key = value`` lines (``lightgbm config=train.conf``): each value as
    :func:`parse_value` reads it. Any other line (another program's .conf) reads as none."""
    found: dict[str, Any] = {}
    for line in text.splitlines():
        line = line.partition("#")[0]
        if not line.strip():
            continue
        match = _CONF_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"not a 'key = value' line: {line.strip()[:60]!r}")
        found[match["key"]] = parse_value(match["value"].strip())
    return found


def python_literal_assignments(source: str) -> dict[str, Any]:
    """``name = literal`` statements at the top level of Python source; never executed.

    ``batch_size = 64``, ``betas = (0.9, 0.95)`` and ``wandb_log = False`` are read, and so is
    arithmetic on numbers and on names assigned above (``gradient_accumulation_steps = 5 * 8``,
    ``min_lr = learning_rate / 10``); anything else (imports, calls, names from elsewhere) is
    skipped. Later assignments win, as in Python.
    """
    import ast

    return _literal_assignments(ast.parse(source).body)


def _literal_assignments(
    body: Iterable[Any], stop_at_exec: bool = False, computed: set[str] | None = None
) -> dict[str, Any]:
    """The literal assignments of these statements; with ``stop_at_exec``, only those before
    the first top-level ``exec(...)`` call, an empty dict when there is none. ``computed``
    gathers the names whose last assignment could not be read."""
    import ast

    found: dict[str, Any] = {}
    computed = set() if computed is None else computed
    for node in body:
        if stop_at_exec and _is_exec_call(node):
            return found
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id.startswith("__"):
            continue
        try:
            found[target.id] = to_plain(_literal_value(value, found))
            computed.discard(target.id)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, _NotLiteral):
            found.pop(target.id, None)  # now computed: an earlier literal no longer holds
            computed.add(target.id)
    return {} if stop_at_exec else found


class _NotLiteral(Exception):
    pass


_MAX_ARITHMETIC_BITS: Final = 64


def _literal_value(node: Any, known: Mapping[str, Any]) -> Any:
    """A literal, or arithmetic (``+ - * / // % **``) on numbers and on ``known`` names."""
    import ast

    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    return _number_expression(node, known)


def _number_expression(node: Any, known: Mapping[str, Any]) -> int | float:
    import ast
    import operator

    operators: dict[type, Any] = {
        ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow,
    }  # fmt: skip
    if isinstance(node, ast.Constant):
        value = node.value
    elif isinstance(node, ast.Name) and node.id in known:
        value = known[node.id]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _number_expression(node.operand, known)
        value = -operand if isinstance(node.op, ast.USub) else operand
    elif isinstance(node, ast.BinOp) and type(node.op) in operators:
        left = _number_expression(node.left, known)
        right = _number_expression(node.right, known)
        if isinstance(node.op, ast.Pow) and (
            abs(right) > _MAX_ARITHMETIC_BITS or right < 0 and left == 0
        ):
            raise _NotLiteral  # 10 ** 10 ** 10 would never finish
        try:
            value = operators[type(node.op)](left, right)
        except (ArithmeticError, ValueError) as exc:
            raise _NotLiteral from exc
    else:
        raise _NotLiteral
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _NotLiteral
    if isinstance(value, int) and value.bit_length() > _MAX_ARITHMETIC_BITS:
        raise _NotLiteral
    return value


def _is_exec_call(node: Any) -> bool:
    """``exec(...)`` as a statement of its own: nanoGPT's ``exec(open('configurator.py')
    .read())``, after which the config file and the ``--key=value`` overrides hold."""
    import ast

    call = node.value if isinstance(node, ast.Expr) else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "exec"


def positional_argv_params(argv: Sequence[str], cwd: Path) -> dict[str, Any]:
    """The names a script gives its positional arguments (``lr = float(sys.argv[1])``), with
    the values the command line gave them: ``python train.py 0.01 5`` has no ``--lr`` to read."""
    import ast

    given = _script_of(argv)
    path = None if given is None else _existing_config(cwd, given)
    if path is None:
        return {}
    try:
        content = path.read_bytes()
        if b"sys.argv[" not in content:
            return {}  # most scripts: no parse at all
        tree = ast.parse(content.decode("utf-8-sig"))
    except Exception:  # noqa: BLE001 - the script is the program's business; never stop the run
        return {}
    script_at = _args_start(argv) - 1
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, index = node.targets[0], _argv_index(node.value)
        if isinstance(target, ast.Name) and index is not None and script_at + index < len(argv):
            found.setdefault(target.id, _parse_override_value(argv[script_at + index]))
    return found


def _argv_index(value: Any) -> int | None:
    """N of ``sys.argv[N]`` (N >= 1), bare or cast (``int(sys.argv[2])``), else None."""
    import ast

    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        if isinstance(value.func, ast.Name) and value.func.id in ("int", "float", "str"):
            value = value.args[0]
    if not isinstance(value, ast.Subscript) or not isinstance(value.value, ast.Attribute):
        return None
    owner, index = value.value, value.slice
    if owner.attr != "argv" or not isinstance(owner.value, ast.Name) or owner.value.id != "sys":
        return None
    if isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 1:
        return index.value
    return None


def _script_of(argv: Sequence[str]) -> str | None:
    """The .py script a command runs: ``python [options] SCRIPT`` or a launcher's first .py
    argument (``torchrun --nproc_per_node=8 train.py``); None for ``-m``, ``-c`` and others."""
    if argv and _is_python(argv[0]):
        start = _args_start(argv)
        script = argv[start - 1] if 1 <= start - 1 < len(argv) else ""
        return script if _names_script(script) and not script.startswith("-") else None
    return next((arg for arg in argv[1:] if _names_script(arg) and arg[:1] != "-"), None)


def script_defaults(argv: Sequence[str], cwd: Path) -> tuple[str, dict[str, Any]] | None:
    """The defaults of a script configured the nanoGPT way, and the script as named.

    Such a script assigns its settings as top-level literals (``batch_size = 12``), then runs
    ``exec(open('configurator.py').read())``, which lays a config file and ``--key=value``
    overrides over them. Its literal assignments before that ``exec`` are its defaults: the
    lowest-ranked params (``default``), so that the config file and the command line win.
    A script without it that names a block of settings with a top-level ``# hyperparameters``
    comment (:func:`_hyperparameter_block`) gives that block's literals the same way, and so
    do the settings a script names as such (``config = {...}``, ``LEARNING_RATE = 0.001``:
    :mod:`script_settings`). Any other script gives None: its top-level names are not known
    to be settings.
    """
    import ast

    from runledger.recording.capture import script_settings

    given = _script_of(argv)
    path = None if given is None else _existing_config(cwd, given)
    if given is None or path is None:
        return None
    try:
        content = path.read_bytes()
        configured = b"exec(" in content
        headed = _HYPER_COMMENT.search(content) is not None
        named = script_settings.may_hold_settings(content)
        if not configured and not headed and not named:
            return None  # most scripts: no parse at all
        text = content.decode("utf-8-sig")
        module = ast.parse(text)
        body = module.body
        defaults = _literal_assignments(body, stop_at_exec=True) if configured else {}
        if not defaults and headed:
            defaults = _hyperparameter_block(text, body)
        if named:  # accelerate's config = {...} in main(), LEARNING_RATE = 0.001
            for name, value in script_settings.settings_in_source(module).items():
                try:
                    defaults.setdefault(name, to_plain(value))
                except ValueError:  # a value too large to record: that setting alone
                    continue
    except Exception:  # noqa: BLE001 - the script is the program's business; never stop the run
        return None
    for name in _computed_in_python_configs(argv, cwd):
        defaults.pop(name, None)  # the config file set it to something not read: unknown
    return (given, defaults) if defaults else None


def settings_module_defaults(argv: Sequence[str], cwd: Path) -> list[tuple[str, dict[str, Any]]]:
    """The constants of the settings modules the script imports (``from conf import
    settings``, ``import config``: :func:`script_settings.settings_modules`), each with its
    path as the run's directory names it: defaults, ranked lowest as the script's own are."""
    import ast

    from runledger.recording.capture import script_settings

    given = _script_of(argv)
    path = None if given is None else _existing_config(cwd, given)
    if path is None:
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    try:
        content = path.read_bytes()
        if not script_settings.may_import_settings(content):
            return []  # most scripts: no parse at all
        for module_path in script_settings.settings_modules(ast.parse(content), path.parent):
            if module_path.stat().st_size > MAX_CONFIG_BYTES:
                continue
            constants = script_settings.module_constants(ast.parse(module_path.read_bytes()))
            if constants:
                found.append((_shown_path(module_path, cwd), to_plain(constants)))
    except Exception:  # noqa: BLE001 - the program's modules are its business; never stop the run
        return found
    return found


def _shown_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _hyperparameter_block(text: str, body: Sequence[Any]) -> dict[str, Any]:
    """The literal settings of the top-level block right under a ``# hyperparameters``
    comment: the assignments that follow it line after line (comment lines between them
    allowed), up to a blank line or any other statement; blank lines may part the head from
    the block (a notebook's cell as Equinox's MNIST example writes it). ``batch_size = 32``
    counts, ``device = 'cuda' if ... else 'cpu'`` (not a literal) does not."""
    import ast

    lines = text.splitlines()
    comments = {number for number, line in enumerate(lines, 1) if line.lstrip().startswith("#")}
    blanks = {number for number, line in enumerate(lines, 1) if not line.strip()}
    heads = {
        number
        for number, line in enumerate(lines, 1)
        if _HYPER_COMMENT.match(line.encode("utf-8", "replace"))
    }
    block: list[Any] = []
    expected: int | None = None  # the line the block's next assignment would start on
    for node in body:
        line = node.lineno
        if expected is not None:
            while expected in comments and expected < line:
                expected += 1
            if line != expected:
                expected = None
        if expected is None and _under_a_head(line, comments, heads, blanks):
            expected = line
        if expected is None:
            continue
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            expected = None
            continue
        block.append(node)
        expected = (node.end_lineno or line) + 1
    return _literal_assignments(block)


def _under_a_head(line: int, comments: set[int], heads: set[int], blanks: set[int]) -> bool:
    """Whether the comment lines right above ``line``, or above the blank lines right above
    it, hold a ``# hyperparameters`` head."""
    above = line - 1
    while above in blanks:
        above -= 1
    while above in comments:
        if above in heads:
            return True
        above -= 1
    return False


def _computed_in_python_configs(argv: Sequence[str], cwd: Path) -> set[str]:
    """Names that the .py config files on the command line assign a computed value
    (``wandb_run_name = 'ft-' + str(time.time())``): the script's default no longer holds."""
    import ast

    computed: set[str] = set()
    for given in _config_candidates(_after_the_script(argv[1:])):
        path = _existing_config(cwd, given)
        if path is None or path.suffix.lower() != PYTHON_CONFIG_SUFFIX:
            continue
        try:
            body = ast.parse(path.read_bytes().decode("utf-8-sig")).body
        except Exception:  # noqa: BLE001,S112 - a broken config file: nothing known of it
            continue
        _literal_assignments(body, computed=computed)
    return computed


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


@dataclass(frozen=True)
class HydraJob:
    """One Hydra job the run made: its output folder and what Hydra wrote in ``.hydra/``.

    ``config``: the composed config (``.hydra/config.yaml``), interpolations resolved where
    they can be (``${now:...}`` and other resolvers of a running Hydra stay as written).
    ``overrides``: ``.hydra/overrides.yaml``, as the user typed them (``db=postgresql``).
    ``multirun``: the job is one of a ``-m`` sweep (its parent folder holds multirun.yaml).
    """

    folder: Path
    config: dict[str, Any]
    overrides: list[str]
    sha256: str
    multirun: bool


def hydra_config(cwd: Path, output_text: str | None, started_after: float) -> dict[str, Any] | None:
    """The config a Hydra run composed (``.hydra/config.yaml``) written since the run started.

    Looks in Hydra's default output folders under ``cwd`` and in folders named in the run's
    output; the newest one wins (for a multirun, the last job's). None when there is none.
    Safe to call for any run: without Hydra nothing fresh is found.
    """
    jobs = hydra_jobs(cwd, output_text, started_after)
    return jobs[-1].config if jobs else None


def hydra_jobs(
    cwd: Path, output_text: str | None, started_after: float, argv: Sequence[str] = ()
) -> list[HydraJob]:
    """Every Hydra job folder written since the run started, oldest first.

    Found in Hydra's default folders (``outputs/``, ``multirun/``), in ``hydra.run.dir=`` and
    ``hydra.sweep.dir=`` overrides of ``argv``, and in folders the output names (ANSI colours
    removed first: Hydra colours its log lines on a terminal).
    """
    candidates = set(_default_hydra_configs(cwd))
    candidates.update(_hydra_configs_in_argv(argv, cwd))
    if output_text:
        candidates.update(_hydra_configs_named_in(_ANSI_RE.sub("", output_text), cwd))
    fresh = sorted(
        (mtime, path)
        for path in candidates
        if (mtime := _mtime(path)) is not None and written_since(mtime, started_after)
    )
    jobs = []
    for _, path in fresh:
        job = _read_hydra_job(path)
        if job is not None:
            jobs.append(job)
    return jobs


def hydra_multirun_jobs(
    cwd: Path, output_text: str | None, started_after: float, argv: Sequence[str] = ()
) -> list[HydraJob]:
    """The jobs of a Hydra multirun (``-m``) the run made, by job number; [] for a single run.

    Each has the job's overrides, its composed config and its output folder: what a child
    run of the multirun records.
    """
    return multirun_jobs(hydra_jobs(cwd, output_text, started_after, argv))


def multirun_jobs(jobs: Sequence[HydraJob]) -> list[HydraJob]:
    """The multirun jobs among ``jobs``, of the newest sweep folder only, by job number.

    A sweep folder is named by the second it started in, so an older one written since the
    run started is another program's (or a second sweep's), not this run's jobs.
    """
    sweeps: dict[Path, list[HydraJob]] = {}
    for job in jobs:
        if job.multirun:
            sweeps.setdefault(job.folder.parent, []).append(job)
    if not sweeps:
        return []
    newest = max(sweeps, key=lambda sweep: max(_mtime(job.folder) or 0.0 for job in sweeps[sweep]))
    return sorted(sweeps[newest], key=lambda job: _job_number(job.folder))


def hydra_params(jobs: Sequence[HydraJob]) -> dict[str, Any]:
    """The params a run with these Hydra jobs records: a single run's composed config; for a
    multirun, the values every job shares (each job's own values belong to its child run)."""
    if not jobs:
        return {}
    multirun = multirun_jobs(jobs)
    if not multirun:
        return jobs[-1].config
    flats = [flatten(job.config) for job in multirun]
    shared = {
        key: value
        for key, value in flats[0].items()
        if all(key in other and other[key] == value for other in flats[1:])
    }
    return unflatten(shared)


def hydra_config_entry(job: HydraJob, cwd: Path) -> dict[str, Any]:
    """A ``config_files`` entry for ``job``: its config's path (relative to ``cwd`` when it is
    inside), its sha256 and the overrides it was composed from."""
    path = job.folder / HYDRA_CONFIG
    try:
        shown = str(path.relative_to(cwd.resolve()))
    except ValueError:
        shown = str(path)
    return {"path": shown, "sha256": job.sha256, "kind": "hydra", "overrides": job.overrides}


def _job_number(folder: Path) -> tuple[int, str]:
    return (int(folder.name), "") if folder.name.isdigit() else (1 << 62, folder.name)


def _default_hydra_configs(cwd: Path) -> Iterator[Path]:
    for pattern in HYDRA_DEFAULT_GLOBS:
        try:
            yield from (path.resolve() for path in cwd.glob(pattern))
        except OSError:
            continue


def _hydra_configs_in_argv(argv: Sequence[str], cwd: Path) -> Iterator[Path]:
    for arg in argv:
        key, sep, value = arg.lstrip("+").partition("=")
        if not sep or key not in ("hydra.run.dir", "hydra.sweep.dir") or not value:
            continue
        try:
            folder = cwd / value.strip("'\"")
            for config in (folder / HYDRA_CONFIG, *folder.glob(f"*/{HYDRA_CONFIG}")):
                if config.is_file():
                    yield config.resolve()
        except (OSError, ValueError):
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


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _read_hydra_job(path: Path) -> HydraJob | None:
    import hashlib

    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        content = path.read_bytes()
        config = _resolved_hydra_config(content.decode("utf-8"))
    except Exception:  # noqa: BLE001 - a broken Hydra file means no params, not a failed run
        return None
    if not isinstance(config, dict):
        return None
    folder = path.parent.parent
    return HydraJob(
        folder=folder,
        config=config,
        overrides=_hydra_overrides(path.parent / "overrides.yaml"),
        sha256=hashlib.sha256(content).hexdigest(),
        multirun=(folder.parent / "multirun.yaml").is_file(),
    )


def _hydra_overrides(path: Path) -> list[str]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return []
        loaded = _load_yaml(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - overrides are a detail; the config is what counts
        return []
    return [str(item) for item in loaded] if isinstance(loaded, list) else []


def _resolved_hydra_config(text: str) -> Any:
    """The YAML with OmegaConf interpolations (``${db.user}``) resolved where they can be.

    Without omegaconf installed (it comes with Hydra) the values stay as written.
    """
    try:
        omegaconf = importlib.import_module("omegaconf")
    except ImportError:
        return to_plain(_load_yaml(text))
    conf = omegaconf.OmegaConf
    try:
        loaded = conf.create(_load_yaml(text))
    except Exception:  # noqa: BLE001 - not something OmegaConf reads: plain YAML then
        return to_plain(_load_yaml(text))
    try:
        return to_plain(conf.to_container(loaded, resolve=True))
    except Exception:  # noqa: BLE001 - one unresolvable value (${now:...}): resolve the others
        raw = to_plain(conf.to_container(loaded, resolve=False))
    if not isinstance(raw, dict):
        return raw
    flat = flatten(raw)
    for key, value in flat.items():
        if isinstance(value, str) and "${" in value:
            try:
                flat[key] = to_plain(conf.select(loaded, key, throw_on_missing=True))
            except Exception:  # noqa: BLE001,S112 - kept as written
                continue
    return unflatten(flat)


# ---------------------------------------------------------------- merging


def source_rank(source: str) -> int:
    """Where a source (``"argv"``, ``"config:conf.yaml"``, ``"inprocess:argparse"``) stands in
    PRECEDENCE; an unknown kind ranks with ``argv``."""
    kind = source.partition(":")[0]
    if kind in INPROCESS_SOURCES:
        kind = "inprocess"
    elif kind in CODE_SOURCES:
        kind = "torch"
    return PRECEDENCE.index(kind) if kind in PRECEDENCE else PRECEDENCE.index("argv")


def merge_params(
    sources: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Deep-merge ``sources`` by PRECEDENCE (the more specific wins) and say who set what.

    Keys are normalized first (``split-seed`` and ``split_seed`` are one param), so a flag
    overrides the config file's key of the same name. Sources of one kind keep their order
    (a later config file wins over an earlier one). Returns the merged params and, for each
    flattened dotted key of the result, the name of the source whose value won.
    """
    merged: dict[str, Any] = {}
    setter: dict[str, str] = {}
    inprocess, default = PRECEDENCE.index("inprocess"), PRECEDENCE.index("default")
    named = {
        normalize_key(key)
        for name, params in sources
        if source_rank(name) != default
        for key in params
    }
    code = PRECEDENCE.index("torch")
    rates = _learning_rates(params for name, params in sources if source_rank(name) != code)
    for name, params in sorted(sources, key=lambda source: source_rank(source[0])):
        normalized = normalize_keys(params)
        if source_rank(name) == code and rates:
            normalized = _without_restated_rate(normalized, rates)
        if source_rank(name) == inprocess:
            normalized = _parsed_values_that_count(normalized, flatten(merged))
        elif source_rank(name) == default:
            normalized = _not_named_otherwise(normalized, named)
        merged = deep_merge(merged, normalized)
        for key in flatten(normalized):
            setter[key] = name
    return merged, {key: setter[key] for key in flatten(merged) if key in setter}


def _learning_rates(sources: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The values the program's own settings give a ``learning_rate`` (any case)."""
    return [
        value
        for params in sources
        for key, value in params.items()
        if normalize_key(key).lower() == "learning_rate" and isinstance(value, (int, float))
    ]


def _without_restated_rate(code: dict[str, Any], rates: list[Any]) -> dict[str, Any]:
    """The optimizer's settings less its ``lr`` where the program's ``learning_rate`` (its
    flag, constant or default) has that value: one setting, which the program names
    (makemore's ``--learning-rate``, yunjey's ``learning_rate = 0.001`` given to ``Adam``)."""
    lr = code.get("lr")
    if lr is None or not any(lr == rate for rate in rates):
        return code
    return {key: value for key, value in code.items() if key != "lr"}


def _not_named_otherwise(defaults: dict[str, Any], named: set[str]) -> dict[str, Any]:
    """A script's own settings less those another source names in another case: Equinox's
    ``LEARNING_RATE = 3e-4`` and ``--learning_rate 1e-3`` on its command line are one setting,
    which the command line names."""
    lowered = {key.lower() for key in named}
    return {
        key: value for key, value in defaults.items() if key in named or key.lower() not in lowered
    }


def _parsed_values_that_count(parsed: dict[str, Any], known: Mapping[str, Any]) -> dict[str, Any]:
    """A parser's values, less its unset options (None) where another source has a value
    (``--batch-size`` defaulting to None, the config file's ``batch_size: 32`` used instead),
    and less the option that only named a config file (``--config conf.yaml``)."""
    kept = {}
    for key, value in flatten(parsed).items():
        if value is None and known.get(key) is not None:
            continue
        if "." not in key and _names_a_config_file(key, value) and _looks_like_a_file(value):
            continue
        kept[key] = value
    return unflatten(kept)


def _looks_like_a_file(value: str) -> bool:
    suffix = Path(value).suffix.lower()
    return suffix in CONFIG_SUFFIXES or suffix == PYTHON_CONFIG_SUFFIX


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
