"""What ``reproduce`` must say before it runs a command someone else recorded.

A pulled record is untrusted input (issue #17): its command may start a shell whose script
is the real command, its environment may name variables that change what any program does
(``LD_PRELOAD``, ``PATH``, ``BROWSER``), and it may come from another person's clone. This
module finds those facts; ``views/reproduce.py`` shows them, escaped.
"""

from __future__ import annotations

import fnmatch
import getpass
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from runledger.store import git
from runledger.store.ledger import MIRROR_PREFIX

# Programs that run a script given on their command line, and the flags that give it.
SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "mksh", "fish", "csh", "tcsh", "ash", "busybox"}
)
INTERPRETER_FLAGS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c"}),
    "pypy": frozenset({"-c"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "deno": frozenset({"eval"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "rscript": frozenset({"-e"}),
    "r": frozenset({"-e"}),
    "julia": frozenset({"-e", "--eval"}),
    "pwsh": frozenset({"-c", "-command", "-encodedcommand"}),
    "powershell": frozenset({"-c", "-command", "-encodedcommand"}),
    "osascript": frozenset({"-e"}),
}
# Programs that run the rest of their command line: what they run is what counts.
WRAPPERS = frozenset(
    {
        "env",
        "nohup",
        "nice",
        "ionice",
        "time",
        "command",
        "exec",
        "sudo",
        "doas",
        "stdbuf",
        "timeout",
        "setsid",
        "taskset",
        "xargs",
        "chrt",
        "unbuffer",
    }
)
_VERSION_SUFFIX = re.compile(r"[0-9.]+$")

# Never set from a record, whatever an allow-list says: each of these makes every program
# (or the dynamic loader, or Python itself) run something else than what the plan shows.
NEVER_FROM_A_RECORD: tuple[str, ...] = (
    "PATH",
    "LD_*",
    "DYLD_*",
    "BROWSER",
    "PYTHONWARNINGS",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "PYTHONINSPECT",
    "PYTHONBREAKPOINT",
    "PYTHONEXECUTABLE",
    "PYTHONUSERBASE",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "IFS",
    "GIT_*",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "NODE_OPTIONS",
    "JAVA_TOOL_OPTIONS",
    "HOME",
    "TMPDIR",
    "SSH_*",
    "GCONV_PATH",
    "RUNLEDGER_*",
)


def never_from_a_record(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in NEVER_FROM_A_RECORD)


def program_name(arg: str) -> str:
    """``/usr/bin/python3.11`` -> ``python``: the program's family, for the checks below."""
    base = arg.replace("\\", "/").rsplit("/", 1)[-1].lower()
    base = base.removesuffix(".exe")
    return _VERSION_SUFFIX.sub("", base) or base


@dataclass(frozen=True)
class ScriptCall:
    """The command hands a script to a shell or an interpreter: the script is the command."""

    program: str  # as recorded (argv[i])
    flag: str
    script: str
    shell: bool


def _skip_wrapper(argv: Sequence[str], index: int) -> int:
    name = program_name(argv[index])
    index += 1
    while index < len(argv):
        arg = argv[index]
        if arg.startswith("-") or (name == "env" and "=" in arg):
            index += 1
        elif name == "timeout" and arg[:1].isdigit():
            index += 1
        else:
            break
    return index


def script_call(argv: Sequence[str]) -> ScriptCall | None:
    """The shell ``-c`` or interpreter ``-c``/``-e`` in ``argv``, if it has one."""
    index = 0
    while index < len(argv) and program_name(argv[index]) in WRAPPERS:
        index = _skip_wrapper(argv, index)
    if index >= len(argv):
        return None
    program = argv[index]
    name = program_name(program)
    shell = name in SHELLS
    flags = INTERPRETER_FLAGS.get(name)
    if not shell and flags is None:
        return None
    # Every later argument is looked at, not only the leading options: a false alarm costs a
    # line in the plan, a miss runs a script the user did not read.
    for position in range(index + 1, len(argv)):
        arg = argv[position]
        script = argv[position + 1] if position + 1 < len(argv) else ""
        if shell and arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            return ScriptCall(program, arg, script, shell=True)
        if flags is not None and arg.lower() in flags:
            return ScriptCall(program, arg, script, shell=False)
    return None


@dataclass(frozen=True)
class Provenance:
    """Who recorded a run, and whether it came from elsewhere."""

    user: str | None
    host: str | None
    remotes: tuple[str, ...]  # the remotes whose mirror holds the run (it was pulled)

    @property
    def foreign(self) -> bool:
        return (
            bool(self.remotes)
            or self.user is None
            or self.host is None
            or ((self.user, self.host) != (_local_user(), socket.gethostname()))
        )


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def provenance(repo: git.Repo, run_id: str, user: str | None, host: str | None) -> Provenance:
    pattern = f"{MIRROR_PREFIX}*/runs/{run_id}"
    remotes = []
    for ref, _oid in git.list_refs(repo, pattern):
        middle = ref[len(MIRROR_PREFIX) :]
        remotes.append(middle.rsplit("/runs/", 1)[0])
    return Provenance(user, host, tuple(dict.fromkeys(remotes)))
