"""``runledger sweep``'s engine: an Optuna study whose trials are ``runledger exec`` runs.

Optuna is imported here only, lazily: it is a dependency of this command alone
(``runledger[sweep]``). Optuna's ask-and-tell interface drives the search from this one
process; each trial is its own ``runledger exec`` process (recording/trials.py), up to
``jobs`` at a time, and its objective is read from the run it recorded.

The study lives in an Optuna storage: by default a journal file in the git directory
(``.git/runledger/sweeps/SWEEP.journal``), so that ``--resume`` can continue it; with
``--storage URL`` (``sqlite:///...``, any RDB URL, or a journal file path) other clones can
``--join`` it and add workers, each recording its trials in its own clone. The sweep's
settings (command, spaces, metric...) are kept in the study, so a resumed or joined sweep
needs only its id.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runledger.analysis.sweep import (
    INSTALL_HINT,
    Space,
    grid_size,
    objective_value,
    parse_spaces,
    program_of,
    recorded_flags,
    trial_command,
)
from runledger.errors import RunledgerError, UserError
from runledger.model.record import Run
from runledger.recording import claims
from runledger.recording.trials import TrialProcess, start_trial
from runledger.store import git
from runledger.store.ledger import Ledger

ATTRS_KEY = "runledger"
POLL_S = 0.05
GRACE_S = 1.0  # after Ctrl-C: how long trials get to see the terminal's SIGINT themselves


@dataclass(frozen=True)
class SweepSettings:
    """What defines a sweep; kept in the study so that --resume and --join need only its id."""

    command: tuple[str, ...]
    spaces: tuple[str, ...]
    metric: str
    direction: str
    objective: str = "last"
    sampler: str = "tpe"
    trials: int = 20
    style: str = "flags"
    prune: bool = False
    seed: int | None = None

    def parsed_spaces(self) -> list[Space]:
        return parse_spaces(self.spaces)

    def to_attrs(self) -> dict[str, Any]:
        return {
            "command": list(self.command),
            "spaces": list(self.spaces),
            "metric": self.metric,
            "direction": self.direction,
            "objective": self.objective,
            "sampler": self.sampler,
            "trials": self.trials,
            "style": self.style,
            "prune": self.prune,
            "seed": self.seed,
        }

    @classmethod
    def from_attrs(cls, data: Mapping[str, Any]) -> SweepSettings:
        return cls(
            command=tuple(str(arg) for arg in data["command"]),
            spaces=tuple(str(text) for text in data["spaces"]),
            metric=str(data["metric"]),
            direction=str(data["direction"]),
            objective=str(data.get("objective", "last")),
            sampler=str(data.get("sampler", "tpe")),
            trials=int(data.get("trials", 20)),
            style=str(data.get("style", "flags")),
            prune=bool(data.get("prune", False)),
            seed=data.get("seed"),
        )


@dataclass(frozen=True)
class TrialOutcome:
    number: int
    run_id: str
    params: dict[str, Any]
    state: str  # Optuna's: COMPLETE, PRUNED, FAIL
    value: float | None
    status: str  # the run's: ok, failed, interrupted; "unrecorded" when no run was written
    detail: str = ""


@dataclass(frozen=True)
class BestTrial:
    number: int
    value: float
    params: dict[str, Any]
    run_id: str | None


@dataclass
class SweepResult:
    sweep_id: str
    parent_id: str
    settings: SweepSettings
    started_at: float
    outcomes: list[TrialOutcome] = field(default_factory=list)
    best: list[BestTrial] = field(default_factory=list)  # best first, over the whole study
    finished_trials: int = 0  # over the whole study (every worker)
    interrupted: bool = False


def optuna_module() -> Any:
    try:
        import optuna
    except ImportError:
        raise UserError(f"runledger sweep needs Optuna: {INSTALL_HINT}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def default_storage_path(repo: git.Repo, sweep_id: str) -> Path:
    return repo.runledger_dir / "sweeps" / f"{sweep_id}.journal"


def local_sweep_id(repo: git.Repo, spec: str) -> str:
    """The full id of a sweep kept in this repository's default storage that ``spec`` (an
    id or a unique prefix of one) names; ``spec`` itself when none or several match."""
    folder = repo.runledger_dir / "sweeps"
    try:
        found = sorted(path.stem for path in folder.glob("*.journal"))
    except OSError:
        return spec
    matches = [name for name in found if name.startswith(spec)]
    return matches[0] if len(matches) == 1 else spec


def open_storage(url: str | None, repo: git.Repo, sweep_id: str) -> Any:
    """An Optuna storage: an RDB URL, else a journal file (default: in the git directory)."""
    optuna = optuna_module()
    if url is not None and "://" in url:
        try:
            return optuna.storages.RDBStorage(url)
        except Exception as exc:  # noqa: BLE001 - any driver's error becomes one line
            raise UserError(f"cannot open --storage {url}: {exc}") from exc
    from optuna.storages.journal import JournalFileBackend

    path = Path(url) if url is not None else default_storage_path(repo, sweep_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def sampler_for(settings: SweepSettings, spaces: list[Space]) -> Any:
    optuna = optuna_module()
    seed = settings.seed
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if settings.sampler == "grid":
        unlisted = [space.name for space in spaces if not space.is_listed]
        if unlisted:
            raise UserError(
                f"--sampler grid needs lists of values, but {', '.join(unlisted)} "
                "is a range: write it as a list (lr=0.1,0.01) or choice(...)"
            )
        # Every grid point is queued in the study (create_study), where any worker takes the
        # next one: Optuna's GridSampler stops the study from inside tell(), which only an
        # optimize() loop allows.
        return optuna.samplers.RandomSampler(seed=seed)
    if settings.sampler == "cmaes":
        import importlib.util

        if importlib.util.find_spec("cmaes") is None:
            raise UserError("--sampler cmaes needs the cmaes package: pip install cmaes")
        return optuna.samplers.CmaEsSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def suggest(trial: Any, space: Space) -> Any:
    if space.kind in ("uniform", "loguniform"):
        return trial.suggest_float(
            space.name, space.low, space.high, log=space.kind == "loguniform"
        )
    if space.kind in ("int", "intlog"):
        return trial.suggest_int(
            space.name, int(space.low), int(space.high), log=space.kind == "intlog"
        )
    return trial.suggest_categorical(space.name, list(space.choices))


def create_study(storage: Any, sweep_id: str, settings: SweepSettings) -> Any:
    optuna = optuna_module()
    spaces = settings.parsed_spaces()
    study = optuna.create_study(
        storage=storage,
        study_name=sweep_id,
        direction=settings.direction,
        sampler=sampler_for(settings, spaces),
        pruner=_pruner(settings),
    )
    study.set_user_attr(ATTRS_KEY, settings.to_attrs())
    if settings.sampler == "grid":
        for point in grid_points(spaces)[: settings.trials]:
            study.enqueue_trial(point)
    return study


def grid_points(spaces: list[Space]) -> list[dict[str, Any]]:
    """Every combination of the spaces' values, the first space varying slowest."""
    import itertools

    names = [space.name for space in spaces]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(space.choices for space in spaces))
    ]


