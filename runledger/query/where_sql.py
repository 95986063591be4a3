"""``--where`` as SQL over the run index's listing columns, where SQL can decide it.

The expression compiles to one SQL expression of three values: 1 (the run matches), 0 (it
does not) and NULL (SQL cannot tell: the run is handed to :func:`where.evaluate` in Python).
SQLite's NULL follows Kleene's logic, so ``and``/``or``/``not`` compose unchanged: ``0 AND
NULL`` is 0 without Python. Each condition says 1 or 0 only where it is sure to agree with
:mod:`where`'s rules (numbers with numbers, text with text, missing values, booleans) and
NULL for the rest (numeric strings, globs, prefixes, dates, keys spelt two ways), so the
result never depends on which path decided; tests/test_where_sql.py checks it on random
expressions.

Constants and JSON paths are written into the SQL as quoted literals (never as code): text
that SQLite cannot hold (NUL, lone surrogates) leaves its condition to Python.

The columns (store/index.py): scalars by name (``git_commit`` for ``commit``), and the JSON
texts ``params`` and ``metrics``, trusted by SQL only where ``plain = 1``; exec tags in the
JSON array ``tags``, team tags in the temporary table ``team_tags (id, tag)``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from runledger.query.where import (
    And,
    Compare,
    Const,
    Expr,
    Field,
    InList,
    Not,
    Or,
    Truthy,
)

UNDECIDED = "NULL"
MAX_ROUTES = 32

# Scalar fields with a column of their own and no special matching (prefix, date).
_COLUMNS = {
    "name": "name",
    "status": "status",
    "branch": "branch",
    "duration_s": "duration_s",
    "exit_code": "exit_code",
    "user": "user",
    "host": "host",
    "note": "note",
    "parent": "parent",
    "sweep": "sweep",
}
_JSON_COLUMNS = ("params", "metrics")
_SQL_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class SqlWhere:
    """``sql`` is 1, 0 or NULL for a run; ``team_tags``: whether the temporary table of team
    tags must be filled first."""

    sql: str
    team_tags: bool


@dataclass(frozen=True)
class _Value:
    """Where a field's value comes from: SQL expressions of its value and of its JSON type
    (``integer``, ``real``, ``text``, ``true``, ``false``, ``null``, ``object``, ``array``;
    NULL when missing); ``guard``, when set, must hold for the two to be trusted (else the
    condition is undecided)."""

    value: str
    kind: str
    guard: str | None = None


class _Compiler:
    def __init__(self) -> None:
        self.team_tags = False

    def compile(self, expr: Expr) -> str:
        if isinstance(expr, And | Or):
            joiner = " AND " if isinstance(expr, And) else " OR "
            return "(" + joiner.join(self.compile(part) for part in expr.parts) + ")"
        if isinstance(expr, Not):
            return f"(NOT {self.compile(expr.inner)})"
        if isinstance(expr, Compare):
            return self.compare(expr)
        if isinstance(expr, InList):
            return self.in_list(expr)
        if isinstance(expr, Truthy):
            return self.truthy(expr)
        return UNDECIDED  # in FIELD, matches: Python decides

    # --- conditions ---------------------------------------------------------------------

    def compare(self, node: Compare) -> str:
        if not isinstance(node.left, Field) or not isinstance(node.right, Const):
            return UNDECIDED
        if node.kind != "plain":
            return UNDECIDED
        constant = node.right.value
        if _is_tags(node.left):
            return self.tags_compare(node.op, constant)
        source = _source(node.left)
        if source is None:
            return UNDECIDED
        missing = f"({source.kind} IS NULL OR {source.kind} = 'null')"
        if constant is None:
            if node.op == "==":
                return _guarded(source, missing)
            if node.op == "!=":
                return _guarded(source, f"(NOT {missing})")
            return UNDECIDED
        holds = _holds(node.op, source, constant)
        if holds is None:
            return UNDECIDED
        return _guarded(source, f"(CASE WHEN {missing} THEN 0 ELSE {holds} END)")

    def in_list(self, node: InList) -> str:
        if node.kind != "plain" or not isinstance(node.item, Field):
            return UNDECIDED
        if _is_tags(node.item):
            found = self.tags_any([option.value for option in node.options])
            if found == UNDECIDED:
                return found
            return f"(NOT {found})" if node.negated else found
        source = _source(node.item)
        if source is None:
            return UNDECIDED
        checks: list[str] = []
        for option in node.options:
            if option.value is None:
                continue  # equal to no present value
            holds = _holds("==", source, option.value)
            if holds is None:
                return UNDECIDED
            checks.append(holds)
        found = "(" + " OR ".join(checks) + ")" if checks else "0"
        if node.negated:
            found = f"(NOT {found})"
        missing = f"({source.kind} IS NULL OR {source.kind} = 'null')"
        return _guarded(source, f"(CASE WHEN {missing} THEN 0 ELSE {found} END)")

    def truthy(self, node: Truthy) -> str:
        source = _source(node.field)
        if source is None:
            return UNDECIDED
        kind = source.kind
        return _guarded(
            source,
            f"(CASE WHEN {kind} IS NULL OR {kind} IN ('null', 'false') THEN 0 "
            f"WHEN {kind} = 'true' THEN 1 "
            f"WHEN {kind} IN ('integer', 'real') THEN ({source.value} != 0) ELSE NULL END)",
        )

    # --- tags: exec tags (JSON array) and team tags (temporary table) --------------------

    def tags_any(self, values: list[Any]) -> str:
        """1 when the run has any of ``values`` as a tag (tags are always text)."""
        present = [value for value in values if value is not None]
        if not all(isinstance(value, str) for value in present):
            return UNDECIDED  # a number or boolean against tags: Python's rules
        if not present:
            return "0"
        literals = [_literal(value) for value in present]
        if None in literals:
            return UNDECIDED
        self.team_tags = True
        wanted = ", ".join(str(literal) for literal in literals)
        found = (
            f"(EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value IN ({wanted})) OR "
            f"EXISTS (SELECT 1 FROM temp.team_tags t WHERE t.id = runs.id AND t.tag IN ({wanted})))"
        )
        return f"(CASE WHEN runs.tags IS NULL THEN NULL ELSE {found} END)"

    def tags_compare(self, op: str, constant: Any) -> str:
        if constant is None and op in ("==", "!="):
            return "0" if op == "==" else "1"  # a list is never missing
        if op not in ("==", "!="):
            return UNDECIDED
        found = self.tags_any([constant])
        if found == UNDECIDED or op == "==":
            return found
        return f"(NOT {found})"


def compile_sql(expr: Expr) -> SqlWhere:
    """The SQL of ``expr`` over the index's ``runs`` table (see the module's docstring)."""
    compiler = _Compiler()
    sql = compiler.compile(expr)
    return SqlWhere(sql, compiler.team_tags)


def _guarded(source: _Value, sql: str) -> str:
    if source.guard is None:
        return sql
    return f"(CASE WHEN {source.guard} THEN {sql} ELSE NULL END)"


def _is_tags(field: Field) -> bool:
    return field.path[0] in ("tags", "tag") and len(field.path) == 1


def _source(field: Field) -> _Value | None:
    head, rest = field.path[0], field.path[1:]
    if head in _COLUMNS and not rest:
        column = f"runs.{_COLUMNS[head]}"
        return _Value(column, f"typeof({column})", "runs.plain = 1")
    if head in _JSON_COLUMNS and rest:
        return _json_source(f"runs.{head}", rest)
    return None


def _json_source(column: str, path: tuple[str, ...]) -> _Value | None:
    """The value at ``path`` in a JSON column, as ``where._lookup_path`` finds it.

    Python tries the longest dotted key first and any spelling of ``-`` and ``_``: when the
    nested path with every key as written exists and no other spelling or grouping does, that
    is the value; when none exists the value is missing; otherwise Python decides.
    """
    if any('"' in segment or "\\" in segment or not segment.isprintable() for segment in path):
        # SQLite matches JSON keys in their escaped form: such keys are left to Python.
        return None
    routes = _routes(path)
    if len(routes) > MAX_ROUTES:
        return None
    literals = [_literal(route) for route in routes]
    exact = _literal(_json_path(path))
    if exact is None or None in literals:
        return None
    guard = f"{column} IS NOT NULL AND runs.plain = 1"
    for literal in literals:
        if literal != exact:
            guard += f" AND json_type({column}, {literal}) IS NULL"
    return _Value(f"json_extract({column}, {exact})", f"json_type({column}, {exact})", guard)


def _routes(path: tuple[str, ...]) -> list[str]:
    """Every JSON path the keys of ``path`` may be stored under: each grouping of its
    segments into dotted keys, each with every spelling of ``-`` and ``_``."""
    found: list[str] = []
    for cuts in itertools.product((False, True), repeat=len(path) - 1):
        keys: list[str] = [path[0]]
        for segment, cut in zip(path[1:], cuts, strict=True):
            if cut:
                keys.append(segment)
            else:
                keys[-1] += "." + segment
        for spelt in itertools.product(*(_spellings(key) for key in keys)):
            found.append(_json_path(spelt))
            if len(found) > MAX_ROUTES:
                return found
    return found


def _spellings(key: str) -> list[str]:
    slots = [i for i, char in enumerate(key) if char in "-_"]
    if len(slots) > 5:
        return [key] * (MAX_ROUTES + 1)  # too many: the caller gives up
    spelt = []
    for choice in itertools.product("-_", repeat=len(slots)):
        chars = list(key)
        for slot, char in zip(slots, choice, strict=True):
            chars[slot] = char
        spelt.append("".join(chars))
    return spelt


def _json_path(keys: tuple[str, ...] | list[str]) -> str:
    return "$" + "".join(f'."{key}"' for key in keys)


def _holds(op: str, source: _Value, constant: Any) -> str | None:
    """SQL for ``value OP constant`` over a present value, as where._scalar_holds decides it
    (1, 0 or NULL); None when no SQL can say."""
    kind, value = source.kind, source.value
    sql_op = _SQL_OPS[op]
    unequal = "1" if op == "!=" else "0"  # two values that cannot be compared
    if isinstance(constant, bool):
        return (
            f"(CASE WHEN {kind} IN ('true', 'false') THEN (({kind} = 'true') {sql_op} "
            f"{int(constant)}) WHEN {kind} IN ('integer', 'real', 'object') THEN {unequal} "
            "ELSE NULL END)"
        )
    if isinstance(constant, int | float):
        number = _literal(constant)
        if number is None:
            return None
        return (
            f"(CASE WHEN {kind} IN ('integer', 'real') THEN ({value} {sql_op} {number}) "
            f"WHEN {kind} IN ('true', 'false', 'object') THEN {unequal} ELSE NULL END)"
        )
    if isinstance(constant, str):
        text = _literal(constant)
        if text is None:
            return None
        parsed = _as_number(constant)
        number = _literal(parsed) if parsed is not None else None
        if parsed is None:
            number_holds = unequal
        elif number is None:
            number_holds = "NULL"
        else:
            number_holds = f"({value} {sql_op} {number})"
        flag = constant.strip().lower()
        bool_holds = (
            f"(({kind} = 'true') {sql_op} {int(flag == 'true')})"
            if flag in ("true", "false")
            else unequal
        )
        return (
            f"(CASE WHEN {kind} = 'text' THEN ({value} {sql_op} {text}) "
            f"WHEN {kind} IN ('integer', 'real') THEN {number_holds} "
            f"WHEN {kind} IN ('true', 'false') THEN {bool_holds} "
            f"WHEN {kind} = 'object' THEN {unequal} ELSE NULL END)"
        )
    return None


def _literal(value: str | float) -> str | None:
    """``value`` as an SQL literal; None when SQL cannot hold it exactly."""
    if isinstance(value, str):
        if "\x00" in value:
            return None
        try:
            value.encode()
        except UnicodeEncodeError:
            return None
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(value) if -(2**63) <= value < 2**63 else None
    return repr(value) if math.isfinite(value) else None


def _as_number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None
