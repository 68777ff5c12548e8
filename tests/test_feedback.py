"""Feedback decoder: the embedding cache, sentiment with its VADER baseline, aspects, topics, summaries,
one in-process materialization of the assets on a small synthetic warehouse, and the model lifecycle of
the sentiment model (a losing candidate keeps the champion; the registered pyfunc alone scores)."""

import dagster as dg
import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest

from cip_assets.feedback import aspects as asp
from cip_assets.feedback import pipeline
from cip_assets.feedback.assets import feedback_assets, feedback_checks
from cip_assets.feedback.embeddings import EmbeddingCache, encode, split_sentences
from cip_assets.feedback.pyfunc import ClassifierMethod, SentimentPyfunc, VaderMethod, predict_sentiment
from cip_assets.feedback.sentiment import (holdout_mask, rating_labels, train_sentiment, vader_polarity,
                                          vader_scores)
from cip_assets.feedback.summary import summarise
from cip_assets.feedback.topics import assign_topics, coherence_npmi, fit_topics, weekly_counts
from cip_assets.ingest.synthetic import ASPECT_PHRASES, REVIEW_CLOSERS, REVIEW_OPENERS, SUPPORT_PHRASES
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource, connect

SENTIMENTS = ("negative", "neutral", "positive")
NOUNS = ["dress", "kettle", "lamp", "jacket", "blender", "sneakers", "headphones", "backpack"]


def synthetic_feedback(n_reviews: int = 240, n_support: int = 40, seed: int = 0, rated: bool = True) -> pd.DataFrame:
    """Reviews built like the platform's generator (opener + noun + aspect phrase + closer; the rating follows
    the sentiment) and support messages without ratings."""
    rng = np.random.default_rng(seed)
    aspects = list(ASPECT_PHRASES)
    sentiment = rng.integers(0, 3, n_reviews)
    rating = np.array([rng.choice([1, 2]) if s == 0 else 3 if s == 1 else rng.choice([4, 5]) for s in sentiment])
    texts = []
    for s in sentiment:
        label = SENTIMENTS[s]
        prefix, suffix = REVIEW_OPENERS[label][rng.integers(3)]
        phrase = ASPECT_PHRASES[aspects[rng.integers(len(aspects))]][s][rng.integers(3)]
        texts.append(f"{prefix}{NOUNS[rng.integers(len(NOUNS))]}{suffix} {phrase}{REVIEW_CLOSERS[label][rng.integers(3)]}")
    support = [SUPPORT_PHRASES[aspects[i % len(aspects)]][i % 3][0] for i in range(n_support)]
    n = n_reviews + n_support
    return pd.DataFrame({
        "feedback_id": [f"F{i:05d}" for i in range(n)],
        "customer_id": [f"C{i % 60:03d}" for i in range(n)],
        "product_id": [f"P{i % 12:02d}" for i in range(n)],
        "category": None,
        "created_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120 * 86400, n), unit="s"),
        "channel": ["review"] * n_reviews + ["support"] * n_support,
        "rating": np.concatenate([rating.astype(float) if rated else np.full(n_reviews, np.nan),
                                  np.full(n_support, np.nan)]),
        "feedback_text": texts + support,
        "feedback_title": None,
    })


def build_staging(database, feedback: pd.DataFrame) -> None:
    """staging.stg_feedback and staging.stg_order_lines as plain tables (what the dbt views return)."""
    con = connect(database)
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.register("f", feedback)
    con.execute("CREATE OR REPLACE TABLE staging.stg_feedback AS SELECT * FROM f")
    con.execute("""CREATE OR REPLACE TABLE staging.stg_order_lines AS
        SELECT 'P' || lpad(i::VARCHAR, 2, '0') AS product_id, CASE WHEN i % 2 = 0 THEN 'Home' ELSE 'Apparel' END
        AS category FROM range(12) t(i)""")
    con.close()