def load_study(storage: Any, sweep_id: str) -> tuple[Any, SweepSettings]:
    """The sweep's study and settings; UserError when the storage has no such sweep."""
    optuna = optuna_module()
    try:
        summaries = optuna.get_all_study_summaries(storage)
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"cannot read the sweep storage: {exc}") from exc
    names = [summary.study_name for summary in summaries]
    if sweep_id not in names:
        matches = [name for name in names if len(sweep_id) >= 4 and name.startswith(sweep_id)]
        if len(matches) != 1:
            raise UserError(
                f"no sweep {sweep_id!r} in this storage: give the id that 'runledger sweep' "
                "printed (and the same --storage)"
            )
        sweep_id = matches[0]
    probe = optuna.load_study(study_name=sweep_id, storage=storage)
    attrs = probe.user_attrs.get(ATTRS_KEY)
    if not isinstance(attrs, Mapping):
        raise UserError(f"study {sweep_id!r} was not started by runledger sweep")
    settings = SweepSettings.from_attrs(attrs)
    study = optuna.load_study(
        study_name=sweep_id,
        storage=storage,
        sampler=sampler_for(settings, settings.parsed_spaces()),
        pruner=_pruner(settings),
    )
    return study, settings


def _pruner(settings: SweepSettings) -> Any:
    optuna = optuna_module()
    if settings.prune:
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    return optuna.pruners.NopPruner()


def fail_stale_trials(study: Any) -> int:
    """Trials left running by a sweep that was killed: told as failed (``--resume``)."""
    optuna = optuna_module()
    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for frozen in stale:
        study._storage.set_trial_user_attr(frozen._trial_id, "interrupted", True)
        study.tell(frozen.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
    return len(stale)


def counted_trials(study: Any) -> int:
    """Trials that use up the budget: finished ones (not those interrupted) and running ones;
    not the grid points queued and waiting."""
    waiting = optuna_module().trial.TrialState.WAITING
    return sum(
        1
        for frozen in study.get_trials(deepcopy=False)
        if frozen.state != waiting and _counts(frozen)
    )


def _counts(frozen: Any) -> bool:
    attrs = frozen.user_attrs
    return not attrs.get("interrupted") and not attrs.get(SURPLUS)


# A trial asked for beyond the budget by a worker that raced another (both saw 5 of 6 and
# asked): never run, told failed, counted nowhere.
SURPLUS = "surplus"


def over_budget(study: Any, trial_number: int, limit: int) -> bool:
    """Whether ``limit`` trials that count were asked for before trial ``trial_number``:
    trial numbers are handed out in order by the study's storage, so of workers sharing it
    that asked at once, the first ``limit`` run and the others give their trial back."""
    waiting = optuna_module().trial.TrialState.WAITING
    ahead = sum(
        1
        for frozen in study.get_trials(deepcopy=False)
        if frozen.number < trial_number and frozen.state != waiting and _counts(frozen)
    )
    return ahead >= limit


def finished_trials(study: Any) -> int:
    optuna = optuna_module()
    done = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.FAIL,
    )
    return sum(1 for frozen in study.get_trials(deepcopy=False, states=done) if _counts(frozen))


