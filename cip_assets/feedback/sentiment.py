"""Sentiment: VADER (the lexicon baseline) and a logistic regression on sentence embeddings.

Labels from ratings (`rating_labels`): rating >= 4 positive, <= 2 negative, 3 neutral. Rating 3
is kept as its own class rather than dropped: the platform must say "neutral" for mixed or
lukewarm text (support questions, "it's okay"), and a class learned from 3-star texts does that
better than a threshold on a two-class score. The classifier is multinomial with balanced class
weights (ratings skew heavily positive); its score is P(positive) - P(negative), in [-1, 1].

Where fewer than MIN_RATED rated texts exist, or fewer than two classes, or the classifier does
not beat VADER's macro-F1 on the held-out 20%, the platform uses VADER (compound score, the
usual +-0.05 neutral band) and says so (`method = 'vader'` and the reason in the metadata).
"""

from __future__ import annotations

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


def vader_scores(texts) -> np.ndarray:
    """VADER compound score per text, in [-1, 1] (0 for an empty text). VADER is a per-text
    lexicon walk; there is no batch API, so this is the one per-row loop (about 1-2k texts/s)."""
    polarity = _vader().polarity_scores
    return np.fromiter((polarity(t)["compound"] if isinstance(t, str) and t else 0.0 for t in texts),
                       dtype=np.float64, count=len(texts))


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


def make_classifier(c: float = 2.0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced")


def classifier_scores(model, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label, score = P(positive) - P(negative)) from a fitted classifier; works for 2 or 3 classes."""
    if len(embeddings) == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    proba = model.predict_proba(embeddings)
    classes = list(model.classes_)
    pos = proba[:, classes.index("positive")] if "positive" in classes else 0.0
    neg = proba[:, classes.index("negative")] if "negative" in classes else 0.0
    return np.asarray(model.classes_)[proba.argmax(1)].astype(object), np.clip(pos - neg, -1.0, 1.0)


@dataclass
class SentimentTraining:
    method: str  # 'classifier' or 'vader'
    reason: str
    model: object | None = None  # fitted on every rated text when method == 'classifier'
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # held-out: {"classifier": .., "vader": ..}
    rows: dict[str, int] = field(default_factory=dict)


def train_sentiment(embeddings: np.ndarray, ratings, vader: np.ndarray) -> SentimentTraining:
    """Train on rating-derived labels, evaluate on a stratified held-out 20% against VADER on the
    same texts, refit on all rated texts. Falls back to VADER (with the reason) when it cannot win."""
    from sklearn.model_selection import train_test_split

    labels = rating_labels(ratings)
    rated = np.flatnonzero(labels != None)  # noqa: E711 (object array)
    counts = pd.Series(labels[rated]).value_counts()
    rows = {"rated": int(len(rated)), **{f"rated_{k}": int(v) for k, v in counts.items()}}
    usable = counts[counts >= MIN_PER_CLASS]
    if len(rated) < MIN_RATED or len(usable) < 2:
        return SentimentTraining("vader", f"too few rated texts to train a classifier ({len(rated)} rated, "
                                          f"classes {counts.to_dict()}; need {MIN_RATED} and two classes with "
                                          f">= {MIN_PER_CLASS}): VADER is used", rows=rows)
    rated = rated[np.isin(labels[rated], usable.index)]
    if len(rated) > MAX_TRAIN:  # a stratified sample bounds the training time (two fits of a 3-class logreg)
        rated, _ = train_test_split(rated, train_size=MAX_TRAIN, random_state=SEED,
                                    stratify=labels[rated].astype(str))
        rows["sampled"] = MAX_TRAIN
    y = labels[rated].astype(str)
    train, test = train_test_split(np.arange(len(rated)), test_size=HOLDOUT, random_state=SEED, stratify=y)
    model = make_classifier().fit(embeddings[rated[train]], y[train])
    held_out = {"classifier": metrics(y[test], classifier_scores(model, embeddings[rated[test]])[0]),
                "vader": metrics(y[test], vader_labels(vader[rated[test]]))}
    rows.update({"train": int(len(train)), "test": int(len(test))})
    if held_out["classifier"]["macro_f1"] <= held_out["vader"]["macro_f1"]:
        return SentimentTraining("vader", "the classifier did not beat VADER's held-out macro-F1 "
                                          f"({held_out['classifier']['macro_f1']:.3f} <= "
                                          f"{held_out['vader']['macro_f1']:.3f}): VADER is used",
                                 metrics=held_out, rows=rows)
    final = make_classifier().fit(embeddings[rated], y)
    return SentimentTraining("classifier", f"classifier macro-F1 {held_out['classifier']['macro_f1']:.3f} beats "
                                           f"VADER {held_out['vader']['macro_f1']:.3f} on the held-out 20%",
                             model=final, metrics=held_out, rows=rows)


def score(method: str, model, embeddings: np.ndarray, vader: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label, score) per text with the chosen method."""
    if method == "classifier" and model is not None:
        return classifier_scores(model, embeddings)
    return vader_labels(vader).astype(object), np.asarray(vader, dtype=float)
