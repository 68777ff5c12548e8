"""Topics: BERTopic on the cached embeddings (UMAP + HDBSCAN + c-TF-IDF), outliers reduced, labelled by
top words, with representative texts (the texts nearest each topic's centre) and weekly counts.

c-TF-IDF uses `reduce_frequent_words` (words frequent in every topic, such as "love" and "size" in
clothing reviews, are damped), so labels name what sets a topic apart.

Deterministic for a given seed: UMAP gets `random_state` (which also makes it single-threaded),
HDBSCAN is deterministic, and the fitting sample is drawn with the same seed.

At scale BERTopic fits on a sample (at most FIT_SAMPLE texts) and every other text joins the topic whose centre
(the mean direction of its fitted texts) is nearest by cosine: a matrix product per text, so the work past
the sample grows with the number of texts, not with UMAP and HDBSCAN. (BERTopic's own `transform` runs UMAP
and HDBSCAN's prediction for each new text and was slower than the fit itself.)

The centres are kept (`TopicResult.model`), so texts that arrive after the fit join their nearest topic the same
way (`assign_topics`) and the topics keep their ids until the next fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cip_assets.feedback.embeddings import closest_to_centre

SEED = 42
MIN_TEXTS = 30  # fewer texts than this: one topic, no clustering
FIT_SAMPLE = 5_000
UMAP_EPOCHS = 200  # UMAP's own choice above 10,000 points (500 below)
# HDBSCAN's default selection (eom) can keep a cluster or two of most texts: on 20,000 clothing reviews 2 topics,
# the largest 67% (NPMI 0.02). Over this share, the leaf clusters are taken instead (17 topics, largest 9%, NPMI 0.11)
LARGEST_TOPIC = 0.5
TOP_WORDS = 10
LABEL_WORDS = 4
OUTLIER_LABEL = "other"
MODEL_COLUMNS = ["topic_id", "centre", "centre_offset"]
TOPIC_COLUMNS = ["topic_id", "topic_label", "top_words", "texts", "share", "representative_1", "representative_2",
                 "representative_3"]


@dataclass
class TopicResult:
    topic_ids: np.ndarray  # per text; -1 = still an outlier after reduction
    topics: pd.DataFrame  # TOPIC_COLUMNS
    outliers_before: float  # share of texts HDBSCAN left as outliers
    outliers_after: float  # share after reduce_outliers
    method: str  # 'bertopic', 'single topic (too few texts)' or 'kept (...)' (pipeline.keep_topics)
    words: dict[int, list[tuple[str, float]]]  # topic -> top words with c-TF-IDF weight
    model: pd.DataFrame  # MODEL_COLUMNS: per topic its centre, for the texts that arrive after the fit
    new_texts: int | None = None  # texts that joined the topics of an earlier fit; None: fitted in this run

    def labels(self) -> np.ndarray:
        names = dict(zip(self.topics.topic_id, self.topics.topic_label))
        return np.array([names.get(t, OUTLIER_LABEL) for t in self.topic_ids.tolist()], dtype=object)


def cluster_sizes(n: int) -> tuple[int, int]:
    """HDBSCAN (min_cluster_size, min_samples) for n texts: about n/150 texts per smallest topic."""
    size = int(np.clip(n // 150, 5, 150))
    return size, max(2, size // 4)


def _vectorizer(n: int):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2 if n >= 200 else 1,
                           token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")


def fit_topics(texts, embeddings: np.ndarray, seed: int = SEED, fit_sample: int = FIT_SAMPLE) -> TopicResult:
    texts = pd.Series(texts, dtype=object).fillna("").astype(str).reset_index(drop=True)
    n = len(texts)
    if n < MIN_TEXTS:
        return _single_topic(texts, embeddings)
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from umap import UMAP

    size, samples = cluster_sizes(min(n, fit_sample))
    rng = np.random.default_rng(seed)
    fit_idx = np.sort(rng.choice(n, fit_sample, replace=False)) if n > fit_sample else np.arange(n)
    raw, embeddings = embeddings, centred(embeddings)
    neighbours = min(15, len(fit_idx) - 1)
    for selection in ("eom", "leaf"):
        model = BERTopic(
            umap_model=UMAP(n_neighbors=neighbours, n_components=5, min_dist=0.0, metric="cosine", random_state=seed,
                            low_memory=True, n_epochs=UMAP_EPOCHS,
                            precomputed_knn=cosine_knn(embeddings[fit_idx], neighbours)),
            hdbscan_model=HDBSCAN(min_cluster_size=size, min_samples=samples, metric="euclidean",
                                  cluster_selection_method=selection, prediction_data=True),
            vectorizer_model=_vectorizer(n), ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            top_n_words=TOP_WORDS, calculate_probabilities=False)
        fitted, _ = model.fit_transform(texts.iloc[fit_idx].tolist(), embeddings=embeddings[fit_idx])
        fitted = np.asarray(fitted, dtype=np.int64)
        if np.bincount(fitted[fitted >= 0]).max(initial=0) <= LARGEST_TOPIC * len(fitted):
            break
    topics = np.full(n, -1, dtype=np.int64)
    before = float((fitted == -1).mean())
    if (fitted >= 0).sum() == 0:
        return _single_topic(texts, raw, outliers_before=before)
    if before > 0:
        reduced = model.reduce_outliers(texts.iloc[fit_idx].tolist(), fitted.tolist(), strategy="embeddings",
                                        embeddings=embeddings[fit_idx], threshold=0.3)
        fitted = np.asarray(reduced, dtype=np.int64)
    topics[fit_idx] = fitted
    if n > fit_sample:
        rest = np.setdiff1d(np.arange(n), fit_idx)
        topics[rest] = nearest_topic(embeddings[rest], *topic_centres(fitted, embeddings[fit_idx]))
    model.update_topics(texts.tolist(), topics=topics.tolist(), vectorizer_model=_vectorizer(n),
                        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True), top_n_words=TOP_WORDS)
    words = {int(t): [(w, float(s)) for w, s in (model.get_topic(int(t)) or []) if w]
             for t in np.unique(topics) if t >= 0}
    return _summarise(texts, embeddings, topics, words, before, "bertopic",
                      centre_model(*topic_centres(fitted, embeddings[fit_idx]), raw))


def cosine_knn(vectors: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray, None]:
    """Exact k nearest neighbours by cosine (each point first, itself), as UMAP's `precomputed_knn`. On a sample of
    a few thousand normalised vectors a matrix product is quick, and it spares UMAP the nearest-neighbour descent,
    whose just-in-time compilation cost about 40 s in every new process (the fit itself: about 3 s)."""
    n = len(vectors)
    indices, distances = np.empty((n, k), np.int64), np.empty((n, k), np.float32)
    for start in range(0, n, block):
        sims = vectors[start:start + block] @ vectors.T
        rows = np.arange(len(sims))
        sims[rows, start + rows] = np.inf  # itself first, whatever rounding says
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        part = np.take_along_axis(part, order, axis=1)
        indices[start:start + block] = part
        distances[start:start + block] = np.clip(1 - np.take_along_axis(sims, part, axis=1), 0, 2)
    distances[:, 0] = 0.0
    return indices, distances, None


def centred(embeddings: np.ndarray) -> np.ndarray:
    """The vectors less their common direction (the corpus mean), renormalised. Averaged word vectors (the static
    build) all lean one way, so without this the clothing reviews fall into 3 topics, one holding 79% of the
    texts; centred (with the exact neighbours of cosine_knn and LARGEST_TOPIC's leaf clusters), 17 topics of
    20,000 of them, the largest 9%."""
    shifted = np.asarray(embeddings, np.float32) - np.asarray(embeddings, np.float32).mean(axis=0)
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    return np.divide(shifted, norms, out=np.zeros_like(shifted), where=norms > 0)


def topic_centres(topics: np.ndarray, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(topic ids >= 0, their centres: the L2-normalised mean of their texts' vectors)."""
    from cip_assets.feedback.embeddings import pool

    ids = np.unique(topics[topics >= 0])
    keep = topics >= 0
    return ids, pool(np.searchsorted(ids, topics[keep]), embeddings[keep], len(ids))


def centre_model(ids: np.ndarray, centres: np.ndarray, raw: np.ndarray) -> pd.DataFrame:
    """MODEL_COLUMNS for topics `ids` with centres fitted on centred vectors; `raw`: every text's vector as encoded,
    whose mean the centring took away."""
    mean = np.asarray(raw, np.float32).mean(axis=0)
    return pd.DataFrame({"topic_id": ids.astype(int), "centre": list(centres), "centre_offset": centres @ mean})


def assign_topics(embeddings: np.ndarray, model: pd.DataFrame) -> np.ndarray:
    """The topic each vector joins, by the fitted `model` (MODEL_COLUMNS): the same choice the fit made for the texts
    outside its sample. The fit compares centred vectors, (x - mean) / |x - mean|, with each centre c; the norm is
    the same for every topic, so the argmax of x.c - mean.c (`centre_offset`) is the same topic."""
    if model.empty:
        return np.full(len(embeddings), -1, dtype=np.int64)
    centres = np.stack([np.asarray(c, np.float32) for c in model.centre])
    scores = np.asarray(embeddings, np.float32) @ centres.T - model.centre_offset.to_numpy(np.float32)
    return model.topic_id.to_numpy(np.int64)[np.argmax(scores, axis=1)]


def nearest_topic(embeddings: np.ndarray, ids: np.ndarray, centres: np.ndarray, batch: int = 50_000) -> np.ndarray:
    """The topic whose centre is nearest (cosine) to each vector."""
    out = np.empty(len(embeddings), dtype=np.int64)
    for start in range(0, len(embeddings), batch):
        out[start:start + batch] = ids[np.argmax(embeddings[start:start + batch] @ centres.T, axis=1)]
    return out


def _single_topic(texts: pd.Series, embeddings: np.ndarray, outliers_before: float = 0.0) -> TopicResult:
    """Too few texts (or no cluster found): one topic holding everything, labelled by its most frequent words.
    `embeddings` as encoded (not centred)."""
    from sklearn.feature_extraction.text import CountVectorizer

    topics = np.zeros(len(texts), dtype=np.int64)
    words: dict[int, list[tuple[str, float]]] = {0: []}
    try:
        cv = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        counts = np.asarray(cv.fit_transform(texts).sum(axis=0)).ravel()
        order = np.argsort(-counts, kind="stable")[:TOP_WORDS]
        vocab = cv.get_feature_names_out()
        words = {0: [(str(vocab[i]), float(counts[i] / counts.sum())) for i in order]}
    except ValueError:  # empty vocabulary
        pass
    return _summarise(texts, embeddings, topics, words, outliers_before, "single topic (too few texts)",
                      pd.DataFrame({"topic_id": [0], "centre": [np.zeros(np.shape(embeddings)[1], np.float32)],
                                    "centre_offset": [0.0]}))


def _summarise(texts, embeddings, topics, words, before, method, model: pd.DataFrame) -> TopicResult:
    n = len(texts)
    ids, counts = np.unique(topics, return_counts=True)
    frame = pd.DataFrame({"topic_id": ids.astype(int), "texts": counts.astype(int)})
    frame["share"] = frame.texts / max(n, 1)
    frame["top_words"] = [", ".join(w for w, _ in words.get(t, [])) for t in frame.topic_id]
    frame["topic_label"] = [OUTLIER_LABEL if t < 0 else (", ".join(w for w, _ in words.get(t, [])[:LABEL_WORDS])
                                                         or f"topic {t}") for t in frame.topic_id]
    reps = closest_to_centre(topics, embeddings, texts, k=3)
    wide = reps.pivot(index="group", columns="rank", values="text").reindex(columns=[1, 2, 3])
    wide.columns = ["representative_1", "representative_2", "representative_3"]
    frame = frame.merge(wide, left_on="topic_id", right_index=True, how="left")
    frame = frame.sort_values(["topic_id"]).reset_index(drop=True)[TOPIC_COLUMNS]
    return TopicResult(topics, frame, before, float((topics == -1).mean()), method, words, model)


def weekly_counts(topic_ids, labels, created_at) -> pd.DataFrame:
    """topic_id, topic_label, week (Monday, DATE), texts."""
    frame = pd.DataFrame({"topic_id": np.asarray(topic_ids), "topic_label": np.asarray(labels, dtype=object),
                          "created_at": pd.to_datetime(pd.Series(created_at)).to_numpy()})
    frame = frame[frame.created_at.notna()]
    frame["week"] = (frame.created_at.dt.normalize() - pd.to_timedelta(frame.created_at.dt.weekday, unit="D")).dt.date
    return (frame.groupby(["topic_id", "topic_label", "week"], as_index=False).size().rename(columns={"size": "texts"})
            .sort_values(["week", "topic_id"]).reset_index(drop=True))


def coherence_npmi(texts, words: dict[int, list[tuple[str, float]]], top_n: int = 10) -> dict[str, float]:
    """Topic coherence over the documents themselves (boolean document co-occurrence, as in
    Roder et al.'s C_NPMI without the sliding window): mean NPMI over pairs of each topic's
    top unigram words, and UMass (log (D(wi,wj)+1)/D(wj)). Returns the means over topics."""
    from sklearn.feature_extraction.text import CountVectorizer

    tops = {t: [w for w, _ in ws if " " not in w][:top_n] for t, ws in words.items() if t >= 0}
    vocab = sorted({w for ws in tops.values() for w in ws})
    if not vocab:
        return {"npmi": float("nan"), "umass": float("nan")}
    cv = CountVectorizer(vocabulary=vocab, binary=True, lowercase=True, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    x = cv.transform(pd.Series(texts, dtype=object).fillna("").astype(str)).tocsc().astype(np.float64)
    n_docs = x.shape[0]
    df = np.asarray(x.sum(axis=0)).ravel()
    co = (x.T @ x).toarray()
    position = {w: i for i, w in enumerate(vocab)}
    npmis, umasses = [], []
    for ws in tops.values():  # a loop over topics and their word pairs, not over documents
        idx = [position[w] for w in ws]
        pairs_npmi, pairs_umass = [], []
        for a in range(1, len(idx)):
            for b in range(a):
                i, j = idx[a], idx[b]
                p_ij, p_i, p_j = co[i, j] / n_docs, df[i] / n_docs, df[j] / n_docs
                if p_ij > 0:
                    pairs_npmi.append(np.log(p_ij / (p_i * p_j)) / -np.log(p_ij))
                else:
                    pairs_npmi.append(-1.0)
                if df[j] > 0:
                    pairs_umass.append(np.log((co[i, j] + 1) / df[j]))
        if pairs_npmi:
            npmis.append(np.mean(pairs_npmi))
            umasses.append(np.mean(pairs_umass) if pairs_umass else np.nan)
    return {"npmi": float(np.mean(npmis)) if npmis else float("nan"),
            "umass": float(np.nanmean(umasses)) if umasses else float("nan")}