# --- embeddings -------------------------------------------------------------------------------------------
def test_cache_embeds_only_new_texts(tmp_path):
    path = tmp_path / "cache.duckdb"
    with duckdb.connect(str(path)) as con:
        cache = EmbeddingCache(con)
        first = cache.get(["The parcel was late.", "Lovely dress.", "The parcel was late."])
        assert cache.stats.encoded == 2 and cache.size() == 2
        assert np.allclose(first[0], first[2]) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-5)
    with duckdb.connect(str(path)) as con:  # a refresh in a new process: only the new text is encoded
        cache = EmbeddingCache(con)
        again = cache.get(["Lovely dress.", "Support never replied.", "The parcel was late."])
        assert cache.stats.encoded == 1 and cache.size() == 3
        assert np.allclose(again[0], first[1], atol=1e-6) and np.allclose(again[2], first[0], atol=1e-6)
        assert np.allclose(again[1], encode(["Support never replied."])[0], atol=1e-5)


def test_sentences_split_on_punctuation():
    s = split_sentences(pd.Series(["Fast delivery! The fabric is thin. ", None, "no punctuation here"]))
    assert s.sentence.tolist() == ["Fast delivery!", "The fabric is thin.", "no punctuation here"]
    assert s.doc.tolist() == [0, 0, 2]


# --- sentiment --------------------------------------------------------------------------------------------
def test_rating_labels():
    assert list(rating_labels([5, 4, 3, 2, 1, None])) == ["positive", "positive", "neutral", "negative", "negative",
                                                         None]


def test_vader_fallback_when_no_ratings():
    fb = synthetic_feedback(60, 0, rated=False)
    texts = fb.feedback_text.tolist()
    vader = vader_scores(texts)
    emb = encode(texts)
    training = train_sentiment(texts, emb, fb.rating, vader_polarity(texts))
    assert training.method == "vader" and training.model is None and not training.evaluated
    assert "too few rated texts" in training.reason
    labels, scores = predict_sentiment(pipeline.in_memory_model(training), texts, emb)
    assert np.array_equal(scores, vader) and set(labels) <= {"negative", "neutral", "positive"}


def test_classifier_learns_from_ratings_and_beats_vader():
    fb = synthetic_feedback(300, 0, seed=1)
    texts = fb.feedback_text.tolist()
    training = train_sentiment(texts, encode(texts), fb.rating, vader_polarity(texts), ids=fb.feedback_id)
    assert training.method == "classifier", training.reason
    assert training.metrics["classifier"]["macro_f1"] > training.metrics["vader"]["macro_f1"]
    assert training.metrics["classifier"]["accuracy"] > 0.8
    # the held-out texts are the hashed 20% of ids, and the classifier never saw them
    assert set(fb.feedback_id[training.test]) == set(fb.feedback_id[holdout_mask(fb.feedback_id)])
    assert training.rows["train"] + training.rows["test"] == 300 and 30 < training.rows["test"] < 90
    # the pyfunc takes text alone (it encodes what comes without an embedding)
    labels, scores = predict_sentiment(SentimentPyfunc(ClassifierMethod(training.model)), [
        "Absolutely delighted, great value for money.", "Really disappointed, it fell apart."])
    assert list(labels) == ["positive", "negative"] and scores[0] > 0.5 > -0.5 > scores[1]


def test_the_held_out_texts_are_the_same_at_every_refresh():
    ids = np.array([f"F{i:05d}" for i in range(5000)])
    held = holdout_mask(ids)
    assert 0.18 < held.mean() < 0.22
    more = np.concatenate([ids, [f"N{i:05d}" for i in range(1000)]])  # new feedback arrives, order changes
    shuffled = np.random.default_rng(0).permutation(more)
    assert set(shuffled[holdout_mask(shuffled)]) >= set(ids[held])


