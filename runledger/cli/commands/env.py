"""``runledger env RUN``: the run's environment as a file another machine can install."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import RunArgument
from runledger.errors import UserError
from runledger.store import git
from runledger.store.ledger import Ledger


def export_environment(cwd: Path, spec: str, format: str, all_packages: bool) -> str:
    from runledger.analysis.environment_export import FORMATS, render

    if format not in FORMATS:
        raise UserError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
    run = Ledger(git.discover(cwd)).read(spec)
    return render(run, format, all_packages)


def env_command(
    run: RunArgument,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="requirements (pip install -r), conda (an environment.yml with the "
            "recorded Python and a pip section), or json.",
            metavar="requirements|conda|json",
        ),
    ] = "requirements",
    all_packages: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every package of the interpreter that ran, not only those the program imported.",
        ),
    ] = False,
) -> None:
    """The packages RUN used, pinned at their recorded versions, as a file to install.

    By default only the distributions whose modules the program imported (recorded by the
    in-process capture); --all writes the interpreter's whole package list. Packages
    installed from a folder, an archive or version control are written as pip freeze writes
    them, with a comment where the line cannot pin their content. Rebuild and re-run in one
    step with 'runledger reproduce RUN --venv'.
    """
    sys.stdout.write(export_environment(Path.cwd(), run, format, all_packages))
