"""What a store push costs besides copying: the git processes it starts, and a manifest's
``pushed_by`` taken from the config it reads anyway (not a ``git var`` of its own), which must
say what ``git var GIT_COMMITTER_IDENT`` says. Real repositories, real git, real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runledger.model import tomlcodec
from runledger.store import artifacts, git
from tests.conftest import Repo

PY = sys.executable
MODELS = (  # three files into the folder named by its argument
    "import os, sys; os.makedirs(sys.argv[1], exist_ok=True)\n"
    "for i in range(3): open(f'{sys.argv[1]}/m{i}.bin', 'wb').write(os.urandom(2000))\n"
)

# (config lines for the repository's own .git/config, environment) -> git's identity
IDENTITIES = [
    pytest.param([], {}, id="the global user"),
    pytest.param(["user.name=Zoë Ångström", "user.email=zoe@example.com"], {}, id="local"),
    pytest.param(
        ["user.name=  Jane Q. Doe. ", "user.email= <jane@example.com>; "], {}, id="crud trimmed"
    ),
    pytest.param(["user.name=Ann <the> Admin"], {}, id="angle brackets dropped"),
    pytest.param(
        ["committer.name=Bot", "committer.email=bot@example.com"], {}, id="committer.* first"
    ),
    pytest.param(["committer.email=c@example.com"], {}, id="committer email, user name"),
    pytest.param([], {"GIT_COMMITTER_NAME": "Env Name"}, id="GIT_COMMITTER_NAME"),
    pytest.param(
        ["committer.name=Bot"], {"GIT_COMMITTER_EMAIL": "env@example.com"}, id="env email"
    ),
]


def _configure(repo: Repo, lines: list[str], env: dict[str, str], mp: pytest.MonkeyPatch) -> None:
    # conftest pins GIT_COMMITTER_*; here git reads the config unless a case sets them
    mp.delenv("GIT_COMMITTER_NAME", raising=False)
    mp.delenv("GIT_COMMITTER_EMAIL", raising=False)
    for key, value in env.items():
        mp.setenv(key, value)
    for line in lines:
        key, _, value = line.partition("=")
        repo.git("config", "--add", key, value)


@pytest.mark.parametrize(("lines", "env"), IDENTITIES)
def test_pushed_by_from_the_config_is_what_git_var_says(
    repo: Repo, lines: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(repo, lines, env, monkeypatch)
    found = git.discover(repo.path)

    from_config = artifacts.read_settings(found).pushed_by

    assert from_config is not None  # settled by the config: no git var needed
    assert from_config == git.committer_ident(found)


def test_pushed_by_follows_includes_and_the_last_value(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(repo, [], {}, monkeypatch)
    included = tmp_path / "team.gitconfig"
    included.write_text("[user]\n\temail = team@example.com\n\tname = Team\n")
    repo.git("config", "include.path", str(included))
    repo.git("config", "--add", "user.name", "Second")  # after the include: wins
    found = git.discover(repo.path)

    from_config = artifacts.read_settings(found).pushed_by

    assert from_config == git.committer_ident(found) == "Second <team@example.com>"


@pytest.mark.parametrize(
    ("lines", "env"),
    [
        pytest.param([], {"GIT_COMMITTER_NAME": ""}, id="empty GIT_COMMITTER_NAME"),
        pytest.param([], {"GIT_COMMITTER_EMAIL": " ; "}, id="an email of crud only"),
    ],
)
def test_what_the_config_does_not_settle_is_left_to_git(
    repo: Repo, lines: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(repo, lines, env, monkeypatch)

    assert artifacts.read_settings(git.discover(repo.path)).pushed_by is None


def _logging_git(folder: Path, log: Path) -> dict[str, str]:
    """An environment whose ``git`` is the real one, after writing its subcommand to ``log``."""
    real = shutil.which("git")
    assert real is not None
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for git")
def test_store_push_reads_its_runs_with_one_git_process_and_asks_no_identity(
    repo: Repo, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    repo.git("config", "runledger.store", store.as_uri())
    repo.git("config", "user.name", "Pat Push")
    repo.git("config", "user.email", "pat@example.com")
    (repo.path / ".git" / "info" / "exclude").write_text("models/\n")
    for folder in ("models/a", "models/b"):
        made = repo.cli("exec", "--output", folder, "--", PY, "-c", MODELS, folder)
        assert made.exit_code == 0, made.stderr
    runs = repo.run_ids()
    log = tmp_path / "git.log"
    env = {
        **_logging_git(tmp_path / "bin", log),
        "GIT_COMMITTER_NAME": "Pat Push",
        "GIT_COMMITTER_EMAIL": "pat@example.com",
    }

    pushed = repo.run("store", "push", *runs, env=env)

    assert pushed.returncode == 0, pushed.stderr.decode()
    assert "6 objects" in pushed.stdout.decode()
    # the repository, the store's URL and who pushes: no git var; whole ids are read by
    # one cat-file, without the run index (for-each-ref, a cat-file) or a process per run
    assert log.read_text().split() == ["rev-parse", "config", "cat-file"]
    for run_id in runs:
        manifest = tomlcodec.loads((store / "runs" / f"{run_id}.toml").read_text())
        assert manifest["pushed_by"] == "Pat Push <pat@example.com>"
        assert len(manifest["objects"]) == 3
    ident = subprocess.run(
        ["git", "var", "GIT_COMMITTER_IDENT"],
        cwd=repo.path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ident.startswith("Pat Push <pat@example.com> ")

    # a prefix or a repeated run is still resolved, through the index
    again = repo.run("store", "push", runs[0][:10], runs[0], "--json", env=env)
    assert again.returncode == 0, again.stderr.decode()
    report = json.loads(again.stdout)
    assert report["runs_stored"] == [runs[0]] and report["already_stored"] == 3


def _two_runs(repo: Repo, store: Path) -> list[str]:
    repo.git("config", "runledger.store", store.as_uri())
    (repo.path / ".git" / "info" / "exclude").write_text("models/\n")
    for folder in ("models/a", "models/b"):
        made = repo.cli("exec", "--output", folder, "--", PY, "-c", MODELS, folder)
        assert made.exit_code == 0, made.stderr
    return repo.run_ids()


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for git")
def test_packed_runs_are_read_through_git(repo: Repo, tmp_path: Path) -> None:
    runs = _two_runs(repo, tmp_path / "store")
    repo.git("pack-refs", "--all")
    repo.git("gc", "-q", "--prune=now")
    assert not list((repo.path / ".git" / "objects").glob("??/*"))  # nothing loose left
    log = tmp_path / "git.log"

    pushed = repo.run("store", "push", *runs, env=_logging_git(tmp_path / "bin", log))

    assert pushed.returncode == 0, pushed.stderr.decode()
    assert "uploaded 6 objects" in pushed.stdout.decode()
    assert log.read_text().split() == ["rev-parse", "config", "cat-file"]


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for git")
def test_a_replaced_record_is_read_as_git_reads_it(repo: Repo, tmp_path: Path) -> None:
    """git follows a replacement ref (git replace): a push uploads what every other command
    reads, the replacement's files."""
    runs = _two_runs(repo, tmp_path / "store")
    ref = f"refs/runledger/runs/{runs[0]}:files.toml"
    original = repo.git("rev-parse", ref).strip()
    first_only = repo.show_bytes(ref).decode().split("\n[[artifacts]]")[:2]
    shorter = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo.path,
        input="\n[[artifacts]]".join(first_only).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    repo.git("replace", original, shorter.strip())
    log = tmp_path / "git.log"

    pushed = repo.run("store", "push", runs[0], "--json", env=_logging_git(tmp_path / "bin", log))

    assert pushed.returncode == 0, pushed.stderr.decode()
    assert json.loads(pushed.stdout)["uploaded"] == 1  # the replacement's one file
    assert "cat-file" in log.read_text().split()


