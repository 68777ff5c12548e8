"""Churn assets: the model (trained out of time, tracked in MLflow, decided by the lifecycle), its check,
the scores. The work is in `training.py`, `pyfunc.py` and `cip_resources.lifecycle`."""

from functools import partial

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from cip_assets.churn.nightly import customers_to_score, full_rescore_every_days, write_scores
from cip_assets.churn.pyfunc import PREDICTION_SCHEMA, is_churn_pyfunc
from cip_assets.churn.training import (EVALUATION, REGISTERED_MODEL, evaluation_rows, labelled_customers_to_score,
                                       metrics_table, prepare, register_and_decide, score_customers)
from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.monitoring.alerts import thresholds_of
from cip_assets.monitoring.drift import record_scoring_sample
from cip_assets.serving.privacy import safe_markdown
from cip_assets.skip import skipped
from cip_resources.config import CipSettings
from cip_resources.engine import engine_of
from cip_resources.lifecycle import decision_check, store_decision
from cip_resources.mlflow import MlflowResource
from cip_resources.spark import predict_with_spark
from cip_resources.tables import TableSpec, write_table
from cip_resources.warehouse import WarehouseResource

STAGING_INPUTS = [get_asset_key_for_model([cip_dbt_assets], m)
                  for m in ("stg_order_lines", "stg_feedback", "stg_campaign_exposures", "stg_events")]
# what scoring reads: the snapshot features plus, in labelled mode, the labelled customers
SCORING_INPUTS = [*STAGING_INPUTS, get_asset_key_for_model([cip_dbt_assets], "stg_customer_labels")]
METRIC = "roc_auc"

CHURN_SCORES = TableSpec("ml", "churn_scores", {
    "customer_id": "VARCHAR", "churn_probability": "DOUBLE", "risk_band": "VARCHAR", "reasons": "VARCHAR",
    "top_features": "VARCHAR", "model_version": "VARCHAR", "scored_at": "TIMESTAMP", "as_of": "TIMESTAMP"},
    grain="one row per active customer (a completed order in the last year), scored by the champion")


@dg.asset(key=["ml", "churn_model"], group_name="ml", deps=SCORING_INPUTS, kinds={"lightgbm", "mlflow"},
          owners=["team:data-science"])
def churn_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """LightGBM trained on older snapshots and evaluated out of time on the latest labelled cutoff, beside
    logistic regression on log-RFM and recency alone. The best of them is registered (`cip_churn`, a pyfunc
    returning calibrated probabilities and reasons) and becomes champion unless the current champion,
    re-scored on the same snapshot, does better. Labelled mode (raw.customer_labels): cross-validated."""
    with warehouse.get_connection() as con:
        prepared = prepare(con, settings.config().churn_horizon_days)
    if isinstance(prepared, str):
        return skipped(context, prepared)
    lifecycle = mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC)
    run_id, decision = register_and_decide(lifecycle, mlflow_tracking, context.run_id, prepared)
    with warehouse.get_connection() as con:
        write_table(con, EVALUATION, evaluation_rows(prepared, run_id, decision), mode="append")
        store_decision(con, decision)
    (context.log.info if decision.model_beats_baselines else context.log.warning)(decision.summary)
    training = prepared.training
    return dg.MaterializeResult(metadata={
        "evaluation": dg.MetadataValue.md(metrics_table(training.metrics)), "decision": decision.summary,
        "model_version": decision.candidate_version, "champion_version": decision.champion_version,
        "champion_method": decision.champion_method, "mlflow_run_id": run_id,
        "roc_auc": training.metrics["model"]["roc_auc"], "best_baseline": training.best_baseline,
        "calibration": training.calibrator.method, "rows": dg.MetadataValue.json(training.rows)})


@dg.asset_check(asset=churn_model, name="beats_baselines", blocking=False,
                description="WARN when the trained model did not win: the figures, and which method is champion. "
                            "Never blocks: the champion (a baseline, or the previous model) still scores.")
def churn_model_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, REGISTERED_MODEL)


class ChurnScoringConfig(dg.Config):
    """Run config of the scoring (the UI's launchpad): `full: true` scores every active customer tonight, as after
    deleting or correcting raw rows by hand (a nightly scoring sees new rows, not changed ones)."""

    full: bool = False


@dg.asset(key=["ml", "churn_scores"], group_name="ml", deps=[churn_model, *SCORING_INPUTS],
          kinds={"lightgbm", "duckdb"}, owners=["team:data-science"])
def churn_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                 mlflow_tracking: MlflowResource, config: ChurnScoringConfig) -> dg.MaterializeResult:
    """Every active customer (a completed order in the last year) scored by the champion, whichever method
    it is: calibrated probability, risk band (high >= 0.6, medium >= 0.3), top 3 reasons. Between full
    scorings (weekly, and on a new champion) a night scores only the customers whose data moved
    (`nightly.py`). On Spark the same registered model scores through mlflow's spark_udf."""
    lifecycle = mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC)
    version = lifecycle.version("champion")
    if version is None:
        return skipped(context, "no churn model has been trained yet")
    champion = lifecycle.load(str(version.version))
    if not is_churn_pyfunc(champion):  # registered before models were self-contained: the retrain replaces it
        return skipped(context, f"champion v{version.version} predates the self-contained churn pyfunc; run the "
                                "`retrain` job to register one (the previous scores stay published)")
    features = list(champion.unwrap_python_model().features)
    drift_sample = thresholds_of(settings)["drift_sample_customers"]
    plan, kept = None, 0
    with warehouse.get_connection() as con:
        if (version.tags or {}).get("mode") == "labelled":
            frame, as_of = labelled_customers_to_score(con, features)
        else:
            every = 0 if config.full else full_rescore_every_days(settings.config())
            frame, plan = customers_to_score(con, champion, version.version, every, drift_sample)
            as_of = plan.as_of
    engine = engine_of(settings.config())
    on_spark = (partial(predict_with_spark, lifecycle.uri(str(version.version)), result_schema=PREDICTION_SCHEMA)
                if engine == "spark" else None)
    scores = (score_customers(champion, frame, version.version, as_of, on_spark) if len(frame)
              else CHURN_SCORES.empty())
    with warehouse.get_connection() as con:
        if plan is None:
            write_table(con, CHURN_SCORES, scores)
        else:
            kept = write_scores(con, CHURN_SCORES, plan, scores, frame.attrs.get("bgnbd"), version.version)
        if len(scores):
            record_scoring_sample(con, frame, scores, features, drift_sample)
        bands = dict(con.execute("SELECT risk_band, count(*) FROM ml.churn_scores GROUP BY 1").fetchall())
    return dg.MaterializeResult(metadata={
        "dagster/row_count": sum(bands.values()), "scored_tonight": len(scores),
        "kept_from_earlier": kept, "scoring": plan.reason if plan else "labelled mode: every customer",
        "model_version": str(version.version),
        "method": lifecycle.method_of(version), "scored_on": engine, "as_of": str(as_of),
        "risk_bands": dg.MetadataValue.json(bands),
        "preview": dg.MetadataValue.md(safe_markdown(scores, 5, "no active customers"))})


churn_assets = [churn_model, churn_scores]
churn_checks = [churn_model_beats_baselines]
