"""``runledger compare``: choose the runs, build the comparison, print it in one format."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import typer

from runledger.analysis.compare import Comparison, build, to_csv, to_json_text, to_markdown
from runledger.cli.options import (
    SORT_HELP,
    WHERE_HELP,
)
from runledger.errors import UserError
from runledger.model.row import RunRow
from runledger.query.select import RowFilter, parse_sort, row_filter
from runledger.store import git
from runledger.store.ledger import Ledger

Format = Literal["table", "csv", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("table", "csv", "json", "markdown")


def parse_format(text: str) -> Format:
    for fmt in FORMATS:
        if text == fmt:
            return fmt
    raise UserError(f"unknown --format {text!r}: use one of {', '.join(FORMATS)}")


def choose_runs(ledger: Ledger, specs: Sequence[str], keep: RowFilter | None) -> list[RunRow]:
    """The runs named (in the order given, each once), or every run newest first; filtered.

    Rows from the index's columns: no run's record is read."""
    ids: list[str] | None = None
    if specs:
        ids = list(dict.fromkeys(ledger.resolve(spec).id for spec in specs))
    rows = ledger.rows(keep.sql if keep else None, keep.keep if keep else None, ids=ids)
    if ids is not None:
        by_id = {row.id: row for row in rows}
        rows = [by_id[run_id] for run_id in ids if run_id in by_id]
    return rows


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
    keep = row_filter(where)
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
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="Mark the best run by this metric and order by it, best first.",
            metavar="NAME",
        ),
    ] = None,
    maximize: Annotated[
        bool | None,
        typer.Option(
            "--maximize/--minimize",
            help="Whether higher or lower --metric is better (default: lower for names like "
            "loss, error, mse, mae, rmse, perplexity, time; higher otherwise).",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[str | None, typer.Option("--sort", help=SORT_HELP, metavar="KEY")] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="table, csv, json or markdown.", metavar="FORMAT"),
    ] = "table",
    all_columns: Annotated[
        bool,
        typer.Option("--all-columns", help="Show params that are the same in every run too."),
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=0, help="Show at most N runs.")
    ] = None,
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
