"""``runledger reproduce RUN``: show the plan, ask, re-run, and print the verdict.

The command comes from a ledger other people can push to, so it never runs unseen: the plan
is shown, then confirmed on a terminal, or ``--yes`` was given; otherwise runledger refuses.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

from runledger.analysis.reproduce import (
    Interrupted,
    ReproduceOptions,
    execute,
    open_reproduction,
    signals_interrupt,
)
from runledger.errors import UserError

Confirm = Callable[[], bool]


def reproduce_command(cwd: Path, options: ReproduceOptions, confirm: Confirm | None) -> int:
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
