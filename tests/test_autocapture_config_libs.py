"""In-process capture of the configuration libraries real programs use, through ``runledger exec``.

ml_collections config flags (Flax's and Google's examples), tyro (CleanRL, nerfstudio),
simple_parsing, python-fire and gin-config: each test runs a small program written as their
users write it, unchanged, and reads ``runledger show --json``. The libraries are test extras.
"""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program

# --- ml_collections -------------------------------------------------------------------------

FLAX_STYLE_CONFIG = """\
import ml_collections


def get_config():
    config = ml_collections.ConfigDict()
    config.learning_rate = 0.1
    config.batch_size = -1
    config.model = ml_collections.ConfigDict()
    config.model.num_layers = 2
    config.model.dropout = 0.0
    config.steps = ml_collections.FieldReference(100)
    config.eval_steps = config.get_ref("steps")
    return config
"""

FLAX_STYLE_MAIN = """\
from absl import app, flags
from ml_collections import config_flags

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Directory to store model data.")
config_flags.DEFINE_config_file("config", None, "Training configuration.", lock_config=True)


def main(argv):
    config = FLAGS.config
    if config.batch_size == -1:  # filled in by the program, as CleanRL does with tyro's
        config.batch_size = 64
    print("training", config.learning_rate, config.model.num_layers, FLAGS.workdir)


if __name__ == "__main__":
    flags.mark_flags_as_required(["config", "workdir"])
    app.run(main)
"""


@needs("ml_collections")
def test_ml_collections_config_file_fields_with_overrides(repo: Repo) -> None:
    repo.write("configs/default.py", FLAX_STYLE_CONFIG)
    program(repo, FLAX_STYLE_MAIN, name="main.py")

    _, run = exec_run(
        repo,
        sys.executable,
        "main.py",
        "--workdir=/tmp/wd",
        "--config=configs/default.py",
        "--config.learning_rate=0.05",
        "--config.model.num_layers=4",
        "--config.steps=7",
    )

    params = run["params"]
    assert params["learning_rate"] == 0.05
    assert params["batch_size"] == 64  # as the program set it after parsing
    assert params["model"] == {"num_layers": 4, "dropout": 0.0}
    assert params["steps"] == 7
    assert params["eval_steps"] == 7  # a field reference, as the program reads it
    assert params["workdir"] == "/tmp/wd"
    assert "config" not in params  # neither the file's name nor config.x once more
    assert run["param_sources"]["model.num_layers"] == "ml_collections"
    assert run["param_sources"]["workdir"] == "absl"


@needs("ml_collections")
def test_ml_collections_config_dataclass_and_several_config_flags(repo: Repo) -> None:
    program(
        repo,
        """\
        import dataclasses

        from absl import app
        from ml_collections import config_dict, config_flags


        @dataclasses.dataclass
        class Optim:
            lr: float = 0.1
            momentum: float = 0.9


        @dataclasses.dataclass
        class Config:
            epochs: int = 3
            optim: Optim = dataclasses.field(default_factory=Optim)


        data = config_dict.ConfigDict({"name": "mnist", "shuffle": True})
        _CONFIG = config_flags.DEFINE_config_dataclass("config", Config())
        _DATA = config_flags.DEFINE_config_dict("data", data)


        def main(_):
            print(_CONFIG.value, _DATA.value)


        if __name__ == "__main__":
            app.run(main)
        """,
    )

    _, run = exec_run(
        repo, sys.executable, "train.py", "--config.optim.lr=0.5", "--data.name=cifar10"
    )

    assert run["params"] == {
        "config": {"epochs": 3, "optim": {"lr": 0.5, "momentum": 0.9}},
        "data": {"name": "cifar10", "shuffle": True},
    }
    assert run["param_sources"]["config.optim.lr"] == "ml_collections"


# --- tyro ---------------------------------------------------------------------------------


@needs("tyro")
def test_tyro_dataclass_fields_with_those_filled_in_after_parsing(repo: Repo) -> None:
    program(
        repo,
        """\
        import os
        from dataclasses import dataclass

        import tyro


        @dataclass
        class Args:
            exp_name: str = os.path.basename(__file__)[: -len(".py")]
            seed: int = 1
            cuda: bool = True
            learning_rate: float = 2.5e-4
            num_envs: int = 4
            num_steps: int = 128
            wandb_entity: str = None
            api_key: str = ""
            batch_size: int = 0
            \"\"\"the batch size (computed in runtime)\"\"\"


        if __name__ == "__main__":
            args = tyro.cli(Args)
            args.batch_size = int(args.num_envs * args.num_steps)
            print("batch", args.batch_size)
        """,
    )

    _, run = exec_run(
        repo,
        sys.executable,
        "train.py",
        "--learning-rate",
        "0.001",
        "--no-cuda",
        "--api-key",
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
    )

    assert run["params"] == {
        "exp_name": "train",
        "seed": 1,
        "cuda": False,
        "learning_rate": 0.001,
        "num_envs": 4,
        "num_steps": 128,
        "wandb_entity": None,
        "api_key": "***",
        "batch_size": 512,
    }
    assert run["param_sources"]["seed"] == "tyro"


