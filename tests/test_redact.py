from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.errors import UserError
from runledger.redact import (
    DEFAULT_ENV_ALLOWLIST,
    MASK,
    Redactor,
    looks_secret,
    safe_env,
    strip_url_credentials,
)
from tests.fuzzing import examples

# One of each kind of credential shape; all fake.
SHAPED_SECRETS = {
    "aws access key id": "AKIAIOSFODNN7EXAMPLE",
    "aws session key id": "ASIAY34FZKBOKMUTVV7A",
    "github classic": "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8",
    "github oauth": "gho_" + "Z9y8X7w6V5" * 4,
    "github fine-grained": "github_pat_11ABCDEFG0" + "x" * 60,
    "gitlab": "glpat-" + "AbCdEfGhIj1234567890",
    "hugging face": "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNm12345678",
    "openai": "sk-" + "T3BlbkFJ" + "abc123XYZ" * 4,
    "openai project": "sk-proj-" + "Ab12Cd34Ef56Gh78Ij90Kl",
    "anthropic": "sk-ant-api03-" + "q" * 40,
    "slack": "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
    "google api key": "AIza" + "SyD-1234567890abcdefghijklmnopqrstu",
    "stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
    "aFDrBz9vFqU4yl5G8nWm1LeXLRtXzCPB2m5KLfQ6VTGGZpOqg9cmJrKz4gZ+xYHc\n"
    "-----END RSA PRIVATE KEY-----"
)

ENV = {
    "HF_TOKEN": "hf_envtokenvalue0123456789abcdefghij",
    "DB_PASSWORD": "hunter2!x",
    "WANDB_API_KEY": "0123456789abcdef0123456789abcdef01234567",
    "MY_SECRET": "abc",  # too short to mask everywhere: would mangle ordinary text
    "PWD": "/home/ann/project",
    "HOME": "/home/ann",
    "CUDA_VISIBLE_DEVICES": "0,1",
    "OMP_NUM_THREADS": "8",
}


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(ENV)


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "API_KEY",
        "hf_token",
        "HF_TOKEN",
        "--api-key",
        "--hf-token",
        "wandbApiKey",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "GITHUB_TOKEN",
        "DB_PASSWORD",
        "PASSWD",
        "db_pwd",
        "clientSecret",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "SESSION_ID",
        "session",
        "auth",
        "AUTH_TOKEN",
        "Authorization",
        "COOKIE",
        "APIKEY",
        "PRIVATE_KEY",
        "password",
        "SENTRY_DSN",
        "model.api_key",
        "+db.password",
        "key",
        "token",
        "ssh_key",
        "pass",
        "--pw",
        "db_pw",
        "JWT",
        "auth_jwt",
        "--bearer",
    ],
)
def test_secret_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "PWD",
        "OLDPWD",
        "KEYBOARD_LAYOUT",
        "MONKEY",
        "AUTHOR",
        "learning_rate",
        "lr",
        "max_tokens",
        "num_keys",
        "max_token_length",
        "--max-tokens",
        "key_frames",
        "--key-frames",
        "pad_token_id",
        "eos_token",
        "rng_key",
        "prng_key",
        "sort_key",
        "public_key",
        "SSH_AUTH_SOCK",
        "XDG_SESSION_TYPE",
        "DBUS_SESSION_BUS_ADDRESS",
        "HOME",
        "PATH",
        "CUDA_VISIBLE_DEVICES",
        "TOKENIZERS_PARALLELISM",
        "private",
        "batch_size",
        "first_pass",
        "-p",
        "pw_conv",
        "pw_kernel_size",
        "jwt_algorithm",
    ],
)
def test_ordinary_names(name: str) -> None:
    assert not looks_secret(name)


def test_extra_patterns_are_globs_or_regexes() -> None:
    assert looks_secret("MYCORP_DEPLOY", ["MYCORP_*"])
    assert looks_secret("mycorp_deploy", ["MYCORP_*"])
    assert not looks_secret("OTHER_MYCORP", ["MYCORP_*"])
    assert looks_secret("OTHER_MYCORP", ["re:mycorp"])
    assert looks_secret("--vault-addr", ["VAULT_*"])


def test_a_broken_extra_regex_is_a_user_error() -> None:
    with pytest.raises(UserError, match="bad secret pattern"):
        Redactor({}, ["re:("])


def test_default_allowlist_holds_nothing_secret_looking() -> None:
    assert not [name for name in DEFAULT_ENV_ALLOWLIST if looks_secret(name)]


