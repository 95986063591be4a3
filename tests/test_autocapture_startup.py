"""The injected start-up (autocapture/sitecustomize.py) with programs that bring their own
import machinery, and under a launcher.

A program may put its own finders on ``sys.meta_path`` (import hooks as typeguard, beartype
or a plugin system install them): one that is old-style (no ``find_spec``), one that raises,
one whose loader cannot be wrapped. Whatever they do, the program must import and print
exactly what it does bare. A launcher (torchrun) parses its own flags with argparse; the
params are the worker's, never the launcher's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runledger.recording.trials import runledger_command
from tests.conftest import Repo
from tests.test_autocapture import _interpreter, assert_same_as_bare, bare, exec_run

IMPORT_HOOKS_PROGRAM = textwrap.dedent(
    """\
    import importlib.machinery
    import importlib.util
    import sys


    class OldStyleFinder:
        # a finder from before find_spec: only find_module (ignored by Python 3.12 and later)
        def find_module(self, fullname, path=None):
            return None


    class RaisingFinder:
        def find_spec(self, fullname, path=None, target=None):
            if fullname == "tf_keras":
                raise ImportError("plugins cannot import tf_keras here")
            return None


    class SlottedLoader:
        # a loader whose exec_module cannot be replaced on the instance
        __slots__ = ()

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.docopt = lambda doc, argv=None: {"--lr": "0.5"}
            module.SOURCE = "plugin"


    class LegacyLoader:
        # a loader from before exec_module: only load_module
        def load_module(self, fullname):
            module = sys.modules[fullname] = type(sys)(fullname)
            module.SOURCE = "legacy plugin"
            return module


    class PluginFinder:
        def find_spec(self, fullname, path=None, target=None):
            if fullname == "docopt":
                return importlib.util.spec_from_loader(fullname, SlottedLoader())
            if fullname == "jsonargparse":
                return importlib.util.spec_from_loader(fullname, LegacyLoader())
            return None


    sys.meta_path[1:1] = [OldStyleFinder(), RaisingFinder(), PluginFinder()]
    try:
        import tf_keras
    except ImportError as error:
        print("tf_keras:", error)
    try:
        import keras  # not installed: every finder after runledger's is asked, in vain
    except ImportError as error:
        print("keras:", error)
    import docopt
    try:
        import jsonargparse

        print("jsonargparse from", jsonargparse.SOURCE)
    except ImportError as error:  # Pythons that no longer call load_module
        print("jsonargparse:", error)

    print("docopt from", docopt.SOURCE, docopt.docopt("usage"))
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=3)
    print(parser.parse_args())
    """
)


def test_a_program_with_its_own_import_hooks_runs_as_bare(repo: Repo) -> None:
    """Its finders raise, predate find_spec, or serve hooked names (docopt, jsonargparse)
    with loaders that cannot be wrapped or predate exec_module; keras is not installed: the
    same output and exit code as bare, and argparse (found past them all) is still captured
    with its defaults."""
    repo.write("train.py", IMPORT_HOOKS_PROGRAM)
    repo.commit_all("train")

    run = assert_same_as_bare(repo, sys.executable, "train.py", "--lr", "0.2")

    assert run["params"] == {"lr": 0.2, "epochs": 3}
    assert run["param_sources"]["epochs"] == "argparse"


LAUNCHER = """\
#!{python}
import argparse
import os
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--nproc_per_node", type=int, default=1)
parser.add_argument("--max_restarts", type=int, default=0)
parser.add_argument("--master_port", type=int, default=29500)
args, script = parser.parse_known_args()
worker_env = dict(os.environ, RANK="0", LOCAL_RANK="0", WORLD_SIZE=str(args.nproc_per_node))
sys.exit(subprocess.call([sys.executable, *script], env=worker_env))
"""

WORKER = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--warmup", type=int, default=100)
print(parser.parse_args())
"""


def test_a_launcher_leaves_the_params_to_its_worker(repo: Repo, tmp_path: Path) -> None:
    """``exec torchrun --nproc_per_node 1 train.py --lr 0.3``: torchrun's own parser
    (max_restarts, master_port defaults) is not the program's; the worker's is, defaults
    included."""
    launcher = tmp_path / "bin" / "torchrun"
    launcher.parent.mkdir()
    launcher.write_text(LAUNCHER.format(python=sys.executable))
    launcher.chmod(0o755)
    repo.write("train.py", WORKER)
    repo.commit_all("train")

    proc, run = exec_run(repo, str(launcher), "--nproc_per_node", "1", "train.py", "--lr", "0.3")

    assert proc.returncode == 0 and b"lr=0.3" in proc.stdout
    assert run["params"]["lr"] == 0.3 and run["params"]["warmup"] == 100
    assert run["param_sources"]["warmup"] == "argparse"
    assert "max_restarts" not in run["params"] and "master_port" not in run["params"]


