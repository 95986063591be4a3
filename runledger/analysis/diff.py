"""``runledger diff``: what changed between two runs, as one typed structure.

Sections, in the order the terminal shows them, each empty when it has nothing to say:
the command (and status), params added, removed and changed (with where each value came
from), metrics (both values, the delta, the relative change), the code (the commits and
``git diff --stat``; the patch with ``--code``), inputs and artifacts whose content changed,
and the environment (Python, packages, OS, CPU, memory, GPUs, driver and CUDA, variables).

``RunDiff.to_json`` is ``diff --json``; ``render_diff`` draws the same structure for people.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from runledger.analysis.direction import Direction, metric_direction
from runledger.errors import GitError
from runledger.model.record import Run, json_safe
from runledger.query.select import flatten
from runledger.store import git

ChangeKind = Literal["added", "removed", "changed"]
Verdict = Literal["better", "worse", "same"]

COMMIT_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
# Recorded with every GPU but different on every card, so a diff of them would be noise.
GPU_NOISE = frozenset({"uuid", "index"})
ENVIRONMENT_SECTIONS = ("python", "torch", "os", "cpu")
# The facts that decide whether the same code computes the same thing: the interpreter, the
# CUDA torch was built with and the driver's, the GPU model and its driver.
PLATFORM_FACT = re.compile(
    r"^(python\.version|python\.implementation|torch\.cuda|torch\.cudnn|gpus\.count"
    r"|gpus\[(?P<gpu>[^\]]*)\]\.(?P<field>name|driver_version|cuda_driver_version))$"
)


@dataclass(frozen=True)
class Side:
    """One of the two runs, as the diff's header names it."""

    id: str
    name: str | None
    status: str
    exit_code: int | None
    started_at: str
    commit: str
    branch: str | None
    host: str | None

    @classmethod
    def of(cls, run: Run) -> Side:
        return cls(
            id=run.id,
            name=run.name,
            status=run.status,
            exit_code=run.exit_code,
            started_at=run.started_at,
            commit=run.git.commit,
            branch=run.git.branch,
            host=run.host,
        )


@dataclass(frozen=True)
class Change:
    """A value that is not the same in both runs; None stands for "not there"."""

    key: str
    a: Any
    b: Any

    @property
    def kind(self) -> ChangeKind:
        if self.a is None:
            return "added"
        if self.b is None:
            return "removed"
        return "changed"

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "a": json_safe(self.a), "b": json_safe(self.b)}


@dataclass(frozen=True)
class ParamChange(Change):
    source_a: str | None = None
    source_b: str | None = None

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {"source_a": self.source_a, "source_b": self.source_b}


@dataclass(frozen=True)
class MetricChange:
    """A metric's last value in each run; delta and relative change when both have one."""

    name: str
    a: float | None
    b: float | None
    direction: Direction

    @property
    def delta(self) -> float | None:
        if self.a is None or self.b is None:
            return None
        return self.b - self.a

    @property
    def relative(self) -> float | None:
        """(b - a) / |a|: 0.1 is 10% up; None when a is 0 or either value is missing."""
        delta = self.delta
        if delta is None or self.a == 0 or self.a is None:
            return None
        return delta / abs(self.a)

    @property
    def verdict(self) -> Verdict | None:
        delta = self.delta
        if delta is None:
            return None
        if delta == 0:
            return "same"
        if self.direction == "none":
            return None  # a counter or setting changed: neither better nor worse
        return "better" if (delta < 0) == (self.direction == "min") else "worse"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json_safe(
            {
                "name": self.name,
                "a": self.a,
                "b": self.b,
                "delta": self.delta,
                "relative": self.relative,
                "direction": self.direction,
                "verdict": self.verdict,
            }
        )
        return data


@dataclass(frozen=True)
class CodeDiff:
    """The two code commits and how they differ; ``error`` says why no diff could be made."""

    commit_a: str
    commit_b: str
    files: tuple[git.FileStat, ...] = ()
    stat: str = ""
    patch: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "commit_a": self.commit_a,
            "commit_b": self.commit_b,
            "files": [
                {
                    "path": stat.path,
                    "old_path": stat.old_path,
                    "added": stat.added,
                    "deleted": stat.deleted,
                }
                for stat in self.files
            ],
            "stat": self.stat,
            "patch": self.patch,
            "error": self.error,
        }


@dataclass(frozen=True)
class FileChange:
    """An input or artifact that is new, gone, or whose content changed (size, sha256)."""

    path: str
    a: Mapping[str, Any] | None
    b: Mapping[str, Any] | None

    @property
    def kind(self) -> ChangeKind:
        if self.a is None:
            return "added"
        if self.b is None:
            return "removed"
        return "changed"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "a": json_safe(dict(self.a)) if self.a is not None else None,
            "b": json_safe(dict(self.b)) if self.b is not None else None,
        }