def best_trials(study: Any, limit: int = 5) -> list[BestTrial]:
    optuna = optuna_module()
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    complete = [frozen for frozen in complete if frozen.value is not None]
    reverse = study.direction == optuna.study.StudyDirection.MAXIMIZE
    complete.sort(key=lambda frozen: frozen.value, reverse=reverse)
    return [
        BestTrial(frozen.number, frozen.value, dict(frozen.params), frozen.user_attrs.get("run_id"))
        for frozen in complete[:limit]
    ]


class SweepEngine:
    """Runs trials until the study has its number of trials, or Ctrl-C."""

    def __init__(
        self,
        repo: git.Repo,
        cwd: Path,
        study: Any,
        settings: SweepSettings,
        *,
        sweep_id: str,
        parent_id: str,
        jobs: int,
        on_trial: Callable[[TrialOutcome], None] | None = None,
        echo: bool = False,
    ) -> None:
        self.repo = repo
        self.cwd = cwd
        self.study = study
        self.settings = settings
        self.spaces = settings.parsed_spaces()
        self.jobs = max(1, jobs)
        self.on_trial = on_trial
        self.echo = echo
        self.result = SweepResult(sweep_id, parent_id, settings, time.time())
        self._optuna = optuna_module()
        self._running: dict[int, tuple[Any, TrialProcess]] = {}
        self._reported: dict[int, int] = {}
        self._limit = settings.trials
        if settings.sampler == "grid":
            self._limit = min(self._limit, grid_size(self.spaces))
        self._flags = self._recorded_flags() if settings.style == "flags" else {}

    def run(self) -> SweepResult:
        try:
            return self._run()
        finally:
            started = [outcome.run_id for outcome in self.result.outcomes]
            started += [process.run_id for _, process in self._running.values()]
            claims.release(self.repo.runledger_dir, self.result.sweep_id, started)

    def _run(self) -> SweepResult:
        try:
            while True:
                while len(self._running) < self.jobs and counted_trials(self.study) < self._limit:
                    if not self._start_one():
                        break
                if not self._running:
                    break
                time.sleep(POLL_S)
                self._watch()
        except KeyboardInterrupt:
            self.result.interrupted = True
            self._stop_all()
        self.result.best = best_trials(self.study)
        self.result.finished_trials = finished_trials(self.study)
        return self.result

    def _start_one(self) -> bool:
        """Start the next trial; False when another worker took the budget's last one."""
        trial = self.study.ask()
        if over_budget(self.study, trial.number, self._limit):
            trial.set_user_attr(SURPLUS, True)
            self.study.tell(trial, state=self._optuna.trial.TrialState.FAIL)
            return False
        values = {space.name: suggest(trial, space) for space in self.spaces}
        argv = trial_command(self.settings.command, values, self.settings.style, self._flags)
        process = start_trial(
            self.repo, self.cwd, argv,
            parent=self.result.parent_id, sweep=self.result.sweep_id, number=trial.number,
            name=f"trial {trial.number}", echo=self.echo, live=self.settings.prune,
        )  # fmt: skip
        trial.set_user_attr("run_id", process.run_id)
        self._running[trial.number] = (trial, process)
        return True

    def _watch(self) -> None:
        for number, (trial, process) in list(self._running.items()):
            if self.settings.prune and not process.pruned:
                self._report(trial, process)
            if process.poll() is not None:
                del self._running[number]
                self._finish(trial, process)

    def _report(self, trial: Any, process: TrialProcess) -> None:
        points = process.series(self.settings.metric)
        done = self._reported.get(trial.number, 0)
        if len(points) <= done:
            return
        for step, value in points[done:]:
            if math.isfinite(value):
                trial.report(value, int(step))
        self._reported[trial.number] = len(points)
        if trial.should_prune():
            process.pruned = True
            process.interrupt()

    def _finish(self, trial: Any, process: TrialProcess, interrupted: bool = False) -> None:
        process.wait()
        states = self._optuna.trial.TrialState
        run = self._read(process.run_id)
        status = run.status if run is not None else "unrecorded"
        value: float | None = None
        detail = ""
        if process.pruned:
            state = states.PRUNED
        elif interrupted and (run is None or run.status != "ok"):
            state = states.FAIL
            trial.set_user_attr("interrupted", True)
        elif run is None or run.status != "ok":
            state = states.FAIL
            said = [line for line in process.tail if line and not line.startswith("runledger: ")]
            detail = said[-1] if said else ""
        else:
            value = objective_value(run, self.settings.metric, self.settings.objective)  # type: ignore[arg-type]
            state = states.COMPLETE if value is not None else states.FAIL
            if value is None:
                detail = f"the run recorded no {self.settings.metric}"
        if state == states.COMPLETE:
            self.study.tell(trial, value)
        else:
            self.study.tell(trial, state=state)
        outcome = TrialOutcome(
            trial.number, process.run_id, dict(trial.params), state.name, value, status, detail
        )
        self.result.outcomes.append(outcome)
        if self.on_trial is not None:
            self.on_trial(outcome)

    def _recorded_flags(self) -> dict[str, str]:
        """How the newest run of the same program recorded the spaces' names (sweep.py's
        ``recorded_flags``); none without one."""
        program = program_of(self.settings.command)
        try:
            with Ledger(self.repo) as ledger:
                newest = next(
                    (row for row, _ in ledger.catalog.rows() if program_of(row.command) == program),
                    None,
                )
                run = ledger.read(newest.id) if newest is not None else None
        except RunledgerError:
            return {}
        if run is None:
            return {}
        names = [space.name for space in self.spaces]
        return recorded_flags(names, run.param_sources, run.command)

    def _read(self, run_id: str) -> Run | None:
        try:
            return Ledger(self.repo).read(run_id)
        except RunledgerError:
            return None

    def _stop_all(self) -> None:
        """Ctrl-C: every running trial is interrupted (and recorded so by its exec), then
        told to Optuna as failed and marked interrupted, so ``--resume`` runs it again."""
        deadline = time.monotonic() + GRACE_S
        pending = dict(self._running)
        self._running.clear()
        while True:
            try:
                while time.monotonic() < deadline and any(
                    process.poll() is None for _, process in pending.values()
                ):
                    time.sleep(POLL_S)
                for _, process in pending.values():
                    process.interrupt()
                for number in sorted(pending):
                    trial, process = pending.pop(number)
                    self._finish(trial, process, interrupted=not process.pruned)
                return
            except KeyboardInterrupt:  # a second Ctrl-C: the trials still get recorded
                deadline = time.monotonic()


