"""Soak test: many short execs, some killed at random, and not one run lost (issue 8).

Run from the repository root:  python benchmarks/soak.py [--runs 1000] [--parallel 4] [DIR]

Each run is ``runledger exec --name soak-N -- python child.py N`` in a fresh repository (DIR, or
a temporary one), a few at a time. The child marks that it started, prints and logs metrics for
a random fraction of a second and exits with a random code. A random share of runs get SIGTERM
or SIGKILL sent to the wrapper (runledger) or to the child, after a random delay: mostly once
the child has started, sometimes from the launch (runledger's own start-up).

Afterwards (one ``runledger ls`` recovers what the killed wrappers left), it checks that:
- every run whose command started is in the ledger exactly once (recorded by its runledger,
  or recovered from its journal as interrupted), with the exit code the child really had when
  its runledger saw it end;
- every wrapper that was not killed exited with its command's exit code (128 + signal for a
  command killed by one) and printed no traceback;
- nothing is left in progress, and ``git fsck --strict`` is clean.
It prints the figures and exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runledger.recording.journal import in_progress_dir, process_alive  # noqa: E402
from runledger.store import git  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402

CHILD = """\
import json, os, random, sys, time
from pathlib import Path
n, marks = sys.argv[1], Path(sys.argv[2])
(marks / f"{n}.id").write_text(os.environ["RUNLEDGER_RUN_ID"])
(marks / f"{n}.pid.tmp").write_text(str(os.getpid()))
os.replace(marks / f"{n}.pid.tmp", marks / f"{n}.pid")  # never seen half-written
rng = random.Random(int(n))
code = rng.choice([0, 0, 0, 0, 1, 2])
(marks / f"{n}.code").write_text(str(code))
with open(os.environ["RUNLEDGER_METRICS_FILE"], "a") as metrics:
    for step in range(rng.randint(1, 6)):
        print(f"step={step} loss={1 / (step + 1)}", flush=True)
        metrics.write(json.dumps({"step": step, "acc": step / 10}) + "\\n")
        metrics.flush()
        time.sleep(rng.random() * 0.08)
