"""Environments you can rebuild: what a run imported, ``env`` exports, drift, ``--venv``.

The programs here report the packages they imported themselves, with the line the in-process
capture writes at exit (``{"_runledger": "used", ...}``), so these tests hold with or without
it. The tests marked ``network`` install a real small package (six) from the package index
into throw-away virtualenvs; without the index they are skipped, saying so.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runledger.analysis.virtualenv import nearest_version
from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.recording.capture.environment import capture_environment, package_sources
from runledger.recording.capture.inprocess import used_packages_from_lines
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo, Result, session_lock

PY = sys.executable
REPORTS_USED = """\
import json, os, sys
from importlib.metadata import version
names = {names!r}
with open(os.environ["RUNLEDGER_METRICS_FILE"], "a") as handle:
    used = {{name: version(name) for name in names}}
    handle.write(json.dumps({{"_runledger": "used", "packages": used}}) + "\\n")
    handle.write(json.dumps({{"_runledger": "torch", "cuda": "12.1", "cudnn": 8902}}) + "\\n")
"""


def exec_(repo: Repo, *args: str) -> str:
    before = set(repo.run_ids())
    result = repo.cli("exec", *args)
    assert result.exit_code == 0, result.stderr
    [run_id] = set(repo.run_ids()) - before
    return run_id


def show(repo: Repo, run_id: str) -> dict[str, Any]:
    result = repo.cli("show", run_id, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = result.json()
    return data


def crafted_run(repo: Repo, run_id: str, environment: dict[str, Any], **fields: Any) -> None:
    """A run recorded on another machine, of train.py at the current commit."""
    commit = repo.git("rev-parse", "HEAD").strip()
    run = Run(
        id=run_id,
        status="ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:00:01.000Z",
        duration_s=1.0,
        command=(PY, "train.py"),
        git=GitInfo(commit=commit, branch="main"),
        exit_code=0,
        environment=environment,
        **fields,
    )
    Ledger(rgit.discover(repo.path)).write(run, "Other <o@example.com>", 1_700_000_000)


def this_environment(**extra: Any) -> dict[str, Any]:
    environment = capture_environment(PY, os.environ, {}, None)
    environment["variables"] = {}
    environment.update(extra)
    return environment


# --- what the program reported -----------------------------------------------------------------


def test_the_used_and_torch_lines_are_recorded_and_are_not_metrics(repo: Repo) -> None:
    repo.write("train.py", REPORTS_USED.format(names=["pytest"]) + "print('acc=0.5')\n")
    repo.commit_all("train")
    run_id = exec_(repo, PY, "train.py")
    data = show(repo, run_id)
    pytest_version = data["environment"]["packages"]["pytest"]
    assert data["environment"]["used"] == {"pytest": pytest_version}
    assert data["environment"]["torch"] == {"cuda": "12.1", "cudnn": 8902}
    assert data["metrics"] == {"acc": 0.5}  # cudnn is a fact, not a metric
    toml = repo.git("show", f"refs/runledger/runs/{run_id}:environment.toml")
    assert f'[used]\npytest = "{pytest_version}"' in toml
    python = data["environment"]["python"]
    assert python["implementation"] == "CPython"
    assert python["compiler"] and python["build"]


def test_a_package_named_like_a_secret_keeps_its_version(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # google-auth, keyring-token...: a masked version read as drift on every reproduction.
    site = tmp_path / "site"
    (site / "fake_auth").mkdir(parents=True)
    (site / "fake_auth" / "__init__.py").write_text("")
    info = site / "fake_auth-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-auth\nVersion: 1.2.3\n")
    (info / "top_level.txt").write_text("fake_auth\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    repo.write("train.py", REPORTS_USED.format(names=["fake-auth"]))
    repo.commit_all("train")
    environment = show(repo, exec_(repo, PY, "train.py"))["environment"]
    assert environment["packages"]["fake-auth"] == "1.2.3"
    assert environment["used"] == {"fake-auth": "1.2.3"}


def test_used_lines_are_checked_like_any_input() -> None:
    lines = [
        {"_runledger": "used", "packages": {"six": "1.16.0", "bad": {"x": 1}, "": "1"}},
        {"_runledger": "used", "packages": {"attrs": "23.1"}},
        {"_runledger": "other", "packages": {"no": "1"}},
    ]
    assert used_packages_from_lines(lines) == {"attrs": "23.1", "six": "1.16.0"}
    assert used_packages_from_lines([{"loss": 1.0}]) is None


def test_a_non_python_program_records_no_used_table(repo: Repo) -> None:
    run_id = exec_(repo, "sh", "-c", "echo acc=1")
    assert "used" not in show(repo, run_id)["environment"]
    result = repo.cli("env", run_id)
    assert result.exit_code == 1
    assert "did not record which packages it imported" in result.stderr
    assert "pass --all for the interpreter's whole package list" in result.stderr
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    crafted_run(repo, "00000000000env09", this_environment())  # no [used]
    refused = reproduce(repo, "00000000000env09", "--venv")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].endswith(
        "pass --all-packages for the interpreter's whole package list"
    )


# --- env ---------------------------------------------------------------------------------------


SOURCES = {
    "fromgit": {
        "url": "https://github.com/o/fromgit",
        "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"},
    },
    "localdir": {"url": "file:///home/me/localdir", "dir_info": {"editable": False}},
    "mine": {"url": "file:///home/me/mine", "dir_info": {"editable": True}},
    "wheel": {"url": "file:///tmp/wheel-1.0-py3-none-any.whl", "archive_info": {}},
}


@pytest.fixture
def exported(repo: Repo) -> Repo:
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    environment = this_environment(
        python={"version": "3.11.4", "implementation": "CPython", "executable": "/x/python"},
        packages={"Six": "1.16.0", "numpy": "1.26.4", "fromgit": "0.1", "localdir": "2.0"},
        used={"Six": "1.16.0", "fromgit": "0.1", "localdir": "2.0", "mine": "0.3", "wheel": "1.0"},
        package_sources=package_sources(SOURCES),
    )
    crafted_run(repo, "00000000000env01", environment)
    return repo


def test_requirements_pin_the_used_packages_as_pip_freeze_would(exported: Repo) -> None:
    result = exported.cli("env", "00000000000env01", "--format", "requirements")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "# run 00000000000env01: the packages it imported",
        "# Python 3.11.4",
        f"fromgit @ git+https://github.com/o/fromgit@{'a' * 40}",
        "# localdir 2.0 was installed from a local folder: its content is not pinned",
        "localdir @ file:///home/me/localdir",
        "# mine 0.3 was installed editable from a local folder: its content is not pinned",
        "-e /home/me/mine",
        "Six==1.16.0",
        "# wheel 1.0 was installed from a local file: copy it along",
        "wheel @ file:///tmp/wheel-1.0-py3-none-any.whl",
    ]


def test_all_writes_the_whole_interpreter(exported: Repo) -> None:
    lines = exported.cli("env", "00000000000env01", "--all").stdout.splitlines()
    assert "numpy==1.26.4" in lines and "Six==1.16.0" in lines
    assert lines[0] == "# run 00000000000env01: every package of its interpreter"


def test_conda_and_json(exported: Repo) -> None:
    conda = exported.cli("env", "00000000000env01", "--format", "conda").stdout
    assert "name: runledger-00000000000e\n" not in conda  # a short id, not a cut one
    assert "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n" in conda
    assert '    - "Six==1.16.0"\n' in conda
    import yaml

    parsed = yaml.safe_load(conda)
    assert parsed["dependencies"][0] == "python=3.11"
    assert "Six==1.16.0" in parsed["dependencies"][2]["pip"]
    data = exported.cli("env", "00000000000env01", "--format", "json").json()
    assert data["python"]["version"] == "3.11.4"
    assert data["scope"] == "used"
    assert {item["name"]: item["line"] for item in data["requirements"]}["Six"] == "Six==1.16.0"


def test_a_crafted_package_name_cannot_add_a_pip_option(repo: Repo) -> None:
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    crafted_run(repo, "00000000000env02", this_environment(used={"x\n--index-url": "1"}))
    result = repo.cli("env", "00000000000env02")
    assert result.exit_code != 0
    assert "is not a valid package name and version" in result.stderr
    assert "--index-url" not in result.stdout
    assert repo.cli("env", "00000000000env01").exit_code == 1  # unknown run: one line
    assert repo.cli("env", "00000000000env02", "--format", "pipfile").stderr.startswith(
        "runledger: error: --format 'pipfile': expected one of requirements, conda, json"
    )


# --- drift, what matters first -----------------------------------------------------------------


def reproduce(repo: Repo, run_id: str, *args: str) -> Result:
    return repo.cli("reproduce", run_id, "--yes", *args)


def test_a_missing_used_package_stops_before_running_and_leads_the_drift(repo: Repo) -> None:
    repo.write("train.py", "open('ran', 'w').write('x')\nprint('acc=1')\n")
    repo.commit_all("train")
    environment = this_environment()
    real_pytest = environment["packages"]["pytest"]
    environment["packages"].update({"aaa-unused": "1.0", "joblib-gone": "1.3.2"})
    environment["packages"]["pytest"] = "0.0.1"
    environment["python"]["version"] = "3.0.1"
    environment["used"] = {"joblib-gone": "1.3.2", "pytest": "0.0.1"}
    crafted_run(repo, "00000000000env03", environment)
    result = reproduce(repo, "00000000000env03")
    assert result.exit_code == 1
    plan = " ".join(result.stderr.replace("│", " ").split())  # the table folds long lines
    assert (
        "environment 4 differences: joblib-gone 1.3.2 (used by the run; not installed here), "
        f"pytest 0.0.1 -> {real_pytest} (used by the run), Python 3.0.1 -> "
        f"{sys.version.split()[0]}, 1 other difference (packages the run did not import): "
        "aaa-unused 1.0 (not installed here)"
    ) in plan
    assert result.stderr.splitlines()[-1] == (
        "runledger: error: the run used joblib-gone 1.3.2, which is not installed here; install "
        "the recorded packages with 'runledger env 00000000000env03 --format requirements > "
        "req.txt && pip install -r req.txt', or rebuild them in a fresh virtualenv with "
        "'runledger reproduce 00000000000env03 --venv'"
    )
    assert repo.run_ids() == ["00000000000env03"]


def test_diff_leads_with_the_used_packages(repo: Repo) -> None:
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    base = this_environment()
    one = {**base, "packages": {"numpy": "1.0", "six": "1.0", "zlib-x": "1"}}
    one["used"] = {"six": "1.0", "numpy": "1.0"}
    one["python"] = {**base["python"], "version": "3.11.1"}
    two = {**base, "packages": {"six": "1.1", "zlib-x": "2", "extra": "1"}}
    crafted_run(repo, "00000000000env04", one)
    crafted_run(repo, "00000000000env05", two)
    out = repo.cli("diff", "00000000000env04", "00000000000env05").stdout
    order = [
        "packages a run imported, missing in the other",
        "numpy",
        "packages a run imported, at another version",
        "six",
        "Python, CUDA, GPU and driver",
        "python.version",
        "2 other differences (zlib-x, extra); diff --json lists them",
    ]
    assert all(text in out for text in order), out
    positions = [out.index(text) for text in order]
    assert positions == sorted(positions), out


# --- verdicts that claim only what they checked ------------------------------------------------


def test_neither_metrics_nor_outputs_is_not_verified_with_exit_4(repo: Repo) -> None:
    repo.write("quiet.py", "pass\n")
    repo.commit_all("quiet")
    run_id = exec_(repo, PY, "quiet.py")
    result = reproduce(repo, run_id)
    assert result.exit_code == 4
    assert result.stdout.startswith(
        "NOT VERIFIED: the command succeeded, but the original recorded no metrics and no "
        "declared outputs to compare it with"
    )
    [new] = [i for i in repo.run_ids() if i != run_id]
    assert show(repo, new)["reproduction"]["verdict"] == "not-verified"


def test_identical_outputs_reproduce_and_are_kept(repo: Repo, tmp_path: Path) -> None:
    repo.write(".gitignore", "out/\n")
    repo.write(
        "model.py",
        "import os\nos.makedirs('out', exist_ok=True)\n"
        "open('out/model.bin', 'wb').write(b'weights')\n",
    )
    repo.commit_all("model")
    run_id = exec_(repo, "--output", "out", PY, "model.py")
    kept = tmp_path / "kept"
    result = reproduce(repo, run_id, "-o", str(kept))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(
        "REPRODUCED: the declared output is byte-identical; the original recorded no metrics"
    )
    assert f"outputs of the re-run kept in {kept}" in result.stdout
    assert (kept / "out" / "model.bin").read_bytes() == b"weights"
    [new] = [i for i in repo.run_ids() if i != run_id]
    reproduction = show(repo, new)["reproduction"]
    assert (reproduction["outputs_compared"], reproduction["outputs_differ"]) == (1, [])


def test_outputs_are_kept_under_the_git_directory_by_default(repo: Repo) -> None:
    repo.write(".gitignore", "out/\n")
    repo.write(
        "model.py",
        "import os, time\nos.makedirs('out', exist_ok=True)\n"
        "open('out/model.bin', 'w').write(str(time.time_ns()))\nprint('acc=1')\n",
    )
    repo.commit_all("model")
    run_id = exec_(repo, "--output", "out", PY, "model.py")
    before = repo.state()
    result = reproduce(repo, run_id)
    assert repo.state() == before  # nothing written into the user's work tree
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-2].startswith(
        "REPRODUCED: the metric matched exactly; declared outputs differ in bytes: out/model.bin"
    )
    [new] = [i for i in repo.run_ids() if i != run_id]
    kept = repo.path / ".git" / "runledger" / "reproductions" / new[:10] / "out" / "model.bin"
    assert kept.is_file()
    assert f"kept in {kept.parents[1]}" in result.stdout


# --- --venv without the index ------------------------------------------------------------------


def test_venv_refuses_a_python_that_is_not_here(repo: Repo) -> None:
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    environment = this_environment(used={"six": "1.16.0"})
    environment["python"]["version"] = "2.5.1"
    crafted_run(repo, "00000000000env06", environment)
    result = reproduce(repo, "00000000000env06", "--venv")
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert last.startswith("runledger: error: the run used Python 2.5.1, and no Python 2.5 is here")
    assert current in last.split("found: ", 1)[1]
    assert repo.run_ids() == ["00000000000env06"]


def test_venv_refuses_a_folder_that_is_not_empty(repo: Repo, tmp_path: Path) -> None:
    repo.write("train.py", "print('acc=1')\n")
    repo.commit_all("train")
    crafted_run(repo, "00000000000env08", this_environment(used={"six": "1.16.0"}))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    result = reproduce(repo, "00000000000env08", "--venv", str(busy))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"runledger: error: --venv {busy}: it exists and is not an empty folder; name a new one"
    )
    assert (busy / "notes.txt").read_text() == "mine"
    assert repo.run_ids() == ["00000000000env08"]


@pytest.mark.slow
def test_a_program_of_the_standard_library_alone_needs_python_alone(
    repo: Repo, tmp_path: Path
) -> None:
    """No installed package imported is an answer (env exits 0, --venv builds Python alone),
    not "did not record": both with the standard library only and with a module of its own."""
    repo.write("helpers.py", "def half(x):\n    return x / 2\n")
    repo.write("own.py", "import argparse, json\nimport helpers\nprint(f'acc={helpers.half(1)}')\n")
    repo.write("plain.py", "import argparse, json\nprint('acc=0.5')\n")
    repo.commit_all("train")
    own, plain = exec_(repo, PY, "own.py"), exec_(repo, PY, "plain.py")
    for run_id in (own, plain):
        assert show(repo, run_id)["environment"]["used"] == {}
        exported = repo.cli("env", run_id)
        assert exported.exit_code == 0, exported.stderr
        assert exported.stdout.splitlines()[1:] == [
            f"# Python {platform.python_version()}",
            "# none: it imported no installed package, only the standard library",
        ]
    conda = repo.cli("env", plain, "--format", "conda").stdout
    assert "pip" not in conda  # an empty "pip:" is a null that conda refuses
    assert conda.endswith(
        f"dependencies:\n  - python={sys.version_info[0]}.{sys.version_info[1]}\n"
    )

    venv = tmp_path / "rebuilt"  # no package to install: no package index needed
    result = reproduce(repo, plain, "--venv", str(venv))
    assert result.exit_code == 0, result.stderr
    plan = " ".join(result.stderr.split())
    # the plan names the program that will run: the new virtualenv's python
    assert f"program {venv / 'bin' / 'python'} " in plan
    assert "command bin/python of the new virtualenv" in plan
    assert "nothing to install (the run imported no installed package)" in plan
    assert "REPRODUCED: the metric matched exactly" in result.stdout
    [new] = set(repo.run_ids()) - {own, plain}
    assert show(repo, new)["command"] == [str(venv / "bin" / "python"), "plain.py"]


def test_venv_options_need_venv(repo: Repo) -> None:
    for args in (["somewhere"], ["--relax"], ["--all-packages"]):
        result = repo.cli("reproduce", "abc", *args)
        assert result.exit_code == 1
        assert "--venv" in result.stderr.splitlines()[-1]


def test_nearest_version() -> None:
    versions = ["1.17.0", "1.16.0", "1.15.0", "1.0.0"]
    assert nearest_version("1.16.5", versions) == "1.16.0"
    assert nearest_version("0.9", versions) == "1.0.0"
    assert nearest_version("9.0", versions) == "1.17.0"


# --- with the package index --------------------------------------------------------------------

PROGRAM_USING_SIX = (
    REPORTS_USED.format(names=["six"])
    + """\
