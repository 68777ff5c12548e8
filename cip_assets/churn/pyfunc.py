"""The registered churn model: one MLflow pyfunc, whichever method won, that returns calibrated
probabilities, the risk band and the top reasons, so `models:/cip_churn@champion` alone scores.

Methods: the calibrated LightGBM ("model"), logistic regression on log-RFM ("logreg_rfm") and
recency alone, mapped to a probability by a one-feature logistic regression ("recency_only"). Each
gives per-customer contributions in log-odds (SHAP values for LightGBM, coefficient times the
centred input for the regressions), which the reasons are built from.
"""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from cip_assets.churn.features import RFM_FEATURES
from cip_assets.churn.model import log_rfm
from cip_assets.churn.scoring import risk_band, top_reasons

PIP_REQUIREMENTS = ["lightgbm==4.7.0", "scikit-learn==1.9.1", "pandas==2.3.3", "numpy"]


class LightGBMMethod:
    name = "model"

    def __init__(self, model, calibrator, features: list[str]):
        self.model, self.calibrator, self.features = model, calibrator, list(features)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.transform(self.model.predict_proba(frame[self.features])[:, 1])

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.booster_.predict(frame[self.features], pred_contrib=True)[:, : len(self.features)]

    def reasons(self, frame: pd.DataFrame):
        return top_reasons(frame, self.contributions(frame), self.features)


class _LinearMethod:
    """A logistic regression on transformed inputs; contributions are coef * (x - training mean)."""

    features: list[str]

    def __init__(self, train: pd.DataFrame, y: np.ndarray):
        x = self._inputs(train)
        self.regression = LogisticRegression(max_iter=1000).fit(x, y)
        self.centre = x.mean(axis=0)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.regression.predict_proba(self._inputs(frame))[:, 1]

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        return (self._inputs(frame) - self.centre) * self.regression.coef_[0]

    def reasons(self, frame: pd.DataFrame):
        return top_reasons(frame, self.contributions(frame), self.features)


class LogRFMMethod(_LinearMethod):
    name = "logreg_rfm"
    features = list(RFM_FEATURES)

    @staticmethod
    def _inputs(frame: pd.DataFrame) -> np.ndarray:
        return log_rfm(frame)


class RecencyMethod(_LinearMethod):
    name = "recency_only"
    features = ["recency_days"]

    @staticmethod
    def _inputs(frame: pd.DataFrame) -> np.ndarray:
        return np.log1p(frame[["recency_days"]].clip(lower=0).to_numpy(dtype=float))


def fit_method(name: str, training, train: pd.DataFrame):
    """The fitted method called `name` of a `ChurnTraining` (baselines refit on the same training rows)."""
    y = train.churned.to_numpy(int)
    if name == "model":
        return LightGBMMethod(training.model, training.calibrator, training.features)
    if name == "logreg_rfm":
        return LogRFMMethod(train, y)
    if name == "recency_only":
        return RecencyMethod(train, y)
    raise ValueError(f"unknown churn method {name!r}")


class LabelledMethod:
    """Labelled mode: LightGBM on the label table's attributes (reasons from its contributions), or the
    logistic regression on all attributes when it won (no per-attribute reasons)."""

    def __init__(self, name: str, predictor, features: list[str], calibrator=None, levels=None):
        self.name, self.predictor, self.features, self.calibrator = name, predictor, list(features), calibrator
        self.levels = levels or {}  # categorical attribute -> its training levels

    @classmethod
    def fit(cls, name: str, training, train: pd.DataFrame) -> "LabelledMethod":
        levels = {c: list(train[c].cat.categories) for c in training.features if train[c].dtype == "category"}
        if name == "model":
            return cls(name, training.model, training.features, training.calibrator, levels)
        from cip_assets.churn.labelled import _as_object, _logreg

        X = train[training.features]
        return cls(name, _logreg(X).fit(_as_object(X), train.churned.to_numpy(int)), training.features, levels=levels)

    def inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The attributes as trained: a categorical one arriving as text (from Spark, a CSV, a JSON request)
        becomes a category over the training levels again."""
        X = frame[self.features].copy()
        for column, levels in getattr(self, "levels", {}).items():  # models pickled before levels were kept
            if X[column].dtype != "category":
                X[column] = pd.Categorical(X[column].astype(object).where(X[column].notna(), None), categories=levels)
        return X

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        X = self.inputs(frame)
        if self.calibrator is not None:
            return self.calibrator.transform(self.predictor.predict_proba(X)[:, 1])
        from cip_assets.churn.labelled import _as_object

        return self.predictor.predict_proba(_as_object(X))[:, 1]

    def reasons(self, frame: pd.DataFrame):
        from cip_assets.churn.labelled import attribute_reasons

        if self.calibrator is None:
            return np.empty((len(frame), 0), dtype=object), [""] * len(frame)
        X = self.inputs(frame)
        contributions = self.predictor.booster_.predict(X, pred_contrib=True)
        return attribute_reasons(X, contributions)


class ChurnPyfunc(mlflow.pyfunc.PythonModel):
    """Input: the snapshot features (`features.FEATURES`); output: churn_probability, risk_band, reasons,
    top_features per row."""

    def __init__(self, method):
        self.method = method

    @property
    def features(self) -> list[str]:
        return list(self.method.features)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = model_input.reset_index(drop=True)
        probability = self.method.probability(frame)
        names, reasons = self.method.reasons(frame)
        return pd.DataFrame({"churn_probability": probability, "risk_band": risk_band(probability),
                             "reasons": reasons, "top_features": [",".join(row) for row in names]})


# the columns `predict` returns, as Spark DDL, for the same model applied by mlflow.pyfunc.spark_udf
PREDICTION_SCHEMA = "churn_probability double, risk_band string, reasons string, top_features string"


def is_churn_pyfunc(loaded: mlflow.pyfunc.PyFuncModel) -> bool:
    """Whether a loaded registered model is this pyfunc (older versions were bare LightGBM models)."""
    try:
        return isinstance(loaded.unwrap_python_model(), ChurnPyfunc)
    except Exception:  # noqa: BLE001 - another flavor has no python model to unwrap
        return False
