"""``runledger store push RUN...``: upload chosen runs' bytes to the store, without git.

``runledger push`` does the same for the runs it sends (``upload_after_push``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import print_json

JOBS_HELP = "How many files to transfer at once."
INPUTS_HELP = "Upload the runs' declared inputs too (by default only their outputs)."

store_app = typer.Typer(
    name="store",
    help="The object store that keeps artifacts' bytes (the store url of .runledger.toml).",
    no_args_is_help=True,
    add_completion=False,
)


def upload(cwd: Path, specs: list[str], inputs: bool, jobs: int) -> object:
    from runledger.analysis.transfers import push_runs
    from runledger.store import artifacts, git
    from runledger.views.transfer import transfer_progress

    repo = git.discover(cwd)
    settings = artifacts.read_settings(repo)
    store = artifacts.open_configured(repo, settings)
    # push_runs resolves the specs: a whole id from its ref, without the run index
    return push_runs(repo, store, specs, inputs, jobs, transfer_progress(), settings.pushed_by)


@store_app.command("push")
def store_push_command(
    runs: Annotated[
        list[str],
        typer.Argument(help="Run ids, unique prefixes of them, or tags.", metavar="RUN"),
    ],
    inputs: Annotated[bool, typer.Option("--inputs", help=INPUTS_HELP)] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help=JOBS_HELP)] = 32,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was uploaded as JSON.")
    ] = False,
) -> int:
    """Upload RUNs' artifacts (and with --inputs, inputs) that the store does not have yet.

    Objects already stored are skipped, so an interrupted upload resumes where it stopped.
    Each run's manifest (<url>/runs/RUN.toml) tells teammates what of it is stored.
    """
    from runledger.analysis.transfers import PushReport

    report = upload(Path.cwd(), runs, inputs, jobs)
    assert isinstance(report, PushReport)
    for lost in report.lost:
        print(f"runledger: warning: not uploaded: {lost}", file=sys.stderr)
    if as_json:
        print_json(report.json())
    else:
        print(report.line())
    return 1 if report.lost else 0
