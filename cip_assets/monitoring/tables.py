"""The monitoring tables, declared (written through `cip_resources.tables.write_table`)."""

from cip_resources.tables import TableSpec

SCORE_LOG = TableSpec("monitoring", "score_log", {
    "as_of": "DATE", "model_version": "VARCHAR", "customer_id": "VARCHAR", "churn_probability": "DOUBLE",
    "risk_band": "VARCHAR", "logged_at": "TIMESTAMP"}, grain="one row per customer per churn scoring (as_of)")

MODEL_PERFORMANCE = TableSpec("monitoring", "model_performance", {
    "as_of": "DATE", "model_version": "VARCHAR", "customers": "BIGINT", "mean_probability": "DOUBLE",
    "median_probability": "DOUBLE", "high_share": "DOUBLE", "medium_share": "DOUBLE", "low_share": "DOUBLE",
    "horizon_passed": "BOOLEAN", "realised_churn_rate": "DOUBLE", "realised_roc_auc": "DOUBLE",
    "horizon_days": "INTEGER", "evaluated_at": "TIMESTAMP"}, grain="one row per logged churn scoring")

SCORING_FEATURES = TableSpec("monitoring", "scoring_features", {
    "customer_id": "VARCHAR", "churn_probability": "DOUBLE", "scored_at": "TIMESTAMP", "features": "JSON"},
    grain="one row per sampled customer per scoring: the churn features it was scored on (JSON, any feature set)")

DRIFT_SUMMARY = TableSpec("monitoring", "drift_summary", {
    "column_name": "VARCHAR", "method": "VARCHAR", "score": "DOUBLE", "threshold": "DOUBLE", "drifted": "BOOLEAN",
    "kind": "VARCHAR", "measured_at": "TIMESTAMP", "report_path": "VARCHAR", "reference_rows": "BIGINT",
    "current_rows": "BIGINT"}, grain="one row per column per comparison (kind) per measurement")

DATA_QUALITY = TableSpec("monitoring", "data_quality", {
    "run_id": "VARCHAR", "checked_at": "TIMESTAMP", "checks": "INTEGER", "passed": "INTEGER", "warned": "INTEGER",
    "failed": "INTEGER", "rows_rejected": "BIGINT", "failed_checks": "VARCHAR", "warned_checks": "VARCHAR",
    "emptied_columns": "VARCHAR"}, grain="one row per run that built monitoring/data_quality")

CHECK_RESULTS = TableSpec("monitoring", "check_results", {
    "asset": "VARCHAR", "check_name": "VARCHAR", "kind": "VARCHAR", "passed": "BOOLEAN", "severity": "VARCHAR",
    "run_id": "VARCHAR", "evaluated_at": "TIMESTAMP"}, grain="one row per asset check: its latest outcome")

NULL_SHARE_JUMPS = TableSpec("monitoring", "null_share_jumps", {
    "table_name": "VARCHAR", "column_name": "VARCHAR", "recent_null_share": "DOUBLE", "earlier_null_share": "DOUBLE",
    "recent_rows": "BIGINT"}, grain="one row per raw column whose null share jumped in the last 7 days")
