"""Facts a Python program reports about itself, read from its metrics file.

The in-process capture writes, when the program exits, lines such as::

    {"_runledger": "used", "packages": {"numpy": "1.26.4", "scikit-learn": "1.4.2"}}
    {"_runledger": "torch", "version": "2.3.0", "cuda": "12.1", "cudnn": 8902}

``used`` names the distributions of the top-level modules the program imported (mapped with
``importlib.metadata.packages_distributions``) and their versions: environment.toml
``[used]``. ``torch`` is the CUDA and cuDNN versions torch was built with, when the program
imported torch: environment.toml ``[torch]``. Any program may write them (they are plain
JSON lines), so what is read is checked and capped like any other input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MAX_USED_PACKAGES = 5000
MAX_TEXT = 200


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        return text if 0 < len(text) <= MAX_TEXT else None
    return None


def used_packages_from_lines(lines: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """Distribution name -> version from the ``used`` lines (later lines add to earlier)."""
    used: dict[str, str] | None = None
    for line in lines:
        if line.get("_runledger") != "used" or not isinstance(line.get("packages"), Mapping):
            continue
        used = used if used is not None else {}
        for name, version in line["packages"].items():
            name_text, version_text = _text(name), _text(version)
            if name_text and version_text and len(used) < MAX_USED_PACKAGES:
                used[name_text] = version_text
    return (
        dict(sorted(used.items(), key=lambda item: item[0].lower())) if used is not None else None
    )


def torch_from_lines(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """torch's version and the CUDA / cuDNN versions it was built with (the last line)."""
    found: dict[str, Any] | None = None
    for line in lines:
        if line.get("_runledger") != "torch":
            continue
        found = {}
        for key in ("version", "cuda"):
            text = _text(line.get(key))
            if text is not None:
                found[key] = text
        cudnn = line.get("cudnn")
        if isinstance(cudnn, int) and not isinstance(cudnn, bool):
            found["cudnn"] = cudnn
        elif _text(cudnn) is not None:
            found["cudnn"] = _text(cudnn)
    return found


def environment_facts(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The environment.toml tables the program's own report adds: ``used``, ``torch``."""
    lines = list(lines)
    facts: dict[str, Any] = {}
    used = used_packages_from_lines(lines)
    if used is not None:
        facts["used"] = used
    torch = torch_from_lines(lines)
    if torch is not None:
        facts["torch"] = torch
    return facts
