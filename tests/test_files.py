from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.errors import UserError
from runledger.recording.capture import files
from runledger.recording.capture.files import (
    FileRecord,
    collect_artifacts,
    hash_inputs,
    input_digest,
    lookup_digests,
    snapshot,
    verify,
)
from runledger.store import hashcache
from runledger.store.hashcache import HashCache, cache_path_for, sha256_file
from tests.fuzzing import examples

AN_HOUR_NS = 3_600 * 10**9


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write(path: Path, content: bytes, age_ns: int = AN_HOUR_NS) -> Path:
    """Write a file whose mtime lies age_ns in the past (so the cache may keep its hash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = os.stat(path).st_mtime_ns - age_ns
    os.utime(path, ns=(stamp, stamp))
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def paths_of(records: tuple[FileRecord, ...] | list[FileRecord]) -> list[str]:
    return [record.path for record in records]


# --- inputs -------------------------------------------------------------------------------


def test_files_and_nested_folders_are_recorded_relative_to_the_repo(repo: Path) -> None:
    write(repo / "data" / "train" / "a.csv", b"a")
    write(repo / "data" / "train" / "deep" / "b.csv", b"bb")
    write(repo / "data" / "test.csv", b"ccc")
    write(repo / "config.yaml", b"lr: 1")
    inputs = hash_inputs(["data", "config.yaml"], repo, repo, cache=None)
    assert paths_of(inputs.files) == [
        "config.yaml",
        "data/test.csv",
        "data/train/a.csv",
        "data/train/deep/b.csv",
    ]
    by_path = {record.path: record for record in inputs.files}
    assert by_path["data/train/deep/b.csv"] == FileRecord("data/train/deep/b.csv", 2, sha(b"bb"))
    assert all(record.mtime is None and record.kind == "file" for record in inputs.files)


def test_paths_are_taken_relative_to_the_working_directory(repo: Path) -> None:
    write(repo / "src" / "data" / "x.bin", b"x")
    write(repo / "shared.txt", b"s")
    inputs = hash_inputs(["data", "../shared.txt"], repo / "src", repo, cache=None)
    assert paths_of(inputs.files) == ["shared.txt", "src/data/x.bin"]


def test_a_path_named_twice_is_recorded_once(repo: Path) -> None:
    write(repo / "data" / "a.csv", b"a")
    inputs = hash_inputs(["data", "data/a.csv", "./data/"], repo, repo, cache=None)
    assert paths_of(inputs.files) == ["data/a.csv"]


def test_git_folders_are_never_recorded(repo: Path) -> None:
    write(repo / ".git" / "HEAD", b"ref: refs/heads/main\n")
    write(repo / "vendor" / "lib" / ".git" / "config", b"[core]")
    write(repo / "vendor" / "lib" / "code.py", b"pass")
    inputs = hash_inputs(["."], repo, repo, cache=None)
    assert paths_of(inputs.files) == ["vendor/lib/code.py"]


def test_symlinks_are_recorded_as_links_and_not_followed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "secret-dataset" / "huge.bin", b"h" * 100)
    write(repo / "data" / "real.csv", b"real")
    (repo / "data" / "alias.csv").symlink_to("real.csv")
    (repo / "data" / "external").symlink_to(outside / "secret-dataset")
    inputs = hash_inputs(["data"], repo, repo, cache=None)
    assert paths_of(inputs.files) == ["data/alias.csv", "data/external", "data/real.csv"]
    links = {record.path: record for record in inputs.files if record.kind == "symlink"}
    assert links["data/alias.csv"].link_target == "real.csv"
    assert links["data/external"].link_target == str(outside / "secret-dataset")
    assert all(record.sha256 is None for record in links.values())


def test_a_link_named_directly_is_recorded_as_a_link(repo: Path, tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "f.bin", b"f")
    (repo / "data").symlink_to(tmp_path / "elsewhere")
    inputs = hash_inputs(["data"], repo, repo, cache=None)
    assert [(r.path, r.kind) for r in inputs.files] == [("data", "symlink")]


def test_a_relative_path_outside_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    write(tmp_path / "other" / "data.csv", b"d")
    with pytest.raises(UserError) as raised:
        hash_inputs(["../other/data.csv"], repo, repo, cache=None)
    message = str(raised.value)
    assert "--input ../other/data.csv is outside the repository" in message
    assert str(tmp_path / "other" / "data.csv") in message


def test_a_path_through_a_link_out_of_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    write(tmp_path / "other" / "data.csv", b"d")
    (repo / "mnt").symlink_to(tmp_path / "other")
    with pytest.raises(UserError, match="outside the repository"):
        hash_inputs(["mnt/data.csv"], repo, repo, cache=None)


def test_an_absolute_path_outside_the_repository_is_recorded_absolutely(
    repo: Path, tmp_path: Path
) -> None:
    data = write(tmp_path / "datasets" / "mnist.npz", b"mnist")
    inputs = hash_inputs([str(data)], repo, repo, cache=None)
    assert inputs.files == (FileRecord(data.resolve().as_posix(), 5, sha(b"mnist")),)


def test_allow_outside_records_relative_paths_outside_too(repo: Path, tmp_path: Path) -> None:
    write(tmp_path / "other" / "data.csv", b"d")
    inputs = hash_inputs(["../other"], repo, repo, cache=None, allow_outside=True)
    assert paths_of(inputs.files) == [(tmp_path / "other" / "data.csv").resolve().as_posix()]


def test_an_absolute_path_inside_the_repository_is_recorded_relatively(repo: Path) -> None:
    data = write(repo / "data.csv", b"d")
    inputs = hash_inputs([str(data)], repo / ".git", repo, cache=None)
    assert paths_of(inputs.files) == ["data.csv"]


def test_a_missing_input_is_named(repo: Path) -> None:
    with pytest.raises(UserError, match=r"^--input data/nope\.csv: no such file or folder$"):
        hash_inputs(["data/nope.csv"], repo, repo, cache=None)


def refuse_to_read(path: str | Path) -> str:
    # chmod 0 does not stop root (the CI containers run as root), so the refusal is simulated.
    raise PermissionError(13, "Permission denied", str(path))


def test_an_unreadable_input_is_named(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "data" / "locked.csv", b"l")
    monkeypatch.setattr(files, "sha256_file", refuse_to_read)
    with pytest.raises(UserError, match="--input data: cannot read .*locked.csv"):
        hash_inputs(["data"], repo, repo, cache=None)


def test_empty_folders_record_nothing_and_leave_the_digest_alone(repo: Path) -> None:
    write(repo / "data" / "a.csv", b"a")
    before = hash_inputs(["data"], repo, repo, cache=None)
    (repo / "data" / "empty" / "emptier").mkdir(parents=True)
    (repo / "nothing").mkdir()
    after = hash_inputs(["data", "nothing"], repo, repo, cache=None)
    assert after == before


def test_fifos_are_skipped(repo: Path) -> None:
    write(repo / "data" / "a.csv", b"a")
    os.mkfifo(repo / "data" / "pipe")
    inputs = hash_inputs(["data"], repo, repo, cache=None)
    assert paths_of(inputs.files) == ["data/a.csv"]


@settings(deadline=None, max_examples=examples(25))
@given(
    contents=st.dictionaries(
        st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6}){0,2}", fullmatch=True),
        st.binary(max_size=64),
        min_size=1,
        max_size=8,
    ),
    order=st.randoms(use_true_random=False),
)
def test_the_digest_does_not_depend_on_creation_order(
    tmp_path_factory: pytest.TempPathFactory, contents: dict[str, bytes], order: object
) -> None:
    names = sorted(contents)
    # A name that is also a folder of another ("a" and "a/b") cannot exist on disk.
    names = [n for n in names if not any(m.startswith(n + "/") for m in names)]
    shuffled = list(names)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    digests = []
    for sequence in (names, shuffled):
        root = tmp_path_factory.mktemp("repo")
        for name in sequence:
            write(root / "in" / name, contents[name])
        digests.append(hash_inputs(["in"], root, root, cache=None).digest)
    assert digests[0] == digests[1]


def test_the_digest_changes_with_content_path_or_size(repo: Path) -> None:
    base = [FileRecord("a", 1, sha(b"a")), FileRecord("b", 1, sha(b"b"))]
    digest = input_digest(base)
    assert input_digest(list(reversed(base))) == digest
    assert input_digest([base[0], FileRecord("b", 1, sha(b"c"))]) != digest
    assert input_digest([base[0], FileRecord("c", 1, sha(b"b"))]) != digest
    assert input_digest([base[0], FileRecord("b", 2, sha(b"b"))]) != digest
    assert input_digest(base[:1]) != digest


# --- tracked files --------------------------------------------------------------------------


def git_blob_of(repo: Path, relative: str) -> str:
    return subprocess.run(
        ["git", "hash-object", relative], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_small_tracked_file_gets_both_its_git_blob_and_sha256(repo: Path) -> None:
    write(repo / "configs" / "base.yaml", b"lr: 0.1\n")
    blob = git_blob_of(repo, "configs/base.yaml")
    inputs = hash_inputs(["configs"], repo, repo, None, tracked={"configs/base.yaml": (blob, 8)})
    assert inputs.files == (FileRecord("configs/base.yaml", 8, sha(b"lr: 0.1\n"), git_blob=blob),)


def test_a_large_tracked_file_is_not_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "data.bin", b"d" * 1000)
    blob = git_blob_of(repo, "data.bin")
    monkeypatch.setattr(files, "TRACKED_HASH_LIMIT", 999)
    monkeypatch.setattr(files, "sha256_file", lambda path: pytest.fail(f"read {path}"))
    inputs = hash_inputs(["data.bin"], repo, repo, None, tracked={"data.bin": (blob, 1000)})
    assert inputs.files == (FileRecord("data.bin", 1000, git_blob=blob),)


def test_a_tracked_file_of_another_size_than_its_blob_is_hashed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A git-lfs file: git's blob is the small pointer, the work tree holds the real bytes.
    write(repo / "model.bin", b"w" * 1000)
    monkeypatch.setattr(files, "TRACKED_HASH_LIMIT", 999)
    inputs = hash_inputs(["model.bin"], repo, repo, None, tracked={"model.bin": ("ab" * 20, 130)})
    assert inputs.files == (FileRecord("model.bin", 1000, sha(b"w" * 1000)),)


def test_a_record_with_only_a_git_blob_verifies_and_is_found(repo: Path) -> None:
    data = write(repo / "data.bin", b"d" * 1000)
    record = FileRecord("data.bin", 1000, git_blob=git_blob_of(repo, "data.bin"))
    assert verify([record], repo, None) == [(record, "same")]
    assert record.matches(lookup_digests(data))
    write(data, b"e" * 1000)
    assert verify([record], repo, None) == [(record, "changed")]
    assert not record.matches(lookup_digests(data))


# --- the cache ------------------------------------------------------------------------------


def test_a_warm_cache_does_not_read_two_thousand_files_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(2000):
        write(repo / "data" / f"{index // 100:02d}" / f"{index:04d}.txt", f"v1-{index}".encode())
    cache_file = cache_path_for(repo / ".git")
    with HashCache(cache_file) as cache:
        cold = hash_inputs(["data"], repo, repo, cache)
    assert len(cold.files) == 2000

    reads: list[Path] = []

    def counting_sha256_file(path: Path) -> str:
        reads.append(path)
        return sha256_file(path)

    monkeypatch.setattr(hashcache, "sha256_file", counting_sha256_file)
    with HashCache(cache_file) as cache:
        warm = hash_inputs(["data"], repo, repo, cache)
    assert warm == cold
    assert reads == []


def test_the_cache_trusts_size_mtime_and_inode_over_content(repo: Path) -> None:
    # Proof that a warm scan does not read: content changed behind the cache's back, with
    # size, mtime and inode kept, still gives the hash stored before.
    data = write(repo / "data" / "a.txt", b"old!")
    cache_file = cache_path_for(repo / ".git")
    with HashCache(cache_file) as cache:
        assert hash_inputs(["data"], repo, repo, cache).files[0].sha256 == sha(b"old!")
    kept = os.stat(data)
    with open(data, "r+b") as stream:
        stream.write(b"new!")
    os.utime(data, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    with HashCache(cache_file) as cache:
        assert hash_inputs(["data"], repo, repo, cache).files[0].sha256 == sha(b"old!")
    assert hash_inputs(["data"], repo, repo, None).files[0].sha256 == sha(b"new!")


# --- outputs --------------------------------------------------------------------------------


def test_only_new_and_changed_outputs_are_recorded(repo: Path) -> None:
    write(repo / "out" / "kept.txt", b"kept")
    write(repo / "out" / "changed.txt", b"before")
    write(repo / "out" / "replaced.bin", b"same size")
    taken = snapshot(["out"], repo, repo)

    write(repo / "out" / "changed.txt", b"after!", age_ns=0)
    write(repo / "out" / "ckpt" / "model.pt", b"weights", age_ns=0)
    kept = os.stat(repo / "out" / "replaced.bin")
    # Replaced atomically with the same size and mtime: only the inode tells.
    write(repo / "out" / "tmp.bin", b"SAME SIZE")
    os.utime(repo / "out" / "tmp.bin", ns=(kept.st_atime_ns, kept.st_mtime_ns))
    os.replace(repo / "out" / "tmp.bin", repo / "out" / "replaced.bin")

    artifacts = collect_artifacts(taken, cache=None)
    assert paths_of(artifacts) == ["out/changed.txt", "out/ckpt/model.pt", "out/replaced.bin"]
    model = artifacts[1]
    assert (model.size, model.sha256) == (7, sha(b"weights"))
    assert model.mtime == pytest.approx(os.stat(repo / "out" / "ckpt" / "model.pt").st_mtime)
    assert artifacts[2].sha256 == sha(b"SAME SIZE")


def test_outputs_that_do_not_exist_yet_are_collected_once_created(repo: Path) -> None:
    taken = snapshot(["runs/exp1", "model.pt"], repo, repo)
    assert taken.before == {}
    write(repo / "runs" / "exp1" / "metrics.json", b"{}", age_ns=0)
    write(repo / "model.pt", b"w", age_ns=0)
    (repo / "runs" / "exp1" / "latest").symlink_to("metrics.json")
    artifacts = collect_artifacts(taken, cache=None)
    assert [(r.path, r.kind) for r in artifacts] == [
        ("model.pt", "file"),
        ("runs/exp1/latest", "symlink"),
        ("runs/exp1/metrics.json", "file"),
    ]
    assert artifacts[1].link_target == "metrics.json"


def test_an_output_that_stays_missing_records_nothing(repo: Path) -> None:
    taken = snapshot(["never-written"], repo, repo)
    assert collect_artifacts(taken, cache=None) == []


def test_an_output_outside_the_repository_is_refused_unless_absolute(
    repo: Path, tmp_path: Path
) -> None:
    with pytest.raises(UserError, match="^--output ../scratch is outside the repository"):
        snapshot(["../scratch"], repo, repo)
    taken = snapshot([str(tmp_path / "scratch")], repo, repo)
    write(tmp_path / "scratch" / "w.pt", b"w", age_ns=0)
    assert paths_of(collect_artifacts(taken, None)) == [
        (tmp_path / "scratch" / "w.pt").resolve().as_posix()
    ]


def test_an_unreadable_artifact_is_reported_not_fatal(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = snapshot(["out"], repo, repo)
    write(repo / "out" / "ok.pt", b"ok", age_ns=0)
    write(repo / "out" / "secret.pt", b"no", age_ns=0)
    monkeypatch.setattr(
        files,
        "sha256_file",
        lambda p: refuse_to_read(p) if os.path.basename(p) == "secret.pt" else sha256_file(p),
    )
    skipped: list[tuple[str, str]] = []
    artifacts = collect_artifacts(taken, None, on_skip=lambda p, why: skipped.append((p, why)))
    assert paths_of(artifacts) == ["out/ok.pt"]
    assert skipped == [("out/secret.pt", "Permission denied")]


# --- verify and lookup ----------------------------------------------------------------------


def test_verify_tells_same_changed_and_missing(repo: Path) -> None:
    write(repo / "a.txt", b"a")
    write(repo / "b.txt", b"b")
    write(repo / "c.txt", b"c")
    (repo / "link").symlink_to("a.txt")
    records = hash_inputs(["a.txt", "b.txt", "c.txt", "link"], repo, repo, cache=None).files
    write(repo / "b.txt", b"B")
    (repo / "c.txt").unlink()
    (repo / "link").unlink()
    (repo / "link").symlink_to("b.txt")
    with HashCache(cache_path_for(repo / ".git")) as cache:
        verdicts = [(r.path, verdict) for r, verdict in verify(records, repo, cache)]
    assert verdicts == [
        ("a.txt", "same"),
        ("b.txt", "changed"),
        ("c.txt", "missing"),
        ("link", "changed"),
    ]


def test_a_file_replaced_by_a_folder_has_changed(repo: Path) -> None:
    record = FileRecord("thing", 1, sha(b"t"))
    (repo / "thing").mkdir()
    assert verify([record], repo, None) == [(record, "changed")]


def test_lookup_gives_sha256_and_size(repo: Path) -> None:
    data = write(repo / "model.pt", b"weights" * 1000)
    digests = lookup_digests(data)
    assert (digests.sha256, digests.size) == (sha(b"weights" * 1000), 7000)
    assert digests.git_blob_sha1 == git_blob_of(repo, "model.pt")
    assert FileRecord("elsewhere/model.pt", 7000, digests.sha256).matches(digests)


# --- storage --------------------------------------------------------------------------------

records_strategy = st.builds(
    FileRecord,
    path=st.text(min_size=1),
    size=st.integers(min_value=0, max_value=2**63 - 1),
    sha256=st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    mtime=st.none() | st.floats(min_value=0, max_value=4e9),
    git_blob=st.none() | st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
    kind=st.sampled_from(["file", "symlink"]),
    link_target=st.none() | st.text(min_size=1),
)


@settings(deadline=None)
@given(record=records_strategy)
def test_records_round_trip_through_their_table(record: FileRecord) -> None:
    table = record.to_dict()
    assert None not in table.values()
    assert FileRecord.from_dict(table) == record


def test_none_fields_are_left_out_of_the_table() -> None:
    assert FileRecord("a", 1, "0" * 64).to_dict() == {
        "path": "a",
        "size": 1,
        "sha256": "0" * 64,
        "kind": "file",
    }


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"path": "a"}, "size must be int"),
        ({"path": "a", "size": "1"}, "size must be int"),
        ({"path": "a", "size": True}, "size must be int"),
        ({"path": "a", "size": 1, "kind": "dir"}, "kind must be file or symlink"),
        ({"path": "a", "size": 1, "colour": "red"}, "unknown keys in a file record: colour"),
        ({"path": "a", "size": 1, "mtime": "noon"}, "mtime must be a number"),
    ],
)
def test_a_bad_table_is_refused_with_its_problem(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        FileRecord.from_dict(table)


def test_an_integer_mtime_from_toml_reads_as_a_float() -> None:
    record = FileRecord.from_dict({"path": "a", "size": 1, "sha256": "0" * 64, "mtime": 7})
    assert record.mtime == 7.0 and isinstance(record.mtime, float)
