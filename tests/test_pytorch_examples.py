"""pytorch/examples programs as a person reads them, each imitated by a small program of our
own that prints what the example prints, recorded through the real ``runledger exec``:
word_language_model's numbers a person quotes (its test and validation loss and perplexity)
come first in ``show``, ``show --json``, ``compare`` and ``ls``, before its per-batch loss,
learning rate and timings; vision_transformer's tqdm bars (``EPOCH[VALID]3/10``) give a
train and a valid loss at each epoch.
"""

from __future__ import annotations

import re
import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run

# word_language_model/main.py's lines, in its format strings
WORD_LANGUAGE_MODEL = """\
import math
import sys
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
if sys.argv[1:] == ['crash']:
    raise SystemExit('killed before testing')
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


def test_compare_keeps_the_quoted_results_first_over_runs_that_lack_them(repo: Repo) -> None:
    # a run that died before testing holds no test_loss; another program's run holds a
    # test metric no other run has: neither moves what word_language_model's runs quote
    repo.write("main.py", WORD_LANGUAGE_MODEL)
    repo.write("other.py", "print('epoch=1 test_bleu=30.1')\n")
    repo.commit_all("two programs")
    for args in (["main.py"], ["main.py", "crash"], ["main.py"], ["other.py"]):
        repo.run("exec", sys.executable, *args, timeout=120)

    columns = repo.cli("compare", "--format", "csv").stdout.splitlines()[0].split(",")
    metrics = [column.removeprefix("metrics.") for column in columns if "metrics." in column]
    assert metrics == [*QUOTED, "loss", "ppl", "test_bleu", "lr", "ms/batch", "time_s"]
    header = repo.cli("ls").stdout.splitlines()[0]
    assert re.search(r"test_loss\s+test_ppl\s+valid_loss\s+valid_ppl", header), header


# vision_transformer/main.py's TrainEval (removed from pytorch/examples in 2024, in many
# copies): a tqdm bar per epoch and phase, its phase in brackets glued to "EPOCH", its
# postfix the running loss; the best losses printed at the end.
VISION_TRANSFORMER = """\
from tqdm import tqdm
epochs = 3
best_train, best_valid = 9.0, 9.0
for i in range(epochs):
    for phase, batches in (("TRAIN", 6), ("VALID", 2)):
        tk = tqdm(range(batches), desc="EPOCH" + "[" + phase + "]" + str(i + 1) + "/" + str(epochs))
        total = 0.0
        for t, _ in enumerate(tk):
            total += 2.5 - i / 10 - (phase == "VALID") / 10
            tk.set_postfix({"Loss": "%6f" % float(total / (t + 1))})
        if phase == "TRAIN":
            train_loss = total / batches
        elif total / batches < best_valid:
            best_valid, best_train = total / batches, train_loss
            print("Saved Best Weights")
print(f"Training Loss : {best_train}")
print(f"Valid Loss : {best_valid}")
"""


def test_vision_transformer_bars_give_train_and_valid_loss_at_each_epoch(repo: Repo) -> None:
    repo.write("main.py", VISION_TRANSFORMER)
    repo.commit_all("vision_transformer")

    _, run = exec_run(repo, sys.executable, "main.py")

    # one series mixing both bars, at 0..5 by order, was recorded
    assert run["series"]["train_Loss"] == [[1, 2.5], [2, 2.4], [3, 2.3]]
    assert run["series"]["valid_Loss"] == [[1, 2.4], [2, 2.3], [3, 2.2]]
    assert "Loss" not in run["series"]
    # the best losses printed after training are at the last epoch, not at 0
    assert [step for step, _ in run["series"]["valid_loss"]] == [3]
    assert [step for step, _ in run["series"]["training_loss"]] == [3]
