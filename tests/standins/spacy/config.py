"""thinc's ``Config``: an INI file's sections as nested dicts (``[training.optimizer]``), JSON
values, ``--section.key value`` overrides, and ``interpolate()`` resolving ``${paths.train}``."""

import configparser
import json


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


class Config(dict):
    def from_disk(self, path, overrides=None):
        parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        parser.optionxform = str
        parser.read(path)
        for section in parser.sections():
            node = self
            for part in section.split("."):
                node = node.setdefault(part, {})
            for key, text in parser.items(section):
                node[key] = _value(text)
        for dotted, value in (overrides or {}).items():
            *sections, key = dotted.split(".")
            node = self
            for part in sections:
                node = node.setdefault(part, {})
            node[key] = value
        return self

    def interpolate(self):
        def resolve(node):
            if isinstance(node, dict):
                return {key: resolve(value) for key, value in node.items()}
            if isinstance(node, str) and node.startswith("${") and node.endswith("}"):
                found = self
                for part in node[2:-1].split("."):
                    found = found[part]
                return found
            return node

        return Config(resolve(dict(self)))
