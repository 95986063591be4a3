"""Spawn the wrapped command, pass its output through live, forward signals, and time it.

The command must behave exactly as if it had been started bare:
- When runledger's stdout or stderr is a terminal, the child writes to a pseudo-terminal of the
  same size (so colours, tqdm bars and line buffering behave as on the terminal), switched to raw
  output so every byte passes through unchanged. Otherwise it writes to a pipe.
- When runledger's stdout and stderr are the same terminal, file or pipe (``> log 2>&1``), the
  command gets one pty or pipe for both, so its lines keep their order exactly; otherwise two.
- stdin is inherited. On an interactive terminal the child stays in runledger's process group,
  so Ctrl-C, Ctrl-\\ and Ctrl-Z reach the command and runledger together, exactly as for a
  pipeline in a shell: runledger notes the interrupt and lets the command decide what to do.
  Otherwise (scripts, schedulers, CI) the child gets its own process group, and SIGINT,
  SIGTERM, SIGHUP and SIGQUIT sent to runledger are forwarded to that whole group, so data
  loader workers and other grandchildren get them too.
- Output is read continuously by one loop, so megabytes of output never deadlock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runledger.errors import CommandNotFoundError, UserError

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
INTERRUPT_SIGNALS = frozenset(FORWARDED_SIGNALS)
READ_SIZE = 65536
POLL_INTERVAL_S = 0.5
DRAIN_AFTER_EXIT_S = 0.3

OutputCallback = Callable[[bytes, str], None]


@dataclass(frozen=True)
class CommandResult:
    """How the command ended."""

    exit_code: int  # what runledger exits with: the command's code, or 128 + signal
    returncode: int  # the command's own exit code, or 128 + the signal that ended it
    signal: int | None  # the signal that ended the command, if one did
    received_signal: int | None  # a signal runledger received and forwarded, if any
    started_at: float  # epoch seconds
    ended_at: float
    monotonic_duration_s: float
    cpu_time_s: float | None = None  # user + system time of the command and its children
    max_rss_bytes: int | None = None  # peak resident memory of its largest process

    @property
    def interrupted(self) -> bool:
        if self.received_signal is not None:
            return True
        return self.signal is not None and self.signal in INTERRUPT_SIGNALS


class LogCapture:
    """Keeps the start and the end of the output when it exceeds ``limit`` bytes.

    Output of two streams (stdout and stderr to different places) is kept line by line in
    arrival order: a stream's unfinished line waits for its newline (or PARTIAL_LINE_LIMIT
    bytes) so that a line of the other stream never lands inside it.
    """

    PARTIAL_LINE_LIMIT = 64 * 1024

    def __init__(self, limit: int) -> None:
        self._half = max(1, limit // 2)
        self._head = bytearray()
        self._tail = bytearray()
        self._pending: dict[str, bytes] = {}
        self.total = 0

    def add(self, data: bytes, stream: str = "stdout") -> None:
        pending = self._pending.pop(stream, b"") + data
        cut = pending.rfind(b"\n") + 1
        if len(pending) - cut > self.PARTIAL_LINE_LIMIT:
            cut = len(pending)
        if cut:
            self._append(pending[:cut])
        if cut < len(pending):
            self._pending[stream] = pending[cut:]

    def _append(self, data: bytes) -> None:
        self.total += len(data)
        room = self._half - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > 2 * self._half:
                del self._tail[: len(self._tail) - self._half]

    def content(self) -> bytes:
        for stream in list(self._pending):
            self._append(self._pending.pop(stream))
        if len(self._tail) > self._half:
            del self._tail[: len(self._tail) - self._half]
        kept = len(self._head) + len(self._tail)
        if kept == self.total:
            return bytes(self._head + self._tail)
        omitted = self.total - kept
        marker = f"\n[runledger: {omitted} bytes of output omitted here]\n".encode()
        return bytes(self._head) + marker + bytes(self._tail)


def resolve_executable(program: str, env: Mapping[str, str]) -> str:
    """The path that would run for ``program``, or CommandNotFoundError naming it."""
    if os.sep in program:
        if os.path.isdir(program):
            raise CommandNotFoundError(f"cannot run {program!r}: it is a directory")
        if not os.path.exists(program):
            raise CommandNotFoundError(f"command not found: {program} (no such file)")
        if not os.access(program, os.X_OK):
            raise CommandNotFoundError(
                f"cannot run {program!r}: it is not executable (chmod +x {program})"
            )
        return program
    found = shutil.which(program, path=env.get("PATH", os.defpath))
    if found is None:
        raise CommandNotFoundError(f"command not found: {program} (is it installed and on PATH?)")
    return found


class _Sink:
    """Where one of the child's streams is passed on to."""

    def __init__(self, stream: object, fd: int) -> None:
        self._stream = stream
        self._fd = fd
        self.broken = False

    @classmethod
    def for_stream(cls, stream: object, default_fd: int) -> _Sink:
        try:
            fd = stream.fileno()  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            fd = -1
        return cls(stream, fd if fd == default_fd else -1)

    def write(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            if self._fd >= 0:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            else:  # a replaced sys.stdout (tests, notebooks): write through Python
                buffer = getattr(self._stream, "buffer", None)
                if buffer is not None:
                    buffer.write(data)
                else:
                    self._stream.write(data.decode(errors="replace"))  # type: ignore[attr-defined]
                self._stream.flush()  # type: ignore[attr-defined]
        except BrokenPipeError:
            self.broken = True
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.EBADF):
                self.broken = True
            else:
                raise


