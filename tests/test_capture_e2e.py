"""Params and metrics reach the ledger through exec with no change to the training code."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1])


def show(repo: Repo) -> dict:  # type: ignore[type-arg]
    [run_id] = repo.run_ids()
    return dict(repo.cli("show", run_id, "--json").json())


def test_params_from_every_source_with_precedence(repo: Repo) -> None:
    repo.write("conf.yaml", "lr: 0.1\nbatch_size: 32\nmodel:\n  depth: 6\n  width: 128\nseed: 1\n")
    repo.write(
        "train.py",
        "import runledger\n"
        "runledger.log_params({'seed': 2, 'optimizer': {'name': 'adam'}})\n"
        "print('loss=0.5')\n",
    )
    repo.commit_all("conf")
    proc = repo.run(
        "exec",
        "-p",
        "seed=3",
        "--",
        PY,
        "train.py",
        "--config",
        "conf.yaml",
        "--lr",
        "0.01",
        "model.depth=12",
        "--amp",
        env={"PYTHONPATH": SRC},
    )
    assert proc.returncode == 0, proc.stderr
    run = show(repo)
    params = run["params"]
    assert params["lr"] == 0.01  # command line beats the config file
    assert params["batch_size"] == 32  # only in the config file
    assert params["model"] == {"depth": 12, "width": 128}
    assert params["amp"] is True
    assert params["seed"] == 3  # -p beats log_params beats the config file
    assert params["optimizer"] == {"name": "adam"}
    sources = run["param_sources"]
    assert sources["lr"] == "argv"
    assert sources["batch_size"] == "config:conf.yaml"
    assert sources["seed"] == "cli"
    assert sources["optimizer.name"] == "log_params"
    [config] = run["config_files"]
    assert config["path"] == "conf.yaml"
    digest = hashlib.sha256((repo.path / "conf.yaml").read_bytes()).hexdigest()
    assert config["sha256"] == digest
    shown = repo.cli("show", run["id"]).stdout
    assert "config:conf.yaml" in shown and "log_params" in shown and "cli" in shown


def test_toml_and_json_configs_and_a_broken_one(repo: Repo) -> None:
    repo.write("a.toml", "[optim]\nlr = 0.3\n")
    repo.write("b.json", json.dumps({"dropout": 0.1}))
    repo.write("broken.yaml", "a: [1, 2\n")
    repo.commit_all("configs")
    proc = repo.run("exec", PY, "-c", "pass", "a.toml", "--extra", "b.json", "--c", "broken.yaml")
    assert proc.returncode == 0
    run = show(repo)
    assert run["params"]["optim"] == {"lr": 0.3}
    assert run["params"]["dropout"] == 0.1
    errors = {c["path"]: c.get("error") for c in run["config_files"]}
    assert errors["a.toml"] is None and errors["b.json"] is None
    assert errors["broken.yaml"]


def test_hydra_composed_config_is_recorded(repo: Repo) -> None:
    repo.write(".gitignore", "outputs/\n")
    repo.write(
        "app.py",
        "import os, time\n"
        "d = time.strftime('outputs/%Y-%m-%d/%H-%M-%S')\n"
        "os.makedirs(d + '/.hydra', exist_ok=True)\n"
        "open(d + '/.hydra/config.yaml', 'w').write('trainer:\\n  max_epochs: 20\\nlr: 0.002\\n')\n"
        "print('val_loss=0.7')\n",
    )
    repo.commit_all("hydra app")
    assert repo.run("exec", PY, "app.py", "lr=0.002").returncode == 0
    run = show(repo)
    assert run["params"]["trainer"] == {"max_epochs": 20}
    assert run["params"]["lr"] == 0.002
    # The composed config is the truth: the override is in it, argv is not read again.
    assert run["param_sources"]["trainer.max_epochs"] == "hydra"
    assert run["param_sources"]["lr"] == "hydra"


def test_metrics_from_output_file_and_log_api(repo: Repo) -> None:
    repo.write(
        "train.py",
        "import json, os, runledger\n"
        "for step in range(3):\n"
        "    print(f'step={step} train_loss={1.0 / (step + 1)}')\n"
        "    print(json.dumps({'epoch': step, 'val_acc': 0.5 + step / 10}))\n"
        "    runledger.log({'auc': 0.7 + step / 100}, step=step * 10)\n"
        "with open(os.environ['RUNLEDGER_METRICS_FILE'], 'a') as f:\n"
        "    f.write(json.dumps({'step': 99, 'grad_norm': float('nan')}) + '\\n')\n"
        "print('Setting lr=0.01 for the run')\n",
    )
    repo.commit_all("train")
    assert repo.run("exec", PY, "train.py", env={"PYTHONPATH": SRC}).returncode == 0
    run = show(repo)
    assert run["series"]["train_loss"] == [[0, 1.0], [1, 0.5], [2, 1 / 3]]
    assert run["series"]["val_acc"] == [[0, 0.5], [1, 0.6], [2, 0.7]]
    assert run["series"]["auc"] == [[0, 0.7], [10, 0.71], [20, 0.72]]
    assert run["metrics"]["grad_norm"] is None  # NaN is kept in TOML, null in JSON
    assert "lr" not in run["metrics"]
    summary = run["metric_summaries"]["train_loss"]
    assert summary["min"] == 1 / 3 and summary["max"] == 1.0 and summary["count"] == 3
    [run_id] = repo.run_ids()
    assert "nan" in repo.git("show", f"refs/runledger/runs/{run_id}:metrics.toml")


def test_metrics_survive_a_crash(repo: Repo) -> None:
    code = "import runledger\nrunledger.log({'loss': 0.9}, step=1)\nprint('loss=0.8')\n1/0\n"
    proc = repo.run("exec", PY, "-c", code, env={"PYTHONPATH": SRC})
    assert proc.returncode == 1
    run = show(repo)
    assert run["status"] == "failed"
    assert run["metrics"]["loss"] == 0.9


def test_hundred_thousand_points_of_one_metric(repo: Repo) -> None:
    code = (
        "import sys\n"
        "sys.stdout.write(''.join(f'step={i} loss={1/(i+1)}\\n' for i in range(100000)))\n"
    )
    assert repo.run("exec", PY, "-c", code, timeout=120).returncode == 0
    run = show(repo)
    assert len(run["series"]["loss"]) == 100000
    assert run["series"]["loss"][-1] == [99999, 1 / 100000]
    assert math.isclose(run["metric_summaries"]["loss"]["min"], 1e-5)


def test_system_metrics_are_recorded(repo: Repo, tmp_path: Path) -> None:
    fake = tmp_path / "gpus.json"
    fake.write_text(
        json.dumps(
            [
                {
                    "index": 0,
                    "name": "Fake GPU",
                    "memory_total_mib": 1000,
                    "driver_version": "1",
                    "utilization_pct": 87.0,
                    "memory_used_mib": 512.0,
                }
            ]
        )
    )
    # Spin on the process's own CPU clock, so a loaded machine only makes the test longer.
    code = "import time\nx = bytearray(50 * 2**20)\nwhile time.process_time() < 1.2: pass\n"
    assert repo.run("exec", PY, "-c", code, env={"RUNLEDGER_FAKE_NVML": str(fake)}).returncode == 0
    run = show(repo)
    system = run["system"]
    assert system["cpu_time_s"] >= 1.0
    assert system["max_process_rss_bytes"] >= 50 * 2**20
    assert system["peak_tree_rss_bytes"] >= 50 * 2**20
    assert system["gpus"] == [{"index": 0, "peak_util_pct": 87.0, "peak_mem_mib": 512.0}]
    assert run["system_series"]["gpu0_util_pct"][0][1] == 87.0
    assert "system" not in run["metrics"]


# What Stable-Baselines3's logger prints each round (its HumanOutputFormat, keys sorted, each
# under its section), what Spinning Up's EpochLogger prints (no sections), a settings table
# and a line of dashes that opens no table.
LOGGER_TABLES = """\
import sys

