"""Store throughput: runledger's upload (store push) and download (get) against a plain fsspec
copy of the same files to and from the same store.

Run from the repository root:  python benchmarks/bench_store.py [--files 16] [--size-mib 16]

One run records --files artifacts of --size-mib each (random bytes, so nothing deduplicates).
For each store (S3 through moto's server, in a process of its own on 127.0.0.1, and a file://
folder), each trial copies the files to a fresh prefix: plain ``fs.put(files, prefix)`` /
``fs.get(prefix, dir)`` against ``push_runs`` / ``get_files`` (sha256 checks, manifest and
all), interleaved; the medians of --repeats trials are printed with runledger's share of
the plain throughput.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runledger.analysis.transfers import get_files, plan_get, push_runs  # noqa: E402
from runledger.store import git  # noqa: E402
from runledger.store.artifacts import ObjectStore  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402

WRITE_FILES = (
    "import os, sys\n"
    "os.makedirs('models', exist_ok=True)\n"
    "for i in range(int(sys.argv[1])):\n"
    "    with open(f'models/part-{i:03d}.bin', 'wb') as out:\n"
    "        for _ in range(int(sys.argv[2])):\n"
    "            out.write(os.urandom(1 << 20))\n"
)


def record_run(root: Path, files: int, size_mib: int) -> tuple[git.Repo, str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "init"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    (root / ".git" / "info" / "exclude").write_text("models/\n")
    command = [sys.executable, "-m", "runledger", "exec", "--output", "models", "--"]
    command += [sys.executable, "-c", WRITE_FILES, str(files), str(size_mib)]
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    subprocess.run(command, cwd=root, check=True, env=env, capture_output=True)
    repo = git.discover(root)
    [ref] = Ledger(repo).run_refs()
    return repo, ref.id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"moto's server did not start on port {port}")


def timed(action: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def measure(
    name: str, base_url: str, repo: git.Repo, run_id: str, repeats: int, total: int
) -> None:
    import fsspec

    fs, base = fsspec.core.url_to_fs(base_url, skip_instance_cache=True)
    files = sorted(str(path) for path in (repo.root / "models").iterdir())
    run = Ledger(repo).read(run_id)
    plain_up: list[float] = []
    plain_down: list[float] = []
    ours_up: list[float] = []
    ours_down: list[float] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-store-out-"))
    for trial in range(repeats):
        prefix = f"{base}/plain-{trial}"
        fs.makedirs(prefix, exist_ok=True)  # a local folder must exist; a no-op on S3
        plain_up.append(timed(fs.put, files, prefix + "/"))
        out = scratch / f"plain-{trial}"
        out.mkdir()
        plain_down.append(timed(fs.get, prefix + "/", f"{out}/", recursive=True))

        store = ObjectStore.open(f"{base_url}/ours-{trial}")
        ours_up.append(timed(push_runs, repo, store, [run_id], jobs=8))
        wanted = plan_get(run, [], scratch / f"ours-{trial}", include_inputs=False)
        ours_down.append(timed(get_files, repo, store, wanted, jobs=8))
        shutil.rmtree(scratch / f"plain-{trial}")
        shutil.rmtree(scratch / f"ours-{trial}")
    shutil.rmtree(scratch)

    def rate(seconds: list[float]) -> float:
        return total / statistics.median(seconds) / 1e6

    for label, plain, ours in (("upload", plain_up, ours_up), ("download", plain_down, ours_down)):
        share = rate(ours) / rate(plain) * 100
        print(
            f"{name:4} {label:8}  fsspec {rate(plain):7.1f} MB/s   runledger {rate(ours):7.1f} "
            f"MB/s   {share:5.1f}% of plain"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--size-mib", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--store", choices=("s3", "file", "both"), default="both")
    options = parser.parse_args()
    total = options.files * options.size_mib * (1 << 20)
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        project = work / "project"
        project.mkdir()
        repo, run_id = record_run(project, options.files, options.size_mib)
        print(f"{options.files} files x {options.size_mib} MiB, median of {options.repeats}")
        if options.store in ("file", "both"):
            measure("file", (work / "store").as_uri(), repo, run_id, options.repeats, total)
        if options.store in ("s3", "both"):
            import boto3

            # moto in a process of its own, so the server does not share the client's GIL.
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.environ.update(
                AWS_ACCESS_KEY_ID="bench",
                AWS_SECRET_ACCESS_KEY="bench",
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            )
            try:
                wait_for(port)
                boto3.client("s3").create_bucket(Bucket="bench-bucket")
                measure("s3", "s3://bench-bucket/runledger", repo, run_id, options.repeats, total)
            finally:
                server.terminate()
                server.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
