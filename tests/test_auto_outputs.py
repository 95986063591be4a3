"""The files a run writes, recorded without --output: what the program saved (torch.save,
joblib.dump, seen in process) and what the walk after the run finds in result folders
(out/, runs/, work_dirs/) or named as weights. Real repos, the real CLI, real libraries."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture import auto_outputs, worktree
from tests.conftest import Repo
from tests.test_autocapture_libs import needs

PY = sys.executable


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def program(repo: Repo, name: str, code: str, ignore: str = "") -> None:
    repo.write(name, textwrap.dedent(code))
    if ignore:
        with open(repo.path / ".gitignore", "a") as file:
            file.write(ignore)
    repo.commit_all()


def exec_(repo: Repo, *args: str) -> Any:
    result = repo.cli("exec", *args)
    assert result.exit_code == 0, result.stderr
    return result


def artifacts(repo: Repo) -> dict[str, dict[str, Any]]:
    run_id = repo.runs_json()[0]["id"]
    shown = repo.cli("show", run_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    return {record["path"]: record for record in shown.json()["artifacts"]}


def test_torch_save_records_the_checkpoint_where_the_program_put_it(repo: Repo) -> None:
    pytest.importorskip("torch")
    # nanoGPT's way (out/ckpt.pt, saved at each eval), a file-like target (ultralytics' way:
    # nothing to name), and a path relative to a folder the program changed into.
    program(
        repo,
        "train.py",
        """
        import io, os, torch
        os.makedirs("out", exist_ok=True)
        for step in range(2):
            torch.save({"step": step, "w": torch.ones(4) * step}, os.path.join("out", "ckpt.pt"))
        torch.save({"w": 1}, io.BytesIO())
        os.makedirs("exports/sub", exist_ok=True)
        os.chdir("exports/sub")
        torch.save({"w": 2}, "../final.state")
        try:
            torch.save({"w": 3}, "/no/such/folder/x.pt")
        except Exception as error:
            print("raised", type(error).__name__)
        print("loss=0.5")
        """,
        ignore="out/\nexports/\n",
    )
    result = exec_(repo, PY, "train.py")
    assert "raised RuntimeError" in result.stdout  # as bare: the hook changes nothing
    found = artifacts(repo)
    assert sorted(found) == ["exports/final.state", "out/ckpt.pt"]
    checkpoint = repo.path / "out" / "ckpt.pt"
    assert found["out/ckpt.pt"]["sha256"] == sha(checkpoint)
    assert found["out/ckpt.pt"]["size"] == checkpoint.stat().st_size
    which = repo.cli("which", "out/ckpt.pt")
    assert which.exit_code == 0, which.stderr
    assert repo.runs_json()[0]["id"][:10] in which.stdout


@needs("torch", "torchvision")
def test_torchvision_save_image_records_the_sample_images(repo: Repo) -> None:
    # pytorch/examples dcgan saves its sample grids into --outf (the work tree itself by
    # default) with vutils.save_image: neither a result folder nor a weights suffix, so the
    # walk after the run did not find them; an image written into a buffer names no file.
    program(
        repo,
        "main.py",
        """
        import io
        import torch
        import torchvision.utils as vutils
        from torchvision.utils import save_image
        outf = "."
        vutils.save_image(torch.rand(4, 3, 8, 8), '%s/real_samples.png' % outf, normalize=True)
        save_image(torch.rand(4, 3, 8, 8), '%s/fake_samples_epoch_%03d.png' % (outf, 0))
        save_image(torch.rand(1, 3, 8, 8), io.BytesIO(), format="png")
        print("[0/1][1/1] Loss_D: 1.2291 Loss_G: 0.9380 D(x): 0.5614 D(G(z)): 0.4646 / 0.3991")
        """,
        ignore="*.png\n",
    )
    exec_(repo, PY, "main.py")
    found = artifacts(repo)
    assert sorted(found) == ["fake_samples_epoch_000.png", "real_samples.png"]
    assert found["real_samples.png"]["sha256"] == sha(repo.path / "real_samples.png")


def test_joblib_dump_outside_the_work_tree_is_recorded_by_its_absolute_path(
    repo: Repo, tmp_path: Path
) -> None:
    pytest.importorskip("sklearn")
    target = tmp_path / "models" / "clf.joblib"
    target.parent.mkdir()
    program(
        repo,
        "fit.py",
        f"""
        import joblib
        from sklearn.linear_model import LogisticRegression
        model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        joblib.dump(model, {str(target)!r})
        print("accuracy=1.0")
        """,
    )
    exec_(repo, PY, "fit.py")
    found = artifacts(repo)
    assert list(found) == [target.as_posix()]
    assert found[target.as_posix()]["sha256"] == sha(target)
    verify = repo.cli("verify", repo.runs_json()[0]["id"])
    assert verify.exit_code == 0, verify.stdout + verify.stderr


def test_a_library_s_cache_in_a_dot_folder_of_the_home_is_no_output(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyKEEN's pipeline torch.saves its dataset's split under ~/.data/pykeen/datasets/ on a
    # first run: before, those four files were the run's artifacts beside its model.
    monkeypatch.setenv("HOME", str(tmp_path))
    program(
        repo,
        "fit.py",
        """
        import os, joblib
        cache = os.path.expanduser("~/.data/pykeen/datasets/nations/cache")
        os.makedirs(cache)
        joblib.dump([1, 2], os.path.join(cache, "base.pth"))
        os.makedirs(os.path.expanduser("~/models"))
        joblib.dump([3], os.path.expanduser("~/models/clf.joblib"))
        print("accuracy=1.0")
        """,
    )
    exec_(repo, PY, "fit.py")
    assert list(artifacts(repo)) == [(tmp_path / "models" / "clf.joblib").as_posix()]


def test_a_shell_command_s_weights_in_a_result_folder_are_found_by_the_walk(repo: Repo) -> None:
    # What ultralytics writes (runs/detect/train/weights/best.pt, results.csv), from a
    # command that is not Python; beside it, files that are no output of the run.
    (repo.path / ".gitignore").write_text("runs/\ndata/\nwork_dirs/\n.cache/\n")
    repo.write("models/config.json", "{}\n")
    repo.commit_all()
    old = repo.path / "runs" / "old" / "last.pt"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an earlier run's")
    stamp = old.stat().st_mtime_ns - 3_600 * 10**9
    os.utime(old, ns=(stamp, stamp))
    script = (
        "mkdir -p runs/detect/train/weights data work_dirs/cfg && "
        "printf best > runs/detect/train/weights/best.pt && "
        "printf 'epoch,loss\\n1,0.5\\n2,0.25\\n' > runs/detect/train/results.csv && "
        "printf ep > work_dirs/cfg/epoch_2.pth && "
        "printf raw > data/download.gz && printf '{\"a\": 1}' > models/config.json && "
        "mkdir -p .cache/hub && printf w > .cache/hub/model.safetensors"
    )
    exec_(repo, "sh", "-c", script)
    found = artifacts(repo)
    # results.csv is the run's metric log (read as its series), models/config.json is code
    assert sorted(found) == ["runs/detect/train/weights/best.pt", "work_dirs/cfg/epoch_2.pth"]
    best = repo.path / "runs/detect/train/weights/best.pt"
    assert found["runs/detect/train/weights/best.pt"]["sha256"] == sha(best)
    assert repo.runs_json()[0]["metrics"]["loss"] == 0.25


def test_logs_and_config_dumps_in_result_folders_are_no_outputs(repo: Repo) -> None:
    # Hydra's job folder and Lightning's version folder as they write them: beside the
    # weights and a predictions file, the job's log, the composed config it dumped, the
    # hparams and the CSVLogger metrics (read as the run's series).
    (repo.path / ".gitignore").write_text("outputs/\nlightning_logs/\n")
    repo.commit_all()
    job = "outputs/2026-12-07/18-00-00"
    version = "lightning_logs/version_0"
    script = (
        f"mkdir -p {job}/.hydra {version}/checkpoints && "
        f"printf 'lr: 0.1\\n' > {job}/.hydra/config.yaml && "
        f"printf 'hydra: {{}}\\n' > {job}/.hydra/hydra.yaml && "
        f"printf -- '- lr=0.1\\n' > {job}/.hydra/overrides.yaml && "
        f"printf '[INFO] epoch 1\\n' > {job}/train.log && "
        f"printf w > {job}/model.pt && printf 'id,label\\n1,0\\n' > {job}/predictions.csv && "
        f"printf 'lr: 0.1\\n' > {version}/hparams.yaml && "
        f"printf 'epoch,step,train_loss\\n0,1,0.5\\n1,2,0.25\\n' > {version}/metrics.csv && "
        f"printf c > '{version}/checkpoints/epoch=1-step=2.ckpt'"
    )
    exec_(repo, "sh", "-c", script)
    assert sorted(artifacts(repo)) == [
        f"{version}/checkpoints/epoch=1-step=2.ckpt",
        f"{job}/model.pt",
        f"{job}/predictions.csv",
    ]  # before: also the three .hydra/*.yaml, train.log and hparams.yaml
    assert repo.runs_json()[0]["metrics"]["train_loss"] == 0.25


def test_a_sweep_s_claims_are_read_from_running_and_from_ended_siblings(tmp_path: Path) -> None:
    from runledger.recording import claims

    ledger_dir = tmp_path / "runledger"
    models = tmp_path / "work" / "models"
    for run_id in ("own", "running", "ended", "other"):
        claims.register(ledger_dir, "sweep-1", run_id)
    claims.register(ledger_dir, "sweep-2", "elsewhere")
    journal = ledger_dir / "in-progress" / "running"
    journal.mkdir(parents=True)
    lines = [f'{{"step": {step}, "loss": 0.5}}' for step in range(1000)]
    lines.insert(500, json.dumps({"_runledger": "saved", "path": str(models / "a.pt")}))
    lines.append('{"_runledger": "saved", "path": "/half-writ')  # being appended
    (journal / "metrics.jsonl").write_text("\n".join(lines))
    claims.publish(ledger_dir, "sweep-1", "ended", [str(models / "hf")])  # save_pretrained
    claims.publish(ledger_dir, "sweep-1", "own", [str(models / "mine.pt")])
    claims.publish(ledger_dir, "sweep-2", "elsewhere", [str(models / "b.pt")])
    claims.publish(ledger_dir, "sweep-1", "unregistered", [str(models / "c.pt")])

    taken = claims.saved_by_siblings(ledger_dir, "sweep-1", "own")

    assert taken == {os.path.realpath(models / "a.pt"), os.path.realpath(models / "hf")}
    assert auto_outputs._under_any(os.path.realpath(models / "hf" / "model.bin"), taken)
    assert not auto_outputs._under_any(os.path.realpath(models / "hf2.bin"), taken)
    claims.release(ledger_dir, "sweep-1", ["own", "running", "ended", "other"])
    claims.release(ledger_dir, "sweep-2", ["elsewhere"])
    assert not (ledger_dir / claims.CLAIMS_DIR).exists()


@pytest.mark.parametrize("switch", ["option", "config"])
def test_auto_outputs_switch_off(repo: Repo, switch: str) -> None:
    pytest.importorskip("torch")
    if switch == "config":
        repo.write(".runledger.toml", "auto_outputs = false\n")
    program(
        repo,
        "train.py",
        "import torch\ntorch.save({'w': 1}, 'model.pt')\n",
        ignore="*.pt\n",
    )
    options = ["--no-auto-outputs"] if switch == "option" else []
    exec_(repo, *options, PY, "train.py")
    assert artifacts(repo) == {}
    assert (repo.path / "model.pt").exists()


def test_a_reproduction_of_a_run_without_auto_outputs_records_none_either(repo: Repo) -> None:
    program(
        repo,
        "train.py",
        """
        import os
        os.makedirs("out", exist_ok=True)
        with open("out/model.pt", "wb") as file:
            file.write(os.urandom(16))
        print("acc=0.9")
        """,
        ignore="out/\n",
    )
    exec_(repo, "--no-auto-outputs", PY, "train.py")
    original = repo.runs_json()[0]["id"]
    assert artifacts(repo) == {}
    stored = repo.git("show", f"refs/runledger/runs/{original}:run.toml")
    assert "auto_outputs = false" in stored
    result = repo.cli("reproduce", original, "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    reproduction = repo.runs_json()[0]
    assert reproduction["reproduces"] == original
    assert artifacts(repo) == {}  # before: out/model.pt, which the original left out


def test_declared_outputs_keep_their_records_beside_found_ones(repo: Repo) -> None:
    (repo.path / ".gitignore").write_text("out/\nreport/\n")
    repo.commit_all()
    exec_(
        repo,
        "--output",
        "report",
        "sh",
        "-c",
        "mkdir -p out report && printf a > out/a.bin && printf b > report/summary.txt",
    )
    assert sorted(artifacts(repo)) == ["out/a.bin", "report/summary.txt"]


def test_the_bounds_leave_files_out_with_a_warning(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auto_outputs, "MAX_AUTO_OUTPUTS", 2)
    (repo.path / ".gitignore").write_text("checkpoints/\n")
    repo.commit_all()
    result = exec_(
        repo, "sh", "-c", "mkdir checkpoints && for i in 1 2 3; do echo $i > checkpoints/$i; done"
    )
    assert sorted(artifacts(repo)) == ["checkpoints/1", "checkpoints/2"]
    assert "1 file the run wrote (2 B) not recorded" in result.stderr
    assert "first left out: checkpoints/3" in result.stderr
    assert "--output" in result.stderr

    monkeypatch.setattr(auto_outputs, "HASH_BUDGET_BYTES", 10)
    result = exec_(repo, "sh", "-c", "head -c 11 /dev/zero > checkpoints/big.pt")
    assert artifacts(repo) == {}
    assert "first left out: checkpoints/big.pt" in result.stderr


def test_result_folders_are_walked_first_when_the_tree_is_too_big(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worktree, "MAX_ENTRIES", 40)
    (repo.path / ".gitignore").write_text("zdata/\nout/\n")
    repo.commit_all()
    (repo.path / "zdata").mkdir()
    for index in range(60):
        (repo.path / "zdata" / f"{index}.txt").write_text("x")
    result = exec_(repo, "sh", "-c", "mkdir out && printf w > out/model.onnx")
    assert list(artifacts(repo)) == ["out/model.onnx"]
    # Found where runs write: a tree too big for the walk is no news on every such run.
    assert "stopped after" not in result.stderr

    result = exec_(repo, "sh", "-c", "printf w > zdata/late.txt")
    assert "stopped after 40 entries and found no output" in result.stderr
    assert "auto_outputs = false" in result.stderr


def test_a_reproduction_records_the_same_checkpoint_and_is_judged_on_its_metrics(
    repo: Repo,
) -> None:
    # A checkpoint that differs on every run (as most do): found in both runs, at the same
    # path, and no claim against the reproduction, which the metrics decide.
    program(
        repo,
        "train.py",
        """
        import os
        os.makedirs("checkpoints", exist_ok=True)
        with open("checkpoints/last.ckpt", "wb") as file:
            file.write(os.urandom(16))
        print("acc=0.9")
        """,
        ignore="checkpoints/\n",
    )
    exec_(repo, PY, "train.py")
    original = repo.runs_json()[0]["id"]
    assert list(artifacts(repo)) == ["checkpoints/last.ckpt"]
    result = repo.cli("reproduce", original, "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "REPRODUCED" in result.stdout + result.stderr
    assert "differ" not in result.stdout + result.stderr
    assert list(artifacts(repo)) == ["checkpoints/last.ckpt"]


def test_boosters_and_safetensors_saved_outside_the_tree_are_recorded(
    repo: Repo, tmp_path: Path
) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("lightgbm")
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    saved = tmp_path / "saved"
    saved.mkdir()
    program(
        repo,
        "boost.py",
        f"""
        import numpy, torch, xgboost, lightgbm
        from safetensors.torch import save_file
        X = numpy.random.rand(40, 3)
        y = (X[:, 0] > 0.5).astype(int)
        xgboost.XGBClassifier(n_estimators=2).fit(X, y).save_model({str(saved / "x.json")!r})
        booster = lightgbm.train({{"verbose": -1}}, lightgbm.Dataset(X, y), 2)
        booster.save_model({str(saved / "l.txt")!r})
        save_file({{"w": torch.zeros(2)}}, {str(saved / "w.weights")!r})
        print("done=1")
        """,
    )
    exec_(repo, PY, "boost.py")
    found = artifacts(repo)
    assert sorted(found) == [(saved / name).as_posix() for name in ("l.txt", "w.weights", "x.json")]
    assert all(found[path]["sha256"] == sha(Path(path)) for path in found)


def test_boosters_dumps_and_binary_data_sets_are_recorded(repo: Repo) -> None:
    # xgboost's demo/guide-python/basic_walkthrough.py writes its model, the trees' text dump
    # and the test set's binary buffer beside itself: all three are the run's outputs.
    pytest.importorskip("xgboost")
    pytest.importorskip("lightgbm")
    program(
        repo,
        "walkthrough.py",
        """
        import numpy, xgboost, lightgbm
        X = numpy.random.rand(40, 3)
        y = (X[:, 0] > 0.5).astype(int)
        dtrain = xgboost.DMatrix(X, label=y)
        bst = xgboost.train({"max_depth": 2}, dtrain, 2)
        bst.save_model("model-0.json")
        bst.dump_model("dump.raw.txt")
        dtrain.save_binary("dtrain.dmatrix")
        lightgbm.Dataset(X, y).construct().save_binary("train.bin")
        print("done=1")
        """,
    )
    exec_(repo, PY, "walkthrough.py")
    found = artifacts(repo)
    assert sorted(found) == ["dtrain.dmatrix", "dump.raw.txt", "model-0.json", "train.bin"]


def test_reproduce_warns_that_a_found_output_outside_the_tree_is_written_again(
    repo: Repo, tmp_path: Path
) -> None:
    pytest.importorskip("joblib")
    target = tmp_path / "model.joblib"
    program(
        repo,
        "fit.py",
        f"import joblib\njoblib.dump({{'w': 1}}, {str(target)!r})\nprint('acc=1.0')\n",
    )
    exec_(repo, PY, "fit.py")
    result = repo.cli("reproduce", repo.runs_json()[0]["id"], "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    shown = " ".join((result.stdout + result.stderr).split())
    assert f"{target.as_posix()}: written outside the work tree by the original" in shown


@needs("torch", "lightning", "keras")
def test_keras_and_lightning_checkpoints_outside_the_tree_are_recorded(
    repo: Repo, tmp_path: Path
) -> None:
    # Lightning's ModelCheckpoint torch.saves into a buffer, then writes it: only its
    # checkpoint IO names the file. Keras' save goes through its saving API.
    saved = tmp_path / "saved"
    saved.mkdir()
    program(
        repo,
        "train.py",
        f"""
        import os, logging
        os.environ["KERAS_BACKEND"] = "torch"
        logging.disable(logging.WARNING)
        import keras, torch, lightning as L
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.save({str(saved / "k.keras")!r})
        model.save_weights({str(saved / "k.weights.h5")!r})

        class Tiny(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.layer = torch.nn.Linear(2, 1)
            def training_step(self, batch, _):
                return self.layer(batch[0]).sum()
            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 2)))
        checkpoint = L.pytorch.callbacks.ModelCheckpoint(dirpath={str(saved / "ckpt")!r})
        trainer = L.Trainer(
            max_epochs=1, callbacks=[checkpoint], logger=False, enable_progress_bar=False,
            enable_model_summary=False, accelerator="cpu",
        )
        trainer.fit(Tiny(), data)
        print("done=1")
        """,
    )
    exec_(repo, PY, "train.py")
    expected = [saved / "ckpt" / "epoch=0-step=4.ckpt", saved / "k.keras", saved / "k.weights.h5"]
    assert sorted(artifacts(repo)) == sorted(path.as_posix() for path in expected)


@needs("torch", "transformers")
def test_save_pretrained_records_the_folder_s_files_outside_the_tree(
    repo: Repo, tmp_path: Path
) -> None:
    folder = tmp_path / "tiny-bert"
    program(
        repo,
        "save.py",
        f"""
        from transformers import BertConfig, BertModel
        config = BertConfig(
            vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=8,
        )
        BertModel(config).save_pretrained({str(folder)!r})
        print("done=1")
        """,
    )
    exec_(repo, PY, "save.py")
    found = artifacts(repo)
    written = sorted(path.as_posix() for path in folder.iterdir())
    assert (folder / "config.json").as_posix() in written
    assert sorted(found) == written
    assert all(found[path]["sha256"] == sha(Path(path)) for path in found)


@needs("keras", "jax")
def test_a_keras_csv_logger_s_file_is_recorded(repo: Repo) -> None:
    # keras-io's examples and Keras' docs: CSVLogger("training.log"), in the work tree, in no
    # result folder and not named as weights
    program(
        repo,
        "train.py",
        """
        import os
        os.environ["KERAS_BACKEND"] = "jax"
        import numpy as np, keras
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        x, y = np.ones((8, 3)), np.ones((8, 1))
        model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.CSVLogger("training.log")])
        """,
    )
    exec_(repo, PY, "train.py")
    found = artifacts(repo)
    assert list(found) == ["training.log"]
    assert found["training.log"]["sha256"] == sha(repo.path / "training.log")


@needs("torch", "pytorch_tabnet")
def test_tabnet_save_model_records_the_zip_it_writes(repo: Repo) -> None:
    # pytorch-tabnet's save_model("./tabnet_model") zips the folder into tabnet_model.zip and
    # removes the folder: the path it was given no longer exists, and a .zip in the work tree
    # root is neither in a result folder nor named as weights: nothing was recorded.
    program(
        repo,
        "train.py",
        """
        import numpy as np
        from pytorch_tabnet.tab_model import TabNetClassifier
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 2, 64)
        clf = TabNetClassifier(n_d=4, n_a=4, n_steps=1, verbose=0, seed=0)
        clf.fit(x, y, max_epochs=1, batch_size=32, virtual_batch_size=16)
        clf.save_model("./tabnet_model")
        """,
        ignore="*.zip\n",
    )
    exec_(repo, PY, "train.py")
    found = artifacts(repo)
    assert sorted(found) == ["tabnet_model.zip"]
    assert found["tabnet_model.zip"]["sha256"] == sha(repo.path / "tabnet_model.zip")


def test_a_param_naming_a_file_the_run_wrote_records_it(repo: Repo) -> None:
    # The LightGBM CLI's output_model=LightGBM_model.txt (on the command line or in its .conf
    # file), --save_path out.bin, --output model.pkl: files outside result folders and not
    # named as weights were not recorded. The data file a param names, only read, is no output.
    repo.write("data.txt", "1 2 3\n")
    repo.write("train.conf", "task = train\ndata = data.txt\noutput_model = LightGBM_model.txt\n")
    program(
        repo,
        "train.py",
        """
        import sys
        args = sys.argv[1:]
        conf = dict(line.split(" = ") for line in open("train.conf").read().splitlines())
        open(conf["output_model"], "w").write("tree\\n")
        open(args[args.index("--save_path") + 1], "wb").write(b"\\0weights")
        open(args[-1].split("=", 1)[1], "w").write("model\\n")
        print(open(conf["data"]).read())
        """,
        ignore="*.out\n*.pkl\nLightGBM_model.txt\n",
    )
    for given in ("data.txt", "train.conf"):  # written well before the run, as inputs are
        os.utime(repo.path / given, (time.time() - 60, time.time() - 60))
    exec_(repo, PY, "train.py", "config=train.conf", "--save_path", "w.out", "--output=m.pkl")
    found = artifacts(repo)
    assert sorted(found) == ["LightGBM_model.txt", "m.pkl", "w.out"]
    assert found["w.out"]["sha256"] == sha(repo.path / "w.out")
