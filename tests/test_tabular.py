"""Classical ML as its users run it: scikit-learn's classification_report, xgb.cv and lgb.cv.

The reports are fed to the collector as scikit-learn prints them; the programs run unchanged
under the real ``runledger exec`` (scikit-learn, XGBoost and LightGBM are test extras).
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from runledger.analysis.direction import metric_direction
from runledger.recording.capture.metrics import MetricsCollector
from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program, series

# examples/classification/plot_digits_classification.py (scikit-learn 1.9)
DIGITS_REPORT = """\
Classification report for classifier SVC(gamma=0.001):
              precision    recall  f1-score   support

           0       1.00      0.99      0.99        88
           1       0.99      0.97      0.98        91
           9       0.93      0.98      0.95        92

    accuracy                           0.97       899
   macro avg       0.97      0.97      0.96       899
weighted avg       0.97      0.98      0.97       899


Confusion matrix:
[[87  0  0]
 [ 0 88  1]
 [ 0  0 85]]
"""


def _read(text: str) -> dict[str, list[tuple[float, float]]]:
    collector = MetricsCollector()
    collector.feed_output(text.encode())
    collector.flush_output()
    return {
        name: list(zip(found.steps, found.values, strict=True))
        for name, found in collector.series().items()
    }


def test_classification_report_gives_accuracy_and_averages_not_class_rows() -> None:
    # Before: nothing at all was read from a report (its rows are no "name: value" line).
    assert _read(DIGITS_REPORT) == {
        "accuracy": [(0, 0.97)],
        "macro_avg_precision": [(0, 0.97)],
        "macro_avg_recall": [(0, 0.97)],
        "macro_avg_f1_score": [(0, 0.96)],
        "weighted_avg_precision": [(0, 0.97)],
        "weighted_avg_recall": [(0, 0.98)],
        "weighted_avg_f1_score": [(0, 0.97)],
    }


def test_report_after_a_printed_accuracy_keeps_the_exact_value() -> None:
    # print("Accuracy:", accuracy_score(...)) then the report (target_names given): the
    # report's rounded 0.98 is the same accuracy, not a second point.
    text = (
        "Accuracy: 0.9766081871345029\n"
        "Classification Report:\n"
        "               precision    recall  f1-score   support\n\n"
        "   malignant       0.98      0.95      0.97        63\n"
        "      benign       0.97      0.99      0.98       108\n\n"
        "    accuracy                           0.98       171\n"
        "   macro avg       0.98      0.97      0.97       171\n"
        "weighted avg       0.98      0.98      0.98       171\n\n"
    )
    read = _read(text)
    assert read["accuracy"] == [(0, 0.9766081871345029)]
    assert read["macro_avg_f1_score"] == [(0, 0.97)]


def test_reports_at_each_epoch_and_multilabel_averages() -> None:
    text = ""
    for epoch, accuracy in ((1, "0.90"), (2, "0.90")):
        text += (
            f"epoch {epoch}: loss=0.{5 - epoch}\n"
            "              precision    recall  f1-score   support\n\n"
            "         cat       0.90      0.90      0.90        10\n\n"
            f"    accuracy                           {accuracy}        10\n"
            "   macro avg       0.90      0.90      0.90        10\n"
            "weighted avg       0.90      0.90      0.90        10\n"
        )
    # a multilabel report has no accuracy row, and micro and samples averages
    text += (
        "              precision    recall  f1-score   support\n\n"
        "           a       1.00      0.50      0.67         2\n"
        "   micro avg       1.00      0.67      0.80         3\n"
        "   macro avg       1.00      0.75      0.83         3\n"
        "weighted avg       1.00      0.67      0.78         3\n"
        " samples avg       1.00      0.75      0.83         3\n"
        "Done: 3 labels\n"
    )
    read = _read(text)
    # a repeated value of a report is a point of its own (the epoch's), not a print of it
    assert read["accuracy"] == [(1, 0.9), (2, 0.9)]
    assert read["macro_avg_recall"] == [(1, 0.9), (2, 0.9), (3, 0.75)]
    assert read["micro_avg_f1_score"] == [(2, 0.8)]
    assert read["samples_avg_precision"] == [(2, 1.0)]
    assert "done" not in read and not any("cat" in name for name in read)


# imbalanced-learn's examples/evaluation/plot_classification_report.py (imbalanced-learn 0.14)
IMBALANCED_REPORT = """\
Training class distributions summary: Counter({np.int64(1): 4500, np.int64(0): 500})
                   pre       rec       spe        f1       geo       iba       sup

          0       0.43      0.85      0.88      0.57      0.87      0.75       123
          1       0.98      0.88      0.85      0.93      0.87      0.75      1127

avg / total       0.93      0.87      0.86      0.89      0.87      0.75      1250

The geometric mean is 0.87
"""


def test_imbalanced_learn_report_gives_its_averages_not_class_rows() -> None:
    # Before: nothing was read from classification_report_imbalanced's table.
    assert _read(IMBALANCED_REPORT) == {
        "avg_pre": [(0, 0.93)],
        "avg_rec": [(0, 0.87)],
        "avg_spe": [(0, 0.86)],
        "avg_f1": [(0, 0.89)],
        "avg_geo": [(0, 0.87)],
        "avg_iba": [(0, 0.75)],
    }
    assert all(metric_direction(name) == "max" for name in _read(IMBALANCED_REPORT))


# scikit-optimize 0.10's gp_minimize(..., n_random_starts=2, verbose=True): each call a block
SKOPT_CALLS = """\
Iteration No: 1 started. Evaluating function at random point.
Iteration No: 1 ended. Evaluation done at random point.
Time taken: 0.0030
Function value obtained: 0.0751
Current minimum: 0.0751
Iteration No: 2 started. Evaluating function at random point.
Iteration No: 2 ended. Evaluation done at random point.
Time taken: 0.0002
Function value obtained: 0.6398
Current minimum: 0.0751
Iteration No: 3 started. Searching for the next optimal point.
Iteration No: 3 ended. Search finished for the next optimal point.
Time taken: 0.1412
Function value obtained: -0.1847
Current minimum: -0.1847
x^*=-0.5406, f(x^*)=-0.1847
"""


def test_scikit_optimize_calls_give_the_function_value_and_minimum_at_each_iteration() -> None:
    # Before: nothing was read (no name holds a metric word; "Iteration No:" is no step).
    assert _read(SKOPT_CALLS + SKOPT_CALLS) == {
        "function_value": [(1, 0.0751), (2, 0.6398), (3, -0.1847)]
        + [(4, 0.0751), (5, 0.6398), (6, -0.1847)],  # a second search goes on after the first
        "current_minimum": [(1, 0.0751), (2, 0.0751), (3, -0.1847)]
        + [(4, 0.0751), (5, 0.0751), (6, -0.1847)],
        "best_value": [(3, -0.1847), (6, -0.1847)],  # the docs' closing "f(x^*)=-0.1847"
    }
    assert metric_direction("function_value") == metric_direction("current_minimum") == "min"


# cma 4's ask-and-tell loop with es.disp() and verb_disp=1: the header again every ten rows
CMA_TABLE = """\
(3_w,7)-aCMA-ES (mu_w=2.3,w_1=58%) in dimension 3 (seed=1, Mon Dec  7 15:52:29 2026)
Iterat #Fevals   function value  axis ratio  sigma  min&max std  t[m:s]
    1      7 2.858531964209566e-01 1.0e+00 3.36e-01  3e-01  4e-01 0:00.0  
    2     14 1.666431705944069e-01 1.5e+00 3.28e-01  3e-01  3e-01 0:00.0  
   10     70 4.057672571611479e-02 2.0e+00 1.53e-01  8e-02  1e-01 0:00.0  