# --- aspects ----------------------------------------------------------------------------------------------
def test_aspects_tag_a_delivery_complaint_as_negative_delivery():
    texts = ["My parcel arrived two weeks late and the courier was rude.", "Love this dress, the fabric is so soft!",
             "I returned it a month ago and I am still waiting for my refund, terrible."]
    emb = encode(texts)
    vader = vader_scores(texts)
    hits = asp.keyword_sentences(texts)
    prototypes, owner = asp.prototype_vectors(encode)
    tags = asp.tag_aspects(["a", "b", "c"], emb, vader, hits, vader_scores(hits.sentence.tolist()), prototypes, owner)
    delivery = tags[(tags.feedback_id == "a") & (tags.aspect == "delivery")]
    assert len(delivery) == 1 and delivery.aspect_sentiment.iloc[0] < -0.3
    assert "delivery" not in set(tags[tags.feedback_id == "b"].aspect)
    assert {"fabric and material"} <= set(tags[tags.feedback_id == "b"].aspect)
    assert tags[(tags.feedback_id == "b") & (tags.aspect == "fabric and material")].aspect_sentiment.iloc[0] > 0
    refund = tags[(tags.feedback_id == "c") & (tags.aspect == "returns and refunds")]
    assert len(refund) == 1 and refund.aspect_sentiment.iloc[0] < 0
    assert tags.similarity.between(-1, 1).all()
    assert asp.aspect_lists(tags)["a"].split(",")[0] == "delivery"  # the most similar aspect first


# --- topics -----------------------------------------------------------------------------------------------
def topic_corpus() -> list[str]:
    rng = np.random.default_rng(3)
    themes = [ASPECT_PHRASES["delivery"][0] + ASPECT_PHRASES["delivery"][2],
              ASPECT_PHRASES["size and fit"][0] + ASPECT_PHRASES["size and fit"][2],
              ASPECT_PHRASES["customer support"][0] + ASPECT_PHRASES["customer support"][2]]
    return [f"{themes[t][rng.integers(6)]} {themes[t][rng.integers(6)]} ({NOUNS[rng.integers(len(NOUNS))]})"
            for t in np.repeat(np.arange(3), 40)]


def test_topics_are_deterministic_and_find_the_themes():
    texts = topic_corpus()
    emb = encode(texts)
    first, second = fit_topics(texts, emb, seed=7), fit_topics(texts, emb, seed=7)
    assert first.method == "bertopic"
    assert np.array_equal(first.topic_ids, second.topic_ids)
    pd.testing.assert_frame_equal(first.topics, second.topics)
    assert (first.topics.topic_id >= 0).sum() >= 2
    # each theme lands mostly in one topic
    theme = np.repeat(np.arange(3), 40)
    purity = pd.crosstab(theme, first.topic_ids).max(axis=1) / 40
    assert purity.min() >= 0.8, pd.crosstab(theme, first.topic_ids)
    reps = first.topics[["representative_1", "representative_2", "representative_3"]].stack()
    assert set(reps) <= set(texts)
    assert first.topics.texts.sum() == len(texts) and abs(first.topics.share.sum() - 1) < 1e-9
    assert coherence_npmi(texts, first.words)["npmi"] > 0
    few = fit_topics(texts[:5], emb[:5])  # too few texts for clustering: one topic, still labelled
    assert few.method.startswith("single topic") and set(few.topic_ids) == {0} and few.topics.topic_label[0]


def test_the_kept_centres_assign_a_new_text_as_the_fit_assigned_the_texts_outside_its_sample():
    texts = topic_corpus()
    emb = encode(texts)
    result = fit_topics(texts, emb, seed=7, fit_sample=60)
    outside = np.setdiff1d(np.arange(len(texts)), np.random.default_rng(7).choice(len(texts), 60, replace=False))
    assert len(outside) == 60 and set(result.model.topic_id) == set(result.topic_ids[result.topic_ids >= 0])
    assert np.array_equal(assign_topics(emb[outside], result.model), result.topic_ids[outside])
    # a delivery complaint said another way joins the topic holding the delivery texts
    delivery = pd.Series(result.topic_ids[:40]).mode()[0]
    late = encode(["The parcel came two weeks late and the courier lost it."])
    assert assign_topics(late, result.model).tolist() == [delivery]


