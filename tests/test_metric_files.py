"""Metrics from the files a run writes (issue 15): CSV logs such as Lightning's CSVLogger
metrics.csv (written here with pandas) and TensorBoard event files (written with tensorboardX's
SummaryWriter, read with the tensorboard extra). Each series records its source file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture.freshness import written_since
from runledger.recording.capture.metric_files import csv_series
from tests.conftest import Repo

PY = sys.executable

LIGHTNING_CSV = """\
import pandas as pd
rows = [
    {"epoch": 0, "step": 49, "train_loss": 0.9},
    {"epoch": 0, "step": 99, "train_loss": 0.7},
    {"epoch": 0, "step": 99, "val_loss": 0.8, "val_acc": 0.6},
    {"epoch": 1, "step": 149, "train_loss": 0.5},
    {"epoch": 1, "step": 199, "val_loss": 0.6, "val_acc": 0.75},
]
import os
os.makedirs("lightning_logs/version_0", exist_ok=True)
pd.DataFrame(rows).to_csv("lightning_logs/version_0/metrics.csv", index=False)
"""

TENSORBOARD = """\
from tensorboardX import SummaryWriter
for phase, base in (("train", 1.0), ("validation", 1.2)):
    writer = SummaryWriter(f"runs/exp1/{phase}")
    for step in range(3):
        writer.add_scalar("epoch_loss", base / (step + 1), step)
    writer.close()
writer = SummaryWriter("runs/exp1")
writer.add_scalar("lr", 0.1, 0)
writer.close()
"""

# Keras' TensorBoard callback's layout (train/ and validation/, epoch_* tags), and one tag
# repeated in folders of other names. One writer a folder: two in one second share a file name.
TENSORBOARD_FOLDERS = """\
from tensorboardX import SummaryWriter
for phase, base in (("train", 1.0), ("validation", 1.2)):
    writer = SummaryWriter(f"runs/exp1/{phase}")
    for step in range(3):
        writer.add_scalar("epoch_loss", base / (step + 1), step)
        if phase == "train":
            writer.add_scalar("epoch_learning_rate", 0.01, step)
        else:
            writer.add_scalar("evaluation_loss_vs_iterations", base / (step + 1), 10 * step)
    writer.close()
writer = SummaryWriter("runs/exp1")
writer.add_scalar("lr", 0.1, 0)
writer.close()
for name, acc in (("a", 0.5), ("b", 0.7)):
    writer = SummaryWriter(f"runs/exp2/{name}")
    writer.add_scalar("acc", acc, 0)
    writer.close()
"""


def recorded(repo: Repo) -> dict[str, Any]:
    [run_id] = repo.run_ids()
    return dict(repo.cli("show", run_id, "--json").json())


def commit_script(repo: Repo, name: str, code: str) -> None:
    repo.write(".gitignore", "lightning_logs/\nruns/\n*.csv\n")
    repo.write(name, code)
    repo.commit_all(name)


def test_a_lightning_style_metrics_csv_is_read_as_sparse_series(repo: Repo) -> None:
    pytest.importorskip("pandas")
    commit_script(repo, "train.py", LIGHTNING_CSV)
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    run = recorded(repo)
    assert run["series"]["train_loss"] == [[49, 0.9], [99, 0.7], [149, 0.5]]
    assert run["series"]["val_loss"] == [[99, 0.8], [199, 0.6]]
    assert run["metrics"]["val_acc"] == 0.75
    source = "lightning_logs/version_0/metrics.csv"
    assert run["series_sources"]["val_loss"] == source
    assert b"no metric was recognised" not in proc.stderr
    metrics_toml = repo.show_bytes(f"refs/runledger/runs/{run['id']}:metrics.toml").decode()
    assert f'source = "{source}"' in metrics_toml


# torchtune's recipes: a tqdm bar per epoch described f"{epoch}|{global_step}|Loss: {loss}",
# and its default metric logger, DiskLogger, writing a line a step to log_<unix time>.txt
# (log_every_n_steps: 1) that it names on stdout.
TORCHTUNE_STYLE = """\
import os, sys, time
os.makedirs("out/logs", exist_ok=True)
path = f"out/logs/log_{int(time.time())}.txt"
print(f"Writing logs to {path}")
log = open(path, "a")
step = 0
for epoch in (1, 2):
    for done in (1, 2, 3):
        step += 1
        loss = 2.0 / step
        log.write(f"Step {step} | loss:{loss} lr:2e-05 tokens_per_second_per_gpu:{100.0 * step} ")
        log.write("\\n")
        log.flush()
        sys.stdout.write(f"\\r{epoch}|{step}|Loss: {loss:.4f}: {33 * done}%|###   | {done}/3 "
                         "[00:01<00:01,  1.90it/s]")
    sys.stdout.write("\\n")
