"""Sharing the ledger through an ordinary git remote: push, pull and init.

Everything goes through the git binary, so the user's URLs, credentials, ssh config and hooks
apply. Both directions start the same way:

1. fetch the remote's ``refs/runledger/{runs,tags,notes}/*`` into a mirror,
   ``refs/runledger/remotes/<remote>/...``. The mirror is forced and pruned to match the
   remote exactly, which is safe because it is only ever a copy: no forced update or prune can
   reach this repository's own runs. (A fetch refspec straight into ``refs/runledger/runs/``
   would let ``git fetch --prune`` or ``fetch.prune=true`` delete every run not yet pushed.)
2. integrate the mirror: runs this repository lacks are adopted, create-only; a run id whose
   content differs on the two sides is reported and never overwritten; tags and notes are
   merged chain by chain (fast-forward, else a deterministic merge commit: tags.py, notes.py).

Push then sends ``refs/runledger/{runs,tags,notes}/*``, never forced and atomically where the
remote supports it, so a failed push changes nothing there. A push that lost a race (the
remote moved since the fetch) starts over from step 1, a bounded number of times.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from runledger import ids
from runledger.errors import UserError
from runledger.redact import strip_url_credentials
from runledger.safetext import repr_bytes, safe
from runledger.store import git, notes, refs, tags
from runledger.store.doctor import BadRef, bad_local_run_refs, dangling_refs, quarantine_ref
from runledger.store.ledger import fix_hint
from runledger.store.refs import MIRROR_PREFIX, NAMESPACES, ROOT, RUNS_PREFIX

PUSH_ATTEMPTS = 6
# From this many new runs a pull writes their refs into packed-refs directly (git.py).
PACKED_ADOPTION = 64
MERGE_ATTEMPTS = 5
# Why git refuses a ref when another push got there first; anything else is a real refusal.
# Checked by this side before sending:
RACE_REASONS = frozenset({"non-fast-forward", "fetch first", "stale info", "atomic push failed"})
# Found by the remote while updating (its compare-and-swap failed), with what it then says:
REMOTE_RACE_REASONS = frozenset({"failed to update ref", "atomic transaction failed"})
REMOTE_RACE_SIGNS = ("but expected", "cannot lock ref")
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Remote:
    name: str  # as shown to the user (credentials removed)
    target: str  # as given to git: a remote's name or a URL
    key: str  # the mirror's folder under refs/runledger/remotes/

    @property
    def mirror(self) -> str:
        return f"{MIRROR_PREFIX}{self.key}/"

    def fetch_refspecs(self) -> list[str]:
        return [f"+{prefix}*:{self.mirror}{ns}/*" for ns, prefix in NAMESPACES.items()]


def push_refspecs() -> list[str]:
    return [f"{prefix}*:{prefix}*" for prefix in NAMESPACES.values()]


def _url_key(url: str) -> str:
    return "url-" + hashlib.sha1(url.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def resolve_remote(repo: git.Repo, given: str | None) -> Remote:
    """REMOTE as typed; by default the current branch's remote, else ``origin``."""
    config = git.read_config(repo)
    if given is None:
        branch = git.head_state(repo).branch
        tracked = config.branch_remote.get(branch) if branch else None
        if tracked and tracked != ".":
            given = tracked
        elif "origin" in config.remotes:
            given = "origin"
        else:
            raise UserError(
                "no remote to sync with: the current branch tracks none and there is no "
                "'origin'; name one (runledger push URL-or-REMOTE) or add one with "
                "'git remote add origin URL'"
            )
    if not given.strip():
        raise UserError("the remote is empty: give a remote's name or a git URL")
    if given in config.remotes:
        usable = _KEY.fullmatch(given) and not given.endswith(".lock") and ".." not in given
        return Remote(given, given, given if usable else _url_key(given))
    if _KEY.fullmatch(given) and not any(
        os.path.exists(os.path.join(folder, given)) for folder in (os.getcwd(), repo.root)
    ):
        # A bare word that is no remote here, nor a folder: git would say it "does not
        # appear to be a git repository", which reads as if the remote were broken.
        known = ", ".join(sorted(config.remotes)) or "none"
        raise UserError(
            f"no remote named {given!r} here (this repository's remotes: {known}); give "
            "one of them or a git URL, or add it with 'git remote add NAME URL'"
        )
    return Remote(strip_url_credentials(given), given, _url_key(given))


