"""The ledger: write a run, list and read runs, resolve a RUN argument.

A run is a commit whose parent is the code commit it ran on and whose tree holds the run's
TOML files; ``refs/runledger/runs/<id>`` points at it. Runs are written once, create-only:
two writers can never overwrite each other, and nothing recorded is ever rewritten.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from runledger import git, ids
from runledger.errors import AmbiguousRunError, CorruptRecordError, RunNotFoundError, UserError
from runledger.record import DETAIL_FILES, RUN_FILE, Run

RUNS_PREFIX = "refs/runledger/runs/"
PACK_EVERY = 256  # pack loose run refs once this many have piled up


@dataclass(frozen=True)
class RunRef:
    id: str
    oid: str

    @property
    def ref(self) -> str:
        return RUNS_PREFIX + self.id


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

    def run_refs(self, prefix: str = "") -> list[RunRef]:
        """The run refs whose id starts with ``prefix``, in id order (from the index if it can)."""
        from runledger.index import current_index

        with current_index(self.repo) as index:
            if index is not None:
                return [RunRef(run_id, oid) for run_id, oid in index.refs(prefix)]
        return [
            RunRef(ref[len(RUNS_PREFIX) :], oid)
            for ref, oid in git.list_refs(self.repo, RUNS_PREFIX)
            if ref.startswith(RUNS_PREFIX + prefix)
        ]

    def warn_corrupt(self, ref: str, error: CorruptRecordError) -> None:
        if ref not in self._warned:
            self._warned.add(ref)
            print(f"runledger: warning: skipping {ref}: {error}", file=sys.stderr)

    def runs(self) -> list[Run]:
        """Every readable run (run.toml only), newest first; unreadable ones are reported."""
        from runledger.index import current_index

        with current_index(self.repo) as index:
            if index is not None:
                for ref, error in index.errors():
                    self.warn_corrupt(ref, CorruptRecordError(error))
                return list(index.runs())
        refs = self.run_refs()
        runs = list(self._read_summaries(refs))
        runs.sort(key=lambda run: (run.started_at, run.id), reverse=True)
        return runs

    def summaries_json(
        self,
        status: str | None = None,
        limit: int | None = None,
        extra_tags: Mapping[str, Sequence[str]] | None = None,
    ) -> list[str]:
        """``ls --json``'s object of each run, one line each, newest first.

        From the index, the objects are printed as stored, without building a ``Run``: at
        100,000 runs that is the difference between a second and most of a minute.
        ``extra_tags`` (run id -> tags) adds tags kept outside the runs' commits.
        """
        from runledger.index import current_index, summary_text, with_tags

        extra = extra_tags or {}
        with current_index(self.repo) as index:
            if index is not None:
                for ref, error in index.errors():
                    self.warn_corrupt(ref, CorruptRecordError(error))
                return [
                    with_tags(text, extra[run_id]) if run_id in extra else text
                    for run_id, text in index.summaries(status, limit)
                ]
        runs = [run for run in self.runs() if status is None or run.status == status]
        return [
            with_tags(summary_text(run), extra[run.id]) if run.id in extra else summary_text(run)
            for run in (runs if limit is None else runs[:limit])
        ]

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
        """A full id, a unique id prefix, or (later) a tag name -> the run's ref."""
        spec = spec.strip()
        if not spec:
            raise UserError("no run given: pass a run id, a unique prefix of one, or a tag")
        if ids.is_run_id_prefix(spec.lower()):
            prefix = spec.lower()
            matches = self.run_refs(prefix)
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
        raise RunNotFoundError(f"no run matches {spec!r}: see 'runledger ls' for run ids")

    def read(self, spec: str) -> Run:
        """Everything recorded for the run that ``spec`` names."""
        ref = self.resolve(spec)
        with git.CatFile(self.repo) as cat:
            content = cat.read(f"{ref.oid}:{RUN_FILE}")
            if content is None:
                raise CorruptRecordError(f"{ref.ref}: has no {RUN_FILE}")
            run = Run.from_run_toml(content, ref.ref)
            files = {name: cat.read(f"{ref.oid}:{name}") for name in DETAIL_FILES}
        try:
            return run.with_files(files)
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise CorruptRecordError(f"{ref.ref}: a detail file cannot be read ({exc})") from exc
