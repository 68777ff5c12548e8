"""Event-stream assets: purchase propensity and the next action of live sessions, each trained, registered
and decided by the model lifecycle (cip_resources.lifecycle), each with a WARN check saying who won, and
scored by its champion pyfunc alone. The work is in `training.py`, `pyfunc.py`, `propensity.py` and
`next_action.py`."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from cip_assets.events.features import EventSettings
from cip_assets.events.next_action import read_live_sessions
from cip_assets.events.pyfunc import is_next_action_pyfunc, is_propensity_pyfunc
from cip_assets.events.training import (NEXT_ACTION_EVALUATION, NEXT_ACTION_METRIC, NEXT_ACTION_MODEL,
                                        NEXT_ACTION_SCORES, PROPENSITY_EVALUATION, PROPENSITY_METRIC,
                                        PROPENSITY_MODEL, PURCHASE_PROPENSITY, fit_next_action,
                                        next_action_evaluation_rows, prepare_next_action, prepare_propensity,
                                        propensity_evaluation_rows, register_next_action, score_next_action,
                                        score_propensity, train_propensity)
from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.skip import skipped
from cip_resources.config import CipSettings
from cip_resources.lifecycle import decision_check, store_decision
from cip_resources.mlflow import MlflowResource
from cip_resources.tables import write_table
from cip_resources.warehouse import WarehouseResource

SESSIONISED = get_asset_key_for_model([cip_dbt_assets], "int_sessionised_events")
SESSIONS = get_asset_key_for_model([cip_dbt_assets], "event_sessions")
OLD_CHAMPION = ("champion v{} predates the self-contained {} pyfunc; run the `retrain` job to register one "
                "(the previous scores stay published)")


@dg.asset(key=["ml", "propensity_model"], group_name="events", deps=[SESSIONISED], kinds={"lightgbm", "mlflow"},
          owners=["team:data-science"])
def propensity_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                     mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Will a customer buy within `events.horizon_days`? LightGBM on behavioural snapshots trained on older
    cutoffs, evaluated on the latest one with a complete label window beside two baselines. The best of the
    three is registered (`cip_purchase_propensity`, a pyfunc returning the probability) and becomes champion
    unless the current champion, re-scored on the same snapshot, does better."""
    with warehouse.get_connection() as con:
        data = prepare_propensity(con, EventSettings.from_config(settings.config().raw))
    if isinstance(data, str):
        return skipped(context, data)
    lifecycle = mlflow_tracking.lifecycle(PROPENSITY_MODEL, PROPENSITY_METRIC)
    result, run_id, decision = train_propensity(lifecycle, mlflow_tracking, context.run_id, data)
    evaluation = propensity_evaluation_rows(data, result, run_id, decision)
    with warehouse.get_connection() as con:
        write_table(con, PROPENSITY_EVALUATION, evaluation)
        store_decision(con, decision)
    (context.log.info if decision.model_beats_baselines else context.log.warning)(decision.summary)
    return dg.MaterializeResult(metadata={
        "evaluation": dg.MetadataValue.md(evaluation.drop(columns=["trained_at", "mlflow_run_id"])
                                          .to_markdown(index=False, floatfmt=".3f")),
        "decision": decision.summary, "model_version": decision.candidate_version,
        "champion_version": decision.champion_version, "champion_method": decision.champion_method,
        "mlflow_run_id": run_id, "roc_auc": result.metrics["model"]["roc_auc"],
        "lift_top5": result.metrics["model"]["lift_top5"], "rows": dg.MetadataValue.json(result.rows)})


@dg.asset_check(asset=propensity_model, name="beats_baselines", blocking=False,
                description="WARN when the trained model did not win: the figures, and which method is champion. "
                            "Never blocks: the champion (a baseline, or the previous model) still scores.")
def propensity_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, PROPENSITY_MODEL)


@dg.asset(key=["ml", "purchase_propensity"], group_name="events", deps=[propensity_model, SESSIONISED, SESSIONS],
          kinds={"lightgbm", "duckdb"}, owners=["team:data-science"])
