"""``runledger exec``: run a command exactly as if bare, and record the run.

This module is on every training run's path: it imports nothing heavy (no typer, rich or
pandas), refuses bad states before starting anything, starts the command first, and captures
the environment in a thread while the command runs. Only what starting the command needs is
imported before it starts (git, the journal, the runner, secret masking). What is needed once
output arrives or the command has ended (the metric parsers, params, the record, the ledger)
is imported by a thread started as soon as the command is (:class:`Preload`), so that its
import time overlaps the command instead of delaying its start; output that arrives before
the metric parsers are loaded is kept and parsed once they are. The thread starts only then,
not earlier: importing holds the GIL, and each of exec's own system calls before the start
(git, the journal's files) would wait for it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runledger import config as project_config
from runledger import ids
from runledger.errors import DirtyTreeError, RunledgerError, UserError
from runledger.recording import journal
from runledger.recording.capture import inprocess
from runledger.recording.capture.system import SystemSampler
from runledger.recording.journal import Journal
from runledger.recording.runner import CommandResult, LogCapture, resolve_executable, run_command
from runledger.redact import (
    Redactor,
    strip_url_credentials,
    usable_patterns,
)
from runledger.store import git
from runledger.version import __version__

if TYPE_CHECKING:
    from runledger.model.record import Run
    from runledger.recording.capture import params as params_capture
    from runledger.recording.capture.files import FileRecord
    from runledger.recording.capture.metrics import MetricsCollector
    from runledger.recording.capture.pointers import FilePlan
    from runledger.recording.capture.worktree import Listing
    from runledger.recording.children import ChildSpec

LOG_LIMIT_BYTES = 4 * 1024 * 1024
MAX_HYDRA_ENTRIES = 100
NO_METRICS_MESSAGE = (
    "runledger: no metric was recognised in the output or the files the run wrote; the formats "
    "read are listed in docs/reference.md, 'What is read from the output' (add your own with "
    ".runledger.toml [metrics] patterns)"
)
DIRTY_PATHS_SHOWN = 10
# Set to 0 on the command when automatic outputs are off (read by the in-process hooks).
AUTO_OUTPUTS_ENV = "RUNLEDGER_AUTO_OUTPUTS"


@dataclass(frozen=True)
class ExecOptions:
    command: tuple[str, ...]
    params: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    name: str | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    reproduces: str | None = None  # set by ``runledger reproduce``: the run this one re-runs
    autocapture: bool = True  # off: --no-autocapture
    auto_outputs: bool = True  # off: --no-auto-outputs


def _refuse_dirty(paths: list[str]) -> None:
    shown = ", ".join(paths[:DIRTY_PATHS_SHOWN])
    more = f" and {len(paths) - DIRTY_PATHS_SHOWN} more" if len(paths) > DIRTY_PATHS_SHOWN else ""
    raise DirtyTreeError(
        f"the work tree has uncommitted changes ({shown}{more}): commit or stash them, or add "
        "untracked files to .gitignore, so the run's code is a commit"
    )


# Set by ``runledger sweep`` on the ``runledger exec`` of each trial (never passed on to the
# command): the run is a child of the sweep's parent run.
PARENT_ENV = "RUNLEDGER_PARENT_RUN"
SWEEP_ENV = "RUNLEDGER_SWEEP_ID"
TRIAL_ENV = "RUNLEDGER_TRIAL_NUMBER"
CHILD_ID_ENV = "RUNLEDGER_CHILD_RUN_ID"  # the id the trial's run must have (the sweep reads it)


@dataclass(frozen=True)
class Family:
    """A trial's place in a search: its parent run, the sweep id, its trial number."""

    parent: str
    sweep: str
    trial: int | None = None
    run_id: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Family | None:
        """The family named by ``env`` (and removed from it), or None."""
        parent = env.pop(PARENT_ENV, None)
        sweep = env.pop(SWEEP_ENV, None)
        trial = env.pop(TRIAL_ENV, None)
        run_id = env.pop(CHILD_ID_ENV, None)
        if not parent:
            return None
        number = int(trial) if trial and trial.isdigit() else None
        if run_id is not None and not (
            len(run_id) == ids.ID_LENGTH and ids.is_run_id_prefix(run_id)
        ):
            raise UserError(f"{CHILD_ID_ENV}={run_id!r} is not a run id")
        return cls(parent, sweep or parent, number, run_id)


