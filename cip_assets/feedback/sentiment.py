"""Sentiment: VADER (the lexicon baseline) and logistic regressions over text features (TextClassifier).

The trained model ("classifier") reads four kinds of evidence side by side: TF-IDF word 1-2 grams, TF-IDF
character 2-5 grams within words (misspellings, "sooo", negations glued to words), the text's sentence
embedding and VADER's four scores; VADER is the baseline it must beat. On the clothing reviews (README
binary task, 20% held out) the stack reaches macro-F1 0.85 against 0.82 for TF-IDF words alone + logistic
regression, the README's reference method (benchmarks/eval_feedback.py sets both narrower regressions beside
it).

Labels from ratings (`rating_labels`): rating >= 4 positive, <= 2 negative, 3 neutral. Rating 3
is kept as its own class rather than dropped: the platform must say "neutral" for mixed or
lukewarm text (support questions, "it's okay"), and a class learned from 3-star texts does that
better than a threshold on a two-class score. The classifier is multinomial with balanced class
weights (ratings skew heavily positive); its score is P(positive) - P(negative), in [-1, 1].

The held-out texts are chosen by a hash of the feedback id (`holdout_mask`): the same texts at every
refresh, never trained on by any registered classifier (each is fitted on the rest), so the current
champion re-scored on them is judged as fairly as the new candidate. Macro-F1 on them decides; VADER
wins ties. Where fewer than MIN_RATED rated texts exist, or fewer than two classes, nothing can be
evaluated: the champion stays (VADER, the usual +-0.05 neutral band, where there is none yet).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

LABELS = np.array(["negative", "neutral", "positive"])
VADER_NEUTRAL_BAND = 0.05
MIN_RATED = 100  # rated texts needed to train
MIN_PER_CLASS = 10  # of each of at least two classes
HOLDOUT = 0.2
MAX_TRAIN = 25_000  # rated texts used (train + held-out) at most
SEED = 42


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


VADER_PARTS = ("compound", "pos", "neg", "neu")


def vader_polarity(texts) -> np.ndarray:
    """VADER's compound, positive, negative and neutral scores per text, shape (n, 4) (zeros for an empty or
    missing text). VADER is a per-text lexicon walk; there is no batch API, so this is the one loop, over the
    distinct texts (about 1-2k texts/s)."""
    polarity = _vader().polarity_scores
    codes, distinct = pd.factorize(pd.Series(list(texts), dtype=object))  # each distinct text scored once
    scored = np.zeros((len(distinct), len(VADER_PARTS)), np.float64)
    for i, t in enumerate(distinct):
        if isinstance(t, str) and t:
            scores = polarity(t)
            scored[i] = [scores[k] for k in VADER_PARTS]
    out = np.zeros((len(codes), len(VADER_PARTS)), np.float64)
    out[codes >= 0] = scored[codes[codes >= 0]]
    return out


def vader_scores(texts) -> np.ndarray:
    """VADER compound score per text, in [-1, 1] (0 for an empty text)."""
    return vader_polarity(texts)[:, 0]


def vader_labels(scores: np.ndarray) -> np.ndarray:
    return np.where(scores >= VADER_NEUTRAL_BAND, "positive", np.where(scores <= -VADER_NEUTRAL_BAND, "negative",
                                                                         "neutral"))


def rating_labels(ratings) -> np.ndarray:
    """negative (<= 2), neutral (3), positive (>= 4); None where there is no rating."""
    r = pd.to_numeric(pd.Series(ratings), errors="coerce").to_numpy(dtype=float)
    out = np.full(len(r), None, dtype=object)
    out[r >= 4] = "positive"
    out[r <= 2] = "negative"
    out[(r > 2) & (r < 4)] = "neutral"
    return out


def metrics(truth, predicted) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(truth, predicted)),
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0))}


def make_classifier(c: float = 2.0, balanced: bool = True):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)


@dataclass
class TextClassifier:
    """One logistic regression over any of: TF-IDF word n-grams, TF-IDF character 2-5 grams within words, the
    text's sentence embedding (L2-normalised, as the encoder gives it) and VADER's four scores."""
    words: tuple[int, int] | None = (1, 2)
    chars: bool = True
    embedding: bool = True
    vader: bool = True
    c: float = 2.0
    balanced: bool = True

    def fit(self, texts, embeddings: np.ndarray | None, labels, vader: np.ndarray | None = None) -> "TextClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = _texts(texts)
        self.word_vectorizer_ = (TfidfVectorizer(ngram_range=self.words, sublinear_tf=self.words != (1, 1),
                                                 min_df=2 if len(texts) >= 1000 else 1).fit(texts)
                                 if self.words else None)
        self.char_vectorizer_ = (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                                 min_df=3 if len(texts) >= 1000 else 1, max_features=200_000,
                                                 dtype=np.float32).fit(texts) if self.chars else None)
        self.model_ = make_classifier(self.c, self.balanced).fit(self.features(texts, embeddings, vader), labels)
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.model_.classes_

    def features(self, texts, embeddings: np.ndarray | None, vader: np.ndarray | None = None):
        from scipy import sparse

        texts = _texts(texts)
        parts = []
        if self.word_vectorizer_ is not None:
            parts.append(self.word_vectorizer_.transform(texts))
        if self.char_vectorizer_ is not None:
            parts.append(self.char_vectorizer_.transform(texts))
        if self.embedding:
            parts.append(sparse.csr_matrix(np.asarray(embeddings, np.float32)))
        if self.vader:
            parts.append(sparse.csr_matrix(vader if vader is not None else vader_polarity(texts)))
        return sparse.hstack(parts, format="csr")

    def predict_proba(self, texts, embeddings: np.ndarray | None, vader: np.ndarray | None = None) -> np.ndarray:
        return self.model_.predict_proba(self.features(texts, embeddings, vader))


def _texts(texts) -> list[str]:
    return ["" if t is None else str(t) for t in texts]


# what the platform trains (VADER, which needs no training, is the baseline beside them)
CANDIDATES = {"classifier": dict()}
TRAINED = "classifier"
# the narrower regressions the benchmark sets beside it (benchmarks/eval_feedback.py)
TFIDF_LOGREG = dict(words=(1, 1), chars=False, embedding=False, vader=False, c=1.0)
EMBEDDING_LOGREG = dict(words=None, chars=False, embedding=True, vader=False)


def classifier_scores(model, embeddings: np.ndarray | None, texts=None,
                      vader: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(label, score = P(positive) - P(negative)) from a fitted classifier (a TextClassifier, or a bare
    scikit-learn one on embeddings, as registered before); works for 2 or 3 classes."""
    n = len(texts) if texts is not None else len(embeddings)
    if n == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    proba = (model.predict_proba(texts, embeddings, vader) if isinstance(model, TextClassifier)
             else model.predict_proba(embeddings))
    classes = list(model.classes_)
    pos = proba[:, classes.index("positive")] if "positive" in classes else 0.0
    neg = proba[:, classes.index("negative")] if "negative" in classes else 0.0
    return np.asarray(model.classes_)[proba.argmax(1)].astype(object), np.clip(pos - neg, -1.0, 1.0)


