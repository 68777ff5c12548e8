"""Feedback decoder assets (group `nlp`): sentiment model, topics, aspects, sentiment per text, weekly
topic trend, and the feedback summary mart. Thin wrappers over cip_assets.feedback.pipeline; the sentiment
model is trained, registered and decided by the model lifecycle (training.py, cip_resources.lifecycle) and
the scoring assets use its champion pyfunc (pyfunc.py)."""


import dagster as dg
import pandas as pd
from pydantic import Field

from cip_assets.churn.assets import STAGING_INPUTS
from cip_assets.feedback import pipeline
from cip_assets.feedback.training import METRIC, REGISTERED_MODEL, register_and_decide, scoring_model
from cip_assets.serving.privacy import safe_markdown
from cip_assets.skip import skipped
from cip_resources.lifecycle import decision_check, store_decision
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource

FEEDBACK_INPUTS = [k for k in STAGING_INPUTS if k.path[-1] in ("stg_feedback", "stg_order_lines")]
OWNERS = ["team:data-science"]
NO_TEXT = "no feedback with text in staging.stg_feedback"


def _md(frame: pd.DataFrame, rows: int = 5) -> dg.MetadataValue:
    return dg.MetadataValue.md(safe_markdown(frame, rows))  # no personal data in the UI (serving/privacy.py)


@dg.asset(key=["nlp", "sentiment_model"], group_name="nlp", deps=FEEDBACK_INPUTS, kinds={"sklearn", "mlflow"},
          owners=OWNERS)
def sentiment_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                    mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Logistic regression over TF-IDF words and characters, the sentence embedding (the `text.sentiment_encoder`
    build) and VADER's scores, trained on rating-derived labels (>= 4 positive, 3 neutral, <= 2 negative),
    beside VADER on held-out texts (a stable 20% by feedback id). The better is
    registered (`cip_sentiment`, a pyfunc: text in, label and score out) and becomes champion unless the
    current champion, re-scored on the same texts, does better. Without enough rated text nothing is
    registered and the champion stays (VADER where there is none)."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            return skipped(context, NO_TEXT)
        encoder = pipeline.sentiment_backend()
        training, emb, _, encoding = pipeline.train_step(con, fb, encoder)
    lifecycle = mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC)
    run_id, decision = register_and_decide(lifecycle, mlflow_tracking, context.run_id, training, fb, emb, encoder)
    with warehouse.get_connection() as con:
        pipeline.write(con, "nlp.sentiment_model_evaluation", pipeline.evaluation_rows(
            training, decision and decision.candidate_version, run_id, decision and decision.summary), mode="append")
        if decision is not None:
            store_decision(con, decision)
    metrics = {f"{n}_{m}": v for n, ms in training.metrics.items() for m, v in ms.items()}
    if decision is None:
        return skipped(context, f"{training.reason}: nothing registered, the champion stays",
                       mlflow_run_id=run_id, rows=dg.MetadataValue.json(training.rows), **encoding)
    (context.log.info if decision.model_beats_baselines else context.log.warning)(decision.summary)
    return dg.MaterializeResult(metadata={
        "method": decision.candidate_method, "decision": decision.summary,
        "model_version": decision.candidate_version, "champion_version": decision.champion_version,
        "champion_method": decision.champion_method, "mlflow_run_id": run_id,
        "rows": dg.MetadataValue.json(training.rows), **metrics, **encoding})


class TopicsConfig(dg.Config):
    """`refit: true` fits the topics again on every text; the `build_all` and `retrain` jobs set it."""

    refit: bool = Field(False, description="Fit the topics again on every text (topic ids may change). Otherwise "
                        "the last fit's topics are kept and only the new texts join their nearest topic.")


@dg.asset(key=["nlp", "feedback_topics"], group_name="nlp", deps=FEEDBACK_INPUTS, kinds={"bertopic", "duckdb"},
          owners=OWNERS)
