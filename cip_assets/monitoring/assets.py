"""Monitoring assets: model health, Evidently drift, data quality per run, and the alerts table; the sensors
that deliver new alerts and failed runs to the notifier."""

from datetime import datetime, timedelta, timezone

import dagster as dg
import duckdb
import mlflow
import pandas as pd
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster_dbt import get_asset_key_for_model

from cip_assets.churn.assets import (REGISTERED_MODEL, SCORING_INPUTS, active_customers_to_score, churn_scores,
                                     labelled_customers_to_score)
from cip_assets.ingest.assets import ingest_assets
from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.monitoring.alerts import (acknowledged_ids, data_quality_alerts, deliver, drift_alerts, kpi_alerts,
                                          reconcile, risk_alerts, sentiment_alerts, thresholds, topic_alerts)
from cip_assets.monitoring.drift import measure_drift
from cip_assets.monitoring.health import log_scores, model_performance
from cip_assets.monitoring.quality import null_share_jumps, summarise_checks
from cip_assets.serving.privacy import safe_markdown
from cip_assets.value.assets import customer_value
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.notifier import NotifierResource
from cip_resources.settings import paths
from cip_resources.warehouse import WarehouseResource, replace_table, table_exists

NLP_KEYS = [dg.AssetKey(["nlp", "feedback_sentiment"]), dg.AssetKey(["nlp", "feedback_topic_trend"])]
DAILY_KPIS = get_asset_key_for_model([cip_dbt_assets], "daily_kpis")
STG_FEEDBACK = get_asset_key_for_model([cip_dbt_assets], "stg_feedback")
STG_ORDER_LINES = get_asset_key_for_model([cip_dbt_assets], "stg_order_lines")
RAW_TABLE_KEYS = [a.key for a in ingest_assets]  # the ingest ledger and the raw tables' empty-column scan
FEEDBACK_WINDOW_DAYS = 30
TRAINING_DRIFT = "churn features vs training"  # measured and checked, but not an alert: see drift_alerts


def _monitoring_config(settings: CipSettings) -> dict:
    return thresholds(settings.config().raw.get("monitoring"))


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
            return dg.MaterializeResult(metadata={"skipped": "no order lines to grade scorings against"})
        performance = model_performance(con, horizon)
        replace_table(con, "monitoring", "model_performance", performance)
    graded = performance.dropna(subset=["realised_roc_auc"])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(performance), "scores_logged": logged, "scorings_graded": len(graded),
        "latest_realised_roc_auc": float(graded.realised_roc_auc.iloc[-1]) if len(graded) else None})


@dg.asset(key=["monitoring", "drift_summary"], group_name="monitoring", deps=[model_performance_asset, churn_scores, *SCORING_INPUTS, *NLP_KEYS],
          kinds={"evidently"}, owners=["team:data-science"])
def drift_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                  mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Evidently drift, four comparisons: today's churn features against the champion's training sample
    (logged with its MLflow run; the `drift_below_threshold` check), and against the previous scoring's;
    the churn scores against the previous scoring's; new feedback (text length, sentiment) against older.
    HTML reports go to CIP_HOME/reports and to the champion's MLflow run."""
    client = mlflow_tracking.client()
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    except mlflow.exceptions.MlflowException:
        champion = None
    reports_dir = settings.paths().reports / datetime.now().strftime("drift-%Y%m%dT%H%M%S")
    measured_at, pairs = datetime.now(), {}
    with warehouse.get_connection() as con:
        if champion is not None and table_exists(con, "ml", "churn_scores"):
            reference = pd.read_parquet(mlflow.artifacts.download_artifacts(
                run_id=champion.run_id, artifact_path="reference.parquet"))
            features = list(reference.columns)
            if client.get_run(champion.run_id).data.tags.get("mode") == "labelled":
                current, _ = labelled_customers_to_score(con, features)
            else:
                current, _ = active_customers_to_score(con)
            current = _stable_sample(current).merge(
                con.execute("SELECT customer_id, churn_probability FROM ml.churn_scores").df(), on="customer_id")
            pairs[TRAINING_DRIFT] = (reference, current[features])
            previous = _latest_scoring_features(con)
            if previous is not None:
                shared = [c for c in features if c in previous.columns]
                pairs["churn features"] = (previous[shared], current[shared])
                pairs["churn scores"] = (previous[["churn_probability"]], current[["churn_probability"]])
            _append(con, "monitoring", "scoring_features", current.assign(scored_at=measured_at))
        feedback = _feedback_windows(con)
        if feedback is not None:
            pairs["feedback"] = feedback
    if not pairs:
        return dg.MaterializeResult(metadata={"skipped": "no champion model and no feedback to compare"})

    rows, reports = [], {}
    for kind, (reference, current) in pairs.items():
        if len(reference) < 30 or len(current) < 30:
            context.log.info(f"{kind}: too few rows to measure drift ({len(reference)} vs {len(current)})")
            continue
        result = measure_drift(reference, current, reports_dir / f"{kind.replace(' ', '_')}.html")
        reports[kind] = str(result.report_path)
        rows.append(result.columns.rename(columns={"column": "column_name"}).assign(
            kind=kind, measured_at=measured_at, report_path=str(result.report_path),
            reference_rows=len(reference), current_rows=len(current)))
    summary = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if champion is not None and reports:
        for path in reports.values():
            client.log_artifact(champion.run_id, path, artifact_path="drift")
    with warehouse.get_connection() as con:
        if len(summary):
            _append(con, "monitoring", "drift_summary", summary)
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
    limit = _monitoring_config(settings)["drift_share"]
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