def test_a_record_over_its_read_limit_is_left_out_loose_or_packed(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runledger.store import ledger

    runs = _two_runs(repo, tmp_path / "store")
    monkeypatch.setitem(ledger.READ_LIMIT_BYTES, "files.toml", 200)
    found = git.discover(repo.path)

    loose = ledger.Ledger(found).read_files_of(runs)
    loose_notes = capsys.readouterr().err
    repo.git("pack-refs", "--all")
    repo.git("gc", "-q", "--prune=now")
    packed = ledger.Ledger(found).read_files_of(runs)

    assert [run.artifacts for run in loose] == [[], []]
    assert [run.id for run in loose] == [run.id for run in packed] == runs
    assert [run.artifacts for run in packed] == [[], []]
    assert loose_notes.count("files.toml") == 2
    assert capsys.readouterr().err == loose_notes


def test_a_damaged_entry_in_an_earlier_manifest_is_written_anew(repo: Repo, tmp_path: Path) -> None:
    """The store is shared: an earlier manifest may hold anything. An entry whose role or
    path is no string made the push fail with an internal error (AttributeError)."""
    store = tmp_path / "store"
    run_id = _two_runs(repo, store)[0]
    manifest = store / "runs" / f"{run_id}.toml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        f'version = 1\nrun = "{run_id}"\n\n[[objects]]\nrole = 1\npath = 2\nsize = 3\n'
        f'sha256 = "{"0" * 64}"\n'
    )

    pushed = repo.cli("store", "push", run_id)

    assert pushed.exit_code == 0, pushed.stderr
    objects = tomlcodec.loads(manifest.read_text())["objects"]
    assert len(objects) == 3
    assert {entry["role"] for entry in objects} == {"artifact"}
