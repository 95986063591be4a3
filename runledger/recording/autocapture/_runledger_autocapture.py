"""The hooks of runledger's in-process capture; loaded by ``sitecustomize`` when first needed.

Runs inside the user's program, under its interpreter (Python 3.8+, standard library only).
Each hook wraps a library function so that the original runs exactly as before (same
arguments, return value, exceptions) and then, inside ``_safely``, the values are reported as
one JSON line appended to RUNLEDGER_METRICS_FILE. An error in runledger's part is written as a
``capture_error`` line and never reaches the program. A library version without the expected
function is simply not captured (and noted).

Lines written (``_runledger`` names the kind; the recorder reads them, see
runledger/recording/capture/metrics.py):

- ``{"_runledger": "params", "source": "argparse", "params": {...}, "aliases": {"b":
  "batch_size"}}``: the source's params (and the option names that set them under another
  name); a later line of one source replaces the earlier one (the last parse wins).
- ``{"_runledger": "metrics", "_source": "tensorboard", "step": 3, "loss": 0.25}``: metric
  values, read like any metrics-file line.
- ``{"_runledger": "trial", ...}``: one finished Optuna trial; the metrics lines written while
  its objective runs name it as ``"_trial": 3`` (its number).
- ``{"_runledger": "tracker_run", "tracker_run": "wandb:2", "at": iso, "name": ..., "id": ...}``
  (and ``"ended": iso, "exit_code": 0`` when it ends): a wandb or MLflow run of the program;
  the params and metrics lines of a tracker run name it as ``"_tracker_run": "wandb:2"``.
- ``{"_runledger": "used", "packages": {"numpy": "2.1.0"}}``: distributions the program
  imported, written at exit.
- ``{"_runledger": "fact", "world_size": 8}``: facts of the process tree.
- ``{"_runledger": "tensorboard_covered", "log_dir": "/abs/runs/x"}``: a TensorBoard folder the
  HF Trainer writes its logged values to, renamed, or one ``add_scalars`` writes its values
  to (``runs/x/glue_accuracy``); those values are already reported in process, so the
  recorder does not read that folder's event files again.
- ``{"_runledger": "logger_folders", "source": "lightning", "folders": [...]}``: folders
  Lightning's own loggers write.
- ``{"_runledger": "capture_error", "hook": "keras", "error": "..."}``.
"""

from __future__ import annotations

# Only modules every interpreter has loaded before the program (or built in) are imported
# plainly: the program's folder is on sys.path by now, and its own json.py must not be run
# by us. The rest of the standard library comes through _stdlib.
import _thread
import importlib.machinery
import os
import sys

MYPY = False
if MYPY:
    from collections.abc import Callable
    from typing import Any

# Threads importing through _stdlib now (only they resolve names from the standard
# library), each with the top-level names the finder resolved for it.
_stdlib_threads: dict[int, set[str]] = {}


class _StdlibFirst:
    """A finder, placed before the path finder, that makes top-level names resolve from the
    standard library's own folders, in a thread that imports through _stdlib only."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        resolved = _stdlib_threads.get(_thread.get_ident())
        if path is not None or resolved is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, _stdlib_folders())
        if spec is not None:
            resolved.add(name)
        return spec


def _stdlib_folders() -> list[str]:
    lib = os.path.dirname(os.__file__)
    dlls = os.path.join(sys.base_exec_prefix, "DLLs")  # Windows keeps extensions there
    inside = tuple(folder + os.sep for folder in (lib, dlls))
    return [lib] + [p for p in sys.path if p and (p.startswith(inside) or p.endswith(".zip"))]


def _stdlib(name: str) -> Any:
    """The standard library's module ``name``, never a file of the program's that shadows it
    (a json.py beside train.py): the hooks must act as if absent."""
    module = sys.modules.get(name)
    if module is not None:
        return module  # the program's own, if it imported one: it ran already, as bare
    return _stdlib_only(lambda: importlib.import_module(name))


def _stdlib_only(call: Callable[[], Any]) -> Any:
    """``call()``, with the top-level names it imports (some standard modules import more
    when called) resolved from the standard library; what it loaded that the program's own
    import would not get is left out of sys.modules again."""
    before = set(sys.modules)
    me = _thread.get_ident()
    outermost = me not in _stdlib_threads
    _install_stdlib_finder()
    if outermost:
        _stdlib_threads[me] = set()
    try:
        return call()
    finally:
        if outermost:
            _forget_shadowed(_stdlib_threads.pop(me, set()), before)


def _forget_shadowed(resolved: set[str], before: set[str]) -> None:
    # Only names the finder resolved in this thread: a module another thread imported
    # meanwhile (torch, say) must never be taken out of sys.modules under it.
    stdlib = tuple(folder + os.sep for folder in _stdlib_folders())
    for top in resolved - before:
        found = importlib.machinery.PathFinder.find_spec(top, sys.path)
        where = getattr(found, "origin", None)
        if where and not os.path.abspath(where).startswith(stdlib):
            for key in [k for k in list(sys.modules) if k == top or k.startswith(top + ".")]:
                if key not in before:
                    sys.modules.pop(key, None)


def _install_stdlib_finder() -> None:
    # Placed once and left: taking it out again could make another thread's import skip a
    # finder while it walks sys.meta_path.
    if not any(finder is _StdlibFirst for finder in sys.meta_path):
        where = next(
            (i for i, f in enumerate(sys.meta_path) if f is importlib.machinery.PathFinder),
            len(sys.meta_path),
        )
        sys.meta_path.insert(where, _StdlibFirst)


if MYPY:
    import enum
    import functools
    import json
    import threading
else:
    enum = _stdlib("enum")
    functools = _stdlib("functools")
    json = _stdlib("json")
    threading = _stdlib("threading")

_METRICS_FILE_ENV = "RUNLEDGER_METRICS_FILE"
_MAX_ERRORS = 20
_MAX_DEPTH = 12
_MAX_ITEMS = 2000

_state: dict[str, Any] = {
    "owner": None, "errors": 0, "world_size_reported": False, "warnings_shimmed": False,
    "patched": set(), "covered_log_dirs": set(),
    "keras_step": None, "keras_params_reported": False,
}  # fmt: skip
_local = threading.local()


def configure(owner: bool, preloaded: Any = ()) -> None:
    """``owner``: this process is the program (not a launcher or a subprocess of it);
    ``preloaded``: top-level modules imported before the program started (by .pth files)."""
    _state["owner"] = os.getpid() if owner else None
    _state["preloaded"] = frozenset(preloaded)


# ------------------------------------------------------------------------- writing lines


def _is_rank_zero() -> bool:
    for name in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value.strip() == "0"
    dist = sys.modules.get("torch.distributed")
    if dist is not None:
        try:
            if dist.is_available() and dist.is_initialized():
                return int(dist.get_rank()) == 0
        except Exception:  # noqa: BLE001
            pass
    return True


def _world_size() -> int | None:
    dist = sys.modules.get("torch.distributed")
    if dist is not None:
        try:
            if dist.is_available() and dist.is_initialized():
                return int(dist.get_world_size())
        except Exception:  # noqa: BLE001
            pass
    try:
        return int(os.environ["WORLD_SIZE"])
    except (KeyError, ValueError):
        return None


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get(_METRICS_FILE_ENV)
    if not path:
        return
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_fallback)
    data = (line + "\n").encode("utf-8", errors="replace")
    # One O_APPEND write per line: lines of several processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _write_reported(record: dict[str, Any]) -> None:
    """Write a params or metrics line from rank 0 only, with the world size once."""
    if not _is_rank_zero():
        return
    if not _state["world_size_reported"]:
        size = _world_size()
        if size is not None:
            _state["world_size_reported"] = True
            _write({"_runledger": "fact", "world_size": size})
    _write(record)


def _note_error(hook: str, error: BaseException) -> None:
    if _state["errors"] >= _MAX_ERRORS:
        return
    _state["errors"] += 1
    try:
        text = f"{type(error).__name__}: {error}"[:500]
        _write({"_runledger": "capture_error", "hook": hook, "error": text})
    except Exception:  # noqa: BLE001
        pass


def _safely(hook: str, action: Callable[[], None]) -> None:
    try:
        action()
    except Exception as error:  # noqa: BLE001 - never into the user's program
        _note_error(hook, error)


def report_params(
    source: str, params: Any, aliases: Any = None, tracker_run: str | None = None
) -> None:
    """``aliases``: option name -> the param it sets (``{"b": "batch_size"}`` for ``-b``).
    ``tracker_run``: the tracker run (``wandb:2``) the params are of, when they are one's
    (a worker process's own tracker run too)."""
    if _state["owner"] != os.getpid() and tracker_run is None:  # a forked worker's parser
        return
    plain = _plain(params, 0)
    if isinstance(plain, dict):
        record = {"_runledger": "params", "source": source, "params": plain}
        if tracker_run is not None:
            record[_TRACKER_RUN_KEY] = tracker_run
        if aliases:
            record["aliases"] = aliases
        _write_reported(record)


_TRACKER_RUN_KEY = "_tracker_run"
# The Optuna trial whose objective this thread is running: its metrics are its child run's.
_TRIAL_KEY = "_trial"
_NOT_METRICS = ("step", "_runledger", "_source", _TRACKER_RUN_KEY, _TRIAL_KEY)


def report_metrics(
    source: str, values: dict[str, Any], step: Any = None, tracker_run: str | None = None
) -> None:
    numbers: dict[str, Any] = {}
    for name, value in values.items():
        number = _number(value)
        if number is not None and name not in _NOT_METRICS:
            numbers[str(name)] = number
    if not numbers:
        return
    record: dict[str, Any] = {"_runledger": "metrics", "_source": source}
    trial = getattr(_local, "optuna_trial", None)
    if tracker_run is not None:
        record[_TRACKER_RUN_KEY] = tracker_run
    elif trial is not None:
        record[_TRIAL_KEY] = trial
    step_number = _number(step)
    if step_number is not None:
        record["step"] = step_number
    record.update(numbers)
    _write_reported(record)


# ------------------------------------------------------------------------- plain values


def _fallback(value: Any) -> Any:
    return str(value)


def _number(value: Any) -> Any:
    """A finite or non-finite number from ints, floats, numpy and torch scalars; else None."""
    if value is None or isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, (int, float)):
        return value
    if hasattr(value, "item") and callable(value.item):
        try:
            if getattr(value, "numel", None) is not None and value.numel() != 1:
                return None
            return _number(value.item())
        except Exception:  # noqa: BLE001
            return None
    if hasattr(value, "__float__") and not isinstance(value, (str, bytes)):
        try:
            number = float(value)
        except Exception:  # noqa: BLE001
            return None
        return number
    return None


def _plain(value: Any, depth: int) -> Any:
    """JSON-able params: mappings, lists and scalars kept; anything else its name or text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth > _MAX_DEPTH:
        return str(value)
    if isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys")):
        try:
            items = list(value.items())[:_MAX_ITEMS]
        except Exception:  # noqa: BLE001
            return str(value)
        return {str(key): _plain(item, depth + 1) for key, item in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item, depth + 1) for item in list(value)[:_MAX_ITEMS]]
    fields = _fields(value)
    if fields is not None:
        return {name: _plain(item, depth + 1) for name, item in fields.items()}
    if isinstance(value, enum.Enum):
        return _plain(value.value, depth + 1)
    if isinstance(value, functools.partial):  # Hydra's ``_partial_: true`` objects
        made = {"_target_": _plain(value.func, depth + 1)}
        if value.args:
            made["_args_"] = _plain(value.args, depth + 1)
        made.update((str(key), _plain(item, depth + 1)) for key, item in value.keywords.items())
        return made
    number = _number(value)
    if number is not None:
        # a float32 scalar (torch.tensor(1e-3), jnp.float32(3e-4)) as typed, not 0.0010000000474
        if isinstance(number, float) and str(getattr(value, "dtype", "")).endswith("float32"):
            return _float32_as_typed(number)
        return number
    if callable(value) and hasattr(value, "__qualname__"):
        return "{}.{}".format(getattr(value, "__module__", "?"), value.__qualname__)
    name = getattr(value, "name", None)  # argparse.FileType gives open files
    if hasattr(value, "read") and isinstance(name, str):
        return name
    return str(value)


def _fields(value: Any) -> dict[str, Any] | None:
    """The fields of a dataclass, attrs or pydantic instance (a config object that tyro,
    simple_parsing, HfArgumentParser or ml_collections built), by name; else None."""
    if isinstance(value, type):
        return None
    kind = type(value)
    try:
        if hasattr(kind, "__dataclass_fields__"):
            dataclasses = _stdlib("dataclasses")

            if dataclasses.is_dataclass(value):
                names = [field.name for field in dataclasses.fields(value)]
                return {name: getattr(value, name, None) for name in names[:_MAX_ITEMS]}
        attributes = getattr(kind, "__attrs_attrs__", None)
        if attributes is not None:
            names = [str(getattr(attribute, "name", "")) for attribute in attributes]
            return {name: getattr(value, name, None) for name in names[:_MAX_ITEMS] if name}
        model_fields = getattr(kind, "model_fields", None)  # pydantic 2
        if isinstance(model_fields, dict) and hasattr(value, "model_dump"):
            return {str(name): getattr(value, name, None) for name in list(model_fields)}
    except Exception:  # noqa: BLE001 - a class that only looks like one: its text
        return None
    return None


# ------------------------------------------------------------------------- patching


def _then_report(
    hook: str, report: Callable[[Any], None], outermost: bool = False
) -> Callable[[Any], Any]:
    """A ``make`` for :func:`_wrap`: the function as it was, then ``report(result)`` (never
    raising into the program); with ``outermost``, only after a call that no other call of
    the hook's is running (a library calling itself reports once)."""

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not outermost:
                result = original(*args, **kwargs)
                _safely(hook, lambda: report(result))
                return result
            with _NestedCalls(hook) as depth:
                result = original(*args, **kwargs)
            if depth == 0:
                _safely(hook, lambda: report(result))
            return result

        return wrapper

    return make


def _then_report_call(
    hook: str, report: Callable[[Any, Any, Any, Any], None]
) -> Callable[[Any], Any]:
    """A ``make`` for :func:`_wrap` of a method: the method as it was, then
    ``report(original, self, args, kwargs)`` (never raising into the program)."""

    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            _safely(hook, lambda: report(original, self, args, kwargs))
            return result

        return wrapper

    return make


def _wrap(owner: Any, name: str, make: Callable[[Any], Any]) -> bool:
    """Replace ``owner.name`` by ``make(original)``, keeping the original's name and signature."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, "__runledger_wrapped__", False):
        return False
    raw = owner.__dict__.get(name) if isinstance(owner, type) else original
    if isinstance(raw, (staticmethod, classmethod)):
        return False
    _attribute_warnings_past_wrappers()
    wrapper = make(original)
    functools.update_wrapper(wrapper, original)
    wrapper.__runledger_wrapped__ = True
    setattr(owner, name, wrapper)
    return True


def _attribute_warnings_past_wrappers() -> None:
    """Point a library's ``warnings.warn(..., stacklevel=N)`` at the line it points at bare.

    A wrapper is one more frame, so a warning aimed at its caller would name this file; the shim
    of ``warnings.showwarning`` moves such a location to the first frame outside this file.
    """
    if _state["warnings_shimmed"]:
        return
    _state["warnings_shimmed"] = True
    warnings = _stdlib("warnings")

    here = _attribute_warnings_past_wrappers.__code__.co_filename  # as frames name this file
    previous = warnings.showwarning

    def showwarning(
        message: Any,
        category: Any,
        filename: Any,
        lineno: Any,
        file: Any = None,
        line: Any = None,
    ) -> Any:
        if filename == here:
            try:
                frame: Any = sys._getframe(1)
                while frame is not None and not (
                    frame.f_code.co_filename == here and frame.f_lineno == lineno
                ):
                    frame = frame.f_back
                while frame is not None and frame.f_code.co_filename == here:
                    frame = frame.f_back
                if frame is not None:
                    filename, lineno, line = frame.f_code.co_filename, frame.f_lineno, None
            except Exception:  # noqa: BLE001 - never break the program's warnings
                pass
        return previous(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning


class _NestedCalls:
    """Depth of nested calls of one kind in this thread (a parser calling its subparsers)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __enter__(self) -> int:
        depth = int(getattr(_local, self._name, 0))
        setattr(_local, self._name, depth + 1)
        return depth

    def __exit__(self, *exc: Any) -> None:
        setattr(_local, self._name, int(getattr(_local, self._name, 1)) - 1)


def patch(hook: str, module_name: str, module: Any) -> None:
    """Patch ``module`` (just imported) with the hook named ``hook``."""
    patcher = _PATCHERS.get(hook)
    if patcher is not None:

        def run() -> None:
            patcher(module_name, module)
            _state["patched"].add(hook)

        _safely(hook, run)


class _Unsupported(Exception):
    """A library version whose functions are not where the hook expects them."""


def _need(found: bool, what: str) -> None:
    if not found:
        raise _Unsupported(f"not captured: {what} not found in this version")


# --- params -------------------------------------------------------------------------------


def _patch_argparse(_name: str, module: Any) -> None:
    parser_class = module.ArgumentParser

    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _NestedCalls("argparse") as depth:
                result = original(self, *args, **kwargs)
            if depth == 0 and not type(self).__module__.startswith("jsonargparse"):
                _safely("argparse", lambda: _report_argparse(self, result))
            return result

        return wrapper

    found = _wrap(parser_class, "parse_known_args", make)
    _wrap(parser_class, "parse_known_intermixed_args", make)
    _need(found, "ArgumentParser.parse_known_args")


# Libraries that parse a command line of their own with argparse: not the program's params.
_ARGPARSE_CALLERS_SKIPPED = frozenset(
    {
        "hydra",
        "torch",
        "accelerate",
        "deepspeed",
        "jsonargparse",
        "absl",
        "pytest",
        "_pytest",
        "fire",  # its own --verbose, --interactive, --separator...
    }  # fmt: skip
)


def _report_argparse(parser: Any, result: Any) -> None:
    if _calling_package(("argparse",)) not in _ARGPARSE_CALLERS_SKIPPED:
        report_params("argparse", _namespace(result), _argparse_aliases(parser))


def _argparse_aliases(parser: Any) -> dict[str, str]:
    """The option names that are not their param's name (``-b``, ``--lr`` with
    ``dest="learning_rate"``) -> that param, for this parser and its subcommands' parsers, so
    that the command line's ``-b 4`` is not kept as a param ``b`` beside ``batch_size``."""
    aliases: dict[str, str] = {}
    parsers = [parser]
    seen: set[int] = set()
    while parsers and len(seen) < _MAX_ITEMS:
        current = parsers.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for action in list(getattr(current, "_actions", ()))[:_MAX_ITEMS]:
            dest = getattr(action, "dest", None)
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict) and hasattr(action, "_name_parser_map"):
                parsers.extend(list(choices.values())[:_MAX_ITEMS])  # subcommands
            if dest not in ("help", "==SUPPRESS=="):
                _add_aliases(aliases, dest, getattr(action, "option_strings", ()))
    return aliases


def _add_aliases(aliases: dict[str, str], dest: Any, options: Any) -> None:
    """Each of ``options`` (``-b``, ``--batch``) that is not ``dest`` -> ``dest``."""
    if not isinstance(dest, str):
        return
    for option in list(options or ())[:_MAX_ITEMS]:
        name = str(option).lstrip("-+/").replace("-", "_")
        if name and name != dest and len(aliases) < _MAX_ITEMS:
            aliases.setdefault(name, dest)


# Trackers that wrap other libraries' logging functions in their own (comet_ml, once imported,
# wraps torch's SummaryWriter.add_scalar): their frames are never the caller.
_WRAPPING_PACKAGES = frozenset({"comet_ml"})


def _calling_package(skipped: Any) -> str:
    """The top-level package of the code that called the hooked function: the first frame
    outside this file, the ``skipped`` modules (the library's own) and the trackers that
    wrap it."""
    frame = sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        package = name.partition(".")[0]
        if name != __name__ and name not in skipped and package not in _WRAPPING_PACKAGES:
            return package
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _namespace(result: Any) -> Any:
    namespace = result[0] if isinstance(result, tuple) else result
    return dict(getattr(namespace, "__dict__", {}))


def _patch_click(_name: str, module: Any) -> None:
    def make(original: Any) -> Any:
        def wrapper(self: Any, ctx: Any, *args: Any, **kwargs: Any) -> Any:
            _safely("click", lambda: _report_click(ctx))
            return original(self, ctx, *args, **kwargs)

        return wrapper

    _need(_wrap(module.Command, "invoke", make), "click.Command.invoke")


def _report_click(ctx: Any) -> None:
    # A group's params, then its subcommand's: every context from the root down.
    chain = []
    node = ctx
    while node is not None:
        chain.append(node)
        node = getattr(node, "parent", None)
    params: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for node in reversed(chain):
        params.update(getattr(node, "params", None) or {})
        command = getattr(node, "command", None)
        for param in list(getattr(command, "params", None) or ())[:_MAX_ITEMS]:
            _add_aliases(aliases, getattr(param, "name", None), getattr(param, "opts", ()))
    report_params("click", params, aliases)


def _patch_hydra(_name: str, module: Any) -> None:
    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if args:
                args = (_hydra_task(args[0]),) + tuple(args[1:])
            elif "task_function" in kwargs:
                kwargs["task_function"] = _hydra_task(kwargs["task_function"])
            return original(*args, **kwargs)

        return wrapper

    _need(_wrap(module, "run_job", make), "hydra.core.utils.run_job")


def _hydra_task(task: Any) -> Any:
    if not callable(task):
        return task

    @functools.wraps(task)
    def task_with_capture(cfg: Any, *args: Any, **kwargs: Any) -> Any:
        _safely("hydra", lambda: _report_hydra(cfg))
        return task(cfg, *args, **kwargs)

    return task_with_capture


def _report_hydra(cfg: Any) -> None:
    from omegaconf import OmegaConf

    try:
        params = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # noqa: BLE001 - a value that cannot be resolved: keep the text
        params = OmegaConf.to_container(cfg, resolve=False)
    report_params("hydra", params)


def _patch_jsonargparse(_name: str, module: Any) -> None:
    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _NestedCalls("jsonargparse") as depth:
                result = original(self, *args, **kwargs)
            if depth == 0:
                _safely("jsonargparse", lambda: _report_jsonargparse(result))
            return result

        return wrapper

    _need(_wrap(module.ArgumentParser, "parse_args", make), "jsonargparse.ArgumentParser")


