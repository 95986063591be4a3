"""Child runs: one run per trial of a search (or job of a multirun) that a program ran itself.

A child is a full run (its own params, metrics, series and status) that shares its parent's
commit, command and environment: the environment by reference, as the parent's very blob
(Ledger.write_family). Children are written in one batch, so a study of 1,000 trials costs
one ref transaction, not 1,000 execs (benchmarks/bench_sweep.py measures it).

Sources:

- an Optuna study run in-process under ``runledger exec``: the in-process capture writes one
  line per finished trial into the metrics file, ``{"_runledger": "trial", "number": n,
  "params": {...}, "value": v | null, "values": [...] | null, "state": "COMPLETE" |
  "PRUNED" | "FAIL", "intermediate": {"step": value}, "datetime_start": iso,
  "datetime_complete": iso}`` (:func:`specs_from_trial_lines`);
- a Hydra multirun: one child per job (``multirun/…/N/.hydra``, or ``hydra.sweep.dir``)
  (:func:`specs_from_hydra`);
- two or more runs of one experiment tracker in the process (wandb, MLflow), as the
  in-process capture tells them apart: one child per tracker run
  (:func:`specs_from_tracker_runs`).

Optuna's trial states map onto run statuses as: COMPLETE -> ok, FAIL -> failed, PRUNED ->
interrupted (the pruner stopped it before the end). The engine's own state is kept exactly in
the child's ``trial`` table (``trial.state``), beside the trial number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from runledger import ids
from runledger.model.flat import flatten
from runledger.model.record import MetricSummary, Run
from runledger.recording.capture.metrics import MetricSeries, TrackerRun
from runledger.recording.capture.params import HydraJob, hydra_config_entry
from runledger.redact import Redactor
from runledger.store import git
from runledger.store.facts import now_iso
from runledger.store.ledger import Ledger

TRIAL_RECORD = "trial"
STATE_STATUS = {"COMPLETE": "ok", "FAIL": "failed", "PRUNED": "interrupted"}
OBJECTIVE_METRIC = "value"
BEST_TRIAL_SOURCE = "best trial"  # a study parent's param: its best trial's value


@dataclass(frozen=True)
class ChildSpec:
    """What is known of one child before it becomes a run.

    ``series``: metric name -> [(step, value), ...]; ``final``: metric name -> the value the
    child ended with when it is not the series' last point (Optuna's objective value after
    its intermediate values).
    """

    params: dict[str, Any]
    status: str = "ok"
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)
    started_at: str | None = None
    ended_at: str | None = None
    name: str | None = None
    trial: dict[str, Any] | None = None
    config_files: tuple[dict[str, Any], ...] = ()
    output_paths: tuple[str, ...] = ()


def build_children(parent: Run, specs: Sequence[ChildSpec]) -> list[Run]:
    """The child runs of ``parent`` (not written); the sweep id is the parent's, else its id."""
    sweep = parent.sweep or parent.id
    now = time.time()
    return [_child(parent, spec, sweep, now) for spec in specs]


def record_children(parent: Run, children: Sequence[ChildSpec], *, repo: git.Repo) -> list[Run]:
    """Write ``children`` of an already recorded ``parent`` (read in full, so that its
    environment is known) in one batch; return them."""
    runs = build_children(parent, children)
    write_family(repo, parent, runs, with_parent=False)
    return runs


def write_family(
    repo: git.Repo, parent: Run, children: Sequence[Run], *, with_parent: bool
) -> None:
    ledger = Ledger(repo)
    ledger.write_family(parent, children, _ident(repo), int(time.time()), with_parent=with_parent)


def write_run(repo: git.Repo, run: Run) -> None:
    """Record one run built outside exec (a sweep's parent)."""
    Ledger(repo).write(run, _ident(repo), int(time.time()))


def _ident(repo: git.Repo) -> str:
    import getpass
    import socket

    config = git.read_config(repo)
    user = _user(getpass)
    return git.format_ident(
        config.user_name or user, config.user_email or f"{user}@{socket.gethostname()}"
    )


def _user(getpass: Any) -> str:
    try:
        return str(getpass.getuser())
    except (KeyError, OSError):
        return "unknown"


