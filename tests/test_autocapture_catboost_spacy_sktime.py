"""CatBoost, spaCy and sktime programs under ``runledger exec`` with stand-ins of the three
libraries (tests/standins: CatBoost's wheel is 100 MB, spaCy's a compiled stack, sktime needs
pandas < 3.1), for CI, which installs none of them: the params each trains with and CatBoost's
evaluation results, as the real-library tests in test_tabular.py check them where installed."""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.standins import imitate
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program, series

CATBOOST_PROGRAM = """\
import sys

from catboost import CatBoostClassifier, CatBoostRegressor

X = [[i % 7, i % 3] for i in range(60)]
y = [i % 2 for i in range(60)]
if sys.argv[-1] == "--quantile":  # two eval sets, a loss with its own settings in its name
    model = CatBoostRegressor(iterations=4, loss_function="Quantile:alpha=0.5")
    model.fit(X[:40], y[:40], eval_set=[(X[40:50], y[40:50]), (X[50:], y[50:])])
    model.save_model("model.cbm")
else:  # CatBoost's quick start
    model = CatBoostClassifier(iterations=3, depth=2, verbose=True, allow_writing_files=False)
    model.fit(X[:40], y[:40], eval_set=(X[40:], y[40:]))
"""


def test_catboost_params_it_chose_and_its_evaluation_results(repo: Repo) -> None:
    imitate(repo.path, "catboost")
    program(repo, CATBOOST_PROGRAM)
    repo.write(".gitignore", "*.cbm\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    params = run["params"]
    assert params["iterations"] == 3 and params["depth"] == 2
    # chosen by CatBoost, a float32 spelled as its shortest decimal
    assert params["loss_function"] == "Logloss" and params["learning_rate"] == 0.499
    assert run["param_sources"]["depth"] == "catboost"
    # named by data set and metric; the printed round lines ("0:\tlearn: 0.68\ttest: 0.69")
    # are those values, not series of their own
    assert [step for step, _ in series(run, "test_Logloss")] == [0, 1, 2]
    assert set(run["metrics"]) == {"learn_Logloss", "test_Logloss", "best_iteration"}

    _, run = exec_run(repo, sys.executable, "train.py", "--quantile")

    assert run["params"]["loss_function"] == "Quantile:alpha=0.5"
    assert set(run["metrics"]) == {
        "learn_Quantile_alpha_0.5", "test_Quantile_alpha_0.5", "test1_Quantile_alpha_0.5",
        "best_iteration",
    }  # fmt: skip
    assert [step for step, _ in series(run, "test1_Quantile_alpha_0.5")] == [0, 1, 2, 3]
    assert run["metrics"]["best_iteration"] == 3
    assert [a["path"] for a in run["artifacts"]] == ["model.cbm"]


def test_sktime_forecaster_gives_the_params_the_program_set(repo: Repo) -> None:
    imitate(repo.path, "sktime")
    program(
        repo,
        """\
        from sktime.forecasting.naive import NaiveForecaster

        y = [112.0, 118.0, 132.0, 129.0, 121.0, 135.0, 148.0, 148.0, 136.0, 119.0, 104.0, 118.0]
        forecaster = NaiveForecaster(strategy="last", sp=12)
        forecaster.fit(y * 2)
        print(forecaster.predict([1, 2, 3]))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # sp, not the strategy left at its default, source sktime
    assert run["params"] == {"sp": 12}
    assert run["param_sources"]["sp"] == "sktime"


SPACY_CONFIG = """\
[paths]
train = null
dev = null

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}

[nlp]
lang = "en"
pipeline = ["textcat"]

[training]
dropout = 0.1
max_steps = 20000
eval_frequency = 200

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.001
"""


def test_spacy_train_records_its_config_with_overrides_and_its_table(repo: Repo) -> None:
    imitate(repo.path, "spacy")
    repo.write("config.cfg", SPACY_CONFIG)
    repo.write(".gitignore", "output/\n")
    repo.commit_all("spacy project")

    _, run = exec_run(
        repo, sys.executable, "-m", "spacy", "train", "config.cfg", "--output", "output",
        "--paths.train", "train.spacy", "--paths.dev", "dev.spacy",
        "--training.max_steps", "4", "--training.eval_frequency", "2",
    )  # fmt: skip

    params = run["params"]
    assert params["training"]["max_steps"] == 4  # the override, as trained with
    assert params["training"]["optimizer"]["learn_rate"] == 0.001  # the config file's
    assert params["corpora"]["train"]["path"] == "train.spacy"  # ${paths.train} resolved
    assert params["nlp"]["pipeline"] == ["textcat"]
    assert run["param_sources"]["training.dropout"] == "spacy"
    assert [step for step, _ in series(run, "loss_textcat")] == [0, 2, 4]
