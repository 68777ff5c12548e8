"""The registered event models, each one MLflow pyfunc whatever method won, so the champion alone scores.

`cip_purchase_propensity`: `PropensityPyfunc`, input the snapshot FEATURES (features.snapshot), output
`purchase_probability` of a purchase within `horizon_days` (kept in the model); the method is the
LightGBM model or a baseline (propensity.py). `cip_next_action`: `next_action.NextActionPyfunc`, input
`Windows.to_frame()`, output `p_<action>`; the method is the Markov chain, LightGBM on n-grams or the GRU.
"""

from __future__ import annotations

import mlflow
import pandas as pd

from cip_assets.events.features import FEATURES
from cip_assets.events.next_action import NextActionPyfunc

PROPENSITY_REQUIREMENTS = ["lightgbm==4.7.0", "scikit-learn==1.9.1", "pandas==2.3.3", "numpy"]
NEXT_ACTION_REQUIREMENTS = ["lightgbm==4.7.0", "scikit-learn==1.9.1", "torch==2.13.0", "pandas==2.3.3", "numpy"]


class PropensityPyfunc(mlflow.pyfunc.PythonModel):
    """Input: FEATURES per customer at a cutoff; output: purchase_probability within `horizon_days`."""

    def __init__(self, method, horizon_days: float):
        self.method, self.horizon_days = method, float(horizon_days)

    @property
    def features(self) -> list[str]:
        return list(FEATURES)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = model_input.reset_index(drop=True)
        return pd.DataFrame({"purchase_probability": self.method.probability(frame)})


def _python_model(loaded: mlflow.pyfunc.PyFuncModel):
    try:
        return loaded.unwrap_python_model()
    except Exception:  # noqa: BLE001 - another flavor (the older bare LightGBM) has no python model
        return None


def is_propensity_pyfunc(loaded: mlflow.pyfunc.PyFuncModel) -> bool:
    """Whether a loaded version is this pyfunc (versions before it were bare LightGBM models)."""
    return isinstance(_python_model(loaded), PropensityPyfunc)


def is_next_action_pyfunc(loaded: mlflow.pyfunc.PyFuncModel) -> bool:
    return isinstance(_python_model(loaded), NextActionPyfunc)


def next_action_method(loaded: mlflow.pyfunc.PyFuncModel) -> str:
    """The method inside a next-action pyfunc: markov_chain, lightgbm_ngrams or gru."""
    return getattr(getattr(_python_model(loaded), "model", None), "name", "")
