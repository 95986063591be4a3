"""Secret masking: tokens, keys and passwords never reach the ledger, which is pushed to remotes.

Names (env vars, flags, param keys) are judged by :func:`looks_secret`, which splits a name into
words (on ``_``, ``-``, ``.``, spaces and camelCase) and applies these rules, in order:

1. ``PWD`` and ``OLDPWD`` are the working directory, never secret.
2. A word naming a secret on its own makes the name secret wherever it stands: ``password``,
   ``passwd``, ``passphrase``, ``secret``, ``credential(s)``, ``cookie``, ``authorization``,
   ``pwd``, ``apikey`` (also inside a glued word: ``clientsecret``, ``dbpassword``).
   A glued word ending in ``apikey``, ``accesskey``, ``authtoken``... counts too.
3. ``key``, ``token``, ``auth``, ``session``, ``pass`` and ``dsn`` make the name secret only when
   they end it, or are followed only by a qualifier (``_id``, ``_value``, ``_b64``...): so
   ``API_KEY``, ``hf_token``, ``AWS_ACCESS_KEY_ID``, ``SESSION_ID`` are secret, while
   ``key_frames``, ``SSH_AUTH_SOCK`` and ``XDG_SESSION_TYPE`` are not.
4. ...and not when the word before them makes them a hyperparameter or a public value:
   ``max``/``num``/``n`` counts, ``pad``/``eos``/``bos`` tokens, ``rng``/``prng`` keys, ``sort``/
   ``metric`` keys, ``public`` keys (``pad_token_id``, ``rng_key``, ``public_key``).
5. Plurals are counts, not secrets: ``max_tokens``, ``num_keys``. Whole words only:
   ``KEYBOARD``, ``MONKEY``, ``AUTHOR`` are not ``KEY`` or ``AUTH``.

``extra_patterns`` (from configuration) add names: an entry ``re:REGEX`` is a case-insensitive
regular expression searched in the name; any other entry is a case-insensitive shell glob
matched against the whole name (``MYCORP_*``). Leading ``-``, ``+`` and ``~`` of flags and
Hydra overrides are ignored, and ``-`` matches ``_`` (``VAULT_*`` covers ``--vault-addr``).

Values are masked by shape as well, wherever they appear (see :data:`_SHAPES`), and the values
of secret-looking environment variables are masked anywhere they are echoed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from runledger.errors import UserError

MASK = "***"
# environment.toml tables of distribution name -> version (masked by value shape only)
PACKAGE_TABLES: Final = ("packages", "used")
MIN_SECRET_VALUE_LENGTH = 4
MAX_PASSES = 4

# Environment variables that change what a run computes (and are never secrets). Kept short:
# the environment capture records everything else about the machine separately.
DEFAULT_ENV_ALLOWLIST: tuple[str, ...] = (
    # which devices, and in which order, the run saw
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    # thread counts change floating-point reduction order, hence results
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    # determinism and numeric precision switches
    "PYTHONHASHSEED",
    "CUBLAS_WORKSPACE_CONFIG",
    "NVIDIA_TF32_OVERRIDE",
    "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC",
    "XLA_FLAGS",
    "JAX_ENABLE_X64",
    "JAX_DEFAULT_MATMUL_PRECISION",
    "NCCL_ALGO",
    "NCCL_PROTO",
    # memory layout can decide whether a run fits at all
    "PYTORCH_CUDA_ALLOC_CONF",
    # offline mode pins which model and data revisions are used
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    # distributed layout changes the effective batch
    "WORLD_SIZE",
    "RANK",
    "LOCAL_RANK",
    # seeds read by common training scripts
    "SEED",
    "RANDOM_SEED",
    # Keras 3 runs on TensorFlow, JAX or PyTorch: a different backend gives other numbers
    "KERAS_BACKEND",
    # tf.keras 2 instead of Keras 3: other defaults, other layers, other results
    "TF_USE_LEGACY_KERAS",
    # oneDNN's fused kernels change TensorFlow's floating-point rounding
    "TF_ENABLE_ONEDNN_OPTS",
    # Hugging Face tokenizers' threads: on/off changes speed and, with forked loaders, hangs
    "TOKENIZERS_PARALLELISM",
    # which JAX backend (cpu, gpu, tpu) ran the computation
    "JAX_PLATFORMS",
    # PyTorch's determinism and debug switches (TORCH_DETERMINISTIC, TORCH_USE_CUDA_DSA, ...)
    "TORCH_DETERMINISTIC*",
    "TORCH_USE_CUDA_DSA",
    "TORCH_ALLOW_TF32*",
    "TORCH_CUDNN_*",
    # torch.compile on or off, and Inductor's choices, change kernels and their rounding
    "TORCH_COMPILE_DISABLE",
    "TORCHDYNAMO_DISABLE",
    "TORCHINDUCTOR_*",
    # the CUDA matmul path PyTorch may take (e.g. cuBLASLt): other kernels, other rounding
    "TORCH_BLAS_PREFER_CUBLASLT",
    # which code and which interpreter environment ran
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "CONDA_DEFAULT_ENV",
)

_STRONG_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "secret",
        "secrets",
        "credential",
        "credentials",
        "cookie",
        "cookies",
        "authorization",
        "pwd",
        "apikey",
        "apikeys",
    }
)
_STRONG_INFIXES = ("password", "passwd", "passphrase", "secret", "credential", "apikey")
_GLUED_SUFFIXES = (
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "authtoken",
    "apitoken",
    "accesstoken",
    "refreshtoken",
    "sessiontoken",
    "bearertoken",
    "authkey",
)
_WEAK_WORDS = frozenset({"key", "token", "auth", "session", "pass", "dsn", "pw", "jwt", "bearer"})
_QUALIFIERS = frozenset(
    {
        "id",
        "value",
        "val",
        "str",
        "string",
        "b64",
        "base64",
        "hex",
        "raw",
        "text",
        "data",
        "json",
        "secret",
        "key",
        "token",
        # which environment a key is for: --key-prod, API_KEY_STAGING
        "prod",
        "production",
        "staging",
        "stage",
        "dev",
        "test",
        "live",
        "sandbox",
    }
)
_BENIGN_BEFORE = frozenset(
    {
        # counts and limits: max_token, num_key
        "max",
        "min",
        "num",
        "n",
        "total",
        "count",
        "top",
        # tokenizer vocabulary: pad_token_id, eos_token
        "bos",
        "eos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "start",
        "end",
        "special",
        "stop",
        # PRNG keys (JAX) and data-structure keys
        "rng",
        "prng",
        "random",
        "seed",
        "sort",
        "metric",
        "monitor",
        "dict",
        "cache",
        "hash",
        "primary",
        "foreign",
        "partition",
        "group",
        "lookup",
        "index",
        "map",
        "join",
        "shard",
        # public halves and multi-pass algorithms
        "public",
        "first",
        "second",
        "single",
        "two",
        "multi",
        "forward",
        "backward",
    }
)
_NOT_SECRET_NAMES = frozenset({"pwd", "oldpwd"})

_NAME_CHUNKS = re.compile(r"[^_\-.\s/:]+")
_CAMEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _words(name: str) -> list[str]:
    return [
        word.lower() for chunk in _NAME_CHUNKS.findall(name) for word in _CAMEL_WORDS.findall(chunk)
    ]


def _strip_flag(name: str) -> str:
    return name.lstrip("-+~")


@lru_cache(maxsize=256)
def _compile_extra(pattern: str) -> re.Pattern[str]:
    try:
        if pattern.startswith("re:"):
            return re.compile(pattern[3:], re.IGNORECASE)
        return re.compile(fnmatch.translate(pattern), re.IGNORECASE)
    except re.error as exc:
        raise UserError(
            f"bad secret pattern {pattern!r}: {exc}; write a glob such as MYCORP_* "
            "or a regular expression as re:REGEX"
        ) from exc


def _matches_extra(name: str, extra_patterns: Sequence[str]) -> bool:
    # Flags spell with '-' what env vars spell with '_': VAULT_* also covers --vault-addr.
    spellings = {name, name.replace("-", "_")}
    for pattern in extra_patterns:
        compiled = _compile_extra(pattern)
        search = compiled.search if pattern.startswith("re:") else compiled.match
        if any(search(spelling) for spelling in spellings):
            return True
    return False


def _weak_word_is_secret(words: list[str], index: int) -> bool:
    if index > 0 and words[index - 1] in _BENIGN_BEFORE:
        return False
    return all(word in _QUALIFIERS for word in words[index + 1 :])


@lru_cache(maxsize=4096)
def _looks_secret_builtin(name: str) -> bool:
    if name.lower() in _NOT_SECRET_NAMES:
        return False
    words = _words(name)
    for index, word in enumerate(words):
        if word in _STRONG_WORDS or any(infix in word for infix in _STRONG_INFIXES):
            return True
        if word.endswith(_GLUED_SUFFIXES):
            return True
        if word in _WEAK_WORDS and _weak_word_is_secret(words, index):
            return True
    return False


def looks_secret(name: str, extra_patterns: Sequence[str] = ()) -> bool:
    """Whether an env var, flag or key named ``name`` holds a secret (rules in the module doc)."""
    bare = _strip_flag(name)
    return _looks_secret_builtin(bare) or _matches_extra(bare, extra_patterns)


# ---------------------------------------------------------------------------- value shapes


def _shape(first: str, rest: str, not_after: str = "") -> str:
    """A shape that starts with a literal character, so the scan can skip to candidates fast.

    ``not_after`` is a character class that must not come just before the shape: it keeps
    prefixes like ``sk-`` from firing inside ordinary words ("task-...").
    """
    if not not_after:
        return re.escape(first) + rest
    literal = re.escape(first)
    # Nor just after a mask: masking "***" next to a shape would otherwise expose a fresh
    # boundary, and each pass would mask one more link of a chain like "sk-sk-sk-...".
    after_mask = re.escape(MASK)
    return f"{literal}(?<!{not_after}{literal})(?<!{after_mask}{literal}){rest}"


_ALNUM = "[A-Za-z0-9]"
_WORDISH = "[A-Za-z0-9_-]"

# Provider token shapes, as data: (provider, literal prefix, the rest as a bounded regex).
# Ported from the shapes gitleaks' rules describe (cmd/generate/config/rules/*.go), as
# prefixes and lengths rather than its code; each one has a test in tests/test_redact.py.
PROVIDER_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("PyPI upload token", "pypi-AgE", r"[A-Za-z0-9_-]{50,4096}+"),
    ("npm access token", "npm_", r"[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    ("Replicate API token", "r8_", r"[A-Za-z0-9]{37}(?![A-Za-z0-9])"),
    ("Databricks API token", "dapi", r"[a-h0-9]{32}(?:-[0-9])?(?![A-Za-z0-9])"),
    ("SendGrid API key", "SG.", r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
    ("HashiCorp Vault token", "hvs.", r"[A-Za-z0-9_-]{24,512}+"),
    ("Doppler token", "dp.", r"(?:pt|st|ct|scim|audit)\.[A-Za-z0-9]{40,44}(?![A-Za-z0-9])"),
    ("Groq API key", "gsk_", r"[A-Za-z0-9]{52}(?![A-Za-z0-9])"),
    ("Perplexity API key", "pplx-", r"[A-Za-z0-9]{48}(?![A-Za-z0-9])"),
    ("LangSmith API key", "lsv2_", r"(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}(?![A-Za-z0-9])"),
    ("DigitalOcean token", "do", r"[por]_v1_[a-f0-9]{64}(?![A-Za-z0-9])"),
    ("Linear API key", "lin_api_", r"[A-Za-z0-9]{40}(?![A-Za-z0-9])"),
    ("Grafana service account token", "glsa_", r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    ("Heroku API key", "HRKU-", r"[A-Za-z0-9_-]{58,64}+"),
    ("Twilio API key", "SK", r"[0-9a-f]{32}(?![A-Za-z0-9])"),
    # Webhook URLs are credentials whole: whoever has one posts to the channel.
    (
        "Slack webhook URL",
        "hooks.slack.com/",
        r"(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,255}+",
    ),
    (
        "Discord webhook URL",
        "discord",
        r"(?:app)?\.com/api/webhooks/[0-9]{5,30}/[A-Za-z0-9_-]{20,255}+",
    ),
    ("Slack app token", "xapp-", r"[0-9]-[A-Z0-9]{1,64}-[0-9]{1,32}-[A-Za-z0-9]{8,255}+"),
)
# Every shape is bounded or anchored on a literal, so a scan stays linear on hostile input.
_SHAPES: tuple[str, ...] = (
    # PEM private key blocks; an unterminated one masks its base64 body. The body stops at the
    # first "-----", so repeated headers cannot make the scan quadratic.
    _shape(
        "-",
        r"----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----"
        r"(?:(?:[^-]|-(?!----)){0,65536}+-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----"
        r"|[A-Za-z0-9+/=\s]{0,65536}+)",
    ),
    # credentials inside URLs: scheme://user:pass@host -> scheme://***@host
    _shape(":", r"//[^\s/?#@'\"<>]{1,512}+@"),
    # HTTP bearer tokens
    _shape("B", r"earer\s{1,4}[A-Za-z0-9._~+/-]{8,4096}+=*", r"\w"),
    _shape("b", r"earer\s{1,4}[A-Za-z0-9._~+/-]{8,4096}+=*", r"\w"),
    # AWS access key ids
    _shape("A", r"(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])", _ALNUM),
    # GitHub
    _shape("g", r"h[pousr]_[A-Za-z0-9]{30,255}+", "[A-Za-z0-9_]"),
    _shape("g", r"ithub_pat_[A-Za-z0-9_]{22,255}+", "[A-Za-z0-9_]"),
    # GitLab
    _shape("g", r"lpat-[A-Za-z0-9_-]{20,255}+", "[A-Za-z0-9_]"),
    # Hugging Face
    _shape("h", r"f_[A-Za-z0-9]{30,255}+", _ALNUM),
    # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-)
    _shape("s", r"k-[A-Za-z0-9_-]{20,255}+", _WORDISH),
    # Slack
    _shape("x", r"ox[baprs]-[A-Za-z0-9-]{10,255}+", _ALNUM),
    # Google API keys
    _shape("A", r"Iza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", _WORDISH),
    # Stripe secret and restricted keys
    _shape("s", r"k_(?:live|test)_[0-9A-Za-z]{16,255}+", _ALNUM),
    _shape("r", r"k_(?:live|test)_[0-9A-Za-z]{16,255}+", _ALNUM),
    # The signature of an Azure SAS URL (...?sv=...&sig=...): the query parameter is the key
    _shape("s", r"ig=[A-Za-z0-9%+/]{16,512}+=*", "[^?&]"),
    # JSON Web Tokens
    _shape(
        "e",
        r"yJ[A-Za-z0-9_-]{5,8192}+\.eyJ[A-Za-z0-9_-]{5,8192}+\.[A-Za-z0-9_-]{0,8192}+",
        _WORDISH,
    ),
    *(
        _shape(prefix[0], re.escape(prefix[1:]) + body, _WORDISH)
        for _, prefix, body in PROVIDER_TOKENS
    ),
)

# name=value, name: value, "name": "value", Namespace(name='value'): the value is masked when
# the name looks secret. Only the name is matched, so that when it is harmless (the usual case)
# the scan goes on inside the value; ':' followed by '/' is a URL, not a separator.
_ASSIGNMENT_PATTERN = (
    r"(?<![\w.-])-{0,2}(?P<name>[A-Za-z][\w.-]{0,63})[\"']?\s{0,3}(?:=|:(?!/))\s{0,3}"
    r"(?=[^\s,;)}\]])"
)
_ASSIGNED_VALUE = re.compile(
    r"[\"'](?P<quoted>[^\"'\n]{1,1024})"
    r"|(?P<bare>(?:[Bb]earer\s{1,4}|[Bb]asic\s{1,4})?[^\s\"',;)}\]]{1,1024})"
)


# Where a stream of output may be cut so that masking each piece alone masks what masking the
# whole would (issue #17: a private key split by the 2 MiB cut of output.log, or by two of the
# journal's batches, was stored unmasked from the split on). Every other shape is shorter than
# a line; a PEM block spans lines, so no cut goes between its BEGIN and its END.
_PEM_BEGIN = re.compile(rb"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----")
_PEM_END = re.compile(rb"-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----")
PEM_HOLD_LIMIT = 65536 + 4096  # a block this long is masked by its unterminated shape anyway


def _open_block(data: bytes | bytearray, end: int) -> int | None:
    """Where the private key block still open at ``end`` begins, if one is."""
    window = max(0, end - PEM_HOLD_LIMIT)
    begin = None
    for found in _PEM_BEGIN.finditer(data, window, end):
        begin = found.start()
    if begin is None or _PEM_END.search(data, begin, end) is not None:
        return None
    return begin


def stream_cut(data: bytes | bytearray) -> int:
    """How much of pending output can be masked and let go now: up to its last line end, but
    not into a private key block that has not ended yet (it is masked whole once it does)."""
    end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    if end == 0:
        return 0
    begin = _open_block(data, end)
    return end if begin is None else begin


def safe_start(data: bytes | bytearray, begin: int, limit: int) -> int:
    """Where, between ``begin`` and ``begin + limit``, the kept tail of an output may start:
    at a line start, and not inside a private key block that began before it."""
    start = begin
    first_end = _PEM_END.search(data, begin, min(len(data), begin + limit + PEM_HOLD_LIMIT))
    if first_end is not None and _PEM_BEGIN.search(data, begin, first_end.start()) is None:
        start = first_end.end()  # inside a block whose BEGIN is cut off: after its END
    following = [data.find(mark, start) for mark in (b"\n", b"\r")]
    nearest = min((found for found in following if found >= 0), default=-1)
    position = nearest + 1 if nearest >= 0 else start
    return min(position, begin + limit, len(data))


# A secret said in words: "the password is hunter2", "API key was sk...". Only the value is
# masked; a harmless word caught here ("the token is valid") costs nothing.
_PROSE = re.compile(
    r"(?i)\b(?P<lead>(?:password|passwd|passphrase|secret|api[ _-]?key|access[ _-]?key|token)"
    r"\s{1,3}(?:is|was|are)\s{1,3})(?P<value>[^\s,;\"']{3,256})"
)


def _prose_mask(found: re.Match[str]) -> str:
    value = found.group("value")
    return found.group("lead") + (value if value == MASK else MASK)


class Redactor:
    """Masks secrets in text, argv, params and logs, knowing the secret values of ``env``."""

    def __init__(self, env: Mapping[str, str], extra_patterns: Sequence[str] = ()) -> None:
        self.extra_patterns = tuple(extra_patterns)
        for pattern in self.extra_patterns:
            _compile_extra(pattern)
        self.secret_values = _secret_values(env, self.extra_patterns)
        self._secret_names: dict[str, bool] = {}
        # Two scans: literal-led values and shapes (one regex whose every branch starts with a
        # literal, so the engine skips ahead fast), then name=value assignments. Values go first,
        # longest first, so a value that contains another is masked whole.
        literals = [re.escape(value) for value in self.secret_values]
        self._shapes = re.compile("|".join([*literals, *_SHAPES]))
        self._assignments = re.compile(_ASSIGNMENT_PATTERN)

    def is_secret_name(self, name: str) -> bool:
        known = self._secret_names.get(name)
        if known is None:
            known = self._secret_names[name] = looks_secret(name, self.extra_patterns)
        return known

    def mask_text(self, text: str) -> str:
        """``text`` with every secret value and credential shape replaced by ``***``."""
        # Repeat until nothing changes, so that mask_text is idempotent (a pass can reveal what
        # an overlapping match hid). One pass when nothing is found, two when something is;
        # the cap bounds the work on hostile input.
        for _ in range(MAX_PASSES):
            masked = self._mask_once(text)
            if masked == text:
                break
            text = masked
        return text

    def _mask_once(self, text: str) -> str:
        text = self._shapes.sub(_shape_mask, text)
        text = _PROSE.sub(_prose_mask, text)
        pieces: list[str] = []
        cursor = 0
        for match in self._assignments.finditer(text):
            if match.start() < cursor or not self.is_secret_name(match.group("name")):
                continue
            value = _ASSIGNED_VALUE.match(text, match.end())
            if value is not None:
                group = "quoted" if value.group("quoted") is not None else "bare"
                pieces += [text[cursor : value.start(group)], MASK]
                cursor = value.end(group)
        if not pieces:
            return text
        pieces.append(text[cursor:])
        return "".join(pieces)

    def mask_bytes(self, data: bytes) -> bytes:
        """Like :meth:`mask_text` for raw output; bytes that are not UTF-8 pass through."""
        text = data.decode("utf-8", errors="surrogateescape")
        return self.mask_text(text).encode("utf-8", errors="surrogateescape")

    def mask_argv(self, argv: Sequence[str]) -> list[str]:
        """The command line with secret flag values, login secrets and secret shapes masked."""
        masked = list(argv)
        for index in _secret_argument_indexes(argv, self.is_secret_name):
            masked[index] = MASK
        return [self.mask_text(_mask_assignment_arg(arg, self.is_secret_name)) for arg in masked]

    def mask_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` (nested) with secret-looking keys' values and secret shapes masked.

        Keys are masked too (a Hydra override ``ghp_...=1`` makes a token a key); when two
        keys become the same, the first one's value is kept.
        """
        masked: dict[str, Any] = {}
        for key, value in params.items():
            new_key = self.mask_text(key) if isinstance(key, str) else key
            if new_key in masked:
                continue
            secret = self.is_secret_name(str(key)) and not _holds_nothing(value)
            masked[new_key] = MASK if secret else self._mask_value(value)
        return masked

    def mask_environment(self, environment: Mapping[str, Any]) -> dict[str, Any]:
        """environment.toml's tables masked as params are, except the package tables
        (``packages``, ``used``: distribution name -> version), masked by shape only: a
        package is not a secret for being named like one (``google-auth``, ``keyring-token``),
        and a masked version would read as drift on every reproduction."""
        masked = self.mask_params(
            {key: value for key, value in environment.items() if key not in PACKAGE_TABLES}
        )
        for key in PACKAGE_TABLES:
            table = environment.get(key)
            if isinstance(table, Mapping):
                masked[key] = {
                    self.mask_text(str(name)): self._mask_value(version)
                    for name, version in table.items()
                }
            elif key in environment:
                masked[key] = self._mask_value(table)
        return masked

    def mask_sources(self, sources: Mapping[str, str]) -> dict[str, str]:
        """``param_sources`` (param name -> where its value came from) with secret shapes
        masked in both; a source is never masked for its param's name (``hub_token`` came
        from ``argparse``: the value is masked in ``params``, where it came from is not)."""
        masked: dict[str, str] = {}
        for name, source in sources.items():
            masked.setdefault(self.mask_text(str(name)), self.mask_text(str(source)))
        return masked

    def _mask_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask_text(value)
        if isinstance(value, Mapping):
            return self.mask_params(value)
        if isinstance(value, list | tuple):
            return [self._mask_value(item) for item in value]
        return value


