"""CatBoost 1.2's Python API: ``fit`` of every model calls ``CatBoost._fit``; afterwards
``get_params`` gives what the program set, ``get_all_params`` what it trained with (the
learning rate it chose, a float32), ``get_evals_result`` each metric's values per data set
(``learn``, then ``validation`` or ``validation_0``, ``validation_1``...), and
``get_best_iteration`` the best one when an eval set was given. Verbose, it prints its
round lines."""

import json
import struct


def _float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


class CatBoost:
    def __init__(self, params=None):
        self._init_params = dict(params or {})
        self._all_params = {}
        self._evals = {}
        self._best_iteration = None

    def get_params(self, deep=True):
        return dict(self._init_params)

    def get_all_params(self):
        return dict(self._all_params)

    def get_evals_result(self):
        return self._evals

    def get_best_iteration(self):
        return self._best_iteration

    def _fit(
        self,
        X,
        y,
        cat_features=None,
        text_features=None,
        embedding_features=None,
        pairs=None,
        graph=None,
        sample_weight=None,
        group_id=None,
        group_weight=None,
        subgroup_id=None,
        pairs_weight=None,
        baseline=None,
        use_best_model=None,
        eval_set=None,
        verbose=None,
        logging_level=None,
        plot=False,
        plot_file=None,
        column_description=None,
        verbose_eval=None,
        metric_period=None,
        silent=None,
        early_stopping_rounds=None,
        save_snapshot=None,
        snapshot_file=None,
        snapshot_interval=None,
        init_model=None,
        callbacks=None,
        log_cout=None,
        log_cerr=None,
    ):
        params = self._init_params
        iterations = params.get("iterations", 1000)
        loss = params.get("loss_function", self._default_loss)
        metrics = [loss]
        if params.get("eval_metric") and params["eval_metric"] not in metrics:
            metrics.append(params["eval_metric"])
        self._all_params = {
            "iterations": iterations,
            "learning_rate": _float32(params.get("learning_rate", 0.499)),
            "depth": params.get("depth", 6),
            "loss_function": loss,
            "random_seed": 0,
        }
        if eval_set is None:
            eval_sets = []
        elif isinstance(eval_set, list):
            eval_sets = eval_set
        else:
            eval_sets = [eval_set]
        names = (
            ["validation"]
            if len(eval_sets) == 1
            else [f"validation_{i}" for i in range(len(eval_sets))]
        )
        self._evals = {"learn": {metrics[0]: []}}
        for name in names:
            self._evals[name] = {metric: [] for metric in metrics}
        for step in range(iterations):
            self._evals["learn"][metrics[0]].append(0.7 - 0.05 * step)
            for index, name in enumerate(names):
                for metric in metrics:
                    value = 0.8 + 0.02 * step if metric == "AUC" else 0.72 - 0.04 * step - index
                    self._evals[name][metric].append(value)
            if params.get("verbose"):
                test = self._evals[names[0]][metrics[-1]][-1] if names else None
                line = f"{step}:\tlearn: {self._evals['learn'][metrics[0]][-1]:.7f}"
                if test is not None:
                    line += f"\ttest: {test:.7f}\tbest: {test:.7f} ({step})"
                print(line + f"\ttotal: {step + 1}ms\tremaining: {iterations - step - 1}ms")
        self._best_iteration = iterations - 1 if names else None
        if names and params.get("verbose"):
            print(f"\nbestTest = {self._evals[names[0]][metrics[-1]][-1]:.7f}")
            print(f"bestIteration = {iterations - 1}\n")
        return self

    def save_model(self, fname, format="cbm", export_parameters=None, pool=None):  # noqa: A002
        with open(fname, "w") as file:
            json.dump(self._all_params, file)


class CatBoostClassifier(CatBoost):
    _default_loss = "Logloss"

    def __init__(
        self,
        iterations=None,
        learning_rate=None,
        depth=None,
        loss_function=None,
        eval_metric=None,
        random_seed=None,
        verbose=None,
        allow_writing_files=None,
    ):
        given = dict(locals())
        given.pop("self")
        super().__init__({key: value for key, value in given.items() if value is not None})

    def fit(
        self,
        X,
        y=None,
        cat_features=None,
        sample_weight=None,
        eval_set=None,
        verbose=None,
        early_stopping_rounds=None,
    ):
        return self._fit(
            X,
            y,
            cat_features=cat_features,
            sample_weight=sample_weight,
            eval_set=eval_set,
            verbose=verbose,
            early_stopping_rounds=early_stopping_rounds,
        )


class CatBoostRegressor(CatBoostClassifier):
    _default_loss = "RMSE"