def _stream_is_tty(stream: object) -> int | None:
    """The fd of ``stream`` when it is a terminal, else None."""
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


def _same_destination(first: object, second: object) -> bool:
    """Whether two streams write to the same terminal, file or pipe (device and inode)."""
    try:
        one = os.fstat(first.fileno())  # type: ignore[attr-defined]
        other = os.fstat(second.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


def _copy_window_size(from_fd: int, to_fd: int) -> None:
    with contextlib.suppress(OSError):
        size = fcntl.ioctl(from_fd, termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        fcntl.ioctl(to_fd, termios.TIOCSWINSZ, size)


def _open_output_pty(like_fd: int) -> tuple[int, int]:
    """A pty whose slave passes bytes through unchanged and has the size of ``like_fd``."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # no "\n" -> "\r\n": bytes pass through as written
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    _copy_window_size(like_fd, slave)
    return master, slave


def _on_interactive_terminal() -> bool:
    """Whether runledger runs in the foreground of an interactive terminal."""
    try:
        fd = sys.stdin.fileno()
        return os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
    except (AttributeError, OSError, ValueError):
        return False


# Signals a terminal sends to its whole foreground process group: on a terminal the command
# received them already, so forwarding them would deliver them twice.
TERMINAL_SIGNALS = frozenset({signal.SIGINT, signal.SIGQUIT})


def run_command(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    on_output: OutputCallback,
    on_tick: Callable[[], None] | None = None,
    on_started: Callable[[int], None] | None = None,
) -> CommandResult:
    """Run ``argv`` as described in the module docstring; return how it ended.

    ``on_output(data, stream)`` sees every chunk after it was passed through. ``on_tick`` is
    called about every half second while the command runs (metrics-file polling).
    ``on_started(pid)`` runs right after the child was spawned (environment capture starts).
    """
    stdout_sink = _Sink.for_stream(sys.stdout, 1)
    stderr_sink = _Sink.for_stream(sys.stderr, 2)
    read_fds: dict[int, str] = {}  # our read end -> the stream it carries
    child_fds: list[int] = []  # the child's write ends, closed here once it is spawned
    resizable: list[tuple[int, int]] = []  # (our terminal, the child's pty master)

    def child_end(stream: object, name: str) -> int:
        """A pty like our terminal when ``stream`` is one, else a pipe; returns the write end."""
        tty = _stream_is_tty(stream)
        if tty is not None:
            read_end, write_end = _open_output_pty(tty)
            resizable.append((tty, read_end))
        else:
            read_end, write_end = os.pipe()
        read_fds[read_end] = name
        child_fds.append(write_end)
        return write_end

    stdout_target = child_end(sys.stdout, "stdout")
    if _same_destination(sys.stdout, sys.stderr):
        # One terminal or one file for both (``> log 2>&1``): one pty or pipe for both, so the
        # kernel keeps the command's own order of lines, exactly as when it runs bare.
        stderr_target = stdout_target
    else:
        stderr_target = child_end(sys.stderr, "stderr")

    interactive = _on_interactive_terminal()
    received: list[int] = []
    child_pid = 0

    def send(signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if interactive:
                os.kill(child_pid, signum)
            else:
                os.killpg(child_pid, signum)

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        if child_pid and not (interactive and signum in TERMINAL_SIGNALS):
            send(signum)

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    os.set_blocking(wake_read, False)
    previous_handlers: dict[int, Any] = {}
    previous_wakeup = -1
    in_main_thread = _in_main_thread()
    if in_main_thread:
        for signum in FORWARDED_SIGNALS:
            previous_handlers[signum] = signal.signal(signum, forward)
        previous_handlers[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda *_: None)
        if resizable:  # a resized terminal resizes the command's pty, which tells the command

            def resize(_signum: int, _frame: object) -> None:
                for ours, master in resizable:
                    _copy_window_size(ours, master)

            previous_handlers[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, resize)
        previous_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)

    started_at = time.time()
    started_monotonic = time.monotonic()
    try:
        try:
            proc = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdout=stdout_target,
                stderr=stderr_target,
                process_group=None if interactive else 0,
                close_fds=True,
            )
        except FileNotFoundError as exc:
            raise CommandNotFoundError(f"command not found: {argv[0]}") from exc
        except PermissionError as exc:
            raise CommandNotFoundError(f"cannot run {argv[0]!r}: permission denied") from exc
        except OSError as exc:
            raise CommandNotFoundError(f"cannot run {argv[0]!r}: {exc.strerror}") from exc
        except ValueError as exc:  # e.g. a NUL byte in an argument, which no program can get
            raise UserError(f"cannot run {argv[0]!r}: {exc}") from exc
        finally:
            for fd in child_fds:
                os.close(fd)
        child_pid = proc.pid
        if received:  # a signal arrived while spawning
            send(received[-1])
        if on_started is not None:
            on_started(child_pid)
        status, usage = _pump(
            proc, read_fds, wake_read, stdout_sink, stderr_sink, on_output, on_tick
        )
    finally:
        if in_main_thread:
            signal.set_wakeup_fd(previous_wakeup)
            for previous_signum, handler in previous_handlers.items():
                signal.signal(previous_signum, handler)
        for fd in (*read_fds, wake_read, wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
    ended_at = time.time()
    duration = time.monotonic() - started_monotonic

    child_signal = -status if status < 0 else None
    returncode = 128 + child_signal if child_signal is not None else status
    received_signal = received[0] if received else None
    if received_signal is not None and child_signal is None and status == 0:
        exit_code = 128 + received_signal
    else:
        exit_code = returncode
    return CommandResult(
        exit_code=exit_code,
        returncode=returncode,
        signal=child_signal,
        received_signal=received_signal,
        started_at=started_at,
        ended_at=ended_at,
        monotonic_duration_s=duration,
        cpu_time_s=round(usage.ru_utime + usage.ru_stime, 3) if usage else None,
        max_rss_bytes=_rss_bytes(usage.ru_maxrss) if usage else None,
    )


def _rss_bytes(maxrss: int) -> int:
    # getrusage reports kilobytes on Linux and bytes on macOS.
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _pump(
    proc: subprocess.Popen[bytes],
    read_fds: dict[int, str],
    wake_fd: int,
    stdout_sink: _Sink,
    stderr_sink: _Sink,
    on_output: OutputCallback,
    on_tick: Callable[[], None] | None,
) -> tuple[int, Any]:
    """Pass output through until the child has exited and its output is drained."""
    selector = selectors.DefaultSelector()
    for fd in read_fds:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    selector.register(wake_fd, selectors.EVENT_READ)
    open_fds = set(read_fds)
    sinks = {"stdout": stdout_sink, "stderr": stderr_sink}
    exit_status: int | None = None
    usage: Any = None
    exited_at = 0.0
    next_tick = time.monotonic() + POLL_INTERVAL_S
    try:
        while True:
            if exit_status is None:
                reaped = _reap(proc)
                if reaped is not None:
                    exit_status, usage = reaped
                    exited_at = time.monotonic()
            if not open_fds and exit_status is not None:
                return exit_status, usage
            if exit_status is not None and time.monotonic() - exited_at > DRAIN_AFTER_EXIT_S:
                # A background grandchild still holds the output open: stop waiting for it.
                return exit_status, usage
            timeout = max(0.0, next_tick - time.monotonic())
            if exit_status is not None:
                timeout = min(timeout, DRAIN_AFTER_EXIT_S)
            for key, _ in selector.select(timeout):
                fd = int(key.fd)
                if fd == wake_fd:
                    with contextlib.suppress(BlockingIOError, OSError):
                        while os.read(wake_fd, 512):
                            pass
                    continue
                try:
                    data = os.read(fd, READ_SIZE)
                except BlockingIOError:
                    continue
                except OSError as exc:  # EIO: every writer of the pty has gone
                    if exc.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    selector.unregister(fd)
                    open_fds.discard(fd)
                    continue
                stream = read_fds[fd]
                sinks[stream].write(data)
                on_output(data, stream)
            if on_tick is not None and time.monotonic() >= next_tick:
                next_tick = time.monotonic() + POLL_INTERVAL_S
                on_tick()
    finally:
        selector.close()


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, Any] | None:
    """The child's exit code as Popen reports it (negative: signal) and its resource usage,
    or None while it runs."""
    try:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    except ChildProcessError:
        return (proc.returncode if proc.returncode is not None else 0), None
    if pid == 0:
        return None
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    return code, usage