def test_variables_that_change_results_are_kept_by_default() -> None:
    changing = {
        "KERAS_BACKEND": "torch",
        "TF_USE_LEGACY_KERAS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TORCH_DETERMINISTIC_ALGORITHMS": "1",
        "TORCHINDUCTOR_MAX_AUTOTUNE": "1",
        "TORCH_COMPILE_DISABLE": "1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "JAX_PLATFORMS": "cpu",
    }
    assert safe_env({**changing, "HOME": "/home/u", "TERM": "xterm"}) == changing


# ---------------------------------------------------------------------------- text


@pytest.mark.parametrize("kind", sorted(SHAPED_SECRETS))
def test_every_shape_is_masked_in_text(redactor: Redactor, kind: str) -> None:
    secret = SHAPED_SECRETS[kind]
    masked = redactor.mask_text(f"loading model with {secret} now")
    assert secret not in masked
    assert masked == f"loading model with {MASK} now"


def test_shapes_inside_markdown_or_quotes_are_masked(redactor: Redactor) -> None:
    secret = SHAPED_SECRETS["openai"]
    masked = redactor.mask_text(f"**{secret}** '{secret}' ({secret})")
    assert masked == "*****" + "** '***' (***)"


def test_pem_blocks_are_masked_whole(redactor: Redactor) -> None:
    assert redactor.mask_text(f"key:\n{PEM}\ndone") == f"key:\n{MASK}\ndone"
    unterminated = PEM.rsplit("-----END", 1)[0]
    assert "MIIEowIBAAKCAQEA0Z3VS5JJ" not in redactor.mask_text(unterminated)


def test_url_credentials_keep_the_url_readable(redactor: Redactor) -> None:
    assert (
        redactor.mask_text("cloning https://ann:s3cr3t@github.com/x/y.git ...")
        == "cloning https://***@github.com/x/y.git ..."
    )


def test_env_secret_values_are_masked_wherever_they_are_echoed(redactor: Redactor) -> None:
    text = "connecting as ann/hunter2!x; key=0123456789abcdef0123456789abcdef01234567."
    masked = redactor.mask_text(text)
    assert "hunter2!x" not in masked and "0123456789abcdef" not in masked
    assert masked.startswith("connecting as ann/***;")


def test_short_and_non_secret_env_values_are_left_alone(redactor: Redactor) -> None:
    text = "abc in /home/ann/project with 8 threads"
    assert redactor.mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Namespace(api_key='zzzzzzzz', lr=0.01)", "Namespace(api_key='***', lr=0.01)"),
        ('{"password": "p4ss w0rd", "lr": 0.1}', '{"password": "***", "lr": 0.1}'),
        ("db:\n  password: opensesame\n  host: db1", "db:\n  password: ***\n  host: db1"),
        ("export GITHUB_TOKEN=abcdef123", "export GITHUB_TOKEN=***"),
        ("Authorization: Bearer abc.def.ghi-jkl", "Authorization: ***"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNz'", "curl -H 'Authorization: ***'"),
        ("run --api-key=abcdef", "run --api-key=***"),
    ],
)
def test_secret_assignments_in_text_are_masked(
    redactor: Redactor, text: str, expected: str
) -> None:
    assert redactor.mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "epoch=3 loss=0.25 acc=0.91",
        '{"step": 3, "loss": 0.25, "max_tokens": 512}',
        "python train.py --lr 0.01 --max-tokens 512 --key-frames 3",
        "task-abcdefghijklmnopqrstuvwxyz finished",
        "git@github.com:team/repo.git",
        "see https://example.com/a/b?x=1#frag",
        "keyboard layout: us; monkey: yes",
        "pad_token_id=0 eos_token=</s> rng_key=42",
        "time: 12:30:45",
    ],
)
def test_ordinary_output_is_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.mask_text(text) == text


def test_mask_bytes_keeps_undecodable_bytes(redactor: Redactor) -> None:
    data = b"\xff\xfe progress\r" + SHAPED_SECRETS["github classic"].encode() + b"\n\x80"
    assert redactor.mask_bytes(data) == b"\xff\xfe progress\r***\n\x80"


@pytest.mark.parametrize(
    "hostile",
    [
        "A" * 1_000_000,
        "eyJ" * 300_000,
        "eyJa." * 200_000,
        "a=" * 300_000,
        "-----BEGIN PRIVATE KEY-----" * 20_000,
        "://" * 300_000,
        "https://" + "a" * 1_000_000,
        "sk-" * 300_000,
        ("password: " * 100_000),
        ("x" * 60 + "=") * 20_000,
    ],
)
def test_hostile_input_finishes(redactor: Redactor, hostile: str) -> None:
    # No timing: a catastrophic backtrack would take hours, not a failed assertion.
    masked = redactor.mask_text(hostile)
    assert len(masked) <= len(hostile)


