"""Huge inputs stay bounded (issue 8): runledger's own memory, measured, whatever the command does.

The bounds, from the code: the recorded log keeps the first and last 2 MB (``LOG_LIMIT_BYTES``),
a line is parsed for metrics only up to 64 KiB, each metric keeps at most 200,000 points
(thinned evenly), the journal queues at most 128 KiB between ticks, a config file is read up to
10 MB and 100,000 values. So runledger's resident memory stays under ``RSS_BOUND`` (100 MiB)
here. Measured (peak RSS of runledger itself): idle 23 MiB, a 10 MB line 39 MiB, a million
metric lines 66 MiB, 1 GiB of output 40 MiB, a 100,000-key config file 46 MiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo

pytestmark = pytest.mark.linux  # peak memory is read from /proc/<pid>/status

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1])
RSS_BOUND = 100 * 2**20

# Runs runledger in-process and writes its own peak memory (not its children's) to a file.
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent across
# fork and exec, so it would report pytest's own size.
DRIVER = """\
import re, runpy, sys
out, sys.argv = sys.argv[1], ["runledger", *sys.argv[2:]]
try:
    runpy.run_module("runledger", run_name="__main__", alter_sys=True)
finally:
    status = open("/proc/self/status").read()
    with open(out, "w") as f:
        f.write(str(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024))
"""


def exec_measured(
    repo: Repo, tmp_path: Path, *command: str, stdout: int = subprocess.PIPE
) -> tuple[subprocess.Popen[bytes], int, int, bytes]:
    """Run ``runledger exec COMMAND``; return it, the bytes it passed through, its peak RSS
    and its stderr."""
    rss_file = tmp_path / "rss"
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [PY, "-c", DRIVER, str(rss_file), "exec", *command],
        cwd=repo.path,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    passed = 0
    if proc.stdout is not None:
        while chunk := proc.stdout.read(1 << 20):
            passed += len(chunk)
    stderr = proc.stderr.read() if proc.stderr else b""
    proc.wait(timeout=600)
    return proc, passed, int(rss_file.read_text()), stderr


def recorded(repo: Repo) -> dict:  # type: ignore[type-arg]
    [run_id] = repo.run_ids()
    return dict(repo.cli("show", run_id, "--json").json())


def test_a_ten_megabyte_line_passes_through_and_the_metrics_around_it_count(
    repo: Repo, tmp_path: Path
) -> None:
    code = (
        "import sys\n"
        "w = sys.stdout.buffer.write\n"
        "w(b'loss=0.5\\n')\n"
        "for _ in range(160): w(b'y' * 65536)\n"  # 10 MiB, no newline
        "w(b'\\nloss=0.25\\n')\n"
    )
    proc, passed, rss, _ = exec_measured(repo, tmp_path, PY, "-c", code)
    assert proc.returncode == 0
    assert passed == 10 * 2**20 + len("loss=0.5\n\nloss=0.25\n")
    assert rss < RSS_BOUND, rss
    run = recorded(repo)
    assert run["series"]["loss"] == [[0, 0.5], [1, 0.25]]
    log = repo.show_bytes(f"refs/runledger/runs/{run['id']}:output.log")
    assert log.startswith(b"loss=0.5\nyyy") and log.endswith(b"yyy\nloss=0.25\n")
    assert b"bytes of output omitted here]" in log and len(log) < 4 * 2**20 + 200


def test_a_config_file_of_a_hundred_thousand_keys_is_pinned_not_stored(
    repo: Repo, tmp_path: Path
) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({f"key_{i}": i * 0.5 for i in range(100_000)}))
    proc, _, rss, _ = exec_measured(repo, tmp_path, PY, "-c", "pass", "--config", str(big))
    assert proc.returncode == 0 and rss < RSS_BOUND
    run = recorded(repo)
    [config] = run["config_files"]
    # 100,000 keys (plus the table holding them) is past the 100,000-value cap: the file is
    # pinned by its hash and the reason recorded, and run.toml stays small for every ls.
    assert len(config["sha256"]) == 64 and "more than 100000 values" in config["error"]
    assert run["params"] == {}  # --config only names the file: pinned below, not a param


@pytest.mark.slow
def test_a_million_metric_lines_keep_a_bounded_series(repo: Repo, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "out = sys.stdout.write\n"
        "for i in range(1_000_000): out(f'step={i} loss={1 / (i + 1)}\\n')\n"
    )
    proc, passed, rss, _ = exec_measured(repo, tmp_path, PY, "-c", code)
    assert proc.returncode == 0 and passed > 20_000_000
    assert rss < RSS_BOUND, rss
    run = recorded(repo)
    series = run["series"]["loss"]
    assert 100_000 <= len(series) <= 200_001  # thinned evenly once past 200,000 points
    assert series[0] == [0, 1.0] and series[-1] == [999_999, 1e-06]
    assert run["metric_summaries"]["loss"]["count"] == 1_000_000


@pytest.mark.slow
def test_a_gigabyte_of_output_streams_through_in_bounded_memory(repo: Repo, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "chunk = (b'x' * 1023 + b'\\n') * 1024\n"
        "for _ in range(1024): sys.stdout.buffer.write(chunk)\n"
        "print('acc=0.5')\n"
    )
    proc, passed, rss, stderr = exec_measured(repo, tmp_path, PY, "-c", code)
    assert proc.returncode == 0, stderr
    assert passed == 2**30 + len("acc=0.5\n")
    assert rss < RSS_BOUND, rss
    run = recorded(repo)
    assert run["metrics"] == {"acc": 0.5}
    log = repo.show_bytes(f"refs/runledger/runs/{run['id']}:output.log")
    # The head and tail are cut at line ends outside any key block (issue 17): up to a 64 KiB
    # line more than the 4 MiB kept.
    assert len(log) < 4 * 2**20 + 2 * 64 * 1024 and log.endswith(b"acc=0.5\n")