@dataclass(frozen=True)
class EnvironmentDiff:
    system: tuple[Change, ...] = ()  # python.*, os.*, cpu.*, memory, gpus[i].*
    packages: tuple[Change, ...] = ()
    variables: tuple[Change, ...] = ()
    # normalized names of the packages either run imported; None: neither run recorded them
    used: frozenset[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.system or self.packages or self.variables)

    def is_used(self, change: Change) -> bool:
        return self.used is not None and package_key(change.key) in self.used

    @property
    def used_missing(self) -> tuple[Change, ...]:
        """1. packages a run imported that the other run did not have."""
        return tuple(c for c in self.packages if self.is_used(c) and c.kind != "changed")

    @property
    def used_versions(self) -> tuple[Change, ...]:
        """2. packages a run imported, at another version in the other run."""
        return tuple(c for c in self.packages if self.is_used(c) and c.kind == "changed")

    @property
    def platform(self) -> tuple[Change, ...]:
        """3. Python, CUDA, the GPU and its driver."""
        return tuple(c for c in self.system if PLATFORM_FACT.match(c.key))

    @property
    def rest(self) -> tuple[Change, ...]:
        """4. everything else: other system facts, packages neither run imported."""
        system = tuple(c for c in self.system if not PLATFORM_FACT.match(c.key))
        return system + tuple(c for c in self.packages if not self.is_used(c))

    def to_json(self) -> dict[str, Any]:
        return {
            "system": [change.to_json() for change in self.system],
            "packages": [change.to_json() for change in self.packages],
            "variables": [change.to_json() for change in self.variables],
            "used": sorted(self.used) if self.used is not None else None,
        }


@dataclass(frozen=True)
class RunDiff:
    a: Side
    b: Side
    command: Change | None = None
    run: tuple[Change, ...] = ()  # name, status, exit code, directory
    params: tuple[ParamChange, ...] = ()
    metrics: tuple[MetricChange, ...] = ()
    code: CodeDiff | None = None
    inputs: tuple[FileChange, ...] = ()
    artifacts: tuple[FileChange, ...] = ()
    environment: EnvironmentDiff = field(default_factory=EnvironmentDiff)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": json_safe(self.a.__dict__),
            "b": json_safe(self.b.__dict__),
            "command": self.command.to_json() if self.command else None,
            "run": [change.to_json() for change in self.run],
            "params": [change.to_json() for change in self.params],
            "metrics": [change.to_json() for change in self.metrics],
            "code": self.code.to_json() if self.code else None,
            "inputs": [change.to_json() for change in self.inputs],
            "artifacts": [change.to_json() for change in self.artifacts],
            "environment": self.environment.to_json(),
        }


# --- building the diff ---------------------------------------------------------------------


def _changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    """Keys whose values differ, in a's order then b's new keys; None counts as missing."""
    changes = []
    for key in dict.fromkeys([*a, *b]):
        value_a, value_b = a.get(key), b.get(key)
        if not _same(value_a, value_b):
            changes.append(Change(key, value_a, value_b))
    return changes


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


KIND_ORDER: tuple[ChangeKind, ...] = ("changed", "added", "removed")


def _by_kind(changes: list[Change]) -> list[Change]:
    """Changed values first (what was tuned), then new ones, then gone ones; stable within."""
    return sorted(changes, key=lambda change: KIND_ORDER.index(change.kind))


def diff_params(a: Run, b: Run) -> list[ParamChange]:
    return [
        ParamChange(
            change.key,
            change.a,
            change.b,
            a.param_sources.get(change.key) if change.a is not None else None,
            b.param_sources.get(change.key) if change.b is not None else None,
        )
        for change in _by_kind(_changes(flatten(a.params), flatten(b.params)))
    ]


def _last(run: Run, name: str) -> float | None:
    summary = run.metrics.get(name)
    if summary is None or not math.isfinite(summary.last):
        return None
    return summary.last


def diff_metrics(a: Run, b: Run) -> list[MetricChange]:
    """Every metric either run has (unchanged ones too: "the same" is an answer)."""
    names = dict.fromkeys([*a.metrics, *b.metrics])
    return [
        MetricChange(name, _last(a, name), _last(b, name), metric_direction(name)) for name in names
    ]


