"""runledger's version, in one place: pyproject.toml reads it from here when the package is built.

Not read back with importlib.metadata at run time: importing that costs about 40 ms, and the
version is written into every run record by exec.
"""

__version__ = "0.1.0"
