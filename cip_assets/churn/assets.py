"""Churn assets: the model (trained out of time, tracked in MLflow), its promotion gate, the scores."""

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import joblib
import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from cip_assets.churn.features import FEATURES, last_order_day, plan_cutoffs, snapshot
from cip_assets.churn.labelled import attribute_features, attribute_reasons, cross_validate, load_labels
from cip_assets.churn.model import beats_baselines, train_and_evaluate
from cip_assets.churn.plots import evaluation_figures
from cip_assets.churn.scoring import ACTIVE_WITHIN_DAYS, risk_band, top_reasons
from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.serving.privacy import safe_markdown
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource, replace_table

EXPERIMENT = "churn"
REGISTERED_MODEL = "cip_churn"
STAGING_INPUTS = [get_asset_key_for_model([cip_dbt_assets], m)
                  for m in ("stg_order_lines", "stg_feedback", "stg_campaign_exposures", "stg_events")]
# what scoring reads: the snapshot features plus, in labelled mode, the labelled customers
SCORING_INPUTS = [*STAGING_INPUTS, get_asset_key_for_model([cip_dbt_assets], "stg_customer_labels")]
MIN_CUSTOMERS = 200

EVALUATION_DDL = """CREATE TABLE IF NOT EXISTS ml.churn_model_evaluation (
    trained_at TIMESTAMP, model_version VARCHAR, mlflow_run_id VARCHAR, evaluation_cutoff DATE,
    horizon_days INTEGER, method VARCHAR, roc_auc DOUBLE, pr_auc DOUBLE, brier DOUBLE,
    lift_top_decile DOUBLE, recall_top_decile DOUBLE, promoted_if_check_passes BOOLEAN, mode VARCHAR)"""
EVALUATION_COLUMNS = ["trained_at", "model_version", "mlflow_run_id", "evaluation_cutoff", "horizon_days", "method",
                      "roc_auc", "pr_auc", "brier", "lift_top_decile", "recall_top_decile",
                      "promoted_if_check_passes", "mode"]


@dg.asset(key=["ml", "churn_model"], group_name="ml", deps=SCORING_INPUTS, kinds={"lightgbm", "mlflow"},
          owners=["team:data-science"])
def churn_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """LightGBM churn model trained on older snapshots and evaluated out of time on the latest labelled
    cutoff, beside logistic regression on log-RFM and recency alone; registered as the `candidate`.
    When raw.customer_labels holds labels, it learns those instead, measured by cross-validation."""
    horizon = settings.config().churn_horizon_days
    with warehouse.get_connection() as con:
        labels = load_labels(con)
        last_day = last_order_day(con)
    if len(labels) >= MIN_CUSTOMERS and labels.churned.nunique() == 2:
        return _train_on_labels(context, labels, warehouse, mlflow_tracking)
    if last_day is None:
        return dg.MaterializeResult(metadata={"skipped": "no completed orders and no labelled customers"})
    train_cutoffs, eval_cutoff = plan_cutoffs(last_day, horizon)
    with warehouse.get_connection() as con:
        train = pd.concat([snapshot(con, c, horizon) for c in train_cutoffs], ignore_index=True)
        evaluation = snapshot(con, eval_cutoff, horizon)
    if min(len(train), len(evaluation)) < MIN_CUSTOMERS or evaluation.churned.nunique() < 2:
        reason = (f"too little history for a {horizon}-day horizon: {len(train)} training rows before "
                  f"{train_cutoffs[-1]}, {len(evaluation)} customers at {eval_cutoff}")
        context.log.warning(reason)
        return dg.MaterializeResult(metadata={"skipped": reason})

    result = train_and_evaluate(train, evaluation)
    params = {"horizon_days": horizon, "train_cutoffs": ",".join(map(str, train_cutoffs)),
              "evaluation_cutoff": str(eval_cutoff)}
    # drift reference: the latest training snapshot's customers who would be scored (active in the last year)
    latest = train[(train.cutoff == train.cutoff.max()) & (train.recency_days <= ACTIVE_WITHIN_DAYS)]
    run_id, version = _track(context, mlflow_tracking, "snapshots", params, result, latest[FEATURES],
                             evaluation[result.features].head(5))
    _store_evaluation(warehouse, "snapshots", version, run_id, eval_cutoff, horizon, result.metrics)
    return _model_metadata(result, version, run_id, rows=result.rows)