def _hash_fractions(ids) -> tuple[np.ndarray, np.ndarray]:
    """Two independent uniform fractions per id from its md5: one splits, one samples."""
    digests = [hashlib.md5(str(i).encode("utf-8")).hexdigest() for i in ids]
    first = np.array([int(d[:8], 16) for d in digests], dtype=np.float64) / 16 ** 8
    second = np.array([int(d[8:16], 16) for d in digests], dtype=np.float64) / 16 ** 8
    return first, second


def holdout_mask(ids) -> np.ndarray:
    """True for the held-out share HOLDOUT of the texts, by a hash of their ids: stable across refreshes."""
    return _hash_fractions(ids)[0] < HOLDOUT


@dataclass
class SentimentTraining:
    method: str  # the best on the held-out texts (a CANDIDATES key or 'vader'); 'vader' when nothing was evaluated
    reason: str
    models: dict[str, TextClassifier] = field(default_factory=dict)  # fitted outside the held-out texts
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # held-out, per method
    rows: dict[str, int] = field(default_factory=dict)
    test: np.ndarray | None = None  # positions of the held-out texts in the input
    test_labels: np.ndarray | None = None  # their rating labels

    @property
    def model(self) -> TextClassifier | None:
        """The winning method's classifier; None when VADER won or nothing was trained."""
        return self.models.get(self.method)

    @property
    def evaluated(self) -> bool:
        return bool(self.metrics)

    @property
    def scores(self) -> dict[str, float]:
        """Held-out macro-F1 per method, the baselines first (they win ties)."""
        order = ["vader", *[m for m in CANDIDATES if m != TRAINED], TRAINED]
        return {m: self.metrics[m]["macro_f1"] for m in order if m in self.metrics}


