"""Purchase propensity: LightGBM on behavioural snapshots, evaluated out of time beside two baselines.

The baselines are what a team without a model would do: rank by the last 7 days' activity
(`recent_activity`, mapped to a probability by a one-feature logistic regression fitted on the
training snapshots, which keeps its ranking), and a logistic regression on the log counts
(`logreg_counts`). Metrics are the ones a targeting list is judged by: ROC-AUC, and precision,
recall and lift in the top 5%. Every method is a fitted object with `probability(frame)`, so
whichever wins can be registered (`pyfunc.PropensityPyfunc`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cip_assets.events.features import FEATURES

TOP_SHARE = 0.05
COUNT_FEATURES = ["events_1d", "events_7d", "events_30d", "sessions_7d", "carts_7d", "purchases_30d",
                  "purchases_90d"]
METHODS = ("model", "logreg_counts", "recent_activity")  # the trained model first, then the baselines


def top_share_metrics(y: np.ndarray, score: np.ndarray, share: float = TOP_SHARE) -> dict[str, float]:
    """Precision, recall and lift of the `share` highest scores (ties broken by position)."""
    n = max(1, int(round(len(y) * share)))
    top = np.argsort(-score, kind="stable")[:n]
    hits = y[top].sum()
    base = y.mean()
    return {"precision_top5": float(hits / n), "recall_top5": float(hits / max(y.sum(), 1)),
            "lift_top5": float(hits / n / base) if base > 0 else float("nan")}


def evaluate(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    return {"roc_auc": float(roc_auc_score(y, score)), "pr_auc": float(average_precision_score(y, score)),
            **top_share_metrics(y, score)}


def recent_activity_score(frame: pd.DataFrame) -> np.ndarray:
    """Baseline: the last 7 days' events, ties broken by the most recent event."""
    return frame.events_7d.to_numpy() + 1.0 / (1.0 + frame.hours_since_last_event.to_numpy())


def _log_counts(frame: pd.DataFrame) -> np.ndarray:
    return np.log1p(frame[COUNT_FEATURES].to_numpy(float))


def new_model(seed: int = 0) -> LGBMClassifier:
    return LGBMClassifier(n_estimators=200, learning_rate=0.03, num_leaves=15, min_child_samples=80,
                          subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
                          random_state=seed, n_jobs=2, verbose=-1)


class LightGBMPropensity:
    name = "model"

    def __init__(self, train: pd.DataFrame, y: np.ndarray, seed: int = 0):
        self.model = new_model(seed).fit(train[FEATURES], y)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(frame[FEATURES])[:, 1]


class LogRegCounts:
    name = "logreg_counts"

    def __init__(self, train: pd.DataFrame, y: np.ndarray):
        self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(_log_counts(train), y)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(_log_counts(frame))[:, 1]


class RecentActivity:
    """The activity ranking as a probability: a logistic regression on log1p of the ranking score."""

    name = "recent_activity"

    def __init__(self, train: pd.DataFrame, y: np.ndarray):
        self.model = LogisticRegression(max_iter=1000).fit(self._inputs(train), y)
        if self.model.coef_[0, 0] <= 0:  # keep the baseline's ranking whatever the fit says
            self.model.coef_[0, 0] = 1e-6

    @staticmethod
    def _inputs(frame: pd.DataFrame) -> np.ndarray:
        return np.log1p(np.nan_to_num(recent_activity_score(frame), nan=0.0).clip(min=0))[:, None]

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(self._inputs(frame))[:, 1]


@dataclass
class PropensityResult:
    methods: dict[str, object]  # method -> fitted method (probability(frame))
    metrics: dict[str, dict[str, float]]  # method -> metric -> value
    predictions: dict[str, np.ndarray]  # method -> evaluation scores
    y: np.ndarray
    rows: dict[str, float]

    @property
    def model(self) -> LGBMClassifier:
        return self.methods["model"].model

    @property
    def best_baseline(self) -> str:
        return max((m for m in self.metrics if m != "model"), key=lambda m: self.metrics[m]["roc_auc"])


def train_and_evaluate(train: pd.DataFrame, evaluation: pd.DataFrame, seed: int = 0) -> PropensityResult:
    """Fit on the training snapshots; score the evaluation snapshot with the model and the baselines."""
    y_train, y_eval = train.purchased.to_numpy(), evaluation.purchased.to_numpy()
    methods = {"model": LightGBMPropensity(train, y_train, seed), "logreg_counts": LogRegCounts(train, y_train),
               "recent_activity": RecentActivity(train, y_train)}
    predictions = {name: method.probability(evaluation) for name, method in methods.items()}
    metrics = {name: evaluate(y_eval, score) for name, score in predictions.items()}
    rows = {"train_rows": len(train), "evaluation_rows": len(evaluation),
            "train_positive_rate": float(y_train.mean()), "evaluation_positive_rate": float(y_eval.mean())}
    return PropensityResult(methods, metrics, predictions, y_eval, rows)

