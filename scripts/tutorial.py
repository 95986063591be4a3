"""Run docs/tutorial.md's shell blocks for real; with --update, paste their output into it.

    python scripts/tutorial.py            # run the tutorial in a scratch directory
    python scripts/tutorial.py --update   # ... and replace its output blocks with what it printed

Blocks fenced ```sh run, in order, in one bash process (``-e -o pipefail``: the first failing
command stops it) started in an empty temporary directory, so a ``cd`` or a variable carries
from one block to the next, as in the reader's terminal. ``runledger`` resolves to this
checkout and ``python`` to the interpreter running this script. Blocks fenced any other way
(```text, ```console, ```toml) are never run.

A ```text block that follows a ```sh block (with only blank lines between) is that block's
output: --update replaces it with what the block printed, stdout and stderr together as a
terminal shows them, 110 columns wide, trailing spaces stripped, the scratch directory
written as ``~``. tests/test_docs.py runs the same blocks, checks that they succeed, and compares
each output block with what its block printed, after :func:`normalise` has replaced what must
vary from run to run (ids, commits, times, durations, sizes, versions, package counts, and
the lines ``reproduce --venv`` shows from the tool that builds the virtualenv: uv where it is
on PATH, else venv and pip, each with its own lines).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
RUN_FENCE = "sh"
OUTPUT_FENCE = "text"
COLUMNS = "110"
# Charts take their height from LINES: pinned, or a CI terminal would redraw every plot.
LINES = "34"
MARKER = "@@runledger-tutorial-block"
# The tutorial's own clones set their git identity; one pinned in the environment would win.
UNSET = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")
# The caller's own environment must not show in the output (a reader has none of it).
CALLER_ONLY = (
    "VIRTUAL_ENV",
    "VIRTUAL_ENV_PROMPT",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "PYTHONPATH",
)

_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")


@dataclass(frozen=True)
class Block:
    """A fenced block: its info string, its text, and where it sits (0-based lines)."""

    lang: str
    text: str
    start: int  # the opening fence's line
    end: int  # the closing fence's line


@dataclass(frozen=True)
class Step:
    """A block to run and, when it has one, the output block that follows it."""

    number: int
    block: Block
    output: Block | None


@dataclass(frozen=True)
class Outcome:
    returncode: int
    outputs: dict[int, str]  # step number -> what it printed (complete steps only)
    failed: Step | None  # the step that was running when the script stopped
    log: str  # everything printed, markers removed


def blocks(markdown: str) -> list[Block]:
    lines = markdown.split("\n")
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, lang = match.group(1), match.group(2)
        close = index + 1
        while close < len(lines) and not lines[close].startswith(fence):
            close += 1
        found.append(Block(lang, "\n".join(lines[index + 1 : close]), index, close))
        index = close + 1
    return found


def steps(markdown: str) -> list[Step]:
    lines = markdown.split("\n")
    found = blocks(markdown)
    result: list[Step] = []
    for position, block in enumerate(found):
        if block.lang != RUN_FENCE:
            continue
        output = None
        following = found[position + 1] if position + 1 < len(found) else None
        if (
            following is not None
            and following.lang == OUTPUT_FENCE
            and not any(line.strip() for line in lines[block.end + 1 : following.start])
        ):
            output = following
        result.append(Step(len(result), block, output))
    return result


def script(all_steps: list[Step]) -> str:
    parts = ["exec 2>&1", "set -e -o pipefail"]
    for step in all_steps:
        parts.append(f"printf '\\n%s\\n' '{MARKER} {step.number}@@'")
        parts.append(step.block.text)
    parts.append(f"printf '\\n%s\\n' '{MARKER} end@@'")
    return "\n".join(parts) + "\n"


def make_tools(bin_dir: Path, root: Path = ROOT) -> None:
    """A ``runledger`` command that runs this checkout's code with this interpreter.

    The code is put on sys.path by the wrapper rather than through PYTHONPATH, so the
    commands runledger runs (and records) see the same environment as a reader's would.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "runledger"
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r}); "
        "from runledger.cli.main import main; main()"
    )
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{code}" "$@"\n')
    wrapper.chmod(0o755)