def purchase_propensity(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Every customer with an event in the last 30 days, scored by the champion, whichever method it is: the
    probability of a purchase within the champion's horizon, and its decile (10 = top)."""
    lifecycle = mlflow_tracking.lifecycle(PROPENSITY_MODEL, PROPENSITY_METRIC)
    version = lifecycle.version("champion")
    if version is None:
        return skipped(context, "no propensity model has been trained yet")
    champion = lifecycle.load(str(version.version))
    if not is_propensity_pyfunc(champion):
        return skipped(context, OLD_CHAMPION.format(version.version, "propensity"))
    with warehouse.get_connection() as con:
        scored = score_propensity(con, champion, version.version)
        if isinstance(scored, str):
            return skipped(context, scored)
        scores, as_of = scored
        write_table(con, PURCHASE_PROPENSITY, scores)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(scores), "model_version": str(version.version),
        "method": lifecycle.method_of(version), "as_of": str(as_of),
        "mean_probability": float(scores.purchase_probability.mean()) if len(scores) else 0.0})


@dg.asset(key=["ml", "next_action_model"], group_name="events", deps=[SESSIONISED, SESSIONS],
          kinds={"pytorch", "lightgbm", "mlflow"}, owners=["team:data-science"])
def next_action_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                      mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """A Markov chain (the baseline), LightGBM on n-gram counts and a GRU predict each session's next action on
    one time split (the last 20% of sessions test); each is an MLflow run. The best macro-F1 is registered
    (`cip_next_action`) and becomes champion unless the current champion, re-scored on the same test
    sessions, does better."""
    with warehouse.get_connection() as con:
        data = prepare_next_action(con, EventSettings.from_config(settings.config().raw))
    if isinstance(data, str):
        return skipped(context, data)
    evaluation, fitted = fit_next_action(mlflow_tracking, context.run_id, data)
    lifecycle = mlflow_tracking.lifecycle(NEXT_ACTION_MODEL, NEXT_ACTION_METRIC)
    decision = register_next_action(lifecycle, mlflow_tracking, context.run_id, data, evaluation, fitted)
    with warehouse.get_connection() as con:
        write_table(con, NEXT_ACTION_EVALUATION, next_action_evaluation_rows(evaluation, decision))
        store_decision(con, decision)
    (context.log.info if decision.model_beats_baselines else context.log.warning)(decision.summary)
    return dg.MaterializeResult(metadata={
        "comparison": dg.MetadataValue.md(evaluation[["model", "macro_f1", "purchase_precision", "purchase_recall",
                                                      "accuracy", "fit_seconds"]].to_markdown(index=False,
                                                                                              floatfmt=".3f")),
        "chosen": decision.candidate_method, "decision": decision.summary,
        "model_version": decision.candidate_version, "champion_version": decision.champion_version,
        "champion_method": decision.champion_method, "split_at": str(data.split_at),
        "train_examples": len(data.train_y), "test_examples": len(data.test_y)})


@dg.asset_check(asset=next_action_model, name="beats_baselines", blocking=False,
                description="WARN when neither trained model beat the Markov chain, or the champion was kept: the "
                            "figures, and which method is champion. Never blocks: the champion still scores.")
def next_action_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, NEXT_ACTION_MODEL)


@dg.asset(key=["ml", "next_action_scores"], group_name="events", deps=[next_action_model, SESSIONISED, SESSIONS],
          kinds={"pytorch", "duckdb"}, owners=["team:data-science"])
def next_action_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                       mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Sessions still open when the data ends (last event within one session gap of the newest), each with the
    champion's probability of every next action."""
    lifecycle = mlflow_tracking.lifecycle(NEXT_ACTION_MODEL, NEXT_ACTION_METRIC)
    version = lifecycle.version("champion")
    if version is None:
        return skipped(context, "no next-action model has been trained yet")
    champion = lifecycle.load(str(version.version))
    if not is_next_action_pyfunc(champion):
        return skipped(context, OLD_CHAMPION.format(version.version, "next-action"))
    gap = EventSettings.from_config(settings.config().raw).session_gap_minutes
    with warehouse.get_connection() as con:
        scores = score_next_action(champion, version.version, *read_live_sessions(con, gap))
        write_table(con, NEXT_ACTION_SCORES, scores)
    predicted = {str(k): int(v) for k, v in scores.predicted_action.value_counts().items()}
    return dg.MaterializeResult(metadata={"dagster/row_count": len(scores), "model": scores.model.iloc[0]
                                          if len(scores) else "", "model_version": str(version.version),
                                          "predicted": dg.MetadataValue.json(predicted)})


events_assets = [propensity_model, purchase_propensity, next_action_model, next_action_scores]
events_checks = [propensity_beats_baselines, next_action_beats_baselines]
