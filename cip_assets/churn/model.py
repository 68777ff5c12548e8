"""The churn model beside its baselines, evaluated out of time, calibrated on validation.

Training snapshots are older cutoffs whose label windows end before the evaluation cutoff
starts; the latest training snapshot is the validation set that picks the calibration
(isotonic or Platt, by Brier score on a held-out half). Baselines, trained on the same rows:
logistic regression on log-RFM, and recency alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from cip_assets.churn.features import FEATURES, RFM_FEATURES

# shallow, strongly regularised trees: a snapshot holds a few thousand customers
LGBM_PARAMS = {"n_estimators": 300, "learning_rate": 0.02, "num_leaves": 7, "min_child_samples": 60,
               "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
               "random_state": 42, "verbose": -1, "n_jobs": 2}


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC, and lift and recall in the top decile of the score."""
    y = np.asarray(y, dtype=int)
    top = np.argsort(-score, kind="stable")[: max(1, int(np.ceil(len(y) * 0.1)))]
    base_rate = y.mean()
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "lift_top_decile": float(y[top].mean() / base_rate) if base_rate else float("nan"),
        "recall_top_decile": float(y[top].sum() / y.sum()) if y.sum() else float("nan"),
    }


class Calibrator:
    """Maps raw model scores to probabilities: isotonic or Platt (logistic on the log-odds)."""

    def __init__(self, method: str):
        self.method = method
        self._model = IsotonicRegression(out_of_bounds="clip") if method == "isotonic" else LogisticRegression()

    def fit(self, raw: np.ndarray, y: np.ndarray) -> "Calibrator":
        if self.method == "isotonic":
            self._model.fit(raw, y)
        else:
            self._model.fit(_logit(raw).reshape(-1, 1), y)
        return self

    def transform(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return self._model.predict(raw)
        return self._model.predict_proba(_logit(raw).reshape(-1, 1))[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def choose_calibration(raw: np.ndarray, y: np.ndarray, seed: int = 42) -> tuple[Calibrator, dict[str, float]]:
    """Fit both calibrators on one half of validation, keep the better Brier on the other, refit on all."""
    rng = np.random.default_rng(seed)
    half = rng.random(len(y)) < 0.5
    briers = {}
    for method in ("isotonic", "platt"):
        fitted = Calibrator(method).fit(raw[half], y[half])
        briers[method] = float(brier_score_loss(y[~half], fitted.transform(raw[~half])))
    best = min(briers, key=briers.get)
    return Calibrator(best).fit(raw, y), briers


def log_rfm(frame: pd.DataFrame) -> np.ndarray:
    return np.log1p(frame[RFM_FEATURES].clip(lower=0).to_numpy(dtype=float))


@dataclass
class ChurnTraining:
    model: lgb.LGBMClassifier
    calibrator: Calibrator
    features: list[str]
    metrics: dict[str, dict[str, float]]  # "model", "logreg_rfm", "recency_only" -> metrics
    calibration_briers: dict[str, float]
    y: np.ndarray  # the evaluation labels, with each method's evaluation scores below (for plots)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def best_baseline(self) -> str:
        return max((k for k in self.metrics if k != "model"), key=lambda k: self.metrics[k]["roc_auc"])

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.transform(self.model.predict_proba(frame[self.features])[:, 1])


def train_and_evaluate(train: pd.DataFrame, evaluation: pd.DataFrame, features: list[str] | None = None,
                       params: dict | None = None) -> ChurnTraining:
    """`train` holds several snapshots (column `cutoff`); the latest is validation for calibration."""
    features = list(features or FEATURES)
    validation_cutoff = train["cutoff"].max()
    fit_rows, val_rows = train[train.cutoff < validation_cutoff], train[train.cutoff == validation_cutoff]
    if fit_rows.empty:  # a single training snapshot: hold out a random quarter of it instead
        mask = np.random.default_rng(0).random(len(train)) < 0.75
        fit_rows, val_rows = train[mask], train[~mask]
    y_fit, y_val, y_eval = (fit_rows.churned.to_numpy(int), val_rows.churned.to_numpy(int),
                            evaluation.churned.to_numpy(int))

    model = lgb.LGBMClassifier(**{**LGBM_PARAMS, **(params or {})}).fit(fit_rows[features], y_fit)
    calibrator, briers = choose_calibration(model.predict_proba(val_rows[features])[:, 1], y_val)
    # the deployed model is refit on every training snapshot; the calibrator stays the validated one
    model = lgb.LGBMClassifier(**{**LGBM_PARAMS, **(params or {})}).fit(train[features], train.churned.to_numpy(int))
    probability = calibrator.transform(model.predict_proba(evaluation[features])[:, 1])

    logreg = LogisticRegression(max_iter=1000).fit(log_rfm(train), train.churned.to_numpy(int))
    predictions = {"model": probability, "logreg_rfm": logreg.predict_proba(log_rfm(evaluation))[:, 1],
                   "recency_only": evaluation.recency_days.to_numpy(float)}
    metrics = {name: ranking_metrics(y_eval, score) for name, score in predictions.items()}
    for name in ("model", "logreg_rfm"):  # probabilities; recency is only a ranking
        metrics[name]["brier"] = float(brier_score_loss(y_eval, predictions[name]))
    return ChurnTraining(model=model, calibrator=calibrator, features=features, metrics=metrics,
                         calibration_briers=briers, y=y_eval, predictions=predictions,
                         rows={"train": len(train), "evaluation": len(evaluation),
                               "evaluation_churn_rate": float(y_eval.mean())})


def beats_baselines(metrics: dict[str, dict[str, float]]) -> tuple[bool, str]:
    """The promotion rule: the model's out-of-time ROC-AUC must exceed every baseline's."""
    best = max((k for k in metrics if k != "model"), key=lambda k: metrics[k]["roc_auc"])
    ok = metrics["model"]["roc_auc"] > metrics[best]["roc_auc"]
    return ok, (f"model ROC-AUC {metrics['model']['roc_auc']:.3f} vs best baseline {best} "
                f"{metrics[best]['roc_auc']:.3f}")
