"""Where a ledger looks its runs up: the run index, or the refs themselves.

The index (index.py) answers from SQLite; when it cannot be used here (a read-only git
directory, a full disk, a lock held too long) the refs are listed and their run.toml read
through git instead, slower and the same. A :class:`~runledger.store.ledger.Ledger` opens
its catalog once, on first use, and keeps it for the rest of the command: the index is
opened and brought up to date once per process, not once per question.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from runledger import ids
from runledger.errors import CorruptRecordError
from runledger.model.dates import is_future, listing_time
from runledger.model.record import (
    READ_LIMIT_BYTES,
    RUN_FILE,
    Run,
    is_child_of,
    link_reproductions,
    over_read_limit,
)
from runledger.model.row import FrameRow, RunRow, TableRow
from runledger.store import git
from runledger.store.index import RunIndex, open_current, summary_text
from runledger.store.refs import MIRROR_PREFIX, RUNS_PREFIX, RunRef, run_ref_id

if TYPE_CHECKING:
    from runledger.store.overview import TableFacts

Warn = Callable[[str, CorruptRecordError], None]


class Catalog(Protocol):
    def refs(self, prefix: str = "") -> list[RunRef]:
        """The runs whose id starts with ``prefix``: local refs first, then those only in a
        remote's mirror (fetched, not pulled), each in ref order."""

    def runs(self) -> list[Run]:
        """Every readable run (run.toml only), newest first; unreadable ones are reported."""

    def rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        limit: int | None = None,
        ids: Sequence[str] | None = None,
        reproducing: bool = False,
        top_level: bool = False,
    ) -> Iterator[tuple[RunRow, bool]]:
        """(row, decided) of each readable run, newest first: the SQL ``where`` (1, 0 or
        NULL; query/where_sql.py) decides where it can, the caller where it could not.
        Only the runs ``ids`` names, or with ``reproducing`` those that reproduce one;
        with ``top_level``, not the child runs whose parent is here."""

    def table_rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> Iterator[tuple[TableRow | RunRow, bool]]:
        """As :meth:`rows`, for ``compare``: where it can, a TableRow (no command, tags or
        note) instead of a RunRow."""

    def frame_rows(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> Iterator[tuple[FrameRow | RunRow, bool]]:
        """As :meth:`rows`, for ``load_runs``: where it can, a FrameRow instead of a RunRow."""

    def frame_columns(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> dict[str, list[Any]] | None:
        """:meth:`frame_rows` as columns (store/columns.py); None where a row needs more than
        the index's columns (read them with :meth:`frame_rows`)."""

    def table_facts(
        self,
        shown: int,
        *,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        metric: str | None = None,
        descending: bool = False,
        best_of: Callable[[str], str],
        judged: Callable[[str], bool] | None = None,
    ) -> TableFacts | None:
        """compare's first ``shown`` runs and what its table says of all of them
        (store/overview.py ``table_facts``); None: not known here (read every row)."""

    def count(self, top_level: bool = False) -> int:
        """How many readable runs there are (with ``top_level``, as :meth:`rows` says)."""

    def child_counts(self, parents: Sequence[str]) -> dict[str, int]:
        """Parent id -> how many readable child runs name it (those with any)."""

    def summaries_json(
        self,
        status: str | None,
        limit: int | None,
        team_tags: dict[str, list[str]],
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """``ls --json``'s object of each run (one line each), newest first, with team tags
        merged in and reproductions linked; with ``ids``, those runs in that order."""

    def runs_for(self, refs: Sequence[str]) -> dict[str, Run | None]:
        """Ref -> its run (None, reported, when unreadable), for those of ``refs`` it holds."""

    def reproducers(self, run_id: str) -> list[str] | None:
        """Refs of the readable runs that reproduce ``run_id``; None: not known here."""

    def refs_mentioning(self, text: str) -> list[str] | None:
        """Refs whose ``ls --json`` object may contain ``text``; None: not known here."""

    def file_candidates(self, keys: Sequence[str]) -> list[RunRef] | None:
        """The runs whose files.toml may record a file under one of ``keys``
        (store/filekeys.py); None: not known here (read every run's)."""

    def close(self) -> None: ...


class IndexCatalog:
    """The runs as the run index holds them."""

    def __init__(self, index: RunIndex, warn: Warn) -> None:
        self.index = index
        self.warn = warn
        self._reported = False

    def _report_errors(self) -> None:
        """Warn once about every unreadable run, when runs are listed (not when one is
        named: its own error says it)."""
        if not self._reported:
            self._reported = True
            for ref, error in self.index.errors():
                self.warn(ref, CorruptRecordError(error))

    def refs(self, prefix: str = "") -> list[RunRef]:
        return [
            RunRef(run_id, oid, ref if mirror else "")
            for run_id, oid, ref, mirror in self.index.refs(prefix)
        ]

    def runs(self) -> list[Run]:
        self._report_errors()
        return list(self.index.runs())

    def rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        limit: int | None = None,
        ids: Sequence[str] | None = None,
        reproducing: bool = False,
        top_level: bool = False,
    ) -> Iterator[tuple[RunRow, bool]]:
        if ids is None:
            self._report_errors()
        return self.index.rows(where, team_tags, limit, ids, reproducing, top_level)

    def table_rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> Iterator[tuple[TableRow | RunRow, bool]]:
        if ids is None:
            self._report_errors()
        return self.index.table_rows(where, team_tags, ids)

    def frame_rows(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> Iterator[tuple[FrameRow | RunRow, bool]]:
        self._report_errors()
        return self.index.frame_rows(where, team_tags)

    def frame_columns(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> dict[str, list[Any]] | None:
        from runledger.store.columns import frame_columns

        self._report_errors()
        return frame_columns(self.index, where, team_tags)

    def count(self, top_level: bool = False) -> int:
        return self.index.count(top_level)

    def table_facts(
        self,
        shown: int,
        *,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        metric: str | None = None,
        descending: bool = False,
        best_of: Callable[[str], str],
        judged: Callable[[str], bool] | None = None,
    ) -> TableFacts | None:
        from runledger.store.overview import table_facts

        self._report_errors()
        return table_facts(
            self.index,
            shown,
            where=where,
            team_tags=team_tags,
            metric=metric,
            descending=descending,
            best_of=best_of,
            judged=judged,
        )

    def child_counts(self, parents: Sequence[str]) -> dict[str, int]:
        return self.index.child_counts(parents)

    def summaries_json(
        self,
        status: str | None,
        limit: int | None,
        team_tags: dict[str, list[str]],
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        if ids is None:
            self._report_errors()
        # The objects are printed as stored, without building a ``Run``: at 100,000 runs
        # that is the difference between a second and most of a minute. Only the few runs
        # with team tags or reproductions are built, to fill those in.
        reproduced = self.index.reproduced()
        lines: dict[str, str] = {}
        for run_id, text in self.index.summaries(status, limit, ids):
            if run_id in team_tags or run_id in reproduced:
                text = summary_text(self._linked(run_id, team_tags, reproduced))
            lines[run_id] = text
        if ids is None:
            return list(lines.values())
        return [lines[run_id] for run_id in ids if run_id in lines]

    def _linked(
        self, run_id: str, team: dict[str, list[str]], reproduced: dict[str, list[str]]
    ) -> Run:
        """One run from the index with its team tags and the runs that reproduce it."""
        ref = next(ref.ref for ref in self.refs(run_id) if ref.id == run_id)
        found = self.runs_for([ref, *reproduced.get(run_id, [])])
        runs = [run for run in found.values() if run is not None]
        original = replace(runs[0], team_tags=tuple(team.get(run_id, ())))
        return link_reproductions(runs, [original])[0]

    def runs_for(self, refs: Sequence[str]) -> dict[str, Run | None]:
        found: dict[str, Run | None] = {}
        for name, run, error in self.index.runs_for(refs):
            if run is None:
                self.warn(name, CorruptRecordError(error or "cannot be read"))
            found[name] = run
        return found

    def reproducers(self, run_id: str) -> list[str] | None:
        return self.index.reproducers(run_id)

    def refs_mentioning(self, text: str) -> list[str] | None:
        return self.index.refs_mentioning(text)

    def file_candidates(self, keys: Sequence[str]) -> list[RunRef] | None:
        try:
            found = self.index.file_candidates(keys)
        except (sqlite3.Error, OSError):  # a read-only or busy index: every run is read
            return None
        return [RunRef(run_id, oid, ref if mirror else "") for run_id, oid, ref, mirror in found]

    def close(self) -> None:
        self.index.close()


class RefsCatalog:
    """The runs read from their refs through git, without an index."""

    def __init__(self, repo: git.Repo, warn: Warn) -> None:
        self.repo = repo
        self.warn = warn
        self._listed: list[RunRef] | None = None
        self._runs: list[Run] | None = None
        self._by_id: dict[str, Run] | None = None

    def _all_refs(self) -> list[RunRef]:
        if self._listed is None:
            local: list[RunRef] = []
            mirrored: dict[str, RunRef] = {}
            for ref, oid in git.list_refs(self.repo, RUNS_PREFIX, MIRROR_PREFIX):
                parsed = run_ref_id(ref)
                if parsed is None:
                    continue
                run_id, mirror = parsed
                if not mirror:
                    if ids.is_run_id(run_id):
                        local.append(RunRef(run_id, oid))
                    else:
                        self.warn(ref, CorruptRecordError(f"{ref}: its name is not a run id"))
                else:
                    mirrored.setdefault(run_id, RunRef(run_id, oid, ref))
            for run in local:
                mirrored.pop(run.id, None)
            self._listed = local + list(mirrored.values())
        return self._listed

    def refs(self, prefix: str = "") -> list[RunRef]:
        return [ref for ref in self._all_refs() if ref.id.startswith(prefix)]

    def runs(self) -> list[Run]:
        if self._runs is None:
            refs = self._all_refs()
            read = self.read(refs)
            runs = [run for run in read.values() if run is not None]
            oids = {ref.id: ref.oid for ref in refs}
            future = [oids[run.id] for run in runs if is_future(run.started_at)]
            committed = git.commit_times(self.repo, future) if future else {}
            runs.sort(
                key=lambda run: (
                    listing_time(run.started_at, committed.get(oids[run.id])) or "",
                    run.id,
                ),
                reverse=True,
            )
            self._runs = runs
        return list(self._runs)

    def read(self, refs: Sequence[RunRef]) -> dict[str, Run | None]:
        """The run.toml of each of ``refs``, None (reported) where it cannot be read."""
        found: dict[str, Run | None] = {}
        if not refs:
            return found
        with git.CatFile(self.repo) as cat:
            specs = [f"{ref.oid}:{RUN_FILE}" for ref in refs]
            read = cat.read_many_within(specs, READ_LIMIT_BYTES[RUN_FILE])
            for ref, (_, content) in zip(refs, read, strict=True):
                try:
                    if isinstance(content, git.ObjectTooLarge):
                        raise CorruptRecordError(
                            f"{ref.ref}: {over_read_limit(RUN_FILE, content.size)}"
                        )
                    if content is None:
                        raise CorruptRecordError(f"{ref.ref}: has no {RUN_FILE}")
                    found[ref.ref] = Run.from_run_toml(content, ref.ref)
                except CorruptRecordError as exc:
                    self.warn(ref.ref, exc)
                    found[ref.ref] = None
        return found

    def rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        limit: int | None = None,
        ids: Sequence[str] | None = None,
        reproducing: bool = False,
        top_level: bool = False,
    ) -> Iterator[tuple[RunRow, bool]]:
        team = team_tags or {}
        wanted = None if ids is None else set(ids)
        runs = [
            run
            for run in (self._top_level() if top_level else self.runs())
            if wanted is None or (run.reproduces if reproducing else run.id) in wanted
        ]
        for run in runs if limit is None else runs[:limit]:
            row = RunRow.of(run)
            if run.id in team:
                row = replace(row, team_tags=tuple(team[run.id]))
            yield row, where is None

    def table_rows(
        self,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> Iterator[tuple[TableRow | RunRow, bool]]:
        return self.rows(where, team_tags, None, ids)

    def frame_columns(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> dict[str, list[Any]] | None:
        return None

    def frame_rows(
        self, where: str | None = None, team_tags: dict[str, list[str]] | None = None
    ) -> Iterator[tuple[FrameRow | RunRow, bool]]:
        return self.rows(where, team_tags)

    def _top_level(self) -> list[Run]:
        return [run for run in self.runs() if self._parent_of(run) is None]

    def _parent_of(self, run: Run) -> Run | None:
        """The run held here that ``run`` is a child of (see record.is_child_of), or None."""
        if self._by_id is None:
            self._by_id = {held.id: held for held in self.runs()}
        parent = self._by_id.get(run.parent) if run.parent else None
        if parent is None or not is_child_of(run.git.commit, parent.git.commit):
            return None
        return parent

    def table_facts(
        self,
        shown: int,
        *,
        where: str | None = None,
        team_tags: dict[str, list[str]] | None = None,
        metric: str | None = None,
        descending: bool = False,
        best_of: Callable[[str], str],
        judged: Callable[[str], bool] | None = None,
    ) -> TableFacts | None:
        return None

    def count(self, top_level: bool = False) -> int:
        return len(self._top_level() if top_level else self.runs())

    def child_counts(self, parents: Sequence[str]) -> dict[str, int]:
        wanted = set(parents)
        counts = Counter(
            run.parent
            for run in self.runs()
            if run.parent in wanted and self._parent_of(run) is not None
        )
        return {parent: count for parent, count in counts.items() if parent is not None}

    def summaries_json(
        self,
        status: str | None,
        limit: int | None,
        team_tags: dict[str, list[str]],
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        runs = [
            replace(run, team_tags=tuple(team_tags[run.id])) if run.id in team_tags else run
            for run in self.runs()
        ]
        runs = [run for run in link_reproductions(runs) if status in (None, run.status)]
        if ids is not None:
            by_id = {run.id: run for run in runs}
            runs = [by_id[run_id] for run_id in ids if run_id in by_id]
        return [summary_text(run) for run in (runs if limit is None else runs[:limit])]

    def runs_for(self, refs: Sequence[str]) -> dict[str, Run | None]:
        return {}  # nothing held: the ledger reads them

    def reproducers(self, run_id: str) -> list[str] | None:
        return None

    def refs_mentioning(self, text: str) -> list[str] | None:
        return None

    def file_candidates(self, keys: Sequence[str]) -> list[RunRef] | None:
        return None

    def close(self) -> None:
        pass


def open_catalog(repo: git.Repo, warn: Warn) -> Catalog:
    """The index brought up to date, or the refs when the index cannot be used here.

    Every problem with the index makes the catalog read the refs: the index is never a
    reason to fail.
    """
    index = open_current(repo)
    if index is None:
        return RefsCatalog(repo, warn)
    return IndexCatalog(index, warn)
