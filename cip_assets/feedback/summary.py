"""Feedback summaries a manager reads without any generated text.

Grain: one row per (level, key, month) where
  level = 'product'  : key = product_id, month NULL (all time)
  level = 'category' : key = category,   month NULL (all time)
  level = 'month'    : key = 'YYYY-MM',  month = first day of that month
Columns: volume (texts), rated (texts with a rating), avg_rating, positive_share, neutral_share,
negative_share, avg_sentiment (mean score in [-1, 1]), top_aspects and top_topics ("name (n)",
most frequent first, up to three), quote_1..quote_3 (the group's texts closest to the group's
embedding centre, unchanged input texts: extractive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cip_assets.feedback.embeddings import closest_to_centre

SUMMARY_COLUMNS = ["level", "key", "month", "volume", "rated", "avg_rating", "positive_share", "neutral_share",
                   "negative_share", "avg_sentiment", "top_aspects", "top_topics", "quote_1", "quote_2", "quote_3"]
TOP_N = 3


def _top(frame: pd.DataFrame, by: str, value: str) -> pd.Series:
    """group -> "a (12), b (7), c (3)": the most frequent values per group."""
    if frame.empty:
        return pd.Series(dtype=object)
    counts = frame.groupby([by, value], as_index=False).size().sort_values([by, "size", value],
                                                                             ascending=[True, False, True])
    counts = counts.groupby(by, sort=False).head(TOP_N)
    counts["item"] = counts[value].astype(str) + " (" + counts["size"].astype(str) + ")"
    return counts.groupby(by, sort=False).item.agg(", ".join)


def summarise(feedback: pd.DataFrame, embeddings: np.ndarray, aspects: pd.DataFrame) -> pd.DataFrame:
    """`feedback`: one row per text with feedback_id, product_id, category, created_at, rating, text,
    sentiment_label, sentiment_score, topic_label (rows aligned with `embeddings`); `aspects`:
    feedback_id, aspect."""
    if feedback.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    fb = feedback.reset_index(drop=True).copy()
    created = pd.to_datetime(fb.created_at)
    fb["_month"] = created.dt.to_period("M").dt.to_timestamp()
    levels = {"product": fb.product_id.astype(object), "category": fb.category.astype(object),
              "month": fb._month.dt.strftime("%Y-%m").astype(object)}
    out = []
    for level, keys in levels.items():  # three levels, each a vectorised group-by
        have = keys.notna().to_numpy()
        if not have.any():
            continue
        part = fb[have].assign(key=keys[have].astype(str))
        for label in ("positive", "neutral", "negative"):
            part[f"{label}_share"] = (part.sentiment_label == label).astype(float)
        grouped = part.groupby("key")
        stats = pd.DataFrame({
            "volume": grouped.size(),
            "rated": grouped.rating.count(),
            "avg_rating": grouped.rating.mean(),
            "positive_share": grouped.positive_share.mean(),
            "neutral_share": grouped.neutral_share.mean(),
            "negative_share": grouped.negative_share.mean(),
            "avg_sentiment": grouped.sentiment_score.mean()})
        stats["top_topics"] = _top(part, "key", "topic_label")
        tagged = aspects.merge(part[["feedback_id", "key"]], on="feedback_id")
        stats["top_aspects"] = _top(tagged, "key", "aspect")
        quotes = closest_to_centre(part.key.to_numpy(), embeddings[have], part.text, k=3)
        wide = quotes.pivot(index="group", columns="rank", values="text").reindex(columns=[1, 2, 3])
        wide.columns = ["quote_1", "quote_2", "quote_3"]
        stats = stats.join(wide).reset_index().rename(columns={"index": "key"})
        stats["level"] = level
        stats["month"] = pd.to_datetime(stats.key + "-01").dt.date if level == "month" else None
        out.append(stats)
    if not out:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    result = pd.concat(out, ignore_index=True)
    return result[SUMMARY_COLUMNS].sort_values(["level", "key"]).reset_index(drop=True)
