"""Event-stream assets: purchase propensity (trained out of time, gated against its baselines, scored for
every recently active customer) and the next action of live sessions (three models, one time split)."""

from datetime import datetime, timedelta
from time import perf_counter

import dagster as dg
import mlflow
import numpy as np
import pandas as pd
import torch
from dagster_dbt import get_asset_key_for_model

from cip_assets.events.features import FEATURES, EventSettings, event_span, plan_snapshots, snapshot
from cip_assets.events.next_action import (ACTIONS, GRUNextAction, MarkovChain, NextActionPyfunc, NgramLightGBM,
                                           evaluate, read_live_sessions, read_split, split_time)
from cip_assets.events.propensity import beats_baselines, train_and_evaluate
from cip_assets.marts.assets import cip_dbt_assets
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource, replace_table, table_exists

PROPENSITY_EXPERIMENT, PROPENSITY_MODEL = "purchase_propensity", "cip_purchase_propensity"
NEXT_ACTION_EXPERIMENT, NEXT_ACTION_MODEL = "next_action", "cip_next_action"
SESSIONISED = get_asset_key_for_model([cip_dbt_assets], "int_sessionised_events")
SESSIONS = get_asset_key_for_model([cip_dbt_assets], "event_sessions")
MIN_ROWS = 200
PIP_REQUIREMENTS = ["lightgbm==4.7.0", "scikit-learn==1.9.1", "torch==2.13.0", "pandas==2.3.3"]


@dg.asset(key=["ml", "propensity_model"], group_name="events", deps=[SESSIONISED], kinds={"lightgbm", "mlflow"},
          owners=["team:data-science"])
def propensity_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                     mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """LightGBM on behavioural snapshots: will a customer buy within `events.horizon_days`? Trained on older
    cutoffs, evaluated on the latest one with a complete label window, beside two baselines; registered as the
    `candidate`, tagged with whether it beat them."""
    config = EventSettings.from_config(settings.config().raw)
    with warehouse.get_connection() as con:
        span = event_span(con)
        plan = plan_snapshots(*span, config.horizon, config.step, config.train_snapshots) if span else None
        if plan is None:
            reason = (f"events of known customers span {span[1] - span[0]}, too short for a training and an "
                      f"evaluation window of {config.horizon} each" if span else "no events of known customers")
            return dg.MaterializeResult(metadata={"skipped": reason})
        train = pd.concat([snapshot(con, c, plan.horizon) for c in plan.train_cutoffs], ignore_index=True)
        evaluation = snapshot(con, plan.evaluation_cutoff, plan.horizon)
    if len(train) < MIN_ROWS or train.purchased.nunique() < 2 or evaluation.purchased.nunique() < 2:
        reason = (f"too few labelled rows: {len(train)} training rows ({int(train.purchased.sum())} purchasers), "
                  f"{len(evaluation)} evaluation rows ({int(evaluation.purchased.sum())} purchasers)")
        context.log.warning(reason)
        return dg.MaterializeResult(metadata={"skipped": reason})

    result = train_and_evaluate(train, evaluation)
    passed, decision = beats_baselines(result.metrics)
    with mlflow_tracking.start_run(PROPENSITY_EXPERIMENT, context.run_id, "propensity_model") as run:
        mlflow.log_params({"horizon_days": config.horizon_days, "train_snapshots": len(plan.train_cutoffs),
                           "first_train_cutoff": str(plan.train_cutoffs[0]),
                           "evaluation_cutoff": str(plan.evaluation_cutoff)})
        mlflow.log_metrics({f"{method}_{name}": value for method, values in result.metrics.items()
                            for name, value in values.items()})
        mlflow.log_dict({"metrics": result.metrics, "rows": result.rows, "decision": decision}, "evaluation.json")
        info = mlflow.lightgbm.log_model(result.model, name="model", input_example=evaluation[FEATURES].head(5),
                                         registered_model_name=PROPENSITY_MODEL, pip_requirements=PIP_REQUIREMENTS[:2])
    version = str(info.registered_model_version)
    client = mlflow_tracking.client()
    client.set_registered_model_alias(PROPENSITY_MODEL, "candidate", version)
    client.set_model_version_tag(PROPENSITY_MODEL, version, "beats_baselines", str(passed))
    client.set_model_version_tag(PROPENSITY_MODEL, version, "horizon_days", str(config.horizon_days))
    evaluation_rows = pd.DataFrame([{"trained_at": datetime.now(), "model_version": version,
                                     "mlflow_run_id": run.info.run_id, "evaluation_cutoff": plan.evaluation_cutoff,
                                     "horizon_days": config.horizon_days, "method": method, **values,
                                     "beats_baselines": passed}
                                    for method, values in result.metrics.items()])
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "propensity_evaluation", evaluation_rows)
    return dg.MaterializeResult(metadata={
        "evaluation": dg.MetadataValue.md(evaluation_rows.drop(columns=["trained_at", "mlflow_run_id"])
                                          .to_markdown(index=False, floatfmt=".3f")),
        "decision": decision, "model_version": version, "mlflow_run_id": run.info.run_id,
        "roc_auc": result.metrics["model"]["roc_auc"], "lift_top5": result.metrics["model"]["lift_top5"],
        "rows": dg.MetadataValue.json(result.rows)})


