"""The record's schema version: migrations of older records, checks of every record read.

Every TOML file of a run carries ``schema``, the version of the layout it was written in. A
reader accepts every version up to :data:`SCHEMA_VERSION`: an older file is brought up to date
in memory by named, ordered steps (``MIGRATIONS``), one version at a time, and is never
rewritten in git (records are immutable). A newer file is refused with a message that says to
upgrade, so an old runledger never misreads a record written by a newer one.

How to change the layout: bump ``SCHEMA_VERSION`` and add a :class:`Migration` from the old
version for each file whose layout changed; the old records keep reading.

Records come from other people's pushes and hand edits, so run.toml is also checked field by
field (:func:`check_run_toml`): a wrong type is reported as a damaged record naming the field,
never a crash later in ``ls`` or ``show``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

SCHEMA_VERSION: Final = 1


class SchemaError(ValueError):
    """A record that cannot be read: damaged, or written by a newer runledger."""

    def __init__(self, message: str, *, newer: bool = False) -> None:
        super().__init__(message)
        self.newer = newer


@dataclass(frozen=True)
class Migration:
    """One step: ``file`` in layout ``from_schema`` becomes layout ``from_schema + 1``."""

    from_schema: int
    file: str
    name: str
    apply: Callable[[dict[str, Any]], dict[str, Any]]


# Schema 1 is the first published layout, so there is nothing to migrate yet. A step is
# written as, e.g.:
#   Migration(1, "run.toml", "split host into host and os", _split_host)
MIGRATIONS: list[Migration] = []


def upgrade(
    file: str,
    data: dict[str, Any],
    migrations: Sequence[Migration] | None = None,
    current: int | None = None,
) -> dict[str, Any]:
    """``data`` (one TOML file of a run) in the current layout; SchemaError when impossible."""
    steps = MIGRATIONS if migrations is None else migrations
    target = SCHEMA_VERSION if current is None else current
    version = data.get("schema")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SchemaError(f"{file} has no schema version")
    if version > target:
        raise SchemaError(
            f"it was written by a newer runledger (schema {version}; this one reads up to "
            f"{target}): upgrade runledger to read it",
            newer=True,
        )
    if version == target:
        return data
    data = dict(data)  # the record read is never changed in place
    while version < target:
        if not any(s.from_schema == version for s in steps):
            raise SchemaError(f"{file} has schema {version}, which no runledger wrote")
        for step in steps:  # none when this version's steps changed other files only
            if step.from_schema == version and step.file == file:
                data = step.apply(data)
        version += 1
    data["schema"] = version
    return data


# --- checks of run.toml ---------------------------------------------------------------------

_Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _optional(check: _Check) -> _Check:
    return lambda value: value is None or check(value)


def _list_of(check: _Check) -> _Check:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


def _table_of(check: _Check) -> _Check:
    return lambda value: (
        _is_table(value)
        and all(isinstance(key, str) and check(item) for key, item in value.items())
    )


def _metric_summary(value: Any) -> bool:
    if not _is_table(value) or not _is_number(value.get("last")):
        return False
    numbers = ("min", "max", "last_step", "min_step", "max_step", "count")
    return all(value.get(key) is None or _is_number(value[key]) for key in numbers)


def _git_table(value: Any) -> bool:
    return (
        _is_table(value)
        and _is_str(value.get("commit"))
        and _optional(_is_str)(value.get("branch"))
        and _optional(_table_of(_is_str))(value.get("remotes"))
    )


# field -> (required, check, what it must be)
_RUN_FIELDS: Final[dict[str, tuple[bool, _Check, str]]] = {
    "id": (True, _is_str, "a string"),
    "status": (True, _is_str, "a string"),
    "started_at": (True, _is_str, "a string"),
    "git": (True, _git_table, "a table with a commit"),
    "ended_at": (False, _is_str, "a string"),
    "duration_s": (False, _is_number, "a number"),
    "exit_code": (False, _optional(_is_int), "an integer"),
    "signal": (False, _optional(_is_int), "an integer"),
    "name": (False, _optional(_is_str), "a string"),
    "note": (False, _optional(_is_str), "a string"),
    "user": (False, _optional(_is_str), "a string"),
    "host": (False, _optional(_is_str), "a string"),
    "author": (False, _optional(_is_str), "a string"),
    "inputs_digest": (False, _optional(_is_str), "a string"),
    "cwd": (False, _is_str, "a string"),
    "reproduces": (False, _optional(_is_str), "a string"),
    "parent": (False, _optional(_is_str), "a string"),
    "sweep": (False, _optional(_is_str), "a string"),
    "trial": (False, _optional(_is_table), "a table"),
    "runledger_version": (False, _optional(_is_str), "a string"),
    "command": (False, _list_of(_is_str), "a list of strings"),
    "tags": (False, _list_of(_is_str), "a list of strings"),
    "params": (False, _is_table, "a table"),
    "param_sources": (False, _table_of(_is_str), "a table of strings"),
    "metrics": (False, _table_of(_metric_summary), "a table of metric summaries"),
    "config_files": (False, _list_of(_is_table), "a list of tables"),
    "system": (False, _is_table, "a table"),
    "recovered": (False, _optional(_table_of(_is_str)), "a table of strings"),
    "auto_outputs": (False, _is_bool, "true or false"),
    "autocapture": (False, _is_bool, "true or false"),
}


def check_run_toml(data: Mapping[str, Any]) -> None:
    """SchemaError naming the first field of run.toml that is missing or of the wrong type."""
    for key, (required, check, what) in _RUN_FIELDS.items():
        if key not in data:
            if required:
                raise SchemaError(f"run.toml has no {key}")
            continue
        if not check(data[key]):
            raise SchemaError(f"run.toml: {key} must be {what}")


# The fields of _RUN_FIELDS by the plain type a TOML reader gives them (plainly_valid).
_TEXT_FIELDS: Final = frozenset(
    "id status started_at ended_at cwd name note user host author inputs_digest reproduces "
    "parent sweep runledger_version".split()
)
_TABLE_FIELDS: Final = frozenset(("params", "system", "trial"))
_TEXT_LIST_FIELDS: Final = frozenset(("command", "tags"))
_TEXT_TABLE_FIELDS: Final = frozenset(("param_sources", "recovered"))
_INT_FIELDS: Final = frozenset(("exit_code", "signal"))
_SUMMARY_NUMBERS: Final = ("last", "min", "max", "last_step", "min_step", "max_step", "count")


def plainly_valid(data: Mapping[str, Any]) -> bool:
    """True when :func:`check_run_toml` finds nothing wrong with ``data``, told from the
    exact types a TOML reader makes (str, int, float, bool, list, dict); False for anything
    else, which check_run_toml then judges. A first listing checks every record: this is a
    quarter of check_run_toml's time (tests/test_schema.py compares the two)."""
    if "id" not in data or "status" not in data or "started_at" not in data:
        return False
    for key, value in data.items():
        kind = type(value)
        if key in _TEXT_FIELDS:
            if kind is not str:
                return False
        elif key == "duration_s":
            if kind is not float and kind is not int:
                return False
        elif key in _TABLE_FIELDS:
            if kind is not dict:
                return False
        elif key in _TEXT_LIST_FIELDS:
            if kind is not list or not all(type(item) is str for item in value):
                return False
        elif key in _INT_FIELDS:
            if kind is not int:
                return False
        elif key == "metrics":
            if kind is not dict or not all(_plain_summary(item) for item in value.values()):
                return False
        elif key == "git":
            if kind is not dict or not _plain_git(value):
                return False
        elif key in _TEXT_TABLE_FIELDS:
            if kind is not dict or not all(type(item) is str for item in value.values()):
                return False
        elif key == "config_files":
            if kind is not list or not all(type(item) is dict for item in value):
                return False
        elif key in ("auto_outputs", "autocapture"):
            if kind is not bool:
                return False
    return "git" in data


