"""sacred 0.8's command-line options: ``get_flags()`` gives the short and the long flag."""


class CommandLineOption:
    short_flag = None
    arg = None

    @classmethod
    def get_flag(cls):
        name = cls.__name__[: -len("Option")]
        snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
        return "--" + snake

    @classmethod
    def get_short_flag(cls):
        return "-" + (cls.short_flag or cls.get_flag()[2])

    @classmethod
    def get_flags(cls):
        return cls.get_short_flag(), cls.get_flag()


class DebugOption(CommandLineOption):
    pass


class NameOption(CommandLineOption):
    arg = "NAME"


class FileStorageOption(CommandLineOption):
    short_flag = "F"
    arg = "BASEDIR"


def gather_command_line_options(filter_disabled=None):
    return sorted((DebugOption, FileStorageOption, NameOption), key=lambda opt: opt.__name__)