@pytest.mark.slow
def test_ten_megabytes_of_log_finish(redactor: Redactor) -> None:
    line = "epoch=3 loss=0.25 lr=0.001 https://example.com/x token=abcdef123 ok\n"
    data = (line * (10_000_000 // len(line))).encode()
    masked = redactor.mask_bytes(data)
    assert masked.count(b"token=***") == data.count(b"token=")


# ---------------------------------------------------------------------------- argv


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["python", "train.py", "--api-key", "XYZ", "--token=abc", "password=pw"],
            ["python", "train.py", "--api-key", MASK, "--token=***", "password=***"],
        ),
        (["python", "t.py", "--hf-token", "hf_x"], ["python", "t.py", "--hf-token", MASK]),
        (["wandb", "login", "0123abcd"], ["wandb", "login", MASK]),
        (["wandb", "login", "--relogin", "0123abcd"], ["wandb", "login", "--relogin", MASK]),
        (
            ["huggingface-cli", "login", "--token", "tok123"],
            ["huggingface-cli", "login", "--token", MASK],
        ),
        (
            ["docker", "login", "-u", "ann", "-p", "pw", "registry.io"],
            ["docker", "login", "-u", "ann", "-p", MASK, "registry.io"],
        ),
        (["sshpass", "-p", "pw", "ssh", "host"], ["sshpass", "-p", MASK, "ssh", "host"]),
        (
            ["git", "clone", "https://ann:tok@github.com/x.git"],
            ["git", "clone", "https://***@github.com/x.git"],
        ),
        (
            ["env", "HF_TOKEN=hf_abc", "python", "t.py", "+db.password=x"],
            ["env", "HF_TOKEN=***", "python", "t.py", "+db.password=***"],
        ),
        (
            ["python", "t.py", "--key", SHAPED_SECRETS["openai"]],
            ["python", "t.py", "--key", MASK],
        ),
        (
            ["python", "t.py", "--note", f"uses {SHAPED_SECRETS['slack']}"],
            ["python", "t.py", "--note", f"uses {MASK}"],
        ),
    ],
)
def test_mask_argv(redactor: Redactor, argv: list[str], expected: list[str]) -> None:
    assert redactor.mask_argv(argv) == expected


def test_ordinary_ml_command_lines_are_untouched(redactor: Redactor) -> None:
    argv = [
        "python",
        "train.py",
        "--lr",
        "0.01",
        "--max-tokens",
        "512",
        "--key-frames",
        "3",
        "-p",
        "8080",
        "--pad-token-id",
        "0",
        "model.depth=3",
        "--session-name=exp1",
        "--rng-key",
        "42",
    ]
    assert redactor.mask_argv(argv) == argv


def test_a_secret_flag_followed_by_another_flag_masks_nothing(redactor: Redactor) -> None:
    assert redactor.mask_argv(["t.py", "--token", "--lr", "1"]) == ["t.py", "--token", "--lr", "1"]


# ---------------------------------------------------------------------------- params


def test_mask_params_nested(redactor: Redactor) -> None:
    params = {
        "lr": 0.01,
        "api_key": "abc",
        "db": {"password": {"nested": "whatever"}, "url": "postgres://u:p@h/db", "port": 5432},
        "callbacks": ["early_stop", "hunter2!x", {"wandb_key": "k"}],
        "note": f"token {SHAPED_SECRETS['hugging face']}",
        "max_tokens": 512,
        "use_auth": None,
        "hub_token": "",
        "use_auth_token": True,
    }
    assert redactor.mask_params(params) == {
        "lr": 0.01,
        "api_key": MASK,
        "db": {"password": MASK, "url": "postgres://***@h/db", "port": 5432},
        "callbacks": ["early_stop", MASK, {"wandb_key": MASK}],
        "note": f"token {MASK}",
        "max_tokens": 512,
        # nothing secret in them: masked, they would read as if a token had been given
        "use_auth": None,
        "hub_token": "",
        "use_auth_token": True,
    }


# ---------------------------------------------------------------------------- env and URLs


def test_safe_env_keeps_only_allowed_and_never_secrets() -> None:
    env = {
        **ENV,
        "CUDA_API_KEY": "x" * 10,
        "SEED": "hunter2!x",  # a secret's value in an allowed variable is still masked
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
    }
    kept = safe_env(env, allow=["CUDA_*", "OMP_NUM_THREADS", "HF_TOKEN", "SEED"])
    assert kept == {
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
        "CUDA_VISIBLE_DEVICES": "0,1",
        "OMP_NUM_THREADS": "8",
        "SEED": MASK,
    }