import pytest

def sb3_table(values):
    rows, tag = [], None
    for key in sorted(values):
        section, _, name = key.partition("/")
        if section + "/" != tag:
            tag = section + "/"
            rows.append((tag, ""))
        value = values[key]
        rows.append(("   " + name, "%-8.3g" % value if isinstance(value, float) else str(value)))
    width = max(len(k) for k, _ in rows), max(len(v) for _, v in rows)
    dashes = "-" * (width[0] + width[1] + 7)
    print(dashes)
    for key, value in rows:
        print("| %s | %s |" % (key.ljust(width[0]), value.ljust(width[1])))
    print(dashes)

print("-" * 80)
print("2 samples that are new:")
print("-" * 40)
print("| data_dir   | /tmp/data |")
print("| lr         | 0.001     |")
print("-" * 40)
for n in (1, 2):
    sb3_table({
        "rollout/ep_rew_mean": 20.5 * n, "rollout/ep_len_mean": 20.5 * n,
        "time/fps": 1200, "time/iterations": n, "time/total_timesteps": 2048 * n,
        "train/value_loss": 9.41 / n, "train/learning_rate": 0.0007,
    })
print("-" * 40)
print("|             Epoch |               0 |")
print("|      AverageEpRet |           -10.5 |")
print("|          LossPi   |           0.125 |")
print("-" * 40)
"""


def test_logger_tables_of_rl_libraries_are_read_at_their_timestep(repo: Repo) -> None:
    # rl-baselines3-zoo (Stable-Baselines3) printed 8 values a round; only the 4 named as
    # metrics were read, under their bare names, at steps 0, 1 instead of the timesteps.
    repo.write("train.py", LOGGER_TABLES)
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    series = show(repo)["series"]
    assert series["rollout/ep_rew_mean"] == [[2048, 20.5], [4096, 41.0]]
    assert series["train/value_loss"] == [[2048, 9.41], [4096, 4.71]]  # as printed
    assert series["time/fps"] == [[2048, 1200], [4096, 1200]]
    assert series["AverageEpRet"] == [[0, -10.5]]
    assert series["LossPi"] == [[0, 0.125]]
    assert set(series) == {
        "rollout/ep_rew_mean", "rollout/ep_len_mean", "time/fps", "time/iterations",
        "train/value_loss", "train/learning_rate", "AverageEpRet", "LossPi",
    }  # fmt: skip


# A meter printing "value (running average)" as pytorch/examples imagenet's AverageMeter and
# ProgressMeter do (the same format strings), then timm train.py's per-batch line.
AVERAGE_METERS = """\
class Meter:
    def __init__(self, name, fmt):
        self.name, self.fmt, self.val, self.sum, self.count = name, fmt, 0, 0, 0

    def update(self, val):
        self.val, self.sum, self.count = val, self.sum + val, self.count + 1
        self.avg = self.sum / self.count

    def __str__(self):
        return ('{name} {val' + self.fmt + '} ({avg' + self.fmt + '})').format(**self.__dict__)


