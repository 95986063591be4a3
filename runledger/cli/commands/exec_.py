"""``runledger exec`` for typer: the same options as the fast parser (cli/exec_args.py), so that
``runledger exec --help`` documents them; a test checks the two agree."""

from __future__ import annotations

from typing import Annotated

import typer

from runledger.recording.recorder import ExecOptions


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
    no_autocapture: Annotated[
        bool,
        typer.Option(
            "--no-autocapture",
            help="No in-process capture for a Python command: params and metrics come only "
            "from the command line, its output and the metrics file. Also off with "
            ".runledger.toml autocapture = false or RUNLEDGER_AUTOCAPTURE=0.",
        ),
    ] = False,
    no_auto_outputs: Annotated[
        bool,
        typer.Option(
            "--no-auto-outputs",
            help="Record only the declared outputs (--output, .runledger.toml outputs), not "
            "the files the run was seen saving (torch.save, joblib.dump, ...) or wrote in "
            "out/, runs/, checkpoints/ and the like. Also off with .runledger.toml "
            "auto_outputs = false.",
        ),
    ] = False,
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
        autocapture=not no_autocapture,
        auto_outputs=not no_auto_outputs,
    )
    return recorder.exec_command(options)
