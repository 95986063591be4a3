"""A team tag's state after one change: what ``tags`` lists and ``tags --history`` shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runledger.errors import CorruptRecordError


@dataclass(frozen=True)
class TagState:
    """A tag after one change. ``run`` is None once the tag is deleted."""

    name: str
    action: str  # create, move, delete or merge
    run: str | None
    commit: str | None  # the run's commit, so plain git can follow the tag
    previous: str | None  # the run the tag named before this change
    by: str
    at: str
    oid: str = ""  # this state's commit in the chain
    overruled: dict[str, Any] | None = None  # merge: the change that lost

    @property
    def deleted(self) -> bool:
        return self.run is None

    def document(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "action": self.action,
            "run": self.run,
            "commit": self.commit,
            "previous": self.previous,
            "by": self.by,
            "at": self.at,
            "overruled": self.overruled,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_document(cls, data: dict[str, Any], oid: str, where: str) -> TagState:
        try:
            overruled = data.get("overruled")
            return cls(
                name=str(data["name"]),
                action=str(data["action"]),
                run=_optional(data.get("run")),
                commit=_optional(data.get("commit")),
                previous=_optional(data.get("previous")),
                by=str(data.get("by", "")),
                at=str(data["at"]),
                oid=oid,
                overruled=dict(overruled) if isinstance(overruled, dict) else None,
            )
        except KeyError as exc:
            raise CorruptRecordError(f"{where}: tag.toml has no {exc}") from exc

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "run": self.run,
            "commit": self.commit,
            "action": self.action,
            "previous": self.previous,
            "by": self.by,
            "at": self.at,
            "overruled": self.overruled,
        }


def _optional(value: Any) -> str | None:
    return str(value) if value else None
