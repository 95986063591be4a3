from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.store import hashcache
from runledger.store.hashcache import CHUNK_SIZE, HashCache, cache_path_for, sha256_file
from tests.fuzzing import examples

# sha256 of 1 GiB of zero bytes, as printed by both `sha256sum` and `openssl dgst -sha256`.
ONE_GIB_OF_ZEROS = "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14"
AN_HOUR_AGO_NS = 3_600 * 10**9


def write_old(path: Path, content: bytes) -> Path:
    """A file whose mtime is an hour ago: old enough to be cached (not racily clean)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = os.stat(path).st_mtime_ns - AN_HOUR_AGO_NS
    os.utime(path, ns=(stamp, stamp))
    return path


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    return cache_path_for(tmp_path / "repo" / ".git")


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE])
def test_sha256_file_matches_hashlib_at_chunk_boundaries(tmp_path: Path, size: int) -> None:
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "f.bin"
    path.write_bytes(content)
    assert sha256_file(path) == hashlib.sha256(content).hexdigest()


@settings(deadline=None, max_examples=examples(50))
@given(content=st.binary(max_size=4096))
def test_sha256_file_matches_hashlib_for_any_content(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("h") / "f.bin"
    path.write_bytes(content)
    assert sha256_file(path) == hashlib.sha256(content).hexdigest()


def test_sha256_of_a_one_gib_sparse_file_is_right(tmp_path: Path) -> None:
    # About a second of hashing: the size the users' checkpoints have.
    path = tmp_path / "sparse.bin"
    with open(path, "wb") as stream:
        stream.truncate(1 << 30)
    assert sha256_file(path) == ONE_GIB_OF_ZEROS


def test_a_hash_put_is_found_after_reopening(tmp_path: Path, cache_file: Path) -> None:
    data = write_old(tmp_path / "data.csv", b"a,b\n1,2\n")
    with HashCache(cache_file) as cache:
        assert cache.enabled
        assert cache.get(os.stat(data), data) is None
        cache.put(os.stat(data), data, "f" * 64)
    with HashCache(cache_file) as cache:
        assert cache.get(os.stat(data), data) == "f" * 64
    assert cache_file.is_file()


def test_a_changed_size_or_mtime_misses(tmp_path: Path, cache_file: Path) -> None:
    data = write_old(tmp_path / "data.csv", b"one")
    with HashCache(cache_file) as cache:
        cache.hash_file(data, os.stat(data))
    write_old(data, b"three")
    with HashCache(cache_file) as cache:
        assert cache.get(os.stat(data), data) is None
        assert cache.hash_file(data, os.stat(data)) == hashlib.sha256(b"three").hexdigest()
    stamp = os.stat(data).st_mtime_ns + 1_000
    os.utime(data, ns=(stamp, stamp))
    with HashCache(cache_file) as cache:
        assert cache.get(os.stat(data), data) is None


def test_a_file_written_just_now_is_not_cached(tmp_path: Path, cache_file: Path) -> None:
    # Within the mtime granularity of some filesystems a same-size rewrite keeps the mtime.
    data = tmp_path / "fresh.bin"
    data.write_bytes(b"fresh")
    with HashCache(cache_file) as cache:
        assert cache.hash_file(data, os.stat(data)) == hashlib.sha256(b"fresh").hexdigest()
    with HashCache(cache_file) as cache:
        assert cache.get(os.stat(data), data) is None


def test_the_cache_returns_the_stored_hash_without_reading(
    tmp_path: Path, cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_old(tmp_path / "weights.bin", b"v1" * 100)
    with HashCache(cache_file) as cache:
        first = cache.hash_file(data, os.stat(data))
    reads: list[Path] = []

    def counting_sha256_file(path: Path) -> str:
        reads.append(path)
        return ""

    monkeypatch.setattr(hashcache, "sha256_file", counting_sha256_file)
    with HashCache(cache_file) as cache:
        assert cache.hash_file(data, os.stat(data)) == first
    assert reads == []


def test_a_corrupt_cache_file_is_recreated(tmp_path: Path, cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"this is not sqlite" * 500)
    data = write_old(tmp_path / "data.csv", b"x")
    with HashCache(cache_file) as cache:
        assert cache.enabled, cache.disabled_reason
        cache.hash_file(data, os.stat(data))
    with HashCache(cache_file) as cache:
        assert cache.get(os.stat(data), data) == hashlib.sha256(b"x").hexdigest()


def test_a_locked_cache_degrades_to_hashing_without_it(tmp_path: Path, cache_file: Path) -> None:
    data = write_old(tmp_path / "data.csv", b"locked")
    with HashCache(cache_file):
        pass
    holder = sqlite3.connect(cache_file, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with HashCache(cache_file, timeout_s=0.05) as cache:
            assert cache.hash_file(data, os.stat(data)) == hashlib.sha256(b"locked").hexdigest()
            assert not cache.enabled
            assert "locked" in (cache.disabled_reason or "")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cache_file.is_file(), "a locked cache is not corrupt and must not be deleted"


def test_a_cache_that_cannot_be_created_is_simply_not_used(tmp_path: Path) -> None:
    blocker = tmp_path / "git"
    blocker.write_text("a file where the cache folder should be")
    data = write_old(tmp_path / "data.csv", b"y")
    with HashCache(cache_path_for(blocker)) as cache:
        assert not cache.enabled
        assert cache.hash_file(data, os.stat(data)) == hashlib.sha256(b"y").hexdigest()


def test_a_cache_of_another_schema_is_dropped(tmp_path: Path, cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    old = sqlite3.connect(cache_file)
    old.execute("CREATE TABLE file_hashes (path TEXT)")
    old.execute("PRAGMA user_version = 99")
    old.commit()
    old.close()
    data = write_old(tmp_path / "data.csv", b"z")
    with HashCache(cache_file) as cache:
        cache.hash_file(data, os.stat(data))
    with HashCache(cache_file) as cache:
        assert cache.get(os.stat(data), data) == hashlib.sha256(b"z").hexdigest()


def hash_into_cache(cache_file: str, paths: list[str]) -> None:
    with HashCache(Path(cache_file), timeout_s=10.0) as cache:
        for name in paths:
            cache.hash_file(Path(name), os.stat(name))
        cache.flush()
        if not cache.enabled:
            raise SystemExit(f"cache disabled: {cache.disabled_reason}")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_concurrent_processes_hash_into_one_new_cache(tmp_path: Path, cache_file: Path) -> None:
    # Four processes open a cache that does not exist yet: creating it races too.
    shared = [write_old(tmp_path / "shared" / f"{i}.txt", f"s{i}".encode()) for i in range(50)]
    own = [
        [write_old(tmp_path / f"p{p}" / f"{i}.txt", f"{p}-{i}".encode()) for i in range(100)]
        for p in range(4)
    ]
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(
            target=hash_into_cache, args=(str(cache_file), [str(x) for x in files + shared])
        )
        for files in own
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    with HashCache(cache_file) as cache:
        for path in [*shared, *(path for files in own for path in files)]:
            expected = hashlib.sha256(path.read_bytes()).hexdigest()
            assert cache.get(os.stat(path), path) == expected


def test_sha256_file_agrees_with_sha256sum(tmp_path: Path) -> None:
    path = tmp_path / "mixed.bin"
    path.write_bytes(os.urandom(CHUNK_SIZE * 2 + 12345))
    try:
        printed = subprocess.run(
            ["sha256sum", str(path)], capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        pytest.skip("sha256sum is not installed")
    assert sha256_file(path) == printed.split()[0]


def test_the_hashes_of_many_files_are_written_in_one_transaction(
    tmp_path: Path, cache_file: Path
) -> None:
    """The connection autocommits: without an explicit transaction each row of a flush was
    a commit of its own."""
    files = [write_old(tmp_path / "data" / f"part-{n}.csv", b"%d" % n) for n in range(20)]
    with HashCache(cache_file) as cache:
        for path in files:
            cache.put(os.stat(path), path, "e" * 64)
        assert cache._connection is not None
        statements: list[str] = []
        cache._connection.set_trace_callback(statements.append)
        cache.flush()
        cache._connection.set_trace_callback(None)
    writes = [s for s in statements if s.startswith(("INSERT", "BEGIN", "COMMIT"))]
    assert writes[0] == "BEGIN IMMEDIATE" and writes[-1] == "COMMIT" and len(writes) == 22
    with HashCache(cache_file) as cache:
        assert all(cache.get(os.stat(path), path) == "e" * 64 for path in files)
