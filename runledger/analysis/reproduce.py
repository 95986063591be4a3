"""``runledger reproduce``: re-run a recorded run at its commit, and say whether it reproduced.

``open_reproduction`` prepares everything the user is shown before anything runs:

- the run's code commit must be in this repository (else: fetch it);
- the commit is checked out, detached, in a work tree of its own under the git directory
  (``.git/runledger/worktrees/``): the user's HEAD, branch, index and files are never touched,
  and since the work tree shares the repository's objects and refs, the re-run is recorded in
  the same ledger;
- declared inputs that git does not track at that commit (ignored data folders) are linked
  at the same relative paths from the user's work tree;
- checks: the inputs the re-run will read against the recorded hashes, the command, and the
  environment (Python, packages, GPU, driver, CUDA) against the recorded one;
- the command's environment: runledger's own, with the recorded result-affecting variables
  set again and the allow-listed ones the original did not have unset.

Leaving the context removes the links and the work tree (unless ``keep``), however the
reproduction ends: a refusal, an error, Ctrl-C, or SIGTERM/SIGHUP (see ``signals_interrupt``).

``execute`` then runs the recorded command through exec's own phases (prepare,
run_and_capture, build_run, record) in the recorded directory of that work tree, and records
the new run with ``reproduces`` and the verdict (``record.Reproduction``).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from runledger import config as project_config
from runledger import ids
from runledger.analysis.diff import COMMIT_ID, FileChange, diff_files
from runledger.analysis.environment_drift import EnvironmentDrift, environment_drift
from runledger.analysis.environment_export import Requirement, python_version, requirements
from runledger.analysis.provenance import (
    Provenance,
    ScriptCall,
    never_from_a_record,
    provenance,
    script_call,
)
from runledger.analysis.transfers import KEPT_OUTPUTS_DIR
from runledger.analysis.verdict import (
    Verdict,
    check_metrics,
    check_outputs,
    judge,
    parse_tolerances,
    tolerance_for,
)
from runledger.analysis.virtualenv import (
    BuiltVirtualenv,
    Progress,
    PythonFound,
    build_virtualenv,
    find_python,
    venv_python_for,
)
from runledger.errors import CommandNotFoundError, CorruptRecordError, RunledgerError, UserError
from runledger.model.record import Reproduction, Run
from runledger.query.select import flatten
from runledger.recording.capture.environment import capture_environment
from runledger.recording.capture.files import FileRecord, hash_inputs, input_digest
from runledger.recording.capture.params import unflatten
from runledger.recording.recorder import ExecOptions, build_run, prepare, record, run_and_capture
from runledger.recording.runner import resolve_executable
from runledger.redact import DEFAULT_ENV_ALLOWLIST, MASK, looks_secret, safe_env
from runledger.store import git
from runledger.store.hashcache import HashCache, cache_path_for, optional_cache
from runledger.store.ledger import Ledger

WORKTREES_DIR = "worktrees"
# Recorded to say which interpreter environment ran, not to be set again: setting
# VIRTUAL_ENV without its PATH would describe an environment the command does not run in.
INTERPRETER_VARIABLES = frozenset({"VIRTUAL_ENV", "CONDA_DEFAULT_ENV"})
DRIFT_RECORDED = 50
VENVS_DIR = "venvs"
INTERRUPTING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

CheckState = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class ReproduceOptions:
    spec: str
    yes: bool = False
    tolerances: tuple[str, ...] = ()
    strict: bool = False
    allow_input_drift: bool = False
    keep: bool = False
    venv: bool = False  # rebuild the recorded packages in a fresh virtualenv, run there
    venv_dir: Path | None = None  # where (default: under the git directory, removed after)
    relax: bool = False  # a pinned version no longer installable: take the nearest
    all_packages: bool = False  # the whole recorded package list, not only the used ones
    outputs_dir: Path | None = None  # where the re-run's declared outputs are kept


@dataclass(frozen=True)
class Check:
    """One line of the checks table."""

    what: str
    state: CheckState
    detail: str


@dataclass(frozen=True)
class Variables:
    """How the re-run's environment differs from runledger's own."""

    set: dict[str, str]
    unset: tuple[str, ...] = ()  # allow-listed here now, but not set in the original run
    kept: tuple[str, ...] = ()  # masked in the record: whatever is set here now is used
    rewritten: tuple[str, ...] = ()  # named the user's work tree: now name the re-run's
    not_applied: tuple[str, ...] = ()  # in the record, outside the allow-list in force here
    # A run recorded elsewhere: allow-listed, but naming a path outside this repository
    # (PYTHONPATH=/tmp/x: Python would import whatever is there, which the plan cannot show)
    outside: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Everything decided before the re-run starts, as the user is shown it."""

    original: Run
    repo: git.Repo  # the user's repository
    head: git.HeadState  # the user's HEAD, for the plan's header
    worktree: Path
    cwd: Path  # the recorded directory, inside the work tree
    env: dict[str, str]  # the command's whole environment
    variables: Variables
    executable: str | None  # the program the command resolves to here
    script: ScriptCall | None  # a shell -c or interpreter -c/-e: its script is the command
    provenance: Provenance
    inputs: tuple[str, ...]  # the paths to declare as --input (absolute)
    outputs: tuple[str, ...]  # the paths to declare as --output
    linked: tuple[str, ...]  # inputs linked from the user's work tree (repo-relative)
    linked_records: dict[str, tuple[FileRecord, ...]]  # what each linked path holds
    input_drift: tuple[str, ...]
    environment_drift: tuple[str, ...]
    tolerances: dict[str, float]  # the relative tolerance of each recorded metric
    cli_params: dict[str, Any]  # the original's ``-p`` params, given again
    checks: tuple[Check, ...]
    blocker: RunledgerError | None  # why the re-run must not start, if it must not
    drift: EnvironmentDrift = field(default_factory=EnvironmentDrift)
    rebuild: Rebuild | None = None  # --venv: what will be built, once confirmed
    built: BuiltVirtualenv | None = None  # --venv: what was built
    fetched: tuple[FileRecord, ...] = ()  # inputs to take from the store before the run


