"""One trial of ``runledger sweep``: a ``runledger exec`` of the command, as a child run.

Each trial is a real ``python -m runledger exec`` process, so a trial is a normal run with
full capture (params, metrics, output, environment, files); environment variables tell it
its parent run, sweep id, trial number and run id (recorder.Family), and it removes them
before starting the command. The sweep reads the trial's output and metrics file while it
runs (for pruning) and its record when it has ended (for the objective).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runledger import ids
from runledger.recording import claims
from runledger.recording.capture.metrics import MetricsCollector
from runledger.recording.recorder import CHILD_ID_ENV, PARENT_ENV, SWEEP_ENV, TRIAL_ENV
from runledger.store import git

TAIL_LINES = 20


@dataclass
class TrialProcess:
    """A running trial: its exec process, its run id, what it has reported so far."""

    number: int
    run_id: str
    argv: list[str]
    process: subprocess.Popen[bytes]
    metrics_file: Path
    collector: MetricsCollector = field(default_factory=MetricsCollector)
    tail: list[str] = field(default_factory=list)
    pruned: bool = False
    _reader: threading.Thread | None = None

    def poll(self) -> int | None:
        return self.process.poll()

    def series(self, metric: str) -> list[tuple[float, float]]:
        """The metric's points so far: from the output and from the metrics file."""
        self.collector.poll_metrics_file(self.metrics_file)
        found = self.collector.series().get(metric)
        if found is None:
            return []
        return list(zip(found.steps, found.values, strict=False))

    def interrupt(self) -> None:
        """Stop the trial as Ctrl-C would: exec forwards it to the command and records the
        run as interrupted."""
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        code = self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)
        return code


def start_trial(
    repo: git.Repo,
    cwd: Path,
    argv: Sequence[str],
    *,
    parent: str,
    sweep: str,
    number: int,
    name: str,
    echo: bool = False,
    live: bool = False,
) -> TrialProcess:
    """Start ``runledger exec`` of ``argv`` as trial ``number`` of ``sweep``.

    ``live`` (pruning needs the values as they come): a Python command writes its output
    unbuffered, as it does on a terminal, rather than in blocks to the pipe.
    """
    run_id = ids.new_run_id()
    env = dict(os.environ)
    if live:
        env.setdefault("PYTHONUNBUFFERED", "1")
    env.update({PARENT_ENV: parent, SWEEP_ENV: sweep, TRIAL_ENV: str(number), CHILD_ID_ENV: run_id})
    command = [*runledger_command(), "exec", "--name", name, "--", *argv]
    claims.register(repo.runledger_dir, sweep, run_id)
    # Same process group as the sweep: Ctrl-C on the terminal reaches every trial at once,
    # as it reaches every command of a shell pipeline.
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    metrics_file = repo.runledger_dir / "in-progress" / run_id / "metrics.jsonl"
    trial = TrialProcess(number, run_id, list(argv), process, metrics_file)
    reader = threading.Thread(target=_read_output, args=(trial, echo), daemon=True)
    trial._reader = reader
    reader.start()
    return trial


def runledger_command() -> list[str]:
    """This very runledger (the code running now, wherever it was imported from), run by this
    interpreter: on sys.path through ``-c``, not PYTHONPATH, so the trial's command sees the
    environment it would see bare."""
    root = str(Path(__file__).resolve().parents[2])
    code = (
        f"import sys; sys.path.insert(0, {root!r}); "
        "from runledger.cli.own_path import leave_the_working_folder_out; "
        "leave_the_working_folder_out(); "
        "from runledger.cli.main import main; main()"
    )
    return [sys.executable, "-c", code]


def _read_output(trial: TrialProcess, echo: bool) -> None:
    stream = trial.process.stdout
    if stream is None:
        return
    for line in iter(stream.readline, b""):
        trial.collector.feed_output(line)
        text = line.decode(errors="replace").rstrip("\n")
        trial.tail.append(text)
        del trial.tail[:-TAIL_LINES]
        if echo:
            sys.stderr.write(f"[trial {trial.number}] {text}\n")
    stream.close()
