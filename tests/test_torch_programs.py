"""Conventions of real PyTorch programs, each reproduced in a small program of our own and
recorded through the real ``runledger exec``: nanoGPT's configurator (a script's settings as
top-level globals, a ``.py`` config file and ``--key=value`` overrides exec'd over them),
pytorch/examples regression's ``Loss: 0.000996 after 150 batches``, and a training loop that
prints ``Loss:`` and also writes the same loss to TensorBoard.
"""

from __future__ import annotations

import re
import sys
import textwrap

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

# nanoGPT's train.py in small: settings, then exec(configurator.py), then training.
NANOGPT_TRAIN = """\
import math
import time

# default config values
out_dir = 'out'
eval_interval = 2000
eval_only = False # if True, script exits right after the first eval
init_from = 'scratch'
wandb_run_name = 'gpt2' # 'run' + str(time.time())
gradient_accumulation_steps = 5 * 8 # used to simulate larger batch sizes
batch_size = 12
learning_rate = 6e-4
weight_decay = 1e-1
beta1 = 0.9
grad_clip = 1.0
max_iters = 600000
min_lr = learning_rate / 10
device = 'cuda'
dtype = 'bfloat16' if time.time() > 0 else 'float16'
compile = True
config_keys = [k for k,v in globals().items()
               if not k.startswith('_') and isinstance(v, (int, float, bool, str))]
exec(open('configurator.py').read()) # overrides from command line or config file
config = {k: globals()[k] for k in config_keys}
local_setting = 7  # after the exec: not a setting of the configurator
running_mfu = -1.0
for it in range(max_iters):
    if it % eval_interval == 0:
        print(f"step {it}: train loss {4.0 - it / 10:.4f}, val loss {4.1 - it / 10:.4f}")
    if it >= 5: # let the training loop settle a bit
        mfu = 0.25 + it / 100
        running_mfu = mfu if running_mfu == -1.0 else 0.9*running_mfu + 0.1*mfu
    print(f"iter {it}: loss {4.0 - it / 10:.4f}, time {50.0:.2f}ms, mfu {running_mfu*100:.2f}%")
"""

# nanoGPT's configurator.py, as it is.
NANOGPT_CONFIGURATOR = """\
import sys
from ast import literal_eval

for arg in sys.argv[1:]:
    if '=' not in arg:
        assert not arg.startswith('--')
        config_file = arg
        exec(open(config_file).read())
    else:
        assert arg.startswith('--')
        key, val = arg.split('=')
        key = key[2:]
        if key in globals():
            try:
                attempt = literal_eval(val)
            except (SyntaxError, ValueError):
                attempt = val
            assert type(attempt) == type(globals()[key])
            globals()[key] = attempt
        else:
            raise ValueError(f"Unknown config key: {key}")
"""

NANOGPT_CONFIG = """\
import time
out_dir = 'out-shakespeare-char'
eval_interval = 2
wandb_run_name = 'ft-' + str(time.time())
batch_size = 64
gradient_accumulation_steps = 2 * 2
max_iters = 5000
"""


