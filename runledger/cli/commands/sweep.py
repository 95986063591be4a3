"""``runledger sweep``: hyperparameter search with Optuna, every trial a child run."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from runledger import ids
from runledger.errors import DirtyTreeError, UserError

SPACE_HELP = (
    "A search space NAME=EXPR (repeatable): uniform(a,b), loguniform(a,b), int(a,b), "
    "intlog(a,b), choice(x,y,...), or a grid list such as lr=0.1,0.01."
)


def sweep_command(
    command: Annotated[
        list[str] | None,
        typer.Argument(
            help="The command of each trial (no shell); {NAME} is replaced by the trial's value.",
            metavar="COMMAND",
        ),
    ] = None,
    space: Annotated[
        list[str] | None,
        typer.Option("-s", "--space", help=SPACE_HELP, metavar="NAME=EXPR"),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option("--metric", "-m", help="The metric to optimise, as each trial records it."),
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option(
            "--trials", "-n", min=1, help="How many trials (default: the grid's size, else 20)."
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Trials run at once (processes).")
    ] = 1,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="Which value of the metric's series is the trial's score: last, min or max.",
        ),
    ] = "last",
    maximize: Annotated[
        bool | None,
        typer.Option(
            "--maximize/--minimize",
            help="Whether higher or lower is better (default: lower for names like loss, "
            "error, time; higher otherwise).",
            show_default=False,
        ),
    ] = None,
    sampler: Annotated[
        str | None,
        typer.Option(
            "--sampler",
            help="tpe, random, grid or cmaes (default: grid when every space is a list, else tpe).",
        ),
    ] = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Stop unpromising trials early on the metric's intermediate values."
        ),
    ] = False,
    style: Annotated[
        str,
        typer.Option(
            "--style",
            help="How a space not named by {NAME} in the command is passed: flags "
            "(--name=value; --config.name=value where the program's last run recorded name "
            "from an ml_collections config) or hydra (name=value).",
        ),
    ] = "flags",
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed the sampler, for a repeatable search.")
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="An Optuna storage shared by several machines: sqlite:///FILE, an RDB URL, "
            "or a journal file (default: a journal file in the git directory).",
            metavar="URL",
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option("--resume", help="Continue an interrupted sweep.", metavar="SWEEP"),
    ] = None,
    join: Annotated[
        str | None,
        typer.Option(
            "--join",
            help="Add this machine's workers to a sweep running elsewhere (with --storage).",
            metavar="SWEEP",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="A name for the sweep's parent run.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each trial's output (on stderr).")
    ] = False,
) -> int:
    """Search hyperparameters with Optuna: each trial is a 'runledger exec' of COMMAND,
    recorded as a child run of the sweep's parent run.

    Ctrl-C stops cleanly (running trials are recorded as interrupted); '--resume SWEEP'
    continues. '--storage URL' plus '--join SWEEP' on another clone adds workers; push and
    pull bring every trial together.
    """
    from runledger.analysis import search
    from runledger.analysis import sweep as spaces_
    from runledger.store import git

    cwd = Path.cwd()
    repo, head, dirty = git.discover_with_status(cwd)
    if dirty:
        shown = ", ".join(dirty[:10])
        raise DirtyTreeError(
            f"the work tree has uncommitted changes ({shown}): commit or stash them before "
            "sweeping, so every trial's code is the same commit"
        )
    if head.commit is None:
        raise UserError("the repository has no commit yet: commit your code first")
    if resume is not None and join is not None:
        raise UserError("--resume and --join cannot be given together")
    existing = resume or join
    spaces_.check_choice(objective, spaces_.OBJECTIVES, "--objective")
    spaces_.check_choice(style, spaces_.STYLES, "--style")
    if sampler is not None:
        spaces_.check_choice(sampler, spaces_.SAMPLERS, "--sampler")
    if join is not None and storage is None:
        raise UserError("--join needs --storage URL: the storage the sweep was started with")

    if existing is None:
        if not command:
            raise UserError(
                "sweep: no command given: write it after '--', e.g. "
                "runledger sweep -s 'lr=loguniform(1e-5,1e-1)' --metric val_loss -- "
                "python train.py --lr {lr}"
            )
        if not space:
            raise UserError("sweep: give at least one search space with -s NAME=EXPR")
        if metric is None:
            raise UserError("sweep: --metric NAME is needed: the metric the trials optimise")
        parsed = spaces_.parse_spaces(space)
        chosen_sampler = sampler or spaces_.default_sampler(parsed)
        default_trials = spaces_.grid_size(parsed) if chosen_sampler == "grid" else 20
        settings = search.SweepSettings(
            command=tuple(command),
            spaces=tuple(space),
            metric=metric,
            direction=spaces_.direction_for(metric, maximize),
            objective=objective,
            sampler=chosen_sampler,
            trials=trials or default_trials,
            style=style,
            prune=prune,
            seed=seed,
        )
        sweep_id = parent_id = ids.new_run_id()
        study = search.create_study(
            search.open_storage(storage, repo, sweep_id), sweep_id, settings
        )
    else:
        if command or space:
            raise UserError(
                "a resumed or joined sweep keeps its own command and spaces: give only its id"
            )
        sweep_id = existing.strip().lower()
        if storage is None:
            sweep_id = search.local_sweep_id(repo, sweep_id)
        study, settings = search.load_study(search.open_storage(storage, repo, sweep_id), sweep_id)
        sweep_id = study.study_name
        if trials is not None:
            settings = replace(settings, trials=trials)
        if resume is not None:
            search.fail_stale_trials(study)
        parent_id = ids.new_run_id()

    from runledger.views.sweep import print_trial_line, render_sweep_end

    print(
        f"runledger: sweep {sweep_id}: {settings.trials} trials of "
        f"{' '.join(settings.command)} ({settings.sampler}, {settings.direction} "
        f"{settings.metric}, {jobs} at a time)",
        file=sys.stderr,
    )
    engine = search.SweepEngine(
        repo, cwd, study, settings, sweep_id=sweep_id, parent_id=parent_id, jobs=jobs,
        on_trial=lambda outcome: print_trial_line(outcome, settings.metric), echo=verbose,
    )  # fmt: skip
    result = engine.run()
    from runledger.recording.children import write_run

    parent = search.parent_run(repo, head, result, name=name or f"sweep {settings.metric}")
    write_run(repo, parent)
    render_sweep_end(result, parent.id)
    if result.interrupted:
        return 130
    if not result.best:
        print(f"runledger: error: no trial recorded {settings.metric}", file=sys.stderr)
        return 1
    return 0
