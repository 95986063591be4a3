"""Hugging Face Trainer programs (run_glue.py, run_clm.py, run_ner.py) as runledger records them.

The real examples parse ``HfArgumentParser`` dataclasses, log ``TrainingArguments`` one field
a line, train with ``Trainer`` (which logs through ``Trainer.log``, prints the logged dicts and,
with ``--report_to tensorboard``, also writes them renamed, ``train/loss``, to event files).
Each test runs a small self-written program of that shape through the real ``runledger exec``;
the one that needs transformers and torch skips without them (they are not in CI).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runledger.redact import MASK
from tests.conftest import Repo
from tests.standins import imitate
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

# What run_glue.py's ``logger.info(f"Training/evaluation parameters {training_args}")`` prints:
# TrainingArguments.__str__ is one ``field=value,`` a line between ``TrainingArguments(`` and
# ``)``, after a logging prefix on the first line only.
PRINTS_TRAINING_ARGUMENTS = """\
import logging, sys

logging.basicConfig(
    format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
    datefmt="%m/%d/%Y %H:%M:%S",
    handlers=[logging.StreamHandler(sys.stdout)],
    level=logging.INFO,
)
fields = {"_n_gpu": 0, "adam_beta1": 0.9, "learning_rate": 5e-05, "seed": 42,
          "hub_token": "<HUB_TOKEN>", "logging_steps": 2, "warmup_ratio": 0.0}
listing = "".join(f"{k}={v},\\n" for k, v in sorted(fields.items()))
log = logging.getLogger("__main__")
log.info(f"Training/evaluation parameters TrainingArguments(\\n{listing})")
for step in (1, 2):
    print(f"step={step} loss={1.0 / step}")
print("seed=7")
"""


def test_a_printed_training_arguments_listing_is_not_metrics(repo: Repo) -> None:
    program(repo, PRINTS_TRAINING_ARGUMENTS)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["metrics"]) == {"loss", "seed"}
    assert series(run, "loss") == [[1, 1.0], [2, 0.5]]
    # a name=value line after the listing's ")" is read as before (without a step of its
    # own, at the last step printed before it)
    assert series(run, "seed") == [[2, 7.0]]


def test_a_listing_ends_at_the_first_line_that_is_not_a_field(repo: Repo) -> None:
    program(
        repo,
        """\
        print("Config(")
        print("depth=3,")
        print("loss=0.5 acc=0.75")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["metrics"]) == {"loss", "acc"}


