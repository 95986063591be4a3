"""The Run record: what a run's commit holds, its TOML files, and its JSON view.

A run's tree holds:

- ``run.toml``: everything ``ls`` needs (kept small so thousands read fast);
- ``metrics.toml``: each metric's step series;
- ``environment.toml``: interpreter, packages, OS, CPU, GPUs, selected variables;
- ``files.toml``: inputs and artifacts, as pointers (path, size, sha256);
- ``output.log``: the command's output as the user saw it, secrets masked, size-capped.

``schema`` in each file is the record's version. A reader accepts every version up to its own
(older ones are migrated in memory, see schema.py) and refuses newer ones with a clear message,
so an old runledger never misreads a new record.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from runledger.errors import CorruptRecordError
from runledger.model import schema as schema_
from runledger.model import tomlcodec

SCHEMA_VERSION = schema_.SCHEMA_VERSION
STATUSES = ("ok", "failed", "interrupted")
# What a record's status reads as when it is none of STATUSES: runledger writes no other, so
# such a record was made elsewhere (a pulled "running" is running on no machine of ours).
UNKNOWN_STATUS = "unknown"

RUN_FILE = "run.toml"
METRICS_FILE = "metrics.toml"
ENVIRONMENT_FILE = "environment.toml"
FILES_FILE = "files.toml"
LOG_FILE = "output.log"
DETAIL_FILES = (METRICS_FILE, ENVIRONMENT_FILE, FILES_FILE, LOG_FILE)

# What a reader takes of a record, which anyone with push access may have written: parsing
# 100 MB of TOML takes a minute. runledger itself writes at most 200,000 points a series,
# 1,000 series and a 4 MiB output.log; a larger file or series is left out or thinned, with
# a note (store/ledger.py).
READ_LIMIT_BYTES = {
    RUN_FILE: 16 << 20,
    METRICS_FILE: 64 << 20,
    ENVIRONMENT_FILE: 16 << 20,
    FILES_FILE: 64 << 20,
    LOG_FILE: 16 << 20,
}


def over_read_limit(name: str, size: int) -> str:
    """'metrics.toml is 91.3 MiB, more than the 64 MiB read of a record'."""
    limit = READ_LIMIT_BYTES[name] / (1 << 20)
    return f"{name} is {size / (1 << 20):.1f} MiB, more than the {limit:g} MiB read of a record"


# environment.toml's tables, which readers take for tables (a pulled record's may not be)
ENVIRONMENT_TABLES = ("python", "packages", "package_sources", "variables", "used", "virtualenv")
SERIES_POINTS_READ = 200_000
SERIES_READ = 1_000


@dataclass(frozen=True)
class MetricSummary:
    """A metric at a glance: last, min and max value, with the step of each."""

    last: float
    min: float
    max: float
    last_step: float | None = None
    min_step: float | None = None
    max_step: float | None = None
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}

    @classmethod
    def of(cls, summary: Any) -> MetricSummary:
        """The record's copy of a collector's summary (capture.metrics.MetricSummary)."""
        return cls(
            last=summary.last,
            min=summary.min,
            max=summary.max,
            last_step=summary.last_step,
            min_step=summary.min_step,
            max_step=summary.max_step,
            count=summary.count,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricSummary:
        return cls(
            last=float(data["last"]),
            min=float(data.get("min", data["last"])),
            max=float(data.get("max", data["last"])),
            last_step=data.get("last_step"),
            min_step=data.get("min_step"),
            max_step=data.get("max_step"),
            count=int(data.get("count", 1)),
        )


@dataclass(frozen=True)
class GitInfo:
    commit: str
    branch: str | None = None
    remotes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"commit": self.commit, "remotes": dict(self.remotes)}
        if self.branch is not None:
            data["branch"] = self.branch
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GitInfo:
        return cls(
            commit=str(data["commit"]),
            branch=data.get("branch"),
            remotes=dict(data.get("remotes", {})),
        )


@dataclass(frozen=True)
class Reproduction:
    """How a reproduction (a run whose ``reproduces`` names another) compared to the original.

    ``verdict`` is "reproduced", "not-reproduced", "failed" (the re-run exited non-zero) or
    "interrupted". ``tolerance`` is the relative tolerance each original metric was judged
    with; the drift lists say what differed from the original before the re-run started.
    """

    verdict: str
    mismatched: tuple[str, ...] = ()
    tolerance: dict[str, float] = field(default_factory=dict)
    input_drift: tuple[str, ...] = ()
    environment_drift: tuple[str, ...] = ()
    # the original's declared outputs compared by sha256, and those whose bytes differed
    outputs_compared: int = 0
    outputs_differ: tuple[str, ...] = ()
    # reproduce --venv: how the environment was built ("uv", "venv+pip"), and the packages
    # installed at another version than recorded (--relax), "six 1.0 -> 1.16.0"
    virtualenv: str | None = None
    relaxed: tuple[str, ...] = ()

    @property
    def reproduced(self) -> bool:
        return self.verdict == "reproduced"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "verdict": self.verdict,
            "mismatched": list(self.mismatched),
            "tolerance": dict(self.tolerance),
            "input_drift": list(self.input_drift),
            "environment_drift": list(self.environment_drift),
        }
        if self.outputs_compared:
            data["outputs_compared"] = self.outputs_compared
            data["outputs_differ"] = list(self.outputs_differ)
        if self.virtualenv is not None:
            data["virtualenv"] = self.virtualenv
            data["relaxed"] = list(self.relaxed)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reproduction:
        return cls(
            verdict=str(data["verdict"]),
            mismatched=tuple(str(name) for name in data.get("mismatched", ())),
            tolerance={str(k): float(v) for k, v in data.get("tolerance", {}).items()},
            input_drift=tuple(str(path) for path in data.get("input_drift", ())),
            environment_drift=tuple(str(item) for item in data.get("environment_drift", ())),
            outputs_compared=int(data.get("outputs_compared", 0)),
            outputs_differ=tuple(str(path) for path in data.get("outputs_differ", ())),
            virtualenv=str(data["virtualenv"]) if data.get("virtualenv") is not None else None,
            relaxed=tuple(str(item) for item in data.get("relaxed", ())),
        )


@dataclass(frozen=True)
class ReproducedBy:
    """A later run that re-ran this one, as ``ls`` and ``show`` of the original list it."""

    id: str
    started_at: str
    verdict: str | None  # None: a reproduction recorded without a verdict

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": self.started_at, "verdict": self.verdict}


@dataclass(frozen=True)
class Run:
    """One recorded run. Detail fields are None until the run is read in full."""

    id: str
    status: str
    started_at: str
    ended_at: str
    duration_s: float
    command: tuple[str, ...]
    git: GitInfo
    exit_code: int | None = None
    signal: int | None = None
    name: str | None = None
    cwd: str = "."
    user: str | None = None  # the OS user and host: where it ran
    host: str | None = None
    author: str | None = None  # git's "user.name <user.email>": who ran it
    params: dict[str, Any] = field(default_factory=dict)
    param_sources: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    note: str | None = None
    reproduces: str | None = None
    reproduction: Reproduction | None = None
    # a child run (a search's trial or a multirun's job): the run it belongs to, and the id
    # every trial of the same search shares (the parent carries it too)
    parent: str | None = None
    sweep: str | None = None
    # a child from a search: the trial's number and the engine's own state for it
    # (Optuna's COMPLETE, PRUNED, FAIL), which ``status`` can only approximate
    trial: dict[str, Any] | None = None
    runledger_version: str | None = None
    config_files: tuple[dict[str, Any], ...] = ()
    system: dict[str, Any] = field(default_factory=dict)
    # sha256 over every --input file record (capture.files.input_digest); None: none declared
    inputs_digest: str | None = None
    # the --input / --output paths as declared (repo-relative), so a re-run can declare them
    input_paths: tuple[str, ...] = ()
    output_paths: tuple[str, ...] = ()
    # off (--no-auto-outputs, auto_outputs = false): only declared outputs were recorded, and
    # a reproduction records only those too
    auto_outputs: bool = True
    # off (--no-autocapture, autocapture = false, RUNLEDGER_AUTOCAPTURE=0): no in-process
    # capture, and a reproduction runs without it too
    autocapture: bool = True
    # set when a later runledger recorded the run from its journal (journal.py): why, and when
    recovered: dict[str, str] | None = None
    schema: int = SCHEMA_VERSION
    # detail, read on demand
    series: dict[str, tuple[list[float], list[float]]] | None = None
    # seconds since the start at which each point of a series arrived; older runs have none
    series_times: dict[str, list[float]] | None = None
    # the file a series was read from (a CSV log, a TensorBoard event file), by metric
    series_sources: dict[str, str] | None = None
    system_series: dict[str, tuple[list[float], list[float]]] | None = None
    environment: dict[str, Any] | None = None
    inputs: list[dict[str, Any]] | None = None
    artifacts: list[dict[str, Any]] | None = None
    log: bytes | None = None
    # what reading the detail files cut (MetricsFile.cut), as notes to show; never written
    read_cut: tuple[str, ...] = ()
    # facts that live outside the run's own commit (team tags, notes), merged in when read
    team_tags: tuple[str, ...] = ()
    # the runs whose ``reproduces`` names this one (link_reproductions), oldest first
    reproduced_by: tuple[ReproducedBy, ...] = ()
    # its ``reproduces`` names a run here that it did not re-run (reruns): shown as a claim
    claim_unfounded: bool = False
    # its ``parent`` names a run here at another commit (is_child_of): shown as a claim
    parent_unfounded: bool = False
    notes: tuple[dict[str, str], ...] = ()  # runledger note: id, by, at, text; oldest first

    @property
    def all_tags(self) -> list[str]:
        return sorted(set(self.tags) | set(self.team_tags))

    # --- TOML ---------------------------------------------------------------------------

    def run_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": self.schema,
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "command": list(self.command),
            "cwd": self.cwd,
            "user": self.user,
            "host": self.host,
            "author": self.author,
            "tags": list(self.tags),
            "note": self.note,
            "reproduces": self.reproduces,
            "parent": self.parent,
            "sweep": self.sweep,
            "trial": self.trial,
            "runledger_version": self.runledger_version,
            "git": self.git.to_dict(),
            "params": self.params,
            "param_sources": self.param_sources,
            "metrics": {name: summary.to_dict() for name, summary in self.metrics.items()},
            "config_files": [dict(item) for item in self.config_files],
            "system": self.system,
            "inputs_digest": self.inputs_digest,
            "input_paths": list(self.input_paths) or None,
            "output_paths": list(self.output_paths) or None,
            "auto_outputs": None if self.auto_outputs else False,
            "autocapture": None if self.autocapture else False,
            "reproduction": self.reproduction.to_dict() if self.reproduction else None,
            "recovered": self.recovered,
        }
        return {key: value for key, value in data.items() if value is not None}

    def to_files(self) -> dict[str, bytes]:
        """The files of the run's tree, by name."""
        files = {RUN_FILE: tomlcodec.dumps(self.run_toml()).encode()}
        if self.series or self.system_series:
            document: dict[str, Any] = {"schema": self.schema}
            if self.series:
                document["series"] = _series_tables(
                    self.series, self.series_times, self.series_sources
                )
            if self.system_series:
                document["system_series"] = _series_tables(self.system_series)
            files[METRICS_FILE] = tomlcodec.dumps(document).encode()
        environment = self.environment_file()
        if environment is not None:
            files[ENVIRONMENT_FILE] = environment
        if self.inputs or self.artifacts:
            files[FILES_FILE] = tomlcodec.dumps(
                {
                    "schema": self.schema,
                    "inputs": self.inputs or [],
                    "artifacts": self.artifacts or [],
                }
            ).encode()
        if self.log is not None:
            files[LOG_FILE] = self.log
        return files

    def environment_file(self) -> bytes | None:
        """environment.toml's content; None when the environment is not known."""
        if self.environment is None:
            return None
        return tomlcodec.dumps({"schema": self.schema, **self.environment}).encode()

    @classmethod
    def from_run_toml(cls, text: bytes | str, where: str = "") -> Run:
        try:
            raw = text.decode() if isinstance(text, bytes) else text
            data = tomlcodec.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise CorruptRecordError(f"{where}: run.toml is not valid TOML ({exc})") from exc
        return cls.from_run_dict(data, where)

    @classmethod
    def from_run_dict(cls, data: Mapping[str, Any], where: str = "") -> Run:
        """The run that a decoded run.toml describes (the index keeps them decoded)."""
        try:
            data = schema_.upgrade(RUN_FILE, dict(data))
            schema_.check_run_toml(data)
        except schema_.SchemaError as exc:
            raise CorruptRecordError(f"{where}: {exc}", newer=exc.newer) from exc
        schema = data["schema"]
        try:
            return cls(
                id=str(data["id"]),
                name=data.get("name"),
                status=data["status"] if data["status"] in STATUSES else UNKNOWN_STATUS,
                exit_code=data.get("exit_code"),
                signal=data.get("signal"),
                started_at=str(data["started_at"]),
                ended_at=str(data.get("ended_at", data["started_at"])),
                duration_s=float(data.get("duration_s", 0.0)),
                command=tuple(str(arg) for arg in data.get("command", [])),
                cwd=str(data.get("cwd", ".")),
                user=data.get("user"),
                host=data.get("host"),
                author=data.get("author"),
                git=GitInfo.from_dict(data["git"]),
                params=dict(data.get("params", {})),
                param_sources=dict(data.get("param_sources", {})),
                metrics={
                    name: MetricSummary.from_dict(summary)
                    for name, summary in data.get("metrics", {}).items()
                },
                tags=tuple(data.get("tags", ())),
                note=data.get("note"),
                reproduces=data.get("reproduces"),
                parent=data.get("parent"),
                sweep=data.get("sweep"),
                trial=dict(data["trial"]) if "trial" in data else None,
                reproduction=(
                    Reproduction.from_dict(data["reproduction"]) if "reproduction" in data else None
                ),
                runledger_version=data.get("runledger_version"),
                config_files=tuple(dict(item) for item in data.get("config_files", ())),
                system=dict(data.get("system", {})),
                inputs_digest=data.get("inputs_digest"),
                input_paths=tuple(str(path) for path in data.get("input_paths", ())),
                output_paths=tuple(str(path) for path in data.get("output_paths", ())),
                auto_outputs=data.get("auto_outputs", True),
                autocapture=data.get("autocapture", True),
                recovered=data.get("recovered"),
                schema=schema,
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            # OverflowError: a pulled record's metric of 10**400 is no float (issue #17)
            raise CorruptRecordError(f"{where}: run.toml is missing or has a bad {exc}") from exc

    def with_files(self, files: Mapping[str, bytes | None]) -> Run:
        """This run with the detail files read from its tree."""
        metrics = MetricsFile()
        environment: dict[str, Any] = {}
        inputs: list[dict[str, Any]] = []
        artifacts: list[dict[str, Any]] = []
        if files.get(METRICS_FILE):
            # parsed once: validated, then read (parsing it twice doubled show's time on a
            # long series)
            metrics = MetricsFile.from_data(
                _detail(files, METRICS_FILE, ("series", "system_series"))
            )
        if files.get(ENVIRONMENT_FILE):
            environment = _detail(files, ENVIRONMENT_FILE, ENVIRONMENT_TABLES)
            environment.pop("schema", None)
        if files.get(FILES_FILE):
            data = _detail(files, FILES_FILE, ())
            inputs = list(data.get("inputs", []))
            artifacts = list(data.get("artifacts", []))
        return replace(
            self,
            series=metrics.series,
            series_times=metrics.times,
            series_sources=metrics.sources or None,
            system_series=metrics.system_series,
            environment=environment,
            inputs=inputs,
            artifacts=artifacts,
            log=files.get(LOG_FILE) or b"",
            read_cut=metrics.cut,
        )

    # --- JSON ---------------------------------------------------------------------------

    def summary_json(self) -> dict[str, Any]:
        """The fields every JSON view carries (CONTRACT.md)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "exit_code": self.exit_code,
            "commit": self.git.commit,
            "branch": self.git.branch,
            "command": list(self.command),
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": json_number(self.duration_s),
            "cwd": self.cwd,
            "user": self.user,
            "host": self.host,
            "author": self.author,
            "params": json_safe(self.params),
            "metrics": {name: json_number(s.last) for name, s in self.metrics.items()},
            "tags": self.all_tags,
            "note": self.note,
            "reproduces": self.reproduces,
            "reproduction": self.reproduction.to_dict() if self.reproduction else None,
            "reproduced_by": [item.to_json() for item in self.reproduced_by],
            "parent": self.parent,
            "sweep": self.sweep,
            "inputs_digest": self.inputs_digest,
        }

    def detail_json(self) -> dict[str, Any]:
        """``show --json``: the summary plus everything else recorded."""
        data = self.summary_json()
        data["git"] = self.git.to_dict() | {"branch": self.git.branch}
        data["signal"] = self.signal
        data["param_sources"] = dict(self.param_sources)
        data["metric_summaries"] = {
            name: json_safe(summary.to_dict()) for name, summary in self.metrics.items()
        }
        data["environment"] = json_safe(self.environment or {})
        data["series"] = {
            name: [[json_number(s), json_number(v)] for s, v in zip(steps, values, strict=False)]
            for name, (steps, values) in (self.series or {}).items()
        }
        data["series_sources"] = dict(self.series_sources or {})
        data["system"] = json_safe(self.system)
        data["system_series"] = {
            name: [[json_number(s), json_number(v)] for s, v in zip(steps, values, strict=False)]
            for name, (steps, values) in (self.system_series or {}).items()
        }
        data["config_files"] = json_safe(list(self.config_files))
        data["inputs"] = [_file_json(entry) for entry in self.inputs or []]
        data["artifacts"] = [_file_json(entry) for entry in self.artifacts or []]
        data["input_paths"] = list(self.input_paths)
        data["output_paths"] = list(self.output_paths)
        data["schema"] = self.schema
        data["runledger_version"] = self.runledger_version
        data["notes"] = [dict(note) for note in self.notes]
        data["recovered"] = self.recovered
        data["trial"] = json_safe(self.trial)
        return data


def reruns(
    commit: str, command: Sequence[str], original_commit: str, original_command: Sequence[str]
) -> bool:
    """Whether a run at ``commit`` running ``command`` ran the same thing as the original.

    What a reproduction or a search's child claims about another run is shown on that run
    only when this holds: anyone with push access can write ``reproduces = <your run>``. The
    program may be another path to the same interpreter or script (``reproduce --venv``).
    """
    if commit != original_commit or len(command) != len(original_command) or not command:
        return False
    if list(command[1:]) != list(original_command[1:]):
        return False
    program, original = (_basename(arg) for arg in (command[0], original_command[0]))
    return program == original or (_is_interpreter(program) and _is_interpreter(original))


def is_child_of(commit: str, parent_commit: str) -> bool:
    """Whether a run at ``commit`` that names as its parent a run at ``parent_commit`` can be
    one of its trials or jobs: they run the parent's commit (a search's trials each with their
    own command). Anyone with push access can write ``parent = <your run>`` into a record.
    The index's SQL (store/index.py _CHILD_HERE) asks the same of its rows."""
    return commit == parent_commit


