"""Moving a run's bytes between this machine and the object store: push, get, presence.

- ``push_runs`` uploads the objects of the runs' pointers (artifacts; inputs on request) that
  the store lacks, in parallel, each streamed, then writes each run's manifest
  (``<url>/runs/<run-id>.toml``: what of the run is stored). A push that is cut short resumes
  where it stopped: objects already stored are skipped, and runs whose push did not finish
  stay on a pending list under the git directory for the next ``runledger push``.
- ``plan_get`` / ``get_files`` download a run's objects into a folder, each sha256-checked,
  never replacing a different local file unless forced.
- ``presence`` says how many of each run's pointers have their object in the store.

Why a manifest in the store and no git ref: the store is the truth about which bytes it
holds. A ref pushed through git would say "stored" for a store that a teammate cannot see
(a personal ``runledger.store`` override), or that was emptied since; a manifest is beside
the objects it names, written only after they are complete, and every ``get`` re-checks the
objects themselves anyway.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from runledger import ids
from runledger.errors import CorruptRecordError, UserError
from runledger.model import tomlcodec
from runledger.model.record import Run
from runledger.recording.capture.files import FileRecord
from runledger.store import git
from runledger.store.artifacts import (
    CHUNK_SIZE,
    SMALL_OBJECT,
    CorruptObjectError,
    ObjectStore,
    StoreError,
    is_sha256,
)
from runledger.store.hashcache import HashCache, cache_path_for
from runledger.store.ledger import Ledger

Role = Literal["artifact", "input"]
# Files transferred at once. Waiting on a store costs a thread nothing, and against S3 many
# small objects move at 70% of a plain fsspec copy's rate with 8 (which sends up to 128 at
# once) and at 80-90% with 32 (benchmarks/bench_store.py); memory is held to UPLOAD_MEMORY.
DEFAULT_JOBS = 32
# Bytes of files being uploaded that may be in memory at once, whatever --jobs is: each
# upload holds ObjectStore.upload_memory(size) (a file below SINGLE_PUT_LIMIT a chunk at a
# time on S3, whole where the provider's put reads it whole; a larger one PART_CONCURRENCY
# parts).
UPLOAD_MEMORY = 16 * CHUNK_SIZE
# A folder of this machine's (file://) is copied by the kernel and hashed by the CPU: threads
# beyond a few only contend for the CPU and the GIL (300 files of 32 KiB: 8 threads took a
# third more CPU time than 4, and longer).
LOCAL_JOBS = 4
LIST_PAGE = 1000  # names a listing request returns (S3, GCS and Azure page at 1,000 or more)
PREFIXES = 256  # the two-hex-digit folders objects are spread over
PENDING_FILE = "store-pending"
MANIFEST_VERSION = 1


class Progress(Protocol):
    """What a transfer reports as it goes (a terminal bar, or nothing)."""

    def start(self, description: str, total_bytes: int, count: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def stop(self) -> None: ...


class NoProgress:
    def start(self, description: str, total_bytes: int, count: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass(frozen=True)
class Pointer:
    """One file a run recorded, that the store can hold: a regular file with a sha256."""

    run_id: str
    role: Role
    record: FileRecord

    @property
    def sha256(self) -> str:
        assert self.record.sha256 is not None
        return self.record.sha256


def pointers_of(run: Run, include_inputs: bool) -> list[Pointer]:
    """The run's artifacts (and inputs) that have bytes of their own to store.

    Links are recorded by their target, and a large tracked input by its git blob alone (its
    bytes are in git): neither has an object.
    """
    tables: list[tuple[Role, list[dict[str, Any]]]] = [("artifact", run.artifacts or [])]
    if include_inputs:
        tables.append(("input", run.inputs or []))
    found = []
    try:
        for role, records in tables:
            for table in records:
                record = FileRecord.from_dict(table)
                if record.kind == "file" and record.sha256 is not None:
                    # Pulled records are untrusted: the sha256 names a key in the store.
                    if not is_sha256(record.sha256):
                        raise ValueError(f"{record.path}: sha256 {record.sha256[:70]!r}")
                    found.append(Pointer(run.id, role, record))
    except (ValueError, TypeError, AttributeError) as error:
        raise CorruptRecordError(
            f"run {run.id}: its files.toml cannot be read ({error})"
        ) from error
    return found


def _inside(path: str) -> PurePosixPath | None:
    """A recorded path as a relative one (an absolute path loses its root); None when it
    climbs out with '..' (a pulled record must not make get write outside DIR), or when it
    holds a NUL byte, which no file name can."""
    relative = PurePosixPath(path.lstrip("/"))
    if ".." in relative.parts or not relative.parts or "\0" in path:
        return None
    return relative


def _in_git_dir(path: str) -> bool:
    """Whether a recorded path goes into a ``.git`` folder (any case, as a case-insensitive
    disk reads it): a pulled record's ``.git/hooks/pre-commit`` or ``.git/config`` would run
    code at the user's next git command, and ``.git/refs/heads/x`` make a branch."""
    return any(part.casefold() == ".git" for part in PurePosixPath(path).parts)