def test_safe_env_default_allowlist() -> None:
    kept = safe_env({**ENV, "PYTHONHASHSEED": "0", "RANK": "1"})
    assert kept == {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "OMP_NUM_THREADS": "8",
        "PYTHONHASHSEED": "0",
        "RANK": "1",
    }


def test_safe_env_honours_extra_patterns() -> None:
    kept = safe_env({"CUDA_X": "1", "CUDA_Y": "2"}, allow=["CUDA_*"], extra_patterns=["*_Y"])
    assert kept == {"CUDA_X": "1"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@github.com/x/y.git", "https://github.com/x/y.git"),
        ("https://ghp_tokenonly@github.com/x/y.git", "https://github.com/x/y.git"),
        ("http://u:p@host:8080/x", "http://host:8080/x"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("ssh://git:pw@host/x.git", "ssh://git@host/x.git"),
        ("git@github.com:team/repo.git", "git@github.com:team/repo.git"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
        ("https://github.com/x/y.git", "https://github.com/x/y.git"),
        (
            "https://gitlab.com/x.git?private_token=abc",
            "https://gitlab.com/x.git?private_token=***",
        ),
        ("https://u:p@a@host/x", "https://host/x"),
    ],
)
def test_strip_url_credentials(url: str, expected: str) -> None:
    assert strip_url_credentials(url) == expected


# ---------------------------------------------------------------------------- properties

_SECRET_VALUE = st.text(
    alphabet=string.ascii_letters + string.digits + "!#$%&*+-./:;<>?@^_|~",
    min_size=4,
    max_size=40,
)


@settings(deadline=None, max_examples=examples(300))
@given(st.text(max_size=300))
def test_mask_text_is_idempotent_and_never_raises(text: str) -> None:
    redactor = Redactor(ENV)
    once = redactor.mask_text(text)
    assert redactor.mask_text(once) == once


_PIECES = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                *SHAPED_SECRETS.values(),
                PEM,
                "://",
                "@",
                "=",
                ": ",
                "token",
                "password=",
                "hunter2!x",
                "Bearer ",
                "-----BEGIN PRIVATE KEY-----",
                "'",
                '"',
                " ",
                "sk-",
                "eyJ",
            ]
        ),
    ),
    max_size=12,
).map("".join)


@settings(deadline=None, max_examples=examples(300))
@given(_PIECES)
def test_mask_text_is_idempotent_on_secret_laden_text(text: str) -> None:
    redactor = Redactor(ENV)
    once = redactor.mask_text(text)
    assert redactor.mask_text(once) == once


@settings(deadline=None, max_examples=examples(300))
@given(st.text(max_size=50), _SECRET_VALUE, st.text(max_size=50))
def test_no_env_secret_survives_in_any_surroundings(before: str, secret: str, after: str) -> None:
    redactor = Redactor({**ENV, "SOME_TOKEN": secret})
    assert secret not in redactor.mask_text(before + secret + after)
    assert secret not in redactor.mask_bytes((before + secret + after).encode()).decode()


@settings(deadline=None, max_examples=examples(200))
@given(st.text(max_size=50), st.sampled_from(sorted(SHAPED_SECRETS.values())), st.text(max_size=50))
def test_no_shaped_secret_survives_between_separators(before: str, secret: str, after: str) -> None:
    masked = Redactor({}).mask_text(f"{before} {secret}\n{after}")
    body = secret[-16:]
    assert body not in masked


# --- provider token shapes (issue #17), one test each --------------------------------------