def test_a_night_keeps_the_topics_and_assigns_only_the_new_texts(tmp_path, monkeypatch):
    monkeypatch.delenv("CIP_EMBEDDING_CACHE", raising=False)
    texts = topic_corpus()
    fb = pd.DataFrame({"feedback_id": [f"F{i:03d}" for i in range(len(texts))], "text": texts})
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        fitted = pipeline.topics_step(con, fb.iloc[:100])
        assert fitted.new_texts is None and fitted.method == "bertopic"
        model = con.execute("SELECT topic_id, fitted_texts, encoder FROM nlp.feedback_topic_model").df()
        assert model.fitted_texts.tolist() == [100] * len(model) and set(model.encoder) == {pipeline.bulk_backend()}
        before = con.execute("SELECT * FROM nlp.feedback_topic_assignments ORDER BY feedback_id").df()
        cache = EmbeddingCache(con, pipeline.bulk_backend())
        night = pipeline.topics_step(con, fb, refit=False, cache=cache)
        assert night.new_texts == 20 and night.method.startswith("kept") and cache.stats.requested == 20
        after = con.execute("SELECT * FROM nlp.feedback_topic_assignments ORDER BY feedback_id").df()
        pd.testing.assert_frame_equal(after.head(100), before)  # yesterday's texts keep their topics
        expected = assign_topics(cache.get(texts[100:]), fitted.model)
        assert after.topic_id.tail(20).tolist() == expected.tolist()
        topics = con.execute("SELECT * FROM nlp.feedback_topics").df()
        assert topics.texts.sum() == 120 and abs(topics.share.sum() - 1) < 1e-9
        assert set(topics.topic_label) == set(fitted.topics.topic_label)
        # many new texts against those fitted, or another encoder build: to be fitted again
        many = pd.concat([fb, fb.assign(feedback_id=fb.feedback_id + "b")])
        assert pipeline.keep_topics(con, many, cache.get) is None
        con.execute("UPDATE nlp.feedback_topic_model SET encoder = 'another build'")
        assert pipeline.keep_topics(con, fb, cache.get) is None


def test_weekly_counts_start_on_monday():
    trend = weekly_counts([0, 0, 1], ["a", "a", "b"], pd.to_datetime(["2024-05-08", "2024-05-12", "2024-05-13"]))
    assert trend.week.astype(str).tolist() == ["2024-05-06", "2024-05-13"]  # Wed and Sun -> Mon 6th; Mon 13th
    assert trend.texts.tolist() == [2, 1] and trend.topic_label.tolist() == ["a", "b"]


def test_a_night_scores_and_tags_only_the_texts_the_same_model_has_not_read(tmp_path, monkeypatch):
    """Texts the champion scored (and the aspect tagger read) as they are now keep their rows; a new text, an
    edited one and every text under another model are read again."""
    monkeypatch.delenv("CIP_EMBEDDING_CACHE", raising=False)
    fb = synthetic_feedback(60, 10, seed=5).rename(columns={"feedback_text": "text"})
    model = SentimentPyfunc(VaderMethod())
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        pipeline.aspects_step(con, fb.iloc[:60], model, read_by="v1")
        first = pipeline.sentiment_step(con, fb.iloc[:60], model, "vader", scored_by="v1")
        assert set(first.scored_by) == {"v1"}
        # mark yesterday's rows: a row read again loses the mark
        con.execute("UPDATE nlp.feedback_sentiment SET sentiment_score = 0.123456")
        con.execute("UPDATE nlp.feedback_aspects SET aspect_sentiment = 0.123456")
        tonight = fb.copy()
        tonight.loc[3, "text"] = "Terrible quality: the zip broke on day one and support was awful."  # edited
        tags = pipeline.aspects_step(con, tonight, model, read_by="v1")
        out = pipeline.sentiment_step(con, tonight, model, "vader", scored_by="v1").set_index("feedback_id")
        read_again = set(tonight.feedback_id[60:]) | {tonight.feedback_id[3]}
        assert set(out.index[out.sentiment_score != 0.123456]) <= read_again
        assert set(out.index[out.sentiment_score == 0.123456]) == set(tonight.feedback_id) - read_again
        assert out.loc[tonight.feedback_id[3], "sentiment_label"] == "negative"
        assert set(tags.feedback_id[tags.aspect_sentiment != 0.123456]) <= read_again
        assert {"product quality", "customer support"} <= set(tags.aspect[tags.feedback_id == tonight.feedback_id[3]])
        assert len(out) == 70 and set(tags.feedback_id) <= set(tonight.feedback_id)
        # another model reads every text again
        again = pipeline.sentiment_step(con, tonight, model, "vader", scored_by="v2")
        assert (again.sentiment_score != 0.123456).all() and set(again.scored_by) == {"v2"}
        assert (pipeline.aspects_step(con, tonight, model, read_by="v2").aspect_sentiment != 0.123456).all()