def train_sentiment(texts, embeddings: np.ndarray, ratings, vader: np.ndarray, ids=None) -> SentimentTraining:
    """Train every candidate on rating-derived labels outside the held-out texts (`holdout_mask` of `ids`,
    positions when None), evaluate them and VADER on the held-out ones. `vader` is `vader_polarity` of the
    texts. Says why when nothing can be evaluated."""
    texts = np.asarray(_texts(texts), dtype=object)
    vader = np.asarray(vader, np.float64).reshape(len(texts), -1)
    labels = rating_labels(ratings)
    rated = np.flatnonzero(labels != None)  # noqa: E711 (object array)
    counts = pd.Series(labels[rated]).value_counts()
    rows = {"rated": int(len(rated)), **{f"rated_{k}": int(v) for k, v in counts.items()}}
    usable = counts[counts >= MIN_PER_CLASS]
    if len(rated) < MIN_RATED or len(usable) < 2:
        return SentimentTraining("vader", f"too few rated texts to train a classifier ({len(rated)} rated, "
                                          f"classes {counts.to_dict()}; need {MIN_RATED} and two classes with "
                                          f">= {MIN_PER_CLASS})", rows=rows)
    rated = rated[np.isin(labels[rated], usable.index)]
    keys = np.asarray(ids if ids is not None else np.arange(len(labels)), dtype=object)[rated]
    split, sample = _hash_fractions(keys)
    held = split < HOLDOUT
    if len(rated) > MAX_TRAIN:  # a hash sample (stable across refreshes) bounds the training time
        keep = sample <= np.sort(sample)[MAX_TRAIN - 1]
        rated, held = rated[keep], held[keep]
        rows["sampled"] = MAX_TRAIN
    train, test = rated[~held], rated[held]
    y_train, y_test = labels[train].astype(str), labels[test].astype(str)
    rows.update({"train": int(len(train)), "test": int(len(test))})
    if len(test) == 0 or len(np.unique(y_train)) < 2:
        return SentimentTraining("vader", f"the hash split left {len(test)} held-out texts and "
                                          f"{len(np.unique(y_train))} classes to train on", rows=rows)
    models = {name: TextClassifier(**options).fit(texts[train], embeddings[train], y_train, vader[train])
              for name, options in CANDIDATES.items()}
    held_out = {"vader": metrics(y_test, vader_labels(vader[test, 0]))}
    for name, model in models.items():
        held_out[name] = metrics(y_test, classifier_scores(model, embeddings[test], texts[test], vader[test])[0])
    training = SentimentTraining("vader", "", models=models, metrics=held_out, rows=rows, test=test,
                                 test_labels=y_test)
    scores = training.scores
    training.method = max(scores, key=scores.get)
    best_baseline = max((m for m in scores if m != TRAINED), key=scores.get)
    beats = scores[TRAINED] > scores[best_baseline]
    training.reason = (f"classifier macro-F1 {scores[TRAINED]:.3f} {'beats' if beats else 'does not beat'} "
                       f"{best_baseline} {scores[best_baseline]:.3f} on the {len(test)} held-out texts "
                       f"({', '.join(f'{m} {v:.3f}' for m, v in scores.items())})")
    return training
