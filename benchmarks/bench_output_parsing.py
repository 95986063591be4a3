"""How fast the output is read for metrics: lines per second through the collector.

Run from the repository root:  python benchmarks/bench_output_parsing.py [--lines 1000000]

Feeds --lines lines, in 64 KiB chunks as the runner reads them, through MetricsCollector for
each kind of output: the corpus of real programs' lines and prose
(tests/corpus/output_formats.txt, cycled), `name=value` lines, Keras 3 progress lines, and
prose only. Prints lines per second and the CPU seconds for the whole run of each (CPU time, so that
other load on the machine counts less).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runledger.recording.capture.metrics import MetricsCollector  # noqa: E402

CHUNK = 64 * 1024


def corpus_lines() -> list[str]:
    text = (ROOT / "tests" / "corpus" / "output_formats.txt").read_text(encoding="utf-8")
    return [
        line[2:].replace("\\t", "\t").replace("\\e", "\x1b")
        for line in text.splitlines()
        if line.startswith("> ")
    ]


KINDS = {
    "corpus (real programs + prose)": corpus_lines(),
    "name=value": [f"step={i} loss={1 / (i + 1)} acc=0.5" for i in range(100)],
    "keras 3 progress": [
        "469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 5ms/step - accuracy: 0.8512 - loss: 0.4790"
        " - val_accuracy: 0.88 - val_loss: 0.41"
    ],
    "prose": ["Loading shard 3 of 12 from /data/train-00003.parquet", "done.", "Seed: 42"],
}


def measure(lines: list[str], count: int) -> float:
    data = "".join(lines[i % len(lines)] + "\n" for i in range(count)).encode()
    collector = MetricsCollector()
    started = time.process_time()
    for start in range(0, len(data), CHUNK):
        collector.feed_output(data[start : start + CHUNK])
    collector.flush_output()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    for kind, lines in KINDS.items():
        seconds = measure(lines, args.lines)
        print(f"{kind:32} {args.lines / seconds:>10,.0f} lines/s  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