@dataclass(frozen=True)
class Rebuild:
    """``--venv``: the virtualenv to build before the re-run."""

    path: Path
    python: PythonFound
    requirements: tuple[Requirement, ...]
    remove: bool  # made under the git directory: removed with the work tree


@dataclass(frozen=True)
class Outcome:
    run: Run  # the new run, as recorded
    verdict: Verdict
    kept_outputs: Path | None = None  # where the re-run's declared outputs were copied
    environment_differences: int = 0  # before the re-run, from the recorded environment


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived outside the re-run's own command (see signals_interrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# --- signals ---------------------------------------------------------------------------------


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Interrupted`` (as Ctrl-C raises KeyboardInterrupt).

    Their default action ends the process on the spot, which would leave the work tree and
    its links behind. While the command runs, the runner's own handlers forward them to it
    instead (and put these back afterwards), so the run ends and is recorded as interrupted.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, interrupt) for signum in INTERRUPTING_SIGNALS[1:]}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Cleanup is not itself cut short by a second Ctrl-C; a held signal arrives after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTING_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# --- preparing -------------------------------------------------------------------------------


@contextlib.contextmanager
def open_reproduction(cwd: Path, options: ReproduceOptions) -> Iterator[Plan]:
    """The plan of a reproduction of ``options.spec``; the work tree is removed on exit."""
    given = parse_tolerances(options.tolerances)  # a bad option is refused before any work
    repo, head = git.discover_with_head(cwd)
    configured = project_config.load(repo.root).tolerance
    original = Ledger(repo).read(options.spec)
    _require_commit(repo, original)
    name = f"{ids.short_id(original.id)}-{secrets.token_hex(3)}"
    worktree = repo.runledger_dir / WORKTREES_DIR / name
    linked: list[str] = []
    plan: Plan | None = None
    try:
        worktree.parent.mkdir(parents=True, exist_ok=True)
        git.add_worktree(repo, worktree, original.git.commit)
        worktree = worktree.resolve()
        tolerances = {name: tolerance_for(name, given, configured) for name in original.metrics}
        plan = _plan(original, repo, head, worktree, linked, tolerances, options)
        yield plan
    finally:
        if not options.keep:
            with _signals_held():
                remove_worktree(repo, worktree, linked)
                if plan is not None and plan.rebuild is not None and plan.rebuild.remove:
                    shutil.rmtree(plan.rebuild.path, ignore_errors=True)


def remove_worktree(repo: git.Repo, worktree: Path, linked: Sequence[str]) -> None:
    """The links first, so nothing can follow them into the user's data; then the tree."""
    for path in linked:
        with contextlib.suppress(OSError):
            if (worktree / path).is_symlink():
                (worktree / path).unlink()
    if not git.remove_worktree(repo, worktree) and os.path.lexists(worktree):
        shutil.rmtree(worktree, ignore_errors=True)
        git.prune_worktrees(repo)


def _require_commit(repo: git.Repo, run: Run) -> None:
    commit = run.git.commit
    if not COMMIT_ID.match(commit) or not git.object_exists(repo, commit):
        raise UserError(
            f"run {ids.short_id(run.id)} ran on commit {commit[:12]}, which is not in this "
            "repository: fetch it with 'runledger pull' (or 'git fetch'), then try again"
        )


