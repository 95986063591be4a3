"""pmdarima's ``auto_arima``: the search's settings and the ARIMA order it chose, which it
prints only inside its trace (``Best model:  ARIMA(2,1,1)(0,0,0)[0]``) and its summary."""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program

# pmdarima.arima.auto as the program sees it: auto_arima's signature (a few of its
# arguments) and the ARIMA it returns.
FAKE_AUTO = """\
class ARIMA:
    def __init__(self, order, seasonal_order=(0, 0, 0, 0), with_intercept=True):
        self.order, self.seasonal_order = order, seasonal_order
        self.with_intercept = with_intercept


def auto_arima(y, X=None, start_p=2, d=None, max_p=5, max_q=5, m=1, seasonal=True,
               information_criterion="aic", stepwise=True, n_jobs=1, suppress_warnings=True,
               error_action="trace", trace=False, with_intercept="auto"):
    return ARIMA((2, 1, 1), (1, 0, 0, 12) if seasonal else (0, 0, 0, 0), with_intercept=False)
"""


SEARCH = """\
from pmdarima.arima.auto import auto_arima

model = auto_arima([1.0, 2.0, 3.0], seasonal=False, max_p=3, trace=True,
                   error_action="ignore", information_criterion="bic")
"""


def _search_with_the_stand_in(repo: Repo, source: str) -> Any:
    for package in ("pmdarima", "pmdarima/arima"):
        repo.write(f"{package}/__init__.py", "")
    repo.write("pmdarima/arima/auto.py", FAKE_AUTO)
    program(repo, source)
    _, run = exec_run(repo, sys.executable, "train.py")
    return run


def test_one_auto_arima_search_gives_what_it_was_given_and_the_order_it_chose(
    repo: Repo,
) -> None:
    # Before: no param (its candidate fits are pmdarima's own).
    run = _search_with_the_stand_in(repo, SEARCH)

    assert run["params"] == {
        "max_p": 3,
        "seasonal": False,
        "information_criterion": "bic",
        "order": [2, 1, 1],
        "with_intercept": False,
    }
    assert run["param_sources"]["order"] == "pmdarima"


def test_a_second_search_gives_its_own_settings_and_seasonal_order(repo: Repo) -> None:
    run = _search_with_the_stand_in(repo, SEARCH + "seasonal = auto_arima([1.0, 2.0], m=12)\n")

    assert run["params"] == {
        "m": 12,
        "order": [2, 1, 1],
        "seasonal_order": [1, 0, 0, 12],
        "with_intercept": False,
    }


@needs("pmdarima")
def test_real_auto_arima_on_wineind(repo: Repo) -> None:
    program(
        repo,
        """\
        import pmdarima as pm
        from pmdarima.datasets import load_wineind

        y = load_wineind()[:60]
        model = pm.auto_arima(y, seasonal=False, start_p=0, start_q=0, max_p=1, max_q=1,
                              trace=True, suppress_warnings=True, error_action="ignore")
        print(model.order)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"]["max_p"] == 1
    assert run["params"]["start_p"] == 0
    assert run["params"]["seasonal"] is False
    assert len(run["params"]["order"]) == 3
    assert "trace" not in run["params"]
