"""The value and segmentation models as self-contained MLflow pyfuncs, trained, registered and decided through
the one lifecycle (cip_resources.lifecycle), as plain functions the assets wire.

cip_customer_value: judged on `spend_mae`, the out-of-time mean absolute error of expected spend over the
horizon (lower is better). The evaluation fits BG/NBD + Gamma-Gamma before `as_of - horizon` and scores the
horizon after it, beside the naive rate (net spend / T); the better of the two is registered, fitted exactly
as evaluated, and the current champion is re-scored on the same customers and horizon. The LightGBM spend
model is reported beside them but not registrable: it predicts spend only, not purchases, value or P(alive).

cip_segments: a segmentation has no outcome to check out of time. The figure is the silhouette (higher is
better) of the candidate's segments of today's customers; the champion is re-scored as the silhouette of its
own assignment of the same customers, in the candidate's feature space on the same sample. That comparison
is in-sample for the candidate (it was fitted on these customers), so it is a stability rule, not an
out-of-time test: the champion's segments (ids, names, personas) stay unless the new ones separate today's
customers at least as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd

from cip_assets.value.clv import CustomerValueModel, OutOfTime, naive_value, out_of_time
from cip_assets.value.segments import SegmentAssigner, SegmentationResult, segment_customers, silhouette_in
from cip_resources.lifecycle import Decision, ModelLifecycle

PIP_REQUIREMENTS = ["scipy==1.17.1", "scikit-learn==1.9.1", "pandas==2.3.3", "numpy"]
VALUE_MODEL, SEGMENT_MODEL = "cip_customer_value", "cip_segments"
VALUE_METRIC, VALUE_HIGHER_IS_BETTER = "spend_mae", False
SEGMENT_METRIC = "silhouette"
VALUE_INPUTS = ["frequency", "recency", "T", "monetary_value", "revenue"]  # order_summary's columns
VALUE_METHODS = ("bgnbd_gamma_gamma", "naive")  # registrable: they give every value column
SEGMENT_FEATURES = ["frequency", "days_since_last_order", "revenue", "T", "avg_basket", "spend_90d"]
K_RANGE = range(2, 9)
FORMAT = 2  # the self-contained pyfuncs; version 1 (before the lifecycle) is replaced at the next training


class CustomerValuePyfunc(mlflow.pyfunc.PythonModel):
    """Input: an order summary (VALUE_INPUTS); output: expected_purchases_90d, expected_spend_90d, value_12m,
    probability_alive, from whichever method won (BG/NBD + Gamma-Gamma, or the naive rate)."""

    def __init__(self, method: str, model: CustomerValueModel | None, horizon_days: float):
        self.method, self.model, self.horizon_days, self.format = method, model, float(horizon_days), FORMAT

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = model_input.reset_index(drop=True)
        if self.method == "naive":
            return naive_value(frame, self.horizon_days).reset_index(drop=True)
        return self.model.score(frame, self.horizon_days).drop(columns="customer_id").reset_index(drop=True)


class SegmentPyfunc(mlflow.pyfunc.PythonModel):
    """Input: the segmentation features; output: every column of ml.customer_segments but customer_id."""

    def __init__(self, assigner: SegmentAssigner):
        self.assigner, self.format = assigner, FORMAT

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.assigner.describe(model_input.reset_index(drop=True))


def is_current(loaded: mlflow.pyfunc.PyFuncModel, kind: type) -> bool:
    """Whether a loaded registered model is this package's self-contained pyfunc of `kind`."""
    try:
        model = loaded.unwrap_python_model()
    except Exception:  # noqa: BLE001 - another flavor has no python model to unwrap
        return False
    return isinstance(model, kind) and getattr(model, "format", None) == FORMAT


def champion_of(lifecycle: ModelLifecycle, kind: type) -> tuple[str, str, mlflow.pyfunc.PyFuncModel] | str:
    """The champion's version, method and loaded pyfunc, or why there is none to score with."""
    version = lifecycle.version("champion")
    if version is None:
        return f"no {lifecycle.name} champion yet: `build_all` or the weekly `retrain` trains one"
    loaded = lifecycle.load(str(version.version))
    if not is_current(loaded, kind):
        return (f"{lifecycle.name} champion v{version.version} predates the self-contained {kind.__name__}; run "
                "the `retrain` job to register one (the previous scores stay published)")
    return str(version.version), lifecycle.method_of(version), loaded


def _require_current(champion, kind: type) -> object:
    if not is_current(champion, kind):
        raise ValueError(f"registered before the self-contained {kind.__name__}")
    return champion.unwrap_python_model()


# --- customer value ------------------------------------------------------------------------------
def value_scores(evaluation: OutOfTime) -> dict[str, float]:
    """Out-of-time spend MAE of every registrable method."""
    return {m: evaluation.result["spend"][m]["mae"] for m in VALUE_METHODS}


