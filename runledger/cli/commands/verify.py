"""``runledger verify RUN``: are the run's recorded inputs and artifacts still what they were?

The exit code is 0 when every file is the same and 1 otherwise, so a script can gate on it
(``runledger verify production && deploy``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from runledger.cli.options import JsonObjectOption, RunArgument, print_json


def verify_command(
    run: RunArgument,
    as_json: JsonObjectOption = False,
) -> int:
    """Re-hash RUN's recorded inputs and artifacts: same, changed or missing.

    Paths are looked up in this work tree (relative to the repository root). Exits 0 when
    every file is the same, 1 when any changed or is missing.
    """
    from runledger.analysis.lineage import verify_run

    verification = verify_run(Path.cwd(), run)
    if as_json:
        print_json(verification.to_json())
    elif verification.checks:
        from runledger.views.runs import render_verification

        render_verification(verification)
    else:
        print(
            f"runledger: run {verification.run.id} recorded no inputs or artifacts "
            "(exec --input PATH / --output PATH record them)",
            file=sys.stderr,
        )
    return verification.exit_code
