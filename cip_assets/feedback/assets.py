"""Feedback decoder assets (group `nlp`): sentiment model, topics, aspects, sentiment per text, weekly
topic trend, and the feedback summary mart. Thin wrappers over cip_assets.feedback.pipeline."""


import dagster as dg
import mlflow
import pandas as pd

from cip_assets.churn.assets import STAGING_INPUTS
from cip_assets.feedback import pipeline
from cip_assets.feedback.embeddings import MODEL_NAME
from cip_assets.serving.privacy import safe_markdown
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource

EXPERIMENT = "feedback_sentiment"
REGISTERED_MODEL = "cip_sentiment"
FEEDBACK_INPUTS = [k for k in STAGING_INPUTS if k.path[-1] in ("stg_feedback", "stg_order_lines")]
OWNERS = ["team:data-science"]
NO_TEXT = "no feedback with text in staging.stg_feedback"


def _md(frame: pd.DataFrame, rows: int = 5) -> dg.MetadataValue:
    return dg.MetadataValue.md(safe_markdown(frame, rows))  # no personal data in the UI (serving/privacy.py)


def _method_and_model(con, mlflow_tracking: MlflowResource, log) -> tuple[str, object, str]:
    """The method the latest training chose and, for the classifier, its model from the registry."""
    method, version, reason = pipeline.latest_decision(con)
    if method != "classifier":
        return "vader", None, reason
    try:
        mlflow_tracking.client()
        return "classifier", mlflow.sklearn.load_model(f"models:/{REGISTERED_MODEL}/{version}"), reason
    except Exception as exc:  # noqa: BLE001 - a missing model must not stop the scoring
        log.warning(f"could not load {REGISTERED_MODEL} v{version} ({exc}); falling back to VADER")
        return "vader", None, f"model {REGISTERED_MODEL} v{version} could not be loaded: VADER is used"


@dg.asset(key=["nlp", "sentiment_model"], group_name="nlp", deps=FEEDBACK_INPUTS, kinds={"sklearn", "mlflow"},
          owners=OWNERS)
def sentiment_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                    mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Logistic regression on all-MiniLM-L6-v2 embeddings, trained on rating-derived labels (>= 4 positive,
    3 neutral, <= 2 negative), compared with VADER on a held-out 20%; registered as `cip_sentiment@champion`
    when it beats VADER, otherwise (or with no rated text) the platform uses VADER and says why."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            return dg.MaterializeResult(metadata={"skipped": NO_TEXT})
        training, emb, _ = pipeline.train_step(con, fb)
    version = None
    with mlflow_tracking.start_run(EXPERIMENT, context.run_id, "sentiment_model") as run:
        mlflow.log_params({"encoder": MODEL_NAME, "method": training.method, "labels": ">=4 positive, 3 neutral, <=2 "
                           "negative", "classifier": "LogisticRegression(C=2, balanced)", **training.rows})
        mlflow.log_metrics({f"{name}_{metric}": value for name, values in training.metrics.items()
                            for metric, value in values.items()})
        mlflow.set_tag("decision", training.reason)
        if training.method == "classifier":
            info = mlflow.sklearn.log_model(training.model, name="model", input_example=emb[:3],
                                            registered_model_name=REGISTERED_MODEL,
                                            pip_requirements=["scikit-learn==1.9.1"])
            version = str(info.registered_model_version)
    if version is not None:
        mlflow_tracking.client().set_registered_model_alias(REGISTERED_MODEL, "champion", version)
    with warehouse.get_connection() as con:
        pipeline.append_evaluation(con, pipeline.evaluation_rows(training, version, run.info.run_id))
    if training.method != "classifier":
        context.log.warning(training.reason)
    metrics = {f"{n}_{m}": v for n, ms in training.metrics.items() for m, v in ms.items()}
    return dg.MaterializeResult(metadata={
        "method": training.method, "decision": training.reason, "model_version": version or "none",
        "mlflow_run_id": run.info.run_id, "rows": dg.MetadataValue.json(training.rows), **metrics})


@dg.asset(key=["nlp", "feedback_topics"], group_name="nlp", deps=FEEDBACK_INPUTS, kinds={"bertopic", "duckdb"},
          owners=OWNERS)