# --- summary ----------------------------------------------------------------------------------------------
def test_summary_quotes_are_real_input_texts():
    fb = synthetic_feedback(80, 10, seed=2).rename(columns={"feedback_text": "text"})
    fb["category"] = np.where(fb.index % 2 == 0, "Home", "Apparel")
    emb = encode(fb.text.tolist())
    fb["sentiment_score"] = vader_scores(fb.text.tolist())
    fb["sentiment_label"] = np.where(fb.sentiment_score > 0.05, "positive",
                                     np.where(fb.sentiment_score < -0.05, "negative", "neutral"))
    fb["topic_label"] = "t"
    aspects = pd.DataFrame({"feedback_id": fb.feedback_id[:30], "aspect": "delivery"})
    summary = summarise(fb, emb, aspects)
    assert set(summary.level) == {"product", "category", "month"}
    assert not summary.duplicated(["level", "key", "month"]).any()
    quotes = summary[["quote_1", "quote_2", "quote_3"]].stack()
    assert len(quotes) > 0 and set(quotes) <= set(fb.text)
    assert (summary.quote_1 != summary.quote_2).all()
    shares = summary[["positive_share", "neutral_share", "negative_share"]].sum(axis=1)
    assert np.allclose(shares, 1)
    home = summary[(summary.level == "category") & (summary.key == "Home")].iloc[0]
    assert home.volume == (fb.category == "Home").sum()
    assert home.avg_rating == pytest.approx(fb[fb.category == "Home"].rating.mean())
    # the quote nearest the centre really is the nearest
    members = fb.category == "Home"
    centre = emb[members].sum(axis=0)
    centre /= np.linalg.norm(centre)
    assert home.quote_1 == fb.text[members].iloc[int(np.argmax(emb[members] @ centre))]


# --- assets -----------------------------------------------------------------------------------------------
def _materialize(home):
    resources = {"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")),
                 "mlflow_tracking": MlflowResource(cip_home=str(home))}
    return dg.materialize([*feedback_assets, *feedback_checks], resources=resources, raise_on_error=False)


