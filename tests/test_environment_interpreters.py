"""Which Python a command runs, as environment.toml records it: scripts started through
their shebang (``#!/usr/bin/env python3``), wrappers named python that are not Python, and a
package cache that cannot be written."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from runledger.recording.capture.environment import interpreter_for, package_sources
from tests.conftest import Repo

VENV_BIN = Path(sys.executable).parent


def recorded(repo: Repo, *command: str, env: dict[str, str]) -> dict[str, object]:
    proc = repo.run("exec", *command, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    shown = repo.cli("show", repo.run_ids()[0], "--json")
    assert shown.exit_code == 0, shown.stderr
    return dict(shown.json()["environment"])


def test_a_script_run_by_its_env_shebang_records_that_python(repo: Repo, tmp_path: Path) -> None:
    """``exec ./train.py`` with ``#!/usr/bin/env python3``: the python3 found on PATH is the
    one recorded, with its packages, even where the probe's cache cannot be written (its
    folder is a file): that costs time, never the record."""
    script = repo.write("train.py", "#!/usr/bin/env python3\nprint('acc=0.5')\n")
    script.chmod(0o755)
    repo.commit_all("train")
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("")
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "RUNLEDGER_CACHE_DIR": str(not_a_folder),
    }

    environment = recorded(repo, "./train.py", env=env)

    python = environment["python"]
    assert isinstance(python, dict)
    assert python["version"] == ".".join(map(str, sys.version_info[:3]))
    assert Path(python["prefix"]) == Path(sys.prefix)
    assert "pytest" in {name.lower() for name in environment["packages"]}  # type: ignore[attr-defined]
    assert not_a_folder.read_text() == ""


def test_a_wrapper_named_python_that_is_not_python(repo: Repo, tmp_path: Path) -> None:
    """A shell script called ``python`` (a site's wrapper that does something else): the run
    is recorded with its output, without a [python] section made up from the wrapper."""
    wrapper = tmp_path / "bin" / "python"
    wrapper.parent.mkdir()
    wrapper.write_text("#!/bin/sh\necho 'loss=0.25'\n")
    wrapper.chmod(0o755)

    environment = recorded(repo, str(wrapper), "train.py", env={})

    assert "python" not in environment and "packages" not in environment
    shown = repo.cli("show", repo.run_ids()[0], "--json").json()
    assert shown["metrics"]["loss"] == 0.25


@pytest.mark.parametrize(
    ("first_line", "interpreter"),
    [
        (b"#!/opt/py/bin/python3.11 -u\n", "/opt/py/bin/python3.11"),
        (b"#!/bin/sh\n", None),
        (b"#!\n", None),
        (b"#!/usr/bin/env\n", None),
        (b"#!/usr/bin/env -S node --flag\n", None),
        (b"#!/usr/bin/env nopython\n", None),
    ],
)
def test_the_interpreter_a_shebang_names(
    tmp_path: Path, first_line: bytes, interpreter: str | None
) -> None:
    script = tmp_path / "tool"
    script.write_bytes(first_line + b"print(1)\n")
    assert interpreter_for(str(script)) == interpreter


def test_an_unreadable_command_is_no_python(tmp_path: Path) -> None:
    assert interpreter_for(str(tmp_path)) is None  # a folder: open() fails


def test_package_sources_keep_a_subdirectory_and_skip_what_has_no_url() -> None:
    """PEP 610: ``subdirectory`` says where in a repository the package was; an entry
    without a URL (a broken direct_url.json) says nothing."""
    sources = package_sources(
        {
            "mono": {
                "url": "https://github.com/o/mono",
                "vcs_info": {"vcs": "git", "commit_id": "b" * 40},
                "subdirectory": "libs/mono",
            },
            "broken": {"dir_info": {"editable": True}},
            "junk": "not a table",
        }
    )
    assert sources == {
        "mono": {
            "url": "https://github.com/o/mono",
            "vcs": "git",
            "commit_id": "b" * 40,
            "subdirectory": "libs/mono",
        }
    }
