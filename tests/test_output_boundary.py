"""No control character from a pulled record reaches a terminal or a pipe raw (issue #17).

Runs and a tag are crafted by plumbing in another clone, with every C0 and C1 control, DEL,
ESC sequences (OSC 52 writes the clipboard, OSC 0 the window title, CSI 2J clears the
screen), a bidi override and rich markup in every string field, pushed to a throw-away
remote and pulled. Every command that shows them must show them escaped.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.text import Text

from runledger.model import tomlcodec
from runledger.model.record import GitInfo, MetricSummary, Run
from runledger.safetext import quoted, safe
from runledger.views.runs import SafeConsole, render_run, render_run_table
from tests.conftest import isolated_home
from tests.crafted import craft, tree
from tests.team import Clone, clone, make_remote

CONTROLS = "".join(chr(code) for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
SEQUENCES = "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\x1b[1;1H\u202e[bold red]x[/]"
HOSTILE = "h" + CONTROLS + SEQUENCES + "end"
# What must never appear raw: every control but the line feed layouts use, and the override.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")
PY = sys.executable


def assert_clean(text: str, where: str) -> None:
    found = RAW.search(text)
    assert found is None, f"{where}: raw {found.group(0)!r} in output:\n{text!r}"


@pytest.fixture(scope="module")
def pulled(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Clone, dict[str, str], str]]:
    """alice's clone, after pulling mallory's crafted runs and tag; the ids; the pull output.

    Built once for the module (a dozen commands read it), so with its own isolated HOME.
    """
    with pytest.MonkeyPatch.context() as patch:
        isolated_home.__wrapped__(tmp_path_factory, patch)  # type: ignore[attr-defined]
        yield build(tmp_path_factory.mktemp("boundary"))


def build(root: Path) -> tuple[Clone, dict[str, str], str]:
    remote = make_remote(root)
    mallory, alice = clone(root, remote, "mallory"), clone(root, remote, "alice")
    artifact = b"weights\n"
    (alice.path / "model.pt").write_bytes(artifact)
    digest = hashlib.sha256(artifact).hexdigest()
    files = {
        "schema": 1,
        "inputs": [{"path": HOSTILE, "size": 3, "sha256": "0" * 64}],
        "artifacts": [{"path": HOSTILE + ".pt", "size": len(artifact), "sha256": digest}],
    }
    series = {"schema": 1, "series": {"loss": {"step": [0, 1, 2], "value": [3.0, 2.0, 1.0]}}}
    environment = {"variables": {"SEED": HOSTILE, HOSTILE.replace("\x00", ""): "1"}}
    ids = {}
    for label, lr in (("a", 0.1), ("b", 0.2)):
        ids[label] = craft(
            mallory.path,
            name=HOSTILE,
            command=["python", "train.py", HOSTILE],
            cwd=".",
            user=HOSTILE,
            host=HOSTILE,
            note=HOSTILE,
            tags=[HOSTILE],
            params={"lr": lr, "model": HOSTILE, HOSTILE: HOSTILE},
            metrics={"loss": {"last": 1.0, "min": 1.0, "max": 3.0}, HOSTILE: {"last": 1.0}},
            git={"commit": mallory.git("rev-parse", "HEAD").strip(), "branch": HOSTILE},
            environment=environment,
            files={
                "metrics.toml": tomlcodec.dumps(series).encode(),
                "files.toml": tomlcodec.dumps(files).encode(),
            },
        )
    tag = {
        "schema": 1,
        "name": "production",
        "action": "create",
        "run": ids["a"],
        "by": HOSTILE,
        "at": HOSTILE,
    }
    craft_tag(mallory, tag)
    mallory.git("push", "-q", "origin", "refs/runledger/*:refs/runledger/*")
    result = alice.cli("pull")
    assert result.exit_code == 0, result.stderr
    return alice, ids, result.stdout + result.stderr


def craft_tag(mallory: Clone, document: dict[str, Any]) -> None:
    content = {"tag.toml": tomlcodec.dumps(document).encode()}
    commit = mallory.git("commit-tree", tree(mallory.path, content), "-m", "tag").strip()
    mallory.git("update-ref", "refs/runledger/tags/production", commit)


COMMANDS = [
    ["ls"],
    ["show", "{a}"],
    ["compare", "{a}", "{b}"],
    ["compare", "{a}", "{b}", "--format", "markdown"],
    ["compare", "{a}", "{b}", "--format", "csv"],
    ["compare", "{a}", "{b}", "--group-by", "params.model"],
    ["compare", "{a}", "{b}", "--group-by", "params.model", "--format", "markdown"],
    ["compare", "{a}", "{b}", "--group-by", "params.model", "--format", "csv"],
    ["diff", "{a}", "{b}"],
    ["plot", "loss", "{a}", "{b}"],
    ["plot", "loss", "{a}", "{b}", "--group-by", "params.model"],
    ["tags"],
    ["tags", "--history", "production"],
    ["verify", "{a}"],
    ["which", "model.pt"],
    ["reproduce", "{a}"],
]


def test_pull_summary_is_clean(pulled: tuple[Clone, dict[str, str], str]) -> None:
    assert_clean(pulled[2], "pull")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_no_raw_control_character_reaches_the_output(
    pulled: tuple[Clone, dict[str, str], str], args: list[str]
) -> None:
    alice, ids, _ = pulled
    argv = [arg.format(**ids) for arg in args]
    result = alice.cli(*argv)
    assert_clean(result.stdout, " ".join(args) + " (stdout)")
    assert_clean(result.stderr, " ".join(args) + " (stderr)")
    assert result.stdout or result.stderr
    assert "internal error" not in result.stderr, result.stderr  # verify: a NUL in a path


def test_show_shows_the_escapes(pulled: tuple[Clone, dict[str, str], str]) -> None:
    alice, ids, _ = pulled
    shown = alice.cli("show", ids["a"]).stdout
    assert "\\x1b]52;c;ZXZpbA==\\x07" in shown
    assert "\\x1b[2J" in shown
    assert "\\u202e[bold red]x[/]" in shown  # markup shown as written, not applied


def test_json_stays_exact_json(pulled: tuple[Clone, dict[str, str], str]) -> None:
    alice, ids, _ = pulled
    data = json.loads(alice.cli("show", ids["a"], "--json").stdout)
    assert data["name"] == HOSTILE
    assert data["command"][-1] == HOSTILE


JSON_COMMANDS = [
    ["ls", "--json"],
    ["show", "{a}", "--json"],
    ["diff", "{a}", "{b}", "--json"],
    ["compare", "{a}", "{b}", "--format", "json"],
    ["compare", "{a}", "{b}", "--group-by", "params.model", "--format", "json"],
    ["verify", "{a}", "--json"],
    ["tags", "--json"],
]


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=lambda args: " ".join(args))
def test_json_output_escapes_what_a_terminal_would_act_on(
    pulled: tuple[Clone, dict[str, str], str], args: list[str]
) -> None:
    """json.dumps(ensure_ascii=False) escaped C0 but wrote DEL, the C1 controls (U+009B is a
    CSI) and the bidi override raw: `runledger ls --json` on a terminal ran them."""
    alice, ids, _ = pulled
    result = alice.cli(*[arg.format(**ids) for arg in args])
    assert_clean(result.stdout, " ".join(args))
    assert result.stdout, result.stderr
    data = json.loads(result.stdout)  # still exact JSON: the escapes mean the same characters
    if args[0] == "ls":
        assert {run["name"] for run in data} == {HOSTILE}
    if args[0] == "show":
        assert data["name"] == HOSTILE and data["params"][HOSTILE] == HOSTILE


# --- the boundary itself, by property -------------------------------------------------------

hostile_text = st.text(
    alphabet=st.sampled_from([*CONTROLS, "\u202e", "\u2066", "[", "]", "/", "a", "é", " ", "\\"]),
    max_size=40,
) | st.sampled_from(
    ["\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "\x1b]0;t\x07", "a\rb", "\x9b31m", "\udcff"]
)


@given(hostile_text)
def test_safe_leaves_no_control_character(text: str) -> None:
    shown = safe(text)
    assert RAW.search(shown) is None
    assert "\n" not in shown
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in shown)
    shown.encode("utf-8")  # printable on a UTF-8 terminal (a surrogate would raise)


@given(hostile_text)
def test_quoted_is_unambiguous(text: str) -> None:
    assert quoted(text) != quoted(text + "\\")
    assert RAW.search(quoted(text)) is None


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(hostile_text, hostile_text)
def test_run_views_never_print_raw_controls(name: str, value: str) -> None:
    run = Run(
        id="6ghzr1dt3ktn3xaw",
        status=value or "ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:00:01.000Z",
        duration_s=1.0,
        command=("python", name, value),
        git=GitInfo(commit="0" * 40, branch=value, remotes={name: value}),
        name=name,
        user=value,
        host=name,
        params={name: value, "x": {value: name}},
        metrics={name or "m": MetricSummary(last=1.0, min=1.0, max=1.0)},
        tags=(name,),
        note=value,
        environment={"variables": {name: value}},
        artifacts=[{"path": value, "size": 1, "sha256": "0" * 64}],
    )
    buffer = io.StringIO()
    out = SafeConsole(file=buffer, width=200, markup=False, emoji=False, highlight=False)
    render_run_table([run], out)
    render_run(run, out)
    out.print(Text(safe(name)))
    assert RAW.search(buffer.getvalue()) is None, buffer.getvalue()
