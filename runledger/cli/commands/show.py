"""``runledger show``: one run, everything recorded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from runledger import ids
from runledger.cli.options import (
    JsonObjectOption,
    RunArgument,
    print_json,
)
from runledger.model.record import RUN_FILE, Run, is_child_of, link_reproductions, reruns
from runledger.store import git
from runledger.store.ledger import Ledger

CLOCK_SKEW_S = 86_400


def read_run(cwd: Path, spec: str) -> Run:
    """The run in full, with the later runs that reproduced it."""
    ledger = Ledger(git.discover(cwd))
    run = ledger.read(spec)
    claimed = [other for other in (run.reproduces, run.parent) if other]
    # one pass over the ledger's refs for both claims
    others = {other.id: other for other in ledger.runs_of(claimed)} if claimed else {}
    original = others.get(run.reproduces or "")
    if original and not reruns(run.git.commit, run.command, original.git.commit, original.command):
        run = replace(run, claim_unfounded=True)
    parent = others.get(run.parent or "")
    if parent and not is_child_of(run.git.commit, parent.git.commit):
        run = replace(run, parent_unfounded=True)
    return link_reproductions(_naming(ledger, run.id), [run])[0]


def _naming(ledger: Ledger, run_id: str) -> list[Run]:
    """Runs started after ``run_id`` whose run.toml mentions it: only those few are parsed.

    A reproduction starts after the run it reproduces, and ids begin with their start time,
    so only later ids are read (less a day, for clocks that disagree between machines):
    showing a recent run reads few records, however large the ledger.
    """
    indexed = ledger.reproductions_of(run_id)
    if indexed is not None:
        return indexed  # the run index knows what each run reproduces: no record is read
    earliest = ids.time_prefix(ids.started(run_id) - CLOCK_SKEW_S)
    later = [ref for ref in ledger.run_refs() if ref.id >= earliest and ref.id != run_id]
    needle = run_id.encode()
    refs = [
        ref
        for ref, content in ledger.read_each(later, RUN_FILE)
        if content is not None and needle in content
    ]
    return ledger.summaries(refs)


def show_command(
    run: RunArgument,
    as_json: JsonObjectOption = False,
) -> None:
    """Everything recorded for one run."""
    record = read_run(Path.cwd(), run)
    if as_json:
        print_json(_quoted_first(record.detail_json()))
        return
    from runledger.views.runs import render_run

    render_run(record)


def _quoted_first(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its metrics in the order ``show`` lists them, those a person quotes
    first, so that a reader of the JSON meets the test loss before the learning rate."""
    from runledger.analysis.prominence import by_prominence

    for key in ("metrics", "metric_summaries", "series"):
        values = data.get(key)
        if isinstance(values, dict):
            data[key] = {name: values[name] for name in by_prominence(list(values))}
    return data
