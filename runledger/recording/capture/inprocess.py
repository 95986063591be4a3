"""When ``runledger exec`` turns on in-process capture, and the child environment that does it.

The capture itself lives in :mod:`runledger.recording.autocapture` and runs inside the
program; this side only chooses Python commands and puts that folder first on PYTHONPATH.
Nothing of runledger's own environment (its site-packages) goes on the program's path.

Facts the program reports about itself come back through its metrics file as lines such as
``{"_runledger": "used", "packages": {...}}`` and ``{"_runledger": "torch", "cuda": "12.1",
"cudnn": 8902}``: :func:`environment_facts` turns them into environment.toml's ``[used]`` and
``[torch]``, checked and capped like any other input (any program may write them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

AUTOCAPTURE_ENV: Final = "RUNLEDGER_AUTOCAPTURE"
OWNER_ENV: Final = "RUNLEDGER_AUTOCAPTURE_OWNER"
FOLDER: Final = Path(__file__).resolve().parent.parent / "autocapture"
# The sources the in-process hooks report params under, in the order they are merged.
# ``torch`` (the settings a plain loop gave its optimizer and loader) ranks below the command
# line and config files (params.PRECEDENCE), so it never hides their names.
PARAM_SOURCES: Final = (
    "torch", "optax", "argparse", "click", "jsonargparse", "absl", "ml_collections", "tyro", "fire",
    "gin", "omegaconf", "docopt", "xgboost", "lightgbm", "sklearn", "sktime", "catboost", "flaml",
    "spacy", "gensim", "prophet", "numpyro", "pymc", "fasttext", "implicit", "surprise",
    "nevergrad", "pykeen", "pmdarima", "wandb", "mlflow", "sacred", "dvclive", "comet", "neptune",
    "aim", "d3rlpy", "stable_baselines3", "flair", "gluonts", "tensorboard", "keras", "lightning",
    "transformers", "setfit", "peft", "hydra"
)  # fmt: skip

# In-process sources that rank below argv: argv's value of one of their names stays.
BELOW_ARGV: Final = frozenset({"torch", "optax"})

_PYTHON_NAME: Final = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?[wdt]?(?:\.exe)?", re.I)
_SHEBANG_BYTES: Final = 512
_ENVIRONMENT_RUNNERS: Final = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "conda"})


def is_python_command(executable: str) -> bool:
    """Whether ``executable`` is a Python interpreter or a script run by one (torchrun too)."""
    if _PYTHON_NAME.fullmatch(os.path.basename(executable)):
        return True
    try:
        with open(executable, "rb") as handle:
            first = handle.readline(_SHEBANG_BYTES)
    except OSError:
        return False
    if not first.startswith(b"#!"):
        return False
    words = first[2:].decode(errors="replace").split()
    if words and os.path.basename(words[0]) == "env":
        words = [word for word in words[1:] if not word.startswith("-")]
    if not words:
        return False
    return bool(_PYTHON_NAME.fullmatch(os.path.basename(words[0])))


def runs_python_through(command: Sequence[str]) -> bool:
    """``uv run ...``, ``poetry run ...``, ``conda run ...``: a tool that runs a Python
    environment's command, passing PYTHONPATH on."""
    return (
        len(command) > 2
        and os.path.basename(command[0]) in _ENVIRONMENT_RUNNERS
        and command[1] == "run"
    )


def enabled(
    executable: str,
    env: Mapping[str, str],
    *,
    option: bool,
    config: bool,
    command: Sequence[str] = (),
) -> bool:
    """In-process capture is on unless an off switch says otherwise, for Python commands."""
    if not switched_on(env, option=option, config=config):
        return False
    return is_python_command(executable) or runs_python_through(command)


def switched_on(env: Mapping[str, str], *, option: bool, config: bool) -> bool:
    """No off switch is set: --no-autocapture, autocapture = false, RUNLEDGER_AUTOCAPTURE=0."""
    return option and config and env.get(AUTOCAPTURE_ENV, "").strip() != "0"


def add_to_environment(env: dict[str, str]) -> None:
    """Put the capture folder first on the child's PYTHONPATH."""
    existing = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(FOLDER) + (os.pathsep + existing if existing else "")
    env.pop(OWNER_ENV, None)