def _plan(
    original: Run,
    repo: git.Repo,
    head: git.HeadState,
    worktree: Path,
    linked: list[str],
    tolerances: dict[str, float],
    options: ReproduceOptions,
) -> Plan:
    user_root = repo.root.resolve()
    # The allow-list in force here, in the user's own work tree: the commit's config came
    # with the pulled run, so it cannot widen what a record may set (issue #17).
    config = project_config.load(repo.root)
    checks = [Check("commit", "ok", f"{original.git.commit[:12]} checked out in {worktree}")]
    records = _input_records(original)
    paths = tuple(original.input_paths) or tuple(record.path for record in records)
    fetched = _from_store(repo, records, worktree, checks)
    _link_inputs(paths, records, worktree, user_root, linked, {r.path for r in fetched})
    run_cwd = _run_directory(worktree, original.cwd, checks)

    with optional_cache(cache_path_for(repo.common_dir)) as cache:
        found, declared, linked_records = _inputs_now(
            paths, linked, git.discover(worktree), original.git.commit, user_root, cache, fetched
        )
    found_drift = tuple(_describe_input(change) for change in diff_files(original.inputs, found))
    checks += _input_checks(records, linked, worktree, found_drift, options.allow_input_drift)

    origin = provenance(repo, original.id, original.user, original.host)
    variables = _variables(
        original.environment,
        os.environ,
        config,
        user_root,
        worktree,
        foreign=origin.foreign,
        run_cwd=run_cwd,
    )
    env = dict(os.environ)
    env.update(variables.set)
    for name in variables.unset:
        env.pop(name, None)

    blocker: RunledgerError | None = None
    executable = _find_command(original.command[0], run_cwd, env) if original.command else None
    not_found = ""
    if executable is None:
        program = original.command[0] if original.command else "(none)"
        not_found = f"{program} is not found here"
        checks.append(Check("command", "fail", not_found))
        blocker = CommandNotFoundError(
            f"the recorded command's program {program!r} is not found on this machine "
            "(is it installed and on PATH?)"
        )
    else:
        checks.append(Check("command", "ok", executable))
    script = script_call(original.command)
    if script is not None:
        kind = "a shell" if script.shell else "an interpreter"
        checks.append(
            Check(
                "command",
                "warn",
                f"runs {kind} ({script.program} {script.flag}): the script it is given is the "
                "real command; read the argv above in full",
            )
        )
    if origin.foreign:
        checks.append(Check("recorded by", "warn", _origin_detail(origin)))
    if variables.not_applied:
        checks.append(
            Check(
                "environment",
                "warn",
                f"not applied (outside the allow-list here): {', '.join(variables.not_applied)}",
            )
        )
    if variables.outside:
        checks.append(
            Check(
                "environment",
                "warn",
                "not applied (a path outside this repository, from a run recorded elsewhere): "
                + ", ".join(variables.outside),
            )
        )
    if any(MASK in arg for arg in original.command):
        checks.append(
            Check("command", "warn", f"has values masked as secrets ({MASK}): they run as recorded")
        )

    drift = EnvironmentDrift()
    rebuild: Rebuild | None = None
    if options.venv:
        rebuild, problem = _rebuild_plan(original, repo, options, checks)
        in_venv = (
            venv_python_for(rebuild.path, original.command[0], rebuild.python.version)
            if rebuild is not None and original.command
            else None
        )
        if rebuild is not None and in_venv is not None:
            # The plan names the program that will run: the new virtualenv's Python, not
            # the one the command resolves to here (which may even be missing).
            detail = f"{os.path.relpath(in_venv, rebuild.path)} of the new virtualenv"
            checks = [
                Check("command", "ok", detail)
                if check.what == "command" and check.detail in (executable, not_found)
                else check
                for check in checks
            ]
            executable = in_venv
            if isinstance(blocker, CommandNotFoundError):
                blocker = None
        blocker = blocker or problem
    elif executable is not None:
        current = capture_environment(executable, env, {}, repo.runledger_dir / "cache")
        drift = environment_drift(original.environment or {}, current)
        checks.append(_environment_check(original.environment or {}, drift, options))
    outputs = _outputs(original.output_paths, worktree, checks)
    checks.extend(_found_outside(original))

    if blocker is None and found_drift and not options.allow_input_drift:
        blocker = UserError(
            f"the inputs differ from the recorded ones: {_listed(found_drift)}; restore them, "
            "or pass --allow-input-drift to reproduce anyway"
        )
    if blocker is None and drift.missing_used:
        blocker = _missing_packages(original, drift)
    if blocker is None and drift and options.strict:
        blocker = UserError(
            "the environment differs from the recorded one (--strict): "
            + _listed([*drift.leading(), *drift.other])
        )
    return Plan(
        original=original,
        repo=repo,
        head=head,
        worktree=worktree,
        cwd=run_cwd,
        env=env,
        variables=variables,
        executable=executable,
        script=script,
        provenance=origin,
        inputs=declared,
        outputs=outputs,
        linked=tuple(linked),
        linked_records=linked_records,
        input_drift=found_drift,
        environment_drift=_recorded_drift(drift),
        tolerances=tolerances,
        cli_params=_cli_params(original),
        checks=tuple(checks),
        blocker=blocker,
        drift=drift,
        rebuild=rebuild,
        fetched=tuple(fetched),
    )