def feedback_topics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """BERTopic on the cached embeddings (UMAP seed 42, HDBSCAN, c-TF-IDF), outliers reduced by embedding
    similarity; one row per topic with its top words, size, share and the three texts nearest its centre.
    Also writes nlp.feedback_topic_assignments (one row per text)."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            pipeline.write(con, "nlp.feedback_topics"), pipeline.write(con, "nlp.feedback_topic_assignments")
            return dg.MaterializeResult(metadata={"skipped": NO_TEXT})
        result = pipeline.topics_step(con, fb)
    quality = pipeline.topic_quality(fb, result)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(result.topics), "method": result.method, **{k: float(v) for k, v in quality.items()},
        "preview": _md(result.topics.sort_values("texts", ascending=False)[["topic_id", "topic_label", "texts"]], 10)})


@dg.asset(key=["nlp", "feedback_aspects"], group_name="nlp", deps=[*FEEDBACK_INPUTS, sentiment_model],
          kinds={"sentence-transformers", "duckdb"}, owners=OWNERS)
def feedback_aspects(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """One row per (text, aspect) it talks about (keyword seeds or embedding similarity to the aspect's
    descriptions), with the aspect's sentiment in [-1, 1] from the sentences that name it."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            pipeline.write(con, "nlp.feedback_aspects")
            return dg.MaterializeResult(metadata={"skipped": NO_TEXT})
        method, model, reason = _method_and_model(con, mlflow_tracking, context.log)
        tags = pipeline.aspects_step(con, fb, method, model)
    counts = tags.groupby("aspect").agg(texts=("feedback_id", "size"), avg_sentiment=("aspect_sentiment", "mean"))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(tags), "method": method, "texts_with_an_aspect": int(tags.feedback_id.nunique()),
        "aspects": _md(counts.sort_values("texts", ascending=False).reset_index().round(3), 20)})


@dg.asset(key=["nlp", "feedback_sentiment"], group_name="nlp",
          deps=[*FEEDBACK_INPUTS, sentiment_model, feedback_topics, feedback_aspects],
          kinds={"sklearn", "duckdb"}, owners=OWNERS)
def feedback_sentiment(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """One row per feedback text (reviews and support messages): sentiment label and score in [-1, 1]
    from the champion classifier (or VADER, said in `method`), the VADER score beside it, topic and aspects."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            pipeline.write(con, "nlp.feedback_sentiment")
            return dg.MaterializeResult(metadata={"skipped": NO_TEXT})
        method, model, reason = _method_and_model(con, mlflow_tracking, context.log)
        out = pipeline.sentiment_step(con, fb, method, model)
    mix = out.groupby(["channel", "sentiment_label"]).size().unstack(fill_value=0).reset_index()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(out), "method": method, "decision": reason,
        "sentiment_mix": _md(mix, 10), "preview": _md(out[["feedback_id", "channel", "rating", "sentiment_label",
                                                           "sentiment_score", "topic_label", "aspects"]])})


@dg.asset(key=["nlp", "feedback_topic_trend"], group_name="nlp", deps=[feedback_sentiment], kinds={"duckdb"},
          owners=OWNERS)
def feedback_topic_trend(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Texts per topic per week (weeks start on Monday), for trend charts."""
    with warehouse.get_connection() as con:
        rows = pipeline.trend_step(con)
    if rows == 0:
        return dg.MaterializeResult(metadata={"skipped": NO_TEXT, "dagster/row_count": 0})
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(key=["marts", "feedback_summary"], group_name="nlp", deps=[feedback_sentiment, feedback_aspects],
          kinds={"duckdb"}, owners=OWNERS)
def feedback_summary(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Grain: one row per (level, key, month): level 'product' (key product_id), 'category' (key category),
    'month' (key 'YYYY-MM', month its first day); volume, rated, avg_rating, sentiment mix and mean,
    top aspects and topics, and three quotes: the group's texts nearest its embedding centre (extractive)."""
    with warehouse.get_connection() as con:
        summary = pipeline.summary_step(con)
    if summary.empty:
        return dg.MaterializeResult(metadata={"skipped": NO_TEXT, "dagster/row_count": 0})
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(summary), "levels": dg.MetadataValue.json(summary.level.value_counts().to_dict()),
        "preview": _md(summary[summary.level == "category"][["key", "volume", "avg_rating", "avg_sentiment",
                                                              "top_aspects", "quote_1"]], 10)})


@dg.asset_check(asset=feedback_sentiment, name="scores_in_range",
                description="Every text has a label in negative/neutral/positive and a score in [-1, 1].")
def feedback_sentiment_scores_in_range(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        bad, total = con.execute("""SELECT count(*) FILTER (WHERE sentiment_label NOT IN ('negative','neutral','positive')
            OR sentiment_label IS NULL OR sentiment_score NOT BETWEEN -1 AND 1 OR sentiment_score IS NULL), count(*)
            FROM nlp.feedback_sentiment""").fetchone()
    return dg.AssetCheckResult(passed=bad == 0, metadata={"bad_rows": bad, "rows": total})


@dg.asset_check(asset=sentiment_model, name="agrees_with_ratings",
                description="Where ratings exist, the chosen method's held-out macro-F1 is reported and the "
                            "classifier is only used when it beats VADER (warns when VADER is the fallback).")
def sentiment_model_agrees_with_ratings(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        method, version, reason = pipeline.latest_decision(con)
    return dg.AssetCheckResult(passed=method == "classifier", severity=dg.AssetCheckSeverity.WARN,
                               metadata={"method": method, "decision": reason, "model_version": version or "none"})


feedback_assets = [sentiment_model, feedback_topics, feedback_aspects, feedback_sentiment, feedback_topic_trend,
                   feedback_summary]
feedback_checks = [feedback_sentiment_scores_in_range, sentiment_model_agrees_with_ratings]