def test_a_secret_params_source_is_named_not_masked(repo: Repo) -> None:
    program(
        repo,
        """\
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--hub_token", default=None)
        parser.add_argument("--lr", type=float, default=0.1)
        parser.parse_args()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--hub_token", "hf_" + "x" * 34)

    assert run["params"]["hub_token"] == MASK
    assert run["param_sources"]["hub_token"] == "argparse"
    assert run["param_sources"]["lr"] == "argparse"


# A run_glue.py in small: HfArgumentParser over its own dataclass and TrainingArguments, a
# tiny random BERT made here (no Hub), Trainer.train then Trainer.evaluate.
TRAINER_PROGRAM = """\
import logging, sys
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import (
    BertConfig, BertForSequenceClassification, HfArgumentParser, Trainer, TrainingArguments,
)

logger = logging.getLogger(__name__)


@dataclass
class ModelArguments:
    hidden_size: int = field(default=16, metadata={"help": "width"})
    token: str = field(default=None, metadata={"help": "a Hub token"})


def main():
    parser = HfArgumentParser((ModelArguments, TrainingArguments))
    model_args, training_args = parser.parse_args_into_dataclasses()
    logging.basicConfig(handlers=[logging.StreamHandler(sys.stdout)], level=logging.INFO,
                        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s")
    logger.info(f"Training/evaluation parameters {training_args}")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=model_args.hidden_size, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=16)
    model = BertForSequenceClassification(config)
    rows = [{"input_ids": [(i * 7 + j) % 50 for j in range(8)], "labels": i % 2} for i in range(32)]

    def accuracy(prediction):
        right = np.argmax(prediction.predictions, -1) == prediction.label_ids
        return {"accuracy": float(right.mean())}

    trainer = Trainer(model=model, args=training_args, train_dataset=rows, eval_dataset=rows[:8],
                      compute_metrics=accuracy)
    result = trainer.train()
    trainer.log_metrics("train", result.metrics)
    metrics = trainer.evaluate()
    trainer.log_metrics("eval", metrics)


if __name__ == "__main__":
    main()
"""


@needs("transformers", "torch")
def test_hf_trainer_params_metrics_once_and_tensorboard_not_twice(repo: Repo) -> None:
    pytest.importorskip("tensorboard", reason="reading event files needs runledger[tensorboard]")
    program(repo, TRAINER_PROGRAM)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("ignore the output folder")

    _, run = exec_run(
        repo, sys.executable, "train.py", "--output_dir", "out", "--report_to", "tensorboard",
        "--logging_steps", "2", "--per_device_train_batch_size", "4", "--num_train_epochs", "1",
        "--learning_rate", "1e-3", "--save_strategy", "no", "--disable_tqdm", "true",
        "--hub_token", "hf_" + "y" * 34,
    )  # fmt: skip

    assert run["status"] == "ok"
    params, sources = run["params"], run["param_sources"]
    assert params["learning_rate"] == 1e-3 and params["hidden_size"] == 16
    assert params["per_device_eval_batch_size"] == 8  # a default of TrainingArguments
    assert params["hub_token"] == MASK and sources["hub_token"] == "argparse"
    # the Trainer built the optimizer and the loaders: no torch params beside its own
    assert "torch" not in set(sources.values()) and "optimizer" not in params
    # one series per value Trainer.log logged, at the global step; the event files the
    # TensorBoard callback wrote (train/loss, eval/accuracy) and the printed TrainingArguments
    # (adam_beta1=0.9,) are not recorded again
    metrics = set(run["metrics"])
    assert {"loss", "grad_norm", "learning_rate", "epoch", "train_loss", "train_runtime"} <= metrics
    assert {"eval_loss", "eval_accuracy"} <= metrics
    assert not [name for name in metrics if "/" in name], sorted(metrics)
    assert not metrics & {"adam_beta1", "seed", "logging_steps", "warmup_ratio"}
    assert [step for step, _ in series(run, "loss")] == [2, 4, 6, 8]
    assert [step for step, _ in series(run, "eval_accuracy")] == [8]
    assert list(repo.path.glob("out/runs/*/events.out.tfevents.*"))  # they were written


@needs("transformers", "yaml")
def test_hf_argument_parser_reading_a_json_or_yaml_file_gives_every_field(repo: Repo) -> None:
    _check_hf_argument_parser_reading_a_file(repo)


@needs("yaml")
def test_hf_argument_parser_stand_in_reading_a_json_or_yaml_file(repo: Repo) -> None:
    # HfArgumentParser as the hooks see it (tests/standins/transformers), for CI, which
    # lacks transformers: the same program and assertions
    imitate(repo.path, "transformers")
    _check_hf_argument_parser_reading_a_file(repo)


def _check_hf_argument_parser_reading_a_file(repo: Repo) -> None:
    # The HF example scripts: `python run_glue.py args.json` parses the file, not argv.
    program(
        repo,
        """\
        import os
        import sys
        from dataclasses import dataclass

        from transformers import HfArgumentParser

        @dataclass
        class ModelArguments:
            model_name_or_path: str = "bert-base-uncased"
            dropout: float = 0.1

        @dataclass
        class DataArguments:
            max_seq_length: int = 128

        parser = HfArgumentParser((ModelArguments, DataArguments))
        path = os.path.abspath(sys.argv[1])
        if path.endswith(".json"):
            model_args, data_args = parser.parse_json_file(json_file=path)
        else:
            model_args, data_args = parser.parse_yaml_file(path)
        print(model_args.model_name_or_path, data_args.max_seq_length)
        """,
    )
    repo.write("args.json", '{"model_name_or_path": "roberta-base", "max_seq_length": 256}\n')
    repo.write("args.yaml", "model_name_or_path: roberta-base\nmax_seq_length: 256\n")
    repo.commit_all("args")

    for name in ("args.json", "args.yaml"):
        _, run = exec_run(repo, sys.executable, "train.py", name)

        # the defaults the file left (dropout) too, as `--max_seq_length 256` would give them
        expected = {"model_name_or_path": "roberta-base", "dropout": 0.1, "max_seq_length": 256}
        assert run["params"] == expected, name
        assert set(run["param_sources"].values()) == {"argparse"}


# The HF course, peft's and trl's examples and sentence-transformers build their arguments in
# the program: ``TrainingArguments(...)`` (or a subclass of it, as trl's ``SFTConfig``) with no
# parser. A tiny random BERT made here (no Hub).
ARGUMENTS_IN_CODE_PROGRAM = """\
import sys
from dataclasses import dataclass, field

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments


@dataclass
class SFTConfig(TrainingArguments):
    max_length: int = field(default=1024)


torch.manual_seed(0)
config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16)
model = BertForSequenceClassification(config)
rows = [{"input_ids": [(i * 7 + j) % 50 for j in range(8)], "labels": i % 2} for i in range(16)]
steps = {"--steps": dict(max_steps=3)}.get(sys.argv[-1], {})
args = SFTConfig(output_dir="out", learning_rate=1e-3, per_device_train_batch_size=4,
                 logging_steps=2, max_length=64, save_strategy="no", report_to="none",
                 hub_token="hf_" + "z" * 34, disable_tqdm=True, **steps)
