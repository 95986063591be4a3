"""How fast runledger hashes files: cold throughput against `sha256sum`, and a warm cache.

Run from the repository root:  python benchmarks/bench_hashing.py [--size-mib 1024]

Cold: sha256_file, hashlib.file_digest and `sha256sum` over the same sparse file (so the disk
is out of the picture and only hashing is measured), interleaved, median of --repeats.
Warm: hash_inputs over --small-files small files with the hash cache, first scan (empty
cache) and then the median of --repeats scans with the cache filled.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runledger.recording.capture.files import hash_inputs  # noqa: E402
from runledger.store.hashcache import HashCache, cache_path_for, sha256_file  # noqa: E402

AN_HOUR_NS = 3_600 * 10**9


def file_digest(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def sha256sum(path: Path) -> str:
    printed = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True)
    return printed.stdout.split()[0]


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def bench_cold(folder: Path, size_mib: int, repeats: int) -> None:
    path = folder / "sparse.bin"
    with open(path, "wb") as stream:
        stream.truncate(size_mib << 20)
    candidates: dict[str, Callable[[Path], str]] = {
        "sha256_file (readinto, 1 MiB)": sha256_file,
        "hashlib.file_digest": file_digest,
    }
    if shutil.which("sha256sum"):
        candidates["sha256sum"] = sha256sum
    seconds: dict[str, list[float]] = {name: [] for name in candidates}
    digests: set[object] = set()
    for _ in range(repeats):
        for name, hasher in candidates.items():
            elapsed, digest = timed(lambda hasher=hasher: hasher(path))  # type: ignore[misc]
            seconds[name].append(elapsed)
            digests.add(digest)
    assert len(digests) == 1, f"the hashers disagree: {digests}"
    print(f"cold, {size_mib} MiB sparse file, median of {repeats} (interleaved):")
    reference = statistics.median(seconds.get("sha256sum", [float("nan")]))
    for name, values in seconds.items():
        median = statistics.median(values)
        ratio = reference / median
        print(
            f"  {name:32s} {size_mib * 1.048576 / median:8.0f} MB/s   "
            f"{median:6.2f} s   {ratio:5.2f}x sha256sum"
        )


def bench_warm(folder: Path, count: int, repeats: int) -> None:
    repo = folder / "repo"
    (repo / ".git").mkdir(parents=True)
    for index in range(count):
        path = repo / "data" / f"{index // 1000:02d}" / f"{index:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"sample {index}\n".encode() * 8)
        # Older than the racy window, as a dataset is by the time a run reads it.
        stamp = os.stat(path).st_mtime_ns - AN_HOUR_NS
        os.utime(path, ns=(stamp, stamp))
    cache_file = cache_path_for(repo / ".git")

    def scan(cache: HashCache | None) -> object:
        return hash_inputs(["data"], repo, repo, cache)

    without, _ = timed(lambda: scan(None))
    with HashCache(cache_file) as cache:
        first, _ = timed(lambda: scan(cache))
    warm: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        with HashCache(cache_file) as cache:
            scan(cache)
        warm.append(time.perf_counter() - start)
    print(f"{count} small files through hash_inputs:")
    print(f"  no cache                      {without:6.2f} s")
    print(f"  empty cache (hash + write)    {first:6.2f} s")
    print(f"  warm cache, median of {repeats}      {statistics.median(warm):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--small-files", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: /tmp)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=arguments.dir, prefix="runledger-bench-") as folder:
        bench_cold(Path(folder), arguments.size_mib, arguments.repeats)
        bench_warm(Path(folder), arguments.small_files, arguments.repeats)


if __name__ == "__main__":
    main()
