"""Store throughput: runledger's upload (store push) and download (get) against a plain fsspec
copy of the same files to and from the same store.

Run from the repository root:

    python benchmarks/bench_store.py [--mixes small,medium,large,mixed] [--repeats 5]

Each file-size mix is one recorded run whose artifacts are random bytes (nothing
deduplicates): ``small`` many small files, ``medium`` 16 files of 16 MiB, ``large`` a few
files above s3fs's multipart and ranged-download thresholds, ``mixed`` small ones and large
ones together. For each store (S3 through moto's server, in a process of its own on
127.0.0.1, and a file:// folder) each trial times, side by side, a plain
``fs.put(files, prefix)`` / ``fs.get(prefix, dir)`` and runledger's ``push_runs`` /
``get_files`` (existence checks, sha256 checks, manifest and all) on the same files; the
store and the manifest's ``pushed_by`` come from ``read_settings`` outside the timing, as
``store push`` reads both with the one ``git config`` it makes for the store's URL. So that
neither side is favoured:

- both start each trial from a filesystem object of their own made for it (outside the
  timing): connections, sessions and listing caches are as cold for one as for the other;
- the order alternates: plain first on even trials, runledger first on odd ones (whichever
  goes second pays for the first one's dirty pages being written back);
- both copy to a fresh prefix, and both prefixes and downloaded folders are deleted after
  each trial (moto keeps objects in memory);
- page cache: warm for both. The source files were just written, and a download reads
  objects just uploaded, so a file:// store measures copying through the page cache, not a
  disk.

The medians of --repeats trials are printed with runledger's share of the plain throughput,
and the lowest and highest share seen, since a shared machine's load moves single trials.
On a machine shared with other work, wall time measures the load as much as the code: each
line also gives the median CPU time each side spent (this process's threads, the git
processes it waited for, and moto's server process on Linux for S3) and runledger's share by
CPU (plain CPU / runledger CPU).
A download that checks every sha256 cannot cost less than copying the bytes and hashing them
(sha256 runs at about half the speed of a kernel copy), so downloads are also compared with
plain's copy followed by a sha256 of the copied files (``hashlib.file_digest``, one thread):
"fsspec + sha256".
The files, the file:// stores and the downloads are in the temporary folder (``TMPDIR``), whose
filesystem the first line names. On an ext4 without a journal (some virtual machines' disks)
each new file or folder skips the inodes freed in the last minute or more, scanning past them
one by one (the kernel's ``recently_deleted``): creating files there costs more the more any
process deleted lately, and swings from trial to trial on a busy machine.
``--before CHECKOUT`` measures an earlier runledger (a ``git worktree add --detach DIR REV``)
as a third side of the same trials, so a change is judged under the same load.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
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

from runledger.analysis.transfers import DEFAULT_JOBS, get_files, plan_get, push_runs  # noqa: E402
from runledger.store import git  # noqa: E402
from runledger.store.artifacts import ObjectStore, read_settings  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402

KIB = 1024
MIB = 1024 * KIB
# name -> [(count, size in bytes)]
MIXES: dict[str, list[tuple[int, int]]] = {
    "small": [(300, 32 * KIB)],
    "medium": [(16, 16 * MIB)],
    "large": [(2, 96 * MIB)],
    "mixed": [(100, 32 * KIB), (2, 48 * MIB)],
}

WRITE_FILES = (
    "import os, sys\n"
    "os.makedirs('models', exist_ok=True)\n"
    "for spec in sys.argv[1:]:\n"
    "    count, size = map(int, spec.split('x'))\n"
    "    for i in range(count):\n"
    "        with open(f'models/{size}-{i:04d}.bin', 'wb') as out:\n"
    "            left = size\n"
    "            while left:\n"
    "                out.write(os.urandom(min(left, 1 << 20)))\n"
    "                left -= min(left, 1 << 20)\n"
)


def describe(mix: list[tuple[int, int]]) -> str:
    def size(n: int) -> str:
        return f"{n // MIB} MiB" if n >= MIB else f"{n // KIB} KiB"

    return " + ".join(f"{count} x {size(nbytes)}" for count, nbytes in mix)


def record_run(root: Path, mix: list[tuple[int, int]]) -> tuple[git.Repo, str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "init"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    (root / ".git" / "info" / "exclude").write_text("models/\n")
    command = [sys.executable, "-m", "runledger", "exec", "--output", "models", "--"]
    command += [sys.executable, "-c", WRITE_FILES, *(f"{c}x{s}" for c, s in mix)]
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


SERVER_PID: list[int] = []  # moto's server, whose CPU time each transfer also costs


def cpu_seconds() -> float:
    """CPU time of this process (all its threads), of the children it waited for (git), and
    of moto's server process."""
    total = time.process_time()
    if sys.platform != "win32":
        import resource

        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += children.ru_utime + children.ru_stime
    for pid in SERVER_PID:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def timed(action: Callable[..., object], cpu: list[float], *args: Any, **kwargs: Any) -> float:
    """Wall seconds of ``action(*args, **kwargs)``; its CPU seconds are appended to ``cpu``."""
    used = cpu_seconds()
    start = time.perf_counter()
    action(*args, **kwargs)
    wall = time.perf_counter() - start
    cpu.append(cpu_seconds() - used)
    return wall