def _holds_nothing(value: Any) -> bool:
    """A value no secret can be in: ``hub_token = None`` (not given) or ``use_auth_token =
    true`` (use the login's). Masked, it would read as if a token had been recorded."""
    return value is None or value == "" or isinstance(value, bool)


def usable_patterns(patterns: Sequence[str]) -> tuple[list[str], list[str]]:
    """``patterns`` split into those that compile and those that do not (configuration)."""
    good: list[str] = []
    bad: list[str] = []
    for pattern in patterns:
        try:
            _compile_extra(pattern)
        except UserError:
            bad.append(pattern)
        else:
            good.append(pattern)
    return good, bad


def _shape_mask(found: re.Match[str]) -> str:
    # URL credentials keep "://" and "@" so the URL still reads as one: https://***@host/x
    text = found.group(0)
    return f"://{MASK}@" if text.startswith("://") and text.endswith("@") else MASK


def _secret_values(env: Mapping[str, str], extra_patterns: Sequence[str]) -> tuple[str, ...]:
    values = {
        value
        for name, value in env.items()
        if len(value) >= MIN_SECRET_VALUE_LENGTH and looks_secret(name, extra_patterns)
    }
    return tuple(sorted(values, key=lambda value: (-len(value), value)))


# ---------------------------------------------------------------------------- argv