def _origin_detail(origin: Provenance) -> str:
    who = f"{origin.user or 'an unknown user'} on {origin.host or 'an unknown host'}"
    if origin.remotes:
        return f"{who}; pulled from {', '.join(origin.remotes)}, not recorded in this clone"
    return f"{who}, not this user on this machine"


def _listed(items: Sequence[str], shown: int = 5) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _run_directory(worktree: Path, recorded: str, checks: list[Check]) -> Path:
    parts = PurePosixPath(recorded).parts
    if PurePosixPath(recorded).is_absolute() or ".." in parts:
        raise CorruptRecordError(f"the run's directory {recorded!r} is not inside the repository")
    directory = worktree.joinpath(*parts)
    # A link in the run's commit (it came with the pulled run) may lead out of the work tree:
    # the folder would be made there, and the command run there, before anyone confirms.
    if not _really_inside(directory, worktree):
        raise CorruptRecordError(
            f"the run's directory {recorded!r} leads outside the work tree through a link in "
            "its commit: not run there"
        )
    if not directory.is_dir():
        # An ignored or empty folder at the time of the run: git did not check it out.
        directory.mkdir(parents=True, exist_ok=True)
        checks.append(Check("directory", "warn", f"{recorded} is not in the commit: created empty"))
    return directory


def _really_inside(path: Path, worktree: Path) -> bool:
    """Whether ``path`` is in the work tree once the links on its way are followed."""
    inside = os.path.realpath(worktree)
    return os.path.commonpath([inside, os.path.realpath(path)]) == inside


def _find_command(program: str, cwd: Path, env: Mapping[str, str]) -> str | None:
    """The path the recorded program resolves to, run from ``cwd``; None when not found."""
    if os.sep in program and not os.path.isabs(program):
        program = os.fspath(cwd / program)
    try:
        return resolve_executable(program, env)
    except CommandNotFoundError:
        return None


def _cli_params(run: Run) -> dict[str, Any]:
    """The params the original was given with ``exec -p``, to be given again."""
    flat = flatten(run.params)
    return unflatten(
        {key: value for key, value in flat.items() if run.param_sources.get(key) == "cli"}
    )


# --- inputs ----------------------------------------------------------------------------------


def _input_records(run: Run) -> list[FileRecord]:
    try:
        return [FileRecord.from_dict(table) for table in run.inputs or []]
    except (ValueError, TypeError, AttributeError) as error:
        raise CorruptRecordError(
            f"run {run.id}: its files.toml cannot be read ({error})"
        ) from error


def _is_under(path: str, base: str) -> bool:
    return base == "." or path == base or path.startswith(base + "/")


def _covered(path: str, linked: Sequence[str], strictly: bool = False) -> bool:
    return any(path.startswith(link + "/") or (not strictly and path == link) for link in linked)


def _from_store(
    repo: git.Repo, records: Sequence[FileRecord], worktree: Path, checks: list[Check]
) -> list[FileRecord]:
    """Inputs missing or changed here that the store has: fetched into the work tree before
    the run, instead of a refusal (issue #20)."""
    from runledger.analysis.transfers import fetchable_inputs

    fetched, store, warning = fetchable_inputs(repo, records, worktree)
    if warning is not None:
        checks.append(Check("inputs", "warn", warning))
    if fetched:
        size = sum(record.size for record in fetched)
        checks.append(
            Check(
                "inputs",
                "ok",
                f"{_listed([record.path for record in fetched])} missing or changed here: "
                f"fetched from the store {store} ({size:,} bytes, sha256-checked) into the "
                "work tree before the run",
            )
        )
    return fetched


