"""How fast runledger is at 1,000, 10,000 (and 100,000) runs: one table, medians.

Usage (from the repository root):

    python benchmarks/bench.py                      # 1,000 and 10,000 runs
    python benchmarks/bench.py --slow               # and 100,000 (minutes; never in CI)
    python benchmarks/bench.py --sizes 10000,100000
    python benchmarks/bench.py --repeat 7 --exec-repeat 21 --workdir /tmp/runledger-bench

Every command is measured as a whole process (``python -m runledger ...`` importing this
checkout), as a user would run it, with its own peak memory (``VmHWM`` read as it exits, by
peak.py: the ``wait4`` figure carries the benchmark's own size into every child). Repositories
are filled by populate.py in a process of its own. Each cell is the median of ``--repeat`` runs;
"cold" means the run index was deleted first, "warm" that it was current. Repositories are
filled once by populate.py (the same write path exec uses) and kept under ``--workdir`` for
the next time. Rows for commands this checkout does not have yet say so.

Python's bytecode cache is allowed for the measured processes (PYTHONDONTWRITEBYTECODE is
removed from their environment), as on a user's machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import populate  # noqa: E402

from runledger.store import git  # noqa: E402
from runledger.store.index import RunIndex, index_path  # noqa: E402
from runledger.store.ledger import Ledger  # noqa: E402

PYTHON = sys.executable


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_bytes: int | None


@dataclass
class Cell:
    samples: list[Sample] = field(default_factory=list)
    note: str | None = None

    def text(self) -> str:
        if self.note is not None:
            return self.note
        if not self.samples:
            return "—"
        seconds = statistics.median(sample.seconds for sample in self.samples)
        peaks = [sample.peak_bytes for sample in self.samples if sample.peak_bytes is not None]
        memory = f" · {max(peaks) / 2**20:.0f} MiB" if peaks else ""
        return f"{_seconds(seconds)}{memory}"


def _seconds(value: float) -> str:
    if value < 0.0995:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 9.95 else f"{value:.1f} s"


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    return env


PEAK = ROOT / "benchmarks" / "peak.py"


def measure(
    argv: Sequence[str], cwd: Path, timeout: float = 900, answers: tuple[int, ...] = (0,)
) -> Sample:
    """Run ``argv`` to the end, output discarded; its wall time and own peak memory.
    ``answers``: the exit statuses that are answers, not failures (``which``: 1, not found)."""
    import tempfile

    argv = list(argv)
    with tempfile.NamedTemporaryFile(prefix="runledger-peak-", delete=False) as handle:
        peak_file = Path(handle.name)
    if argv[0] == PYTHON and argv[1] in ("-m", "-c"):
        argv = [PYTHON, str(PEAK), str(peak_file), *argv[1:]]
    try:
        sample = _measure(argv, cwd, timeout, answers)
        text = peak_file.read_text().strip()
        return Sample(sample.seconds, int(text)) if text else sample
    finally:
        peak_file.unlink(missing_ok=True)


def _measure(
    argv: Sequence[str], cwd: Path, timeout: float, answers: tuple[int, ...] = (0,)
) -> Sample:
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), cwd=cwd, env=bench_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise TimeoutError(f"{' '.join(argv)} took over {timeout:.0f} s")
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in answers:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {stderr.strip()}")
    return Sample(elapsed, usage.ru_maxrss * 1024)


def runledger(*args: str) -> list[str]:
    return [PYTHON, "-m", "runledger", *args]


def available(cwd: Path, *args: str) -> bool:
    proc = subprocess.run(
        runledger(*args, "--help"), cwd=cwd, env=bench_env(), capture_output=True, check=False
    )
    return proc.returncode == 0


def drop_index(repo_dir: Path) -> None:
    path = index_path(git.discover(repo_dir))
    for extra in path.parent.glob(path.name + "*"):
        extra.unlink()


def repeated(
    cell: Cell, times: int, action: Callable[[], Sample], before: Callable[[], None] | None = None
) -> None:
    try:
        for _ in range(times):
            if before is not None:
                before()
            cell.samples.append(action())
    except (RuntimeError, TimeoutError) as error:
        cell.note = f"failed: {str(error)[:60]}"


def exec_overhead(cwd: Path, times: int) -> Cell:
    """``exec -- python -c pass`` minus ``python -c pass``, interleaved, median of each."""
    bare = [PYTHON, "-c", "pass"]
    wrapped = runledger("exec", "--", PYTHON, "-c", "pass")
    for _ in range(2):  # bytecode caches, the package-list cache of the interpreter
        measure(wrapped, cwd)
    bare_s, wrapped_s, peaks = [], [], []
    for _ in range(times):
        bare_s.append(measure(bare, cwd).seconds)
        sample = measure(wrapped, cwd)
        wrapped_s.append(sample.seconds)
        peaks.append(sample.peak_bytes)
    overhead = statistics.median(wrapped_s) - statistics.median(bare_s)
    cell = Cell([Sample(overhead, max(p for p in peaks if p is not None))])
    cell.note = (
        f"{_seconds(overhead)} (bare {_seconds(statistics.median(bare_s))}, "
        f"exec {_seconds(statistics.median(wrapped_s))}) · {max(peaks or [0]) / 2**20:.0f} MiB"
    )
    return cell


def index_update_after_one_run(repo_dir: Path, times: int) -> Cell:
    """Write one run as exec does, then time bringing the index up to date (in-process)."""
    repo = git.discover(repo_dir)
    head = git.head_state(repo)
    assert head.commit is not None
    env = populate.environment(populate.package_versions(random.Random(0)))
    rng = random.Random(time.time())
    cell = Cell()
    with RunIndex(repo) as index:
        index.refresh()
    for _ in range(times):
        run = populate.make_run(rng, time.time(), head.commit, head.branch or "main", env)
        Ledger(repo).write(run, populate.IDENT, int(time.time()))
        start = time.perf_counter()
        with RunIndex(repo) as index:
            read = index.refresh()
        cell.samples.append(Sample(time.perf_counter() - start, None))
        assert read == 1, read
    return cell


def hashing(folder: Path, size_mib: int, times: int) -> tuple[Cell, Cell, str]:
    """sha256 of one file of random bytes (in the page cache): runledger vs sha256sum."""
    try:
        from runledger.store.hashcache import sha256_file
    except ImportError:
        note = "n/a (runledger.store.hashcache not in this checkout)"
        return Cell(note=note), Cell(note=note), ""
    path = folder / "hash-input.bin"
    if not path.exists() or path.stat().st_size != size_mib << 20:
        with open(path, "wb") as stream:
            block = os.urandom(1 << 20)
            for index in range(size_mib):
                stream.write(hashlib.sha256(block + index.to_bytes(4, "big")).digest() * 32768)
    ours, theirs = [], []
    digest = sha256_file(path)
    has_sha256sum = shutil.which("sha256sum") is not None
    for _ in range(times):
        start = time.perf_counter()
        assert sha256_file(path) == digest
        ours.append(time.perf_counter() - start)
        if has_sha256sum:
            start = time.perf_counter()
            out = subprocess.run(["sha256sum", str(path)], capture_output=True, check=True)
            theirs.append(time.perf_counter() - start)
            assert out.stdout.split()[0].decode() == digest
    megabytes = (size_mib << 20) / 1e6
    ours_rate = megabytes / statistics.median(ours)
    ours_cell = Cell(note=f"{ours_rate:.0f} MB/s")
    if not theirs:
        return ours_cell, Cell(note="n/a (no sha256sum)"), ""
    theirs_rate = megabytes / statistics.median(theirs)
    return (
        ours_cell,
        Cell(note=f"{theirs_rate:.0f} MB/s"),
        f"{ours_rate / theirs_rate:.0%} of sha256sum",
    )


TARGETS = {
    "exec overhead": "≤ 0.15 s",
    "ls --json, warm": "≤ 0.25 s at 10k; ≤ 1 s, ≤ 250 MiB at 100k",
    "ls (table), warm": "≤ 0.3 s at 10k; ≤ 0.5 s at 100k",
    "ls --json, cold (no index)": "≤ 2 s at 10k; ≤ 15 s at 100k",
    "compare --format csv, warm": "≤ 0.4 s at 10k; ≤ 2.5 s, ≤ 300 MiB at 100k",
    "compare (table), warm": "≤ 0.5 s at 10k; ≤ 1 s at 100k",
    "compare --where (100 runs), warm": "≤ 0.3 s at 10k; ≤ 0.5 s at 100k",
    "load_runs(), warm": "≤ 0.6 s at 10k; ≤ 3 s, ≤ 400 MiB at 100k",
    "index update after one new run": "≤ 0.1 s at 100k",
    "which FILE, warm": "≤ 0.3 s at 10k; ≤ 1 s at 100k",
    "pull into a fresh clone": "≤ 2 s at 10k; ≤ 15 s at 100k",
    "push of 1,000 new runs": "≤ 5 s",
    "input hashing (runledger)": "≥ 80% of sha256sum",
}


def bench_size(
    size: int, workdir: Path, repeat: int, cold_repeat: int, exec_repeat: int
) -> tuple[dict[str, Cell], float | None]:
    repo_dir = workdir / f"runs-{size}"
    populated: float | None = None
    if not (repo_dir / ".done").exists():
        shutil.rmtree(repo_dir, ignore_errors=True)
        print(f"populating {size} runs into {repo_dir} ...", file=sys.stderr)
        # In a process of its own, so that this one stays small (see measure).
        start = time.perf_counter()
        subprocess.run(
            [PYTHON, str(ROOT / "benchmarks" / "populate.py"), str(repo_dir), "--runs", str(size)]
            + ["--quiet"],
            env=bench_env(),
            check=True,
        )
        populated = time.perf_counter() - start
        subprocess.run(["git", "gc", "-q"], cwd=repo_dir, check=False)
        (repo_dir / ".git" / "info" / "exclude").write_text(".done\n")
        (repo_dir / ".done").write_text(f"{populated:.1f}\n")
    print(f"measuring at {size} runs ...", file=sys.stderr)
    rows: dict[str, Cell] = {}
    measure(runledger("ls", "--json"), repo_dir)  # bytecode, index
    listed = subprocess.run(
        runledger("ls", "--json", "--limit", "2"),
        cwd=repo_dir,
        env=bench_env(),
        capture_output=True,
        check=True,
    ).stdout
    first, second = (run["id"] for run in json.loads(listed))
    threshold = acc_of_rank(repo_dir, 100)

    def cold_ls() -> None:
        drop_index(repo_dir)

    rows["ls --json, cold (no index)"] = Cell()
    repeated(
        rows["ls --json, cold (no index)"],
        cold_repeat,
        lambda: measure(runledger("ls", "--json"), repo_dir),
        cold_ls,
    )
    for label, args in [
        ("ls --json, warm", ("ls", "--json")),
        ("ls --json --limit 20, warm", ("ls", "--json", "--limit", "20")),
        ("ls (table), warm", ("ls",)),
        ("show RUN, warm", ("show", first[:10])),
        ("show RUN --json, warm", ("show", first[:10], "--json")),
    ]:
        rows[label] = Cell()
        repeated(rows[label], repeat, lambda args=args: measure(runledger(*args), repo_dir))
    optional = [
        ("compare --format csv, warm", ("compare", "--format", "csv"), ("compare",)),
        (
            "compare --where ..., warm",
            ("compare", "--where", "metrics.acc > 0.5", "--format", "csv"),
            ("compare",),
        ),
        ("compare (table), warm", ("compare", "--metric", "acc"), ("compare",)),
        (
            "compare --where (100 runs), warm",
            ("compare", "--where", f"metrics.acc >= {threshold!r}", "--metric", "acc"),
            ("compare",),
        ),
        ("diff RUN_A RUN_B, warm", ("diff", first[:10], second[:10]), ("diff",)),
    ]
    for label, args, probe in optional:
        if not available(repo_dir, *probe):
            rows[label] = Cell(note="n/a (command not available)")
            continue
        rows[label] = Cell()
        repeated(rows[label], repeat, lambda args=args: measure(runledger(*args), repo_dir))
    load = [PYTHON, "-c", "import runledger; print(len(runledger.load_runs('.')))"]
    probe = subprocess.run(
        [PYTHON, "-c", "import runledger.analysis.frames"],
        cwd=repo_dir,
        env=bench_env(),
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        rows["load_runs(), warm"] = Cell(note="n/a (load_runs not available)")
    else:
        rows["load_runs(), warm"] = Cell()
        repeated(rows["load_runs(), warm"], repeat, lambda: measure(load, repo_dir))
    which_rows(repo_dir, rows, repeat, cold_repeat)
    rows["pull into a fresh clone"] = Cell()
    repeated(
        rows["pull into a fresh clone"],
        cold_repeat,
        lambda: measure(runledger("pull", "origin"), workdir / "clone"),
        lambda: fresh_clone(repo_dir, workdir / "clone"),
    )
    if size <= 10_000:
        rows["push of 1,000 new runs"] = Cell()
        repeated(
            rows["push of 1,000 new runs"],
            cold_repeat,
            lambda: measure(runledger("push", "origin"), workdir / "pusher"),
            lambda: clone_with_new_runs(repo_dir, workdir, 1_000),
        )
    before = set(
        subprocess.run(
            ["git", "for-each-ref", "--format=%(refname)", "refs/runledger/runs/"],
            cwd=repo_dir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    try:
        rows["index update after one new run"] = index_update_after_one_run(repo_dir, repeat)
        rows["exec overhead"] = exec_overhead(repo_dir, exec_repeat)
    finally:
        forget_new_runs(repo_dir, before)
    return rows, populated


def which_rows(repo_dir: Path, rows: dict[str, Cell], repeat: int, cold_repeat: int) -> None:
    """``which`` of a file: the first one after the index was built reads every run's
    files.toml once; later ones look the hash up."""
    probe = repo_dir / ".git" / "bench-which.bin"
    probe.write_bytes(b"a file no run recorded\n")
    argv = runledger("which", str(probe))

    def rebuilt_index() -> None:
        drop_index(repo_dir)
        measure(runledger("ls", "--json", "--limit", "1"), repo_dir)

    rows["which FILE, first after an index build"] = Cell()
    repeated(
        rows["which FILE, first after an index build"],
        cold_repeat,
        lambda: measure(argv, repo_dir, answers=(0, 1)),
        rebuilt_index,
    )
    rows["which FILE, warm"] = Cell()
    repeated(rows["which FILE, warm"], repeat, lambda: measure(argv, repo_dir, answers=(0, 1)))


def fresh_clone(source: Path, target: Path) -> None:
    """A clone of ``source`` without its ledger (git clone copies branches only)."""
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)


def clone_with_new_runs(source: Path, workdir: Path, count: int) -> None:
    """A bare remote holding ``source``'s branches, and a clone of it with ``count`` runs of
    its own to push."""
    remote, pusher = workdir / "remote.git", workdir / "pusher"
    for folder in (remote, pusher):
        shutil.rmtree(folder, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(remote)], check=True)
    subprocess.run(["git", "clone", "-q", str(remote), str(pusher)], check=True)
    subprocess.run(
        [PYTHON, str(ROOT / "benchmarks" / "populate.py"), str(pusher), "--runs", str(count)]
        + ["--quiet"],
        env=bench_env(),
        check=True,
    )


def acc_of_rank(repo_dir: Path, rank: int) -> float:
    """The ``rank``-th best last ``acc``: ``metrics.acc >= it`` keeps about ``rank`` runs."""
    listed = subprocess.run(
        runledger("ls", "--json"), cwd=repo_dir, env=bench_env(), capture_output=True, check=True
    ).stdout
    values = sorted(
        (run["metrics"].get("acc") for run in json.loads(listed)),
        key=lambda value: -1.0 if value is None else value,
        reverse=True,
    )
    return float(values[min(rank, len(values)) - 1] or 0.0)


def forget_new_runs(repo_dir: Path, keep: set[str]) -> None:
    """Delete the runs this benchmark added, so the repository holds exactly N runs again."""
    now = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/runledger/runs/"],
        cwd=repo_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    extra = [ref for ref in now if ref not in keep]
    if extra:
        stdin = "".join(f"delete {ref}\n" for ref in extra)
        subprocess.run(
            ["git", "update-ref", "--stdin"], cwd=repo_dir, input=stdin, text=True, check=True
        )


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    gitv = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {gitv}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def other_tools() -> str:
    found = [tool for tool in ("mlflow", "dvc", "guild") if shutil.which(tool)]
    if not found:
        return "side-by-side mode skipped: none of mlflow, dvc or guild is installed here"
    return (
        f"side-by-side mode: {', '.join(found)} found, but their runs are not scripted yet: "
        "compare with the figures in issue 9"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated run counts")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per cell")
    parser.add_argument("--cold-repeat", type=int, default=3, help="repetitions of cold cells")
    parser.add_argument("--exec-repeat", type=int, default=15, help="exec/bare pairs")
    parser.add_argument("--hash-mib", type=int, default=512, help="size of the hashed file")
    parser.add_argument("--other-tools", action="store_true", help="MLflow/DVC/Guild too")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/runledger-bench"))
    parser.add_argument(
        "--slow", action="store_true", help="add 100,000 runs (minutes; never run in CI)"
    )
    arguments = parser.parse_args()
    sizes = [int(text.replace("_", "")) for text in arguments.sizes.split(",") if text]
    if arguments.slow and 100_000 not in sizes:
        sizes.append(100_000)
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    columns: dict[int, dict[str, Cell]] = {}
    populated: dict[int, float | None] = {}
    for size in sizes:
        columns[size], populated[size] = bench_size(
            size, arguments.workdir, arguments.repeat, arguments.cold_repeat, arguments.exec_repeat
        )
    labels = list(dict.fromkeys(label for rows in columns.values() for label in rows))
    header = "| measure | " + " | ".join(f"{size:,} runs" for size in sizes) + " | target |"
    lines = [header, "|" + "---|" * (len(sizes) + 2)]
    for label in labels:
        cells = [columns[size].get(label, Cell()).text() for size in sizes]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {TARGETS.get(label, '')} |")
    fill = [
        _seconds(seconds) if seconds is not None else "(reused)"
        for seconds in (populated[size] for size in sizes)
    ]
    lines.append("| populate.py (once) | " + " | ".join(fill) + " | 10k in < 2 min |")
    ours, theirs, ratio = hashing(arguments.workdir, arguments.hash_mib, arguments.repeat)
    span = " | ".join([""] * (len(sizes) - 1))
    lines.append(f"| input hashing (runledger) | {ours.text()} {span} | ≥ 80% of sha256sum |")
    lines.append(f"| input hashing (sha256sum) | {theirs.text()} {span} | {ratio} |")
    print("\n".join(lines))
    print()
    print(f"machine: {machine()}")
    print(
        f"cells: median of {arguments.repeat} (cold: {arguments.cold_repeat}; exec: "
        f"{arguments.exec_repeat} interleaved pairs) · peak resident memory"
    )
    if arguments.other_tools:
        print(other_tools())


if __name__ == "__main__":
    main()