_ASSIGNMENT_ARG = re.compile(r"(?P<name>[-+~]{0,2}[A-Za-z_][\w.-]*)=(?P<value>.*)", re.DOTALL)
# Tools whose "login" takes the secret as a positional argument, or after a short -p.
_LOGIN_POSITIONAL_SECRET = frozenset({"wandb"})
_SHORT_PASSWORD_FLAG_TOOLS = frozenset(
    {"docker", "podman", "buildah", "skopeo", "helm", "oras", "nerdctl"}
)


def _mask_assignment_arg(arg: str, is_secret: Callable[[str], bool]) -> str:
    found = _ASSIGNMENT_ARG.fullmatch(arg)
    if found and is_secret(found.group("name")):
        return found.group("name") + "=" + MASK
    return arg


def _program(arg: str) -> str:
    return arg.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _is_long_flag(arg: str) -> bool:
    return arg.startswith("--") or (arg.startswith("-") and len(arg) > 2)


# Programs whose -k is not a key: pytest's expression, curl's --insecure, make's keep-going,
# sizes in kilobytes. Elsewhere (openssl enc -k PASS, tools' --key shorthand) it is masked,
# unless its value is a number (a top-k): that is a hyperparameter, never a secret.
_K_IS_NOT_A_KEY = frozenset(
    {"pytest", "py.test", "curl", "make", "gmake", "ninja", "sort", "df", "du", "ls", "ps"}
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _short_k_is_a_key(argv: Sequence[str], index: int) -> bool:
    value = argv[index + 1]
    if value.startswith("-") or _NUMBER.fullmatch(value):
        return False
    before = [_program(arg) for arg in argv[:index]]
    return not any(name in _K_IS_NOT_A_KEY for name in before)


def _secret_argument_indexes(argv: Sequence[str], is_secret: Callable[[str], bool]) -> set[int]:
    """Indexes of arguments that are secret because of what comes before them."""
    secret: set[int] = set()
    login_tool: str | None = None
    short_password = False  # -p means --password here (docker login, sshpass)
    for index, arg in enumerate(argv):
        has_next = index + 1 < len(argv)
        if _program(arg) == "sshpass":
            short_password = True
        if arg == "login" and index > 0 and login_tool is None:
            login_tool = _program(argv[index - 1])
            short_password = short_password or login_tool in _SHORT_PASSWORD_FLAG_TOOLS
        elif arg == "-p" and short_password and has_next:
            secret.add(index + 1)
        elif _is_long_flag(arg) and "=" not in arg and is_secret(arg):
            if has_next and not argv[index + 1].startswith("-"):
                secret.add(index + 1)
        elif arg == "-k" and has_next and _short_k_is_a_key(argv, index):
            secret.add(index + 1)
        elif login_tool in _LOGIN_POSITIONAL_SECRET and not arg.startswith("-"):
            # wandb login's only positional is the API key; a flag's value caught here
            # (--host URL) is masked too, which costs nothing.
            secret.add(index)
    return secret


# ---------------------------------------------------------------------------- env and URLs


def safe_env(
    env: Mapping[str, str],
    allow: Sequence[str] = DEFAULT_ENV_ALLOWLIST,
    extra_patterns: Sequence[str] = (),
) -> dict[str, str]:
    """The allow-listed variables of ``env`` (globs allowed), never a secret-looking one."""
    redactor = Redactor(env, extra_patterns)
    # Names without a wildcard match only themselves: a set lookup, not a glob (each glob is
    # compiled to a regular expression on first use, and every name is tried on each).
    exact = {pattern for pattern in allow if not any(char in pattern for char in "*?[")}
    globs = [pattern for pattern in allow if pattern not in exact]
    kept: dict[str, str] = {}
    for name in sorted(env):
        if name not in exact and not any(fnmatch.fnmatchcase(name, glob) for glob in globs):
            continue
        if looks_secret(name, extra_patterns):
            continue
        kept[name] = redactor.mask_text(env[name])
    return kept


_SCHEMES_KEEPING_USER = frozenset({"ssh", "git+ssh", "ssh+git"})


@lru_cache(maxsize=1)
def _shapes_only() -> Redactor:
    return Redactor({})


def strip_url_credentials(url: str) -> str:
    """A git remote URL without credentials.

    ``https://user:token@host/x.git`` -> ``https://host/x.git``: for http(s) and every other
    scheme, the whole user part goes, since tokens often sit in the user-name slot. ssh URLs
    keep their user name (``ssh://git@host/x``: needed to connect, not a secret) and lose any
    password. scp-like ``git@host:x/y.git`` and local paths have no password slot and are kept.
    Secret shapes elsewhere in the URL (a token in a query string) are masked.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    end_of_authority = min(
        (position for position in map(rest.find, "/?#") if position >= 0), default=len(rest)
    )
    authority, tail = rest[:end_of_authority], rest[end_of_authority:]
    userinfo, at, host = authority.rpartition("@")
    if at and scheme.lower() in _SCHEMES_KEEPING_USER and userinfo.split(":", 1)[0]:
        host = userinfo.split(":", 1)[0] + "@" + host
    return f"{scheme}://{host}{_shapes_only().mask_text(tail)}"
