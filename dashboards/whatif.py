"""What-if churn scoring with the registered champion (`models:/cip_churn@champion`).

The published copy holds each customer's 360 profile, not the point-in-time snapshot the model
was trained on, so a form is prefilled from the profile where a mart has the feature and from the
training median (the champion run's `reference.parquet`) elsewhere; the user changes any input and
the registered pyfunc (calibrated probability, band and reasons, whichever method is champion) scores
it again. No Streamlit here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cip_assets.churn.features import FEATURES

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
    model: object            # the registered pyfunc (predict -> churn_probability, risk_band, reasons)
    method: str
    features: list[str]
    medians: dict[str, float]
    version: str
    run_id: str


def load_champion(home: str | Path | None = None) -> Champion | None:
    """None when no model has been promoted (the page then says to run `cip run`)."""
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
    from cip_assets.churn.pyfunc import is_churn_pyfunc

    model = mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}/{version.version}")
    if not is_churn_pyfunc(model):  # an older, bare LightGBM champion: the next retrain replaces it
        return None
    try:
        reference = pd.read_parquet(mlflow.artifacts.download_artifacts(run_id=version.run_id,
                                                                        artifact_path="reference.parquet"))
        medians = reference.median(numeric_only=True).to_dict()
    except Exception:  # an older run without the reference sample
        medians = {}
    features = list(model.unwrap_python_model().features)
    return Champion(model, (version.tags or {}).get("method", "model"), features,
                    {f: float(medians.get(f, 0.0)) for f in FEATURES}, str(version.version), version.run_id)


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
    out = champion.model.predict(frame).iloc[0]
    return float(out["churn_probability"]), str(out["risk_band"]), str(out["reasons"])


__all__ = ["Champion", "load_champion", "prefill", "score"]