def _train_on_labels(context: dg.AssetExecutionContext, labels: pd.DataFrame, warehouse: WarehouseResource,
                     mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    try:
        result = cross_validate(labels)
    except ValueError as error:
        return dg.MaterializeResult(metadata={"skipped": f"labelled mode: {error}"})
    features = attribute_features(labels)
    params = {"folds": result.rows["folds"], "best_single_attribute": result.best_single_attribute,
              "attributes": ",".join(result.features)}
    run_id, version = _track(context, mlflow_tracking, "labelled", params, result, features,
                             features[result.features].head(5))
    _store_evaluation(warehouse, "labelled", version, run_id, None, None, result.metrics)
    return _model_metadata(result, version, run_id, rows=result.rows,
                           fold_auc=dg.MetadataValue.json(result.fold_auc))


def _track(context: dg.AssetExecutionContext, mlflow_tracking: MlflowResource, mode: str, params: dict, result,
           reference: pd.DataFrame, input_example: pd.DataFrame) -> tuple[str, str]:
    """One MLflow run: params, metrics, evaluation plots, the calibrator, reference features for drift, and the
    model registered under REGISTERED_MODEL with the `candidate` alias. Returns (run id, model version)."""
    with mlflow_tracking.start_run(EXPERIMENT, context.run_id, "churn_model") as run:
        mlflow.set_tag("mode", mode)
        mlflow.log_params({**params, "calibration": result.calibrator.method,
                           **{f"lgbm_{k}": v for k, v in result.model.get_params().items()
                              if k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples")}})
        mlflow.log_metrics({f"{name}_{metric}": value for name, values in result.metrics.items()
                            for metric, value in values.items()})
        mlflow.log_dict({"mode": mode, "metrics": result.metrics, "rows": result.rows}, "evaluation.json")
        for name, figure in evaluation_figures(result.y, result.predictions).items():
            mlflow.log_figure(figure, f"plots/{name}")
            plt.close(figure)
        with tempfile.TemporaryDirectory() as tmp:
            joblib.dump(result.calibrator, Path(tmp) / "calibrator.joblib")
            mlflow.log_artifact(str(Path(tmp) / "calibrator.joblib"))
            reference.sample(min(len(reference), 5000), random_state=0).to_parquet(Path(tmp) / "reference.parquet")
            mlflow.log_artifact(str(Path(tmp) / "reference.parquet"))  # training features, for drift reports
        info = mlflow.lightgbm.log_model(result.model, name="model", input_example=input_example,
                                         registered_model_name=REGISTERED_MODEL,
                                         pip_requirements=["lightgbm==4.7.0", "scikit-learn==1.9.1"])
        version = str(info.registered_model_version)
    client = mlflow_tracking.client()
    client.set_registered_model_alias(REGISTERED_MODEL, "candidate", version)
    client.set_model_version_tag(REGISTERED_MODEL, version, "mode", mode)
    return run.info.run_id, version


def _store_evaluation(warehouse: WarehouseResource, mode: str, version: str, run_id: str, cutoff, horizon,
                      metrics: dict) -> None:
    with warehouse.get_connection() as con:
        _ensure_evaluation_table(con)
        now = datetime.now()
        for method, m in metrics.items():
            con.execute(f"INSERT INTO ml.churn_model_evaluation ({', '.join(EVALUATION_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(EVALUATION_COLUMNS))})",
                        [now, version, run_id, cutoff, horizon, method, m["roc_auc"], m["pr_auc"], m.get("brier"),
                         m["lift_top_decile"], m["recall_top_decile"], method == "model", mode])


def _model_metadata(result, version: str, run_id: str, **extra) -> dg.MaterializeResult:
    table = "\n".join(["| method | ROC-AUC | PR-AUC | Brier | lift@10% | recall@10% |", "|---|---|---|---|---|---|"] + [
        f"| {k} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m.get('brier', float('nan')):.3f} | "
        f"{m['lift_top_decile']:.2f} | {m['recall_top_decile']:.2f} |" for k, m in result.metrics.items()])
    return dg.MaterializeResult(metadata={
        "evaluation": dg.MetadataValue.md(table), "model_version": version, "mlflow_run_id": run_id,
        "roc_auc": result.metrics["model"]["roc_auc"], "best_baseline": result.best_baseline,
        "calibration": result.calibrator.method,
        **{k: dg.MetadataValue.json(v) if isinstance(v, dict) else v for k, v in extra.items()}})


def _ensure_evaluation_table(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ml")
    con.execute(EVALUATION_DDL)
    con.execute("ALTER TABLE ml.churn_model_evaluation ADD COLUMN IF NOT EXISTS mode VARCHAR")


def gate_decision(con, model_version: str | None = None) -> tuple[bool, str] | None:
    """The promotion rule applied to a stored evaluation (the latest one when no version is named)."""
    _ensure_evaluation_table(con)
    where = ("model_version = ?", [str(model_version)]) if model_version is not None else (
        "trained_at = (SELECT max(trained_at) FROM ml.churn_model_evaluation)", [])
    rows = con.execute(f"SELECT method, roc_auc FROM ml.churn_model_evaluation WHERE {where[0]}", where[1]).fetchall()
    return beats_baselines({method: {"roc_auc": auc} for method, auc in rows}) if rows else None


@dg.asset_check(asset=churn_model, name="beats_baselines", blocking=True,
                description="Promotion gate: the candidate's out-of-time ROC-AUC must beat every baseline's.")
def churn_model_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        decision = gate_decision(con)
    if decision is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"reason": "no model was trained (see the asset's metadata)"})
    ok, message = decision
    return dg.AssetCheckResult(passed=ok, metadata={"decision": message})


SCORES_COLUMNS = ["customer_id", "churn_probability", "risk_band", "reasons", "top_features", "model_version",
                  "scored_at", "as_of"]


@dg.asset(key=["ml", "churn_scores"], group_name="ml", deps=[churn_model, *SCORING_INPUTS], kinds={"lightgbm", "duckdb"},
          owners=["team:data-science"])
def churn_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Promotes the candidate that passed the gate to `champion`, then scores every active customer
    (a completed order in the last year): probability, risk band (high >= 0.6, medium >= 0.3), top 3 reasons."""
    client = mlflow_tracking.client()
    try:
        candidate = client.get_model_version_by_alias(REGISTERED_MODEL, "candidate")
    except mlflow.exceptions.MlflowException:
        return dg.MaterializeResult(metadata={"skipped": "no churn model has been trained"})
    with warehouse.get_connection() as con:
        passed, decision = gate_decision(con, candidate.version) or (False, "no stored evaluation")
    if passed:  # the gate holds here too, whichever job runs the scoring
        client.set_registered_model_alias(REGISTERED_MODEL, "champion", candidate.version)
    else:
        context.log.warning(f"candidate v{candidate.version} not promoted: {decision}")
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    except mlflow.exceptions.MlflowException:
        return dg.MaterializeResult(metadata={"skipped": f"no champion model yet; {decision}"})
    model = mlflow.lightgbm.load_model(f"models:/{REGISTERED_MODEL}@champion")
    calibrator = joblib.load(mlflow.artifacts.download_artifacts(run_id=champion.run_id,
                                                                 artifact_path="calibrator.joblib"))
    features = list(model.booster_.feature_name())
    with warehouse.get_connection() as con:
        if client.get_run(champion.run_id).data.tags.get("mode") == "labelled":
            frame, as_of, explain = labelled_customers_to_score(con, features)
        else:
            frame, as_of, explain = active_customers_to_score(con)
    scores = pd.DataFrame(columns=SCORES_COLUMNS)
    if len(frame):
        raw = model.predict_proba(frame[features])[:, 1]
        probability = calibrator.transform(raw)
        contributions = model.booster_.predict(frame[features], pred_contrib=True)
        names, reasons = explain(frame, contributions, features)
        scores = pd.DataFrame({
            "customer_id": frame.customer_id, "churn_probability": probability, "risk_band": risk_band(probability),
            "reasons": reasons, "top_features": [",".join(row) for row in names],
            "model_version": str(champion.version), "scored_at": datetime.now(), "as_of": pd.Timestamp(as_of)})
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "churn_scores", scores)
        bands = dict(con.execute("SELECT risk_band, count(*) FROM ml.churn_scores GROUP BY 1").fetchall())
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(scores), "model_version": champion.version, "promotion": decision, "as_of": str(as_of),
        "risk_bands": dg.MetadataValue.json(bands),
        "preview": dg.MetadataValue.md(safe_markdown(scores, 5, "no active customers"))})


def active_customers_to_score(con):
    """Snapshot features of every customer with a completed order in the last year, as of the day after
    the last order."""
    as_of = last_order_day(con) + timedelta(days=1)
    frame = snapshot(con, as_of, 1)
    return frame[frame.recency_days <= ACTIVE_WITHIN_DAYS].reset_index(drop=True), as_of, top_reasons


def labelled_customers_to_score(con, features: list[str]):
    """In labelled mode the customers still with us (labelled not churned), with their attributes."""
    labels = load_labels(con)
    frame = attribute_features(labels).reindex(columns=features)
    frame.insert(0, "customer_id", labels.customer_id)
    frame = frame[~labels.churned.astype(bool)].reset_index(drop=True)

    def explain(frame, contributions, features):
        return attribute_reasons(frame[features], contributions)

    return frame, datetime.now().date(), explain


churn_assets = [churn_model, churn_scores]
churn_checks = [churn_model_beats_baselines]