def _report_jsonargparse(config: Any) -> None:
    as_dict = getattr(config, "as_dict", None)
    params = as_dict() if callable(as_dict) else dict(getattr(config, "__dict__", {}))
    if isinstance(params, dict):
        params.pop("__path__", None)
        params.pop("config", None)  # the config files, already recorded by their contents
    report_params("jsonargparse", params)


def _patch_absl(_name: str, module: Any) -> None:
    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            _safely("absl", lambda: _report_absl(self))
            return result

        return wrapper

    _need(_wrap(module.FlagValues, "__call__", make), "absl.flags.FlagValues.__call__")

    def make_setattr(original: Any) -> Any:
        # ``FLAGS.batch_size = config.batch_size`` after parsing (Flax's seq2seq main.py sets
        # train.py's flags from its config): the value the program goes on with is the param.
        def wrapper(self: Any, name: str, value: Any) -> Any:
            before: list[Any] = []
            _safely("absl", lambda: before.append(_absl_flag_value(self, name)))
            result = original(self, name, value)
            if before:
                _safely("absl", lambda: _absl_flag_set(self, name, before[0]))
            return result

        return wrapper

    _wrap(module.FlagValues, "__setattr__", make_setattr)


_NO_FLAG = object()


def _absl_flag_value(flag_values: Any, name: str) -> Any:
    if not flag_values.is_parsed() or name not in flag_values:
        return _NO_FLAG
    return flag_values[name].value


def _absl_flag_set(flag_values: Any, name: str, before: Any) -> None:
    if before is not _NO_FLAG and flag_values[name].value != before:
        _report_absl(flag_values)


def _report_absl(flag_values: Any) -> None:
    """The program's flags (absl's own left out); an ml_collections config flag's value (the
    ConfigDict or dataclass its file or object gave, ``--config.x=`` overrides applied) as
    the params of source ``ml_collections``."""
    params: dict[str, Any] = {}
    configs: dict[str, Any] = {}
    for module_name, flags in flag_values.flags_by_module_dict().items():
        if _library_flags(module_name):
            continue
        for flag in flags:
            if not type(flag).__module__.startswith("ml_collections"):
                params[flag.name] = flag.value
            elif type(flag).__name__ == "_ConfigFlag":  # not its ``config.x`` field flags
                configs[flag.name] = flag.value
    if params or not configs:
        report_params("absl", params)
    if configs:
        _report_ml_collections(configs, params)
        flags = {name: flag_values[name] for name in configs}
        _report_again_at_exit(
            "ml_collections",
            lambda: {name: _plain(flag.value, 0) for name, flag in flags.items()},
            {name: _plain(value, 0) for name, value in configs.items()},
            lambda: _report_ml_collections(
                {name: flag.value for name, flag in flags.items()}, params
            ),
        )


def _report_ml_collections(configs: dict[str, Any], flags: dict[str, Any]) -> None:
    """One config flag (``--config``, as Flax's and Google's examples have it): its fields
    are the params (``learning_rate``, ``model.num_layers``), and ``--config.learning_rate``
    names ``learning_rate``. Several, or one whose field is also a flag's name: each under
    its flag's name (``config.learning_rate``)."""
    plain = {name: _plain(value, 0) for name, value in configs.items()}
    if len(plain) == 1:
        name, fields = next(iter(plain.items()))
        if isinstance(fields, dict) and not set(fields) & set(flags):
            aliases = {f"{name}.{key}": key for key in _dotted(fields)}
            report_params("ml_collections", fields, dict(list(aliases.items())[:_MAX_ITEMS]))
            return
    report_params("ml_collections", plain)


def _patch_tyro(_name: str, module: Any) -> None:
    """``tyro.cli(Args)``: the fields of the object it returns; ``tyro.cli(main)``: the
    arguments, defaults included, that it calls ``main`` with."""

    def make_cli(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _NestedCalls("tyro") as depth:
                result = original(*args, **kwargs)
            if depth == 0:
                _safely("tyro", lambda: _report_tyro_result(args, kwargs, result))
            return result

        return wrapper

    _need(_wrap(module, "cli", make_cli), "tyro.cli")
    calling = getattr(module, "_calling", None)
    if calling is not None:
        _wrap(calling, "callable_with_args", _tyro_make_callable_with_args)


def _report_tyro_result(args: Any, kwargs: Any, result: Any) -> None:
    inspect = _stdlib("inspect")

    target = args[0] if args else kwargs.get("f")
    if inspect.isroutine(target) or isinstance(target, functools.partial):
        return  # a function: its arguments were reported as tyro bound them
    if kwargs.get("return_unknown_args") and isinstance(result, tuple) and result:
        result = result[0]
    fields = _fields(result)
    if fields is not None:
        report_params("tyro", fields)
        _report_config_again_at_exit("tyro", result, fields)


def _report_config_again_at_exit(source: str, config: Any, fields: dict[str, Any]) -> None:
    """The config object's fields once more at exit when the program filled some in after
    parsing (CleanRL's ``args.batch_size = args.num_envs * args.num_steps``)."""
    _report_again_at_exit(
        source,
        lambda: _plain(_fields(config), 0),
        _plain(fields, 0),
        lambda: report_params(source, _fields(config)),
    )


def _report_again_at_exit(
    source: str, read: Callable[[], Any], reported: Any, report: Callable[[], None] | None
) -> None:
    """At exit, ``report()`` once more when ``read()`` no longer gives what was ``reported``;
    one per source, the latest (``report`` None: none for the source any more)."""
    pending = _state.setdefault("exit_reports", {})
    if not pending and report is not None and "exit_registered" not in _state:
        _state["exit_registered"] = True
        import atexit

        atexit.register(_safely, "exit_reports", _report_changed_configs)
    if report is None:
        pending.pop(source, None)
    else:
        pending[source] = (read, reported, report)


def _report_changed_configs() -> None:
    for read, reported, report in list(_state.get("exit_reports", {}).values()):
        if read() != reported:
            report()


def _tyro_make_callable_with_args(original: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        _safely("tyro", lambda: _report_tyro_call(args, kwargs, result))
        return result

    return wrapper


def _report_tyro_call(args: Any, kwargs: Any, result: Any) -> None:
    """``callable_with_args(f, ...)`` gives ``f`` with its arguments bound (a
    ``functools.partial``): of a function, the one the program runs (``tyro.cli(main)``, or
    the subcommand's of ``subcommand_cli_from_dict``); a class's are its fields, reported
    from the object ``tyro.cli`` returns."""
    inspect = _stdlib("inspect")

    if int(getattr(_local, "tyro", 0)) != 1:
        return
    call = result[0] if isinstance(result, tuple) and result else None
    if isinstance(call, functools.partial) and inspect.isroutine(call.func):
        report_params("tyro", _bound_with_defaults(call.func, call.args, call.keywords))
        _report_again_at_exit("tyro", lambda: None, None, None)


def _bound_with_defaults(function: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    """The arguments of ``function(*args, **kwargs)`` by name, defaults included; a ``**``
    parameter's items as arguments of their own."""
    inspect = _stdlib("inspect")

    signature = inspect.signature(function)
    bound = signature.bind_partial(*args, **kwargs)
    bound.apply_defaults()
    params: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind == inspect.Parameter.VAR_KEYWORD and isinstance(value, dict):
            params.update(value)
        else:
            params[name] = value
    return params


def _patch_simple_parsing(_name: str, module: Any) -> None:
    """``simple_parsing.parse(Config)``: the config's fields as argparse's params (its parser
    reported them under the ``dest`` the program never sees, ``config.lr``)."""

    make = _then_report("argparse", _report_simple_parsing)
    _need(_wrap(module, "parse", make), "simple_parsing.parsing.parse")


def _report_simple_parsing(result: Any) -> None:
    fields = _fields(result)
    if fields is not None:
        report_params("argparse", fields)


def _patch_hf_argparser(_name: str, module: Any) -> None:
    """HfArgumentParser's ``parse_json_file`` / ``parse_yaml_file`` / ``parse_dict`` (the HF
    example scripts' ``run_glue.py args.json``), which never run its argparse parser: the
    dataclasses' fields, defaults included, as argparse's params, as a command line gives them."""
    parser = getattr(module, "HfArgumentParser", None)
    make = _then_report("argparse", _report_hf_dataclasses, outermost=True)
    found = isinstance(parser, type) and _wrap(parser, "parse_dict", make)
    _need(found, "HfArgumentParser.parse_dict")
    for name in ("parse_json_file", "parse_yaml_file"):  # older ones do not call parse_dict
        _wrap(parser, name, make)


def _report_hf_dataclasses(result: Any) -> None:
    params: dict[str, Any] = {}
    for config in result if isinstance(result, tuple) else ():
        params.update(_fields(config) or {})
    if params:
        report_params("argparse", params)


def _patch_fire(_name: str, module: Any) -> None:
    """``fire.Fire(main)``: the arguments each function or class it calls gets, defaults
    included (a class's and then its method's, ``train.py --lr 1 fit --epochs 2``)."""

    def make(original: Any) -> Any:
        def wrapper(fn: Any, *args: Any, **kwargs: Any) -> Any:
            parse = original(fn, *args, **kwargs)

            def parse_with_capture(*parse_args: Any, **parse_kwargs: Any) -> Any:
                parsed = parse(*parse_args, **parse_kwargs)
                _safely("fire", lambda: _report_fire(fn, parsed))
                return parsed

            return parse_with_capture

        return wrapper

    _need(_wrap(module, "_MakeParseFn", make), "fire.core._MakeParseFn")


def _report_fire(fn: Any, parsed: Any) -> None:
    (varargs, kwargs) = parsed[0]
    if getattr(fn, "__module__", None) == "builtins":
        return  # a member of a value the program returned (``str.upper``): not its params
    seen = _state.setdefault("fire_params", {})
    seen.update(_bound_with_defaults(fn, varargs, kwargs))
    report_params("fire", seen)


def _patch_gin(_name: str, module: Any) -> None:
    """gin's bound config (``selector.param``, a macro by its name) after each
    ``parse_config`` (every file and binding string goes through it) and ``bind_parameter``."""

    make = _then_report("gin", lambda _result: _report_gin(module), outermost=True)
    found = _wrap(module, "parse_config", make)
    _wrap(module, "bind_parameter", make)
    _need(found and isinstance(getattr(module, "_CONFIG", None), dict), "gin.config._CONFIG")


def _report_gin(module: Any) -> None:
    """The bound config now; at exit again with gin's operative config (what
    ``operative_config_str()`` shows): the defaults of the configurables the program called
    (``train.steps = 10`` that no binding names), beside the bound values."""
    params = _plain(_gin_params(module), 0)
    report_params("gin", params)
    _report_again_at_exit(
        "gin",
        lambda: _plain(_gin_params(module), 0),
        params,
        lambda: report_params("gin", _gin_params(module)),
    )


def _gin_params(module: Any) -> dict[str, Any]:
    params = _gin_bindings(module, module._CONFIG)
    operative = getattr(module, "_OPERATIVE_CONFIG", None)
    if isinstance(operative, dict):
        params.update(_gin_bindings(module, operative))
    return params


def _gin_bindings(module: Any, config: dict[Any, Any]) -> dict[str, Any]:
    registry = module._REGISTRY
    params: dict[str, Any] = {}
    for (scope, selector), bindings in list(config.items())[:_MAX_ITEMS]:
        configurable = registry.get(selector) if hasattr(registry, "get") else None
        if getattr(configurable, "wrapped", None) is getattr(module, "macro", ()):
            params[scope] = _gin_value(module, bindings.get("value"), 0)  # ``LR = 0.1``
            continue
        name = str(selector)
        try:
            name = registry.minimal_selector(selector)
        except Exception:  # noqa: BLE001
            pass
        prefix = f"{scope}/{name}" if scope else name
        for param, value in list(bindings.items())[:_MAX_ITEMS]:
            params[f"{prefix}.{param}"] = _gin_value(module, value, 0)
    return params


def _gin_value(module: Any, value: Any, depth: int) -> Any:
    """A value as bound: a macro (``%LR``) as its value, a reference (``@Adam``) as gin
    writes it."""
    if isinstance(value, (list, tuple)) and depth < _MAX_DEPTH:
        return [_gin_value(module, item, depth + 1) for item in list(value)[:_MAX_ITEMS]]
    if isinstance(value, dict) and depth < _MAX_DEPTH:
        return {k: _gin_value(module, v, depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    if type(value).__name__ != "ConfigurableReference":
        return value
    configurable = getattr(value, "configurable", None)
    if getattr(configurable, "wrapped", None) is getattr(module, "macro", ()) and depth < 20:
        bindings = module._CONFIG.get(getattr(value, "config_key", None))
        if isinstance(bindings, dict) and "value" in bindings:
            return _gin_value(module, bindings["value"], depth + 1)
    return repr(value)


def _patch_docopt(_name: str, module: Any) -> None:
    """``docopt(__doc__)``: the options and arguments it returns, defaults from the usage
    text included (``--lr`` as ``lr``, ``<data>`` as ``data``, a command as true or false)."""

    _need(_wrap(module, "docopt", _then_report("docopt", _report_docopt)), "docopt.docopt")


# Libraries that parse a command line of their own with docopt: sacred's ``with``, ``-F``...
_DOCOPT_CALLERS_SKIPPED = frozenset({"sacred"})


def _report_docopt(result: Any) -> None:
    if _calling_package(("docopt",)) in _DOCOPT_CALLERS_SKIPPED:
        return
    params: dict[str, Any] = {}
    for key, value in list(result.items())[:_MAX_ITEMS]:
        name = str(key)
        if name.startswith("<") and name.endswith(">"):
            name = name[1:-1]
        name = name.lstrip("-")
        if name and name not in ("help", "h", "version"):
            params[name] = _docopt_value(value)
    report_params("docopt", params)


def _docopt_value(value: Any) -> Any:
    """docopt gives text: a number it spells as that number (``"0.01"``: 0.01)."""
    if isinstance(value, list):
        return [_docopt_value(item) for item in value[:_MAX_ITEMS]]
    if not isinstance(value, str) or not value.strip():
        return value
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        if number == number and number not in (float("inf"), float("-inf")):
            return number
    return value


def _patch_omegaconf(_name: str, module: Any) -> None:
    """OmegaConf without Hydra: a config made from the command line (``from_cli``,
    ``from_dotlist(unknown)``) is the run's, and so is what it is merged into
    (``OmegaConf.merge(*file_configs, cli)``, the last such merge); other configs the program
    makes are not taken for the run's."""
    omegaconf = module.OmegaConf
    from_command_line = _then_report("omegaconf", _note_omegaconf_command_line, outermost=True)
    found = _wrap_static(omegaconf, "from_dotlist", from_command_line)
    _wrap_static(omegaconf, "from_cli", from_command_line)
    found = _wrap_static(omegaconf, "merge", _omegaconf_make_merge) and found
    _need(found, "OmegaConf.from_dotlist and OmegaConf.merge")


def _wrap_static(owner: Any, name: str, make: Callable[[Any], Any]) -> bool:
    """``_wrap`` for a staticmethod of a class."""
    raw = owner.__dict__.get(name)
    if not isinstance(raw, staticmethod) or getattr(raw.__func__, "__runledger_wrapped__", False):
        return False
    original = raw.__func__
    wrapper = make(original)
    functools.update_wrapper(wrapper, original)
    wrapper.__runledger_wrapped__ = True
    setattr(owner, name, staticmethod(wrapper))
    return True


def _note_omegaconf_command_line(config: Any) -> None:
    if _caller_past("omegaconf") == "hydra":
        return  # Hydra's own overrides: its composed config is reported as the job starts
    _state.setdefault("omegaconf_configs", []).append(config)
    _report_omegaconf(config)


def _omegaconf_make_merge(original: Any) -> Any:
    def wrapper(*configs: Any, **kwargs: Any) -> Any:
        result = original(*configs, **kwargs)
        if _state.get("omegaconf_configs"):
            _safely("omegaconf", lambda: _note_omegaconf_merge(configs, result))
        return result

    return wrapper


def _note_omegaconf_merge(configs: Any, result: Any) -> None:
    known = _state["omegaconf_configs"]
    if any(config is seen for config in configs for seen in known):
        if len(known) < _MAX_ITEMS:
            known.append(result)  # merged again later: that one is the run's then
        _report_omegaconf(result)


def _report_omegaconf(config: Any) -> None:
    from omegaconf import OmegaConf

    try:
        params = OmegaConf.to_container(config, resolve=True)
    except Exception:  # noqa: BLE001 - a value that cannot be resolved: keep the text
        params = OmegaConf.to_container(config, resolve=False)
    report_params("omegaconf", params)


def _library_flags(module_name: str) -> bool:
    """Whether absl flags defined in ``module_name`` are a library's, not the program's:
    absl's own, or an installed package's (TensorFlow defines ``delta_threshold``,
    ``runtime_oom_exit``, ...; tensorflow_datasets and orbax theirs) other than the
    program's own package (``python -m t5x.train``)."""
    if module_name == "absl" or module_name.startswith("absl."):
        return True
    return _installed_library(module_name)  # not: the program's script, named by its path


def _installed_library(module_name: str) -> bool:
    """Whether the module ``module_name`` is an installed package's (in site-packages) other
    than the program's own package (``python -m t5x.train``)."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if module is None or not isinstance(path, str):
        return False
    parts = path.replace("\\", "/").split("/")
    if "site-packages" not in parts and "dist-packages" not in parts:
        return False
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    main_name = getattr(main_spec, "name", None) or ""
    return module_name.split(".")[0] != main_name.split(".")[0]


# --- torch: a plain training loop's optimizer and data loader -----------------------------

# An optimizer's constructor arguments that say how the update is computed, not what it is.
_OPTIMIZER_NOT_PARAMS = frozenset(
    {"self", "params", "foreach", "capturable", "differentiable", "fused"}
)
# Trainers that build the optimizer and the loaders themselves (Lightning's
# ``configure_optimizers``, the HF Trainer's ``create_optimizer``, Keras): their settings are
# their own sources', so a run that uses one gets no ``torch`` params at all.
_TORCH_FRAMEWORKS = (
    "lightning.pytorch", "pytorch_lightning", "transformers", "keras", "tf_keras",
    "stable_baselines3", "d3rlpy", "flair", "pykeen",
)  # fmt: skip
_TORCH_DISTINCT = 2  # settings kept per kind: one is the run's, a second means none is
_SHUFFLES = "__shuffles__"  # a loader's settings' mark: whether it shuffles, not a param


def _patch_torch_optim(_name: str, module: Any) -> None:
    """Each optimizer class of ``torch.optim`` (``SGD``, ``Adam``, ...): the settings the
    program gave it, as ``torch`` params (see ``_note_torch``)."""
    base: Any = getattr(module, "Optimizer", None)
    _need(isinstance(base, type), "torch.optim.Optimizer")
    for value in list(vars(module).values()):
        if (
            isinstance(value, type)
            and value is not base
            and issubclass(value, base)
            and "__init__" in vars(value)
        ):
            _wrap(value, "__init__", _torch_make_init("torch_optimizer", _optimizer_settings))


def _patch_torch_dataloader(_name: str, module: Any) -> None:
    loader = getattr(module, "DataLoader", None)
    _need(
        isinstance(loader, type)
        and _wrap(loader, "__init__", _torch_make_init("torch_loader", _loader_settings)),
        "torch.utils.data.DataLoader",
    )


def _torch_make_init(kind: str, settings: Callable[..., Any]) -> Callable[[Any], Any]:
    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
            # The outermost constructor only: a subclass's ``super().__init__`` is the same one.
            with _NestedCalls(kind) as depth:
                original(self, *args, **kwargs)
            if depth == 0:
                _safely("torch", lambda: _note_torch(kind, settings(original, self, args, kwargs)))

        return wrapper

    return make


def _optimizer_settings(original: Any, optimizer: Any, args: Any, kwargs: Any) -> Any:
    """The class name and the arguments the program passed (``lr``, ``momentum``, ``betas``),
    not the defaults it left."""
    inspect = _stdlib("inspect")

    signature = inspect.signature(original)
    bound = signature.bind_partial(optimizer, *args, **kwargs)
    settings: dict[str, Any] = {"optimizer": type(optimizer).__name__}
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind == inspect.Parameter.VAR_KEYWORD and isinstance(value, dict):
            settings.update((str(key), item) for key, item in value.items())
        elif kind != inspect.Parameter.VAR_POSITIONAL:
            settings[name] = value
    passed = {
        key: _plain(value, 1) for key, value in settings.items() if key not in _OPTIMIZER_NOT_PARAMS
    }
    groups = getattr(optimizer, "param_groups", None)
    defaults = getattr(optimizer, "defaults", None)
    if isinstance(groups, list) and isinstance(defaults, dict):
        return _group_settings(passed, groups, defaults)
    return passed


def _group_settings(passed: dict[str, Any], groups: list[Any], defaults: dict[str, Any]) -> Any:
    """The settings as the optimizer's param groups hold them: nanoGPT's and the HF Trainer's
    ``AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay":
    0.0}], lr=6e-4)``. A setting every group shares is the run's (``weight_decay`` set in the
    groups alone included); a ``weight_decay`` that only the no-decay groups leave at 0 is the
    decayed groups' (the value people quote); any other that differs between groups (a head's
    own ``lr``) is none, rather than the constructor's value that some groups override."""
    settings = dict(passed)
    for key in list(defaults)[:_MAX_ITEMS]:
        if key in _OPTIMIZER_NOT_PARAMS:
            continue
        values: list[Any] = []
        for group in groups[:_MAX_ITEMS]:
            value = _plain(group.get(key) if isinstance(group, dict) else None, 1)
            if value not in values:
                values.append(value)
        if key not in passed and values == [_plain(defaults[key], 1)]:
            continue  # a default the program left alone
        nonzero = [value for value in values if value != 0]
        if len(values) == 1:
            settings[key] = values[0]
        elif key == "weight_decay" and len(nonzero) == 1:
            settings[key] = nonzero[0]
        else:
            settings.pop(key, None)
    return settings


