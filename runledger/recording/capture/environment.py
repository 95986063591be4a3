"""The environment a run ran in: interpreter and packages, OS, CPU, memory, GPUs, variables.

Everything here runs in a thread while the command runs, so it costs the run nothing unless
the command is shorter than the capture. The package list of an interpreter is the slow part
(a subprocess): it is cached by the interpreter's path and the modification times of its
``sys.path`` folders, which change whenever a package is installed, upgraded or removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runledger.recording.capture.gpu import query_gpus
from runledger.recording.journal import host_name

PYTHON_NAME = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?(\.exe)?$")
_PROBE = r"""
import os, sys
# -c (and an empty PYTHONPATH entry) put the working folder on sys.path: its json.py stays out.
try:
    here = os.path.realpath(os.getcwd())
except OSError:
    here = ""
sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != here]
import json, platform
packages, sources = {}, {}
try:
    from importlib import metadata
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or name in packages:
            continue
        packages[name] = dist.version
        # PEP 610: how a package installed from a path, an archive URL or VCS came here.
        direct = dist.read_text("direct_url.json")
        if direct:
            try:
                sources[name] = json.loads(direct)
            except ValueError:
                pass
except Exception:
    pass
print(json.dumps({
    "version": platform.python_version(),
    "implementation": platform.python_implementation(),
    "build": list(platform.python_build()),
    "compiler": platform.python_compiler(),
    "executable": sys.executable,
    "prefix": sys.prefix,
    "path": [p for p in sys.path if p],
    "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
    "sources": sources,
}))
"""


def interpreter_for(executable: str) -> str | None:
    """The Python interpreter that ``executable`` runs, when it is Python or a Python script."""
    if PYTHON_NAME.match(os.path.basename(executable)):
        return executable
    try:
        with open(executable, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode(errors="replace").split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env":
        words = [word for word in words[1:] if not word.startswith("-")]
        if not words:
            return None
        import shutil

        found = shutil.which(words[0])
        return found if found and PYTHON_NAME.match(os.path.basename(words[0])) else None
    return words[0] if PYTHON_NAME.match(os.path.basename(words[0])) else None


def _fingerprint(interpreter: str, paths: Sequence[str], pythonpath: str) -> list[Any]:
    stamps: list[Any] = [os.path.realpath(interpreter), pythonpath]
    for path in [interpreter, *paths]:
        try:
            stamps.append([path, os.stat(path).st_mtime_ns])
        except OSError:
            stamps.append([path, None])
    return stamps


def python_info(
    interpreter: str, env: Mapping[str, str], cache_dir: Path | None
) -> dict[str, Any] | None:
    """Version, executable and installed packages of ``interpreter`` (cached), or None."""
    key = hashlib.sha1(
        (os.path.realpath(interpreter) + "\0" + env.get("PYTHONPATH", "")).encode()
    ).hexdigest()
    cache_file = cache_dir / f"python2-{key}.json" if cache_dir else None
    if cache_file is not None:
        try:
            cached = json.loads(cache_file.read_text())
            info = cached["info"]
            fingerprint = _fingerprint(interpreter, info["path"], env.get("PYTHONPATH", ""))
            if cached["fingerprint"] == json.loads(json.dumps(fingerprint)):
                return dict(info)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    try:
        proc = subprocess.run(
            [interpreter, "-c", _PROBE],
            env=dict(env),
            capture_output=True,
            timeout=60,
            check=False,
        )
        info = json.loads(proc.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if cache_file is not None:
        fingerprint = _fingerprint(interpreter, info["path"], env.get("PYTHONPATH", ""))
        _write_atomic(cache_file, json.dumps({"fingerprint": fingerprint, "info": info}))
    return dict(info)


def python_facts(info: Mapping[str, Any]) -> dict[str, Any]:
    """environment.toml ``[python]``: which interpreter, exactly (version, build, compiler)."""
    facts = {
        "version": info["version"],
        "implementation": info["implementation"],
        "executable": info["executable"],
        "prefix": info["prefix"],
    }
    build = info.get("build")
    if isinstance(build, list) and len(build) == 2:
        facts["build"] = f"{build[0]}, {build[1]}"
    if info.get("compiler"):
        facts["compiler"] = str(info["compiler"])
    return facts


def package_sources(direct_urls: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """environment.toml ``[package_sources]``: where each package not from an index came from.

    From each distribution's PEP 610 ``direct_url.json``: the URL (a local folder is a
    ``file://`` URL), and for VCS its tool, commit and requested revision; editable installs
    say so. Credentials in a URL are removed by the recorder's masking of the environment.
    """
    sources: dict[str, dict[str, Any]] = {}
    for name, direct in direct_urls.items():
        if not isinstance(direct, Mapping) or not isinstance(direct.get("url"), str):
            continue
        source: dict[str, Any] = {"url": direct["url"]}
        vcs = direct.get("vcs_info")
        if isinstance(vcs, Mapping) and isinstance(vcs.get("vcs"), str):
            source["vcs"] = vcs["vcs"]
            for key in ("commit_id", "requested_revision"):
                if isinstance(vcs.get(key), str):
                    source[key] = vcs[key]
        elif isinstance(direct.get("dir_info"), Mapping):
            source["editable"] = bool(direct["dir_info"].get("editable", False))
            source["kind"] = "directory"
        elif isinstance(direct.get("archive_info"), Mapping):
            source["kind"] = "archive"
        if isinstance(direct.get("subdirectory"), str):
            source["subdirectory"] = direct["subdirectory"]
        sources[str(name)] = source
    return dict(sorted(sources.items(), key=lambda item: item[0].lower()))


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time next run


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(("model name", "Hardware", "Processor")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, check=False
            )
            if out.stdout.strip():
                return out.stdout.decode().strip()
        except OSError:
            pass
    return platform.processor() or platform.machine()


def _memory_total_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _platform_string(*parts: str) -> str:
    """``platform.platform()``'s text from its parts, cleaned as the standard library does."""
    text = "-".join(part.strip() for part in parts if part)
    for char in ' /\\:;"()':
        text = text.replace(char, "_" if char == " " else "-")
    text = text.replace("unknown", "")
    while "--" in text:
        text = text.replace("--", "-")
    return text.rstrip("-")


