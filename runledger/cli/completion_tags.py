"""The team tags a TAB offers: those that name a run now, read without starting git when it can.

Deleting a tag keeps its ref (a last "delete" state, so the deletion syncs; see store/tags.py),
so a tag's ref alone does not say whether the tag is live. What a tag commit holds never
changes, so whether it is a deletion is remembered by its id in ``runledger/cache/tag-states``:
a TAB reads the tag refs as files and that list, and asks git only about tag commits it has not
seen (a tag set, moved, deleted or pulled since the last TAB).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

PREFIX = "refs/runledger/tags/"
STATES_FILE = os.path.join("runledger", "cache", "tag-states")


def live_team_tags(common_dir: str, cwd: str) -> list[str]:
    """Names of the team tags that name a run, sorted (``cwd``: where git is asked from)."""
    tips = _tag_tips(common_dir)
    if not tips:
        return []
    live = _known_states(common_dir)
    unseen = {name: oid for name, oid in tips.items() if oid not in live}
    if unseen:
        live.update(_ask_git(cwd, unseen))
        _remember(common_dir, {oid: live[oid] for oid in tips.values() if oid in live})
    # A tag git could not be asked about is offered, as before this list existed.
    return sorted(name for name, oid in tips.items() if live.get(oid, True))


def _tag_tips(common_dir: str) -> dict[str, str]:
    """Tag name -> commit id, from packed-refs and the loose ref files (which win)."""
    tips: dict[str, str] = {}
    try:
        with open(os.path.join(common_dir, "packed-refs"), encoding="utf-8", errors="replace") as f:
            packed = f.read()
    except OSError:
        packed = ""
    for line in packed.splitlines():
        oid, _, ref = line.partition(" ")
        if ref.startswith(PREFIX):
            tips[ref[len(PREFIX) :]] = oid
    try:
        with os.scandir(os.path.join(common_dir, PREFIX)) as entries:
            files = [(entry.name, entry.path) for entry in entries if entry.is_file()]
    except OSError:
        files = []
    for name, path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                tips[name] = handle.read(200).strip()
        except OSError:
            continue
    return tips


def _known_states(common_dir: str) -> dict[str, bool]:
    try:
        with open(os.path.join(common_dir, STATES_FILE), encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    known: dict[str, bool] = {}
    for line in lines:
        oid, _, state = line.partition(" ")
        if state in ("live", "deleted"):
            known[oid] = state == "live"
    return known


def _ask_git(cwd: str, tips: Mapping[str, str]) -> dict[str, bool]:
    """Whether each of these tag commits names a run; {} when git cannot say."""
    try:
        from runledger.store import git, tags

        return tags.liveness(git.discover(cwd), tips)
    except Exception:  # noqa: BLE001 - a TAB never fails: the tags are offered as before
        return {}


def _remember(common_dir: str, states: Mapping[str, bool]) -> None:
    path = os.path.join(common_dir, STATES_FILE)
    text = "".join(f"{oid} {'live' if live else 'deleted'}\n" for oid, live in states.items())
    partial = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(partial, "w", encoding="ascii") as handle:
            handle.write(text)
        os.replace(partial, path)
    except OSError:
        try:
            os.unlink(partial)
        except OSError:
            pass