Trainer(model=model, args=args, train_dataset=rows).train()
"""


@needs("transformers", "torch")
def test_training_arguments_written_in_the_program_are_params(repo: Repo) -> None:
    program(repo, ARGUMENTS_IN_CODE_PROGRAM)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("ignore the output folder")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    params, sources = run["params"], run["param_sources"]
    # what the program wrote, its subclass's field too
    assert params["learning_rate"] == 1e-3 and params["per_device_train_batch_size"] == 4
    assert params["logging_steps"] == 2 and params["max_length"] == 64
    assert params["save_strategy"] == "no" and params["output_dir"] == "out"
    # the settings every training has, at their defaults
    assert params["num_train_epochs"] == 3 and params["seed"] == 42
    assert params["weight_decay"] == 0 and params["lr_scheduler_type"] == "linear"
    assert "max_steps" not in params  # not set: the epochs end the training
    assert sources["learning_rate"] == "transformers" and sources["seed"] == "transformers"
    # neither the fields the arguments compute nor those left at their defaults, nor a token
    assert not {"logging_dir", "adam_beta1", "per_device_eval_batch_size"} & set(params)
    assert "hub_token" not in params
    assert "zzzzzzzz" not in str(run)

    _, run = exec_run(repo, sys.executable, "train.py", "--steps")

    assert run["params"]["max_steps"] == 3 and "num_train_epochs" not in run["params"]


@needs("transformers", "torch")
def test_an_optimizer_given_to_the_trainer_leaves_the_arguments_optimizer_defaults_out(
    repo: Repo,
) -> None:
    # sentence-transformers' model.fit: Trainer(optimizers=(AdamW(lr=2e-05), scheduler)), so
    # TrainingArguments' learning_rate (5e-05) is never used
    source = ARGUMENTS_IN_CODE_PROGRAM.replace("learning_rate=1e-3, ", "").replace(
        "Trainer(model=model, args=args, train_dataset=rows)",
        "Trainer(model=model, args=args, train_dataset=rows,"
        " optimizers=(torch.optim.AdamW(model.parameters(), lr=2e-5), None))",
    )
    program(repo, source)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("ignore the output folder")

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    params = run["params"]
    assert not {"learning_rate", "weight_decay", "optim"} & set(params)
    assert params["lr_scheduler_type"] == "linear" and params["num_train_epochs"] == 3


# sentence-transformers' training scripts end with `test_evaluator(model)`: the test score they
# are about, which the Trainer never logs. A tiny random BERT and its tokenizer made here.
SENTENCE_EVALUATOR_PROGRAM = """\
import sys

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
from sentence_transformers import SentenceTransformer
from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator

words = "the a cat dog sat on mat is good bad movie".split()
vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + words)}
tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                        cls_token="[CLS]", sep_token="[SEP]").save_pretrained(sys.argv[1])
config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                    num_attention_heads=2, intermediate_size=32, max_position_embeddings=16)
BertModel(config).save_pretrained(sys.argv[1])
model = SentenceTransformer(sys.argv[1])
pairs = [("the cat sat", "a dog sat", 0.8), ("good movie", "bad movie", 0.1),
         ("the mat", "on the mat", 0.9), ("cat", "movie", 0.0)]
