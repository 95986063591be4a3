"""Nested tables as dotted keys: one ``flatten`` for records (query.select re-exports it) and for
the capture of params, which exec imports without the query layer's row types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted keys: ``{"model": {"depth": 3}}`` -> ``{"model.depth": 3}``."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        # Records hold plain dicts (from TOML); isinstance(Mapping) costs 10x more per value.
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        elif prefix or key.__class__ is not str:
            flat[f"{prefix}{key}"] = value
        else:
            flat[key] = value
    return flat
