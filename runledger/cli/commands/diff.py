"""``runledger diff``: read the two runs in full and say what changed between them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runledger.analysis.diff import RunDiff, diff_runs
from runledger.cli.options import (
    JsonObjectOption,
    print_json,
)
from runledger.store import git
from runledger.store.ledger import Ledger


def diff_two(cwd: Path, spec_a: str, spec_b: str, *, patch: bool = False) -> RunDiff:
    repo = git.discover(cwd)
    ledger = Ledger(repo)
    return diff_runs(repo, ledger.read(spec_a), ledger.read(spec_b), patch=patch)


def diff_command(
    run_a: Annotated[
        str, typer.Argument(help="The first run (id, unique prefix or tag).", metavar="RUN_A")
    ],
    run_b: Annotated[str, typer.Argument(help="The second run.", metavar="RUN_B")],
    as_json: JsonObjectOption = False,
    code: Annotated[
        bool, typer.Option("--code", help="Show the whole code patch, not only --stat.")
    ] = False,
) -> None:
    """What changed from RUN_A to RUN_B: command, params, metrics, code, files, environment."""
    result = diff_two(Path.cwd(), run_a, run_b, patch=code)
    if as_json:
        print_json(result.to_json())
        return
    from runledger.views.diff import render_diff

    render_diff(result)