log.close()
open("out/logs/log_notes.txt", "w").write("Step 1 | fine\\nnot a metric log\\n")
"""


def test_torchtune_disk_logger_file_gives_every_step(repo: Repo) -> None:
    commit_script(repo, "train.py", TORCHTUNE_STYLE)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("ignore")
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    run = recorded(repo)
    assert run["series"]["loss"] == [[step, 2.0 / step] for step in range(1, 7)]
    assert run["series"]["tokens_per_second_per_gpu"][-1] == [6, 600.0]
    assert run["series_sources"]["loss"].startswith("out/logs/log_")
    assert set(run["series"]) == {"loss", "lr", "tokens_per_second_per_gpu"}


def test_numbers_too_long_for_an_int64_in_metric_logs_end_no_run(repo: Repo) -> None:
    """A CSV cell of 400 digits (float() and math.isfinite() raised OverflowError) and a
    DiskLogger-named log whose step had 5,000 digits (int() raised ValueError past Python's
    4,300) ended exec with an internal error after the command, the run left to recovery."""
    commit_script(
        repo,
        "train.py",
        "open('log_1.txt', 'w').write('Step ' + '9' * 5000 + ' | loss:1.5\\n')\n"
        "open('m.csv', 'w').write('step,loss,big\\n1,0.5,1\\n2,0.25,' + '9' * 400 + '\\n')\n",
    )
    repo.write(".gitignore", "log_*.txt\n*.csv\n")
    repo.commit_all("ignore")

    proc = repo.run("exec", PY, "train.py")

    assert proc.returncode == 0, proc.stderr
    assert b"internal error" not in proc.stderr
    run = recorded(repo)
    assert run["status"] == "ok"
    assert run["series"]["loss"] == [[1, 0.5], [2, 0.25]]


def test_a_csv_without_a_step_column_or_written_before_the_run_is_not_read(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write(".gitignore", "*.csv\n")
    old = repo.write("old.csv", "step,loss\n1,0.5\n")
    os.utime(old, (time.time() - 60, time.time() - 60))  # written a minute before the run
    repo.write("train.py", "open('preds.csv', 'w').write('id,score\\n1,0.5\\n')\n")
    repo.commit_all("train")
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0
    assert recorded(repo)["series"] == {}
    assert b"no metric was recognised" in proc.stderr


def test_a_csv_the_previous_run_wrote_a_second_before_this_one_started_is_not_read(
    repo: Repo,
) -> None:
    # Two runs in a row: the first's last write lands within 2 s of the second's start. On a
    # filesystem with fine timestamps that file is the first run's, not the second's.
    repo.write(".gitignore", "*.csv\n")
    repo.write("train.py", "print('nothing written')\n")
    repo.commit_all("train")
    previous = repo.write("previous.csv", "step,loss\n1,0.5\n")
    moment = time.time() - 1.0
    os.utime(previous, ns=(int(moment * 1e9) // 1000 * 1000 + 123,) * 2)
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0
    assert recorded(repo)["series"] == {}


def test_written_since_allows_a_coarse_timestamp_its_rounding() -> None:
    start = 1_700_000_000.4
    assert written_since(1_699_999_999 * 10**9, start)  # FAT/HFS+: a whole second, rounded down
    assert not written_since(1_699_999_999_400_000_001, start)  # a fine one, a second early
    assert written_since(1_700_000_000_380_000_000, start)  # the kernel clock's tick behind


def test_csv_columns_of_text_are_not_metrics(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("Epoch,model,loss\n1,resnet,0.5\n2,resnet,0.25\n")
    [series] = csv_series(path, "m.csv")
    assert (series.name, series.steps, series.values) == ("loss", [1, 2], [0.5, 0.25])


def test_tensorboard_event_files_keras_names_and_folders_when_tags_repeat(
    repo: Repo,
) -> None:
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    commit_script(repo, "train.py", TENSORBOARD_FOLDERS)
    proc = repo.run("exec", "--no-autocapture", PY, "train.py")  # the event files alone
    assert proc.returncode == 0, proc.stderr
    run = recorded(repo)
    # Keras' callback: the names of fit's logs and printed lines, not train/epoch_loss.
    assert run["series"]["loss"] == [[0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)]]
    assert run["metrics"]["val_loss"] == pytest.approx(0.4)
    assert run["metrics"]["learning_rate"] == pytest.approx(0.01)
    assert run["series"]["lr"] == [[0, pytest.approx(0.1)]]
    assert run["series_sources"]["lr"].startswith("runs/exp1/events.out.tfevents.")
    # Other folders: a tag written by several files is named after its folder too.
    assert run["metrics"]["a/acc"] == pytest.approx(0.5)
    assert run["metrics"]["b/acc"] == pytest.approx(0.7)
    assert set(run["series"]) == {"loss", "val_loss", "learning_rate", "lr", "a/acc", "b/acc"}


# Lightning's TensorBoardLogger: one folder, a new event file for fit and another for test,
# both with hp_metric and epoch.
TENSORBOARD_ONE_FOLDER_TWO_FILES = """\
from tensorboardX import SummaryWriter
for stage, steps in (("fit", (1, 3)), ("test", (5,))):
    writer = SummaryWriter("lightning_logs/version_0", filename_suffix="." + stage)
    writer.add_scalar("hp_metric", -1, 0)
    for step in steps:
        writer.add_scalar("epoch", 0, step)
        writer.add_scalar(stage + "_loss", 1.0 / step, step)
    writer.close()
