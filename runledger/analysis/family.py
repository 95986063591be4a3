"""Parents and children: a search's trials (or a multirun's jobs) are child runs of one run.

A child carries ``parent`` (its parent's run id) and ``sweep`` (an id every trial of the
same search shares: the id of the search's first parent run, so a resumed or joined search
that wrote more parents still gathers under one id). The parent carries ``sweep`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from runledger.errors import UserError
from runledger.model.record import is_child_of
from runledger.store.ledger import Ledger


class Member(Protocol):
    """What a run or a listing row tells of its family."""

    @property
    def id(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def sweep(self) -> str | None: ...
    @property
    def commit(self) -> str: ...


M = TypeVar("M", bound=Member)


def sweep_id(ledger: Ledger, spec: str, runs: Sequence[Member] | None = None) -> str:
    """The sweep id that ``spec`` names: a sweep id (or a unique prefix of one), or a parent
    RUN (a run id, prefix or tag) whose children form a sweep."""
    runs = ledger.rows() if runs is None else runs
    wanted = spec.strip().lower()
    sweeps = {run.sweep for run in runs if run.sweep}
    if wanted in sweeps:
        return wanted
    matching = sorted(found for found in sweeps if len(wanted) >= 4 and found.startswith(wanted))
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1:
        raise UserError(f"sweep {spec!r} is ambiguous: it matches {len(matching)} sweeps")
    run_id = ledger.resolve(spec).id
    by_id = {run.id: run for run in runs}
    found = by_id.get(run_id)
    if found is not None and found.sweep:
        return found.sweep
    if any(run.parent == run_id for run in runs):
        return run_id
    raise UserError(
        f"run {run_id[:8]} has no child runs: pass a sweep id or the parent run of a search"
    )


def sweep_children(ledger: Ledger, spec: str, runs: Sequence[M]) -> list[M]:
    """The child runs (trials, jobs) of the sweep or parent run that ``spec`` names."""
    wanted = sweep_id(ledger, spec, runs)
    by_id = {run.id: run for run in runs}

    def belongs(run: M) -> bool:
        if run.parent is None:
            return False
        # A pulled record may name any run as its parent: a child runs its parent's commit.
        parent = by_id.get(run.parent)
        if parent is not None and not is_child_of(run.commit, parent.commit):
            return False
        return run.sweep == wanted or run.parent == wanted

    return [run for run in runs if belongs(run)]
