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
