"""Monitoring assets: model health, Evidently drift, data quality per run, and the alerts table (the sensors
that deliver alerts are in sensors.py; the tables are declared in tables.py)."""

from datetime import datetime, timedelta

import dagster as dg
import duckdb
import mlflow
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from cip_assets.churn.assets import SCORING_INPUTS, churn_scores
from cip_assets.churn.training import REGISTERED_MODEL
from cip_assets.ingest.assets import ingest_assets
from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.monitoring.alerts import (acknowledged_ids, data_quality_alerts, drift_alerts, kpi_alerts, reconcile,
                                          risk_alerts, sentiment_alerts, thresholds_of, topic_alerts)
from cip_assets.monitoring.drift import TRAINING_DRIFT, feedback_windows, scoring_samples, summary_rows
from cip_assets.monitoring.health import log_scores, model_performance
from cip_assets.monitoring.quality import check_results, null_share_jumps, summarise_checks
from cip_assets.monitoring.tables import (CHECK_RESULTS, DATA_QUALITY, DRIFT_SUMMARY, MODEL_PERFORMANCE,
                                          NULL_SHARE_JUMPS)
from cip_assets.serving.privacy import safe_markdown
from cip_assets.skip import skipped
from cip_assets.value.assets import customer_value
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.tables import table_exists, write_table
from cip_resources.warehouse import WarehouseResource

NLP_KEYS = [dg.AssetKey(["nlp", "feedback_sentiment"]), dg.AssetKey(["nlp", "feedback_topic_trend"])]
DAILY_KPIS = get_asset_key_for_model([cip_dbt_assets], "daily_kpis")
STG_FEEDBACK = get_asset_key_for_model([cip_dbt_assets], "stg_feedback")
STG_ORDER_LINES = get_asset_key_for_model([cip_dbt_assets], "stg_order_lines")
RAW_TABLE_KEYS = [a.key for a in ingest_assets]  # the ingest ledger and the raw tables' empty-column scan


@dg.asset(key=["monitoring", "model_performance"], group_name="monitoring", deps=[churn_scores, STG_ORDER_LINES],
          kinds={"duckdb"}, owners=["team:data-science"])
def model_performance_asset(warehouse: WarehouseResource, settings: CipSettings) -> dg.MaterializeResult:
    """Logs each scoring (monitoring.score_log) and grades earlier scorings whose horizon has passed:
    score distribution, share per risk band and realised ROC-AUC per scoring date."""
    horizon = settings.config().churn_horizon_days
    with warehouse.get_connection() as con:
        scores = con.execute("SELECT * FROM ml.churn_scores").df() if table_exists(con, "ml", "churn_scores") else pd.DataFrame()
        logged = log_scores(con, scores)
        if not table_exists(con, "staging", "stg_order_lines"):
            return skipped(None, "no order lines to grade scorings against")
        performance = model_performance(con, horizon)
        write_table(con, MODEL_PERFORMANCE, performance)
    graded = performance.dropna(subset=["realised_roc_auc"])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(performance), "scores_logged": logged, "scorings_graded": len(graded),
        "latest_realised_roc_auc": float(graded.realised_roc_auc.iloc[-1]) if len(graded) else None})


@dg.asset(key=["monitoring", "drift_summary"], group_name="monitoring", deps=[model_performance_asset, churn_scores, *SCORING_INPUTS, *NLP_KEYS],
          kinds={"evidently"}, owners=["team:data-science"])