@needs("tyro")
def test_tyro_function_arguments_with_defaults_and_nested_dataclass(repo: Repo) -> None:
    program(
        repo,
        """\
        from dataclasses import dataclass

        import tyro


        @dataclass
        class Optimizer:
            lr: float = 3e-4
            betas: tuple = (0.9, 0.999)


        def main(epochs: int = 3, model: str = "resnet", optimizer: Optimizer = Optimizer()):
            print("training", epochs, model, optimizer)
            return 7


        if __name__ == "__main__":
            assert tyro.cli(main) == 7
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--epochs", "5", "--optimizer.lr", "0.1")

    assert run["params"] == {
        "epochs": 5,
        "model": "resnet",
        "optimizer": {"lr": 0.1, "betas": [0.9, 0.999]},
    }


@needs("tyro")
def test_tyro_subcommands_the_chosen_ones_values(repo: Repo) -> None:
    program(
        repo,
        """\
        import dataclasses
        import sys
        from typing import Union

        import tyro


        @dataclasses.dataclass
        class Train:
            lr: float = 0.1
            epochs: int = 2


        @dataclasses.dataclass
        class Evaluate:
            split: str = "val"


        def train(lr: float = 0.1, warmup: int = 0):
            print("train", lr, warmup)


        def evaluate(split: str = "val"):
            print("evaluate", split)


        if sys.argv[1] == "classes":
            print(tyro.cli(Union[Train, Evaluate], args=sys.argv[2:]))
        else:
            commands = {"train": train, "evaluate": evaluate}
            tyro.extras.subcommand_cli_from_dict(commands, args=sys.argv[2:])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "classes", "train", "--lr", "0.5")
    assert run["params"] == {"lr": 0.5, "epochs": 2}

    repo.write("notes.txt", "again\n")
    repo.commit_all("again")
    _, run = exec_run(repo, sys.executable, "train.py", "functions", "train", "--warmup", "5")
    assert run["params"] == {"lr": 0.1, "warmup": 5}
    assert run["param_sources"]["lr"] == "tyro"


# --- simple_parsing -------------------------------------------------------------------------