Iterat #Fevals   function value  axis ratio  sigma  min&max std  t[m:s]
   11     77 2.192076456253478e-02 1.8e+00 1.33e-01  6e-02  1e-01 0:00.0  
  220   1760 2.305840690168806e-15 6.3e+01 1.76e-05  2e-08  1e-07 1:02.5  
termination on {'maxiter': 12}
final/bestever f-value = 7.696652e-03 4.625817e-03 after 84/60 evaluations
"""


def test_cma_es_table_gives_the_function_value_at_each_iteration() -> None:
    # Before: nothing. The evaluations, the search's state and the time are no metrics.
    assert _read(CMA_TABLE) == {
        "function_value": [
            (1, 0.2858531964209566),
            (2, 0.1666431705944069),
            (10, 0.04057672571611479),
            (11, 0.02192076456253478),
            (220, 2.305840690168806e-15),
        ]
    }


# Prophet 1.1's print(performance_metrics(df_cv)) after its cross_validation's bar and logs
PROPHET_METRICS = """\
100%|██████████| 3/3 [00:00<00:00,  6.81it/s]
16:12:06 - cmdstanpy - INFO - Chain [1] done processing
      horizon       mse      rmse       mae      mape     mdape     smape  coverage
0      3 days  0.081234  0.285015  0.231152  0.018000  0.016001  0.018100  0.800000
1      4 days  0.079001  0.281071  0.229000  0.017500  0.015800  0.017600  0.812500
2     30 days  0.073840  0.271736  0.224129  0.016528  0.015167  0.016575  0.833333
"""


def test_prophet_performance_metrics_give_each_error_by_horizon_in_days() -> None:
    # Before: nothing was read from the printed table.
    read = _read(PROPHET_METRICS)
    assert set(read) == {"mse", "rmse", "mae", "mape", "mdape", "smape", "coverage"}
    assert read["rmse"] == [(3, 0.285015), (4, 0.281071), (30, 0.271736)]
    assert read["mdape"][-1] == (30, 0.015167)
    assert all(metric_direction(name) == "min" for name in read if name != "coverage")


@needs("sklearn")
def test_sklearn_program_printing_a_classification_report(repo: Repo) -> None:
    program(
        repo,
        """\
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, classification_report
        from sklearn.model_selection import train_test_split

        data = load_iris()
        X_train, X_test, y_train, y_test = train_test_split(
            data.data, data.target, test_size=0.3, random_state=0
        )
        model = LogisticRegression(max_iter=200).fit(X_train, y_train)
        predicted = model.predict(X_test)
        print("Accuracy:", accuracy_score(y_test, predicted))
        print(classification_report(y_test, predicted, target_names=data.target_names, digits=4))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    metrics = run["metrics"]
    assert set(metrics) == {
        "accuracy",
        *(
            f"{average}_avg_{measure}"
            for average in ("macro", "weighted")
            for measure in ("precision", "recall", "f1_score")
        ),
    }
    assert len(series(run, "accuracy")) == 1  # the printed accuracy, once
    assert 0.9 < metrics["macro_avg_f1_score"] <= 1


# A Kaggle-style comparison: each model's scores in a pandas frame, then the same as
# tabulate's and PrettyTable's tables print them (drawn here by hand: neither is a test extra).
MODEL_COMPARISON = """\
import pandas as pd

results = [
    {"Model": "Logistic Regression", "Accuracy": 0.956140, "F1": 0.965035},
    {"Model": "Random Forest", "Accuracy": 0.964912, "F1": 0.972222},
]
print(pd.DataFrame(results))
print()
print("Classifier             Accuracy")
print("-------------------  ----------")
print("SVC                      0.9123")
print()
print("+---------------+----------+")
print("|     Method    | RMSE     |")
print("+---------------+----------+")
print("| Ridge         | 52.86    |")
print("+---------------+----------+")
print(pd.DataFrame({"Model": ["a"], "lr": [0.1]}))
"""


@needs("pandas")
def test_a_printed_table_of_models_and_their_scores_gives_each_models_scores(
    repo: Repo,
) -> None:
    program(repo, MODEL_COMPARISON)

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["metrics"] == {
        "logistic_regression_accuracy": 0.95614,
        "logistic_regression_f1": 0.965035,
        "random_forest_accuracy": 0.964912,
        "random_forest_f1": 0.972222,
        "svc_accuracy": 0.9123,
        "ridge_rmse": 52.86,
    }