def display(prefix, batch, total, meters):
    fmt = '{:' + str(len(str(total))) + 'd}'
    entries = [prefix + ('[' + fmt + '/' + fmt.format(total) + ']').format(batch)]
    entries += [str(meter) for meter in meters]
    print('\\t'.join(entries))


for epoch in range(2):
    meters = [Meter('Time', ':6.3f'), Meter('Loss', ':.4e'), Meter('Acc@1', ':6.2f')]
    for i in range(4):
        for meter, value in zip(meters, (0.5, 2.0 - epoch - i / 10, 10.0 * (i + epoch))):
            meter.update(value)
        display('Epoch: [{}]'.format(epoch), i + 1, 4, meters)
    test = [Meter('Loss', ':.4e'), Meter('Acc@1', ':6.2f')]
    for i in range(2):
        for meter, value in zip(test, (1.5, 40.0 + 10 * epoch + 20 * i)):
            meter.update(value)
        display('Test: ', i + 1, 2, test)
    print(' '.join([' *', '', 'Acc@1 {:.3f}'.format(test[1].avg)]))
print('Train: 0 [   3/4 (100%)]  Loss: 0.669 (0.775)  Time: 0.062s,   64.10/s  '
      '(0.482s,    8.29/s)  LR: 1.000e-02  Data: 0.000 (0.019)')