def test_assets_materialize_on_a_small_synthetic_warehouse(cip_home, monkeypatch):
    monkeypatch.delenv("CIP_EMBEDDING_CACHE")  # the default: the cache lives in the warehouse
    database = cip_home / "warehouse.duckdb"
    build_staging(database, synthetic_feedback(240, 40, seed=4))
    result = _materialize(cip_home)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    with duckdb.connect(str(database), read_only=True) as con:
        sent = con.execute("SELECT * FROM nlp.feedback_sentiment").df()
        topics = con.execute("SELECT * FROM nlp.feedback_topics").df()
        trend = con.execute("SELECT * FROM nlp.feedback_topic_trend").df()
        summary = con.execute("SELECT * FROM marts.feedback_summary").df()
        aspects = con.execute("SELECT * FROM nlp.feedback_aspects").df()
        cached = con.execute("SELECT count(*) FROM nlp_cache.text_embeddings_256").fetchone()[0]  # the bulk build
    assert len(sent) == 280 and sent.feedback_id.is_unique
    assert list(sent.columns) == list(pipeline.TABLES["nlp.feedback_sentiment"].columns)
    assert set(sent.method) == {"classifier"} and sent.sentiment_score.between(-1, 1).all()
    assert set(sent.category.dropna()) == {"Home", "Apparel"}  # from the order lines' products
    agree = (sent.rating >= 4) == (sent.sentiment_label == "positive")
    assert agree[sent.rating.notna()].mean() > 0.9
    assert sent.topic_label.notna().all() and sent.aspects.notna().mean() > 0.9
    assert trend.texts.sum() == len(sent) and topics.texts.sum() == len(sent)
    assert set(aspects.feedback_id) <= set(sent.feedback_id) and aspects.aspect_sentiment.between(-1, 1).all()
    assert set(summary.level) == {"product", "category", "month"}
    assert set(summary[["quote_1", "quote_2", "quote_3"]].stack()) <= set(sent.text)
    client = MlflowResource(cip_home=str(cip_home)).client()
    champion = client.get_model_version_by_alias("cip_sentiment", "champion")
    assert champion.tags["method"] == "classifier"
    assert mlflow.search_runs(experiment_names=["feedback_sentiment"])["tags.dagster_run_id"].tolist() == [result.run_id]

    # a refresh with one new text embeds only what is new; an empty feedback table skips, never crashes
    with duckdb.connect(str(database)) as con:
        con.execute("INSERT INTO staging.stg_feedback (feedback_id, channel, feedback_text, created_at) VALUES "
                    "('F99999', 'support', 'Where is my parcel? It is two weeks late.', TIMESTAMP '2024-03-01')")
        cache = EmbeddingCache(con, pipeline.bulk_backend())
        cache.get(pipeline.load_feedback(con).text)
        assert cache.stats.encoded == 1 and cache.size() == cached + 1
        con.execute("DELETE FROM staging.stg_feedback")
    empty = _materialize(cip_home)
    assert empty.success
    skipped = [m.metadata.get("skipped") for m in empty.get_asset_materialization_events()
               for m in [m.event_specific_data.materialization]]
    assert all(skipped), skipped
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM nlp.feedback_sentiment").fetchone()[0] == 0
    assert str(client.get_model_version_by_alias("cip_sentiment", "champion").version) == str(champion.version)


# --- the model lifecycle ----------------------------------------------------------------------------------
SENTIMENT_SCORING = ["nlp/sentiment_model", "nlp/feedback_sentiment"]


def _materialize_some(home, keys):
    resources = {"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")),
                 "mlflow_tracking": MlflowResource(cip_home=str(home))}
    return dg.materialize([*feedback_assets, *feedback_checks], resources=resources, raise_on_error=False,
                          selection=[dg.AssetKey(k.split("/")) for k in keys])