def _link_inputs(
    paths: Sequence[str],
    records: Sequence[FileRecord],
    worktree: Path,
    user_root: Path,
    linked: list[str],
    fetched: Set[str] = frozenset(),
) -> None:
    """Link what the commit lacks of each declared input from the user's work tree.

    Each link is made at the highest missing path at or below the declared one, so an
    ignored folder is one link (not one per file), and the files of a partly tracked folder
    that git does have come from the commit. Folders above a declared path are made real
    folders, so only what was declared is reachable. ``linked`` grows as links are made, so
    the caller removes them whatever happens here. A folder holding a file ``fetched`` from
    the store is linked file by file around it.
    """
    for given in paths:
        if os.path.isabs(given) or ".." in PurePosixPath(given).parts:
            continue  # outside the repository: read where it is
        under = [record.path for record in records if _is_under(record.path, given)]
        for path in under or [given]:
            if path in fetched:
                continue
            target = _first_missing(worktree, given, path)
            if target is None or _covered(target, linked):
                continue
            if any(_is_under(other, target) for other in fetched):
                target = path
            source = user_root / target
            if not os.path.lexists(source):
                continue  # missing here too: the input check names it
            place = worktree / target
            place.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(source, place, target_is_directory=source.is_dir())
            linked.append(target)


def _first_missing(worktree: Path, base: str, path: str) -> str | None:
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return None
    start = 0 if base == "." else len(PurePosixPath(base).parts)
    for end in range(max(start, 1), len(parts) + 1):
        candidate = "/".join(parts[:end])
        if not os.path.lexists(worktree / candidate):
            return candidate
    return None


def _inputs_now(
    paths: Sequence[str],
    linked: Sequence[str],
    worktree_repo: git.Repo,
    commit: str,
    user_root: Path,
    cache: HashCache | None,
    fetched: Sequence[FileRecord] = (),
) -> tuple[list[dict[str, Any]], tuple[str, ...], dict[str, tuple[FileRecord, ...]]]:
    """What the re-run will read: the file records, the paths to declare, the linked files.

    Hashed as exec hashes them, so they compare with the recorded records: in the work tree
    (with the commit's blob ids), except that what a link points to is hashed in the user's
    work tree under the same relative path (exec would record the link itself). Inputs to be
    fetched from the store count as their records: the download is checked against them.
    """
    worktree = worktree_repo.root
    declared: list[str] = []
    for given in paths:
        if _covered(given, linked, strictly=True):
            continue  # inside a linked folder: read through the link's own records
        located = given if os.path.isabs(given) else os.fspath(worktree / given)
        if os.path.lexists(located) or any(_is_under(r.path, given) for r in fetched):
            declared.append(located)
    inside = [given for given in paths if not os.path.isabs(given)]
    tracked = git.tracked_blobs(worktree_repo, commit, inside)
    present = [path for path in declared if os.path.lexists(path)]
    found = hash_inputs(present, worktree, worktree, cache, tracked).files if present else ()
    linked_records = {
        path: hash_inputs([os.fspath(user_root / path)], user_root, user_root, cache).files
        for path in linked
    }
    records = {record.path: record for record in found if record.path not in linked_records}
    for files in linked_records.values():
        records.update((record.path, record) for record in files)
    records.update((record.path, record) for record in fetched)
    tables = [records[path].to_dict() for path in sorted(records)]
    return tables, tuple(declared), linked_records


def _describe_input(change: FileChange) -> str:
    kind = {"added": "new", "removed": "missing", "changed": "changed"}[change.kind]
    return f"{change.path} ({kind})"


def _input_checks(
    records: Sequence[FileRecord],
    linked: Sequence[str],
    worktree: Path,
    drift: Sequence[str],
    allowed: bool,
) -> list[Check]:
    checks = [
        Check(
            "input",
            "ok",
            f"{path}{'/' if (worktree / path).is_dir() else ''} linked from your work tree "
            "(git does not track it)",
        )
        for path in linked
    ]
    if drift:
        state: CheckState = "warn" if allowed else "fail"
        note = " (--allow-input-drift: going on)" if allowed else ""
        checks.append(Check("inputs", state, f"differ: {_listed(drift)}{note}"))
    elif records:
        count = len(records)
        checks.append(Check("inputs", "ok", f"{count} file{'s' * (count != 1)} as recorded"))
    else:
        checks.append(Check("inputs", "ok", "none declared"))
    return checks


def with_linked_inputs(run: Run, plan: Plan) -> Run:
    """The new run with the records of what its links pointed to, not of the links."""
    if not plan.linked or run.inputs is None:
        return run
    records: dict[str, FileRecord] = {}
    for table in run.inputs:
        path = str(table.get("path"))
        if path in plan.linked_records:
            records.update((record.path, record) for record in plan.linked_records[path])
        else:
            records[path] = FileRecord.from_dict(table)
    files = [records[path] for path in sorted(records)]
    return replace(
        run, inputs=[record.to_dict() for record in files], inputs_digest=input_digest(files)
    )


