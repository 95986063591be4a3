"""``runledger verify RUN``: are the run's recorded inputs and artifacts still what they were?

Each recorded file is looked up in the current work tree (paths are relative to the
repository root; absolute ones as recorded) and re-hashed, through the hash cache, and
reported as same, changed or missing. The exit code is 0 when every file is the same and 1
otherwise, so a script can gate on it (``runledger verify production && deploy``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from runledger.errors import CorruptRecordError
from runledger.model.record import Run
from runledger.recording.capture.files import FileRecord, Verdict, verify
from runledger.store import git
from runledger.store.hashcache import HashCache, cache_path_for
from runledger.store.ledger import Ledger

Role = Literal["input", "artifact"]


@dataclass(frozen=True)
class Check:
    role: Role
    record: FileRecord
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "path": self.record.path,
            "kind": self.record.kind,
            "size": self.record.size,
            "sha256": self.record.sha256,
            "git_blob": self.record.git_blob,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Verification:
    run: Run
    checks: tuple[Check, ...]

    @property
    def all_same(self) -> bool:
        return all(check.verdict == "same" for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.all_same else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run.id,
            "same": self.all_same,
            "files": [check.to_json() for check in self.checks],
        }


def verify_run(cwd: Path, spec: str) -> Verification:
    repo = git.discover(cwd)
    run = Ledger(repo).read(spec)
    recorded: list[tuple[Role, FileRecord]] = []
    sources: tuple[tuple[Role, list[dict[str, Any]] | None], ...] = (
        ("input", run.inputs),
        ("artifact", run.artifacts),
    )
    try:
        for role, tables in sources:
            recorded += [(role, FileRecord.from_dict(table)) for table in tables or []]
    except (ValueError, TypeError, AttributeError) as error:
        raise CorruptRecordError(
            f"run {run.id}: its files.toml cannot be read ({error})"
        ) from error
    with HashCache(cache_path_for(repo.common_dir)) as cache:
        verdicts = verify([record for _, record in recorded], repo.root, cache)
    if cache.disabled_reason:
        print(f"runledger: warning: {cache.disabled_reason}", file=sys.stderr)
    checks = tuple(
        Check(role, record, verdict)
        for (role, _), (record, verdict) in zip(recorded, verdicts, strict=True)
    )
    return Verification(run, checks)