def drift_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                  mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Evidently drift, four comparisons: the churn features tonight's scoring used against the champion's
    training sample (logged with its MLflow run; the `drift_below_threshold` check), and against the previous
    scoring's; the churn scores against the previous scoring's; new feedback (text length, sentiment) against
    older. The scorings' samples are kept by `ml/churn_scores`. HTML reports go to CIP_HOME/reports and to the
    champion's MLflow run."""
    lifecycle = mlflow_tracking.lifecycle(REGISTERED_MODEL, "roc_auc")
    champion = lifecycle.version("champion")
    reports_dir = settings.paths().reports / datetime.now().strftime("drift-%Y%m%dT%H%M%S")
    measured_at, pairs = datetime.now(), {}
    with warehouse.get_connection() as con:
        samples = scoring_samples(con)
        if champion is not None and samples:
            reference = pd.read_parquet(mlflow.artifacts.download_artifacts(
                run_id=champion.run_id, artifact_path="reference.parquet"))
            current = samples[0]
            pairs[TRAINING_DRIFT] = (reference, current.reindex(columns=list(reference.columns)))
            if len(samples) > 1:
                previous = samples[1]
                shared = [c for c in reference.columns if c in previous.columns and c in current.columns]
                pairs["churn features"] = (previous[shared], current[shared])
                pairs["churn scores"] = (previous[["churn_probability"]], current[["churn_probability"]])
        feedback = feedback_windows(con)
        if feedback is not None:
            pairs["feedback"] = feedback
    if not pairs:
        return skipped(context, "no champion model and no feedback to compare")
    summary, reports = summary_rows(pairs, reports_dir, measured_at, context.log.info)
    if champion is not None and reports:
        for path in reports.values():
            lifecycle.client.log_artifact(champion.run_id, path, artifact_path="drift")
    with warehouse.get_connection() as con:
        if len(summary):
            write_table(con, DRIFT_SUMMARY, summary, mode="append")
    shares = summary.groupby("kind").drifted.mean().to_dict() if len(summary) else {}
    return dg.MaterializeResult(metadata={
        "drifted_share": dg.MetadataValue.json({k: round(float(v), 3) for k, v in shares.items()}),
        "drifted_columns": dg.MetadataValue.json(
            {k: sorted(g.loc[g.drifted, "column_name"]) for k, g in summary.groupby("kind")} if len(summary) else {}),
        "reports": dg.MetadataValue.json(reports)})


@dg.asset_check(asset=drift_summary, name="drift_below_threshold",
                description="Warns when the share of churn features drifted from the model's training sample "
                "reaches monitoring.drift_share: retraining is suggested.")
def drift_below_threshold(warehouse: WarehouseResource, settings: CipSettings) -> dg.AssetCheckResult:
    limit = thresholds_of(settings)["drift_share"]
    with warehouse.get_connection() as con:
        if not table_exists(con, "monitoring", "drift_summary"):
            return dg.AssetCheckResult(passed=True, metadata={"note": "no drift measured yet"})
        share, columns = con.execute("""SELECT avg(drifted::INT), string_agg(CASE WHEN drifted THEN column_name END, ', ')
            FROM monitoring.drift_summary WHERE kind = ?
              AND measured_at = (SELECT max(measured_at) FROM monitoring.drift_summary)""", [TRAINING_DRIFT]).fetchone()
    if share is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no champion model to compare with"})
    return dg.AssetCheckResult(passed=share < limit, severity=dg.AssetCheckSeverity.WARN, metadata={
        "drifted_share": float(share), "threshold": limit, "drifted_columns": columns or "",
        "suggestion": "retrain (the `retrain` job)" if share >= limit else "none"})


@dg.asset(key=["monitoring", "data_quality"], group_name="monitoring", deps=[DAILY_KPIS, STG_FEEDBACK, *RAW_TABLE_KEYS],
          kinds={"duckdb"}, owners=["team:data-engineering"])
