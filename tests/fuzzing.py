"""How hard the property tests search: each test's own example count, raised by a knob.

``RUNLEDGER_FUZZ_EXAMPLES=N`` makes every property test run at least N examples (the nightly
workflow runs ten times the usual count); CI's seed changes every day and is printed in the
test header, so a failure found in CI can be replayed with ``--hypothesis-seed``.
"""

from __future__ import annotations

import os


def examples(default: int) -> int:
    """``default`` examples, or the knob's count when that is larger."""
    try:
        knob = int(os.environ.get("RUNLEDGER_FUZZ_EXAMPLES", "0"))
    except ValueError:
        knob = 0
    return max(default, knob)
