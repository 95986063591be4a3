"""Reading TOML, with tomli's compiled wheel when it is installed.

tomli is the parser the standard library adopted as ``tomllib`` (the same code, the same
results and errors), but its wheels are compiled with mypyc: about 3.5 times faster, which is
most of the time of a first listing of 10,000 runs. Without a compiled wheel for the platform,
pip installs tomli's pure-Python one, as fast as tomllib.
"""

from __future__ import annotations

from typing import Any

try:
    from tomli import TOMLDecodeError
    from tomli import loads as _loads
except ImportError:  # pragma: no cover - tomli is a dependency; tomllib is the same parser
    from tomllib import TOMLDecodeError  # type: ignore[assignment]
    from tomllib import loads as _loads

__all__ = ["TOMLDecodeError", "loads"]


class NestedTooDeep(TOMLDecodeError):
    """Arrays or inline tables nested deeper than the parser goes (tomli raises
    RecursionError): a pulled record's, read as any other TOML that cannot be read."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)


def loads(text: str) -> dict[str, Any]:
    try:
        return _loads(text)
    except RecursionError as error:
        raise NestedTooDeep(str(error)) from None