@dataclass
class _Capture:
    """Facts gathered in a thread while the command runs."""

    environment: dict[str, Any] = field(default_factory=dict)
    config: git.RepoConfig | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class _Prepared:
    """What exec knows before the command starts."""

    options: ExecOptions
    cwd: Path
    repo: git.Repo
    head: git.HeadState
    executable: str
    env: dict[str, str]
    cli_params: dict[str, Any]
    run_id: str
    work_dir: Path
    config: project_config.ProjectConfig = field(default_factory=project_config.ProjectConfig)
    files: FilePlan | None = None
    family: Family | None = None

    @property
    def metrics_file(self) -> Path:
        return self.work_dir / "metrics.jsonl"

    @cached_property
    def argv_config_files(self) -> list[params_capture.ConfigFile]:
        """The config files the command names, read once after the run: the outputs they
        name and the params they hold both come from them."""
        from runledger.recording.capture import params as params_capture

        return params_capture.config_files_from_argv(self.options.command, self.cwd)


def prepare(
    options: ExecOptions,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    require_clean: bool = True,
) -> _Prepared:
    """Every check that can refuse the run, before anything starts.

    ``env`` is the command's environment (default: runledger's own). ``require_clean`` is
    off only for a work tree runledger has just checked out itself (reproduce), where the
    links it placed to ignored inputs are the only untracked paths.
    """
    if require_clean:
        repo, head, dirty = git.discover_with_status(cwd)
    else:
        (repo, head), dirty = git.discover_with_head(cwd), []
    _recover_abandoned(repo)
    if head.commit is None:
        raise UserError(
            "the repository has no commit yet: commit your code first "
            "(git add -A && git commit -m 'first commit'), so runs can point at it"
        )
    if dirty:
        _refuse_dirty(dirty)
    cli_params: dict[str, Any] = {}
    if options.params:
        from runledger.recording.capture import params as params_capture

        cli_params = params_capture.unflatten(
            dict(params_capture.parse_param_assignment(text) for text in options.params)
        )
    env = dict(os.environ if env is None else env)
    family = Family.from_env(env)
    executable = resolve_executable(options.command[0], env)
    config = project_config.load(repo.root)
    files = _plan_files(options, cwd, repo, head.commit, config)
    run_id = family.run_id if family and family.run_id else ids.new_run_id()
    work_dir = repo.runledger_dir / "in-progress" / run_id  # made by begin_journal
    return _Prepared(
        options, cwd, repo, head, executable, env, cli_params, run_id, work_dir, config, files,
        family,
    )  # fmt: skip


def _recover_abandoned(repo: git.Repo) -> None:
    """Record the runs of this repository whose runledger died; recovery and what it imports
    are loaded only when the journal folder says there is one (never raises)."""
    try:
        if not journal.abandoned(repo.common_dir):
            return
    except Exception:  # noqa: BLE001 - recovery reports its own errors below
        pass
    from runledger.recording import recovery

    recovery.recover_abandoned(repo.common_dir, lambda: repo)


def _plan_files(
    options: ExecOptions,
    cwd: Path,
    repo: git.Repo,
    commit: str,
    config: project_config.ProjectConfig,
) -> FilePlan | None:
    """Hash the inputs and stat the outputs, before the command starts (see capture.pointers)."""
    if not (options.inputs or options.outputs or config.inputs or config.outputs):
        return None  # hashing's imports (sqlite3) stay off the path of runs without files
    from runledger.recording.capture.pointers import plan_files

    return plan_files(repo, commit, cwd, options.inputs, options.outputs, config, _warn)


def _warn(message: str) -> None:
    print(f"runledger: warning: {message}", file=sys.stderr)


@dataclass
class _Outcome:
    """What running the command produced."""

    result: CommandResult
    collector: MetricsCollector
    log: LogCapture
    capture: _Capture
    sampler: SystemSampler
    artifacts: list[dict[str, Any]] = field(default_factory=list)


class _LateCollector:
    """The run's MetricsCollector, made once its module is imported.

    With a :class:`Preload`, the metric parsers are imported in its thread while the command
    already runs: output that arrives before they are loaded is kept in order and fed to the
    collector as soon as they are (or all at once when the command ends), each chunk at the
    time it arrived. Without one, the collector is made at once, as before. Either way the
    points' times count from when this was made, just before the command starts.
    """

    # Output kept waiting for the parsers beyond this is a reason to wait for them instead.
    PENDING_LIMIT = 8 * 1024 * 1024

    def __init__(self, prepared: _Prepared, preload: Preload | None = None) -> None:
        self._patterns = prepared.config.metric_patterns
        self._ready = preload.metrics_ready if preload is not None else None
        self._pending: list[tuple[bytes, str, float]] = []
        self._pending_bytes = 0
        self._collector: MetricsCollector | None = None
        self._started = time.monotonic()
        self._arrived: float | None = None  # while kept output is fed: when it arrived
        if preload is None:
            self.get()

    def _clock(self) -> float:
        arrived = self._arrived
        return (time.monotonic() if arrived is None else arrived) - self._started

    def get(self) -> MetricsCollector:
        """The collector, made now if need be (importing its module, or waiting for it)."""
        if self._collector is None:
            from runledger.recording.capture.metrics import MetricsCollector

            self._collector = MetricsCollector(patterns=self._patterns, clock=self._clock)
            pending, self._pending = self._pending, []
            try:
                for data, stream, arrived in pending:
                    self._arrived = arrived
                    self._collector.feed_output(data, stream)
            finally:
                self._arrived = None
        return self._collector

    def ready(self) -> MetricsCollector | None:
        """The collector when its module is loaded, else None (never waits)."""
        if self._collector is None and self._ready is not None and not self._ready.is_set():
            return None
        return self.get()

    def feed_output(self, data: bytes, stream: str) -> None:
        collector = self.ready()
        if collector is None and self._pending_bytes + len(data) <= self.PENDING_LIMIT:
            self._pending.append((data, stream, time.monotonic()))
            self._pending_bytes += len(data)
            return
        (collector or self.get()).feed_output(data, stream)