def _refuse_links_out(root: Path, wanted: Sequence[Wanted]) -> None:
    """UserError when a destination's folder is reached through a symbolic link that leads
    outside ``root`` (a link committed to the project, ``checkpoints -> ~``): the file would
    land outside the folder the user named. The destination itself may be a link: it is
    replaced, never followed."""
    real_root = os.path.realpath(root)
    for item in wanted:
        real_parent = os.path.realpath(item.destination.parent)
        if os.path.commonpath([real_root, real_parent]) == real_root:
            continue
        link = item.destination.parent
        current = root
        for part in item.destination.parent.relative_to(root).parts:
            current = current / part
            if os.path.islink(current):
                link = current
                break
        raise UserError(
            f"{item.pointer.record.path} would be written through the symbolic link {link} "
            f"(to {os.path.realpath(link)}), outside {root}: refused, nothing written; give "
            "the folder it should go to with -o"
        )


# Where ``reproduce`` keeps a re-run's declared outputs: .git/runledger/reproductions/<run>/
KEPT_OUTPUTS_DIR = "reproductions"


def local_paths(repo: git.Repo, pointer: Pointer) -> Iterator[str]:
    """Where this machine may still hold the pointer's bytes: its recorded path in the work
    tree and, for a reproduction, the copy ``reproduce`` kept of the re-run's outputs (the
    re-run wrote them in a work tree of its own, removed since). Made as they are asked for
    (the first is almost always the one), as strings (thousands of pathlib joins cost a
    push of small files more than its manifest)."""
    recorded = pointer.record.path
    if os.path.isabs(recorded):
        yield recorded
        return
    yield os.path.join(repo.root, recorded)
    kept = os.path.join(repo.runledger_dir, KEPT_OUTPUTS_DIR, ids.short_id(pointer.run_id))
    yield os.path.join(kept, recorded)


def _parallel(jobs: int, work: Sequence[Any], task: Any) -> list[Any]:
    """``task(item)`` for each item on ``jobs`` threads, results in order; the first error is
    raised once the running tasks end (the items not started are not run).

    Each thread takes the next item from a shared iterator: no future, queue entry and
    wake-up per item (for many small files, a thread pool's bookkeeping cost more than
    copying them).
    """
    if not work:
        return []
    results: list[Any] = [None] * len(work)
    pending = iter(enumerate(work))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run() -> None:
        while True:
            with lock:
                if errors:
                    return
                taken = next(pending, None)
            if taken is None:
                return
            try:
                results[taken[0]] = task(taken[1])
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                with lock:
                    errors.append(error)
                return

    threads = [threading.Thread(target=run, daemon=True) for _ in range(min(jobs, len(work)))]
    try:
        for thread in threads[1:]:
            thread.start()
        run()  # this thread is one of the workers
    finally:
        if sys.exc_info()[0] is not None:
            with lock:  # interrupted: start nothing more
                errors.append(KeyboardInterrupt())
        for thread in threads[1:]:
            if thread.ident is not None:
                thread.join()
    if errors:
        raise errors[0]
    return results


