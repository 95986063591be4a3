import json
import os


class PreTrainedModel:
    def __init__(self, config):
        self.config = config
        self.name_or_path = ""

    def save_pretrained(
        self,
        save_directory,
        is_main_process=True,
        state_dict=None,
        safe_serialization=True,
        **kwargs,
    ):
        os.makedirs(save_directory, exist_ok=True)
        with open(os.path.join(save_directory, "config.json"), "w") as file:
            json.dump(vars(self.config), file)


class LlamaConfig:
    model_type = "llama"

    def __init__(
        self,
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers


class LlamaForCausalLM(PreTrainedModel):
    # the linear layers of one decoder layer, by name
    linear_layers = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