def test_a_losing_sentiment_candidate_keeps_the_champion_which_alone_reproduces_the_scores(cip_home, monkeypatch):
    from sklearn.dummy import DummyClassifier

    from cip_assets.feedback import sentiment

    database = cip_home / "warehouse.duckdb"
    build_staging(database, synthetic_feedback(240, 40, seed=4))
    good = _materialize_some(cip_home, SENTIMENT_SCORING)
    assert good.success and all(c.passed for c in good.get_asset_check_evaluations())
    client = MlflowResource(cip_home=str(cip_home)).client()
    champion = client.get_model_version_by_alias("cip_sentiment", "champion")
    assert champion.tags["method"] == "classifier" and champion.tags["baseline"] == "false"

    # a classifier that always says the commonest label loses to VADER: VADER is the candidate, and the
    # champion, re-scored on the same held-out texts, beats it and stays
    monkeypatch.setattr(sentiment, "make_classifier", lambda c=2.0, balanced=True: DummyClassifier(strategy="prior"))
    weak = _materialize_some(cip_home, SENTIMENT_SCORING)
    assert weak.success  # losing is a warning, never a failed run
    (check,) = [c for c in weak.get_asset_check_evaluations() if c.check_name == "agrees_with_ratings"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "did not beat" in check.metadata["decision"].value
    assert str(client.get_model_version_by_alias("cip_sentiment", "champion").version) == str(champion.version)
    candidate = client.get_model_version_by_alias("cip_sentiment", "candidate")
    assert candidate.tags["method"] == "vader" and candidate.tags["baseline"] == "true"
    with duckdb.connect(str(database), read_only=True) as con:
        decision = con.execute("SELECT * FROM ml.model_decisions WHERE model = 'cip_sentiment' "
                               "ORDER BY decided_at DESC LIMIT 1").df().iloc[0]
        sent = con.execute("SELECT * FROM nlp.feedback_sentiment ORDER BY feedback_id").df()
        evaluation = con.execute("SELECT * FROM nlp.sentiment_model_evaluation").df()
    assert not decision.promoted and decision.champion_before_score > decision.candidate_score
    assert len(sent) == 280 and set(sent.method) == {"classifier"}
    assert set(evaluation.model_version) == {str(champion.version), str(candidate.version)}

    # the registered champion, from the texts alone (it encodes them itself), reproduces the stored scores
    model = mlflow.pyfunc.load_model(f"models:/cip_sentiment/{champion.version}")
    again = model.predict(pd.DataFrame({"text": sent.text}))
    assert list(again.sentiment_label) == list(sent.sentiment_label)
    assert again.sentiment_score.to_numpy() == pytest.approx(sent.sentiment_score.to_numpy(), abs=1e-4)


def test_without_a_champion_vader_scores_and_an_old_champion_is_skipped_then_replaced(cip_home):
    from sklearn.linear_model import LogisticRegression

    database = cip_home / "warehouse.duckdb"
    build_staging(database, synthetic_feedback(240, 40, seed=4))
    first = _materialize_some(cip_home, ["nlp/feedback_sentiment"])  # nothing registered yet: VADER, no training
    assert first.success
    with duckdb.connect(str(database), read_only=True) as con:
        sent = con.execute("SELECT method, sentiment_score, vader_score FROM nlp.feedback_sentiment").df()
    assert set(sent.method) == {"vader"} and np.allclose(sent.sentiment_score, sent.vader_score)

    # a champion registered before the pyfunc: a bare scikit-learn classifier on embeddings
    rng = np.random.default_rng(0)
    old = LogisticRegression().fit(rng.normal(size=(60, 384)), np.array(["negative", "positive"] * 30))
    mlflow.set_tracking_uri(f"sqlite:///{cip_home / 'mlflow.db'}")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(old, name="model", registered_model_name="cip_sentiment")
    client = MlflowResource(cip_home=str(cip_home)).client()
    client.set_registered_model_alias("cip_sentiment", "champion", str(info.registered_model_version))
    scoring = _materialize_some(cip_home, ["nlp/feedback_sentiment"])
    assert scoring.success
    (event,) = scoring.get_asset_materialization_events()
    assert "predates the self-contained sentiment pyfunc" in event.materialization.metadata["skipped"].value

    retrain = _materialize_some(cip_home, SENTIMENT_SCORING)
    assert retrain.success
    champion = client.get_model_version_by_alias("cip_sentiment", "champion")
    assert int(champion.version) == int(info.registered_model_version) + 1
    with duckdb.connect(str(database), read_only=True) as con:
        decision = con.execute("SELECT * FROM ml.model_decisions WHERE model = 'cip_sentiment'").df().iloc[-1]
        methods = con.execute("SELECT DISTINCT method FROM nlp.feedback_sentiment").fetchall()
    assert decision.promoted and pd.isna(decision.champion_before_score)
    assert methods == [(champion.tags["method"],)]
