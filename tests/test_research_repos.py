"""Popular research repositories' training scripts as a person reads their records, each
imitated by a small program of our own that prints what the script prints, recorded through
the real ``runledger exec``.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import Repo
from tests.test_autocapture import exec_run

# kuangliu/pytorch-cifar's main.py with its utils.progress_bar: "Epoch: N", then a bar per
# batch redrawn with "\r" (the last ends with "\n"), its message padded to the terminal's
# width (stty's), then backspaces to the middle of the bar and the batch counter written
# there; train(epoch) then test(epoch) print the same "Loss: | Acc:" names.
PYTORCH_CIFAR = """\
import sys

import pytest
term_width = int(sys.argv[1])

def format_time(seconds):
    millis = int(seconds * 1000) % 1000
    return '%ds%dms' % (int(seconds), millis) if seconds >= 1 else '%dms' % millis

def progress_bar(current, total, msg):
    done = int(65 * current / total)
    sys.stdout.write(' [' + '=' * done + '>' + '.' * (65 - done - 1) + ']')
    text = '  Step: %s | Tot: %s | %s' % (format_time(0.168), format_time(65.2), msg)
    sys.stdout.write(text + ' ' * (term_width - 65 - len(text) - 3))
    sys.stdout.write('\\b' * (term_width - 32 + 2) + ' %d/%d ' % (current + 1, total))
    sys.stdout.write('\\r' if current < total - 1 else '\\n')
    sys.stdout.flush()

def run(batches, size, loss, acc):
    for batch in range(batches):
        seen = (batch + 1) * size
        progress_bar(batch, batches, 'Loss: %.3f | Acc: %.3f%% (%d/%d)'
                     % (loss + batch / 100, acc, int(acc * seen / 100), seen))

for epoch in range(2):
    print('\\nEpoch: %d' % epoch)
    run(3, 128, 2.0 - epoch, 40.0 + 10 * epoch)
    run(2, 100, 1.5 - epoch / 2, 45.0 + 10 * epoch)
    print('Saving..')
"""


def test_pytorch_cifar_progress_bar_gives_train_and_test_loss_and_acc_per_epoch(
    repo: Repo,
) -> None:
    repo.write("main.py", PYTORCH_CIFAR)
    repo.commit_all("pytorch-cifar")

    for width in ("80", "200"):  # the counter lands inside the message, or inside the bar
        _, run = exec_run(repo, sys.executable, "main.py", width)

        assert run["series"] == {
            "loss": [[0, 2.02], [1, 1.02]],
            "acc": [[0, 40.0], [1, 50.0]],
            "test_loss": [[0, 1.51], [1, 1.01]],
            "test_acc": [[0, 45.0], [1, 55.0]],
        }, width
        shown = repo.cli("show", run["id"]).stdout
        assert "\\x08" not in shown  # the bar as a terminal shows it, not its backspaces
        assert "Acc: 55.000% (110/200)" in shown


# weiaicunzai/pytorch-cifar100: train.py reads its schedule from conf/global_settings.py
# through `from conf import settings` (conf/__init__.py copies its UPPER_CASE names).
CIFAR100_SETTINGS = """\
from datetime import datetime
CIFAR100_TRAIN_MEAN = (0.5070751592371323, 0.48654887331495095, 0.4409178433670343)
CHECKPOINT_PATH = 'checkpoint'
EPOCH = 200
MILESTONES = [60, 120, 160]
DATE_FORMAT = '%A_%d_%B_%Y_%Hh_%Mm_%Ss'
TIME_NOW = datetime.now().strftime(DATE_FORMAT)
SAVE_EPOCH = 10
"""
CIFAR100_CONF_INIT = """\
import conf.global_settings as settings

class Settings:
    def __init__(self, settings):
        for attr in dir(settings):
            if attr.isupper():
                setattr(self, attr, getattr(settings, attr))

settings = Settings(settings)
"""
CIFAR100_TRAIN = """\
import argparse
from conf import settings
parser = argparse.ArgumentParser()
parser.add_argument('-net', type=str, required=True)
parser.add_argument('-lr', type=float, default=0.1)
args = parser.parse_args()
for epoch in range(1, 3):
    print('Test set: Epoch: {}, Average loss: {:.4f}, Accuracy: {:.4f}, Time consumed:{:.2f}s'
          .format(epoch, 0.05 / epoch, 0.2 * epoch, 1.5))
