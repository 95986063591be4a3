"""``runledger show``: one run, everything recorded."""

from __future__ import annotations

from pathlib import Path

from runledger import git
from runledger.ledger import Ledger
from runledger.record import RUN_FILE, Run, link_reproductions


def read_run(cwd: Path, spec: str) -> Run:
    """The run in full, with the later runs that reproduced it."""
    ledger = Ledger(git.discover(cwd))
    run = ledger.read(spec)
    return link_reproductions(_naming(ledger, run.id), [run])[0]


def _naming(ledger: Ledger, run_id: str) -> list[Run]:
    """The runs whose run.toml mentions ``run_id``: only those few are parsed."""
    needle = run_id.encode()
    refs = [
        ref
        for ref, content in ledger.read_each(ledger.run_refs(), RUN_FILE)
        if ref.id != run_id and content is not None and needle in content
    ]
    return ledger.summaries(refs)
