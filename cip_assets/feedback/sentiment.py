"""Sentiment: VADER (the lexicon baseline) and a logistic regression on sentence embeddings.

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
    method: str  # the best on the held-out texts ('classifier' or 'vader'); 'vader' when nothing was evaluated
    reason: str
    model: object | None = None  # the classifier, fitted on the rated texts outside the held-out ones
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # held-out: {"vader": .., "classifier": ..}
    rows: dict[str, int] = field(default_factory=dict)
    test: np.ndarray | None = None  # positions of the held-out texts in the input
    test_labels: np.ndarray | None = None  # their rating labels

    @property
    def evaluated(self) -> bool:
        return bool(self.metrics)

    @property
    def scores(self) -> dict[str, float]:
        """Held-out macro-F1 per method, the baseline first (it wins ties)."""
        return {m: self.metrics[m]["macro_f1"] for m in ("vader", "classifier") if m in self.metrics}


def train_sentiment(embeddings: np.ndarray, ratings, vader: np.ndarray, ids=None) -> SentimentTraining:
    """Train on rating-derived labels outside the held-out texts (`holdout_mask` of `ids`, positions when
    None), evaluate on the held-out ones against VADER. Says why when nothing can be evaluated."""
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
    model = make_classifier().fit(embeddings[train], y_train)
    held_out = {"vader": metrics(y_test, vader_labels(vader[test])),
                "classifier": metrics(y_test, classifier_scores(model, embeddings[test])[0])}
    f1 = {m: v["macro_f1"] for m, v in held_out.items()}
    method = "classifier" if f1["classifier"] > f1["vader"] else "vader"
    reason = (f"classifier macro-F1 {f1['classifier']:.3f} {'beats' if method == 'classifier' else 'does not beat'} "
              f"VADER {f1['vader']:.3f} on the {len(test)} held-out texts")
    return SentimentTraining(method, reason, model=model, metrics=held_out, rows=rows, test=test,
                             test_labels=y_test)
