"""``runledger which``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import (
    JsonObjectOption,
    print_json,
)


def which_command(
    file: Annotated[
        str, typer.Argument(help="The file to look up: a model, a checkpoint, a data file.")
    ],
    as_json: JsonObjectOption = False,
) -> int:
    """Which runs produced FILE (an artifact) or read it (an input).

    FILE is known by its content (sha256, or git blob id), so a renamed copy found on another
    machine is found too. Exits 0 when a run knows FILE, 1 when none does.
    """
    from runledger.analysis.lineage import which as find_runs

    found = find_runs(Path.cwd(), file)
    if as_json:
        print_json(found.to_json())
    elif found.matches:
        from runledger.views.runs import render_which

        render_which(found)
    if not found.matches:
        print(
            f"runledger: no run produced or read {file} (sha256 {found.sha256[:16]})",
            file=sys.stderr,
        )
        return 1
    return 0