def _stable_sample(frame: pd.DataFrame, rows: int = 5000) -> pd.DataFrame:
    """The same customers every night (by a hash of the id), so unchanged data shows no drift."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    order = pd.util.hash_pandas_object(frame.customer_id.astype(str), index=False).argsort()
    return frame.iloc[order[:rows]].reset_index(drop=True)


def _latest_scoring_features(con):
    if not table_exists(con, "monitoring", "scoring_features"):
        return None
    return con.execute("""SELECT * FROM monitoring.scoring_features
                          WHERE scored_at = (SELECT max(scored_at) FROM monitoring.scoring_features)""").df()


def _feedback_windows(con):
    """Feedback of the last FEEDBACK_WINDOW_DAYS against everything before: text length and sentiment."""
    if table_exists(con, "nlp", "feedback_sentiment"):
        source, sentiment = "nlp.feedback_sentiment", "sentiment_score"
    elif table_exists(con, "staging", "stg_feedback"):
        source, sentiment = "(SELECT created_at, feedback_text AS text, rating FROM staging.stg_feedback)", "rating"
    else:
        return None
    frame = con.execute(f"""SELECT created_at >= (SELECT max(created_at) FROM {source}) - to_days({FEEDBACK_WINDOW_DAYS})
                                   AS recent, length(text)::DOUBLE AS text_length, {sentiment}::DOUBLE AS sentiment
                            FROM {source} WHERE text IS NOT NULL AND created_at IS NOT NULL""").df()
    if frame.empty:
        return None
    return frame.loc[~frame.recent, ["text_length", "sentiment"]], frame.loc[frame.recent, ["text_length", "sentiment"]]


@dg.asset(key=["monitoring", "data_quality"], group_name="monitoring", deps=[DAILY_KPIS, STG_FEEDBACK, *RAW_TABLE_KEYS],
          kinds={"duckdb"}, owners=["team:data-engineering"])
def data_quality(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 settings: CipSettings) -> dg.MaterializeResult:
    """One row per run: Great Expectations checks and dbt tests passed, warned and failed (their latest
    outcomes), rows rejected since the previous summary, and columns of raw tables that suddenly went empty."""
    keys = list(context.job_def.asset_layer.asset_graph.asset_check_keys)  # the checks this job can run
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    rows = []
    for key, record in records.items():
        if record.status == AssetCheckExecutionRecordStatus.PLANNED or record.evaluation is None:
            continue
        evaluation = record.evaluation
        rows.append({"asset": key.asset_key.to_user_string(), "check_name": key.name,
                     "kind": ("great_expectations" if key.name == "great_expectations" else
                              "dbt_test" if key.asset_key.path[0] in ("staging", "intermediate", "marts") else "platform"),
                     "passed": bool(evaluation.passed), "severity": evaluation.severity.value,
                     "run_id": record.run_id, "evaluated_at": datetime.fromtimestamp(record.create_timestamp)})
    results = pd.DataFrame(rows, columns=["asset", "check_name", "kind", "passed", "severity", "run_id",
                                          "evaluated_at"])
    summary = summarise_checks(results.assign(check_name=results.asset + ":" + results.check_name))
    jump = _monitoring_config(settings)["null_share_jump"]
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
        _append(con, "monitoring", "data_quality",
                pd.DataFrame([{"run_id": context.run_id, "checked_at": datetime.now(), **counts}]))
        replace_table(con, "monitoring", "check_results", results)
        replace_table(con, "monitoring", "null_share_jumps", jumps)
    return dg.MaterializeResult(metadata=counts)


@dg.asset(key=["monitoring", "alerts"], group_name="monitoring",
          deps=[model_performance_asset, drift_summary, data_quality, DAILY_KPIS, churn_scores, customer_value.key,
                *NLP_KEYS, *RAW_TABLE_KEYS],
          kinds={"duckdb"}, owners=["team:data-science"])
def alerts(warehouse: WarehouseResource, settings: CipSettings) -> dg.MaterializeResult:
    """Every alert rule over the latest data, reconciled with the open alerts so nothing re-alerts nightly;
    acknowledgements recorded by the dashboard or `cip alerts ack` are folded in."""
    t = _monitoring_config(settings)
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


def _append(con, schema: str, table: str, frame: pd.DataFrame) -> None:
    """Append to a history table, creating it from the first frame."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.register("history_rows", frame)
    if table_exists(con, schema, table):
        con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM history_rows")
    else:
        con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM history_rows")
    con.unregister("history_rows")


