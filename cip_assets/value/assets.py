"""Customer value (BG/NBD + Gamma-Gamma, checked out of time) and segments, as Dagster assets."""

from datetime import timedelta

import dagster as dg
import mlflow
import pandas as pd

from cip_assets.churn.assets import STAGING_INPUTS
from cip_assets.value.clv import evaluate_out_of_time, score_customer_value, spend_features
from cip_assets.value.segments import segment_customers
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource, replace_table

LINES_SQL = """SELECT customer_id, order_id, ordered_at, quantity, unit_price, discount_pct, line_status AS status
               FROM staging.stg_order_lines WHERE customer_id IS NOT NULL"""
SEGMENT_FEATURES = ["frequency", "days_since_last_order", "revenue", "T", "avg_basket", "spend_90d"]


MIN_CUSTOMERS = 50


def _lines_and_as_of(warehouse: WarehouseResource) -> tuple[pd.DataFrame, pd.Timestamp] | None:
    """Identified order lines and the scoring date (the day after the last completed order),
    or None when fewer than MIN_CUSTOMERS customers have completed orders."""
    with warehouse.get_connection() as con:
        lines = con.execute(LINES_SQL).df()
    completed = lines[lines.status == "completed"]
    if completed.customer_id.nunique() < MIN_CUSTOMERS:
        return None
    return lines, completed.ordered_at.max().normalize() + timedelta(days=1)


def _write(warehouse: WarehouseResource, table: str, frame: pd.DataFrame) -> None:
    with warehouse.get_connection() as con:
        replace_table(con, "ml", table, frame)


@dg.asset(key=["ml", "customer_value"], group_name="ml", deps=STAGING_INPUTS, kinds={"scipy", "mlflow"},
          owners=["team:data-science"])
def customer_value(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                   mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Expected purchases and spend in the next horizon, 12-month value and P(alive) per customer, from a
    BG/NBD + Gamma-Gamma fit; evaluated out of time against the naive rate and a LightGBM spend model."""
    horizon = settings.config().churn_horizon_days
    loaded = _lines_and_as_of(warehouse)
    if loaded is None:
        return dg.MaterializeResult(metadata={"skipped": f"fewer than {MIN_CUSTOMERS} customers with completed orders"})
    lines, as_of = loaded
    evaluation = evaluate_out_of_time(lines, as_of - timedelta(days=horizon), horizon)
    with mlflow_tracking.start_run("customer_value", context.run_id, "customer_value") as run:
        mlflow.log_params({"horizon_days": horizon, "evaluation_cutoff": evaluation["cutoff"],
                           **{f"bgnbd_{k}": v for k, v in evaluation["bgnbd"].items()},
                           **{f"gamma_gamma_{k}": v for k, v in evaluation["gamma_gamma"].items()}})
        mlflow.log_metrics({f"{target}_{method}_{metric}": value
                            for target in ("purchases", "spend") for method, metrics in evaluation[target].items()
                            for metric, value in metrics.items() if isinstance(value, (int, float))})
        mlflow.log_dict(evaluation, "evaluation.json")
    scores = score_customer_value(lines, as_of, horizon)
    scores["as_of"] = as_of
    _write(warehouse, "customer_value", scores)
    table = "\n".join(["| target | method | MAE | RMSE | Spearman |", "|---|---|---|---|---|"] + [
        f"| {target} | {method} | {m['mae']:.3f} | {m['rmse']:.3f} | {m['spearman']:.3f} |"
        for target in ("purchases", "spend") for method, m in evaluation[target].items()])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(scores), "evaluation": dg.MetadataValue.md(table),
        "mlflow_run_id": run.info.run_id, "as_of": str(as_of.date())})


@dg.asset(key=["ml", "customer_segments"], group_name="ml", deps=STAGING_INPUTS, kinds={"sklearn", "mlflow"},
          owners=["team:data-science"])
def customer_segments(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                      mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """KMeans (k by silhouette) and a Gaussian mixture (k by BIC) on scaled RFM and behaviour features,
    PCA coordinates for plots, and a persona per cluster in words."""
    loaded = _lines_and_as_of(warehouse)
    if loaded is None:
        return dg.MaterializeResult(metadata={"skipped": f"fewer than {MIN_CUSTOMERS} customers with completed orders"})
    lines, as_of = loaded
    features = spend_features(lines, as_of)
    features = features[[c for c in SEGMENT_FEATURES if c in features.columns]]
    result = segment_customers(features)
    with mlflow_tracking.start_run("segmentation", context.run_id, "customer_segments") as run:
        mlflow.log_params({"kmeans_k": result.k, "gmm_k": result.gmm_k, "features": ",".join(features.columns)})
        mlflow.log_metrics({**{f"silhouette_k{k}": v for k, v in result.silhouette.items()},
                            **{f"bic_k{k}": v for k, v in result.bic.items()}})
    _write(warehouse, "customer_segments", result.segments)
    personas = result.segments.groupby(["segment_id", "segment_name", "persona"]).size().reset_index(name="customers")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(result.segments), "k": result.k, "gmm_k": result.gmm_k,
        "personas": dg.MetadataValue.md(personas.to_markdown(index=False)), "mlflow_run_id": run.info.run_id})


value_assets = [customer_value, customer_segments]
