"""A run's environment as files another machine installs: requirements, environment.yml, JSON.

The packages are the ones the program imported (environment.toml ``[used]``), or with
``all_packages`` the whole interpreter's list. A package installed from a folder, an archive
URL or version control (its PEP 610 ``direct_url.json``, recorded as ``[package_sources]``) is
written the way ``pip freeze`` writes it: ``name @ git+URL@COMMIT``, ``name @ file:///...``;
where that does not pin the content (a local folder), a comment says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from runledger import ids
from runledger.analysis.diff import package_key
from runledger.analysis.environment_drift import NOT_DRIFT_PACKAGES, used_packages
from runledger.errors import CorruptRecordError, UserError
from runledger.model.record import Run

ExportFormat = Literal["requirements", "conda", "json"]
FORMATS: tuple[ExportFormat, ...] = ("requirements", "conda", "json")


@dataclass(frozen=True)
class Requirement:
    """One package to install, as pip reads it."""

    name: str
    version: str
    line: str  # "six==1.16.0", "pkg @ git+https://...@abc", "-e /path" ...
    note: str | None = None  # why the line does not pin the content, when it does not

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "line": self.line, "note": self.note}


# A record may come from anyone's push: what reaches a requirements file is checked, so a
# crafted name or URL cannot add a pip option (``--index-url ...``) or a second line.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,200})$")
_SAFE_VERSION = re.compile(r"^[A-Za-z0-9.+!_*-]{1,200}$")
_SAFE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s#\x00-\x1f\x7f]{1,2000}$")
_SAFE_FRAGMENT = re.compile(r"^[A-Za-z0-9._/-]{1,500}$")


def requirement_for(name: str, version: str, source: Mapping[str, Any] | None) -> Requirement:
    """``name==version``, or the line pip freeze writes for a package not from an index."""
    if not _SAFE_NAME.match(name) or not _SAFE_VERSION.match(version):
        raise CorruptRecordError(
            f"the recorded package {name!r} {version!r} is not a valid package name and version"
        )
    if source is not None and (
        not _SAFE_URL.match(str(source.get("url", "")))
        or not all(
            _SAFE_FRAGMENT.match(str(source[key]))
            for key in ("subdirectory", "commit_id", "vcs")
            if source.get(key) is not None
        )
    ):
        raise CorruptRecordError(f"the recorded source of package {name} is not a valid URL")
    if source is None or not isinstance(source.get("url"), str):
        return Requirement(name, version, f"{name}=={version}")
    url = str(source["url"])
    subdirectory = source.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) else ""
    vcs = source.get("vcs")
    if isinstance(vcs, str):
        commit = source.get("commit_id")
        at = f"@{commit}" if isinstance(commit, str) else ""
        line = f"{name} @ {vcs}+{url}{at}{fragment}"
        note = None if at else f"{name} {version} came from {vcs} without a recorded commit"
        return Requirement(name, version, line, note)
    if source.get("editable"):
        path = url.removeprefix("file://")
        return Requirement(
            name,
            version,
            f"-e {path}",
            f"{name} {version} was installed editable from a local folder: its content "
            "is not pinned",
        )
    if source.get("kind") == "directory" or url.startswith("file://") and url.endswith("/"):
        return Requirement(
            name,
            version,
            f"{name} @ {url}{fragment}",
            f"{name} {version} was installed from a local folder: its content is not pinned",
        )
    note = None
    if url.startswith("file://"):
        note = f"{name} {version} was installed from a local file: copy it along"
    return Requirement(name, version, f"{name} @ {url}{fragment}", note)


def requirements(
    run: Run, all_packages: bool = False, all_flag: str = "--all"
) -> list[Requirement]:
    """The packages to install to run ``run`` again, in name order.

    ``all_flag`` is the option that asks for every package, named when only that can help.
    """
    environment = run.environment or {}
    installed = environment.get("packages")
    used = used_packages(environment)
    if all_packages:
        if not isinstance(installed, Mapping):
            raise UserError(
                f"run {ids.short_id(run.id)} recorded no package list (not a Python command, "
                "or its environment could not be captured)"
            )
        chosen = {str(name): str(version) for name, version in installed.items()}
    elif used is not None:
        chosen = used
    else:
        raise UserError(
            f"run {ids.short_id(run.id)} did not record which packages it imported (not a "
            f"Python program, an older record, or --no-autocapture): pass {all_flag} for the "
            "interpreter's whole package list"
        )
    sources = environment.get("package_sources")
    by_key = (
        {package_key(str(name)): source for name, source in sources.items()}
        if isinstance(sources, Mapping)
        else {}
    )
    found = []
    for name, version in sorted(chosen.items(), key=lambda item: package_key(item[0])):
        if package_key(name) in NOT_DRIFT_PACKAGES:
            continue
        source = by_key.get(package_key(name))
        found.append(
            requirement_for(name, version, source if isinstance(source, Mapping) else None)
        )
    return found


_SAFE_PYTHON_VERSION = re.compile(r"^[0-9]{1,3}\.[0-9]{1,3}[A-Za-z0-9.+_-]{0,60}$")


def python_version(run: Run) -> str | None:
    """The recorded Python version; CorruptRecordError when it is not one (a pulled record's
    ``3.11\n--extra-index-url ...`` would be a line of its own in the requirements file)."""
    python = (run.environment or {}).get("python")
    if isinstance(python, Mapping) and isinstance(python.get("version"), str):
        version = str(python["version"])
        if not _SAFE_PYTHON_VERSION.match(version):
            raise CorruptRecordError(
                f"run {ids.short_id(run.id)} records {version[:40]!r} as its Python version, "
                "which is not a version"
            )
        return version
    return None


def minor_version(version: str) -> str:
    """``3.11.7`` -> ``3.11``."""
    return ".".join(version.split(".")[:2])


def _header(run: Run, all_packages: bool) -> list[str]:
    which = "every package of its interpreter" if all_packages else "the packages it imported"
    lines = [f"# run {run.id}: {which}"]
    version = python_version(run)
    if version:
        lines.append(f"# Python {version}")
    return lines


NOTHING_IMPORTED = "none: it imported no installed package, only the standard library"
NOTHING_INSTALLED = "none: its interpreter had no package installed"


def _nothing(all_packages: bool) -> str:
    return NOTHING_INSTALLED if all_packages else NOTHING_IMPORTED


def render_requirements(run: Run, all_packages: bool = False) -> str:
    """A requirements.txt that ``pip install -r`` reads."""
    lines = _header(run, all_packages)
    wanted = requirements(run, all_packages)
    if not wanted:
        lines.append(f"# {_nothing(all_packages)}")
    for requirement in wanted:
        if requirement.note:
            lines.append(f"# {requirement.note}")
        lines.append(requirement.line)
    return "\n".join(lines) + "\n"


def render_conda(run: Run, all_packages: bool = False) -> str:
    """An environment.yml: the recorded Python from conda, the packages from pip."""
    name = f"runledger-{ids.short_id(run.id)}"
    lines = [f"# {line[2:]}" for line in _header(run, all_packages)]
    wanted = requirements(run, all_packages)
    if not wanted:
        # No pip section: an empty "pip:" is a null that conda refuses.
        lines.append(f"# {_nothing(all_packages)}")
    lines += [f"name: {name}", "dependencies:"]
    version = python_version(run)
    lines.append(f"  - python={minor_version(version)}" if version else "  - python")
    if wanted:
        lines += ["  - pip", "  - pip:"]
    for requirement in wanted:
        if requirement.note:
            lines.append(f"    # {requirement.note}")
        lines.append(f"    - {json.dumps(requirement.line)}")
    return "\n".join(lines) + "\n"


def render_json(run: Run, all_packages: bool = False) -> str:
    environment = run.environment or {}
    python = environment.get("python")
    data = {
        "id": run.id,
        "python": dict(python) if isinstance(python, Mapping) else None,
        "torch": environment.get("torch"),
        "scope": "all" if all_packages else "used",
        "requirements": [item.to_json() for item in requirements(run, all_packages)],
    }
    return json.dumps(data, indent=2) + "\n"


def render(run: Run, format: ExportFormat, all_packages: bool = False) -> str:
    if format == "requirements":
        return render_requirements(run, all_packages)
    if format == "conda":
        return render_conda(run, all_packages)
    return render_json(run, all_packages)
