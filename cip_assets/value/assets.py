"""Customer value and segments as Dagster assets: thin wiring. Each model trains weekly (`*_model`, in the
`retrain` job and `build_all`) and its champion scores every night (`refresh`), as churn does: a refresh
re-reads the customers, it does not re-fit. Training, registering and deciding are in `registry.py` and
`cip_resources.lifecycle`; the models in `clv.py` and `segments.py`."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from cip_assets.churn.assets import STAGING_INPUTS
from cip_assets.skip import skipped
from cip_assets.value.registry import (SEGMENT_FEATURES, SEGMENT_METRIC, SEGMENT_MODEL, VALUE_HIGHER_IS_BETTER,
                                       VALUE_METRIC, VALUE_MODEL, CustomerValuePyfunc, SegmentPyfunc, champion_of,
                                       score_segments, score_value, train_segments, train_value, value_table)
from cip_assets.value.summary_sql import customer_summary, scoring_date
from cip_resources.config import CipSettings
from cip_resources.lifecycle import decision_check, store_decision
from cip_resources.mlflow import MlflowResource
from cip_resources.tables import TableSpec, write_table
from cip_resources.warehouse import WarehouseResource

# One row per order and line status, summed inside DuckDB: the value models only need each order's time,
# status and net amount, and this keeps pandas to a fraction of the order-line count.
ORDERS_SQL = """SELECT customer_id, order_id, min(ordered_at) AS ordered_at, line_status AS status, 1 AS quantity,
                       sum(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100)) AS unit_price,
                       0.0 AS discount_pct
                FROM staging.stg_order_lines WHERE customer_id IS NOT NULL GROUP BY customer_id, order_id, status"""
MIN_CUSTOMERS = 50

CUSTOMER_VALUE = TableSpec("ml", "customer_value", {
    "customer_id": "VARCHAR", "expected_purchases_90d": "DOUBLE", "expected_spend_90d": "DOUBLE",
    "value_12m": "DOUBLE", "probability_alive": "DOUBLE", "as_of": "TIMESTAMP", "model_version": "VARCHAR"},
    grain="one row per customer with a completed order before as_of, valued by the cip_customer_value champion")
CUSTOMER_SEGMENTS = TableSpec("ml", "customer_segments", {
    "customer_id": "VARCHAR", "segment_id": "INTEGER", "segment_name": "VARCHAR", "persona": "VARCHAR",
    "pca_x": "DOUBLE", "pca_y": "DOUBLE", "gmm_segment_id": "INTEGER", "model_version": "VARCHAR"},
    grain="one row per customer with a completed order, segmented by the cip_segments champion")


def load_orders(warehouse: WarehouseResource) -> tuple[pd.DataFrame, pd.Timestamp] | str:
    """Identified orders (one row per order and status) and the scoring date (the day after the last completed
    order); a string says why there is too little to model."""
    with warehouse.get_connection() as con:
        lines = con.execute(ORDERS_SQL).df()
    completed = lines[lines.status == "completed"]
    if completed.customer_id.nunique() < MIN_CUSTOMERS:
        return f"fewer than {MIN_CUSTOMERS} customers with completed orders"
    return lines, completed.ordered_at.max().normalize() + timedelta(days=1)


def load_summary(warehouse: WarehouseResource) -> tuple[pd.DataFrame, pd.Timestamp] | str:
    """Every customer's value and segment inputs as of the day after the last completed order, computed in
    the warehouse (nightly scoring); a string says why there is too little to score."""
    with warehouse.get_connection() as con:
        as_of = scoring_date(con)
        summary = customer_summary(con, as_of) if as_of is not None else None
    if summary is None or len(summary) < MIN_CUSTOMERS:
        return f"fewer than {MIN_CUSTOMERS} customers with completed orders"
    return summary, as_of


def segment_inputs(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[[c for c in SEGMENT_FEATURES if c in summary.columns]]


@dg.asset(key=["ml", "customer_value_model"], group_name="ml", deps=STAGING_INPUTS, kinds={"scipy", "mlflow"},
          owners=["team:data-science"])
def customer_value_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                         mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """`cip_customer_value`: BG/NBD + Gamma-Gamma fitted before `as_of - horizon` and judged on the spend in
    the horizon after it (MAE, lower is better) beside the naive rate; the better one is registered, and
    promoted unless the current champion, re-scored on the same customers, does better. Weekly."""
    loaded = load_orders(warehouse)
    if isinstance(loaded, str):
        return skipped(context, loaded)
    lines, as_of = loaded
    lifecycle = mlflow_tracking.lifecycle(VALUE_MODEL, VALUE_METRIC, higher_is_better=VALUE_HIGHER_IS_BETTER)
    run_id, evaluation, decision = train_value(lifecycle, mlflow_tracking, context.run_id, lines, as_of,
                                               settings.config().churn_horizon_days)
    with warehouse.get_connection() as con:
        store_decision(con, decision)
    (context.log.info if decision.model_beats_baselines else context.log.warning)(decision.summary)
    return dg.MaterializeResult(metadata={
        "evaluation": dg.MetadataValue.md(value_table(evaluation.result)), "decision": decision.summary,
        "mlflow_run_id": run_id, "as_of": str(as_of.date()), "model_version": decision.candidate_version,
        "champion_version": decision.champion_version, "champion_method": decision.champion_method,
        "promoted": decision.promoted})


@dg.asset_check(asset=customer_value_model, name="beats_baselines", blocking=False,
                description="WARN when BG/NBD + Gamma-Gamma did not win on out-of-time spend error: the figures, "
                            "and which method is champion. Never blocks: the champion still values customers.")
def customer_value_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, VALUE_MODEL)


@dg.asset(key=["ml", "customer_value"], group_name="ml", deps=[customer_value_model, *STAGING_INPUTS],
          kinds={"scipy", "duckdb"}, owners=["team:data-science"])
def customer_value(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Expected purchases and spend in the next horizon, 12-month value and P(alive) of every customer with a
    completed order, from the `cip_customer_value` champion as it stands."""
    lifecycle = mlflow_tracking.lifecycle(VALUE_MODEL, VALUE_METRIC, higher_is_better=VALUE_HIGHER_IS_BETTER)
    champion = champion_of(lifecycle, CustomerValuePyfunc)
    loaded = load_summary(warehouse)
    if isinstance(champion, str) or isinstance(loaded, str):
        return skipped(context, champion if isinstance(champion, str) else loaded)
    (version, method, model), (summary, as_of) = champion, loaded
    scores = score_value(model, summary, version, as_of)
    with warehouse.get_connection() as con:
        write_table(con, CUSTOMER_VALUE, scores)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(scores), "as_of": str(as_of.date()),
                                          "model_version": version, "method": method})


