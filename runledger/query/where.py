"""The ``--where`` filter language of ``ls``, ``compare``, ``plot``, ``importance`` and ``report``.

User text is never handed to Python's ``eval``: a tokenizer and a recursive-descent parser turn it
into a tree of frozen dataclasses, and :func:`evaluate` walks that tree over a run's JSON view.

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | condition
    condition  := operand (CMP operand | ["not"] "in" (list | operand)
                           | "matches" STRING | "glob" STRING)?
    CMP        := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
    list       := "(" [literal ("," literal)* [","]] ")"  |  "[" ... "]"
    operand    := field | literal
    field      := NAME ("." (SEGMENT | STRING | BACKTICKED) | "[" STRING "]")*
    SEGMENT    := a letter, digit or "_", then any of those and "-" "/" "@"
    literal    := NUMBER | STRING | true | false | null | none

A name as loggers write it needs no quotes: ``metrics.train/loss``, ``metrics.ms/batch``,
``metrics.val-acc``, ``metrics.recall@10``, ``metrics.mAP@0.5``. Any other name is quoted,
three ways as other tools spell it: ``metrics."f1 score"`` (MLflow), ``metrics.`acc%` ``
(MLflow, SQL) or ``metrics["f1 score"]`` (Python); :func:`field_text` writes the shortest.

A field alone is a truth test (``params.use_amp``). Semantics, chosen to be unsurprising:

* A comparison that touches a missing (or null) value is false, whatever the operator, as in SQL;
  ``not`` of it is true. The one exception is ``== null`` / ``!= null``, which test presence.
* Numbers compare numerically; a number and a numeric string (old runs recorded ``"0.01"``)
  compare as numbers; ``true``/``false`` also equal the strings ``"true"``/``"false"``.
* ``started_at`` compares as a date-time: ``started_at >= "2026-03-01"`` (a date alone is
  midnight UTC; a time without an offset is UTC).
* ``commit == "abc1"`` and ``id == "0k3f"`` match a prefix of at least 4 characters, as git and
  ``RUN`` arguments accept short forms (case-insensitive).
* A list field (``tags``, ``tag``, ``command``) compared to a single value holds when any element
  does: ``tag == "production"``, ``"production" in tags``, ``tags glob "prod*"``.
* ``"resnet" in name`` is a substring test; ``"lr" in params`` tests that a param exists.
* ``matches`` is a regular expression (Python's syntax) found anywhere in the value, as grep
  finds it, case-sensitive: ``name matches "^resnet(18|50)$"``, ``command matches "lr[ =]0\\.1"``.
  ``glob`` is a shell-style glob over the whole value: ``name glob "resnet*"``.
* Keys under ``params``/``metrics`` match whatever their spelling of ``-`` and ``_``:
  ``params.batch-size`` finds ``batch_size``; flat dotted keys (``{"model.depth": 3}``) are found
  by ``params.model.depth`` as well as nested ones.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, TypeAlias

from runledger.errors import UserError

MAX_DEPTH = 50
MIN_PREFIX = 4

CONTAINER_FIELDS = frozenset({"params", "metrics", "environment", "git"})
SCALAR_FIELDS = frozenset(
    {
        "id",
        "name",
        "status",
        "commit",
        "branch",
        "tag",
        "tags",
        "command",
        "started_at",
        "duration_s",
        "exit_code",
        "user",
        "host",
        "reproduces",
        "parent",
        "sweep",
        "note",
    }
)
PREFIX_FIELDS = frozenset({"id", "commit", "reproduces", "parent", "sweep"})
DATETIME_FIELDS = frozenset({"started_at"})
FIELD_ALIASES = {"tag": "tags"}
FALSE_STRINGS = frozenset({"", "0", "false", "no", "off"})

Scalar: TypeAlias = str | int | float | bool | None
CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
MatchKind: TypeAlias = Literal["plain", "prefix", "datetime"]


class WhereError(UserError):
    """A ``--where`` expression that cannot be parsed; says where, so a caret can point at it."""

    def __init__(self, detail: str, column: int, expr: str) -> None:
        self.detail = detail
        self.column = column
        self.expr = expr
        super().__init__(f"bad --where at column {column}: {detail} (in: {expr})")


# ---------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Const:
    value: Scalar


Operand: TypeAlias = Field | Const


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Operand
    right: Operand
    kind: MatchKind = "plain"


@dataclass(frozen=True)
class InList:
    item: Operand
    options: tuple[Const, ...]
    negated: bool = False
    kind: MatchKind = "plain"


@dataclass(frozen=True)
class InField:
    item: Operand
    container: Field
    negated: bool = False


@dataclass(frozen=True)
class Matches:
    subject: Operand
    pattern: str
    kind: Literal["regex", "glob"] = "regex"


@dataclass(frozen=True)
class Truthy:
    field: Field


@dataclass(frozen=True)
class Not:
    inner: Expr


@dataclass(frozen=True)
class And:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Expr, ...]


Expr: TypeAlias = Compare | InList | InField | Matches | Truthy | Not | And | Or


# ---------------------------------------------------------------------------- tokens

TokenKind: TypeAlias = Literal["num", "str", "word", "seg", "tick", "op", "punct", "end"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    value: Scalar
    pos: int


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[^\W\d][\w\-/]*")
# What a name after a dot may hold unquoted: the characters loggers put in metric names
# (train/loss, ms/batch, val-acc, recall@10). Dots split segments; lookups join them again.
_SEGMENT = re.compile(r"\w[\w\-/@]*")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "=")
_COMPARE_OPS: dict[str, CompareOp] = {
    "==": "==",
    "=": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_FLIPPED: dict[CompareOp, CompareOp] = {
    "==": "==",
    "!=": "!=",
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
}
_PUNCT = "().,[]"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
_HINTS = {
    "&&": "use 'and' instead of '&&'",
    "||": "use 'or' instead of '||'",
    "!": "use 'not' or '!=' instead of '!'",
}


def _tokenize(expr: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while True:
        space = _SPACE.match(expr, pos)
        if space:
            pos = space.end()
        if pos >= len(expr):
            tokens.append(Token("end", "", None, pos))
            return tokens
        after_dot = bool(tokens) and tokens[-1].text == "." and tokens[-1].kind == "punct"
        previous = tokens[-1] if tokens else None
        after_name = (
            previous is not None
            and previous.kind in ("word", "seg", "tick")
            and previous.pos + len(previous.text) == pos
        )
        try:
            token = _next_token(expr, pos, after_dot, after_name)
        except WhereError as error:
            raise _in_name(error, tokens, pos, expr) from None
        tokens.append(token)
        pos = token.pos + len(token.text)


def _in_name(error: WhereError, tokens: list[Token], pos: int, expr: str) -> WhereError:
    """A character glued to a name (``metrics.acc%``) gets a hint: quote the whole name."""
    if not error.detail.startswith("unexpected character") or len(tokens) < 3:
        return error
    last, dot = tokens[-1], tokens[-2]
    if last.kind != "seg" or last.pos + len(last.text) != pos or dot.text != ".":
        return error
    start = len(tokens) - 2  # back to the field's head: params.model.acc% -> params.model
    while start > 0 and (
        tokens[start].kind in ("seg", "str", "tick")
        or (tokens[start].kind == "punct" and tokens[start].text in ".[]")
    ):
        start -= 1
    if tokens[start].kind != "word":
        return error
    run = re.match(r"[^\s=!<>()\[\],]*", expr[last.pos :])
    name = run.group() if run else last.text
    return WhereError(
        f"{error.detail} in a name; quote a name with other characters, "
        f"as in {expr[tokens[start].pos : dot.pos]}.{_quoted(name)}",
        error.column,
        expr,
    )


def _next_token(expr: str, pos: int, after_dot: bool, after_name: bool = False) -> Token:
    char = expr[pos]
    if after_name and char == ".":
        return Token("punct", ".", ".", pos)  # mAP@0.5: a dot, not the number .5
    if char in "\"'":
        text, value = _read_string(expr, pos)
        return Token("str", text, value, pos)
    if char == "`":
        end = expr.find("`", pos + 1)
        if end < 0:
            raise WhereError(f"unterminated name starting at column {pos + 1}", pos + 1, expr)
        return Token("tick", expr[pos : end + 1], expr[pos + 1 : end], pos)
    if after_dot:
        segment = _SEGMENT.match(expr, pos)
        if segment:
            return Token("seg", segment.group(), segment.group(), pos)
    number = _NUMBER.match(expr, pos)
    if number:
        end = number.end()
        if end < len(expr) and (expr[end].isalnum() or expr[end] == "_"):
            run = _SEGMENT.match(expr, end)
            bad = expr[pos : run.end() if run else end + 1]
            raise WhereError(f"'{bad}' is neither a number nor a field", pos + 1, expr)
        text = number.group()
        number_value = float(text) if any(c in text for c in ".eE") else int(text)
        return Token("num", text, number_value, pos)
    word = _WORD.match(expr, pos)
    if word:
        return Token("word", word.group(), word.group(), pos)
    for hint_text, hint in _HINTS.items():
        if expr.startswith(hint_text, pos) and not expr.startswith("!=", pos):
            raise WhereError(hint, pos + 1, expr)
    for op in _OPERATORS:
        if expr.startswith(op, pos):
            return Token("op", op, op, pos)
    if char in _PUNCT:
        return Token("punct", char, char, pos)
    raise WhereError(f"unexpected character {char!r}", pos + 1, expr)


def _read_string(expr: str, start: int) -> tuple[str, str]:
    quote = expr[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(expr):
        char = expr[pos]
        if char == quote:
            return expr[start : pos + 1], "".join(chars)
        if char == "\\" and pos + 1 < len(expr):
            escaped = expr[pos + 1]
            chars.append(_ESCAPES.get(escaped, "\\" + escaped))
            pos += 2
            continue
        chars.append(char)
        pos += 1
    raise WhereError(f"unterminated string starting at column {start + 1}", start + 1, expr)


# ---------------------------------------------------------------------------- parser

_KEYWORD_VALUES: dict[str, Scalar] = {"true": True, "false": False, "null": None, "none": None}
_RESERVED = frozenset({"and", "or", "not", "in", "matches", "glob", *_KEYWORD_VALUES})


def _is_word(token: Token, word: str) -> bool:
    return token.kind == "word" and token.text.lower() == word


def _describe(token: Token) -> str:
    return "the end" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = _tokenize(expr)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def at_end(self) -> bool:
        return self.token.kind == "end"

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, detail: str, token: Token | None = None) -> WhereError:
        return WhereError(detail, (token or self.token).pos + 1, self.expr)

    def parse(self) -> Expr:
        if self.at_end():
            raise self.fail("the expression is empty; write a condition such as params.lr < 0.1")
        tree = self.parse_or()
        if not self.at_end():
            raise self.fail(
                f"unexpected {_describe(self.token)} after a complete condition; "
                "join conditions with 'and' or 'or'"
            )
        return tree

    def parse_or(self) -> Expr:
        parts = [self.parse_and()]
        while _is_word(self.token, "or"):
            keyword = self.advance()
            parts.append(self.parse_operand_of(keyword, self.parse_and))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Expr:
        parts = [self.parse_not()]
        while _is_word(self.token, "and"):
            keyword = self.advance()
            parts.append(self.parse_operand_of(keyword, self.parse_not))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_operand_of(self, keyword: Token, parse: Callable[[], Expr]) -> Expr:
        if self.token.kind == "end" or _is_word(self.token, "and") or _is_word(self.token, "or"):
            raise self.fail(f"expected a condition after '{keyword.text}'")
        return parse()

    def parse_not(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels")
        try:
            if _is_word(self.token, "not"):
                keyword = self.advance()
                return Not(self.parse_operand_of(keyword, self.parse_not))
            if self.token.text == "(" and self.token.kind == "punct":
                return self.parse_group()
            return self.parse_condition()
        finally:
            self.depth -= 1

    def parse_group(self) -> Expr:
        opening = self.advance()
        if self.token.text == ")":
            raise self.fail("empty parentheses")
        inner = self.parse_or()
        if self.token.text != ")" or self.token.kind != "punct":
            raise self.fail(
                f"expected ')' to close the '(' at column {opening.pos + 1}, "
                f"found {_describe(self.token)}"
            )
        self.advance()
        return inner

    def parse_condition(self) -> Expr:
        left = self.parse_operand("a field such as params.lr or metrics.acc")
        token = self.token
        if (
            isinstance(left, Field)
            and len(left.path) > 1
            and token.kind == "word"
            and token.text.lower() not in _RESERVED
        ):
            # metrics.f1 score > 0.5: a name with a space, not two conditions.
            name = _quoted(f"{left.path[-1]} {token.text}")
            raise self.fail(
                f"unexpected {_describe(token)} after {left.dotted}; quote a name that holds "
                f"spaces, as in {'.'.join(left.path[:-1])}.{name}"
            )
        if token.kind == "op":
            self.advance()
            value_token = self.token
            right = self.parse_operand(f"a value after '{token.text}'")
            return self.make_compare(_COMPARE_OPS[token.text], left, right, value_token)
        if _is_word(token, "not") and _is_word(self.tokens[self.index + 1], "in"):
            self.advance()
            return self.parse_in(left, negated=True)
        if _is_word(token, "in"):
            return self.parse_in(left, negated=False)
        if _is_word(token, "matches"):
            self.advance()
            pattern = self.token
            if pattern.kind != "str":
                raise self.fail(
                    "expected a quoted regular expression after 'matches', as in \"^resnet\""
                )
            try:
                _regex(str(pattern.value))
            except re.error as error:
                raise self.fail(
                    f"not a valid regular expression after 'matches': {error}"
                ) from None
            self.advance()
            return Matches(left, str(pattern.value), "regex")
        if _is_word(token, "glob"):
            self.advance()
            pattern = self.token
            if pattern.kind != "str":
                raise self.fail("expected a quoted glob pattern after 'glob', as in \"resnet*\"")
            self.advance()
            return Matches(left, str(pattern.value), "glob")
        if isinstance(left, Field):
            return Truthy(left)
        raise self.fail(f"expected a comparison such as '==' or 'in' after {left.value!r}")

    def parse_in(self, item: Operand, negated: bool) -> Expr:
        keyword = self.advance()
        if self.token.kind == "punct" and self.token.text in "([":
            list_token = self.token
            options = self.parse_list()
            kind = _kind_for(item, options, self, list_token)
            return InList(item, options, negated, kind)
        wanted = f'a list like ("a", "b") or a field after \'{keyword.text}\''
        container = self.parse_operand(wanted, bare_container_ok=True)
        if not isinstance(container, Field):
            raise self.fail('expected a list like ("a", "b") or a field after \'in\'')
        return InField(item, container, negated)

    def parse_list(self) -> tuple[Const, ...]:
        opening = self.advance()
        closing = ")" if opening.text == "(" else "]"
        items: list[Const] = []
        while not (self.token.kind == "punct" and self.token.text == closing):
            value = self.parse_operand(f"a value or '{closing}' in the list")
            if not isinstance(value, Const):
                raise self.fail('a list holds only literal values such as 1 or "adam"', None)
            items.append(value)
            if self.token.kind == "punct" and self.token.text == ",":
                self.advance()
            elif not (self.token.kind == "punct" and self.token.text == closing):
                raise self.fail(
                    f"expected ',' or '{closing}' to close the list opened at column "
                    f"{opening.pos + 1}, found {_describe(self.token)}"
                )
        self.advance()
        return tuple(items)

    def parse_operand(self, wanted: str, bare_container_ok: bool = False) -> Operand:
        token = self.token
        if token.kind in ("num", "str"):
            self.advance()
            return Const(token.value)
        if token.kind == "word" and token.text.lower() in _KEYWORD_VALUES:
            self.advance()
            return Const(_KEYWORD_VALUES[token.text.lower()])
        if token.kind == "word" and token.text.lower() not in _RESERVED:
            return self.parse_field(bare_container_ok)
        if token.kind == "tick":
            raise self.fail(
                f"a `quoted` name goes after 'params.' or 'metrics.', as in metrics.{token.text}"
            )
        raise self.fail(f"expected {wanted}, found {_describe(token)}")

    def parse_field(self, bare_container_ok: bool) -> Field:
        head = self.advance()
        path = [head.text]
        while self.token.kind == "punct" and self.token.text in (".", "["):
            opening = self.advance()
            key = self.token
            if opening.text == "[":
                if key.kind != "str" or key.value == "":
                    raise self.fail(
                        f"expected a quoted key after '{'.'.join(path)}[', as in "
                        f'{path[0]}["ms/batch"]'
                    )
                self.advance()
                if self.token.kind != "punct" or self.token.text != "]":
                    raise self.fail(
                        f"expected ']' to close the '[' at column {opening.pos + 1}, "
                        f"found {_describe(self.token)}"
                    )
                self.advance()
            elif key.kind not in ("seg", "str", "tick") or key.value == "":
                raise self.fail(f"expected a key after '{'.'.join(path)}.'", opening)
            else:
                self.advance()
            path.append(str(key.value))
        self.check_field(path, head, bare_container_ok)
        return Field(tuple(path))

    def check_field(self, path: list[str], head: Token, bare_container_ok: bool) -> None:
        name = path[0]
        if name in CONTAINER_FIELDS:
            # "lr" in params is fine; a bare params elsewhere is almost certainly a typo.
            if len(path) == 1 and not bare_container_ok:
                raise self.fail(f"'{name}' needs a key, as in {name}.lr", head)
            return
        if name not in SCALAR_FIELDS:
            known = ", ".join(sorted(SCALAR_FIELDS | CONTAINER_FIELDS))
            raise self.fail(
                f"unknown field '{name}'; did you mean params.{name} or metrics.{name}? "
                f"(fields: {known})",
                head,
            )
        if len(path) > 1:
            raise self.fail(f"'{name}' has no sub-fields", head)

    def make_compare(
        self, op: CompareOp, left: Operand, right: Operand, value_token: Token
    ) -> Compare:
        # Field on the left, so evaluation and prefix matching have one direction to handle.
        if isinstance(left, Const) and isinstance(right, Field):
            left, right, op = right, left, _FLIPPED[op]
        if isinstance(right, Const):
            kind = _kind_for(left, (right,), self, value_token)
        else:
            kind = "plain"
        if kind == "prefix" and op not in ("==", "!="):
            kind = "plain"
        return Compare(op, left, right, kind)


def _kind_for(field: Operand, values: tuple[Const, ...], parser: _Parser, at: Token) -> MatchKind:
    if not isinstance(field, Field) or len(field.path) != 1:
        return "plain"
    name = field.path[0]
    if name in DATETIME_FIELDS:
        for const in values:
            if const.value is not None and _as_datetime(const.value) is None:
                raise parser.fail(
                    f"{const.value!r} is not an ISO 8601 date or time, "
                    'as in "2026-03-01" or "2026-03-01T12:00:00Z"',
                    at,
                )
        return "datetime"
    if name in PREFIX_FIELDS:
        for const in values:
            if isinstance(const.value, str) and len(const.value) < MIN_PREFIX:
                raise parser.fail(
                    f"{name} needs at least {MIN_PREFIX} characters to match, got {const.value!r}",
                    at,
                )
        return "prefix"
    return "plain"


def parse(expr: str) -> Expr:
    """Parse a ``--where`` expression; raises :class:`WhereError` naming the column at fault."""
    return _Parser(expr).parse()


def parse_field(text: str) -> Field:
    """One field as ``--where`` writes it (``metrics."f1 score"``), for ``--sort`` and
    ``--group-by``; raises :class:`WhereError` when ``text`` is anything more or less."""
    parser = _Parser(text)
    if parser.at_end() or parser.token.kind != "word":
        raise parser.fail("expected a field such as params.lr or metrics.acc")
    field = parser.parse_field(bare_container_ok=False)
    if not parser.at_end():
        raise parser.fail(f"unexpected {_describe(parser.token)} after {field.dotted}")
    return field


_REVERSE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _quoted(name: str) -> str:
    """``name`` as a double-quoted string that :func:`_read_string` reads back exactly."""
    return '"' + "".join(_REVERSE_ESCAPES.get(char, char) for char in name) + '"'


def field_text(container: str, name: str) -> str:
    """How ``--where`` and ``--sort`` write the key ``name`` of ``container`` (``params`` or
    ``metrics``): bare where its characters allow (``metrics.train/loss``), else quoted
    (``metrics."f1 score"``)."""
    parts = name.split(".")
    if all(_SEGMENT.fullmatch(part) for part in parts):
        return f"{container}.{name}"
    return f"{container}.{_quoted(name)}"


# ---------------------------------------------------------------------------- evaluation


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def _normal_key(key: str) -> str:
    return key.replace("-", "_")


def _lookup_key(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    wanted = _normal_key(key)
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and _normal_key(candidate) == wanted:
            return value
    return MISSING


def _lookup_path(value: Any, path: tuple[str, ...]) -> Any:
    if not path:
        return value
    if not isinstance(value, Mapping):
        return MISSING
    # Longest dotted key first, so both {"model.depth": 3} and {"model": {"depth": 3}} are found.
    for split in range(len(path), 0, -1):
        found = _lookup_key(value, ".".join(path[:split]))
        if found is not MISSING:
            result = _lookup_path(found, path[split:])
            if result is not MISSING:
                return result
    return MISSING


def _resolve(operand: Operand, row: Mapping[str, Any]) -> Any:
    if isinstance(operand, Const):
        return operand.value
    head = FIELD_ALIASES.get(operand.path[0], operand.path[0])
    value = row.get(head, MISSING)
    if head == "tags" and value is MISSING:
        value = row.get("tag", MISSING)
    value = _lookup_path(value, operand.path[1:])
    return MISSING if value is None else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float | int | None:
    if _is_number(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _coerce_pair(a: Any, b: Any, kind: MatchKind) -> tuple[Any, Any] | None:
    """The two values in a form they can be compared in, or None when they cannot be."""
    if kind == "datetime":
        pair = (_as_datetime(a), _as_datetime(b))
        return None if None in pair else pair
    if isinstance(a, bool) or isinstance(b, bool):
        bools = (_as_bool(a), _as_bool(b))
        return None if None in bools else bools
    if _is_number(a) or _is_number(b):
        numbers = (_as_number(a), _as_number(b))
        return None if None in numbers else numbers
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None


def _equals(a: Any, b: Any, kind: MatchKind) -> bool:
    """``a`` is the field's value, ``b`` the value written in the expression."""
    if kind == "prefix" and isinstance(a, str) and isinstance(b, str):
        return a.lower().startswith(b.lower())
    pair = _coerce_pair(a, b, kind)
    return pair is not None and pair[0] == pair[1]


