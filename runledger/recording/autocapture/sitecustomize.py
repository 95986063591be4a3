"""runledger's in-process capture, loaded by the program's own interpreter at start-up.

``runledger exec`` puts this folder first on a Python command's PYTHONPATH, so the
interpreter's ``site`` imports this module as ``sitecustomize``. It must cost almost nothing
(the README's Performance table quotes the figure from benchmarks/bench_autocapture.py) and it
runs under whatever Python the program uses, 3.8 and later, with the standard library only:

1. It installs one ``sys.meta_path`` finder that answers for the hooked module names alone.
   Nothing is imported or patched until the program itself imports one of those libraries;
   then the library runs as usual and the hooks in ``_runledger_autocapture.py`` (loaded from
   this folder by path, at that moment) wrap a few of its functions.
2. It takes its folder off ``sys.path``, so the program sees the path it would have bare.
3. It runs the ``sitecustomize`` that this one hides (conda's, Debian's, the user's), last and
   unguarded, so that one behaves exactly as without runledger, errors included.

Off when RUNLEDGER_AUTOCAPTURE is 0, when there is no RUNLEDGER_METRICS_FILE to report to, and
on Pythons before 3.8, where it only runs the hidden sitecustomize. The syntax stays Python 2's
(type comments, no annotations), so even a Python 2 program runs exactly as bare.
"""

import os
import sys

MYPY = False
if MYPY:  # pragma: no cover - used in type comments, which keep the file Python 2 syntax
    from collections.abc import Sequence  # noqa: F401
    from importlib.machinery import ModuleSpec  # noqa: F401
    from types import ModuleType  # noqa: F401
    from typing import Any  # noqa: F401

_HERE = os.path.dirname(os.path.abspath(__file__))
_HOOKS_FILE = os.path.join(_HERE, "_runledger_autocapture.py")
_OWNER_ENV = "RUNLEDGER_AUTOCAPTURE_OWNER"

# Module name -> the hook in _runledger_autocapture that patches it once it has run.
HOOKED = {
    "argparse": "argparse",
    "click.core": "click",
    "typer._click.core": "click",  # typer 0.26 and later vendor click
    "hydra.core.utils": "hydra",
    "jsonargparse": "jsonargparse",
    "absl.flags": "absl",
    "tyro._cli": "tyro",
    "fire.core": "fire",
    "gin.config": "gin",
    "simple_parsing.parsing": "simple_parsing",
    "transformers.hf_argparser": "hf_argparser",
    "omegaconf.omegaconf": "omegaconf",
    "docopt": "docopt",
    "keras": "keras",
    "tf_keras": "keras",
    "lightning.pytorch.trainer.connectors.logger_connector.logger_connector": "lightning",
    "pytorch_lightning.trainer.connectors.logger_connector.logger_connector": "lightning",
    "lightning.fabric.fabric": "lightning_fabric",
    "lightning_fabric.fabric": "lightning_fabric",
    "transformers.trainer": "transformers",
    "transformers.training_args": "training_arguments",
    "sentence_transformers.base.evaluation.evaluator": "sentence_evaluators",
    "sentence_transformers.evaluation.SentenceEvaluator": "sentence_evaluators",  # before 6
    "setfit.trainer": "setfit",
    "peft.mapping_func": "peft",
    "peft.mapping": "peft",  # before 0.15
    "torch.utils.tensorboard.writer": "tensorboard",
    "tensorboardX.writer": "tensorboard",
    "tensorboard.plugins.hparams.summary_v2": "tensorboard_hparams",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "sklearn.base": "sklearn",
    "sklearn.model_selection._validation": "sklearn_candidates",
    "sktime.forecasting.base._base": "sktime",
    "catboost.core": "catboost",
    "spacy.training.loop": "spacy",
    "optuna": "optuna",
    "wandb.sdk.wandb_run": "wandb",
    "wandb.sdk.wandb_config": "wandb",
    "wandb.sdk.wandb_summary": "wandb",
    "wandb.sdk.lib.noop_run": "wandb",  # mode="disabled"
    "mlflow.tracking.client": "mlflow",
    "mlflow.tracking.fluent": "mlflow",
    "sacred.run": "sacred",
    "sacred.experiment": "sacred",
    "dvclive.live": "dvclive",
    "comet_ml.experiment": "comet",
    "neptune.handler": "neptune",
    "aim.sdk.run": "aim",
    "d3rlpy.logging.logger": "d3rlpy",
    "stable_baselines3.common.base_class": "stable_baselines3",
    "flair.trainers.trainer": "flair",
    "gluonts.torch.model.estimator": "gluonts",
    "torch.optim": "torch_optim",
    "torch.utils.data.dataloader": "torch_dataloader",
    "optax._src.alias": "optax",
    "optax.schedules._schedule": "optax_schedules",
    "optax.schedules._inject": "optax_inject",
    "flaml.automl": "flaml",
    "gensim.models.word2vec": "gensim",
    "pykeen.pipeline.api": "pykeen",
    "pmdarima.arima.auto": "pmdarima",
    "prophet.forecaster": "prophet",
    "numpyro.infer.mcmc": "numpyro",
    "pymc.sampling.mcmc": "pymc",
    "fasttext.FastText": "fasttext",
    "keras_tuner.src.engine.base_tuner": "keras_tuner",
    "hyperopt.fmin": "hyperopt",
    "implicit.cpu.als": "implicit",
    "implicit.cpu.bpr": "implicit",
    "implicit.cpu.lmf": "implicit",
    "surprise.prediction_algorithms.matrix_factorization": "surprise",
    "surprise.prediction_algorithms.knns": "surprise",
    "surprise.model_selection.search": "surprise",
    "nevergrad.optimization.base": "nevergrad",
    "torch.serialization": "saves",
    "safetensors.torch": "saves",
    "safetensors.numpy": "saves",
    "joblib.numpy_pickle": "saves",
    "xgboost.core": "saves",
    "lightgbm.basic": "saves",
    "keras.src.saving.saving_api": "saves",
    "keras.src.callbacks.csv_logger": "saves",
    "transformers.modeling_utils": "saves",
    "transformers.tokenization_utils_base": "saves",
    "lightning.fabric.plugins.io.torch_io": "saves",
    "lightning_fabric.plugins.io.torch_io": "saves",
    "d3rlpy.base": "saves",
    "torchvision.utils": "saves",
    "pytorch_tabnet.abstract_model": "saves",
}