"""


def test_average_meter_lines_give_each_batchs_value_at_its_place_in_the_epoch(repo: Repo) -> None:
    # pytorch/examples imagenet and timm print "Loss 6.95e+00 (6.90e+00)": nothing was read.
    repo.write("train.py", AVERAGE_METERS)
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    series = show(repo)["series"]
    assert series["loss"] == [
        [0.25, 2.0], [0.5, 1.9], [0.75, 1.8], [1.0, 1.7],
        [1.25, 1.0], [1.5, 0.9], [1.75, 0.8], [2.0, 0.7],
    ]  # fmt: skip
    assert series["acc1"][-1] == [2.0, 40.0]  # the batch's value, not the average (25.0)
    assert series["val_acc1"] == [[0, 50.0], [1, 60.0]]  # " * Acc@1": the validation's
    assert series["batch_time"][0] == [0.25, 0.5]  # "Time": imagenet's batch_time meter
    assert series["train_loss"] == [[1.0, 0.669]]  # timm's [3/4 (100%)] ends epoch 0
    assert series["lr"] == [[1.0, 0.01]] and series["batch_time_s"] == [[1.0, 0.062]]
    assert set(series) == {
        "loss", "acc1", "val_acc1", "batch_time", "train_loss", "lr", "batch_time_s", "data_time",
    }  # fmt: skip


# tqdm as training loops use it: an epoch bar with a batch bar inside it (each redraw of a
# nested bar ends in a newline), a validation bar that is cleared (leave=False), and a bar
# whose description carries the metric.
TQDM_LOOPS = """\
from tqdm import tqdm, trange

for epoch in trange(2, desc="epochs"):
    bar = tqdm(range(5), desc=f"Epoch {epoch + 1}/2")
    for i in bar:
        bar.set_postfix(loss=round(1.0 / (i + 1 + epoch), 3), acc=0.5 + i / 10)
    val = tqdm(range(3), desc="Validating", leave=False)
    for j in val:
        val.set_postfix_str(f"loss: {0.4 - epoch / 10 - j / 100:.3f}")
    val.close()
bar = trange(3)
for e in bar:
    bar.set_description(f"step {100 * (e + 1)} ppl {30 - e:.2f}")
"""


def test_a_tqdm_bar_counts_once_as_its_loop_ended(repo: Repo) -> None:
    # A bar's postfix and description were never read (the bar was prose), and a nested
    # bar's every redraw is a line of its own.
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    repo.write("train.py", TQDM_LOOPS)
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    series = show(repo)["series"]
    assert series["loss"] == [[1, 0.2], [2, 0.167]]  # the closed bar: its last postfix
    assert series["acc"] == [[1, 0.9], [2, 0.9]]
    assert series["val_loss"] == [[1, 0.38], [2, 0.28]]  # the cleared bar's last redraw
    assert series["ppl"] == [[300, 28.0]]  # one bar: its last description
    assert set(series) == {"loss", "acc", "val_loss", "ppl"}


# A batch bar closed with leave=False in a plain epoch loop (no outer bar): tqdm erases it
# with "\r" and blanks on the same line, and tqdm.write erases it too, then draws it again.
TQDM_ERASED = """\
import sys
from tqdm import tqdm

for epoch in range(3):
    bar = tqdm(range(40), desc="train", leave=False)
    for i in bar:
        bar.set_postfix(loss=round(1.0 / (1 + epoch * 40 + i), 4))
        if i == 20:
            tqdm.write(f"batch {i}: halfway")
    if sys.argv[1] == "print":
        print(f"finished epoch {epoch}")
"""


@pytest.mark.parametrize("between", ["print", "nothing"])
def test_a_tqdm_bar_closed_with_leave_false_counts_its_last_redraw(
    repo: Repo, between: str
) -> None:
    # Nothing was recorded: the erased bar left only blanks (and, without a print, the whole
    # output was one line); tqdm.write's erasure in mid-loop must not add a point.
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    repo.write("train.py", TQDM_ERASED)
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py", between)
    assert proc.returncode == 0, proc.stderr
    series = show(repo)["series"]
    assert series == {"train_loss": [[0, 0.025], [1, 0.0125], [2, 0.0083]]}


# tqdm.write inside nested bars: tqdm clears both bars, prints, and draws both again, the
# outer one as a line of its own.
TQDM_NESTED_WRITE = """\
from tqdm import tqdm

outer = tqdm(range(3), desc="epochs", leave=True)
for epoch in outer:
    bar = tqdm(range(40), leave=False, desc="train")
    for i in bar:
        bar.set_postfix(loss=round(1.0 / (1 + epoch * 40 + i), 4))
        if i % 15 == 0:
            tqdm.write(f"epoch {epoch} batch {i}")
    outer.set_postfix(val_acc=round(0.5 + epoch / 10, 2))
