"""Where printed points land on the step axis, for the lines pytorch/examples really print.

A per-batch line (``Train Epoch: 1 [320/60000 (1%)]``, ``| epoch 1 | 200/2983 batches |``)
is placed at the fraction of epochs done, so an epoch's points are a curve, not a stack at
the epoch; the epoch's own lines (``end of epoch 1 | valid loss``) stay at the epoch, after
its batches on the same axis. A line without a step after stepped lines (``Test set:``,
``| End of training |``) is at the last step seen, not at 0. The programs below print with
the format strings of pytorch/examples' mnist/main.py and word_language_model/main.py,
copied unchanged; the numbers are made up (no torch, no torchvision needed).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from runledger.recording.capture.metrics import MetricsCollector
from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program

# pytorch/examples mnist/main.py: train() and test() print these lines, 2 epochs of 10 batches
# of 64 (a 640-image dataset), --log-interval 2.
MNIST = """\
dataset, batch, batches, log_interval = 640, 64, 10, 2
for epoch in range(1, 3):
    for batch_idx in range(batches):
        loss = 2.0 / (epoch * 10 + batch_idx)
        if batch_idx % log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\\tLoss: {:.6f}'.format(
                epoch, batch_idx * batch, dataset,
                100. * batch_idx / batches, loss))
    test_loss, correct = 0.5 / epoch, 80 + 5 * epoch
    print('\\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\\n'.format(
        test_loss, correct, 100,
        100. * correct / 100))
"""

# pytorch/examples word_language_model/main.py: 2 epochs of 104 batches, --log-interval 20.
WORD_LANGUAGE_MODEL = """\
import math
lr, batches, log_interval = 20.0, 104, 20
for epoch in range(1, 3):
    for batch in range(batches):
        cur_loss = 7.0 - epoch - batch / 100
        if batch % log_interval == 0 and batch > 0:
            print('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | '
                    'loss {:5.2f} | ppl {:8.2f}'.format(
                epoch, batch, batches, lr,
                30.0, cur_loss, math.exp(cur_loss)))
    val_loss = 6.5 - epoch
    print('-' * 89)
    print('| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | '
            'valid ppl {:8.2f}'.format(epoch, 4.5,
                                       val_loss, math.exp(val_loss)))
    print('-' * 89)
test_loss = 4.83
print('=' * 89)
print('| End of training | test loss {:5.2f} | test ppl {:8.2f}'.format(
    test_loss, math.exp(test_loss)))
print('=' * 89)
"""


def _steps(run: dict[str, Any], name: str) -> list[float]:
    return [step for step, _ in run["series"][name]]


def test_mnist_batches_are_a_curve_and_each_test_line_is_at_its_epoch(repo: Repo) -> None:
    program(repo, MNIST)

    _, run = exec_run(repo, sys.executable, "train.py")

    # [0/640] .. [512/640] of epoch 1 at 0 .. 0.8, of epoch 2 at 1 .. 1.8: distinct, rising
    assert _steps(run, "train_loss") == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8]
    # "Test set:" has no step: after epoch 1's batches it is epoch 1's, not 0
    assert run["series"]["test_average_loss"] == [[1, 0.5], [2, 0.25]]
    assert run["series"]["test_accuracy"] == [[1, 85.0], [2, 90.0]]
    assert run["metrics"]["train_loss"] == round(2.0 / 28, 6)


def test_word_language_model_batches_epochs_and_the_end_of_training(repo: Repo) -> None:
    program(repo, WORD_LANGUAGE_MODEL, "main.py")

    _, run = exec_run(repo, sys.executable, "main.py")

    positions = [0.1923, 0.3846, 0.5769, 0.7692, 0.9615]  # 20/104 .. 100/104 (4 decimals)
    expected = positions + [round(1 + p, 4) for p in positions]
    for name in ("loss", "ppl", "lr", "ms/batch"):
        assert _steps(run, name) == expected, name
    # the epoch's own lines stay at the epoch, after its batches
    assert _steps(run, "valid_loss") == [1, 2] and _steps(run, "time_s") == [1, 2]
    # "| End of training |" has no step: at the last epoch, not at 0
    assert run["series"]["test_loss"] == [[2, 4.83]]
    assert _steps(run, "test_ppl") == [2]

    for view in (("plot", "loss"), ("compare", "--format", "json"), ("show", run["id"])):
        assert repo.cli(*view).exit_code == 0, view
    report = repo.cli("report", "-o", "report.html")
    assert report.exit_code == 0, report.stderr


def test_a_program_printing_only_stepless_lines_keeps_them_in_order(repo: Repo) -> None:
    program(repo, "print('accuracy: 0.93')\nprint('Test loss: 0.5')\nprint('Test loss: 0.4')\n")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["series"]["accuracy"] == [[0, 0.93]]
    assert run["series"]["test_loss"] == [[0, 0.5], [1, 0.4]]


def test_the_params_an_optuna_example_prints_under_its_heading_are_no_metrics(repo: Repo) -> None:
    # optuna-examples' lightgbm_simple.py (and most of its examples) end so; lambda_l1 was
    # recorded as a metric (l1 reads as a loss), the other params were not.
    program(
        repo,
        "params = {'lambda_l1': 0.0205, 'lambda_l2': 4.17e-06, 'num_leaves': 47}\n"
        "print('Number of finished trials: {}'.format(100))\n"
        "print('Best trial:')\n"
        "print('  Value: {}'.format(0.993))\n"
        "print('  Params: ')\n"
        "for key, value in params.items():\n"
        "    print('    {}: {}'.format(key, value))\n"
        "print('val_l1: 0.5')\n",
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["series"]) == {"val_l1"}


def test_a_step_from_the_metrics_file_wins_over_the_printed_position(repo: Repo) -> None:
    program(
        repo,
        """\
        import json, os
        with open(os.environ["RUNLEDGER_METRICS_FILE"], "a") as log:
            for epoch in (1, 2):
                for batch in (50, 100):
                    step = (epoch - 1) * 100 + batch
                    loss = 1.0 / step
                    log.write(json.dumps({"step": step, "loss": loss}) + "\\n")
                    print('| epoch {:3d} | {:5d}/{:5d} batches | loss {:5.2f} |'.format(
                        epoch, batch, 100, loss))
            print('| End of training | test loss {:5.2f} |'.format(0.25))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert _steps(run, "loss") == [50, 100, 150, 200]  # the file's steps, not 0.5 .. 2.0
    # after the last printed epoch, whose loss the file gave at step 200: there, on the
    # file's steps (it was at 2, the printed epoch, among steps 50 .. 200)
    assert run["series"]["test_loss"] == [[200, 0.25]]


