"""Run a module or code as ``python -m``/``-c`` would, then write this process's peak memory.

Usage: ``python peak.py OUTFILE -m MODULE [ARGS...]`` or ``python peak.py OUTFILE -c CODE``.

The peak resident set a parent reads from ``wait4`` is no measure of a command started by a
benchmark: Linux carries the high-water mark across ``fork`` and ``exec``, so every child
reported at least the benchmark's own size (44 MiB where the command used 21). ``VmHWM`` in
``/proc/self/status`` belongs to the process's own address space, made anew by ``exec``: read
at exit, it is the command's own peak.
"""

from __future__ import annotations

import atexit
import runpy
import sys


def _write_peak(path: str) -> None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    kib = int(line.split()[1])
                    with open(path, "w", encoding="ascii") as out:
                        out.write(f"{kib * 1024}\n")
                    return
    except OSError:
        pass


def main() -> None:
    out, mode, target, *rest = sys.argv[1:]
    atexit.register(_write_peak, out)
    if mode == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})


if __name__ == "__main__":
    main()