@dg.asset_check(asset=propensity_model, name="beats_baselines",
                description="The latest propensity model's out-of-time ROC-AUC beats both baselines' "
                "(a failing candidate is not promoted; the previous champion keeps scoring).")
def propensity_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        if not table_exists(con, "ml", "propensity_evaluation"):
            return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                       metadata={"reason": "no propensity model was trained (see the asset)"})
        metrics = {method: {"roc_auc": auc} for method, auc in con.execute(
            "SELECT method, roc_auc FROM ml.propensity_evaluation").fetchall()}
    passed, decision = beats_baselines(metrics)
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata={"decision": decision})


@dg.asset(key=["ml", "purchase_propensity"], group_name="events", deps=[propensity_model, SESSIONISED, SESSIONS],
          kinds={"lightgbm", "duckdb"}, owners=["team:data-science"])
def purchase_propensity(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Promotes a candidate that beat its baselines to `champion`, then scores every customer with an event in
    the last 30 days: the probability of a purchase within the champion's horizon, and its decile (10 = top)."""
    client = mlflow_tracking.client()
    champion = _promote_and_get_champion(context, client)
    if champion is None:
        return dg.MaterializeResult(metadata={"skipped": "no propensity model has beaten its baselines yet"})
    model = mlflow.lightgbm.load_model(f"models:/{PROPENSITY_MODEL}@champion")
    horizon_days = float(champion.tags.get("horizon_days", 7))
    with warehouse.get_connection() as con:
        span = event_span(con)
        if span is None:
            return dg.MaterializeResult(metadata={"skipped": "no events of known customers"})
        as_of = span[1] + timedelta(seconds=1)
        frame = snapshot(con, as_of, timedelta(days=horizon_days))
    probability = model.predict_proba(frame[FEATURES])[:, 1] if len(frame) else np.zeros(0)
    scores = pd.DataFrame({
        "customer_id": frame.customer_id, "purchase_probability": probability,
        "propensity_decile": np.ceil(pd.Series(probability).rank(method="first", pct=True) * 10).astype("int64"),
        "horizon_days": horizon_days, "model_version": str(champion.version), "as_of": as_of,
        "scored_at": datetime.now()})
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "purchase_propensity", scores)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(scores), "model_version": champion.version, "as_of": str(as_of),
        "mean_probability": float(scores.purchase_probability.mean()) if len(scores) else 0.0})


def _promote_and_get_champion(context: dg.AssetExecutionContext, client):
    try:
        candidate = client.get_model_version_by_alias(PROPENSITY_MODEL, "candidate")
    except mlflow.exceptions.MlflowException:
        return None
    if candidate.tags.get("beats_baselines") == "True":
        client.set_registered_model_alias(PROPENSITY_MODEL, "champion", candidate.version)
    else:
        context.log.warning(f"propensity candidate v{candidate.version} did not beat its baselines; not promoted")
    try:
        return client.get_model_version_by_alias(PROPENSITY_MODEL, "champion")
    except mlflow.exceptions.MlflowException:
        return None


@dg.asset(key=["ml", "next_action_model"], group_name="events", deps=[SESSIONISED, SESSIONS],
          kinds={"pytorch", "lightgbm", "mlflow"}, owners=["team:data-science"])