dev = EmbeddingSimilarityEvaluator(*map(list, zip(*pairs)), name="sts-dev")
dev(model, epoch=1, steps=4)  # as the Trainer calls it: its eval_* logs hold these
test = EmbeddingSimilarityEvaluator(*map(list, zip(*pairs)), name="sts-test")
print(test(model))
"""


@needs("sentence_transformers", "torch")
def test_a_sentence_transformers_evaluator_called_by_the_program_gives_its_results(
    repo: Repo, tmp_path: Path
) -> None:
    program(repo, SENTENCE_EVALUATOR_PROGRAM)

    _, run = exec_run(repo, sys.executable, "train.py", str(tmp_path / "tiny"))

    assert run["status"] == "ok"
    metrics = run["metrics"]
    assert {"sts-test_pearson_cosine", "sts-test_spearman_cosine"} <= set(metrics)
    assert -1 <= metrics["sts-test_spearman_cosine"] <= 1
    assert not [name for name in metrics if name.startswith("sts-dev")]


def test_an_evaluator_of_sentence_transformers_3_0_runs_as_it_would_bare(repo: Repo) -> None:
    """sentence-transformers 3.0's store_metrics_in_model_card_data(model, metrics) takes no
    epoch: the hook called it with one, and every evaluator call raised TypeError (takes 3
    positional arguments but 4 were given) in the program. Its shape, imitated here."""
    repo.write("sentence_transformers/__init__.py", "")
    repo.write("sentence_transformers/evaluation/__init__.py", "")
    repo.write(
        "sentence_transformers/evaluation/SentenceEvaluator.py",
        "class SentenceEvaluator:\n"
        "    def store_metrics_in_model_card_data(self, model, metrics):\n"
        "        model.card = metrics\n",
    )
    program(
        repo,
        """\
        from sentence_transformers.evaluation.SentenceEvaluator import SentenceEvaluator

        class Model:
            card = None

        class Evaluator(SentenceEvaluator):
            def __call__(self, model, epoch=-1):
                metrics = {"spearman_cosine": 0.75}
                self.store_metrics_in_model_card_data(model, metrics)
                return metrics

        model = Model()
        Evaluator()(model)
        print(f"card={model.card['spearman_cosine']}")
        """,
    )

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert proc.returncode == 0, proc.stderr.decode()
    assert run["status"] == "ok" and run["metrics"] == {"card": 0.75}


# peft's LoRA examples: get_peft_model(model, LoraConfig(...)) on a tiny random model made here.
PEFT_PROGRAM = """\
import sys

from peft import LoraConfig, TaskType, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

config = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                     num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=16)
model = LlamaForCausalLM(config)
peft_config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=8, lora_alpha=32, lora_dropout=0.1)
if sys.argv[-1] == "--all-linear":  # trl's SFT examples: every linear layer, by name
    peft_config = LoraConfig(r=8, target_modules="all-linear")
model = get_peft_model(model, peft_config)
model.print_trainable_parameters()
"""


@needs("peft", "transformers", "torch")
def test_a_peft_adapter_config_is_params(repo: Repo) -> None:
    _check_peft_adapter_config(repo)


def test_a_peft_adapter_config_is_params_with_stand_ins(repo: Repo) -> None:
    # peft and transformers as the hooks see them (tests/standins), for CI, which lacks torch
    imitate(repo.path, "peft", "transformers")
    _check_peft_adapter_config(repo)


def test_a_peft_adapter_config_before_peft_0_15_is_params(repo: Repo) -> None:
    """peft before 0.15 defines get_peft_model in peft/mapping.py (0.15 moved it to
    mapping_func.py): the hook watched only the new module, and such a run had no adapter
    params. The stand-in laid out as peft 0.9 to 0.14 lay it out."""
    imitate(repo.path, "peft", "transformers")
    package = repo.path / "peft"
    (package / "mapping_func.py").rename(package / "mapping.py")
    init = package / "__init__.py"
    init.write_text(init.read_text().replace("peft.mapping_func", "peft.mapping"))
    _check_peft_adapter_config(repo)


def _check_peft_adapter_config(repo: Repo) -> None:
    program(repo, PEFT_PROGRAM)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    lora = run["params"]["lora"]
    assert (lora["r"], lora["lora_alpha"], lora["lora_dropout"]) == (8, 32, 0.1)
    assert lora["task_type"] == "CAUSAL_LM"
    assert lora["target_modules"] == ["q_proj", "v_proj"]  # peft's choice for the model
    assert "peft_version" not in lora and "peft_type" not in lora
    assert "base_model_name_or_path" not in lora  # "": the model was built, not loaded
    assert run["param_sources"]["lora.r"] == "peft"
    # print_trainable_parameters(): `trainable params: 4,096 || all params: ...` is no metric
    assert not run["metrics"]

    _, run = exec_run(repo, sys.executable, "train.py", "--all-linear")

    # as written, not the names of every linear layer that peft made of it
    assert run["params"]["lora"]["target_modules"] == "all-linear"


# The HF course's and trl's TrainingArguments written in the program, a Trainer that logs and
# writes TensorBoard event files, and sentence-transformers' closing `test_evaluator(model)`.
STAND_IN_TRAINER_PROGRAM = """\
import sys
from dataclasses import dataclass, field