"""


def test_tqdm_write_inside_nested_bars_adds_no_point(repo: Repo) -> None:
    # Each tqdm.write gave a point of the inner bar and one of the outer bar (12 and 9
    # points for 3 epochs): its redraw of the outer bar read as the end of both loops.
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    repo.write("train.py", TQDM_NESTED_WRITE)
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    assert show(repo)["series"] == {
        "train_loss": [[0, 0.025], [1, 0.0125], [2, 0.0083]],
        "val_acc": [[0, 0.5], [1, 0.6], [2, 0.7]],
    }


# One bar over the whole training, its description or postfix updated every step:
# denoising-diffusion-pytorch's Trainer.train (``set_description(f'loss: {total_loss:.4f}')``
# then ``update(1)``) and diffusers' train_*.py scripts (``update(1)`` then
# ``set_postfix(**logs)`` on a bar over ``range(0, max_train_steps)`` named "Steps").
TQDM_ONE_BAR = {
    "ddpm": """\
from tqdm.auto import tqdm

step, train_num_steps = 0, 50
with tqdm(initial=step, total=train_num_steps) as pbar:
    while step < train_num_steps:
        total_loss = 1.0 / (step + 1)
        pbar.set_description(f'loss: {total_loss:.4f}')
        step += 1
        pbar.update(1)
print('training complete')
""",
    "diffusers": """\
from tqdm.auto import tqdm

max_train_steps = 40
progress_bar = tqdm(range(0, max_train_steps), initial=0, desc="Steps")
for global_step in range(1, max_train_steps + 1):
    progress_bar.update(1)
    logs = {"step_loss": round(2.0 / global_step, 4)}
    progress_bar.set_postfix(**logs)
progress_bar.close()
""",
}


@pytest.mark.parametrize("program", sorted(TQDM_ONE_BAR))
def test_a_single_tqdm_bar_over_the_run_gives_a_point_per_count(repo: Repo, program: str) -> None:
    # Only the redraw left when the bar closed was read: one point for the whole run.
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    repo.write("train.py", TQDM_ONE_BAR[program])
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    series = show(repo)["series"]
    if program == "ddpm":
        # each count's last redraw: the loss set_description drew at it
        assert series["loss"] == [[n, round(1.0 / min(n + 1, 50), 4)] for n in range(51)]
    else:
        # at each count, the postfix set after it (tqdm shows 3 significant digits)
        assert [step for step, _ in series["step_loss"]] == list(range(1, 41))
        assert [value for _, value in series["step_loss"]] == pytest.approx(
            [2.0 / n for n in range(1, 41)], rel=1e-2
        )


def test_a_bar_faster_than_tqdm_redraws_its_count_records_each_count_at_its_own_step(
    repo: Repo,
) -> None:
    # tqdm(range(steps)) with set_postfix each step: tqdm shows a new count only every
    # miniters steps, so the redraws between are later steps' values at the count shown.
    # The last redraw at a count was kept: count 0 got step 9's loss.
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    repo.write(
        "train.py",
        """\
from tqdm import tqdm

bar = tqdm(range(60), mininterval=0, miniters=10)
for step in bar:
    bar.set_postfix(loss=100 - step)
""",
    )
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    expected = [[count, 100 - count] for count in range(0, 60, 10)] + [[60, 41]]
    assert show(repo)["series"] == {"loss": expected}


EVAL_CALLBACK = """\
def table(rows):
    print("-" * 40)
    for row in rows:
        print(row)
    print("-" * 40)

for steps, mean, std in ((512, 66.5, 17.5), (1024, 104.5, 42.5)):
    print(f"Eval num_timesteps={steps}, episode_reward={mean:.2f} +/- {std:.2f}")
    print(f"Episode length: {mean:.2f} +/- {std:.2f}")
    table([
        "| eval/              |          |",
        f"|    mean_ep_length  | {mean:<8.3g} |",
        f"|    mean_reward     | {mean:<8.3g} |",
        "| time/              |          |",
        f"|    total_timesteps | {steps:<8} |",
    ])
    print("New best mean reward!")