def run_and_capture(
    prepared: _Prepared, run_journal: Journal | None = None, *, preload: bool = False
) -> _Outcome:
    """Run the command with output pass-through; capture everything else alongside.

    ``preload``: import what recording needs in a thread started with the command (see
    :class:`Preload`) rather than now, before it starts (``exec``).
    """
    loader = Preload() if preload else None
    child_env = dict(prepared.env)
    child_env["RUNLEDGER_RUN_ID"] = prepared.run_id
    child_env["RUNLEDGER_METRICS_FILE"] = str(prepared.metrics_file)
    if inprocess.enabled(
        prepared.executable,
        child_env,
        option=prepared.options.autocapture,
        config=prepared.config.autocapture,
        command=prepared.options.command,
    ):
        inprocess.add_to_environment(child_env)
    if not _auto_outputs(prepared):
        child_env[AUTO_OUTPUTS_ENV] = "0"  # the in-process hooks leave the save calls alone
    collector = _LateCollector(prepared, loader)
    log = LogCapture(LOG_LIMIT_BYTES)
    capture = _Capture()
    sampler = SystemSampler()
    repo = prepared.repo

    def capture_in_background() -> None:
        try:
            from runledger.recording.capture.environment import capture_environment
            from runledger.redact import DEFAULT_ENV_ALLOWLIST, safe_env

            capture.config = git.read_config(repo)
            patterns, _ = usable_patterns(capture.config.secret_patterns)
            capture.environment = capture_environment(
                prepared.executable,
                prepared.env,
                safe_env(
                    prepared.env,
                    (*DEFAULT_ENV_ALLOWLIST, *prepared.config.env),
                    (*patterns, *prepared.config.secret_patterns),
                ),
                probe_cache_dir(repo),
            )
        except Exception as exc:  # reported with the run, never fatal to it
            capture.error = exc
        if loader is None:
            _import_recording_modules()

    capturer = threading.Thread(target=capture_in_background, daemon=True)

    def on_started(pid: int) -> None:
        if run_journal is not None:
            run_journal.started(pid, time.time())
        sampler.start(pid)
        capturer.start()
        if loader is not None:  # last: once it imports, every other start waits for the GIL
            loader.start()

    reading = [True]  # until reading metrics from the output fails: never the pass-through

    def on_output(data: bytes, stream: str) -> None:
        log.add(data, stream)
        if reading:
            try:
                collector.feed_output(data, stream)
            except Exception as exc:  # noqa: BLE001 - a raise here ended the program's output
                reading.clear()
                _warn(
                    f"reading metrics from the output stopped ({type(exc).__name__}): the "
                    "output is still shown and kept; please report it"
                )
        if run_journal is not None:
            run_journal.feed(data)

    def on_tick() -> None:
        ready = collector.ready()
        if ready is not None:
            ready.poll_metrics_file(prepared.metrics_file)
        if run_journal is not None:
            run_journal.tick()

    try:
        result = run_command(
            prepared.options.command,
            child_env,
            on_output=on_output,
            on_tick=on_tick,
            on_started=on_started,
        )
    finally:
        sampler.stop()
    if capturer.is_alive() or capturer.ident is not None:
        capturer.join()
    if loader is not None:  # every module it imports is needed next: none is left half done
        loader.join()
    metrics = collector.get()
    metrics.flush_output()
    metrics.poll_metrics_file(prepared.metrics_file, final=True)
    _publish_saved(prepared, metrics)
    listing = _list_work_tree(prepared)
    metric_logs = _read_metric_files(prepared, metrics, result.started_at, listing)
    artifacts = _collect_artifacts(prepared, metrics, result.started_at, listing, metric_logs)
    return _Outcome(result, metrics, log, capture, sampler, artifacts)


