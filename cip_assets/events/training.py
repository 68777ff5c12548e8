"""Train, track, register and decide: the event models' retrains as plain functions (assets.py wires them).

Purchase propensity: LightGBM trained on older snapshot cutoffs, evaluated out of time on the latest
cutoff with a complete label window beside two baselines (propensity.py); the best of the three by
ROC-AUC is registered as a self-contained pyfunc and becomes champion unless the current champion,
re-scored on the same evaluation snapshot, does better. Next action: a Markov chain (the baseline),
LightGBM on n-grams and a GRU on one time split (next_action.py); the best by macro-F1 is registered
and decided the same way, the champion re-scored on the same test sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from time import perf_counter

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from cip_assets.events.features import FEATURES, EventSettings, SnapshotPlan, event_span, plan_snapshots, snapshot
from cip_assets.events.next_action import (ACTIONS, GRUNextAction, MarkovChain, NextActionPyfunc, NgramLightGBM,
                                           Windows, evaluate, read_split, split_time)
from cip_assets.events.propensity import PropensityResult, train_and_evaluate
from cip_assets.events.pyfunc import (NEXT_ACTION_REQUIREMENTS, PROPENSITY_REQUIREMENTS, PropensityPyfunc,
                                      is_next_action_pyfunc, is_propensity_pyfunc, next_action_method)
from cip_resources.lifecycle import Decision, ModelLifecycle
from cip_resources.tables import TableSpec, table_exists
from cip_resources.text_encoders import configure_threads

PROPENSITY_EXPERIMENT, PROPENSITY_MODEL, PROPENSITY_METRIC = "purchase_propensity", "cip_purchase_propensity", "roc_auc"
NEXT_ACTION_EXPERIMENT, NEXT_ACTION_MODEL, NEXT_ACTION_METRIC = "next_action", "cip_next_action", "macro_f1"
NEXT_ACTION_BASELINE = MarkovChain.name  # the other two methods are the trained models
MIN_ROWS = 200
PROBABILITIES = [f"p_{a}" for a in ACTIONS]

PROPENSITY_EVALUATION = TableSpec("ml", "propensity_evaluation", {
    "trained_at": "TIMESTAMP", "model_version": "VARCHAR", "mlflow_run_id": "VARCHAR", "evaluation_cutoff": "TIMESTAMP",
    "horizon_days": "DOUBLE", "method": "VARCHAR", "roc_auc": "DOUBLE", "pr_auc": "DOUBLE", "precision_top5": "DOUBLE",
    "recall_top5": "DOUBLE", "lift_top5": "DOUBLE", "beats_baselines": "BOOLEAN"},
    grain="one row per method (the model and each baseline) of the latest training; model_version is the "
          "candidate it registered")
PURCHASE_PROPENSITY = TableSpec("ml", "purchase_propensity", {
    "customer_id": "VARCHAR", "purchase_probability": "DOUBLE", "propensity_decile": "BIGINT", "horizon_days": "DOUBLE",
    "model_version": "VARCHAR", "as_of": "TIMESTAMP", "scored_at": "TIMESTAMP"},
    grain="one row per customer with an event in the 30 days before the data ends, scored by the champion")
NEXT_ACTION_EVALUATION = TableSpec("ml", "next_action_evaluation", {
    "model": "VARCHAR", "macro_f1": "DOUBLE", "purchase_precision": "DOUBLE", "purchase_recall": "DOUBLE",
    "accuracy": "DOUBLE", "log_loss": "DOUBLE", "fit_seconds": "DOUBLE", "score_seconds": "DOUBLE",
    "train_examples": "BIGINT", "test_examples": "BIGINT", "split_at": "TIMESTAMP", "mlflow_run_id": "VARCHAR",
    "chosen": "BOOLEAN", "trained_at": "TIMESTAMP"},
    grain="one row per method of the latest training; chosen: the best, registered as the candidate")
NEXT_ACTION_SCORES = TableSpec("ml", "next_action_scores", {
    "session_key": "VARCHAR", "customer_id": "VARCHAR", "started_at": "TIMESTAMP", "last_event_at": "TIMESTAMP",
    "events": "BIGINT", "carts": "BIGINT", "purchases": "BIGINT", **{p: "DOUBLE" for p in PROBABILITIES},
    "predicted_action": "VARCHAR", "model": "VARCHAR", "model_version": "VARCHAR", "scored_at": "TIMESTAMP"},
    grain="one row per session still open when the data ends, scored by the champion")


# ---------------------------------------------------------------- purchase propensity
@dataclass
class PropensityData:
    config: EventSettings
    plan: SnapshotPlan
    train: pd.DataFrame
    evaluation: pd.DataFrame


def prepare_propensity(con, config: EventSettings) -> PropensityData | str:
    """The training and evaluation snapshots; a string says why there is nothing to train on."""
    span = event_span(con)
    plan = plan_snapshots(*span, config.horizon, config.step, config.train_snapshots) if span else None
    if plan is None:
        return (f"events of known customers span {span[1] - span[0]}, too short for a training and an evaluation "
                f"window of {config.horizon} each" if span else "no events of known customers")
    train = pd.concat([snapshot(con, c, plan.horizon) for c in plan.train_cutoffs], ignore_index=True)
    evaluation = snapshot(con, plan.evaluation_cutoff, plan.horizon)
    if len(train) < MIN_ROWS or train.purchased.nunique() < 2 or evaluation.purchased.nunique() < 2:
        return (f"too few labelled rows: {len(train)} training rows ({int(train.purchased.sum())} purchasers), "
                f"{len(evaluation)} evaluation rows ({int(evaluation.purchased.sum())} purchasers)")
    return PropensityData(config, plan, train, evaluation)


def train_propensity(lifecycle: ModelLifecycle, tracking, dagster_run_id: str,
                     data: PropensityData) -> tuple[PropensityResult, str, Decision]:
    """Train and evaluate, track one MLflow run, register the best method, decide. Returns (result, MLflow run
    id, decision)."""
    result = train_and_evaluate(data.train, data.evaluation)
    scores = {m: values["roc_auc"] for m, values in result.metrics.items()}
    method, horizon_days = lifecycle.best_method(scores), data.config.horizon_days
    with tracking.start_run(PROPENSITY_EXPERIMENT, dagster_run_id, "propensity_model") as run:
        mlflow.log_params({"horizon_days": horizon_days, "train_snapshots": len(data.plan.train_cutoffs),
                           "first_train_cutoff": str(data.plan.train_cutoffs[0]),
                           "evaluation_cutoff": str(data.plan.evaluation_cutoff), "registered_method": method})
        mlflow.log_metrics({f"{m}_{name}": value for m, values in result.metrics.items()
                            for name, value in values.items() if value == value})
        mlflow.log_dict({"metrics": result.metrics, "rows": result.rows}, "evaluation.json")
        version = lifecycle.register(PropensityPyfunc(result.methods[method], horizon_days), method=method,
                                     trained_method="model", scores=scores,
                                     input_example=data.evaluation[FEATURES].head(5),
                                     pip_requirements=PROPENSITY_REQUIREMENTS,
                                     card=f"Returns purchase_probability: a purchase within {horizon_days:g} days.")
        lifecycle.client.set_model_version_tag(lifecycle.name, version, "horizon_days", str(horizon_days))
    evaluation = data.evaluation

    def rescore(champion) -> float:
        if not is_propensity_pyfunc(champion):
            raise TypeError("registered before the self-contained propensity pyfunc")
        return float(roc_auc_score(evaluation.purchased.to_numpy(),
                                   champion.predict(evaluation[FEATURES]).purchase_probability.to_numpy()))
    return result, run.info.run_id, lifecycle.decide(version, scores, trained_method="model", rescore=rescore)


def propensity_evaluation_rows(data: PropensityData, result: PropensityResult, run_id: str,
                               decision: Decision) -> pd.DataFrame:
    return pd.DataFrame([{"trained_at": datetime.now(), "model_version": decision.candidate_version,
                          "mlflow_run_id": run_id, "evaluation_cutoff": data.plan.evaluation_cutoff,
                          "horizon_days": data.config.horizon_days, "method": method, **values,
                          "beats_baselines": decision.model_beats_baselines}
                         for method, values in result.metrics.items()])


def score_propensity(con, champion, version: str) -> tuple[pd.DataFrame, object] | str:
    """Every customer with an event in the 30 days before the data ends, scored by the champion pyfunc: the
    probability of a purchase within its horizon and the decile (10 = top). A string says why not."""
    horizon_days = champion.unwrap_python_model().horizon_days
    span = event_span(con)
    if span is None:
        return "no events of known customers"
    as_of = span[1] + timedelta(seconds=1)
    frame = snapshot(con, as_of, timedelta(days=horizon_days))
    probability = (champion.predict(frame[FEATURES]).purchase_probability.to_numpy() if len(frame)
                   else np.zeros(0))
    return pd.DataFrame({
        "customer_id": frame.customer_id, "purchase_probability": probability,
        "propensity_decile": np.ceil(pd.Series(probability).rank(method="first", pct=True) * 10).astype("int64"),
        "horizon_days": horizon_days, "model_version": str(version), "as_of": as_of,
        "scored_at": datetime.now()}), as_of


# ---------------------------------------------------------------- next action
@dataclass
class NextActionData:
    split_at: object
    train_w: Windows
    train_y: np.ndarray
    test_w: Windows
    test_y: np.ndarray


def prepare_next_action(con, config: EventSettings) -> NextActionData | str:
    split_at = split_time(con) if table_exists(con, "marts", "event_sessions") else None
    if split_at is None:
        return "no sessions"
    train_w, train_y, test_w, test_y = read_split(con, split_at, config.max_train_events, config.max_test_events)
    if len(train_y) < 10 * MIN_ROWS or len(test_y) < MIN_ROWS:
        return f"too few events: {len(train_y)} to train on, {len(test_y)} to test on"
    return NextActionData(split_at, train_w, train_y, test_w, test_y)


def fit_next_action(tracking, dagster_run_id: str, data: NextActionData) -> tuple[pd.DataFrame, dict]:
    """The three methods on one split, each an MLflow run. Returns (one row per method, fitted methods)."""
    configure_threads()  # the platform's one thread setting (cip_resources/text_encoders.py)
    rows, fitted = [], {}
    for model in (MarkovChain(), NgramLightGBM(), GRUNextAction()):
        started = perf_counter()
        model.fit(data.train_w, data.train_y)
        fit_seconds = perf_counter() - started
        started = perf_counter()
        metrics = evaluate(data.test_y, model.predict_proba(data.test_w))
        score_seconds = perf_counter() - started
        with tracking.start_run(NEXT_ACTION_EXPERIMENT, dagster_run_id, f"next_action_{model.name}") as run:
            mlflow.set_tags({"model": model.name, "split_at": str(data.split_at)})
            mlflow.log_params({"split_at": str(data.split_at), "train_examples": len(data.train_y),
                               "test_examples": len(data.test_y), "window": data.train_w.tokens.shape[1]})
            mlflow.log_metrics({**metrics, "fit_seconds": fit_seconds, "score_seconds": score_seconds})
        fitted[model.name] = model
        rows.append({"model": model.name, **metrics, "fit_seconds": fit_seconds, "score_seconds": score_seconds,
                     "train_examples": len(data.train_y), "test_examples": len(data.test_y),
                     "split_at": data.split_at, "mlflow_run_id": run.info.run_id})
    return pd.DataFrame(rows), fitted


def register_next_action(lifecycle: ModelLifecycle, tracking, dagster_run_id: str, data: NextActionData,
                         evaluation: pd.DataFrame, fitted: dict) -> Decision:
    """The best method registered (into its own MLflow run) as a pyfunc, then the lifecycle's decision; the
    trained method is the better of LightGBM and the GRU, the Markov chain its baseline."""
    scores = dict(zip(evaluation.model, evaluation.macro_f1.astype(float)))
    trained = max((m for m in scores if m != NEXT_ACTION_BASELINE), key=scores.get)
    method = lifecycle.best_method(scores)
    with tracking.start_run(NEXT_ACTION_EXPERIMENT, dagster_run_id, f"next_action_{method}"):
        version = lifecycle.register(NextActionPyfunc(fitted[method]), method=method, trained_method=trained,
                                     scores=scores, input_example=data.test_w.take(slice(0, 5)).to_frame(),
                                     pip_requirements=NEXT_ACTION_REQUIREMENTS,
                                     card=f"Input Windows.to_frame(); returns {', '.join(PROBABILITIES)}.")
        lifecycle.client.set_model_version_tag(lifecycle.name, version, "model", method)
    test = data.test_w.to_frame()

    def rescore(champion) -> float:
        if not is_next_action_pyfunc(champion):
            raise TypeError("not a next-action pyfunc")
        return evaluate(data.test_y, champion.predict(test)[PROBABILITIES].to_numpy())["macro_f1"]
    return lifecycle.decide(version, scores, trained_method=trained, rescore=rescore)


def next_action_evaluation_rows(evaluation: pd.DataFrame, decision: Decision) -> pd.DataFrame:
    return evaluation.assign(chosen=evaluation.model == decision.candidate_method, trained_at=datetime.now())


def score_next_action(champion, version: str, sessions: pd.DataFrame, windows: Windows) -> pd.DataFrame:
    """The champion's probability of every next action for each open session, and the likeliest."""
    proba = (champion.predict(windows.to_frame())[PROBABILITIES].reset_index(drop=True) if len(sessions)
             else pd.DataFrame(columns=PROBABILITIES, dtype=float))
    scores = pd.concat([sessions.reset_index(drop=True), proba], axis=1)
    scores["predicted_action"] = (proba.idxmax(axis=1).str.removeprefix("p_") if len(proba)
                                  else pd.Series(dtype=str))
    return scores.assign(model=next_action_method(champion), model_version=str(version), scored_at=datetime.now())
