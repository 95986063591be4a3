"""A fresh virtualenv with a run's recorded Python and packages, for ``reproduce --venv``.

The Python is the recorded minor version (3.11 for 3.11.7), found on PATH (``python3.11``),
among pyenv's versions, or by ``uv python find``; none of them: a refusal naming the versions
that are here. The environment is made with ``uv`` when it is on PATH (``uv venv``, ``uv pip
install``), else with ``python -m venv`` and pip. Every line either tool prints is shown as
progress and kept as the build log, which the reproduction records.

A pinned version that is no longer installable (yanked, removed, never on this index) is an
error naming the package; with ``relax`` the nearest version the index has is installed
instead, and the verdict says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runledger.analysis.environment_export import Requirement, minor_version
from runledger.errors import UserError

Progress = Callable[[str], None]
PYENV_ROOTS = ("~/.pyenv/versions", "/root/.pyenv/versions")
_PYTHON_ON_PATH = re.compile(r"^python(\d+\.\d+)$")
INSTALL_TIMEOUT_S = 1800


class VirtualenvError(UserError):
    """The environment could not be built (a package not installable, a tool failing)."""


@dataclass(frozen=True)
class PythonFound:
    version: str  # "3.11"
    executable: str


@dataclass
class BuiltVirtualenv:
    """A virtualenv ready to run in, and how it was made."""

    path: Path
    python: str  # the venv's interpreter
    base_python: str  # the interpreter it was made from
    tool: str  # "uv" or "venv+pip"
    requirements: tuple[Requirement, ...]
    relaxed: list[str] = field(default_factory=list)  # "six 9.9 -> 1.17.0"
    log: list[str] = field(default_factory=list)

    @property
    def bin(self) -> Path:
        return Path(self.python).parent

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with the venv active: its bin first on PATH, VIRTUAL_ENV set."""
        env = dict(base)
        env["PATH"] = os.pathsep.join([os.fspath(self.bin), base.get("PATH", "")])
        env["VIRTUAL_ENV"] = os.fspath(self.path)
        env.pop("PYTHONHOME", None)
        return env

    def command(self, command: Sequence[str], interpreter: str | None) -> tuple[str, ...]:
        """The recorded command with its Python (or a script of its env) taken from the venv.

        A bare ``python`` resolves through PATH already; an absolute path to the recorded
        interpreter, or to a script beside it, would bypass the venv.
        """
        if not command or interpreter is None or os.sep not in command[0]:
            return tuple(command)
        name = os.path.basename(command[0])
        if is_python_name(name):
            return (self.python, *command[1:])
        if (self.bin / name).exists():
            return (os.fspath(self.bin / name), *command[1:])
        return tuple(command)

    def to_record(self) -> dict[str, object]:
        """environment.toml ``[virtualenv]`` of the reproduction."""
        return {
            "path": os.fspath(self.path),
            "python": self.base_python,
            "tool": self.tool,
            "installed": [requirement.line for requirement in self.requirements],
            "relaxed": list(self.relaxed),
            "log": "\n".join(self.log[-2000:]),
        }


def is_python_name(name: str) -> bool:
    """``python``, ``python3``, ``python3.11``, ``pypy3``: an interpreter the venv has."""
    return re.match(r"^(python|pypy)(\d+(\.\d+)*)?$", name) is not None


def venv_python_for(path: Path, program: str, minor: str) -> str | None:
    """The interpreter of the Python ``minor`` virtualenv to be built at ``path`` that will run
    a recorded ``program``: a path to a Python is replaced by the venv's python, and a bare
    ``python``, ``python3`` or ``python3.11`` is found in the venv's bin, first on PATH. None
    for any other program (it resolves as it would without the venv)."""
    name = os.path.basename(program)
    folder = path / ("Scripts" if os.name == "nt" else "bin")
    if os.sep in program:
        if not is_python_name(name):
            return None
        return os.fspath(folder / ("python.exe" if os.name == "nt" else "python"))
    if name not in ("python", "python3", f"python{minor}"):
        return None
    return os.fspath(folder / name)


# --- finding a Python ------------------------------------------------------------------------


