"""The offer policy as one registered MLflow pyfunc (`cip_offer_policy`), whichever method won, and how a policy
is judged on held-out campaign data.

Methods, each a `predict(X) -> (baseline response, uplift per arm)` the pyfunc turns into offers:

* ``model``: the uplift learner with the best held-out Qini, one per arm, calibrated and shrunk
  (`uplift.fit_policy`), fitted on the campaign's training split.
* ``treat_everyone``: no targeting; every customer has the control response rate and each arm's average
  effect on the training split, so everyone gets the arm whose average effect pays best (or none).
* ``no_offer``: nobody gets an offer.

The pyfunc's input is the policy's features plus `customer_id`, `expected_order_value` and, passed through,
`churn_probability`, `risk_band`, `expected_value_12m`; its params are the `offers:` settings (margin, budget,
max_offers, contact_cost, min_profit; a negative budget or max_offers means no limit). Its output is the
recommendation table (`offers.recommend`): arm, expected profit and cost, reason, priority, within_budget.

The metric, `incremental_profit_per_customer`, is the policy's expected incremental profit per customer over
sending nothing, on the held-out rows of the randomised campaign, by inverse propensity weighting: a held-out
customer counts when the arm they were randomised to is the arm the policy picks for them, weighted by one
over that arm's share, and earns y * V * (margin - discount) - contact cost (control: y * V * margin), V the
campaign's order value (1 when the campaign has no spend: profit per unit of order value).
"""

from __future__ import annotations

from datetime import datetime

import mlflow
import numpy as np
import pandas as pd

from cip_assets.pricing.offers import NO_OFFER, OfferSettings, recommend

PIP_REQUIREMENTS = ["lightgbm==4.7.0", "scikit-learn==1.9.1", "pandas==2.3.3", "numpy"]
FORMAT = 2
PASS_THROUGH = ["customer_id", "expected_order_value", "churn_probability", "risk_band", "expected_value_12m"]
OUTPUT_COLUMNS = ["customer_id", "recommended_arm", "discount_pct", "predicted_uplift", "base_conversion",
                  "expected_order_value", "expected_incremental_profit", "expected_cost", "churn_probability",
                  "risk_band", "expected_value_12m", "reason", "priority_rank", "within_budget", "campaign_id",
                  "learner"]


class AverageEffect:
    """A policy without targeting: the control rate and each arm's average effect, the same for everyone."""

    def __init__(self, name: str, features: pd.DataFrame, control_rate: float, ate: dict[str, float],
                 discount_pct: dict[str, float]):
        self.learner, self.features, self.control_rate = name, features.head(0), float(control_rate)
        self.ate = {a: float(v) for a, v in ate.items()}
        self.discount_pct = {a: float(discount_pct.get(a) or 0.0) for a in self.ate}

    def predict(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        uplift = pd.DataFrame({a: np.full(len(X), v) for a, v in self.ate.items()}, index=X.index)
        return np.full(len(X), self.control_rate), uplift


def settings_params(settings: OfferSettings) -> dict:
    """OfferSettings as pyfunc params (MLflow params are scalars: no limit is -1)."""
    return {"margin": float(settings.margin), "budget": -1.0 if settings.budget is None else float(settings.budget),
            "max_offers": -1 if settings.max_offers is None else int(settings.max_offers),
            "contact_cost": float(settings.contact_cost), "min_profit": float(settings.min_profit)}


def settings_from_params(params: dict | None) -> OfferSettings:
    p = {**settings_params(OfferSettings()), **(params or {})}
    return OfferSettings(margin=float(p["margin"]), budget=None if float(p["budget"]) < 0 else float(p["budget"]),
                         max_offers=None if int(p["max_offers"]) < 0 else int(p["max_offers"]),
                         contact_cost=float(p["contact_cost"]), min_profit=float(p["min_profit"]))


def plain(X: pd.DataFrame) -> pd.DataFrame:
    """Features as MLflow schemas take them: numbers as float64, everything else as text (None when missing)."""
    out = {}
    for column in X.columns:
        values = X[column]
        if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values.astype("float64")
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out, index=X.index)


