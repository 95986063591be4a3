# ruff: noqa: UP007, UP042, UP045 - spelled as the library spells it (Python 3.8+)
"""peft's ``LoraConfig``: ``__post_init__`` sets its ``peft_type`` and turns a list of
``target_modules`` into a set."""

import enum
from dataclasses import dataclass, field
from typing import Optional, Union


class PeftType(str, enum.Enum):
    LORA = "LORA"


class TaskType(str, enum.Enum):
    SEQ_CLS = "SEQ_CLS"
    CAUSAL_LM = "CAUSAL_LM"


@dataclass
class PeftConfig:
    task_type: Optional[Union[str, TaskType]] = field(default=None)
    peft_type: Optional[Union[str, PeftType]] = field(default=None)
    base_model_name_or_path: Optional[str] = field(default=None)
    revision: Optional[str] = field(default=None)
    inference_mode: bool = field(default=False)
    peft_version: Optional[str] = field(default=None)


@dataclass
class LoraConfig(PeftConfig):
    r: int = field(default=8)
    target_modules: Optional[Union[list, str]] = field(default=None)
    lora_alpha: int = field(default=8)
    lora_dropout: float = field(default=0.0)
    bias: str = field(default="none")
    modules_to_save: Optional[list] = field(default=None)

    def __post_init__(self):
        self.peft_type = PeftType.LORA
        self.peft_version = "0.17.0"
        if isinstance(self.target_modules, list):
            self.target_modules = set(self.target_modules)
