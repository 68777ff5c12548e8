"""What-if churn scoring with the registered champion (`models:/cip_churn@champion`).

The published copy holds each customer's 360 profile, not the point-in-time snapshot the model
was trained on, so a form is prefilled from the profile where a mart has the feature and from the
training median (the champion run's `reference.parquet`) elsewhere; the user changes any input and
the model, with the calibrator of the same run, scores it again. No Streamlit here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cip_assets.churn.features import FEATURES
from cip_assets.churn.scoring import risk_band, top_reasons

REGISTERED_MODEL = "cip_churn"

# feature <- expression over a marts.customer_scores row
FROM_PROFILE = {
    "recency_days": "recency_days", "frequency": "lifetime_orders", "monetary": "lifetime_revenue",
    "tenure_days": "tenure_days", "avg_order_value": "avg_order_value", "return_rate": "return_rate",
    "cancel_rate": "cancel_rate", "review_count": "review_count", "avg_rating": "avg_rating",
    "campaign_exposures": "campaigns_exposed",
}


@dataclass
class Champion:
    model: object
    calibrator: object
    features: list[str]
    medians: dict[str, float]
    version: str
    run_id: str


def load_champion(home: str | Path | None = None) -> Champion | None:
    """None when no model has been promoted (the page then says to run `cip run`)."""
    import joblib
    import mlflow
    from mlflow.tracking import MlflowClient

    from cip_resources.mlflow import tracking_uri

    home = Path(home or os.environ.get("CIP_HOME", ".cip")).resolve()
    if not (home / "mlflow.db").exists():
        return None
    mlflow.set_tracking_uri(tracking_uri(home))
    client = MlflowClient()
    try:
        version = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    except mlflow.exceptions.MlflowException:
        return None
    model = mlflow.lightgbm.load_model(f"models:/{REGISTERED_MODEL}@champion")
    calibrator = joblib.load(mlflow.artifacts.download_artifacts(run_id=version.run_id,
                                                                 artifact_path="calibrator.joblib"))
    try:
        reference = pd.read_parquet(mlflow.artifacts.download_artifacts(run_id=version.run_id,
                                                                        artifact_path="reference.parquet"))
        medians = reference.median(numeric_only=True).to_dict()
    except Exception:  # an older run without the reference sample
        medians = {}
    features = list(model.booster_.feature_name())
    return Champion(model, calibrator, features, {f: float(medians.get(f, 0.0)) for f in features},
                    str(version.version), version.run_id)


def prefill(champion: Champion, profile: pd.Series | None) -> dict[str, float]:
    values = dict(champion.medians)
    if profile is not None:
        for feature, column in FROM_PROFILE.items():
            if feature in values and column in profile and pd.notna(profile[column]):
                values[feature] = float(profile[column])
        orders = profile.get("lifetime_orders")
        if orders and orders > 1 and pd.notna(profile.get("first_order_at")) and pd.notna(profile.get("last_order_at")):
            gap = (pd.Timestamp(profile["last_order_at"]) - pd.Timestamp(profile["first_order_at"])).days / (orders - 1)
            values["mean_gap_days"] = float(gap)
            if gap > 0:
                values["gap_ratio"] = values.get("recency_days", 0.0) / gap
    return values


def score(champion: Champion, values: dict[str, float]) -> tuple[float, str, str]:
    """Calibrated probability, risk band and the top reasons for one set of inputs."""
    frame = pd.DataFrame([{f: float(values.get(f, np.nan)) for f in FEATURES}])
    raw = champion.model.predict_proba(frame[champion.features])[:, 1]
    probability = float(champion.calibrator.transform(raw)[0])
    contributions = champion.model.booster_.predict(frame[champion.features], pred_contrib=True)
    _, reasons = top_reasons(frame, contributions, champion.features)
    return probability, str(risk_band(np.array([probability]))[0]), reasons[0]


__all__ = ["Champion", "load_champion", "prefill", "score"]
