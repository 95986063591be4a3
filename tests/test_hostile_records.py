"""Pulled records of every wrong shape (review 9): runs crafted by plumbing in mallory's clone
(tests/crafted.py), pulled by alice, against every command that reads them. Each named test
failed on the code before its fix; the property test at the end searches for more."""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runledger.model import tomlcodec
from tests.conftest import Repo
from tests.crafted import blob, craft, run_toml, tree
from tests.fuzzing import examples
from tests.team import Clone, mallory_and_alice, outside_ledger, share
from tests.test_untrusted_records import OSC52, assert_clean

LOSS = {"loss": {"last": 0.5, "min": 0.25, "max": 0.75}}
SERIES = b"schema = 1\n[series.loss]\nstep = [0, 1, 2]\nvalue = [0.75, 0.25, 0.5]\n"


@pytest.fixture
def team(tmp_path: Path) -> tuple[Clone, Clone]:
    return mallory_and_alice(tmp_path)


@pytest.mark.parametrize("duration", [math.nan, math.inf, -math.inf])
def test_a_duration_that_is_no_number_is_null_in_json(
    team: tuple[Clone, Clone], duration: float
) -> None:
    """duration_s = nan (TOML has it) made 'ls --json' and 'show --json' fail for every run
    with an internal error: JSON has no NaN."""
    mallory, alice = team
    good = craft(mallory.path, metrics=LOSS)
    odd = craft(mallory.path, duration_s=duration, metrics=LOSS)
    share(mallory, alice)

    listed = alice.cli("ls", "--json")
    shown = alice.cli("show", odd, "--json")

    assert listed.exit_code == 0 and shown.exit_code == 0, listed.stderr + shown.stderr
    durations = {run["id"]: run["duration_s"] for run in listed.json()}
    assert durations == {good: 1.0, odd: None}
    assert shown.json()["duration_s"] is None
    alice.break_index()  # the same from the refs, without the index
    assert {run["id"]: run["duration_s"] for run in alice.cli("ls", "--json").json()} == durations


@pytest.mark.parametrize(
    ("system", "environment"),
    [
        ({"gpus": "x", "cpu_time_s": "long", "peak_tree_rss_bytes": "big"}, {"gpus": "x"}),
        ({"gpus": [1, "a"], "cpu_time_s": 10**400, "max_process_rss_bytes": 3 << 20}, {"gpus": 5}),
    ],
    ids=["text", "numbers"],
)
def test_show_of_resources_and_gpus_of_the_wrong_shape(
    team: tuple[Clone, Clone], system: dict[str, object], environment: dict[str, object]
) -> None:
    """run.toml's system table (gpus = "x", cpu_time_s = "long") and environment.toml's gpus
    (a string, a number) ended 'show' with an internal error ('str' object has no attribute
    'get', could not convert string to float)."""
    mallory, alice = team
    good_gpu = {"index": 0, "peak_util_pct": 97, "peak_mem_mib": 4096}
    odd = craft(
        mallory.path,
        metrics=LOSS,
        system={**system, "gpus": [*system["gpus"], good_gpu]}
        if isinstance(system["gpus"], list)
        else system,
        environment=environment,
    )
    share(mallory, alice)

    shown = alice.cli("show", odd)

    assert shown.exit_code == 0, shown.stderr
    assert "resources" in shown.stdout and "gpus" in shown.stdout
    if isinstance(system["gpus"], list):
        assert "peak 97% busy, 4096 MiB" in shown.stdout  # the one well-formed GPU
        assert "3 MiB" in shown.stdout and "cpu time" not in shown.stdout  # 10**400: no float


@pytest.mark.parametrize("nesting", ["[" * 1000 + "]" * 1000, "{a = " * 1000 + "1" + "}" * 1000])
def test_a_detail_file_nested_too_deep_is_one_line(team: tuple[Clone, Clone], nesting: str) -> None:
    """metrics.toml holding arrays nested 1,000 deep ended show, diff, plot, report, verify,
    get, env, watch and reproduce with an internal error (tomli's RecursionError)."""
    mallory, alice = team
    content = f"schema = 1\nx = {nesting}\n".encode()
    good = craft(mallory.path, metrics=LOSS, files={"metrics.toml": SERIES})
    odd = craft(mallory.path, metrics=LOSS, files={"metrics.toml": content})
    share(mallory, alice)

    for args in (["show", odd], ["diff", good, odd], ["env", odd], ["verify", odd]):
        result = alice.cli(*args)
        assert result.exit_code == 1, (args, result.stderr)
        assert "nested more than the allowed 400 levels" in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    plotted = alice.cli("plot", "loss")  # the other runs are drawn, the odd one named
    assert plotted.exit_code == 0, plotted.stderr
    assert odd[:10] in plotted.stderr and "metrics.toml cannot be read" in plotted.stderr