print(settings.EPOCH, settings.MILESTONES)
"""


def test_pytorch_cifar100_settings_module_constants_are_params(repo: Repo) -> None:
    repo.write("conf/global_settings.py", CIFAR100_SETTINGS)
    repo.write("conf/__init__.py", CIFAR100_CONF_INIT)
    repo.write("train.py", CIFAR100_TRAIN)
    repo.commit_all("pytorch-cifar100")

    _, run = exec_run(repo, sys.executable, "train.py", "-net", "resnet18")

    assert run["params"] == {
        "net": "resnet18",
        "lr": 0.1,
        "EPOCH": 200,
        "MILESTONES": [60, 120, 160],
        "SAVE_EPOCH": 10,
    }
    assert run["param_sources"]["EPOCH"] == "default:conf/global_settings.py"
    assert run["series"]["test_accuracy"] == [[1, 0.2], [2, 0.4]]


def test_a_config_module_beside_the_script_gives_its_constants_and_loses_to_flags(
    repo: Repo,
) -> None:
    repo.write("config.py", "BATCH_SIZE = 64\nLR = 3e-4\nUSE_AMP = True\nDATA_DIR = 'data'\n")
    repo.write("helpers.py", "WIDTH = 512\n")
    repo.write(
        "train.py",
        "import argparse\nimport config\nimport helpers\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('--lr', type=float, default=config.LR)\n"
        "print('lr', parser.parse_args().lr, helpers.WIDTH)\n",
    )
    repo.commit_all("config.py")

    _, run = exec_run(repo, sys.executable, "train.py", "--lr", "0.01")

    # config.LR is the flag's default: the flag's value stands for it
    assert run["params"] == {"lr": 0.01, "BATCH_SIZE": 64, "USE_AMP": True}
    assert run["param_sources"]["BATCH_SIZE"] == "default:config.py"


# lucidrains' training scripts (x-transformers' train_copy.py, enwik8 examples): settings as
# UPPER_CASE constants, the counts written as int(1e5)
LUCIDRAINS_TRAIN = """\
NUM_BATCHES = int(1e5)
BATCH_SIZE = 4
GRADIENT_ACCUMULATE_EVERY = 4
LEARNING_RATE = 1e-4
PRIME_LENGTH = int(128.5)
for i in range(3):
    print(f'training loss: {3.0 - i / 10}')
    if i % 2 == 0:
        print(f'validation loss: {3.1 - i / 10}')
"""


def test_lucidrains_constants_written_as_int_of_a_float_are_params(repo: Repo) -> None:
    repo.write("train.py", LUCIDRAINS_TRAIN)
    repo.commit_all("lucidrains")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "NUM_BATCHES": 100000,
        "BATCH_SIZE": 4,
        "GRADIENT_ACCUMULATE_EVERY": 4,
        "LEARNING_RATE": 1e-4,
    }


# pytorch-CycleGAN-and-pix2pix's train.py: options between rules of dashes, then
# util/visualizer.py's losses every print_freq images (iters restarts every epoch, from 1)
CYCLEGAN = """\
options = {'batch_size': 1, 'lambda_L1': 100.0, 'lr': 0.0002, 'n_epochs': 2, 'name': 'facades'}
print('----------------- Options ---------------')
for k, v in sorted(options.items()):
    comment = '\\t[default: 1]' if k == 'n_epochs' else ''
    print('{:>25}: {:<30}{}'.format(str(k), str(v), comment))
print('----------------- End -------------------')
print('The number of training images = 400')
print('[Network G] Total number of parameters : 54.414 M')
for epoch in range(1, 3):
    for iters in (200, 400):
        losses = {'G_GAN': epoch + iters / 1000, 'G_L1': 30.0 - epoch, 'D_real': 0.5}
        message = '(epoch: %d, iters: %d, time: %.3f, data: %.3f) ' % (epoch, iters, 0.06, 0.002)
        for k, v in losses.items():
            message += '%s: %.3f ' % (k, v)
        print(message)
    print('End of epoch %d / %d \\t Time Taken: %d sec' % (epoch, 2, 12))
    print('learning rate %.7f -> %.7f' % (0.0002, 0.0001))
"""


def test_cyclegan_losses_at_the_fraction_of_epochs_and_its_options_no_metric(repo: Repo) -> None:
    repo.write("train.py", CYCLEGAN)
    repo.commit_all("pytorch-CycleGAN-and-pix2pix")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["series"] == {
        "g_gan": [[0.5, 1.2], [1.0, 1.4], [1.5, 2.2], [2.0, 2.4]],
        "g_l1": [[0.5, 29.0], [1.0, 29.0], [1.5, 28.0], [2.0, 28.0]],
        "d_real": [[0.5, 0.5], [1.0, 0.5], [1.5, 0.5], [2.0, 0.5]],
    }


# jadore801120/attention-is-all-you-need-pytorch's train.py: "[ Epoch 0 ]", then
# print_performances for the training and the validation pass, both with the lr
ATTENTION_IS_ALL_YOU_NEED = """\
import math
def print_performances(header, loss, accu, lr):
    print('  - {header:12} ppl: {ppl: 8.5f}, accuracy: {accu:3.3f} %, lr: {lr:8.5f}, '
          'elapse: {elapse:3.3f} min'.format(header=f"({header})", ppl=math.exp(loss),
                                             accu=100 * accu, elapse=0.123, lr=lr))
for epoch_i in range(2):
    print('[ Epoch', epoch_i, ']')
    print_performances('Training', 3.0 - epoch_i, 0.2 + epoch_i / 10, 0.00001 * (epoch_i + 1))
    print_performances('Validation', 2.5 - epoch_i, 0.25 + epoch_i / 10, 0.00001 * (epoch_i + 1))
    print('    - [Info] The checkpoint file has been updated.')
