"""Placeholder until the full params capture lands (same API, minimal behaviour)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runledger.errors import UserError


def _typed(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def params_from_argv(argv: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    args = list(argv[2:]) if argv and "python" in argv[0] else list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") and len(arg) > 2:
            key, eq, value = arg[2:].partition("=")
            if eq:
                out[key] = _typed(value)
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                out[key] = _typed(args[i + 1])
                i += 1
            else:
                out[key] = True
        i += 1
    return out


def parse_param_assignment(text: str) -> tuple[str, Any]:
    key, eq, value = text.partition("=")
    if not eq or not key.strip():
        raise UserError(f"bad --param {text!r}: write it as KEY=VALUE")
    return key.strip(), _typed(value)


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, full + "."))
        else:
            out[full] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def merge_params(
    sources: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[dict[str, Any], dict[str, str]]:
    flat: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, params in sources:
        for key, value in flatten(params).items():
            flat[key] = value
            origin[key] = name
    return unflatten(flat), origin
