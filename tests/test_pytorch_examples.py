"""pytorch/examples programs as a person reads them, each imitated by a small program of our
own that prints what the example prints, recorded through the real ``runledger exec``:
word_language_model's numbers a person quotes (its test and validation loss and perplexity)
come first in ``show``, ``show --json``, ``compare`` and ``ls``, before its per-batch loss,
learning rate and timings.
"""

from __future__ import annotations

import re
import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run

# word_language_model/main.py's lines, in its format strings
WORD_LANGUAGE_MODEL = """\
import math
batches = 56
for epoch in (1, 2):
    for batch in (25, 50):
        loss = 7.5 - epoch / 2 - batch / 100
        print('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | '
              'loss {:5.2f} | ppl {:8.2f}'.format(epoch, batch, batches, 20.0, 812.5, loss,
                                                   math.exp(loss)))
    print('-' * 89)
    print('| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | '
          'valid ppl {:8.2f}'.format(epoch, 45.1, 7.0 - epoch / 4, math.exp(7.0 - epoch / 4)))
    print('-' * 89)
print('=' * 89)
print('| End of training | test loss {:5.2f} | test ppl {:8.2f}'.format(6.56, 704.77))
print('=' * 89)
"""
QUOTED = ["test_loss", "test_ppl", "valid_loss", "valid_ppl"]


def _metric_rows(text: str) -> list[str]:
    """The metric names of ``show``'s metrics table, top to bottom."""
    table = text.split("\nmetrics\n", 1)[1].split("\nresources", 1)[0]
    return [m.group(1) for m in re.finditer(r"^ (\S+)\s+[-\d.]+\s", table, re.M)]


def test_word_language_model_results_come_before_batches_lr_and_timings(repo: Repo) -> None:
    repo.write("main.py", WORD_LANGUAGE_MODEL)
    repo.commit_all("word_language_model")

    _, run = exec_run(repo, sys.executable, "main.py")

    assert list(run["metrics"])[:4] == QUOTED
    assert list(run["series"])[:4] == QUOTED
    assert run["series"]["valid_loss"] == [[1, 6.75], [2, 6.5]]
    assert run["series"]["test_ppl"] == [[2, 704.77]]
    # the per-batch loss, then the schedule and the timings, last
    assert list(run["metrics"])[4:] == ["loss", "ppl", "lr", "ms/batch", "time_s"]

    shown = repo.cli("show", run["id"])
    assert _metric_rows(shown.stdout) == list(run["metrics"])

    listing = repo.cli("ls")
    header = listing.stdout.splitlines()[0]
    assert re.search(r"test_loss\s+test_ppl\s+valid_loss\s+valid_ppl", header), header
    assert "ms/batch" not in header

    columns = repo.cli("compare", "--format", "csv").stdout.splitlines()[0].split(",")
    metrics = [column for column in columns if column.startswith("metrics.")]
    assert metrics[:4] == [f"metrics.{name}" for name in QUOTED]
    assert metrics[-3:] == ["metrics.lr", "metrics.ms/batch", "metrics.time_s"]
