"""Shared fixtures: real temporary git repositories, an isolated HOME, a pinned identity.

Git is never mocked. Every test that uses ``repo`` gets ``git fsck --strict`` checked clean
when it ends, so no test can leave a broken object or ref behind unnoticed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from runledger.cli.app import VERBS, build_app

PINNED_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(scope="session", autouse=True)
def compiled_runledger() -> None:
    """Bytecode for runledger's modules, brought up to date once per session: the tests start
    about a thousand runledger processes, and where PYTHONDONTWRITEBYTECODE is set (some
    sandboxes and CI images set it) a module changed since its ``__pycache__`` was written, or
    a fresh checkout with none, is compiled again by every one of them (``ls``: 0.29 -> 0.40 s
    of CPU each). compileall writes whatever that variable says."""
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parents[1] / "runledger", quiet=2)


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test reads or writes the real HOME, the user's gitconfig or the real temp folder."""
    home = tmp_path_factory.mktemp("home")
    temp = tmp_path_factory.mktemp("tmp")
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for key, value in PINNED_GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    monkeypatch.delenv("RUNLEDGER_RUN_ID", raising=False)
    monkeypatch.delenv("RUNLEDGER_METRICS_FILE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # OpenMP's idle threads (XGBoost, LightGBM, scikit-learn, torch) wait by spinning: on two
    # busy cores, 10-20 % of a program's CPU. Passive waiting computes the same; runledger does
    # not record this variable (test_tabular and test_autocapture_libs: 77.5 -> 69.7 s of CPU).
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    # pip asks the index for its own latest version after each command
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    # One package-list cache per worker: a probe of the same interpreter in every fresh
    # repository cost each test's first exec 0.3 s of CPU (tests of the cache itself unset it).
    monkeypatch.setenv("RUNLEDGER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "probe-cache"))
    return home


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@functools.cache
def _built_for(verb: str | None) -> Any:
    return typer.main.get_command(build_app(verb))


def command_line(args: Sequence[str]) -> Any:
    """The click command ``runledger ARGS`` runs (cli/main.py): the named verb alone, or every
    verb when none is named. Each is built once and invoked again and again, as click's own
    tests do: typer's CliRunner rebuilt every verb on each call, 0.06 s of CPU, and the
    in-process tests make thousands of calls."""
    verb = next((arg for arg in args if not arg.startswith("-")), None)
    return _built_for(verb if verb in VERBS else None)


def invoke(command: Any, args: list[str]) -> Result:
    """typer's ``CliRunner().invoke(app, args, catch_exceptions=False)``, given the built
    command: its isolation (stdin, stdout and stderr captured apart), the exit code."""
    runner = CliRunner()
    with runner.isolation() as (stdout, stderr, _):
        try:
            command.main(args=args, prog_name="runledger")
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = stdout.getvalue(), stderr.getvalue()

    def text(data: bytes) -> str:
        return data.decode(runner.charset, "replace").replace("\r\n", "\n")

    return Result(code, text(out), text(err))


class Repo:
    """A real temporary git repository with one commit, and ways to run runledger in it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.path, *args, check=check)

    def show_bytes(self, spec: str) -> bytes:
        return subprocess.run(
            ["git", "show", spec], cwd=self.path, capture_output=True, check=True
        ).stdout

    def write(self, name: str, content: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        return target

    def commit_all(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def cli(self, *args: str, cwd: Path | None = None) -> Result:
        """Run runledger in-process, in typer's CliRunner isolation (stdout and stderr
        separate), with the command line built as ``runledger ARGS`` builds it: the verb named
        alone."""
        old = Path.cwd()
        os.chdir(cwd or self.path)
        try:
            return invoke(command_line(args), list(args))
        finally:
            os.chdir(old)

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        input: bytes | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``python -m runledger ARGS`` as a real subprocess."""
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = (
            str(Path(__file__).resolve().parents[1]) + os.pathsep + full_env.get("PYTHONPATH", "")
        )
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "runledger", *args],
            cwd=cwd or self.path,
            env=full_env,
            capture_output=True,
            input=input,
            timeout=timeout,
            check=False,
        )

    def run_ids(self) -> list[str]:
        refs = self.git("for-each-ref", "--format=%(refname)", "refs/runledger/runs/")
        return [line.rsplit("/", 1)[1] for line in refs.splitlines()]

    def runs_json(self) -> list[dict[str, Any]]:
        result = self.cli("ls", "--json")
        assert result.exit_code == 0, result.stderr
        return list(result.json())

    def state(self) -> dict[str, str]:
        """What runledger must never change: HEAD, branches, tags, index, work tree."""
        index = self.path / ".git" / "index"
        return {
            "head": self.git("rev-parse", "HEAD"),
            "symbolic": self.git("symbolic-ref", "-q", "HEAD", check=False),
            "refs": self.git(
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/heads",
                "refs/tags",
                "refs/remotes",
            ),
            "index": index.read_bytes().hex() if index.exists() else "",
            "status": self.git("status", "--porcelain=v1", "--ignored"),
            "files": "\n".join(
                f"{p.relative_to(self.path)}:{p.stat().st_size}:{p.read_bytes().hex()[:64]}"
                for p in sorted(self.path.rglob("*"))
                if p.is_file() and ".git" not in p.relative_to(self.path).parts
            ),
        }

    def fsck(self) -> None:
        proc = subprocess.run(
            ["git", "fsck", "--strict", "--no-progress"],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"git fsck failed:\n{proc.stdout}\n{proc.stderr}"
        assert "error" not in proc.stderr.lower(), proc.stderr


def _new_repo(path: Path) -> Repo:
    path.mkdir()
    git(path, "init", "-q")
    (path / ".gitignore").write_text("data/\n*.ckpt\n")
    (path / "README.md").write_text("# project\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return Repo(path)


def _copy_repo(source: Path, target: Path) -> Repo:
    """A copy of the repository at ``source`` (``cp -a``): the same commits and refs, its git
    index refreshed. Nothing in a repository names the folder it is in."""
    shutil.copytree(source, target, symlinks=True)
    # The index caches each file's inode and times: a copy's are new, so refresh them as
    # the first `git status` would, or that status would rewrite the index in the test.
    git(target, "update-index", "-q", "--refresh", check=False)
    return Repo(target)


@pytest.fixture
def repo(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _templates: dict[str, tuple[Path, Any]],
) -> Iterator[Repo]:
    """A new repository with one commit: made by ``git init``, ``add`` and ``commit`` once per
    worker (in the first test's isolated HOME), copied for each test (half the CPU)."""
    if "repo" not in _templates:
        _templates["repo"] = (_new_repo(tmp_path_factory.mktemp("template") / "project").path, None)
    handle = _copy_repo(_templates["repo"][0], tmp_path / "project")
    yield handle
    handle.fsck()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    return {}


BuiltOnce = Callable[[Callable[[Repo], Any]], tuple[Repo, Any]]


@pytest.fixture
def built_once(
    _templates: dict[str, tuple[Path, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> Iterator[BuiltOnce]:
    """``built_once(build)``: a fresh ``repo`` that ``build(repo)`` filled, and what build
    returned. Build runs once per worker (the first test asking, in its isolated HOME); every
    test gets its own copy (``cp -a``): a ledger of real ``exec`` runs costs seconds to make, a
    copy milliseconds. Nothing in a ledger names the folder it is in, so a copy is the same
    ledger (its git index refreshed). Each copy is ``git fsck``-checked at the end, as ``repo``
    is."""
    copies: list[Repo] = []

    def copy(build: Callable[[Repo], Any]) -> tuple[Repo, Any]:
        key = f"{build.__module__}.{build.__qualname__}"
        if key not in _templates:
            template = _new_repo(tmp_path_factory.mktemp("template") / "project")
            made = build(template)
            template.fsck()
            _templates[key] = (template.path, made)
        source, made = _templates[key]
        copies.append(_copy_repo(source, tmp_path / "project"))
        return copies[-1], made

    yield copy
    for handle in copies:
        handle.fsck()


def python_command(code: str) -> Sequence[str]:
    """A command line that runs ``code`` with this interpreter."""
    return [sys.executable, "-c", code]


def _daily_seed() -> int:
    """CI's seed for property tests: a new search each day (or CI run), printed so it replays."""
    run_number = os.environ.get("GITHUB_RUN_NUMBER", "")
    if run_number.isdigit():
        return int(run_number)
    import datetime

    return int(datetime.date.today().strftime("%Y%m%d"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """CI derandomizes per run, not forever: Hypothesis's own ``ci`` profile fixes the seed and
    drops the database, so it could never find anything new."""
    from hypothesis import settings

    # pytest keeps each test module's assertion-rewritten bytecode in __pycache__ and reads it
    # back next time, unless PYTHONDONTWRITEBYTECODE is set (some sandboxes and CI images set
    # it): then every run, and every xdist worker, rewrote and compiled all ~24,000 lines of
    # tests again, 5-6 s of CPU each (collecting them: 10.4 -> 4.0 s of CPU).
    sys.dont_write_bytecode = False
    settings.register_profile("ci", derandomize=False, database=None, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")
        if config.getoption("hypothesis_seed", None) is None:
            config.option.hypothesis_seed = str(_daily_seed())


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the CPUs this process may use. Most tests spend part
    of their time waiting on the processes they start (git, runledger, the programs they
    record, sleeps in the sweep tests), so on 2 CPUs a third worker fills that time: the
    whole suite took 312 s with 2 workers and 289 s with 3, one after the other on a quiet
    2-core machine, with the same CPU time (545 and 541 s)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return cpus + 1


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    seed = config.getoption("hypothesis_seed", None)
    if seed is not None:
        terminalreporter.write_line(
            f"property tests ran with --hypothesis-seed={seed} (the same seed replays a failure)"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first; tests marked ``linux`` need /proc: skipped, and said
    so, on other systems.

    Slow first is for ``-n``: xdist hands out tests one at a time (``--maxschedchunk 1`` in
    pyproject.toml), so the long ones start at once, side by side, and the many short ones fill
    in around them; in file order a long test could start last and run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable
    if sys.platform.startswith("linux"):
        return
    skip = pytest.mark.skip(reason="Linux only: reads /proc")
    for item in items:
        if "linux" in item.keywords:
            item.add_marker(skip)


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this session shares: with ``-n``, each xdist worker has a
    base temp folder of its own, in the session's one."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def session_lock(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Held by one worker of the session at a time: what a worker builds for all (a
    virtualenv from the package index: seconds of CPU) is built by the first, under this
    lock, and found done by the others. Yields the shared folder."""
    import fcntl

    folder = session_folder(tmp_path_factory)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def _package_index_answer(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """Whether pip reaches the package index, asked once per session (whatever the number
    of workers): None, or why not."""
    with session_lock(tmp_path_factory, "index-check") as folder:
        answer = folder / "index-check.json"
        if not answer.exists():
            answer.write_text(json.dumps(_ask_the_package_index(folder / "index-check")))
        return json.loads(answer.read_text())  # type: ignore[no-any-return]


def _ask_the_package_index(dest: Path) -> str | None:
    command = [sys.executable, "-m", "pip", "index", "versions", "six"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode == 0:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q"]
            command += ["--dest", str(dest), "six==1.16.0"]
            proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]


@pytest.fixture
def package_index(_package_index_answer: str | None) -> None:
    """Skip (saying so) on a machine where the package index does not answer."""
    if _package_index_answer is not None:
        pytest.skip(f"the package index is not reachable: {_package_index_answer}")