def argv_and_inprocess_sources(
    argv: dict[str, Any],
    reported: Mapping[str, dict[str, Any]],
    aliases: Mapping[str, str] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The param sources ``argv`` and the in-process ones, least specific first.

    The values the program itself used win over its command line's text, and a name the
    program's parser reported is not kept a second time as argv spelled it (``--batch-size``
    is argparse's ``batch_size``; LightningCLI's ``fit --model.depth`` is ``fit.model.depth``;
    ``-b 4`` is ``batch_size`` when the parser's ``aliases`` say so).
    """
    in_process = [(name, reported[name]) for name in PARAM_SOURCES if name in reported]
    if not in_process:
        return [("argv", argv)]
    # Here, not at the top: exec imports this module before the command starts, params only
    # once it has ended.
    from runledger.recording.capture import params as params_capture

    in_process = _without_camel_case_twins(in_process)
    known: set[str] = set()
    for name, params in in_process:
        if name in BELOW_ARGV:
            continue
        for key in params_capture.flatten(params):
            parts = params_capture.normalize_key(key).split(".")
            known.update(".".join(parts[start:]) for start in range(len(parts)))
    for name, dest in (aliases or {}).items():
        # "": an option of the library's own, no param (sacred's -F, --name)
        if not dest or params_capture.normalize_key(dest) in known:
            known.add(params_capture.normalize_key(name))
    flat = params_capture.flatten(argv)
    kept = {
        key: value
        for key, value in flat.items()
        if params_capture.normalize_key(key) not in known
        # argv reads --no-cuda as cuda = false; a parser that kept no_cuda = true said it first
        and not (value is False and "no_" + params_capture.normalize_key(key) in known)
    }
    return [("argv", params_capture.unflatten(kept)), *in_process]


def _without_camel_case_twins(
    sources: list[tuple[str, dict[str, Any]]],
) -> list[tuple[str, dict[str, Any]]]:
    """``sources`` less a lower-ranked source's param that a program's own param spelled in
    camel case already holds, with the same value: dcgan's ``--batchSize 16`` given to its
    DataLoader is one param ``batchSize``, not ``batch_size`` beside it."""
    spelled = {
        _CAMEL_HUMP.sub(r"\1_\2", key).lower(): value
        for name, params in sources
        if name not in BELOW_ARGV
        for key, value in params.items()
        if _CAMEL_HUMP.search(key)
    }
    if not spelled:
        return sources

    def twin(key: str, value: Any) -> bool:
        found = spelled.get(key, _NOTHING)
        return type(found) is type(value) and found == value  # 1 is no twin of True

    return [
        (name, {k: v for k, v in params.items() if not twin(k, v)})
        if name in BELOW_ARGV
        else (name, params)
        for name, params in sources
    ]


_NOTHING: Final = object()


_CAMEL_HUMP: Final = re.compile(r"([a-z0-9])([A-Z])")
MAX_USED_PACKAGES = 5000
MAX_TEXT = 200


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        return text if 0 < len(text) <= MAX_TEXT else None
    return None


def used_packages_from_lines(lines: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """Distribution name -> version from the ``used`` lines (later lines add to earlier)."""
    used: dict[str, str] | None = None
    for line in lines:
        if line.get("_runledger") != "used" or not isinstance(line.get("packages"), Mapping):
            continue
        used = used if used is not None else {}
        for name, version in line["packages"].items():
            name_text, version_text = _text(name), _text(version)
            if name_text and version_text and len(used) < MAX_USED_PACKAGES:
                used[name_text] = version_text
    return (
        dict(sorted(used.items(), key=lambda item: item[0].lower())) if used is not None else None
    )


def torch_from_lines(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """torch's version and the CUDA / cuDNN versions it was built with (the last line)."""
    found: dict[str, Any] | None = None
    for line in lines:
        if line.get("_runledger") != "torch":
            continue
        found = {}
        for key in ("version", "cuda"):
            text = _text(line.get(key))
            if text is not None:
                found[key] = text
        cudnn = line.get("cudnn")
        if isinstance(cudnn, int) and not isinstance(cudnn, bool):
            found["cudnn"] = cudnn
        elif _text(cudnn) is not None:
            found["cudnn"] = _text(cudnn)
    return found


def environment_facts(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The environment.toml tables the program's own report adds: ``used``, ``torch``."""
    lines = list(lines)
    facts: dict[str, Any] = {}
    used = used_packages_from_lines(lines)
    if used is not None:
        facts["used"] = used
    torch = torch_from_lines(lines)
    if torch is not None:
        facts["torch"] = torch
    return facts
