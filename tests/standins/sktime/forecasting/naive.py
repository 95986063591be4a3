from sktime.forecasting.base._base import BaseForecaster


class NaiveForecaster(BaseForecaster):
    def __init__(self, strategy="last", window_length=None, sp=1):
        self.strategy = strategy
        self.window_length = window_length
        self.sp = sp
        super().__init__()

    def _fit(self, y, X=None, fh=None):
        self._season = y[-self.sp :]
        return self

    def _predict(self, fh, X=None):
        return [self._season[(step - 1) % self.sp] for step in fh]
