"""sacred 0.8's ``Experiment``: config scopes (a function's locals), ``automain``, which runs
``run_commandline()`` (``-F runs with lr=0.1``: options, then config updates), and
``log_scalar`` on the current run."""

import ast
import inspect
import logging
import random
import sys

from sacred.commandline_options import gather_command_line_options
from sacred.run import Run

logger = logging.getLogger(__name__)


def _scope_locals(function):
    captured = {}

    def profile(frame, event, arg):
        if event == "return" and frame.f_code is function.__code__:
            captured.update(frame.f_locals)

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return captured


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class Experiment:
    def __init__(self, name=None, ingredients=(), interactive=False, base_dir=None):
        self.path = name
        self.configurations = []
        self.main_function = None
        self.current_run = None

    @property
    def all_cli_options(self):
        return gather_command_line_options()

    def config(self, function):
        self.configurations.append(function)
        return function

    def main(self, function):
        self.main_function = function
        return function

    def automain(self, function):
        self.main(function)
        if function.__module__ == "__main__":
            self.run_commandline()
        return function

    def run_commandline(self, argv=None):
        argv = list(sys.argv if argv is None else argv)[1:]
        takes_argument = {}
        for option in self.all_cli_options:
            for flag in option.get_flags():
                takes_argument[flag] = option.arg is not None
        options, updates = {}, {}
        while argv:
            word = argv.pop(0)
            if word == "with":
                for update in argv:
                    key, _, text = update.partition("=")
                    updates[key] = _value(text)
                break
            options[word] = argv.pop(0) if takes_argument.get(word) else True
        return self.run(config_updates=updates, options=options)

    def run(
        self,
        command_name=None,
        config_updates=None,
        named_configs=(),
        info=None,
        meta_info=None,
        options=None,
    ):
        config = {}
        for scope in self.configurations:
            config.update(_scope_locals(scope))
        config.update(config_updates or {})
        config.setdefault("seed", random.randint(0, 2**31 - 1))
        options = options or {}
        basedir = options.get("-F") or options.get("--file_storage")
        main = self.main_function
        names = inspect.signature(main).parameters

        def captured():
            return main(**{n: self.current_run if n == "_run" else config[n] for n in names})

        self.current_run = Run(config, captured, [basedir] if basedir else [])
        result = self.current_run()
        logger.info("Result: %s", result)
        return self.current_run

    def log_scalar(self, name, value, step=None):
        self.current_run.log_scalar(name, value, step)