def train_value(lifecycle: ModelLifecycle, tracking, dagster_run_id: str, lines: pd.DataFrame, as_of: pd.Timestamp,
                horizon: int) -> tuple[str, OutOfTime, Decision]:
    """Evaluate out of time, log the run, register the better method, decide. Returns (run id, evaluation,
    decision)."""
    evaluation = out_of_time(lines, as_of - pd.Timedelta(days=horizon), horizon)
    result, scores = evaluation.result, value_scores(evaluation)
    method = lifecycle.best_method(scores)
    with tracking.start_run("customer_value", dagster_run_id, "customer_value") as run:
        mlflow.log_params({"horizon_days": horizon, "evaluation_cutoff": result["cutoff"], "registered_method": method,
                           **{f"bgnbd_{k}": v for k, v in result["bgnbd"].items()},
                           **{f"gamma_gamma_{k}": v for k, v in result["gamma_gamma"].items()}})
        mlflow.log_metrics({f"{target}_{name}_{metric}": value
                            for target in ("purchases", "spend") for name, metrics in result[target].items()
                            for metric, value in metrics.items() if isinstance(value, (int, float))})
        mlflow.log_dict(result, "evaluation.json")
        python_model = CustomerValuePyfunc(method, evaluation.model if method == "bgnbd_gamma_gamma" else None,
                                           horizon)
        version = lifecycle.register(
            python_model, method=method, trained_method="bgnbd_gamma_gamma", scores=scores,
            input_example=evaluation.features[VALUE_INPUTS].head(5), pip_requirements=PIP_REQUIREMENTS,
            card=f"Fitted before {result['cutoff']}, as evaluated; horizon {horizon} days.")
    inputs, actual = evaluation.features[VALUE_INPUTS], evaluation.truth["spend"].to_numpy(float)

    def rescore(champion) -> float:  # the champion on the same customers and horizon
        model = _require_current(champion, CustomerValuePyfunc)
        if model.horizon_days != float(horizon):
            raise ValueError(f"a {model.horizon_days:g}-day model cannot be judged on a {horizon}-day horizon")
        predicted = champion.predict(inputs)["expected_spend_90d"].to_numpy(float)
        return float(np.abs(predicted - actual).mean())

    return run.info.run_id, evaluation, lifecycle.decide(version, scores, "bgnbd_gamma_gamma", rescore)


def score_value(champion, summary: pd.DataFrame, version: str, as_of) -> pd.DataFrame:
    """The champion's value columns for every customer of `summary` (indexed by customer_id)."""
    out = champion.predict(summary[VALUE_INPUTS])
    out.insert(0, "customer_id", summary.index.astype(str))
    return out.assign(as_of=pd.Timestamp(as_of), model_version=str(version))


def value_table(result: dict) -> str:
    return "\n".join(["| target | method | MAE | RMSE | Spearman |", "|---|---|---|---|---|"] + [
        f"| {target} | {method} | {m['mae']:.3f} | {m['rmse']:.3f} | {m['spearman']:.3f} |"
        for target in ("purchases", "spend") for method, m in result[target].items()])


# --- segments ------------------------------------------------------------------------------------
@dataclass
class SegmentTraining:
    result: SegmentationResult
    features: pd.DataFrame  # indexed by customer_id
    run_id: str
    decision: Decision


def train_segments(lifecycle: ModelLifecycle, tracking, dagster_run_id: str,
                   features: pd.DataFrame, k_range=None) -> SegmentTraining:
    """Segment today's customers, log the run, register the segmentation, decide (see the module docstring)."""
    result = segment_customers(features, k_range=k_range or K_RANGE)
    candidate_ids = result.assigner.predict(features)
    scores = {"kmeans": silhouette_in(result.assigner, features, candidate_ids)}
    with tracking.start_run("segmentation", dagster_run_id, "customer_segments") as run:
        mlflow.log_params({"kmeans_k": result.k, "gmm_k": result.gmm_k, "features": ",".join(features.columns)})
        mlflow.log_metrics({**{f"silhouette_k{k}": v for k, v in result.silhouette.items()},
                            **{f"bic_k{k}": v for k, v in result.bic.items()}, "silhouette": scores["kmeans"]})
        version = lifecycle.register(SegmentPyfunc(result.assigner), method="kmeans", trained_method="kmeans",
                                     scores=scores, input_example=features.head(5), pip_requirements=PIP_REQUIREMENTS,
                                     card=f"KMeans k={result.k} (silhouette), Gaussian mixture k={result.gmm_k} (BIC).")

    def rescore(champion) -> float:  # the champion's segments of the same customers, on the same ruler
        _require_current(champion, SegmentPyfunc)
        return silhouette_in(result.assigner, features, champion.predict(features)["segment_id"].to_numpy())

    decision = lifecycle.decide(version, scores, "kmeans", rescore)
    return SegmentTraining(result, features, run.info.run_id, decision)


def score_segments(champion, features: pd.DataFrame, version: str) -> pd.DataFrame:
    out = champion.predict(features)
    out.insert(0, "customer_id", features.index.astype(str))
    return out.assign(model_version=str(version))