def _os_info() -> dict[str, Any]:
    if sys.platform.startswith("linux"):
        # platform.uname() and platform.platform() run `uname -p` in a subprocess for the
        # processor field, which Linux leaves out of platform() anyway ('unknown' or the
        # machine): os.uname() gives the same answer without a process.
        uname = os.uname()
        libc, libc_version = platform.libc_ver()
        return {
            "system": uname.sysname,
            "release": uname.release,
            "version": uname.version,
            "platform": _platform_string(
                uname.sysname, uname.release, uname.machine, "with", libc + libc_version
            ),
            "machine": uname.machine,
        }
    info = platform.uname()
    return {
        "system": info.system,
        "release": info.release,
        "version": info.version,
        "platform": platform.platform(),
        "machine": info.machine,
    }


def system_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "os": _os_info(),
        "cpu": {"model": _cpu_model(), "count": os.cpu_count()},
        "hostname": host_name(),
    }
    memory = _memory_total_bytes()
    if memory is not None:
        info["memory_total_bytes"] = memory
    return info


def capture_environment(
    executable: str,
    env: Mapping[str, str],
    recorded_env: Mapping[str, str],
    cache_dir: Path | None,
) -> dict[str, Any]:
    """Everything environment.toml holds for one run."""
    environment: dict[str, Any] = system_info()
    interpreter = interpreter_for(executable)
    if interpreter is not None:
        info = python_info(interpreter, env, cache_dir)
        if info is not None:
            environment["python"] = python_facts(info)
            environment["packages"] = info["packages"]
            sources = package_sources(info.get("sources") or {})
            if sources:
                environment["package_sources"] = sources
    environment["gpus"] = query_gpus()
    environment["variables"] = dict(sorted(recorded_env.items()))
    return environment
