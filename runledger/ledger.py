"""The ledger: write a run, list and read runs, resolve a RUN argument.

A run is a commit whose parent is the code commit it ran on and whose tree holds the run's
TOML files; ``refs/runledger/runs/<id>`` points at it. Runs are written once, create-only:
two writers can never overwrite each other, and nothing recorded is ever rewritten.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from runledger import git, ids, notes, tags
from runledger.errors import AmbiguousRunError, CorruptRecordError, RunNotFoundError, UserError
from runledger.record import DETAIL_FILES, METRICS_FILE, RUN_FILE, MetricsFile, Run

RUNS_PREFIX = "refs/runledger/runs/"
# Runs fetched by plain `git fetch` (after `runledger init`) or by push/pull, not yet adopted
# into RUNS_PREFIX: refs/runledger/remotes/<remote>/runs/<id> (see sync.py).
MIRROR_PREFIX = "refs/runledger/remotes/"
PACK_EVERY = 256  # pack loose run refs once this many have piled up


@dataclass(frozen=True)
class RunRef:
    id: str
    oid: str
    refname: str = ""  # where it was found, when not under RUNS_PREFIX (a remote's mirror)

    @property
    def ref(self) -> str:
        return self.refname or RUNS_PREFIX + self.id


class Ledger:
    """The runs recorded in one repository."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self._warned: set[str] = set()

    # --- writing ------------------------------------------------------------------------

    def build_commit(self, run: Run, writer: git.ObjectWriter, ident: str, timestamp: int) -> str:
        """Write the run's objects (blobs, tree, commit) and return the commit id."""
        blobs = {name: writer.blob(content) for name, content in run.to_files().items()}
        tree = writer.flat_tree(blobs)
        title = f"runledger run {run.id}: {run.status}"
        body = " ".join(run.command)[:1000]
        return writer.commit(tree, [run.git.commit], ident, timestamp, f"{title}\n\n{body}\n")

    def write(self, run: Run, ident: str, timestamp: int) -> str:
        """Record ``run``; return its ref. Fails, changing nothing, if the id already exists."""
        writer = git.ObjectWriter(self.repo)
        commit = self.build_commit(run, writer, ident, timestamp)
        ref = RUNS_PREFIX + run.id
        git.create_refs(self.repo, {ref: commit})
        self._maybe_pack()
        return ref

    def write_many(self, runs: list[Run], ident: str, timestamp: int) -> None:
        """Record several runs in one ref transaction (benchmarks, imports)."""
        writer = git.ObjectWriter(self.repo)
        refs = {
            RUNS_PREFIX + run.id: self.build_commit(run, writer, ident, timestamp) for run in runs
        }
        git.create_refs(self.repo, refs)
        self._maybe_pack()

    def _maybe_pack(self) -> None:
        loose = self.repo.common_dir / "refs" / "runledger" / "runs"
        try:
            count = sum(1 for _ in loose.iterdir())
        except OSError:
            return
        if count >= PACK_EVERY:
            git.pack_refs(self.repo)

    # --- reading ------------------------------------------------------------------------

    def run_refs(self) -> list[RunRef]:
        """This repository's runs, and those only in a remote's mirror (fetched, not pulled)."""
        local: list[RunRef] = []
        mirrored: dict[str, RunRef] = {}
        for ref, oid in git.list_refs(self.repo, RUNS_PREFIX, MIRROR_PREFIX):
            if ref.startswith(RUNS_PREFIX):
                local.append(RunRef(ref[len(RUNS_PREFIX) :], oid))
                continue
            parts = ref[len(MIRROR_PREFIX) :].split("/")
            if len(parts) == 3 and parts[1] == "runs" and len(parts[2]) == ids.ID_LENGTH:
                mirrored.setdefault(parts[2], RunRef(parts[2], oid, ref))
        if mirrored:
            for run in local:
                mirrored.pop(run.id, None)
            local.extend(mirrored.values())
        return local

    def warn_corrupt(self, ref: str, error: CorruptRecordError) -> None:
        if ref not in self._warned:
            self._warned.add(ref)
            reason = _reason(ref, error)
            print(f"runledger: warning: skipping {ref}: {reason}", file=sys.stderr)

    def runs(self) -> list[Run]:
        """Every readable run (run.toml only), newest first; unreadable ones are reported."""
        refs = self.run_refs()
        runs = list(self._read_summaries(refs))
        runs.sort(key=lambda run: (run.started_at, run.id), reverse=True)
        by_run = self.team_tags()
        if by_run:
            runs = [
                replace(run, team_tags=tuple(by_run[run.id])) if run.id in by_run else run
                for run in runs
            ]
        return runs

    def team_tags(self) -> dict[str, list[str]]:
        """Run id -> the team tags (``runledger tag``) that name it now."""
        by_run: dict[str, list[str]] = {}
        for name, state in tags.live_tags(self.repo).items():
            if state.run:
                by_run.setdefault(state.run, []).append(name)
        return by_run

    def read_each(self, refs: Sequence[RunRef], name: str) -> Iterator[tuple[RunRef, bytes | None]]:
        """One file of every run (e.g. files.toml), read through one cat-file process."""
        if not refs:
            return
        with git.CatFile(self.repo) as cat:
            specs = [f"{ref.oid}:{name}" for ref in refs]
            for ref, (_, content) in zip(refs, cat.read_many(specs), strict=True):
                yield ref, content

    def read_series(self, run_ids: Sequence[str]) -> dict[str, MetricsFile]:
        """The metrics.toml of each run in ``run_ids``, through one cat-file process.

        A run without series maps to an empty MetricsFile; an unreadable one is reported
        and left out.
        """
        wanted = set(run_ids)
        refs = [ref for ref in self.run_refs() if ref.id in wanted]
        found: dict[str, MetricsFile] = {}
        for ref, content in self.read_each(refs, METRICS_FILE):
            try:
                found[ref.id] = MetricsFile.parse(content) if content else MetricsFile()
            except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:
                self.warn_corrupt(
                    ref.ref, CorruptRecordError(f"{METRICS_FILE} cannot be read ({exc})")
                )
        return found

    def summaries(self, refs: list[RunRef]) -> list[Run]:
        """The run.toml of each of ``refs`` that can be read; unreadable ones are reported."""
        return list(self._read_summaries(refs))

    def _read_summaries(self, refs: list[RunRef]) -> Iterator[Run]:
        if not refs:
            return
        with git.CatFile(self.repo) as cat:
            specs = [f"{ref.oid}:{RUN_FILE}" for ref in refs]
            for ref, (_, content) in zip(refs, cat.read_many(specs), strict=True):
                try:
                    if content is None:
                        raise CorruptRecordError(f"{ref.ref}: has no {RUN_FILE}")
                    yield Run.from_run_toml(content, ref.ref)
                except CorruptRecordError as exc:
                    self.warn_corrupt(ref.ref, exc)

    def resolve(self, spec: str) -> RunRef:
        """A RUN argument -> the run's ref.

        In this order: a full run id; a team tag (``runledger tag``) of exactly that name;
        a unique prefix of a run id; a tag given at exec (``exec --tag``) that one run has.
        A tag therefore wins over an id prefix that happens to spell the same word, and a
        full id always means that run.
        """
        spec = spec.strip()
        if not spec:
            raise UserError("no run given: pass a run id, a unique prefix of one, or a tag")
        refs = self.run_refs()
        exact = [ref for ref in refs if ref.id == spec.lower()]
        if exact:
            return exact[0]
        tagged = self._resolve_team_tag(spec, refs)
        if tagged is not None:
            return tagged
        if ids.is_run_id_prefix(spec.lower()):
            prefix = spec.lower()
            matches = [ref for ref in refs if ref.id.startswith(prefix)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                shown = ", ".join(
                    ref.id[: max(len(prefix) + 2, ids.SHORT_LENGTH)] for ref in matches[:10]
                )
                more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
                raise AmbiguousRunError(
                    f"run prefix {spec!r} is ambiguous: it matches {len(matches)} runs "
                    f"({shown}{more}); type more characters"
                )
        labelled = self._resolve_exec_tag(spec, refs)
        if labelled is not None:
            return labelled
        raise RunNotFoundError(f"no run matches {spec!r}: see 'runledger ls' for run ids")

    def _resolve_team_tag(self, spec: str, refs: list[RunRef]) -> RunRef | None:
        state = tags.tips(self.repo, spec).get(spec) if "/" not in spec else None
        if state is None or state.deleted:
            return None
        for ref in refs:
            if ref.id == state.run:
                return ref
        raise RunNotFoundError(
            f"tag {spec!r} names run {state.run}, which is not in this repository: "
            "run 'runledger pull' to fetch it"
        )

    def _resolve_exec_tag(self, spec: str, refs: list[RunRef]) -> RunRef | None:
        by_id = {ref.id: ref for ref in refs}
        matches = [run.id for run in self._read_summaries(refs) if spec in run.tags]
        if len(matches) == 1:
            return by_id[matches[0]]
        if len(matches) > 1:
            shown = ", ".join(ids.short_id(run_id) for run_id in sorted(matches)[:10])
            raise AmbiguousRunError(
                f"tag {spec!r} is on {len(matches)} runs ({shown}): name one run by its id"
            )
        return None

    def read(self, spec: str) -> Run:
        """Everything recorded for the run that ``spec`` names."""
        ref = self.resolve(spec)
        try:
            return self._read(ref)
        except CorruptRecordError as exc:
            what = "" if exc.newer else "; the record is damaged, every other run still reads"
            short = ids.short_id(ref.id)
            raise CorruptRecordError(
                f"cannot read run {short} ({ref.ref}): {_reason(ref.ref, exc)}{what}",
                newer=exc.newer,
            ) from exc

    def _read(self, ref: RunRef) -> Run:
        with git.CatFile(self.repo) as cat:
            content = cat.read(f"{ref.oid}:{RUN_FILE}")
            if content is None:
                raise CorruptRecordError(f"{ref.ref}: has no {RUN_FILE}")
            run = Run.from_run_toml(content, ref.ref)
            files = {name: cat.read(f"{ref.oid}:{name}") for name in DETAIL_FILES}
            where = notes.notes_ref(ref.id)
            note_list = notes.from_content(cat.read(f"{where}:{notes.NOTES_FILE}"), where)
        try:
            run = run.with_files(files)
        except CorruptRecordError:
            raise
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CorruptRecordError(f"{ref.ref}: a detail file cannot be read ({exc})") from exc
        return replace(
            run,
            team_tags=tuple(self.team_tags().get(run.id, ())),
            notes=tuple(note.json() for note in note_list),
        )


def _reason(ref: str, error: CorruptRecordError) -> str:
    """The error's text without the ref it starts with, on one line."""
    text = " ".join(str(error).split())
    return text[len(ref) + 2 :] if text.startswith(ref + ": ") else text
