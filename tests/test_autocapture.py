"""In-process capture through the real ``runledger exec``: argparse, off switches, bad programs.

Every program here is a real script run by a real interpreter under ``runledger exec``; what
was captured is read back with ``runledger show --json`` as a user would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture import inprocess
from tests.conftest import Repo

ROOT = Path(__file__).resolve().parents[1]  # this checkout, as runledger's own path

ARGPARSE_PROGRAM = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--optimizer", default="adam")
parser.add_argument("--amp", action="store_true")
parser.add_argument("--milestones", type=int, nargs="+", default=[30, 60])
commands = parser.add_subparsers(dest="command")
fit = commands.add_parser("fit")
fit.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()
print("parsed", vars(args))
"""


def exec_run(repo: Repo, *args: str, env: dict[str, str] | None = None) -> tuple[Any, Any]:
    """``runledger exec ARGS`` in a subprocess, then ``show --json`` of the run it recorded."""
    proc = repo.run("exec", *args, env=env, timeout=120)
    assert b"recorded run" in proc.stderr, proc.stderr.decode()
    run_id = repo.runs_json()[0]["id"]
    shown = repo.cli("show", run_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    return proc, shown.json()


def bare(repo: Repo, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNLEDGER_")}
    return subprocess.run(args, cwd=repo.path, env=env, capture_output=True, timeout=120)


def test_argparse_params_with_defaults_types_and_subparser(repo: Repo) -> None:
    repo.write("train.py", ARGPARSE_PROGRAM)
    repo.commit_all("train")

    _, run = exec_run(repo, sys.executable, "train.py", "--batch-size", "64", "fit")

    assert run["params"] == {
        "lr": 0.01,
        "batch_size": 64,
        "optimizer": "adam",
        "amp": False,
        "milestones": [30, 60],
        "command": "fit",
        "epochs": 3,
    }
    assert run["param_sources"]["lr"] == "argparse"
    assert run["param_sources"]["batch_size"] == "argparse"
    assert run["environment"]["autocapture"] == {"sources": ["argparse"], "errors": []}


def test_the_last_parse_of_the_program_wins(repo: Repo) -> None:
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float, default=0.1)
            parser.parse_args([])
            parser.parse_known_args(["--lr", "0.5", "--extra"])
            """
        ),
    )
    repo.commit_all("train")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"lr": 0.5}


def test_in_process_values_win_over_the_command_line_text(repo: Repo) -> None:
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=lambda text: float(text) / 10, default=1.0)
            parser.add_argument("--batch-size", type=int, default=32)
            print(parser.parse_args())
            """
        ),
    )
    repo.commit_all("train")

    _, run = exec_run(repo, "-p", "note=x", sys.executable, "train.py", "--lr", "5")

    assert run["params"] == {"lr": 0.5, "batch_size": 32, "note": "x"}
    assert run["param_sources"] == {"lr": "argparse", "batch_size": "argparse", "note": "cli"}