@pytest.mark.parametrize(
    ("name", "kind", "left_out"),
    [
        ("metrics.toml", "symbolic link", "its series are"),
        ("metrics.toml", "folder", "its series are"),
        ("metrics.toml", "submodule link", "its series are"),
        ("environment.toml", "symbolic link", "its environment is"),
        ("files.toml", "folder", "its file pointers are"),
    ],
)
def test_a_detail_file_that_is_no_file_is_left_out_with_a_note(
    team: tuple[Clone, Clone], name: str, kind: str, left_out: str
) -> None:
    """A pulled run whose metrics.toml (or another detail file) was a symbolic link, a folder
    or a submodule's commit was 'damaged' for show, diff, env and reproduce (its link text
    or tree bytes were read as TOML); the rest of the run reads, with one note."""
    mallory, alice = team
    link = blob(mallory.path, b"run.toml")
    folder = tree(mallory.path, {"x": SERIES})
    entry = {
        "symbolic link": f"120000 blob {link}\t{name}",
        "folder": f"040000 tree {folder}\t{name}",
        "submodule link": f"160000 commit {'1' * 40}\t{name}",
    }[kind]
    good = craft(mallory.path, metrics=LOSS, files={"metrics.toml": SERIES})
    odd = craft(mallory.path, metrics=LOSS, entries=[entry])
    share(mallory, alice)
    note = f"runledger: note: run {odd[:10]}: {name} is a {kind}, not a file: {left_out} left out"

    shown = alice.cli("show", odd, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["metrics"] == {"loss": 0.5}
    assert shown.stderr.splitlines() == [note]
    for args in (["show", odd], ["diff", good, odd], ["env", odd, "--format", "json"]):
        result = alice.cli(*args)
        assert note in result.stderr.splitlines(), (args, result.stderr)
        assert "damaged" not in result.stderr, (args, result.stderr)


def test_a_project_config_nested_too_deep_is_one_line(team: tuple[Clone, Clone]) -> None:
    """A .runledger.toml nested 1,000 deep (a pulled branch's) was an internal error."""
    _, alice = team
    alice.record()
    (alice.path / ".runledger.toml").write_text("x = " + "[" * 1000 + "]" * 1000 + "\n")
    alice.commit_all("config")

    for args in (["compare"], ["exec", sys.executable, "-c", "pass"]):
        result = alice.cli(*args)
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith("runledger: error: .runledger.toml: not valid TOML: ")
        assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("series", "kept"),
    [
        (b'step = [0, 1, 2, 3]\nvalue = [0.5, "x", 0.25, {a = 1}]\n', [[0, 0.5], [2, 0.25]]),
        (b"step = [0, 1, 2, 3]\nvalue = [0.5, 0.25]\n", [[0, 0.5], [1, 0.25]]),
        (b'step = [0, "one", true, 3]\nvalue = [0.5, 0.4, 0.3, 0.25]\n', [[0, 0.5], [3, 0.25]]),
        (b"step = 5\nvalue = [0.5]\n", []),
    ],
    ids=["text-values", "fewer-values", "text-steps", "steps-no-list"],
)
def test_a_series_of_text_or_unequal_lengths_keeps_its_pairs_of_numbers(
    team: tuple[Clone, Clone], tmp_path: Path, series: bytes, kept: list[list[float]]
) -> None:
    """A series whose values held text, or fewer values than steps, ended plot and report
    with an internal error (must be real number, not str; zip() argument 2 is shorter)."""
    mallory, alice = team
    craft(mallory.path, metrics=LOSS, files={"metrics.toml": SERIES})
    content = b"schema = 1\n[series.loss]\n" + series
    odd = craft(mallory.path, metrics=LOSS, files={"metrics.toml": content})
    share(mallory, alice)

    plotted = alice.cli("plot", "loss")
    reported = alice.cli("report", "--metric", "loss", "-o", str(tmp_path / "r.html"))
    shown = alice.cli("show", odd, "--json")

    for result in (plotted, reported, shown):
        assert result.exit_code == 0, result.stderr
    assert shown.json()["series"].get("loss", []) == kept
    note = "metrics.toml has 1 series whose steps and values are not pairs of numbers"
    assert note in shown.stderr and note in plotted.stderr


