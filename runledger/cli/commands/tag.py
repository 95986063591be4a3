"""``runledger tag``, ``tags`` and ``note``: team-visible names and notes on runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import (
    JsonArrayOption,
    RunArgument,
    click_exceptions,
    print_json,
)
from runledger.errors import UserError
from runledger.redact import Redactor, usable_patterns
from runledger.safetext import safe
from runledger.store import git, notes, tags
from runledger.store.ledger import Ledger


def exec_redactor(repo: git.Repo) -> Redactor:
    """The masking exec applies, with this repository's own secret patterns."""
    from runledger import config as project_config

    patterns, _ = usable_patterns(git.read_config(repo).secret_patterns)
    extra = (*patterns, *project_config.load(repo.root).secret_patterns)
    return Redactor(dict(os.environ), extra)


def tag_run(cwd: Path, spec: str, name: str, *, force: bool) -> tags.TagChange:
    tags.validate_name(name)
    repo = git.discover(cwd)
    if exec_redactor(repo).mask_text(name) != name:
        # A tag name becomes a ref name, pushed to the team's remote and never masked there.
        raise UserError(
            "that tag name looks like a secret (a token or key): it would become a ref name "
            "that push sends to the team's remote; choose another name"
        )
    ledger = Ledger(repo)
    run = ledger.resolve(spec)
    return tags.set_tag(ledger.repo, name, run.id, run.oid, force=force)


def delete_tag(cwd: Path, name: str) -> tags.TagChange:
    return tags.delete_tag(git.discover(cwd), name)


def list_tags(cwd: Path) -> list[tags.TagState]:
    ledger = Ledger(git.discover(cwd))
    live = tags.live_tags(ledger.repo, ledger.warn_corrupt)
    return sorted(live.values(), key=lambda state: state.name)


def tag_history(cwd: Path, name: str) -> list[tags.TagState]:
    return tags.history(git.discover(cwd), name)


def add_note(cwd: Path, spec: str, text: str) -> tuple[str, notes.Note]:
    ledger = Ledger(git.discover(cwd))
    run = ledger.resolve(spec)
    masked = exec_redactor(ledger.repo).mask_text(text)
    return run.id, notes.add_note(ledger.repo, run.id, masked)


def tag_command(
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

    given = list(args or ())
    if delete:
        if len(given) != 1 or force:
            raise click_exceptions.UsageError("--delete takes just the tag's NAME")
        change = delete_tag(Path.cwd(), given[0])
        was = change.before.run if change.before else None
        print(f"deleted tag {safe(given[0])} (it named run {safe(ids.short_id(was or ''))})")
        return
    if len(given) != 2:
        raise click_exceptions.UsageError("give the RUN and the tag's NAME: runledger tag RUN NAME")
    change = tag_run(Path.cwd(), given[0], given[1], force=force)
    run = safe(ids.short_id(change.after.run or ""))
    name = safe(given[1])
    if not change.changed:
        print(f"tag {name} already names run {run}")
    elif change.before is not None:
        before = safe(ids.short_id(change.before.run or ""))
        print(f"moved tag {name} from run {before} to run {run}")
    else:
        print(f"tagged run {run} as {name}")


def tags_command(
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            metavar="NAME",
            help="Every change of tag NAME: when, by whom, from which run to which.",
        ),
    ] = None,
    as_json: JsonArrayOption = False,
) -> None:
    """List team tags and the runs they name."""
    states = tag_history(Path.cwd(), history) if history else list_tags(Path.cwd())
    if as_json:
        print_json([state.json() for state in states])
        return
    from runledger.views.team import render_history, render_tags

    (render_history if history else render_tags)(states)


def note_command(
    run: RunArgument,
    text: Annotated[str, typer.Argument(help="The note's text (quote it).", metavar="TEXT")],
) -> None:
    """Attach a note to a run; shown by 'show', synced by push and pull.

    A run may have several notes; each keeps its author and time. Secrets are masked.
    """
    from runledger import ids

    run_id, _ = add_note(Path.cwd(), run, text)
    print(f"added a note to run {ids.short_id(run_id)}")