# --- what each side has --------------------------------------------------------------------


@dataclass
class _Side:
    runs: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, namespace: str, name: str, oid: str) -> None:
        if namespace == "runs":
            if len(name) == ids.ID_LENGTH and ids.is_run_id_prefix(name):
                self.runs[name] = oid
        elif namespace == "tags":
            self.tags[name] = oid
        elif namespace == "notes" and len(name) == ids.ID_LENGTH and ids.is_run_id_prefix(name):
            self.notes[name] = oid


def _snapshot(repo: git.Repo, remote: Remote) -> tuple[_Side, _Side]:
    """(this repository, the remote's mirror), in one git call."""
    here, there = _Side(), _Side()
    prefixes = list(NAMESPACES.values())
    for ref, oid in git.list_refs(repo, *prefixes, remote.mirror):
        parsed = refs.parse(ref)
        if parsed is None:
            continue
        if parsed.remote is None:
            here.add(parsed.namespace, parsed.name, oid)
        elif ref.startswith(remote.mirror):
            there.add(parsed.namespace, parsed.name, oid)
    return here, there


# --- integrating the mirror ----------------------------------------------------------------


@dataclass(frozen=True)
class TagUpdate:
    """A tag changed here by a sync: new, moved, deleted, or merged (changed on both sides)."""

    name: str
    kind: str
    state: tags.TagState
    kept_ours: bool = True  # merged: whether this clone's change was the later one

    def line(self, remote: str) -> str:
        target = _describe(self.state.run, self.state.by, self.state.at)
        if self.kind == "merged":
            lost = self.state.overruled or {}
            other = _describe(lost.get("run"), str(lost.get("by", "")), str(lost.get("at", "")))
            kept = "this clone's" if self.kept_ours else f"{remote}'s"
            return (
                f"tag {self.name}: changed here and on {remote}; kept the later change "
                f"({kept}: {target}); the other ({other}) stays in its history"
            )
        if self.kind == "deleted":
            return f"tag {self.name}: deleted ({self.state.by}, {self.state.at})"
        return f"tag {self.name}: {self.kind}, {target}"

    def json(self) -> dict[str, Any]:
        return {"name": self.name, "change": self.kind, **self.state.json()}


def _describe(run: object, by: str, at: str) -> str:
    what = f"run {ids.short_id(str(run))}" if run else "deleted"
    return f"{what} by {by} at {at}" if by else what