def _outputs(paths: Sequence[str], worktree: Path, checks: list[Check]) -> tuple[str, ...]:
    outputs = []
    for path in paths:
        if os.path.isabs(path):
            outputs.append(path)
            checks.append(
                Check("output", "warn", f"{path} is outside the work tree: the re-run writes there")
            )
        elif os.path.normpath(path).split(os.sep)[0] == os.pardir:
            # Never recorded so by exec (it records outside paths absolute): a pulled
            # record's '../../x' would copy the user's own files between their folders.
            checks.append(Check("output", "warn", f"{path} leaves the work tree: not copied"))
        elif not _really_inside((worktree / path).parent, worktree):  # itself a link: kept as one
            # out/id_rsa with out a link in the commit to ~/.ssh: a file of the user's, from
            # outside the work tree, would be copied as the re-run's output.
            checks.append(
                Check(
                    "output",
                    "warn",
                    f"{path} leads out of the work tree through a link: not copied",
                )
            )
        else:
            outputs.append(os.fspath(worktree / path))
            checks.append(
                Check("output", "ok", f"{path} (copied out of the work tree after the run)")
            )
    return tuple(outputs)


# --- environment -----------------------------------------------------------------------------


def _variables(
    environment: Mapping[str, Any] | None,
    current: Mapping[str, str],
    config: project_config.ProjectConfig,
    user_root: Path,
    worktree: Path,
    *,
    foreign: bool = False,
    run_cwd: Path | None = None,
) -> Variables:
    recorded = (environment or {}).get("variables")
    if not isinstance(recorded, Mapping):
        return Variables({})  # not recorded (an older record, a failed capture): leave as is
    to_set: dict[str, str] = {}
    kept: list[str] = []
    rewritten: list[str] = []
    not_applied: list[str] = []
    outside: list[str] = []
    allow = (*DEFAULT_ENV_ALLOWLIST, *config.env)
    roots = dict.fromkeys([os.fspath(user_root), os.path.realpath(user_root)])
    for name, raw in recorded.items():
        name, value = str(name), str(raw)
        if name in INTERPRETER_VARIABLES:
            continue
        if not _applicable(name, allow, config.secret_patterns):
            not_applied.append(name)
            continue
        if MASK in value:
            kept.append(name)
            continue
        for root in roots:
            if root in value:
                value = value.replace(root, os.fspath(worktree))
                rewritten.append(name)
                break
        if foreign and _names_a_path_outside(name, value, worktree, run_cwd or worktree):
            outside.append(name)
            continue
        to_set[name] = value
    allowed_now = safe_env(current, (*DEFAULT_ENV_ALLOWLIST, *config.env), config.secret_patterns)
    unset = tuple(
        name for name in allowed_now if name not in recorded and name not in INTERPRETER_VARIABLES
    )
    return Variables(
        to_set,
        unset,
        tuple(kept),
        tuple(dict.fromkeys(rewritten)),
        tuple(sorted(not_applied)),
        tuple(sorted(outside)),
    )


def _names_a_path_outside(name: str, value: str, worktree: Path, cwd: Path) -> bool:
    """Whether a path variable (PYTHONPATH, TORCHINDUCTOR_CACHE_DIR, ...) names a path outside
    the re-run's work tree (``/tmp/x``, ``../../x``): code or compiled kernels would be loaded
    from there."""
    if name != "PYTHONPATH" and not name.endswith(("_DIR", "_PATH", "_HOME", "_PREFIX")):
        return False
    tree = os.path.realpath(worktree)
    for entry in value.split(os.pathsep):
        if not entry:
            continue
        real = os.path.realpath(os.path.join(cwd, entry))  # an absolute entry stays itself
        if os.path.commonpath([tree, real]) != tree:
            return True
    return False


def _applicable(name: str, allow: Sequence[str], secret_patterns: Sequence[str]) -> bool:
    """Whether a recorded variable may be set again: allow-listed here, and harmless."""
    if never_from_a_record(name) or looks_secret(name, secret_patterns):
        return False
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in allow)