@needs("xgboost", "sklearn")
def test_xgboost_cv_params_and_fold_means(repo: Repo) -> None:
    # demo/guide-python/cross_validation.py's call: before, no param was recorded and its
    # "[0]\ttrain-error:0.05+0.009" lines were read as nothing.
    program(
        repo,
        """\
        import xgboost as xgb
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        dtrain = xgb.DMatrix(X, label=y)
        param = {"max_depth": 2, "eta": 1, "objective": "binary:logistic"}
        xgb.cv(param, dtrain, 3, nfold=4, metrics={"error"}, seed=0,
               callbacks=[xgb.callback.EvaluationMonitor(show_stdv=True)])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "max_depth": 2, "eta": 1, "objective": "binary:logistic", "num_boost_round": 3,
        "nfold": 4,
    }  # fmt: skip
    assert run["param_sources"]["nfold"] == "xgboost"
    assert [step for step, _ in series(run, "test_error")] == [0, 1, 2]
    assert set(run["metrics"]) == {"train_error", "train_error_std", "test_error", "test_error_std"}


@needs("lightgbm", "sklearn")
def test_lightgbm_cv_params_and_fold_means(repo: Repo) -> None:
    program(
        repo,
        """\
        import lightgbm as lgb
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        params = {"objective": "binary", "metric": "auc", "num_leaves": 7, "verbose": -1}
        lgb.cv(params, lgb.Dataset(X, y), num_boost_round=3, callbacks=[lgb.log_evaluation(1)])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"]["num_leaves"] == 7 and run["params"]["num_boost_round"] == 3
    assert run["params"]["nfold"] == 5  # lgb.cv's default, as used
    # LightGBM 4 prints "[1]\tvalid's auc: 0.972477 + 0.0102682": one series with the capture's
    assert [step for step, _ in series(run, "valid_auc")] == [0, 1, 2]
    assert set(run["metrics"]) == {"valid_auc", "valid_auc_std"}


# --- estimators' params -------------------------------------------------------------------


# scikit-learn's SGDRegressor(verbose=1): plain_sgd prints each epoch's header, then its line
SGD_VERBOSE = """\
-- Epoch 1
Norm: 6.39, NNZs: 64, Bias: -3.141450, T: 1347, Avg. loss: 0.140349
Total training time: 0.00 seconds.
-- Epoch 2
Norm: 6.01, NNZs: 64, Bias: -3.002871, T: 2694, Avg. loss: 0.120002
Total training time: 0.01 seconds.
Convergence after 2 epochs took 0.01 seconds
"""


def test_sgd_verbose_gives_its_average_loss_at_each_epoch() -> None:
    # Before: norm, nnzs, bias, t and avg_loss at 0, 1 (by order), none of them at its epoch.
    assert _read(SGD_VERBOSE) == {"avg_loss": [(1, 0.140349), (2, 0.120002)]}


@needs("sklearn")
def test_sgd_multiclass_gives_each_one_vs_rest_problem_its_own_series(repo: Repo) -> None:
    # SGDClassifier on 3 classes fits 3 binary problems in turn, each printing epochs 1..3;
    # before: one avg_loss series at "epochs" 1..9
    program(
        repo,
        """\
        from sklearn.datasets import load_iris
        from sklearn.linear_model import SGDClassifier

        X, y = load_iris(return_X_y=True)
        SGDClassifier(max_iter=3, tol=None, verbose=1, random_state=0, n_jobs=1).fit(X, y)
        """,
    )
    _, run = exec_run(repo, sys.executable, "train.py")
    names = {f"problem_{k}/{m}" for k in (1, 2, 3) for m in ("avg_loss", "objective")}
    assert set(run["series"]) == names
    for name in names:
        assert [step for step, _ in series(run, name)] == [1, 2, 3]


@needs("flaml", "lightgbm")
def test_flaml_automl_gives_the_config_it_chose_not_its_candidates(repo: Repo) -> None:
    # before: the last LightGBM candidate's params (source lightgbm) and AutoML()'s own
    # settings (time_budget -1 while fit was given 60), whichever learner won
    program(
        repo,
        """\
        import json
        from flaml import AutoML
        from sklearn.datasets import load_iris

        X, y = load_iris(return_X_y=True)
        automl = AutoML()
        automl.fit(X, y, task="classification", max_iter=8, time_budget=60, seed=1,
                   estimator_list=["lgbm", "rf", "extra_tree"], verbose=0)
        chosen = {k: float(v) if hasattr(v, "item") else v for k, v in automl.best_config.items()}
        print("CHOSEN", json.dumps({"estimator": automl.best_estimator, **chosen}))
        """,
    )
    proc, run = exec_run(repo, sys.executable, "train.py")
    printed = proc.stdout.decode().split("CHOSEN ", 1)[1].splitlines()[0]
    assert run["params"] == json.loads(printed)
    assert set(run["param_sources"].values()) == {"flaml"}
    assert "best_iteration" not in run["metrics"]  # a LightGBM candidate's


# FLAML's AutoML.fit logs the model it retrained, scikit-learn's repr over several lines; a
# program's print(search.best_estimator_) of LightGBM's looks the same.
FLAML_RETRAINED = """\
[flaml.automl.logger: 12-07 13:46:02] {3474} INFO - retrain rf for 0.0s
[flaml.automl.logger: 12-07 13:46:02] {3477} INFO - retrained model: \
RandomForestClassifier(criterion=np.str_('gini'),
                       max_features=np.float64(0.7582563119597969),
                       max_leaf_nodes=4, n_estimators=4, n_jobs=-1,
                       random_state=12032022)
Best accuracy on validation data: 0.9533
LGBMClassifier(colsample_bytree=0.9285002286474459, learning_rate=0.7260594590615893,
               max_bin=511, min_child_samples=9, n_estimators=6, num_leaves=4,
               verbose=-1)
loss=0.5 acc=0.9
"""


def test_a_models_repr_over_several_lines_gives_no_metric() -> None:
    # Before: max_features, max_leaf_nodes, n_estimators, n_jobs, max_bin, ... were metrics.
    assert _read(FLAML_RETRAINED) == {
        "best_accuracy_on_validation_data": [(0, 0.9533)],
        "loss": [(0, 0.5)],
        "acc": [(0, 0.9)],
    }


@needs("sklearn")
def test_sklearn_model_params_not_the_scalers_nor_the_folds(repo: Repo) -> None:
    # plot_digits_classification.py fits svm.SVC(gamma=0.001): before, no param at all.
    program(
        repo,
        """\
        from sklearn import datasets, svm
        from sklearn.model_selection import cross_val_score
        from sklearn.preprocessing import StandardScaler

        X, y = datasets.load_digits(return_X_y=True)
        X = StandardScaler().fit_transform(X)  # a transformer: no model of the run's
        clf = svm.SVC(gamma=0.001)
        print("cv accuracy=%.3f" % cross_val_score(clf, X, y, cv=3).mean())  # its copies
        clf.fit(X, y)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # what the program set, as scikit-learn's repr shows it (SVC(gamma=0.001)); not the
    # class's defaults (C=1.0, kernel='rbf'), nor the scaler's
    assert run["params"] == {"gamma": 0.001}
    assert run["param_sources"]["gamma"] == "sklearn"


@needs("sklearn")
def test_sklearn_search_gives_its_best_models_params(repo: Repo) -> None:
    program(
        repo,
        """\
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GridSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X, y = load_iris(return_X_y=True)
        pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        search = GridSearchCV(pipe, {"logisticregression__C": [0.001, 10.0]}, cv=3)
        search.fit(X, y)
        print("best_score=%.3f" % search.best_score_)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # the best model's C, not the pipeline's default 1.0; no param_grid, cv or steps
    assert run["params"] == {"logisticregression__C": 10.0, "logisticregression__max_iter": 500}


@needs("sklearn")
def test_search_in_joblib_workers_gives_best_params_and_best_cv_score(repo: Repo) -> None:
    # plot_grid_search_digits-style: the candidates are fit in loky worker processes
    # (n_jobs=2); before, the best params were recorded but not the score they earned.
    program(
        repo,
        """\
        from sklearn.datasets import load_iris
        from sklearn.model_selection import GridSearchCV, cross_val_score
        from sklearn.svm import SVC

        X, y = load_iris(return_X_y=True)
        search = GridSearchCV(SVC(), {"C": [0.01, 10.0]}, cv=3, n_jobs=2)
        search.fit(X, y)
        print("best score: %.4f" % search.best_score_)
        # a nested search, fit in the workers only: its scores are not the run's
        inner = GridSearchCV(SVC(), {"C": [0.1, 1.0]}, cv=2)
        print("nested cv=%.3f" % cross_val_score(inner, X, y, cv=2, n_jobs=2).mean())
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"C": 10.0}
    assert run["param_sources"]["C"] == "sklearn"
    best = series(run, "best_cv_score")
    assert len(best) == 1 and 0.9 < best[0][1] <= 1
    assert run["series"]["best_cv_score"][0][1] > 0.9
    assert "best_score" not in run["metrics"]  # the printed line is the same value


@needs("sklearn")
def test_search_with_refit_false_gives_best_params_and_best_cv_score(repo: Repo) -> None:
    # skorch's README searches its net with GridSearchCV(..., refit=False): a search without
    # a best model has no predict, and before, the run recorded neither params nor score.
    program(
        repo,
        """\
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GridSearchCV

        X, y = make_classification(200, 5, random_state=0)
        gs = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.001, 1.0]}, refit=False, cv=3)
        gs.fit(X, y)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"C": 1.0, "max_iter": 500}
    assert 0.5 < series(run, "best_cv_score")[0][1] <= 1


