"""transformers 4's ``HfArgumentParser``: ``parse_json_file`` and ``parse_yaml_file`` read the
file and hand its dict to ``parse_dict``, which builds each dataclass from its keys."""

import dataclasses
import json
from argparse import ArgumentParser
from pathlib import Path


class HfArgumentParser(ArgumentParser):
    def __init__(self, dataclass_types, **kwargs):
        super().__init__(**kwargs)
        if dataclasses.is_dataclass(dataclass_types):
            dataclass_types = [dataclass_types]
        self.dataclass_types = list(dataclass_types)

    def parse_dict(self, args, allow_extra_keys=False):
        unused_keys = set(args.keys())
        outputs = []
        for dtype in self.dataclass_types:
            keys = {f.name for f in dataclasses.fields(dtype) if f.init}
            inputs = {k: v for k, v in args.items() if k in keys}
            unused_keys.difference_update(inputs.keys())
            outputs.append(dtype(**inputs))
        if not allow_extra_keys and unused_keys:
            raise ValueError(
                f"Some keys are not used by the HfArgumentParser: {sorted(unused_keys)}"
            )
        return tuple(outputs)

    def parse_json_file(self, json_file, allow_extra_keys=False):
        with open(Path(json_file), encoding="utf-8") as open_json_file:
            data = json.loads(open_json_file.read())
        return tuple(self.parse_dict(data, allow_extra_keys=allow_extra_keys))

    def parse_yaml_file(self, yaml_file, allow_extra_keys=False):
        import yaml

        data = yaml.safe_load(Path(yaml_file).read_text())
        return tuple(self.parse_dict(data, allow_extra_keys=allow_extra_keys))
