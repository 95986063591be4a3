"""``runledger compare``: choose the runs, build the comparison, print it in one format."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from runledger.analysis.compare import (
    Comparison,
    build,
    build_shown,
    judged_param,
    parse_columns,
    select_columns,
    subject_direction,
    to_csv,
    to_json_text,
    to_markdown,
)
from runledger.cli.options import (
    AllColumnsOption,
    FormatOption,
    MaximizeOption,
    SortOption,
    SweepOption,
    WhereOption,
)
from runledger.errors import UserError
from runledger.model.bulk import cycle_collection_paused
from runledger.model.row import AnyRow, RunRow, TableRow, Tabular
from runledger.query.select import CONTAINERS, RowFilter, parse_sort, row_filter
from runledger.safetext import safe
from runledger.store import git
from runledger.store.ledger import Ledger

if TYPE_CHECKING:
    from runledger.analysis.groups import Grouping

DEFAULT_ROWS = 50  # the terminal table shows this many runs unless --limit or --all

Format = Literal["table", "csv", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("table", "csv", "json", "markdown")


def parse_format(text: str) -> Format:
    for fmt in FORMATS:
        if text == fmt:
            return fmt
    raise UserError(f"unknown --format {text!r}: use one of {', '.join(FORMATS)}")


def choose_runs(
    ledger: Ledger, specs: Sequence[str], keep: RowFilter | None, sweep: str | None = None
) -> list[RunRow]:
    """The runs named (in the order given, each once), or every run newest first; filtered.
    ``sweep``: only the children (trials, jobs) of that sweep or parent run.

    Rows from the index's columns: no run's record is read."""
    ids = _named(ledger, specs)
    rows = ledger.rows(keep.sql if keep else None, keep.keep if keep else None, ids=ids)
    return _chosen(ledger, rows, ids, sweep)


def choose_table_rows(
    ledger: Ledger, specs: Sequence[str], keep: RowFilter | None, sweep: str | None = None
) -> list[Tabular]:
    """:func:`choose_runs` for a table (compare's), which reads no command, tags or note:
    those are not decoded (model/row.py TableRow)."""
    ids = _named(ledger, specs)
    rows = ledger.table_rows(keep.sql if keep else None, keep.keep if keep else None, ids=ids)
    return _chosen(ledger, rows, ids, sweep)


def _named(ledger: Ledger, specs: Sequence[str]) -> list[str] | None:
    if not specs:
        return None
    return list(dict.fromkeys(ledger.resolve(spec).id for spec in specs))


def _chosen(
    ledger: Ledger, rows: list[AnyRow], ids: list[str] | None, sweep: str | None
) -> list[AnyRow]:
    if sweep is not None:
        from runledger.analysis.family import sweep_children

        members = {row.id for row in sweep_children(ledger, sweep, ledger.rows())}
        rows = [row for row in rows if row.id in members]
    if ids is not None:
        by_id = {row.id: row for row in rows}
        rows = [by_id[run_id] for run_id in ids if run_id in by_id]
    return rows


def declared_directions(repo_root: Path) -> dict[str, str]:
    """``.runledger.toml [metrics] direction``: what the team declared better."""
    from runledger import config

    return dict(config.load(repo_root).directions)


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
    sweep: str | None = None,
    columns: Sequence[str] = (),
    shown: int | None = None,
) -> Comparison:
    """The comparison of the runs named (or all), filtered and ordered; ``shown``: only that
    many rows are printed (the terminal table), so only the first ones are read in full
    where the index can say the rest (store/overview.py)."""
    sort_key = parse_sort(sort) if sort is not None else None
    keep = row_filter(where)
    repo = git.discover(cwd)
    ledger = Ledger(repo)
    if shown is not None and not (specs or sort or all_columns or columns or sweep):
        declared = declared_directions(repo.root)
        summary = _shown(ledger, keep, shown, metric, maximize, declared)
        if summary is not None:
            return summary
    runs: Sequence[Tabular]
    with cycle_collection_paused():
        if sort_key is not None and sort_key.head not in (*TableRow._fields, *CONTAINERS):
            runs = choose_runs(ledger, specs, keep, sweep)  # --sort duration_s: a field it lacks
        else:
            runs = choose_table_rows(ledger, specs, keep, sweep)
        comparison = build(
            runs,
            metric=metric,
            maximize=maximize,
            sort=sort_key,
            all_columns=all_columns or bool(columns),
            limit=limit,
            declared=declared_directions(repo.root),
        )
    return select_columns(comparison, columns) if columns else comparison


def _shown(
    ledger: Ledger,
    keep: RowFilter | None,
    shown: int,
    metric: str | None,
    maximize: bool | None,
    declared: dict[str, str],
) -> Comparison | None:
    """The first ``shown`` runs (best or newest first) and what is said of them all, from
    the index without decoding every run; None where it cannot say it (build reads all)."""
    from runledger.analysis.direction import metric_direction

    if keep is not None and keep.sql is None:
        return None
    direction = subject_direction(metric, maximize, declared)
    ranked = metric is not None and direction in ("min", "max")

    def best_of(name: str) -> str:
        return direction if name == metric and direction else metric_direction(name, declared)

    facts = ledger.table_facts(
        shown,
        keep.sql if keep is not None else None,
        metric=metric if ranked else None,
        descending=direction == "max",
        best_of=best_of,
        judged=judged_param if ranked else None,
    )
    if facts is None:
        return None
    return build_shown(facts, metric=metric, maximize=maximize, declared=declared)


def group_compare(
    cwd: Path,
    specs: Sequence[str],
    group_by: Sequence[str],
    *,
    where: str | None = None,
    metric: str | None = None,
    maximize: bool | None = None,
    sweep: str | None = None,
) -> Grouping:
    from runledger.analysis.compare import require_metric
    from runledger.analysis.groups import group_runs

    repo = git.discover(cwd)
    runs = choose_runs(Ledger(repo), specs, row_filter(where), sweep)
    if metric is not None:
        require_metric(runs, metric)
    return group_runs(
        runs,
        group_by,
        metric=metric,
        maximize=maximize,
        declared=declared_directions(repo.root),
    )


def print_grouping(grouping: Grouping, fmt: Format) -> None:
    from runledger.analysis import groups

    # csv and markdown are read on terminals too: through the boundary, as ungrouped ones are
    if fmt == "csv":
        sys.stdout.write(safe(groups.to_csv(grouping), newlines=True))
    elif fmt == "json":
        sys.stdout.write(groups.to_json_text(grouping))
    elif fmt == "markdown":
        sys.stdout.write(safe(groups.to_markdown(grouping), newlines=True))
    else:
        from runledger.views.compare import render_grouping

        render_grouping(grouping)


def print_comparison(
    comparison: Comparison,
    fmt: Format,
    empty: str,
    *,
    transpose: bool = False,
    max_rows: int | None = None,
) -> None:
    if fmt in ("csv", "json", "markdown"):
        for caveat in comparison.caveats:
            print(f"runledger: warning: {caveat}", file=sys.stderr)
    if fmt == "csv":
        # csv and markdown are read on terminals too: through the boundary, line feeds kept
        sys.stdout.write(safe(to_csv(comparison), newlines=True))
    elif fmt == "json":
        sys.stdout.write(to_json_text(comparison))
    elif fmt == "markdown":
        sys.stdout.write(safe(to_markdown(comparison), newlines=True))
    else:
        from runledger.views.compare import render_comparison

        render_comparison(comparison, empty=empty, transpose=transpose, max_rows=max_rows)


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
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=0,
            metavar="N",
            help="Show at most N runs (the table shows the best or newest 50 by default).",
        ),
    ] = None,
    every_run: Annotated[
        bool, typer.Option("--all", "-a", help="Show every run in the table, not just 50.")
    ] = False,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            "-c",
            help="Only these columns: comma-separated globs, e.g. 'params.lr,metrics.val_*'.",
            metavar="GLOBS",
        ),
    ] = None,
    transpose: Annotated[
        bool,
        typer.Option("--transpose", "-t", help="Runs as columns and keys as rows."),
    ] = False,
    group_by: Annotated[
        list[str] | None,
        typer.Option(
            "--group-by",
            "-g",
            help="One row per group of runs with these values (repeatable), e.g. "
            "params.model: the count and each metric's mean ± std.",
            metavar="KEY",
        ),
    ] = None,
    sweep: SweepOption = None,
) -> None:
    """Runs side by side: the params that differ, the metrics, and which run is best."""
    output_format = parse_format(fmt)
    if group_by:
        grouping = group_compare(
            Path.cwd(),
            runs or [],
            group_by,
            where=where,
            metric=metric,
            maximize=maximize,
            sweep=sweep,
        )
        print_grouping(grouping, output_format)
        return
    rows = None if every_run or limit is not None else DEFAULT_ROWS
    comparison = compare_runs(
        Path.cwd(),
        runs or [],
        where=where,
        metric=metric,
        maximize=maximize,
        sort=sort,
        all_columns=all_columns,
        limit=limit,
        sweep=sweep,
        columns=parse_columns(columns) if columns is not None else (),
        shown=rows if output_format == "table" else None,
    )
    empty = "No runs match --where." if where else "No runs recorded yet."
    print_comparison(comparison, output_format, empty, transpose=transpose, max_rows=rows)