def _loader_settings(_original: Any, loader: Any, args: Any, kwargs: Any) -> Any:
    """A loader's ``batch_size``, and whether it shuffles (a shuffling one is the training
    one); None for a loader without a batch size (``batch_sampler=``)."""
    inspect = _stdlib("inspect")

    bound = inspect.signature(_original).bind_partial(loader, *args, **kwargs)
    batch_size = getattr(loader, "batch_size", None)
    if _number(batch_size) is None:
        return None
    return {"batch_size": batch_size, _SHUFFLES: bound.arguments.get("shuffle") is True}


def _note_torch(kind: str, settings: Any) -> None:
    """The ``torch`` params: the settings of the one optimizer (and the one shuffling loader,
    or with none, the batch size all its loaders share) the program built, or those that
    every one it built shares (a DCGAN's two ``Adam(lr=2e-4, betas=(0.5, 0.999))``, a loader
    made anew each epoch); nothing for a kind whose instances
    differ (which one the run's results are of cannot be told), and nothing at all once a
    trainer built one (``_TORCH_FRAMEWORKS``). Reported again whenever that changes: the last
    ``torch`` line is the source's."""
    state = _state.setdefault(
        "torch",
        {
            "torch_optimizer": [],
            "torch_loader": [],
            "torch_loader_plain": [],
            "framework": False,
            "reported": {},
        },
    )
    if _built_by_framework():
        state["framework"] = True
    elif settings is not None:
        if kind == "torch_loader" and not settings.pop(_SHUFFLES, False):
            kind = "torch_loader_plain"
        settings.pop(_SHUFFLES, None)
        seen = state[kind]
        if settings not in seen and len(seen) < _TORCH_DISTINCT:
            seen.append(settings)
    params: dict[str, Any] = {}
    if not state["framework"]:
        # No shuffling loader (the PyTorch Quickstart's two loaders): the batch size every
        # loader shares, if they share one.
        loaders = state["torch_loader"] or state["torch_loader_plain"]
        for seen in (state["torch_optimizer"], loaders):
            if len(seen) == 1:
                params.update(seen[0])
    if params != state["reported"]:
        state["reported"] = params
        report_params("torch", params)


def _built_by_framework() -> bool:
    frame: Any = sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if any(name == prefix or name.startswith(prefix + ".") for prefix in _TORCH_FRAMEWORKS):
            return True
        frame = frame.f_back
    return False


# --- optax: a JAX program's optimizer ---------------------------------------------------------


def _patch_optax(module_name: str, module: Any) -> None:
    """Each optimizer of optax (``optax.adam(learning_rate=1e-3)``, ``adamw``, ``sgd``, ...):
    its name and the arguments the program passed, as ``optax`` params (see ``_note_optax``)."""
    _need(_wrap_functions_of(module, "optax", _note_optax), "optax optimizers")


def _patch_optax_schedules(module_name: str, module: Any) -> None:
    """optax's schedule makers (``warmup_cosine_decay_schedule(0.0, 1e-3, ...)``): what each
    schedule the program made was made with, for an optimizer given it as its rate."""
    _need(_wrap_functions_of(module, "optax", _note_optax_schedule), "optax schedules")


def _patch_optax_inject(module_name: str, module: Any) -> None:
    """``optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)``: the optimizer it makes
    is noted as the program's own call of ``adam`` would be (optax calls ``adam`` itself,
    again on each update, which is no call of the program's)."""

    def make(original: Any) -> Any:
        def wrapper(inner_factory: Any, *args: Any, **kwargs: Any) -> Any:
            injected = original(inner_factory, *args, **kwargs)
            name = getattr(inner_factory, "__name__", "")
            if _calling_package(()) == "optax" or not callable(injected) or not name:
                return injected

            def make_optimizer(*f_args: Any, **f_kwargs: Any) -> Any:
                result = injected(*f_args, **f_kwargs)
                if _calling_package(()) != "optax":
                    _safely(
                        "optax",
                        lambda: _note_optax(name, inner_factory, f_args, f_kwargs, result),
                    )
                return result

            return functools.wraps(injected)(make_optimizer)

        return wrapper

    _need(_wrap(module, "inject_hyperparams", make), "optax.inject_hyperparams")


