"""Train, track and decide: the churn model's weekly retrain as plain functions (the asset only wires them).

Snapshot mode: LightGBM trained on older cutoffs, evaluated out of time on the latest labelled
cutoff beside logistic regression on log-RFM and recency alone. The best of the three is registered
as the candidate (a baseline that wins is a legitimate champion), and the lifecycle promotes it
unless the current champion, re-scored on the same evaluation snapshot, does better. Labelled mode
(raw.customer_labels): the same, with cross-validation instead of an out-of-time split.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from sklearn.metrics import roc_auc_score

from cip_assets.churn.features import FEATURES, last_order_day, plan_cutoffs, snapshot
from cip_assets.churn.labelled import attribute_features, cross_validate, load_labels
from cip_assets.churn.model import train_and_evaluate
from cip_assets.churn.plots import evaluation_figures
from cip_assets.churn.pyfunc import PIP_REQUIREMENTS, ChurnPyfunc, LabelledMethod, fit_method
from cip_assets.churn.scoring import ACTIVE_WITHIN_DAYS
from cip_resources.lifecycle import Decision, ModelLifecycle
from cip_resources.tables import TableSpec

EXPERIMENT = "churn"
REGISTERED_MODEL = "cip_churn"
MIN_CUSTOMERS = 200

EVALUATION = TableSpec("ml", "churn_model_evaluation", {
    "trained_at": "TIMESTAMP", "model_version": "VARCHAR", "mlflow_run_id": "VARCHAR", "evaluation_cutoff": "DATE",
    "horizon_days": "INTEGER", "method": "VARCHAR", "roc_auc": "DOUBLE", "pr_auc": "DOUBLE", "brier": "DOUBLE",
    "lift_top_decile": "DOUBLE", "recall_top_decile": "DOUBLE", "promoted_if_check_passes": "BOOLEAN",
    "mode": "VARCHAR"}, grain="one row per training run and method (the model and each baseline)")


@dataclass
class Prepared:
    mode: str                    # snapshots | labelled
    training: object             # ChurnTraining | LabelledTraining
    train: pd.DataFrame          # training rows (features and `churned`)
    evaluation: pd.DataFrame | None
    reference: pd.DataFrame      # training features of customers who would be scored, for drift reports
    params: dict
    cutoff: object = None
    horizon: int | None = None


def prepare(con, horizon: int) -> Prepared | str:
    """Train on what the warehouse holds; a string says why nothing could be trained."""
    labels = load_labels(con)
    if len(labels) >= MIN_CUSTOMERS and labels.churned.nunique() == 2:
        try:
            result = cross_validate(labels)
        except ValueError as error:
            return f"labelled mode: {error}"
        features = attribute_features(labels)
        return Prepared("labelled", result, features.assign(churned=labels.churned.astype(bool).to_numpy(int)),
                        None, features, {"folds": result.rows["folds"], "attributes": ",".join(result.features),
                                         "best_single_attribute": result.best_single_attribute})
    last_day = last_order_day(con)
    if last_day is None:
        return "no completed orders and no labelled customers"
    train_cutoffs, eval_cutoff = plan_cutoffs(last_day, horizon)
    train = pd.concat([snapshot(con, c, horizon) for c in train_cutoffs], ignore_index=True)
    evaluation = snapshot(con, eval_cutoff, horizon)
    if min(len(train), len(evaluation)) < MIN_CUSTOMERS or evaluation.churned.nunique() < 2:
        return (f"too little history for a {horizon}-day horizon: {len(train)} training rows before "
                f"{train_cutoffs[-1]}, {len(evaluation)} customers at {eval_cutoff}")
    result = train_and_evaluate(train, evaluation)
    latest = train[(train.cutoff == train.cutoff.max()) & (train.recency_days <= ACTIVE_WITHIN_DAYS)]
    return Prepared("snapshots", result, train, evaluation, latest[FEATURES],
                    {"horizon_days": horizon, "train_cutoffs": ",".join(map(str, train_cutoffs)),
                     "evaluation_cutoff": str(eval_cutoff)}, eval_cutoff, horizon)


def scores_of(prepared: Prepared) -> dict[str, float]:
    """Out-of-time ROC-AUC of every method that can be registered."""
    registrable = ("model", "logreg_rfm", "recency_only") if prepared.mode == "snapshots" else (
        "model", "logreg_attributes")
    return {m: prepared.training.metrics[m]["roc_auc"] for m in registrable if m in prepared.training.metrics}


def register_and_decide(lifecycle: ModelLifecycle, tracking, dagster_run_id: str,
                        prepared: Prepared) -> tuple[str, Decision]:
    """One MLflow run (params, metrics, plots, drift reference), the winning method registered as a
    self-contained pyfunc, then the lifecycle's decision. Returns (MLflow run id, decision)."""
    scores = scores_of(prepared)
    method_name = lifecycle.best_method(scores)
    if prepared.mode == "snapshots":
        method = fit_method(method_name, prepared.training, prepared.train)
    else:
        method = LabelledMethod.fit(method_name, prepared.training, prepared.train)
    training = prepared.training
    with tracking.start_run(EXPERIMENT, dagster_run_id, "churn_model") as run:
        mlflow.set_tag("mode", prepared.mode)
        mlflow.log_params({**prepared.params, "calibration": training.calibrator.method, "registered_method": method_name})
        mlflow.log_metrics({f"{name}_{metric}": value for name, values in training.metrics.items()
                            for metric, value in values.items() if value == value})
        mlflow.log_dict({"mode": prepared.mode, "metrics": training.metrics, "rows": training.rows}, "evaluation.json")
        for name, figure in evaluation_figures(training.y, training.predictions).items():
            mlflow.log_figure(figure, f"plots/{name}")
            plt.close(figure)
        with tempfile.TemporaryDirectory() as tmp:  # training features (no ids), for drift reports
            reference = prepared.reference.sample(min(len(prepared.reference), 5000), random_state=0)
            reference.to_parquet(Path(tmp) / "reference.parquet")
            mlflow.log_artifact(str(Path(tmp) / "reference.parquet"))
        example = prepared.reference[[c for c in prepared.reference.columns]].head(5)
        version = lifecycle.register(ChurnPyfunc(method), method=method_name, trained_method="model", scores=scores,
                                     input_example=example, pip_requirements=PIP_REQUIREMENTS,
                                     card=f"Mode: {prepared.mode}; returns calibrated probabilities, bands, reasons.")
        lifecycle.client.set_model_version_tag(REGISTERED_MODEL, version, "mode", prepared.mode)
    rescore = _rescorer(prepared.evaluation) if prepared.mode == "snapshots" else None
    return run.info.run_id, lifecycle.decide(version, scores, trained_method="model", rescore=rescore)