def _scalar_holds(op: CompareOp, a: Any, b: Any, kind: MatchKind) -> bool:
    if op == "==":
        return _equals(a, b, kind)
    if op == "!=":
        return not _equals(a, b, kind)
    pair = _coerce_pair(a, b, kind)
    if pair is None:
        return False
    left, right = pair
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


def _values_hold(op: CompareOp, left: Any, right: Any, kind: MatchKind) -> bool:
    left_many = isinstance(left, list | tuple)
    right_many = isinstance(right, list | tuple)
    if left_many and right_many:
        return op in ("==", "!=") and (list(left) == list(right)) == (op == "==")
    if right_many:
        return _values_hold(_FLIPPED[op], right, left, kind)
    if left_many:
        if op == "!=":
            return not any(_equals(item, right, kind) for item in left)
        return any(_scalar_holds(op, item, right, kind) for item in left)
    return _scalar_holds(op, left, right, kind)


def _compare(node: Compare, row: Mapping[str, Any]) -> bool:
    left, right = _resolve(node.left, row), _resolve(node.right, row)
    if isinstance(node.right, Const) and node.right.value is None and node.op in ("==", "!="):
        return (left is MISSING) == (node.op == "==")
    if left is MISSING or right is MISSING:
        return False
    return _values_hold(node.op, left, right, node.kind)


