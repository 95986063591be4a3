"""Placeholder until the full redaction module lands (same API, minimal behaviour)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_ENV_ALLOWLIST = (
    "CUDA_VISIBLE_DEVICES",
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)
_SECRET = re.compile(
    r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE)", re.I
)
_URL_CREDS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.I)


def looks_secret(name: str, extra_patterns: Sequence[str] = ()) -> bool:
    return bool(_SECRET.search(name))


def strip_url_credentials(url: str) -> str:
    return _URL_CREDS.sub(lambda m: m.group("scheme"), url)


def safe_env(
    env: Mapping[str, str], allow: Sequence[str], extra_patterns: Sequence[str] = ()
) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in allow and not looks_secret(k)}


class Redactor:
    def __init__(self, env: Mapping[str, str], extra_patterns: Sequence[str] = ()) -> None:
        self._env = env

    def mask_text(self, text: str) -> str:
        return text

    def mask_bytes(self, data: bytes) -> bytes:
        return data

    def mask_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)

    def mask_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return dict(params)