@dg.asset(key=["ml", "customer_segments_model"], group_name="ml", deps=STAGING_INPUTS,
          kinds={"sklearn", "mlflow"}, owners=["team:data-science"])
def customer_segments_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                            mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """`cip_segments`: KMeans (k by silhouette) and a Gaussian mixture (k by BIC) on scaled RFM and behaviour
    features, PCA coordinates for plots, a persona per cluster in words. There is no out-of-time test for a
    segmentation: the new one replaces the champion unless the champion's segments of today's customers have
    the better silhouette (see `registry.py`). Weekly."""
    loaded = load_summary(warehouse)
    if isinstance(loaded, str):
        return skipped(context, loaded)
    lifecycle = mlflow_tracking.lifecycle(SEGMENT_MODEL, SEGMENT_METRIC)
    trained = train_segments(lifecycle, mlflow_tracking, context.run_id, segment_inputs(loaded[0]))
    decision = trained.decision
    with warehouse.get_connection() as con:
        store_decision(con, decision)
    (context.log.info if decision.promoted else context.log.warning)(decision.summary)
    return dg.MaterializeResult(metadata={
        "k": trained.result.k, "gmm_k": trained.result.gmm_k, "mlflow_run_id": trained.run_id,
        "decision": decision.summary, "model_version": decision.candidate_version,
        "champion_version": decision.champion_version, "promoted": decision.promoted})


@dg.asset_check(asset=customer_segments_model, name="kept_or_promoted", blocking=False,
                description="WARN when the new segmentation did not replace the champion (its segments of today's "
                            "customers separate them better). Never blocks: the champion's segments are published.")
def customer_segments_decision(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, SEGMENT_MODEL)


@dg.asset(key=["ml", "customer_segments"], group_name="ml", deps=[customer_segments_model, *STAGING_INPUTS],
          kinds={"sklearn", "duckdb"}, owners=["team:data-science"])
def customer_segments(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                      mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Every customer with a completed order in the `cip_segments` champion's segments (ids, names, personas
    stay those of the champion until a retrain replaces it)."""
    champion = champion_of(mlflow_tracking.lifecycle(SEGMENT_MODEL, SEGMENT_METRIC), SegmentPyfunc)
    loaded = load_summary(warehouse)
    if isinstance(champion, str) or isinstance(loaded, str):
        return skipped(context, champion if isinstance(champion, str) else loaded)
    (version, _, model), (summary, _) = champion, loaded
    segments = score_segments(model, segment_inputs(summary), version)
    with warehouse.get_connection() as con:
        write_table(con, CUSTOMER_SEGMENTS, segments)
    personas = segments.groupby(["segment_id", "segment_name", "persona"]).size().reset_index(name="customers")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(segments), "model_version": version,
                                          "personas": dg.MetadataValue.md(personas.to_markdown(index=False))})


value_assets = [customer_value_model, customer_value, customer_segments_model, customer_segments]
value_checks = [customer_value_beats_baselines, customer_segments_decision]