@needs("simple_parsing")
def test_simple_parsing_dataclass_fields(repo: Repo) -> None:
    program(
        repo,
        """\
        import sys
        from dataclasses import dataclass

        import simple_parsing


        @dataclass
        class HParams:
            lr: float = 0.1
            batch_size: int = 32


        if sys.argv[1] == "parse":
            print(simple_parsing.parse(HParams, args=sys.argv[2:]))
        else:
            parser = simple_parsing.ArgumentParser()
            parser.add_argument("mode")
            parser.add_argument("--seed", type=int, default=0)
            parser.add_arguments(HParams, dest="hparams")
            print(parser.parse_args())
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "parse", "--lr", "0.5")
    assert run["params"] == {"lr": 0.5, "batch_size": 32}
    assert run["param_sources"]["lr"] == "argparse"

    repo.write("notes.txt", "again\n")
    repo.commit_all("again")
    _, run = exec_run(repo, sys.executable, "train.py", "dest", "--batch_size", "8")
    assert run["params"] == {"mode": "dest", "seed": 0, "hparams": {"lr": 0.1, "batch_size": 8}}


# --- python-fire ----------------------------------------------------------------------------


@needs("fire")
def test_fire_class_and_method_arguments_without_fires_own_flags(repo: Repo) -> None:
    program(
        repo,
        """\
        import fire


        class Trainer:
            def __init__(self, lr=0.01, layers=(64, 32)):
                self.lr = lr

            def fit(self, epochs=3, **extra):
                print("fit", self.lr, epochs, extra)
                return "done"


        if __name__ == "__main__":
            fire.Fire(Trainer)
        """,
    )

    _, run = exec_run(
        repo, sys.executable, "train.py", "--lr=0.5", "fit", "--epochs=4", "--warmup=100"
    )

    assert run["params"] == {"lr": 0.5, "layers": [64, 32], "epochs": 4, "warmup": 100}
    assert run["param_sources"]["layers"] == "fire"


@needs("fire")
def test_fire_function_defaults_included(repo: Repo) -> None:
    program(
        repo,
        """\
        import fire


        def main(data_dir: str = "data", lr: float = 1e-3, epochs: int = 3, *, seed: int = 0):
            print("training", data_dir, lr, epochs, seed)


        if __name__ == "__main__":
            fire.Fire(main)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--epochs", "1", "--seed=2")

    assert run["params"] == {"data_dir": "data", "lr": 0.001, "epochs": 1, "seed": 2}


# --- gin-config -----------------------------------------------------------------------------


@needs("gin")
def test_gin_bound_config_with_macros_references_and_bindings(repo: Repo) -> None:
    repo.write(
        "configs/train.gin",
        """\
        LEARNING_RATE = 0.05
        train.learning_rate = %LEARNING_RATE
        train.optimizer = @Adam
        train.layers = [64, 32]
        Adam.beta1 = 0.8
        eval/train.steps = 3
        """.replace("        ", ""),
    )
    program(
        repo,
        """\
        import sys

        import gin


        @gin.configurable
        class Adam:
            def __init__(self, beta1=0.9):
                self.beta1 = beta1


        @gin.configurable
        def train(learning_rate=0.1, steps=10, optimizer=None, layers=(8,)):
            print("train", learning_rate, steps, optimizer, layers)


        if __name__ == "__main__":
            gin.parse_config_files_and_bindings(["configs/train.gin"], sys.argv[1:])
            train()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "train.steps = 20")

    assert run["params"] == {
        "LEARNING_RATE": 0.05,
        "train": {"learning_rate": 0.05, "optimizer": "@Adam", "layers": [64, 32], "steps": 20},
        "Adam": {"beta1": 0.8},
        "eval/train": {"steps": 3},
    }
    assert run["param_sources"]["train.steps"] == "gin"


@needs("gin")
def test_gin_records_the_operative_config_at_exit_defaults_of_what_ran_included(
    repo: Repo,
) -> None:
    program(
        repo,
        """\
        import gin


        @gin.configurable
        def train(learning_rate=0.1, steps=10, warmup=2):
            return learning_rate * steps


        @gin.configurable
        def evaluate(batches=5):  # never called: not operative
            return batches


        gin.parse_config("train.learning_rate = 0.01")
        train()
        print(gin.operative_config_str())
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # what operative_config_str() printed: the binding and the defaults train() ran with
    assert run["params"] == {"train": {"learning_rate": 0.01, "steps": 10, "warmup": 2}}
    assert run["param_sources"]["train.steps"] == "gin"


# --- OmegaConf without Hydra ----------------------------------------------------------------

OMEGACONF_PROGRAM = """\
import argparse

from omegaconf import OmegaConf

parser = argparse.ArgumentParser()
parser.add_argument("-b", "--base", nargs="*", default=["configs/base.yaml"])
parser.add_argument("--seed", type=int, default=23)
opt, unknown = parser.parse_known_args()
configs = [OmegaConf.load(path) for path in opt.base]
logging = OmegaConf.create({"log_every": 5})  # made by the program, not its config
cli = OmegaConf.from_dotlist(unknown)
config = OmegaConf.merge(*configs, cli)
print(config, logging)
"""

OMEGACONF_BASE = """\
model:
  base_learning_rate: 1.0e-06
  params:
    channels: 4
    ckpt: ${data.root}/ckpt
data:
  root: /data
  batch_size: 8
"""


@needs("omegaconf")
def test_omegaconf_without_hydra_the_config_merged_with_the_command_line(repo: Repo) -> None:
    repo.write("configs/base.yaml", OMEGACONF_BASE)
    program(repo, OMEGACONF_PROGRAM)

    _, run = exec_run(
        repo,
        sys.executable,
        "train.py",
        "model.params.channels=8",
        "data.batch_size=2",
        "--base",
        "configs/base.yaml",
    )

    assert run["params"] == {
        "base": ["configs/base.yaml"],
        "seed": 23,
        "model": {"base_learning_rate": 1e-06, "params": {"channels": 8, "ckpt": "/data/ckpt"}},
        "data": {"root": "/data", "batch_size": 2},
    }
    assert run["param_sources"]["model.params.ckpt"] == "omegaconf"


@needs("omegaconf")
def test_omegaconf_configs_the_command_line_never_reaches_are_not_params(repo: Repo) -> None:
    repo.write("configs/base.yaml", OMEGACONF_BASE)
    program(
        repo,
        """\
        from omegaconf import OmegaConf

        base = OmegaConf.load("configs/base.yaml")
        extra = OmegaConf.merge(base, {"data": {"batch_size": 64}})
        print(extra)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {}


# --- docopt ---------------------------------------------------------------------------------


@needs("docopt")
def test_docopt_options_with_the_usage_texts_defaults(repo: Repo) -> None:
    program(
        repo,
        '''\
        """Train a model.

        Usage:
          train.py train [--lr=<lr>] [--epochs=<n>] [--no-shuffle] [--name=<name>] <data>...
          train.py (-h | --help)

        Options:
          -h --help        Show this screen.
          --lr=<lr>        Learning rate [default: 0.01].
          --epochs=<n>     Epochs [default: 3].
          --no-shuffle     Do not shuffle.
          --name=<name>    Run name [default: base].
        """
        from docopt import docopt

        if __name__ == "__main__":
            print(docopt(__doc__))
        ''',
    )

    _, run = exec_run(repo, sys.executable, "train.py", "train", "--epochs=5", "a.csv", "b.csv")

    assert run["params"] == {
        "train": True,
        "lr": 0.01,
        "epochs": 5,
        "no_shuffle": False,
        "name": "base",
        "data": ["a.csv", "b.csv"],
    }
    assert run["param_sources"]["lr"] == "docopt"