def test_a_long_run_name_is_cut_on_the_reports_charts(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """A pulled run's name is a label of the report's dot chart: matplotlib measured all of
    it, a minute for a name of 300,000 characters (a name of 10 MB, under run.toml's limit,
    hours). Chart labels are cut at 80 characters; the page's tables keep the whole name."""
    mallory, alice = team
    name = "n" * 3000
    for index, last in enumerate((0.5, 0.25)):
        craft(
            mallory.path,
            name=name if index else None,
            params={"lr": 0.1 * (index + 1)},
            metrics={"loss": {"last": last}},
        )
    share(mallory, alice)
    page = tmp_path / "r.html"

    result = alice.cli("report", "--metric", "loss", "-o", str(page))

    assert result.exit_code == 0, result.stderr
    text = page.read_text()
    charts = re.findall("<svg.*?</svg>", text, flags=re.S)
    assert charts and all("n" * 100 not in chart for chart in charts)
    assert "n" * 60 + "…" in "".join(charts)
    assert name in text  # the run's own details


# --- the search: any crafted record, any command ---------------------------------------------

_SPECIAL = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        1e308,
        -1e308,
        10**30,
        -(2**63),
        2**63 - 1,
        "",
        "0000-01-01T00:00:00Z",
        "99999-12-31T23:59:59Z",
        "../../../etc/passwd",
        "/etc/passwd",
        ".git/hooks/pre-commit",
        "a\x00b",
        OSC52,
        "[/]",
        "x" * 20_000,
        "zz" * 32,
    ]
)
_VALUE = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(max_size=8) | _SPECIAL,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_RUN_FIELDS = [
    "name", "status", "exit_code", "signal", "started_at", "ended_at", "duration_s", "command",
    "cwd", "user", "host", "author", "tags", "note", "reproduces", "parent", "sweep", "trial",
    "params", "param_sources", "metrics", "config_files", "system", "recovered", "git",
    "inputs_digest", "input_paths", "output_paths", "reproduction", "runledger_version",
]  # fmt: skip
_NUMBERISH = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(), _SPECIAL, st.text(max_size=3))


@st.composite
def _series_file(draw: st.DrawFn) -> dict[str, object]:
    steps = draw(st.lists(_NUMBERISH, max_size=6))
    values = draw(st.lists(_NUMBERISH, max_size=6))
    table: dict[str, object] = {"step": steps, "value": values}
    if draw(st.booleans()):
        table["time"] = draw(st.lists(_NUMBERISH, max_size=6))
    return {"schema": 1, "series": {draw(st.sampled_from(["loss", "acc", OSC52])): table}}


@st.composite
def _files_file(draw: st.DrawFn) -> dict[str, object]:
    pointer = {
        "path": draw(st.one_of(st.sampled_from(["model.pt", "out/a.bin"]), _SPECIAL, _VALUE)),
        "size": draw(_NUMBERISH),
        "sha256": draw(st.one_of(st.just("a" * 64), _SPECIAL, _VALUE)),
    }
    return {"schema": 1, draw(st.sampled_from(["inputs", "artifacts"])): [pointer]}


_ENVIRONMENT = st.dictionaries(
    st.sampled_from(["python", "packages", "used", "gpus", "cpu", "os", "variables", "torch"]),
    _VALUE,
    max_size=3,
)
_RAW = st.sampled_from(
    [
        b"schema = 1\nx = " + b"[" * 600 + b"]" * 600 + b"\n",
        b"schema = 1\n[series.loss]\nstep = [1]\nstep = [2]\n",  # a key twice
        b'schema = 1\n[series."\xff\xfe"]\nstep = [1]\nvalue = [1.0]\n',  # not UTF-8
        b"schema = 1\x00\n",
        b"schema = 99\n",
        b"",
    ]
)
_COMMANDS = [
    ["ls"], ["ls", "--json"], ["ls", "--where", "metrics.loss < 1"], ["ls", "--sort", "duration_s"],
    ["show", "{run}"], ["show", "{run}", "--json"], ["diff", "{good}", "{run}"],
    ["diff", "{run}", "{good}", "--json"], ["compare"], ["compare", "--format", "csv"],
    ["compare", "--format", "json"], ["compare", "--format", "markdown"],
    ["compare", "--transpose"], ["compare", "--group-by", "params.lr"],
    ["report", "-o", "{out}/r.html"], ["which", "model.pt"], ["verify", "{run}"],
    ["get", "{run}", "-o", "{out}/got"], ["env", "{run}"], ["env", "{run}", "--format", "conda"],
    ["plot", "loss"], ["importance", "loss"], ["tags"], ["tag", "{run}", "fuzzed"],
    ["note", "{run}", "seen"], ["watch", "{run}"], ["reproduce", "{run}"], ["load_runs"],
]  # fmt: skip


@st.composite
def _hostile_run(draw: st.DrawFn) -> dict[str, object]:
    fields = draw(st.dictionaries(st.sampled_from(_RUN_FIELDS), _VALUE, max_size=3))
    files: dict[str, bytes] = {}
    for name, shape in (
        ("metrics.toml", _series_file()),
        ("files.toml", _files_file()),
        ("environment.toml", _ENVIRONMENT.map(lambda env: {"schema": 1, **env})),
    ):
        choice = draw(st.sampled_from(["none", "shaped", "raw"]))
        if choice == "shaped":
            try:
                files[name] = tomlcodec.dumps(draw(shape)).encode()
            except ValueError:  # a key that is not UTF-8: nothing writes such TOML
                continue
        elif choice == "raw":
            files[name] = draw(_RAW)
    return {"fields": fields, "files": files}


