"""The feedback refresh as plain steps over a DuckDB connection (no Dagster): the assets call these
one each, and `refresh` runs them all in one process (the benchmark, the CLI).

Rows analysed: every `staging.stg_feedback` row with a text (the title when the text is empty),
reviews and support messages alike; rows with neither are left out (nothing to read). The
category is the feedback's own, else the product's most frequent category in
`staging.stg_order_lines`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd

from cip_assets.feedback import aspects as asp
from cip_assets.feedback.embeddings import EmbeddingCache, content_hash
from cip_assets.feedback.pyfunc import ClassifierMethod, SentimentPyfunc, VaderMethod, encoder_of, predict_sentiment
from cip_assets.feedback.sentiment import SentimentTraining, train_sentiment, vader_polarity, vader_scores
from cip_assets.feedback.summary import SUMMARY_COLUMNS, summarise
from cip_assets.feedback.topics import (MODEL_COLUMNS, TOPIC_COLUMNS, TopicResult, assign_topics,
                                        coherence_npmi, fit_topics, weekly_counts)
from cip_resources.tables import TableSpec, ensure_table, table_exists, write_table
from cip_resources.text_encoders import backend_for

FEEDBACK_SQL = """
WITH product_category AS (
    SELECT product_id, mode(category) AS category
    FROM staging.stg_order_lines WHERE product_id IS NOT NULL AND category IS NOT NULL GROUP BY 1
)
SELECT f.feedback_id, f.customer_id, f.product_id, coalesce(CAST(f.category AS VARCHAR), pc.category) AS category, f.channel,
       f.created_at, f.rating,
       coalesce(nullif(trim(CAST(f.feedback_text AS VARCHAR)), ''),
                nullif(trim(CAST(f.feedback_title AS VARCHAR)), '')) AS text
FROM staging.stg_feedback f LEFT JOIN product_category pc USING (product_id)
WHERE coalesce(nullif(trim(CAST(f.feedback_text AS VARCHAR)), ''),
                nullif(trim(CAST(f.feedback_title AS VARCHAR)), '')) IS NOT NULL