import six
os.makedirs("out", exist_ok=True)
open("out/six.txt", "w").write(six.__version__)
print(f"answer={six.moves.reduce(lambda a, b: a + b, [1, 2, 3])}")
"""
)


@pytest.fixture
def six_venv(tmp_path: Path, package_index: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away virtualenv with six 1.16.0 from the package index: made once per session
    (by the first worker to need it, the others wait for it: a virtualenv and pip's install
    cost 6 s of CPU), copied for each test (its ``python`` is a link to the base interpreter,
    and the tests run pip as ``python -m pip``, so a copy works wherever it lies)."""
    with session_lock(tmp_path_factory, "six-venv") as folder:
        template = folder / "six-venv"
        if not (template / "done").exists():
            shutil.rmtree(template, ignore_errors=True)  # a build cut short
            subprocess.run([sys.executable, "-m", "venv", str(template)], check=True)
            subprocess.run(
                [str(template / "bin" / "python"), "-m", "pip", "install", "-q", "six==1.16.0"],
                check=True,
                capture_output=True,
            )
            (template / "done").write_text("")
    venv = tmp_path / "venv"
    shutil.copytree(template, venv, symlinks=True)
    return venv


@pytest.mark.network
@pytest.mark.slow
def test_rebuild_after_the_package_is_gone(repo: Repo, six_venv: Path, tmp_path: Path) -> None:
    repo.write(".gitignore", "out/\n")
    repo.write("train.py", PROGRAM_USING_SIX)
    repo.commit_all("train")
    python = str(six_venv / "bin" / "python")
    run_id = exec_(repo, "--output", "out", python, "train.py")
    assert show(repo, run_id)["environment"]["used"] == {"six": "1.16.0"}
    subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "six"], check=True)

    stopped = reproduce(repo, run_id)
    assert stopped.exit_code == 1
    assert "the run used six 1.16.0, which is not installed here" in stopped.stderr
    assert repo.run_ids() == [run_id]

    requirements = repo.cli("env", run_id, "--format", "requirements").stdout
    assert requirements.splitlines()[2:] == ["six==1.16.0"]

    venv = tmp_path / "rebuilt"
    result = reproduce(repo, run_id, "--venv", str(venv))
    assert result.exit_code == 0, result.stderr
    assert "REPRODUCED: the metric matched exactly; the declared output is byte-identical" in (
        result.stdout
    )
    # the build, shown as it goes (pip: "Successfully installed six-1.16.0", uv: "+ six==1.16.0")
    assert re.search(r"six(-|==)1\.16\.0", result.stderr)
    [new] = [i for i in repo.run_ids() if i != run_id]
    data = show(repo, new)
    assert data["command"] == [str(venv / "bin" / "python"), "train.py"]
    assert data["environment"]["used"] == {"six": "1.16.0"}
    assert data["environment"]["virtualenv"]["tool"] in {"uv", "venv+pip"}
    assert re.search(r"six(-|==)1\.16\.0", data["environment"]["virtualenv"]["log"])
    assert data["reproduction"]["virtualenv"] == data["environment"]["virtualenv"]["tool"]
    assert (venv / "bin" / "python").exists()  # a named folder is the user's: kept


