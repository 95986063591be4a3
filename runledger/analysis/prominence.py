"""Which of a run's metrics a person quotes first, guessed from their names.

A program prints its per-batch loss, learning rate and timings beside the few numbers its
author reports (word_language_model's ``| End of training | test loss 5.52 | test ppl
250.5``, imagenet's `` * Acc@1 69.8``): ``show``, ``compare`` and ``ls`` put those first,
results on held-out data (test, then validation) before training results, and settings,
counters and timings (``lr``, ``ms/batch``, ``batch_time``, ``time_s``) last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from runledger.analysis.direction import NAMES_REMEMBERED, TIME_UNITS, metric_direction

# The splits a result is quoted on, most final first: a name holding one of these words
# (test_loss, val_acc1, eval/accuracy, valid_ppl) is a held-out result.
HELD_OUT_RANK = {
    "test": 0,
    "testing": 0,
    "holdout": 0,
    "val": 1,
    "valid": 1,
    "validation": 1,
    "eval": 1,
    "evaluation": 1,
    "dev": 1,
}
# Words that make a metric a measure of time taken, not of the model (batch_time, data_time,
# eval_runtime, elapsed): reported beside results, never quoted as one.
TIMING_WORDS = frozenset({"time", "duration", "runtime", "elapsed", "wall"})
_WORDS = re.compile(r"[a-z]+|\d+")
_TIERS = 3


@lru_cache(maxsize=NAMES_REMEMBERED)
def metric_prominence(name: str) -> int:
    """0 for a result on test data, 1 on validation data, 2 for another result (a training
    loss or accuracy), 3 for a timing, a counter or a setting: lower is shown first."""
    if metric_direction(name) == "none" or is_timing(name):
        return _TIERS
    ranks = [HELD_OUT_RANK[word] for word in _WORDS.findall(name.lower()) if word in HELD_OUT_RANK]
    return min(ranks) if ranks else 2


def is_timing(name: str) -> bool:
    """Whether ``name`` measures time taken: ``ms/batch``, ``batch_time``, ``time_s``."""
    lowered = name.lower()
    parts = lowered.split("/")
    if len(parts) >= 2 and (parts[-1] in TIME_UNITS or parts[-2] in TIME_UNITS):
        return True
    return any(word in TIMING_WORDS for word in _WORDS.findall(lowered))


def by_prominence(names: list[str]) -> list[str]:
    """``names`` ordered as a person quotes them, by name within a tier."""
    return sorted(names, key=lambda name: (metric_prominence(name), name))


def quoted_order(counts: Mapping[str, int]) -> list[str]:
    """The metrics of several runs (``counts``: how many runs hold each) as a person quotes
    them: among those at least half the runs hold, test results, validation results, other
    results, most shared first within each; then those fewer runs hold (another program's),
    the same way; timings, counters and settings last; ties in the order of ``counts``. A
    run that failed before its test loss keeps ``test_loss`` first; one run's metric of
    another kind does not take its place."""
    most = max(counts.values(), default=0)

    def key(name: str) -> tuple[bool, bool, int, int]:
        tier = metric_prominence(name)
        return tier == _TIERS, 2 * counts[name] < most, tier, -counts[name]

    return sorted(counts, key=key)
