"""The ref namespace runledger writes, and the one parser of its names.

- ``refs/runledger/runs/<id>``: a run (ledger.py);
- ``refs/runledger/tags/<name>``: a team tag's chain of commits (tags.py);
- ``refs/runledger/notes/<id>``: a run's notes (notes.py);
- ``refs/runledger/remotes/<remote>/{runs,tags,notes}/<name>``: what was fetched from a
  remote and not yet adopted (sync.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runledger import ids

ROOT = "refs/runledger/"
RUNS_PREFIX = ROOT + "runs/"
TAGS_PREFIX = ROOT + "tags/"
NOTES_PREFIX = ROOT + "notes/"
# Runs fetched by plain `git fetch` (after `runledger init`) or by push/pull, not yet adopted
# into RUNS_PREFIX: refs/runledger/remotes/<remote>/runs/<id> (see sync.py).
MIRROR_PREFIX = ROOT + "remotes/"
NAMESPACES = {"runs": RUNS_PREFIX, "tags": TAGS_PREFIX, "notes": NOTES_PREFIX}

Namespace = Literal["runs", "tags", "notes"]


@dataclass(frozen=True)
class RefName:
    """A parsed runledger ref: its namespace, the name within it, and the remote's mirror
    it lies in (None: this repository's own)."""

    namespace: Namespace
    name: str
    remote: str | None = None


def parse(ref: str) -> RefName | None:
    """What ``ref`` names; None for a ref outside the namespace or of a shape runledger never
    writes (a nested name, an empty one)."""
    if not ref.startswith(ROOT):
        return None
    rest = ref[len(ROOT) :]
    remote: str | None = None
    if rest.startswith("remotes/"):
        parts = rest[len("remotes/") :].split("/")
        if len(parts) != 3 or not parts[0]:
            return None
        remote, rest = parts[0], f"{parts[1]}/{parts[2]}"
    namespace, _, name = rest.partition("/")
    if namespace not in NAMESPACES or not name or "/" in name:
        return None
    return RefName(namespace, name, remote)  # type: ignore[arg-type]


def run_ref_id(ref: str) -> tuple[str, bool] | None:
    """(run id, whether it is a remote's mirror) of a run ref; None for any other ref."""
    if ref.startswith(RUNS_PREFIX):
        return ref[len(RUNS_PREFIX) :], False
    parsed = parse(ref)
    if parsed is None or parsed.remote is None or parsed.namespace != "runs":
        return None
    if len(parsed.name) != ids.ID_LENGTH:
        return None
    return parsed.name, True


@dataclass(frozen=True)
class RunRef:
    id: str
    oid: str
    refname: str = ""  # where it was found, when not under RUNS_PREFIX (a remote's mirror)

    @property
    def ref(self) -> str:
        return self.refname or RUNS_PREFIX + self.id
