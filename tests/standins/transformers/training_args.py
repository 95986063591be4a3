# ruff: noqa: UP007, UP042, UP045 - spelled as the library spells it (Python 3.8+)
"""transformers 4's ``TrainingArguments``, a few of its fields: ``__post_init__`` turns the
given strings into its enums and lists and fills in the fields it computes."""

import os
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional, Union


class ExplicitEnum(str, Enum):
    pass


class SchedulerType(ExplicitEnum):
    LINEAR = "linear"
    COSINE = "cosine"


class IntervalStrategy(ExplicitEnum):
    NO = "no"
    STEPS = "steps"
    EPOCH = "epoch"


class OptimizerNames(ExplicitEnum):
    ADAMW_TORCH = "adamw_torch"
    SGD = "sgd"


@dataclass
class TrainingArguments:
    output_dir: str
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 8
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    num_train_epochs: float = 3.0
    max_steps: int = -1
    lr_scheduler_type: Union[SchedulerType, str] = "linear"
    lr_scheduler_kwargs: Union[dict, str] = field(default_factory=dict)
    logging_dir: Optional[str] = None
    logging_steps: float = 500
    save_strategy: Union[IntervalStrategy, str] = "steps"
    seed: int = 42
    disable_tqdm: Optional[bool] = None
    report_to: Union[None, str, list] = None
    hub_token: Optional[str] = None
    optim: Union[OptimizerNames, str] = "adamw_torch"
    _n_gpu: int = field(init=False, repr=False, default=-1)

    def __post_init__(self):
        if self.logging_dir is None:
            self.logging_dir = os.path.join(self.output_dir, "runs", "Dec07_21-00-00_host")
        self.lr_scheduler_type = SchedulerType(self.lr_scheduler_type)
        self.save_strategy = IntervalStrategy(self.save_strategy)
        self.optim = OptimizerNames(self.optim)
        if self.report_to is None or self.report_to == "none":
            self.report_to = []
        elif isinstance(self.report_to, str):
            self.report_to = [self.report_to]
        if self.disable_tqdm is None:
            self.disable_tqdm = False
        self._n_gpu = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}