@dataclass
class _Integration:
    received: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    tags: list[TagUpdate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs_here: int = 0  # this repository's runs once integrated

    def extend(self, other: _Integration) -> None:
        self.received += other.received
        self.tags += other.tags
        self.notes += other.notes
        self.conflicts = other.conflicts  # the latest view of them
        self.runs_here = other.runs_here


def _adopt_runs(repo: git.Repo, runs: dict[str, str]) -> list[str]:
    """Create the refs of runs new to this repository; never touches an existing one.

    A mirrored ref that is not a commit (a blob pushed by a broken or hostile clone) is left
    in the mirror with a warning: adopting it would only pass it on."""
    if not runs:
        return []
    types = git.object_types(repo, list(runs.values()))
    for run_id, oid in list(runs.items()):
        if types.get(oid) != "commit":
            kind = types.get(oid) or "missing object"
            print(
                f"runledger: warning: not taking run {run_id} from the remote: it points at a "
                f"{kind}, not a run commit ('runledger doctor' lists it)",
                file=sys.stderr,
            )
            del runs[run_id]
    if not runs:
        return []
    refs = {RUNS_PREFIX + run_id: oid for run_id, oid in runs.items()}
    try:
        # Many runs (a fresh clone's first pull) go straight into packed-refs.
        if len(refs) < PACKED_ADOPTION or not git.create_refs_packed(repo, refs):
            git.create_refs(repo, refs)
        return sorted(runs)
    except git.RefExistsError:
        pass  # one appeared meanwhile (a concurrent pull): create the others one by one
    adopted = []
    for run_id, oid in runs.items():
        try:
            git.create_refs(repo, {RUNS_PREFIX + run_id: oid})
            adopted.append(run_id)
        except git.RefExistsError:
            continue
    return sorted(adopted)


def _local_oid(repo: git.Repo, ref: str) -> str | None:
    return next((oid for name, oid in git.list_refs(repo, ref) if name == ref), None)


def _integrate_tag(repo: git.Repo, name: str, ours: str | None, theirs: str) -> TagUpdate | None:
    try:
        tags.validate_name(name)
    except UserError:
        shown = repr_bytes(repr(name))
        print(f"runledger: warning: skipping remote tag with a bad name: {shown}", file=sys.stderr)
        return None
    ref = tags.tag_ref(name)
    for _ in range(MERGE_ATTEMPTS):
        if ours == theirs or (ours is not None and git.is_ancestor(repo, theirs, ours)):
            return None  # nothing new there (what is new here goes out with push)
        where = f"{ref} (from the remote)"
        their_state = tags.read_states(repo, [(where, theirs)])[0]
        try:
            if ours is None or git.is_ancestor(repo, ours, theirs):
                git.update_ref(repo, ref, theirs, ours)
                was_live = ours is not None and not _is_deleted(repo, ref, ours)
                if their_state.deleted:
                    # A tag deleted before this clone ever saw it is history, not news.
                    return TagUpdate(name, "deleted", their_state) if was_live else None
                return TagUpdate(name, "moved" if was_live else "new", their_state)
            our_state = tags.read_states(repo, [(ref, ours)])[0]
            merged = tags.merge(repo, our_state, their_state)
            git.update_ref(repo, ref, merged.oid, ours)
            kept_ours = (our_state.at, our_state.oid) > (their_state.at, their_state.oid)
            return TagUpdate(name, "merged", merged, kept_ours=kept_ours)
        except git.RefExistsError:
            ours = _local_oid(repo, ref)  # changed here meanwhile: decide again
    raise UserError(f"tag {name!r} kept changing during the sync: run it again")


def _is_deleted(repo: git.Repo, ref: str, oid: str) -> bool:
    return tags.read_states(repo, [(ref, oid)])[0].deleted


def _integrate_notes(repo: git.Repo, run_id: str, ours: str | None, theirs: str) -> bool:
    ref = notes.notes_ref(run_id)
    for _ in range(MERGE_ATTEMPTS):
        if ours == theirs or (ours is not None and git.is_ancestor(repo, theirs, ours)):
            return False
        try:
            if ours is None or git.is_ancestor(repo, ours, theirs):
                git.update_ref(repo, ref, theirs, ours)
            else:
                git.update_ref(repo, ref, notes.merge(repo, run_id, ours, theirs), ours)
            return True
        except git.RefExistsError:
            ours = _local_oid(repo, ref)
    raise UserError(f"notes on run {ids.short_id(run_id)} kept changing during the sync: retry")


def _integrate(repo: git.Repo, remote: Remote) -> _Integration:
    here, there = _snapshot(repo, remote)
    result = _Integration()
    new_runs = {run_id: oid for run_id, oid in there.runs.items() if run_id not in here.runs}
    result.conflicts = sorted(
        run_id
        for run_id, oid in there.runs.items()
        if run_id in here.runs and here.runs[run_id] != oid
    )
    result.received = _adopt_runs(repo, new_runs)
    result.runs_here = len(here.runs) + len(result.received)
    for name, theirs in sorted(there.tags.items()):
        update = _integrate_tag(repo, name, here.tags.get(name), theirs)
        if update is not None:
            result.tags.append(update)
    for run_id, theirs in sorted(there.notes.items()):
        if _integrate_notes(repo, run_id, here.notes.get(run_id), theirs):
            result.notes.append(run_id)
    return result


# --- reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    """What a push or pull did, for people (lines) and scripts (json)."""

    action: str  # "push" or "pull"
    remote: str
    received: tuple[str, ...]
    conflicts: tuple[str, ...]
    tags_received: tuple[TagUpdate, ...]
    notes_received: tuple[str, ...]
    sent: tuple[str, ...] = ()
    tags_sent: tuple[str, ...] = ()
    notes_sent: tuple[str, ...] = ()
    runs_here: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.received
            or self.tags_received
            or self.notes_received
            or self.sent
            or self.tags_sent
            or self.notes_sent
        )

    @property
    def got_anything(self) -> bool:
        return bool(self.received or self.tags_received or self.notes_received)

    def lines(self) -> list[str]:
        """One summary line, then one line per tag that changed here."""
        if self.action == "push":
            lines = [self._push_line()]
            if self.got_anything:
                lines.append(f"and from {self.remote}: {self._received_counts()}")
        elif self.got_anything:
            lines = [
                f"pulled from {self.remote}: {self._received_counts()} "
                f"({_count(self.runs_here, 'run')} here now)"
            ]
        else:
            lines = [f"already up to date with {self.remote} ({_count(self.runs_here, 'run')})"]
        return lines + [update.line(self.remote) for update in self.tags_received]

    def _push_line(self) -> str:
        if not (self.sent or self.tags_sent or self.notes_sent):
            return f"{self.remote} already has everything here: nothing to push"
        parts = [_count(len(self.sent), "run")] if self.sent else []
        if self.tags_sent:
            parts.append(f"{_count(len(self.tags_sent), 'tag')} ({', '.join(self.tags_sent)})")
        if self.notes_sent:
            parts.append(f"notes on {_count(len(self.notes_sent), 'run')}")
        return f"pushed to {self.remote}: {', '.join(parts)} sent"

    def _received_counts(self) -> str:
        parts = [_count(len(self.received), "new run")]
        if self.tags_received:
            parts.append(_count(len(self.tags_received), "tag") + " updated")
        if self.notes_received:
            parts.append(f"new notes on {_count(len(self.notes_received), 'run')}")
        return ", ".join(parts)

    def warnings(self, mirror: str) -> list[str]:
        return [
            f"run {run_id} differs here and on {self.remote}: kept this repository's copy "
            f"(never overwritten; {self.remote}'s is at {mirror}runs/{run_id}) and did not "
            "push it"
            for run_id in self.conflicts
        ]

    def json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "remote": self.remote,
            "runs_received": list(self.received),
            "runs_sent": list(self.sent),
            "conflicts": list(self.conflicts),
            "tags_received": [update.json() for update in self.tags_received],
            "tags_sent": list(self.tags_sent),
            "notes_received": list(self.notes_received),
            "notes_sent": list(self.notes_sent),
            "runs_here": self.runs_here,
        }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- pull, push, init ----------------------------------------------------------------------


