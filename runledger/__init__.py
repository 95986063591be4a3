"""runledger: a Git-native run ledger for machine-learning work.

Importing this package stays light (no pandas, rich or typer), so training scripts can call
``runledger.log({...}, step=n)`` and ``runledger.log_params({...})``; both are silent no-ops
outside ``runledger exec``.
"""

from __future__ import annotations

from runledger.version import __version__

TYPE_CHECKING = False  # not typing's: importing typing costs milliseconds on every TAB

__all__ = ["__version__", "load_runs", "log", "log_params"]

if TYPE_CHECKING:
    from typing import Any

    import pandas


def log(metrics: Any, step: int | None = None) -> None:
    """Record metric values for the current run (a no-op outside ``runledger exec``)."""
    from runledger.api import log as _log

    _log(metrics, step=step)


def log_params(params: Any) -> None:
    """Record hyperparameters for the current run (a no-op outside ``runledger exec``)."""
    from runledger.api import log_params as _log_params

    _log_params(params)


def load_runs(path: str = ".", where: str | None = None) -> pandas.DataFrame:
    """Every run of the repository at ``path`` as a DataFrame (pandas is imported here)."""
    from runledger.analysis.frames import load_runs as _load_runs

    return _load_runs(path, where)
