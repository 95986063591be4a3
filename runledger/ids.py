"""Run ids: unique across machines, time-ordered, and addressable by a short prefix.

An id is 16 characters of lowercase Crockford base32: 6 for the start time (seconds since
2020-01-01 UTC, good until 2054) and 10 random ones (50 bits). Sorting ids sorts runs by start
second, and two runs started in the same second on different machines still differ.
"""

from __future__ import annotations

import os
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
EPOCH = 1_577_836_800  # 2020-01-01T00:00:00Z
TIME_CHARS = 6
RANDOM_CHARS = 10
ID_LENGTH = TIME_CHARS + RANDOM_CHARS
SHORT_LENGTH = 10
_VALID = frozenset(ALPHABET)


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def new_run_id(now: float | None = None) -> str:
    seconds = max(0, int((time.time() if now is None else now) - EPOCH))
    # os.urandom rather than secrets: the same kernel randomness, without importing secrets
    # (and random, hmac, base64) on exec's start-up path.
    random_bits = int.from_bytes(os.urandom(8), "big") >> (64 - 5 * RANDOM_CHARS)
    return _encode(seconds, TIME_CHARS) + _encode(random_bits, RANDOM_CHARS)


def is_run_id_prefix(text: str) -> bool:
    """Whether ``text`` could be (the start of) a run id."""
    return 0 < len(text) <= ID_LENGTH and set(text) <= _VALID


def is_run_id(text: str) -> bool:
    """Whether ``text`` is a whole run id (a ref named otherwise is not a run)."""
    return len(text) == ID_LENGTH and set(text) <= _VALID


def short_id(run_id: str) -> str:
    return run_id[:SHORT_LENGTH]


def started(run_id: str) -> int:
    """The start second (epoch) an id encodes; 0 for text that is not an id."""
    seconds = 0
    for char in run_id[:TIME_CHARS].lower():
        if char not in _VALID:
            return 0
        seconds = seconds * 32 + ALPHABET.index(char)
    return EPOCH + seconds


def time_prefix(epoch_seconds: float) -> str:
    """The first characters of every id started at ``epoch_seconds``: ids sort by it."""
    return _encode(max(0, int(epoch_seconds - EPOCH)), TIME_CHARS)
