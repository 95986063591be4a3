"""Regular expressions compiled when first used rather than when their module is imported.

The output parsers hold dozens of patterns; compiling them all costs ``runledger exec`` ~20 ms
on every run, before the command even starts, and a command that prints nothing never needs
them. A module writes ``NAME = compile_later(pattern, flags)`` where it would write
``re.compile`` and calls ``bind(globals())`` once at its end: the first use of ``NAME``
compiles the pattern and puts the compiled pattern in the module's namespace in place of the
stand-in, so every later use (a global lookup in the module's functions) gets the real
``re.Pattern``, at no cost per call. Only for patterns a module uses through their methods
(``NAME.match(...)``): ``re.sub(NAME, ...)`` or ``isinstance(NAME, re.Pattern)`` would see
the stand-in.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any, AnyStr, cast


class _Later:
    __slots__ = ("_compiled", "_flags", "_name", "_namespace", "_pattern")

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[Any] | None = None
        self._namespace: MutableMapping[str, Any] | None = None
        self._name = ""

    def compile(self) -> re.Pattern[Any]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
            namespace = self._namespace
            if namespace is not None and namespace.get(self._name) is self:
                namespace[self._name] = compiled
        return compiled

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.compile(), attribute)

    def __repr__(self) -> str:
        return f"compile_later({self._pattern!r})"


def compile_later(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """A stand-in for ``re.compile(pattern, flags)`` that compiles on first use (see above)."""
    return cast("re.Pattern[AnyStr]", _Later(pattern, flags))


def bind(namespace: MutableMapping[str, Any]) -> None:
    """Let each stand-in of ``namespace`` (a module's ``globals()``) replace itself there by
    its compiled pattern on first use."""
    for name, value in list(namespace.items()):
        if isinstance(value, _Later) and value._namespace is None:
            value._namespace = namespace
            value._name = name


def pending(namespace: MutableMapping[str, Any]) -> list[str]:
    """The names of ``namespace`` still holding a stand-in (tests compile them all)."""
    return [name for name, value in namespace.items() if isinstance(value, _Later)]


def compile_all(namespace: MutableMapping[str, Any]) -> None:
    """Compile every stand-in of ``namespace`` now (tests: a broken pattern fails at once)."""
    for name in pending(namespace):
        namespace[name].compile()
