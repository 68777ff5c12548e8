"""Labelled-table mode: churn learned from a table that already says who left (Telco, the e-commerce
churn workbook, the hackathon workbook) instead of from order history.

Such a table has no time axis to split on, so quality is measured by stratified k-fold
cross-validation, with the same metrics as the out-of-time mode. In every fold the calibration
(isotonic or Platt) is chosen on a validation slice of the training folds, never on the test fold.
Baselines, fitted on the same folds: logistic regression on all attributes (scaled, one-hot), and
the single attribute that ranks churn best in the training folds.

Features are the label table's extra columns (the `attributes` JSON). A column is numeric when
nearly all its values parse as numbers, categorical when it has few distinct values, and dropped
otherwise (identifiers, free text); any column whose name mentions churn is dropped as a leak.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cip_assets.churn.model import LGBM_PARAMS, Calibrator, choose_calibration, ranking_metrics

MAX_LEVELS = 30  # a text column with more distinct values than this is an identifier or free text
NUMERIC_SHARE = 0.95  # share of non-empty values that must parse as numbers for a numeric column
LEAK_WORDS = ("churn", "exited", "attrition")
LABELS_SQL = """SELECT customer_id, is_churned_label AS churned, attributes
                FROM staging.stg_customer_labels WHERE is_churned_label IS NOT NULL"""


def load_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Labelled customers with their attributes expanded to columns (one row per customer)."""
    frame = con.execute(LABELS_SQL).df()
    if frame.empty:
        return frame
    attributes = pd.json_normalize([_parse(a) for a in frame["attributes"]])
    attributes.index = frame.index
    return pd.concat([frame[["customer_id", "churned"]], attributes], axis=1)


def _parse(value) -> dict:
    if isinstance(value, dict):
        return value
    return json.loads(value) if isinstance(value, str) and value else {}


def attribute_features(labels: pd.DataFrame) -> pd.DataFrame:
    """Model-ready columns: numbers as float, few-valued text as pandas categories; the rest dropped."""
    out = {}
    for column in labels.columns.drop(["customer_id", "churned"], errors="ignore"):
        if any(word in column.lower() for word in LEAK_WORDS):
            continue
        values, column = labels[column], re.sub(r"\W+", "_", column).strip("_")  # names LightGBM keeps as-is
        text = values.astype("string").str.strip().replace("", pd.NA)
        present = text.notna().sum()
        if present == 0:
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().sum() >= NUMERIC_SHARE * present:
            if numbers.nunique() > 1:
                out[column] = numbers.astype(float)
        elif text.nunique() <= MAX_LEVELS:
            out[column] = text.astype("category")
    return pd.DataFrame(out, index=labels.index)


def _logreg(features: pd.DataFrame):
    numeric = [c for c in features if features[c].dtype != "category"]
    categorical = [c for c in features if features[c].dtype == "category"]
    prepare = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                      OneHotEncoder(handle_unknown="ignore")), categorical),
    ])
    return make_pipeline(prepare, LogisticRegression(max_iter=2000))


def _as_object(features: pd.DataFrame) -> pd.DataFrame:
    """Categories as plain objects with NaN for missing, the form scikit-learn's imputers accept."""
    return features.apply(lambda c: c.astype(object).where(c.notna(), np.nan) if c.dtype == "category" else c)


def _best_single(features: pd.DataFrame, y: np.ndarray) -> tuple[str | None, tuple | None]:
    """The attribute whose own ordering (numbers) or churn rate per level (categories) ranks churn best,
    with what scoring needs: (churn rate per level or None, whether the ordering is reversed, fill value)."""
    best, best_auc, best_fit = None, 0.5, None
    for column in features:
        values = features[column]
        if values.dtype == "category":
            fit = (pd.Series(y).groupby(values.to_numpy(), observed=True).mean(), False, float(y.mean()))
        else:
            fit = (None, False, float(values.median()))
        auc = roc_auc_score(y, _single_score(features, column, fit))
        if max(auc, 1 - auc) > best_auc:
            best, best_auc, best_fit = column, max(auc, 1 - auc), (fit[0], auc < 0.5, fit[2])
    return best, best_fit


def _single_score(features: pd.DataFrame, column: str, fit: tuple) -> np.ndarray:
    rates, reversed_, fill = fit
    values = features[column]
    score = (values.map(rates).astype(float) if rates is not None else values).fillna(fill).to_numpy(float)
    return -score if reversed_ else score