"""


def test_the_event_files_of_one_folder_are_one_log(repo: Repo) -> None:
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    commit_script(repo, "train.py", TENSORBOARD_ONE_FOLDER_TWO_FILES)
    proc = repo.run("exec", "--no-autocapture", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    run = recorded(repo)
    # Not "version_0/epoch" (the folder is the same), and the test file's points are kept.
    assert set(run["series"]) == {"hp_metric", "epoch", "fit_loss", "test_loss"}
    assert [step for step, _ in run["series"]["epoch"]] == [1, 3, 5]
    assert run["metrics"]["hp_metric"] == -1.0


# neuralforecast's NeuralForecast: fit() then predict(), each its own Trainer with its own
# TensorBoardLogger folder; the predict trainer logs no metric, only the -1 placeholder.
LIGHTNING_FIT_THEN_PREDICT = """\
import os
from tensorboardX import SummaryWriter
for version, losses in (("version_0", (50.5, 28.5)), ("version_1", ())):
    folder = "lightning_logs/" + version
    writer = SummaryWriter(folder)
    writer.add_scalar("hp_metric", -1, 0)
    for step, loss in enumerate(losses):
        writer.add_scalar("train_loss_epoch", loss, step)
    writer.close()
    with open(os.path.join(folder, "hparams.yaml"), "w") as file:
        file.write("h: 12\\ninput_size: 24\\n")