def make_fanout_folders(url: str) -> None:
    """A store in use: its 256 two-hex-digit folders exist (outside the timing)."""
    fs, root = fresh_fs(url)
    for prefix in range(256):
        fs.makedirs(f"{root}/sha256/{prefix:02x}", exist_ok=True)


def hash_all(folder: Path) -> None:
    """sha256 of every file under ``folder``, as ``hashlib.file_digest`` reads them."""
    import hashlib

    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as stream:
                hashlib.file_digest(stream, "sha256")


def filesystem_of(folder: str) -> str:
    """The type of the filesystem that holds ``folder`` (Linux), "ext4 without a journal"
    where that is what it is; "" where it cannot be told."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return ""
    real = os.path.realpath(folder)
    device, point, kind = "", "", ""
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        where = fields[1].replace("\\040", " ")
        inside = real == where or real.startswith(where.rstrip("/") + "/")
        if inside and len(where) >= len(point):
            device, point, kind = fields[0], where, fields[2]
    journal = Path(f"/sys/fs/ext4/{os.path.basename(device)}/journal_task")
    with contextlib.suppress(OSError):
        if kind == "ext4" and journal.read_text().strip() == "<none>":
            return "ext4 without a journal"
    return kind


def fresh_fs(url: str) -> tuple[Any, str]:
    import fsspec

    return fsspec.core.url_to_fs(url, skip_instance_cache=True)  # type: ignore[no-any-return]


def load_before(checkout: Path) -> Any:
    """An earlier runledger (``checkout``/runledger, e.g. a ``git worktree`` of main) as a
    package of its own, ``runledger_before``, so that it runs in this process beside this
    one: its files are copied to a temporary folder with their imports renamed."""
    import atexit
    import importlib
    import re

    folder = Path(tempfile.mkdtemp(prefix="bench-store-before-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    shutil.copytree(checkout / "runledger", folder / "runledger_before")
    pattern = re.compile(r"\b(from|import) runledger(\.| import)")
    for path in (folder / "runledger_before").rglob("*.py"):
        path.write_text(pattern.sub(r"\1 runledger_before\2", path.read_text()))
    sys.path.insert(0, str(folder))
    return importlib.import_module("runledger_before.analysis.transfers")


def measure(
    name: str,
    base_url: str,
    repo: git.Repo,
    run_id: str,
    repeats: int,
    jobs: int,
    before: Any = None,
    in_use: bool = False,
) -> list[str]:
    files = sorted(str(path) for path in (repo.root / "models").iterdir())
    total = sum(os.path.getsize(path) for path in files)
    run = Ledger(repo).read(run_id)
    # who pushes: read with the store's URL by the one git config call that `store push`
    # makes anyway (None where git's defaults decide it: push_runs asks git var then)
    pushed_by = read_settings(repo).pushed_by
    keys = ("pu", "pd", "ph", "ou", "od", "bu", "bd")  # ph: plain download, then hashed
    times: dict[str, list[float]] = {key: [] for key in keys}
    cpu: dict[str, list[float]] = {key: [] for key in times}
    scratch = Path(tempfile.mkdtemp(prefix="bench-store-out-"))
    cleaner, base = fresh_fs(base_url)
    for trial in range(repeats):

        def plain(trial: int = trial) -> None:
            fs, prefix = fresh_fs(f"{base_url}/plain-{trial}")
            fs.makedirs(prefix, exist_ok=True)  # a local folder must exist; a no-op on S3
            times["pu"].append(timed(fs.put, cpu["pu"], files, prefix + "/"))
            out = scratch / f"plain-{trial}"
            out.mkdir()
            fs, prefix = fresh_fs(f"{base_url}/plain-{trial}")
            times["pd"].append(timed(fs.get, cpu["pd"], prefix + "/", f"{out}/", recursive=True))
            # the least a checked download can cost: the plain copy, then a sha256 of it
            hashing = timed(hash_all, cpu["ph"], out)
            times["ph"].append(times["pd"][-1] + hashing)
            cpu["ph"][-1] += cpu["pd"][-1]

        def ours(trial: int = trial) -> None:
            if in_use:
                make_fanout_folders(f"{base_url}/ours-{trial}")
            store = ObjectStore.open(f"{base_url}/ours-{trial}")
            times["ou"].append(
                timed(push_runs, cpu["ou"], repo, store, [run_id], jobs=jobs, pushed_by=pushed_by)
            )
            store = ObjectStore.open(f"{base_url}/ours-{trial}")
            wanted = plan_get(run, [], scratch / f"ours-{trial}", include_inputs=False)
            times["od"].append(timed(get_files, cpu["od"], repo, store, wanted, jobs=jobs))

        def earlier(trial: int = trial) -> None:
            old = before
            old_repo = old.git.discover(repo.root)
            old_run = old.Ledger(old_repo).read(run_id)
            if in_use:
                make_fanout_folders(f"{base_url}/before-{trial}")
            store = old.ObjectStore.open(f"{base_url}/before-{trial}")
            times["bu"].append(timed(old.push_runs, cpu["bu"], old_repo, store, [run_id]))
            store = old.ObjectStore.open(f"{base_url}/before-{trial}")
            wanted = old.plan_get(old_run, [], scratch / f"before-{trial}", include_inputs=False)
            times["bd"].append(timed(old.get_files, cpu["bd"], old_repo, store, wanted))

        sides = [plain, ours] + ([earlier] if before is not None else [])
        shift = trial % len(sides)  # each side goes first, second (third) in turn
        for side in sides[shift:] + sides[:shift]:
            side()
        for who in ("plain", "ours", "before")[: len(sides)]:
            cleaner.rm(f"{base}/{who}-{trial}", recursive=True)
            shutil.rmtree(scratch / f"{who}-{trial}")
    shutil.rmtree(scratch)

    def rate(seconds: float) -> float:
        return total / seconds / 1e6

    lines = []
    for label, key in (("upload", "u"), ("download", "d")):
        plain_rate = rate(statistics.median(times["p" + key]))
        ours_rate = rate(statistics.median(times["o" + key]))
        shares = [p / o * 100 for p, o in zip(times["p" + key], times["o" + key], strict=True)]
        line = (
            f"{name:4} {label:8}  fsspec {plain_rate:7.1f} MB/s   runledger {ours_rate:7.1f} "
            f"MB/s   {ours_rate / plain_rate * 100:5.1f}% of plain "
            f"(single trials {min(shares):.0f}-{max(shares):.0f}%)"
        )
        if before is not None:
            before_rate = rate(statistics.median(times["b" + key]))
            line += f"   before {before_rate:7.1f} MB/s {before_rate / plain_rate * 100:5.1f}%"
        plain_cpu = statistics.median(cpu["p" + key])
        ours_cpu = statistics.median(cpu["o" + key])
        line += (
            f"\n{'':4} {'':8}  cpu: fsspec {plain_cpu * 1e3:6.0f} ms  runledger "
            f"{ours_cpu * 1e3:6.0f} ms  {plain_cpu / ours_cpu * 100:5.1f}% by CPU"
        )
        if before is not None:
            before_cpu = statistics.median(cpu["b" + key])
            line += (
                f"   before {before_cpu * 1e3:6.0f} ms {plain_cpu / before_cpu * 100:5.1f}% by CPU"
            )
        if key == "d":
            # against the plain copy followed by a sha256 of the copy: what checking costs
            hashed_rate = rate(statistics.median(times["ph"]))
            hashed_cpu = statistics.median(cpu["ph"])
            line += (
                f"\n{'':4} {'':8}  fsspec + sha256 {hashed_rate:7.1f} MB/s "
                f"{hashed_cpu * 1e3:6.0f} ms cpu: runledger {ours_rate / hashed_rate * 100:5.1f}% "
                f"of it, {hashed_cpu / ours_cpu * 100:5.1f}% by CPU"
            )
            if before is not None:
                before_rate = rate(statistics.median(times["bd"]))
                before_cpu = statistics.median(cpu["bd"])
                line += (
                    f"   before {before_rate / hashed_rate * 100:5.1f}%, "
                    f"{hashed_cpu / before_cpu * 100:5.1f}% by CPU"
                )
        lines.append(line)
        print(line, flush=True)
    return lines


def start_moto() -> subprocess.Popen[bytes]:
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
    wait_for(port)
    boto3.client("s3").create_bucket(Bucket="bench-bucket")
    if Path(f"/proc/{server.pid}/stat").exists():
        SERVER_PID.append(server.pid)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixes", default="small,medium,large,mixed", help=", ".join(MIXES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="runledger's --jobs")
    parser.add_argument("--store", choices=("s3", "file", "both"), default="both")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="CHECKOUT",
        help="an earlier runledger's checkout, measured in the same trials (its default --jobs)",
    )
    parser.add_argument(
        "--in-use",
        action="store_true",
        help="runledger's stores start with their 256 sha256/ab/ folders made, as a store in "
        "use has them (a first push into an empty store makes one for most of its objects)",
    )
    options = parser.parse_args()
    before = load_before(options.before) if options.before else None
    mixes = [name.strip() for name in options.mixes.split(",") if name.strip()]
    unknown = [name for name in mixes if name not in MIXES]
    if unknown:
        parser.error(f"unknown mix {unknown[0]!r}: choose from {', '.join(MIXES)}")
    import fsspec

    versions = f"fsspec {fsspec.__version__}"
    if options.store != "file":
        import moto
        import s3fs

        versions += f", s3fs {s3fs.__version__}, moto {moto.__version__}"
    print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {versions}; "
        f"load average {os.getloadavg()[0]:.1f} at the start; runledger --jobs {options.jobs}; "
        f"median of {options.repeats}" + ("; runledger's stores in use" if options.in_use else "")
    )
    folder = tempfile.gettempdir()
    print(f"files in {folder} ({filesystem_of(folder) or 'filesystem unknown'})")
    server = start_moto() if options.store != "file" else None
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        for mix_name in mixes:
            mix = MIXES[mix_name]
            project = work / mix_name
            project.mkdir()
            repo, run_id = record_run(project, mix)
            print(f"-- {mix_name}: {describe(mix)}", flush=True)
            if options.store in ("file", "both"):
                url = (work / f"store-{mix_name}").as_uri()
                measure(
                    "file", url, repo, run_id, options.repeats, options.jobs, before, options.in_use
                )
            if server is not None:
                url = f"s3://bench-bucket/{mix_name}"
                measure(
                    "s3", url, repo, run_id, options.repeats, options.jobs, before, options.in_use
                )
            shutil.rmtree(project)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