def test_nanogpt_settings_config_file_and_overrides_are_the_effective_config(
    repo: Repo,
) -> None:
    repo.write("train.py", NANOGPT_TRAIN)
    repo.write("configurator.py", NANOGPT_CONFIGURATOR)
    repo.write("config/train_small.py", NANOGPT_CONFIG)
    repo.commit_all("nanogpt")

    _, run = exec_run(
        repo,
        sys.executable,
        "train.py",
        "config/train_small.py",
        "--device=cpu",
        "--compile=False",
        "--max_iters=4",
    )

    params, sources = run["params"], run["param_sources"]
    # the script's own settings, which neither the config file nor the command line names
    assert params["weight_decay"] == 0.1 and params["beta1"] == 0.9
    assert params["grad_clip"] == 1.0 and params["eval_only"] is False
    assert params["init_from"] == "scratch" and params["learning_rate"] == 0.0006
    assert params["min_lr"] == 0.0006 / 10  # arithmetic on a setting above it
    assert sources["weight_decay"] == "default:train.py"
    # the config file over them, its arithmetic included; the command line over both
    assert params["out_dir"] == "out-shakespeare-char" and params["batch_size"] == 64
    assert params["gradient_accumulation_steps"] == 4
    assert sources["gradient_accumulation_steps"] == "config:config/train_small.py"
    assert params["device"] == "cpu" and params["compile"] is False
    assert params["max_iters"] == 4 and sources["max_iters"] == "argv"
    # computed where it was last set (the config file's time stamp): not the script's 'gpt2'
    assert "wandb_run_name" not in params and "dtype" not in params
    # names after the exec, and the configurator's own, are not settings
    assert "local_setting" not in params and "config_keys" not in params
    # both metric lines, at the step they name
    assert series(run, "train_loss") == [[0, 4.0], [2, 3.8]]
    assert series(run, "val_loss") == [[0, 4.1], [2, 3.9]]
    assert [step for step, _ in series(run, "loss")] == [0, 1, 2, 3]
    assert run["metrics"]["mfu"] == -100.0 and run["metrics"]["time_ms"] == 50.0


def test_nanogpt_mfu_placeholder_before_it_measures_is_not_a_point(repo: Repo) -> None:
    """nanoGPT prints ``mfu -100.00%`` (its running_mfu's -1 start) until its fifth
    iteration; those are not measurements and would make -100 the series' minimum."""
    repo.write("train.py", NANOGPT_TRAIN)
    repo.write("configurator.py", NANOGPT_CONFIGURATOR)
    repo.commit_all("nanogpt")

    _, run = exec_run(repo, sys.executable, "train.py", "--max_iters=7")

    assert series(run, "mfu") == [[5, 30.0], [6, 30.1]]
    assert [step for step, _ in series(run, "loss")] == [0, 1, 2, 3, 4, 5, 6]
    assert run["metrics"]["mfu"] == 30.1
    metric_rows = repo.cli("show", run["id"]).stdout.split("output")[0]
    assert re.search(r"\n\s*mfu\s+30\.1\s+30\s+30\.1\s+2\s", metric_rows), metric_rows


def test_a_script_without_the_configurator_gives_no_settings_from_its_globals(
    repo: Repo,
) -> None:
    program(
        repo,
        """\
        POLY_DEGREE = 4
        batch_size = 32
        print("loss=0.5")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--seed", "3")

    assert run["params"] == {"seed": 3}


def test_regression_loss_after_n_batches(repo: Repo) -> None:
    # pytorch/examples regression/main.py prints its result this way, once, at the end
    program(
        repo,
        """\
        batch_idx = 150
        loss = 0.000996
        print('Loss: {:.6f} after {} batches'.format(loss, batch_idx))
        print('==> Learned function:\\t' + 'y = +1.23 x^1 -0.51 x^2 +0.74')
        print('Checkpoint: 3 after 150 batches')
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["series"] == {"loss": [[150, 0.000996]]}


# pytorch/examples mnist's printed lines, with the same values written to TensorBoard.
MNIST_WITH_TENSORBOARD = """\
from tensorboardX import SummaryWriter

writer = SummaryWriter("runs")
batches, log_interval = 8, 2
for epoch in (1, 2):
    for batch_idx in range(batches):
        loss = 2.302585 / (epoch * 10 + batch_idx + 1)
        if batch_idx % log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\\tLoss: {:.6f}'.format(
                epoch, batch_idx * 64, batches * 64, 100. * batch_idx / batches, loss))
            writer.add_scalar('Loss/train', loss, (epoch - 1) * batches + batch_idx)
    test_loss, correct = 0.5 / epoch, 90 + epoch
    print('\\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\\n'.format(
        test_loss, correct, 100, 100. * correct / 100))
    writer.add_scalar('Loss/test', test_loss, epoch)
    writer.add_scalar('Accuracy/test', correct / 100, epoch)
    # an epoch's average, printed only: another quantity than the writer's per-batch loss
    print('Epoch {}: average loss {:.2f}'.format(epoch, 1.0 / epoch))
writer.close()
"""


@needs("tensorboardX")
def test_a_loss_printed_and_written_to_tensorboard_is_one_series(repo: Repo) -> None:
    program(repo, MNIST_WITH_TENSORBOARD)
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, sys.executable, "train.py")

    # "Loss: ..." (train_loss) is the writer's Loss/train; "Test set: Average loss" is
    # Loss/test: the writer's names and steps are kept, the printed copies are not doubled
    assert [step for step, _ in series(run, "Loss/train")] == [0, 2, 4, 6, 8, 10, 12, 14]
    assert "train_loss" not in run["series"] and "test_average_loss" not in run["series"]
    assert series(run, "Loss/test") == [[1, 0.5], [2, 0.25]]
    # different values (a percentage, not a fraction): both kept, the printed one at the
    # epoch whose batches it follows, as the writer's Accuracy/test
    assert series(run, "test_accuracy") == [[1, 91.0], [2, 92.0]]
    assert run["metrics"]["Accuracy/test"] == 0.92
    # the epoch's printed average is not the writer's per-batch loss: kept as printed
    assert series(run, "average_loss") == [[1, 1.0], [2, 0.5]]


