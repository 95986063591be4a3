"""The errors runledger reports to the user as one line, and their exit codes.

Anything raised from here is expected: the CLI prints its message on stderr and exits with
its ``exit_code``. Any other exception is a bug and is handled by ``cli.main``.
"""

from __future__ import annotations


class RunledgerError(Exception):
    """Base of every error runledger reports to the user as one line."""

    exit_code = 1


class UserError(RunledgerError):
    """Something the user can fix: bad input, wrong state."""


class NotARepositoryError(UserError):
    """runledger was started outside a git work tree."""


class DirtyTreeError(UserError):
    """The work tree has changes, so the run's code would not be a commit."""


class RunNotFoundError(UserError):
    """A RUN argument names no run."""


class AmbiguousRunError(UserError):
    """A RUN prefix names several runs."""


class CommandNotFoundError(UserError):
    """The command given to exec cannot be found or executed."""

    exit_code = 127


class GitError(RunledgerError):
    """A git command failed in a way the user should see (e.g. a remote refused a push)."""


class CorruptRecordError(RunledgerError):
    """A record in the ledger cannot be read (broken, or written by a newer runledger)."""

    def __init__(self, message: str, *, newer: bool = False) -> None:
        super().__init__(message)
        self.newer = newer  # written by a newer runledger, not damaged
