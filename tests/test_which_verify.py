"""runledger which FILE and runledger verify RUN through the real CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from runledger.model.record import GitInfo, Run
from runledger.recording.capture.files import FileRecord
from runledger.store import git as rgit
from runledger.store.ledger import Ledger
from tests.conftest import Repo

PY = sys.executable
WRITE_MODEL = "import sys; open('model.ckpt', 'w').write(sys.argv[1])"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def exec_(repo: Repo, *args: str) -> str:
    """Run exec in-process; the new run's id."""
    before = set(repo.run_ids())
    result = repo.cli("exec", *args)
    assert result.exit_code == 0, result.stderr
    [run_id] = set(repo.run_ids()) - before
    return run_id


def record(repo: Repo, run_id: str, inputs: list[dict[str, Any]], artifacts: list[Any]) -> None:
    """Write a run straight into the ledger, as another machine would have recorded it."""
    run = Run(
        id=run_id,
        status="ok",
        started_at="2026-01-01T10:00:00.000Z",
        ended_at="2026-01-01T10:00:01.000Z",
        duration_s=1.0,
        command=("python", "train.py"),
        git=GitInfo(commit=repo.git("rev-parse", "HEAD").strip()),
        inputs=inputs,
        artifacts=artifacts,
    )
    Ledger(rgit.discover(repo.path)).write(run, "Test <t@example.com>", 1_700_000_000)


# --- which ----------------------------------------------------------------------------------


def test_which_finds_the_run_that_produced_a_renamed_copy(repo: Repo, tmp_path: Path) -> None:
    exec_(repo, "--output", "model.ckpt", PY, "-c", WRITE_MODEL, "weights-A")
    producer = exec_(repo, "--output", "model.ckpt", PY, "-c", WRITE_MODEL, "weights-B")
    server = tmp_path / "server"
    server.mkdir()
    shutil.copy(repo.path / "model.ckpt", server / "prod-model-final.bin")
    (repo.path / "model.ckpt").unlink()

    result = repo.cli("which", str(server / "prod-model-final.bin"))
    assert result.exit_code == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if producer[:10] in line]
    assert "artifact" in row and "model.ckpt" in row

    found = repo.cli("which", str(server / "prod-model-final.bin"), "--json").json()
    assert found["sha256"] == sha(b"weights-B")
    assert found["size"] == len(b"weights-B")
    assert [(m["run"], m["role"], m["path"]) for m in found["matches"]] == [
        (producer, "artifact", "model.ckpt")
    ]
    assert found["matches"][0]["commit"] == repo.git("rev-parse", "HEAD").strip()


def test_which_names_readers_and_producers_newest_first(repo: Repo) -> None:
    repo.write("data/train.csv", "x,y\n")
    first = exec_(repo, "--input", "data", PY, "-c", "pass")
    second = exec_(
        repo,
        "--input",
        "data/train.csv",
        "--output",
        "copy.ckpt",
        PY,
        "-c",
        "import shutil; shutil.copy('data/train.csv', 'copy.ckpt')",
    )
    # The copy is dated a moment back, as it would be with any time between two real runs: in
    # process, the next run may start within the kernel clock's slack of its last write.
    copied = repo.path / "copy.ckpt"
    os.utime(copied, ns=(copied.stat().st_atime_ns, copied.stat().st_mtime_ns - 10**8))
    exec_(repo, PY, "-c", "pass")  # declares nothing, writes nothing
    found = repo.cli("which", "data/train.csv", "--json").json()
    matches = [(m["run"], m["role"], m["path"]) for m in found["matches"]]
    # Runs started in the same millisecond would tie; the order is by start time, then id.
    assert sorted(matches) == sorted(
        [
            (second, "artifact", "copy.ckpt"),
            (second, "input", "data/train.csv"),
            (first, "input", "data/train.csv"),
        ]
    )
    assert matches[-1][0] == first


def test_which_finds_one_file_of_a_dataset_every_run_read(repo: Repo) -> None:
    for index in range(40):
        repo.write(f"data/shard-{index:02d}.csv", f"rows of shard {index}\n")
    runs = [exec_(repo, "--input", "data", PY, "-c", "pass") for _ in range(3)]
    found = repo.cli("which", "data/shard-17.csv", "--json").json()
    assert sorted((m["run"], m["role"], m["path"]) for m in found["matches"]) == sorted(
        (run_id, "input", "data/shard-17.csv") for run_id in runs
    )


