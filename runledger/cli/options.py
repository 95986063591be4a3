"""What several commands share: their common options (declared once, as Annotated types),
JSON printing, and the reproduce prompt."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from runledger.safetext import json_text, repr_bytes, safe

try:  # typer >= 0.2x vendors click; older typer uses the click package
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_exceptions  # type: ignore[no-redef,import-not-found,unused-ignore]

__all__ = [
    "AllColumnsOption",
    "FormatOption",
    "JsonArrayOption",
    "JsonObjectOption",
    "LimitOption",
    "MaximizeOption",
    "RunArgument",
    "SortOption",
    "SweepOption",
    "WhereOption",
    "MAXIMIZE_HELP",
    "REMOTE_HELP",
    "SORT_HELP",
    "SWEEP_HELP",
    "WHERE_HELP",
    "ask_to_run",
    "click_exceptions",
    "print_json",
    "print_json_lines",
    "print_sync",
]


def print_json(data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write(json_text(text) + "\n")


def print_json_lines(objects: list[str]) -> None:
    """A JSON array with one object per line: valid JSON, greppable, and written at C speed
    (json.dumps with indent runs in pure Python: seconds at 100,000 runs)."""
    if not objects:
        sys.stdout.write("[]\n")
        return
    write = sys.stdout.write
    write("[\n  ")
    for start in range(0, len(objects), 1000):
        write(json_text(",\n  ".join(objects[start : start + 1000])))
        if start + 1000 < len(objects):
            write(",\n  ")
    write("\n]\n")


WHERE_HELP = (
    'Only runs for which EXPR holds, e.g. "params.lr < 0.01 and metrics.acc >= 0.9" '
    "(fields: params.*, metrics.*, status, branch, tag, commit, name, started_at, ...; "
    "FIELD matches REGEX, FIELD glob PATTERN)."
)
SORT_HELP = (
    "Order by KEY (params.NAME, metrics.NAME, started_at, duration_s, name, ...), "
    "ascending; -KEY for descending (e.g. -metrics.acc). Runs without KEY come last."
)


SWEEP_HELP = "Only the trials of this search: a sweep id, or a parent RUN (its children's sweep)."

REMOTE_HELP = "A remote's name or any git URL (default: the current branch's remote, else origin)."


def warn(text: str) -> None:
    """One warning line on stderr, through the output boundary (it may name a ref or a run)."""
    print(f"runledger: warning: {repr_bytes(safe(text))}", file=sys.stderr)


def print_sync(report: Any, mirror: str, as_json: bool) -> None:
    for warning in report.warnings(mirror):
        warn(warning)
    if as_json:
        print_json(report.json())
    else:
        from runledger.views.text import clipped

        # a tag's author and time are a pulled record's: up to the 1 MiB read of a tag.toml
        sys.stdout.write("".join(safe(clipped(line)) + "\n" for line in report.lines()))


def ask_to_run() -> bool:
    # Not typer.confirm: it turns SIGTERM's exception into a plain abort, and reproduce must
    # exit 128 + the signal like any command ended by one.
    sys.stderr.write("Run it? [y/N]: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


MAXIMIZE_HELP = (
    "Whether higher or lower METRIC is better (default: lower for names like loss, error, "
    "mse, mae, rmse, perplexity, time; higher otherwise)."
)


RUN_HELP = "A run id, a unique prefix of one, or a tag."

WhereOption = Annotated[str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")]
SortOption = Annotated[str | None, typer.Option("--sort", help=SORT_HELP, metavar="KEY")]
MaximizeOption = Annotated[
    bool | None,
    typer.Option("--maximize/--minimize", help=MAXIMIZE_HELP, show_default=False),
]
LimitOption = Annotated[
    int | None,
    typer.Option(  # the index is SQLite, whose integers stop at 2**63 - 1
        "--limit", "-n", min=0, max=2**63 - 1, help="Show at most N runs.", metavar="N"
    ),
]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="table, csv, json or markdown.", metavar="FORMAT")
]
AllColumnsOption = Annotated[
    bool, typer.Option("--all-columns", help="Show params that are the same in every run too.")
]
JsonObjectOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
JsonArrayOption = Annotated[bool, typer.Option("--json", help="Print a JSON array.")]
RunArgument = Annotated[str, typer.Argument(help=RUN_HELP, metavar="RUN")]
SweepOption = Annotated[str | None, typer.Option("--sweep", help=SWEEP_HELP, metavar="ID")]
