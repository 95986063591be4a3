"""``runledger sweep``'s pure parts: search spaces, the trial's command, its objective.

A space is ``NAME=EXPR``::

    lr=loguniform(1e-5,1e-1)   uniform(a,b)   int(a,b)   intlog(a,b)   choice(16,32,64)
    lr=0.1,0.01                a grid list: the values to try, every one of them

A ``{NAME}`` anywhere in the command is replaced by the trial's value; a space named nowhere
in the command is appended as ``--NAME=VALUE`` (``NAME=VALUE`` with ``--style hydra``;
``--config.NAME=VALUE`` where the program's newest run recorded NAME from its ml_collections
config, the only name absl takes it by).
The objective is read from the trial's own record: the metric's last value, or its min or
max over the series (``--objective``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runledger.analysis.direction import metric_direction
from runledger.errors import UserError
from runledger.model.record import Run

SpaceKind = Literal["uniform", "loguniform", "int", "intlog", "choice", "grid"]
Objective = Literal["last", "min", "max"]
STYLES = ("flags", "hydra")
SAMPLERS = ("tpe", "random", "grid", "cmaes")
OBJECTIVES = ("last", "min", "max")
INSTALL_HINT = "pip install 'runledger[sweep]'"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_CALL = re.compile(r"^(?P<kind>[a-z]+)\((?P<args>.*)\)$", re.DOTALL)


@dataclass(frozen=True)
class Space:
    name: str
    kind: SpaceKind
    low: float = 0.0
    high: float = 0.0
    choices: tuple[Any, ...] = ()

    @property
    def is_listed(self) -> bool:
        """Whether the space is a finite list of values (grid-searchable)."""
        return self.kind in ("choice", "grid")


def parse_space(text: str) -> Space:
    """One ``-s NAME=EXPR``; UserError naming what is wrong."""
    name, sep, expr = text.partition("=")
    name, expr = name.strip(), expr.strip()
    if not sep or not name or not expr:
        raise UserError(f"bad -s {text!r}: write NAME=EXPR, e.g. lr=loguniform(1e-5,1e-1)")
    if not _NAME.match(name):
        raise UserError(f"bad -s {text!r}: {name!r} is not a parameter name")
    call = _CALL.match(expr)
    if call is None:
        values = tuple(_value(item) for item in _split(expr))
        return Space(name, "grid", choices=values)
    kind, args = call.group("kind"), _split(call.group("args"))
    if kind == "choice":
        if not args:
            raise UserError(f"bad -s {text!r}: choice() needs at least one value")
        return Space(name, "choice", choices=tuple(_value(item) for item in args))
    if kind not in ("uniform", "loguniform", "int", "intlog"):
        raise UserError(
            f"bad -s {text!r}: unknown space {kind}(): use uniform, loguniform, int, intlog, "
            "choice, or a list of values (lr=0.1,0.01)"
        )
    if len(args) != 2:
        raise UserError(f"bad -s {text!r}: {kind}() takes two bounds, e.g. {kind}(1,10)")
    low, high = (_bound(text, item, integer=kind in ("int", "intlog")) for item in args)
    if low > high:
        raise UserError(f"bad -s {text!r}: the low bound is above the high bound")
    if kind in ("loguniform", "intlog") and low <= 0:
        raise UserError(f"bad -s {text!r}: {kind}() needs bounds above 0")
    return Space(name, kind, low=low, high=high)  # type: ignore[arg-type]


def parse_spaces(texts: Sequence[str]) -> list[Space]:
    spaces = [parse_space(text) for text in texts]
    seen: set[str] = set()
    for space in spaces:
        if space.name in seen:
            raise UserError(f"-s {space.name} is given twice: give each parameter one space")
        seen.add(space.name)
    return spaces


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _value(text: str) -> Any:
    """A listed value: an int, a float, true/false, else the text (quotes removed)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _bound(text: str, item: str, *, integer: bool) -> float:
    try:
        value = float(item)
    except ValueError:
        raise UserError(f"bad -s {text!r}: {item!r} is not a number") from None
    if not math.isfinite(value):
        raise UserError(f"bad -s {text!r}: bounds must be finite")
    if integer and not value.is_integer():
        raise UserError(f"bad -s {text!r}: int bounds must be whole numbers")
    return value


