"""The journal of a run in progress: a run is never silently lost (issue 8).

``runledger exec`` keeps a small folder per run under
``<git-common-dir>/runledger/in-progress/<run-id>/`` while the command runs:

- ``journal.json``: what is known of the run (id, host, runledger's pid and the command's, the
  code commit, the masked command...), rewritten atomically (temp file + ``os.replace``) when
  something changes; its modification time is the heartbeat, touched about every half second.
  Once the command has ended, its result (status, exit code, times) is stored here *before*
  runledger tries to record the run.
- ``metrics.jsonl``: the metrics file the command appends to (``RUNLEDGER_METRICS_FILE``).
- ``output.*.log``: the output, secrets masked, size-capped: the first segment is kept, then
  numbered segments keep the latest output, the oldest removed when a third one starts (at
  most ``3 * SEGMENT_BYTES`` on disk).
- ``record/``: the run's files, when recording them into git failed.

A run that is recorded removes its folder. Any other runledger command starts by looking at
this folder (one ``os.scandir``, ``store.gitdir.anything_in_progress``, which imports nothing of
this module): a journal whose runledger process has died on this host, or that its runledger
handed over after failing to record it, is recorded by :mod:`runledger.recording.recovery`
through the normal write path. This module stays light: it is on exec's path before the
command starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from runledger.store.gitdir import in_progress_path

if TYPE_CHECKING:
    from runledger.redact import Redactor

JOURNAL_FILE: Final = "journal.json"
# Space set aside when the run starts and given back if the disk fills up meanwhile, so the
# run's final facts can still be saved (journal.json is a few KiB; its atomic rewrite needs
# room for a second copy).
RESERVE_FILE: Final = "reserve"
RESERVE_BYTES: Final = 128 * 1024
METRICS_FILE: Final = "metrics.jsonl"
RECORD_DIR: Final = "record"
HEAD_LOG: Final = "output.head.log"
TAIL_LOG: Final = "output.tail.{:06d}.log"
JOURNAL_VERSION: Final = 1
SEGMENT_BYTES: Final = 512 * 1024
# What one tick masks at most: when output floods faster, the middle is dropped (marked), so a
# tick never stalls the pass-through for long.
PENDING_BYTES: Final = 128 * 1024
# A folder with no journal file is a runledger between mkdir and its first write (microseconds),
# or debris of an old version; only the latter is old.
ORPHAN_AGE_S: Final = 24 * 3600
STAGING_PREFIX: Final = ".new-"


def host_name() -> str:
    """This machine's name, as ``socket.gethostname()`` gives it (both are uname's node name),
    without importing socket: this module is on exec's path before the command starts."""
    return os.uname().nodename


def in_progress_dir(common_dir: Path) -> Path:
    return Path(in_progress_path(str(common_dir)))


# --- processes ------------------------------------------------------------------------------


def process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux), or None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rpartition(b")")[2].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def process_alive(pid: int | None, start: int | None) -> bool:
    """Whether ``pid`` still runs and is the process that started at ``start``.

    A zombie is dead (nobody may ever reap it in a container); a pid reused by another
    process is dead.
    """
    if not pid or pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rpartition(b")")[2].split()
    except FileNotFoundError:
        return False
    except OSError:
        fields = []
    if fields:
        if fields[0] in (b"Z", b"X", b"x"):
            return False
        with contextlib.suppress(IndexError, ValueError):
            if start is not None and int(fields[19]) != start:
                return False
        return True
    try:  # no /proc (macOS): signal 0 asks whether the pid exists
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- files ----------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old content or the new, never half."""
    # A unique name made here rather than by tempfile, whose import (with random) costs exec
    # more before the command starts than the write itself; the same mode as mkstemp's.
    tmp = path.parent / f".{path.name}.{os.getpid()}-{os.urandom(6).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_journal(folder: Path) -> dict[str, Any] | None:
    """The journal in ``folder``, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / JOURNAL_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("id"), str) else None


