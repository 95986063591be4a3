"""Reading TOML, with tomli's compiled wheel when it is installed.

tomli is the parser the standard library adopted as ``tomllib`` (the same code, the same
results and errors), but its wheels are compiled with mypyc: about 3.5 times faster, which is
most of the time of a first listing of 10,000 runs. Without a compiled wheel for the platform,
pip installs tomli's pure-Python one, as fast as tomllib.
"""

from __future__ import annotations

try:
    from tomli import TOMLDecodeError, loads
except ImportError:  # pragma: no cover - tomli is a dependency; tomllib is the same parser
    from tomllib import TOMLDecodeError, loads  # type: ignore[assignment]

__all__ = ["TOMLDecodeError", "loads"]