def _auto_outputs(prepared: _Prepared) -> bool:
    return prepared.options.auto_outputs and prepared.config.auto_outputs


def _autocapture(prepared: _Prepared) -> bool:
    return inprocess.switched_on(
        prepared.env, option=prepared.options.autocapture, config=prepared.config.autocapture
    )


def _publish_saved(prepared: _Prepared, collector: MetricsCollector) -> None:
    """A sweep's trial tells its siblings which files its program saved (claims.py), before
    any of them walks the tree again."""
    if prepared.family is not None:
        from runledger.recording import claims

        sweep = prepared.family.sweep
        saved = collector.inprocess.saved
        claims.publish(prepared.repo.runledger_dir, sweep, prepared.run_id, saved)


def _siblings_saved(prepared: _Prepared) -> set[str]:
    """What the other trials of this run's sweep saved: not this run's outputs."""
    if prepared.family is None:
        return set()
    from runledger.recording import claims

    runledger_dir = prepared.repo.runledger_dir
    return claims.saved_by_siblings(runledger_dir, prepared.family.sweep, prepared.run_id)


def _list_work_tree(prepared: _Prepared) -> Listing | None:
    """The work tree's files, walked once for the metric files and the outputs written."""
    from runledger.recording.capture.worktree import list_files

    try:
        return list_files(prepared.repo.root)
    except KeyboardInterrupt:
        _warn("interrupted while looking for the files the run wrote; recording without them")
        return None


def _read_metric_files(
    prepared: _Prepared, collector: MetricsCollector, started: float, listing: Listing | None
) -> set[str]:
    """Series from the CSV logs and TensorBoard event files the run wrote (metric_files);
    the files they were read from."""
    from runledger.recording.capture.metric_files import series_from_written_files

    if listing is None:
        return set()
    try:
        found = series_from_written_files(
            prepared.repo.root,
            started,
            _warn,
            covered_dirs=collector.inprocess.covered_log_dirs,
            logger_folders=collector.inprocess.logger_folders,
            listing=listing,
        )
    except KeyboardInterrupt:
        _warn("interrupted while reading the metric files the run wrote; recording without them")
        return set()
    for series in found:
        collector.add_series(series.name, series.steps, series.values, series.source)
    return {series.source for series in found}


def _collect_artifacts(
    prepared: _Prepared,
    collector: MetricsCollector,
    started: float,
    listing: Listing | None,
    metric_logs: set[str],
) -> list[dict[str, Any]]:
    """After the command ended, whatever its status: the outputs it created or changed,
    declared (--output) and found (auto_outputs)."""
    records: list[FileRecord] = []
    try:
        if prepared.files is not None:
            from runledger.recording.capture.pointers import collect

            records = collect(prepared.files, _warn)
        if listing is not None and _auto_outputs(prepared):
            declared = {record.path for record in records}
            records += _detect_outputs(
                prepared, collector, started, listing, declared | metric_logs, bool(declared)
            )
    except KeyboardInterrupt:
        # Ctrl-C while large checkpoints are hashed: skip them, but still record the run.
        _warn("interrupted while hashing the outputs; the run is recorded without artifacts")
        return []
    return [record.to_dict() for record in sorted(records, key=lambda record: record.path)]


def _detect_outputs(
    prepared: _Prepared,
    collector: MetricsCollector,
    started: float,
    listing: Listing,
    not_outputs: set[str],
    has_declared: bool,
) -> list[FileRecord]:
    """The outputs the run did not declare; hashing's imports (sqlite3) only for a run that
    wrote some. A walk cut short is told only of a run left with no output at all: in a big
    work tree it is cut on every run, and where outputs were found (result folders are walked
    first) a warning each time would teach people to ignore warnings."""
    from runledger.recording.capture.auto_outputs import find_outputs

    try:
        found = find_outputs(
            prepared.repo,
            prepared.head.commit or "HEAD",
            started,
            listing,
            [*collector.inprocess.saved, *_files_named_by_params(prepared)],
            not_outputs,
            _siblings_saved(prepared),
        )
        if found.cut is not None and (found.chosen or has_declared):
            found = replace(found, cut=None)
        if not (found.chosen or found.left or found.cut):
            return []
        from runledger.recording.capture.pointers import record_found
        from runledger.store.hashcache import cache_path_for

        problem = prepared.files.cache_problem if prepared.files is not None else None
        return record_found(found, cache_path_for(prepared.repo.common_dir), _warn, problem)
    except Exception as error:  # noqa: BLE001 - the run is recorded whatever happens here
        _warn(f"the outputs the run wrote were not looked for: {type(error).__name__}: {error}")
        return []


