"""Settings a script writes in its own source that name themselves as settings, read without
running it (:func:`runledger.recording.capture.params.script_defaults` ranks them lowest).

Two shapes say what they are by their names:

* A literal dict named as a config (``config``, ``hparams``, ``hyperparameters``) at the
  module's top, in ``main()`` or under ``if __name__ == "__main__":``. accelerate's examples
  (nlp_example.py, cv_example.py) write ``config = {"lr": 2e-5, "num_epochs": 3, "seed": 42,
  "batch_size": 16}`` in ``main()`` and pass it to ``training_function(config, args)``: no
  parser, tracker or hook ever sees those values. Its literal items are params under their
  keys; an item the script changes later (``config["lr"] = args.lr``) is not, nor is the
  whole dict when the script updates it or assigns the name twice: the source no longer
  says what the program used.
* An UPPER_CASE constant at the module's top whose name is a hyperparameter's
  (``LEARNING_RATE = 0.001``, ``BATCH_SIZE = 32``): a constant by Python's convention, a
  setting by its name. Other top-level names (``batch_size = 32``, ``DATA_DIR = "data"``)
  are not known to be settings and are left out.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

SETTINGS_DICT_NAMES: Final = frozenset(
    {"config", "cfg", "hparams", "hyperparams", "hyperparameters", "hyper_params"}
)
HYPERPARAMETER_CONSTANTS: Final = frozenset(
    "lr learning_rate batch_size epochs num_epochs n_epochs max_epochs steps num_steps max_steps "
    "train_steps iters max_iters num_iters n_iters iterations num_iterations num_batches dropout "
    "gradient_accumulate_every "
    "weight_decay momentum warmup_steps hidden_size hidden_dim embed_dim embedding_dim "
    "num_layers n_layers num_heads n_heads n_embd block_size seq_len max_len context_length "
    "seed gamma tau beta1 beta2 grad_clip max_grad_norm lr_decay patience label_smoothing "
    "temperature".split()
)
# Cheap tests of the bytes before any parse: most scripts hold neither shape.
_DICT_HINT: Final = re.compile(
    rb"^[ \t]*(?:" + "|".join(sorted(SETTINGS_DICT_NAMES)).encode() + rb")\s*(?::[^=\n]*)?=\s*\{",
    re.IGNORECASE | re.MULTILINE,
)
_CONSTANT_HINT: Final = re.compile(
    rb"^(?:" + "|".join(sorted(HYPERPARAMETER_CONSTANTS)).upper().encode() + rb")\s*[:=]",
    re.MULTILINE,
)
_MUTATORS: Final = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__"})


def may_hold_settings(content: bytes) -> bool:
    """Whether the script's bytes may hold either shape (a parse tells for sure)."""
    return _DICT_HINT.search(content) is not None or _CONSTANT_HINT.search(content) is not None


def settings_in_source(module: ast.Module) -> dict[str, Any]:
    """The script's named settings: its constants, then its config dicts' items over them,
    as ``ast.literal_eval`` gives them."""
    found: dict[str, Any] = dict(_constants(module.body))
    found.update(_config_items(module))
    return found


def _constants(body: Sequence[ast.stmt]) -> Iterator[tuple[str, Any]]:
    assigned = _assignment_counts(body)
    rebound = _names_declared_global(body)
    for node in body:
        target, value = _single_target(node)
        if target is None or value is None:
            continue
        name = target.id
        if not (name.isupper() and name.lower() in HYPERPARAMETER_CONSTANTS):
            continue
        if assigned[name] > 1 or name in rebound:
            continue
        literal = _literal(value)
        if isinstance(literal, (int, float, str)):  # bool is an int
            yield name, literal


def _config_items(module: ast.Module) -> Iterator[tuple[str, Any]]:
    places = [module.body]
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main":
            places.append(node.body)
        elif isinstance(node, ast.If) and _is_main_guard(node.test):
            places.append(node.body)
    dicts: list[tuple[str, ast.Dict]] = []
    for body in places:
        for node in body:
            target, value = _single_target(node)
            if target is not None and target.id.lower() in SETTINGS_DICT_NAMES:
                if isinstance(value, ast.Dict):
                    dicts.append((target.id, value))
    if not dicts:
        return
    assigned = _assignment_counts(ast.walk(module))
    changed = _changed_keys(module, {name for name, _ in dicts})
    for name, literal in dicts:
        if assigned[name] > 1 or changed.get(name) == {"*"}:
            continue
        for key_node, value_node in zip(literal.keys, literal.values, strict=True):
            if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
                continue
            if key_node.value in changed.get(name, set()):
                continue
            value = _literal(value_node)
            if value is not _NOT_LITERAL:
                yield key_node.value, value


def _changed_keys(module: ast.Module, names: set[str]) -> dict[str, set[str]]:
    """Per dict name, the keys the script assigns after building it; ``{"*"}`` when it may
    change any (``config.update(...)``, ``config[key] = ...``, ``config |= ...``)."""
    changed: dict[str, set[str]] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            name = _name_of(node.value)
            if name in names:
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    changed.setdefault(name, set()).add(key.value)
                else:
                    changed[name] = {"*"}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = _name_of(node.func.value)
            if name in names and node.func.attr in _MUTATORS:
                changed[name] = {"*"}
        elif isinstance(node, ast.AugAssign):
            name = _name_of(node.target)
            if name in names:
                changed[name] = {"*"}
    return {name: ({"*"} if "*" in keys else keys) for name, keys in changed.items()}