def environment(bin_dir: Path) -> dict[str, str]:
    """The environment the tutorial runs in: ``runledger`` from ``bin_dir``, and ``python``
    the interpreter running this (first in the folder of its executable, as in a virtualenv)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in UNSET and key not in CALLER_ONLY and not key.startswith("RUNLEDGER_")
    }
    python_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(bin_dir), python_dir, env.get("PATH", "")])
    env["COLUMNS"] = COLUMNS
    env["LINES"] = LINES
    return env


def run(markdown: str, workdir: Path, env: dict[str, str], timeout: float = 600) -> Outcome:
    """Run every ```sh block of ``markdown`` in ``workdir`` with one bash process."""
    all_steps = steps(markdown)
    # A file, not stdin: a command that reads its input must not eat the rest of the script.
    with tempfile.TemporaryDirectory(prefix="rl-script-") as folder:
        script_file = Path(folder) / "tutorial.sh"
        script_file.write_text(script(all_steps), encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", str(script_file)],
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    printed = proc.stdout.decode(errors="replace")
    outputs: dict[int, str] = {}
    current: int | None = None
    chunks: list[str] = []
    pattern = re.compile(rf"\n?{re.escape(MARKER)} (\d+|end)@@\n")
    position = 0
    for match in pattern.finditer(printed):
        if current is not None:
            outputs[current] = printed[position : match.start()]
        chunks.append(printed[position : match.start()])
        current = None if match.group(1) == "end" else int(match.group(1))
        position = match.end()
    chunks.append(printed[position:])
    failed = all_steps[current] if current is not None and proc.returncode != 0 else None
    return Outcome(proc.returncode, outputs, failed, "".join(chunks))


def tidy(output: str, workdir: Path) -> str:
    """Output as the tutorial shows it: no trailing spaces, the scratch directory as ~."""
    for path in {str(workdir.resolve()), str(workdir)}:
        output = output.replace(path, "~")
    lines = [line.rstrip() for line in output.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


_VARYING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # reproduce --venv's build output, "  | " and a line of uv's or venv's: one marker
        (r"(?m)^ *\| .*(?:\n *\| .*)*$", "<virtualenv build>"),
        # an interpreter of this machine, before its version is taken for a <version>; only
        # an absolute path where it starts: one under ~ (a --venv) is the tutorial's own, and
        # a path wrapped at the terminal's width must not lose a different part on each side
        (r"(?<![^\s(])/\S*?/bin/python[\d.]*", "<python>"),
        # a table's last column cut to the terminal's width ("python train.py --lr 0…"):
        # where it is cut depends on how wide a duration or a count in the row came out
        (r"(?m) {2,}(?:(?! {2})[^\n])*…$", "  <cut>"),
        (r"\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?", "<time>"),
        (r"\b(?:just now|\d+ ?(?:s|m|h|d|min|seconds?|minutes?|hours?|days?) ago)\b", "<when>"),
        (r"\b[\w.+-]+@[\w.-]+\b", "<who>"),
        (r"\b\d+(?:\.\d+){2,}\S*", "<version>"),
        (r"\b\d+(?:\.\d+)? ?(?:B|KiB|MiB|GiB|kB|KB|MB|GB)\b", "<size>"),
        # the process tree's peak, where a sample caught it: a short run on a fast machine
        # gives only the command's own (a slow one, under coverage say, the tree's)
        (r"<size> \(all processes\)", "<size>"),
        (r"\b\d+(?:\.\d+)?(?:ms|s|m|h)\b", "<duration>"),
        (r"\b\d+ packages\b", "<n> packages"),
        (r"\b\d+ installed\b", "<n> installed"),
        (r"(?m)^(\s*)(os|cpu|python)\s{2,}.*$", r"\1\2 <machine>"),
        (r"\b\d+ more\b", "<n> more"),
        # reproduce's work tree is named after the run and six random hex digits
        (r"<id>-[0-9a-f]{6}\b", "<id>-<random>"),
        (r"[─━═]+", "─"),
        (r"[ \t]+", " "),
    )
)


def _is_id_or_hash(word: str) -> bool:
    """A run id (16 or 10 base32 characters) or a git object name (7-40 hex digits)."""
    digits = sum(char.isdigit() for char in word)
    letters = len(word) - digits
    if re.fullmatch(r"[0-9a-f]{7,40}", word):
        return letters > 0 or len(word) == 8  # a short commit can be all digits
    return len(word) in (10, 16) and digits >= 1 and letters >= 2


def normalise(output: str) -> str:
    """What an output block says once what varies between two runs of it is replaced."""
    output = re.sub(
        r"\b[0-9a-z]{7,40}\b",
        lambda match: "<id>" if _is_id_or_hash(match.group(0)) else match.group(0),
        output,
    )
    for pattern, replacement in _VARYING:
        output = pattern.sub(replacement, output)
    return "\n".join(line.strip() for line in output.split("\n") if line.strip())


def differences(markdown: str, outcome: Outcome, workdir: Path) -> list[str]:
    """One unified diff per output block that no longer says what its block prints."""
    import difflib

    found = []
    for step in steps(markdown):
        if step.output is None or step.number not in outcome.outputs:
            continue
        shown = normalise(step.output.text)
        printed = normalise(tidy(outcome.outputs[step.number], workdir))
        # Where a line wraps depends on the scratch directory's length: compare the text alone.
        if re.sub(r"\s+", "", shown) != re.sub(r"\s+", "", printed):
            diff = difflib.unified_diff(
                shown.split("\n"),
                printed.split("\n"),
                f"docs/tutorial.md line {step.output.start + 1}",
                "printed now",
                lineterm="",
            )
            found.append("\n".join(diff))
    return found


def update(markdown: str, outcome: Outcome, workdir: Path) -> str:
    lines = markdown.split("\n")
    for step in reversed(steps(markdown)):
        if step.output is None or step.number not in outcome.outputs:
            continue
        new = tidy(outcome.outputs[step.number], workdir).split("\n")
        lines[step.output.start + 1 : step.output.end] = new
    return "\n".join(lines)


def describe_failure(outcome: Outcome, workdir: Path, tail_lines: int = 40) -> str:
    if outcome.failed is None:
        return f"the tutorial's shell exited {outcome.returncode}"
    step = outcome.failed
    first = next((line for line in step.block.text.split("\n") if line.strip()), "")
    tail = "\n".join(tidy(outcome.log, workdir).split("\n")[-tail_lines:])
    return (
        f"docs/tutorial.md: the ```sh block at line {step.block.start + 1} ({first.strip()!r})"
        f" failed with exit code {outcome.returncode}; the last lines printed:\n{tail}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run docs/tutorial.md's shell blocks.")
    parser.add_argument("--update", action="store_true", help="Paste the real output in.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch directory.")
    args = parser.parse_args(argv)
    markdown = TUTORIAL.read_text(encoding="utf-8")
    # Short paths: output that wraps at the path's length should wrap as it would at ~/.
    scratch = Path(tempfile.mkdtemp(prefix="rl-"))
    tools = Path(tempfile.mkdtemp(prefix="rl-bin-"))
    try:
        workdir = scratch
        make_tools(tools)
        outcome = run(markdown, workdir, environment(tools))
        if outcome.returncode != 0:
            print(describe_failure(outcome, workdir), file=sys.stderr)
            return 1
        if args.update:
            TUTORIAL.write_text(update(markdown, outcome, workdir), encoding="utf-8")
            print(f"updated {TUTORIAL.relative_to(ROOT)}")
        else:
            print(f"all {len(steps(markdown))} shell blocks of docs/tutorial.md ran")
        return 0
    finally:
        shutil.rmtree(tools, ignore_errors=True)
        if args.keep:
            print(f"scratch directory kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