"""


def test_stable_baselines3_evaluations_are_read_once_with_their_deviation(repo: Repo) -> None:
    # rl-baselines3-zoo with --eval-freq: "Eval num_timesteps=512, episode_reward=66.50 +/-
    # 17.50" was not read (its deviation was lost); the logger table after it prints the
    # same mean again, rounded (104.5 as 104), which must not be a second point.
    repo.write("train.py", EVAL_CALLBACK)
    repo.commit_all("train")
    proc = repo.run("exec", "--", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    series = show(repo)["series"]
    assert series["eval/mean_reward"] == [[512, 66.5], [1024, 104.5]]
    assert series["eval/std_reward"] == [[512, 17.5], [1024, 42.5]]
    assert series["eval/mean_ep_length"] == [[512, 66.5], [1024, 104.5]]
    assert series["eval/std_ep_length"] == [[512, 17.5], [1024, 42.5]]
    assert len(series) == 4


def test_the_pytorch_quickstart_loop_is_recorded_by_epoch_with_its_test_phase(repo: Repo) -> None:
    """The PyTorch Quickstart tutorial's loop, printed as its ``train()`` and ``test()`` print
    (the model left out): per-batch losses inside their epoch, the test set's values named
    ``test_*`` at the epoch; before, the losses went to steps 1..4 for 2 epochs and the test
    values had no phase."""
    repo.write(
        "quickstart.py",
        "size = 12800\n"
        "for t in range(2):\n"
        '    print(f"Epoch {t+1}\\n-------------------------------")\n'
        "    for batch in (0, 100):\n"
        "        loss, current = 2.3 - t / 10 - batch / 1000, batch * 64\n"
        '        print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")\n'
        "    correct, test_loss = 0.3 + t / 10, 2.2 - t / 10\n"
        '    print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, "\n'
        '          f"Avg loss: {test_loss:>8f} \\n")\n'
        'print("Done!")\n',
    )
    repo.commit_all("quickstart")
    assert repo.run("exec", PY, "quickstart.py", env={"PYTHONPATH": SRC}).returncode == 0
    series = show(repo)["series"]
    assert series["loss"] == [[0.0, 2.3], [0.5, 2.2], [1.0, 2.2], [1.5, 2.1]]
    assert series["test_accuracy"] == [[1, 30.0], [2, 40.0]]
    assert series["test_avg_loss"] == [[1, 2.2], [2, 2.1]]
    assert "accuracy" not in series and "avg_loss" not in series


def test_a_scripts_hyperparameters_block_gives_its_settings(repo: Repo) -> None:
    """karpathy's ng-video-lecture ``bigram.py`` and yunjey's pytorch-tutorial name their
    settings under a ``# hyperparameters`` comment as top-level literals: those are params
    (source ``default:<script>``, the lowest); what is not a literal, or is not in that
    block, is not; argparse's values still win."""
    repo.write(
        "bigram.py",
        "import argparse, sys\n"
        "\n"
        "# hyperparameters\n"
        "batch_size = 32 # how many independent sequences in parallel?\n"
        "block_size = 8\n"
        "# ------------\n"
        "learning_rate = 1e-2\n"
        "device = 'cuda' if sys.platform == 'none' else 'cpu'\n"
        "eval_iters = 200\n"
        "\n"
        "size = 12800\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('--block_size', type=int, default=block_size)\n"
        "args = parser.parse_args()\n"
        "print(f'step 0: train loss 4.2, val loss 4.2')\n",
    )
    repo.write("plain.py", "batch_size = 32\nlearning_rate = 0.1\nprint('loss=0.5')\n")
    repo.commit_all("scripts")
    env = {"PYTHONPATH": SRC}
    assert repo.run("exec", PY, "bigram.py", "--block_size", "16", env=env).returncode == 0
    [run_id] = repo.run_ids()
    run = dict(repo.cli("show", run_id, "--json").json())
    params, sources = run["params"], run["param_sources"]
    assert params == {"batch_size": 32, "block_size": 16, "learning_rate": 0.01, "eval_iters": 200}
    assert sources["batch_size"] == "default:bigram.py" and sources["block_size"] == "argparse"
    assert repo.run("exec", PY, "plain.py", env=env).returncode == 0
    [plain] = [run for run in repo.run_ids() if run != run_id]
    assert dict(repo.cli("show", plain, "--json").json())["params"] == {}