@needs("sklearn")
def test_a_skorch_style_net_gives_the_settings_it_was_given_only(repo: Repo) -> None:
    # skorch's NeuralNetClassifier(NeuralNet) takes verbose, device, ... through **kwargs and
    # adds callbacks of its own (train_loss, valid_acc). Before, skorch's docs' net recorded
    # verbose=1, device="cpu", warm_start=False and callbacks__valid_acc__scoring="accuracy"
    # beside max_epochs and lr, as if the program had chosen them.
    program(
        repo,
        """\
        from sklearn.base import BaseEstimator

        class Scoring(BaseEstimator):  # skorch's EpochScoring / PassthroughScoring
            def __init__(self, scoring, name=None, lower_is_better=True):
                self.scoring, self.name, self.lower_is_better = scoring, name, lower_is_better

        class NeuralNet(BaseEstimator):
            def __init__(self, module, max_epochs=10, lr=0.01, verbose=1, device="cpu",
                         callbacks=None, **kwargs):
                self.module, self.max_epochs, self.lr = module, max_epochs, lr
                self.verbose, self.device, self.callbacks = verbose, device, callbacks
                vars(self).update(kwargs)

            def get_default_callbacks(self):
                return [("valid_acc", Scoring("accuracy", name="valid_acc"))]

            def _get_param_names(self):  # skorch's: its attributes, not its signature
                return [key for key in vars(self) if not key.endswith("_")]

            def get_params(self, deep=True):
                params = {key: getattr(self, key) for key in self._get_param_names()}
                callbacks = self.get_default_callbacks() + [
                    (type(cb).__name__, cb) for cb in self.callbacks or []
                ]
                for name, callback in callbacks:
                    for key, value in callback.get_params().items():
                        params[f"callbacks__{name}__{key}"] = value
                return params

            def fit(self, X, y):
                return self

            def predict(self, X):
                return [0] * len(X)

        class NeuralNetClassifier(NeuralNet):
            def __init__(self, module, *args, classes=None, **kwargs):
                super().__init__(module, *args, **kwargs)
                self.classes = classes

        net = NeuralNetClassifier(
            "MyModule", max_epochs=8, lr=0.1, callbacks=[Scoring("roc_auc", lower_is_better=False)]
        )
        net.fit([[0.0], [1.0]], [0, 1])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "module": "MyModule",
        "max_epochs": 8,
        "lr": 0.1,
        "callbacks__Scoring__scoring": "roc_auc",
        "callbacks__Scoring__lower_is_better": False,
    }


@needs("sklearn")
def test_a_foreign_estimator_on_sklearns_api_gives_its_params_not_its_base_learners(
    repo: Repo,
) -> None:
    # NGBoost's NGBRegressor(NGBoost, BaseEstimator) has no _fit_context: its fit fits a
    # scikit-learn tree per round. Before, the run recorded the trees' max_depth as its
    # model's (and the real NGBoost, no param); now the params NGBoost's README example
    # sets, and its default base learner's depth.
    program(
        repo,
        """\
        import numpy as np
        from sklearn.base import BaseEstimator, clone
        from sklearn.tree import DecisionTreeRegressor

        default_tree_learner = DecisionTreeRegressor(max_depth=3)

        class NGBoost:  # ngboost/ngboost.py: its own class, fit in Python
            def __init__(self, Base=default_tree_learner, n_estimators=500, learning_rate=0.01):
                self.Base, self.n_estimators = Base, n_estimators
                self.learning_rate = learning_rate

            def fit(self, X, Y):
                residual = Y.astype(float)
                for _ in range(self.n_estimators):
                    tree = clone(self.Base).fit(X, residual)
                    residual = residual - self.learning_rate * tree.predict(X)
                self.loss_ = float(np.mean(residual**2))
                return self

            def predict(self, X):
                return np.zeros(len(X))

        class NGBRegressor(NGBoost, BaseEstimator):
            pass

        X = np.arange(40.0).reshape(20, 2)
        Y = X[:, 0] * 2
        ngb = NGBRegressor(n_estimators=30, learning_rate=0.02).fit(X, Y)
        print("Train MSE", ngb.loss_)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"n_estimators": 30, "learning_rate": 0.02, "Base__max_depth": 3}
    assert run["param_sources"]["learning_rate"] == "sklearn"