def _collected(text: str) -> dict[str, list[tuple[float, float]]]:
    collector = MetricsCollector()
    collector.feed_output(text.encode())
    collector.flush_output()
    return {
        name: list(zip(one.steps, one.values, strict=True))
        for name, one in collector.series().items()
    }


# The end of Hugging Face's example scripts (run_glue.py, run_clm.py ...), read from the output
# alone: the Trainer's dicts, then trainer.log_metrics("train"/"eval", ...) printing its
# results again one per line, under the epoch they were printed at already.
HF_END = """\
{'eval_loss': '0.6931', 'eval_accuracy': '0.5938', 'eval_runtime': '0.511', 'epoch': '1'}
{'loss': '0.6928', 'grad_norm': '0.7159', 'learning_rate': '3.125e-06', 'epoch': '2'}
{'eval_loss': '0.6931', 'eval_accuracy': '0.5938', 'eval_runtime': '0.3553', 'epoch': '2'}
{'train_runtime': '7.083', 'train_samples_per_second': '9.036', 'train_loss': '0.693', 'epoch': '2'}
***** train metrics *****
  epoch                    =        2.0
  train_loss               =      0.693
  train_runtime            = 0:00:07.08
  train_samples            =         32
  train_samples_per_second =      9.036
***** eval metrics *****
  epoch                   =        2.0
  eval_accuracy           =     0.5938
  eval_loss               =     0.6931
  eval_samples            =         32
"""


def test_hugging_face_log_metrics_printing_results_again_adds_no_point() -> None:
    series = _collected(HF_END)

    assert series["train_loss"] == [(2, 0.693)]  # not a second point at 3
    assert series["eval_accuracy"] == [(1, 0.5938), (2, 0.5938)]
    assert series["train_samples_per_second"] == [(2, 9.036)]
    # transformers 4: the dict's floats whole, log_metrics' rounded to 4 decimals
    line = HF_END.splitlines()[3]
    whole = HF_END.replace(
        line,
        "{'train_runtime': 7.0831, 'train_samples_per_second': 9.036, "
        "'train_loss': 0.6930278837680817, 'epoch': 2.0}",
    )
    assert _collected(whole)["train_loss"] == [(2, 0.6930278837680817)]


def test_epochs_counted_from_zero_put_a_batch_line_inside_its_epoch() -> None:
    # PyTorch-GAN: "[Epoch 0/200] [Batch 0/938] [D loss: ...]"
    lines = "".join(
        f"[Epoch {epoch}/2] [Batch {batch}/4] [D loss: 0.{epoch}{batch}] [G loss: 0.5]\n"
        for epoch in (0, 1)
        for batch in (0, 2)
    )
    series = _collected(lines)
    assert [step for step, _ in series["d_loss"]] == [0.0, 0.5, 1.0, 1.5]


def test_stepless_lines_repeated_after_one_step_go_after_it_not_onto_it() -> None:
    series = _collected(
        "step 0: val loss 2.5\n"  # one evaluation before training, with a step
        "Test loss: 0.5\nTest loss: 0.4\nTest loss: 0.3\n"  # then lines without one
    )
    assert series["test_loss"] == [(0, 0.5), (1, 0.4), (2, 0.3)]


def test_a_stepless_line_on_another_stream_takes_the_latest_step() -> None:
    collector = MetricsCollector()
    collector.feed_output(b"epoch 3: loss=0.2\n", "stderr")  # logging, on stderr
    collector.feed_output(b"Test accuracy: 0.9\n", "stdout")  # print(), on stdout
    collector.flush_output()
    assert collector.series()["test_accuracy"].steps == [3]


# yunjey/pytorch-tutorial 01-basics/feedforward_neural_network/main.py (and the CNN, RNN and
# logistic regression tutorials): the step counter is enumerate(train_loader), restarting
# every epoch; 3 epochs of 6 batches, printed every 2nd (the upstream prints every 100th).
YUNJEY = """\
num_epochs, total_step = 3, 6
for epoch in range(num_epochs):
    for i in range(total_step):
        loss = 2.0 / (epoch * 10 + i + 1)
        if (i+1) % 2 == 0:
            print ('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                   .format(epoch+1, num_epochs, i+1, total_step, loss))
print('Test Accuracy of the model on the 10000 test images: {} %'.format(97.5))
"""


def test_a_step_counter_restarting_every_epoch_is_placed_inside_its_epoch(repo: Repo) -> None:
    program(repo, YUNJEY)

    _, run = exec_run(repo, sys.executable, "train.py")

    # Step [2/6] .. [6/6] of epoch 1 at 0.33 .. 1, of epoch 3 at 2.33 .. 3: one rising
    # curve, not three points at each of 2, 4, 6
    thirds = [0.33, 0.67, 1.0]
    assert _steps(run, "loss") == [round(epoch + t, 2) for epoch in range(3) for t in thirds]
    assert run["series"]["loss"][-1] == [3.0, round(2.0 / 26, 4)]
    assert "epoch" not in run["series"]  # the epoch is the axis, not a metric