# MONAI's 2d_segmentation/torch/unet_training_dict.py: each validation printed, and written
# to TensorBoard as val_mean_dice.
MONAI_WITH_TENSORBOARD = """\
from tensorboardX import SummaryWriter

writer = SummaryWriter("runs")
best_metric = -1
for epoch in range(4):
    print("-" * 10)
    print(f"epoch {epoch + 1}/{4}")
    for step in (1, 2):
        print(f"{step}/2, train_loss: {0.9 - epoch / 10 - step / 100:.4f}")
    print(f"epoch {epoch + 1} average loss: {0.9 - epoch / 10:.4f}")
    if (epoch + 1) % 2 == 0:
        metric = 0.71234 if epoch == 1 else 0.61234
        best_metric = max(best_metric, metric)
        print(
            "current epoch: {} current mean dice: {:.4f} best mean dice: {:.4f} at epoch {}".format(
                epoch + 1, metric, best_metric, epoch + 1
            )
        )
        writer.add_scalar("val_mean_dice", metric, epoch + 1)
writer.close()
"""


@needs("tensorboardX")
def test_a_metric_printed_without_its_phase_and_written_with_it_is_one_series(
    repo: Repo,
) -> None:
    program(repo, MONAI_WITH_TENSORBOARD)
    repo.write(".gitignore", "runs/\n")
    repo.commit_all("ignore")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "val_mean_dice") == [[2, 0.71234], [4, 0.61234]]
    assert "current_mean_dice" not in run["series"]  # the same values, printed
    assert series(run, "best_mean_dice") == [[2, 0.7123], [4, 0.7123]]
    assert series(run, "average_loss")[-1] == [4, 0.6]


def test_a_printed_metric_is_not_folded_into_another_phase_or_other_values(repo: Repo) -> None:
    # the explicit channel any program can use: JSON lines appended to the metrics file
    program(
        repo,
        textwrap.dedent(
            """\
            import json, os
            with open(os.environ["RUNLEDGER_METRICS_FILE"], "a") as log:
                for epoch in (1, 2):
                    log.write(json.dumps({"step": epoch, "loss": 1.0 / epoch}) + "\\n")
                    print(f"epoch {epoch}: val loss {1.0 / epoch:.4f}")
                    print(f"epoch {epoch}: train loss {1.0 / epoch:.4f}")
                    print(f"epoch {epoch}: train acc {1.0 / epoch:.4f}")
            """
        ),
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["series"]) == {"loss", "val_loss", "train_acc"}  # train_loss is loss
    assert series(run, "val_loss") == [[1, 1.0], [2, 0.5]]