@needs("sklearn")
def test_a_foreign_estimators_fit_settings_are_params(repo: Repo) -> None:
    # pytorch-tabnet's TabModel(BaseEstimator): clf.fit(X, y, eval_set=..., max_epochs=5,
    # patience=3, batch_size=128). Before, only what fit set on the model (input_dim);
    # the epochs and patience the program chose were lost.
    program(
        repo,
        """\
        import numpy as np
        from sklearn.base import BaseEstimator

        class TabModel(BaseEstimator):
            def __init__(self, n_d=8, seed=0, verbose=1):
                self.n_d, self.seed, self.verbose = n_d, seed, verbose

            def fit(self, X_train, y_train, eval_set=None, eval_name=None, weights=0,
                    max_epochs=100, patience=10, batch_size=1024, num_workers=0,
                    drop_last=True):
                return self

            def predict(self, X):
                return np.zeros(len(X))

        class TabNetClassifier(TabModel):
            pass

        X, y = np.zeros((8, 2)), np.zeros(8)
        clf = TabNetClassifier(n_d=16, verbose=0)
        clf.fit(X, y, eval_set=[(X, y)], eval_name=["valid"], max_epochs=5, patience=3,
                batch_size=128, num_workers=2)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "n_d": 16,
        "verbose": 0,
        "max_epochs": 5,
        "patience": 3,
        "batch_size": 128,
    }
    assert run["param_sources"]["max_epochs"] == "sklearn"


@needs("sklearn")
def test_a_model_an_installed_library_fits_for_itself_gives_no_params(repo: Repo) -> None:
    # scikit-optimize's gp_minimize(f, space, noise=0.01) builds a GaussianProcessRegressor
    # of its own class and fits it at each iteration. Before, the run recorded that model's
    # kernel settings and random_state as params, and its noise (0.01, the variance)
    # replaced the program's own --noise 0.1. A library's model the program fits itself,
    # through one of the model's own methods (fit_predict), still gives its params.
    repo.write(
        "vendor/site-packages/bayesopt/__init__.py",
        textwrap.dedent(
            """\
            import numpy as np
            from sklearn.base import BaseEstimator
            from sklearn.gaussian_process import GaussianProcessRegressor as _GPR
            from sklearn.gaussian_process.kernels import Matern

            class GaussianProcessRegressor(_GPR):
                def __init__(self, kernel=None, alpha=1e-10, noise=None, random_state=None):
                    super().__init__(kernel=kernel, alpha=alpha, random_state=random_state)
                    self.noise = noise

                def fit(self, X, y):
                    return super().fit(X, y)

            def gp_minimize(func, n_calls, noise, random_state):
                rng = np.random.RandomState(random_state)
                xs = list(rng.uniform(-2, 2, size=(3, 1)))
                ys = [func(x) for x in xs]
                seed = rng.randint(2**31)
                for _ in range(n_calls - 3):
                    gp = GaussianProcessRegressor(Matern(nu=2.5), noise=noise, random_state=seed)
                    gp.fit(np.array(xs), np.array(ys))
                    xs.append(rng.uniform(-2, 2, size=1))
                    ys.append(func(xs[-1]))
                return min(ys)

            class Clusterer(BaseEstimator):
                def __init__(self, min_cluster_size=5):
                    self.min_cluster_size = min_cluster_size

                def fit(self, X):
                    self.labels_ = np.zeros(len(X), dtype=int)
                    return self

                def predict(self, X):
                    return np.zeros(len(X), dtype=int)

                def fit_predict(self, X):
                    return self.fit(X).labels_
            """
        ),
    )
    program(
        repo,
        """\
        import argparse, os, sys
        import numpy as np
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "vendor", "site-packages"))
        from bayesopt import Clusterer, gp_minimize

        parser = argparse.ArgumentParser()
        parser.add_argument("--noise", type=float, default=0.1)
        parser.add_argument("--n-calls", type=int, default=6)
        args = parser.parse_args()
        best = gp_minimize(lambda x: float(np.sin(5 * x[0])), args.n_calls, args.noise**2, 0)
        print("best=%.4f" % best)
        if len(sys.argv) > 1:
            print(Clusterer(min_cluster_size=50).fit_predict(np.zeros((4, 2))))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")
    assert run["params"] == {"noise": 0.1, "n_calls": 6}

    _, run = exec_run(repo, sys.executable, "train.py", "--n-calls", "4")
    assert run["params"] == {"noise": 0.1, "n_calls": 4, "min_cluster_size": 50}


@needs("sklearn")
def test_a_clusterer_is_the_runs_model_and_its_scaler_is_not(repo: Repo) -> None:
    # scikit-learn's plot_dbscan.py example: DBSCAN has fit_predict but no predict. Before,
    # it was taken for a transformer (no model) and the run had no params.
    program(
        repo,
        """\
        from sklearn.cluster import DBSCAN
        from sklearn.datasets import make_blobs
        from sklearn.preprocessing import StandardScaler

        X, _ = make_blobs(n_samples=200, centers=[[1, 1], [-1, -1]], random_state=0)
        X = StandardScaler().fit_transform(X)
        labels = DBSCAN(eps=0.3, min_samples=10).fit(X).labels_
        print("Estimated number of clusters: %d" % len(set(labels) - {-1}))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"eps": 0.3, "min_samples": 10}


@needs("sktime")
def test_sktime_forecaster_gives_the_params_the_program_set(repo: Repo) -> None:
    # sktime's forecasting tutorial: its forecasters are no scikit-learn estimators. Before,
    # the run had no params; now NaiveForecaster's sp (not its default strategy), source sktime.
    program(
        repo,
        """\
        import numpy as np
        from sktime.datasets import load_airline
        from sktime.forecasting.model_selection import temporal_train_test_split
        from sktime.forecasting.naive import NaiveForecaster
        from sktime.performance_metrics.forecasting import mean_absolute_percentage_error

        y_train, y_test = temporal_train_test_split(load_airline(), test_size=36)
        forecaster = NaiveForecaster(strategy="last", sp=12)
        forecaster.fit(y_train)
        y_pred = forecaster.predict(np.arange(1, 37))
        print("sMAPE:", mean_absolute_percentage_error(y_test, y_pred, symmetric=True))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"sp": 12}
    assert run["param_sources"]["sp"] == "sktime"
    assert 0 < run["metrics"]["smape"] < 0.2