@pytest.mark.network
@pytest.mark.slow
def test_a_version_no_longer_installable_needs_relax(repo: Repo, six_venv: Path) -> None:
    repo.write("train.py", "import six\nprint('ok=1')\n")
    repo.commit_all("train")
    environment = this_environment(used={"six": "1.16.99"})
    environment["python"]["executable"] = str(six_venv / "bin" / "python")
    crafted_run(repo, "00000000000env07", environment, metrics={"ok": MetricSummary(1, 1, 1)})

    refused = reproduce(repo, "00000000000env07", "--venv")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        "runledger: error: six==1.16.99 can no longer be installed from the package index; "
        "pass --relax to install the nearest available version instead (the verdict will "
        "say so)"
    )
    assert not any((repo.path / ".git" / "runledger" / "venvs").iterdir())

    relaxed = reproduce(repo, "00000000000env07", "--venv", "--relax")
    assert relaxed.exit_code == 0, relaxed.stderr
    assert "--relax installed other versions: six 1.16.99 -> 1.16.0" in relaxed.stdout
    [new] = [i for i in repo.run_ids() if i != "00000000000env07"]
    assert show(repo, new)["reproduction"]["relaxed"] == ["six 1.16.99 -> 1.16.0"]


@pytest.mark.network
@pytest.mark.slow
def test_a_package_from_a_local_folder_is_written_as_pip_freeze_would(
    repo: Repo, six_venv: Path, tmp_path: Path
) -> None:
    package = tmp_path / "localpkg"
    (package / "localpkg").mkdir(parents=True)
    (package / "localpkg" / "__init__.py").write_text("VALUE = 7\n")
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "localpkg"\nversion = "0.3"\n'
    )
    python = str(six_venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(package)], check=True, capture_output=True
    )
    repo.write("train.py", REPORTS_USED.format(names=["localpkg", "six"]) + "print('acc=1')\n")
    repo.commit_all("train")
    run_id = exec_(repo, python, "train.py")
    sources = show(repo, run_id)["environment"]["package_sources"]
    assert sources["localpkg"]["url"] == package.as_uri()
    assert "localpkg" in repo.git("show", f"refs/runledger/runs/{run_id}:environment.toml")
    lines = repo.cli("env", run_id).stdout.splitlines()
    assert lines[2:] == [
        "# localpkg 0.3 was installed from a local folder: its content is not pinned",
        f"localpkg @ {package.as_uri()}",
        "six==1.16.0",
    ]


