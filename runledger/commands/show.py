"""``runledger show``: one run, everything recorded."""

from __future__ import annotations

from pathlib import Path

from runledger import git
from runledger.ledger import Ledger
from runledger.record import Run


def read_run(cwd: Path, spec: str) -> Run:
    return Ledger(git.discover(cwd)).read(spec)
