"""``runledger compare``: choose the runs, build the comparison, print it in one format."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import typer

from runledger.analysis.compare import Comparison, build, to_csv, to_json_text, to_markdown
from runledger.cli.options import (
    AllColumnsOption,
    FormatOption,
    LimitOption,
    MaximizeOption,
    SortOption,
    WhereOption,
)
from runledger.errors import UserError
from runledger.model.record import Run
from runledger.query.select import RunFilter, parse_sort, run_filter, select
from runledger.store import git
from runledger.store.ledger import Ledger

Format = Literal["table", "csv", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("table", "csv", "json", "markdown")


def parse_format(text: str) -> Format:
    for fmt in FORMATS:
        if text == fmt:
            return fmt
    raise UserError(f"unknown --format {text!r}: use one of {', '.join(FORMATS)}")


def choose_runs(ledger: Ledger, specs: Sequence[str], keep: RunFilter | None) -> list[Run]:
    """The runs named (in the order given, each once), or every run newest first; filtered."""
    runs = ledger.runs()
    if specs:
        by_id = {run.id: run for run in runs}
        chosen: dict[str, Run] = {}
        for spec in specs:
            ref = ledger.resolve(spec)
            if ref.id in by_id:
                chosen.setdefault(ref.id, by_id[ref.id])
        runs = list(chosen.values())
    return select(runs, keep)


def compare_runs(
    cwd: Path,
    specs: Sequence[str],
    *,
    where: str | None = None,
    metric: str | None = None,
    maximize: bool | None = None,
    sort: str | None = None,
    all_columns: bool = False,
    limit: int | None = None,
) -> Comparison:
    sort_key = parse_sort(sort) if sort is not None else None
    keep = run_filter(where)
    ledger = Ledger(git.discover(cwd))
    runs = choose_runs(ledger, specs, keep)
    return build(
        runs,
        metric=metric,
        maximize=maximize,
        sort=sort_key,
        all_columns=all_columns,
        limit=limit,
    )


def print_comparison(comparison: Comparison, fmt: Format, empty: str) -> None:
    if fmt == "csv":
        sys.stdout.write(to_csv(comparison))
    elif fmt == "json":
        sys.stdout.write(to_json_text(comparison))
    elif fmt == "markdown":
        sys.stdout.write(to_markdown(comparison))
    else:
        from runledger.views.compare import render_comparison

        render_comparison(comparison, empty=empty)


def compare_command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to compare (ids, prefixes or tags); default: every run.", metavar="RUN"
        ),
    ] = None,
    where: WhereOption = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="Mark the best run by this metric and order by it, best first.",
            metavar="NAME",
        ),
    ] = None,
    maximize: MaximizeOption = None,
    sort: SortOption = None,
    fmt: FormatOption = "table",
    all_columns: AllColumnsOption = False,
    limit: LimitOption = None,
) -> None:
    """Runs side by side: the params that differ, the metrics, and which run is best."""
    output_format = parse_format(fmt)
    comparison = compare_runs(
        Path.cwd(),
        runs or [],
        where=where,
        metric=metric,
        maximize=maximize,
        sort=sort,
        all_columns=all_columns,
        limit=limit,
    )
    empty = "No runs match --where." if where else "No runs recorded yet."
    print_comparison(comparison, output_format, empty)
