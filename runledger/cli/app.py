"""The typer application: one small function per command, wiring options to the core."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from runledger.errors import RunledgerError

try:  # typer >= 0.2x vendors click; older typer uses the click package
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_exceptions  # type: ignore[no-redef,import-not-found]


class RunledgerGroup(TyperGroup):
    """Turns runledger's errors and click's usage errors into one line on stderr."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        from runledger.cli.main import _report_bug, _report_error, recover_runs, tolerant_output

        tolerant_output()

        given = kwargs.get("args", args[0] if args else None)
        recover_runs(list(given) if given is not None else sys.argv[1:])
        try:
            kwargs["standalone_mode"] = False
            result = super().main(*args, **kwargs)
        except RunledgerError as error:
            code = _report_error(error)
        except click_exceptions.NoArgsIsHelpError as error:
            print(error.ctx.get_help() if error.ctx else "", file=sys.stderr)
            code = 2
        except click_exceptions.UsageError as error:
            hint = ""
            if error.ctx is not None:
                hint = f" (see '{error.ctx.command_path} --help')"
            print(f"runledger: error: {error.format_message()}{hint}", file=sys.stderr)
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
            code = _report_bug(error)
        else:
            code = result if isinstance(result, int) else 0
        if standalone:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=RunledgerGroup,
    name="runledger",
    help="A Git-native run ledger: every run recorded in your own repository.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from runledger import __version__

        print(f"runledger {__version__}")
        raise typer.Exit(0)


@app.callback()
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


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _print_json_lines(objects: list[str]) -> None:
    """A JSON array with one object per line: valid JSON, greppable, and written at C speed
    (json.dumps with indent runs in pure Python: seconds at 100,000 runs)."""
    if not objects:
        sys.stdout.write("[]\n")
        return
    write = sys.stdout.write
    write("[\n  ")
    for start in range(0, len(objects), 1000):
        write(",\n  ".join(objects[start : start + 1000]))
        if start + 1000 < len(objects):
            write(",\n  ")
    write("\n]\n")


