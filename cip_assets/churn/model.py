"""The churn model beside its baselines, evaluated out of time, calibrated on validation.

Training snapshots are older cutoffs whose label windows end before the evaluation cutoff
starts; the latest training snapshot is the validation set. It picks, in this order:
- the settings (a small grid of LightGBM settings and feature sets), by ROC-AUC on the latest
  training cutoff of a model fitted only on the training cutoffs whose label windows end by then
  (purged time-series validation: a snapshot whose labels overlap the validation window would let
  the same customers' future leak into the choice, and rewards memorising them);
- the calibration (isotonic or Platt, by Brier score on a held-out half).
The evaluation cutoff is never looked at to choose anything. The chosen model is refit on every
training snapshot. Baselines, trained on the same rows: logistic regression on log-RFM, and recency alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from cip_assets.churn.features import BASE_FEATURES, FEATURES, RFM_FEATURES

# shallow, strongly regularised trees: a snapshot holds a few thousand customers
LGBM_PARAMS = {"n_estimators": 300, "learning_rate": 0.02, "num_leaves": 7, "min_child_samples": 60,
               "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
               "random_state": 42, "verbose": -1, "n_jobs": 2}
# what time-series validation chooses from (first = preferred on a tie): settings, then feature sets
PARAM_GRID = [
    {"num_leaves": 4, "min_child_samples": 100, "n_estimators": 600, "learning_rate": 0.01},  # the default
    {},
    {"num_leaves": 2, "min_child_samples": 100, "n_estimators": 1200, "learning_rate": 0.01},
    {"num_leaves": 15, "min_child_samples": 100, "n_estimators": 200, "learning_rate": 0.03},
]
FEATURE_SETS = {"all": FEATURES, "before_rhythm": BASE_FEATURES}
MIN_SELECTION_ROWS = 1000  # below this the validation ROC-AUC is too noisy to rank settings: keep the defaults


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
    params: dict = field(default_factory=dict)  # the LightGBM settings chosen (merged over LGBM_PARAMS)
    selection: dict = field(default_factory=dict)  # how they were chosen: validation cutoff, fit cutoffs, AUCs

    @property
    def best_baseline(self) -> str:
        return max((k for k in self.metrics if k != "model"), key=lambda k: self.metrics[k]["roc_auc"])

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.transform(self.model.predict_proba(frame[self.features])[:, 1])


def _fit(rows: pd.DataFrame, features: list[str], params: dict) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(**{**LGBM_PARAMS, **params}).fit(rows[features], rows.churned.to_numpy(int))


def validation_split(train: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame, str]:
    """(rows to fit for choosing settings, rows to fit for calibrating, validation rows, how it was split).

    Validation is the latest training cutoff. Settings are chosen on a model fitted on the cutoffs whose
    label windows end by the validation cutoff (`horizon_days`, from the snapshot); calibration uses every
    earlier cutoff. Without such cutoffs nothing is chosen (None): validating on overlapping label windows
    favours models that memorise the customers, so the defaults are safer. With one snapshot, a random
    quarter of it is held out for both."""
    validation_cutoff = train["cutoff"].max()
    earlier = train[train.cutoff < validation_cutoff]
    validation = train[train.cutoff == validation_cutoff]
    if earlier.empty:  # a single training snapshot: hold out a random quarter of it instead
        mask = np.random.default_rng(0).random(len(train)) < 0.75
        return train[mask], train[mask], train[~mask], "random quarter of the only snapshot"
    if "horizon_days" in train:
        horizon = pd.to_timedelta(train["horizon_days"].max(), unit="D")
        purged = earlier[pd.to_datetime(earlier.cutoff) + horizon <= pd.Timestamp(validation_cutoff)]
        if purged.churned.nunique() == 2 and len(purged) >= MIN_SELECTION_ROWS:
            return purged, earlier, validation, "purged"
    return None, earlier, validation, "no earlier cutoff whose labels end by the validation cutoff: defaults"


def choose_settings(fit_rows: pd.DataFrame | None, val_rows: pd.DataFrame, feature_sets: dict[str, list[str]],
                    grid: list[dict]) -> tuple[str, dict, dict[str, float]]:
    """The feature set and LightGBM settings with the best validation ROC-AUC (earlier entries win ties)."""
    y_val = val_rows.churned.to_numpy(int)
    scores: dict[str, float] = {}
    if fit_rows is None or len(feature_sets) * len(grid) == 1 or y_val.min() == y_val.max():  # nothing to choose
        return next(iter(feature_sets)), grid[0], scores
    best = None
    for name, features in feature_sets.items():
        for i, params in enumerate(grid):
            auc = roc_auc_score(y_val, _fit(fit_rows, features, params).predict_proba(val_rows[features])[:, 1])
            scores[f"{name}/{i}"] = round(float(auc), 4)
            if best is None or auc > best[0] + 1e-4:
                best = (auc, name, params)
    return best[1], best[2], scores


def train_and_evaluate(train: pd.DataFrame, evaluation: pd.DataFrame, features: list[str] | None = None,
                       params: dict | None = None) -> ChurnTraining:
    """`train` holds several snapshots (column `cutoff`); the latest is validation for the settings and the
    calibration. Named `features` or `params` are used as given instead of being chosen."""
    fit_rows, calib_rows, val_rows, split = validation_split(train)
    feature_sets = {"given": list(features)} if features else FEATURE_SETS
    grid = [params] if params is not None else PARAM_GRID
    chosen_set, chosen, scores = choose_settings(fit_rows, val_rows, feature_sets, grid)
    features = list(feature_sets[chosen_set])
    y_eval = evaluation.churned.to_numpy(int)

    model = _fit(calib_rows, features, chosen)
    calibrator, briers = choose_calibration(model.predict_proba(val_rows[features])[:, 1],
                                            val_rows.churned.to_numpy(int))
    # the deployed model is refit on every training snapshot; the calibrator stays the validated one
    model = _fit(train, features, chosen)
    probability = calibrator.transform(model.predict_proba(evaluation[features])[:, 1])

    logreg = LogisticRegression(max_iter=1000).fit(log_rfm(train), train.churned.to_numpy(int))
    predictions = {"model": probability, "logreg_rfm": logreg.predict_proba(log_rfm(evaluation))[:, 1],
                   "recency_only": evaluation.recency_days.to_numpy(float)}
    metrics = {name: ranking_metrics(y_eval, score) for name, score in predictions.items()}
    for name in ("model", "logreg_rfm"):  # probabilities; recency is only a ranking
        metrics[name]["brier"] = float(brier_score_loss(y_eval, predictions[name]))
    selection = {"split": split, "validation_cutoff": str(pd.Timestamp(val_rows.cutoff.max()).date()),
                 "fit_cutoffs": [] if fit_rows is None else sorted(str(pd.Timestamp(c).date())
                                                                    for c in fit_rows.cutoff.unique()),
                 "feature_set": chosen_set, "validation_roc_auc": scores}
    return ChurnTraining(model=model, calibrator=calibrator, features=features, metrics=metrics,
                         calibration_briers=briers, y=y_eval, predictions=predictions,
                         rows={"train": len(train), "evaluation": len(evaluation),
                               "evaluation_churn_rate": float(y_eval.mean())},
                         params={**LGBM_PARAMS, **chosen}, selection=selection)


def beats_baselines(metrics: dict[str, dict[str, float]]) -> tuple[bool, str]:
    """The promotion rule: the model's out-of-time ROC-AUC must exceed every baseline's."""
    best = max((k for k in metrics if k != "model"), key=lambda k: metrics[k]["roc_auc"])
    ok = metrics["model"]["roc_auc"] > metrics[best]["roc_auc"]
    return ok, (f"model ROC-AUC {metrics['model']['roc_auc']:.3f} vs best baseline {best} "
                f"{metrics[best]['roc_auc']:.3f}")