@pytest.mark.parametrize("name", ["python3.6", "python3.7"])
def test_a_python_before_3_8_runs_as_bare_with_its_hidden_sitecustomize(
    repo: Repo, tmp_path: Path, name: str
) -> None:
    """Capture needs 3.8: before it, the start-up only runs the sitecustomize it hides (the
    user's), and the params come from the command line."""
    python = _interpreter(name)
    if python is None:
        pytest.skip(f"{name} is not installed here")
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "sitecustomize.py").write_text("import builtins\nbuiltins.FROM_SITE = 'theirs'\n")
    repo.write("train.py", "import sys\nprint(FROM_SITE, sys.version_info[:2])\n" + WORKER)
    repo.commit_all("train")
    env = {"PYTHONPATH": str(site_dir)}

    proc, run = exec_run(repo, python, "train.py", "--lr", "0.3", env=env)

    version = name[len("python") :].replace(".", ", ")
    assert proc.stdout.decode().splitlines()[0] == f"theirs ({version})"
    assert run["params"] == {"lr": 0.3}
    assert run["environment"]["python"]["version"].startswith(name[len("python") :])


SHADOWING = (
    "json",
    "inspect",
    "struct",
    "dataclasses",
    "csv",
    "textwrap",
    "zipfile",
    "typing",
    "email",
)


def test_the_programs_modules_named_as_the_standard_librarys_run_as_bare(repo: Repo) -> None:
    """A json.py (inspect.py, csv.py...) beside train.py: the hooks, loaded once argparse
    is imported and again at exit (the program imported a module of its own), use the
    standard library's and never run the program's; its own ``import json`` still gets its
    file, as bare."""
    for name in SHADOWING:
        repo.write(f"{name}.py", f"print('the program ran its own {name}.py')\n")
    repo.write("helpers.py", "SCALE = 2\n")
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse

            import helpers

            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float, default=0.1)
            print("lr", parser.parse_args().lr * helpers.SCALE)
            import json
            """
        ),
    )
    repo.commit_all("train")
    command = [sys.executable, "train.py", "--lr", "0.2"]
    expected = bare(repo, *command)

    # The installed command, as a user types it: ``python -m runledger`` would put the
    # program's folder on runledger's own sys.path.
    runledger = Path(sys.executable).with_name("runledger")
    proc = subprocess.run(
        [str(runledger), "exec", *command], cwd=repo.path, capture_output=True, timeout=120
    )

    assert proc.stdout == expected.stdout
    # Under coverage's subprocess measuring, coverage has imported the standard json before
    # the program starts, bare too: the program's own import then gets that one.
    if "COVERAGE_RUN" not in os.environ:
        assert expected.stdout == b"lr 0.4\nthe program ran its own json.py\n"
    assert b"recorded run" in proc.stderr, proc.stderr.decode()
    assert repo.runs_json()[0]["params"] == {"lr": 0.2}


# Under coverage's subprocess measuring, coverage starts in every Python process before
# runledger does and imports dataclasses and json itself, from the working folder first when
# it is on the path: the project's dataclasses.py is then loaded before runledger can leave
# that folder out. Bare runledger has no such guest.
_COVERAGE_IMPORTS_FIRST = pytest.mark.skipif(
    "COVERAGE_RUN" in os.environ, reason="coverage imports the shadowed modules before runledger"
)


@_COVERAGE_IMPORTS_FIRST
def test_python_m_runledger_in_a_folder_whose_modules_shadow_the_standard_library(
    repo: Repo,
) -> None:
    """``python -m runledger exec`` puts the program's folder first on runledger's own sys.path:
    runledger crashed on the program's dataclasses.py (an ImportError) or json.py, and the
    interpreter probe lost the run's packages to it. runledger now runs on the standard
    library's, the program still gets its own files, and a sweep's trials start the same way."""
    for name in (*SHADOWING, "logging", "argparse", "platform"):
        repo.write(f"{name}.py", f"print('the program ran its own {name}.py')\n")
    repo.write("train.py", "import dataclasses, json, logging\nprint('loss=0.25')\n")
    repo.commit_all("train")
    command = [sys.executable, "train.py"]
    expected = bare(repo, *command)

    proc, run = exec_run(repo, *command)  # python -m runledger exec ...

    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == expected.stdout
    assert b"the program ran its own dataclasses.py" in expected.stdout
    assert run["metrics"] == {"loss": 0.25}
    assert run["environment"]["packages"], "the interpreter's packages were not recorded"

    trial = subprocess.run(
        [*runledger_command(), "exec", *command],
        cwd=repo.path,
        capture_output=True,
        timeout=120,
    )
    assert trial.returncode == 0, trial.stderr.decode()
    assert trial.stdout == expected.stdout
    assert b"recorded run" in trial.stderr


@_COVERAGE_IMPORTS_FIRST
def test_the_runledger_script_with_an_empty_pythonpath_entry_in_such_a_folder(
    repo: Repo,
) -> None:
    """`export PYTHONPATH=$PYTHONPATH:/opt/lib` with PYTHONPATH unset gives ":/opt/lib", whose
    empty entry is the working folder: the installed `runledger exec` crashed on the program's
    dataclasses.py as `python -m runledger` did."""
    repo.write("dataclasses.py", "print('the program ran its own dataclasses.py')\n")
    repo.write("train.py", "import dataclasses\nprint('loss=0.25')\n")
    repo.commit_all("train")
    env = {**os.environ, "PYTHONPATH": os.pathsep + os.environ.get("PYTHONPATH", "")}
    runledger = Path(sys.executable).with_name("runledger")

    proc = subprocess.run(
        [str(runledger), "exec", sys.executable, "train.py"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"the program ran its own dataclasses.py\nloss=0.25\n"
    assert b"recorded run" in proc.stderr