class Journal:
    """The in-progress folder of one run, written by the runledger that runs it.

    Every method is best effort: a journal that cannot be written (full disk) must never stop
    the command or change its exit code.
    """

    def __init__(self, folder: Path, facts: dict[str, Any]) -> None:
        self.folder = folder
        self.facts = facts
        self._redactor: Redactor | None = None
        self._pending_head = bytearray()
        self._pending = bytearray()
        self._omitted = 0
        self._segment = HEAD_LOG
        self._segment_size = 0
        self._tail_number = 0
        self.write_error: str | None = None

    @classmethod
    def begin(
        cls,
        folder: Path,
        run_id: str,
        *,
        commit: str | None,
        branch: str | None,
        cwd: str,
        redactor: Redactor,
        facts: Mapping[str, Any],
    ) -> Journal:
        """Create the folder, journal inside, before the command starts.

        ``facts`` (the command, name, tags...) must be masked already; ``redactor`` masks the
        output the journal keeps. The folder appears whole (built under a temporary name, then
        renamed), so a folder named after a run always has its journal.
        """
        pid = os.getpid()
        staging = folder.with_name(f"{STAGING_PREFIX}{folder.name}-{pid}")
        staging.mkdir(parents=True, exist_ok=True)
        journal = cls(
            staging,
            {
                "version": JOURNAL_VERSION,
                "id": run_id,
                "host": host_name(),
                "pid": pid,
                "pid_start": process_start(pid),
                "child_pid": None,
                "child_start": None,
                "started_at": time.time(),
                "commit": commit,
                "branch": branch,
                "cwd": cwd,
                "final": None,
                "handed_over": False,
                **facts,
            },
        )
        journal._redactor = redactor
        (staging / METRICS_FILE).touch()
        try:
            with open(staging / RESERVE_FILE, "wb") as reserve:
                reserve.write(bytes(RESERVE_BYTES))
        except OSError as exc:
            journal.write_error = str(exc)
        journal.save()
        if journal.write_error is not None:
            shutil.rmtree(staging, ignore_errors=True)
            raise OSError(journal.write_error)
        os.replace(staging, folder)
        journal.folder = folder
        return journal

    @property
    def metrics_file(self) -> Path:
        return self.folder / METRICS_FILE

    def save(self) -> None:
        try:
            data = json.dumps(self.facts, ensure_ascii=True, allow_nan=True, default=str)
        except (TypeError, ValueError) as exc:
            self.write_error = str(exc)
            return
        try:
            write_atomic(self.folder / JOURNAL_FILE, data.encode())
        except OSError as exc:
            # The disk filled up while the command ran: give back the space kept for this
            # moment, so the run's result is saved and recovery records its real status
            # rather than "runledger was killed" (issue #17).
            if not self._release_reserve():
                self.write_error = str(exc)
                return
            try:
                write_atomic(self.folder / JOURNAL_FILE, data.encode())
            except OSError as again:
                self.write_error = str(again)

    def _release_reserve(self) -> bool:
        try:
            os.unlink(self.folder / RESERVE_FILE)
        except OSError:
            return False
        return True

    def started(self, child_pid: int, started_at: float) -> None:
        """The command runs: record its pid, so that recovery waits while it runs."""
        self.facts["child_pid"] = child_pid
        self.facts["child_start"] = process_start(child_pid)
        self.facts["started_at"] = started_at
        self.save()

    def feed(self, data: bytes) -> None:
        """Output as it passes through; cheap: it is only queued for the next tick.

        What waits is bounded: when output floods faster than ticks write it, the first and
        the last ``PENDING_BYTES / 2`` since the last tick are kept, the middle is dropped.
        """
        room = PENDING_BYTES // 2 - len(self._pending_head)
        if room > 0 and not self._omitted and not self._pending:
            self._pending_head += data[:room]
            data = data[room:]
        self._pending += data
        if len(self._pending) > PENDING_BYTES // 2:
            drop = len(self._pending) - PENDING_BYTES // 2
            del self._pending[:drop]
            self._omitted += drop

    def tick(self) -> None:
        """About every half second: write the queued output (masked) and touch the heartbeat."""
        self.flush_output(final=False)
        with contextlib.suppress(OSError):
            os.utime(self.folder / JOURNAL_FILE)

    def flush_output(self, *, final: bool) -> None:
        if self._redactor is None:
            return
        from runledger.redact import safe_start, stream_cut

        if self._omitted:
            # A gap: the head goes out whole, then a marker, then the tail from its first
            # full line on.
            head, tail = self._pending_head, self._pending
            end = stream_cut(head) or len(head)
            start = safe_start(tail, 0, len(tail))
            omitted = len(head) - end + self._omitted + start
            marker = f"[runledger: {omitted} bytes of output omitted here]\n"
            self._pending = tail[start:]
            kept = bytes(head[:end])
            chunk = kept + (b"" if kept.endswith(b"\n") or not kept else b"\n") + marker.encode()
            self._pending_head = bytearray()
            self._omitted = 0
        else:
            chunk = b""
            self._pending = self._pending_head + self._pending
            self._pending_head = bytearray()
        pending = self._pending
        # Up to the last line end, but never into a private key block that has not ended:
        # it goes out whole with a later batch, so it is masked whole (issue #17).
        end = len(pending) if final else stream_cut(pending)
        if end == 0 and len(pending) >= PENDING_BYTES // 2:  # one endless line
            end = len(pending)
        chunk += bytes(pending[:end])
        del pending[:end]
        if chunk:
            self._append(self._redactor.mask_bytes(chunk))

    def _append(self, data: bytes) -> None:
        try:
            if self._segment_size >= SEGMENT_BYTES:  # the head is kept; two tails at most
                self._tail_number += 1
                self._segment = TAIL_LOG.format(self._tail_number)
                self._segment_size = 0
                if self._tail_number > 2:
                    (self.folder / TAIL_LOG.format(self._tail_number - 2)).unlink(missing_ok=True)
            with open(self.folder / self._segment, "ab") as handle:
                handle.write(data)
            self._segment_size += len(data)
        except OSError as exc:
            self.write_error = str(exc)

    def finish(self, final: Mapping[str, Any]) -> None:
        """The command has ended: store its result before runledger tries to record it."""
        self.flush_output(final=True)
        self.facts["final"] = dict(final)
        self.save()

    def hand_over(self, files: Mapping[str, bytes], error: str) -> str | None:
        """Recording failed: keep the run for the next runledger command to record.

        Returns what was kept: ``"run"`` (the run's own files), ``"journal"`` (what the journal
        knows: result, metrics, part of the output), or None when nothing could be written.
        """
        self.facts["handed_over"] = True
        self.facts["record_error"] = error
        kept: str | None = "run" if files else "journal"
        staging = self.folder / (RECORD_DIR + ".tmp")
        if files:
            try:
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir()
                for name, content in files.items():
                    (staging / name).write_bytes(content)
                os.replace(staging, self.folder / RECORD_DIR)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
                kept = "journal"
        self.write_error = None  # only whether the journal itself is saved matters now
        self.save()
        return kept if self.write_error is None else None

    def close(self) -> None:
        """The run is recorded: the journal has done its job."""
        remove_folder(self.folder)