def _files_named_by_params(prepared: _Prepared) -> list[str]:
    """The files the command line's params (and its config files') name, a value a path
    relative to where the command ran (LightGBM's ``output_model=model.txt``, ``--save_path
    out.bin``): find_outputs keeps those written during the run, an input read is older."""
    from runledger.recording.capture import params as params_capture

    command = prepared.options.command
    sources = [params_capture.params_from_argv(command)]
    sources += [config.params for config in prepared.argv_config_files]
    named: list[str] = []
    for source in sources:
        for value in _string_values(source):
            path = os.path.join(prepared.cwd, value)
            if "\0" not in value and len(value) < 4096 and os.path.isfile(path):
                named.append(os.path.abspath(path))
    return named


def _string_values(params: Mapping[str, Any]) -> Iterator[str]:
    for value in params.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            yield from _string_values(value)


def _status(result: CommandResult) -> str:
    if result.interrupted:
        return "interrupted"
    return "failed" if result.returncode != 0 else "ok"


def _hydra_jobs(prepared: _Prepared, outcome: _Outcome) -> list[params_capture.HydraJob]:
    """The Hydra jobs the run made (none without Hydra): the parent's params and the children
    of a multirun are both read from these, found once."""
    from runledger.recording.capture import params as params_capture

    return params_capture.hydra_jobs(
        prepared.cwd,
        outcome.log.content().decode(errors="replace"),
        outcome.result.started_at,
        prepared.options.command,
    )


def _params(
    prepared: _Prepared, outcome: _Outcome, jobs: list[params_capture.HydraJob]
) -> tuple[dict[str, Any], dict[str, str], list[dict[str, Any]]]:
    """Params from every source, merged by params.PRECEDENCE; and the config files read.

    A Hydra app's composed config is the truth: its command line (overrides such as
    ``db=postgresql``, flags such as ``-m``) is already in it, so argv is not read again.
    """
    from runledger.recording.capture import params as params_capture

    command = prepared.options.command
    sources: list[tuple[str, Any]] = []
    config_files = []
    for module, constants in params_capture.settings_module_defaults(command, prepared.cwd):
        sources.append((f"default:{module}", constants))  # pytorch-cifar100's conf/
    defaults = params_capture.script_defaults(command, prepared.cwd)
    if defaults is not None:  # nanoGPT's train.py: its settings before exec(configurator.py)
        sources.append((f"default:{defaults[0]}", defaults[1]))
    for config in prepared.argv_config_files:
        sources.append((f"config:{config.path}", config.params))
        entry: dict[str, Any] = {"path": config.path, "sha256": config.sha256}
        if config.error:
            entry["error"] = config.error
        config_files.append(entry)
    argv: dict[str, Any] = {}
    if jobs:
        sources.append(("hydra", params_capture.hydra_params(jobs)))
        config_files.extend(_hydra_entries(prepared.cwd, jobs))
    else:
        positional = params_capture.positional_argv_params(command, prepared.cwd)
        argv = {**positional, **params_capture.params_from_argv(command)}
    in_process = inprocess.argv_and_inprocess_sources(
        argv, outcome.collector.inprocess.params, outcome.collector.inprocess.aliases
    )
    if any(job.multirun for job in jobs):  # each job's own config belongs to its child run
        in_process = [source for source in in_process if source[0] != "hydra"]
    sources.extend(in_process)
    sources.append(("log_params", outcome.collector.logged_params))
    sources.append(("cli", prepared.cli_params))
    params, origin = params_capture.merge_params(sources)
    return params, origin, config_files


def _hydra_entries(cwd: Path, jobs: list[params_capture.HydraJob]) -> list[dict[str, Any]]:
    """config_files entries of the Hydra jobs: the last one of a single run, every job of a
    multirun (up to MAX_HYDRA_ENTRIES), each with the overrides it was composed from."""
    from runledger.recording.capture import params as params_capture

    chosen = params_capture.multirun_jobs(jobs) or jobs[-1:]
    return [params_capture.hydra_config_entry(job, cwd) for job in chosen[:MAX_HYDRA_ENTRIES]]


def _inprocess_environment(outcome: _Outcome) -> dict[str, Any]:
    """environment.toml's part from the in-process capture: ``used`` packages and facts."""
    report = outcome.collector.inprocess
    extra: dict[str, Any] = {}
    if report.used:
        extra["used"] = dict(sorted(report.used.items(), key=lambda item: item[0].lower()))
    if report.facts:
        extra["distributed"] = dict(report.facts)
    if report.errors or report.params:
        extra["autocapture"] = {"sources": sorted(report.params), "errors": report.errors}
    return extra