@needs("sklearn")
def test_two_different_models_give_no_sklearn_params(repo: Repo) -> None:
    # A comparison of classifiers prints each one's score: neither model's params are the run's.
    program(
        repo,
        """\
        from sklearn.datasets import load_iris
        from sklearn.dummy import DummyClassifier
        from sklearn.tree import DecisionTreeClassifier

        X, y = load_iris(return_X_y=True)
        for model in (DummyClassifier(), DecisionTreeClassifier(max_depth=2)):
            print(type(model).__name__, "accuracy=%.3f" % model.fit(X, y).score(X, y))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert "sklearn" not in run["param_sources"].values()
    assert "max_depth" not in run["params"]


@needs("sklearn")
def test_one_model_fit_with_other_settings_gives_the_settings_its_fits_shared(
    repo: Repo,
) -> None:
    # scikit-learn's plot_randomized_search.py: three searches of one SGDClassifier find three
    # best alphas; the settings the program gave the estimator are the run's all the same.
    program(
        repo,
        """\
        from sklearn.datasets import load_iris
        from sklearn.linear_model import SGDClassifier
        from sklearn.model_selection import GridSearchCV

        X, y = load_iris(return_X_y=True)
        model = SGDClassifier(loss="modified_huber", penalty="elasticnet", random_state=0)
        for alphas in ([0.1, 1.0], [0.01, 0.001]):
            search = GridSearchCV(model, {"alpha": alphas}, cv=2).fit(X, y)
            print("best alpha=%s" % search.best_params_["alpha"])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"]["loss"] == "modified_huber" and run["params"]["penalty"] == "elasticnet"
    assert run["params"]["random_state"] == 0
    assert "alpha" not in run["params"]


# The LightGBM command line (examples/binary_classification: `lightgbm config=train.conf`)
# logs each evaluation on its own line behind its "[LightGBM] [Info]" prefix.
LIGHTGBM_CLI_CONF = """\
# task type, support train and predict
task = train
objective = binary
metric = binary_logloss,auc
is_training_metric = true
num_trees = 100
learning_rate = 0.1   # shrinkage rate
output_model = LightGBM_model.txt
"""
LIGHTGBM_CLI_OUTPUT = """\
[LightGBM] [Info] Finished loading parameters
[LightGBM] [Info] Finished loading data in 0.052345 seconds
[LightGBM] [Info] Number of positive: 3716, number of negative: 3284
[LightGBM] [Info] [binary:BoostFromScore]: pavg=0.530857 -> initscore=0.123569
[LightGBM] [Info] Start training from score 0.123569
[LightGBM] [Info] Iteration:1, training binary_logloss : 0.67
[LightGBM] [Info] Iteration:1, training auc : 0.77
[LightGBM] [Info] Iteration:1, valid_1 binary_logloss : 0.675
[LightGBM] [Info] Iteration:1, valid_1 auc : 0.75
[LightGBM] [Info] 0.005123 seconds elapsed, finished iteration 1
[LightGBM] [Info] Iteration:2, training binary_logloss : 0.65
[LightGBM] [Info] Iteration:2, training auc : 0.78
[LightGBM] [Info] Iteration:2, valid_1 binary_logloss : 0.66
[LightGBM] [Info] Iteration:2, valid_1 auc : 0.76
[LightGBM] [Info] 0.010123 seconds elapsed, finished iteration 2
[LightGBM] [Info] Finished training
"""


def test_lightgbm_cli_records_its_conf_file_and_its_evaluations(repo: Repo) -> None:
    repo.write("train.conf", LIGHTGBM_CLI_CONF)
    repo.write("output.txt", LIGHTGBM_CLI_OUTPUT)
    program(repo, "import sys\nsys.stdout.write(open('output.txt').read())\n", "lightgbm.py")

    _, run = exec_run(repo, sys.executable, "lightgbm.py", "config=train.conf", "num_trees=10")

    params = run["params"]
    assert params["metric"] == "binary_logloss,auc" and params["learning_rate"] == 0.1
    assert params["is_training_metric"] is True and params["task"] == "train"
    assert params["num_trees"] == 10  # the command line's override wins over the file's
    assert run["param_sources"]["objective"] == "config:train.conf"
    assert series(run, "valid_1_auc") == [[1, 0.75], [2, 0.76]]
    assert series(run, "training_binary_logloss") == [[1, 0.67], [2, 0.65]]
    assert not {"pavg", "initscore", "score"} & set(run["metrics"])


def test_a_conf_file_of_another_kind_gives_no_params(repo: Repo) -> None:
    repo.write("server.conf", "server {\n  listen 80;\n}\n")
    program(repo, "print('acc=0.5')\n")

    _, run = exec_run(repo, sys.executable, "train.py", "--config", "server.conf")

    assert "listen" not in run["params"] and "server" not in run["params"]


def test_a_conf_value_with_a_long_run_of_blanks_is_read_at_once(repo: Repo) -> None:
    """A .conf line whose value held 60,000 blanks before its end took exec minutes after
    the command ended (the line pattern went back over every blank run, quadratic); now
    milliseconds, as any line."""
    repo.write("train.conf", "data = a" + " " * 60_000 + "b\nlearning_rate = 0.1  \n")
    program(repo, "print('acc=0.5')\n")

    proc = repo.run("exec", sys.executable, "train.py", "config=train.conf", timeout=30)

    assert b"recorded run" in proc.stderr, proc.stderr
    run = repo.cli("show", repo.runs_json()[0]["id"], "--json").json()
    assert run["params"]["learning_rate"] == 0.1
    assert run["params"]["data"] == "a" + " " * 60_000 + "b"


@needs("catboost", "sklearn")
def test_catboost_params_and_round_lines(repo: Repo) -> None:
    # CatBoost's quick start (CatBoostClassifier(iterations=2, depth=2, learning_rate=1,
    # loss_function='Logloss', verbose=True)): before, no param and no metric.
    program(
        repo,
        """\
        from catboost import CatBoostClassifier
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        model = CatBoostClassifier(iterations=3, depth=2, verbose=True, allow_writing_files=False)
        model.fit(X[:400], y[:400], eval_set=(X[400:], y[400:]))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    params = run["params"]
    assert params["iterations"] == 3 and params["depth"] == 2
    assert params["loss_function"] == "Logloss" and 0 < params["learning_rate"] < 1  # chosen
    assert run["param_sources"]["depth"] == "catboost"
    # named by data set and metric, from CatBoost's evaluation results; the printed round
    # lines ("0:\tlearn: 0.68\ttest: 0.69\tbest: ...") are those values, not series of their own
    assert [step for step, _ in series(run, "test_Logloss")] == [0, 1, 2]
    assert set(run["metrics"]) == {"learn_Logloss", "test_Logloss", "best_iteration"}


@needs("catboost", "sklearn")
def test_catboost_eval_metric_series_named_by_metric_with_its_direction(repo: Repo) -> None:
    # Before: an AUC eval metric and a MultiClass loss were both printed as "test: 0.99"
    # and recorded as one series "test", better when higher; the eval metric of a second
    # eval set as "test1"; no best iteration.
    program(
        repo,
        """\
        from catboost import CatBoostClassifier
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        model = CatBoostClassifier(iterations=6, depth=2, verbose=2, eval_metric="AUC",
                                   allow_writing_files=False)
        model.fit(X[:300], y[:300], eval_set=[(X[300:450], y[300:450]), (X[450:], y[450:])])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert set(run["metrics"]) == {
        "learn_Logloss", "test_Logloss", "test_AUC", "test1_Logloss", "test1_AUC",
        "best_iteration",
    }  # fmt: skip
    assert [step for step, _ in series(run, "test1_AUC")] == [0, 1, 2, 3, 4, 5]
    assert run["series"]["test1_AUC"][0][1] == pytest.approx(0.89, abs=0.1)
    assert 0 <= run["metrics"]["best_iteration"] <= 5


def test_direction_of_catboost_and_statsmodels_names() -> None:
    assert metric_direction("test_MultiClass") == "min"  # CatBoost's multi-class log loss
    assert metric_direction("learn_CrossEntropy") == "min"
    assert metric_direction("test_AUC") == "max"
    assert metric_direction("best_iteration") == "none"
    assert [metric_direction(name) for name in ("aic", "bic", "deviance")] == ["min"] * 3
    assert metric_direction("r_squared") == "max"
    assert metric_direction("multiclass_accuracy") == "max"


@needs("lightgbm", "sklearn")
def test_lightgbm_sklearn_early_stopping_gives_best_iteration(repo: Repo) -> None:
    # "Early stopping, best iteration is:\n[12]\tvalid_0's auc: 0.998": before, the rounds
    # were recorded but not which one the model kept.
    program(
        repo,
        """\
        import lightgbm as lgb
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import train_test_split

        X, y = load_breast_cancer(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        model = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.3, num_leaves=7, verbose=-1)
        model.fit(X_train, y_train, eval_set=[(X_test, y_test)], eval_metric="auc",
                  callbacks=[lgb.log_evaluation(10), lgb.early_stopping(5)])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    best = run["metrics"]["best_iteration"]
    steps = [step for step, _ in series(run, "valid_0_auc")]
    assert best == steps[-1] + 1 - 5  # LightGBM counts from 1; five rounds without gain
    assert run["series"]["best_iteration"][0][1] == best


# --- statsmodels' summaries and spaCy's training table, as printed ---------------------------

# statsmodels' examples/python/ols.py (statsmodels 0.15), its second summary
OLS_SUMMARY = """\
                            OLS Regression Results                            
==============================================================================
Dep. Variable:                      y   R-squared:                       0.933
Model:                            OLS   Adj. R-squared:                  0.928
Method:                 Least Squares   F-statistic:                     211.8
Date:                Mon, 07 Dec 2026   Prob (F-statistic):           6.30e-27
Time:                        03:58:30   Log-Likelihood:                -34.438
No. Observations:                  50   AIC:                             76.88
Df Residuals:                      46   BIC:                             84.52
Df Model:                           3                                         
Covariance Type:            nonrobust                                         
==============================================================================
                 coef    std err          t      P>|t|      [0.025      0.975]
------------------------------------------------------------------------------
x1             0.4687      0.026     17.751      0.000       0.416       0.522
const          5.2058      0.171     30.405      0.000       4.861       5.550
==============================================================================
Omnibus:                        0.655   Durbin-Watson:                   2.896
Prob(Omnibus):                  0.721   Jarque-Bera (JB):                0.360
Skew:                           0.207   Prob(JB):                        0.835
Kurtosis:                       3.026   Cond. No.                         221.
==============================================================================

Notes:
[1] Standard Errors assume that the covariance matrix of the errors is correctly specified.
"""
# examples/python/discrete_choice_overview.py's Logit, then an ARIMA's (no colons on the right)
LOGIT_AND_SARIMAX_SUMMARIES = """\
                           Logit Regression Results                           
==============================================================================
Dep. Variable:                  GRADE   No. Observations:                   32
Model:                          Logit   Df Residuals:                       28
Method:                           MLE   Df Model:                            3
Date:                Mon, 07 Dec 2026   Pseudo R-squ.:                  0.3740
Time:                        03:58:51   Log-Likelihood:                -12.890
converged:                       True   LL-Null:                       -20.592
Covariance Type:            nonrobust   LLR p-value:                  0.001502
==============================================================================
                 coef    std err          z      P>|z|      [0.025      0.975]
------------------------------------------------------------------------------
GPA            2.8261      1.263      2.238      0.025       0.351       5.301
==============================================================================
                               SARIMAX Results                                
==============================================================================
Dep. Variable:                      y   No. Observations:                   60
Model:                 ARIMA(1, 0, 0)   Log Likelihood                 -84.338
Date:                Mon, 07 Dec 2026   AIC                            174.677
Time:                        04:26:05   BIC                            180.960
Sample:                             0   HQIC                           177.134
                                 - 60                                         
Covariance Type:                  opg                                         
==============================================================================
"""


def test_statsmodels_summary_gives_its_fit_statistics_not_coefficients() -> None:
    # Before: nothing was read from a summary (its cells are two to a row).
    assert _read(OLS_SUMMARY) == {
        "r2": [(0, 0.933)],
        "adj_r2": [(0, 0.928)],
        "f_statistic": [(0, 211.8)],
        "prob_f_statistic": [(0, 6.30e-27)],
        "log_likelihood": [(0, -34.438)],
        "aic": [(0, 76.88)],
        "bic": [(0, 84.52)],
    }


def test_statsmodels_summaries_of_several_models_are_points_in_turn() -> None:
    read = _read(LOGIT_AND_SARIMAX_SUMMARIES)
    assert read == {
        "pseudo_r2": [(0, 0.374)],
        "log_likelihood": [(0, -12.89), (1, -84.338)],
        "ll_null": [(0, -20.592)],
        "llr_p_value": [(0, 0.001502)],
        "aic": [(0, 174.677)],
        "bic": [(0, 180.96)],
        "hqic": [(0, 177.134)],
    }


# `python -m spacy train config.cfg --training.max_steps 20 --training.eval_frequency 5`
# (spaCy 3.8, a textcat pipeline with its own tok2vec listener)
SPACY_TRAINING = """\
\x1b[38;5;4mℹ Pipeline: ['tok2vec', 'textcat']\x1b[0m
\x1b[38;5;4mℹ Initial learn rate: 0.001\x1b[0m
E    #       LOSS TOK2VEC  LOSS TEXTCAT  CATS_SCORE  SCORE 
---  ------  ------------  ------------  ----------  ------
  0       0          0.00          0.25       33.33    0.33
  2       5          0.00          1.22       84.65    0.85
  5      10          0.00          1.18       84.65    0.85
\x1b[38;5;2m✔ Saved pipeline to output directory\x1b[0m
output/model-last
"""


def test_spacy_training_table_gives_each_column_at_its_step() -> None:
    # Before: nothing (a header of words over a rule of dashes, rows of bare numbers).
    assert _read(SPACY_TRAINING) == {
        "epoch": [(0, 0), (5, 2), (10, 5)],
        "loss_tok2vec": [(0, 0.0), (5, 0.0), (10, 0.0)],
        "loss_textcat": [(0, 0.25), (5, 1.22), (10, 1.18)],
        "cats_score": [(0, 33.33), (5, 84.65), (10, 84.65)],
        "score": [(0, 0.33), (5, 0.85), (10, 0.85)],
    }


def test_a_rule_of_dashes_without_a_step_column_is_no_table() -> None:
    text = "name    size\n------  ----\nmodel   12\n"
    assert _read(text) == {}


SPACY_CORPUS = """\
import random

import spacy
from spacy.tokens import DocBin

nlp = spacy.blank("en")
good, bad = ["great movie", "loved it", "superb plot"], ["awful movie", "hated it", "dull plot"]
random.seed(0)
for name, count in (("train", 40), ("dev", 10)):
    docs = DocBin()
    for i in range(count):
        doc = nlp.make_doc(random.choice(good if i % 2 else bad))
        doc.cats = {"POSITIVE": float(i % 2), "NEGATIVE": float(not i % 2)}
        docs.add(doc)
    docs.to_disk(f"{name}.spacy")
"""


@needs("spacy")
def test_spacy_train_records_its_config_with_overrides_and_its_table(repo: Repo) -> None:
    # Before: only the command line's overrides (as click's extra args) and no metric.
    import subprocess

    repo.write("make_corpus.py", SPACY_CORPUS)
    subprocess.run([sys.executable, "make_corpus.py"], cwd=repo.path, check=True)
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "config", "config.cfg", "--lang", "en",
         "--pipeline", "textcat"],
        cwd=repo.path, check=True, capture_output=True,
    )  # fmt: skip
    repo.write(".gitignore", "*.spacy\noutput/\n")
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
    assert {"cats_score", "score"} <= set(run["metrics"])


@needs("lightgbm", "sklearn")
def test_boosting_rounds_of_a_searchs_candidates_are_not_the_runs_series(repo: Repo) -> None:
    # Before: every candidate's and fold's rounds (in the program or in joblib's workers)
    # were points of valid_0_binary_logloss, 4 * (2 candidates * 2 folds + the refit) = 20.
    program(
        repo,
        """\
        import lightgbm as lgb
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import GridSearchCV

        X, y = load_breast_cancer(return_X_y=True)
        model = lgb.LGBMClassifier(n_estimators=4, verbose=-1)
        for jobs in (1, 2):
            search = GridSearchCV(model, {"num_leaves": [3, 7]}, cv=2, n_jobs=jobs)
            search.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    # the two refits' rounds only, the second's after the first's (tests/test_refits.py)
    assert [step for step, _ in series(run, "valid_0_binary_logloss")] == list(range(8))
    assert len(series(run, "best_cv_score")) == 2


def test_the_estimator_hook_keeps_a_base_class_own_subclass_hook() -> None:
    # A scikit-learn whose BaseEstimator defines __init_subclass__ (metadata routing's
    # requests are set so) must still run it for every subclass a program defines.
    from runledger.recording.autocapture import _runledger_autocapture as hooks

    class Base:
        made: list[str] = []

        def __init_subclass__(cls, **kwargs: object) -> None:
            super().__init_subclass__(**kwargs)
            Base.made.append(cls.__name__)

    hooks._patch_foreign_estimators(Base, {})

    class Model(Base):
        def fit(self) -> None: ...

    assert Base.made == ["Model"]
    assert getattr(Model.fit, "__runledger_wrapped__", False)


# examples/cluster/plot_kmeans_digits.py (scikit-learn 1.9): print(82 * "_"), its header,
# one "{:9s}\t{:.3f}s\t{:.0f}\t{:.3f}..." row per initialisation, print(82 * "_")
KMEANS_DIGITS = (
    "n_digits: 10; n_samples 1797; n_features 64\n"
    + 82 * "_"
    + "\ninit\t\ttime\tinertia\thomo\tcompl\tv-meas\tARI\tAMI\tsilhouette\n"
    "k-means++\t0.046s\t69545\t0.598\t0.645\t0.621\t0.469\t0.617\t0.152\n"
    "random   \t0.041s\t69735\t0.681\t0.723\t0.701\t0.574\t0.698\t0.183\n"
    "PCA-based\t0.011s\t69513\t0.600\t0.647\t0.622\t0.468\t0.618\t0.160\n" + 82 * "_" + "\n"
)


def test_kmeans_digits_table_gives_each_rows_scores_not_its_time(
    repo: Repo,
) -> None:
    # Before: nothing was read from the table (tab-separated cells, no "name: value").
    repo.write("bench.py", f"import sys\nsys.stdout.write({KMEANS_DIGITS!r})\n")
    repo.commit_all("bench")
    _, run = exec_run(repo, sys.executable, "bench.py")
    metrics = run["metrics"]
    assert metrics["k-means++/inertia"] == 69545
    assert metrics["random/homo"] == 0.681
    assert metrics["PCA-based/silhouette"] == 0.16
    columns = ("inertia", "homo", "compl", "v-meas", "ARI", "AMI", "silhouette")
    rows = ("k-means++", "random", "PCA-based")
    assert set(metrics) >= {f"{row}/{column}" for row in rows for column in columns}
    assert not any(name.endswith("time") for name in metrics)
    assert series(run, "random/ARI") == [[0, 0.574]]


def test_calibration_examples_give_each_value_under_the_metric_they_name(repo: Repo) -> None:
    # examples/calibration/plot_calibration.py and plot_calibration_multiclass.py (scikit-learn
    # 1.9) name the metric on a line of its own: nothing was read from the lines under it.
    repo.write(
        "calibrate.py",
        textwrap.dedent(
            """
            print("Brier score losses: (the smaller the better)")
            print("No calibration: %1.3f" % 0.104)
            print("With isotonic calibration: %1.3f" % 0.084)
            print("With sigmoid calibration: %1.3f" % 0.109)
            print("Log-loss of")
            print(f" * uncalibrated classifier: {1.327:.3f}")
            print(f" * calibrated classifier: {0.549:.3f}")
            print("Done: 2 classifiers compared")
            """
        ),
    )
    repo.commit_all("calibrate")
    _, run = exec_run(repo, sys.executable, "calibrate.py")
    assert run["metrics"] == {
        "brier_score_loss/no_calibration": 0.104,
        "brier_score_loss/with_isotonic_calibration": 0.084,
        "brier_score_loss/with_sigmoid_calibration": 0.109,
        "log_loss/uncalibrated_classifier": 1.327,
        "log_loss/calibrated_classifier": 0.549,
    }
    # a step under such a line is no value of its metric: the block ends there
    assert "validation_loss/epoch" not in _read("Validation loss:\nepoch: 3\n")