def _fetch(repo: git.Repo, remote: Remote) -> None:
    try:
        _fetch_into_mirror(repo, remote)
    except git.RemoteError as error:
        # A ledger ref whose object is gone (a 'git gc --prune=now' racing an exec) fails
        # git's connectivity check, so every fetch. It holds nothing (its object is gone):
        # moved aside, its old value kept in a note, and the fetch goes on (issue #17).
        dangling = dangling_refs(repo)
        if not dangling:
            raise git.RemoteError(strip_url_credentials(str(error))) from error
        for bad in dangling:
            moved = quarantine_ref(repo, bad)
            print(
                f"runledger: warning: {safe(bad.ref)} {bad.problem}, which stops git from "
                f"fetching: moved it aside to {safe(moved)}",
                file=sys.stderr,
            )
        try:
            _fetch_into_mirror(repo, remote)
        except git.RemoteError as again:
            raise git.RemoteError(strip_url_credentials(str(again))) from again


def _fetch_into_mirror(repo: git.Repo, remote: Remote) -> None:
    if not _first_fetch_packed(repo, remote):
        git.fetch(repo, remote.target, remote.fetch_refspecs())


def _first_fetch_packed(repo: git.Repo, remote: Remote) -> bool:
    """Fill an empty mirror of ``remote`` straight in packed-refs; False (the mirror left
    as it was) where that does not apply, and the caller fetches as before.

    ``git fetch`` writes each new ref as a loose file (a lock, a rename, 18 stats), which
    :func:`git.pack_refs` deletes again: a first pull of 10,000 runs spent 1.2 s of system
    time on it. Here the remote's refs are listed, their objects fetched by id with no ref
    written, and the mirror created in one write. Only for a first fetch: a later one
    changes few refs, and one ``git fetch`` costs one connection where this costs two. Also
    not in a shallow clone (a fetched commit could reach past its boundary), nor for a name
    that runledger never writes (git judges those); nor when the remote moved between the
    listing and the fetch so that an object listed is gone there.
    """
    if (repo.common_dir / "shallow").exists() or git.has_refs(repo, remote.mirror):
        return False
    listed = git.remote_refs(repo, remote.target, list(NAMESPACES.values()))
    oid_length = 64 if repo.object_format == "sha256" else 40
    mirror: dict[str, str] = {}
    for ref, oid in listed:
        parsed = refs.parse(ref)
        if parsed is None or not _plain_name(parsed) or not _is_oid(oid, oid_length):
            return False
        mirror[f"{remote.mirror}{parsed.namespace}/{parsed.name}"] = oid
    if not mirror:
        return True  # nothing of the ledger there: nothing to fetch
    oids = sorted(set(mirror.values()))
    try:
        git.fetch_objects(repo, remote.target, oids)
    except git.RemoteError:
        return False
    # packed-refs claims every ref to an annotated tag is listed with its peeled value: only
    # commits (all runledger writes) go in this way.
    if any(kind != "commit" for kind in git.object_types(repo, oids).values()):
        return False
    return git.create_refs_packed(repo, mirror)