ORDER BY f.feedback_id
"""
FEEDBACK_SQL_NO_ORDERS = FEEDBACK_SQL.split("SELECT f.feedback_id", 1)[1]
FEEDBACK_SQL_NO_ORDERS = ("SELECT f.feedback_id" + FEEDBACK_SQL_NO_ORDERS).replace(
    "coalesce(CAST(f.category AS VARCHAR), pc.category)", "CAST(f.category AS VARCHAR)").replace(
    " LEFT JOIN product_category pc USING (product_id)", "")

# the tables the steps write, declared once and written one way (cip_resources.tables.write_table)
_SPECS = [
    TableSpec("nlp", "feedback_sentiment", {
        "feedback_id": "VARCHAR", "customer_id": "VARCHAR", "product_id": "VARCHAR", "category": "VARCHAR",
        "channel": "VARCHAR", "created_at": "TIMESTAMP", "rating": "DOUBLE", "text": "VARCHAR",
        "sentiment_label": "VARCHAR", "sentiment_score": "DOUBLE", "vader_score": "DOUBLE", "method": "VARCHAR",
        "topic_id": "INTEGER", "topic_label": "VARCHAR", "aspects": "VARCHAR", "scored_by": "VARCHAR"},
        grain="one row per feedback text (reviews and support messages), scored by the sentiment champion"),
    TableSpec("nlp", "feedback_aspects", {"feedback_id": "VARCHAR", "aspect": "VARCHAR", "aspect_sentiment": "DOUBLE",
                                          "similarity": "DOUBLE", "matched": "VARCHAR"},
              grain="one row per (feedback text, aspect it talks about)"),
    TableSpec("nlp_cache", "feedback_aspects_read",  # state between runs: not published
              {"feedback_id": "VARCHAR", "text_hash": "VARCHAR", "read_by": "VARCHAR"},
              grain="one row per feedback text the aspect tagger read: the text's hash, and the sentiment model, "
                    "encoder build and aspect definitions it was read with (a night reads only the others)"),
    TableSpec("nlp", "feedback_topics", {
        "topic_id": "INTEGER", "topic_label": "VARCHAR", "top_words": "VARCHAR", "texts": "BIGINT", "share": "DOUBLE",
        "representative_1": "VARCHAR", "representative_2": "VARCHAR", "representative_3": "VARCHAR"},
        grain="one row per topic (-1: the outliers left)"),
    TableSpec("nlp", "feedback_topic_assignments", {"feedback_id": "VARCHAR", "topic_id": "INTEGER",
                                                    "topic_label": "VARCHAR"}, grain="one row per feedback text"),
    TableSpec("nlp", "feedback_topic_model", {
        "topic_id": "INTEGER", "centre": "FLOAT[]", "centre_offset": "DOUBLE", "encoder": "VARCHAR",
        "fitted_at": "TIMESTAMP", "fitted_texts": "BIGINT"},
        grain="one row per topic of the last fit: its centre, which the texts that arrive until the next fit join"),
    TableSpec("nlp", "feedback_topic_trend", {"topic_id": "INTEGER", "topic_label": "VARCHAR", "week": "DATE",
                                              "texts": "BIGINT"}, grain="one row per (topic, week starting Monday)"),
    TableSpec("marts", "feedback_summary", {
        "level": "VARCHAR", "key": "VARCHAR", "month": "DATE", "volume": "BIGINT", "rated": "BIGINT",
        "avg_rating": "DOUBLE", "positive_share": "DOUBLE", "neutral_share": "DOUBLE", "negative_share": "DOUBLE",
        "avg_sentiment": "DOUBLE", "top_aspects": "VARCHAR", "top_topics": "VARCHAR", "quote_1": "VARCHAR",
        "quote_2": "VARCHAR", "quote_3": "VARCHAR"}, grain="one row per (level, key, month)"),
    TableSpec("nlp", "sentiment_model_evaluation", {
        "trained_at": "TIMESTAMP", "method": "VARCHAR", "reason": "VARCHAR", "model_version": "VARCHAR",
        "mlflow_run_id": "VARCHAR", "evaluated": "VARCHAR", "accuracy": "DOUBLE", "macro_f1": "DOUBLE",
        "rated": "BIGINT", "test_rows": "BIGINT"},
        grain="one row per sentiment training and method evaluated on the held-out texts (one row with "
              "evaluated NULL when nothing could be)"),
]
TABLES: dict[str, TableSpec] = {spec.qualified: spec for spec in _SPECS}
assert list(TABLES["marts.feedback_summary"].columns) == SUMMARY_COLUMNS
assert list(TABLES["nlp.feedback_topics"].columns) == TOPIC_COLUMNS
assert list(TABLES["nlp.feedback_topic_model"].columns)[:3] == MODEL_COLUMNS
REFIT_SHARE = 0.5  # more new texts than this share of the texts fitted: the topics are fitted again


def write(con, name: str, frame: pd.DataFrame | None = None, mode: str = "replace") -> int:
    """Replace (or append to) table `name` with `frame` in its declared columns (extra columns dropped)."""
    spec = TABLES[name]
    return write_table(con, spec, spec.empty() if frame is None else frame.reindex(columns=list(spec.columns)), mode)


def ensure(con, name: str) -> None:
    """Create table `name` empty (with its declared columns) when it does not exist yet."""
    ensure_table(con, TABLES[name])


def load_feedback(con) -> pd.DataFrame:
    """Feedback rows with a text; an empty frame when the staging view is missing or empty."""
    for sql in (FEEDBACK_SQL, FEEDBACK_SQL_NO_ORDERS):
        try:
            return con.execute(sql).df()
        except duckdb.CatalogException:
            continue
    return pd.DataFrame(columns=list(TABLES["nlp.feedback_sentiment"].columns)[:8])


def bulk_backend() -> str:
    """The encoder build for topics, aspects, quotes and the question index (`text.bulk_encoder`)."""
    return backend_for("bulk", _raw_config())


def sentiment_backend() -> str:
    """The encoder build the sentiment classifier is trained on (`text.sentiment_encoder`)."""
    return backend_for("sentiment", _raw_config())


def _raw_config() -> dict:
    from cip_resources.settings import load_config

    return load_config().raw


@contextmanager
def embedding_cache(con, backend: str | None = None) -> Iterator[EmbeddingCache]:
    """The cache of build `backend` (default: the bulk build) in the warehouse (schema nlp_cache), or in the
    DuckDB file CIP_EMBEDDING_CACHE names: one file shared by several CIP homes on a machine (the test
    suite's runs) embeds each text only once."""
    backend = backend or bulk_backend()
    shared = os.environ.get("CIP_EMBEDDING_CACHE")
    if not shared:
        yield EmbeddingCache(con, backend)
        return
    with duckdb.connect(shared) as cache_con:
        yield EmbeddingCache(cache_con, backend)


def embed(con, texts, backend: str | None = None) -> tuple[np.ndarray, EmbeddingCache]:
    with embedding_cache(con, backend) as cache:
        return cache.get(texts), cache


def encoding_metadata(cache: EmbeddingCache) -> dict[str, float | int | str]:
    """What the cache's encoder did in this step: the build, texts it encoded (not cached before), their mean
    length and the throughput, for the asset's metadata (the figures of benchmarks/bench_text_encoders.py)."""
    stats = cache.stats
    rate = stats.encoded / stats.encode_seconds if stats.encoded and stats.encode_seconds > 0 else 0.0
    return {"encoder": cache.model, "texts_encoded": int(stats.encoded),
            "encoded_mean_chars": round(stats.encoded_chars / stats.encoded, 1) if stats.encoded else 0.0,
            "encode_seconds": round(stats.encode_seconds, 3), "encoded_texts_per_second": round(rate, 1)}


def score_sentiment(con, model, texts) -> tuple[np.ndarray, np.ndarray]:
    """(label, score) per text by the sentiment pyfunc `model`, fed the cached vectors of its own build."""
    backend = encoder_of(model)
    emb = embed(con, texts, backend)[0] if backend and len(texts) else None
    return predict_sentiment(model, texts, emb)


# --- steps ----------------------------------------------------------------------------------------------
def train_step(con, fb: pd.DataFrame, backend: str | None = None
               ) -> tuple[SentimentTraining, np.ndarray, np.ndarray, dict]:
    """Every candidate trained and evaluated; returns (training, the embeddings used, VADER's polarity, the
    encoding's metadata)."""
    emb, cache = embed(con, fb.text, backend or sentiment_backend())
    vader = vader_polarity(fb.text.tolist())
    training = train_sentiment(fb.text, emb, fb.rating, vader, ids=fb.feedback_id.to_numpy())
    return training, emb, vader, encoding_metadata(cache)


def evaluation_rows(training: SentimentTraining, version: str | None, run_id: str | None,
                    reason: str | None = None) -> pd.DataFrame:
    """One row per method evaluated on the held-out texts; `version` is the candidate this training registered."""
    rows = [{"evaluated": name, **m} for name, m in training.metrics.items()] or [{"evaluated": None}]
    frame = pd.DataFrame(rows)
    frame["trained_at"] = pd.Timestamp.now()
    frame["method"], frame["reason"], frame["model_version"], frame["mlflow_run_id"] = (
        training.method, reason or training.reason, version, run_id)
    frame["rated"], frame["test_rows"] = training.rows.get("rated", 0), training.rows.get("test")
    return frame


def sentiment_pyfunc(training: SentimentTraining, method: str, encoder: str) -> SentimentPyfunc:
    """The pyfunc of one evaluated method of this training (`encoder`: the build its embeddings came from)."""
    if method == "vader":
        return SentimentPyfunc(VaderMethod())
    return SentimentPyfunc(ClassifierMethod(training.models[method], method, encoder))


def in_memory_model(training: SentimentTraining, encoder: str = "torch") -> SentimentPyfunc:
    """The pyfunc of this training's best method, unregistered (the refresh without MLflow)."""
    return sentiment_pyfunc(training, training.method, encoder)


def topics_step(con, fb: pd.DataFrame, emb: np.ndarray | None = None, seed: int = 42, refit: bool = True,
                cache: EmbeddingCache | None = None) -> TopicResult:
    """Topics on the bulk build's vectors (`emb`, else from `cache` or the warehouse's cache). Without `refit`,
    the last fit's topics are kept when they are there (same encoder build, and the new texts at most REFIT_SHARE
    of those it fitted): only the texts without a topic are embedded and join their nearest one, the others keep
    theirs."""
    vectors = cache.get if cache is not None else (lambda texts: embed(con, texts)[0])
    if not refit and (kept := keep_topics(con, fb, vectors)) is not None:
        return kept
    if emb is None:
        emb = vectors(fb.text)
    result = fit_topics(fb.text, emb, seed=seed)
    write(con, "nlp.feedback_topics", result.topics)
    write(con, "nlp.feedback_topic_assignments",
          pd.DataFrame({"feedback_id": fb.feedback_id.to_numpy(), "topic_id": result.topic_ids,
                        "topic_label": result.labels()}))
    write(con, "nlp.feedback_topic_model", result.model.assign(
        encoder=bulk_backend(), fitted_at=pd.Timestamp.now(), fitted_texts=len(fb)))
    return result


def keep_topics(con, fb: pd.DataFrame, vectors) -> TopicResult | None:
    """The last fit's topics with the new texts assigned, their vectors from `vectors(texts)`; None, writing
    nothing, when the topics should be fitted again."""
    tables = ("feedback_topic_model", "feedback_topics", "feedback_topic_assignments")
    if not all(table_exists(con, "nlp", t) for t in tables):
        return None
    model = con.execute("SELECT * FROM nlp.feedback_topic_model ORDER BY topic_id").df()
    if model.empty or model.encoder.iloc[0] != bulk_backend():
        return None
    known = con.execute("SELECT feedback_id, topic_id FROM nlp.feedback_topic_assignments").df()
    new = fb[~fb.feedback_id.isin(known.feedback_id)]
    if len(new) > REFIT_SHARE * model.fitted_texts.iloc[0]:
        return None
    joined = pd.DataFrame({"feedback_id": new.feedback_id.to_numpy(),
                           "topic_id": assign_topics(vectors(new.text), model) if len(new) else []})
    assigned = fb[["feedback_id"]].merge(pd.concat([known, joined]), on="feedback_id", how="left")
    topic_ids = assigned.topic_id.fillna(-1).to_numpy(np.int64)
    topics = con.execute("SELECT * FROM nlp.feedback_topics ORDER BY topic_id").df()
    sizes = pd.Series(topic_ids).value_counts()
    topics = topics[topics.topic_id.isin(sizes.index)].copy()
    topics["texts"] = topics.topic_id.map(sizes).astype(int)
    topics["share"] = topics.texts / len(fb)
    fitted = model.fitted_at.iloc[0]
    result = TopicResult(
        topic_ids, topics.reset_index(drop=True)[TOPIC_COLUMNS], float("nan"), float((topic_ids == -1).mean()),
        f"kept (fitted {fitted:%Y-%m-%d %H:%M} on {model.fitted_texts.iloc[0]} texts); {len(new)} new texts joined "
        "their nearest topic", {t: [(w, 0.0) for w in words.split(", ") if w]
                                for t, words in zip(topics.topic_id, topics.top_words.fillna(""))},
        model[MODEL_COLUMNS], new_texts=len(new))
    write(con, "nlp.feedback_topics", result.topics)
    write(con, "nlp.feedback_topic_assignments", pd.DataFrame({
        "feedback_id": fb.feedback_id.to_numpy(), "topic_id": topic_ids, "topic_label": result.labels()}))
    return result


def topic_quality(fb: pd.DataFrame, result: TopicResult) -> dict[str, float]:
    return {"topics": int((result.topics.topic_id >= 0).sum()), "outlier_share_before": result.outliers_before,
            "outlier_share_after": result.outliers_after, **coherence_npmi(fb.text, result.words)}


def aspects_step(con, fb: pd.DataFrame, model, emb: np.ndarray | None = None,
                 doc_scores: np.ndarray | None = None, read_by: str | None = None) -> pd.DataFrame:
    """Aspect tags with per-aspect sentiment (VADER on the sentences naming the aspect, the text's own score by
    the sentiment `model`, a pyfunc, where VADER finds them neutral); the bulk encoder runs only on the texts
    (cached) and the aspect descriptions; `emb` are bulk vectors, `doc_scores` the model's scores, both of `fb`.
    With `read_by` (the model that scores, as `training.scoring_model` names it), the texts read before by the same
    model, build and aspects keep their tags and only the others are read (nlp_cache.feedback_aspects_read)."""
    with embedding_cache(con) as cache:
        read_by = read_by and f"{read_by}; {cache.backend} build; aspects {asp.definitions_hash()}"
        hashes = content_hash(fb.text)
        todo = ~_read_before(con, fb, hashes, read_by)
        new = fb[todo]
        emb = cache.get(new.text) if emb is None else np.asarray(emb)[todo]
        prototypes, owner = asp.prototype_vectors(cache.get)
        threshold = asp.similarity_threshold(cache.backend)
    if doc_scores is None:
        doc_scores = score_sentiment(con, model, new.text)[1] if len(new) else np.zeros(0)
    else:
        doc_scores = np.asarray(doc_scores)[todo]
    hits = asp.keyword_sentences(new.text)
    sentence_scores = vader_scores(hits.sentence.tolist())
    tags = asp.tag_aspects(new.feedback_id.to_numpy(), emb, doc_scores, hits, sentence_scores, prototypes, owner,
                           threshold=threshold)
    if not todo.all():
        con.register("_kept", fb[~todo][["feedback_id"]])
        kept = con.execute("SELECT a.* FROM nlp.feedback_aspects a JOIN _kept USING (feedback_id)").df()
        con.unregister("_kept")
        tags = pd.concat([kept, tags], ignore_index=True)
    write(con, "nlp.feedback_aspects", tags)
    write(con, "nlp_cache.feedback_aspects_read", pd.DataFrame({
        "feedback_id": fb.feedback_id.to_numpy(), "text_hash": hashes, "read_by": read_by}))
    return tags


def _read_before(con, fb: pd.DataFrame, hashes: np.ndarray, read_by: str | None) -> np.ndarray:
    """Which texts of `fb` the aspect tagger read before, as they are now, by `read_by`."""
    tables = ("nlp.feedback_aspects", "nlp_cache.feedback_aspects_read")
    if read_by is None or not all(table_exists(con, *t.split(".")) for t in tables):
        return np.zeros(len(fb), dtype=bool)
    con.register("_texts", pd.DataFrame({"feedback_id": fb.feedback_id.to_numpy(), "text_hash": hashes}))
    read = con.execute("SELECT feedback_id FROM nlp_cache.feedback_aspects_read "
                       "JOIN _texts USING (feedback_id, text_hash) WHERE read_by = ?", [read_by]).df()
    con.unregister("_texts")
    return fb.feedback_id.isin(read.feedback_id).to_numpy()


def sentiment_step(con, fb: pd.DataFrame, model, method: str, emb: np.ndarray | None = None,
                   vader: np.ndarray | None = None, scored_by: str | None = None) -> pd.DataFrame:
    """nlp.feedback_sentiment by the sentiment `model` (a pyfunc; `method` names it; `emb`, when given, are
    vectors of its build; `vader`, VADER's scores; both of `fb`), joined with the topic assignments and aspect
    lists already written. With `scored_by` (the model, as `training.scoring_model` names it), the texts it
    scored before, unchanged, keep their scores and only the others are scored."""
    kept = _scored_before(con, fb, scored_by)
    todo = ~fb.feedback_id.isin(kept.feedback_id).to_numpy()
    new = fb[todo].copy()
    new["vader_score"] = vader_scores(new.text.tolist()) if vader is None else np.asarray(vader)[todo]
    if len(new):
        new["sentiment_label"], new["sentiment_score"] = (
            predict_sentiment(model, new.text, np.asarray(emb)[todo]) if emb is not None
            else score_sentiment(con, model, new.text))
    out = pd.concat([fb[~todo].merge(kept, on="feedback_id"), new], ignore_index=True)
    out["method"], out["scored_by"] = method, scored_by
    ensure(con, "nlp.feedback_topic_assignments"), ensure(con, "nlp.feedback_aspects")
    con.register("_out", out)
    joined = con.execute("""
        SELECT o.*, t.topic_id, t.topic_label, a.aspects
        FROM _out o
        LEFT JOIN nlp.feedback_topic_assignments t USING (feedback_id)
        LEFT JOIN (SELECT feedback_id, string_agg(aspect, ',' ORDER BY similarity DESC) AS aspects
                   FROM nlp.feedback_aspects GROUP BY 1) a USING (feedback_id)
        ORDER BY o.feedback_id""").df()
    con.unregister("_out")
    write(con, "nlp.feedback_sentiment", joined)
    return joined


def _scored_before(con, fb: pd.DataFrame, scored_by: str | None) -> pd.DataFrame:
    """feedback_id and the scores of the texts of `fb` that `scored_by` scored before, as they are now."""
    columns = ["feedback_id", "sentiment_label", "sentiment_score", "vader_score"]
    if scored_by is None or not table_exists(con, "nlp", "feedback_sentiment"):
        return pd.DataFrame(columns=columns)
    ensure(con, "nlp.feedback_sentiment")  # a table written before `scored_by` was a column gets it
    con.register("_texts", fb[["feedback_id", "text"]])
    kept = con.execute(f"SELECT {', '.join('s.' + c for c in columns)} FROM nlp.feedback_sentiment s "
                       "JOIN _texts USING (feedback_id, text) WHERE s.scored_by = ?", [scored_by]).df()
    con.unregister("_texts")
    return kept


def trend_step(con) -> int:
    ensure(con, "nlp.feedback_sentiment")
    frame = con.execute("SELECT topic_id, topic_label, created_at FROM nlp.feedback_sentiment").df()
    return write(con, "nlp.feedback_topic_trend", weekly_counts(frame.topic_id, frame.topic_label, frame.created_at))


def summary_step(con) -> pd.DataFrame:
    ensure(con, "nlp.feedback_sentiment"), ensure(con, "nlp.feedback_aspects")
    feedback = con.execute("SELECT * FROM nlp.feedback_sentiment ORDER BY feedback_id").df()
    aspects = con.execute("SELECT feedback_id, aspect FROM nlp.feedback_aspects").df()
    emb = embed(con, feedback.text)[0] if len(feedback) else np.zeros((0, 1), np.float32)
    summary = summarise(feedback, emb, aspects)
    write(con, "marts.feedback_summary", summary)
    return summary


@dataclass
class RefreshResult:
    rows: int
    training: SentimentTraining
    topics: TopicResult | None
    seconds: dict[str, float]


def refresh(con) -> RefreshResult:
    """Every step in one process, with the freshly trained model in memory (no MLflow). Stage seconds and the
    texts each encoder build embedded (`encoded_<build>`) are in `seconds`."""
    import time

    seconds: dict[str, float] = {}
    sentiment_build, bulk_build = sentiment_backend(), bulk_backend()
    t = time.perf_counter()
    fb = load_feedback(con)
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    bulk, cache = embed(con, fb.text, bulk_build)
    seconds[f"embed_{bulk_build}"] = time.perf_counter() - t
    seconds[f"encoded_{bulk_build}"] = cache.stats.encoded
    t = time.perf_counter()
    if sentiment_build == bulk_build:
        emb = bulk
    else:
        emb, cache = embed(con, fb.text, sentiment_build)
        seconds[f"embed_{sentiment_build}"] = time.perf_counter() - t
        seconds[f"encoded_{sentiment_build}"] = cache.stats.encoded
    t = time.perf_counter()
    polarity = vader_polarity(fb.text.tolist())
    vader = polarity[:, 0]
    seconds["vader"] = time.perf_counter() - t
    t = time.perf_counter()
    training = train_sentiment(fb.text, emb, fb.rating, polarity, ids=fb.feedback_id.to_numpy())
    seconds["train"] = time.perf_counter() - t
    t = time.perf_counter()
    topics = topics_step(con, fb, bulk) if len(fb) else None
    if topics is None:
        write(con, "nlp.feedback_topics"), write(con, "nlp.feedback_topic_assignments")
    seconds["topics"] = time.perf_counter() - t
    t = time.perf_counter()
    model = in_memory_model(training, sentiment_build)
    doc_scores = predict_sentiment(model, fb.text, emb)[1]
    aspects_step(con, fb, model, bulk, doc_scores)
    seconds["aspects"] = time.perf_counter() - t
    t = time.perf_counter()
    sentiment_step(con, fb, model, training.method, emb, vader)
    trend_step(con)
    summary_step(con)
    seconds["sentiment_trend_summary"] = time.perf_counter() - t
    return RefreshResult(len(fb), training, topics, seconds)
