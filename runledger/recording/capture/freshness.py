"""Whether a file was written since the run started, judged by its modification time.

A filesystem with coarse timestamps (FAT's 2 s, HFS+'s and some network mounts' 1 s) may date
a file written just after the start up to that much early, so a whole-second time gets that
slack. A time with a fraction of a second comes from a filesystem that keeps fine timestamps
(ext4, xfs, btrfs, tmpfs, APFS): there a 2 s slack would take a file that the previous run
wrote in its last moments for this run's (two runs in a row, the second started within 2 s of
the first's last write, recorded the first's TensorBoard scalars). Its only error is the
kernel's coarse clock, a tick behind the one ``time.time()`` reads (10 ms at HZ=100, the
coarsest): the slack is two such ticks. More would take a checkpoint that the previous run
wrote as it ended for this run's output, when runs follow each other closely (a sweep, a
script of runs).
"""

from __future__ import annotations

from typing import Final

COARSE_SLACK_S: Final = 2.0
FINE_SLACK_S: Final = 0.02
_NS_PER_S: Final = 1_000_000_000


def written_since(mtime_ns: int, started_after: float) -> bool:
    """Whether a file modified at ``mtime_ns`` (``st_mtime_ns``) may have been written at or
    after ``started_after`` (epoch seconds)."""
    slack = FINE_SLACK_S if mtime_ns % _NS_PER_S else COARSE_SLACK_S
    return mtime_ns / _NS_PER_S >= started_after - slack