PROVIDER_SAMPLES = {
    "PyPI upload token": "pypi-AgEIcHlwaS5vcmc" + "CJDI0YjYyYWEzLWZlZWEtNDA1Ny04ZGNiLWQ2" * 2,
    "npm access token": "npm_" + "a1B2c3D4e5" * 3 + "f6G7h8",
    "Replicate API token": "r8_" + "Ab3dE6gH9j" * 3 + "KlMnOpQ",
    "Databricks API token": "dapi" + "0a1b2c3d4e5f6a7b" * 2,
    "SendGrid API key": "SG." + "a" * 22 + "." + "B" * 43,
    "HashiCorp Vault token": "hvs." + "CAESIJ" * 5,
    "Doppler token": "dp.pt." + "a1b2c3d4" * 5 + "xyz",
    "Groq API key": "gsk_" + "a1B2" * 13,
    "Perplexity API key": "pplx-" + "a1B2" * 12,
    "LangSmith API key": "lsv2_pt_" + "0123456789abcdef" * 2 + "_0123456789",
    "DigitalOcean token": "dop_v1_" + "0123456789abcdef" * 4,
    "Linear API key": "lin_api_" + "a1B2" * 10,
    "Grafana service account token": "glsa_" + "a1B2" * 8 + "_0123abcd",
    "Heroku API key": "HRKU-AA" + "a1B2c3" * 10,
    "Twilio API key": "SK" + "0123456789abcdef" * 2,
    "Slack webhook URL": "hooks.slack.com/services/T0ABCDEF12/B0ABCDEF34/" + "aB3dE6gH9jKl" * 2,
    "Discord webhook URL": "discord.com/api/webhooks/112233445566778899/" + "Ab3_dE6-gH9j" * 6,
    "Slack app token": "xapp-1-A0123456789-1234567890123-" + "0a1b2c3d" * 8,
}


def test_every_provider_shape_has_a_sample() -> None:
    from runledger.redact import PROVIDER_TOKENS

    assert {name for name, _, _ in PROVIDER_TOKENS} == set(PROVIDER_SAMPLES)


@pytest.mark.parametrize("provider", sorted(PROVIDER_SAMPLES))
def test_provider_token_shapes_are_masked(provider: str) -> None:
    token = PROVIDER_SAMPLES[provider]
    redactor = Redactor({})
    assert redactor.mask_text(f"using {token} now") == "using *** now"
    assert redactor.mask_argv(["train.py", token]) == ["train.py", "***"]
    assert redactor.mask_text(f"xx{token}") == f"xx{token}"  # not inside a longer word


@pytest.mark.parametrize(
    "text",
    ["npm_install_package", "dapi_version=3", "SG.total", "r8_short", "task-pypi-AgE"],
)
def test_provider_prefixes_in_ordinary_words_are_left(text: str) -> None:
    assert Redactor({}).mask_text(text) == text


@pytest.mark.parametrize(
    ("argv", "masked"),
    [
        (["openssl", "enc", "-k", "s3cretpass"], ["openssl", "enc", "-k", "***"]),
        (["deploy", "--key-prod", "abcd1234"], ["deploy", "--key-prod", "***"]),
        (["deploy", "--api-key-staging", "abcd1234"], ["deploy", "--api-key-staging", "***"]),
        (["python", "rank.py", "-k", "5"], ["python", "rank.py", "-k", "5"]),
        (["pytest", "-k", "test_slow"], ["pytest", "-k", "test_slow"]),
        (["python", "-m", "pytest", "-k", "slow"], ["python", "-m", "pytest", "-k", "slow"]),
        (["curl", "-k", "https://x"], ["curl", "-k", "https://x"]),
    ],
)
def test_key_flags(argv: list[str], masked: list[str]) -> None:
    assert Redactor({}).mask_argv(argv) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("the password is hunter22", "the password is ***"),
        ("Password was Tr0ub4dor&3 yesterday", "Password was *** yesterday"),
        ("your API key is abcdef123456.", "your API key is ***"),
        ("the secret is out", "the secret is ***"),
    ],
)
def test_secrets_said_in_prose(text: str, masked: str) -> None:
    redactor = Redactor({})
    assert redactor.mask_text(text) == masked
    assert redactor.mask_text(masked) == masked


def test_webhook_urls_and_sas_signatures_are_masked() -> None:
    """A Slack or Discord webhook URL is the credential itself (whoever has it posts), and so
    is an Azure SAS URL's sig: all three were recorded whole, in params and in output."""
    redactor = Redactor({})
    slack = "https://hooks.slack.com/services/T0ABCDEF12/B0ABCDEF34/" + "aB3dE6gH9jKl" * 2
    sas = "https://acct.blob.core.windows.net/c/m.pt?sv=2022-11-02&sp=r&sig=" + "Ab%2Bc" * 8
    assert redactor.mask_text(f"posting to {slack}") == "posting to https://***"
    assert redactor.mask_params({"webhook": slack}) == {"webhook": "https://***"}
    assert redactor.mask_text(sas) == sas.partition("sig=")[0] + "***"
    assert redactor.mask_argv(["python", "t.py", "--pw", "hunter22"])[-1] == "***"
    for ordinary in ("design=abcdefghijklmnopqrstuvwxyz0123", "x?signal=abcdefghijklmnopqrstu"):
        assert redactor.mask_text(ordinary) == ordinary
