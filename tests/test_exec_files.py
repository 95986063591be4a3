"""exec --input / --output through the real CLI: what data went in, which files came out."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture import pointers
from tests.conftest import Repo

PY = sys.executable
AN_HOUR_NS = 3_600 * 10**9


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def put(repo: Repo, name: str, content: bytes, age_ns: int = AN_HOUR_NS) -> Path:
    """A file whose mtime lies in the past, so the hash cache may keep its hash."""
    path = repo.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = os.stat(path).st_mtime_ns - age_ns
    os.utime(path, ns=(stamp, stamp))
    return path


def latest(repo: Repo) -> dict[str, Any]:
    run_id = repo.runs_json()[0]["id"]
    result = repo.cli("show", run_id, "--json")
    assert result.exit_code == 0, result.stderr
    return dict(result.json())


def by_path(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["path"]: record for record in records}


def exec_(repo: Repo, *args: str, cwd: Path | None = None) -> Any:
    result = repo.cli("exec", *args, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    return result


# --- inputs ---------------------------------------------------------------------------------


def test_an_ignored_data_folder_is_recorded_file_by_file(repo: Repo) -> None:
    put(repo, "data/train/a.csv", b"x,y\n1,2\n")
    put(repo, "data/train/part/b.csv", b"x,y\n3,4\n")
    put(repo, "data/test.csv", b"x,y\n5,6\n")
    before = repo.state()
    exec_(repo, "--input", "data", PY, "-c", "pass")
    assert repo.state() == before
    run = latest(repo)
    assert run["inputs"] == [
        {"path": "data/test.csv", "size": 8, "sha256": sha(b"x,y\n5,6\n"), "kind": "file"},
        {"path": "data/train/a.csv", "size": 8, "sha256": sha(b"x,y\n1,2\n"), "kind": "file"},
        {"path": "data/train/part/b.csv", "size": 8, "sha256": sha(b"x,y\n3,4\n"), "kind": "file"},
    ]
    assert run["artifacts"] == []
    assert (run["input_paths"], run["output_paths"]) == (["data"], [])
    assert len(run["inputs_digest"]) == 64
    assert repo.runs_json()[0]["inputs_digest"] == run["inputs_digest"]
    ref = f"refs/runledger/runs/{run['id']}"
    assert f'inputs_digest = "{run["inputs_digest"]}"' in repo.git("show", f"{ref}:run.toml")
    assert sha(b"x,y\n1,2\n") in repo.git("show", f"{ref}:files.toml")


def test_the_digest_names_the_data_version(repo: Repo) -> None:
    put(repo, "data/a.csv", b"v1")
    exec_(repo, "--input", "data", PY, "-c", "pass")
    first = latest(repo)["inputs_digest"]
    (repo.path / "data" / "empty" / "emptier").mkdir(parents=True)
    exec_(repo, "--input", "data/", PY, "-c", "pass")
    assert latest(repo)["inputs_digest"] == first  # empty folders are not data
    put(repo, "data/a.csv", b"v2")
    exec_(repo, "--input", "./data", PY, "-c", "pass")
    assert latest(repo)["inputs_digest"] != first


def test_inputs_are_hashed_before_the_command_starts(repo: Repo) -> None:
    put(repo, "data/a.csv", b"before")
    exec_(repo, "--input", "data/a.csv", PY, "-c", "open('data/a.csv', 'w').write('after!')")
    assert (repo.path / "data" / "a.csv").read_bytes() == b"after!"
    assert latest(repo)["inputs"][0]["sha256"] == sha(b"before")


def test_a_tracked_input_gets_its_git_blob_id(repo: Repo) -> None:
    repo.write("configs/base.yaml", "lr: 0.1\n")
    repo.commit_all("config")
    exec_(repo, "--input", "configs", PY, "-c", "pass")
    [record] = latest(repo)["inputs"]
    assert record["path"] == "configs/base.yaml"
    assert record["git_blob"] == repo.git("rev-parse", "HEAD:configs/base.yaml").strip()
    assert record["sha256"] == sha(b"lr: 0.1\n")


def test_a_tracked_file_whose_bytes_are_not_its_blob_is_hashed_instead(repo: Repo) -> None:
    # With eol=crlf the work tree holds CRLF while git's blob holds LF, as a git-lfs file
    # holds the data while the blob is a pointer: the blob id would not name the bytes read.
    repo.write(".gitattributes", "*.txt text eol=crlf\n")
    repo.write("labels.txt", "cat\ndog\n")
    repo.commit_all("labels")
    (repo.path / "labels.txt").unlink()
    repo.git("checkout", "--", "labels.txt")
    assert (repo.path / "labels.txt").read_bytes() == b"cat\r\ndog\r\n"
    exec_(repo, "--input", "labels.txt", PY, "-c", "pass")
    assert latest(repo)["inputs"] == [
        {"path": "labels.txt", "size": 10, "sha256": sha(b"cat\r\ndog\r\n"), "kind": "file"}
    ]


def test_a_moderately_sized_input_end_to_end(repo: Repo) -> None:
    content = os.urandom(3 << 20) * 3  # 9 MiB: several hashing chunks
    put(repo, "data/shard.bin", content)
    proc = repo.run("exec", "--input", "data/shard.bin", PY, "-c", "pass")
    assert proc.returncode == 0, proc.stderr
    assert latest(repo)["inputs"] == [
        {"path": "data/shard.bin", "size": len(content), "sha256": sha(content), "kind": "file"}
    ]


def test_paths_are_relative_to_the_working_directory_and_recorded_from_the_root(
    repo: Repo,
) -> None:
    put(repo, "data/a.csv", b"a")
    (repo.path / "src").mkdir()
    exec_(repo, "--input", "../data", "--input", ".", PY, "-c", "pass", cwd=repo.path / "src")
    run = latest(repo)
    assert [r["path"] for r in run["inputs"]] == ["data/a.csv"]
    assert run["input_paths"] == ["data", "src"]


def test_symlinks_are_recorded_as_links_and_never_followed(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "private").mkdir(parents=True)
    (outside / "private" / "huge.bin").write_bytes(b"h" * 1000)
    put(repo, "data/real.csv", b"real")
    (repo.path / "data" / "alias.csv").symlink_to("real.csv")
    (repo.path / "data" / "mounted").symlink_to(outside / "private")
    exec_(repo, "--input", "data", PY, "-c", "pass")
    inputs = by_path(latest(repo)["inputs"])
    assert sorted(inputs) == ["data/alias.csv", "data/mounted", "data/real.csv"]
    assert inputs["data/alias.csv"] == {
        "path": "data/alias.csv",
        "size": len("real.csv"),
        "sha256": None,
        "kind": "symlink",
        "link_target": "real.csv",
    }
    assert inputs["data/mounted"]["link_target"] == str(outside / "private")


def test_empty_folder_input_records_no_files_but_a_digest(repo: Repo) -> None:
    (repo.path / "data" / "nothing").mkdir(parents=True)
    exec_(repo, "--input", "data/nothing", PY, "-c", "pass")
    run = latest(repo)
    assert run["inputs"] == []
    assert run["inputs_digest"] == sha(b"")


def test_a_missing_input_refuses_the_run_before_it_starts(repo: Repo) -> None:
    before = repo.state()
    proc = repo.run("exec", "--input", "data/nope.csv", PY, "-c", "open('ran', 'w')")
    assert proc.returncode == 1
    assert (
        proc.stderr.decode() == "runledger: error: --input data/nope.csv: no such file or folder\n"
    )
    assert not (repo.path / "ran").exists()
    assert repo.run_ids() == []
    assert repo.state() == before


def test_a_relative_path_outside_the_repository_is_refused(repo: Repo, tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "d.csv").write_text("d")
    result = repo.cli("exec", "--input", "../shared", PY, "-c", "open('ran', 'w')")
    assert result.exit_code == 1
    absolute = (tmp_path / "shared").resolve()
    assert result.stderr == (
        f"runledger: error: --input ../shared is outside the repository {repo.path.resolve()}; "
        f"pass it as an absolute path ({absolute}) to record it anyway\n"
    )
    assert not (repo.path / "ran").exists()
    assert repo.run_ids() == []


def test_an_absolute_path_outside_the_repository_is_recorded_as_such(
    repo: Repo, tmp_path: Path
) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "d.csv").write_text("d")
    exec_(repo, "--input", str(tmp_path / "shared"), PY, "-c", "pass")
    [record] = latest(repo)["inputs"]
    assert record["path"] == (tmp_path / "shared" / "d.csv").resolve().as_posix()
    assert record["sha256"] == sha(b"d")


def test_the_second_run_over_the_same_data_reads_it_from_the_cache(repo: Repo) -> None:
    data = put(repo, "data/a.bin", b"version-1")
    exec_(repo, "--input", "data", PY, "-c", "pass")
    assert latest(repo)["inputs"][0]["sha256"] == sha(b"version-1")
    assert (repo.path / ".git" / "runledger" / "hashcache.sqlite").is_file()

    # Change the bytes behind the cache's back, keeping size, mtime and inode: a run that
    # read the file would record the new content; one that trusts the cache, the old one.
    kept = os.stat(data)
    with open(data, "r+b") as stream:
        stream.write(b"version-2")
    os.utime(data, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    exec_(repo, "--input", "data", PY, "-c", "pass")
    assert latest(repo)["inputs"][0]["sha256"] == sha(b"version-1")

    (repo.path / ".git" / "runledger" / "hashcache.sqlite").unlink()
    exec_(repo, "--input", "data", PY, "-c", "pass")
    assert latest(repo)["inputs"][0]["sha256"] == sha(b"version-2")


def test_a_broken_cache_is_one_warning_and_the_run_goes_on(repo: Repo) -> None:
    put(repo, "data/a.bin", b"a")
    cache = repo.path / ".git" / "runledger" / "hashcache.sqlite"
    cache.mkdir(parents=True)  # a folder where the database should be
    result = exec_(repo, "--input", "data", "--output", "out", PY, "-c", "pass")
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        f"runledger: warning: hash cache {cache} not used: unable to open database file"
    ]
    assert latest(repo)["inputs"][0]["sha256"] == sha(b"a")


# --- outputs --------------------------------------------------------------------------------

WRITE_MODEL_CODE = "open('model.ckpt', 'w').write('weights')"
WRITE_OUTPUTS = """
import os, sys
os.makedirs('out/ckpt', exist_ok=True)
open('out/changed.txt', 'w').write('after, longer')
open('out/ckpt/model.pt', 'wb').write(b'weights')
os.symlink('ckpt/model.pt', 'out/latest')
sys.exit(int(sys.argv[1]))
"""


def test_outputs_created_or_changed_during_the_run_are_recorded(repo: Repo) -> None:
    put(repo, "out/kept.txt", b"kept")
    put(repo, "out/changed.txt", b"before")
    repo.write("write.py", WRITE_OUTPUTS)
    repo.write(".gitignore", "data/\nout/\n")
    repo.commit_all("script")
    exec_(repo, "--output", "out", PY, "write.py", "0")
    run = latest(repo)
    artifacts = by_path(run["artifacts"])
    assert sorted(artifacts) == ["out/changed.txt", "out/ckpt/model.pt", "out/latest"]
    model = artifacts["out/ckpt/model.pt"]
    assert (model["size"], model["sha256"]) == (7, sha(b"weights"))
    assert model["mtime"] == os.stat(repo.path / "out" / "ckpt" / "model.pt").st_mtime_ns / 1e9
    assert artifacts["out/changed.txt"]["sha256"] == sha(b"after, longer")
    assert artifacts["out/latest"]["kind"] == "symlink"
    assert artifacts["out/latest"]["link_target"] == "ckpt/model.pt"
    assert run["inputs"] == [] and run["inputs_digest"] is None
    assert (run["input_paths"], run["output_paths"]) == ([], ["out"])
    ref = f"refs/runledger/runs/{run['id']}"
    tree = repo.git("ls-tree", "-r", "--name-only", ref)
    assert "model.pt" not in tree and "weights" not in repo.git("show", f"{ref}:files.toml")


def test_a_failed_run_still_records_its_artifacts(repo: Repo) -> None:
    repo.write("write.py", WRITE_OUTPUTS)
    repo.write(".gitignore", "data/\nout/\n")
    repo.commit_all("script")
    proc = repo.run("exec", "--output", "out", PY, "write.py", "3")
    assert proc.returncode == 3
    run = latest(repo)
    assert run["status"] == "failed"
    assert "out/ckpt/model.pt" in by_path(run["artifacts"])


def test_a_run_killed_by_a_signal_still_records_its_artifacts(repo: Repo) -> None:
    code = (
        "import os, signal\n"
        "open('model.ckpt', 'w').write('partial')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = repo.run("exec", "--output", "model.ckpt", PY, "-c", code)
    assert proc.returncode == 128 + 9
    [artifact] = latest(repo)["artifacts"]
    assert (artifact["path"], artifact["sha256"]) == ("model.ckpt", sha(b"partial"))


def test_ctrl_c_while_outputs_are_hashed_still_records_the_run(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pointers, "collect_artifacts", interrupted)
    result = repo.cli("exec", "--output", "model.ckpt", PY, "-c", WRITE_MODEL_CODE)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        "runledger: warning: interrupted while hashing the outputs; "
        "the run is recorded without artifacts"
    )
    run = latest(repo)
    assert (run["status"], run["artifacts"], run["output_paths"]) == ("ok", [], ["model.ckpt"])


def test_an_output_outside_the_repository_is_refused_unless_absolute(
    repo: Repo, tmp_path: Path
) -> None:
    result = repo.cli("exec", "--output", "../scratch", PY, "-c", "open('ran', 'w')")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "runledger: error: --output ../scratch is outside the repository"
    )
    assert not (repo.path / "ran").exists()
    target = tmp_path / "scratch" / "w.pt"
    exec_(
        repo,
        "--output",
        str(tmp_path / "scratch"),
        PY,
        "-c",
        f"import os; os.makedirs({str(target.parent)!r}); open({str(target)!r}, 'w').write('w')",
    )
    assert [a["path"] for a in latest(repo)["artifacts"]] == [target.resolve().as_posix()]


def test_show_lists_inputs_and_artifacts(repo: Repo) -> None:
    put(repo, "data/train.csv", b"t")
    (repo.path / "data" / "link").symlink_to("train.csv")
    exec_(
        repo,
        "--input",
        "data",
        "--output",
        "model.ckpt",
        PY,
        "-c",
        "open('model.ckpt', 'w').write('m')",
    )
    shown = repo.cli("show", repo.runs_json()[0]["id"]).stdout
    inputs_at, artifacts_at = shown.index("\ninputs"), shown.index("\nartifacts")
    assert inputs_at < shown.index("data/train.csv") < artifacts_at < shown.rindex("model.ckpt")
    assert sha(b"t")[:16] in shown and sha(b"m")[:16] in shown
    assert "-> train.csv" in shown