def _child(parent: Run, spec: ChildSpec, sweep: str, now: float) -> Run:
    started = spec.started_at or parent.started_at
    ended = spec.ended_at or started
    return Run(
        id=ids.new_run_id(now),
        status=spec.status,
        started_at=started,
        ended_at=ended,
        duration_s=_seconds_between(started, ended),
        command=parent.command,
        git=parent.git,
        exit_code=None,
        name=spec.name,
        cwd=parent.cwd,
        user=parent.user,
        host=parent.host,
        params=dict(spec.params),
        param_sources={name: "child" for name in flatten(spec.params)},
        metrics=_summaries(spec),
        parent=parent.id,
        sweep=sweep,
        trial=dict(spec.trial) if spec.trial is not None else None,
        runledger_version=parent.runledger_version,
        config_files=spec.config_files,
        output_paths=spec.output_paths,
        series={
            name: ([float(step) for step, _ in points], [float(value) for _, value in points])
            for name, points in spec.series.items()
            if points
        },
    )


def _summaries(spec: ChildSpec) -> dict[str, MetricSummary]:
    summaries: dict[str, MetricSummary] = {}
    for name in {*spec.series, *spec.final}:
        points = list(spec.series.get(name, ()))
        values = [value for _, value in points]
        last_step: float | None = points[-1][0] if points else None
        last = values[-1] if values else math.nan
        if name in spec.final:
            last, last_step = spec.final[name], None
            values.append(last)
        if not values:
            continue
        finite = [value for value in values if math.isfinite(value)] or values
        summaries[name] = MetricSummary(
            last=last,
            min=min(finite),
            max=max(finite),
            last_step=last_step,
            count=len(values),
        )
    return summaries


def _seconds_between(start: str, end: str) -> float:
    try:
        begun = datetime.fromisoformat(start.replace("Z", "+00:00"))
        ended = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, round((ended - begun).total_seconds(), 3))


