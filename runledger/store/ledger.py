"""The ledger: write a run, list and read runs, resolve a RUN argument.

A run is a commit whose parent is the code commit it ran on and whose tree holds the run's
TOML files; ``refs/runledger/runs/<id>`` points at it. Runs are written once, create-only:
two writers can never overwrite each other, and nothing recorded is ever rewritten.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from runledger import ids
from runledger.errors import AmbiguousRunError, CorruptRecordError, RunNotFoundError, UserError
from runledger.model.record import (
    DETAIL_FILES,
    ENVIRONMENT_FILE,
    FILES_FILE,
    LOG_FILE,
    METRICS_FILE,
    READ_LIMIT_BYTES,
    RUN_FILE,
    MetricsFile,
    Run,
    over_read_limit,
)
from runledger.store import git
from runledger.store.refs import MIRROR_PREFIX as MIRROR_PREFIX
from runledger.store.refs import RUNS_PREFIX as RUNS_PREFIX
from runledger.store.refs import RunRef as RunRef

# What only reading needs (rows, team tags, notes) is imported where it is used: exec imports
# this module to write one run, on every training run's path.
if TYPE_CHECKING:
    from runledger.model.row import FrameRow, RunRow, TableRow
    from runledger.store.catalog import Catalog
    from runledger.store.overview import TableFacts

PACK_EVERY = 256  # pack loose run refs once this many have piled up


class Ledger:
    """The runs recorded in one repository."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self._warned: set[str] = set()
        self._catalog: Catalog | None = None
        self._team_tags: dict[str, list[str]] | None = None

    @property
    def catalog(self) -> Catalog:
        """Where runs are looked up, opened on first use and kept (catalog.py)."""
        if self._catalog is None:
            import weakref

            from runledger.store.catalog import open_catalog

            # Weakly: a catalog holding the ledger would make a cycle, and the index's
            # connection (with its WAL file) would stay open until a garbage collection.
            method = weakref.WeakMethod(self.warn_corrupt)

            def warn(ref: str, error: CorruptRecordError) -> None:
                found = method()
                if found is not None:
                    found(ref, error)

            self._catalog = open_catalog(self.repo, warn)
        return self._catalog

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------

    def build_commit(
        self,
        run: Run,
        writer: git.ObjectWriter,
        ident: str,
        timestamp: int,
        shared: Mapping[str, str] | None = None,
    ) -> str:
        """Write the run's objects (blobs, tree, commit) and return the commit id.

        ``shared``: files of the tree that are blobs already written (file name -> blob id),
        such as a parent's environment.toml that its children share.
        """
        blobs = {name: writer.blob(content) for name, content in run.to_files().items()}
        blobs.update(shared or {})
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
        self.close()  # the next question sees the new run
        return ref

    def write_many(self, runs: list[Run], ident: str, timestamp: int) -> None:
        """Record several runs in one ref transaction (benchmarks, imports)."""
        writer = git.ObjectWriter(self.repo)
        refs = {
            RUNS_PREFIX + run.id: self.build_commit(run, writer, ident, timestamp) for run in runs
        }
        git.create_refs(self.repo, refs)
        self._maybe_pack()
        self.close()

    def write_family(
        self, parent: Run, children: Sequence[Run], ident: str, timestamp: int, *, with_parent: bool
    ) -> None:
        """Record a search's child runs, and its parent too when ``with_parent``, in one ref
        transaction: one git process however many children.

        Each child's tree holds its parent's environment.toml as the very same blob (the
        environment is captured once, by the parent): nothing is copied, and plain
        ``git show CHILD:environment.toml`` still reads it. ``parent`` must carry its
        environment (as recorded, or read back in full).
        """
        writer = git.ObjectWriter(self.repo)
        refs: dict[str, str] = {}
        if with_parent:
            refs[RUNS_PREFIX + parent.id] = self.build_commit(parent, writer, ident, timestamp)
        environment = parent.environment_file()
        shared = {ENVIRONMENT_FILE: writer.blob(environment)} if environment is not None else {}
        for child in children:
            child = replace(child, environment=None)
            refs[RUNS_PREFIX + child.id] = self.build_commit(
                child, writer, ident, timestamp, shared
            )
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
            git.gc_auto_in_background(self.repo)

    # --- reading ------------------------------------------------------------------------

    def run_refs(self, prefix: str = "") -> list[RunRef]:
        """This repository's runs, and those only in a remote's mirror (fetched, not pulled);
        only those whose id starts with ``prefix`` when one is given."""
        return self.catalog.refs(prefix)

    def warn_corrupt(self, ref: str, error: CorruptRecordError) -> None:
        if ref not in self._warned:
            self._warned.add(ref)
            from runledger.safetext import safe

            reason = _reason(ref, error)
            print(
                f"runledger: warning: skipping {safe(ref)}: {safe(reason)} ({fix_hint(ref)})",
                file=sys.stderr,
            )

    def runs(self) -> list[Run]:
        """Every readable run (run.toml only), newest first; unreadable ones are reported."""
        runs = self.catalog.runs()
        by_run = self.team_tags()
        if by_run:
            runs = [
                replace(run, team_tags=tuple(by_run[run.id])) if run.id in by_run else run
                for run in runs
            ]
        return runs

    def rows(
        self,
        sql: str | None = None,
        keep: Callable[[RunRow], bool] | None = None,
        limit: int | None = None,
        ids: Sequence[str] | None = None,
        top_level: bool = False,
    ) -> list[RunRow]:
        """The listing row of each readable run, newest first, that the SQL condition ``sql``
        keeps (1), or leaves undecided (NULL) and ``keep`` keeps: query/select.py's
        ``row_filter`` makes both of a ``--where``. ``limit`` counts the runs kept; ``ids``:
        only these runs; ``top_level``: not the child runs whose parent is here."""
        team = self.team_tags()
        if sql is None and keep is None:
            return [row for row, _ in self.catalog.rows(None, team, limit, ids, False, top_level)]
        kept: list[RunRow] = []
        for row, decided in self.catalog.rows(sql, team, None, ids, False, top_level):
            if decided or keep is None or keep(row):
                kept.append(row)
                if limit is not None and len(kept) >= limit:
                    break
        return kept

    def table_rows(
        self,
        sql: str | None = None,
        keep: Callable[[RunRow], bool] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[TableRow | RunRow]:
        """As :meth:`rows`, for ``compare``'s table: a TableRow (no command, tags or note)
        where the index can give one, a RunRow where ``keep`` needs every field."""
        from runledger.model.row import RunRow

        # Team tags are only read by a filter: compare's table shows none (no git process).
        team = self.team_tags() if sql is not None or keep is not None else {}
        return [
            row
            for row, decided in self.catalog.table_rows(sql, team, ids)
            if decided or keep is None or (isinstance(row, RunRow) and keep(row))
        ]

    def table_facts(
        self,
        shown: int,
        sql: str | None = None,
        *,
        metric: str | None = None,
        descending: bool = False,
        best_of: Callable[[str], str],
        judged: Callable[[str], bool] | None = None,
    ) -> TableFacts | None:
        """compare's first ``shown`` runs that the SQL ``sql`` keeps and what its table says
        of all of them, from the index (store/overview.py); None where the index cannot
        answer as the rows would (read them with :meth:`table_rows`)."""
        team = self.team_tags() if sql is not None and "team_tags" in sql else None
        return self.catalog.table_facts(
            shown,
            where=sql,
            team_tags=team,
            metric=metric,
            descending=descending,
            best_of=best_of,
            judged=judged,
        )

    def frame_columns(self, sql: str | None = None) -> dict[str, list[Any]] | None:
        """:meth:`frame_rows` as columns (FrameRow's field name -> values), straight from the
        index; None where a row needs more (``--where`` undecided, values only in a record)."""
        team = self.team_tags() if sql is not None and "team_tags" in sql else None
        return self.catalog.frame_columns(sql, team)

    def frame_rows(
        self, sql: str | None = None, keep: Callable[[RunRow], bool] | None = None
    ) -> list[FrameRow | RunRow]:
        """As :meth:`rows`, for ``load_runs``: a FrameRow (its frame's columns) where the
        index can give one, a RunRow where ``keep`` needs every field. Team tags are merged
        in by the frame (:meth:`team_tags`)."""
        from runledger.model.row import RunRow

        team = self.team_tags()
        return [
            row
            for row, decided in self.catalog.frame_rows(sql, team)
            if decided or keep is None or (isinstance(row, RunRow) and keep(row))
        ]

    def runs_of(self, run_ids: Sequence[str]) -> list[Run]:
        """The run.toml of each readable run of ``run_ids``, in that order, team tags merged."""
        wanted = set(run_ids)
        refs = [ref for ref in self.run_refs() if ref.id in wanted]
        team = self.team_tags()
        by_id = {
            run.id: replace(run, team_tags=tuple(team[run.id])) if run.id in team else run
            for run in self.summaries(refs)
        }
        return [by_id[run_id] for run_id in run_ids if run_id in by_id]

    def with_reproductions(self, rows: list[RunRow]) -> list[RunRow]:
        """``rows`` with ``reproduced_by`` filled in (the runs that reproduce them), and
        ``claim_unfounded`` where one claims to reproduce a run it did not re-run."""
        if not rows:
            return rows
        from runledger.model.row import check_claims, link_reproductions

        reproducers = self.catalog.rows(None, None, None, [row.id for row in rows], True)
        linked = link_reproductions(rows, (row for row, _ in reproducers))
        claimed = sorted({row.reproduces for row in rows if row.reproduces})
        if not claimed:
            return linked
        originals = self.catalog.rows(None, None, None, claimed)
        return check_claims(linked, (row for row, _ in originals))

    def file_candidates(self, sha256: str, size: int) -> list[RunRef]:
        """The runs whose files.toml may record a file with this content: its ``sha256``, or
        its ``size`` for files recorded by git blob id alone. From the index's file keys
        when it can be used, else every run (the caller checks each record)."""
        from runledger.store import filekeys

        keys = [filekeys.sha256_key(sha256), filekeys.size_key(size)]
        found = self.catalog.file_candidates(keys)
        return self.run_refs() if found is None else found

    def count(self, top_level: bool = False) -> int:
        """How many readable runs there are; ``top_level``: not counting child runs whose
        parent is here."""
        return self.catalog.count(top_level)

    def child_counts(self, parents: Sequence[str]) -> dict[str, int]:
        """Parent id -> how many child runs (trials, jobs) it has here, for those with any."""
        return self.catalog.child_counts(parents) if parents else {}

    def summaries_json(
        self,
        status: str | None = None,
        limit: int | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """``ls --json``'s object of each run (one line each), newest first, as ``ls`` lists
        them: team tags merged in and reproductions linked; with ``ids``, those runs in
        that order."""
        return self.catalog.summaries_json(status, limit, self.team_tags(), ids)

    def reproductions_of(self, run_id: str) -> list[Run] | None:
        """The readable runs that reproduce ``run_id``, from the index; None without one."""
        refs = self.catalog.reproducers(run_id)
        if refs is None:
            return None
        found = self.catalog.runs_for(refs)
        return [run for run in (found.get(ref) for ref in refs) if run is not None]

    def team_tags(self) -> dict[str, list[str]]:
        """Run id -> the team tags (``runledger tag``) that name it now (read once)."""
        if self._team_tags is None:
            from runledger.store import tags

            by_run: dict[str, list[str]] = {}
            for name, state in tags.live_tags(self.repo, self.warn_corrupt).items():
                if state.run:
                    by_run.setdefault(state.run, []).append(name)
            self._team_tags = by_run
        return {run_id: list(names) for run_id, names in self._team_tags.items()}

    def read_each(self, refs: Sequence[RunRef], name: str) -> Iterator[tuple[RunRef, bytes | None]]:
        """One file of every run (e.g. files.toml), read through one cat-file process; None
        (noted) for one over READ_LIMIT_BYTES."""
        if not refs:
            return
        with git.CatFile(self.repo) as cat:
            specs = [f"{ref.oid}:{name}" for ref in refs]
            limit = READ_LIMIT_BYTES.get(name)
            for ref, (_, content) in zip(refs, cat.read_files_within(specs, limit), strict=True):
                if isinstance(content, git.ObjectTooLarge):
                    self._note_too_large(ref, name, content.size)
                    content = None
                elif isinstance(content, git.NotAFile):
                    self._note_not_a_file(ref, name, content.kind)
                    content = None
                yield ref, content

    def read_series(self, run_ids: Sequence[str]) -> dict[str, MetricsFile]:
        """The metrics.toml of each run in ``run_ids``, through one cat-file process.

        A run without series maps to an empty MetricsFile; an unreadable one is reported
        and left out; one too large to read (READ_LIMIT_BYTES) is noted and left empty.
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
                continue
            for cut in found[ref.id].cut:
                self.note_cut(ref, f"{METRICS_FILE} has {cut}")
        return found

    def _read_detail(
        self, cat: git.CatFile, ref: RunRef, name: str, entry: git.TreeEntry | None
    ) -> bytes | None:
        """A detail file of the run's tree; None (noted) when over READ_LIMIT_BYTES or when
        the tree holds no file of that name but a link, a folder or a submodule."""
        if entry is None:
            return None
        try:
            if entry.kind is not None:
                raise git.NotAFile(entry.kind)
            return cat.read(entry.oid, READ_LIMIT_BYTES.get(name), files_only=True)
        except git.ObjectTooLarge as exc:
            self._note_too_large(ref, name, exc.size)
        except git.NotAFile as exc:
            self._note_not_a_file(ref, name, exc.kind)
        return None

    def _note_too_large(self, ref: RunRef, name: str, size: int) -> None:
        self.note_cut(ref, f"{over_read_limit(name, size)}: {_left_out(name)}")

    def _note_not_a_file(self, ref: RunRef, name: str, kind: str) -> None:
        self.note_cut(ref, f"{name} is a {kind}, not a file: {_left_out(name)}")

    def note_cut(self, ref: RunRef, what: str) -> None:
        """One line on stderr: part of a record (pulled: anyone's) was too large to read."""
        from runledger.safetext import safe

        print(f"runledger: note: run {safe(ids.short_id(ref.id))}: {what}", file=sys.stderr)

    def summaries(self, refs: list[RunRef]) -> list[Run]:
        """The run.toml of each of ``refs`` that can be read; unreadable ones are reported."""
        found = self.catalog.runs_for([ref.ref for ref in refs])
        unindexed = [ref for ref in refs if ref.ref not in found]
        for ref, read in zip(unindexed, self._read_each_summary(unindexed), strict=True):
            found[ref.ref] = read
        return [run for run in (found[ref.ref] for ref in refs) if run is not None]

    def _read_each_summary(self, refs: list[RunRef]) -> Iterator[Run | None]:
        """The run.toml of each of ``refs``, None (reported) where it cannot be read."""
        for ref, content in self.read_each(refs, RUN_FILE):
            try:
                if content is None:
                    raise CorruptRecordError(f"{ref.ref}: has no {RUN_FILE}")
                yield Run.from_run_toml(content, ref.ref)
            except CorruptRecordError as exc:
                self.warn_corrupt(ref.ref, exc)
                yield None

    def resolve(self, spec: str) -> RunRef:
        """A RUN argument -> the run's ref.

        In this order: a full run id; a team tag (``runledger tag``) of exactly that name;
        a unique prefix of a run id; a tag given at exec (``exec --tag``) that one run has.
        A tag therefore wins over an id prefix that happens to spell the same word, and a
        full id always means that run; a tag as long as a short id (10 characters) that also
        starts another run's id is ambiguous.
        """
        spec = spec.strip()
        if not spec:
            raise UserError("no run given: pass a run id, a unique prefix of one, or a tag")
        try:
            spec.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes: no id or tag can be spelt so
            raise RunNotFoundError(
                f"no run matches {spec!r}: see 'runledger ls' for run ids"
            ) from None
        # Each step asks for the few refs it needs (the index answers by id range), rather
        # than listing 100,000 refs to find one.
        lowered = spec.lower()
        starting = self.run_refs(lowered)
        exact = [ref for ref in starting if ref.id == lowered]
        if exact:
            return exact[0]
        tagged = self._resolve_team_tag(spec)
        if tagged is not None:
            others = [ref for ref in starting if ref.id != tagged.id]
            if others and len(lowered) >= ids.SHORT_LENGTH:
                # A tag spelt like the short id 'ls' shows of another run (a pulled tag can
                # be named anything): which run is meant cannot be told, so neither is taken.
                raise AmbiguousRunError(
                    f"{spec!r} is both a tag (run {ids.short_id(tagged.id)}) and the start of "
                    f"run {others[0].id}'s id: give the full id"
                )
            return tagged
        if ids.is_run_id_prefix(lowered):
            prefix = lowered
            matches = starting
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
        labelled = self._resolve_exec_tag(spec)
        if labelled is not None:
            return labelled
        raise RunNotFoundError(f"no run matches {spec!r}: see 'runledger ls' for run ids")

    def _resolve_team_tag(self, spec: str) -> RunRef | None:
        from runledger.store import tags

        if "/" in spec:
            return None
        state = tags.tips(self.repo, spec, self.warn_corrupt).get(spec)
        if state is None or state.deleted:
            return None
        for ref in self.run_refs(state.run or ""):
            if ref.id == state.run:
                return ref
        raise RunNotFoundError(
            f"tag {spec!r} names run {state.run}, which is not in this repository: "
            "run 'runledger pull' to fetch it"
        )

    def _resolve_exec_tag(self, spec: str) -> RunRef | None:
        refs = self._refs_maybe_tagged(spec)
        by_id = {ref.id: ref for ref in refs}
        matches = [run.id for run in self.summaries(refs) if spec in run.tags]
        if len(matches) == 1:
            return by_id[matches[0]]
        if len(matches) > 1:
            shown = ", ".join(ids.short_id(run_id) for run_id in sorted(matches)[:10])
            raise AmbiguousRunError(
                f"tag {spec!r} is on {len(matches)} runs ({shown}): name one run by its id"
            )
        return None

    def _refs_maybe_tagged(self, tag: str) -> list[RunRef]:
        """The runs that may have ``tag`` among their exec tags: from the index, only those
        whose stored JSON mentions it (then checked on the runs themselves)."""
        import json

        mentioned = self.catalog.refs_mentioning(json.dumps(tag, ensure_ascii=False))
        if mentioned is None:
            return self.run_refs()
        wanted = set(mentioned)
        return [ref for ref in self.run_refs() if ref.ref in wanted]

    def read(self, spec: str) -> Run:
        """Everything recorded for the run that ``spec`` names."""
        ref = self.resolve(spec)
        try:
            return self._read(ref)
        except CorruptRecordError as exc:
            raise _cannot_read(ref, exc) from exc

    def read_files(self, spec: str) -> Run:
        """The run that ``spec`` names with its run.toml and files.toml only: what moving its
        bytes needs, without parsing its metrics, environment and log or listing its tags
        and notes (a third of the time of a push of many small files)."""
        ref = self.resolve(spec)
        try:
            return self._read(ref, (FILES_FILE,), annotated=False)
        except CorruptRecordError as exc:
            raise _cannot_read(ref, exc) from exc

    def read_files_of(self, specs: Sequence[str]) -> list[Run]:
        """``read_files`` of each run, all through one ``git cat-file`` process. A whole run
        id with a ref of this repository's (what a push is given) is read from that ref,
        without opening the run index or listing refs (for a push of a few runs, those and a
        process per run cost more than reading them); any other spec is resolved as
        ``resolve`` does."""
        runs = []
        with git.CatFile(self.repo) as cat:
            for spec in specs:
                ref = self._own_ref(cat, spec) or self.resolve(spec)
                try:
                    runs.append(self._read(ref, (FILES_FILE,), annotated=False, cat=cat))
                except CorruptRecordError as exc:
                    raise _cannot_read(ref, exc) from exc
        return runs

    @staticmethod
    def _own_ref(cat: git.CatFile, spec: str) -> RunRef | None:
        """The run's ref under RUNS_PREFIX when ``spec`` is a whole id and that ref names a
        commit (the ref ``resolve`` gives for it); None otherwise."""
        if not ids.is_run_id(spec):
            return None
        oid = cat.commit_of(RUNS_PREFIX + spec)
        return RunRef(spec, oid) if oid is not None else None

    def _read(
        self,
        ref: RunRef,
        details: Sequence[str] = DETAIL_FILES,
        annotated: bool = True,
        cat: git.CatFile | None = None,
    ) -> Run:
        """The run with the ``details`` files of its tree; with its tags and notes when
        ``annotated``; through ``cat`` when given."""
        note_list = []
        with contextlib.ExitStack() as opened:
            if cat is None:
                cat = opened.enter_context(git.CatFile(self.repo))
            entries = cat.entries(ref.oid)
            entry = entries.get(RUN_FILE)
            try:
                if entry is not None and entry.kind is not None:
                    raise git.NotAFile(entry.kind)
                content = (
                    cat.read(entry.oid, READ_LIMIT_BYTES[RUN_FILE], files_only=True)
                    if entry is not None
                    else None
                )
            except git.ObjectTooLarge as exc:
                message = f"{ref.ref}: {over_read_limit(RUN_FILE, exc.size)}"
                raise CorruptRecordError(message) from exc
            except git.NotAFile as exc:
                raise CorruptRecordError(
                    f"{ref.ref}: {RUN_FILE} is a {exc.kind}, not a file"
                ) from exc
            if content is None:
                raise CorruptRecordError(f"{ref.ref}: has no {RUN_FILE}")
            run = Run.from_run_toml(content, ref.ref)
            if run.id != ref.id:
                # as the listing says (index.py): a pulled runs/B saying it is A is neither
                raise CorruptRecordError(f"{ref.ref}: its {RUN_FILE} says it is run {run.id}")
            files = {name: self._read_detail(cat, ref, name, entries.get(name)) for name in details}
            if annotated:
                from runledger.store import facts, notes

                where = notes.notes_ref(ref.id)
                try:
                    held = facts.read(cat, f"{where}:{notes.NOTES_FILE}", notes.NOTES_FILE)
                    note_list = notes.from_content(held, where)
                except CorruptRecordError as exc:
                    # The notes are damaged, not the run: show it without them.
                    self.warn_corrupt(where, exc)
                    note_list = []
        try:
            run = run.with_files(files)
        except CorruptRecordError:
            raise
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CorruptRecordError(f"{ref.ref}: a detail file cannot be read ({exc})") from exc
        for cut in run.read_cut:
            self.note_cut(ref, f"{METRICS_FILE} has {cut}")
        if not annotated:
            return run
        return replace(
            run,
            team_tags=tuple(self.team_tags().get(run.id, ())),
            notes=tuple(note.json() for note in note_list),
        )


def _left_out(name: str) -> str:
    """What a run is shown without when its detail file ``name`` cannot be read."""
    what = {
        METRICS_FILE: "its series are",
        ENVIRONMENT_FILE: "its environment is",
        FILES_FILE: "its file pointers are",
        LOG_FILE: "its output log is",
    }
    return f"{what.get(name, 'it is')} left out"


def fix_hint(ref: str) -> str:
    """How to get a bad run ref out of the way, for a warning that names it."""
    if ref.startswith(MIRROR_PREFIX):
        return "a copy of the remote's ref: fix it there; 'runledger doctor' explains"
    quoted = ref if all(char.isalnum() or char in "/-_." for char in ref) else repr(ref)
    return (
        f"remove it with 'git update-ref -d {quoted}', or move it aside: 'runledger doctor --fix'"
    )


def _cannot_read(ref: RunRef, exc: CorruptRecordError) -> CorruptRecordError:
    what = "" if exc.newer else "; the record is damaged, every other run still reads"
    return CorruptRecordError(
        f"cannot read run {ids.short_id(ref.id)} ({ref.ref}): {_reason(ref.ref, exc)}{what}",
        newer=exc.newer,
    )


def _reason(ref: str, error: CorruptRecordError) -> str:
    """The error's text without the ref it starts with, on one line."""
    text = " ".join(str(error).split())
    return text[len(ref) + 2 :] if text.startswith(ref + ": ") else text
