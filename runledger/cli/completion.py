"""Shell completion of run ids, tags and metric names, fast enough to feel instant.

typer's completion imports the whole command line (typer, click, rich: a few hundred
milliseconds) before it can answer. Values that come from the ledger (a RUN, a --metric NAME,
a --tag NAME) are answered here instead, by ``cli/main.py`` before anything heavy is imported:
the run index (sqlite) is read directly and the refs of team tags are read as files. Anything
else (command and option names) falls back to typer's own completion.

The protocol is typer's: bash sets COMP_WORDS/COMP_CWORD and reads one value a line; zsh
sets _TYPER_COMPLETE_ARGS and reads an ``_arguments`` spec.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from runledger.cli.completion_tags import live_team_tags

TYPE_CHECKING = False  # not typing's: completion imports only what it must
if TYPE_CHECKING:
    import sqlite3
    from typing import Literal

    Kind = Literal["run", "metric", "tag"]
COMPLETE_VAR = "_RUNLEDGER_COMPLETE"
RUN_COMMANDS = frozenset(
    {"show", "diff", "compare", "reproduce", "note", "verify", "report", "watch", "env", "get"}
)
METRIC_FIRST = frozenset({"plot", "importance"})  # METRIC, then RUN...
METRIC_OPTIONS = frozenset({"--metric", "-m"})
TAG_OPTIONS = frozenset({"--tag"})
RECENT_RUNS = 500  # metric names and tags come from the newest runs
# Options that take a value: the word after one of them is that value, not a RUN.
VALUE_OPTIONS = frozenset(
    {
        "--where", "-w", "--sort", "--format", "-f", "--limit", "-n", "--columns", "-c",
        "--group-by", "-g", "--status", "--top", "--title", "--output", "-o", "--x",
        "--smooth", "--interval", "--tolerance", "--param", "-p", "--input", "--name",
        "--note", "--sweep",
    }
)  # fmt: skip


# Characters that end or open a quote or an expansion inside the answer zsh evaluates.
_SHELL_SPECIAL = frozenset("'\"$`\\")


def _split(text: str) -> list[str]:
    if not any(quote in text for quote in "'\"\\"):
        return text.split()  # the usual case: shlex (and re, enum) not imported
    import shlex

    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def completion_request(environ: Mapping[str, str]) -> tuple[str, list[str], str] | None:
    """(shell, words before the cursor, the word being completed), or None when this is not
    a completion request this module answers."""
    instruction = environ.get(COMPLETE_VAR, "")
    if instruction == "complete_bash":
        words = _split(environ.get("COMP_WORDS", ""))
        try:
            cword = int(environ.get("COMP_CWORD", ""))
        except ValueError:
            return None
        incomplete = words[cword] if cword < len(words) else ""
        return "bash", words[1:cword], incomplete
    if instruction == "complete_zsh":
        text = environ.get("_TYPER_COMPLETE_ARGS", "")
        args = _split(text)[1:]
        incomplete = ""
        if args and not text.endswith(" "):
            incomplete = args.pop()
        return "zsh", args, incomplete
    return None


def kind_of(args: Sequence[str]) -> Kind | None:
    """What the next word is: a run, a metric, a tag, or something this module leaves alone."""
    if not args:
        return None
    previous = args[-1]
    if previous in METRIC_OPTIONS:
        return "metric"
    if previous in TAG_OPTIONS:
        return "tag"
    if previous in VALUE_OPTIONS:
        return None
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command is None:
        return None
    positionals = 0
    after = args[args.index(command) + 1 :]
    skip = False
    for arg in after:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in VALUE_OPTIONS | METRIC_OPTIONS | TAG_OPTIONS
        else:
            positionals += 1
    if command in METRIC_FIRST:
        return "metric" if positionals == 0 else "run"
    if command == "tag":
        return "run" if positionals == 0 else "tag"
    if command in RUN_COMMANDS:
        return "run"
    return None


def candidates(common_dir: str, kind: Kind, cwd: str) -> list[str]:
    """Values of ``kind`` from the run index and the live team tags; the team tags alone (for
    a RUN or a tag) when there is no readable index."""
    import sqlite3

    index = os.path.join(common_dir, "runledger", "index.sqlite")
    team = live_team_tags(common_dir, cwd) if kind in ("run", "tag") else []
    try:
        found = _indexed_values(index, kind) if os.path.isfile(index) else []
    except sqlite3.Error:
        found = []
    if kind == "run":
        return found + team
    return list(dict.fromkeys(team + found))


def _indexed_values(index: str, kind: Kind) -> list[str]:
    import sqlite3

    db = sqlite3.connect(_read_only_uri(index), uri=True, timeout=0.05)
    try:
        if kind == "run":
            rows = db.execute(
                "SELECT id FROM runs WHERE effective = 1 AND error IS NULL ORDER BY started_at DESC"
            ).fetchall()
            return [row[0] for row in rows]
        return _summary_values(db, "$.metrics" if kind == "metric" else "$.tags", kind)
    finally:
        db.close()


def _read_only_uri(path: str) -> str:
    # SQLite's URI syntax: only %, ? and # must be escaped in the path.
    quoted = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{quoted}?mode=ro"


def _summary_values(db: sqlite3.Connection, path: str, kind: Kind) -> list[str]:
    """Metric names (keys) or tags (string items) from the newest runs' summaries, read by
    SQLite's JSON functions: decoding 500 summaries in Python costs tens of milliseconds."""
    field, shape = ("key", "object") if kind == "metric" else ("value", "array")
    rows = db.execute(
        f"SELECT item.{field} FROM (SELECT summary, started_at FROM runs "
        "WHERE effective = 1 AND error IS NULL AND json_valid(summary) "
        "ORDER BY started_at DESC LIMIT ?) AS recent, "
        "json_each(recent.summary, ?) AS item "
        "WHERE json_type(recent.summary, ?) = ? AND item.type IS NOT 'null' "
        "ORDER BY recent.started_at DESC, item.id",
        (RECENT_RUNS, path, path, shape),
    ).fetchall()
    return [value for (value,) in rows if isinstance(value, str)]


def answer(environ: Mapping[str, str], cwd: str) -> str | None:
    """The completion reply, or None to let typer answer."""
    request = completion_request(environ)
    if request is None:
        return None
    shell, args, incomplete = request
    if incomplete.startswith("-"):
        return None
    kind = kind_of(args)
    if kind is None:
        return None
    from runledger.store.gitdir import common_dir_path

    common_dir = common_dir_path(cwd)
    if common_dir is None:
        return ""
    wanted = incomplete.lower() if kind == "run" else incomplete
    found = [
        value
        for value in candidates(common_dir, kind, cwd)
        # A pulled record may hold control characters: never echo them into a prompt; nor
        # quotes, $ or backquotes: zsh evaluates the answer (typer's script runs `eval
        # $(...)`), so a metric named acc'$(rm -rf ~)' would run at a TAB.
        if value.isprintable()
        and not _SHELL_SPECIAL.intersection(value)
        and (value.lower() if kind == "run" else value).startswith(wanted)
    ]
    if shell == "bash":
        return "\n".join(found)
    if not found:
        return "_files"
    quoted = "\n".join('"' + value.replace('"', '\\"').replace(":", r"\:") + '"' for value in found)
    return f"_arguments '*: :(({quoted}))'"