"""


def test_attention_is_all_you_need_train_and_valid_ppl_and_one_lr_per_epoch(repo: Repo) -> None:
    repo.write("train.py", ATTENTION_IS_ALL_YOU_NEED)
    repo.commit_all("attention-is-all-you-need-pytorch")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["series"] == {
        "train_ppl": [[0, 20.08554], [1, 7.38906]],
        "train_accuracy": [[0, 20.0], [1, 30.0]],
        "lr": [[0, 1e-05], [1, 2e-05]],
        "val_ppl": [[0, 12.18249], [1, 4.48169]],
        "val_accuracy": [[0, 25.0], [1, 35.0]],
    }


# CleanRL's ppo.py: each finished episode printed and written to TensorBoard under
# charts/; two environments ending on one global_step with one return print it twice
CLEANRL = """\
from tensorboardX import SummaryWriter
writer = SummaryWriter("runs/ppo")
for global_step, ret in [(24, 12.0), (58, 29.0), (648, 27.0), (648, 27.0), (670, 11.0)]:
    print(f"global_step={global_step}, episodic_return={[ret]}")
    writer.add_scalar("charts/episodic_return", ret, global_step)
writer.close()
"""


def test_cleanrl_return_printed_twice_on_one_step_is_still_the_writers_series(repo: Repo) -> None:
    pytest.importorskip("tensorboardX")
    repo.write("ppo.py", CLEANRL)
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("cleanrl")

    _, run = exec_run(repo, sys.executable, "ppo.py")

    # the printed episodic_return is the writer's charts/episodic_return: one series
    assert set(run["series"]) == {"charts/episodic_return"}
    assert run["series"]["charts/episodic_return"][-2:] == [[648, 27.0], [670, 11.0]]


# bearpaw/pytorch-classification's cifar.py: "Epoch: [N | M] LR: ...", then a train and a
# test pass, each a progress.bar.Bar redrawn with "\r" and ended with "\n"
PYTORCH_CLASSIFICATION = """\
import sys
def bar_run(size, loss, top1):
    for batch in range(1, size + 1):
        suffix = ('({batch}/{size}) Data: {data:.3f}s | Batch: {bt:.3f}s | Total: {total:} | '
                  'ETA: {eta:} | Loss: {loss:.4f} | top1: {top1: .4f} | top5: {top5: .4f}').format(
            batch=batch, size=size, data=0.012, bt=0.345, total='0:00:%02d' % batch,
            eta='0:00:01', loss=loss + batch / 100, top1=top1, top5=90.0)
        filled = 32 * batch // size
        sys.stdout.write('\\rProcessing |' + '#' * filled + ' ' * (32 - filled) + '| ' + suffix)
        sys.stdout.flush()
    sys.stdout.write('\\n')
for epoch in range(2):
    print('\\nEpoch: [%d | %d] LR: %f' % (epoch + 1, 2, 0.1))
    bar_run(3, 2.0 - epoch, 40.0 + epoch)
    bar_run(2, 1.5 - epoch, 45.0 + epoch)
"""


def test_pytorch_classification_bars_give_train_and_test_loss_and_top1(repo: Repo) -> None:
    repo.write("cifar.py", PYTORCH_CLASSIFICATION)
    repo.commit_all("pytorch-classification")

    _, run = exec_run(repo, sys.executable, "cifar.py")

    assert run["series"] == {
        "loss": [[1, 2.03], [2, 1.03]],
        "top1": [[1, 40.0], [2, 41.0]],
        "top5": [[1, 90.0], [2, 90.0]],
        "test_loss": [[1, 1.52], [2, 0.52]],
        "test_top1": [[1, 45.0], [2, 46.0]],
        "test_top5": [[1, 90.0], [2, 90.0]],
    }


# yunjey/pytorch-tutorial (and makemore's --learning-rate): the program's own learning_rate
# handed to the optimizer as its lr
YUNJEY_FEEDFORWARD = """\
import sys
import torch

# Hyper-parameters
learning_rate = 0.001
num_epochs = 5

model = torch.nn.Linear(4, 2)
scale = float(sys.argv[1])
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate * scale)
print('Epoch [1/5], Step [100/600], Loss: 0.2186')
"""


def test_the_optimizers_lr_that_restates_the_programs_learning_rate_is_not_a_second_param(
    repo: Repo,
) -> None:
    pytest.importorskip("torch")
    repo.write("main.py", YUNJEY_FEEDFORWARD)
    repo.commit_all("yunjey")

    _, same = exec_run(repo, sys.executable, "main.py", "1")
    _, scaled = exec_run(repo, sys.executable, "main.py", "0.5")

    assert same["params"] == {
        "learning_rate": 0.001,
        "num_epochs": 5,
        "optimizer": "Adam",
        "scale": 1,  # sys.argv[1], read by the script
    }
    # a rate the program changed before the optimizer got it is a setting of its own
    assert scaled["params"]["lr"] == 0.0005 and scaled["params"]["learning_rate"] == 0.001