def test_which_finds_runs_recorded_after_it_last_looked(repo: Repo) -> None:
    """The index keeps the hashes of the runs it has read: a later run (or a pulled one)
    is read once, on the next ``which``, and found with the earlier ones."""
    repo.write("data/train.csv", "x,y\n")
    first = exec_(repo, "--input", "data", PY, "-c", "pass")
    assert [m["run"] for m in repo.cli("which", "data/train.csv", "--json").json()["matches"]] == [
        first
    ]
    second = exec_(repo, "--input", "data/train.csv", PY, "-c", "pass")
    record(
        repo,
        "6g00000000eeeeee",
        [{"path": "elsewhere.csv", "size": 4, "sha256": sha(b"x,y\n")}],
        [],
    )
    found = repo.cli("which", "data/train.csv", "--json").json()
    assert sorted(m["run"] for m in found["matches"]) == sorted([first, second, "6g00000000eeeeee"])
    # and the index, rebuilt from nothing, gives the same answer
    (repo.path / ".git" / "runledger" / "index.sqlite").unlink()
    again = repo.cli("which", "data/train.csv", "--json").json()
    assert sorted(m["run"] for m in again["matches"]) == sorted(m["run"] for m in found["matches"])


def test_which_reads_a_files_toml_laid_out_by_another_writer(repo: Repo) -> None:
    repo.write("data/a.csv", "a")
    record(repo, "6g00000000dddddd", [], [])
    ref = "refs/runledger/runs/6g00000000dddddd"
    inline = (
        "schema = 1\nartifacts = []\n"
        f'inputs = [{{ path = "data/a.csv", size = 1, sha256 = "{sha(b"a")}" }}]\n'
    )
    blob = (
        subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            cwd=repo.path,
            input=inline.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    entries = repo.git("ls-tree", ref) + f"100644 blob {blob}\tfiles.toml\n"
    tree = (
        subprocess.run(
            ["git", "mktree"],
            cwd=repo.path,
            input=entries.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    old = repo.git("rev-parse", ref).strip()
    parent = repo.git("rev-parse", f"{ref}^").strip()
    commit = repo.git("commit-tree", tree, "-p", parent, "-m", "hand-written").strip()
    repo.git("update-ref", ref, commit, old)
    found = repo.cli("which", "data/a.csv", "--json").json()
    assert [(m["run"], m["path"]) for m in found["matches"]] == [("6g00000000dddddd", "data/a.csv")]


def test_which_of_a_file_no_run_knows_exits_1(repo: Repo, tmp_path: Path) -> None:
    exec_(repo, "--output", "model.ckpt", PY, "-c", WRITE_MODEL, "w")
    stranger = tmp_path / "stranger.bin"
    stranger.write_bytes(b"never recorded")
    result = repo.cli("which", str(stranger))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"runledger: no run produced or read {stranger} (sha256 {sha(b'never recorded')[:16]})\n"
    )
    as_json = repo.cli("which", str(stranger), "--json")
    assert as_json.exit_code == 1
    assert as_json.json()["matches"] == []


def test_which_of_a_missing_file_or_a_folder_is_one_line(repo: Repo) -> None:
    result = repo.cli("which", "nope.pt")
    assert (result.exit_code, result.stderr) == (1, "runledger: error: nope.pt: no such file\n")
    (repo.path / "folder").mkdir()
    result = repo.cli("which", "folder")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: folder is a folder; give a file (a model, a dataset file)\n"
    )


def test_which_matches_a_record_known_only_by_its_git_blob(repo: Repo, tmp_path: Path) -> None:
    # A large tracked file is recorded by its git object id alone (no sha256).
    content = b"tracked weights\n" * 10
    repo.write("weights.bin", content.decode())
    repo.commit_all("weights")
    blob = repo.git("rev-parse", "HEAD:weights.bin").strip()
    record(
        repo,
        "6g00000000aaaaaa",
        [{"path": "weights.bin", "size": len(content), "git_blob": blob, "kind": "file"}],
        [],
    )
    copy = tmp_path / "renamed.bin"
    copy.write_bytes(content)
    found = repo.cli("which", str(copy), "--json").json()
    assert [(m["run"], m["role"]) for m in found["matches"]] == [("6g00000000aaaaaa", "input")]
    copy.write_bytes(content.upper())
    assert repo.cli("which", str(copy)).exit_code == 1


def test_which_skips_a_run_with_an_unreadable_files_toml(repo: Repo) -> None:
    repo.write("data/a.csv", "a")
    good = exec_(repo, "--input", "data", PY, "-c", "pass")
    good_record = {"path": "data/a.csv", "size": 1, "sha256": sha(b"a"), "kind": "file"}
    record(repo, "6g00000000bbbbbb", [{**good_record, "kind": "folder"}], [])
    result = repo.cli("which", "data/a.csv", "--json")
    assert [m["run"] for m in result.json()["matches"]] == [good]
    [warning] = result.stderr.splitlines()
    assert warning.startswith(
        "runledger: warning: skipping refs/runledger/runs/6g00000000bbbbbb: "
        "files.toml cannot be read"
    )


def test_which_does_not_touch_the_work_tree(repo: Repo) -> None:
    repo.write("data/a.csv", "a")
    exec_(repo, "--input", "data", PY, "-c", "pass")
    before = repo.state()
    assert repo.run("which", "data/a.csv").returncode == 0
    assert repo.state() == before


# --- verify ---------------------------------------------------------------------------------


def verify_json(repo: Repo, run_id: str) -> tuple[int, list[tuple[str, str, str]]]:
    result = repo.cli("verify", run_id, "--json")
    data = result.json()
    assert data["run"] == run_id
    assert data["same"] is (result.exit_code == 0)
    return result.exit_code, [(f["role"], f["path"], f["verdict"]) for f in data["files"]]


def test_verify_reports_same_changed_and_missing(repo: Repo) -> None:
    repo.write("data/a.csv", "a")
    repo.write("data/b.csv", "b")
    (repo.path / "data" / "link").symlink_to("a.csv")
    run_id = exec_(
        repo, "--input", "data", "--output", "model.ckpt", PY, "-c", WRITE_MODEL, "weights"
    )
    assert verify_json(repo, run_id) == (
        0,
        [
            ("input", "data/a.csv", "same"),
            ("input", "data/b.csv", "same"),
            ("input", "data/link", "same"),
            ("artifact", "model.ckpt", "same"),
        ],
    )
    result = repo.cli("verify", run_id[:8])
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith(f"run {run_id[:10]}: 4 same")

    repo.write("data/b.csv", "B")  # same size, other content
    (repo.path / "data" / "link").unlink()
    (repo.path / "data" / "link").symlink_to("b.csv")
    (repo.path / "model.ckpt").unlink()
    assert verify_json(repo, run_id) == (
        1,
        [
            ("input", "data/a.csv", "same"),
            ("input", "data/b.csv", "changed"),
            ("input", "data/link", "changed"),
            ("artifact", "model.ckpt", "missing"),
        ],
    )
    result = repo.cli("verify", run_id)
    assert result.exit_code == 1
    rows = {
        words[2]: words[0]
        for words in map(str.split, result.stdout.splitlines())
        if words and words[0] in ("same", "changed", "missing")
    }
    assert rows == {
        "data/a.csv": "same",
        "data/b.csv": "changed",
        "data/link": "changed",
        "model.ckpt": "missing",
    }
    assert result.stdout.rstrip().endswith("2 changed, 1 missing")


def test_verify_rehashes_a_file_rewritten_after_the_run(
    repo: Repo,
) -> None:
    data = repo.write("data/a.bin", "aaaa")
    old = os.stat(data).st_mtime_ns - 3_600 * 10**9
    os.utime(data, ns=(old, old))
    run_id = exec_(repo, "--input", "data", PY, "-c", "pass")
    data.write_text("bbbb")  # a new mtime: re-hashed, not trusted from the cache
    assert verify_json(repo, run_id) == (1, [("input", "data/a.bin", "changed")])


def test_verify_of_a_run_without_files_says_so(repo: Repo) -> None:
    run_id = exec_(repo, PY, "-c", "pass")
    result = repo.cli("verify", run_id)
    assert result.exit_code == 0
    assert result.stderr == (
        f"runledger: run {run_id} recorded no inputs or artifacts "
        "(exec --input PATH / --output PATH record them)\n"
    )
    assert repo.cli("verify", run_id, "--json").json() == {"run": run_id, "same": True, "files": []}


def test_verify_of_an_unknown_run_is_one_line(repo: Repo) -> None:
    result = repo.cli("verify", "zzzz")
    assert result.exit_code == 1
    assert result.stderr == (
        "runledger: error: no run matches 'zzzz': see 'runledger ls' for run ids\n"
    )


def test_verify_checks_a_record_known_by_git_blob_only(repo: Repo) -> None:
    content = b"tracked weights\n"
    repo.write("weights.bin", content.decode())
    repo.commit_all("weights")
    blob = repo.git("rev-parse", "HEAD:weights.bin").strip()
    record(
        repo,
        "6g00000000cccccc",
        [FileRecord("weights.bin", len(content), git_blob=blob).to_dict()],
        [],
    )
    assert verify_json(repo, "6g00000000cccccc") == (0, [("input", "weights.bin", "same")])
    repo.write("weights.bin", content.decode().upper())
    assert verify_json(repo, "6g00000000cccccc") == (1, [("input", "weights.bin", "changed")])


def test_help_describes_every_option() -> None:
    from typer.testing import CliRunner

    from runledger.cli.app import app

    for command in ("which", "verify"):
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "--json" in result.stdout
        assert "Exits 0 when" in " ".join(result.stdout.split())  # help wraps at 80 columns
