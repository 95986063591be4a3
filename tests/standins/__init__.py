"""Stand-ins for libraries too heavy for the test extras (torch, dvc, a native store):
packages of the same names, with the modules, classes and signatures that runledger's
hooks patch, doing what the real ones do with the values the hooks read. A test copies
one into the program's folder (:func:`tests.standins.imitate`), where it shadows an
installed copy, and runs a program written as for the real library."""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent


def imitate(folder: Path, *packages: str) -> None:
    """Copy the stand-in ``packages`` (``"aim"``, ``"transformers"``) into ``folder``."""
    for package in packages:
        shutil.copytree(
            HERE / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