PUBLISHED = dg.AssetKey(["serving", "published"])


@dg.asset_check(asset=PUBLISHED, name="published_is_fresh",
                description="Warns when the published copy is older than monitoring.max_publish_age_hours.")
def published_is_fresh(settings: CipSettings) -> dg.AssetCheckResult:
    limit = _monitoring_config(settings)["max_publish_age_hours"]
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


# --- delivery --------------------------------------------------------------------------------------
@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def alert_sensor(context: dg.SensorEvaluationContext, notifier: NotifierResource):
    """Sends each channel the open alerts (read from the published copy) it does not have yet. The cursor is a
    per-channel ledger of alert ids, not a time: a failed channel retries next tick without the others
    repeating, and no clock change can make it skip an alert."""
    database = paths().published_db
    if not database.exists():
        return dg.SkipReason("nothing published yet")
    with duckdb.connect(str(database), read_only=True) as con:
        if not table_exists(con, "monitoring", "alerts"):
            return dg.SkipReason("no alerts table published yet")
        rows = con.execute("SELECT * FROM monitoring.alerts WHERE status = 'open' ORDER BY created_at, id")
        names = [column[0] for column in rows.description]
        open_alerts = [dict(zip(names, row)) for row in rows.fetchall()]
    cursor, outcome = deliver(open_alerts, context.cursor, notifier.channels(), notifier.send)
    if cursor != context.cursor:
        context.update_cursor(cursor)
    failed = {channel: what for channel, what in outcome.items() if what.startswith("failed")}
    for channel, what in failed.items():
        context.log.error(f"alert channel {channel}: {what}")
    if not outcome:
        return dg.SkipReason("no new alerts")
    summary = "; ".join(f"{channel}: {what}" for channel, what in outcome.items())
    return dg.SkipReason(f"delivery failed on {', '.join(failed)}, will retry. {summary}" if failed else summary)


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, notifier: NotifierResource):
    """A failed run is an alert too: the last good published copy stays, but someone must look. Every channel is
    tried; Dagster moves this sensor's cursor on even when one fails (no repeats to the others), and the error
    shows on the tick."""
    run = context.dagster_run
    notifier.notify([{"id": f"run:{run.run_id}", "severity": "critical", "kind": "run_failure",
                      "entity": run.job_name, "message": f"run {run.run_id} of job {run.job_name} failed: "
                                                         f"{context.failure_event.message or 'see the Dagster UI'}",
                      "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}])


monitoring_assets = [model_performance_asset, drift_summary, data_quality, alerts]
monitoring_checks = [drift_below_threshold, published_is_fresh]
monitoring_sensors = [alert_sensor, run_failure_alert_sensor]