def _in_list(node: InList, row: Mapping[str, Any]) -> bool:
    item = _resolve(node.item, row)
    if item is MISSING:
        return False
    options = [option.value for option in node.options]
    if isinstance(item, list | tuple):
        found = any(_equals(element, option, node.kind) for element in item for option in options)
    else:
        found = any(_equals(item, option, node.kind) for option in options)
    return found != node.negated


def _in_field(node: InField, row: Mapping[str, Any]) -> bool:
    item, container = _resolve(node.item, row), _resolve(node.container, row)
    if item is MISSING or container is MISSING:
        return False
    if isinstance(container, Mapping):
        found = isinstance(item, str) and _lookup_key(container, item) is not MISSING
    elif isinstance(container, list | tuple):
        found = any(_equals(element, item, "plain") for element in container)
    elif isinstance(container, str):
        found = isinstance(item, str) and item in container
    else:
        return False
    return found != node.negated


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _glob_subject(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    return None


def _matches(node: Matches, row: Mapping[str, Any]) -> bool:
    value = _resolve(node.subject, row)
    if node.kind == "glob":
        test = _glob(node.pattern).match
    else:
        test = _regex(node.pattern).search
    values = value if isinstance(value, list | tuple) else [value]
    for element in values:
        subject = _glob_subject(element)
        if subject is not None and test(subject):
            return True
    return False


def _truthy(node: Truthy, row: Mapping[str, Any]) -> bool:
    value = _resolve(node.field, row)
    if value is MISSING:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_STRINGS
    return bool(value)


def evaluate(expr: Expr, row: Mapping[str, Any]) -> bool:
    """Whether the run whose JSON view is ``row`` satisfies ``expr``."""
    if isinstance(expr, And):
        return all(evaluate(part, row) for part in expr.parts)
    if isinstance(expr, Or):
        return any(evaluate(part, row) for part in expr.parts)
    if isinstance(expr, Not):
        return not evaluate(expr.inner, row)
    if isinstance(expr, Compare):
        return _compare(expr, row)
    if isinstance(expr, InList):
        return _in_list(expr, row)
    if isinstance(expr, InField):
        return _in_field(expr, row)
    if isinstance(expr, Matches):
        return _matches(expr, row)
    return _truthy(expr, row)


def compile_where(expr: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over run JSON views; ``None`` (no ``--where`` given) keeps every run."""
    if expr is None:
        return lambda row: True
    tree = parse(expr)
    return lambda row: evaluate(tree, row)


def _operands(expr: Expr) -> list[Operand]:
    if isinstance(expr, And | Or):
        return [operand for part in expr.parts for operand in _operands(part)]
    if isinstance(expr, Not):
        return _operands(expr.inner)
    if isinstance(expr, Compare):
        return [expr.left, expr.right]
    if isinstance(expr, InList):
        return [expr.item]
    if isinstance(expr, InField):
        return [expr.item, expr.container]
    if isinstance(expr, Matches):
        return [expr.subject]
    return [expr.field]


def fields(expr: Expr) -> set[str]:
    """The field paths ``expr`` reads, e.g. ``{"params.lr", "tags"}``; ``tag`` reads as ``tags``."""
    found: set[str] = set()
    for operand in _operands(expr):
        if isinstance(operand, Field):
            head = FIELD_ALIASES.get(operand.path[0], operand.path[0])
            found.add(".".join((head, *operand.path[1:])))
    return found
