"""``python -m spacy train config.cfg --output out --paths.train train.spacy ...``: the
config with the command line's overrides, a pipeline built from it, then ``train``."""

import sys

from spacy.config import Config, _value
from spacy.training.loop import train


class Language:
    def __init__(self, config):
        self.config = config
        self.pipe_names = list(config["nlp"]["pipeline"])


def train_cli(args):
    command, config_path, *rest = args
    output_path, overrides = None, {}
    while rest:
        flag, value = rest.pop(0), rest.pop(0)
        if flag in ("--output", "-o"):
            output_path = value
        else:
            overrides[flag.lstrip("-")] = _value(value)
    config = Config().from_disk(config_path, overrides=overrides)
    nlp = Language(config)
    train(nlp, output_path, use_gpu=-1, stdout=sys.stdout, stderr=sys.stderr)