def test_a_hyperparameters_head_parted_from_its_block_by_a_blank_line(repo: Repo) -> None:
    """Equinox's MNIST example (a notebook cell, and the script made from it): ``#
    Hyperparameters``, an empty line, then the settings; the block still ends at the next
    empty line."""
    repo.write(
        "mnist.py",
        "import random\n"
        "\n"
        "# Hyperparameters\n"
        "\n"
        "BATCH_SIZE = 64\n"
        "LEARNING_RATE = 3e-4\n"
        "STEPS = 300\n"
        "\n"
        "key = 5678\n"
        "print(f'step=0, train_loss=2.3')\n",
    )
    repo.commit_all("script")
    assert repo.run("exec", PY, "mnist.py", env={"PYTHONPATH": SRC}).returncode == 0
    [run_id] = repo.run_ids()
    run = dict(repo.cli("show", run_id, "--json").json())
    assert run["params"] == {"BATCH_SIZE": 64, "LEARNING_RATE": 3e-4, "STEPS": 300}
    assert run["param_sources"]["STEPS"] == "default:mnist.py"


# accelerate's examples/nlp_example.py: its settings a literal dict in main(), handed to
# training_function(config, args); only --mixed_precision and --cpu go through argparse.
ACCELERATE_NLP_EXAMPLE = """\
import argparse


def training_function(config, args):
    for epoch in range(int(config["num_epochs"])):
        print(f"epoch {epoch}:", {"accuracy": 0.8 + epoch / 100, "f1": 0.85})


def main():
    parser = argparse.ArgumentParser(description="Simple example of training script.")
    parser.add_argument("--mixed_precision", type=str, default=None)
    parser.add_argument("--cpu", action="store_true", help="If passed, will train on the CPU.")
    args = parser.parse_args()
    config = {"lr": 2e-5, "num_epochs": 3, "seed": 42, "batch_size": 16}
    training_function(config, args)


if __name__ == "__main__":
    main()
"""


def test_a_literal_config_dict_in_main_gives_its_settings(repo: Repo) -> None:
    repo.write("nlp_example.py", ACCELERATE_NLP_EXAMPLE)
    changed = ACCELERATE_NLP_EXAMPLE.replace(
        "    training_function(config, args)",
        '    config["lr"] = 1e-4\n    training_function(config, args)',
    )
    repo.write("changed.py", changed)
    repo.commit_all("scripts")
    env = {"PYTHONPATH": SRC}

    assert repo.run("exec", PY, "nlp_example.py", "--cpu", env=env).returncode == 0
    run = dict(repo.cli("show", repo.run_ids()[0], "--json").json())
    assert run["params"] == {
        "lr": 2e-5, "num_epochs": 3, "seed": 42, "batch_size": 16,
        "mixed_precision": None, "cpu": True,
    }  # fmt: skip
    assert run["param_sources"]["lr"] == "default:nlp_example.py"

    # an item the script changes after building the dict is not what the source says
    assert repo.run("exec", PY, "changed.py", env=env).returncode == 0
    [later] = [one for one in repo.run_ids() if one != run["id"]]
    params = dict(repo.cli("show", later, "--json").json())["params"]
    assert "lr" not in params and params["batch_size"] == 16


def test_upper_case_hyperparameter_constants_are_settings(repo: Repo) -> None:
    """``LEARNING_RATE = 0.001`` at a script's top is a setting by its name and Python's
    constant convention; ``DATA_DIR``, ``NUM_CLASSES`` and lower-case names are not known to
    be; a command line naming the constant in lower case names the same setting."""
    repo.write(
        "train.py",
        "import random\n"
        "LEARNING_RATE = 0.001\n"
        "BATCH_SIZE = 32\n"
        "DATA_DIR = 'data'\n"
        "NUM_CLASSES = 10\n"
        "hidden = 64\n"
        "print(f'step=0 loss={LEARNING_RATE * BATCH_SIZE}')\n",
    )
    repo.commit_all("script")
    env = {"PYTHONPATH": SRC}

    assert repo.run("exec", PY, "train.py", env=env).returncode == 0
    run = dict(repo.cli("show", repo.run_ids()[0], "--json").json())
    assert run["params"] == {"LEARNING_RATE": 0.001, "BATCH_SIZE": 32}

    assert repo.run("exec", PY, "train.py", "--learning_rate", "0.01", env=env).returncode == 0
    [later] = [one for one in repo.run_ids() if one != run["id"]]
    params = dict(repo.cli("show", later, "--json").json())["params"]
    assert params == {"learning_rate": 0.01, "BATCH_SIZE": 32}
