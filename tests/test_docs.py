"""The documentation cannot rot: the tutorial runs, the reference is the CLI's own help.

- docs/tutorial.md: every ```sh block runs, in order, in one bash process in an empty
  temporary directory, with ``runledger`` resolving to the code under test
  (scripts/tutorial.py; ``python scripts/tutorial.py --update`` refreshes its outputs).
- docs/reference.md is exactly what scripts/gen_reference.py generates now.
- every command, argument and option has help text.
- every ``runledger WORD`` the README and the docs mention is a real command.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


tutorial = _load("tutorial")
gen_reference = _load("gen_reference")


@pytest.mark.skipif(shutil.which("bash") is None, reason="the tutorial's blocks are bash")
@pytest.mark.slow
def test_every_shell_block_of_the_tutorial_runs(tmp_path: Path) -> None:
    markdown = tutorial.TUTORIAL.read_text(encoding="utf-8")
    assert len(tutorial.steps(markdown)) >= 10, "docs/tutorial.md lost its ```sh blocks"
    workdir = tmp_path / "work"
    workdir.mkdir()
    tutorial.make_tools(tmp_path / "bin")
    env = tutorial.environment(tmp_path / "bin")
    # The worker's package-list cache (conftest): the tutorial's seven clones each probed
    # this interpreter's packages anew, 0.3 s of CPU each; where the list is kept is not shown.
    env["RUNLEDGER_CACHE_DIR"] = os.environ["RUNLEDGER_CACHE_DIR"]
    outcome = tutorial.run(markdown, workdir, env)
    assert outcome.returncode == 0, tutorial.describe_failure(outcome, workdir)
    assert set(outcome.outputs) == {step.number for step in tutorial.steps(markdown)}
    stale = tutorial.differences(markdown, outcome, workdir)
    assert not stale, (
        f"{len(stale)} output block(s) of docs/tutorial.md no longer match what their blocks "
        "print; if the change is meant, run: python scripts/tutorial.py --update\n\n"
        + "\n\n".join(stale)
    )


def test_a_failing_block_is_named_with_its_line_and_output(tmp_path: Path) -> None:
    markdown = (
        "# t\n\n```sh\necho one\n```\n\n```text\none\n```\n\n"
        "```sh\necho two\nfalse\necho never\n```\n"
    )
    tutorial.make_tools(tmp_path / "bin")
    outcome = tutorial.run(markdown, tmp_path, tutorial.environment(tmp_path / "bin"))
    assert outcome.returncode == 1
    assert outcome.outputs == {0: "one\n"}
    message = tutorial.describe_failure(outcome, tmp_path)
    assert "block at line 11 ('echo two') failed with exit code 1" in message
    assert message.endswith("printed:\none\ntwo")  # what it printed, never "never"


def test_update_pastes_each_blocks_output_after_it(tmp_path: Path) -> None:
    markdown = (
        "```sh\ncd sub 2>/dev/null || mkdir sub && cd sub && pwd\n```\n\n```text\nold\n```\n"
        "```sh\necho unshown\n```\n\n```console\nkept\n```\n"
    )
    tutorial.make_tools(tmp_path / "bin")
    outcome = tutorial.run(markdown, tmp_path, tutorial.environment(tmp_path / "bin"))
    assert outcome.returncode == 0, outcome.log
    updated = tutorial.update(markdown, outcome, tmp_path)
    assert updated == markdown.replace("old", "~/sub")


def test_runledger_in_the_tutorial_is_the_code_under_test(tmp_path: Path) -> None:
    markdown = "```sh\nrunledger --version\npython -c 'import sys; print(sys.executable)'\n```\n"
    tutorial.make_tools(tmp_path / "bin")
    outcome = tutorial.run(markdown, tmp_path, tutorial.environment(tmp_path / "bin"))
    from runledger import __version__

    assert outcome.returncode == 0, outcome.log
    version, executable = outcome.outputs[0].split("\n")[:2]
    assert version == f"runledger {__version__}"
    # this virtualenv's interpreter, named python or python3 (coverage's launcher is python3)
    assert Path(executable).parent == Path(sys.executable).parent
    assert os.path.realpath(executable) == os.path.realpath(sys.executable)


def test_the_reference_is_up_to_date() -> None:
    current = gen_reference.REFERENCE.read_text(encoding="utf-8")
    assert current == gen_reference.render(), (
        f"docs/reference.md is out of date: run '{gen_reference.REGENERATE}'"
    )


def test_every_command_and_option_has_help() -> None:
    missing = []
    for command in gen_reference.commands():
        if not command.help:
            missing.append(f"runledger {command.name}")
        for param in command.params:
            if not param.help:
                missing.append(f"runledger {command.name} {param.names[0]}")
    for param in gen_reference.global_options():
        if not param.help:
            missing.append(f"runledger {param.names[0]}")
    assert not missing, f"no help text: {', '.join(missing)}"
    assert len(gen_reference.commands()) >= 13


def test_the_reference_lists_every_command_and_option() -> None:
    reference = gen_reference.REFERENCE.read_text(encoding="utf-8")
    for command in gen_reference.commands():
        assert f"### runledger {command.name}\n" in reference
        for param in command.params:
            if param.kind == "option":
                assert f"`{', '.join(param.names)}" in reference, (command.name, param.names)


COMMAND_FENCES = {"sh", "console", "bash", "shell"}


def _code(markdown: str) -> list[str]:
    """Shell fences and inline code spans: where a reader finds commands to type."""
    code = [block.text for block in tutorial.blocks(markdown) if block.lang in COMMAND_FENCES]
    prose = re.sub(r"^(```+|~~~+).*?^\1", "", markdown, flags=re.S | re.M)
    code += re.findall(r"`([^`\n]+)`", prose)
    return code


def _documented_commands() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for code in _code(path.read_text(encoding="utf-8")):
            for match in re.finditer(r"(?<![\w/.-])runledger ([a-z][a-z-]*)", code):
                found.setdefault(match.group(1), set()).add(path.name)
    return found


def test_the_docs_mention_only_real_commands() -> None:
    real = {command.name.split()[0] for command in gen_reference.commands()}  # "store push"
    documented = _documented_commands()
    unknown = {word: sorted(files) for word, files in documented.items() if word not in real}
    assert not unknown, f"the docs name commands that do not exist: {unknown}"
    assert {"exec", "ls", "show"} <= set(documented)


def test_what_varies_between_two_runs_is_not_a_difference() -> None:
    first = (
        "runledger: recorded run 6fh4j5dmt3 (ok)\n"
        " 6fh4j5dmt3   just now   ok   0.1s   81b5e7a7   main   0.3151\n"
        "started 2026-11-23T17:09:25.650Z, Python 3.11.7, 203 packages, peak 41.2 MiB"
    )
    second = (
        "runledger: recorded run 6gk2m0ax9q (ok)\n"
        " 6gk2m0ax9q   3 minutes ago   ok   12.4s   0c1d2e3f   main   0.3151\n"
        "started 2026-12-06T04:10:00.001Z, Python 3.12.1, 87 packages, peak 39 MiB"
    )
    assert tutorial.normalise(first) == tutorial.normalise(second)


def test_a_real_difference_in_an_output_block_is_named_with_a_diff(tmp_path: Path) -> None:
    markdown = "```sh\necho 'loss=0.25 acc=0.91'\n```\n\n```text\nloss=0.25 acc=0.90\n```\n"
    tutorial.make_tools(tmp_path / "bin")
    outcome = tutorial.run(markdown, tmp_path, tutorial.environment(tmp_path / "bin"))
    [diff] = tutorial.differences(markdown, outcome, tmp_path)
    assert "-loss=0.25 acc=0.90" in diff and "+loss=0.25 acc=0.91" in diff
    assert (
        tutorial.differences(tutorial.update(markdown, outcome, tmp_path), outcome, tmp_path) == []
    )


def test_the_tutorial_runs_without_the_callers_virtualenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/.venv")
    env = tutorial.environment(tmp_path / "bin")
    assert "VIRTUAL_ENV" not in env and "PYTHONPATH" not in env


def test_the_virtualenv_tools_own_lines_are_not_a_difference() -> None:
    """reproduce --venv shows the build tool's lines: venv's one, or uv's several."""
    venv = "✓ output models\n\n  | $ /usr/bin/python3.11 -m venv ~/v\nepoch=1 acc=0.9"
    uv = (
        "✓ output models\n\n  | $ /opt/uv venv --python /usr/bin/python3.12 ~/v\n"
        "  | Using CPython 3.12.1\n  | Creating virtual environment at: ~/v\nepoch=1 acc=0.9"
    )
    assert tutorial.normalise(venv) == tutorial.normalise(uv)
    assert tutorial.normalise(venv) != tutorial.normalise(venv.replace("acc=0.9", "acc=0.8"))


def test_an_interpreter_path_is_this_machines_but_a_venv_under_the_scratch_is_not() -> None:
    here = (
        "python 3.11.7 (/root/.pyenv/versions/3.11.7/bin/python3.11); program /w/.venv/bin/python"
    )
    ci = (
        "python 3.12.1 (/opt/hostedtoolcache/Python/3.12.1/x64/bin/python3.12); "
        "program /b/bin/python3"
    )
    assert tutorial.normalise(here) == tutorial.normalise(ci)
    shown = "program ~/runledger-tutorial/you/.git/runledger/venvs/abc/bin/python"
    wrapped = "program ~/runledger-tutorial/you/.git/runl\nedger/venvs/abc/bin/python"  # folded
    assert re.sub(r"\s+", "", tutorial.normalise(shown)) == re.sub(
        r"\s+", "", tutorial.normalise(wrapped)
    )