def test_torch_cuda_and_the_driver_come_before_other_packages() -> None:
    from runledger.analysis.environment_drift import environment_drift

    gpu = {"index": 0, "name": "A100", "driver_version": "535.1", "cuda_driver_version": "12.2"}
    recorded = {
        "python": {"version": "3.11.7"},
        "packages": {"torch": "2.3.0", "tqdm": "4.0"},
        "used": {"torch": "2.3.0"},
        "torch": {"version": "2.3.0", "cuda": "12.1", "cudnn": 8902},
        "gpus": [gpu],
    }
    current = {
        "python": {"version": "3.11.7"},
        "packages": {"torch": "2.3.0", "tqdm": "4.1"},
        "torch": {"version": "2.3.0", "cuda": "11.8", "cudnn": 8700},
        "gpus": [{**gpu, "driver_version": "550.2"}],
    }
    drift = environment_drift(recorded, current)
    assert drift.lines() == [
        "torch CUDA 12.1 -> 11.8",
        "torch cuDNN 8902 -> 8700",
        "GPU 0 driver 535.1 -> 550.2",
        "1 other difference (packages the run did not import): tqdm 4.0 -> 4.1",
    ]


def test_the_package_list_cache_goes_where_runledger_cache_dir_says(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-cache"
    monkeypatch.setenv("RUNLEDGER_CACHE_DIR", str(shared))
    assert repo.cli("exec", sys.executable, "-c", "pass").exit_code == 0
    assert [path.name.split("-")[0] for path in shared.iterdir()] == ["python2"]
    assert not (repo.path / ".git" / "runledger" / "cache").exists()

    monkeypatch.delenv("RUNLEDGER_CACHE_DIR")
    assert repo.cli("exec", sys.executable, "-c", "pass").exit_code == 0
    assert any((repo.path / ".git" / "runledger" / "cache").glob("python2-*.json"))
    first, second = (show(repo, run["id"])["environment"]["packages"] for run in repo.runs_json())
    assert first == second and "pytest" in first  # the shared cache's list is the same list