def available_pythons() -> dict[str, str]:
    """Minor version -> an interpreter of it, from PATH, pyenv and uv."""
    found: dict[str, str] = {}
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            match = _PYTHON_ON_PATH.match(name)
            path = os.path.join(folder, name)
            if match and match[1] not in found and os.access(path, os.X_OK):
                found[match[1]] = path
    for root in PYENV_ROOTS:
        base = Path(root).expanduser()
        if not base.is_dir():
            continue
        for version in sorted(base.iterdir()):
            minor = minor_version(version.name)
            executable = version / "bin" / "python"
            if re.match(r"^\d+\.\d+$", minor) and executable.exists():
                found.setdefault(minor, os.fspath(executable))
    return found


def find_python(version: str) -> PythonFound:
    """An interpreter of ``version``'s minor version; a refusal naming those that are here."""
    minor = minor_version(version)
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    if minor == current:
        # runledger's own interpreter, or the one its virtualenv was made from
        base = getattr(sys, "_base_executable", None) or sys.executable
        return PythonFound(minor, base if os.path.exists(base) else sys.executable)
    found = available_pythons()
    if minor in found:
        return PythonFound(minor, found[minor])
    uv = shutil.which("uv")
    if uv is not None:
        proc = subprocess.run(
            [uv, "python", "find", minor], capture_output=True, text=True, check=False
        )
        if proc.returncode == 0 and proc.stdout.strip():
            return PythonFound(minor, proc.stdout.strip().splitlines()[-1])
    here = sorted({*found, current}, key=lambda text: tuple(int(part) for part in text.split(".")))
    raise UserError(
        f"the run used Python {version}, and no Python {minor} is here (found: "
        f"{', '.join(here)}); install it (e.g. 'uv python install {minor}' or "
        f"'pyenv install {minor}'), then try again"
    )


# --- building --------------------------------------------------------------------------------


def _stream(command: Sequence[str], progress: Progress, log: list[str]) -> int:
    """Run ``command``, every line of its output shown and logged; its exit code."""
    log.append("$ " + " ".join(command))
    progress("$ " + " ".join(command))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # runledger's own path must not leak into the new env
    env.pop("VIRTUAL_ENV", None)
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            errors="replace",
        )
    except OSError as error:
        raise VirtualenvError(f"cannot run {command[0]}: {error.strerror}") from error
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip("\n")
        log.append(line)
        progress(line)
    return process.wait(timeout=INSTALL_TIMEOUT_S)


def _create(path: Path, python: str, uv: str | None, progress: Progress, log: list[str]) -> str:
    if uv is not None:
        code = _stream([uv, "venv", "--python", python, os.fspath(path)], progress, log)
    else:
        code = _stream([python, "-m", "venv", os.fspath(path)], progress, log)
    venv_python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if code != 0 or not venv_python.exists():
        raise VirtualenvError(f"could not create a virtualenv at {path} (see the output above)")
    return os.fspath(venv_python)


def _install(
    venv_python: str, lines: Iterable[str], uv: str | None, progress: Progress, log: list[str]
) -> tuple[int, int]:
    """Install ``lines``; the exit code and where this attempt's output starts in ``log``."""
    start = len(log)
    lines = list(lines)
    if not lines:
        return 0, start
    if uv is not None:
        command = [uv, "pip", "install", "--python", venv_python, *lines]
    else:
        command = [venv_python, "-m", "pip", "install", "--progress-bar", "off", *lines]
    return _stream(command, progress, log), start


def _not_installable(
    requirements: Sequence[Requirement], output: Sequence[str]
) -> list[Requirement]:
    """The pinned requirements that the installer's output names as unavailable."""
    text = "\n".join(output).lower()
    failing = []
    for requirement in requirements:
        name = re.escape(requirement.name.lower())
        version = re.escape(requirement.version.lower())
        patterns = (
            rf"no matching distribution found for {name}\s*==\s*{version}",
            rf"could not find a version that satisfies the requirement {name}\s*==\s*{version}",
            rf"no version of {name}\s*==\s*{version}",
            rf"{name}\s*==\s*{version}\S* (?:was|were|is|are) (?:yanked|not found)",
            rf"because {name}\s*==\s*{version} (?:was not found|has no)",
        )
        if any(re.search(pattern, text) for pattern in patterns):
            failing.append(requirement)
    return failing


