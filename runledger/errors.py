class RunledgerError(Exception):
    """Base of every error runledger reports to the user as one line."""
    exit_code = 1
class UserError(RunledgerError):
    """Something the user can fix: bad input, wrong state."""