def _wrap_functions_of(module: Any, library: str, note: Callable[..., None]) -> bool:
    """Wrap the public functions ``module`` defines: ``note(name, original, args, kwargs,
    result)`` after each call the program makes (not the library's calls of its own)."""
    inspect = _stdlib("inspect")

    def make(name: str) -> Callable[[Any], Any]:
        def make_wrapper(original: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                result = original(*args, **kwargs)
                if _calling_package(()) != library:
                    _safely(library, lambda: note(name, original, args, kwargs, result))
                return result

            return wrapper

        return make_wrapper

    found = False
    for name, value in list(vars(module).items()):
        if (
            not name.startswith("_")
            and inspect.isfunction(value)
            and value.__module__ == module.__name__
        ):
            found = _wrap(module, name, make(name)) or found
    return found


def _optax_arguments(original: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    inspect = _stdlib("inspect")

    arguments = inspect.signature(original).bind_partial(*args, **kwargs).arguments
    settings = {}
    for name, value in arguments.items():
        if callable(value):  # a schedule as the rate: what it was made with, if known
            value = _state.get("optax_schedules", {}).get(value, value)
        settings[name] = _plain(value, 1)
    return settings


def _note_optax_schedule(name: str, original: Any, args: Any, kwargs: Any, result: Any) -> None:
    schedules = _state.setdefault("optax_schedules", {})
    if callable(result) and len(schedules) < _MAX_ITEMS:
        schedules[result] = {"schedule": name, **_optax_arguments(original, args, kwargs)}


def _note_optax(name: str, original: Any, args: Any, kwargs: Any, _result: Any) -> None:
    """The settings of the one optimizer the program made, or those all it made share;
    none when two differ (``multi_transform``'s ``adam`` and ``sgd``: which one a result is
    of cannot be told). A rate given as a schedule is the schedule's name and arguments."""
    settings = {"optimizer": name, **_optax_arguments(original, args, kwargs)}
    seen = _state.setdefault("optax", [])
    if settings not in seen and len(seen) < _TORCH_DISTINCT:
        seen.append(settings)
    report_params("optax", seen[0] if len(seen) == 1 else {})


# --- metrics ------------------------------------------------------------------------------


def _patch_keras(name: str, module: Any) -> None:
    """``Model.fit``: each epoch's logs, the fit's settings as params; ``Model.evaluate``
    called by the program (not fit's validation): its results as ``test_*``.

    Epoch steps go on across fits in one process: a second ``fit`` (fine-tuning, or one
    ``fit(epochs=1)`` per loop turn) starts after the last epoch reported unless its
    ``initial_epoch`` already does, so no two epochs share a step.
    """
    model_class = getattr(module, "Model", None)
    callback_base = getattr(getattr(module, "callbacks", None), "Callback", None)
    _need(model_class is not None and callback_base is not None, "keras.Model.fit")

    class RunledgerCallback(callback_base):  # type: ignore[misc,valid-type]
        _runledger_offset = None  # type: Any

        def on_epoch_end(self, epoch: Any, logs: Any = None) -> None:
            _safely("keras", lambda: self._report_epoch(epoch, logs))

        def _report_epoch(self, epoch: int, logs: Any) -> None:
            if self._runledger_offset is None:  # this fit's first epoch
                last = _state.get("keras_step")
                self._runledger_offset = 0
                if last is not None and epoch <= last:
                    self._runledger_offset = last + 1 - epoch
            step = epoch + self._runledger_offset
            _state["keras_step"] = step
            report_metrics("keras", dict(logs or {}), step=step)

    class RunledgerEvaluateCallback(callback_base):  # type: ignore[misc,valid-type]
        def on_test_end(self, logs: Any = None) -> None:
            _safely("keras", lambda: _report_keras_evaluate(logs))

    def make_fit(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _NestedCalls("keras_fit") as depth:
                if depth == 0:
                    _safely("keras", lambda: _report_keras_fit(original, self, args, kwargs))
                # fit(x, y, batch_size, epochs, verbose, callbacks, ...): callbacks 6th
                if len(args) < 6:
                    callbacks = list(kwargs.get("callbacks") or [])
                    callbacks.append(RunledgerCallback())
                    kwargs["callbacks"] = callbacks
                return original(self, *args, **kwargs)

        return wrapper

    def make_evaluate(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            # Inside fit (its validation, or a callback's own evaluate) it is not the
            # program's evaluation; fit passes its CallbackList, left as it is.
            inside_fit = int(getattr(_local, "keras_fit", 0)) > 0
            # evaluate(x, y, batch_size, verbose, sample_weight, steps, callbacks, ...)
            callbacks = kwargs.get("callbacks")
            if (
                not inside_fit
                and len(args) < 7
                and (callbacks is None or isinstance(callbacks, (list, tuple)))
            ):
                kwargs["callbacks"] = list(callbacks or []) + [RunledgerEvaluateCallback()]
            return original(self, *args, **kwargs)

        return wrapper

    _need(_wrap(model_class, "fit", make_fit), "keras.Model.fit")
    _wrap(model_class, "evaluate", make_evaluate)
    optimizer_class = getattr(getattr(module, "optimizers", None), "Optimizer", None)
    if isinstance(optimizer_class, type):
        # a custom training loop's steps (TensorFlow's and Keras' guides): apply_gradients
        # (TF), apply (torch), stateless_apply (JAX)
        for step_method in ("apply_gradients", "apply", "stateless_apply"):
            _wrap(optimizer_class, step_method, _then_report_before("keras", _report_keras_loop))


def _report_keras_loop(optimizer: Any) -> None:
    """The optimizer of a training loop written by the program (no ``fit``, which reports
    its own): its name and learning rate, once an optimizer; two that differ give none."""
    if int(getattr(_local, "keras_fit", 0)) > 0 or _state.get("keras_params_reported"):
        return
    seen = _state.setdefault("keras_loop_optimizers", set())
    if id(optimizer) in seen:
        return
    seen.add(id(optimizer))
    _report_agreed("keras", _keras_optimizer_params(optimizer))


def _report_keras_fit(original: Any, model: Any, args: Any, kwargs: Any) -> None:
    """The first fit's settings: epochs, batch_size, validation_split, steps_per_epoch, and
    the compiled optimizer's name and learning rate (a later fit, fine-tuning most often,
    keeps them: they describe the training the run is about)."""
    if _state.get("keras_params_reported"):
        return
    trial_fits = _state.get("keras_tuner_fits")
    if trial_fits is None:
        _state["keras_params_reported"] = True
    inspect = _stdlib("inspect")

    bound = inspect.signature(original).bind_partial(model, *args, **kwargs)
    bound.apply_defaults()
    given = bound.arguments
    params: dict[str, Any] = {}
    for key in ("epochs", "batch_size", "validation_split", "steps_per_epoch"):
        value = given.get(key)
        if value is not None and not (key == "validation_split" and not value):
            params[key] = value
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        params.update(_keras_optimizer_params(optimizer))
    if trial_fits is not None:
        trial_fits.append(params)  # a KerasTuner trial's: see _keras_tuner_make_search
    else:
        report_params("keras", params)


def _keras_optimizer_params(optimizer: Any) -> dict[str, Any]:
    """The optimizer's name and learning rate; the name alone when its config cannot be read
    (a Keras 2 custom optimizer's ``get_config`` calling ``self._get_hyper``, gone in Keras 3,
    which calls it only to save), the error noted."""
    params = {"optimizer": _keras_optimizer_name(optimizer)}

    def add_learning_rate() -> None:
        learning_rate = _keras_learning_rate(optimizer)
        if learning_rate is not None:
            params["learning_rate"] = learning_rate

    _safely("keras", add_learning_rate)
    return params


def _keras_optimizer_name(optimizer: Any) -> str:
    """The optimizer's name without the number Keras 3 adds to a name it made again in the
    session ("adam_1" for the second ``Adam()``: KerasTuner builds one per trial), which
    would tell runs of one optimizer apart. A name of the program's own ("my_adam") stays."""
    name = getattr(optimizer, "name", None)
    if not isinstance(name, str):
        return type(optimizer).__name__
    base, _, number = name.rpartition("_")
    made = base.replace("_", "") == type(optimizer).__name__.lower()
    return base if number.isdigit() and made else name


def _keras_learning_rate(optimizer: Any) -> Any:
    """The optimizer's configured learning rate: a number as it was typed (Keras keeps it in
    float32: 0.001 is not 0.0010000000474974513), or a schedule's class and config."""
    config = optimizer.get_config()
    value = config.get("learning_rate") if isinstance(config, dict) else None
    if isinstance(value, dict) and "class_name" in value:
        inner = value.get("config")
        schedule = {"class_name": value["class_name"]}
        if isinstance(inner, dict):
            schedule.update((k, v) for k, v in inner.items() if k != "name")
        return schedule
    number = _number(value)
    return _float32_as_typed(number) if isinstance(number, float) else number


def _float32_as_typed(number: float) -> float:
    """The shortest decimal that is the same float32 (0.0010000000474974513 -> 0.001);
    a number that is not a float32 value is returned as it is."""
    struct = _stdlib("struct")

    try:
        packed = struct.pack("f", number)
    except (OverflowError, struct.error):
        return number
    if struct.unpack("f", packed)[0] != number:
        return number
    for digits in range(1, 9):
        shorter = float("{:.{}g}".format(number, digits))
        if struct.pack("f", shorter) == packed:
            return shorter
    return float(f"{number:.9g}")  # 9 digits tell every float32 apart


def _report_keras_evaluate(logs: Any) -> None:
    """``model.evaluate``'s results, at the step of the last epoch trained."""
    values = {}
    for key, value in dict(logs or {}).items():
        key = str(key)
        values[key if key.startswith("test_") else "test_" + key] = value
    report_metrics("keras", values, step=_state.get("keras_step"))


def _patch_lightning(_name: str, module: Any) -> None:
    connector = getattr(module, "_LoggerConnector", None) or getattr(
        module, "LoggerConnector", None
    )
    _need(connector is not None, "the trainer's logger connector")

    def make(original: Any) -> Any:
        def wrapper(self: Any, metrics: Any, step: Any = None, *args: Any, **kwargs: Any) -> Any:
            result = original(self, metrics, step, *args, **kwargs)
            _safely("lightning", lambda: _report_lightning(self, metrics, step))
            return result

        return wrapper

    _need(_wrap(connector, "log_metrics", make), "LoggerConnector.log_metrics")


def _report_lightning(connector: Any, metrics: Any, step: Any) -> None:
    """What the trainer's loggers get (with or without a logger): the values, the ``epoch``
    Lightning adds when it picks the step, at the step it picks."""
    values = dict(metrics or {})
    if not values:
        return  # Lightning logs nothing then, not even the epoch
    trainer = connector.trainer
    if step is None:
        logged_step = _number(values.pop("step", None))  # Lightning takes int() of it
        step = None if logged_step is None else int(logged_step)
    if step is None:
        values.setdefault("epoch", getattr(trainer, "current_epoch", None))
        step = getattr(trainer.fit_loop.epoch_loop, "_batches_that_stepped", None)
        if step is None:
            step = getattr(trainer, "global_step", None)
    logged = _state.setdefault("lightning_logged", set())
    logged.update(values)
    for name, value in _lightning_bar_only(trainer, logged).items():
        values.setdefault(name, value)
    report_metrics("lightning", values, step=step)
    if values:
        _report_logger_folders("lightning", getattr(trainer, "loggers", None) or ())
    _report_lightning_hparams(trainer)


def _lightning_bar_only(trainer: Any, logged: Any) -> dict[str, Any]:
    """The values the progress bar shows that no logger was given (darts' ``train_loss``:
    ``self.log(..., prog_bar=True)`` in ``training_step``, logged every 50 steps, so never
    in a short fit): their latest, beside what the loggers get, at the same step. Printed,
    the bar is kept only at the end of the fit, its epoch no global step."""
    shown = getattr(trainer, "progress_bar_metrics", None)
    if not isinstance(shown, dict):
        return {}
    return {str(name): value for name, value in shown.items() if name not in logged}


def _report_lightning_hparams(trainer: Any) -> None:
    """The ``save_hyperparameters()`` values of the module (and data module) being trained,
    once per module, as Lightning's loggers get them: a plain ``Trainer.fit`` builds the
    optimizer itself, so its learning rate was recorded nowhere else. Not for a module that
    LightningCLI made (``_instantiator`` / ``_class_path`` in its hparams): its config, parsed
    by jsonargparse, already holds these values under their full names."""
    reported = _state.setdefault("lightning_hparams", set())
    module = getattr(trainer, "lightning_module", None)
    if module is None or id(module) in reported:
        return
    reported.add(id(module))
    hparams: dict[str, Any] = {}
    datamodule = getattr(trainer, "datamodule", None)
    for owner in (datamodule, module):
        values = getattr(owner, "hparams_initial", None) if owner is not None else None
        if isinstance(values, dict):
            hparams.update((str(key), value) for key, value in values.items())
    if "_instantiator" in hparams or "_class_path" in hparams:
        return
    for name, value in _lightning_trainer_settings(trainer).items():
        hparams.setdefault(name, value)
    if hparams:
        _report_agreed("lightning", hparams)


def _lightning_trainer_settings(trainer: Any) -> dict[str, Any]:
    """How long and how the ``Trainer`` trains (``Trainer(max_epochs=3, gradient_clip_val=0.1)``,
    pytorch-forecasting's and GluonTS's examples): its epochs, or its steps when those end
    it; accumulation, clipping and precision only where they are not Lightning's defaults."""
    settings: dict[str, Any] = {}
    max_steps = getattr(trainer, "max_steps", -1)
    max_epochs = getattr(trainer, "max_epochs", None)
    if isinstance(max_steps, int) and max_steps > 0:
        settings["max_steps"] = max_steps
    if isinstance(max_epochs, int) and max_epochs > 0:
        settings["max_epochs"] = max_epochs
    accumulate = getattr(trainer, "accumulate_grad_batches", 1)
    if isinstance(accumulate, int) and accumulate != 1:
        settings["accumulate_grad_batches"] = accumulate
    clip = getattr(trainer, "gradient_clip_val", None)
    if isinstance(clip, (int, float)) and clip:
        settings["gradient_clip_val"] = clip
    precision = getattr(trainer, "precision", None)
    if isinstance(precision, str) and precision not in ("32-true", "32"):
        settings["precision"] = precision
    return settings


def _patch_lightning_fabric(_name: str, module: Any) -> None:
    """``Fabric.log`` / ``log_dict`` (``log`` calls ``log_dict``): the values, at the step given
    (none: each metric's points in order, as Fabric's loggers count them)."""

    def make(original: Any) -> Any:
        def wrapper(self: Any, metrics: Any, step: Any = None, *args: Any, **kwargs: Any) -> Any:
            result = original(self, metrics, step, *args, **kwargs)
            _safely("lightning", lambda: _report_fabric(self, metrics, step))
            return result

        return wrapper

    _need(_wrap(module.Fabric, "log_dict", make), "Fabric.log_dict")


def _report_fabric(fabric: Any, metrics: Any, step: Any) -> None:
    values = dict(metrics or {})
    report_metrics("lightning", values, step=step)
    if values:
        _report_logger_folders("lightning", getattr(fabric, "loggers", None) or ())


def _report_logger_folders(source: str, loggers: Any) -> None:
    """The folders Lightning's loggers write (TensorBoard, CSV), where its TensorBoard logger
    puts an ``hp_metric`` placeholder that the recorder then does not take for a metric."""
    folders = []
    for logger in loggers:
        folder = getattr(logger, "log_dir", None)
        if isinstance(folder, str) and folder:
            folders.append(os.path.abspath(folder))
    known = _state.setdefault("logger_folders", set())
    new = [folder for folder in folders if folder not in known]
    if new and _is_rank_zero():
        known.update(new)
        _write({"_runledger": "logger_folders", "source": source, "folders": new})


def _patch_transformers(_name: str, module: Any) -> None:
    def make(original: Any) -> Any:
        def wrapper(self: Any, logs: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, logs, *args, **kwargs)
            _safely("transformers", lambda: _report_hf(self, logs))
            return result

        return wrapper

    _need(_wrap(module.Trainer, "log", make), "transformers.Trainer.log")
    report_arguments = _then_report_before("transformers", _report_training_arguments)
    _need(_wrap(module.Trainer, "train", report_arguments), "transformers.Trainer.train")


def _report_hf(trainer: Any, logs: Any) -> None:
    is_zero = getattr(trainer, "is_world_process_zero", None)
    if callable(is_zero) and not is_zero():
        return
    _state["hf_step"] = trainer.state.global_step
    report_metrics("transformers", dict(logs or {}), step=trainer.state.global_step)


def _patch_sentence_evaluators(_name: str, module: Any) -> None:
    """A sentence-transformers evaluator the program calls itself (``test_evaluator(model)``,
    its ``epoch`` left at -1, "evaluation on test data"): its results, named as it returns
    them (``sts-test_spearman_cosine``), at the Trainer's last step. Every evaluator ends by
    handing its results to ``store_metrics_in_model_card_data``; the Trainer's own calls pass
    its epoch, and their results reach ``Trainer.log`` as ``eval_*`` already."""
    base = getattr(module, "BaseEvaluator", None) or getattr(module, "SentenceEvaluator", None)

    def make(original: Any) -> Any:
        # Called as it was given: sentence-transformers 3.0's method takes no epoch.
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            _safely("sentence_transformers", lambda: _report_evaluator(args, kwargs))
            return result

        return wrapper

    found = isinstance(base, type) and _wrap(base, "store_metrics_in_model_card_data", make)
    _need(found, "the evaluators' store_metrics_in_model_card_data")


def _report_evaluator(args: Any, kwargs: Any) -> None:
    """``store_metrics_in_model_card_data(model, metrics, epoch)``'s metrics, when the epoch
    is -1 (a call of the program's own)."""
    epoch = kwargs.get("epoch", args[2] if len(args) > 2 else 0)
    metrics = kwargs.get("metrics", args[1] if len(args) > 1 else None)
    if isinstance(epoch, (int, float)) and epoch == -1 and isinstance(metrics, dict):
        report_metrics("sentence_transformers", metrics, step=_state.get("hf_step"))


def _patch_setfit(_name: str, module: Any) -> None:
    """setfit's ``Trainer``: the ``TrainingArguments`` it trains with as the ``setfit`` params
    (those the program gave, and how the body and the head train at their defaults too:
    setfit trains the head itself, no transformers ``Trainer`` sees those); and what
    ``evaluate(test_dataset)`` returns (``{"accuracy": 0.91}``, named as returned and as the
    program prints it) at the last step the body's training logged, not at the epoch of the
    line printed before it."""
    trainer = getattr(module, "Trainer", None)
    arguments = getattr(module, "TrainingArguments", None)
    note = _then_report_before("setfit", _note_given_training_arguments)
    _need(isinstance(arguments, type) and _wrap(arguments, "__post_init__", note), "setfit args")
    report = _then_report_before("setfit", _report_setfit_arguments)
    _need(isinstance(trainer, type) and _wrap(trainer, "train", report), "setfit.Trainer.train")

    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            if isinstance(result, dict):
                _safely("setfit", lambda: _report_setfit_evaluate(result))
            return result

        return wrapper

    _need(isinstance(trainer, type) and _wrap(trainer, "evaluate", make), "setfit.Trainer.evaluate")


# How setfit trains the sentence body and the classification head (pairs: body, head).
_SETFIT_SETTINGS = (
    "batch_size", "num_epochs", "body_learning_rate", "head_learning_rate",
    "sampling_strategy", "l2_weight", "seed",
)  # fmt: skip


def _report_setfit_arguments(trainer: Any) -> None:
    arguments = getattr(trainer, "args", None)
    fields = _fields(arguments)
    if not fields:
        return
    names = list(_state.get("hf_given_arguments", {}).get(id(arguments), ()))
    names += [name for name in _SETFIT_SETTINGS if name not in names]
    max_steps = _number(fields.get("max_steps"))
    if max_steps is not None and max_steps > 0 and "max_steps" not in names:
        names.append("max_steps")
    params = {name: fields[name] for name in names if name in fields}
    if params:
        _report_agreed("setfit", params)


def _report_setfit_evaluate(results: dict[str, Any]) -> None:
    report_metrics("setfit", results, step=_state.get("hf_step"))


# The settings that say how a Trainer trains, recorded with their defaults too (as Keras'
# learning rate is): a program that leaves the learning rate at 5e-05 trained with it.
_HF_TRAINING_SETTINGS = (
    "learning_rate",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "weight_decay",
    "lr_scheduler_type",
    "optim",
    "seed",
)


def _patch_training_arguments(_name: str, module: Any) -> None:
    """``TrainingArguments(learning_rate=1e-3, ...)`` written in the program (the HF course,
    peft, trl's ``SFTConfig``, sentence-transformers): which fields it was given, told from
    their defaults when ``__post_init__`` starts, before it fills in the fields it computes
    (``logging_dir``, ``report_to``); reported when a Trainer trains with them."""
    arguments = getattr(module, "TrainingArguments", None)
    make = _then_report_before("transformers", _note_given_training_arguments)
    found = isinstance(arguments, type) and _wrap(arguments, "__post_init__", make)
    _need(found, "TrainingArguments.__post_init__")


def _then_report_before(hook: str, note: Callable[[Any], None]) -> Callable[[Any], Any]:
    """A ``make`` for :func:`_wrap`: ``note(self)`` (never raising into the program), then
    the method as it was."""

    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            _safely(hook, lambda: note(self))
            return original(self, *args, **kwargs)

        return wrapper

    return make


def _note_given_training_arguments(arguments: Any) -> None:
    given = _state.setdefault("hf_given_arguments", {})
    if id(arguments) not in given:
        given[id(arguments)] = _fields_off_default(arguments)


def _fields_off_default(config: Any) -> list[str]:
    """The init fields of a dataclass instance whose value is not their default (those with
    no default too), in field order; never a ``*token*`` one."""
    dataclasses = _stdlib("dataclasses")

    if not dataclasses.is_dataclass(config):
        return []
    names = []
    for field in dataclasses.fields(config):
        if not field.init or "token" in field.name:
            continue
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            names.append(field.name)
            continue
        value = getattr(config, field.name, None)
        try:
            same = type(value) is type(default) and bool(value == default)
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            names.append(field.name)
    return names


# The settings of an adapter that say how it trains, recorded at their defaults too.
_PEFT_SETTINGS = ("r", "lora_alpha", "lora_dropout", "target_modules")
# What peft fills in itself: its version, and the adapter's kind (the params' group name).
_PEFT_NOT_SETTINGS = ("peft_version", "peft_type")


def _patch_peft(name: str, module: Any) -> None:
    """``get_peft_model(model, LoraConfig(r=8, lora_alpha=32, ...))`` (peft's examples, trl's
    ``SFTTrainer(peft_config=...)``): the adapter's config, under its kind (``lora.r``).
    peft before 0.15 defines it in ``peft.mapping``; 0.15 moved it to ``peft.mapping_func``,
    and its ``peft.mapping`` (imported as well) has it no more."""
    found = getattr(module, "get_peft_model", None)
    if name == "peft.mapping" and getattr(found, "__runledger_wrapped__", found is None):
        return

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            config = args[1] if len(args) > 1 else kwargs.get("peft_config")
            # as written: peft turns "all-linear" into every linear layer's full name
            given = _unordered_sorted(getattr(config, "target_modules", None))
            result = original(*args, **kwargs)
            _safely("peft", lambda: _report_peft_config(config, given))
            return result

        return wrapper

    _need(_wrap(module, "get_peft_model", make), "peft.get_peft_model")


def _unordered_sorted(value: Any) -> Any:
    """A set as a sorted list (its order would differ run to run); any other value as is."""
    return sorted(map(str, value)) if isinstance(value, (set, frozenset)) else value


def _report_peft_config(config: Any, target_modules: Any) -> None:
    """Its fields off their default as the model got them (``base_model_name_or_path``;
    ``target_modules`` as the program gave them, or as peft chose them for the model) and
    the adapter's main settings."""
    fields = _fields(config)
    if not fields:
        return
    if target_modules is not None:
        fields["target_modules"] = target_modules
    names = _fields_off_default(config)
    names += [name for name in _PEFT_SETTINGS if name in fields and name not in names]
    settings = {}
    for name in names:
        value = fields.get(name)
        # a model built from its config has no name: ``base_model_name_or_path`` is "" then
        if name in _PEFT_NOT_SETTINGS or (isinstance(value, str) and not value):
            continue
        settings[name] = _unordered_sorted(value)
    kind = type(config).__name__
    kind = kind[: -len("Config")] if kind.endswith("Config") and kind != "Config" else kind
    _report_agreed("peft", {kind.lower(): settings})


def _report_training_arguments(trainer: Any) -> None:
    """The arguments a Trainer trains with: those the program gave (a parser's are its own
    params already) and the settings every training has, as they are when it starts; not
    the defaults of the optimizer's settings when the Trainer was given an optimizer built
    elsewhere (sentence-transformers' ``fit`` builds its own, with lr 2e-05)."""
    arguments = getattr(trainer, "args", None)
    reported = _state.setdefault("hf_reported_arguments", set())
    if arguments is None or id(arguments) in reported:
        return
    reported.add(id(arguments))
    fields = _fields(arguments)
    if not fields:
        return
    names = list(_state.get("hf_given_arguments", {}).get(id(arguments), ()))
    unused: set[str] = set()
    if getattr(trainer, "optimizer", None) is not None:  # Trainer(optimizers=(built, ...))
        unused.update(("learning_rate", "weight_decay", "optim"))
    if getattr(trainer, "lr_scheduler", None) is not None:
        unused.add("lr_scheduler_type")
    names += [name for name in _HF_TRAINING_SETTINGS if name not in names and name not in unused]
    max_steps = _number(fields.get("max_steps"))
    if max_steps is not None and max_steps > 0:
        names.remove("num_train_epochs")  # max_steps ends the training then
    else:
        names.remove("max_steps")
    params = {name: fields[name] for name in names if name in fields}
    if params:
        _report_agreed("transformers", params)


# Frameworks captured directly whose own TensorBoard logging would report each value twice.
_TENSORBOARD_CALLERS_SKIPPED = frozenset(
    {"lightning", "pytorch_lightning", "lightning_fabric", "transformers", "keras", "tf_keras"}
)
# Of those, the ones that write the captured values to event files under other names (the HF
# Trainer's ``train/loss`` is ``loss``), so that reading their files would record them twice:
# calling package -> the hook that captures its values. (Lightning writes the names it logs,
# which the captured ones hide, and ``epoch``, which only its event files give.)
_TENSORBOARD_RENAMING_CALLERS = {"transformers": "transformers"}


def _report_tensorboard(
    module_name: str, writer: Any, values: dict[str, Any], step: Any, main_tag: Any = None
) -> None:
    caller = _calling_package((module_name,))
    if caller not in _TENSORBOARD_CALLERS_SKIPPED:
        report_metrics("tensorboard", values, step=step)
        if main_tag is not None:
            _report_scalars_folders(module_name, writer, main_tag, values)
    elif _TENSORBOARD_RENAMING_CALLERS.get(caller) in _state["patched"]:
        _report_covered_log_dir(writer)


def _report_scalars_folders(
    module_name: str, writer: Any, main_tag: Any, values: dict[str, Any]
) -> None:
    """``add_scalars("glue", {"accuracy": x})`` writes each value through a writer of its own,
    under the bare tag ``glue``, to a folder under the writer's (torch: ``glue_accuracy``,
    tensorboardX: ``glue/accuracy``): those files hold only values captured here (as
    ``glue/accuracy``), so the recorder reads them no more."""
    log_dir = getattr(writer, "log_dir", None) or getattr(writer, "logdir", None)
    if not isinstance(log_dir, str) or not log_dir:
        return
    prefix = str(main_tag)
    base = os.path.abspath(log_dir)
    for name in values:
        key = name[len(prefix) + 1 :] if name.startswith(prefix + "/") else name
        if module_name.startswith("tensorboardX"):
            folder = os.path.join(base, prefix, key)
        else:
            folder = os.path.join(base, prefix.replace("/", "_") + "_" + key)
        if folder not in _state["covered_log_dirs"]:
            _state["covered_log_dirs"].add(folder)
            _write_reported({"_runledger": "tensorboard_covered", "log_dir": folder})


def _report_covered_log_dir(writer: Any) -> None:
    """Say once that the writer's folder holds values captured in process (the HF Trainer
    renames them ``train/loss``, ``eval/accuracy``): the recorder reads its files no more."""
    _report_covered_folder(getattr(writer, "log_dir", None) or getattr(writer, "logdir", None))


def _report_covered_folder(log_dir: Any) -> None:
    if not isinstance(log_dir, str) or not log_dir:
        return
    log_dir = os.path.abspath(log_dir)
    if log_dir not in _state["covered_log_dirs"]:
        _state["covered_log_dirs"].add(log_dir)
        _write_reported({"_runledger": "tensorboard_covered", "log_dir": log_dir})


def _patch_tensorboard(module_name: str, module: Any) -> None:
    writer = module.SummaryWriter

    def make_scalar(original: Any) -> Any:
        def wrapper(
            self: Any, tag: Any, scalar_value: Any, global_step: Any = None, *args: Any, **kw: Any
        ) -> Any:
            result = original(self, tag, scalar_value, global_step, *args, **kw)
            _safely(
                "tensorboard",
                lambda: _report_tensorboard(module_name, self, {tag: scalar_value}, global_step),
            )
            return result

        return wrapper

    def make_scalars(original: Any) -> Any:
        def wrapper(
            self: Any, main_tag: Any, values: Any, global_step: Any = None, *args: Any, **kw: Any
        ) -> Any:
            result = original(self, main_tag, values, global_step, *args, **kw)
            _safely(
                "tensorboard",
                lambda: _report_tensorboard(
                    module_name,
                    self,
                    {f"{main_tag}/{key}": value for key, value in values.items()},
                    global_step,
                    main_tag,
                ),
            )
            return result

        return wrapper

    def make_hparams(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            given = args[0] if args else kwargs.get("hparam_dict")
            _safely("tensorboard", lambda: _report_hparams((module_name,), given))
            return result

        return wrapper

    _need(_wrap(writer, "add_scalar", make_scalar), "SummaryWriter.add_scalar")
    _wrap(writer, "add_scalars", make_scalars)
    _wrap(writer, "add_hparams", make_hparams)  # its metric_dict goes through add_scalar


def _patch_tensorboard_hparams(module_name: str, module: Any) -> None:
    """The HParams plugin's ``hparams_pb``, which ``hp.hparams({HP_UNITS: 16, ...})``, its
    ``KerasCallback`` and clu's ``write_hparams`` all call: the values as ``tensorboard``
    params (an ``HParam`` key by its name)."""

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            given = args[0] if args else kwargs.get("hparams")
            _safely("tensorboard", lambda: _report_hparams((module_name,), given))
            return result

        return wrapper

    _need(_wrap(module, "hparams_pb", make), "tensorboard hparams_pb")


def _report_hparams(library: Any, hparams: Any) -> None:
    """Hyperparameters written for TensorBoard's HParams dashboard, unless a trainer that
    records its own wrote them (the HF Trainer's ``add_hparams(args.to_sanitized_dict())``)."""
    if isinstance(hparams, dict) and _calling_package(library) not in _TENSORBOARD_CALLERS_SKIPPED:
        named = {str(getattr(key, "name", key)): value for key, value in hparams.items()}
        _report_agreed("tensorboard", named)


_DIFFERS = object()


def _report_agreed(source: str, params: dict[str, Any]) -> None:
    """``params`` with those the source reported before in this process; a name given two
    values (a loop of trials in one program, one ``hparams`` call each) is left out, since
    which one is the run's cannot be told."""
    seen = _state.setdefault("agreed", {}).setdefault(source, {})
    for key, value in list(params.items())[:_MAX_ITEMS]:
        plain = _plain(value, 1)
        if key not in seen:
            seen[key] = plain
        elif seen[key] != plain:
            seen[key] = _DIFFERS
    report_params(source, {key: value for key, value in seen.items() if value is not _DIFFERS})


def _patch_xgboost(_name: str, module: Any) -> None:
    training = sys.modules.get("xgboost.training")
    callback_module = sys.modules.get("xgboost.callback")
    base = getattr(callback_module, "TrainingCallback", None)
    original = getattr(training, "train", None)
    _need(base is not None and original is not None, "xgboost.training.train")

    class RunledgerCallback(base):  # type: ignore[misc,valid-type]
        def after_iteration(self, model: Any, epoch: Any, evals_log: Any) -> bool:
            if not _in_candidate_fit():
                _safely("xgboost", lambda: _report_boosting("xgboost", evals_log, epoch))
            return False

    def maker(report: Callable[..., None], positional: int) -> Callable[[Any], Any]:
        """A wrapper maker: report the call's params, add the callback unless the call gives
        callbacks positionally (past ``positional`` arguments) or as something else."""

        def make(original: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                _safely("xgboost", lambda: report("xgboost", original, args, kwargs))
                callbacks = kwargs.get("callbacks")
                if len(args) <= positional and isinstance(callbacks, (list, tuple, type(None))):
                    kwargs["callbacks"] = [*(callbacks or []), RunledgerCallback()]
                result = original(*args, **kwargs)
                _safely("xgboost", lambda: _report_best_iteration("xgboost", result))
                return result

            return wrapper

        return make

    # train's callbacks is keyword-only since xgboost 1.6; cv's is far down its positional
    # parameters (after nfold, stratified, folds, ...)
    train_maker = maker(_report_booster_params, 3)
    _patch_function_everywhere(
        original, train_maker, ("xgboost.training", "xgboost", "xgboost.sklearn")
    )
    # xgb.cv: the same params, its nfold, and each round's mean (and standard deviation)
    original_cv = getattr(training, "cv", None)
    if original_cv is not None:
        _patch_function_everywhere(
            original_cv, maker(_report_cv_params, 4), ("xgboost.training", "xgboost")
        )


def _report_booster_params(source: str, original: Any, args: Any, kwargs: Any) -> None:
    if _in_automl_search():
        return
    chosen = _booster_params(original, args, kwargs)
    if chosen is not None:
        report_params(source, chosen)


def _booster_params(original: Any, args: Any, kwargs: Any) -> dict[str, Any] | None:
    """``train(params, data, num_boost_round, ...)``: the booster's params as the program
    passed them (None meaning "the library's default" is left out) and the number of rounds."""
    params = args[0] if args else kwargs.get("params")
    if isinstance(params, (list, tuple)):  # xgboost also takes a list of (name, value) pairs
        params = dict(pair for pair in params if isinstance(pair, tuple) and len(pair) == 2)
    if not isinstance(params, dict):
        return None
    chosen = {str(key): value for key, value in params.items() if value is not None}
    if len(args) > 2:
        rounds = args[2]
    elif "num_boost_round" in kwargs:
        rounds = kwargs["num_boost_round"]
    else:
        inspect = _stdlib("inspect")

        rounds = inspect.signature(original).parameters["num_boost_round"].default
    if isinstance(rounds, int):
        chosen.setdefault("num_boost_round", rounds)
    return chosen


def _report_cv_params(source: str, original: Any, args: Any, kwargs: Any) -> None:
    """``cv(params, data, num_boost_round, ..., nfold=...)``: as ``train``'s, and the number
    of folds (unless ``folds`` gives the splits itself)."""
    chosen = _booster_params(original, args, kwargs)
    if chosen is None:
        return
    inspect = _stdlib("inspect")

    try:
        signature = inspect.signature(original)
        given = signature.bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):  # a call cv itself will refuse: no nfold to tell
        given = None
    if given is not None and given.get("folds") is None:
        default = signature.parameters.get("nfold")
        nfold = given.get("nfold", None if default is None else default.default)
        if isinstance(nfold, int) and not isinstance(nfold, bool):
            chosen.setdefault("nfold", nfold)
    report_params(source, chosen)


def _report_boosting(source: str, evals_log: Any, step: Any) -> None:
    values: dict[str, Any] = {}
    for data_name, metrics in evals_log.items():
        for metric_name, history in metrics.items():
            if history:
                last = history[-1]
                # named as the round's printed line is read (eval-logloss -> eval_logloss),
                # so the printed values and these are one series
                name = f"{data_name}_{metric_name}".replace("-", "_")
                if isinstance(last, tuple):  # xgb.cv's (mean, standard deviation)
                    values[name] = last[0]
                    if len(last) > 1:
                        values[f"{name}_std"] = last[1]
                else:
                    values[name] = last
    report_metrics(source, values, step=step)


def _report_best_iteration(source: str, booster: Any) -> None:
    """A trained booster's ``best_iteration`` when early stopping set one, as the library
    counts it (LightGBM from 1, as its "best iteration is: [37]"; XGBoost from 0); not for
    ``cv``'s results nor a training that never evaluated."""
    if isinstance(booster, dict) or not hasattr(booster, "best_iteration") or _in_candidate_fit():
        return
    attributes = getattr(booster, "attributes", None)  # XGBoost keeps it as an attribute
    if callable(attributes) and "best_iteration" not in (attributes() or {}):
        return
    best = _number(booster.best_iteration)
    if isinstance(best, int) and (best > 0 or source == "xgboost"):
        report_metrics(source, {"best_iteration": best})


def _patch_lightgbm(_name: str, module: Any) -> None:
    engine = sys.modules.get("lightgbm.engine")
    original = getattr(engine, "train", None)
    _need(original is not None, "lightgbm.engine.train")

    def on_iteration(env: Any) -> None:
        if _in_candidate_fit():
            return

        def report() -> None:
            values: dict[str, Any] = {}
            for entry in env.evaluation_result_list or ():
                # lgb.cv's ("cv_agg", "valid l2", mean, higher_better, stdv): cv_agg_valid_l2,
                # as its printed line is read
                name = f"{entry[0]}_{entry[1]}".replace("-", "_").replace(" ", "_")
                values[name] = entry[2]
                if len(entry) > 4:
                    values[f"{name}_std"] = entry[4]
            report_metrics("lightgbm", values, step=env.iteration)

        _safely("lightgbm", report)

    # Before early_stopping (order 30), which raises on the last round: the round it stops on
    # is still recorded. The evaluation results are computed before any callback runs.
    on_iteration.order = 1  # type: ignore[attr-defined]

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _safely("lightgbm", lambda: _report_booster_params("lightgbm", original, args, kwargs))
            callbacks = kwargs.get("callbacks")
            if callbacks is None or isinstance(callbacks, (list, tuple)):
                kwargs["callbacks"] = list(callbacks or []) + [on_iteration]
            result = original(*args, **kwargs)
            _safely("lightgbm", lambda: _report_best_iteration("lightgbm", result))
            return result

        return wrapper

    _patch_function_everywhere(original, make, ("lightgbm.engine", "lightgbm", "lightgbm.sklearn"))

    # lgb.cv: the same params, its nfold, and each round's mean and standard deviation
    original_cv = getattr(engine, "cv", None)
    if original_cv is None:
        return

    def make_cv(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _safely("lightgbm", lambda: _report_cv_params("lightgbm", original, args, kwargs))
            callbacks = kwargs.get("callbacks")
            if len(args) <= 12 and (callbacks is None or isinstance(callbacks, (list, tuple))):
                kwargs["callbacks"] = list(callbacks or []) + [on_iteration]
            return original(*args, **kwargs)

        return wrapper

    _patch_function_everywhere(original_cv, make_cv, ("lightgbm.engine", "lightgbm"))


def _patch_function_everywhere(original: Any, make: Callable[[Any], Any], modules: Any) -> None:
    """One wrapper for a function, set wherever a module holds it under its own name."""
    wrapper = make(original)
    functools.update_wrapper(wrapper, original)
    wrapper.__runledger_wrapped__ = True
    for module_name in modules:
        holder = sys.modules.get(module_name)
        name = original.__name__
        if holder is not None and getattr(holder, name, None) is original:
            setattr(holder, name, wrapper)


# --- catboost -------------------------------------------------------------------------------

# What CatBoost chooses when the program does not (its learning rate by the data's size):
# recorded as used, beside the params the program gave.
_CATBOOST_RESOLVED = ("iterations", "learning_rate", "depth", "loss_function")


def _patch_catboost(_name: str, module: Any) -> None:
    base = getattr(module, "CatBoost", None)
    _need(base is not None and callable(getattr(base, "_fit", None)), "catboost.CatBoost._fit")

    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            _safely("catboost", lambda: _report_catboost_params(self))
            _safely("catboost", lambda: _report_catboost_evals(self))
            return result

        return wrapper

    _wrap(base, "_fit", make)
    _patch_saves(_name, module)


def _report_catboost_params(model: Any) -> None:
    """The params the program gave the model (``get_params``: those it set), and the values
    CatBoost trained with for the main ones (``get_all_params``)."""
    if _in_automl_search():
        return
    chosen = {str(key): value for key, value in model.get_params().items() if value is not None}
    resolved = model.get_all_params() or {}
    for key in _CATBOOST_RESOLVED:
        value = resolved.get(key)
        if key not in chosen and value is not None:
            chosen[key] = _float32_as_typed(value) if isinstance(value, float) else value
    report_params("catboost", chosen)


def _report_catboost_evals(model: Any) -> None:
    """Each iteration's values of every metric CatBoost computed (``get_evals_result``, read
    once the fit is done: no per-iteration callback slows training), named by data set as
    CatBoost prints them and by metric: ``learn_Logloss``, ``test_AUC``, ``test1_AUC`` for a
    second eval set. The printed round lines show only the eval metric, unnamed (``test:
    0.69``), so a loss and an AUC looked alike. And ``best_iteration`` when an eval set was
    given (the model kept is shrunk to it, ``use_best_model``)."""
    if _in_candidate_fit():
        return
    evals = model.get_evals_result() or {}
    by_step: dict[int, dict[str, Any]] = {}
    for data_name, metrics in evals.items():
        data = str(data_name)
        if data == "validation" or data == "validation_0":
            data = "test"
        elif data.startswith("validation_"):
            data = "test" + data[len("validation_") :]
        for metric_name, history in metrics.items():
            name = f"{data}_{_catboost_metric_name(str(metric_name))}"
            for step, value in enumerate(history):
                by_step.setdefault(step, {})[name] = value
    for step in sorted(by_step):
        report_metrics("catboost", by_step[step], step=step)
    best = model.get_best_iteration()
    if isinstance(best, int) and by_step:
        report_metrics("catboost", {"best_iteration": best})


def _catboost_metric_name(name: str) -> str:
    """``Quantile:alpha=0.5`` as ``Quantile_alpha_0.5``."""
    kept = [char if char.isalnum() or char in "_." else "_" for char in name]
    return "".join(kept).strip("_") or "metric"


# --- scikit-learn ---------------------------------------------------------------------------


def _patch_sklearn(_name: str, module: Any) -> None:
    """``sklearn.base``, just run: every estimator module imported after it decorates its
    ``fit`` with ``_fit_context`` (scikit-learn 1.3 and later), whose wrapper this wraps."""
    original: Any = getattr(module, "_fit_context", None)
    _need(callable(original), "sklearn.base._fit_context")
    seen: dict[str, Any] = {}  # the model's params by class, of each fit outside any other

    def fit_context(*args: Any, **kwargs: Any) -> Any:
        decorator = original(*args, **kwargs)

        def decorate(fit_method: Any) -> Any:
            decorated = decorator(fit_method)
            if getattr(fit_method, "__name__", "") != "fit":
                return decorated  # partial_fit, fit_transform: no model of the run's

            return _reporting_fit(decorated, seen)

        return decorate

    functools.update_wrapper(fit_context, original)
    _attribute_warnings_past_wrappers()  # a fit's warnings name the program's line, as bare
    module._fit_context = fit_context
    _patch_foreign_estimators(module.BaseEstimator, seen)


def _reporting_fit(
    fit_method: Any, seen: dict[str, Any], source: str = "sklearn", fit_settings: bool = False
) -> Any:
    """``fit_method``, reporting the model's params when it is fit outside any other fit;
    with ``fit_settings``, the settings given to the fit too (:func:`_fit_settings`)."""
    fits = f"{source}_fits"

    def fit(estimator: Any, *fit_args: Any, **fit_kwargs: Any) -> Any:
        depth = _state.get(fits, 0)
        _state[fits] = depth + 1
        try:
            result = fit_method(estimator, *fit_args, **fit_kwargs)
        finally:
            _state[fits] = depth
        if depth == 0 and not _fit_by_library(estimator):

            def report() -> None:
                given = _fit_settings(fit_method, estimator, fit_args, fit_kwargs)
                _report_estimator(estimator, seen, source, given if fit_settings else {})

            _safely(source, report)
        return result

    functools.update_wrapper(fit, fit_method)
    fit.__runledger_wrapped__ = True  # type: ignore[attr-defined]
    return fit


# Callers of a fit that pass the program's model on: scikit-learn's own (fit_transform,
# cross_val_score's folds) and joblib's workers in this process.
_FIT_RELAYS = ("sklearn", "joblib")


def _fit_by_library(estimator: Any) -> bool:
    """Whether ``estimator`` is fit by an installed library's code rather than the program's:
    a model the library built and fits for itself (scikit-optimize's ``gp_minimize`` fits a
    Gaussian process at each iteration) is not the run's model, and its settings are not
    the run's params. The caller is the first frame that is none of the estimator's own
    methods (``fit_transform``), scikit-learn's, joblib's or the standard library's."""
    stdlib = getattr(sys, "stdlib_module_names", ())
    frame: Any = sys._getframe(2)  # the caller of the fit's wrapper
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        top = name.partition(".")[0]
        if (
            name != __name__
            and top not in _FIT_RELAYS
            and top not in stdlib
            and frame.f_locals.get("self") is not estimator
        ):
            return _installed_library(name)
        frame = frame.f_back
    return False


# Libraries whose scikit-learn estimators have hooks of their own (their params' own names).
_OWN_HOOK_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost")


def _patch_foreign_estimators(base: Any, seen: dict[str, Any]) -> None:
    """Estimators of other libraries on scikit-learn's API (NGBoost's ``NGBRegressor``,
    imbalanced-learn's, a program's own) have no ``_fit_context``: each class made after
    ``BaseEstimator`` gets its ``fit`` wrapped as it is defined, so that the model the
    program fits reports the params it set, and the scikit-learn models fit inside it (its
    base learners) are not the run's."""

    own = base.__dict__.get("__init_subclass__")  # kept: a later scikit-learn may define one

    def init_subclass(cls: Any, /, **kwargs: Any) -> None:
        if isinstance(own, classmethod):
            own.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)
        _safely("sklearn", lambda: _wrap_foreign_fit(cls, seen))

    base.__init_subclass__ = classmethod(init_subclass)


def _wrap_foreign_fit(cls: Any, seen: dict[str, Any]) -> None:
    fit = getattr(cls, "fit", None)
    if type(fit) is not type(_wrap_foreign_fit) or getattr(fit, "__runledger_wrapped__", False):
        return  # a plain method only, once: not a classmethod's, nor a wrapped one again
    package = str(getattr(fit, "__module__", "") or "").partition(".")[0]
    if package in _OWN_HOOK_PACKAGES or getattr(fit, "__name__", "") != "fit":
        return
    cls.fit = _reporting_fit(fit, seen, fit_settings=True)


def _patch_sklearn_candidates(name: str, module: Any) -> None:
    """``sklearn.model_selection._validation``: ``_fit_and_score`` fits one candidate on one
    fold (a search's, ``cross_val_score``'s), in the program or in joblib's workers. The
    boosting rounds of those fits (an ``LGBMClassifier`` searched with an ``eval_set``) are
    not the run's series; the search's refit, outside them, is."""
    original = getattr(module, "_fit_and_score", None)
    _need(callable(original), "sklearn.model_selection._validation._fit_and_score")

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _state["sklearn_candidates"] = _state.get("sklearn_candidates", 0) + 1
            try:
                return original(*args, **kwargs)
            finally:
                _state["sklearn_candidates"] -= 1

        return wrapper

    _patch_function_everywhere(original, make, (name,))


def _in_candidate_fit() -> bool:
    return bool(_state.get("sklearn_candidates"))


def _in_automl_search() -> bool:
    return bool(_state.get("automl_fits"))


def _patch_flaml(_name: str, module: Any) -> None:
    """``flaml.automl``: ``AutoML.fit`` tries many learners and configs (LightGBM, random
    forests, ...), each a fit of its own: their params, boosting rounds and best iterations
    are candidates', not the run's. Once it returns, the run's params are what it chose:
    ``estimator`` (``best_estimator``, ``lgbm``) and ``best_config``."""
    automl = getattr(module, "AutoML", None)
    original: Any = getattr(automl, "fit", None)
    _need(callable(original), "flaml.automl.AutoML.fit")
    if getattr(original, "__runledger_automl__", False):
        return

    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        _state["automl_fits"] = _state.get("automl_fits", 0) + 1
        _state["sklearn_candidates"] = _state.get("sklearn_candidates", 0) + 1
        try:
            result = original(self, *args, **kwargs)
        finally:
            _state["automl_fits"] -= 1
            _state["sklearn_candidates"] -= 1
        if not _in_automl_search():
            _safely("flaml", lambda: _report_automl_choice(self))
        return result

    functools.update_wrapper(fit, original)
    fit.__runledger_wrapped__ = True  # type: ignore[attr-defined]
    fit.__runledger_automl__ = True  # type: ignore[attr-defined]
    automl.fit = fit  # type: ignore[union-attr]


def _report_automl_choice(automl: Any) -> None:
    estimator = automl.best_estimator
    config = automl.best_config
    if isinstance(estimator, str) and isinstance(config, dict):
        report_params("flaml", {"estimator": estimator, **config})


def _changed_params(model: Any) -> dict[str, Any]:
    """The params of ``model`` (``get_params(deep=True)``: ``svc__C`` in a pipeline) that
    differ from their class's default, as the program chose them (as scikit-learn's repr
    shows an estimator): numbers, strings and booleans; estimators, lists, callables and
    None are no values of a param. The callbacks a skorch net adds itself
    (``get_default_callbacks``: ``train_loss``, ``valid_acc``) are not the program's."""
    params = model.get_params(deep=True)
    chosen: dict[str, Any] = {}
    defaults = getattr(model, "get_default_callbacks", None)
    own_callbacks = tuple(
        f"callbacks__{callback[0]}__" for callback in (defaults() if callable(defaults) else ())
    )
    for name, value in params.items():
        if isinstance(value, (bool, int, float, str)):
            plain = value
        else:
            plain = _number(value)  # numpy scalars
            if plain is None:
                continue
        owner_name, _, own = str(name).rpartition("__")
        owner = params.get(owner_name, model) if owner_name else model
        default = _init_default(type(owner), own)
        try:
            same = type(default) is type(plain) and bool(default == plain)
        except Exception:  # noqa: BLE001
            same = False
        if not same and not str(name).startswith(own_callbacks):
            chosen[str(name)] = plain
    return chosen


def _init_default(cls: Any, name: str) -> Any:
    """The default of ``cls``'s init argument ``name``: from the first class of its MRO whose
    ``__init__`` names it (skorch's ``NeuralNetClassifier`` takes ``verbose`` and ``device``
    through ``**kwargs``, ``NeuralNet`` names them); ``inspect.Parameter.empty`` if none."""
    inspect = _stdlib("inspect")

    for klass in getattr(cls, "__mro__", (cls,)):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameter = inspect.signature(init).parameters.get(name)
        except (TypeError, ValueError):
            continue
        if parameter is not None and parameter.kind is not parameter.VAR_KEYWORD:
            return parameter.default
    return inspect.Parameter.empty


def _is_model(estimator: Any) -> bool:
    """A predictor, or a clusterer (``DBSCAN``, hdbscan's ``HDBSCAN``: ``fit_predict`` only),
    or an embedding a run is made for (umap-learn's ``UMAP``); not a transformer (a scaler)."""
    return (
        callable(getattr(estimator, "predict", None))
        or callable(getattr(estimator, "fit_predict", None))
        or str(type(estimator).__module__).partition(".")[0] in _EMBEDDING_PACKAGES
    )


_EMBEDDING_PACKAGES = ("umap",)


def _fit_settings(fit_method: Any, estimator: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    """The settings given to a fit: the training settings of a model on scikit-learn's API
    from another library (pytorch-tabnet's ``fit(X, y, max_epochs=5, patience=3)``); not
    its data (arrays), nor how it shows or runs (``verbose``, ``num_workers``)."""
    return _given_arguments(fit_method, (estimator, *args), kwargs, _FIT_MACHINERY)


_FIT_MACHINERY = frozenset(
    {"verbose", "num_workers", "n_jobs", "pin_memory", "show_progress", "progress_bar"}
)


def _report_estimator(
    estimator: Any, seen: dict[str, Any], source: str = "sklearn", given: Any = None
) -> None:
    """The params of a model fit outside any other fit (a search's, a pipeline's, a
    cross-validation's own fits are inside theirs or copies of one): those the program set
    (:func:`_changed_params`), for a search those of its best model and its
    ``best_score_`` as the metric ``best_cv_score`` (MLflow's autolog's name). A transformer
    fit alone (a scaler) is no model; two different models (a comparison of classifiers, a
    baseline then a model) leave the run without any, since which one the printed results
    are of cannot be told; one model fit with other settings leaves the settings all its
    fits shared. A worker process's fits (a nested search's, in joblib's
    workers) are not the program's."""
    searched = isinstance(getattr(estimator, "best_params_", None), dict)
    if _state["owner"] != os.getpid():
        return
    if _in_automl_search():
        return  # AutoML itself and its learners: what it chose is reported as flaml's
    if not searched and not _is_model(estimator):
        return  # a search with refit=False has no predict (nor a best model), but a result
    best = getattr(estimator, "best_estimator_", None)
    model = best if best is not None else estimator
    if best is None and searched:  # refit=False: the searched model's params, then the best
        model = getattr(estimator, "estimator", estimator)
    chosen = _changed_params(model)
    chosen.update(given or {})
    if best is None and isinstance(getattr(estimator, "best_params_", None), dict):
        chosen.update(estimator.best_params_)  # refit=False: the best params, not a model
    score = _number(getattr(estimator, "best_score_", None))
    if score is not None:  # a search's: the mean cross-validated score of its best params
        report_metrics(source, {"best_cv_score": score})
    key = f"{type(model).__module__}.{type(model).__qualname__}"
    earlier = seen.setdefault(key, chosen)
    if len(seen) > 1:
        report_params(source, {})  # two different models: neither is the run's
        return
    # One model fit with other settings (a loop over C, three searches of one estimator):
    # what every fit shared is the run's, what changed between them is no one value.
    seen[key] = {name: value for name, value in earlier.items() if chosen.get(name) == value}
    report_params(source, seen[key])


# --- sktime ------------------------------------------------------------------------------


def _patch_sktime(_name: str, module: Any) -> None:
    """``sktime.forecasting.base._base``: every forecaster's public ``fit`` is
    ``BaseForecaster.fit`` (a forecaster implements ``_fit``). A forecaster fit outside any
    other (a pipeline's or a search's steps are inside theirs; ``evaluate``'s refits are
    sktime's own) gives the params the program set, as a scikit-learn model does."""
    base = getattr(module, "BaseForecaster", None)
    _need(callable(getattr(base, "fit", None)), "sktime BaseForecaster.fit")
    seen: dict[str, Any] = {}
    _wrap(base, "fit", lambda original: _reporting_fit(original, seen, "sktime"))


# --- PyKEEN: a knowledge-graph embedding pipeline --------------------------------------------


def _patch_pykeen(_name: str, module: Any) -> None:
    """``pykeen.pipeline.api``: ``pipeline(model="TransE", dataset="Nations", ...)`` trains and
    evaluates in one call; its result's ``configuration`` holds what it ran with (its
    defaults filled in) and ``metric_results`` the test ranks' metrics."""
    _need(callable(getattr(module, "pipeline", None)), "pykeen.pipeline.api.pipeline")
    _wrap(module, "pipeline", _reporting_pipeline)


def _reporting_pipeline(original: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth = _state.get("pykeen_calls", 0)
        _state["pykeen_calls"] = depth + 1
        try:
            result = original(*args, **kwargs)
        finally:
            _state["pykeen_calls"] = depth
        if depth == 0:
            _safely("pykeen", lambda: _report_pykeen(result))
        return result

    return wrapper


def _report_pykeen(result: Any) -> None:
    """Params: the configuration's names and numbers (``model``, ``dataset``, ``optimizer``,
    ``num_epochs``, ``batch_size``) and those of its ``*_kwargs`` (``embedding_dim``, ``lr``),
    not the objects it printed (an initializer's repr) nor its unset switches. Metrics: the
    headline ranks of both sides, realistic (what ``get_metric("hits@10")`` gives)."""
    configuration = getattr(result, "configuration", None)
    if isinstance(configuration, dict):
        params: dict[str, Any] = {}
        nested = []
        for key, value in configuration.items():
            if isinstance(value, dict):
                nested.append(value)
            elif _pykeen_setting(value):
                params[str(key)] = value
        for settings in nested:
            for key, value in settings.items():
                if _pykeen_setting(value) and not isinstance(value, bool):
                    params.setdefault(str(key), value)
        report_params("pykeen", params)
    flat = getattr(getattr(result, "metric_results", None), "to_flat_dict", None)
    if callable(flat):
        ranks = flat()
        report_metrics(
            "pykeen", {name: ranks.get("both.realistic." + name) for name in _PYKEEN_METRICS}
        )


def _pykeen_setting(value: Any) -> bool:
    if isinstance(value, str):  # a name, not an object's repr
        return 0 < len(value) <= 100 and not any(mark in value for mark in "<>()\n")
    return isinstance(value, (int, float))


_PYKEEN_METRICS = (
    "hits_at_1", "hits_at_3", "hits_at_5", "hits_at_10", "inverse_harmonic_mean_rank",
    "arithmetic_mean_rank", "adjusted_arithmetic_mean_rank_index",
)  # fmt: skip


# --- pmdarima: an ARIMA order searched -------------------------------------------------------


def _patch_pmdarima(_name: str, module: Any) -> None:
    """``pmdarima.arima.auto``: ``pm.auto_arima(y, seasonal=False, max_p=3, trace=True)``
    searches the ARIMA orders and returns the best model: the arguments given that differ
    from the defaults and the ``order`` (``seasonal_order``, ``with_intercept``) it chose.
    The candidates it fits on the way are pmdarima's own fits, no model of the run's."""
    _need(callable(getattr(module, "auto_arima", None)), "pmdarima.arima.auto.auto_arima")

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            model = original(*args, **kwargs)
            _safely("pmdarima", lambda: _report_arima(original, args, kwargs, model))
            return model

        return wrapper

    _wrap(module, "auto_arima", make)


def _report_arima(search: Any, args: Any, kwargs: Any, model: Any) -> None:
    params = _given_arguments(search, args, kwargs, _ARIMA_MACHINERY)
    order = getattr(model, "order", None)
    if isinstance(order, tuple):
        params["order"] = [int(part) for part in order]
    seasonal = getattr(model, "seasonal_order", None)
    if isinstance(seasonal, tuple) and len(seasonal) == 4 and seasonal[3] > 1:
        params["seasonal_order"] = [int(part) for part in seasonal]
    intercept = getattr(model, "with_intercept", None)
    if isinstance(intercept, bool):
        params["with_intercept"] = intercept
    report_params("pmdarima", params)


# How the search shows its progress and treats failing fits: no settings of the model.
_ARIMA_MACHINERY = ("y", "X", "trace", "suppress_warnings", "error_action", "n_jobs")


# --- models configured by their constructor: gensim, Prophet -----------------------------


def _patch_gensim(_name: str, module: Any) -> None:
    """``gensim.models.word2vec``: ``Word2Vec(sentences, vector_size=100, window=5, ...)``
    builds (and, given its corpus, trains) the model; FastText and Doc2Vec are Word2Vecs."""
    model = getattr(module, "Word2Vec", None)
    _need(callable(getattr(model, "__init__", None)), "gensim.models.word2vec.Word2Vec")
    _wrap(model, "__init__", _reporting_init("gensim", _GENSIM_DATA))


def _patch_prophet(_name: str, module: Any) -> None:
    """``prophet.forecaster``: ``Prophet(changepoint_prior_scale=0.5, ...)``."""
    model = getattr(module, "Prophet", None)
    _need(callable(getattr(model, "__init__", None)), "prophet.forecaster.Prophet")
    _wrap(model, "__init__", _reporting_init("prophet", ("stan_backend",)))


def _patch_numpyro(_name: str, module: Any) -> None:
    """``numpyro.infer.mcmc``: ``MCMC(NUTS(model), num_warmup=500, num_samples=1000)``."""
    mcmc = getattr(module, "MCMC", None)
    _need(callable(getattr(mcmc, "__init__", None)), "numpyro.infer.mcmc.MCMC")
    _wrap(mcmc, "__init__", _reporting_init("numpyro", _MCMC_DISPLAY))


# How MCMC shows its progress and compiles: no settings of the sampling.
_MCMC_DISPLAY = ("progress_bar", "progress_rate", "jit_model_args")


def _patch_pymc(_name: str, module: Any) -> None:
    """``pymc.sampling.mcmc``: ``pm.sample(draws=200, tune=200, chains=2)`` (``pymc`` takes
    ``sample`` from this module once it is loaded): the sampler's settings as params, and the
    divergences of the draws kept (``divergences``, 0 too: PyMC prints none then)."""
    _need(callable(getattr(module, "sample", None)), "pymc.sampling.mcmc.sample")
    _wrap(module, "sample", _reporting_call("pymc", _report_pymc_sample))


def _reporting_call(hook: str, report: Callable[[Any, Any, Any, Any], None]) -> Any:
    """A ``make`` for :func:`_wrap` of a function: the function as it was, then
    ``report(original, args, kwargs, result)`` (never raising into the program) after the
    outermost of nested calls only (a library calling itself reports once)."""

    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _NestedCalls(hook) as depth:
                result = original(*args, **kwargs)
            if depth == 0:
                _safely(hook, lambda: report(original, args, kwargs, result))
            return result

        return wrapper

    return make


# How pm.sample shows its progress and what it returns: no settings of the sampling.
_SAMPLE_DISPLAY = frozenset(
    "progressbar progressbar_theme quiet compute_convergence_checks keep_warning_stat "
    "return_inferencedata mp_ctx blas_cores".split()
)
# Recorded with their defaults too: how long the sampler ran is what a reader asks first.
_SAMPLE_LENGTHS = ("draws", "tune")


def _report_pymc_sample(sample: Any, args: Any, kwargs: Any, trace: Any) -> None:
    inspect = _stdlib("inspect")

    parameters = inspect.signature(sample).parameters
    settings = {}
    for name, value in _bound_with_defaults(sample, args, kwargs).items():
        if name in _SAMPLE_DISPLAY or not isinstance(value, (bool, int, float, str)):
            continue
        parameter = parameters.get(name)
        default = None if parameter is None else parameter.default
        if name in _SAMPLE_LENGTHS or type(default) is not type(value) or default != value:
            settings[name] = value
    posterior = getattr(trace, "posterior", None)
    chains = getattr(trace, "nchains", None)  # a MultiTrace (return_inferencedata=False)
    if posterior is not None:
        chains = posterior.sizes.get("chain")
    if "chains" not in settings and chains is not None:
        settings["chains"] = int(chains)
    report_params("pymc", settings)
    stats = getattr(trace, "sample_stats", None)
    if stats is not None and "diverging" in stats:
        report_metrics("pymc", {"divergences": int(stats["diverging"].sum())})


def _patch_fasttext(_name: str, module: Any) -> None:
    """``fasttext.FastText``: ``train_supervised(input="cooking.train", lr=1.0, epoch=25)``
    and ``train_unsupervised`` (``fasttext`` takes both from this module once it is loaded)."""
    for name in ("train_supervised", "train_unsupervised"):
        _need(callable(getattr(module, name, None)), "fasttext.FastText." + name)
        _wrap(module, name, _reporting_call("fasttext", _report_fasttext))


# The settings a fastText model trains with, read from the model: its defaults too, and what
# autotune chose. ``thread`` and ``verbose`` are the machine's and the display's.
_FASTTEXT_TRAINED = ("lr", "epoch", "dim", "wordNgrams", "loss")
_FASTTEXT_DISPLAY = ("thread", "verbose")


def _report_fasttext(_train: Any, _args: Any, kwargs: Any, model: Any) -> None:
    settings = {
        name: value
        for name, value in kwargs.items()
        if isinstance(value, (bool, int, float, str)) and name not in _FASTTEXT_DISPLAY
    }
    for name in _FASTTEXT_TRAINED:
        value = getattr(model, name, None)
        value = getattr(value, "name", value)  # the loss: an enum, loss_name.softmax
        if isinstance(value, (bool, int, float, str)):
            settings[name] = value
    report_params("fasttext", settings)


def _patch_nevergrad(_name: str, module: Any) -> None:
    """``nevergrad.optimization.base``: ``optimizer.minimize(f)`` returns the recommended
    candidate: its loss is the search's result (``best_loss``), its keyword arguments (an
    ``Instrumentation``'s, a ``Dict``'s) the values it chose; the optimizer's ``budget``
    and ``num_workers`` are the search's settings."""
    optimizer = getattr(module, "Optimizer", None)
    _need(callable(getattr(optimizer, "minimize", None)), "nevergrad Optimizer.minimize")

    def report(self: Any, _args: Any, _kwargs: Any, result: Any) -> None:
        _report_recommendation(self, result)

    # the outermost call: NGOpt's minimize runs the optimizer it picked
    _wrap(optimizer, "minimize", lambda original: _outermost("nevergrad", original, report))


def _report_recommendation(optimizer: Any, recommendation: Any) -> None:
    settings = {"budget": _number(getattr(optimizer, "budget", None))}
    workers = _number(getattr(optimizer, "num_workers", None))
    if workers != 1:
        settings["num_workers"] = workers
    chosen = getattr(recommendation, "kwargs", None)
    if not chosen and isinstance(getattr(recommendation, "value", None), dict):
        chosen = recommendation.value
    for name, value in (chosen if isinstance(chosen, dict) else {}).items():
        plain = value if isinstance(value, (bool, int, float, str)) else _number(value)
        if plain is not None and name not in settings:
            settings[str(name)] = plain
    report_params("nevergrad", {k: v for k, v in settings.items() if v is not None})
    loss = _number(getattr(recommendation, "loss", None))
    if loss is not None:
        report_metrics("nevergrad", {"best_loss": loss})


def _patch_implicit(module_name: str, module: Any) -> None:
    """``implicit.cpu.als`` / ``bpr`` / ``lmf``: ``AlternatingLeastSquares(factors=64,
    regularization=0.05, iterations=20)`` (``implicit.als``'s factory builds this class)."""
    found = [getattr(module, name, None) for name in _IMPLICIT_MODELS]
    models = [model for model in found if callable(getattr(model, "__init__", None))]
    _need(bool(models), module_name + "'s model")
    for model in models:
        _wrap(model, "__init__", _reporting_init("implicit", _IMPLICIT_MACHINERY))


_IMPLICIT_MODELS = (
    "AlternatingLeastSquares",
    "BayesianPersonalizedRanking",
    "LogisticMatrixFactorization",
)
# How a model computes, not what it learns.
_IMPLICIT_MACHINERY = ("dtype", "use_native", "use_cg", "num_threads", "calculate_training_loss")


def _patch_surprise(module_name: str, module: Any) -> None:
    """scikit-surprise: an algorithm's arguments (``SVD(n_factors=50, n_epochs=10)``,
    ``KNNBasic(k=20)``) that differ from its defaults; a ``GridSearchCV``'s best params (of
    its first measure) and best score (``best_rmse``), not the candidates it built."""
    search = getattr(module, "BaseSearchCV", None)
    if search is not None:
        _need(callable(getattr(search, "fit", None)), "surprise BaseSearchCV.fit")
        _wrap(search, "fit", lambda original: _outermost("surprise", original, _report_search))
        return
    algorithms = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and value.__module__ == module_name
        and callable(getattr(value, "fit", None))
        and callable(getattr(value, "estimate", None))
    ]
    _need(bool(algorithms), module_name + "'s algorithms")
    for algorithm in algorithms:
        _wrap(algorithm, "__init__", _reporting_init("surprise", ("verbose",)))


def _report_search(search: Any, _args: Any, _kwargs: Any, _result: Any) -> None:
    measure = search.measures[0]
    best = search.best_params[measure]
    report_params("surprise", {k: v for k, v in best.items() if isinstance(v, (int, float, str))})
    score = _number(search.best_score[measure])
    if score is not None:
        report_metrics("surprise", {"best_" + measure: score})


# The data a Word2Vec is given, and its machinery: no settings of the model.
_GENSIM_DATA = ("sentences", "corpus_file", "corpus_iterable", "documents", "workers")


def _reporting_init(source: str, not_params: Any) -> Callable[[Any], Any]:
    """An ``__init__`` that reports the arguments the program gave that differ from their
    defaults (numbers, strings, booleans), once the model is built: as scikit-learn's
    estimators' params are reported. The outermost call only: a subclass's ``__init__``
    passing every argument on is not the program's choice of each."""

    def make(original: Any) -> Any:
        def report(_self: Any, args: Any, kwargs: Any, _result: Any) -> None:
            _report_init(source, original, args, kwargs, not_params)

        return _outermost(source, original, report)

    return make


def _outermost(source: str, original: Any, report: Callable[..., None]) -> Any:
    """``original`` (a method), calling ``report(self, args, kwargs, result)`` safely after
    the outermost of nested calls to it (of any method wrapped for ``source``) only."""
    depth_key = source + "_calls"

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        depth = _state.get(depth_key, 0)
        _state[depth_key] = depth + 1
        try:
            result = original(self, *args, **kwargs)
        finally:
            _state[depth_key] = depth
        if depth == 0:
            _safely(source, lambda: report(self, args, kwargs, result))
        return result

    return wrapper


def _report_init(source: str, init: Any, args: Any, kwargs: Any, not_params: Any) -> None:
    report_params(source, _given_arguments(init, (None, *args), kwargs, not_params))


def _given_arguments(function: Any, args: Any, kwargs: Any, not_params: Any) -> dict[str, Any]:
    """The arguments of ``function(*args, **kwargs)`` that differ from their defaults:
    numbers, strings and booleans (numpy's and torch's scalars too), not ``self`` nor any
    of ``not_params``."""
    inspect = _stdlib("inspect")

    parameters = inspect.signature(function).parameters
    chosen = {}
    for name, value in _bound_with_defaults(function, args, kwargs).items():
        parameter = parameters.get(name)
        if parameter is None or name == "self" or name in not_params:
            continue
        plain = value if isinstance(value, (bool, int, float, str)) else _number(value)
        if plain is None:
            continue
        default = parameter.default
        if type(default) is type(plain) and default == plain:
            continue
        chosen[name] = plain
    return chosen


# --- spaCy ---------------------------------------------------------------------------------


def _patch_spacy(_name: str, module: Any) -> None:
    """``spacy.training.loop``, just run: its ``train(nlp, ...)`` is what ``spacy train``
    (and a program training a pipeline itself) calls with the pipeline built from the
    config, the command line's ``--training.max_steps 20`` overrides applied."""
    original = getattr(module, "train", None)
    _need(callable(original), "spacy.training.loop.train")

    def make(original: Any) -> Any:
        def wrapper(nlp: Any, *args: Any, **kwargs: Any) -> Any:
            _safely("spacy", lambda: _report_spacy_config(nlp))
            return original(nlp, *args, **kwargs)

        return wrapper

    _patch_function_everywhere(original, make, ("spacy.training.loop",))


def _report_spacy_config(nlp: Any) -> None:
    """The pipeline's whole training config (``[paths]``, ``[nlp]``, ``[components]``,
    ``[training]``, ...), its ``${paths.train}`` references resolved, as spaCy trains with."""
    report_params("spacy", dict(nlp.config.interpolate()))


# --- optuna -------------------------------------------------------------------------------


def _patch_optuna(_name: str, module: Any) -> None:
    study_class = module.study.Study
    reported: set[Any] = set()

    def report_finished(study: Any, known_before: Any) -> None:
        for trial in study.get_trials(deepcopy=False):
            if trial.number not in known_before:
                _report_trial(study, trial, reported)

    def make_optimize(original: Any) -> Any:
        def wrapper(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
            if callable(func):
                func = _optuna_objective(func)
            if len(args) < 5:  # optimize(func, n_trials, timeout, n_jobs, catch, callbacks)
                callbacks = list(kwargs.get("callbacks") or [])
                callbacks.append(lambda study, trial: _report_trial(study, trial, reported))
                kwargs["callbacks"] = callbacks
            known: set[Any] = set()
            _safely("optuna", lambda: known.update(_trial_numbers(self)))
            try:
                return original(self, func, *args, **kwargs)
            finally:
                # A trial that raised ends optimize before the callbacks run.
                _safely("optuna", lambda: report_finished(self, known))

        return wrapper

    def make_tell(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            if hasattr(result, "number") and hasattr(result, "state"):
                _report_trial(self, result, reported)
            return result

        return wrapper

    _need(_wrap(study_class, "optimize", make_optimize), "optuna.study.Study.optimize")
    _wrap(study_class, "tell", make_tell)


# Hooks' step counters that go on across fits (Keras' epochs): each trial counts its own.
_PER_TRIAL_STATE = ("keras_step",)


def _optuna_objective(func: Any) -> Any:
    """``func`` that marks the metrics reported while it runs as its trial's (``_trial``):
    each trial's ``xgb.cv`` rounds or epochs are then its child run's series, not one
    series of every trial in turn in the study's run. A trial's Keras epochs start at 0."""

    def objective(trial: Any, *args: Any, **kwargs: Any) -> Any:
        previous = getattr(_local, "optuna_trial", None)
        number = getattr(trial, "number", None)
        _local.optuna_trial = number if isinstance(number, int) else None
        outside = {key: _state.pop(key) for key in _PER_TRIAL_STATE if key in _state}
        try:
            return func(trial, *args, **kwargs)
        finally:
            _local.optuna_trial = previous
            for key in _PER_TRIAL_STATE:
                _state.pop(key, None)
            _state.update(outside)

    try:
        functools.update_wrapper(objective, func)
    except Exception:  # noqa: BLE001 - a callable without a name: the wrapper's own
        pass
    return objective


def _patch_keras_tuner(_name: str, module: Any) -> None:
    """``keras_tuner.src.engine.base_tuner``: a trial that ends (``BaseTuner.on_trial_end``,
    once the oracle scored it) is a trial of the search as an Optuna one is: a child run with
    its hyperparameters, its score and the objective at each epoch."""
    tuner = getattr(module, "BaseTuner", None)
    _need(callable(getattr(tuner, "on_trial_end", None)), "keras_tuner BaseTuner.on_trial_end")
    _wrap(tuner, "on_trial_end", _then_report_call("keras_tuner", _report_keras_trial))
    _wrap(tuner, "search", _keras_tuner_make_search)


def _keras_tuner_make_search(original: Any) -> Any:
    """``search``: the settings every trial's ``fit`` shared (``epochs``, the optimizer), not
    one trial's own (the learning rate it drew): the first fit's would be a value no best
    trial may have used."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "keras_tuner_fits" in _state:  # a search within a search
            return original(self, *args, **kwargs)
        fits: list[dict[str, Any]] = []
        _state["keras_tuner_fits"] = fits
        try:
            return original(self, *args, **kwargs)
        finally:
            del _state["keras_tuner_fits"]
            if fits:
                shared = {
                    name: value
                    for name, value in fits[0].items()
                    if all(fit.get(name) == value for fit in fits)
                }
                _safely("keras_tuner", lambda: report_params("keras", shared))

    return wrapper


# KerasTuner's trial states as Optuna's: a trial its oracle stopped (Hyperband) was pruned.
_KERAS_TUNER_STATES = {
    "COMPLETED": "COMPLETE",
    "STOPPED": "PRUNED",
    "FAILED": "FAIL",
    "INVALID": "FAIL",
}


_DIRECTIONS = {"min": "minimize", "max": "maximize"}  # KerasTuner's, as Optuna names them


def _report_keras_trial(_original: Any, tuner: Any, args: Any, kwargs: Any) -> None:
    trial = args[0] if args else kwargs.get("trial")
    state = _KERAS_TUNER_STATES.get(str(getattr(trial, "status", "")))
    if state is None:
        return
    objective = getattr(getattr(tuner, "oracle", None), "objective", None)
    name = getattr(objective, "name", None)
    direction = getattr(objective, "direction", None)
    intermediate = {}
    metrics = getattr(trial, "metrics", None)
    if isinstance(name, str) and metrics is not None and metrics.exists(name):
        for observation in metrics.get_history(name):
            intermediate[str(observation.step)] = _number(observation.mean())
    score = _number(getattr(trial, "score", None))
    _write_reported(
        {
            "_runledger": "trial",
            "study": getattr(tuner, "project_name", None),
            "number": int(trial.trial_id),
            "params": _plain(trial.hyperparameters.values, 0),
            "value": score,
            "values": None if score is None else [score],
            "state": state,
            "directions": [_DIRECTIONS[direction]] if direction in _DIRECTIONS else None,
            "intermediate": intermediate,
            "datetime_start": None,
            "datetime_complete": _now(),
        }
    )


def _patch_hyperopt(_name: str, module: Any) -> None:
    """``hyperopt.fmin``: each evaluation of ``fmin(fn, space, algo=tpe.suggest,
    max_evals=100)`` is a trial of the search as an Optuna trial is: a child run with the
    point it drew (``hp.choice``'s option, not its index) and its ``loss``; the parent has
    the best (``hyperopt`` takes ``fmin`` from this module once it is loaded)."""
    _need(callable(getattr(module, "fmin", None)), "hyperopt.fmin.fmin")
    _wrap(module, "fmin", _hyperopt_make_fmin)


def _hyperopt_make_fmin(original: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _NestedCalls("hyperopt") as depth:  # Trials.fmin calls fmin again
            found: list[Any] = []
            if depth == 0:
                _safely("hyperopt", lambda: found.extend(_hyperopt_search(original, args, kwargs)))
            result = original(*args, **kwargs)
        if found and found[0] is not None:
            _safely("hyperopt", lambda: _report_hyperopt_trials(*found))
        return result

    return wrapper


def _hyperopt_search(fmin: Any, args: Any, kwargs: Any) -> tuple[Any, Any]:
    """The search's space and the ``Trials`` it fills: the program's, else one given in the
    place of the one fmin would make itself (None where fmin loads or seeds its own)."""
    inspect = _stdlib("inspect")

    given = inspect.signature(fmin).bind_partial(*args, **kwargs).arguments
    trials = given.get("trials")
    if "trials" not in given and not given.get("points_to_evaluate"):
        if not given.get("trials_save_file"):
            trials = kwargs["trials"] = sys.modules["hyperopt.base"].Trials()
    return trials, given.get("space")


_HYPEROPT_STATES = {"ok": "COMPLETE", "fail": "FAIL"}


def _report_hyperopt_trials(trials: Any, space: Any) -> None:
    space_eval: Any = getattr(sys.modules.get("hyperopt.fmin"), "space_eval", None)
    for trial in trials.trials:
        result = trial.get("result") or {}
        state = _HYPEROPT_STATES.get(str(result.get("status")))
        if state is None:
            continue
        drawn = {name: values[0] for name, values in trial["misc"]["vals"].items() if values}
        try:
            point = space_eval(space, drawn)
        except Exception:  # noqa: BLE001 - the labels' raw values, then
            point = drawn
        loss = _number(result.get("loss"))
        _write_reported(
            {
                "_runledger": "trial",
                "number": int(trial["tid"]),
                "params": _plain(point if isinstance(point, dict) else drawn, 0),
                "value": loss,
                "values": None if loss is None else [loss],
                "metric_names": ["loss"],
                "state": state,
                "directions": ["minimize"],
                "intermediate": {},
            }
        )


def _trial_numbers(study: Any) -> Any:
    return [trial.number for trial in study.get_trials(deepcopy=False)]


_trial_lock = threading.Lock()


def _report_trial(study: Any, trial: Any, reported: Any) -> None:
    def report() -> None:
        state = getattr(trial.state, "name", str(trial.state))
        if state not in ("COMPLETE", "PRUNED", "FAIL"):
            return
        key = (id(study), trial.number)
        with _trial_lock:
            if key in reported:
                return
            reported.add(key)
        values = trial.values
        _write_reported(
            {
                "_runledger": "trial",
                "study": getattr(study, "study_name", None),
                "number": trial.number,
                "params": _plain(trial.params, 0),
                "value": values[0] if values and len(values) == 1 else None,
                "values": list(values) if values else None,
                "state": state,
                "directions": _directions(study),
                "intermediate": {
                    str(step): value for step, value in sorted(trial.intermediate_values.items())
                },
                "datetime_start": _iso(trial.datetime_start),
                "datetime_complete": _iso(trial.datetime_complete),
            }
        )

    _safely("optuna", report)


def _directions(study: Any) -> Any:
    try:
        return [str(getattr(d, "name", d)).lower() for d in study.directions]
    except Exception:  # an Optuna without ``directions``: the parent just gets no best
        return None


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


# --- experiment trackers: wandb and MLflow --------------------------------------------------
# Only observed: the tracker's own function runs first, with the same arguments, and its return
# value, files and network use are as bare. Values are read from the call, never from the
# tracker's store. Each tracker run of the process (a wandb ``Run``; an MLflow run that is not
# a nested child run) is numbered, ``wandb:1``, ``wandb:2``, ..., and every params and metrics
# line of it names its number (``_tracker_run``), after a ``tracker_run`` line that says when
# it began (and one when it ended): one run per fold or per config of a loop keeps its own
# values. The recorder turns two or more runs of one tracker into child runs.

# Frameworks captured directly: their own wandb/MLflow callbacks would give each value twice.
_TRACKER_CALLERS_SKIPPED = _TENSORBOARD_CALLERS_SKIPPED | {"xgboost", "lightgbm"}
_PARENT_RUN_TAG = "mlflow.parentRunId"
# Row fields that count the program's own steps: the step of the row's other values when the
# program names no step at all (no ``step=``, no ``define_metric(step_metric=...)``), as in a
# metrics file (nanoGPT's ``wandb.log({"iter": iter_num, "train/loss": ...})``).
_ROW_STEP_NAMES = ("global_step", "step", "iteration", "iter")


# Decorators' packages between a framework and the tracker it calls (Lightning's loggers'
# ``rank_zero_only``): never the caller.
_PASS_THROUGH_PACKAGES = frozenset({"lightning_utilities"})


def _caller_past(library: str) -> str:
    """The top-level package of the first frame outside this file, ``library``'s own and
    the pass-through decorators'."""
    frame = sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        package = name.partition(".")[0]
        if name != __name__ and package != library and package not in _PASS_THROUGH_PACKAGES:
            return package
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _dotted(values: Any, prefix: str = "", depth: int = 0, separator: str = ".") -> dict[str, Any]:
    """Nested dicts as dotted names (``{"train": {"acc": 1}}``: ``train.acc``, as wandb's
    charts name it; dvclive's ``train/acc`` with ``separator="/"``); other values as they are."""
    flat: dict[str, Any] = {}
    for key, value in list(values.items())[:_MAX_ITEMS]:
        name = prefix + str(key)
        if isinstance(value, dict) and depth < _MAX_DEPTH:
            flat.update(_dotted(value, name + separator, depth + 1, separator))
        else:
            flat[name] = value
    return flat


def _tracker_run_began(tag: str, name: Any, run_id: Any, parent: Any = None) -> str:
    """``parent``: the tracker's id of the run this one is nested in (MLflow's nested runs)."""
    record: dict[str, Any] = {"_runledger": "tracker_run", "tracker_run": tag, "at": _now()}
    if isinstance(name, str) and name:
        record["name"] = name[:200]
    if isinstance(run_id, str) and run_id:
        record["id"] = run_id[:200]
    if isinstance(parent, str) and parent:
        record["parent"] = parent[:200]
    if _is_rank_zero():
        _write(record)
    return tag


def _tracker_run_ended(tag: str, exit_code: Any = None) -> None:
    record: dict[str, Any] = {"_runledger": "tracker_run", "tracker_run": tag, "ended": _now()}
    if isinstance(exit_code, int) and not isinstance(exit_code, bool):
        record["exit_code"] = exit_code
    if _is_rank_zero():
        _write(record)


def _now() -> str:
    import time

    moment = time.time()
    milliseconds = int(moment % 1 * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{milliseconds:03d}Z"


def _new_wandb_state() -> dict[str, Any]:
    return {
        "run": None, "tag": None, "step": 0, "logged": set(), "config": {},
        "step_metrics": {}, "step_globs": [], "last": {}, "axes": set(),
    }  # fmt: skip


_wandb: dict[str, Any] = _new_wandb_state()
_wandb_runs = {"count": 0}


def _patch_wandb(module_name: str, module: Any) -> None:
    if module_name == "wandb.sdk.wandb_run":
        _need(_wrap(module.Run, "__init__", _wandb_make_init), "wandb Run.__init__")
        _need(_wrap(module.Run, "log", _wandb_make_log), "wandb Run.log")
        _wrap(module.Run, "define_metric", _wandb_make_define_metric)
        _wrap(module.Run, "finish", _wandb_make_finish)
    elif module_name == "wandb.sdk.lib.noop_run":  # mode="disabled"
        _need(_wrap(module.NoopRun, "log", _wandb_make_log), "wandb NoopRun.log")
    elif module_name == "wandb.sdk.wandb_config":
        found = _wrap(module.Config, "update", _wandb_make_config)
        for name in ("__setitem__", "__setattr__", "setdefaults", "update_locked", "merge_locked"):
            _wrap(module.Config, name, _wandb_make_config)
        _need(found, "wandb Config.update")
    elif module_name == "wandb.sdk.wandb_summary":
        _wrap(module.Summary, "update", _wandb_make_summary)


def _wandb_make_init(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        new = []
        _safely("wandb", lambda: new.append(_wandb_new_run(self)))
        result = original(self, *args, **kwargs)
        if self is _wandb["run"]:  # init(config=...) as the program gave it
            if new and new[0]:
                _safely("wandb", lambda: _wandb_run_began(self))
            _safely("wandb", lambda: _report_wandb_config(getattr(self, "_config", None), {}))
        return result

    return wrapper


def _wandb_new_run(run: Any) -> bool:
    """A new wandb run (``wandb.init`` once more, a sweep agent's next run): its values are
    its own, at steps counted from 0 again."""
    if _wandb["run"] is run:
        return False
    _wandb.clear()
    _wandb.update(_new_wandb_state())
    _wandb["run"] = run
    _wandb_runs["count"] += 1
    _wandb["tag"] = _tracker_tag("wandb", _wandb_runs["count"])
    return True


def _tracker_tag(tracker: str, number: int) -> str:
    """``wandb:2``; in another process than the program (a worker it forked, one per fold),
    ``wandb:2@4711``: its counts went on from the program's at the fork."""
    if _state["owner"] == os.getpid():
        return f"{tracker}:{number}"
    return f"{tracker}:{number}@{os.getpid()}"


def _wandb_run_began(run: Any) -> None:
    settings = getattr(run, "_settings", None)
    name, run_id = getattr(settings, "run_name", None), getattr(settings, "run_id", None)
    _tracker_run_began(_wandb["tag"], name, run_id)


def _wandb_make_finish(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        tag = _wandb["tag"] if self is _wandb["run"] else None
        result = original(self, *args, **kwargs)
        if tag is not None and not _wandb.get("finished"):
            _wandb["finished"] = True
            code = args[0] if args else kwargs.get("exit_code")
            _safely("wandb", lambda: _tracker_run_ended(tag, code))
        return result

    return wrapper


def _wandb_make_define_metric(original: Any) -> Any:
    """``define_metric(name, step_metric=...)``: the values named (a name, or a ``prefix*``
    glob) go on that metric's values as their step, as wandb's charts plot them."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if self is _wandb["run"]:
            _safely("wandb", lambda: _note_wandb_step_metric(original, self, args, kwargs))
        return result

    return wrapper


def _note_wandb_step_metric(original: Any, run: Any, args: Any, kwargs: Any) -> None:
    given = _bound(original, (run, *args), kwargs)
    name, step_metric = given.get("name"), given.get("step_metric")
    step_metric = getattr(step_metric, "name", step_metric)  # a wandb Metric
    if not isinstance(name, str) or not isinstance(step_metric, str) or not step_metric:
        return
    sync = given.get("step_sync") is not False  # wandb's default: on with a step metric
    _wandb["axes"].add(step_metric)
    if name.endswith("*"):
        globs = [item for item in _wandb["step_globs"] if item[0] != name[:-1]]
        globs.append((name[:-1], step_metric, sync))
        globs.sort(key=lambda item: -len(item[0]))  # the longest prefix decides
        _wandb["step_globs"] = globs
    else:
        _wandb["step_metrics"][name] = (step_metric, sync)


def _wandb_step_metric(name: str) -> Any:
    found = _wandb["step_metrics"].get(name)
    if found is not None:
        return found
    for prefix, step_metric, sync in _wandb["step_globs"]:
        if name.startswith(prefix) and name != step_metric:
            return (step_metric, sync)
    return None


def _wandb_make_config(original: Any) -> Any:
    """A change of the run's config by the program (``config.update``, ``config.x = 1``,
    ``setdefaults``, a sweep's values). wandb's own reload of the config after ``init`` (JSON
    from its service, ``1.0`` back as ``1``) goes through ``_update`` and is not one."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        before = None
        if _wandb["run"] is not None and _wandb_config() is self:
            before = dict(self._items)
        result = original(self, *args, **kwargs)
        if before is not None:
            _safely("wandb", lambda: _report_wandb_config(self, before))
        return result

    return wrapper


def _wandb_config() -> Any:
    return getattr(_wandb["run"], "_config", None)


def _report_wandb_config(config: Any, before: dict[str, Any]) -> None:
    """The run's params: the values the program gave, key by key as they were set."""
    if config is None:
        return
    params = _wandb["config"]
    for key, value in list(config._items.items()):
        if not str(key).startswith("_") and (key not in before or before[key] is not value):
            params[key] = value
    report_params("wandb", params, tracker_run=_wandb["tag"])


def _wandb_make_log(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        before: list[Any] = []
        if self is _wandb["run"]:
            _safely("wandb", lambda: before.append(_wandb_step(self)))
        result = original(self, *args, **kwargs)
        if before:
            _safely("wandb", lambda: _report_wandb_log(before[0], args, kwargs))
        return result

    return wrapper


def _wandb_step(run: Any) -> int:
    """The step of the next ``log`` without ``step=``: wandb's own counter (``run.step``, kept
    in the process as ``_local_step``), or the same count kept here for a disabled run."""
    local = getattr(run, "_local_step", None)
    return local if isinstance(local, int) else int(_wandb["step"])


def _report_wandb_log(current: int, args: Any, kwargs: Any) -> None:
    """``log(data, step=None, commit=None)``: the values at the step wandb gives them (its
    own count, ``step=``; ``commit=False`` joins the next row), or at the values of the step
    metric ``define_metric`` named for them (the last one logged when the row has none), or,
    when the program names no step at all, at the row's own counter (``iter``, ``step``)."""
    data = args[0] if args else kwargs.get("data")
    step = args[1] if len(args) > 1 else kwargs.get("step")
    commit = args[2] if len(args) > 2 else kwargs.get("commit")
    if step is not None and step > _wandb["step"]:
        _wandb["step"] = step
    if (step is None and commit is None) or commit:
        _wandb["step"] += 1
    if step is not None and step < current:
        return  # wandb drops a step below its current one (with a warning)
    if not isinstance(data, dict) or _caller_past("wandb") in _TRACKER_CALLERS_SKIPPED:
        return
    values = _dotted(data)
    row_step = current if step is None else step
    last = _wandb["last"]
    counter = None
    if step is None and not _wandb["step_metrics"] and not _wandb["step_globs"]:
        counter = _row_counter(values)
    by_step: dict[Any, dict[str, Any]] = {}
    steps_used = set()
    for name, value in values.items():
        at = row_step
        defined = _wandb_step_metric(name)
        if defined is not None and defined[0] != name:
            step_value = values.get(defined[0])
            if step_value is None and defined[1]:
                step_value = last.get(defined[0])
            number = _number(step_value)
            if number is not None:
                at = number
                steps_used.add(defined[0])
        elif counter is not None and name != counter:
            at = values[counter]
            steps_used.add(counter)
        by_step.setdefault(at, {})[name] = value
    for name, value in values.items():
        number = _number(value)
        if number is not None:
            last[name] = number
    _wandb["logged"].update(values)
    axes = _wandb["axes"]  # step metrics named by define_metric: the axis, not a metric
    for at, group in by_step.items():
        group = {n: v for n, v in group.items() if n not in steps_used and n not in axes}
        report_metrics("wandb", group, step=at, tracker_run=_wandb["tag"])


def _row_counter(values: dict[str, Any]) -> Any:
    """The row's field that counts the program's steps (``iter``), when it has one: a whole,
    non-negative number."""
    lowered = {name.lower(): name for name in values}
    for candidate in _ROW_STEP_NAMES:
        name = lowered.get(candidate)
        if name is None:
            continue
        number = _number(values[name])
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if isinstance(number, int) and number >= 0:
            values[name] = number
            return name
    return None


def _wandb_make_summary(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        run = _wandb["run"]
        if run is not None and getattr(run, "summary", None) is self and args:
            _safely("wandb", lambda: _report_wandb_summary(args[0]))
        return result

    return wrapper


def _report_wandb_summary(values: Any) -> None:
    """``summary[name] = value`` of a name never logged (``test_acc``): a metric of one point
    per assignment. A logged name's summary is its series' last value; it adds nothing."""
    if isinstance(values, dict) and _caller_past("wandb") not in _TRACKER_CALLERS_SKIPPED:
        logged = _wandb["logged"]
        report_metrics(
            "wandb",
            {k: v for k, v in _dotted(values).items() if k not in logged},
            tracker_run=_wandb["tag"],
        )


# run_id -> its tag; the nested child runs' ids; run_id -> its params so far.
# children: a nested run's id -> its parent's (``start_run(nested=True)``)
_mlflow: dict[str, Any] = {"runs": {}, "children": {}, "params": {}, "ended": set()}
_signatures: dict[Any, Any] = {}


def _patch_mlflow(module_name: str, module: Any) -> None:
    if module_name == "mlflow.tracking.fluent":
        found = False
        for name in ("log_param", "log_params", "log_metric", "log_metrics"):
            found = _wrap(module, name, functools.partial(_mlflow_make, name, None)) or found
        _need(found, "mlflow.log_param / log_metric")
        _wrap(module, "end_run", functools.partial(_mlflow_make_end_run, module))
    elif module_name == "mlflow.tracking.client":
        client = module.MlflowClient
        for name in ("log_param", "log_metric", "log_batch"):
            _wrap(client, name, functools.partial(_mlflow_make, name, client))
        _wrap(client, "create_run", _mlflow_make_create_run)


def _mlflow_make(name: str, client: Any, original: Any) -> Any:
    """A fluent function (``client`` None) or an MlflowClient method, reported when it is not
    called by another one (the fluent API calls the client; autolog calls either)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _NestedCalls("mlflow") as depth:
            result = original(*args, **kwargs)
        if depth == 0:
            _safely("mlflow", lambda: _report_mlflow(name, client, original, args, kwargs))
        return result

    return wrapper


def _bound(function: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    signature = _signatures.get(function)
    if signature is None:
        inspect = _stdlib("inspect")

        signature = _signatures[function] = inspect.signature(function)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _report_mlflow(name: str, client: Any, original: Any, args: Any, kwargs: Any) -> None:
    given = _bound(original, args, kwargs)
    run_id = given.get("run_id")
    if client is None and run_id is None:
        active = sys.modules["mlflow.tracking.fluent"].active_run()
        run_id = active.info.run_id if active is not None else None
    tag = _mlflow_tag(run_id)
    if tag is None:
        return
    params: dict[str, Any] = {}
    metrics: dict[Any, dict[str, Any]] = {}  # step -> values
    if name == "log_param":
        params[str(given["key"])] = given["value"]
    elif name == "log_params":
        params.update((str(key), value) for key, value in dict(given["params"]).items())
    elif name == "log_metric":
        metrics[given.get("step")] = {str(given["key"]): given["value"]}
    elif name == "log_metrics":
        metrics[given.get("step")] = {str(key): v for key, v in dict(given["metrics"]).items()}
    else:  # log_batch: entities, params' values already text
        for param in given.get("params") or ():
            params[str(param.key)] = _from_text(param.value)
        for metric in given.get("metrics") or ():
            metrics.setdefault(metric.step, {})[str(metric.key)] = metric.value
    if params:
        run_params = _mlflow["params"].setdefault(run_id, {})
        run_params.update(params)
        report_params("mlflow", run_params, tracker_run=tag)
    if metrics and _caller_past("mlflow") not in _TRACKER_CALLERS_SKIPPED:
        for step, values in metrics.items():
            report_metrics("mlflow", values, step=step, tracker_run=tag)


def _mlflow_tag(run_id: Any) -> str | None:
    """The tag of the tracker run ``run_id`` (numbered as first logged to); a nested run's
    (``start_run(nested=True)``, a trial of a search the program logs itself) names its
    parent's id, so that it is a child run and its parent keeps its own values."""
    if run_id is None:
        return None
    runs = _mlflow["runs"]
    tag = runs.get(run_id)
    if tag is None:
        name = None
        active = sys.modules["mlflow.tracking.fluent"].active_run()
        if active is not None and active.info.run_id == run_id:
            name = getattr(active.info, "run_name", None)
        tag = _tracker_tag("mlflow", len(runs) + 1)
        parent = _mlflow["children"].get(run_id)
        runs[run_id] = _tracker_run_began(tag, name, run_id, parent)
    return str(tag)


def _mlflow_make_end_run(fluent: Any, original: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ended: list[Any] = []
        _safely("mlflow", lambda: ended.append(_mlflow_ending(fluent)))
        result = original(*args, **kwargs)
        if ended and ended[0] is not None:
            status = args[0] if args else kwargs.get("status", "FINISHED")
            code = 0 if status == "FINISHED" else 1
            _safely("mlflow", lambda: _tracker_run_ended(ended[0], code))
        return result

    return wrapper


def _mlflow_ending(fluent: Any) -> Any:
    """The tag of the active run that ``end_run`` ends, if it is a recorded one."""
    active = fluent.active_run()
    run_id = active.info.run_id if active is not None else None
    tag = _mlflow["runs"].get(run_id)
    if tag is None or run_id in _mlflow["ended"]:
        return None
    _mlflow["ended"].add(run_id)
    return tag


def _mlflow_make_create_run(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        run = original(self, *args, **kwargs)
        _safely("mlflow", lambda: _note_mlflow_child(original, self, args, kwargs, run))
        return run

    return wrapper


def _note_mlflow_child(original: Any, client: Any, args: Any, kwargs: Any, run: Any) -> None:
    tags = _bound(original, (client, *args), kwargs).get("tags")
    if isinstance(tags, dict) and tags.get(_PARENT_RUN_TAG):
        _mlflow["children"][run.info.run_id] = str(tags[_PARENT_RUN_TAG])


def _from_text(text: Any) -> Any:
    """A param MLflow has already made text (``str(value)``) as the value it spells."""
    if not isinstance(text, str):
        return text
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        return value if str(value) == text else text
    return text


# --- flair: the ModelTrainer's settings -------------------------------------------------------


def _patch_flair(_name: str, module: Any) -> None:
    """``ModelTrainer(tagger, corpus).train("out", learning_rate=0.1, mini_batch_size=32,
    max_epochs=10)`` (and ``fine_tune``): the settings it trains with as the ``flair`` params,
    the defaults that say how it trains included (flair prints them as its "Training Params")."""
    trainer = getattr(module, "ModelTrainer", None)
    found = isinstance(trainer, type)
    for method in ("train", "fine_tune"):
        found = found and _wrap(trainer, method, _flair_make_train)
    _need(found, "flair ModelTrainer.train and fine_tune")


def _flair_make_train(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        _safely("flair", lambda: _report_flair(original, self, args, kwargs))
        return original(self, *args, **kwargs)

    return wrapper


# Recorded at their defaults too: how long, how fast and in what batches it trains, and how
# train()'s annealing or fine_tune()'s warmup changes the learning rate.
_FLAIR_SETTINGS = (
    "learning_rate", "mini_batch_size", "max_epochs", "optimizer",
    "anneal_factor", "patience", "min_learning_rate", "warmup_fraction",
)  # fmt: skip
# Where it writes, what it logs and keeps, and objects: never a setting of the training.
_FLAIR_NOT_PARAMS = frozenset(
    {
        "self", "base_path", "plugins", "sampler", "embeddings_storage_mode",
        "create_file_logs", "create_loss_file", "write_weights", "save_final_model",
        "save_optimizer_state", "save_model_each_k_epochs", "gold_label_dictionary_for_eval",
        "exclude_labels", "multi_gpu", "epoch", "monitor_test", "monitor_train_sample",
    }
)  # fmt: skip


def _report_flair(original: Any, trainer: Any, args: Any, kwargs: Any) -> None:
    bound = _bound_with_defaults(original, (trainer, *args), kwargs)
    given = set(kwargs) | set(list(bound)[: len(args) + 1])
    params = {
        name: getattr(value, "__name__", value) if name == "optimizer" else value
        for name, value in bound.items()
        if name not in _FLAIR_NOT_PARAMS and (name in _FLAIR_SETTINGS or name in given)
    }
    report_params("flair", params)


# --- GluonTS: the estimator's arguments ---------------------------------------------------------


def _patch_gluonts(_name: str, module: Any) -> None:
    """``DeepAREstimator(prediction_length=12, freq="M", ...).train(data)`` (any of GluonTS's
    torch estimators): the arguments the estimator was made with, its defaults included
    (GluonTS keeps them as ``__init_args__``), as the ``gluonts`` params; its
    ``trainer_kwargs`` are the Lightning ``Trainer``'s, recorded as that trains."""
    estimator = getattr(module, "PyTorchLightningEstimator", None)
    make = _then_report_before("gluonts", _report_gluonts)
    found = isinstance(estimator, type) and _wrap(estimator, "train", make)
    _need(found, "gluonts PyTorchLightningEstimator.train")


def _report_gluonts(estimator: Any) -> None:
    arguments = getattr(estimator, "__init_args__", None)
    if not isinstance(arguments, dict):
        return
    params = {
        str(name): value if isinstance(value, (bool, int, float, str)) else type(value).__name__
        for name, value in arguments.items()
        if value is not None and name != "trainer_kwargs" and not isinstance(value, (dict, list))
    }
    report_params("gluonts", params)


# --- Stable-Baselines3: the algorithm's hyperparameters ---------------------------------------


def _patch_sb3(_name: str, module: Any) -> None:
    """``PPO("MlpPolicy", env, n_steps=256, ...)`` (any algorithm, rl-baselines3-zoo's too):
    the arguments of the algorithm's ``__init__``, its defaults included (``gamma``,
    ``clip_range``), as the params of the source ``stable_baselines3``."""
    base = module.BaseAlgorithm
    _need(_wrap(base, "__init__", _sb3_make_init), "stable_baselines3 BaseAlgorithm.__init__")
    if os.environ.get(_AUTO_OUTPUTS_ENV) != "0":
        _wrap(base, "save", _sb3_make_save)


def _sb3_make_init(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        _safely("stable_baselines3", lambda: _report_sb3_arguments(self))
        return original(self, *args, **kwargs)

    return wrapper


def _sb3_make_save(original: Any) -> Any:
    """``model.save("ppo_cartpole")`` writes ``ppo_cartpole.zip``: SB3 adds the suffix to a
    path without one."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        target = args[0] if args else kwargs.get("path")
        if isinstance(target, (str, os.PathLike)) and not os.path.splitext(target)[1]:
            target = os.fspath(target) + ".zip"
        _safely("saves", lambda: _report_saved(target))
        return result

    return wrapper


# Arguments that say where and how loudly it runs, not what it learns.
_SB3_NOT_PARAMS = frozenset(
    {"self", "verbose", "device", "tensorboard_log", "_init_setup_model", "monitor_wrapper"}
)


def _report_sb3_arguments(model: Any) -> None:
    """The locals of the outermost ``__init__`` of ``model`` now running (``PPO.__init__``,
    or a subclass's): its arguments as the program gave them or their defaults. ``load``
    builds a model with ``_init_setup_model=False`` and then sets the saved values: not a
    model the program configured. Two models configured differently: neither's are the run's."""
    frame: Any = sys._getframe(1)
    outermost = None
    while frame is not None:
        if frame.f_code.co_name == "__init__" and frame.f_locals.get("self") is model:
            outermost = frame
        frame = frame.f_back
    if outermost is None:
        return
    code = outermost.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    given = outermost.f_locals
    if given.get("_init_setup_model") is False:
        return
    params: dict[str, Any] = {}
    for name in names[:_MAX_ITEMS]:
        value = _sb3_value(given.get(name)) if name not in _SB3_NOT_PARAMS else None
        if value is not None:
            params[name] = value
    seen = _state.setdefault("sb3", [])
    if params not in seen:
        seen.append(params)
    report_params("stable_baselines3", params if len(seen) == 1 else {})


def _sb3_value(value: Any) -> Any:
    """A number, text, flag, dict or list as it is; a class (the policy's) by its name; an
    environment by its registered id (``CartPole-v1``); a schedule or noise object that spells
    its settings (``SimpleLinearSchedule(initial_value=0.001)``, rl-baselines3-zoo's
    ``lin_0.001``) by that text; no other object (a plain function)."""
    if isinstance(value, (bool, int, float, str, dict, list, tuple)):
        return _plain(value, 0)
    if isinstance(value, type):
        return value.__name__
    kind: Any = type(value)
    if callable(value) and kind.__repr__ is not object.__repr__ and kind.__module__ != "builtins":
        return repr(value)[:200]  # not a function's "<function <lambda> at 0x7f...>"
    spec = getattr(value, "spec", None)
    if spec is None and callable(getattr(value, "get_attr", None)):  # a VecEnv
        specs = value.get_attr("spec", [0])
        spec = specs[0] if specs else None
    env_id = getattr(spec, "id", None)
    return env_id if isinstance(env_id, str) else _number(value)


# --- sacred and dvclive: trackers whose runs are the process's ------------------------------


def _patch_sacred(module_name: str, module: Any) -> None:
    """``@ex.automain`` / ``ex.run()``: the run's config (its config scope with the command
    line's ``with lr=0.1`` applied, and the seed sacred adds) as params; ``log_scalar`` values
    at the step sacred gives them (its own counter per name when none is passed); a number the
    main function returns as ``result``, the value sacred's observers store."""
    if module_name == "sacred.experiment":
        _wrap(module.Experiment, "run_commandline", _sacred_make_run_commandline)
        return
    _need(_wrap(module.Run, "__call__", _sacred_make_call), "sacred Run.__call__")
    _need(
        _wrap(module.Run, "log_scalar", _then_report_call("sacred", _report_sacred_scalar)),
        "sacred Run.log_scalar",
    )


def _sacred_make_run_commandline(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        _safely("sacred", lambda: _note_sacred_options(self))
        return original(self, *args, **kwargs)

    return wrapper


def _note_sacred_options(experiment: Any) -> None:
    """sacred's own command-line options (``-F runs``, ``--name``, ``-m``): the program's
    command line names them, but they say where sacred stores a run, not what it runs.
    As aliases of no param (``""``), the recorder leaves them out of the argv params."""
    names: dict[str, str] = {}
    for option in list(getattr(experiment, "all_cli_options", ()))[:_MAX_ITEMS]:
        for flag in option.get_flags():
            if isinstance(flag, str) and flag.strip("-"):
                names[flag.lstrip("-").replace("-", "_")] = ""
    _state["sacred_options"] = names


def _sacred_make_call(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        _safely(
            "sacred",
            lambda: report_params("sacred", self.config, _state.get("sacred_options")),
        )
        result = original(self, *args, **kwargs)
        _safely("sacred", lambda: report_metrics("sacred", {"result": result}))
        return result

    return wrapper


def _report_sacred_scalar(original: Any, run: Any, args: Any, kwargs: Any) -> None:
    given = _bound(original, (run,) + tuple(args), kwargs)
    name = given.get("metric_name")
    step = given.get("step")
    if step is None:  # the step sacred counted for it
        step = getattr(getattr(run, "_metrics", None), "_metric_step_counter", {}).get(name)
    report_metrics("sacred", {str(name): given.get("value")}, step=step)


_dvclive: dict[str, Any] = {"logged": set(), "summary": {}}


def _patch_dvclive(_name: str, module: Any) -> None:
    """``Live``: ``log_metric`` values at the live's step (``next_step`` counts them), its
    params (``log_param(s)``), and ``summary[name] = value`` of a name never logged (a test
    score), reported once per value when the summary is written."""
    live = module.Live
    _need(
        _wrap(live, "log_metric", _then_report_call("dvclive", _report_dvclive_metric)),
        "dvclive Live.log_metric",
    )
    _wrap(live, "log_params", _dvclive_make_log_params)
    _wrap(live, "make_summary", _dvclive_make_summary)


def _report_dvclive_metric(original: Any, live: Any, args: Any, kwargs: Any) -> None:
    # dvclive's own Lightning, Keras, HF... callbacks: those frameworks are captured directly.
    if _caller_past("dvclive") in _TRACKER_CALLERS_SKIPPED:
        return
    given = _bound(original, (live,) + tuple(args), kwargs)
    name = str(given.get("name"))
    _dvclive["logged"].add(name)
    report_metrics("dvclive", {name: given.get("val")}, step=getattr(live, "step", None))


def _dvclive_make_log_params(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        _safely("dvclive", lambda: _report_dvclive_params(self))
        return result

    return wrapper


def _report_dvclive_params(live: Any) -> None:
    if _caller_past("dvclive") not in _TRACKER_CALLERS_SKIPPED:  # Lightning's hparams: its own
        report_params("dvclive", getattr(live, "_params", {}))


def _dvclive_make_summary(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        _safely("dvclive", lambda: _report_dvclive_summary(getattr(self, "summary", None)))
        return result

    return wrapper


def _report_dvclive_summary(summary: Any) -> None:
    if not isinstance(summary, dict) or _caller_past("dvclive") in _TRACKER_CALLERS_SKIPPED:
        return
    reported = _dvclive["summary"]
    new: dict[str, Any] = {}
    for name, value in _dotted(summary, separator="/").items():
        if name not in _dvclive["logged"] and reported.get(name, new) != value:
            reported[name] = new[name] = value
    report_metrics("dvclive", new)


# --- Comet: an Experiment or OfflineExperiment ---------------------------------------------

_comet: dict[str, Any] = {"params": {}}


def _patch_comet(_name: str, module: Any) -> None:
    """``log_metric(s)`` values at Comet's step (``step=``, else the last one set: Comet keeps
    it), named as Comet names them (``train_loss`` inside ``with experiment.train():``);
    ``log_parameter(s)`` as params of the source ``comet``. What Comet's own autologgers log
    (``framework=``: Keras, Lightning...) is left to those frameworks' sources."""
    experiment = module.CometExperiment
    _need(
        _wrap(experiment, "_log_metric", _then_report_call("comet", _report_comet_metric)),
        "comet _log_metric",
    )
    _wrap(experiment, "_log_parameter", _then_report_call("comet", _report_comet_parameter))


def _report_comet_metric(original: Any, experiment: Any, args: Any, kwargs: Any) -> None:
    given = _bound(original, (experiment,) + tuple(args), kwargs)
    if not _comet_by_program(given, ("log_metric", "log_metrics")):
        return
    if not getattr(experiment, "alive", True):
        return
    name = experiment._fullname(str(given.get("name")), given.get("include_context", True))
    step = getattr(experiment, "curr_step", None)
    report_metrics("comet", {name: given.get("value")}, step=step)


def _comet_by_program(given: dict[str, Any], public: tuple[str, ...]) -> bool:
    """Whether the program logged it through Comet's API (``public``): not Comet itself
    (its ``process duration`` at ``end``), not an autologger (``framework=``), not a
    framework captured directly calling Comet's callback."""
    if given.get("framework") or _caller_past("comet_ml") in _TRACKER_CALLERS_SKIPPED:
        return False
    frame: Any = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name in public and str(frame.f_globals.get("__name__", "")).startswith(
            "comet_ml"
        ):
            return True
        frame = frame.f_back
    return False


def _report_comet_parameter(original: Any, experiment: Any, args: Any, kwargs: Any) -> None:
    given = _bound(original, (experiment,) + tuple(args), kwargs)
    if not _comet_by_program(given, ("log_parameter", "log_parameters")):
        return
    name = experiment._fullname(str(given.get("name")), given.get("include_context", True))
    _comet["params"][name] = given.get("value")
    report_params("comet", _comet["params"])


# --- neptune: a Run's fields -------------------------------------------------------------------

# The namespaces neptune's docs and integrations keep a run's settings in.
_NEPTUNE_PARAM_NAMESPACES = frozenset(
    {"parameters", "params", "hparams", "hyperparameters", "config", "cfg", "args"}
)
# Neptune's own: the run's system fields, hardware monitoring, the source files.
_NEPTUNE_OWN_NAMESPACES = frozenset({"sys", "monitoring", "source_code"})
_neptune: dict[str, Any] = {"params": {}, "last_step": {}}


def _patch_neptune(_name: str, module: Any) -> None:
    """``run["parameters"] = {...}`` (and ``params``, ``config``... namespaces) as params of
    the source ``neptune``; ``run["train/loss"].append(v)`` (``extend``, ``log``) at ``step=``
    or neptune's own (the last step + 1, from 0); a float assigned elsewhere
    (``run["test/acc"] = 0.8``) as a metric of one point."""
    handler = module.Handler
    _need(_wrap(handler, "extend", _neptune_make("extend")), "neptune Handler.extend")
    _wrap(handler, "log", _neptune_make("log"))
    _wrap(handler, "assign", _neptune_make("assign"))


def _neptune_make(kind: str) -> Callable[[Any], Any]:
    def make(original: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _NestedCalls("neptune") as depth:
                result = original(self, *args, **kwargs)
            if depth == 0:
                _safely("neptune", lambda: _report_neptune(kind, original, self, args, kwargs))
            return result

        return wrapper

    return make


def _report_neptune(kind: str, original: Any, handler: Any, args: Any, kwargs: Any) -> None:
    caller = _caller_past("neptune")
    if caller in _TRACKER_CALLERS_SKIPPED or caller in ("", "threading"):
        return  # a framework's neptune logger, or neptune's own threads
    given = _bound(original, (handler,) + tuple(args), kwargs)
    path = str(getattr(handler, "_path", ""))
    if kind == "assign":
        value = given.get("value")
        fields = {path: value}
        if isinstance(value, dict):
            fields = _dotted(value, path + "/" if path else "", separator="/")
        noted = [_note_neptune_field(name, item) for name, item in fields.items()]
        if any(noted):
            report_params("neptune", _neptune["params"])
        return
    values = given.get("values" if kind == "extend" else "value")
    steps = given.get("steps") if kind == "extend" else given.get("step")
    series = values if isinstance(values, dict) else {"": values}
    for key, points in list(series.items())[:_MAX_ITEMS]:
        _report_neptune_points(path + "/" + str(key) if key else path, points, steps)


def _note_neptune_field(name: str, value: Any) -> bool:
    """Whether the field is a param (noted, to report once for the whole assignment)."""
    namespace, _, rest = name.partition("/")
    if namespace in _NEPTUNE_OWN_NAMESPACES:
        return False
    value = getattr(value, "value", value) if type(value).__name__ == "StringifyValue" else value
    if namespace in _NEPTUNE_PARAM_NAMESPACES and rest:
        node = _neptune["params"]
        parts = rest.split("/")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
        return True
    if isinstance(value, float):  # a result (test/acc); a whole number may be a setting
        report_metrics("neptune", {name: value})
    return False


def _report_neptune_points(name: str, points: Any, steps: Any) -> None:
    if name.partition("/")[0] in _NEPTUNE_OWN_NAMESPACES:
        return
    if not isinstance(points, (list, tuple)):
        points, steps = [points], [steps] if steps is not None else None
    given_steps = list(steps) if isinstance(steps, (list, tuple)) else None
    last = _neptune["last_step"]
    for index, value in enumerate(list(points)[:_MAX_ITEMS]):
        step = given_steps[index] if given_steps and index < len(given_steps) else None
        if step is None:
            step = last.get(name, -1) + 1
        last[name] = step
        report_metrics("neptune", {name: value}, step=step)


# --- aim: a Run's params and tracked sequences ------------------------------------------------

_aim: dict[str, Any] = {"params": {}, "next_step": {}}


def _patch_aim(_name: str, module: Any) -> None:
    """``run["hparams"] = {...}`` (its values as params of the source ``aim``, as wandb's
    config) and any other ``run[key] = value`` as the param ``key``; ``run.track(value,
    name=..., step=..., context={"subset": "train"})`` as the series ``train/loss`` (the
    context's values, then the name) at ``step`` or aim's own count (one past the highest
    step so far, from 0). Aim's own (``__system__`` names and params) and what a framework's
    aim callback tracks are left out."""
    run = module.Run
    _need(_wrap(run, "track", _then_report_call("aim", _report_aim_track)), "aim Run.track")
    _wrap(run, "__setitem__", _aim_make_set)


def _report_aim_track(original: Any, run: Any, args: Any, kwargs: Any) -> None:
    if _caller_past("aim") in _TRACKER_CALLERS_SKIPPED:
        return
    given = _bound(original, (run,) + tuple(args), kwargs)
    value, name, step = given.get("value"), given.get("name"), given.get("step")
    values = value if isinstance(value, dict) and name is None else {name: value}
    context = given.get("context")
    prefix = ""
    if isinstance(context, dict) and context:
        prefix = "/".join(str(part) for part in list(context.values())[:_MAX_ITEMS]) + "/"
    for key, item in list(values.items())[:_MAX_ITEMS]:
        if key is None or str(key).startswith("__") or _number(item) is None:
            continue
        series = prefix + str(key)
        at = step if isinstance(step, int) else _aim["next_step"].get(series, 0)
        _aim["next_step"][series] = max(_aim["next_step"].get(series, 0), at + 1)
        report_metrics("aim", {series: item}, step=at)


def _aim_make_set(original: Any) -> Any:
    def wrapper(self: Any, key: Any, value: Any) -> Any:
        result = original(self, key, value)
        _safely("aim", lambda: _report_aim_param(key, value))
        return result

    return wrapper


def _report_aim_param(key: Any, value: Any) -> None:
    if key is Ellipsis:  # ``run[...] = params``: all of them anew
        _aim["params"] = dict(value) if isinstance(value, dict) else {}
    elif isinstance(key, str) and not key.startswith("__"):
        if key == "hparams" and isinstance(value, dict):
            _aim["params"].update(value)
        else:
            _aim["params"][key] = value
    else:
        return
    report_params("aim", {k: v for k, v in _aim["params"].items() if not str(k).startswith("__")})


# --- d3rlpy: an offline RL algorithm's config and epochs ---------------------------------------


def _patch_d3rlpy(_name: str, module: Any) -> None:
    """``algo.fit(dataset, n_steps=...)``: the algorithm's config (``DQNConfig(batch_size=32,
    gamma=0.95)`` and its defaults, as d3rlpy's ``params.json`` holds it) as params of the
    source ``d3rlpy``, with its kind as ``algo``; each epoch's metrics (``loss``, the
    evaluators' ``td_error``...) at the step d3rlpy commits them, not its ``time_*`` timings.
    Its log folder's CSV files hold those values again (and gradient statistics): not read."""
    logger = module.D3RLPyLogger
    _need(_wrap(logger, "commit", _d3rlpy_make_commit), "d3rlpy D3RLPyLogger.commit")
    _wrap(logger, "add_params", _then_report_call("d3rlpy", _report_d3rlpy_params))


def _report_d3rlpy_params(original: Any, logger: Any, args: Any, kwargs: Any) -> None:
    params = _bound(original, (logger,) + tuple(args), kwargs).get("params")
    config = params.get("config") if isinstance(params, dict) else None
    if isinstance(config, dict) and isinstance(config.get("params"), dict):
        report_params("d3rlpy", {"algo": config.get("type"), **config["params"]})
    _report_covered_folder(getattr(getattr(logger, "adapter", None), "_logdir", None))


def _d3rlpy_make_commit(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        metrics = original(self, *args, **kwargs)
        _safely("d3rlpy", lambda: _report_d3rlpy_epoch(original, self, args, kwargs, metrics))
        return metrics

    return wrapper


def _report_d3rlpy_epoch(original: Any, logger: Any, args: Any, kwargs: Any, metrics: Any) -> None:
    if isinstance(metrics, dict):
        step = _bound(original, (logger,) + tuple(args), kwargs).get("step")
        values = {k: v for k, v in metrics.items() if not str(k).startswith("time_")}
        report_metrics("d3rlpy", values, step=step)


# --- the packages the program used --------------------------------------------------------


def report_used_packages() -> None:
    _safely("world_size", _report_world_size)
    _safely("used", _report_used_packages)


def _report_world_size() -> None:
    """At exit, rank 0 of a distributed run says its world size even when nothing else was
    reported in process (metrics printed and parsed from the output, as most scripts do)."""
    if _state["world_size_reported"] or not _is_rank_zero():
        return
    size = _world_size()
    if size is not None:
        _state["world_size_reported"] = True
        _write({"_runledger": "fact", "world_size": size})


def _report_used_packages() -> None:
    stdlib = getattr(sys, "stdlib_module_names", None)
    if stdlib is None or not _is_rank_zero():
        return  # Python 3.8 and 3.9 cannot tell the standard library apart cheaply
    top_level = set()
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top and top not in stdlib and not top.startswith("_runledger"):
            top_level.add(top)
    top_level.discard("sitecustomize")
    top_level.discard("__main__")
    top_level.discard("__mp_main__")
    top_level -= set(sys.builtin_module_names)
    top_level -= _state.get("preloaded", frozenset())
    packages = {}  # type: dict[str, str]
    if top_level:
        # importlib.metadata imports more (email...) as it reads: all of it the standard's.
        _stdlib_only(lambda: _find_versions(top_level, packages))
    # Written when empty too: a program of the standard library alone (and its own modules)
    # needs no package installed, which `env` and `reproduce --venv` must be able to tell
    # from a run that never said.
    _write({"_runledger": "used", "packages": packages})


def _find_versions(top_level: set[str], packages: dict[str, str]) -> None:
    """The installed distributions that provide the modules ``top_level``, with versions."""
    metadata = _stdlib("importlib.metadata")
    by_module = metadata.packages_distributions()
    for top in sorted(top_level):
        for dist_name in by_module.get(top, ()):
            if dist_name not in packages:
                try:
                    packages[dist_name] = metadata.version(dist_name)
                except Exception:  # noqa: BLE001
                    continue


# --- saved files ------------------------------------------------------------------------------

# Module -> (class or None for the module itself, function, position of the path among the
# call's arguments (a method's self counts), its keyword name): the calls that save a model,
# weights or generated images to a path, reported as ``{"_runledger": "saved", "path":
# "/abs/path"}`` once per path after the call returned (the file is written). A file-like
# target (``torch.save(obj, buffer)``, what ultralytics and Lightning do) names no file:
# nothing is reported.
_SAVES = {
    "torch.serialization": ((None, "save", 1, "f"),),
    "safetensors.torch": ((None, "save_file", 1, "filename"),),
    "safetensors.numpy": ((None, "save_file", 1, "filename"),),
    "joblib.numpy_pickle": ((None, "dump", 1, "filename"),),
    "xgboost.core": (
        ("Booster", "save_model", 1, "fname"),
        ("Booster", "dump_model", 1, "fout"),  # the trees as text or JSON
        ("DMatrix", "save_binary", 1, "fname"),
    ),
    "lightgbm.basic": (
        ("Booster", "save_model", 1, "filename"),
        ("Dataset", "save_binary", 1, "filename"),
    ),
    "catboost.core": (("CatBoost", "save_model", 1, "fname"),),
    "keras.src.saving.saving_api": (
        (None, "save_model", 1, "filepath"),  # Model.save
        (None, "save_weights", 1, "filepath"),  # Model.save_weights
    ),
    # the epochs' log a Keras program keeps beside its model (CSVLogger("training.log"))
    "keras.src.callbacks.csv_logger": (("CSVLogger", "__init__", 1, "filename"),),
    # a folder: its files written during the run are recorded (config.json with the weights)
    "transformers.modeling_utils": (("PreTrainedModel", "save_pretrained", 1, "save_directory"),),
    "transformers.tokenization_utils_base": (
        ("PreTrainedTokenizerBase", "save_pretrained", 1, "save_directory"),
    ),
    # ModelCheckpoint and Trainer.save_checkpoint (which torch.save into a buffer)
    "lightning.fabric.plugins.io.torch_io": (("TorchCheckpointIO", "save_checkpoint", 2, "path"),),
    "lightning_fabric.plugins.io.torch_io": (("TorchCheckpointIO", "save_checkpoint", 2, "path"),),
    "d3rlpy.base": (
        ("LearnableBase", "save", 1, "fname"),
        ("LearnableBase", "save_model", 1, "fname"),
    ),
    # the sample grids a GAN or VAE writes (pytorch/examples dcgan's fake_samples_epoch_*.png)
    "torchvision.utils": ((None, "save_image", 1, "fp"),),
    # zips the folder it was given into "<path>.zip", removes the folder, returns the zip's path
    "pytorch_tabnet.abstract_model": (("TabModel", "save_model", 1, "path"),),
}
_AUTO_OUTPUTS_ENV = "RUNLEDGER_AUTO_OUTPUTS"
_MAX_SAVED = 1000


def _patch_saves(module_name: str, module: Any) -> None:
    if os.environ.get(_AUTO_OUTPUTS_ENV) == "0":
        return
    for owner_name, function, position, keyword in _SAVES.get(module_name, ()):
        owner = module if owner_name is None else getattr(module, owner_name, None)
        _need(callable(getattr(owner, function, None)), f"{module_name}.{function}")
        _wrap(owner, function, _reporting_save(function, position, keyword))


def _reporting_save(function: str, position: int, keyword: str) -> Callable[[Any], Any]:
    def make(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            target = args[position] if len(args) > position else kwargs.get(keyword)
            _safely("saves", lambda: _report_saved(target))
            if isinstance(result, str) and result != target:
                # the file it wrote under another name than it was given (tabnet's .zip)
                _safely("saves", lambda: _report_saved(result))
            return result

        return wrapper

    return make


def _report_saved(target: Any) -> None:
    """The path saved to, absolute now (the program may change directory later), once."""
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    if not isinstance(target, (str, os.PathLike)):
        return
    path = os.path.abspath(os.fspath(target))
    if not isinstance(path, str):
        return
    seen = _state.setdefault("saved", set())
    if path in seen or len(seen) >= _MAX_SAVED:
        return
    seen.add(path)
    _write({"_runledger": "saved", "path": path})


_PATCHERS = {
    "saves": _patch_saves,
    "argparse": _patch_argparse,
    "click": _patch_click,
    "hydra": _patch_hydra,
    "jsonargparse": _patch_jsonargparse,
    "absl": _patch_absl,
    "tyro": _patch_tyro,
    "fire": _patch_fire,
    "simple_parsing": _patch_simple_parsing,
    "hf_argparser": _patch_hf_argparser,
    "omegaconf": _patch_omegaconf,
    "docopt": _patch_docopt,
    "gin": _patch_gin,
    "keras": _patch_keras,
    "lightning": _patch_lightning,
    "lightning_fabric": _patch_lightning_fabric,
    "transformers": _patch_transformers,
    "training_arguments": _patch_training_arguments,
    "sentence_evaluators": _patch_sentence_evaluators,
    "setfit": _patch_setfit,
    "peft": _patch_peft,
    "tensorboard": _patch_tensorboard,
    "tensorboard_hparams": _patch_tensorboard_hparams,
    "xgboost": _patch_xgboost,
    "lightgbm": _patch_lightgbm,
    "sklearn": _patch_sklearn,
    "sklearn_candidates": _patch_sklearn_candidates,
    "sktime": _patch_sktime,
    "catboost": _patch_catboost,
    "spacy": _patch_spacy,
    "optuna": _patch_optuna,
    "wandb": _patch_wandb,
    "mlflow": _patch_mlflow,
    "sacred": _patch_sacred,
    "stable_baselines3": _patch_sb3,
    "flair": _patch_flair,
    "gluonts": _patch_gluonts,
    "dvclive": _patch_dvclive,
    "comet": _patch_comet,
    "neptune": _patch_neptune,
    "aim": _patch_aim,
    "d3rlpy": _patch_d3rlpy,
    "torch_optim": _patch_torch_optim,
    "torch_dataloader": _patch_torch_dataloader,
    "optax": _patch_optax,
    "optax_schedules": _patch_optax_schedules,
    "optax_inject": _patch_optax_inject,
    "flaml": _patch_flaml,
    "gensim": _patch_gensim,
    "pykeen": _patch_pykeen,
    "pmdarima": _patch_pmdarima,
    "prophet": _patch_prophet,
    "numpyro": _patch_numpyro,
    "pymc": _patch_pymc,
    "fasttext": _patch_fasttext,
    "keras_tuner": _patch_keras_tuner,
    "implicit": _patch_implicit,
    "hyperopt": _patch_hyperopt,
    "surprise": _patch_surprise,
    "nevergrad": _patch_nevergrad,
}  # type: dict[str, Callable[[str, Any], None]]
