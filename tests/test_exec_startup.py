"""exec's start-up stays lean: it is on every training run's path.

``python -X importtime`` lists every module runledger imported while recording a run: typer,
rich, pandas and the rest belong to the other commands, never to exec.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import Repo

HEAVY = ("typer", "click", "rich", "pandas", "numpy", "matplotlib", "plotext", "yaml", "sqlite3")


def _imported_by_exec(repo: Repo) -> set[str]:
    """What ``runledger exec`` imports beyond what this interpreter imports on its own (a
    site hook such as coverage's subprocess measurement loads sqlite3 in every process)."""
    return _imported(repo, "-m", "runledger", "exec", "--", "true") - _imported(repo, "-c", "pass")


def _imported(repo: Repo, *args: str) -> set[str]:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_exec_imports_none_of_the_heavy_libraries(repo: Repo) -> None:
    imported = _imported_by_exec(repo)
    assert "runledger.recording.recorder" in imported  # the list is real
    assert sorted(name for name in imported if name.split(".")[0] in HEAVY) == []


def test_exec_imports_neither_socket_nor_tempfile(repo: Repo) -> None:
    """The host name is uname's (what socket.gethostname() returns) and the journal names its
    temporary files itself: socket (its enum conversions) and tempfile (with random) cost exec
    a few milliseconds each, for one call."""
    imported = _imported_by_exec(repo)
    assert "runledger.recording.journal" in imported  # the list is real
    assert sorted({"socket", "tempfile"} & imported) == []


def test_exec_help_still_goes_through_typer(repo: Repo) -> None:
    result = repo.run("exec", "--help")
    assert result.returncode == 0
    assert "--param" in result.stdout.decode()


def _loaded_after(repo: Repo, *args: str) -> set[str]:
    """The modules loaded once ``runledger ARGS`` has run (in a process of its own)."""
    script = (
        "import sys\n"
        "from runledger.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    return set(proc.stderr.split())


def test_a_command_builds_its_own_verb_only(repo: Repo) -> None:
    """Typer builds the options of every command it is given before it parses: a command
    line that names its verb loads that verb's module and no other's."""
    loaded = _loaded_after(repo, "ls")
    assert "runledger.cli.commands.ls" in loaded
    others = {"report", "sweep", "compare", "reproduce", "exec_", "store", "plot"}
    assert sorted(name for name in others if f"runledger.cli.commands.{name}" in loaded) == []
    assert "pydantic" not in loaded  # typer 0.29 converts options through pydantic
    assert "runledger.cli.commands.report" in _loaded_after(repo, "--help")


def test_help_and_an_unknown_verb_still_know_every_verb(repo: Repo) -> None:
    helped = repo.run("--help").stdout.decode()
    assert all(verb in helped for verb in ("exec", "ls", "compare", "report", "store", "sweep"))
    wrong = repo.run("lss")
    assert wrong.returncode == 2 and b"No such command" in wrong.stderr


# What exec needs only once output arrives or the command has ended: imported by the preload
# thread while the command runs, never on the way to starting it.
LATE_MODULES = (
    "runledger.recording.capture.metrics",
    "runledger.recording.capture.output_formats",
    "runledger.recording.capture.params",
    "runledger.recording.recovery",
    "runledger.model.record",
    "runledger.store.ledger",
    "runledger.query.select",
)


def test_exec_starts_the_command_before_importing_the_recorder(repo: Repo) -> None:
    """Everything exec does before the command starts (options, the dirty check, the
    journal) loads none of the parsers or the record model: those are imported in a thread
    while the command runs. (``-p`` reads its values with the params module, so it loads that
    before the command starts.)"""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from runledger.cli.exec_args import parse_exec_args\n"
        "from runledger.recording import recorder\n"
        "options = parse_exec_args(['--name', 'x', '--', sys.executable, '-c', 'pass'])\n"
        "prepared = recorder.prepare(options, Path.cwd())\n"
        "journal = recorder.begin_journal(prepared)\n"
        "journal.close()\n"
        "print('\\n'.join(sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    loaded = set(proc.stdout.split())
    assert "runledger.recording.journal" in loaded  # the list is real
    assert sorted(name for name in LATE_MODULES if name in loaded) == []


def test_output_printed_before_the_parsers_are_loaded_is_read(repo: Repo) -> None:
    """The command starts before the metric parsers are imported: what it prints meanwhile
    is kept and parsed once they are, in order, and the run's metrics are as before."""
    lines = "".join(f"epoch {step} loss={1 / (step + 1):.4f}\\n" for step in range(5))
    result = repo.run(
        "exec", "--", sys.executable, "-c", f"import sys; sys.stdout.write('{lines}')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0] == "epoch 0 loss=1.0000"
    (run_id,) = repo.run_ids()
    metrics = repo.show_bytes(f"refs/runledger/runs/{run_id}:metrics.toml").decode()
    assert "[series.loss]" in metrics
    series = tomllib.loads(metrics)["series"]["loss"]
    assert series["step"] == [0, 1, 2, 3, 4]
    assert series["value"] == [1.0, 0.5, 0.3333, 0.25, 0.2]
    # Seconds since the command started, when each line arrived: not delayed until the
    # parsers were loaded, nor counted from then.
    assert all(0 <= at < 5 for at in series["time"])


def test_a_listing_with_no_run_in_progress_loads_no_journal(repo: Repo) -> None:
    """Every command looks for abandoned runs, and ``ls`` for running ones, with one
    ``os.scandir``: with none, the journal (and what it imports) stays unloaded."""
    loaded = _loaded_after(repo, "ls")
    assert "runledger.cli.commands.ls" in loaded  # the list is real
    assert sorted(name for name in loaded if name.startswith("runledger.recording")) == []


def test_a_plain_listing_loads_neither_the_query_language_nor_compare(repo: Repo) -> None:
    """``ls`` without ``--where``/``--status``/``--tag`` needs no expression parser, and its
    table needs only which way each metric is better (analysis/direction.py)."""
    result = repo.run("exec", "--", sys.executable, "-c", "print('epoch 1 loss=0.5 acc=0.9')")
    assert result.returncode == 0, result.stderr
    loaded = _loaded_after(repo, "ls")
    assert "runledger.analysis.direction" in loaded  # the table's headline metrics were ranked
    assert "runledger.query.where" not in loaded
    assert "runledger.analysis.compare" not in loaded
    assert "runledger.query.where" in _loaded_after(repo, "ls", "--where", "metrics.acc > 0.5")