# The PyTorch CIFAR-10 tutorial (beginner_source/blitz/cifar10_tutorial.py): the running
# loss every 2000 mini-batches as "[epoch, batch]", the batch counter restarting each epoch.
CIFAR_TUTORIAL = """\
for epoch in range(2):
    for i in range(6000):
        if i % 2000 == 1999:
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {2.0 - epoch * 0.5 - i / 10000:.3f}')
print('Finished Training')
print(f'Accuracy of the network on the 10000 test images: {54} %')
print(f'Accuracy for class: {"plane":5s} is {59.9:.1f} %')
"""


def test_the_cifar_tutorials_running_loss_is_placed_inside_its_epoch(repo: Repo) -> None:
    program(repo, CIFAR_TUTORIAL)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert [round(step, 2) for step in _steps(run, "loss")] == [0.33, 0.67, 1.0, 1.33, 1.67, 2.0]
    assert run["metrics"]["test_accuracy"] == 54
    assert run["metrics"]["accuracy_plane"] == 59.9


# The same line shape with a counter that goes on across epochs: it is the run's step.
GLOBAL_COUNTER = """\
num_epochs, per_epoch = 3, 4
for epoch in range(num_epochs):
    for i in range(per_epoch):
        step = epoch * per_epoch + i + 1
        if step % 2 == 0:
            print ('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                   .format(epoch+1, num_epochs, step, num_epochs * per_epoch, 1.0 / step))
"""


def test_a_step_counter_going_on_across_epochs_stays_the_step(repo: Repo) -> None:
    program(repo, GLOBAL_COUNTER)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert _steps(run, "loss") == [2, 4, 6, 8, 10, 12]
    assert run["series"]["epoch"] == [[2, 1], [4, 1], [6, 2], [8, 2], [10, 3], [12, 3]]


def test_restarting_counters_without_a_comma_or_a_total_are_placed_too() -> None:
    # deep_residual_network/main.py: "Epoch [{}/{}], Step [{}/{}] Loss: {:.4f}" (no comma);
    # "epoch 1 iter 100 loss ..." prints no total: the largest step of an epoch is its size.
    lines = "".join(
        f"Epoch [{epoch}/2], Step [{step}/200] Loss: 0.{epoch}{step}\n"
        f"epoch {epoch} iter {step} loss 0.{epoch}{step}\n"
        for epoch in (1, 2)
        for step in (100, 200)
    )
    series = _collected(lines)
    assert [step for step, _ in series["loss"]] == [0.5, 0.5, 1.0, 1.0, 1.5, 1.5, 2.0, 2.0]


def test_a_single_epoch_with_a_printed_total_is_placed_by_its_total() -> None:
    # nothing restarts in one epoch; its total says the counter is the epoch's, as it is
    # in the same program run for more epochs
    series = _collected(
        "Epoch [1/1], Step [50/100], Loss: 0.5\nEpoch [1/1], Step [100/100], Loss: 0.4\n"
    )
    assert series["loss"] == [(0.5, 0.5), (1.0, 0.4)]


# Keras 3's progress bar (keras/src/utils/progbar.py, as fit() and evaluate() draw it: \b and
# \r redraw it in place, "Epoch N/M" above each epoch), and the finetune program's callback
# printing at the end of an epoch, then the program printing evaluate()'s results.
KERAS = r"""
import sys
def update(current, target, values, finalize=False, prev=[0]):
    message = "\b" * prev[0] + "\r"
    bar = ("%2d/%d") % (current, target)
    bar = f"\x1b[1m{bar}\x1b[0m " + f"\33[32m{'━' * (20 * current // target)}\x1b[0m"
    info = " \x1b[1m0s\x1b[0m 8ms/step" + "".join(f" - {k}: {v:.4f}" for k, v in values)
    message += bar + info + ("\n" if finalize else "")
    prev[0] = len(bar) + len(info)
    sys.stdout.write(message)
    sys.stdout.flush()
for epoch in (1, 2):
    print(f"Epoch {epoch}/2")
    for batch in range(1, 5):
        update(batch, 4, [("loss", 1.0 / (epoch * 10 + batch))])
        if batch == 2:
            print()  # a callback's print mid-epoch: the bar stays where it stood
            print(f"batch {batch}: halfway")
    print(f"\nLearning rate for epoch {epoch} is 0.00100")
    update(4, 4, [("loss", 1.0 / (epoch * 10 + 4)), ("val_loss", 0.5 / epoch)], True)
for batch in range(1, 3):  # evaluate()
    update(batch, 2, [("loss", 0.25 + batch / 100)], batch == 2)
print(f"Test loss: {0.27:.4f}")
"""


def test_keras_bars_are_placed_by_their_counter_and_evaluate_is_a_test_metric(
    repo: Repo,
) -> None:
    program(repo, KERAS)

    _, run = exec_run(repo, "--no-autocapture", sys.executable, "train.py")

    # the bar cut short at 2/4 is inside its epoch; the finished one (4/4, drawn again with
    # val_loss after the callback's print) is the epoch's, once
    assert run["series"]["loss"] == [[0.5, 0.0833], [1, 0.0714], [1.5, 0.0455], [2, 0.0417]]
    assert run["series"]["val_loss"] == [[1, 0.5], [2, 0.25]]
    # evaluate()'s finished bar, and the program printing its result: one point
    assert run["series"]["test_loss"] == [[2, 0.27]]


def test_evaluates_result_printed_with_all_its_digits_is_its_bars_point(repo: Repo) -> None:
    # keras-io's timeseries classification: test_loss, test_acc = model.evaluate(...), then
    # print("Test loss", test_loss): every digit, where the bar showed four
    source = KERAS.replace("0.25 + batch / 100", "0.25 + batch / 100 + 0.0000123")
    source = source.replace('print(f"Test loss: {0.27:.4f}")', 'print("Test loss", 0.2700123)')
    program(repo, source)

    _, run = exec_run(repo, "--no-autocapture", sys.executable, "train.py")

    assert run["series"]["test_loss"] == [[2, 0.27]]  # not a second point at 3


