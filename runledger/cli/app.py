"""The typer application: the group that turns errors into one line, the global options, and
the registration of every verb (each lives in its own module under cli/commands/)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from runledger.cli.options import click_exceptions
from runledger.errors import RunledgerError


def _no_type_label(ctx: Any) -> None:
    return None


class RunledgerGroup(TyperGroup):
    """Turns runledger's errors and click's usage errors into one line on stderr."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        # typer writes an argument's Python type beside it in help ("RUN <list[str]>"); the
        # metavar (RUN, METRIC) already says what to type.
        for param in getattr(command, "params", ()):
            if isinstance(param, TyperArgument):
                param.display_type_rich = _no_type_label  # type: ignore[attr-defined,method-assign,unused-ignore]
            elif isinstance(param, TyperOption) and param.metavar is None and param.name:
                param.metavar = param.name.rstrip("_").upper()
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        from runledger.cli.startup import recover_runs, tolerant_output
        from runledger.crash import one_line, report_bug, report_error

        tolerant_output()

        given = kwargs.get("args", args[0] if args else None)
        argv = list(given) if given is not None else sys.argv[1:]
        recover_runs(argv)
        try:
            kwargs["standalone_mode"] = False
            if any("\x00" in str(arg) for arg in argv):
                # No program can be given a NUL (argv is C strings); only a caller in Python
                # can. Paths with one make os.stat raise ValueError deep inside click.
                raise click_exceptions.UsageError("an argument contains a NUL byte")
            result = super().main(*args, **kwargs)
        except RunledgerError as error:
            code = report_error(error)
        except click_exceptions.NoArgsIsHelpError as error:
            print(error.ctx.get_help() if error.ctx else "", file=sys.stderr)
            code = 2
        except click_exceptions.UsageError as error:
            hint = ""
            if error.ctx is not None:
                hint = f" (see '{error.ctx.command_path} --help')"
            message = one_line(error.format_message())
            print(f"runledger: error: {message}{hint}", file=sys.stderr)
            code = 2
        except typer.Abort:
            print("runledger: aborted", file=sys.stderr)
            code = 130
        except typer.Exit as exit_:
            code = exit_.exit_code
        except KeyboardInterrupt:
            code = 130
        except BrokenPipeError:
            code = 0
        except Exception as error:  # noqa: BLE001 - a bug: one line, traceback in a file
            code = report_bug(error)
        else:
            code = result if isinstance(result, int) else 0
        finally:
            index = sys.modules.get("runledger.store.index")  # not imported: none open
            if index is not None:
                index.close_open_indexes()
        if standalone:
            sys.exit(code)
        return code


def _new_app() -> typer.Typer:
    return typer.Typer(
        cls=RunledgerGroup,
        name="runledger",
        help="A Git-native run ledger: every run recorded in your own repository.",
        no_args_is_help=True,
        add_completion=True,  # --install-completion / --show-completion (cli/completion.py)
        pretty_exceptions_enable=False,
        # Plain help, as git and click print it: wrapped to the terminal (80 columns fit), with
        # metavars such as N and EXPR, never Python types such as <list[str]> or <bool>.
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def _print_version(value: bool) -> None:
    if value:
        from runledger.version import __version__

        print(f"runledger {__version__}")
        raise typer.Exit(0)


def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print runledger's version and exit.",
        ),
    ] = False,
) -> None:
    """A Git-native run ledger: every run recorded in your own repository."""


PASS_THROUGH = {"allow_interspersed_args": False, "ignore_unknown_options": True}
# verb -> (module under cli/commands, its typer function, context settings)
VERBS: dict[str, tuple[str, str, dict[str, bool]]] = {
    "exec": ("exec_", "exec_command", PASS_THROUGH),
    "ls": ("ls", "ls_command", {}),
    "show": ("show", "show_command", {}),
    "push": ("sync", "push_command", {}),
    "pull": ("sync", "pull_command", {}),
    "init": ("sync", "init_command", {}),
    "tag": ("tag", "tag_command", {}),
    "tags": ("tag", "tags_command", {}),
    "note": ("tag", "note_command", {}),
    "compare": ("compare", "compare_command", {}),
    "diff": ("diff", "diff_command", {}),
    "which": ("which", "which_command", {}),
    "verify": ("verify", "verify_command", {}),
    "reproduce": ("reproduce", "reproduce_command", {}),
    "env": ("env", "env_command", {}),
    "plot": ("plot", "plot_command", {}),
    "importance": ("importance", "importance_command", {}),
    "report": ("report", "report_command", {}),
    "doctor": ("doctor", "doctor_command", {}),
    "sweep": ("sweep", "sweep_command", PASS_THROUGH),
    "get": ("get", "get_command", {}),
    "store": ("store", "store_app", {}),
    "watch": ("watch", "watch_command", {}),
}


def build_app(verb: str | None = None) -> typer.Typer:
    """The command line with every verb, or with ``verb`` alone when it is one.

    Each verb lives in its own module under cli/commands/. Typer builds every registered
    command's parameters (a pydantic adapter each) before it parses anything: for one
    command that is a few milliseconds, for all of them and their imports about 0.3 s on
    every call. So a command line that names its verb builds only that verb; ``--help``
    and anything else build them all.
    """
    import importlib

    built = _new_app()
    built.callback()(main_options)
    for name in [verb] if verb in VERBS else list(VERBS):
        module_name, attribute, settings = VERBS[name]
        module = importlib.import_module(f"runledger.cli.commands.{module_name}")
        target = getattr(module, attribute)
        if isinstance(target, typer.Typer):
            built.add_typer(target, name=name)
        else:
            built.command(name, context_settings=settings or None)(target)
    return built


_every_verb: list[typer.Typer] = []


def __getattr__(name: str) -> typer.Typer:
    # ``app``: every verb, built on first use (tests, the reference generator).
    if name == "app":
        if not _every_verb:
            _every_verb.append(build_app())
        return _every_verb[0]
    raise AttributeError(name)