from sentence_transformers import SentenceTransformer
from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator
from transformers import Trainer, TrainingArguments


@dataclass
class SFTConfig(TrainingArguments):
    max_length: int = field(default=1024)


class AdamW:  # built by the program, as sentence-transformers' fit builds its own
    lr = 2e-05


rows = [{"input_ids": [i, i + 1], "labels": i % 2} for i in range(16)]
given = dict(learning_rate=1e-3, report_to="tensorboard")
if "--steps" in sys.argv:
    given = dict(max_steps=3)  # tensorboardX imports comet_ml where installed: 2 s
args = SFTConfig(output_dir="out", per_device_train_batch_size=4, logging_steps=2, max_length=64,
                 save_strategy="no", hub_token="hf_" + "z" * 34, disable_tqdm=True, **given)
optimizers = (AdamW(), None) if "--steps" in sys.argv else (None, None)
trainer = Trainer(model=None, args=args, train_dataset=rows, eval_dataset=rows[:8],
                  optimizers=optimizers)
trainer.train()
trainer.evaluate()

model = SentenceTransformer("tiny")
pairs = [("the cat sat", "a dog sat", 0.8), ("good movie", "bad movie", 0.1),
         ("the mat", "on the mat", 0.9), ("cat", "movie", 0.0)]
dev = EmbeddingSimilarityEvaluator(*map(list, zip(*pairs)), name="sts-dev")
dev(model, epoch=1, steps=4)  # as the Trainer calls it: its eval_* logs hold these
test = EmbeddingSimilarityEvaluator(*map(list, zip(*pairs)), name="sts-test")
print(test(model))
"""


def test_trainer_arguments_metrics_and_evaluator_with_stand_ins(repo: Repo) -> None:
    # transformers' Trainer and TrainingArguments and a sentence-transformers evaluator as the
    # hooks see them (tests/standins), for CI, which lacks torch
    pytest.importorskip("tensorboard", reason="reading event files needs runledger[tensorboard]")
    imitate(repo.path, "transformers", "sentence_transformers")
    program(repo, STAND_IN_TRAINER_PROGRAM)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("ignore the output folder")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    params, sources = run["params"], run["param_sources"]
    # what the program wrote, its subclass's field too
    assert params["learning_rate"] == 1e-3 and params["per_device_train_batch_size"] == 4
    assert params["logging_steps"] == 2 and params["max_length"] == 64
    assert params["save_strategy"] == "no" and params["output_dir"] == "out"
    # the settings every training has, at their defaults
    assert params["num_train_epochs"] == 3 and params["seed"] == 42
    assert params["weight_decay"] == 0 and params["lr_scheduler_type"] == "linear"
    assert params["optim"] == "adamw_torch"
    assert "max_steps" not in params  # not set: the epochs end the training
    assert sources["learning_rate"] == "transformers" and sources["seed"] == "transformers"
    # neither the fields the arguments compute nor those left at their defaults, nor a token
    assert not {"logging_dir", "adam_beta1", "per_device_eval_batch_size", "_n_gpu"} & set(params)
    assert "hub_token" not in params and "zzzzzzzz" not in str(run)
    # Trainer.log's values at the global step, once: not again from the event files
    assert [step for step, _ in series(run, "loss")] == [2, 4, 6, 8, 10, 12]
    assert [step for step, _ in series(run, "eval_accuracy")] == [12]
    assert not [name for name in run["metrics"] if "/" in name], sorted(run["metrics"])
    assert list(repo.path.glob("out/runs/*/events.out.tfevents.*"))  # they were written
    # the test evaluator's results at the Trainer's last step; not the dev one's
    assert [step for step, _ in series(run, "sts-test_spearman_cosine")] == [12]
    assert not [name for name in run["metrics"] if name.startswith("sts-dev")]

    _, run = exec_run(repo, sys.executable, "train.py", "--steps")

    params = run["params"]
    assert params["max_steps"] == 3 and "num_train_epochs" not in params
    # an optimizer given to the Trainer: the arguments' optimizer settings are not used
    assert not {"learning_rate", "weight_decay", "optim"} & set(params)
    assert params["lr_scheduler_type"] == "linear"


# setfit 1.x trains the sentence body with a transformers Trainer (its logs at each global
# step) and then the head itself, both from setfit's own TrainingArguments (a pair of values
# each, body and head); the program then evaluates on its test split and prints the results.
SETFIT_ARGUMENTS = """\
from dataclasses import dataclass
from typing import Tuple, Union


