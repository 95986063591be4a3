"""``runledger exec``'s own options, parsed without typer: exec is on every training run's path,
and importing typer and rich would cost it tens of milliseconds (a test lists what exec imports).
"""

from __future__ import annotations

from collections.abc import Sequence

from runledger.errors import UserError
from runledger.recording.recorder import ExecOptions

# Options of exec, for the fast parser; cli/commands/exec_.py declares the same ones for typer.
VALUE_OPTIONS = {
    "-p": "params",
    "--param": "params",
    "--input": "inputs",
    "--output": "outputs",
    "--name": "name",
    "--tag": "tags",
    "--note": "note",
}
# Options of exec that take no value.
FLAG_OPTIONS = {"--no-autocapture": "no_autocapture", "--no-auto-outputs": "no_auto_outputs"}


def parse_exec_args(args: Sequence[str]) -> ExecOptions:
    """Parse ``exec``'s own options; everything from the first non-option on is the command."""
    values: dict[str, list[str]] = {"params": [], "inputs": [], "outputs": [], "tags": []}
    single: dict[str, str] = {}
    flags: set[str] = set()
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        if arg in FLAG_OPTIONS:
            flags.add(FLAG_OPTIONS[arg])
            index += 1
            continue
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
        autocapture="no_autocapture" not in flags,
        auto_outputs="no_auto_outputs" not in flags,
    )
