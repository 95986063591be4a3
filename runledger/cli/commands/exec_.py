"""``runledger exec``'s options: a fast parser that skips typer (it is on every training run's
path), and the typer command that declares the same options for ``--help``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from runledger.errors import UserError
from runledger.recording.recorder import ExecOptions

# Options of exec, for the fast parser; the typer command in cli.py declares the same ones.
VALUE_OPTIONS = {
    "-p": "params",
    "--param": "params",
    "--input": "inputs",
    "--output": "outputs",
    "--name": "name",
    "--tag": "tags",
    "--note": "note",
}


def parse_exec_args(args: Sequence[str]) -> ExecOptions:
    """Parse ``exec``'s own options; everything from the first non-option on is the command."""
    values: dict[str, list[str]] = {"params": [], "inputs": [], "outputs": [], "tags": []}
    single: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, inline = arg.partition("=")
        if name.startswith("-p") and name != "-p" and not name.startswith("--"):
            name, inline, eq = "-p", arg[2:], "="
        if name not in VALUE_OPTIONS:
            raise UserError(
                f"exec: no such option: {arg} (options go before the command; put '--' before "
                "a command that starts with '-'; see 'runledger exec --help')"
            )
        if eq:
            value = inline
        else:
            index += 1
            if index >= len(args):
                raise UserError(f"exec: option {name} needs a value")
            value = args[index]
        field_name = VALUE_OPTIONS[name]
        if field_name in values:
            values[field_name].append(value)
        else:
            single[field_name] = value
        index += 1
    command = tuple(args[index:])
    if not command:
        raise UserError(
            "exec: no command given: write the command after exec, "
            "e.g. 'runledger exec python train.py --lr 0.01'"
        )
    return ExecOptions(
        command=command,
        params=tuple(values["params"]),
        inputs=tuple(values["inputs"]),
        outputs=tuple(values["outputs"]),
        name=single.get("name"),
        tags=tuple(values["tags"]),
        note=single.get("note"),
    )


def exec_command(
    command: Annotated[
        list[str],
        typer.Argument(help="The command to run and its arguments (no shell).", metavar="COMMAND"),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "-p", "--param", help="Record a param KEY=VALUE (repeatable).", metavar="KEY=VALUE"
        ),
    ] = None,
    input_: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="A file or folder the run reads (repeatable): each file's path, size and "
            "sha256 are recorded before the command starts. Outside the repository, give it "
            "as an absolute path.",
            metavar="PATH",
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            help="A file or folder the run writes (repeatable): files created or changed "
            "during the run are recorded (path, size, sha256) after it ends, never copied.",
            metavar="PATH",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="A name for the run.", metavar="TEXT")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag the run (repeatable).", metavar="NAME")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="A note on the run.", metavar="TEXT")
    ] = None,
) -> int:
    """Run COMMAND exactly as if bare and record the run.

    Refuses a dirty work tree, so the run's code is always a commit. Options go before the
    command; use '--' before a command that starts with '-'. Default inputs, outputs and
    more come from .runledger.toml at the repository root.
    """
    from runledger.recording import recorder

    options = ExecOptions(
        command=tuple(command),
        params=tuple(param or ()),
        inputs=tuple(input_ or ()),
        outputs=tuple(output or ()),
        name=name,
        tags=tuple(tag or ()),
        note=note,
    )
    return recorder.exec_command(options)