"""


def test_a_lightning_loggers_hp_metric_placeholder_beside_its_hparams_is_no_metric(
    repo: Repo,
) -> None:
    # Before: "version_1/hp_metric" = -1 (the predict trainer's folder, which no hook saw).
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    commit_script(repo, "train.py", LIGHTNING_FIT_THEN_PREDICT)
    proc = repo.run("exec", "--no-autocapture", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    run = recorded(repo)
    assert set(run["series"]) == {"train_loss_epoch"}
    assert run["series"]["train_loss_epoch"] == [[0, 50.5], [1, 28.5]]


def test_event_files_are_read_without_importing_remote_file_libraries(tmp_path: Path) -> None:
    # tensorboard's file layer imported boto3 (and fsspec) where installed, for s3:// paths:
    # most of the reader's import, 0.2 s of CPU on every exec whose program wrote events.
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    pytest.importorskip("boto3")
    subprocess.run([PY, "-c", TENSORBOARD], cwd=tmp_path, check=True, capture_output=True)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from runledger.recording.capture.metric_files import event_series\n"
        "files = sorted(Path('runs').rglob('events.out.tfevents.*'))\n"
        "print(sorted(found.name for found in event_series(files, Path('.'))))\n"
        "print(sorted(name for name in ('boto3', 'botocore', 'fsspec') if name in sys.modules))\n"
        "import boto3, fsspec\n"  # hidden from tensorboard's import only
    )
    src = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run(
        [PY, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": src},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["['loss', 'lr', 'val_loss']", "[]"]


def test_without_the_tensorboard_extra_one_line_says_event_files_were_not_read(
    repo: Repo, tmp_path: Path
) -> None:
    pytest.importorskip("tensorboardX")
    commit_script(repo, "train.py", TENSORBOARD + "print('loss=0.3')\n")
    shadow = tmp_path / "shadow" / "tensorboard"  # as if the package were not installed
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no tensorboard')\n")
    src = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": f"{shadow.parent}{os.pathsep}{src}"}
    proc = repo.run("exec", "--no-autocapture", PY, "train.py", env=env)  # files only
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.decode().splitlines() if "TensorBoard" in line]
    assert warnings == [
        "runledger: warning: 3 TensorBoard event file(s) were written but not read: "
        "pip install 'runledger[tensorboard]' to record their scalars"
    ]
    assert recorded(repo)["metrics"] == {"loss": 0.3}


def test_a_steps_column_is_the_step(tmp_path: Path) -> None:
    # sentence-transformers' evaluators write `epoch,steps,<metrics>`: `steps` was a metric
    # of its own, every value at a fractional epoch
    path = tmp_path / "similarity_evaluation_sts-dev_results.csv"
    path.write_text("epoch,steps,cosine_pearson\n0.5,4,0.11\n1.0,8,0.12\n")
    found = {series.name: (series.steps, series.values) for series in csv_series(path, "m.csv")}
    assert found == {"epoch": ([4, 8], [0.5, 1.0]), "cosine_pearson": ([4, 8], [0.11, 0.12])}


def test_csv_files_sharing_a_column_keep_each_files_series(repo: Repo) -> None:
    # A program logging its training and validation epochs to two CSVs with the same header:
    # only train.csv's loss was recorded, val.csv's dropped without a word.
    repo.write(".gitignore", "*.csv\nlogs/\n")
    repo.write(
        "train.py",
        textwrap.dedent(
            """
            import os
            os.makedirs("logs/a", exist_ok=True); os.makedirs("logs/b", exist_ok=True)
            open("train.csv", "w").write("epoch,loss,lr\\n1,0.9,0.1\\n2,0.7,0.1\\n")
            open("val.csv", "w").write("epoch,loss\\n1,1.1\\n2,0.8\\n")
            open("logs/a/metrics.csv", "w").write("step,acc\\n1,0.5\\n")
            open("logs/b/metrics.csv", "w").write("step,acc\\n1,0.6\\n")
            """
        ),
    )
    repo.commit_all("train")
    proc = repo.run("exec", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    series = recorded(repo)["series"]
    assert series["train/loss"] == [[1, 0.9], [2, 0.7]]
    assert series["val/loss"] == [[1, 1.1], [2, 0.8]]
    assert series["lr"] == [[1, 0.1], [2, 0.1]]
    assert series["logs/a/metrics/acc"] == [[1, 0.5]]
    assert series["logs/b/metrics/acc"] == [[1, 0.6]]
    assert "loss" not in series and "acc" not in series


# TF 2's tf.summary.scalar (Keras' TensorBoard callback) writes scalars as tensors: here they
# are written as it does, with tensorboard's own protos and writer (no TensorFlow). Beside
# them, files that are not metric logs, or only partly: a text summary, an event file that is
# not one, an empty CSV, CSV rows without a step, a DiskLogger log with blank lines.
ODD_FILES = """\
import os, time
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.plugins.text.summary_v2 import text_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
writer = EventFileWriter("runs/keras/train")
for step in range(3):
    summary = scalar_pb("epoch_accuracy", 0.5 + step / 10)
    writer.add_event(Event(step=step, wall_time=time.time(), summary=summary))
summary = text_pb("notes", "a text summary is no metric")
writer.add_event(Event(step=0, wall_time=time.time(), summary=summary))
writer.close()
os.makedirs("runs/broken", exist_ok=True)
with open("runs/broken/events.out.tfevents.1.host", "wb") as broken:
    broken.write(b"not an event file" * 10)
with open("empty.csv", "w") as empty:
    pass
with open("metrics.csv", "w") as table:
    table.write("step,csv_loss\\n1,0.5\\n,0.45\\n\\nnot a step,0.4\\n3,0.3\\n")
with open("log_1700000000.txt", "w") as log:
    log.write("Step 1 | tokens:100.0\\n\\nStep 2 | tokens:250.0\\n")
"""


def test_tensor_scalars_and_files_that_are_partly_metric_logs(repo: Repo) -> None:
    pytest.importorskip("tensorboard")
    commit_script(repo, "train.py", ODD_FILES)
    repo.write(".gitignore", "lightning_logs/\nruns/\n*.csv\nlog_*.txt\n")
    repo.commit_all("ignore logs")
    proc = repo.run("exec", "--no-autocapture", PY, "train.py")
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    run = recorded(repo)
    accuracy = run["series"]["accuracy"]
    assert [step for step, _ in accuracy] == [0, 1, 2]
    assert accuracy[-1][1] == pytest.approx(0.7)
    assert run["series"]["csv_loss"] == [[1, 0.5], [3, 0.3]]  # rows without a step are skipped
    assert run["series"]["tokens"] == [[1, 100.0], [2, 250.0]]
    assert set(run["series"]) == {"accuracy", "csv_loss", "tokens"}
