"""One name per param and the value the program used (issue 15), end to end: a flag beats the
config file's key of the same name, and compare, diff and importance use that one value."""

from __future__ import annotations

import hashlib
import sys
from typing import Any

from tests.conftest import Repo

PY = sys.executable

TRAIN = """\
import argparse, yaml
p = argparse.ArgumentParser()
p.add_argument("--config")
p.add_argument("--split-seed", type=int)
p.add_argument("--batch-size", type=int)
p.add_argument("--no-early-stopping", action="store_true")
a = p.parse_args()
cfg = yaml.safe_load(open(a.config))
seed = a.split_seed if a.split_seed is not None else cfg["split_seed"]
print(f"val_loss={seed / 100}")
"""


def recorded(repo: Repo, run_id: str) -> dict[str, Any]:
    return dict(repo.cli("show", run_id, "--json").json())


def test_a_flag_overrides_the_config_key_of_the_same_name(repo: Repo) -> None:
    repo.write("train.py", TRAIN)
    config = repo.write("conf.yaml", "split_seed: 42\nbatch-size: 32\nlr: 0.1\n")
    repo.commit_all("train")
    for seed in (7, 8, 9):
        proc = repo.run(
            "exec", PY, "train.py", "--config", "conf.yaml", "--split-seed", str(seed),
            "--no-early-stopping",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    runs = repo.runs_json()
    run = recorded(repo, runs[0]["id"])
    assert run["params"] == {
        "split_seed": 9,
        "batch_size": 32,  # argparse's unset None does not hide the config file's value
        "lr": 0.1,
        "no_early_stopping": True,  # the name and value argparse gave the program
    }
    assert run["param_sources"]["split_seed"] == "argparse"
    assert run["param_sources"]["batch_size"] == "config:conf.yaml"
    # --config only names the file: not a param; the file is recorded with its hash.
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    assert run["config_files"] == [{"path": "conf.yaml", "sha256": digest}]

    compare = repo.cli("compare", "--format", "json").json()
    assert "params.split_seed" not in compare["constant"]
    assert compare["constant"]["params.batch_size"] == 32
    assert [row["params.split_seed"] for row in compare["rows"]] == [9, 8, 7]
    diff = repo.cli("diff", runs[0]["id"], runs[1]["id"], "--json").json()
    assert [change["key"] for change in diff["params"]] == ["split_seed"]


def test_a_python_config_file_is_hashed_and_its_literals_are_params(repo: Repo) -> None:
    repo.write(
        "config/train_shakespeare_char.py",
        "# a nanoGPT config\nout_dir = 'out-shakespeare-char'\nbatch_size = 64\n"
        "block_size = 256\nbetas = (0.9, 0.99)\ncompile = False\nn = block_size * 2\n",
    )
    repo.write(
        "train.py",
        "import sys\nfor arg in sys.argv[1:]:\n"
        "    if not arg.startswith('--'):\n        exec(open(arg).read())\n"
        "print('step 0: train loss 4.2, val loss 4.3')\n",
    )
    repo.commit_all("nanoGPT-like")
    proc = repo.run(
        "exec", PY, "train.py", "config/train_shakespeare_char.py", "--batch_size=32"
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run = recorded(repo, repo.runs_json()[0]["id"])
    assert run["params"] == {
        "out_dir": "out-shakespeare-char",
        "batch_size": 32,  # the override wins over the file
        "block_size": 256,
        "betas": [0.9, 0.99],
        "compile": False,
        "n": 512,  # block_size * 2: arithmetic on names assigned above is read
    }
    [entry] = run["config_files"]
    assert entry["path"] == "config/train_shakespeare_char.py" and len(entry["sha256"]) == 64
    assert run["metrics"] == {"train_loss": 4.2, "val_loss": 4.3}


def test_a_parser_that_keeps_no_cuda_is_not_contradicted_by_argv(repo: Repo) -> None:
    repo.write(
        "train.py",
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--no-cuda', action='store_true')\np.add_argument('--lr', type=float)\n"
        "a = p.parse_args()\nprint(f'Test accuracy: {0.9 if a.no_cuda else 0.8}')\n",
    )
    repo.commit_all("train")
    assert repo.run("exec", PY, "train.py", "--no-cuda", "--lr", "0.1").returncode == 0
    assert repo.run("exec", "--no-autocapture", PY, "train.py", "--no-cuda").returncode == 0
    runs = repo.runs_json()  # newest first
    assert runs[1]["params"] == {"no_cuda": True, "lr": 0.1}  # what argparse parsed
    assert runs[0]["params"] == {"cuda": False}  # the command line alone