def policy_input(X: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The pyfunc's input: plain features beside the customers' pass-through columns (row-aligned)."""
    frame = plain(X.reset_index(drop=True))
    for column in PASS_THROUGH:
        if column in customers:
            frame[column] = customers[column].reset_index(drop=True).to_numpy()
    frame["customer_id"] = frame["customer_id"].astype(str) if "customer_id" in frame else frame.index.astype(str)
    return frame


class OfferPolicyPyfunc(mlflow.pyfunc.PythonModel):
    """Input, params and output in the module docstring."""

    def __init__(self, method: str, policy, meta: dict):
        self.method, self.policy, self.meta, self.format = method, policy, dict(meta), FORMAT

    @property
    def features(self) -> list[str]:
        return list(self.policy.features.columns)

    @property
    def arms(self) -> list[str]:
        return list(self.policy.discount_pct)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        settings = settings_from_params(params)
        frame = model_input.reset_index(drop=True)
        base, uplift = self.policy.predict(frame.reindex(columns=self.features))
        fallback = self.meta.get("order_value")
        fallback = float(fallback) if fallback is not None and np.isfinite(fallback) else 1.0
        customers = pd.DataFrame({
            "customer_id": frame["customer_id"].astype(str) if "customer_id" in frame else frame.index.astype(str),
            "expected_order_value": pd.to_numeric(frame.get("expected_order_value"), errors="coerce")
            .reindex(frame.index).fillna(fallback).clip(lower=0)})
        for column in ("churn_probability", "risk_band", "expected_value_12m"):
            if column in frame:
                customers[column] = frame[column]
        if "churn_probability" in customers:
            customers["churn_probability"] = pd.to_numeric(customers.churn_probability, errors="coerce")
        rec = recommend(customers, base, uplift, self.policy.discount_pct, settings)
        if self.method == "no_offer":
            rec["reason"] = pd.Series(rec["reason"]).str.replace(
                "no offer arms to choose from", "no offer: on held-out campaign data no offer beat sending nothing",
                regex=False).to_numpy(dtype=object)
        rec["campaign_id"], rec["learner"] = self.meta.get("campaign_id"), self.policy.learner
        return rec[OUTPUT_COLUMNS]


def is_policy_pyfunc(loaded: mlflow.pyfunc.PyFuncModel) -> bool:
    try:
        model = loaded.unwrap_python_model()
    except Exception:  # noqa: BLE001 - another flavor has no python model to unwrap
        return False
    return isinstance(model, OfferPolicyPyfunc) and getattr(model, "format", None) == FORMAT


def example_input(X: pd.DataFrame, order_value: float) -> pd.DataFrame:
    """Five training rows and one empty row (so every input column may be missing when scoring)."""
    head = X.head(5).reset_index(drop=True)
    customers = pd.DataFrame({"customer_id": [f"example-{i}" for i in range(len(head))],
                              "expected_order_value": order_value, "churn_probability": 0.5, "risk_band": "medium",
                              "expected_value_12m": 100.0})
    frame = policy_input(head, customers)
    return pd.concat([frame, pd.DataFrame([{c: None for c in frame.columns}])], ignore_index=True).astype(
        {c: "float64" for c in frame.columns if pd.api.types.is_float_dtype(frame[c])})


def held_out_profit(chosen: np.ndarray, arm: np.ndarray, y: np.ndarray, discount_pct: dict[str, float],
                    order_value: float, settings: OfferSettings, control: str = "control") -> float:
    """Expected incremental profit per customer of giving `chosen` (NO_OFFER = control) over sending nothing,
    estimated on randomised rows by inverse propensity weighting (formula in the module docstring)."""
    chosen = np.where(np.asarray(chosen) == NO_OFFER, control, np.asarray(chosen).astype(str))
    arm, y = np.asarray(arm).astype(str), np.asarray(y, dtype=float)
    share = pd.Series(arm).value_counts(normalize=True)
    weight = 1.0 / share.reindex(arm).to_numpy()
    d = np.array([float(discount_pct.get(a) or 0.0) / 100 for a in arm])
    m, value = settings.margin, order_value if np.isfinite(order_value) else 1.0
    reward = np.where(arm == control, y * value * m, y * value * (m - d) - settings.contact_cost)
    return float(np.mean((chosen == arm) * weight * reward) - np.mean((arm == control) * weight * reward))


def score_customers(champion: mlflow.pyfunc.PyFuncModel, customers: pd.DataFrame, X: pd.DataFrame,
                    settings: OfferSettings, version: str) -> pd.DataFrame:
    """The champion's offers for `customers` (row-aligned features X). A missing order value takes the
    campaign's, else the median of the known ones, else 1 (money per unit of order value)."""
    fallback, known = champion.unwrap_python_model().meta.get("order_value"), customers.expected_order_value.dropna()
    if not np.isfinite(fallback if fallback is not None else np.nan):
        fallback = float(known.median()) if len(known) else 1.0
    customers = customers.assign(expected_order_value=customers.expected_order_value.fillna(fallback).clip(lower=0))
    offers = champion.predict(policy_input(X, customers), params=settings_params(settings))
    return offers.assign(scored_at=datetime.now(), model_version=str(version))