def grid_size(spaces: Sequence[Space]) -> int:
    size = 1
    for space in spaces:
        size *= len(space.choices)
    return size


def default_sampler(spaces: Sequence[Space]) -> str:
    """Grid when every space is a plain list of values, TPE otherwise."""
    return "grid" if spaces and all(space.kind == "grid" for space in spaces) else "tpe"


# --- the trial's command ----------------------------------------------------------------------


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def trial_command(
    command: Sequence[str],
    values: Mapping[str, Any],
    style: str = "flags",
    flags: Mapping[str, str] | None = None,
) -> list[str]:
    """``command`` with each ``{name}`` replaced, and the spaces it never names appended
    (as ``--FLAG=VALUE``, FLAG the name or what ``flags`` says it is passed as)."""
    shown = {name: format_value(value) for name, value in values.items()}
    placeholders = {name: "{" + name + "}" for name in shown}
    argv = []
    used: set[str] = set()
    for arg in command:
        for name, placeholder in placeholders.items():
            if placeholder in arg:
                arg = arg.replace(placeholder, shown[name])
                used.add(name)
        argv.append(arg)
    for name, text in shown.items():
        if name not in used:
            flag = (flags or {}).get(name, name)
            argv.append(f"{name}={text}" if style == "hydra" else f"--{flag}={text}")
    return argv


def program_of(command: Sequence[str]) -> tuple[str, ...]:
    """The words that name the program (``python main.py``): those before its first option."""
    words: list[str] = []
    for word in command:
        if word.startswith("-"):
            break
        words.append(word)
    return tuple(words)


def recorded_flags(
    names: Sequence[str], param_sources: Mapping[str, str], recorded_command: Sequence[str]
) -> dict[str, str]:
    """The flag each space is passed as, from an earlier run of the program: a field of its
    one ml_collections config (recorded as ``learning_rate``, source ``ml_collections``) is
    ``config.learning_rate``, the only name absl knows it by (``--config.learning_rate``),
    ``config`` being the flag that names the config file in that run's command."""
    config = _config_file_flag(recorded_command) or "config"
    return {
        name: f"{config}.{name}"
        for name in names
        if param_sources.get(name) == "ml_collections" and not name.startswith(config + ".")
    }


def _config_file_flag(command: Sequence[str]) -> str | None:
    """The flag whose value is a Python config file (``--config=configs/default.py``, an
    ``:argument`` after it allowed), as ml_collections' ``DEFINE_config_file`` takes."""
    for index, word in enumerate(command):
        if not word.startswith("--"):
            continue
        flag, equals, value = word[2:].partition("=")
        if not equals and index + 1 < len(command):
            value = command[index + 1]
        if value.partition(":")[0].endswith(".py") and _NAME.match(flag):
            return flag
    return None


# --- the objective ----------------------------------------------------------------------------


def objective_value(run: Run, metric: str, objective: Objective = "last") -> float | None:
    """The trial's objective from its record; None when it recorded no finite value."""
    summary = run.metrics.get(metric)
    if summary is None:
        return None
    value = {"last": summary.last, "min": summary.min, "max": summary.max}[objective]
    return value if math.isfinite(value) else None


def direction_for(metric: str, maximize: bool | None) -> str:
    """``maximize`` or ``minimize``: as told, else from the metric's name (loss: minimize)."""
    if maximize is not None:
        return "maximize" if maximize else "minimize"
    return "maximize" if metric_direction(metric) == "max" else "minimize"


def check_choice(value: str, allowed: Sequence[str], option: str) -> str:
    if value not in allowed:
        raise UserError(f"unknown {option} {value!r}: use one of {', '.join(allowed)}")
    return value