@settings(
    deadline=None,
    max_examples=examples(30),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(run=_hostile_run(), command=st.sampled_from(_COMMANDS))
# the holes found by hand, each an internal error on the code before its fix
@example({"fields": {"duration_s": math.nan}, "files": {}}, ["ls", "--json"])
@example({"fields": {"system": {"gpus": "x"}}, "files": {}}, ["show", "{run}"])
@example(
    {"fields": {}, "files": {"metrics.toml": b"schema = 1\nx = " + b"[" * 600 + b"]" * 600}},
    ["show", "{run}"],
)
@example(
    {"fields": {}, "files": {"metrics.toml": SERIES.replace(b"0.25,", b'"x",')}}, ["plot", "loss"]
)
@pytest.mark.slow
def test_any_crafted_record_gives_a_view_or_one_line(
    repo: Repo, tmp_path_factory: pytest.TempPathFactory, run: dict[str, Any], command: list[str]
) -> None:
    """Whatever a record holds, each command shows it, or says in one line what is wrong:
    never an internal error, a hang, a raw control character on the terminal, or a file
    written outside the folder the command was given."""
    out = tmp_path_factory.mktemp("out")
    good = craft(repo.path, metrics=LOSS, params={"lr": 0.1}, files={"metrics.toml": SERIES})
    try:
        odd = craft(repo.path, files=run["files"], **{"metrics": LOSS, **run["fields"]})
    except ValueError:  # a key that is not UTF-8: nothing writes such TOML
        return
    before = outside_ledger(repo.path)
    args = [arg.format(run=odd, good=good, out=out) for arg in command]
    started = time.monotonic()
    try:
        if args == ["load_runs"]:
            pytest.importorskip("pandas")
            from runledger import load_runs

            assert set(load_runs(repo.path)["id"]) <= {good, odd}
            return
        result = repo.cli(*args)
    finally:
        for run_id in (good, odd):
            repo.git("update-ref", "-d", f"refs/runledger/runs/{run_id}")
    assert time.monotonic() - started < 60, args
    assert result.exit_code in (0, 1), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert_clean(result.stdout + result.stderr.replace("\n", ""))
    assert result.stderr.count("runledger: error:") <= 1, result.stderr
    assert outside_ledger(repo.path) == before
    assert {path.name for path in out.iterdir()} <= {"r.html", "got"}


def test_a_long_name_and_note_are_cut_on_the_terminal(team: tuple[Clone, Clone]) -> None:
    """show and diff folded a pulled run's whole name and note into lines: 3 MB of name took
    diff 14 s and show 20 s or more (10 MB: minutes). A terminal shows 10,000 characters of a
    value and says how many more there are; show --json keeps it whole."""
    mallory, alice = team
    good = craft(mallory.path, metrics=LOSS)
    odd = craft(mallory.path, metrics=LOSS, name="n" * 50_000, note="w" * 30_000)
    share(mallory, alice)

    shown = alice.cli("show", odd)
    diffed = alice.cli("diff", good, odd)

    assert shown.exit_code == 0 and diffed.exit_code == 0, shown.stderr + diffed.stderr
    for text in (shown.stdout, diffed.stdout):
        flat = "".join(text.split())  # the value is folded over many lines
        assert "n" * 10_000 + "…(40,000morecharacters)" in flat
        assert "n" * 10_001 not in flat
    assert "w" * 10_000 + "…(20,000morecharacters)" in "".join(shown.stdout.split())
    assert alice.cli("show", odd, "--json").json()["name"] == "n" * 50_000


def test_shows_reproduction_details_and_python_build_escaped(team: tuple[Clone, Clone]) -> None:
    """show wrote a pulled reproduction's outputs that differ, its virtualenv tool and its
    --relax lines, and environment.toml's Python build, raw: rich's Text keeps ESC, so an
    OSC 52 in them wrote the clipboard and cleared the screen."""
    mallory, alice = team
    original = craft(mallory.path, metrics=LOSS)
    reproduction = {
        "verdict": "not-reproduced",
        "outputs_compared": 2,
        "outputs_differ": ["model.pt" + OSC52],
        "virtualenv": "uv" + OSC52,
        "relaxed": ["six 1.0 -> 1.16.0" + OSC52],
    }
    odd = craft(
        mallory.path,
        metrics=LOSS,
        reproduces=original,
        reproduction=reproduction,
        environment={"python": {"version": "3.11.7", "build": "main" + OSC52}},
    )
    share(mallory, alice)

    shown = alice.cli("show", odd)

    assert shown.exit_code == 0, shown.stderr
    assert_clean(shown.stdout.replace("\n", ""))
    for text in ("model.pt", "uv", "six 1.0 -> 1.16.0", "build main"):
        assert text + "\\x1b]52;c;ZXZpbA==\\x07" in shown.stdout


def test_show_lists_reproductions_without_the_index(team: tuple[Clone, Clone]) -> None:
    """Without a run index (it cannot be opened), show finds a run's reproductions by reading
    the later runs' run.toml: the same list as with the index."""
    mallory, alice = team
    original = craft(mallory.path, metrics=LOSS)
    verdict = {"verdict": "reproduced", "mismatched": [], "tolerance": {"loss": 0.01}}
    again = craft(mallory.path, metrics=LOSS, reproduces=original, reproduction=verdict)
    craft(mallory.path, metrics=LOSS)  # a later run that names no other
    share(mallory, alice)

    for index in ("on", "off"):
        if index == "off":
            alice.break_index()
        shown = alice.ok("show", original)
        assert "reproductions (1: 1 reproduced)" in shown, index
        assert again[:10] in shown, index
        assert "reproduction  ✓ reproduced  tolerance loss 0.01" in alice.ok("show", again)


def test_show_lists_the_first_200_files_of_a_long_list(team: tuple[Clone, Clone]) -> None:
    """show laid out every file pointer as a table row, about 3 ms each: a pulled files.toml
    of 20,000 artifacts took show over 20 s (files.toml may be 64 MiB: a million rows, an
    hour). It lists 200 and says how many more; show --json lists them all."""
    mallory, alice = team
    pointers = [{"path": f"out/{n:03d}.png", "size": 1, "sha256": "a" * 64} for n in range(250)]
    files = {"files.toml": tomlcodec.dumps({"schema": 1, "artifacts": pointers}).encode()}
    odd = craft(mallory.path, metrics=LOSS, files=files)
    share(mallory, alice)

    shown = alice.ok("show", odd)

    assert "out/199.png" in shown and "out/200.png" not in shown
    assert "and 50 more artifacts (show --json lists them all)" in shown
    assert len(alice.cli("show", odd, "--json").json()["artifacts"]) == 250


def test_diff_lists_the_first_200_files_that_differ(team: tuple[Clone, Clone]) -> None:
    """diff of a run with 20,000 pulled artifacts against one with none took over 20 s."""
    mallory, alice = team
    pointers = [{"path": f"out/{n:03d}.png", "size": 1, "sha256": "a" * 64} for n in range(250)]
    files = {"files.toml": tomlcodec.dumps({"schema": 1, "artifacts": pointers}).encode()}
    good = craft(mallory.path, metrics=LOSS)
    odd = craft(mallory.path, metrics=LOSS, files=files)
    share(mallory, alice)

    diffed = alice.ok("diff", good, odd)

    assert "out/199.png" in diffed and "out/200.png" not in diffed
    assert "and 50 more artifacts differ (diff --json lists them all)" in diffed
    assert len(alice.cli("diff", good, odd, "--json").json()["artifacts"]) == 250


def test_verify_lists_200_files_those_that_changed_first(team: tuple[Clone, Clone]) -> None:
    """verify printed a row for every file: over 20 s for a pulled run of 20,000 artifacts.
    Past 200 it lists those that changed or are missing first, and counts the rest."""
    mallory, alice = team
    (alice.path / "out").mkdir()
    pointers = []
    for n in range(250):
        (alice.path / "out" / f"{n:03d}.png").write_bytes(b"x")
        sha = hashlib.sha256(b"x" if n < 249 else b"y").hexdigest()
        pointers.append({"path": f"out/{n:03d}.png", "size": 1, "sha256": sha})
    files = {"files.toml": tomlcodec.dumps({"schema": 1, "artifacts": pointers}).encode()}
    odd = craft(mallory.path, metrics=LOSS, files=files)
    share(mallory, alice)

    result = alice.cli("verify", odd)

    assert result.exit_code == 1, result.stderr
    assert "out/249.png" in result.stdout  # the 250th, the one that changed
    assert "and 50 more files (verify --json lists them all)" in result.stdout
    assert f"run {odd[:10]}: 249 same, 1 changed" in result.stdout


def test_show_escapes_the_resources_and_environment_a_pulled_record_states(
    team: tuple[Clone, Clone],
) -> None:
    """The GPU and machine facts show prints (GPU name, driver, peak memory, CPU model,
    platform) are interpolated into rich rows straight from a pulled record: they stay
    escaped at the output boundary, through CliRunner and through a real subprocess whose
    stdout is a file, as on a pipe to a pager."""
    mallory, alice = team
    esc = "\x1b]52;c;aGk=\x07\x1b[2J"
    gpu = {"index": esc, "peak_util_pct": esc, "peak_mem_mib": esc}
    odd = craft(
        mallory.path,
        metrics=LOSS,
        system={"gpus": [gpu]},
        environment={
            "gpus": [
                {
                    "index": esc,
                    "name": esc,
                    "memory_total_mib": esc,
                    "driver_version": esc,
                    "cuda_driver_version": esc,
                }
            ],
            "cpu": {"model": esc, "count": esc},
            "os": {"platform": esc},
        },
    )
    share(mallory, alice)

    shown = alice.cli("show", odd)

    assert shown.exit_code == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "\\x1b]52" in shown.stdout  # shown, escaped
    piped = alice.run("show", odd)
    assert piped.returncode == 0, piped.stderr
    assert b"\x1b" not in piped.stdout and b"\x07" not in piped.stdout


def _chain_commit(clone: Clone, ref: str, filename: str, content: bytes) -> None:
    """One commit of a tag's or notes' chain holding ``content``, made by plumbing."""
    made = clone.git("commit-tree", tree(clone.path, {filename: content}), "-m", "crafted")
    clone.git("update-ref", ref, made.strip())


def test_a_huge_tag_or_notes_file_is_skipped_in_one_line(team: tuple[Clone, Clone]) -> None:
    """Every listing reads every tag: a pulled 50 MB tag.toml cost each `ls` 1.3 s and 230 MB
    of memory, and 50 MB of notes kept `show` busy for 37 s with 450 MB. A tag.toml over
    1 MiB or a notes.toml over 16 MiB is read past and skipped with one line, as a damaged
    tag or notes are; the run itself is listed and shown."""
    mallory, alice = team
    run_id = craft(mallory.path, name="victim", metrics=LOSS)
    big = "x" * (2 << 20)
    at = "2026-01-01T00:00:00.000Z"
    tag = f'schema = 1\nname = "big"\naction = "create"\nrun = "{run_id}"\nat = "{at}"\n'
    tag += f'by = "{big}"\n'
    note = 'id = "{}"\nby = "m"\nat = "' + at + '"\ntext = "' + "y" * 9000 + '"\n'
    _chain_commit(mallory, "refs/runledger/tags/big", "tag.toml", tag.encode())
    notes = f'schema = 1\nrun = "{run_id}"\n' + "".join(
        "[[note]]\n" + note.format(i) for i in range(1900)
    )
    _chain_commit(mallory, f"refs/runledger/notes/{run_id}", "notes.toml", notes.encode())
    mallory.git("push", "-q", "origin", "refs/runledger/*:refs/runledger/*")

    pulled = alice.cli("pull")
    assert pulled.exit_code == 0, pulled.stderr
    assert "refs/runledger/tags/big" in pulled.stderr and "2.0 MiB" in pulled.stderr

    listed = alice.cli("tags")
    assert listed.exit_code == 0 and "big" not in listed.stdout
    shown = alice.cli("show", run_id)
    assert shown.exit_code == 0, shown.stderr
    assert "victim" in shown.stdout and "yyyy" not in shown.stdout
    assert f"refs/runledger/notes/{run_id}" in shown.stderr and "MiB" in shown.stderr
    assert shown.stderr.count("\n") == 1, shown.stderr


def test_show_lists_the_newest_50_notes_of_a_long_list(team: tuple[Clone, Clone]) -> None:
    """15,000 pulled notes (within the 16 MiB read) took show 12 s to lay out: it shows the
    newest 50 and counts the rest; --json keeps them all."""
    mallory, alice = team
    run_id = craft(mallory.path, metrics=LOSS)
    notes = f'schema = 1\nrun = "{run_id}"\n' + "".join(
        f'[[note]]\nid = "n{i:03d}"\nby = "m"\nat = "2026-01-01T00:00:{i // 10:02d}.{i % 10}00Z"\n'
        f'text = "note number {i:03d}"\n'
        for i in range(60)
    )
    _chain_commit(mallory, f"refs/runledger/notes/{run_id}", "notes.toml", notes.encode())
    share(mallory, alice)

    shown = alice.cli("show", run_id)

    assert shown.exit_code == 0, shown.stderr
    assert "note number 059" in shown.stdout and "note number 010" in shown.stdout
    assert "note number 009" not in shown.stdout
    assert "and 10 earlier notes (show --json lists them all)" in shown.stdout
    assert len(alice.cli("show", run_id, "--json").json()["notes"]) == 60


def test_a_pulled_tag_that_names_another_tag_is_skipped_in_one_line(
    team: tuple[Clone, Clone],
) -> None:
    """refs/runledger/tags/x whose tag.toml says it is `production`: `tags` listed it as
    production (while `show production` found no such tag), and a TAB offered it. It is
    skipped now with one line naming its ref, as a damaged tag is."""
    mallory, alice = team
    run_id = craft(mallory.path, metrics=LOSS)
    at = "2026-01-01T00:00:00.000Z"
    posing = f'schema = 1\nname = "production"\naction = "create"\nrun = "{run_id}"\nat = "{at}"\n'
    _chain_commit(mallory, "refs/runledger/tags/x", "tag.toml", posing.encode())
    share(mallory, alice)

    listed = alice.cli("tags")

    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.startswith("No tags yet")  # nothing posing as production
    assert "refs/runledger/tags/x" in listed.stderr and "names another tag" in listed.stderr
    assert listed.stderr.count("\n") == 1, listed.stderr
    env = {"_RUNLEDGER_COMPLETE": "complete_bash", "COMP_WORDS": "runledger ls --tag "}
    offered = alice.run(env={**env, "COMP_CWORD": "3"})
    assert offered.stdout.split() == []


def test_pull_cuts_a_pulled_tags_long_author_on_its_line(team: tuple[Clone, Clone]) -> None:
    """pull says who set each tag it brought: a tag.toml's author of 500,000 characters (within
    the read limit) was printed whole; the line is cut as show cuts a value."""
    mallory, alice = team
    run_id = craft(mallory.path, metrics=LOSS)
    at = "2026-01-01T00:00:00.000Z"
    tag = f'schema = 1\nname = "long"\naction = "create"\nrun = "{run_id}"\nat = "{at}"\n'
    tag += f'by = "{"m" * 500_000}"\n'
    _chain_commit(mallory, "refs/runledger/tags/long", "tag.toml", tag.encode())
    mallory.git("push", "-q", "origin", "refs/runledger/*:refs/runledger/*")

    pulled = alice.cli("pull")

    assert pulled.exit_code == 0, pulled.stderr
    line = next(line for line in pulled.stdout.splitlines() if line.startswith("tag long"))
    assert len(line) < 10_100 and line.endswith("more characters)"), line[-200:]


def test_reproduce_never_makes_the_runs_folder_through_a_link_out_of_the_work_tree(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """A pulled run's commit holds `out`, a link to a folder outside, and the run says it ran
    in out/made/here: reproduce, showing its plan only (nothing confirmed), made out/made/here
    through the link, outside the work tree, and would have run the command there while the
    plan said it ran in the work tree. Now one line, nothing made, nothing run."""
    mallory, alice = team
    outside = tmp_path / "outside"
    outside.mkdir()
    (mallory.path / "out").symlink_to(outside)
    mallory.commit_all("a link")
    mallory.git("push", "-q", "origin", "HEAD:side")
    run_id = craft(mallory.path, command=["git", "--version"], cwd="out/made/here")
    share(mallory, alice)

    for args in ([], ["--yes"]):
        result = alice.cli("reproduce", run_id, *args)
        assert result.exit_code == 1, result.stderr
        assert "leads outside the work tree through a link" in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    assert list(outside.iterdir()) == []


def test_reproduce_keeps_no_output_reached_through_a_link_out_of_the_work_tree(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """The pulled commit's `out` links to a folder of alice's outside the work tree and the run
    declares out/secret.txt an output: reproduce said it would copy it "out of the work tree"
    and copied alice's own file under .git/runledger/reproductions (or --outputs DIR)."""
    mallory, alice = team
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("alice's secret\n")
    (mallory.path / "out").symlink_to(outside)
    mallory.commit_all("a link")
    mallory.git("push", "-q", "origin", "HEAD:side")
    run_id = craft(mallory.path, command=["git", "--version"], output_paths=["out/secret.txt"])
    share(mallory, alice)

    result = alice.cli("reproduce", run_id, "--yes")

    assert "out/secret.txt leads out of the work tree through a link: not copied" in (
        result.stdout + result.stderr
    )
    rerun = next(run for run in alice.runs_json() if run["reproduces"] == run_id)
    shown = alice.cli("show", rerun["id"], "--json").json()
    assert shown["artifacts"] == []
    kept = alice.path / ".git" / "runledger" / "reproductions"
    assert not any(path.name == "secret.txt" for path in kept.rglob("*"))


def test_a_run_whose_record_says_it_is_another_run_is_one_line_everywhere(
    team: tuple[Clone, Clone],
) -> None:
    """refs/runledger/runs/B holding a run.toml that says it is run A: ls skipped it, but show,
    env, verify, diff and reproduce of B showed and used it as run A."""
    mallory, alice = team
    head = mallory.git("rev-parse", "HEAD").strip()
    real = craft(mallory.path, name="real", metrics=LOSS)
    posing = tomlcodec.dumps(run_toml(real, head, name="posing")).encode()
    twin = craft(mallory.path, "6gnm00000000twin", files={"run.toml": posing})
    share(mallory, alice)

    for args in (["show", twin], ["env", twin], ["verify", twin], ["diff", real, twin]):
        result = alice.cli(*args)
        assert result.exit_code == 1, (args, result.stdout)
        assert f"its run.toml says it is run {real}" in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    assert "posing" not in alice.cli("show", real).stdout


def test_show_and_diff_list_the_first_1000_params_and_metrics(team: tuple[Clone, Clone]) -> None:
    """A pulled run.toml of 100,000 params and 100,000 metrics (5 MB, within its read) kept
    show and diff busy for more than two minutes laying out every row: each table stops at
    1,000 rows and counts the rest; --json keeps them all."""
    mallory, alice = team
    many = 1_100
    metrics = {f"m{i:04d}": {"last": 0.5, "min": 0.25, "max": 0.75} for i in range(many)}
    wide = craft(mallory.path, params={f"p{i:04d}": i for i in range(many)}, metrics=metrics)
    plain = craft(mallory.path, params={"lr": 0.1}, metrics=LOSS)
    share(mallory, alice)

    shown = alice.cli("show", wide)
    differ = alice.cli("diff", plain, wide)

    assert shown.exit_code == 0, shown.stderr
    assert "and 100 more params (show --json lists them all)" in shown.stdout
    assert "and 100 more metrics (show --json lists them all)" in shown.stdout
    assert differ.exit_code == 0, differ.stderr
    assert "more params differ (diff --json lists them all)" in differ.stdout
    assert "more metrics differ (diff --json lists them all)" in differ.stdout
    assert len(alice.cli("show", wide, "--json").json()["params"]) == many


def test_tags_history_shows_the_newest_200_changes_of_a_long_chain(
    team: tuple[Clone, Clone],
) -> None:
    """A pulled tag whose chain holds 5,000 changes took `tags --history` 7 s to lay out, and
    nothing bounds a chain's length: the newest 200 are shown, the rest counted."""
    mallory, alice = team
    run_id = craft(mallory.path, metrics=LOSS)
    stream = ""
    for i in range(250):
        doc = (
            f'schema = 1\nname = "prod"\naction = "move"\nrun = "{run_id}"\nby = "m <m@x>"\n'
            f'at = "2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z"\n'
        )
        stream += f"commit refs/runledger/tags/prod\ncommitter m <m@x> {1_700_000_000 + i} +0000\n"
        stream += f"data 1\nm\nM 644 inline tag.toml\ndata {len(doc)}\n{doc}\n"
    imported = subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=mallory.path, input=stream.encode(), check=False
    )
    assert imported.returncode == 0
    share(mallory, alice)

    shown = alice.cli("tags", "--history", "prod")

    assert shown.exit_code == 0, shown.stderr
    assert "2026-01-01T00:04:09.000Z" in shown.stdout  # the newest
    assert "2026-01-01T00:00:49.000Z" not in shown.stdout  # the 201st newest
    assert "and 50 earlier changes (tags --history NAME --json lists them all)" in shown.stdout
    assert len(alice.cli("tags", "--history", "prod", "--json").json()) == 250


@pytest.mark.parametrize("written", ["running", "hacked\x1b[2J", "OK"])
def test_a_pulled_status_outside_the_contract_is_unknown(
    team: tuple[Clone, Clone], written: str
) -> None:
    """A pulled run.toml's status was taken as written: status = "running" listed the run
    as running in 'ls' (and matched '--status running'), and 'watch' said it was
    "not running (it ended: running)". A record only ever ends ok, failed or interrupted:
    anything else is unknown, with the index and without."""
    mallory, alice = team
    good = craft(mallory.path, metrics=LOSS)
    odd = craft(mallory.path, status=written, metrics=LOSS)
    share(mallory, alice)

    for indexed in (True, False):  # with the index, then from the refs
        if not indexed:
            alice.break_index()
        listed = alice.cli("ls", "--json")
        assert listed.exit_code == 0, listed.stderr
        assert {run["id"]: run["status"] for run in listed.json()} == {good: "ok", odd: "unknown"}
        assert alice.cli("ls", "--status", "running", "--json").json() == []
        assert [run["id"] for run in alice.cli("ls", "--status", "unknown", "--json").json()] == [
            odd
        ]
        where = alice.cli("ls", "--where", "status == 'running'", "--json")
        assert where.exit_code == 0 and where.json() == [], where.stderr
        table = alice.cli("ls")
        assert "running" not in table.stdout and "unknown" in table.stdout
        assert alice.cli("show", odd, "--json").json()["status"] == "unknown"
        watched = alice.cli("watch", odd)
        assert watched.exit_code != 0
        assert "ended: running" not in watched.stderr and "unknown" in watched.stderr
        assert_clean(table.stdout + watched.stderr)