def feedback_topics(context: dg.AssetExecutionContext, config: TopicsConfig,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """BERTopic on the cached embeddings (UMAP seed 42, HDBSCAN, c-TF-IDF), outliers reduced by embedding
    similarity; one row per topic with its top words, size, share and the three texts nearest its centre.
    Also writes nlp.feedback_topic_assignments (one row per text) and nlp.feedback_topic_model (the centres).
    Nightly the topics are kept and only new texts are embedded and assigned, so a topic keeps its id from one
    night to the next; the weekly retrain fits them again (pipeline.topics_step says when else)."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            for table in ("nlp.feedback_topics", "nlp.feedback_topic_assignments", "nlp.feedback_topic_model"):
                pipeline.write(con, table)
            return skipped(context, NO_TEXT)
        with pipeline.embedding_cache(con) as cache:
            result = pipeline.topics_step(con, fb, refit=config.refit, cache=cache)
    quality = pipeline.topic_quality(fb, result) if result.new_texts is None else {"new_texts": result.new_texts}
    return dg.MaterializeResult(metadata={**pipeline.encoding_metadata(cache),
        "dagster/row_count": len(result.topics), "method": result.method, **{k: float(v) for k, v in quality.items()},
        "preview": _md(result.topics.sort_values("texts", ascending=False)[["topic_id", "topic_label", "texts"]], 10)})


@dg.asset(key=["nlp", "feedback_aspects"], group_name="nlp", deps=[*FEEDBACK_INPUTS, sentiment_model],
          kinds={"sentence-transformers", "duckdb"}, owners=OWNERS)
def feedback_aspects(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """One row per (text, aspect) it talks about (keyword seeds or embedding similarity to the aspect's
    descriptions), with the aspect's sentiment in [-1, 1] from the sentences that name it. A night reads only the
    texts not read before by the same champion, encoder build and aspects."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            pipeline.write(con, "nlp.feedback_aspects"), pipeline.write(con, "nlp_cache.feedback_aspects_read")
            return skipped(context, NO_TEXT)
    champion = scoring_model(mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC))
    if isinstance(champion, str):
        return skipped(context, champion)
    model, method, which = champion
    with warehouse.get_connection() as con:
        tags = pipeline.aspects_step(con, fb, model, read_by=which)
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
    from the champion, whichever method it is (said in `method`), the VADER score beside it, topic and aspects.
    A night scores only the texts the same champion has not scored as they are (`scored_by`)."""
    with warehouse.get_connection() as con:
        fb = pipeline.load_feedback(con)
        if fb.empty:
            pipeline.write(con, "nlp.feedback_sentiment")
            return skipped(context, NO_TEXT)
    champion = scoring_model(mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC))
    if isinstance(champion, str):
        return skipped(context, champion)
    model, method, which = champion
    with warehouse.get_connection() as con:
        out = pipeline.sentiment_step(con, fb, model, method, scored_by=which)
    mix = out.groupby(["channel", "sentiment_label"]).size().unstack(fill_value=0).reset_index()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(out), "method": method, "scored_by": which,
        "sentiment_mix": _md(mix, 10), "preview": _md(out[["feedback_id", "channel", "rating", "sentiment_label",
                                                           "sentiment_score", "topic_label", "aspects"]])})


@dg.asset(key=["nlp", "feedback_topic_trend"], group_name="nlp", deps=[feedback_sentiment], kinds={"duckdb"},
          owners=OWNERS)
def feedback_topic_trend(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Texts per topic per week (weeks start on Monday), for trend charts."""
    with warehouse.get_connection() as con:
        rows = pipeline.trend_step(con)
    if rows == 0:
        return skipped(None, NO_TEXT, **{"dagster/row_count": 0})
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
        return skipped(None, NO_TEXT, **{"dagster/row_count": 0})
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


@dg.asset_check(asset=sentiment_model, name="agrees_with_ratings", blocking=False,
                description="WARN when the classifier did not win on the held-out rated texts (or nothing could be "
                            "trained): the figures, and which method is champion. Never blocks: the champion scores.")
def sentiment_model_agrees_with_ratings(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, REGISTERED_MODEL)


feedback_assets = [sentiment_model, feedback_topics, feedback_aspects, feedback_sentiment, feedback_topic_trend,
                   feedback_summary]
feedback_checks = [feedback_sentiment_scores_in_range, sentiment_model_agrees_with_ratings]
