"""What black-box optimizers print while they search, read as one series per quantity.

CMA-ES (the cma package) with ``verb_disp=1`` draws each row after the first few over the
last one (``verb_disp_overwrite``): the row ends in `` -`` and the next starts with
``\\r\\x1b[2K``; the final row comes after the header printed again on the last drawn row.
"""

from __future__ import annotations

import sys

from runledger.recording.capture.metrics import MetricsCollector
from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

HEADER = "Iterat #Fevals   function value  axis ratio  sigma  min&max std  t[m:s]"


def _row(iteration: int, value: float) -> str:
    return f"{iteration:5d} {iteration * 10:6d} {value:.15e} 1.0e+00 2.92e-01  3e-01  3e-01 0:00.0"


def _cma_overwriting(iterations: int) -> bytes:
    """cma 4.5's disp() with verb_disp=1, as it writes (evolution_strategy.py's disp)."""
    out = "(5_w,10)-aCMA-ES (mu_w=3.2,w_1=45%) in dimension 8 (seed=3, Mon Dec  7 18:18:53 2026)\n"
    out += HEADER + "\n"
    out += "".join(_row(i, 100.0 / i) + "  \n" for i in range(1, 5))
    out += "    overwriting (to keep lines going set `{'verb_disp_overwrite': 0}` in the file)\n"
    out += _row(5, 20.0) + " -"
    out += "".join("\r\x1b[2K" + _row(i, 100.0 / i) + " -" for i in range(6, iterations))
    out += HEADER + "\n\r\x1b[2K" + _row(iterations, 0.5) + "  \n"
    out += "termination on {'maxfevals': 1500}\n"
    out += "final/bestever f-value = 5.000000e-01 5.000000e-01 after 1510/1510 evaluations\n"
    return out.encode()


def test_cma_es_rows_drawn_over_each_other_give_every_iteration_once() -> None:
    # Before: iterations 1-4 and the last only; each row drawn over was lost, and the one
    # the header followed on its line too.
    collector = MetricsCollector()
    data = _cma_overwriting(151)
    for start in range(0, len(data), 777):  # as the pipe gives it: cut anywhere
        collector.feed_output(data[start : start + 777])
    collector.flush_output()

    read = collector.series()
    assert set(read) == {"function_value"}
    assert list(read["function_value"].steps) == list(range(1, 152))
    assert read["function_value"].values[4] == 20.0
    assert read["function_value"].values[-1] == 0.5


@needs("cma")
def test_cma_optimize_with_verb_disp_1_records_each_iteration(repo: Repo) -> None:
    program(
        repo,
        """\
        import cma

        es = cma.CMAEvolutionStrategy(
            4 * [0.5], 0.3, {"verb_disp": 1, "maxiter": 40, "seed": 3, "verb_log": 0}
        )
        es.optimize(cma.ff.rosen)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert [step for step, _ in series(run, "function_value")] == list(range(1, 41))


FAKE_NEVERGRAD = """\
class Candidate:
    def __init__(self, kwargs, loss):
        self.args, self.kwargs, self.loss = (), kwargs, loss
        self.value = (self.args, self.kwargs)


class Optimizer:
    def __init__(self, parametrization, budget=None, num_workers=1):
        self.budget, self.num_workers = budget, num_workers

    def minimize(self, objective_function, executor=None, batch_mode=False, verbosity=0):
        best = min((objective_function(lr=lr), lr) for lr in (0.1, 0.01, 0.001))
        return Candidate({"lr": best[1], "optimizer": "adam"}, best[0])
"""


def test_nevergrad_minimize_gives_the_recommendation_its_loss_and_the_budget(
    repo: Repo,
) -> None:
    # nevergrad's README: optimizer = ng.optimizers.NGOpt(parametrization=..., budget=100);
    # recommendation = optimizer.minimize(f). Before: nothing (nevergrad prints nothing).
    for package in ("nevergrad", "nevergrad/optimization"):
        repo.write(f"{package}/__init__.py", "")
    repo.write("nevergrad/optimization/base.py", FAKE_NEVERGRAD)
    program(
        repo,
        """\
        from nevergrad.optimization.base import Optimizer

        optimizer = Optimizer(parametrization=2, budget=30, num_workers=2)
        recommendation = optimizer.minimize(lambda lr: abs(lr - 0.01) + 0.25)
        print(recommendation.kwargs)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"budget": 30, "num_workers": 2, "lr": 0.01, "optimizer": "adam"}
    assert run["param_sources"]["budget"] == "nevergrad"
    assert run["metrics"] == {"best_loss": 0.25}


@needs("nevergrad")
def test_real_nevergrad_one_plus_one(repo: Repo) -> None:
    program(
        repo,
        """\
        import nevergrad as ng

        def square(x, y=12):
            return sum((x - 0.5) ** 2) + abs(y)

        instrum = ng.p.Instrumentation(ng.p.Array(shape=(2,)), y=ng.p.Scalar())
        optimizer = ng.optimizers.OnePlusOne(parametrization=instrum, budget=40)
        recommendation = optimizer.minimize(square)
        print(recommendation.value)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["params"]) == {"budget", "y"} and run["params"]["budget"] == 40
    assert 0 <= run["metrics"]["best_loss"] < 12
