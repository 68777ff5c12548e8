"""Customer value (BG/NBD + Gamma-Gamma, checked out of time) and segments, as Dagster assets."""

from datetime import timedelta

import dagster as dg
import mlflow
import pandas as pd

from cip_assets.churn.assets import STAGING_INPUTS
from cip_assets.value.clv import CustomerValueModel, evaluate_out_of_time, order_summary, spend_features
from cip_assets.value.registry import CustomerValuePyfunc, SegmentPyfunc, log_and_register
from cip_assets.value.segments import segment_customers
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource, replace_table

# One row per order and line status, summed inside DuckDB: the value models only need each order's time,
# status and net amount, and this keeps pandas to a fraction of the order-line count.
ORDERS_SQL = """SELECT customer_id, order_id, min(ordered_at) AS ordered_at, line_status AS status, 1 AS quantity,
                       sum(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100)) AS unit_price,
                       0.0 AS discount_pct
                FROM staging.stg_order_lines WHERE customer_id IS NOT NULL GROUP BY customer_id, order_id, status"""
SEGMENT_FEATURES = ["frequency", "days_since_last_order", "revenue", "T", "avg_basket", "spend_90d"]


MIN_CUSTOMERS = 50
VALUE_MODEL, SEGMENT_MODEL = "cip_customer_value", "cip_segments"


def _lines_and_as_of(warehouse: WarehouseResource) -> tuple[pd.DataFrame, pd.Timestamp] | None:
    """Identified orders (one row per order and status) and the scoring date (the day after the last completed order),
    or None when fewer than MIN_CUSTOMERS customers have completed orders."""
    with warehouse.get_connection() as con:
        lines = con.execute(ORDERS_SQL).df()
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
        summary = order_summary(lines, as_of)
        model = CustomerValueModel.fit(summary)
        version = log_and_register(CustomerValuePyfunc(model, horizon), VALUE_MODEL,
                                   summary[["frequency", "recency", "T", "monetary_value"]].head(5))
    purchases = evaluation["purchases"]
    promoted = purchases["bgnbd"]["mae"] < purchases["naive"]["mae"]
    if promoted:  # as for churn: a model replaces its predecessor only when it beats the naive baseline
        mlflow_tracking.client().set_registered_model_alias(VALUE_MODEL, "champion", version)
    scores = model.score(summary, horizon)
    scores["as_of"] = as_of
    _write(warehouse, "customer_value", scores)
    table = "\n".join(["| target | method | MAE | RMSE | Spearman |", "|---|---|---|---|---|"] + [
        f"| {target} | {method} | {m['mae']:.3f} | {m['rmse']:.3f} | {m['spearman']:.3f} |"
        for target in ("purchases", "spend") for method, m in evaluation[target].items()])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(scores), "evaluation": dg.MetadataValue.md(table),
        "mlflow_run_id": run.info.run_id, "as_of": str(as_of.date()), "model_version": version,
        "promoted": promoted})


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
        version = log_and_register(SegmentPyfunc(result.assigner), SEGMENT_MODEL, features.head(5))
    mlflow_tracking.client().set_registered_model_alias(SEGMENT_MODEL, "champion", version)
    _write(warehouse, "customer_segments", result.segments)
    personas = result.segments.groupby(["segment_id", "segment_name", "persona"]).size().reset_index(name="customers")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(result.segments), "k": result.k, "gmm_k": result.gmm_k,
        "personas": dg.MetadataValue.md(personas.to_markdown(index=False)), "mlflow_run_id": run.info.run_id,
        "model_version": version})


value_assets = [customer_value, customer_segments]
