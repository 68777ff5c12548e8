"""Purchase propensity: LightGBM on behavioural snapshots, evaluated out of time beside two baselines.

The baselines are what a team without a model would do: rank by the last 7 days' activity
(`recent_activity`), and a logistic regression on the log counts (`logreg_counts`).
Metrics are the ones a targeting list is judged by: ROC-AUC, and precision, recall and lift
in the top 5%.
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


@dataclass
class PropensityResult:
    model: LGBMClassifier
    metrics: dict[str, dict[str, float]]  # method -> metric -> value
    predictions: dict[str, np.ndarray]  # method -> evaluation scores
    y: np.ndarray
    rows: dict[str, float]

    @property
    def best_baseline(self) -> str:
        return max((m for m in self.metrics if m != "model"), key=lambda m: self.metrics[m]["roc_auc"])


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


def train_and_evaluate(train: pd.DataFrame, evaluation: pd.DataFrame, seed: int = 0) -> PropensityResult:
    """Fit on the training snapshots; score the evaluation snapshot with the model and the baselines."""
    y_train, y_eval = train.purchased.to_numpy(), evaluation.purchased.to_numpy()
    model = new_model(seed).fit(train[FEATURES], y_train)
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(_log_counts(train), y_train)
    predictions = {
        "model": model.predict_proba(evaluation[FEATURES])[:, 1],
        "logreg_counts": logreg.predict_proba(_log_counts(evaluation))[:, 1],
        "recent_activity": recent_activity_score(evaluation),
    }
    metrics = {name: evaluate(y_eval, score) for name, score in predictions.items()}
    rows = {"train_rows": len(train), "evaluation_rows": len(evaluation),
            "train_positive_rate": float(y_train.mean()), "evaluation_positive_rate": float(y_eval.mean())}
    return PropensityResult(model, metrics, predictions, y_eval, rows)


def beats_baselines(metrics: dict[str, dict[str, float]]) -> tuple[bool, str]:
    """The promotion rule: the model's out-of-time ROC-AUC must beat every baseline's."""
    model = metrics["model"]["roc_auc"]
    worse = {k: v["roc_auc"] for k, v in metrics.items() if k != "model" and v["roc_auc"] >= model}
    if worse:
        return False, f"ROC-AUC {model:.3f} does not beat " + ", ".join(f"{k} {v:.3f}" for k, v in worse.items())
    return True, f"ROC-AUC {model:.3f} beats " + ", ".join(
        f"{k} {v['roc_auc']:.3f}" for k, v in metrics.items() if k != "model")
