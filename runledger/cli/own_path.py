"""runledger's own sys.path, without the folder it was started in.

``python -m runledger`` and ``python -c`` put the working folder (the user's project) first on
sys.path, and a PYTHONPATH with an empty entry (``:/opt/lib``) puts it there again: a
dataclasses.py or json.py of the project would then stand in for the standard library's in
runledger itself. runledger imports nothing of the project's, and the command it runs is a
process of its own that gets its folder on its path as it would bare.
"""

import os
import sys


def leave_the_working_folder_out() -> None:
    """Take the working folder off sys.path: first, before runledger imports anything more."""
    try:
        here = os.path.realpath(os.getcwd())
    except OSError:  # the folder was removed: "" is all that can name it
        here = ""
    sys.path[:] = [path for path in sys.path if path and os.path.realpath(path) != here]