@app.command(
    "exec",
    context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
)
def exec_(
    command: Annotated[
        list[str], typer.Argument(help="The command to run and its arguments (no shell).")
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
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            help="A file or folder the run writes (repeatable): files created or changed "
            "during the run are recorded (path, size, sha256) after it ends, never copied.",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A name for the run.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag the run (repeatable).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note on the run.")] = None,
) -> int:
    """Run COMMAND exactly as if bare and record the run.

    Refuses a dirty work tree, so the run's code is always a commit. Options go before the
    command; use '--' before a command that starts with '-'. Default inputs, outputs and
    more come from .runledger.toml at the repository root.
    """
    from runledger.recording.recorder import ExecOptions, exec_command

    options = ExecOptions(
        command=tuple(command),
        params=tuple(param or ()),
        inputs=tuple(input_ or ()),
        outputs=tuple(output or ()),
        name=name,
        tags=tuple(tag or ()),
        note=note,
    )
    return exec_command(options)


WHERE_HELP = (
    'Only runs for which EXPR holds, e.g. "params.lr < 0.01 and metrics.acc >= 0.9" '
    "(fields: params.*, metrics.*, status, branch, tag, commit, name, started_at, ...)."
)
SORT_HELP = (
    "Order by KEY (params.NAME, metrics.NAME, started_at, duration_s, name, ...), "
    "ascending; -KEY for descending (e.g. -metrics.acc). Runs without KEY come last."
)


@app.command("ls")
def ls(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=0, help="Show at most N runs.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only runs with this status: ok, failed, interrupted."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only runs with this tag (a team tag, or one given at exec)."),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    sort: Annotated[str | None, typer.Option("--sort", help=SORT_HELP, metavar="KEY")] = None,
) -> None:
    """List runs, newest first."""
    from runledger.cli.commands.ls import list_runs, list_runs_json

    if as_json and where is None and sort is None and tag is None:
        # The common case, served from the run index without building a Run per run.
        _print_json_lines(list_runs_json(Path.cwd(), status=status, limit=limit))
        return
    runs = list_runs(Path.cwd(), status=status, limit=limit, where=where, sort=sort, tag=tag)
    if as_json:
        from runledger.store.index import summary_text

        _print_json_lines([summary_text(run) for run in runs])
        return
    from runledger.views.runs import console, render_run_table

    if not runs and (where is not None or status is not None or tag is not None):
        console().print("No runs match.", style="dim")
        return
    render_run_table(runs)


@app.command("show")
def show(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix of one, or a tag.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Everything recorded for one run."""
    from runledger.cli.commands.show import read_run

    record = read_run(Path.cwd(), run)
    if as_json:
        _print_json(record.detail_json())
        return
    from runledger.views.runs import render_run

    render_run(record)


_REMOTE_HELP = "A remote's name or any git URL (default: the current branch's remote, else origin)."


def _print_sync(report: Any, mirror: str, as_json: bool) -> None:
    for warning in report.warnings(mirror):
        print(f"runledger: warning: {warning}", file=sys.stderr)
    if as_json:
        _print_json(report.json())
    else:
        sys.stdout.write("".join(line + "\n" for line in report.lines()))


@app.command("push")
def push(
    remote: Annotated[str | None, typer.Argument(help=_REMOTE_HELP, metavar="REMOTE")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was sent and received as JSON.")
    ] = False,
) -> None:
    """Send this repository's runs, tags and notes to a git remote.

    Each run's code commit goes with it. Tags the remote changed meanwhile are merged first
    (the later change wins; both stay in the tag's history). Nothing is ever forced.
    """
    from runledger.cli.commands.sync import push as push_command

    report, target = push_command(Path.cwd(), remote)
    _print_sync(report, target.mirror, as_json)


@app.command("pull")
def pull(
    remote: Annotated[str | None, typer.Argument(help=_REMOTE_HELP, metavar="REMOTE")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was received as JSON.")
    ] = False,
) -> None:
    """Bring a git remote's runs, tags and notes into this repository.

    Runs merge by union and are never overwritten; a tag changed on both sides keeps the
    later change, with both in its history. Branches, HEAD and the work tree are untouched.
    """
    from runledger.cli.commands.sync import pull as pull_command

    report, target = pull_command(Path.cwd(), remote)
    _print_sync(report, target.mirror, as_json)


@app.command("init")
def init(
    remote: Annotated[
        str | None,
        typer.Argument(
            help="A configured remote's name (default: the branch's remote, else origin).",
            metavar="REMOTE",
        ),
    ] = None,
) -> None:
    """Configure a remote so plain 'git fetch' and 'git push' carry the ledger too.

    Fetched runs go to a mirror under refs/runledger/remotes/, so a forced update or
    'git fetch --prune' can never drop a run of this repository.
    """
    from runledger.cli.commands.sync import init as init_command

    result = init_command(Path.cwd(), remote)
    for warning in result.warnings:
        print(f"runledger: warning: {warning}", file=sys.stderr)
    if not result.added:
        print(f"{result.remote} is already set up: 'git fetch' and 'git push' carry the ledger")
        return
    for key, value in result.added:
        print(f"added {key} = {value}")
    print(f"plain 'git fetch' and 'git push' with {result.remote} now carry the ledger")


@app.command("tag")
def tag(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            help="RUN NAME: the run (id, prefix or tag) and the tag's name; "
            "with --delete, just NAME.",
            metavar="RUN NAME",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Move NAME to RUN if it names another run.")
    ] = False,
    delete: Annotated[
        bool,
        typer.Option("--delete", "-d", help="Delete tag NAME (its history is kept)."),
    ] = False,
) -> None:
    """Give a run a team-visible name such as 'production' (runledger tag RUN NAME).

    An existing name is refused unless --force moves it. Every change is kept: see
    'runledger tags --history NAME'. Tags travel with push and pull.
    """
    from runledger import ids
    from runledger.cli.commands.tag import delete_tag, tag_run

    given = list(args or ())
    if delete:
        if len(given) != 1 or force:
            raise click_exceptions.UsageError("--delete takes just the tag's NAME")
        change = delete_tag(Path.cwd(), given[0])
        was = change.before.run if change.before else None
        print(f"deleted tag {given[0]} (it named run {ids.short_id(was or '')})")
        return
    if len(given) != 2:
        raise click_exceptions.UsageError("give the RUN and the tag's NAME: runledger tag RUN NAME")
    change = tag_run(Path.cwd(), given[0], given[1], force=force)
    run = ids.short_id(change.after.run or "")
    if not change.changed:
        print(f"tag {given[1]} already names run {run}")
    elif change.before is not None:
        before = ids.short_id(change.before.run or "")
        print(f"moved tag {given[1]} from run {before} to run {run}")
    else:
        print(f"tagged run {run} as {given[1]}")


@app.command("tags")
def tags_(
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            metavar="NAME",
            help="Every change of tag NAME: when, by whom, from which run to which.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List team tags and the runs they name."""
    from runledger.cli.commands.tag import list_tags, tag_history

    states = tag_history(Path.cwd(), history) if history else list_tags(Path.cwd())
    if as_json:
        _print_json([state.json() for state in states])
        return
    from runledger.views.team import render_history, render_tags

    (render_history if history else render_tags)(states)


@app.command("note")
def note(
    run: Annotated[
        str, typer.Argument(help="A run id, a unique prefix of one, or a tag.", metavar="RUN")
    ],
    text: Annotated[str, typer.Argument(help="The note's text (quote it).", metavar="TEXT")],
) -> None:
    """Attach a note to a run; shown by 'show', synced by push and pull.

    A run may have several notes; each keeps its author and time. Secrets are masked.
    """
    from runledger import ids
    from runledger.cli.commands.tag import add_note

    run_id, _ = add_note(Path.cwd(), run, text)
    print(f"added a note to run {ids.short_id(run_id)}")


@app.command("compare")
def compare(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to compare (ids, prefixes or tags); default: every run.", metavar="RUN"
        ),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="Mark the best run by this metric and order by it, best first.",
            metavar="NAME",
        ),
    ] = None,
    maximize: Annotated[
        bool | None,
        typer.Option(
            "--maximize/--minimize",
            help="Whether higher or lower --metric is better (default: lower for names like "
            "loss, error, mse, mae, rmse, perplexity, time; higher otherwise).",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[str | None, typer.Option("--sort", help=SORT_HELP, metavar="KEY")] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="table, csv, json or markdown.", metavar="FORMAT"),
    ] = "table",
    all_columns: Annotated[
        bool,
        typer.Option("--all-columns", help="Show params that are the same in every run too."),
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=0, help="Show at most N runs.")
    ] = None,
) -> None:
    """Runs side by side: the params that differ, the metrics, and which run is best."""
    from runledger.cli.commands.compare import compare_runs, parse_format, print_comparison

    output_format = parse_format(fmt)
    comparison = compare_runs(
        Path.cwd(),
        runs or [],
        where=where,
        metric=metric,
        maximize=maximize,
        sort=sort,
        all_columns=all_columns,
        limit=limit,
    )
    empty = "No runs match --where." if where else "No runs recorded yet."
    print_comparison(comparison, output_format, empty)


