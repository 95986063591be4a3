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
    build_environment,
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
            if plan.rebuild is not None:
                plan = build_environment(plan, options.relax, _progress)
                if plan.drift.leading():
                    print(
                        "runledger: warning: the virtualenv differs from the recorded "
                        f"environment: {', '.join(plan.drift.leading())}",
                        file=sys.stderr,
                    )
            outcome = execute(plan, options.outputs_dir)
            render_verdict(outcome)
            return outcome.verdict.exit_code
    except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM/SIGHUP (Interrupted)
        signum = interrupt.signum if isinstance(interrupt, Interrupted) else signal.SIGINT
        print("runledger: reproduction interrupted", file=sys.stderr)
        return 128 + signum
    finally:
        if kept is not None:
            print(f"runledger: kept the work tree at {kept}", file=sys.stderr)


def _progress(line: str) -> None:
    """The virtualenv's build, line by line, as the installer prints it."""
    print(f"  | {line}", file=sys.stderr, flush=True)


def reproduce_command(
    run: RunArgument,
    venv_dir: Annotated[
        Path | None,
        typer.Argument(
            help="With --venv: the folder to build the virtualenv in (new or empty; kept). "
            "Default: a temporary one under the git directory, removed afterwards.",
            metavar="[DIR]",
            show_default=False,
        ),
    ] = None,
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
    venv: Annotated[
        bool,
        typer.Option(
            "--venv",
            help="Build a fresh virtualenv (the recorded Python minor version, uv when on "
            "PATH, else venv + pip), install the packages the run imported at their recorded "
            "versions, and re-run in it. 'reproduce RUN --venv DIR' builds it in DIR.",
        ),
    ] = False,
    all_packages: Annotated[
        bool,
        typer.Option(
            "--all-packages",
            help="With --venv: install every recorded package of the interpreter, not only "
            "those the program imported.",
        ),
    ] = False,
    relax: Annotated[
        bool,
        typer.Option(
            "--relax",
            help="With --venv: when a recorded version can no longer be installed, install "
            "the nearest one the index has (the verdict says so); by default that stops.",
        ),
    ] = False,
    outputs_dir: Annotated[
        Path | None,
        typer.Option(
            "--outputs",
            "-o",
            help="Copy the re-run's declared outputs here (default: "
            ".git/runledger/reproductions/RUN/, named in the verdict).",
            metavar="DIR",
        ),
    ] = None,
) -> int:
    """Re-run RUN at its recorded commit and say whether it reproduced.

    The recorded command runs in a separate work tree checked out at the run's commit, in the
    recorded directory, with those recorded environment variables that the allow-list in force
    here permits (the others are listed as not applied); your own work tree, HEAD,
    branch and index are not touched. Declared inputs are checked against their recorded
    hashes first. The re-run is recorded as a new run that reproduces RUN. Exits 0 when every
    recorded metric matched within tolerance (or, with no metrics, the declared outputs
    compared), 1 when one did not, 4 (NOT VERIFIED) when the original recorded neither metrics
    nor outputs to compare, and the command's own exit code when the re-run failed. The
    re-run's declared outputs are copied out of the work tree (-o DIR).

    A package the run imported that is not installed here stops the reproduction before it
    runs; --venv rebuilds the recorded packages in a fresh virtualenv and re-runs there.
    """
    from runledger.analysis.reproduce import ReproduceOptions

    if venv_dir is not None and not venv:
        raise UserError(
            f"unexpected argument {str(venv_dir)!r}: a folder after RUN is where --venv builds "
            "the virtualenv; add --venv, or drop it"
        )
    if (all_packages or relax) and not venv:
        flag = "--all-packages" if all_packages else "--relax"
        raise UserError(f"{flag} is an option of --venv: add --venv")

    options = ReproduceOptions(
        spec=run,
        yes=yes,
        tolerances=tuple(tolerance or ()),
        strict=strict,
        allow_input_drift=allow_input_drift,
        keep=keep,
        venv=venv,
        venv_dir=venv_dir,
        relax=relax,
        all_packages=all_packages,
        outputs_dir=outputs_dir,
    )
    interactive = sys.stdin is not None and sys.stdin.isatty()
    return run_reproduction(Path.cwd(), options, ask_to_run if interactive else None)
