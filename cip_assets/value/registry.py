"""The value and segmentation models as MLflow pyfunc models, so the registry holds every model family
(cip_customer_value, cip_segments) beside the churn model and any tool can load and apply them."""

from __future__ import annotations

import mlflow
import pandas as pd

from cip_assets.value.clv import CustomerValueModel
from cip_assets.value.segments import SegmentAssigner

PIP_REQUIREMENTS = ["scipy==1.17.1", "scikit-learn==1.9.1", "pandas==2.3.3"]


class CustomerValuePyfunc(mlflow.pyfunc.PythonModel):
    """Input: an order summary (frequency, recency, T, monetary_value); output: the value columns."""

    def __init__(self, model: CustomerValueModel, horizon_days: float):
        self.model, self.horizon_days = model, horizon_days

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.model.score(model_input, self.horizon_days).drop(columns="customer_id")


class SegmentPyfunc(mlflow.pyfunc.PythonModel):
    """Input: the segmentation features; output: segment_id and segment_name."""

    def __init__(self, assigner: SegmentAssigner):
        self.assigner = assigner

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        ids = self.assigner.predict(model_input)
        return pd.DataFrame({"segment_id": ids, "segment_name": [self.assigner.names[i] for i in ids]})


def log_and_register(python_model: mlflow.pyfunc.PythonModel, registered_name: str,
                     input_example: pd.DataFrame) -> str:
    """Log into the active run and register; returns the new version."""
    info = mlflow.pyfunc.log_model(name="model", python_model=python_model, input_example=input_example,
                                   registered_model_name=registered_name, pip_requirements=PIP_REQUIREMENTS)
    return str(info.registered_model_version)
