"""peft's ``get_peft_model``: the config gets the model's name, and the target modules peft
chooses for the model's type when none were given, every linear layer's name for
``"all-linear"``."""

_TARGET_MODULES = {"llama": {"q_proj", "v_proj"}}


class PeftModel:
    def __init__(self, model, peft_config):
        self.base_model = model
        self.peft_config = {"default": peft_config}

    def print_trainable_parameters(self):
        print("trainable params: 4,096 || all params: 12,608 || trainable%: 32.4873")


def get_peft_model(
    model,
    peft_config,
    adapter_name="default",
    mixed=False,
    autocast_adapter_dtype=True,
    revision=None,
    low_cpu_mem_usage=False,
):
    peft_config.base_model_name_or_path = model.__dict__.get("name_or_path", None)
    if peft_config.target_modules is None:
        peft_config.target_modules = set(_TARGET_MODULES[model.config.model_type])
    elif peft_config.target_modules == "all-linear":
        peft_config.target_modules = {
            f"model.layers.{i}.{name}"
            for i in range(model.config.num_hidden_layers)
            for name in model.linear_layers
        }
    return PeftModel(model, peft_config)
