from transformers.hf_argparser import HfArgumentParser
from transformers.modeling_utils import LlamaConfig, LlamaForCausalLM, PreTrainedModel
from transformers.trainer import Trainer
from transformers.training_args import TrainingArguments

__all__ = [
    "HfArgumentParser",
    "LlamaConfig",
    "LlamaForCausalLM",
    "PreTrainedModel",
    "Trainer",
    "TrainingArguments",
]