@dataclass
class TrainingArguments:
    output_dir: str = "checkpoints"
    batch_size: Union[int, Tuple[int, int]] = (16, 2)
    num_epochs: Union[int, Tuple[int, int]] = (1, 16)
    max_steps: int = -1
    sampling_strategy: str = "oversampling"
    body_learning_rate: Union[float, Tuple[float, float]] = (2e-5, 1e-5)
    head_learning_rate: float = 1e-2
    l2_weight: float = 1e-2
    seed: int = 42
    logging_steps: int = 50
    logging_dir: str = None

    def __post_init__(self):
        if isinstance(self.batch_size, int):
            self.batch_size = (self.batch_size, self.batch_size)
        if isinstance(self.num_epochs, int):
            self.num_epochs = (self.num_epochs, self.num_epochs)
        if isinstance(self.body_learning_rate, float):
            self.body_learning_rate = (self.body_learning_rate, self.body_learning_rate)
        self.logging_dir = self.logging_dir or "runs/Dec07_23-54-37_vm"
"""

SETFIT_TRAINER = """\
from transformers import Trainer as HfTrainer, TrainingArguments as HfArguments

from .training_args import TrainingArguments


class Trainer:
    def __init__(self, model=None, args=None, train_dataset=None, metric="accuracy"):
        self.args = args if args is not None else TrainingArguments()
        self.train_dataset = train_dataset

    def train(self):
        arguments = HfArguments(output_dir="out", logging_steps=2, per_device_train_batch_size=4,
                                num_train_epochs=2, disable_tqdm=True)
        HfTrainer(args=arguments, train_dataset=self.train_dataset).train()

    def evaluate(self, dataset=None, metric_key_prefix="test"):
        print("***** Running evaluation *****")
        return {"accuracy": 0.4375}
"""

SETFIT_PROGRAM = """\
from setfit import Trainer, TrainingArguments

arguments = TrainingArguments(batch_size=8, num_epochs=2, head_learning_rate=0.05, logging_steps=5)
trainer = Trainer(args=arguments, train_dataset=list(range(16)))
trainer.train()
metrics = trainer.evaluate(list(range(8)))
print(metrics)
"""


def test_setfits_arguments_are_params_and_its_evaluate_results_at_the_last_step(
    repo: Repo,
) -> None:
    imitate(repo.path, "transformers")
    repo.write(
        "setfit/__init__.py",
        "from setfit.trainer import Trainer\nfrom setfit.training_args import TrainingArguments\n",
    )
    repo.write("setfit/training_args.py", SETFIT_ARGUMENTS)
    repo.write("setfit/trainer.py", SETFIT_TRAINER)
    program(repo, SETFIT_PROGRAM)
    repo.write(".gitignore", "out/\n")
    repo.commit_all("ignore the output folder")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    params, sources = run["params"], run["param_sources"]
    # what the program gave, and how the body and the head train at their defaults too
    assert params["batch_size"] == [8, 8] and params["num_epochs"] == [2, 2]
    assert params["head_learning_rate"] == 0.05 and params["logging_steps"] == 5
    assert params["body_learning_rate"] == [2e-5, 1e-5] and params["l2_weight"] == 0.01
    assert sources["batch_size"] == "setfit" and sources["head_learning_rate"] == "setfit"
    assert "logging_dir" not in params and "max_steps" not in params  # computed; not set
    assert "{'accuracy': 0.4375}" in proc.stdout.decode()
    assert [step for step, _ in series(run, "loss")] == [2, 4, 6, 8]
    # at the global step the training ended on, not at the epoch (2.0) its last dict printed
    assert series(run, "accuracy") == [[8, 0.4375]]
