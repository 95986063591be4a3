"""Record the runs whose runledger could not: killed while the command ran, or failing to write.

:mod:`runledger.recording.journal` knows the journals; this module finds the abandoned ones
(cheaply, at the start of every command) and turns each into a run, recorded through the
normal write path (:meth:`Ledger.write`, a create-only ref). Two runledger processes
recovering the same journal at once are safe: the second finds the ref already there and
treats the run as recorded.

What is recorded:

- the run's own files, when its runledger built them but could not write them to git
  (``record/``): the run exactly as it would have been, status ok/failed/interrupted;
- otherwise what the journal knew: the masked command, times, the result if the command had
  ended (else status ``interrupted`` with no exit code), metrics from the metrics file and
  from the journal's copy of the output, params from the command line, ``-p`` and
  ``log_params``, and its child runs as far as the metrics file tells them: one per trial of
  an in-process Optuna study, one per run of a tracker that ran several (wandb, MLflow's
  nested runs). CONTRACT.md allows three statuses, so a run whose end nobody saw is
  ``interrupted``, and ``recovered.reason`` in run.toml says what happened.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runledger import ids
from runledger.errors import CorruptRecordError, RunledgerError
from runledger.model.record import DETAIL_FILES, RUN_FILE, STATUSES, GitInfo, MetricSummary, Run
from runledger.recording import journal
from runledger.recording.capture import inprocess
from runledger.recording.capture import params as params_capture
from runledger.recording.capture.inprocess import environment_facts
from runledger.recording.capture.metrics import MetricsCollector
from runledger.recording.runner import LogCapture
from runledger.redact import Redactor, strip_url_credentials, usable_patterns
from runledger.store import git
from runledger.store.facts import now_iso
from runledger.store.ledger import Ledger

if TYPE_CHECKING:
    from runledger.recording.children import ChildSpec

LOG_LIMIT_BYTES = 4 * 1024 * 1024
READ_CHUNK = 1024 * 1024


class _Skip(Exception):
    """This journal cannot be recorded now (its command still runs, or it is unreadable)."""


def recover(repo: git.Repo, folders: list[Path]) -> None:
    """Record the run of each journal folder; say so once per run on stderr."""
    config = git.read_config(repo)
    patterns, _ = usable_patterns(config.secret_patterns)
    redactor = Redactor(dict(os.environ), patterns)
    ledger = Ledger(repo)
    user = _user()
    ident = git.format_ident(
        config.user_name or user, config.user_email or f"{user}@{socket.gethostname()}"
    )
    for folder in folders:
        try:
            run, specs = _run_of(repo, folder, config, redactor)
        except _Skip:
            continue
        except Exception as exc:  # noqa: BLE001 - one bad journal must not stop the others
            if folder.exists():  # gone: another runledger recorded it meanwhile
                print(
                    f"runledger: warning: cannot recover the run in {folder}: {exc}",
                    file=sys.stderr,
                )
            continue
        try:
            if specs:
                from runledger.recording.children import build_children

                children = build_children(run, specs)
                ledger.write_family(run, children, ident, int(time.time()), with_parent=True)
            else:
                ledger.write(run, ident, int(time.time()))
        except git.RefExistsError:
            pass  # recorded already: by its own runledger just before it died, or by another
        except (RunledgerError, OSError) as exc:  # kept for the next command to try again
            print(
                f"runledger: warning: run {ids.short_id(run.id)} is still not recorded: {exc}",
                file=sys.stderr,
            )
            continue
        else:
            reason = (run.recovered or {}).get("reason", "")
            print(
                f"runledger: recovered run {ids.short_id(run.id)} as {run.status}: {reason}",
                file=sys.stderr,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _run_of(
    repo: git.Repo, folder: Path, config: git.RepoConfig, redactor: Redactor
) -> tuple[Run, list[ChildSpec]]:
    """The run of a journal, and its children when the journal is all there is of it."""
    facts = journal.read_journal(folder)
    if facts is None:
        raise _Skip()
    child_pid, child_start = facts.get("child_pid"), facts.get("child_start")
    if (
        facts.get("final") is None
        and facts.get("host") == socket.gethostname()
        and isinstance(child_pid, int)
        and journal.process_alive(child_pid, child_start if isinstance(child_start, int) else None)
    ):
        raise _Skip()  # runledger died but its command still runs: record it once it ends
    now = now_iso(time.time())
    saved = _saved_run(folder)
    specs: list[ChildSpec] = []
    if saved is not None:
        run = replace(saved, recovered={"reason": _reason(facts), "at": now})
    else:
        run, specs = _journal_run(folder, facts, config, redactor, now)
    if not git.object_exists(repo, run.git.commit):
        raise ValueError(f"its code commit {run.git.commit} is no longer in the repository")
    return run, specs


def _reason(facts: Mapping[str, Any]) -> str:
    if facts.get("handed_over"):
        error = facts.get("record_error")
        return f"recording failed at first ({error})" if error else "recording failed at first"
    if facts.get("final") is not None:
        return "runledger was killed after the command ended, before recording it"
    if facts.get("child_pid") is None:
        return "runledger was killed as the command started"
    return "runledger was killed while the command ran"


def _saved_run(folder: Path) -> Run | None:
    """The run its runledger built but could not write, if it kept it."""
    record = folder / journal.RECORD_DIR
    try:
        content = (record / RUN_FILE).read_bytes()
    except OSError:
        return None
    files: dict[str, bytes | None] = {}
    for name in DETAIL_FILES:
        try:
            files[name] = (record / name).read_bytes()
        except FileNotFoundError:
            files[name] = None
    try:
        run = Run.from_run_toml(content, str(record)).with_files(files)
    except (CorruptRecordError, ValueError, TypeError, KeyError, AttributeError):
        return None  # fall back to what the journal knows
    # with_files gives empty details where a file was absent; keep "absent" as it was written
    return replace(
        run,
        environment=run.environment if files.get("environment.toml") else None,
        log=run.log if files.get("output.log") is not None else None,
    )


def _text(facts: Mapping[str, Any], key: str) -> str | None:
    value = facts.get(key)
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _run_from_journal(
    folder: Path,
    facts: Mapping[str, Any],
    config: git.RepoConfig,
    redactor: Redactor,
    now: str,
) -> Run:
    """The run as its journal knows it (``watch`` reads a run in progress so)."""
    return _journal_run(folder, facts, config, redactor, now, with_children=False)[0]


def _journal_run(
    folder: Path,
    facts: Mapping[str, Any],
    config: git.RepoConfig,
    redactor: Redactor,
    now: str,
    *,
    with_children: bool = True,
) -> tuple[Run, list[ChildSpec]]:
    run_id, commit = _text(facts, "id"), _text(facts, "commit")
    if not run_id or not ids.is_run_id_prefix(run_id) or len(run_id) != ids.ID_LENGTH:
        raise ValueError("its journal has no valid run id")
    if not commit:
        raise ValueError("its journal names no code commit")
    started = _number(facts.get("started_at")) or _heartbeat(folder)
    final = facts.get("final") if isinstance(facts.get("final"), Mapping) else None
    if final is not None:
        status = str(final.get("status"))
        status = status if status in STATUSES else "interrupted"
        exit_code = final.get("exit_code") if isinstance(final.get("exit_code"), int) else None
        signal = final.get("signal") if isinstance(final.get("signal"), int) else None
        ended = _number(final.get("ended_at")) or _heartbeat(folder)
        duration = _number(final.get("duration_s")) or max(0.0, ended - started)
    else:
        status, exit_code, signal = "interrupted", None, None
        ended = max(started, _heartbeat(folder))
        duration = ended - started

    command = [str(arg) for arg in facts.get("command") or [] if isinstance(arg, str)]
    command = redactor.mask_argv(command)
    collector = MetricsCollector()
    log = LogCapture(LOG_LIMIT_BYTES)
    for chunk in journal.read_log(folder, READ_CHUNK):
        log.add(chunk)
        collector.feed_output(chunk)
    collector.flush_output()
    collector.poll_metrics_file(folder / journal.METRICS_FILE, final=True)

    given = facts.get("params")
    cli_params: dict[str, Any] = given if isinstance(given, dict) else {}
    params, sources = params_capture.merge_params(
        [
            *inprocess.argv_and_inprocess_sources(
                params_capture.params_from_argv(command),
                collector.inprocess.params,
                collector.inprocess.aliases,
            ),
            ("log_params", collector.logged_params),
            ("cli", cli_params),
        ]
    )
    tags = [redactor.mask_text(tag) for tag in facts.get("tags") or [] if isinstance(tag, str)]
    name, note = _text(facts, "name"), _text(facts, "note")
    # what the program reported about itself ([used], [torch]) survives a lost runledger
    reported = redactor.mask_environment(environment_facts(collector.facts))
    run = Run(
        id=run_id,
        name=redactor.mask_text(name) if name else None,
        status=status,
        exit_code=exit_code,
        signal=signal,
        started_at=now_iso(started),
        ended_at=now_iso(ended),
        duration_s=round(duration, 3),
        command=tuple(command),
        cwd=redactor.mask_text(_text(facts, "cwd") or "."),
        user=_text(facts, "user"),
        author=git.author_ident(config),
        host=_text(facts, "host"),
        git=GitInfo(
            commit=commit,
            branch=_text(facts, "branch"),
            remotes={name: strip_url_credentials(url) for name, url in config.remotes.items()},
        ),
        params=redactor.mask_params(params),
        param_sources=redactor.mask_sources(sources),
        metrics={
            redactor.mask_text(name): MetricSummary.of(s)
            for name, s in collector.summaries().items()
        },
        tags=tuple(dict.fromkeys(tags)),
        note=redactor.mask_text(note) if note else None,
        runledger_version=_text(facts, "runledger_version"),
        recovered={"reason": _reason(facts), "at": now},
        series={
            redactor.mask_text(name): (list(s.steps), list(s.values))
            for name, s in collector.series().items()
        },
        log=redactor.mask_bytes(log.content()),
        environment=reported or None,
    )
    return run, _child_specs(collector, status, redactor) if with_children else []


def _child_specs(collector: MetricsCollector, status: str, redactor: Redactor) -> list[ChildSpec]:
    """The children the metrics file tells of, as :func:`recorder.child_specs` finds them
    (a Hydra multirun's jobs are not: they are read from its files, not the journal)."""
    from runledger.recording import children

    specs = children.specs_from_trial_lines(collector.records, collector.trial_series())
    tracker_specs = children.specs_from_tracker_runs(collector.tracker_runs(), status)
    if specs:
        specs, tracker_specs = children.with_tracker_runs(specs, tracker_specs)
    return [children.masked(spec, redactor) for spec in [*specs, *tracker_specs]]


def _heartbeat(folder: Path) -> float:
    """The last sign of life: the journal's heartbeat, or the command's last metrics or output."""
    latest = 0.0
    for path in (folder / journal.JOURNAL_FILE, folder / journal.METRICS_FILE):
        try:
            latest = max(latest, path.stat().st_mtime)
        except OSError:
            pass
    for path in journal.log_segments(folder):
        try:
            latest = max(latest, path.stat().st_mtime)
        except OSError:
            pass
    return latest or time.time()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def recover_abandoned(common_dir: Path, open_repo: Callable[[], git.Repo]) -> None:
    """Record every abandoned run of this repository; never raises.

    ``open_repo`` is called only when there is something to recover.
    """
    try:
        folders = journal.abandoned(common_dir)
        if not folders:
            return
        recover(open_repo(), folders)
    except Exception as exc:  # noqa: BLE001 - recovery must never stop the user's command
        import sys

        print(f"runledger: warning: could not recover interrupted runs: {exc}", file=sys.stderr)


def recover_here(cwd: Path) -> None:
    """Recovery at the start of a command, for the repository around ``cwd`` (if any)."""
    from runledger.store.gitdir import find_common_dir

    common_dir = find_common_dir(cwd)
    if common_dir is not None:
        recover_abandoned(common_dir, lambda: git.discover(cwd))
