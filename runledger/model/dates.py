"""Start times that lie in the future: a pulled record may claim any date (9999-12-31).

Such a run is listed by the time its record was committed (last when that is in the future
too), not by the date it claims, so it cannot stay at the top of every listing for good;
``show`` says it is dated in the future.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

# Clocks of the machines that share a ledger may disagree by this much.
CLOCK_SKEW_S = 24 * 3600


def iso(timestamp: float) -> str:
    """``timestamp`` as the ISO 8601 text runs are dated with (UTC, milliseconds)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_clock: list[tuple[int, str, str]] = []  # (second, now, horizon), computed once a second


def _now_and_horizon(now: float | None) -> tuple[str, str]:
    if now is not None:
        return iso(now), iso(now + CLOCK_SKEW_S)
    moment = time.time()
    second = int(moment)
    if not _clock or _clock[0][0] != second:  # an index of 100,000 rows: not 200,000 formats
        _clock[:] = [(second, iso(moment), iso(moment + CLOCK_SKEW_S))]
    return _clock[0][1], _clock[0][2]


def future_horizon(now: float | None = None) -> str:
    """The time after which a start is in the future (now and any clock skew), as text that
    compares with start times."""
    return _now_and_horizon(now)[1]


def is_future(started_at: object, now: float | None = None) -> bool:
    """Whether ``started_at`` is later than now and any clock skew."""
    return isinstance(started_at, str) and started_at > _now_and_horizon(now)[1]


def listing_time(
    started_at: str | None, committed_at: float | None = None, now: float | None = None
) -> str | None:
    """The time a run is listed by: its start; for a start in the future, the time its
    record was committed (``committed_at``, Unix seconds) when that is not in the future
    too, else None (listed last). Both are the record's own, so the index, a rebuilt index
    and a listing without one order the run alike."""
    horizon = _now_and_horizon(now)[1]
    if not isinstance(started_at, str) or started_at <= horizon:
        return started_at
    if committed_at is None:
        return None
    committed = iso(committed_at)
    return committed if committed <= horizon else None
