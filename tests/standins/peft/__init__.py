from peft.config import LoraConfig, TaskType
from peft.mapping_func import get_peft_model

__all__ = ["LoraConfig", "TaskType", "get_peft_model"]
