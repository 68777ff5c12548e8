"""Scores for every active customer: probability, risk band, and the top three reasons in words.

Reasons come from LightGBM's per-row feature contributions (SHAP values in log-odds): the
three features pushing the risk up the most, each phrased with the customer's own value.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

# documented thresholds on the calibrated probability
RISK_BANDS = (("high", 0.6), ("medium", 0.3), ("low", 0.0))
ACTIVE_WITHIN_DAYS = 365  # "active": a completed order in the last year before the scoring date


def risk_band(probability: np.ndarray) -> np.ndarray:
    return np.select([probability >= 0.6, probability >= 0.3], ["high", "medium"], default="low")


def _fmt(values: pd.Series, digits: int = 0) -> pd.Series:
    return values.round(digits).map(lambda v: "unknown" if pd.isna(v) else f"{v:,.{digits}f}")


def reason_phrases(frame: pd.DataFrame) -> dict[str, Callable[[], pd.Series]]:
    """Per feature, what builds its phrase for every row of `frame`, column-wise. Lazy: scoring phrases only the
    rows whose top reasons name the feature (3 of some 55 cells a row)."""
    f = frame

    def recency() -> pd.Series:
        gap = f.gap_ratio.where(f.gap_ratio.notna() & (f.gap_ratio > 1.5))
        usual = (", " + _fmt(gap, 1) + "x longer than usual").where(gap.notna(), "")
        return "no order for " + _fmt(f.recency_days) + " days" + usual

    phrases = {
        "recency_days": recency,
        "gap_ratio": lambda: "usually orders every " + _fmt(f.mean_gap_days) + " days",
        "last_gap_ratio": lambda: ("last two orders " + _fmt(f.last_gap_ratio * f.mean_gap_days)
                                   + " days apart (usual gap " + _fmt(f.mean_gap_days) + " days)"),
        "frequency": lambda: "only " + _fmt(f.frequency) + " orders so far",
        "monetary": lambda: "lifetime spend of " + _fmt(f.monetary) + "",
        "tenure_days": lambda: "customer for " + _fmt(f.tenure_days) + " days",
        "orders_90d": lambda: _fmt(f.orders_90d) + " orders in the last 90 days",
        "revenue_90d": lambda: "spent " + _fmt(f.revenue_90d) + " in the last 90 days",
        "revenue_prev_90d": lambda: "spent " + _fmt(f.revenue_prev_90d) + " in the 90 days before that",
        "spend_trend": lambda: "spend changed by " + _fmt(f.spend_trend) + " against the previous 90 days",
        "mean_gap_days": lambda: "usually orders every " + _fmt(f.mean_gap_days) + " days",
        "avg_order_value": lambda: "average order of " + _fmt(f.avg_order_value),
        "avg_lines_per_order": lambda: _fmt(f.avg_lines_per_order, 1) + " lines per order",
        "categories": lambda: "buys in " + _fmt(f.categories) + " categories",
        "discount_share": lambda: _fmt(f.discount_share * 100) + "% of lines bought on discount",
        "return_rate": lambda: _fmt(f.return_rate * 100) + "% of lines returned",
        "cancel_rate": lambda: _fmt(f.cancel_rate * 100) + "% of lines cancelled",
        "review_count": lambda: _fmt(f.review_count) + " reviews written",
        "avg_rating": lambda: "average rating " + _fmt(f.avg_rating, 1),
        "support_contacts_90d": lambda: _fmt(f.support_contacts_90d) + " support contacts in 90 days",
        "campaign_exposures": lambda: _fmt(f.campaign_exposures) + " campaign exposures",
        "events_30d": lambda: _fmt(f.events_30d) + " site events in 30 days",
    }
    # the purchase-rhythm, BG/NBD, trend, cancellation and breadth features (only those the snapshot has)
    rhythm = {
        "recency_vs_median_gap": lambda: "no visit for " + _fmt(f.recency_vs_median_gap, 1) + "x the usual gap",
        "recency_vs_max_gap": lambda: "no visit for " + _fmt(f.recency_vs_max_gap * 100) + "% of the longest gap so far",
        "gap_survival": lambda: "only " + _fmt(f.gap_survival * 100) + "% of past gaps were this long",
        "overdue_days": lambda: _fmt(f.overdue_days) + " days overdue against the usual gap",
        "p_buy_90d": lambda: _fmt(f.p_buy_90d * 100) + "% chance of a purchase in 90 days (BG/NBD)",
        "p_alive": lambda: _fmt(f.p_alive * 100) + "% probability of still being a customer (BG/NBD)",
        "expected_purchases_90d": lambda: _fmt(f.expected_purchases_90d, 1) + " purchases expected in 90 days",
        "order_trend": lambda: "orders in the last 90 days " + pd.Series(
            np.where(f.order_trend < 0, "down", "up"), index=f.index) + " against the 90 before",
        "basket_trend": lambda: "last baskets at " + _fmt(f.basket_trend * 100) + "% of the usual value",
        "orders_prev_90d": lambda: _fmt(f.orders_prev_90d) + " orders in the 90 days before the last 90",
        "cancelled_orders": lambda: _fmt(f.cancelled_orders) + " cancelled orders",
        "cancels_90d": lambda: _fmt(f.cancels_90d) + " cancellations in the last 90 days",
        "products_90d": lambda: _fmt(f.products_90d) + " different products in the last 90 days",
        "products": lambda: _fmt(f.products) + " different products bought",
    }
    phrases.update({name: make for name, make in rhythm.items() if name in f.columns})
    return phrases


def top_reasons(frame: pd.DataFrame, contributions: np.ndarray, features: list[str], k: int = 3) -> tuple[
        np.ndarray, list[str]]:
    """The k features with the largest positive contribution per row, and their phrases joined by '; '."""
    contrib = contributions[:, : len(features)]  # the last column is the bias
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    positive = np.take_along_axis(contrib, order, axis=1) > 0
    picked = np.full(order.shape, None, dtype=object)
    for j in np.unique(order[positive]):
        rows, slots = np.nonzero((order == j) & positive)  # a feature is at most once in a row's top k
        subset, name = frame.iloc[rows], features[j]
        phrases = reason_phrases(subset)
        phrase = (phrases[name]() if name in phrases else  # a feature without its own phrase
                  name.replace("_", " ") + " " + _fmt(subset[name].astype(float), 2))
        picked[rows, slots] = phrase.to_numpy(object)
    joined = ["; ".join(p for p in row if p) for row in picked]
    return np.array(features, dtype=object)[order], joined