def begin_journal(prepared: _Prepared) -> Journal:
    """The run's journal, with what recovery needs if runledger dies (masked), before it starts.

    Written before the command starts: a runledger killed a millisecond later still leaves the
    run's command and name behind.
    """
    redactor = Redactor(prepared.env)
    options = prepared.options
    try:
        return _begin_journal(prepared, redactor, options)
    except OSError as exc:
        raise UserError(
            f"cannot write the run's journal in {prepared.work_dir.parent} ({_cause(exc)}): "
            "the run could not be recorded, so the command was not started; free some space "
            "or fix the permissions of the git directory"
        ) from exc


def _begin_journal(prepared: _Prepared, redactor: Redactor, options: ExecOptions) -> Journal:
    return Journal.begin(
        prepared.work_dir,
        prepared.run_id,
        commit=prepared.head.commit,
        branch=prepared.head.branch,
        cwd=prepared.repo.relative_cwd(prepared.cwd),
        redactor=redactor,
        facts={
            "command": redactor.mask_argv(options.command),
            "name": redactor.mask_text(options.name) if options.name else None,
            "tags": [redactor.mask_text(tag) for tag in dict.fromkeys(options.tags)],
            "note": redactor.mask_text(options.note) if options.note else None,
            "params": redactor.mask_params(prepared.cli_params),
            "user": _user(),
            "runledger_version": __version__,
        },
    )


def _redactor(
    env: dict[str, str], config: git.RepoConfig, project: project_config.ProjectConfig
) -> Redactor:
    """Masks with the built-in rules plus git config's and .runledger.toml's secret patterns."""
    # .runledger.toml's patterns were checked when it was read; git config's are checked here.
    patterns, broken = usable_patterns(config.secret_patterns)
    for pattern in broken:
        print(
            f"runledger: warning: ignoring runledger.secretPattern {pattern!r}: not a valid "
            "regular expression",
            file=sys.stderr,
        )
    return Redactor(env, (*patterns, *project.secret_patterns))


def _masked_names(redactor: Redactor, named: dict[str, Any]) -> dict[str, Any]:
    """Metric names can hold a secret too (a JSON key); the first of two equal names wins."""
    masked: dict[str, Any] = {}
    for name, value in named.items():
        masked.setdefault(redactor.mask_text(name), value)
    return masked


# What recording needs beyond starting the command, in the order it is needed: the metric
# parsers as soon as output arrives, the rest once the command has ended.
METRICS_MODULE = "runledger.recording.capture.metrics"
RECORDING_MODULES = (
    METRICS_MODULE,
    "runledger.recording.capture.metric_files",
    "runledger.recording.capture.params",
    "runledger.model.record",
    "runledger.store.facts",
    "runledger.recording.children",
    "runledger.store.ledger",
    "hashlib",
    "getpass",
)  # the environment capture's own thread imports capture.environment


class Preload:
    """Imports RECORDING_MODULES in a thread started with the command, so that their import
    time overlaps the command rather than adding to exec's (see the module docstring).

    The thread only imports: whoever uses a module imports it as usual (waiting for this
    thread's import of it if it is under way), so a module that fails to import fails there,
    where it is reported, exactly as without a preload. ``metrics_ready`` is set once the
    metric parsers are loaded (or failed to).
    """

    def __init__(self) -> None:
        self.metrics_ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="runledger-preload", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            for name in RECORDING_MODULES:
                try:
                    __import__(name)  # as an import statement does (-X importtime lists it)
                except Exception:  # noqa: BLE001,S112 - its user imports it again and reports
                    continue
                finally:
                    if name == METRICS_MODULE:
                        self.metrics_ready.set()
        finally:
            self.metrics_ready.set()


def _import_recording_modules() -> None:
    """Import what recording needs while the command runs (see the module docstring)."""
    import getpass  # noqa: F401

    import runledger.model.record  # noqa: F401
    import runledger.redact  # noqa: F401
    import runledger.store.ledger  # noqa: F401


def run_redactor(prepared: _Prepared, outcome: _Outcome) -> Redactor:
    """What masks the secrets of the run (and of its children) before they are recorded."""
    config = outcome.capture.config or git.RepoConfig({}, None, None, {})
    return _redactor(prepared.env, config, prepared.config)