def available_versions(name: str, python: str, log: list[str]) -> list[str]:
    """The versions of ``name`` the index offers (``pip index versions``), newest first."""
    pip = [python, "-m", "pip"]
    proc = subprocess.run(
        [*pip, "index", "versions", name, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    log.append(f"$ {' '.join([*pip, 'index', 'versions', name])}")
    log.extend(proc.stdout.splitlines())
    for line in proc.stdout.splitlines():
        if line.strip().lower().startswith("available versions:"):
            return [part.strip() for part in line.split(":", 1)[1].split(",") if part.strip()]
    return []


def nearest_version(wanted: str, versions: Sequence[str]) -> str | None:
    """The newest version not above ``wanted``, else the oldest above it."""
    from packaging.version import InvalidVersion, Version

    try:
        target = Version(wanted)
    except InvalidVersion:
        return versions[0] if versions else None
    parsed = []
    for text in versions:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            continue
    below = [item for item in parsed if item[0] <= target]
    if below:
        return max(below)[1]
    return min(parsed)[1] if parsed else None


def build_virtualenv(
    path: Path,
    python: PythonFound,
    requirements: Sequence[Requirement],
    *,
    relax: bool,
    progress: Progress,
    extra_paths: Sequence[str] = (),
) -> BuiltVirtualenv:
    """Make the virtualenv at ``path`` and install ``requirements`` into it."""
    if path.exists() and any(path.iterdir()):
        raise UserError(f"--venv {path}: the folder exists and is not empty; name a new one")
    uv = shutil.which("uv")
    log: list[str] = []
    venv_python = _create(path, python.executable, uv, progress, log)
    built = BuiltVirtualenv(
        path=path,
        python=venv_python,
        base_python=python.executable,
        tool="uv" if uv else "venv+pip",
        requirements=tuple(requirements),
        log=log,
    )
    if extra_paths:
        _add_paths(path, venv_python, extra_paths)
    lines = [requirement.line for requirement in requirements]
    code, start = _install(venv_python, lines, uv, progress, log)
    if code == 0:
        return built
    failing = _not_installable(requirements, log[start:])
    if not failing:
        raise VirtualenvError(
            f"installing the recorded packages into {path} failed (exit code {code}); "
            "the output above says why"
        )
    names = ", ".join(f"{item.name}=={item.version}" for item in failing)
    if not relax:
        raise VirtualenvError(
            f"{names} can no longer be installed from the package index; pass --relax to "
            "install the nearest available version instead (the verdict will say so)"
        )
    replaced = {}
    for item in failing:
        # pip answers which versions the index has: the venv's own pip, else runledger's
        versions = available_versions(item.name, venv_python if uv is None else sys.executable, log)
        nearest = nearest_version(item.version, versions)
        if nearest is None:
            raise VirtualenvError(
                f"{item.name}=={item.version} can no longer be installed, and no other "
                "version of it was found ('pip index versions' listed none)"
            )
        replaced[item.name] = f"{item.name}=={nearest}"
        built.relaxed.append(f"{item.name} {item.version} -> {nearest}")
        progress(f"--relax: {item.name} {item.version} is not available; installing {nearest}")
    lines = [replaced.get(item.name, item.line) for item in requirements]
    code, _ = _install(venv_python, lines, uv, progress, log)
    if code != 0:
        raise VirtualenvError(
            f"installing the recorded packages into {path} failed even with --relax "
            f"(exit code {code}); the output above says why"
        )
    return built


def _add_paths(path: Path, venv_python: str, paths: Sequence[str]) -> None:
    """A .pth file in the venv's site-packages naming ``paths`` (runledger's own code)."""
    proc = subprocess.run(
        [venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    site = proc.stdout.strip()
    if proc.returncode == 0 and site:
        Path(site, "runledger-reproduce.pth").write_text("\n".join(paths) + "\n")