def next_action_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                      mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """A Markov chain, LightGBM on n-gram counts and a GRU predict each session's next action on one time split
    (the last 20% of sessions test); each is an MLflow run, and the best macro-F1 is registered as `champion`."""
    config = EventSettings.from_config(settings.config().raw)
    torch.set_num_threads(2)
    with warehouse.get_connection() as con:
        split_at = split_time(con) if table_exists(con, "marts", "event_sessions") else None
        if split_at is None:
            return dg.MaterializeResult(metadata={"skipped": "no sessions"})
        train_w, train_y, test_w, test_y = read_split(con, split_at, config.max_train_events, config.max_test_events)
    if len(train_y) < 10 * MIN_ROWS or len(test_y) < MIN_ROWS:
        return dg.MaterializeResult(metadata={
            "skipped": f"too few events: {len(train_y)} to train on, {len(test_y)} to test on"})

    rows, fitted = [], {}
    for model in (MarkovChain(), NgramLightGBM(), GRUNextAction()):
        started = perf_counter()
        model.fit(train_w, train_y)
        fit_seconds = perf_counter() - started
        started = perf_counter()
        metrics = evaluate(test_y, model.predict_proba(test_w))
        score_seconds = perf_counter() - started
        with mlflow_tracking.start_run(NEXT_ACTION_EXPERIMENT, context.run_id, f"next_action_{model.name}") as run:
            mlflow.set_tags({"model": model.name, "split_at": str(split_at)})
            mlflow.log_params({"split_at": str(split_at), "train_examples": len(train_y),
                               "test_examples": len(test_y), "window": train_w.tokens.shape[1]})
            mlflow.log_metrics({**metrics, "fit_seconds": fit_seconds, "score_seconds": score_seconds})
        fitted[model.name] = model
        rows.append({"model": model.name, **metrics, "fit_seconds": fit_seconds, "score_seconds": score_seconds,
                     "train_examples": len(train_y), "test_examples": len(test_y), "split_at": split_at,
                     "mlflow_run_id": run.info.run_id})
    evaluation = pd.DataFrame(rows)
    best = evaluation.loc[evaluation.macro_f1.idxmax()]
    evaluation["chosen"] = evaluation.model == best.model
    evaluation["trained_at"] = datetime.now()
    with mlflow_tracking.start_run(NEXT_ACTION_EXPERIMENT, context.run_id, f"next_action_{best.model}"):
        info = mlflow.pyfunc.log_model(name="model", python_model=NextActionPyfunc(fitted[best.model]),
                                       input_example=test_w.take(slice(0, 5)).to_frame(),
                                       registered_model_name=NEXT_ACTION_MODEL, pip_requirements=PIP_REQUIREMENTS)
    version = str(info.registered_model_version)
    client = mlflow_tracking.client()
    client.set_model_version_tag(NEXT_ACTION_MODEL, version, "model", best.model)
    client.set_registered_model_alias(NEXT_ACTION_MODEL, "champion", version)
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "next_action_evaluation", evaluation)
    return dg.MaterializeResult(metadata={
        "comparison": dg.MetadataValue.md(evaluation[["model", "macro_f1", "purchase_precision", "purchase_recall",
                                                      "accuracy", "fit_seconds"]].to_markdown(index=False,
                                                                                              floatfmt=".3f")),
        "chosen": best.model, "model_version": version, "split_at": str(split_at),
        "train_examples": len(train_y), "test_examples": len(test_y)})


@dg.asset(key=["ml", "next_action_scores"], group_name="events", deps=[next_action_model, SESSIONISED, SESSIONS],
          kinds={"pytorch", "duckdb"}, owners=["team:data-science"])
def next_action_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                       mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Sessions still open when the data ends (last event within one session gap of the newest), each with the
    champion's probability of every next action."""
    client = mlflow_tracking.client()
    try:
        champion = client.get_model_version_by_alias(NEXT_ACTION_MODEL, "champion")
    except mlflow.exceptions.MlflowException:
        return dg.MaterializeResult(metadata={"skipped": "no next-action model has been trained"})
    model = mlflow.pyfunc.load_model(f"models:/{NEXT_ACTION_MODEL}@champion")
    gap = EventSettings.from_config(settings.config().raw).session_gap_minutes
    with warehouse.get_connection() as con:
        sessions, windows = read_live_sessions(con, gap)
    proba = model.predict(windows.to_frame()) if len(sessions) else pd.DataFrame(
        columns=[f"p_{a}" for a in ACTIONS], dtype=float)
    scores = pd.concat([sessions, proba.reset_index(drop=True)], axis=1)
    scores["predicted_action"] = proba.idxmax(axis=1).str.removeprefix("p_") if len(proba) else pd.Series(dtype=str)
    scores["model"] = champion.tags.get("model", "")
    scores["model_version"] = str(champion.version)
    scores["scored_at"] = datetime.now()
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "next_action_scores", scores)
    predicted = {str(k): int(v) for k, v in scores.predicted_action.value_counts().items()}
    return dg.MaterializeResult(metadata={"dagster/row_count": len(scores), "model": champion.tags.get("model", ""),
                                          "predicted": dg.MetadataValue.json(predicted)})


events_assets = [propensity_model, purchase_propensity, next_action_model, next_action_scores]
events_checks = [propensity_beats_baselines]