def build_run(
    prepared: _Prepared,
    outcome: _Outcome,
    *,
    hydra_jobs: list[params_capture.HydraJob] | None = None,
    redactor: Redactor | None = None,
) -> Run:
    """The run's record. ``hydra_jobs`` and ``redactor`` are found here unless the caller,
    which needs them for the children too, found them already."""
    from runledger.model.record import GitInfo, MetricSummary, Run
    from runledger.recording.capture.inprocess import environment_facts
    from runledger.store.facts import now_iso

    result = outcome.result
    inputs = prepared.files.inputs if prepared.files else None
    if hydra_jobs is None:
        hydra_jobs = _hydra_jobs(prepared, outcome)
    if redactor is None:
        redactor = run_redactor(prepared, outcome)
    config = outcome.capture.config or git.RepoConfig({}, None, None, {})
    params, sources, config_files = _params(prepared, outcome, hydra_jobs)
    metrics = {
        name: MetricSummary.of(summary) for name, summary in outcome.collector.summaries().items()
    }
    system: dict[str, Any] = {}
    if result.cpu_time_s is not None:
        system["cpu_time_s"] = result.cpu_time_s
    if result.max_rss_bytes is not None:
        system["max_process_rss_bytes"] = result.max_rss_bytes
    system.update(outcome.sampler.summary())
    sampled = outcome.sampler.series
    series = outcome.collector.series()
    environment = dict(outcome.capture.environment)
    environment.update(environment_facts(outcome.collector.facts))
    environment.update(_inprocess_environment(outcome))
    if outcome.capture.error is not None:
        environment["capture_error"] = redactor.mask_text(repr(outcome.capture.error))
    return Run(
        id=prepared.run_id,
        name=redactor.mask_text(prepared.options.name) if prepared.options.name else None,
        status=_status(result),
        exit_code=result.returncode,
        signal=result.signal or result.received_signal,
        started_at=now_iso(result.started_at),
        ended_at=now_iso(result.ended_at),
        duration_s=round(result.monotonic_duration_s, 3),
        command=tuple(redactor.mask_argv(prepared.options.command)),
        cwd=redactor.mask_text(prepared.repo.relative_cwd(prepared.cwd)),
        user=_user(),
        host=journal.host_name(),
        author=git.author_ident(config),
        git=GitInfo(
            commit=prepared.head.commit or "",
            branch=prepared.head.branch,
            remotes={name: strip_url_credentials(url) for name, url in config.remotes.items()},
        ),
        params=redactor.mask_params(params),
        param_sources=redactor.mask_sources(sources),
        metrics=_masked_names(redactor, metrics),
        tags=tuple(dict.fromkeys(redactor.mask_text(tag) for tag in prepared.options.tags)),
        note=redactor.mask_text(prepared.options.note) if prepared.options.note else None,
        reproduces=prepared.options.reproduces,
        parent=prepared.family.parent if prepared.family else None,
        sweep=prepared.family.sweep if prepared.family else None,
        trial=_trial(prepared.family),
        runledger_version=__version__,
        config_files=tuple(redactor.mask_params(entry) for entry in config_files),
        system=redactor.mask_params(system),
        series=_masked_names(
            redactor,
            {name: (list(s.steps), list(s.values)) for name, s in series.items()},
        ),
        series_times=_masked_names(
            redactor, {name: list(s.times) for name, s in series.items() if s.times}
        ),
        series_sources=_masked_names(
            redactor,
            {name: redactor.mask_text(s.source) for name, s in series.items() if s.source},
        ),
        system_series={
            name: (list(sampled.seconds), values) for name, values in sampled.values.items()
        },
        environment=redactor.mask_environment(environment),
        log=redactor.mask_bytes(outcome.log.content()),
        inputs=[redactor.mask_params(record.to_dict()) for record in inputs.files]
        if inputs
        else [],
        artifacts=[redactor.mask_params(entry) for entry in outcome.artifacts],
        inputs_digest=inputs.digest if inputs else None,
        input_paths=prepared.files.input_paths if prepared.files else (),
        output_paths=prepared.files.output_paths if prepared.files else (),
        auto_outputs=_auto_outputs(prepared),
        autocapture=_autocapture(prepared),
    )


def _trial(family: Family | None) -> dict[str, Any] | None:
    if family is None or family.trial is None:
        return None
    return {"number": family.trial}


def child_specs(
    prepared: _Prepared,
    outcome: _Outcome,
    status: str,
    hydra_jobs: list[params_capture.HydraJob],
    redactor: Redactor,
) -> list[ChildSpec]:
    """The children of a run that searched itself: one per trial of an in-process Optuna
    study (the trial lines of its metrics file), else one per job of a Hydra multirun (the
    jobs the parent's params were read from); then one per run of a tracker that ran two or
    more (wandb, MLflow), merged into the study's trials when it ran once per trial; masked
    like the parent."""
    from runledger.recording import children
    from runledger.recording.capture import params as params_capture

    specs = children.specs_from_trial_lines(
        outcome.collector.records, outcome.collector.trial_series()
    )
    tracker_specs = children.specs_from_tracker_runs(outcome.collector.tracker_runs(), status)
    if specs:
        specs, tracker_specs = children.with_tracker_runs(specs, tracker_specs)
    else:
        jobs = params_capture.multirun_jobs(hydra_jobs)
        multirun_flag = any(arg in ("-m", "--multirun") for arg in prepared.options.command)
        if len(jobs) >= 2 or multirun_flag:
            specs = [
                replace(spec, status=status)
                for spec in children.specs_from_hydra(jobs, prepared.cwd)
            ]
    specs += tracker_specs
    return [children.masked(spec, redactor) for spec in specs]