def test_short_options_and_other_spellings_are_their_params_once(repo: Repo) -> None:
    # karpathy/makemore's "-n 0" and timm's "-b 4": argv alone reads them as params "n" and
    # "b"; the parser says they are num_workers and batch_size.
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument("--num-workers", "-n", type=int, default=4)
            parser.add_argument("-b", "--batch-size", type=int, default=32)
            parser.add_argument("--lr", "--learning-rate", dest="learning_rate", default=0.1)
            commands = parser.add_subparsers(dest="command")
            fit = commands.add_parser("fit")
            fit.add_argument("-e", "--epochs", type=int, default=3)
            parser.parse_args()
            """
        ),
    )
    repo.commit_all("train")

    _, run = exec_run(
        repo, sys.executable, "train.py", "-n", "0", "-b", "8", "--lr", "0.5", "fit", "-e", "2"
    )

    assert run["params"] == {
        "num_workers": 0,
        "batch_size": 8,
        "learning_rate": "0.5",
        "command": "fit",
        "epochs": 2,
    }
    assert set(run["param_sources"].values()) == {"argparse"}


def test_off_switches_leave_only_the_command_line(repo: Repo) -> None:
    repo.write("train.py", ARGPARSE_PROGRAM)
    repo.commit_all("train")
    command = (sys.executable, "train.py", "--lr", "0.5")
    expected = {"lr": 0.5}

    _, run = exec_run(repo, "--no-autocapture", *command)
    assert run["params"] == expected
    assert "autocapture" not in run["environment"]

    _, run = exec_run(repo, *command, env={"RUNLEDGER_AUTOCAPTURE": "0"})
    assert run["params"] == expected

    repo.write(".runledger.toml", "autocapture = false\n")
    repo.commit_all("config")
    _, run = exec_run(repo, *command)
    assert run["params"] == expected


@pytest.mark.parametrize("switch", ["--no-autocapture", "RUNLEDGER_AUTOCAPTURE=0"])
def test_a_reproduction_runs_without_autocapture_as_the_original_did(
    repo: Repo, switch: str
) -> None:
    repo.write("train.py", ARGPARSE_PROGRAM + 'print("acc=0.9")\n')
    repo.commit_all("train")
    command = (sys.executable, "train.py", "--lr", "0.5")
    if switch.startswith("--"):
        _, original = exec_run(repo, switch, *command)
    else:
        _, original = exec_run(repo, *command, env=dict([switch.split("=")]))
    assert original["params"] == {"lr": 0.5}

    result = repo.cli("reproduce", original["id"], "--yes")

    assert result.exit_code == 0, result.stdout + result.stderr
    shown = repo.cli("show", repo.runs_json()[0]["id"], "--json").json()
    assert shown["reproduces"] == original["id"]
    # before: the argparse defaults too (batch_size, optimizer, ...), captured in process
    assert shown["params"] == {"lr": 0.5}
    assert "autocapture" not in shown["environment"]
    stored = repo.git("show", f"refs/runledger/runs/{original['id']}:run.toml")
    assert "autocapture = false" in stored


def test_a_wrong_autocapture_setting_is_one_clear_line(repo: Repo) -> None:
    repo.write(".runledger.toml", 'autocapture = "no"\n')
    repo.commit_all("config")

    proc = repo.run("exec", sys.executable, "-c", "pass")

    assert proc.returncode != 0
    assert proc.stderr.decode().strip().splitlines() == [
        "runledger: error: .runledger.toml: 'autocapture' must be true or false "
        "(e.g. autocapture = false), not a string ('no')"
    ]


def test_used_packages_go_to_the_environment(repo: Repo) -> None:
    repo.write("train.py", "import yaml, json\nprint(yaml.safe_dump({'a': 1}))\n")
    repo.commit_all("train")

    _, run = exec_run(repo, sys.executable, "train.py")

    import yaml

    assert run["environment"]["used"] == {"PyYAML": yaml.__version__}


def test_a_non_python_command_gets_no_capture_folder(repo: Repo) -> None:
    _, run = exec_run(repo, "sh", "-c", 'echo "path=${PYTHONPATH:-none}" | tr / _ ; echo x=1')

    assert "autocapture" not in run["environment"]
    assert "used" not in run["environment"]
    assert "recording_autocapture" not in run.get("log", "")


def test_a_script_with_a_python_shebang_is_captured(repo: Repo) -> None:
    script = repo.write("train", f"#!{sys.executable}\n" + ARGPARSE_PROGRAM)
    script.chmod(0o755)
    repo.commit_all("script")

    _, run = exec_run(repo, "./train", "--lr", "0.2")

    assert run["params"]["lr"] == 0.2
    assert run["params"]["batch_size"] == 32


def test_python_dash_m_is_captured(repo: Repo) -> None:
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/train.py", ARGPARSE_PROGRAM)
    repo.commit_all("package")

    _, run = exec_run(repo, sys.executable, "-m", "pkg.train", "--optimizer", "sgd")

    assert run["params"]["optimizer"] == "sgd"
    assert run["params"]["lr"] == 0.01


# --- a program run by another interpreter --------------------------------------------------


def test_a_program_under_another_virtualenv_sees_none_of_runledgers_packages(
    repo: Repo, tmp_path: Path
) -> None:
    venv = tmp_path / "other-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    repo.write(
        "train.py",
        ARGPARSE_PROGRAM
        + textwrap.dedent(
            """\
            import importlib.util, sys
            for name in ("rich", "pandas", "typer", "runledger"):
                print(name, importlib.util.find_spec(name) is not None)
            print("prefix", sys.prefix)
            """
        ),
    )
    repo.commit_all("train")

    proc = repo.run("exec", python, "train.py", "--lr", "0.3")
    output = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    for name in ("rich", "pandas", "typer"):
        assert f"{name} False" in output
    assert f"prefix {venv}" in output
    run = repo.cli("show", repo.runs_json()[0]["id"], "--json").json()
    assert run["params"]["lr"] == 0.3
    assert run["params"]["batch_size"] == 32


# --- bad input: the program behaves exactly as bare ----------------------------------------


def assert_same_as_bare(repo: Repo, *command: str) -> dict[str, Any]:
    expected = bare(repo, *command)
    proc, run = exec_run(repo, *command)
    assert proc.returncode == expected.returncode
    assert proc.stdout == expected.stdout
    assert run["exit_code"] == expected.returncode
    return dict(run)


def test_a_program_that_monkeypatches_argparse(repo: Repo) -> None:
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse
            original = argparse.ArgumentParser.parse_known_args
            def patched(self, args=None, namespace=None):
                namespace, rest = original(self, args, namespace)
                namespace.patched = True
                return namespace, rest
            argparse.ArgumentParser.parse_known_args = patched
            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float, default=0.1)
            print(parser.parse_args())
            """
        ),
    )
    repo.commit_all("train")

    run = assert_same_as_bare(repo, sys.executable, "train.py", "--lr", "0.2")

    assert run["params"]["lr"] == 0.2