def _single_attribute_probability(X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame) -> np.ndarray:
    """The best single attribute of the training folds, turned into a probability by a logistic fit on
    them, so that out-of-fold predictions of different folds share one scale and can be pooled."""
    column, fit = _best_single(X_train, y_train)
    if column is None:
        return np.full(len(X_test), y_train.mean())
    logistic = LogisticRegression().fit(_single_score(X_train, column, fit).reshape(-1, 1), y_train)
    return logistic.predict_proba(_single_score(X_test, column, fit).reshape(-1, 1))[:, 1]


def _fit_calibrated(X: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[lgb.LGBMClassifier, Calibrator]:
    """LightGBM whose calibration is chosen on a held-out fifth, then refit on all rows."""
    held_out = np.random.default_rng(seed).random(len(y)) < 0.2
    probe = lgb.LGBMClassifier(**LGBM_PARAMS).fit(X[~held_out], y[~held_out])
    calibrator, _ = choose_calibration(probe.predict_proba(X[held_out])[:, 1], y[held_out], seed)
    return lgb.LGBMClassifier(**LGBM_PARAMS).fit(X, y), calibrator


@dataclass
class LabelledTraining:
    model: lgb.LGBMClassifier
    calibrator: Calibrator
    features: list[str]
    metrics: dict[str, dict[str, float]]  # "model", "logreg_attributes", "best_single_attribute"
    fold_auc: dict[str, list[float]]
    y: np.ndarray  # labels in row order, with the out-of-fold predictions below for plots
    predictions: dict[str, np.ndarray]
    best_single_attribute: str | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def best_baseline(self) -> str:
        return max((k for k in self.metrics if k != "model"), key=lambda k: self.metrics[k]["roc_auc"])


def cross_validate(labels: pd.DataFrame, folds: int = 5, seed: int = 42) -> LabelledTraining:
    """Out-of-fold predictions of the model and both baselines; metrics on the pooled predictions."""
    X = attribute_features(labels)
    if X.empty:
        raise ValueError("the labelled table has no usable attribute columns to learn from")
    y = labels["churned"].astype(bool).to_numpy(int)
    oof = {name: np.zeros(len(y)) for name in ("model", "logreg_attributes", "best_single_attribute")}
    fold_auc: dict[str, list[float]] = {name: [] for name in oof}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for i, (train, test) in enumerate(splitter.split(X, y)):
        X_train, X_test, y_train = X.iloc[train], X.iloc[test], y[train]
        model, calibrator = _fit_calibrated(X_train, y_train, seed + i)
        oof["model"][test] = calibrator.transform(model.predict_proba(X_test)[:, 1])
        logreg = _logreg(X_train).fit(_as_object(X_train), y_train)
        oof["logreg_attributes"][test] = logreg.predict_proba(_as_object(X_test))[:, 1]
        oof["best_single_attribute"][test] = _single_attribute_probability(X_train, y_train, X_test)
        for name in oof:
            fold_auc[name].append(float(roc_auc_score(y[test], oof[name][test])))

    metrics = {name: {**ranking_metrics(y, p), "brier": float(brier_score_loss(y, p))} for name, p in oof.items()}
    model, calibrator = _fit_calibrated(X, y, seed)
    best_column, _ = _best_single(X, y)
    return LabelledTraining(model=model, calibrator=calibrator, features=list(X.columns), metrics=metrics,
                            fold_auc=fold_auc, y=y, predictions=oof, best_single_attribute=best_column,
                            rows={"labelled": len(y), "folds": folds, "churn_rate": float(y.mean())})


def attribute_reasons(features: pd.DataFrame, contributions: np.ndarray, k: int = 3) -> tuple[np.ndarray, list[str]]:
    """The k attributes pushing each customer's risk up the most, phrased with the customer's value."""
    names = list(features.columns)
    contrib = contributions[:, : len(names)]
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    positive = np.take_along_axis(contrib, order, axis=1) > 0
    table = np.column_stack([
        (column.replace("_", " ") + ": " + features[column].astype(object).map(_fmt_value)).to_numpy(object)
        for column in names])
    picked = np.where(positive, np.take_along_axis(table, order, axis=1), None)
    return np.array(names, dtype=object)[order], ["; ".join(p for p in row if p) for row in picked]


def _fmt_value(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "unknown"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.2f}"
    return str(value)
