from catboost.core import CatBoost, CatBoostClassifier, CatBoostRegressor

__all__ = ["CatBoost", "CatBoostClassifier", "CatBoostRegressor"]