raise SystemExit(code)
"""

ACTIONS = {
    "none": 0.55,
    "TERM wrapper": 0.1,
    "KILL wrapper": 0.15,
    "TERM child": 0.1,
    "KILL child": 0.1,
}


@dataclass
class Outcome:
    number: int
    action: str
    wrapper_code: int | None = None
    stderr: str = ""
    acted: bool = False  # the signal was sent while its target ran
    notes: list[str] = field(default_factory=list)


def make_repo(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    run = lambda *args: subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("config", "user.name", "Soak")
    run("config", "user.email", "soak@example.com")
    (path / ".gitignore").write_text("marks/\n")
    (path / "child.py").write_text(CHILD)
    run("add", "-A")
    run("commit", "-q", "-m", "soak")
    (path / "marks").mkdir()


def one_run(repo: Path, number: int, action: str, late: bool, delay: float) -> Outcome:
    marks = repo / "marks"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "runledger", "exec", "--name", f"soak-{number}", "--"]
    command += [sys.executable, "child.py", str(number), str(marks)]
    outcome = Outcome(number, action)
    wrapper = subprocess.Popen(
        command,
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if action != "none":
        if late:  # aim at the command's run, not at runledger's start-up
            pid_file = marks / f"{number}.pid"
            deadline = time.monotonic() + 20
            while not pid_file.exists() and wrapper.poll() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        time.sleep(delay)
        signum = signal.SIGKILL if action.startswith("KILL") else signal.SIGTERM
        if action.endswith("wrapper"):
            if wrapper.poll() is None:
                wrapper.send_signal(signum)
                outcome.acted = True
        else:
            pid_file = marks / f"{number}.pid"
            pid = int(pid_file.read_text()) if pid_file.exists() else 0
            if pid > 0:  # os.kill(0) would signal this whole process group
                try:
                    os.kill(pid, signum)
                    outcome.acted = True
                except ProcessLookupError:
                    pass
    _, err = wrapper.communicate(timeout=120)
    outcome.wrapper_code = wrapper.returncode
    outcome.stderr = err.decode(errors="replace")
    return outcome


def expected_exit(outcome: Outcome, child_code: int | None) -> int | None:
    """What the wrapper must exit with, when that is certain."""
    if not outcome.acted:
        return child_code
    # A signal to the child may reach it as it exits (a zombie): its own code stands then;
    # a killed wrapper exits -9; a wrapper sent SIGTERM exits with the command's code, which
    # depends on whether the command had ended.
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", nargs="?", help="where to create the repository (default: temp)")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--kill-share", type=float, default=1 - ACTIONS["none"])
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    repo = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="runledger-soak-"))
    repo = repo / "project"
    make_repo(repo)
    rng = random.Random(args.seed)
    kinds = [kind for kind in ACTIONS if kind != "none"]
    plan = []
    for number in range(args.runs):
        action = "none" if rng.random() >= args.kill_share else rng.choice(kinds)
        late = rng.random() < 0.7
        plan.append((number, action, late, rng.random() * (0.3 if late else 0.8)))

    started = time.monotonic()
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    with ThreadPoolExecutor(args.parallel) as pool:
        for outcome in pool.map(lambda item: one_run(repo, *item), plan):
            with lock:
                outcomes.append(outcome)
            if len(outcomes) % 100 == 0:
                print(f"  {len(outcomes)} runs, {time.monotonic() - started:.0f} s", flush=True)
    run_time = time.monotonic() - started

    # Children of killed wrappers may still be finishing: wait for them, then recover.
    marks = repo / "marks"
    deadline = time.monotonic() + 30
    for pid_file in marks.glob("*.pid"):
        pid = int(pid_file.read_text())
        while pid and process_alive(pid, None) and time.monotonic() < deadline:
            time.sleep(0.05)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    recover = subprocess.run(
        [sys.executable, "-m", "runledger", "ls", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        check=False,
    )
    said = [recover.stderr.decode(), *(outcome.stderr for outcome in outcomes)]
    recovered_lines = [
        line for text in said for line in text.splitlines() if "recovered run" in line
    ]

    repo_handle = git.discover(repo)
    runs = Ledger(repo_handle).runs()
    by_name = Counter(run.name for run in runs)
    run_of = {run.name: run for run in runs}
    problems: list[str] = []

    for name, count in by_name.items():
        if count > 1:
            problems.append(f"{name} recorded {count} times")
    started_numbers = {int(path.stem) for path in marks.glob("*.pid")}
    run_ids = {path.stem: path.read_text() for path in marks.glob("*.id")}
    by_id = {run.id: run for run in runs}
    lost = [n for n in sorted(started_numbers) if run_ids.get(str(n)) not in by_id]
    problems += [f"soak-{n} started but is not in the ledger" for n in lost]
    for number, run_id in run_ids.items():
        if run_id in by_id and by_id[run_id].name != f"soak-{number}":
            problems.append(f"soak-{number} was recorded as {by_id[run_id].name!r}")
    for outcome in outcomes:
        if "Traceback" in outcome.stderr or "internal error" in outcome.stderr:
            problems.append(f"soak-{outcome.number}: {outcome.stderr.strip()[-300:]}")
        code_file = marks / f"{outcome.number}.code"
        child_code = int(code_file.read_text()) if code_file.exists() else None
        expected = expected_exit(outcome, child_code)
        if outcome.action == "KILL child" and outcome.wrapper_code not in (child_code, 137):
            problems.append(f"soak-{outcome.number} (KILL child): exit {outcome.wrapper_code}")
        if expected is not None and outcome.wrapper_code != expected:
            problems.append(
                f"soak-{outcome.number} ({outcome.action}): exit {outcome.wrapper_code}, "
                f"expected {expected}"
            )
        run = run_of.get(f"soak-{outcome.number}")
        if run is not None and not outcome.acted and run.exit_code != child_code:
            problems.append(
                f"soak-{outcome.number}: recorded exit {run.exit_code}, ran {child_code}"
            )
    leftover = list(in_progress_dir(repo_handle.common_dir).glob("*"))
    problems += [f"left in progress: {path.name}" for path in leftover]
    fsck = subprocess.run(
        ["git", "fsck", "--strict", "--no-progress"], cwd=repo, capture_output=True, text=True
    )
    fsck_bad = [
        line
        for line in (fsck.stdout + fsck.stderr).splitlines()
        if line and not line.startswith("dangling ")
    ]
    if fsck.returncode != 0 or fsck_bad:
        problems.append("git fsck: " + "; ".join(fsck_bad[:5]))
    dangling = sum(1 for line in fsck.stdout.splitlines() if line.startswith("dangling "))

    statuses = Counter(run.status for run in runs)
    recovered = [run for run in runs if run.recovered]
    if len(recovered_lines) != len(recovered):
        problems.append(
            f"{len(recovered)} runs recovered, but {len(recovered_lines)} messages said so"
        )
    acted = Counter(outcome.action for outcome in outcomes if outcome.acted)
    summary = {
        "runs": args.runs,
        "parallel": args.parallel,
        "seconds": round(run_time, 1),
        "runs_per_second": round(args.runs / run_time, 2),
        "signals_sent": dict(acted),
        "commands_started": len(started_numbers),
        "recorded": len(runs),
        "recorded_without_starting": len(
            {run.name for run in runs} - {f"soak-{n}" for n in started_numbers}
        ),
        "statuses": dict(statuses),
        "recovered_from_journal": len(recovered),
        "recovered_reasons": dict(
            Counter(run.recovered["reason"] for run in recovered if run.recovered)
        ),
        "recovery_messages": len(recovered_lines),
        "lost": len(lost),
        "left_in_progress": len(leftover),
        "fsck": "clean" if not fsck_bad and fsck.returncode == 0 else "ERRORS",
        "dangling_objects": dangling,
        "problems": len(problems),
    }
    print(json.dumps(summary, indent=2))
    details = [outcome.__dict__ for outcome in sorted(outcomes, key=lambda o: o.number)]
    (repo.parent / "outcomes.json").write_text(json.dumps(details, indent=1))
    for problem in problems[:30]:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