def record(
    prepared: _Prepared,
    run: Run,
    config: git.RepoConfig | None,
    specs: list[ChildSpec] | None = None,
) -> list[Run]:
    """Write the run, and its children (in the same batch) when it has some; return them."""
    user = _user()
    ident = git.format_ident(
        (config.user_name if config else None) or user,
        (config.user_email if config else None) or f"{user}@{journal.host_name()}",
    )
    from runledger.store.ledger import Ledger

    ledger = Ledger(prepared.repo)
    children: list[Run] = []
    if specs:
        from runledger.recording.children import build_children, with_best_run

        children = build_children(run, specs)
        run = with_best_run(run, children)
        ledger.write_family(run, children, ident, int(time.time()), with_parent=True)
    else:
        ledger.write(run, ident, int(time.time()))
    _cleanup(prepared.work_dir)
    return children


def exec_command(options: ExecOptions, cwd: Path | None = None) -> int:
    """Run and record; return the exit code runledger should exit with.

    Once the command has run, its exit code is what runledger exits with, whatever happens
    while recording: a run that cannot be recorded stays in its journal for the next command.
    """
    prepared = prepare(options, Path.cwd() if cwd is None else cwd)
    run_journal = begin_journal(prepared)
    try:
        outcome = run_and_capture(prepared, run_journal, preload=True)
    except BaseException:
        if run_journal.facts.get("child_pid") is None:  # nothing ran: nothing to recover
            run_journal.close()
        raise
    result = outcome.result
    run_journal.finish(
        {
            "status": _status(result),
            "exit_code": result.returncode,
            "signal": result.signal or result.received_signal,
            "ended_at": result.ended_at,
            "duration_s": round(result.monotonic_duration_s, 3),
        }
    )
    run: Run | None = None
    children: list[Run] = []
    try:
        with journal.shielded():
            redactor = run_redactor(prepared, outcome)
            hydra_jobs = _hydra_jobs(prepared, outcome)
            run = build_run(prepared, outcome, hydra_jobs=hydra_jobs, redactor=redactor)
            specs = child_specs(prepared, outcome, run.status, hydra_jobs, redactor)
            if specs:
                from runledger.recording.children import with_study_best

                run = replace(run, sweep=run.sweep or run.id)
                run = with_study_best(run, specs, outcome.collector.records)
            children = record(prepared, run, outcome.capture.config, specs)
    except (RunledgerError, OSError) as exc:
        _not_recorded(prepared, run_journal, run, _cause(exc))
        return result.exit_code
    except Exception as exc:  # noqa: BLE001 - a bug must not change the command's exit code
        from runledger.crash import report_bug

        run_journal.hand_over(run.to_files() if run else {}, f"{type(exc).__name__}: {exc}")
        report_bug(exc)
        return result.exit_code
    if not run.metrics and not children:
        print(NO_METRICS_MESSAGE, file=sys.stderr)
    told = f" with {len(children)} child runs" if children else ""
    print(f"runledger: recorded run {ids.short_id(run.id)} ({run.status}){told}", file=sys.stderr)
    return result.exit_code


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return " ".join(str(exc).split()) or type(exc).__name__


def _not_recorded(prepared: _Prepared, run_journal: Journal, run: Run | None, cause: str) -> None:
    kept = run_journal.hand_over(run.to_files() if run else {}, cause)
    if kept == "run":
        where = f"it is kept in {prepared.work_dir}"
    elif kept == "journal":
        where = (
            "what is known of it (result, metrics, part of the output) is kept in "
            f"{prepared.work_dir}"
        )
    else:
        where = f"it could not be kept either ({run_journal.write_error or 'unknown error'})"
    if kept:
        where += ", and the next runledger command in this repository records it"
    print(
        f"runledger: error: run {ids.short_id(prepared.run_id)} was not recorded: {cause}; {where}",
        file=sys.stderr,
    )


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _cleanup(work_dir: Path) -> None:
    journal.remove_folder(work_dir)


def probe_cache_dir(repo: git.Repo) -> Path:
    """Where an interpreter's package list is cached between runs: ``RUNLEDGER_CACHE_DIR``
    when set (one folder for every repository of a machine: a fresh clone then skips the
    probe's subprocess), else the repository's own ``.git/runledger/cache``."""
    shared = os.environ.get("RUNLEDGER_CACHE_DIR")
    return Path(shared) if shared else repo.runledger_dir / "cache"