def environment_differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Every difference that matters, one line each, in order (environment_drift)."""
    drift = environment_drift(recorded, current)
    return drift.leading() + list(drift.other)


def _recorded_drift(drift: EnvironmentDrift) -> tuple[str, ...]:
    """What the reproduction records: what matters first, the rest collapsed into a count.

    Both runs' environments are recorded in full, so ``diff`` can still list every one.
    """
    return tuple(drift.lines()[:DRIFT_RECORDED])


def _missing_packages(original: Run, drift: EnvironmentDrift) -> UserError:
    names = ", ".join(f"{change.key} {change.a}" for change in drift.missing_used)
    short = original.id  # in full: the fix line is copied, and a prefix may grow ambiguous
    verb = "is" if len(drift.missing_used) == 1 else "are"
    return UserError(
        f"the run used {names}, which {verb} not installed here; install the recorded "
        f"packages with 'runledger env {short} --format requirements > req.txt && pip install "
        f"-r req.txt', or rebuild them in a fresh virtualenv with "
        f"'runledger reproduce {short} --venv'"
    )


def _environment_check(
    recorded: Mapping[str, Any], drift: EnvironmentDrift, options: ReproduceOptions
) -> Check:
    if drift:
        count = drift.count()
        detail = f"{count} difference{'s' * (count != 1)}: {_listed(drift.lines(), 5)}"
        if drift.missing_used:
            return Check("environment", "fail", detail)
        if options.strict:
            return Check("environment", "fail", detail + " (--strict)")
        return Check("environment", "warn", detail + " (--strict stops on drift)")
    python = recorded.get("python")
    if not isinstance(python, Mapping):
        return Check("environment", "ok", "no Python environment recorded: nothing to compare")
    packages = recorded.get("packages") or {}
    gpus = recorded.get("gpus") or []
    gpu_text = f"{len(gpus)} GPU{'s' * (len(gpus) != 1)}" if gpus else "no GPU"
    return Check(
        "environment",
        "ok",
        f"Python {python.get('version')}, {len(packages)} packages, {gpu_text}: as recorded",
    )


def _rebuild_plan(
    original: Run, repo: git.Repo, options: ReproduceOptions, checks: list[Check]
) -> tuple[Rebuild | None, RunledgerError | None]:
    """What ``--venv`` will build, shown in the plan; or why it cannot."""
    version = python_version(original)
    try:
        if version is None:
            raise UserError(
                f"run {ids.short_id(original.id)} recorded no Python version: --venv rebuilds "
                "the environment of Python programs only"
            )
        python = find_python(version)
        wanted = tuple(requirements(original, options.all_packages, "--all-packages"))
    except UserError as error:
        checks.append(Check("virtualenv", "fail", str(error)))
        return None, error
    if options.venv_dir is not None:
        path, remove = options.venv_dir.expanduser().absolute(), False
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            busy = UserError(f"--venv {path}: it exists and is not an empty folder; name a new one")
            checks.append(Check("virtualenv", "fail", str(busy)))
            return None, busy
    else:
        name = f"{ids.short_id(original.id)}-{secrets.token_hex(3)}"
        path, remove = repo.runledger_dir / VENVS_DIR / name, True
    which = "every recorded package" if options.all_packages else "the packages it imported"
    count = len(wanted)
    listed = _listed([requirement.line for requirement in wanted], 6)
    installs = (
        f"installs {which}: {count} package{'s' * (count != 1)}: {listed}"
        if wanted
        else "nothing to install (the run imported no installed package)"
        if not options.all_packages
        else "nothing to install (the run recorded no package)"
    )
    checks.append(
        Check(
            "virtualenv",
            "ok",
            f"built first at {path} with Python {version} ({python.executable}); {installs}",
        )
    )
    for requirement in wanted:
        if requirement.note:
            checks.append(Check("package", "warn", requirement.note))
    return Rebuild(path, python, wanted, remove), None


def build_environment(plan: Plan, relax: bool, progress: Progress) -> Plan:
    """``--venv``: build the planned virtualenv; the plan that runs in it."""
    rebuild = plan.rebuild
    if rebuild is None:
        return plan
    used = (plan.original.environment or {}).get("used")
    # A program that imported runledger (runledger.log) finds this runledger in the venv.
    extra = (
        [os.fspath(Path(__file__).resolve().parents[2])]
        if isinstance(used, Mapping) and "runledger" in used
        else []
    )
    built = build_virtualenv(
        rebuild.path,
        rebuild.python,
        rebuild.requirements,
        relax=relax,
        progress=progress,
        extra_paths=extra,
    )
    env = built.env(plan.env)
    current = capture_environment(built.python, env, {}, None)
    drift = environment_drift(plan.original.environment or {}, current)
    return replace(
        plan, env=env, built=built, drift=drift, environment_drift=_recorded_drift(drift)
    )


# --- running ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """exec runs its command in the current directory (as the user's shell would)."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def execute(plan: Plan, outputs_dir: Path | None = None) -> Outcome:
    """Run the recorded command in the work tree and record it with its verdict."""
    original = plan.original
    command = original.command
    if plan.built is not None:
        python = (original.environment or {}).get("python")
        command = plan.built.command(command, "python" if python else None)
    options = ExecOptions(
        command=command,
        inputs=plan.inputs,
        outputs=plan.outputs,
        name=original.name,
        reproduces=original.id,
        auto_outputs=original.auto_outputs,
        autocapture=original.autocapture,
    )
    if plan.fetched:
        from runledger.analysis.transfers import fetch_inputs

        got = fetch_inputs(plan.repo, plan.fetched, plan.worktree)
        count = len(got.written)
        print(
            f"runledger: fetched {count} input{'s' * (count != 1)} from the store {got.store} "
            "(sha256-checked)",
            file=sys.stderr,
        )
    with _working_directory(plan.cwd):
        prepared = prepare(options, plan.cwd, env=plan.env, require_clean=False)
        recorded = False
        try:
            # exec makes it with the journal: the command's RUNLEDGER_METRICS_FILE lives here
            prepared.work_dir.mkdir(parents=True, exist_ok=True)
            prepared = replace(prepared, cli_params=plan.cli_params)
            outcome = run_and_capture(prepared)
            run = with_linked_inputs(build_run(prepared, outcome), plan)
            checks = check_metrics(original.metrics, run.metrics, plan.tolerances)
            outputs = check_outputs(declared_artifacts(original), run.artifacts)
            result = outcome.result
            verdict = judge(
                checks, result.exit_code, result.interrupted, original.exit_code, outputs
            )
            built = plan.built
            if built is not None and run.environment is not None:
                run = replace(run, environment={**run.environment, "virtualenv": built.to_record()})
            run = replace(
                run,
                reproduction=Reproduction(
                    verdict=verdict.name,
                    mismatched=verdict.mismatched,
                    tolerance=dict(plan.tolerances),
                    input_drift=plan.input_drift,
                    environment_drift=plan.environment_drift,
                    outputs_compared=len(outputs),
                    outputs_differ=verdict.outputs_differ,
                    virtualenv=built.tool if built is not None else None,
                    relaxed=tuple(built.relaxed) if built is not None else (),
                ),
            )
            record(prepared, run, outcome.capture.config)
            recorded = True
        finally:
            if not recorded:  # nothing half-recorded: the run is in the ledger or nowhere
                shutil.rmtree(prepared.work_dir, ignore_errors=True)
    print(
        f"runledger: recorded run {ids.short_id(run.id)} ({run.status}), "
        f"a reproduction of {ids.short_id(original.id)}",
        file=sys.stderr,
    )
    kept = keep_outputs(plan, run, outputs_dir)
    # In a rebuilt virtualenv the packages the run did not import are left out on purpose.
    differences = len(plan.drift.leading()) if plan.built else plan.drift.count()
    return Outcome(run, verdict, kept, differences)


def _found_outside(run: Run) -> list[Check]:
    """A warning for the outputs found outside the work tree without being declared (a
    program's ``torch.save('/srv/models/x.pt')``): the re-run writes there again."""
    declared = {record.get("path") for record in declared_artifacts(run)}
    outside = [
        path
        for record in run.artifacts or ()
        if isinstance(path := record.get("path"), str)
        and os.path.isabs(path)
        and path not in declared
    ]
    if not outside:
        return []
    more = f" and {len(outside) - 1} more" if len(outside) > 1 else ""
    return [
        Check(
            "output",
            "warn",
            f"{outside[0]}{more}: written outside the work tree by the original; the re-run "
            "writes there again",
        )
    ]


def declared_artifacts(run: Run) -> list[dict[str, Any]]:
    """The artifacts under the run's declared outputs: those found without being declared
    (auto_outputs: checkpoints, which few programs write byte for byte again) are no claim
    that the re-run must meet, nor evidence that it did."""
    declared = [PurePosixPath(path) for path in run.output_paths]
    return [
        record
        for record in run.artifacts or ()
        if isinstance(record.get("path"), str)
        and any(_under(PurePosixPath(record["path"]), root) for root in declared)
    ]


def _under(path: PurePosixPath, root: PurePosixPath) -> bool:
    return str(root) == "." or path == root or root in path.parents


def keep_outputs(plan: Plan, run: Run, outputs_dir: Path | None) -> Path | None:
    """Copy the re-run's declared outputs out of the work tree before it is removed.

    Into ``outputs_dir``, or ``.git/runledger/reproductions/<run>/`` (never the user's work
    tree), at their paths relative to the repository. Outputs outside the work tree were
    written where they are and stay there. None when there was nothing to copy.
    """
    inside = [
        Path(path)
        for path in plan.outputs
        if Path(path).is_relative_to(plan.worktree) and os.path.lexists(path)
    ]
    if not inside:
        return None
    target = outputs_dir or plan.repo.runledger_dir / KEPT_OUTPUTS_DIR / ids.short_id(run.id)
    target = target.expanduser().absolute()
    for source in inside:
        place = target / source.relative_to(plan.worktree)
        place.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, place, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source, place, follow_symlinks=False)
    return target
