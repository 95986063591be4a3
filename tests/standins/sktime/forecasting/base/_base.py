"""sktime's ``BaseForecaster``: a forecaster's public ``fit`` (``_fit`` is its own), and
scikit-base's ``get_params``: its init arguments by name."""

import inspect


class BaseObject:
    def get_params(self, deep=True):
        names = [
            name
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
            if name != "self" and parameter.kind is not parameter.VAR_KEYWORD
        ]
        return {name: getattr(self, name) for name in names}


class BaseForecaster(BaseObject):
    def fit(self, y, X=None, fh=None):
        self._y = list(y)
        self._fit(y=self._y, X=X, fh=fh)
        self._is_fitted = True
        return self

    def predict(self, fh=None, X=None):
        return self._predict(fh=list(fh), X=X)