@app.command("diff")
def diff(
    run_a: Annotated[
        str, typer.Argument(help="The first run (id, unique prefix or tag).", metavar="RUN_A")
    ],
    run_b: Annotated[str, typer.Argument(help="The second run.", metavar="RUN_B")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    code: Annotated[
        bool, typer.Option("--code", help="Show the whole code patch, not only --stat.")
    ] = False,
) -> None:
    """What changed from RUN_A to RUN_B: command, params, metrics, code, files, environment."""
    from runledger.cli.commands.diff import diff_two

    result = diff_two(Path.cwd(), run_a, run_b, patch=code)
    if as_json:
        _print_json(result.to_json())
        return
    from runledger.views.diff import render_diff

    render_diff(result)


@app.command("which")
def which(
    file: Annotated[
        str, typer.Argument(help="The file to look up: a model, a checkpoint, a data file.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> int:
    """Which runs produced FILE (an artifact) or read it (an input).

    FILE is known by its content (sha256, or git blob id), so a renamed copy found on another
    machine is found too. Exits 0 when a run knows FILE, 1 when none does.
    """
    from runledger.analysis.lineage import which as find_runs

    found = find_runs(Path.cwd(), file)
    if as_json:
        _print_json(found.to_json())
    elif found.matches:
        from runledger.views.runs import render_which

        render_which(found)
    if not found.matches:
        print(
            f"runledger: no run produced or read {file} (sha256 {found.sha256[:16]})",
            file=sys.stderr,
        )
        return 1
    return 0


@app.command("verify")
def verify(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix of one, or a tag.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> int:
    """Re-hash RUN's recorded inputs and artifacts: same, changed or missing.

    Paths are looked up in this work tree (relative to the repository root). Exits 0 when
    every file is the same, 1 when any changed or is missing.
    """
    from runledger.cli.commands.verify import verify_run

    verification = verify_run(Path.cwd(), run)
    if as_json:
        _print_json(verification.to_json())
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


@app.command("reproduce")
def reproduce(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix of one, or a tag.")],
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
    from runledger.cli.commands.reproduce import reproduce_command

    options = ReproduceOptions(
        spec=run,
        yes=yes,
        tolerances=tuple(tolerance or ()),
        strict=strict,
        allow_input_drift=allow_input_drift,
        keep=keep,
    )
    interactive = sys.stdin is not None and sys.stdin.isatty()
    return reproduce_command(Path.cwd(), options, _ask_to_run if interactive else None)


def _ask_to_run() -> bool:
    # Not typer.confirm: it turns SIGTERM's exception into a plain abort, and reproduce must
    # exit 128 + the signal like any command ended by one.
    sys.stderr.write("Run it? [y/N]: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


MAXIMIZE_HELP = (
    "Whether higher or lower METRIC is better (default: lower for names like loss, error, "
    "mse, mae, rmse, perplexity, time; higher otherwise)."
)


@app.command("plot")
def plot(
    metric: Annotated[
        str, typer.Argument(help="The metric to plot, e.g. val_loss.", metavar="METRIC")
    ],
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to plot (ids, prefixes or tags); default: every run.", metavar="RUN"
        ),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    x_axis: Annotated[
        str,
        typer.Option(
            "--x",
            help="The x axis: step, or time (seconds since each run started; spread over the "
            "run's duration, and marked approximate, for runs recorded before per-point times).",
            metavar="step|time",
        ),
    ] = "step",
    log_y: Annotated[bool, typer.Option("--log-y", help="A logarithmic y axis.")] = False,
    smooth: Annotated[
        int,
        typer.Option(
            "--smooth",
            min=1,
            help="Average each point with the N-1 before it (a trailing moving average).",
            metavar="N",
        ),
    ] = 1,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            "-n",
            min=0,
            help="Draw at most N runs, the best by the metric's last value; 0 draws all.",
            metavar="N",
        ),
    ] = 10,
    maximize: Annotated[
        bool | None,
        typer.Option("--maximize/--minimize", help=MAXIMIZE_HELP, show_default=False),
    ] = None,
) -> None:
    """METRIC's step series of several runs as one chart in the terminal.

    One colour per run (one character when not on a colour terminal), with a legend of short
    ids and the params that differ. Runs without METRIC are listed on stderr, not drawn.
    """
    from runledger.analysis.curves import parse_x_axis
    from runledger.cli.commands.plot import plot_chart

    chart = plot_chart(
        Path.cwd(),
        metric,
        runs or [],
        where=where,
        x_axis=parse_x_axis(x_axis),
        log_y=log_y,
        smooth=smooth,
        top=top,
        maximize=maximize,
    )
    from runledger.views.charts import render_chart

    render_chart(chart)


@app.command("importance")
def importance(
    metric: Annotated[
        str, typer.Argument(help="The metric to explain, e.g. val_loss.", metavar="METRIC")
    ],
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    maximize: Annotated[
        bool | None,
        typer.Option("--maximize/--minimize", help=MAXIMIZE_HELP, show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> int:
    """Which params matter for METRIC across runs, as a ranked bar chart.

    Numeric params are scored by Spearman rank correlation, categorical ones by the
    correlation ratio (variance explained), both on the ranks of each run's last METRIC.
    Exits 1 when there are too few runs (fewer than 5 with METRIC) or no param varies.
    """
    from runledger.cli.commands.importance import param_importance

    result = param_importance(Path.cwd(), metric, where=where, maximize=maximize)
    if as_json:
        _print_json(result.to_json())
    elif result.problem is None:
        from runledger.views.charts import render_importance

        render_importance(result)
    if result.problem is not None:
        print(f"runledger: {result.problem}", file=sys.stderr)
        return 1
    return 0


@app.command("report")
def report(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to report on (ids, prefixes or tags); default: every run.", metavar="RUN"
        ),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file to write (replaced if it exists); - writes to stdout.",
            metavar="FILE",
        ),
    ] = ...,  # type: ignore[assignment]
    where: Annotated[
        str | None, typer.Option("--where", "-w", help=WHERE_HELP, metavar="EXPR")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="The metric the page is about: best run, order, curves, importance "
            "(default: the metric most runs recorded).",
            metavar="NAME",
        ),
    ] = None,
    maximize: Annotated[
        bool | None,
        typer.Option("--maximize/--minimize", help=MAXIMIZE_HELP, show_default=False),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            "-n",
            min=0,
            help="Curves of at most N runs per metric, the best; 0 draws all.",
            metavar="N",
        ),
    ] = 10,
    title: Annotated[
        str | None, typer.Option("--title", help="The page's title.", metavar="TEXT")
    ] = None,
) -> None:
    """One self-contained HTML page to share: compare table, curves, importance, runs.

    The page needs no network to open (no scripts, charts inlined as SVG): the compare
    table, metric curves, params against the metric (parallel coordinates), which params
    matter, and each run's commit, command and environment.
    """
    from runledger.cli.commands.report import build_report, write_report

    page, count, chosen = build_report(
        Path.cwd(), runs or [], where=where, metric=metric, maximize=maximize, top=top, title=title
    )
    size = write_report(page, output)
    if output != "-":
        about = f" about {chosen}" if chosen else ""
        print(
            f"runledger: wrote {output} ({count} run{'s' if count != 1 else ''}{about}, "
            f"{size / 1024:.0f} KiB)",
            file=sys.stderr,
        )
