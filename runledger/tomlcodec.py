"""Placeholder until the full codec lands: plain TOML, None values dropped."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

import tomli_w


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value if v is not None]
    return value


def encode(value: Any) -> Any:
    return _drop_none(value)


def decode(value: Any) -> Any:
    return value


def dumps(data: Mapping[str, Any]) -> str:
    return tomli_w.dumps(encode(dict(data)))


def loads(text: str) -> dict[str, Any]:
    return decode(tomllib.loads(text))