# Launchers start the real program as child processes: they are not the program.
_LAUNCHER_SCRIPTS = ("torchrun", "accelerate", "deepspeed")
_LAUNCHER_MODULES = (
    "torch.distributed.run",
    "torch.distributed.launch",
    "accelerate.commands.launch",
    "accelerate.commands.accelerate_cli",
    "deepspeed.launcher.launch",
    "deepspeed.launcher.runner",
)

_NOT_PACKAGES = ("sitecustomize", "__main__", "__mp_main__", "_runledger_autocapture")
_hooks = None  # type: Any
_hooks_failed = False


def _load_hooks():
    # type: () -> Any
    """The hooks module, loaded by path on first use; None when it cannot be."""
    global _hooks, _hooks_failed
    if _hooks is None and not _hooks_failed:
        try:
            # Not importlib.util: loaded now, with the program's folder on sys.path, its
            # imports could run the program's own contextlib.py (the hooks avoid that too).
            import importlib.machinery

            name = "_runledger_autocapture"
            loader = importlib.machinery.SourceFileLoader(name, _HOOKS_FILE)
            module = type(sys)(name)
            module.__file__ = _HOOKS_FILE
            module.__loader__ = loader
            module.__spec__ = importlib.machinery.ModuleSpec(name, loader, origin=_HOOKS_FILE)
            loader.exec_module(module)
            module.configure(owner=_IS_OWNER, preloaded=_PRELOADED)
            _hooks = module
        except Exception:  # noqa: BLE001 - the program must run whatever happens here
            _hooks_failed = True
    return _hooks


def _patch(name, module):
    # type: (str, object) -> None
    hooks = _load_hooks()
    if hooks is not None:
        hooks.patch(HOOKED[name], name, module)