def parent_run(repo: git.Repo, head: git.HeadState, result: SweepResult, *, name: str) -> Run:
    """The sweep's parent run: the best params and value over the whole study, the number of
    finished trials, and how the search was defined (its ``trial`` table)."""
    import getpass
    import os
    import socket

    from runledger.model.record import GitInfo, MetricSummary
    from runledger.redact import Redactor, strip_url_credentials
    from runledger.store.facts import now_iso
    from runledger.version import __version__

    settings = result.settings
    ended = time.time()
    config = git.read_config(repo)
    redactor = Redactor(dict(os.environ))
    best = result.best[0] if result.best else None
    metrics = {}
    metrics["trials"] = MetricSummary(
        last=float(result.finished_trials),
        min=float(result.finished_trials),
        max=float(result.finished_trials),
    )
    if best is not None:
        metrics[settings.metric] = MetricSummary(last=best.value, min=best.value, max=best.value)
    search: dict[str, Any] = {
        "role": "sweep",
        "spaces": list(settings.spaces),
        "metric": settings.metric,
        "direction": settings.direction,
        "objective": settings.objective,
        "sampler": settings.sampler,
        "trials": settings.trials,
        "trials_here": len(result.outcomes),
    }
    if best is not None:
        search["best_trial"] = best.number
        if best.run_id:
            search["best_run"] = best.run_id
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Run(
        id=result.parent_id,
        status="interrupted" if result.interrupted else "ok",
        started_at=now_iso(result.started_at),
        ended_at=now_iso(ended),
        duration_s=round(ended - result.started_at, 3),
        command=tuple(redactor.mask_argv(settings.command)),
        git=GitInfo(
            commit=head.commit or "",
            branch=head.branch,
            remotes={name: strip_url_credentials(url) for name, url in config.remotes.items()},
        ),
        exit_code=130 if result.interrupted else 0,
        name=name,
        cwd=".",
        user=user,
        host=socket.gethostname(),
        params=redactor.mask_params(dict(best.params)) if best is not None else {},
        param_sources={key: "best trial" for key in (best.params if best else {})},
        metrics=metrics,
        sweep=result.sweep_id,
        trial=redactor.mask_params(search),
        runledger_version=__version__,
    )