def _assignment_counts(nodes: Iterable[ast.AST]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for node in nodes:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = [node.target]
        for target in targets:
            counts.update(_bound_names(target))
    return counts


def _bound_names(target: ast.expr) -> Iterator[str]:
    """The names an assignment binds: ``a``, ``a, b``; not ``config["lr"]`` nor ``self.a``."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _names_declared_global(body: Sequence[ast.stmt]) -> set[str]:
    declared: set[str] = set()
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Global):
                declared.update(node.names)
    return declared


def _single_target(node: ast.stmt) -> tuple[ast.Name | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target, node.value) if isinstance(target, ast.Name) else (None, None)
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target, node.value
    return None, None


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and _name_of(test.left) == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _name_of(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


_NOT_LITERAL: Final = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(_unwrapped_count(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _unwrapped_count(node: ast.expr) -> ast.expr:
    """``int(1e5)`` as the whole number it is: lucidrains' training scripts write their
    ``NUM_BATCHES = int(1e5)`` so; other calls stay calls (not literals)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "int"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and type(node.args[0].value) is float
        and node.args[0].value.is_integer()
        and abs(node.args[0].value) < 1e15
    ):
        return ast.Constant(int(node.args[0].value))
    return node


# A module of the program's own that it imports by one of these names holds its settings:
# weiaicunzai/pytorch-cifar100's train.py reads `settings.EPOCH` and `settings.MILESTONES`
# through `from conf import settings` (conf/global_settings.py); many repositories keep a
# config.py of UPPER_CASE constants beside train.py and `import config`.
SETTINGS_MODULE_NAMES: Final = frozenset(
    {"config", "configs", "settings", "global_settings", "conf", "cfg", "hparams", "hyperparams"}
)
_SETTINGS_IMPORT_HINT: Final = re.compile(
    rb"^[ \t]*(?:from|import)[ \t]+[\w. \t,]*\b(?:"
    + "|".join(sorted(SETTINGS_MODULE_NAMES)).encode()
    + rb")\b",
    re.MULTILINE,
)
MAX_SETTINGS_MODULES: Final = 4
MAX_MODULE_CONSTANTS: Final = 100


def may_import_settings(content: bytes) -> bool:
    """Whether the script's bytes may import a settings module (a parse tells for sure)."""
    return _SETTINGS_IMPORT_HINT.search(content) is not None


def settings_modules(module: ast.Module, folder: Path) -> list[Path]:
    """The files of the settings modules the script imports at its top, found in ``folder``
    (the script's); a package's ``__init__.py`` gives the settings modules it imports in turn
    (pytorch-cifar100's ``conf/__init__.py``: ``import conf.global_settings as settings``)."""
    found: list[Path] = []
    for path in _imported_files(module, folder, folder):
        if path.name == "__init__.py":
            try:
                package = ast.parse(path.read_bytes())
            except (OSError, SyntaxError, ValueError):
                continue
            found.extend(_imported_files(package, folder, path.parent))
        else:
            found.append(path)
    return list(dict.fromkeys(found))[:MAX_SETTINGS_MODULES]


def module_constants(module: ast.Module) -> dict[str, Any]:
    """A settings module's UPPER_CASE constants that are numbers or switches, or lists of
    whole numbers (``MILESTONES = [60, 120, 160]``); not strings (paths, date formats) nor
    lists of fractions (a data set's channel means)."""
    assigned = _assignment_counts(module.body)
    found: dict[str, Any] = {}
    for node in module.body:
        target, value = _single_target(node)
        if target is None or value is None or not target.id.isupper() or assigned[target.id] > 1:
            continue
        literal = _literal(value)
        if isinstance(literal, (int, float)) or (
            isinstance(literal, (list, tuple))
            and literal
            and all(type(item) is int for item in literal)
        ):
            found[target.id] = list(literal) if isinstance(literal, tuple) else literal
        if len(found) >= MAX_MODULE_CONSTANTS:
            break
    return found


def _imported_files(module: ast.Module, root: Path, here: Path) -> Iterator[Path]:
    """The files of ``module``'s top-level imports that name a settings module: absolute ones
    from ``root``, relative ones (``from . import config``) from ``here``."""
    for node in module.body:
        dotted: list[tuple[Path, str]] = []
        if isinstance(node, ast.Import):
            dotted = [(root, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = root if node.level == 0 else here
            if node.level > 1:
                continue
            parent = node.module or ""
            dotted = [(base, f"{parent}.{alias.name}".strip(".")) for alias in node.names]
            if parent:
                dotted.append((base, parent))
        for base, name in dotted:
            parts = name.split(".")
            if SETTINGS_MODULE_NAMES.isdisjoint(parts) or not all(map(str.isidentifier, parts)):
                continue
            for path in (
                base.joinpath(*parts).with_suffix(".py"),
                base.joinpath(*parts, "__init__.py"),
            ):
                if path.is_file():
                    yield path
                    break