class _Finder(object):  # noqa: UP004 - Python 2 syntax
    """Finds hooked modules through the finders after it, and patches them once they ran."""

    def __init__(self):
        # type: () -> None
        self._busy = set()  # type: set[str]

    def find_spec(self, fullname, path=None, target=None):
        # type: (str, Sequence[str] | None, ModuleType | None) -> ModuleSpec | None
        if fullname not in HOOKED or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = self._find_after_self(fullname, path, target)
        except Exception:  # noqa: BLE001 - let the import system report it as it would bare
            return None
        finally:
            self._busy.discard(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or isinstance(loader, type) or not hasattr(loader, "exec_module"):
            return spec
        try:
            _wrap_exec_module(loader, fullname)
        except Exception:  # noqa: BLE001 - a loader we cannot wrap: no capture, same import
            pass
        return spec

    def _find_after_self(self, fullname, path, target):
        # type: (str, Sequence[str] | None, ModuleType | None) -> ModuleSpec | None
        finders = list(sys.meta_path)
        start = finders.index(self) + 1 if self in finders else 0
        for finder in finders[start:]:
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                return spec  # type: ignore[no-any-return]
        return None


def _wrap_exec_module(loader, fullname):
    # type: (Any, str) -> None
    original = loader.exec_module

    def exec_module(module):
        # type: (ModuleType) -> None
        try:
            del loader.exec_module  # the next import (a reload) runs unpatched
        except AttributeError:
            pass
        original(module)
        try:
            _patch(fullname, module)
        except Exception:  # noqa: BLE001
            pass

    loader.exec_module = exec_module


def _is_launcher():
    # type: () -> bool
    argv = getattr(sys, "argv", None) or [""]  # Python 3.6 has no sys.argv here yet
    if os.path.basename(argv[0]) in _LAUNCHER_SCRIPTS:
        return True
    full = getattr(sys, "orig_argv", None) or argv
    for index, word in enumerate(full[:-1]):
        if word == "-m":
            return full[index + 1] in _LAUNCHER_MODULES
    return False


def _claim_ownership():
    # type: () -> bool
    """Whether this process is the program whose params are the run's.

    The first Python process of the run claims it for itself (a script it starts with
    subprocess is not the program); a launcher (torchrun) leaves it to its workers.
    """
    if os.environ.get(_OWNER_ENV):
        return False
    if _is_launcher():
        return False
    os.environ[_OWNER_ENV] = str(os.getpid())
    return True


def _at_exit():
    # type: () -> None
    # Loading the hooks (json, importlib.metadata) only pays when there is something to say:
    # a module the program imported beyond the standard library.
    stdlib = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    if stdlib is None:  # pragma: no cover - Pythons 3.8, 3.9: tested, coverage is not there
        return
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top not in stdlib and top not in _PRELOADED and top not in _NOT_PACKAGES:
            hooks = _load_hooks()
            if hooks is not None:
                hooks.report_used_packages()
            return
    # The standard library alone: say so (no package to install), without loading the hooks.
    _append_line(b'{"_runledger":"used","packages":{}}\n')


def _append_line(data):
    # type: (bytes) -> None
    """One O_APPEND write to the metrics file, as the hooks write theirs; never raises."""
    try:
        fd = os.open(
            os.environ["RUNLEDGER_METRICS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
        )
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - the program has ended as it would bare
        pass


def _install():
    # type: () -> None
    sys.meta_path.insert(0, _Finder())
    for name in HOOKED:
        if name in sys.modules:  # imported before us (by a .pth file)
            _patch(name, sys.modules[name])
    import atexit

    atexit.register(_at_exit)


def _forget_own_folder():
    # type: () -> None
    here = os.path.normcase(_HERE)
    sys.path[:] = [p for p in sys.path if os.path.normcase(os.path.abspath(p or ".")) != here]


def _run_hidden_sitecustomize():
    # type: () -> None
    """Run the sitecustomize this module hides, as ``site`` would have run it."""
    if sys.version_info < (3, 4):  # noqa: UP036  # pragma: no cover - Python 2 programs
        _run_hidden_sitecustomize_file()
        return
    import importlib.machinery

    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = type(sys)("sitecustomize")
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = spec.origin
    sys.modules["sitecustomize"] = module
    # Unguarded: an error propagates to site, which prints "Error in sitecustomize ..." and
    # drops the module, exactly as it does bare.
    spec.loader.exec_module(module)


def _run_hidden_sitecustomize_file():  # pragma: no cover - Python 2 (tested, unmeasured)
    # type: () -> None
    """Python 2 (no capture there): run a hidden ``sitecustomize.py`` all the same."""
    for folder in sys.path:
        path = os.path.join(folder or ".", "sitecustomize.py")
        if os.path.isfile(path):
            module = type(sys)("sitecustomize")
            module.__file__ = path
            sys.modules["sitecustomize"] = module
            with open(path) as source:
                code = compile(source.read(), path, "exec")
            exec(code, module.__dict__)
            return


_ENABLED = False
_IS_OWNER = False
_PRELOADED = frozenset()  # type: frozenset[str]
try:
    _ENABLED = (
        sys.version_info >= (3, 8)
        and os.environ.get("RUNLEDGER_AUTOCAPTURE", "1") != "0"
        and bool(os.environ.get("RUNLEDGER_METRICS_FILE"))
    )
    if _ENABLED:
        _IS_OWNER = _claim_ownership()
        # What site imported before the program (.pth files): not "used" by the program.
        _PRELOADED = frozenset(name.partition(".")[0] for name in list(sys.modules))
    _forget_own_folder()
    if _ENABLED:
        _install()
except Exception:  # noqa: BLE001 - whatever happens here, the program runs as bare
    pass
_run_hidden_sitecustomize()