def _plain_name(parsed: refs.RefName) -> bool:
    """Whether runledger could have written this name (so it is a valid ref name)."""
    if ids.is_run_id(parsed.name):
        return True
    if parsed.namespace != "tags":
        return False
    try:
        tags.validate_name(parsed.name)
    except UserError:
        return False
    return True


def _is_oid(text: str, length: int) -> bool:
    return len(text) == length and _HEX.fullmatch(text) is not None


def _report(
    action: str, repo: git.Repo, remote: Remote, integration: _Integration, **sent: Any
) -> SyncReport:
    return SyncReport(
        action=action,
        remote=remote.name,
        received=tuple(integration.received),
        conflicts=tuple(integration.conflicts),
        tags_received=tuple(integration.tags),
        notes_received=tuple(dict.fromkeys(integration.notes)),
        runs_here=integration.runs_here,
        **sent,
    )


def pull(repo: git.Repo, given: str | None) -> tuple[SyncReport, Remote]:
    """Bring the remote's runs, tags and notes into this repository; send nothing."""
    remote = resolve_remote(repo, given)
    _fetch(repo, remote)
    integration = _integrate(repo, remote)
    git.pack_refs(repo)
    git.gc_auto_in_background(repo)
    return _report("pull", repo, remote, integration), remote


def push(repo: git.Repo, given: str | None) -> tuple[SyncReport, Remote]:
    """Send this repository's runs, tags and notes (merging the remote's first)."""
    remote = resolve_remote(repo, given)
    integration = _Integration()
    sent: dict[str, list[str]] = {"runs": [], "tags": [], "notes": []}
    atomic = True
    attempt = 0
    warned: set[str] = set()
    while attempt < PUSH_ATTEMPTS:
        attempt += 1
        _fetch(repo, remote)
        integration.extend(_integrate(repo, remote))
        here, there = _snapshot(repo, remote)
        # One bad ref (dangling, a blob, a record of another id) must not block every other
        # run: it stays here, named by the listing's warning and by runledger doctor.
        bad = [found.ref for found in _bad_refs_warned(repo, warned)]
        skipped = {ref[len(RUNS_PREFIX) :] for ref in bad}
        # A run the remote has (even with other content: a conflict) is never sent again.
        pending = [
            run_id for run_id in here.runs if run_id not in there.runs and run_id not in skipped
        ]
        pending_tags = [name for name, oid in here.tags.items() if there.tags.get(name) != oid]
        pending_notes = [key for key, oid in here.notes.items() if there.notes.get(key) != oid]
        if not (pending or pending_tags or pending_notes):
            break
        refspecs = push_refspecs() + [f"^{RUNS_PREFIX}{run_id}" for run_id in integration.conflicts]
        refspecs += [f"^{ref}" for ref in bad]
        result = git.push(repo, remote.target, refspecs, atomic=atomic)
        for ref in result.refs:
            if ref.sent:
                for namespace, prefix in NAMESPACES.items():
                    if ref.dst.startswith(prefix):
                        sent[namespace].append(ref.dst[len(prefix) :])
        if result.ok:
            break
        if atomic and result.atomic_unsupported:
            atomic, attempt = False, attempt - 1
            continue
        rejected = [ref for ref in result.refs if ref.flag == "!"]
        refused = [ref for ref in rejected if not _lost_race(ref, result)]
        if not rejected or refused:
            raise git.RemoteError(_push_failure(remote, result, refused, atomic))
        time.sleep(random.uniform(0.05, 0.2) * attempt)  # lost a race: fetch, merge, retry
    else:
        raise git.RemoteError(
            f"push to {remote.name} kept losing races with other pushes ({PUSH_ATTEMPTS} "
            "tries): run 'runledger push' again"
        )
    git.pack_refs(repo)
    report = _report(
        "push",
        repo,
        remote,
        integration,
        sent=tuple(sorted(set(sent["runs"]))),
        tags_sent=tuple(sorted(set(sent["tags"]))),
        notes_sent=tuple(sorted(set(sent["notes"]))),
    )
    return report, remote