def test_a_program_that_calls_os_exit(repo: Repo) -> None:
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse, os, sys
            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float, default=0.1)
            print(parser.parse_args(), flush=True)
            os._exit(7)
            """
        ),
    )
    repo.commit_all("train")

    run = assert_same_as_bare(repo, sys.executable, "train.py")

    assert run["status"] == "failed"
    assert run["params"] == {"lr": 0.1}


def test_a_program_that_forks_workers(repo: Repo) -> None:
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import argparse, multiprocessing

            def square(x):
                import argparse
                argparse.ArgumentParser().parse_known_args(["--worker"])
                return x * x

            if __name__ == "__main__":
                parser = argparse.ArgumentParser()
                parser.add_argument("--workers", type=int, default=2)
                args = parser.parse_args()
                for method in ("fork", "spawn"):
                    with multiprocessing.get_context(method).Pool(args.workers) as pool:
                        print(method, pool.map(square, range(5)))
            """
        ),
    )
    repo.commit_all("train")

    run = assert_same_as_bare(repo, sys.executable, "train.py")

    assert run["params"] == {"workers": 2}


def test_a_program_with_its_own_meta_path_finder(repo: Repo) -> None:
    repo.write(
        "train.py",
        textwrap.dedent(
            """\
            import importlib.abc, importlib.machinery, sys

            class Shout(importlib.abc.MetaPathFinder):
                def find_spec(self, name, path=None, target=None):
                    if name == "argparse":
                        print("finding", name)
                    return None

            sys.meta_path.insert(0, Shout())
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument("--depth", type=int, default=4)
            print(parser.parse_args())
            """
        ),
    )
    repo.commit_all("train")

    run = assert_same_as_bare(repo, sys.executable, "train.py")

    assert run["params"] == {"depth": 4}


def test_a_sitecustomize_that_raises_behaves_as_bare(repo: Repo, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "sitecustomize.py").write_text(
        "import os\nos.environ['FROM_SITE'] = 'yes'\nraise RuntimeError('site is broken')\n"
    )
    repo.write(
        "train.py",
        "import argparse, os\nprint('site', os.environ.get('FROM_SITE'))\n"
        "p = argparse.ArgumentParser()\np.add_argument('--n', type=int, default=1)\n"
        "print(p.parse_args())\n",
    )
    repo.commit_all("train")
    env = {"PYTHONPATH": f"{site_dir}{os.pathsep}{ROOT}"}
    expected = subprocess.run(
        [sys.executable, "train.py"], cwd=repo.path, env={**os.environ, **env}, capture_output=True
    )

    proc, run = exec_run(repo, sys.executable, "train.py", env=env)

    assert b"site yes" in expected.stdout
    assert proc.stdout == expected.stdout
    assert b"RuntimeError: site is broken" in expected.stderr
    assert expected.stderr in proc.stderr
    assert run["params"] == {"n": 1}


