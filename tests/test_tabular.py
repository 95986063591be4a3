"""Classical ML as its users run it: scikit-learn's classification_report, xgb.cv and lgb.cv.

The reports are fed to the collector as scikit-learn prints them; the programs run unchanged
under the real ``runledger exec`` (scikit-learn, XGBoost and LightGBM are test extras).
"""

from __future__ import annotations

import sys

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
    assert [step for step, _ in series(run, "test")] == [0, 1, 2]
    assert set(run["metrics"]) == {"learn", "test"}