def _bad_refs_warned(repo: git.Repo, warned: set[str]) -> list[BadRef]:
    bad = bad_local_run_refs(repo)
    for found in bad:
        if found.ref not in warned:
            warned.add(found.ref)
            print(
                f"runledger: warning: not pushing {safe(found.ref)}: {safe(found.problem)} "
                f"({fix_hint(found.ref)}); every other run is pushed",
                file=sys.stderr,
            )
    return bad


def _lost_race(ref: git.PushedRef, result: git.PushResult) -> bool:
    """Whether a rejected ref only means another push landed first (so fetch, merge, retry)."""
    if ref.summary == "[rejected]":
        return ref.reason in RACE_REASONS
    said = " ".join(result.remote_says)
    return ref.reason in REMOTE_RACE_REASONS and any(sign in said for sign in REMOTE_RACE_SIGNS)


def _push_failure(
    remote: Remote, result: git.PushResult, refused: list[git.PushedRef], atomic: bool
) -> str:
    if refused:
        # With --atomic the other refs only say "atomic transaction failed": name the cause.
        first = next((ref for ref in refused if "atomic" not in ref.reason), refused[0])
        detail = f"{first.dst} {first.summary.strip('[]')}"
        if first.reason:
            detail += f" ({first.reason})"
    else:
        detail = result.error
    if result.hook_says:  # a pre-push hook's own reason, passed through (issue #17)
        detail += f"; the pre-push hook said: {' / '.join(result.hook_says)}"
    said = "; ".join(result.remote_says)
    if said:
        detail += f"; the remote said: {said}"
    outcome = (
        "nothing was changed there"
        if atomic
        else "what was already sent stays there, and nothing is lost"
    )
    return strip_url_credentials(
        f"push to {remote.name} failed: {detail}; {outcome}: run 'runledger push' again "
        "once that is fixed"
    )


@dataclass(frozen=True)
class InitResult:
    remote: str
    added: tuple[tuple[str, str], ...]  # (config key, value) pairs added
    warnings: tuple[str, ...]


def init(repo: git.Repo, given: str | None) -> InitResult:
    """Configure REMOTE so plain ``git fetch`` / ``git push`` carry the ledger too."""
    remote = resolve_remote(repo, given)
    if remote.target not in git.read_config(repo).remotes:
        raise UserError(
            f"{remote.name} is not a configured remote: runledger init sets up a named "
            "remote (see 'git remote -v'; add one with 'git remote add NAME URL')"
        )
    fetch_key = f"remote.{remote.target}.fetch"
    push_key = f"remote.{remote.target}.push"
    fetch_specs = git.config_get_all(repo, fetch_key)
    push_specs = git.config_get_all(repo, push_key)
    wanted: list[tuple[str, str]] = [(fetch_key, spec) for spec in remote.fetch_refspecs()]
    if not push_specs:
        # With any push refspec configured, plain `git push` pushes only those: keep it pushing
        # the current branch as before.
        wanted.append((push_key, "HEAD"))
    wanted += [(push_key, spec) for spec in push_refspecs()]
    have = {(fetch_key, spec) for spec in fetch_specs} | {(push_key, spec) for spec in push_specs}
    added = []
    for key, value in wanted:
        if (key, value) not in have:
            git.config_add(repo, key, value)
            added.append((key, value))
    warnings = tuple(
        f"{fetch_key} has {spec!r}: with it, 'git fetch --prune' (or fetch.prune) deletes "
        "runs that are not on the remote yet; remove it ('git config --unset "
        f"{fetch_key} {re.escape(spec)!r}'), runledger's mirror refspecs replace it"
        for spec in fetch_specs
        if _lands_in_ledger(spec)
    )
    return InitResult(remote.name, tuple(added), warnings)


def _lands_in_ledger(refspec: str) -> bool:
    """Whether a fetch refspec writes into this repository's own runs (prunable there)."""
    _, _, dst = refspec.lstrip("+").partition(":")
    return dst.startswith(ROOT) and not dst.startswith(MIRROR_PREFIX)