def test_dcgan_batches_counted_from_zero_are_a_curve_inside_their_epochs() -> None:
    # pytorch/examples dcgan/main.py's line, 2 epochs (0 and 1) of 4 batches (0 to 3)
    lines = "".join(
        f"[{epoch}/2][{batch}/4] Loss_D: {1.0 - epoch / 10 - batch / 100:.4f} "
        f"Loss_G: {0.9:.4f} D(x): {0.5:.4f} D(G(z)): {0.49:.4f} / {0.42:.4f}\n"
        for epoch in (0, 1)
        for batch in range(4)
    )
    series = _collected(lines)
    assert [step for step, _ in series["loss_d"]] == [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    assert series["loss_d"][5] == (1.25, 0.89)
    # D(G(z))'s two values, before and after the generator's update, as the program names them
    assert set(series) == {"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"}
    assert series["d_g_z2"][0] == (0, 0.42)


def test_vae_epoch_and_test_lines_behind_arrows_are_at_their_epoch() -> None:
    # pytorch/examples vae/main.py: per-batch lines, then "====>" lines for the epoch
    lines = "".join(
        f"Train Epoch: {epoch} [0/1280 (0%)]\tLoss: 548.9\n"
        f"Train Epoch: {epoch} [640/1280 (50%)]\tLoss: 540.3\n"
        f"====> Epoch: {epoch} Average loss: {540 - epoch:.4f}\n"
        f"====> Test set loss: {539 - epoch:.4f}\n"
        for epoch in (1, 2)
    )
    series = _collected(lines)
    assert series["average_loss"] == [(1, 539.0), (2, 538.0)]
    assert series["test_loss"] == [(1, 538.0), (2, 537.0)]
    assert [step for step, _ in series["train_loss"]] == [0.0, 0.5, 1.0, 1.5]


def test_mmengine_training_is_a_curve_and_each_evaluation_is_at_its_epoch_or_iteration() -> None:
    # mmengine's LogProcessor through its logger (mmdet, mmpretrain, mmseg): 2 epochs of 20
    # iterations, logged every 10, a validation after each epoch (its progress line first)
    prefix = "12/07 12:51:16 - mmengine - INFO - "
    by_epoch = "".join(
        f"{prefix}Epoch(train) [{epoch}][{done}/20]  lr: 1.0000e-02  eta: 0:00:30  "
        f"time: 0.2000  data_time: 0.0100  memory: 301  loss: {2 - epoch / 2 - done / 100:.4f}\n"
        for epoch in (1, 2)
        for done in (10, 20)
    )
    validations = "".join(
        f"{prefix}Epoch(val) [{epoch}][5/10]    eta: 0:00:01  time: 0.0500  data_time: 0.0100\n"
        f"{prefix}Epoch(val) [{epoch}][10/10]    accuracy/top1: {50 + epoch:.4f}  "
        f"data_time: 0.0100  time: 0.0500\n"
        for epoch in (1, 2)
    )
    lines = by_epoch.splitlines(keepends=True)
    checks = validations.splitlines(keepends=True)
    series = _collected("".join(lines[0:2] + checks[0:2] + lines[2:4] + checks[2:4]))
    assert series["loss"] == [(0.5, 1.4), (1.0, 1.3), (1.5, 0.9), (2.0, 0.8)]
    assert series["accuracy/top1"] == [(1, 51.0), (2, 52.0)]
    assert series["time"] == [(0.5, 0.2), (1.0, 0.2), (1.5, 0.2), (2.0, 0.2)]  # training's only
    # by iteration: an evaluation names no step of training, so it is at the iteration before it
    series = _collected(
        f"{prefix}Iter(train) [ 50/100]  lr: 1.0000e-02  eta: 0:00:30  time: 0.2000  "
        "data_time: 0.0100  loss: 1.5000\n"
        f"{prefix}Iter(train) [100/100]  lr: 1.0000e-02  eta: 0:00:00  time: 0.2000  "
        "data_time: 0.0100  loss: 1.2000\n"
        f"{prefix}Iter(val) [10/10]    mIoU: 41.2000  data_time: 0.0100  time: 0.0500\n"
    )
    assert series["loss"] == [(50, 1.5), (100, 1.2)]
    assert series["miou"] == [(100, 41.2)]


def test_fairseq_updates_are_a_curve_and_each_validation_is_at_its_epoch() -> None:
    # fairseq-train (SimpleProgressBar's log() and print() through fairseq_cli/train.py's
    # logging format): 2 epochs of 20 updates, --log-interval 10
    prefix = "2021-03-10 12:00:00 | INFO | "
    lines = "".join(
        "".join(
            f"{prefix}train_inner | epoch {epoch:03d}:  {done:5d} / 20 "
            f"loss={4 - epoch - done / 20:g}, ppl=9.5, num_updates={20 * (epoch - 1) + done}, "
            "lr=0.0005\n"
            for done in (10, 20)
        )
        + f"{prefix}valid | epoch {epoch:03d} | valid on 'valid' subset | loss {3 - epoch:g} | "
        f"ppl 4.2 | num_updates {20 * epoch} | best_loss {3 - epoch:g}\n"
        + f"{prefix}fairseq_cli.train | end of epoch {epoch} (average epoch stats below)\n"
        for epoch in (1, 2)
    )
    series = _collected(lines)
    assert series["loss"] == [(0.5, 2.5), (1.0, 2.0), (1.5, 1.5), (2.0, 1.0)]
    assert series["valid_loss"] == [(1, 2.0), (2, 1.0)]
    assert series["valid_best_loss"] == [(1, 2.0), (2, 1.0)]


def test_super_resolution_iterations_are_a_curve_and_the_epoch_lines_are_at_the_epoch() -> None:
    # pytorch/examples super_resolution/main.py: train() counts iterations from 1, then the
    # epoch's average; test() prints the PSNR
    lines = "".join(
        "".join(
            f"===> Epoch[{epoch}]({iteration}/2): Loss: {0.5 / epoch / iteration:.4f}\n"
            for iteration in (1, 2)
        )
        + f"===> Epoch {epoch} Complete: Avg. Loss: {0.4 / epoch:.4f}\n"
        + f"===> Avg. PSNR: {10 + epoch:.4f} dB\n"
        + f"Checkpoint saved to model_epoch_{epoch}.pth\n"
        for epoch in (1, 2)
    )
    series = _collected(lines)
    assert series["loss"] == [(0.5, 0.5), (1.0, 0.25), (1.5, 0.25), (2.0, 0.125)]
    assert series["avg_loss"] == [(1, 0.4), (2, 0.2)]
    assert series["avg_psnr"] == [(1, 11.0), (2, 12.0)]


def test_metric_logger_batches_are_a_curve_inside_epochs_counted_from_zero() -> None:
    # torchvision's references/classification/train.py: MetricLogger(delimiter="  "), its
    # log_every() every 5 of 10 batches, then evaluate()'s batches and its summary
    lines = "".join(
        "".join(
            f"Epoch: [{epoch}]  [{i:2d}/10]  eta: 0:00:05  lr: 0.1  img/s: 50.0  "
            f"loss: {2 - epoch - i / 10:.4f} ({2.1 - epoch:.4f})  acc1: 10.0000 (10.0000)  "
            "time: 0.5000  data: 0.0100  max mem: 0\n"
            for i in (0, 5)
        )
        + f"Epoch: [{epoch}] Total time: 0:00:05\n"
        + "Test:  [0/2]  eta: 0:00:01  loss: 2.0000 (2.0000)  acc1: 9.0000 (9.0000)  time: 0.1\n"
        + f"Test:  Acc@1 {20 + epoch:.3f} Acc@5 50.000\n"
        for epoch in (0, 1)
    )
    series = _collected(lines)
    assert series["loss"] == [(0.0, 2.0), (0.5, 1.5), (1.0, 1.0), (1.5, 0.5)]
    assert series["test_acc1"] == [(0, 20.0), (1, 21.0)]  # at its epoch, as imagenet's is
    assert series["acc1"] == [(0.0, 10.0), (0.5, 10.0), (1.0, 10.0), (1.5, 10.0)]


def test_reinforcement_learning_episodes_are_the_step_not_a_metric() -> None:
    # pytorch/examples reinforcement_learning/reinforce.py, --log-interval 10
    lines = "".join(
        f"Episode {episode}\tLast reward: {episode / 2:.2f}\tAverage reward: {episode / 3:.2f}\n"
        for episode in (10, 20, 30)
    )
    series = _collected(lines)
    assert set(series) == {"last_reward", "average_reward"}
    assert series["last_reward"] == [(10, 5.0), (20, 10.0), (30, 15.0)]


def test_a_line_logged_while_a_tqdm_bar_is_drawn_is_read_after_the_bar() -> None:
    # Hugging Face's run_glue_no_trainer.py: accelerate's logger writes "epoch 0: {...}" on the
    # line of the bar's last redraw, which has no newline of its own
    bar = "{p:3d}%|#####     | {n}/26 [00:05<00:02,  5.27it/s]"
    log = "12/07/2026 01:25:56 - INFO - __main__ - [RANK 0] epoch {e}: {{'accuracy': {a}}}\n"
    text = (
        "\r"
        + bar.format(p=0, n=0)
        + "\r"
        + bar.format(p=46, n=12)
        + log.format(e=0, a=0.45)
        + "\r"
        + bar.format(p=50, n=13)
        + "\r"
        + bar.format(p=100, n=26)
        + log.format(e=1, a=0.47)
    )
    series = _collected(text)
    assert series == {"accuracy": [(0, 0.45), (1, 0.47)]}


def test_torchtune_bars_give_the_loss_at_each_global_step_their_description_shows() -> None:
    # torchtune's recipes (full_finetune_single_device.py): a bar per epoch, its description
    # set to f"{curr_epoch + 1}|{self.global_step}|Loss: {loss_value:.4f}" at every step
    bar = "\r{e}|{s}|Loss: {loss:.4f}: {p:3d}%|#####     | {n}/2 [00:01<00:01,  1.90it/s]"
    text = ""
    for epoch in (1, 2):
        text += f"\r{epoch - 1}|{2 * epoch - 2}:   0%|          | 0/2 [00:00<?, ?it/s]"
        for done in (1, 2):
            step = 2 * (epoch - 1) + done
            text += bar.format(e=epoch, s=step, loss=1 / step, p=50 * done, n=done)
        text += "\n"
    # every redraw is a step of its own: the loss at each step it was drawn, once
    assert _collected(text) == {"loss": [(1, 1.0), (2, 0.5), (3, 0.3333), (4, 0.25)]}


def test_ultralytics_training_table_gives_each_epoch_its_losses() -> None:
    # ultralytics 8 (`yolo detect train ... epochs=2`): the table's header before each epoch,
    # then its row redrawn with its progress bar ("\r\x1b[K"), then the validation's
    text = ""
    for epoch in (1, 2):
        text += "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size\n"
        for done, loss in ((0, 0.9), (1, 0.7 / epoch), (2, 0.6 / epoch)):
            text += (
                f"\r\x1b[K        {epoch}/2         0G     {loss:.4f}     0.6997     0.4142"
                f"          8         64: {50 * done}% ━━━━━━────── {done}/2 1.5it/s 1.4s"
            )
        text += "\n\r\x1b[K                 Class     Images  Instances      Box(P          R"
        text += "      mAP50  mAP50-95): 100% ━━━━━━━━━━━━ 1/1 1.5it/s 0.6s\n"
        text += f"{'all':>23}          4          8      0.125       0.25      0.105"
        text += f"     {epoch / 10}\n"
    series = _collected(text)
    assert series["box_loss"] == [(1, 0.6), (2, 0.3)]
    # named as its results.csv names them; not Instances, Size, GPU_mem
    assert series["metrics/mAP50-95(B)"] == [(1, 0.1), (2, 0.2)]
    assert set(series) == {"box_loss", "cls_loss", "dfl_loss"} | {
        f"metrics/{name}(B)" for name in ("precision", "recall", "mAP50", "mAP50-95")
    }


def _fastai_fit(first: float, epochs: int) -> str:
    """What fastai's Learner.fit prints on a console (fastprogress): the header, then each
    epoch's row after the bars it redrew with carriage returns."""
    bar = "\rEpoch {e}/{n} : |████------| 40.00% [2/5 00:06<00:10 2.3198]"
    text = "\u2588\repoch     train_loss  valid_loss  accuracy  time    \n"
    for epoch in range(epochs):
        loss = first - epoch / 10
        text += bar.format(e=epoch + 1, n=epochs) + "\r\rEpoch 1/1 :      \r"
        text += f"{epoch:<10d}{loss:<12.6f}{loss / 2:<12.6f}{0.5 + epoch / 10:<10.6f}00:16     \n"
    return text


def test_fastai_epoch_table_rows_are_its_epochs_and_a_second_fit_goes_on() -> None:
    # fastai nbs/examples/migrating_fastai.py (learn.fit_one_cycle) prints one table; a
    # fine_tune prints two, the second's epochs counted from 0 again
    series = _collected(_fastai_fit(0.9, 2))
    assert series == {
        "train_loss": [(0, 0.9), (1, 0.8)],
        "valid_loss": [(0, 0.45), (1, 0.4)],
        "accuracy": [(0, 0.5), (1, 0.6)],
    }
    series = _collected(_fastai_fit(0.9, 1) + _fastai_fit(0.7, 2))
    assert series["train_loss"] == [(0, 0.9), (1, 0.7), (2, 0.6)]


# skorch's PrintLog (tabulate's "simple" table, colours on the best values whatever the
# output), as skorch 1.4 printed it for a net with Checkpoint and LRScheduler: "cp" shows "+"
# on the epochs it saved, nothing on the others; "dur" is the epoch's seconds.
SKORCH_TABLE = (
    "  epoch      lr    train_loss    valid_loss    cp     dur\n"
    "-------  ------  ------------  ------------  ----  ------\n"
    "      1  0.1000        \x1b[32m0.6872\x1b[0m        \x1b[35m0.6759\x1b[0m     +  0.0342\n"
    "      2  0.1000        \x1b[32m0.6739\x1b[0m        0.6801        0.0342\n"
    "      3  0.0500        \x1b[32m0.6586\x1b[0m        \x1b[35m0.6519\x1b[0m     +  0.0342\n"
)


def test_skorch_epoch_table_gives_rows_with_a_blank_cell_and_no_duration() -> None:
    # Before, a "+" or a blank cell left every row unread (the run recorded no metric), and
    # without a checkpoint, "dur" was recorded as a metric.
    series = _collected(SKORCH_TABLE)
    assert series == {
        "lr": [(1, 0.1), (2, 0.1), (3, 0.05)],
        "train_loss": [(1, 0.6872), (2, 0.6739), (3, 0.6586)],
        "valid_loss": [(1, 0.6759), (2, 0.6801), (3, 0.6519)],
    }


def test_pyros_tab_separated_step_and_loss_table_gives_the_loss_at_each_step() -> None:
    # pyro's examples/contrib/autoname/mixture.py (hmm.py and lda.py log the same through
    # logging): print("Step\tLoss"), then "{}\t{:0.5g}" every 10 steps; before, nothing
    text = "Step\tLoss\n10\t7684.3\n20\t2046.9\n    30\t930.34\nParameters:\n"
    text += "latent.probs = [0.48355332 0.51644665]\n"
    assert _collected(text) == {"Loss": [(10, 7684.3), (20, 2046.9), (30, 930.34)]}


def test_a_second_skorch_fit_goes_on_from_the_epoch_after_the_first() -> None:
    # skorch's README fits a net, then a pipeline around it (a new table, epochs from 1)
    second = SKORCH_TABLE.replace("0.68", "0.58").replace("0.67", "0.57").replace("0.65", "0.55")
    series = _collected(SKORCH_TABLE + "Re-initializing module.\n" + second)
    assert [step for step, _ in series["train_loss"]] == [1, 2, 3, 4, 5, 6]
    assert series["valid_loss"][3:] == [(4, 0.5759), (5, 0.5801), (6, 0.5519)]


@pytest.mark.parametrize(
    "header",
    [
        "epoch     train_loss  valid_loss  time",
        "   epoch     train_loss  valid_loss  time",  # indented
        "\x1b[1mepoch     train_loss  valid_loss  time\x1b[0m",  # in bold
        "[3/3 00:01<00:00]\repoch     train_loss  valid_loss  time",  # after a bar's redraw
    ],
)
def test_a_column_tables_header_is_found_however_the_line_begins(header: str) -> None:
    # The header is looked for only in lines whose shown text starts as a step word does
    # (a line of prose is not scanned for each word): what the terminal shows counts, not
    # the line's first byte.
    assert _collected(f"{header}\n0         0.9  0.5  00:10\n") == {
        "train_loss": [(0, 0.9)],
        "valid_loss": [(0, 0.5)],
    }


def test_gradient_boostings_verbose_table_gives_its_losses_at_each_iteration() -> None:
    # scikit-learn's GradientBoostingClassifier(verbose=1, subsample=0.8): VerboseReporter's
    # header of two-word names, then rows at iterations 1-10, 20, ...; the time left is none
    text = (
        "      Iter       Train Loss      OOB Improve   Remaining Time \n"
        "         1           1.6852           0.5800            1.92s\n"
        "         2           1.3801           0.2632            1.73s\n"
        "        20           0.4968           0.0828            1.05m\n"
        "Test accuracy: 0.8978\n"
    )
    assert _collected(text) == {
        "train_loss": [(1, 1.6852), (2, 1.3801), (20, 0.4968)],
        "oob_improve": [(1, 0.58), (2, 0.2632), (20, 0.0828)],
        "test_accuracy": [(20, 0.8978)],
    }


def test_a_column_table_needs_its_header_and_whole_rows() -> None:
    series = _collected(
        "0         0.9  0.5  0.2  00:10\n"  # a row without a header before it
        "epoch train loss valid loss\n1 0.5 0.4 0.3\n"  # prose, blanks not columns
        "epoch     train_loss  valid_loss  time\n"
        "0         0.9  0.5  00:10  extra\n"  # a cell too many
        "1         #na#  0.4  00:10\n"  # fastai's "no value"
    )
    assert series == {"valid_loss": [(1, 0.4)]}


def test_ignite_progress_bar_and_results_lines_give_each_epoch_its_values() -> None:
    # PyTorch Ignite examples/mnist/mnist_with_tqdm_logger.py: ProgressBar(persist=True)
    # with the RunningAverage "loss" in its postfix, then pbar.log_message's result lines
    text = ""
    for epoch, loss in ((1, 2.32), (2, 2.31)):
        bar = "\rEpoch [{e}/2]: [{n}/20] {p:3d}%|{b:<10}, loss={v} [00:16<00:00]"
        for n in (1, 19, 20, 20):
            text += bar.format(e=epoch, n=n, p=5 * n, b="█" * (n // 2), v=loss)
        text += (
            f"\nTraining Results - Epoch: {epoch} Avg accuracy: 0.1{epoch} Avg loss: 2.2{epoch}\n"
            f"Validation Results - Epoch: {epoch} Avg accuracy: 0.0{epoch} Avg loss: 2.3{epoch}\n"
        )
    series = _collected(text)
    assert series["loss"] == [(1, 2.32), (2, 2.31)]
    assert series["train_avg_accuracy"] == [(1, 0.11), (2, 0.12)]
    assert series["val_avg_loss"] == [(1, 2.31), (2, 2.32)]


def test_ignite_mnist_bars_labelled_description_gives_the_loss_at_each_epoch() -> None:
    # PyTorch Ignite examples/mnist/mnist.py: tqdm(desc=f"ITERATION - loss: {0:.2f}"), the
    # description set each log_interval, the bar reset to 0 after each epoch's results; the
    # logger's lines written behind a redraw (as that run printed them)
    bar = "\rITERATION - loss: {v}: {p:3d}%|{b:<10}| {n}/10 [00:01<00:00,  7.37it/s]"
    text = bar.format(v="0.00", p=0, b="", n=0)
    text += "2026-12-07 23:28:07,202 trainer INFO: Engine run starting with max_epochs=2.\n"
    for epoch, losses in ((1, ("2.30", "2.31", "2.32")), (2, ("2.31", "2.29"))):
        for n, loss in enumerate(losses, 1):
            text += bar.format(v=loss, p=20 * n, b="█" * 2 * n, n=2 * n)
        text += (
            f"\r{' ' * 71}\rTraining Results - Epoch: {epoch} Avg accuracy: 0.10 Avg loss: 2.30\n"
            f"\r{' ' * 71}\rValidation Results - Epoch: {epoch} Avg accuracy: 0.08 Avg loss: 2.32\n"
        )
        text += bar.format(v=losses[-1], p=0, b="", n=0)
        text += f"2026-12-07 23:28:09,621 trainer INFO: Epoch[{epoch}] Complete.\n"
    text += f"\r{' ' * 71}\r"  # pbar.close()
    series = _collected(text)
    # the placeholder 0.00 drawn before the first batch is no point
    assert series["loss"] == [(1, 2.32), (2, 2.29)]
    assert series["val_avg_loss"] == [(1, 2.32), (2, 2.32)]


def test_a_placeholder_bar_erased_before_its_first_batch_is_no_point() -> None:
    # PyTorch Ignite examples/mnist/mnist_save_resume_engine.py: tqdm(desc=f"Epoch {0} - loss:
    # {0:.4f} - lr: {lr:.4f}"), then tqdm.write("Resume from the checkpoint: ...") erases it
    # and draws it again; the bar's description set each log_interval
    placeholder = "\rEpoch 0 - loss: 0.0000 - lr: 0.0100:   0%|          | 0/10 [00:00<?, ?it/s]"
    bar = "\rEpoch {e} - loss: {v} - lr: 0.0100: 100%|██████████| 10/10 [00:00<00:00, 188.28it/s]"
    clear = f"\r{' ' * 85}\r"
    text = f"{placeholder}{clear}Resume from the checkpoint: ckpt.pt\n{placeholder}"
    for epoch, loss in ((1, "2.2500"), (2, "2.0000")):
        done = bar.format(e=epoch, v=loss)
        text += f"{done}{clear}Training Results - Epoch: {epoch} Avg accuracy: 0.10 Avg loss: 2.2\n"
        text += f"{done}{clear}Validation Results - Epoch: {epoch} Avg loss: 2.3\n"
        text += done
    text += clear  # pbar.close(), leave=False
    series = _collected(text)
    assert series["loss"] == [(1, 2.25), (2, 2.0)]
    assert series["lr"] == [(1, 0.01), (2, 0.01)]


def test_rivers_final_print_of_its_metric_is_its_last_checkpoint_not_one_after() -> None:
    # river: evaluate.progressive_val_score(dataset, model, metric, print_every=300) prints
    # each checkpoint and the last sample's; then the program's print(metric) repeats it
    text = (
        "[300] Accuracy: 86.00%\n[600] Accuracy: 86.33%\n[900] Accuracy: 87.67%\n"
        "[1,200] Accuracy: 88.92%\n[1,250] Accuracy: 88.96%\nAccuracy: 88.96%\n"
    )
    assert _collected(text)["accuracy"][-2:] == [(1200, 88.92), (1250, 88.96)]
    # a value the line after prints differently is a point of its own, after the last
    differs = text.removesuffix("Accuracy: 88.96%\n") + "Accuracy: 88.99%\n"
    assert _collected(differs)["accuracy"][-2:] == [(1250, 88.96), (1251, 88.99)]
    # and so are equal step-less lines, each printed by itself: none is dropped
    assert _collected("epoch 1\nloss=0.25\nloss=0.25\n")["loss"] == [(1, 0.25), (2, 0.25)]


FLAIR_LAST_EPOCH_AND_RESULTS = """\
2026-12-07 23:49:41,397 EPOCH 3 done: loss 0.5271 - lr: 0.100000
2026-12-07 23:49:41,442 DEV : loss 0.36471307277679443 - f1-score (micro avg)  0.8
2026-12-07 23:49:41,454  - 0 epochs without improvement
2026-12-07 23:49:41,456 Loading model from best epoch ...
2026-12-07 23:49:41,597 
Results:
- F-score (micro) 0.85
- F-score (macro) 0.8119
- Accuracy 0.85

By class:
              precision    recall  f1-score   support

         NEG     0.9286    0.8667    0.8966        15
         POS     0.6667    0.8000    0.7273         5

    accuracy                         0.8500        20
   macro avg     0.7976    0.8333    0.8119        20
weighted avg     0.8631    0.8500    0.8542        20

"""


def test_flairs_final_results_block_gives_its_scores_at_the_last_epoch() -> None:
    # flair 0.15 ModelTrainer.train (TextClassifier), as its run printed it
    series = _collected(FLAIR_LAST_EPOCH_AND_RESULTS)
    assert series["f_score_micro"] == [(3, 0.85)]
    assert series["f_score_macro"] == [(3, 0.8119)]
    assert series["accuracy"] == [(3, 0.85)]  # the bullet's; the report's equal one adds none
    assert series["dev_f1_score_micro_avg"] == [(3, 0.8)]


# TensorFlow's basic_training_loops guide prints the model before training, then each epoch
# under a header of its own (the format strings of the guide, the numbers its run printed).
TF_BASIC_TRAINING_LOOPS = """\
Current loss: 10.335007
Starting:
     W = 5.00, b = 0.00, loss=10.33501
Epoch  0:
     W = 4.48, b = 0.41, loss=6.49796
Epoch  1:
     W = 4.10, b = 0.73, loss=4.29239
Epoch  2:
     W = 3.82, b = 0.99, loss=3.01436
Current loss: 3.014360
"""


def test_a_value_printed_before_the_first_epoch_header_does_not_shift_the_epochs() -> None:
    series = _collected(TF_BASIC_TRAINING_LOOPS)
    # each epoch's values at the epoch its header prints; the state before training just
    # before epoch 0, not at 0 with every epoch pushed one step on
    assert series["loss"] == [(-1, 10.33501), (0, 6.49796), (1, 4.29239), (2, 3.01436)]
    assert [step for step, _ in series["w"]] == [-1, 0, 1, 2]
    assert series["current_loss"] == [(0, 10.335007), (2, 3.01436)]


def test_a_value_printed_before_a_first_header_past_it_keeps_its_place() -> None:
    series = _collected("loss: 2.5\nEpoch 1\nloss: 1.5\nEpoch 2\nloss: 0.5\n")
    assert series["loss"] == [(0, 2.5), (1, 1.5), (2, 0.5)]


def test_several_values_printed_before_any_header_stay_a_series_by_order() -> None:
    series = _collected("loss: 3.0\nloss: 2.5\nEpoch 1\nloss: 1.5\n")
    assert series["loss"] == [(0, 3.0), (1, 2.5), (2, 1.5)]


def test_monai_tutorial_places_batch_losses_in_their_epoch_and_dice_at_its_epoch() -> None:
    # MONAI's spleen_segmentation_3d tutorial (no TensorBoard writer): a leading "step/len"
    # counter on each batch's line under "epoch N/M", the validation two lines later
    text = (
        "----------\nepoch 1/2\n1/2, train_loss: 0.6594\n2/2, train_loss: 0.6421\n"
        "epoch 1 average loss: 0.6508\n"
        "----------\nepoch 2/2\n1/2, train_loss: 0.6312\n2/2, train_loss: 0.6175\n"
        "epoch 2 average loss: 0.6244\n"
        "saved new best metric model\n"
        "current epoch: 2 current mean dice: 0.0473\nbest mean dice: 0.0473 at epoch: 2\n"
    )
    series = _collected(text)
    assert series == {
        "train_loss": [(0.5, 0.6594), (1.0, 0.6421), (1.5, 0.6312), (2.0, 0.6175)],
        "average_loss": [(1, 0.6508), (2, 0.6244)],
        "current_mean_dice": [(2, 0.0473)],
        "best_mean_dice": [(2, 0.0473)],
    }


# Course homework reading its settings by position: `python train.py 0.01 3`.
POSITIONAL_ARGV = """\
import sys
lr = float(sys.argv[1])
epochs = int(sys.argv[2])
name = sys.argv[3]
api_key = sys.argv[4]
for epoch in range(epochs):
    print(f"Epoch {epoch + 1}/{epochs} - loss: {1 / (epoch + 1):.4f}")
"""


def test_positional_arguments_are_params_under_the_names_the_script_gives_them(
    repo: Repo,
) -> None:
    program(repo, POSITIONAL_ARGV)

    _, run = exec_run(repo, sys.executable, "train.py", "0.01", "3", "small", "sk-abc123secret")

    assert run["params"]["lr"] == 0.01
    assert run["params"]["epochs"] == 3
    assert run["params"]["name"] == "small"
    assert "sk-abc123secret" not in str(run["params"])  # a secret's name: never a param