def stored_sizes(
    store: ObjectStore, shas: Iterable[str], jobs: int = DEFAULT_JOBS
) -> dict[str, int | None]:
    """Each object's stored size (None: not stored), with the fewest requests.

    A local folder is listed once, and asked with a ``stat`` per object whose two-hex-digit
    folder exists (``ObjectStore.local_sizes``). A remote store is listed: first the
    two-hex-digit folder of one wanted object, whose count tells about how many objects the
    store holds (names are hashes, spread evenly); then whichever costs fewer requests of
    listing the whole store, listing each other folder that a wanted object falls in, or
    asking for each remaining object on its own (a store of millions asked about a few).
    An empty store, or a small one, costs two listings where a question per object cost one
    or two requests each.
    """
    unique = sorted(set(shas))
    if not unique:
        return {}
    if store.local:
        return store.local_sizes(unique)
    folders = sorted({sha[:2] for sha in unique})
    found = store.listing(folders[0])
    rest = folders[1:]
    if rest:
        pages_each = max(1, -(-len(found) // LIST_PAGE))
        whole = max(1, -(-len(found) * PREFIXES // LIST_PAGE))
        by_folder = len(rest) * pages_each
        one_by_one = [sha for sha in unique if sha[:2] != folders[0]]
        if whole <= by_folder and whole <= len(one_by_one):
            found = store.listing()
        elif by_folder <= len(one_by_one):
            for part in _parallel(jobs, rest, store.listing):
                found.update(part)
        else:
            sizes = _parallel(jobs, one_by_one, store.size_of)
            found.update(
                (sha, size) for sha, size in zip(one_by_one, sizes, strict=True) if size is not None
            )
    return {sha: found.get(sha) for sha in unique}


class _LazyHashCache:
    """The hash cache, opened only once a file must be hashed (a push of files unchanged since
    their run, or a get into an empty folder, hashes none)."""

    def __init__(self, repo: git.Repo) -> None:
        self.path = cache_path_for(repo.common_dir)
        self.cache: HashCache | None = None

    def __enter__(self) -> _LazyHashCache:
        return self

    def __exit__(self, *_: object) -> None:
        if self.cache is not None:
            self.cache.close()

    def hash_file(self, path: str | Path, st: os.stat_result) -> str:
        if self.cache is None:
            self.cache = HashCache(self.path)
            self.cache.open()
        return self.cache.hash_file(path, st)


class _Budget:
    """A count of bytes that threads take from and give back, waiting while too few are
    left; one taking more than the whole waits until it is alone."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total
        self.changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self, amount: int) -> Iterator[None]:
        amount = min(amount, self.total)
        with self.changed:
            self.changed.wait_for(lambda: self.left >= amount)
            self.left -= amount
        try:
            yield
        finally:
            with self.changed:
                self.left += amount
                self.changed.notify_all()


# --- push ------------------------------------------------------------------------------------


@dataclass
class PushReport:
    store: str
    runs: list[str] = field(default_factory=list)  # runs whose pointers are all stored now
    uploaded: int = 0
    uploaded_bytes: int = 0
    present: int = 0  # objects the store already had
    lost: list[str] = field(default_factory=list)  # pointers whose bytes are nowhere here
    seconds: float = 0.0

    def line(self) -> str:
        rate = self.uploaded_bytes / self.seconds if self.seconds > 0 else 0.0
        sent = f"{self.uploaded} object{'s' * (self.uploaded != 1)} ({_size(self.uploaded_bytes)}"
        sent += f", {_size(rate)}/s)" if self.uploaded else ")"
        return (
            f"store {self.store}: uploaded {sent}, {self.present} already there; "
            f"{len(self.runs)} run{'s' * (len(self.runs) != 1)} fully stored"
        )

    def json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "runs_stored": self.runs,
            "uploaded": self.uploaded,
            "uploaded_bytes": self.uploaded_bytes,
            "already_stored": self.present,
            "not_uploaded": self.lost,
            "seconds": round(self.seconds, 3),
        }


def push_runs(
    repo: git.Repo,
    store: ObjectStore,
    run_ids: Iterable[str],  # or anything ``Ledger.resolve`` takes
    include_inputs: bool = False,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
    pushed_by: str | None = None,
) -> PushReport:
    """Upload what the runs point to and the store lacks; write their manifests, saying
    ``pushed_by`` pushed them (None: git's committer identity is asked for, a process)."""
    progress = progress or NoProgress()
    started = time.monotonic()
    report = PushReport(store.shown)
    jobs = min(jobs, LOCAL_JOBS) if store.local else jobs
    with Ledger(repo) as ledger:
        read = ledger.read_files_of(list(dict.fromkeys(run_ids)))
    runs = list({run.id: run for run in read}.values())  # two specs may name one run
    by_run = {run.id: pointers_of(run, include_inputs) for run in runs}
    objects: dict[str, list[Pointer]] = {}
    for found in by_run.values():
        for pointer in found:
            objects.setdefault(pointer.sha256, []).append(pointer)

    shas = sorted(objects)
    present = {sha: size is not None for sha, size in stored_sizes(store, shas, jobs).items()}
    missing = [sha for sha in shas if not present[sha]]
    report.present = len(shas) - len(missing)

    sources, lost = _local_sources(repo, [(sha, objects[sha]) for sha in missing])
    for pointer, why in lost:
        report.lost.append(f"{ids.short_id(pointer.run_id)} {pointer.record.path}: {why}")
    total = sum(objects[sha][0].record.size for sha in sources)
    lock = threading.Lock()
    memory = _Budget(UPLOAD_MEMORY)
    if sources:
        store.remove_stale_temporaries()  # what a killed push left in <url>/tmp/

    def uploaded(sha: str) -> None:
        with lock:
            report.uploaded += 1
            report.uploaded_bytes += objects[sha][0].record.size
            present[sha] = True

    def upload(sha: str) -> None:
        path, checked = sources[sha]
        held = store.upload_memory(objects[sha][0].record.size)
        if held:
            with memory.hold(held):
                store.upload(path, sha, progress.advance, checked)
        else:  # a local store's kernel copy holds no memory of ours
            store.upload(path, sha, progress.advance, checked)
        uploaded(sha)

    together = store.moves_small_together
    small = {sha for sha in sources if together and 0 < sources[sha][1].st_size <= SMALL_OBJECT}
    sent_alone = [sha for sha in sorted(sources) if sha not in small]
    progress.start("uploading", total, len(sources))
    try:
        if small:
            # each held whole while it is sent: no more of them at once than the budget allows
            at_once = min(jobs, UPLOAD_MEMORY // SMALL_OBJECT)
            files = [(sources[sha][0], sha, sources[sha][1]) for sha in sorted(small)]
            store.upload_small(files, progress.advance, at_once, uploaded)
        _parallel(jobs, sent_alone, upload)
    finally:
        progress.stop()
        report.seconds = time.monotonic() - started
        # Whatever finished is recorded, even when another upload failed.
        for run in runs:
            stored = [pointer for pointer in by_run[run.id] if present.get(pointer.sha256)]
            if stored or not by_run[run.id]:
                pushed_by = _write_manifest(store, repo, run, stored, by_run[run.id], pushed_by)
            if len(stored) == len(by_run[run.id]):
                report.runs.append(run.id)
    return report


def _local_sources(
    repo: git.Repo, wanted: Sequence[tuple[str, list[Pointer]]]
) -> tuple[dict[str, tuple[str, os.stat_result]], list[tuple[Pointer, str]]]:
    """For each object, a local file that still has its bytes (and its stat when that was
    checked: the upload fails if it changes after); the pointers whose file is gone or
    changed since the run.

    An artifact whose size and modification time (to the nanosecond) are still the ones the
    run recorded is taken as unchanged, the identity the hash cache itself trusts: a file
    just written by a run is too recent for the cache, and reading it again would double the
    push's disk reads. Anything else is hashed (through the cache).
    """
    sources: dict[str, tuple[str, os.stat_result]] = {}
    lost: list[tuple[Pointer, str]] = []
    with _LazyHashCache(repo) as cache:
        for sha, pointers in wanted:
            why = "missing here"
            places = ((path, each) for each in pointers for path in local_paths(repo, each))
            for path, pointer in places:
                try:
                    st = os.stat(path)
                    if st.st_size == pointer.record.size and (
                        _as_recorded(st, pointer.record) or cache.hash_file(path, st) == sha
                    ):
                        sources[sha] = (path, st)
                        break
                    why = "changed here since the run"
                except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                    continue
                except OSError as error:
                    why = f"cannot be read ({error.strerror})"
            if sha not in sources:
                lost.extend((pointer, why) for pointer in pointers)
    return sources, lost


def _as_recorded(st: os.stat_result, record: FileRecord) -> bool:
    """Whether the file's modification time is the one recorded for it (artifacts only)."""
    return record.mtime is not None and record.mtime == st.st_mtime_ns / 1e9


def _write_manifest(
    store: ObjectStore,
    repo: git.Repo,
    run: Run,
    stored: list[Pointer],
    wanted: list[Pointer],
    pushed_by: str | None,
) -> str | None:
    """The run's manifest: what of it the store holds, merged with an earlier manifest.
    Written only when it says something the earlier one did not: a push that found every
    object already stored and the manifest saying so leaves it as it is (no new write, no
    new ``pushed_at``). Returns ``pushed_by``, asked of git when it was None and needed."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    earlier = store.read_manifest(run.id)
    said: tuple[Any, Any] | None = None  # the earlier manifest's objects and not_stored
    if earlier is not None:
        try:
            document = tomlcodec.loads(earlier.decode())
            for entry in document.get("objects", []):
                if not _well_formed(entry):
                    continue  # a damaged entry (the store is shared): written anew if known
                entries[(entry["role"], entry["path"])] = dict(entry)
            if document.get("version") == MANIFEST_VERSION and document.get("run") == run.id:
                said = (document.get("objects", []), document.get("not_stored", []))
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
            entries = {}  # a damaged manifest is rewritten from what is known now
    for pointer in stored:
        entries[(pointer.role, pointer.record.path)] = {
            "role": pointer.role,
            "path": pointer.record.path,
            "size": pointer.record.size,
            "sha256": pointer.sha256,
        }
    if earlier is not None and len(stored) == 0:
        return pushed_by
    missing = [
        pointer.record.path
        for pointer in wanted
        if (pointer.role, pointer.record.path) not in entries
    ]
    objects = [entries[key] for key in sorted(entries)]
    if said is not None and said == (objects, missing):
        return pushed_by  # nothing new: the stored manifest already says all of it
    if pushed_by is None:
        pushed_by = git.committer_ident(repo) or ""
    document = {
        "version": MANIFEST_VERSION,
        "run": run.id,
        "pushed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pushed_by": pushed_by,
        "objects": objects,
    }
    if missing:
        document["not_stored"] = missing
    store.write_manifest(run.id, manifest_text(document).encode())
    return pushed_by


_ENTRY_KEYS = frozenset(("role", "path", "size", "sha256"))  # a manifest's [[objects]] table


def _well_formed(entry: Any) -> bool:
    """Whether an earlier manifest's entry has the fields a manifest is written with, of
    their types (other fields, a later runledger's, are kept)."""
    return (
        isinstance(entry, dict)
        and all(type(entry.get(key)) is str for key in ("role", "path", "sha256"))
        and type(entry.get("size")) is int
    )


def _plain(text: str) -> bool:
    """Whether ``text`` is a TOML basic string as it is between its quotes."""
    return text.isprintable() and '"' not in text and "\\" not in text


def manifest_text(document: dict[str, Any]) -> str:
    """The manifest as TOML: written directly when every string is plain text (a manifest of
    thousands of objects took longer through the general writer than uploading them),
    through ``tomlcodec`` otherwise (a path with quotes, control characters, or bytes that
    are not UTF-8). ``tomlcodec.loads`` gives back ``document`` either way."""
    objects = document["objects"]
    head = {key: value for key, value in document.items() if key != "objects"}
    strings = [value for value in head.values() if isinstance(value, str)]
    strings += [item for value in head.values() if isinstance(value, list) for item in value]
    plain = all(isinstance(item, str) and _plain(item) for item in strings) and all(
        entry.keys() == _ENTRY_KEYS
        and type(entry["size"]) is int
        and tomlcodec.INT64_MIN <= entry["size"] <= tomlcodec.INT64_MAX
        and _plain(entry["role"])
        and _plain(entry["path"])
        and _plain(entry["sha256"])
        for entry in objects
    )
    scalars = all(
        isinstance(value, int | str | list) and not isinstance(value, bool)
        for value in head.values()
    )
    if not plain or not scalars:
        return tomlcodec.dumps(document)
    lines = []
    for key, value in head.items():
        if isinstance(value, list):
            shown = ", ".join(f'"{item}"' for item in value)
            lines.append(f"{key} = [{shown}]")
        elif isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        else:
            lines.append(f"{key} = {int(value)}")
    if not objects:
        lines.append("objects = []")
    for entry in objects:
        lines.append(
            f'\n[[objects]]\nrole = "{entry["role"]}"\npath = "{entry["path"]}"\n'
            f'size = {entry["size"]}\nsha256 = "{entry["sha256"]}"'
        )
    return "\n".join(lines) + "\n"


# --- pending runs ----------------------------------------------------------------------------


def pending_runs(repo: git.Repo) -> list[str]:
    """Runs pushed to git whose bytes did not all reach the store (the push stopped)."""
    try:
        text = (repo.runledger_dir / PENDING_FILE).read_text()
    except FileNotFoundError:
        return []
    return [line for line in text.split() if line and ids.is_run_id_prefix(line)]


def set_pending(repo: git.Repo, run_ids: Iterable[str]) -> None:
    path = repo.runledger_dir / PENDING_FILE
    wanted = sorted(set(run_ids))
    if not wanted:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(f"{run_id}\n" for run_id in wanted))
    os.replace(temporary, path)


# --- get -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    pointer: Pointer
    destination: Path


@dataclass
class GetReport:
    store: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already there with the same bytes
    bytes: int = 0
    seconds: float = 0.0

    def line(self, run_id: str) -> str:
        rate = self.bytes / self.seconds if self.seconds > 0 and self.bytes else 0.0
        text = (
            f"run {ids.short_id(run_id)}: {len(self.written)} file"
            f"{'s' * (len(self.written) != 1)} written ({_size(self.bytes)}"
        )
        text += f", {_size(rate)}/s)" if rate else ")"
        if self.unchanged:
            text += f", {len(self.unchanged)} already there"
        return text + f", sha256-checked, from {self.store}"

    def json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "written": self.written,
            "already_there": self.unchanged,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
        }


def plan_get(run: Run, given: Sequence[str], out_dir: Path, include_inputs: bool) -> list[Wanted]:
    """Where each of the run's files asked for goes.

    Without PATHs, every artifact (and input) goes to DIR/<recorded path>. A PATH names a
    recorded file or folder by its full recorded path or by its last parts
    (``model.joblib`` for ``models/model.joblib``), and lands in DIR as ``cp -r`` would put
    it: DIR/model.joblib, DIR/checkpoints/...
    """
    pointers = pointers_of(run, include_inputs)
    what = "artifacts or inputs" if include_inputs else "artifacts"
    if not pointers:
        hint = "" if include_inputs else " (--inputs gets its inputs)"
        raise UserError(f"run {ids.short_id(run.id)} recorded no {what} with bytes to get{hint}")
    unsafe = [pointer.record.path for pointer in pointers if _inside(pointer.record.path) is None]
    if unsafe:
        raise CorruptRecordError(
            f"run {ids.short_id(run.id)} records a path that leaves its folder "
            f"({unsafe[0][:80]!r}): refused, nothing written"
        )
    in_git = [pointer.record.path for pointer in pointers if _in_git_dir(pointer.record.path)]
    if in_git:
        raise CorruptRecordError(
            f"run {ids.short_id(run.id)} records a path inside a .git folder "
            f"({in_git[0][:80]!r}): refused, nothing written"
        )
    chosen: dict[str, Wanted] = {}
    if not given:
        for pointer in pointers:
            relative = _inside(pointer.record.path) or PurePosixPath()
            chosen.setdefault(
                pointer.record.path, Wanted(pointer, out_dir.joinpath(*relative.parts))
            )
    for name in given:
        parts = PurePosixPath(name.replace(os.sep, "/").strip("/")).parts
        matched = [
            (pointer, tail)
            for pointer in pointers
            if (tail := _tail_after(PurePosixPath(pointer.record.path).parts, parts)) is not None
        ]
        if not matched:
            listed = ", ".join(pointer.record.path for pointer in pointers[:5])
            more = f" and {len(pointers) - 5} more" if len(pointers) > 5 else ""
            one = "artifact or input" if include_inputs else "artifact"
            raise UserError(
                f"run {ids.short_id(run.id)} has no {one} at {name} (it has: {listed}{more})"
            )
        for pointer, tail in matched:
            chosen.setdefault(pointer.record.path, Wanted(pointer, out_dir.joinpath(*tail)))
    destinations: dict[Path, str] = {}
    for wanted in chosen.values():
        other = destinations.setdefault(wanted.destination, wanted.pointer.record.path)
        if other != wanted.pointer.record.path:
            raise UserError(
                f"{other} and {wanted.pointer.record.path} would both be written to "
                f"{wanted.destination}: name the one you want by its full recorded path"
            )
    planned = sorted(chosen.values(), key=lambda wanted: wanted.pointer.record.path)
    _refuse_links_out(out_dir, planned)
    return planned


def _tail_after(path: tuple[str, ...], name: tuple[str, ...]) -> tuple[str, ...] | None:
    """The parts from ``name``'s last part on, where ``name`` matches ``path``'s parts."""
    if not name:
        return path
    size = len(name)
    for start in range(len(path) - size + 1):
        if path[start : start + size] == name:
            return path[start + size - 1 :]
    return None


def get_files(
    repo: git.Repo,
    store: ObjectStore,
    wanted: Sequence[Wanted],
    force: bool = False,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> GetReport:
    """Download, check and place each wanted file; nothing is downloaded when any would
    replace a different file without ``force``, or when the store lacks any of them."""
    progress = progress or NoProgress()
    started = time.monotonic()
    report = GetReport(store.shown)
    jobs = min(jobs, LOCAL_JOBS) if store.local else jobs
    todo: list[Wanted] = []
    conflicts: list[str] = []
    with _LazyHashCache(repo) as cache:
        for item in wanted:
            state = _local_state(item, cache)
            if state == "same":
                report.unchanged.append(os.fspath(item.destination))
                continue
            if state == "different" and not force:
                conflicts.append(os.fspath(item.destination))
            todo.append(item)
    if conflicts:
        more = f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
        raise UserError(
            f"{', '.join(conflicts[:3])}{more} already exist{'s' * (len(conflicts) == 1)} with "
            "other content: nothing was written; pass --force to replace"
        )
    shas = sorted({item.pointer.sha256 for item in todo})
    sizes = stored_sizes(store, shas, jobs)
    absent = [item.pointer.record.path for item in todo if sizes[item.pointer.sha256] is None]
    if absent:
        more = f" and {len(absent) - 3} more" if len(absent) > 3 else ""
        run_id = todo[0].pointer.run_id
        raise StoreError(
            f"the store {store.shown} does not have {', '.join(absent[:3])}{more}: push it "
            f"with 'runledger store push {ids.short_id(run_id)}' where the file is"
        )
    corrupt: list[str] = []
    lock = threading.Lock()

    def fetch(item: Wanted) -> None:
        record = item.pointer.record
        try:
            store.download(item.pointer.sha256, record.size, item.destination, progress.advance)
        except CorruptObjectError as error:
            with lock:
                corrupt.append(str(error))
            return
        with lock:
            report.written.append(os.fspath(item.destination))
            report.bytes += record.size

    def fetch_small(items: Sequence[Wanted]) -> None:
        at_once = min(jobs, UPLOAD_MEMORY // SMALL_OBJECT)  # each is held whole until written
        requests = [
            (item.pointer.sha256, item.pointer.record.size, item.destination) for item in items
        ]
        for item, refused in zip(
            items, store.download_small(requests, progress.advance, at_once), strict=True
        ):
            if refused is not None:
                corrupt.append(str(refused))
            else:
                report.written.append(os.fspath(item.destination))
                report.bytes += item.pointer.record.size

    together = store.moves_small_together
    small = [item for item in todo if together and 0 < item.pointer.record.size <= SMALL_OBJECT]
    streamed = [
        item for item in todo if not (together and 0 < item.pointer.record.size <= SMALL_OBJECT)
    ]
    progress.start("downloading", sum(item.pointer.record.size for item in todo), len(todo))
    try:
        if small:
            fetch_small(small)
        _parallel(jobs, streamed, fetch)
    finally:
        progress.stop()
    report.seconds = time.monotonic() - started
    report.written.sort()
    if corrupt:
        extra = f" ({len(corrupt) - 1} more objects too)" if len(corrupt) > 1 else ""
        raise CorruptObjectError(corrupt[0] + extra)
    return report


def _local_state(item: Wanted, cache: _LazyHashCache) -> Literal["absent", "same", "different"]:
    try:
        st = os.stat(item.destination)
    except FileNotFoundError:
        return "absent"
    except NotADirectoryError:
        return "different"
    if not os.path.isfile(item.destination) or st.st_size != item.pointer.record.size:
        return "different"
    return "same" if cache.hash_file(item.destination, st) == item.pointer.sha256 else "different"


# --- presence ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    """How many of a run's artifacts have their object in the store."""

    stored: int
    total: int

    @property
    def label(self) -> str:
        if self.total == 0:
            return "no artifacts"
        if self.stored == self.total:
            return "stored"
        if self.stored == 0:
            return "not stored"
        return f"{self.stored}/{self.total} stored"


def presence(
    store: ObjectStore, runs: Sequence[Run], include_inputs: bool = False, jobs: int = DEFAULT_JOBS
) -> dict[str, Presence]:
    """Each run's count of stored artifacts (what push uploads; with ``include_inputs``, its
    inputs too), asking the store once per distinct object."""
    by_run = {run.id: pointers_of(run, include_inputs) for run in runs}
    shas = [pointer.sha256 for found in by_run.values() for pointer in found]
    there = {sha: size is not None for sha, size in stored_sizes(store, shas, jobs).items()}
    return {
        run_id: Presence(sum(1 for pointer in found if there[pointer.sha256]), len(found))
        for run_id, found in by_run.items()
    }


def object_presence(
    store: ObjectStore, shas: Sequence[str], jobs: int = DEFAULT_JOBS
) -> dict[str, bool]:
    return {sha: size is not None for sha, size in stored_sizes(store, shas, jobs).items()}


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


# --- inputs for a reproduction -----------------------------------------------------------------


def fetchable_inputs(
    repo: git.Repo, records: Sequence[FileRecord], worktree: Path
) -> tuple[list[FileRecord], str | None, str | None]:
    """The recorded inputs a reproduction must take from the store: files the commit does
    not hold, missing or changed in the user's work tree, whose object the store has.

    Returns (records, the store as shown, a warning); no store configured is no warning.
    """
    from runledger.recording.capture.files import verify
    from runledger.store import artifacts

    candidates = [
        record
        for record in records
        if record.kind == "file"
        and record.sha256 is not None
        and not os.path.isabs(record.path)
        and _inside(record.path) is not None
        and not _in_git_dir(record.path)
        and not os.path.lexists(worktree / record.path)
    ]
    if not candidates or artifacts.configured_url(repo) is None:
        return [], None, None
    with HashCache(cache_path_for(repo.common_dir)) as cache:
        verdicts = verify(candidates, repo.root, cache)
    wanted = [record for record, verdict in verdicts if verdict != "same"]
    if not wanted:
        return [], None, None
    try:
        store = artifacts.open_configured(repo)
        there = object_presence(store, [record.sha256 or "" for record in wanted])
    except UserError as error:
        return [], None, f"not fetched from the store: {error}"
    return [record for record in wanted if there[record.sha256 or ""]], store.shown, None


def fetch_inputs(repo: git.Repo, records: Sequence[FileRecord], worktree: Path) -> GetReport:
    """Download recorded inputs into a reproduction's work tree, each sha256-checked."""
    from runledger.store import artifacts

    store = artifacts.open_configured(repo)
    wanted = [
        Wanted(Pointer("", "input", record), worktree.joinpath(*PurePosixPath(record.path).parts))
        for record in records
    ]
    _refuse_links_out(worktree, wanted)  # a link the recorded commit holds
    return get_files(repo, store, wanted, force=False)