def _basename(program: str) -> str:
    return program.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".exe")


def _is_interpreter(name: str) -> bool:
    return name.rstrip("0123456789.") in ("python", "pypy")


def link_reproductions(runs: Sequence[Run], originals: Sequence[Run] | None = None) -> list[Run]:
    """``originals`` (default: ``runs``) with ``reproduced_by`` filled in from ``runs``: those
    that re-ran the same commit and command (``reruns``).

    One pass over run.toml facts already read: ``ls`` and ``show`` pay no git call for it.
    """
    found: dict[str, list[Run]] = {}
    for run in runs:
        if run.reproduces:
            found.setdefault(run.reproduces, []).append(run)
    linked = []
    for run in runs if originals is None else originals:
        mine = [
            ReproducedBy(
                item.id,
                item.started_at,
                item.reproduction.verdict if item.reproduction else None,
            )
            for item in found.get(run.id, ())
            if reruns(item.git.commit, item.command, run.git.commit, run.command)
        ]
        if mine:
            mine.sort(key=lambda item: (item.started_at, item.id))
            run = replace(run, reproduced_by=tuple(mine))
        linked.append(run)
    return linked


def _file_json(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A file pointer with path, size and sha256 always present (null for a link, or for a
    large tracked file known by its git blob id)."""
    pointer: dict[str, Any] = json_safe({"path": None, "size": None, "sha256": None, **entry})
    for key in ("path", "link_target"):
        raw = pointer.get(key)
        if isinstance(raw, str) and not _is_utf8(raw):
            # A file name that is not UTF-8: readable text (\xNN for each such byte) plus its
            # exact bytes, so a strict JSON reader sees no lone surrogate and loses nothing.
            pointer[key] = tomlcodec.escaped_bytes(raw)
            pointer[f"{key}_bytes"] = tomlcodec.fs_bytes(raw).hex()
    return pointer


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class MetricsFile:
    """What metrics.toml holds: step series, their per-point times, the system series."""

    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    system_series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    # what was cut on reading (SERIES_READ, SERIES_POINTS_READ), as notes to show
    cut: tuple[str, ...] = ()

    @classmethod
    def parse(cls, content: bytes) -> MetricsFile:
        """ValueError (or UnicodeDecodeError) when the file cannot be read."""
        return cls.from_data(tomlcodec.loads(content.decode()))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MetricsFile:
        """From metrics.toml's parsed tables, cut to what runledger writes (SERIES_READ
        series of SERIES_POINTS_READ points each, evenly thinned)."""
        cut: list[str] = []
        tables = _at_most_series(data.get("series", {}), "series", cut)
        system = _at_most_series(data.get("system_series", {}), "system series", cut)
        series, mended = _series_from_tables(tables, "series", cut)
        times = _times_from_tables(tables)
        return cls(
            series=series,
            times={name: times[name] for name in times.keys() - mended},
            system_series=_series_from_tables(system, "system series", cut)[0],
            sources={
                name: points["source"]
                for name, points in tables.items()
                if isinstance(points, Mapping) and isinstance(points.get("source"), str)
            },
            cut=tuple(cut),
        )


def _at_most_series(tables: Mapping[str, Any], what: str, cut: list[str]) -> dict[str, Any]:
    """``tables`` cut to SERIES_READ series of at most SERIES_POINTS_READ points, each
    thinned evenly (its first and last points kept); what was cut is added to ``cut``."""
    kept = dict(list(tables.items())[:SERIES_READ])
    if len(tables) > len(kept):
        cut.append(f"{len(tables)} {what}: the first {SERIES_READ} read")
    longest = 0
    for name, points in kept.items():
        if not isinstance(points, Mapping):
            continue
        length = max((len(v) for v in points.values() if isinstance(v, list)), default=0)
        if length > SERIES_POINTS_READ:
            longest = max(longest, length)
            kept[name] = {
                key: _thinned(value) if isinstance(value, list) else value
                for key, value in points.items()
            }
    if longest:
        cut.append(f"{what} of up to {longest} points: each thinned to {SERIES_POINTS_READ}")
    return kept


def _thinned(values: list[Any]) -> list[Any]:
    if len(values) <= SERIES_POINTS_READ:
        return values
    last, kept = len(values) - 1, SERIES_POINTS_READ - 1
    return [values[index * last // kept] for index in range(SERIES_POINTS_READ)]


def _detail(
    files: Mapping[str, bytes | None], name: str, tables: tuple[str, ...]
) -> dict[str, Any]:
    """A detail file, in the current layout; CorruptRecordError when it cannot be read."""
    content = files.get(name) or b""
    data = tomlcodec.loads(content.decode())
    try:
        data = schema_.upgrade(name, data)
        schema_.check_detail(name, data, tables)
    except schema_.SchemaError as exc:
        raise CorruptRecordError(str(exc), newer=exc.newer) from exc
    return data


def _series_tables(
    series: Mapping[str, tuple[list[float], list[float]]],
    times: Mapping[str, list[float]] | None = None,
    sources: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for name, (steps, values) in series.items():
        table: dict[str, Any] = {"step": list(steps), "value": list(values)}
        point_times = (times or {}).get(name)
        if point_times and len(point_times) == len(steps):
            table["time"] = list(point_times)
        source = (sources or {}).get(name)
        if source:
            table["source"] = source
        tables[name] = table
    return tables


def _times_from_tables(tables: Mapping[str, Any]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for name, points in tables.items():
        point_times = points.get("time")
        if isinstance(point_times, list) and len(point_times) == len(points.get("step", [])):
            times[name] = [float(t) for t in point_times]
    return times


def _series_from_tables(
    tables: Mapping[str, Any], what: str, cut: list[str]
) -> tuple[dict[str, tuple[list[float], list[float]]], set[str]]:
    """Each series as (steps, values), and the names of those mended on reading: a pulled
    record's steps and values may differ in length or hold text (plot, report and compare
    pair and draw them), so only the pairs of two numbers are kept, with a note in ``cut``."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    mended: set[str] = set()
    for name, points in tables.items():
        steps = points.get("step", []) if isinstance(points, Mapping) else None
        values = points.get("value", []) if isinstance(points, Mapping) else None
        if not isinstance(steps, list) or not isinstance(values, list):
            mended.add(name)
            continue
        if len(steps) == len(values) and _all_numbers(steps) and _all_numbers(values):
            series[name] = (list(steps), list(values))
            continue
        pairs = [(s, v) for s, v in zip(steps, values, strict=False) if _all_numbers((s, v))]
        series[name] = ([s for s, _ in pairs], [v for _, v in pairs])
        mended.add(name)
    if mended:
        cut.append(
            f"{len(mended)} {what} whose steps and values are not pairs of numbers: "
            "only their pairs of numbers read"
        )
    return series, mended


_NUMBER_TYPES = frozenset((int, float))


def _all_numbers(items: Sequence[Any]) -> bool:
    """Whether every item is an int or a float (not a bool, text or a table): at C speed, as
    series hold up to SERIES_POINTS_READ points."""
    return _NUMBER_TYPES.issuperset(map(type, items))


def json_number(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (documented in the reference)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        # A TOML date or time (runledger writes none: a record written by hand or pushed by
        # another tool): JSON has none, so ISO 8601 text, as captured YAML dates are.
        return value.isoformat()
    return json_number(value)