def data_quality(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 settings: CipSettings) -> dg.MaterializeResult:
    """One row per run: Great Expectations checks and dbt tests passed, warned and failed (their latest
    outcomes), rows rejected since the previous summary, and columns of raw tables that suddenly went empty."""
    keys = list(context.job_def.asset_layer.asset_graph.asset_check_keys)  # the checks this job can run
    results = check_results(context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys))
    summary = summarise_checks(results.assign(check_name=results.asset + ":" + results.check_name))
    jump = thresholds_of(settings)["null_share_jump"]
    with warehouse.get_connection() as con:
        since = (con.execute("SELECT max(checked_at) FROM monitoring.data_quality").fetchone()[0]
                 if table_exists(con, "monitoring", "data_quality") else None)
        rejected = con.execute("SELECT coalesce(sum(rows_rejected), 0) FROM raw.ingest_ledger WHERE ingested_at > ?",
                               [since or datetime(1900, 1, 1)]).fetchone()[0] if table_exists(con, "raw", "ingest_ledger") else 0
        jumps = null_share_jumps(con, jump)
        counts = {"checks": int(summary["checks"]), "passed": int(summary["passed"]), "warned": summary["warned"],
                  "failed": summary["failed"], "rows_rejected": int(rejected),
                  "failed_checks": ", ".join(summary["failed_checks"]),
                  "warned_checks": ", ".join(summary["warned_checks"]),
                  "emptied_columns": ", ".join(jumps.table_name + "." + jumps.column_name)}
        write_table(con, DATA_QUALITY, pd.DataFrame([{"run_id": context.run_id, "checked_at": datetime.now(), **counts}]),
                    mode="append")
        write_table(con, CHECK_RESULTS, results)
        write_table(con, NULL_SHARE_JUMPS, jumps)
    return dg.MaterializeResult(metadata=counts)


@dg.asset(key=["monitoring", "alerts"], group_name="monitoring",
          deps=[model_performance_asset, drift_summary, data_quality, DAILY_KPIS, churn_scores, customer_value.key,
                *NLP_KEYS, *RAW_TABLE_KEYS],
          kinds={"duckdb"}, owners=["team:data-science"])
def alerts(warehouse: WarehouseResource, settings: CipSettings) -> dg.MaterializeResult:
    """Every alert rule over the latest data, reconciled with the open alerts so nothing re-alerts nightly;
    acknowledgements recorded by the dashboard or `cip alerts ack` are folded in."""
    t = thresholds_of(settings)
    with warehouse.get_connection() as con:
        latest = (con.execute("SELECT failed_checks FROM monitoring.data_quality ORDER BY checked_at DESC LIMIT 1"
                              ).fetchone() if table_exists(con, "monitoring", "data_quality") else None)
        failed = [c for c in (latest[0] or "").split(", ") if c] if latest else []
        jumps = con.execute("SELECT * FROM monitoring.null_share_jumps").df() if table_exists(
            con, "monitoring", "null_share_jumps") else None
        candidates = (risk_alerts(con, t) + sentiment_alerts(con, t) + topic_alerts(con, t) + kpi_alerts(con, t)
                      + drift_alerts(con, t) + data_quality_alerts(con, t, failed, jumps))
        outcome = reconcile(con, candidates, acknowledged_ids(settings.paths().home))
        open_alerts = con.execute("SELECT severity, kind, entity, message FROM monitoring.alerts WHERE status = 'open' "
                                  "ORDER BY created_at DESC LIMIT 20").df()
    return dg.MaterializeResult(metadata={
        **outcome, "conditions": len(candidates),
        "open": dg.MetadataValue.md(safe_markdown(open_alerts, 20, "none"))})  # messages scrubbed


PUBLISHED = dg.AssetKey(["serving", "published"])


@dg.asset_check(asset=PUBLISHED, name="published_is_fresh",
                description="Warns when the published copy is older than monitoring.max_publish_age_hours.")
def published_is_fresh(settings: CipSettings) -> dg.AssetCheckResult:
    limit = thresholds_of(settings)["max_publish_age_hours"]
    database = settings.paths().published_db
    if not database.exists():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"reason": f"{database} does not exist"})
    age = (datetime.now() - datetime.fromtimestamp(database.stat().st_mtime)) / timedelta(hours=1)
    with duckdb.connect(str(database), read_only=True) as con:
        last_day = con.execute("SELECT max(order_date) FROM marts.daily_kpis").fetchone()[0] if table_exists(
            con, "marts", "daily_kpis") else None
    return dg.AssetCheckResult(passed=age <= limit, severity=dg.AssetCheckSeverity.WARN, metadata={
        "age_hours": round(age, 2), "threshold_hours": limit, "latest_order_day": str(last_day)})


monitoring_assets = [model_performance_asset, drift_summary, data_quality, alerts]
monitoring_checks = [drift_below_threshold, published_is_fresh]
