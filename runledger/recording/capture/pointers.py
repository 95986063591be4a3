"""exec's side of input and artifact pointers: hash inputs before the command, collect after.

The order is the point: inputs are what the command read, so they are hashed before it starts
(a missing or outside path refuses the run before anything runs); outputs are what it wrote,
so their stat is taken before it starts and what changed is hashed after it ends, whatever
its status. ``.runledger.toml`` adds its default paths (relative to the repository root) to
the command line's (relative to the working directory).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runledger.config import CONFIG_FILE, ProjectConfig
from runledger.recording.capture.files import (
    FileRecord,
    InputSet,
    Snapshot,
    artifact_record,
    collect_artifacts,
    hash_inputs,
    recorded_paths,
    snapshot,
)
from runledger.store import git
from runledger.store.hashcache import HashCache, cache_path_for, optional_cache

if TYPE_CHECKING:
    from runledger.recording.capture.auto_outputs import FoundOutputs

Warn = Callable[[str], None]


@dataclass(frozen=True)
class FilePlan:
    """What exec knows about files before the command starts."""

    inputs: InputSet | None  # None: no input declared
    snapshot: Snapshot | None  # None: no output declared
    cache_path: Path
    cache_problem: str | None = None
    # the declared paths as recorded (repo-relative, or absolute outside it), so that a
    # reproduction can declare the same ones
    input_paths: tuple[str, ...] = ()
    output_paths: tuple[str, ...] = ()


def plan_files(
    repo: git.Repo,
    commit: str,
    cwd: Path,
    cli_inputs: Sequence[str],
    cli_outputs: Sequence[str],
    config: ProjectConfig,
    warn: Warn,
) -> FilePlan | None:
    """Snapshot the outputs and hash the inputs; None when the run declares neither."""
    root = repo.root
    inputs = [*cli_inputs, *_config_inputs(root, config.inputs, warn)]
    outputs = [*cli_outputs, *(_from_root(root, path) for path in config.outputs)]
    if not inputs and not outputs:
        return None
    # Outputs first: a bad --output is refused before minutes of hashing a dataset.
    taken = snapshot(outputs, cwd, root) if outputs else None
    cache_path = cache_path_for(repo.common_dir)
    input_set = None
    problem = None
    input_paths = recorded_paths(inputs, cwd, root)
    if inputs:
        inside = [path for path in input_paths if not os.path.isabs(path)]
        tracked = git.tracked_blobs(repo, commit, inside)
        with optional_cache(cache_path) as cache:
            input_set = hash_inputs(inputs, cwd, root, cache, tracked)
        problem = _cache_problem(cache, warn, None)
    output_paths = recorded_paths(outputs, cwd, root)
    return FilePlan(input_set, taken, cache_path, problem, tuple(input_paths), tuple(output_paths))


def collect(plan: FilePlan, warn: Warn) -> list[FileRecord]:
    """The files under the outputs that the run created or changed; never fails the run."""
    if plan.snapshot is None:
        return []

    def skipped(path: str, why: str) -> None:
        warn(f"artifact {path} not recorded: {why}")

    with optional_cache(plan.cache_path) as cache:
        artifacts = collect_artifacts(plan.snapshot, cache, on_skip=skipped)
    _cache_problem(cache, warn, plan.cache_problem)
    return artifacts


def record_found(
    found: FoundOutputs, cache_path: Path, warn: Warn, cache_problem: str | None
) -> list[FileRecord]:
    """The records of the outputs found without being declared (auto_outputs), hashed through
    the cache; never fails the run."""
    for note in found.notes():
        warn(note)
    if not found.chosen:
        return []
    records = []
    with optional_cache(cache_path) as cache:
        for item in found.chosen:
            try:
                records.append(artifact_record(item.path, item.recorded, item.st, cache))
            except OSError as error:
                warn(f"artifact {item.recorded} not recorded: {error.strerror or error}")
    _cache_problem(cache, warn, cache_problem)
    return records


def _config_inputs(root: Path, paths: Sequence[str], warn: Warn) -> list[str]:
    # A default input missing on this machine (data not downloaded yet) is not read by the
    # run, so nothing about it is recorded; the command line's own inputs must exist.
    present = []
    for path in paths:
        located = _from_root(root, path)
        if os.path.lexists(located):
            present.append(located)
        else:
            warn(f"{CONFIG_FILE} input {path} does not exist; not recorded")
    return present


def _from_root(root: Path, path: str) -> str:
    return path if os.path.isabs(path) else os.fspath(root / path)


def _cache_problem(cache: HashCache | None, warn: Warn, already: str | None) -> str | None:
    problem = cache.disabled_reason if cache is not None else None
    if problem is not None and problem != already:
        warn(problem)
    return problem