def diff_code(repo: git.Repo, a: Run, b: Run, patch: bool) -> CodeDiff | None:
    """None when both ran on the same commit; otherwise the files between the commits."""
    commit_a, commit_b = a.git.commit, b.git.commit
    if commit_a == commit_b:
        return None
    for commit in (commit_a, commit_b):
        if not COMMIT_ID.match(commit) or not git.object_exists(repo, commit):
            return CodeDiff(
                commit_a, commit_b, error=f"commit {commit[:12]} is not in this repository"
            )
    try:
        return CodeDiff(
            commit_a,
            commit_b,
            files=tuple(git.diff_numstat(repo, commit_a, commit_b)),
            stat=git.diff_stat(repo, commit_a, commit_b),
            patch=git.diff_patch(repo, commit_a, commit_b) if patch else None,
        )
    except GitError as error:
        return CodeDiff(commit_a, commit_b, error=str(error))


def _content(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What identifies a file's content in a files.toml record (see capture.files)."""
    if record.get("kind") == "symlink":
        return ("link", record.get("link_target"))
    if record.get("sha256"):
        return ("sha256", record.get("sha256"), record.get("size"))
    return ("git", record.get("git_blob"), record.get("size"))


def diff_files(
    a: Sequence[Mapping[str, Any]] | None, b: Sequence[Mapping[str, Any]] | None
) -> list[FileChange]:
    """Files only one run has, and files whose content differs, matched by path."""
    by_path_a = {str(record.get("path")): record for record in a or ()}
    by_path_b = {str(record.get("path")): record for record in b or ()}
    changes = []
    for path in sorted(set(by_path_a) | set(by_path_b)):
        record_a, record_b = by_path_a.get(path), by_path_b.get(path)
        if record_a is None or record_b is None or _content(record_a) != _content(record_b):
            changes.append(FileChange(path, record_a, record_b))
    return changes


def package_key(name: str) -> str:
    """PEP 503's normalized name: ``Scikit_Learn`` and ``scikit-learn`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _system_facts(environment: Mapping[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for section in ENVIRONMENT_SECTIONS:
        value = environment.get(section)
        if isinstance(value, Mapping):
            facts.update(flatten(value, f"{section}."))
    if environment.get("memory_total_bytes") is not None:
        facts["memory_total_bytes"] = environment["memory_total_bytes"]
    if environment.get("hostname") is not None:
        facts["hostname"] = environment["hostname"]
    gpus = environment.get("gpus")
    if isinstance(gpus, list):
        facts["gpus.count"] = len(gpus)
        for position, gpu in enumerate(gpus):
            if isinstance(gpu, Mapping):
                for key, value in gpu.items():
                    if key not in GPU_NOISE:
                        facts[f"gpus[{gpu.get('index', position)}].{key}"] = value
    return facts


def diff_environment(a: Mapping[str, Any], b: Mapping[str, Any]) -> EnvironmentDiff:
    # A run with no package list (not a Python command, or an older record) says nothing
    # about packages: listing all of the other run's packages as "added" would bury the rest.
    if "packages" not in a or "packages" not in b:
        a = {key: value for key, value in a.items() if key != "packages"}
        b = {key: value for key, value in b.items() if key != "packages"}
    packages_a = {package_key(n): (n, v) for n, v in (a.get("packages") or {}).items()}
    packages_b = {package_key(n): (n, v) for n, v in (b.get("packages") or {}).items()}
    packages = []
    for key in sorted(set(packages_a) | set(packages_b)):
        name_a, version_a = packages_a.get(key, (None, None))
        name_b, version_b = packages_b.get(key, (None, None))
        if version_a != version_b:
            packages.append(Change(str(name_b or name_a), version_a, version_b))
    packages = _by_kind(packages)
    recorded = [side["used"] for side in (a, b) if isinstance(side.get("used"), Mapping)]
    used = {package_key(str(name)) for table in recorded for name in table}
    return EnvironmentDiff(
        system=tuple(_changes(_system_facts(a), _system_facts(b))),
        packages=tuple(packages),
        variables=tuple(_changes(a.get("variables") or {}, b.get("variables") or {})),
        used=frozenset(used) if recorded else None,
    )


def diff_runs(repo: git.Repo, a: Run, b: Run, *, patch: bool = False) -> RunDiff:
    """Everything that differs between two fully read runs (``Ledger.read``)."""
    command = None
    if a.command != b.command:
        command = Change("command", list(a.command), list(b.command))
    facts = _changes(
        {"name": a.name, "status": a.status, "exit_code": a.exit_code, "cwd": a.cwd},
        {"name": b.name, "status": b.status, "exit_code": b.exit_code, "cwd": b.cwd},
    )
    return RunDiff(
        a=Side.of(a),
        b=Side.of(b),
        command=command,
        run=tuple(facts),
        params=tuple(diff_params(a, b)),
        metrics=tuple(diff_metrics(a, b)),
        code=diff_code(repo, a, b, patch),
        inputs=tuple(diff_files(a.inputs, b.inputs)),
        artifacts=tuple(diff_files(a.artifacts, b.artifacts)),
        environment=diff_environment(a.environment or {}, b.environment or {}),
    )