def iso_utc(text: Any) -> str | None:
    """A timestamp as run.toml writes them (UTC, milliseconds, Z); None when unreadable.
    A time without a zone is Optuna's local time."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return now_iso(moment.timestamp())


# --- Optuna trials written by the in-process capture -----------------------------------------


def specs_from_trial_lines(
    records: Iterable[Mapping[str, Any]],
    series: Mapping[int, Mapping[str, MetricSeries]] | None = None,
) -> list[ChildSpec]:
    """One child per finished trial among the metrics file's ``_runledger`` records, in trial
    order; a trial reported twice counts once (its last report). ``series``: what each
    trial's objective reported, by trial number (:meth:`MetricsCollector.trial_series`),
    beside its intermediate values."""
    by_number: dict[Any, Mapping[str, Any]] = {}
    for record in records:
        if record.get("_runledger") != TRIAL_RECORD:
            continue
        if str(record.get("state", "")).upper() not in STATE_STATUS:
            continue  # RUNNING or WAITING: not finished
        by_number[record.get("number", len(by_number))] = record
    specs = [_trial_spec(record) for _, record in sorted(by_number.items(), key=_number_order)]
    return [_with_reported(spec, series or {}) for spec in specs]


def _with_reported(spec: ChildSpec, series: Mapping[int, Mapping[str, MetricSeries]]) -> ChildSpec:
    number = (spec.trial or {}).get("number")
    reported = series.get(number) if isinstance(number, int) else None
    if not reported:
        return spec
    points = {
        name: list(zip(found.steps, found.values, strict=True)) for name, found in reported.items()
    }
    return replace(spec, series={**points, **spec.series})


def _number_order(item: tuple[Any, Any]) -> tuple[int, Any]:
    number = item[0]
    return (0, number) if isinstance(number, int) else (1, str(number))


def _trial_spec(record: Mapping[str, Any]) -> ChildSpec:
    state = str(record.get("state", "")).upper()
    params = record.get("params")
    number = record.get("number")
    intermediate = record.get("intermediate")
    points: list[tuple[float, float]] = []
    if isinstance(intermediate, Mapping):
        for step, value in intermediate.items():
            step_number = _number(step)
            number_value = _number(value)
            if step_number is not None and number_value is not None:
                points.append((step_number, number_value))
        points.sort()
    final: dict[str, float] = {}
    values = record.get("values")
    names = record.get("metric_names")
    if isinstance(values, list) and len(values) > 1:
        for position, value in enumerate(values):
            name = _metric_name(names, position, f"{OBJECTIVE_METRIC}_{position}")
            if _number(value) is not None:
                final[name] = float(value)
    else:
        value = record.get("value")
        if value is None and isinstance(values, list) and values:
            value = values[0]
        if _number(value) is not None:
            final[_metric_name(names, 0, OBJECTIVE_METRIC)] = float(value)
    objective = next(iter(final), _metric_name(names, 0, OBJECTIVE_METRIC))
    trial: dict[str, Any] = {"state": state}
    if isinstance(number, int) and not isinstance(number, bool):
        trial["number"] = number
    return ChildSpec(
        params=dict(params) if isinstance(params, Mapping) else {},
        status=STATE_STATUS[state],
        series={objective: points} if points else {},
        final=final,
        started_at=iso_utc(record.get("datetime_start")),
        ended_at=iso_utc(record.get("datetime_complete")),
        name=f"trial {number}" if number is not None else None,
        trial=trial,
    )


def with_study_best(parent: Run, specs: Sequence[ChildSpec], records: Iterable[Any]) -> Run:
    """``parent`` of an in-process Optuna study with the study's best value as its metric
    (unless the program reported one of that name itself) and a ``trial`` table saying so
    (``role = "study"``, ``direction``, ``best_trial``, ``trials``), as a ``runledger sweep``
    parent has: ``ls`` then shows the result of the search on the parent's row. Only for a
    single objective whose direction the trial lines name."""
    directions = next(
        (
            record["directions"]
            for record in records
            if isinstance(record, Mapping)
            and record.get("_runledger") == TRIAL_RECORD
            and isinstance(record.get("directions"), list)
        ),
        None,
    )
    specs = [spec for spec in specs if not is_tracker_run(spec)]
    if parent.trial or not specs or directions is None:
        return parent
    table: dict[str, Any] = {"role": "study", "trials": len(specs)}
    if len(directions) != 1 or directions[0] not in ("minimize", "maximize"):
        table["directions"] = [str(direction) for direction in directions]
        return _with_best_params(replace(parent, trial=table), specs, None)
    direction = directions[0]
    table["direction"] = direction
    finished = [
        (spec, next(iter(spec.final.values())))
        for spec in specs
        if spec.status == "ok" and len(spec.final) == 1
    ]
    finished = [(spec, value) for spec, value in finished if not math.isnan(value)]
    if not finished:
        return _with_best_params(replace(parent, trial=table), specs, None)
    pick = min if direction == "minimize" else max
    best_spec, best = pick(finished, key=lambda item: item[1])  # ties: the earliest trial
    name = next(iter(best_spec.final))
    if best_spec.trial and "number" in best_spec.trial:
        table["best_trial"] = best_spec.trial["number"]
    table["metric"] = name
    if name in parent.metrics:  # the program's own
        return _with_best_params(replace(parent, trial=table), specs, best_spec)
    values = [value for _, value in finished]
    summary = MetricSummary(last=best, min=min(values), max=max(values), count=len(values))
    metrics = {**parent.metrics, name: summary}
    return _with_best_params(
        replace(parent, metrics=metrics, trial=table, series=_with_history(parent, name, finished)),
        specs,
        best_spec,
    )


def _with_history(
    parent: Run, name: str, finished: Sequence[tuple[ChildSpec, float]]
) -> dict[str, tuple[list[float], list[float]]] | None:
    """The parent's series with the study's history: each finished trial's objective value
    at its trial number (Optuna's optimization history; wandb's callback logs it so)."""
    points = sorted(
        (spec.trial["number"], value)
        for spec, value in finished
        if spec.trial and isinstance(spec.trial.get("number"), int)
    )
    series = dict(parent.series or {})
    if points and name not in series:
        series[name] = ([step for step, _ in points], [value for _, value in points])
    return series or parent.series


def _with_best_params(parent: Run, specs: Sequence[ChildSpec], best: ChildSpec | None) -> Run:
    """``parent`` whose searched params are the best trial's (none without a best): the
    in-process hooks (xgb.train, a tracker's config) saw every trial's values in turn, so the
    parent held the last trial's beside the best trial's value, a pair no trial ran."""
    searched = {name for spec in specs for name in spec.params}
    params = {name: value for name, value in parent.params.items() if name not in searched}
    sources = {
        name: source
        for name, source in parent.param_sources.items()
        if name.partition(".")[0] not in searched
    }
    if best is not None:
        params.update(best.params)
        sources.update((name, BEST_TRIAL_SOURCE) for name in flatten(best.params))
    return replace(parent, params=params, param_sources=sources)


def with_best_run(parent: Run, children: Sequence[Run]) -> Run:
    """``parent`` whose study table names the child run of its best trial."""
    if not parent.trial or parent.trial.get("role") != "study" or "best_trial" not in parent.trial:
        return parent
    for child in children:
        if child.trial and child.trial.get("number") == parent.trial["best_trial"]:
            return replace(parent, trial={**parent.trial, "best_run": child.id})
    return parent


def _metric_name(names: Any, position: int, default: str) -> str:
    if isinstance(names, list) and position < len(names) and isinstance(names[position], str):
        return names[position] or default
    return default


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


# --- tracker runs (wandb, MLflow) of the program ------------------------------------------


def specs_from_tracker_runs(runs: Iterable[TrackerRun], status: str) -> list[ChildSpec]:
    """One child per run of a tracker that ran two or more in the process (``wandb.init`` /
    ``run.finish()`` once per fold or per config, ``with mlflow.start_run():`` in a loop):
    its own params and series, named as the tracker names it (``fold-2``, else ``wandb run
    2``). A run that ended with a non-zero exit code failed; one never ended has the
    process's ``status``. ``trial`` says which: ``{tracker, run, id}``."""
    specs: list[ChildSpec] = []
    for run in runs:
        tracker, _, number = run.tag.rpartition(":")
        facts = run.facts
        name = facts.get("name")
        exit_code = facts.get("exit_code")
        if isinstance(exit_code, int):
            run_status = "ok" if exit_code == 0 else "failed"
        else:
            run_status = status
        trial: dict[str, Any] = {"tracker": tracker}
        trial["run"] = int(number) if number.isdigit() else number
        if isinstance(facts.get("id"), str):
            trial["id"] = facts["id"]
        specs.append(
            ChildSpec(
                params=dict(run.params),
                status=run_status,
                series={
                    metric: list(zip(series.steps, series.values, strict=True))
                    for metric, series in run.series.items()
                },
                started_at=iso_utc(facts.get("at")),
                ended_at=iso_utc(facts.get("ended")),
                name=name if isinstance(name, str) and name else f"{tracker} run {number}",
                trial=trial,
            )
        )
    return specs


def is_tracker_run(spec: ChildSpec) -> bool:
    """A child of a tracker run alone (not a trial that a tracker run was merged into)."""
    return spec.trial is not None and "tracker" in spec.trial and "state" not in spec.trial


def with_tracker_runs(
    trials: Sequence[ChildSpec], runs: Sequence[ChildSpec]
) -> tuple[list[ChildSpec], list[ChildSpec]]:
    """The trials of an in-process Optuna study, each with the tracker run it logged to when
    a tracker ran once per trial (``wandb.init`` in the objective, or Optuna's wandb / MLflow
    callbacks with a run per trial): the run's params under the trial's own, its series
    beside the objective's. Matched in order, only when the counts agree; the tracker runs
    that are no trial's are returned as children of their own."""
    merged = list(trials)
    left: list[ChildSpec] = []
    by_tracker: dict[str, list[ChildSpec]] = {}
    for run in runs:
        by_tracker.setdefault(str((run.trial or {}).get("tracker")), []).append(run)
    for tracker_runs in by_tracker.values():
        if len(tracker_runs) != len(trials):
            left.extend(tracker_runs)
            continue
        for position, run in enumerate(tracker_runs):
            trial = merged[position]
            table = dict(trial.trial or {})
            table.update((key, value) for key, value in (run.trial or {}).items())
            table.update((key, value) for key, value in (trial.trial or {}).items())
            merged[position] = replace(
                trial,
                params={**run.params, **trial.params},
                series={**run.series, **trial.series},
                trial=table,
            )
    return merged, left


# --- Hydra multirun ---------------------------------------------------------------------------


def specs_from_hydra(jobs: Iterable[HydraJob], cwd: Path) -> list[ChildSpec]:
    """One child per job of a Hydra multirun (``params.multirun_jobs``), in job order: its
    composed config (interpolations resolved as for a single run) as params, its overrides in
    ``trial.overrides``, and its ``.hydra/config.yaml`` (naming the job's output folder) in
    ``config_files``."""
    return [
        ChildSpec(
            params=job.config,
            name=f"job {job.folder.name}",
            trial={
                "job": int(job.folder.name) if job.folder.name.isdigit() else job.folder.name,
                "overrides": list(job.overrides),
            },
            config_files=(hydra_config_entry(job, cwd),),
        )
        for job in jobs
    ]


def masked(spec: ChildSpec, redactor: Redactor) -> ChildSpec:
    """``spec`` with secrets masked as in its parent: params, name, trial (a Hydra override
    can carry a password), metric names and config file entries."""
    return replace(
        spec,
        params=redactor.mask_params(spec.params),
        name=redactor.mask_text(spec.name) if spec.name is not None else None,
        trial=redactor.mask_params(spec.trial) if spec.trial is not None else None,
        series={redactor.mask_text(name): points for name, points in spec.series.items()},
        final={redactor.mask_text(name): value for name, value in spec.final.items()},
        config_files=tuple(redactor.mask_params(entry) for entry in spec.config_files),
    )