def test_a_working_sitecustomize_still_runs(repo: Repo, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "sitecustomize.py").write_text("import builtins\nbuiltins.FROM_SITE = 42\n")
    repo.write("train.py", "import sitecustomize\nprint(FROM_SITE, sitecustomize.__file__)\n")
    repo.commit_all("train")

    env = {"PYTHONPATH": f"{site_dir}{os.pathsep}{ROOT}"}
    proc, _ = exec_run(repo, sys.executable, "train.py", env=env)

    assert proc.stdout.decode().split() == ["42", str(site_dir / "sitecustomize.py")]


def test_the_program_sees_its_sys_path_as_bare(repo: Repo) -> None:
    repo.write(
        "train.py",
        "import sys\nprint([p for p in sys.path if p.endswith('recording/autocapture')])\n",
    )
    repo.commit_all("train")

    proc, _ = exec_run(repo, sys.executable, "train.py")

    assert proc.stdout == b"[]\n"


def _interpreter(name: str) -> str | None:
    """The real executable of ``name`` (python3.8): on PATH, or one of pyenv's versions."""
    candidates = [shutil.which(name)]
    pyenv = os.environ.get("PYENV_ROOT")
    if pyenv:
        version = name[len("python") :]
        candidates += sorted(Path(pyenv).glob(f"versions/{version}.*/bin/{name}"))
    for candidate in candidates:
        if candidate is None:
            continue
        proc = subprocess.run(
            [str(candidate), "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            timeout=60,
        )
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.decode().strip()
    return None


@pytest.mark.parametrize("name", ["python3.8", "python3.13"])
def test_argparse_capture_on_other_pythons(repo: Repo, name: str) -> None:
    python = _interpreter(name)
    if python is None:
        pytest.skip(f"{name} is not installed here")
    repo.write("train.py", ARGPARSE_PROGRAM)
    repo.commit_all("train")

    _, run = exec_run(repo, python, "train.py", "--lr", "0.2", "fit")

    assert run["params"]["lr"] == 0.2
    assert run["params"]["epochs"] == 3
    assert run["environment"]["python"]["version"].startswith(name[len("python") :])


def test_a_python_2_program_runs_as_bare(repo: Repo) -> None:
    python = _interpreter("python2.7")
    if python is None:
        pytest.skip("python2.7 is not installed here")
    repo.write("old.py", "import sys\nprint 'old', len(sys.argv)\n")
    repo.commit_all("old")

    run = assert_same_as_bare(repo, python, "old.py", "--lr", "1")

    assert run["params"] == {"lr": 1}


@pytest.mark.parametrize(
    ("command", "captured"),
    [
        (["uv", "run", "train.py"], True),
        (["/usr/bin/poetry", "run", "python", "train.py"], True),
        (["conda", "run", "-n", "ml", "python", "train.py"], True),
        (["uv", "pip", "install", "x"], False),
        (["make", "run", "train"], False),
    ],
)
def test_environment_runners_pass_the_capture_on(command: list[str], captured: bool) -> None:
    assert inprocess.enabled("/no/such/program", {}, option=True, config=True, command=command) is (
        captured
    )


def test_a_recovered_run_keeps_the_in_process_params(repo: Repo) -> None:
    from tests.test_journal import rid, write_journal

    folder = write_journal(repo, rid(1))
    with (folder / "metrics.jsonl").open("a") as lines:
        lines.write('{"_runledger":"params","source":"argparse","params":{"lr":0.1,"seed":7}}\n')
        lines.write('{"_runledger":"trial","number":0,"value":0.5}\n')

    listed = repo.cli("ls", "--json")

    [run] = listed.json()
    # argv said "--lr 0.1"; the program's parser says the same and adds its default seed,
    # which -p's "seed = 3" overrides.
    assert run["params"]["lr"] == 0.1
    assert run["params"]["seed"] == 3
    assert "number" not in run["metrics"] and "value" not in run["metrics"]
    shown = repo.cli("show", run["id"], "--json").json()
    assert shown["param_sources"]["lr"] == "argparse"