def _plain_summary(summary: Any) -> bool:
    if type(summary) is not dict or "last" not in summary:
        return False
    for key in _SUMMARY_NUMBERS:
        if key in summary:
            kind = type(summary[key])
            if kind is not float and kind is not int:
                return False
    return True


def _plain_git(table: dict[str, Any]) -> bool:
    remotes = table.get("remotes", {})
    return (
        type(table.get("commit")) is str
        and type(table.get("branch", "")) is str
        and type(remotes) is dict
        and all(type(url) is str for url in remotes.values())
    )


def check_detail(file: str, data: Mapping[str, Any], tables: Sequence[str]) -> None:
    """SchemaError when one of ``tables`` of a detail file is there but not a table, or
    (files.toml) its inputs or artifacts are not file pointers."""
    for key in tables:
        if key in data and not _is_table(data[key]):
            raise SchemaError(f"{file}: {key} must be a table")
    if file == "files.toml":
        for key in ("inputs", "artifacts"):
            if key in data and not _list_of(_pointer)(data[key]):
                raise SchemaError(f"{file}: {key} must be a list of file pointers")


def _pointer(value: Any) -> bool:
    """A file pointer's path, size and sha256 (the latter two none for a link, say)."""
    return (
        _is_table(value)
        and _is_str(value.get("path"))
        and _optional_int(value.get("size"))
        and _optional_str(value.get("sha256"))
    )


# made once: a push checks a pointer per file of its runs
_optional_int = _optional(_is_int)
_optional_str = _optional(_is_str)
