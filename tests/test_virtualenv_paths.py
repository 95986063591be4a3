"""How ``reproduce --venv`` maps the recorded command and Python onto the new virtualenv, and
reads what the package index offers: the parts that need no virtualenv built."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runledger.analysis.virtualenv import (
    BuiltVirtualenv,
    available_pythons,
    nearest_version,
    venv_python_for,
)


def built(tmp_path: Path) -> BuiltVirtualenv:
    bin_folder = tmp_path / "venv" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "torchrun").write_text("#!/bin/sh\n")
    return BuiltVirtualenv(
        path=tmp_path / "venv",
        python=os.fspath(bin_folder / "python"),
        base_python="/usr/bin/python3.11",
        tool="venv+pip",
        requirements=(),
    )


def test_the_recorded_command_runs_from_the_new_virtualenv(tmp_path: Path) -> None:
    """The recorded interpreter's path, or a console script beside it (torchrun) that the
    new virtualenv has, is taken from the new one; a script it lacks, a bare name (found on
    PATH, the venv's bin first) or a non-Python command runs as recorded."""
    venv = built(tmp_path)
    old = "/home/me/old-venv/bin"
    assert venv.command([f"{old}/python3.11", "train.py"], "python") == (venv.python, "train.py")
    assert venv.command([f"{old}/torchrun", "train.py"], "python") == (
        os.fspath(venv.bin / "torchrun"),
        "train.py",
    )
    assert venv.command([f"{old}/accelerate", "launch"], "python") == (
        f"{old}/accelerate",
        "launch",
    )
    assert venv.command(["python", "train.py"], "python") == ("python", "train.py")
    assert venv.command([f"{old}/python", "train.py"], None) == (f"{old}/python", "train.py")


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("/opt/conda/bin/python3", "bin/python"),
        ("python3.11", "bin/python3.11"),
        ("python3", "bin/python3"),
        ("python3.9", None),  # another minor: resolves on PATH as it would without the venv
        ("/usr/local/bin/torchrun", None),
        ("make", None),
    ],
)
def test_the_python_the_new_virtualenv_gives_a_program(
    tmp_path: Path, program: str, expected: str | None
) -> None:
    found = venv_python_for(tmp_path, program, "3.11")
    assert found == (None if expected is None else os.fspath(tmp_path / expected))


def test_pythons_on_path_skip_folders_that_cannot_be_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    interpreter = bin_folder / "python3.99"
    interpreter.write_text("#!/bin/sh\n")
    interpreter.chmod(0o755)
    (bin_folder / "python3.98").write_text("not executable")
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "missing"), str(bin_folder)]))
    found = available_pythons()
    assert found["3.99"] == str(interpreter)
    assert "3.98" not in found


def test_nearest_version_of_versions_that_do_not_parse() -> None:
    """A recorded version pip cannot parse (a local build's) takes the index's newest; the
    index's versions that do not parse are passed over."""
    assert nearest_version("1.0-custom+build.7!", ["2.0", "1.5"]) == "2.0"
    assert nearest_version("not a version", []) is None
    assert nearest_version("1.5", ["junk", "1.4", "2.0"]) == "1.4"
    assert nearest_version("1.5", ["junk"]) is None
