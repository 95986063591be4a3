"""``runledger reproduce RUN``: show the plan, ask, re-run, and print the verdict.

The command comes from a ledger other people can push to, so it never runs unseen: the plan
is shown, then confirmed on a terminal, or ``--yes`` was given; otherwise runledger refuses.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from runledger.analysis.reproduce import (
    Interrupted,
    ReproduceOptions,
    execute,
    open_reproduction,
    signals_interrupt,
)
from runledger.cli.options import (
    RunArgument,
    ask_to_run,
)
from runledger.errors import UserError

Confirm = Callable[[], bool]


def run_reproduction(cwd: Path, options: ReproduceOptions, confirm: Confirm | None) -> int:
    """Reproduce ``options.spec``; the exit code. ``confirm`` is None off a terminal."""
    from runledger.views.reproduce import render_plan, render_verdict, stderr_console

    kept: Path | None = None
    try:
        with signals_interrupt(), open_reproduction(cwd, options) as plan:
            kept = plan.worktree if options.keep else None
            render_plan(plan, stderr_console())
            if plan.blocker is not None:
                raise plan.blocker
            if not options.yes:
                if confirm is None:
                    raise UserError(
                        "not running a command from the ledger unconfirmed: stdin is not a "
                        "terminal; review the plan above and pass --yes to run it"
                    )
                if not confirm():
                    print("runledger: reproduction cancelled; nothing was run", file=sys.stderr)
                    return 1
            outcome = execute(plan)
            render_verdict(outcome)
            return outcome.verdict.exit_code
    except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM/SIGHUP (Interrupted)
        signum = interrupt.signum if isinstance(interrupt, Interrupted) else signal.SIGINT
        print("runledger: reproduction interrupted", file=sys.stderr)
        return 128 + signum
    finally:
        if kept is not None:
            print(f"runledger: kept the work tree at {kept}", file=sys.stderr)


def reproduce_command(
    run: RunArgument,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Run without asking. Without it, the plan is shown and confirmed on a "
            "terminal, and refused when stdin is not one.",
        ),
    ] = False,
    tolerance: Annotated[
        list[str] | None,
        typer.Option(
            "--tolerance",
            "-t",
            help="Relative tolerance for the metrics (0.01 or 1%; default: exact, or "
            "the tolerance in .runledger.toml's reproduce table), or METRIC=X for one metric "
            "(repeatable). Given here, it takes precedence over the config.",
            metavar="X|METRIC=X",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Stop before running when the environment differs from the recorded one "
            "(Python, packages, GPU, driver, CUDA); by default that is a warning.",
        ),
    ] = False,
    allow_input_drift: Annotated[
        bool,
        typer.Option(
            "--allow-input-drift",
            help="Run even when declared inputs changed or are missing (noted in the new run); "
            "by default that stops the reproduction.",
        ),
    ] = False,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Keep the work tree the run was re-run in (with its outputs) and print its "
            "path; by default it is removed.",
        ),
    ] = False,
) -> int:
    """Re-run RUN at its recorded commit and say whether it reproduced.

    The recorded command runs in a separate work tree checked out at the run's commit, in the
    recorded directory, with the recorded environment variables; your own work tree, HEAD,
    branch and index are not touched. Declared inputs are checked against their recorded
    hashes first. The re-run is recorded as a new run that reproduces RUN. Exits 0 when every
    recorded metric matched within tolerance, 1 when one did not, and the command's own exit
    code when the re-run failed.
    """
    from runledger.analysis.reproduce import ReproduceOptions

    options = ReproduceOptions(
        spec=run,
        yes=yes,
        tolerances=tuple(tolerance or ()),
        strict=strict,
        allow_input_drift=allow_input_drift,
        keep=keep,
    )
    interactive = sys.stdin is not None and sys.stdin.isatty()
    return run_reproduction(Path.cwd(), options, ask_to_run if interactive else None)