def _rescorer(evaluation: pd.DataFrame):
    """The champion's ROC-AUC on this very evaluation snapshot (labelled mode has none: cross-validated)."""
    def rescore(champion) -> float:
        return float(roc_auc_score(evaluation.churned.to_numpy(int),
                                   champion.predict(evaluation)["churn_probability"].to_numpy(float)))
    return rescore


def evaluation_rows(prepared: Prepared, run_id: str, decision: Decision) -> pd.DataFrame:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return pd.DataFrame([{
        "trained_at": now, "model_version": decision.candidate_version, "mlflow_run_id": run_id,
        "evaluation_cutoff": prepared.cutoff, "horizon_days": prepared.horizon, "method": method,
        "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"], "brier": m.get("brier"),
        "lift_top_decile": m["lift_top_decile"], "recall_top_decile": m["recall_top_decile"],
        "promoted_if_check_passes": method == decision.candidate_method, "mode": prepared.mode}
        for method, m in prepared.training.metrics.items()])


def metrics_table(metrics: dict[str, dict[str, float]]) -> str:
    rows = [f"| {k} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m.get('brier', float('nan')):.3f} | "
            f"{m['lift_top_decile']:.2f} | {m['recall_top_decile']:.2f} |" for k, m in metrics.items()]
    return "\n".join(["| method | ROC-AUC | PR-AUC | Brier | lift@10% | recall@10% |", "|---|---|---|---|---|---|",
                      *rows])


def score_customers(champion, frame: pd.DataFrame, version: str, as_of, predict=None) -> pd.DataFrame:
    """The champion pyfunc's output for `frame`, with ids and provenance. `predict` replaces the in-process
    call (the same model through Spark, cip_resources/spark.py)."""
    out = (predict or champion.predict)(frame).reset_index(drop=True)
    return pd.concat([frame[["customer_id"]].reset_index(drop=True), out], axis=1).assign(
        model_version=str(version), scored_at=datetime.now(), as_of=pd.Timestamp(as_of))


def labelled_customers_to_score(con, features: list[str]) -> tuple[pd.DataFrame, object]:
    """In labelled mode the customers still with us (labelled not churned), with their attributes."""
    labels = load_labels(con)
    frame = attribute_features(labels).reindex(columns=features)
    frame.insert(0, "customer_id", labels.customer_id)
    return frame[~labels.churned.astype(bool)].reset_index(drop=True), datetime.now().date()
