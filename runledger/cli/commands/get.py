"""``runledger get RUN [PATH...] [-o DIR]``: a run's files from the store, sha256-checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.commands.store import JOBS_HELP
from runledger.cli.options import RunArgument, print_json


def get_command(
    run: RunArgument,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Recorded files or folders to get, by full recorded path or by their last "
            "parts (model.joblib for models/model.joblib); default: all of them.",
            metavar="PATH",
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Folder to write into (default: the current folder). Without PATHs files "
            "keep their recorded paths under it; a PATH lands in it as 'cp -r' would put it.",
            metavar="DIR",
        ),
    ] = Path("."),
    inputs: Annotated[
        bool, typer.Option("--inputs", help="Get the run's declared inputs too.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace local files whose content differs."),
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help=JOBS_HELP)] = 32,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
    ] = False,
) -> None:
    """Download RUN's artifacts (or chosen files of them) from the store.

    Every file's sha256 is checked against the run's record before it is put in place; an
    object whose bytes do not match is refused. A local file with other content is never
    replaced without --force; one with the same content is left as it is.
    """
    from runledger.analysis.transfers import get_files, plan_get
    from runledger.store import artifacts, git
    from runledger.store.ledger import Ledger
    from runledger.views.transfer import transfer_progress

    cwd = Path.cwd()
    repo = git.discover(cwd)
    record = Ledger(repo).read(run)
    wanted = plan_get(record, paths or [], cwd / output, inputs)
    store = artifacts.open_configured(repo)
    report = get_files(repo, store, wanted, force, jobs, transfer_progress())
    if as_json:
        print_json({"run": record.id, **report.json()})
    else:
        print(report.line(record.id))