def remove_folder(folder: Path) -> None:
    """Remove a journal folder, its journal last: a runledger killed halfway leaves a journal
    that recovery finds recorded already and removes, never a folder nobody can explain."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name != JOURNAL_FILE:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
    with contextlib.suppress(OSError):
        os.unlink(folder / JOURNAL_FILE)
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """While the run is written: the first SIGINT, SIGTERM or SIGHUP waits for the write to end.

    A scheduler stopping a job signals runledger and its command together; the command ends
    and the record is written in a moment. A second signal stops runledger at once (the
    journal keeps the run for the next command).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous: dict[int, Any] = {}
    received: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        if received:  # asked twice: stop now, as if unshielded
            signal.signal(signum, previous[signum])
            os.kill(os.getpid(), signum)
            return
        received.append(signum)

    for signum in signals:
        previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


# --- the reader (every command) -------------------------------------------------------------


def log_segments(folder: Path) -> list[Path]:
    """The journal's output segments that exist, in the order they were written."""
    tails = sorted(folder.glob("output.tail.*.log"))
    head = [folder / HEAD_LOG] if (folder / HEAD_LOG).exists() else []
    return head + tails


def read_log(folder: Path, chunk_bytes: int = 1024 * 1024) -> Iterator[bytes]:
    """The journal's copy of the output, in chunks, with a marker where segments were dropped."""
    segments = log_segments(folder)
    for index, path in enumerate(segments):
        first_tail = path.name != HEAD_LOG and (index == 0 or segments[index - 1].name == HEAD_LOG)
        if first_tail and path.name != TAIL_LOG.format(1):
            yield b"\n[runledger: output omitted here]\n"
        with open(path, "rb") as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk


def needs_recovery(journal: Mapping[str, Any], host: str) -> bool:
    """Whether the run of ``journal`` is abandoned: nobody else will ever record it."""
    if journal.get("handed_over") is True:
        return True
    if journal.get("host") != host:
        return False  # another machine sharing this git directory: its pids mean nothing here
    pid = journal.get("pid")
    start = journal.get("pid_start")
    return not process_alive(
        pid if isinstance(pid, int) else None, start if isinstance(start, int) else None
    )


def abandoned(common_dir: Path) -> list[Path]:
    """Folders of runs to recover; one ``os.scandir`` when there is nothing to do."""
    try:
        entries = list(os.scandir(in_progress_dir(common_dir)))
    except OSError:
        return []
    if not entries:
        return []
    host = host_name()
    found = []
    for entry in entries:
        folder = Path(entry.path)
        if entry.name.startswith(STAGING_PREFIX):
            _remove_if_abandoned_staging(folder)
            continue
        journal = read_journal(folder)
        if journal is None:
            _remove_if_orphaned(folder)
        elif needs_recovery(journal, host):
            found.append(folder)
    return found


def _remove_if_abandoned_staging(folder: Path) -> None:
    """A journal folder its runledger was killed while making: the command never started."""
    pid = folder.name.rpartition("-")[2]
    if pid.isdigit() and not process_alive(int(pid), None):
        shutil.rmtree(folder, ignore_errors=True)


def _remove_if_orphaned(folder: Path) -> None:
    with contextlib.suppress(OSError):
        if time.time() - folder.stat().st_mtime > ORPHAN_AGE_S:
            shutil.rmtree(folder, ignore_errors=True)
