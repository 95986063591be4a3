"""``runledger diff``: read the two runs in full and say what changed between them."""

from __future__ import annotations

from pathlib import Path

from runledger.analysis.diff import RunDiff, diff_runs
from runledger.store import git
from runledger.store.ledger import Ledger


def diff_two(cwd: Path, spec_a: str, spec_b: str, *, patch: bool = False) -> RunDiff:
    repo = git.discover(cwd)
    ledger = Ledger(repo)
    return diff_runs(repo, ledger.read(spec_a), ledger.read(spec_b), patch=patch)
