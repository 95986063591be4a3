"""Team tags: a name such as ``production`` that points at one run, with its whole history.

``refs/runledger/tags/<name>`` is a chain of commits (see facts.py); each holds ``tag.toml``,
the tag's state after one change: which run it names (none once deleted), who changed it and
when, and which run it named before. Deleting a tag writes a last "delete" state rather than
removing the ref, so the deletion syncs to other clones and the history stays.

When the same tag changed in two clones, the later change wins (by its recorded time; equal
times are broken by the commit id, so every clone decides alike). The merge commit keeps both
chains as parents and records the change that lost, so ``tags --history`` shows both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from runledger import ids
from runledger.errors import CorruptRecordError, UserError
from runledger.model.tag import TagState as TagState  # re-exported: tags.TagState
from runledger.store import facts, git, refs

TAGS_PREFIX = refs.TAGS_PREFIX
TAG_FILE = "tag.toml"

# Told of each tag ref that cannot be read: (ref, error). Readers skip such a tag with a
# warning, as they skip a damaged run; writers get the error instead.
OnDamaged = Callable[[str, CorruptRecordError], None]
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class TagChange:
    """What ``runledger tag`` did: ``before`` is None for a new tag."""

    before: TagState | None
    after: TagState
    changed: bool


def validate_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name.endswith((".", ".lock")) or ".." in name:
        raise UserError(
            f"invalid tag name {name!r}: use letters, digits, '.', '_' and '-' (up to 100, "
            "starting with a letter, digit or '_')"
        )
    if len(name) == ids.ID_LENGTH and ids.is_run_id_prefix(name):
        raise UserError(f"invalid tag name {name!r}: it has the shape of a run id")
    return name


def tag_ref(name: str) -> str:
    return TAGS_PREFIX + name


def read_states(repo: git.Repo, oids: Iterable[tuple[str, str]]) -> list[TagState]:
    """The state held by each (where, commit id) pair; unreadable ones raise."""
    return [state for _, state in _read(repo, list(oids), None)]


def _read(
    repo: git.Repo, pairs: list[tuple[str, str]], on_damaged: OnDamaged | None
) -> Iterator[tuple[str, TagState]]:
    """(where, state) of each readable (where, commit id) pair; an unreadable one raises, or
    with ``on_damaged`` is reported to it and left out."""
    if not pairs:
        return
    with git.CatFile(repo) as cat:
        contents = facts.read_many(cat, [f"{oid}:{TAG_FILE}" for _, oid in pairs], TAG_FILE)
    for (where, oid), content in zip(pairs, contents, strict=True):
        # A skipped one is named by a warning that starts with the ref already.
        label = f"{where}:{TAG_FILE}" if on_damaged is None else f"{where}: {TAG_FILE}"
        try:
            state = TagState.from_document(facts.parse(content, label), oid, where)
        except CorruptRecordError as exc:
            if on_damaged is None:
                raise
            on_damaged(where, exc)
            continue
        yield where, state


def tips(
    repo: git.Repo, name: str | None = None, on_damaged: OnDamaged | None = None
) -> dict[str, TagState]:
    """Every tag's current state (deleted ones included), by name; or just ``name``'s. A tag
    that cannot be read raises, or with ``on_damaged`` is reported to it and left out."""
    prefix = tag_ref(name) if name is not None else TAGS_PREFIX
    refs = [(ref, oid) for ref, oid in git.list_refs(repo, prefix) if ref.startswith(TAGS_PREFIX)]
    found: dict[str, TagState] = {}
    for ref, state in _read(repo, refs, on_damaged):
        named = ref[len(TAGS_PREFIX) :]
        if state.name != named:
            # runledger writes each tag's own name; another one is a pulled record posing as
            # that tag (`tags` would list `production` for refs/runledger/tags/x).
            error = CorruptRecordError(f"{ref}: {TAG_FILE} names another tag ({state.name!r})")
            if on_damaged is None:
                raise error
            on_damaged(ref, error)
            continue
        found[named] = state
    return found


def tip(repo: git.Repo, name: str) -> TagState | None:
    try:
        return tips(repo, name).get(name)
    except CorruptRecordError as exc:
        raise CorruptRecordError(
            f"{exc}; move the damaged tag aside with 'runledger doctor --fix' (or remove it: "
            f"git update-ref -d {tag_ref(name)})"
        ) from exc


def live_tags(repo: git.Repo, on_damaged: OnDamaged | None = None) -> dict[str, TagState]:
    """Tags that name a run now (deleted ones left out), by name."""
    found = tips(repo, None, on_damaged)
    return {name: state for name, state in found.items() if not state.deleted}


def liveness(repo: git.Repo, tips: Mapping[str, str]) -> dict[str, bool]:
    """Whether each tag commit (tag name -> commit id) names a run, by commit id: False for a
    deletion and for one that cannot be read (readers skip it)."""
    live = dict.fromkeys(tips.values(), False)
    pairs = [(tag_ref(name), oid) for name, oid in tips.items()]
    for ref, state in _read(repo, pairs, lambda ref, error: None):
        live[state.oid] = not state.deleted and tag_ref(state.name) == ref
    return live


def _commit_state(repo: git.Repo, state: TagState, parents: list[str], timestamp: int) -> str:
    target = state.run or "nothing (deleted)"
    message = f"runledger tag {state.name}: {state.action}, now {target}\n"
    return facts.write_commit(
        repo, TAG_FILE, state.document(), parents, state.by, timestamp, message
    )


def set_tag(repo: git.Repo, name: str, run_id: str, run_commit: str, *, force: bool) -> TagChange:
    """Point tag ``name`` at a run; without ``force`` a tag naming another run is refused."""
    validate_name(name)
    ident = facts.current_ident(repo)
    for _ in range(facts.CAS_ATTEMPTS):
        current = tip(repo, name)
        live = current if current is not None and not current.deleted else None
        if live is not None and live.run == run_id:
            return TagChange(live, live, changed=False)
        if live is not None and not force:
            raise UserError(
                f"tag {name!r} already names run {ids.short_id(live.run or '')}: "
                f"use --force to move it to run {ids.short_id(run_id)}"
            )
        timestamp = time.time()
        state = TagState(
            name=name,
            action="move" if live is not None else "create",
            run=run_id,
            commit=run_commit,
            previous=live.run if live is not None else None,
            by=ident,
            at=facts.now_iso(timestamp),
        )
        oid = _commit_state(repo, state, [current.oid] if current else [], int(timestamp))
        try:
            git.update_ref(repo, tag_ref(name), oid, current.oid if current else None)
        except git.RefExistsError:
            continue  # someone changed the tag meanwhile: decide again on its new state
        return TagChange(live, replace(state, oid=oid), changed=True)
    raise UserError(f"tag {name!r} kept changing while runledger tried to set it: try again")


def delete_tag(repo: git.Repo, name: str) -> TagChange:
    """Delete tag ``name``: a last "delete" state, so the deletion and the history sync."""
    validate_name(name)
    ident = facts.current_ident(repo)
    for _ in range(facts.CAS_ATTEMPTS):
        current = tip(repo, name)
        if current is None or current.deleted:
            raise UserError(f"no tag named {name!r}: see 'runledger tags'")
        timestamp = time.time()
        state = TagState(
            name=name,
            action="delete",
            run=None,
            commit=None,
            previous=current.run,
            by=ident,
            at=facts.now_iso(timestamp),
        )
        oid = _commit_state(repo, state, [current.oid], int(timestamp))
        try:
            git.update_ref(repo, tag_ref(name), oid, current.oid)
        except git.RefExistsError:
            continue
        return TagChange(current, replace(state, oid=oid), changed=True)
    raise UserError(f"tag {name!r} kept changing while runledger tried to delete it: try again")


def history(repo: git.Repo, name: str) -> list[TagState]:
    """Every change of tag ``name`` in both merged chains, newest first."""
    validate_name(name)
    current = tip(repo, name)
    if current is None:
        raise UserError(f"no tag named {name!r}: see 'runledger tags'")
    commits = git.rev_list(repo, current.oid)
    states = read_states(repo, ((tag_ref(name), oid) for oid in commits))
    # A merge carries the time of the change it kept, and comes after that change.
    return sorted(states, key=lambda s: (s.at, s.action == "merge", s.oid), reverse=True)


def merge(repo: git.Repo, ours: TagState, theirs: TagState) -> TagState:
    """Join two diverged chains of one tag: the later change wins, both stay in history."""
    winner, loser = sorted((ours, theirs), key=lambda s: (s.at, s.oid), reverse=True)
    state = replace(
        winner,
        action="merge",
        oid="",
        overruled={
            key: value
            for key, value in {
                "run": loser.run,
                "action": loser.action,
                "by": loser.by,
                "at": loser.at,
            }.items()
            if value is not None
        },
    )
    target = state.run or "nothing (deleted)"
    message = (
        f"runledger tag {state.name}: merge, now {target}\n\n"
        f"The tag changed in two places; the later change ({winner.at}) wins.\n"
    )
    oid = facts.write_commit(
        repo,
        TAG_FILE,
        state.document(),
        [winner.oid, loser.oid],
        facts.MERGE_IDENT,
        facts.iso_seconds(winner.at),
        message,
    )
    return replace(state, oid=oid)
