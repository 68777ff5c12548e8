"""Definitions of the platform's terms (segments, risk bands, metrics), for "what is ..." questions."""

from __future__ import annotations

RFM_SEGMENTS = {
    "Champions": "RFM segment: bought very recently (R score 5) and often and for a lot (rounded average of F and M "
                 "scores 4-5).",
    "Loyal": "RFM segment: recent (R 3-4) with high frequency and spend (F/M average 4-5).",
    "Potential Loyalist": "RFM segment: recent buyers (R 4-5) with average frequency and spend (F/M average 2-3).",
    "New": "RFM segment: bought very recently (R 5) but rarely and for little so far (F/M average 1).",
    "Promising": "RFM segment: fairly recent (R 4) with low frequency and spend (F/M average 1).",
    "Need Attention": "RFM segment: middling on everything (R 3, F/M average 3).",
    "About to Sleep": "RFM segment: R 3 with low frequency and spend (F/M average 1-2); drifting away.",
    "At Risk": "RFM segment: used to buy well (F/M average 3-4) but not recently (R 1-2).",
    "Can't Lose Them": "RFM segment: the best past customers (F/M average 5) who have not bought recently (R 1-2).",
    "Hibernating": "RFM segment: R 2 with low frequency and spend (F/M average 1-2).",
    "Lost": "RFM segment: the least recent (R 1) with low frequency and spend (F/M average 1-2).",
}

TERMS = {
    "high risk": "Churn risk band 'high': churn probability >= 0.6 from the churn model (ml.churn_scores).",
    "medium risk": "Churn risk band 'medium': churn probability >= 0.3 and < 0.6.",
    "low risk": "Churn risk band 'low': churn probability < 0.3.",
    "risk band": "The churn model's probability cut into bands: high >= 0.6 > medium >= 0.3 > low. Only customers "
                 "with a completed order in the last year are scored.",
    "churn probability": "The calibrated probability, from the LightGBM churn model, that a customer places no "
                         "completed order in the churn horizon (default 90 days).",
    "churned": "A customer is churned when the days since their last completed order (recency) reach the churn "
               "horizon (default 90 days) at the as-of date.",
    "churn rate": "Churned customers / customers with at least one completed order.",
    "recency": "Days from the customer's last completed order to the as-of date; the R score is its quintile "
               "(5 = most recent).",
    "frequency": "Distinct completed orders of a customer; the F score is its quintile (5 = most orders).",
    "monetary": "Net revenue of a customer (completed lines minus returned lines, cancelled lines excluded); the "
                "M score is its quintile (5 = highest).",
    "rfm score": "R, F and M quintile scores (1-5) concatenated, e.g. '545'; the segment comes from R and the "
                 "rounded average of F and M.",
    "rfm segment": "One of 11 segments (Champions, Loyal, ...) from the R score and the rounded average of F and M "
                   "scores; see marts.rfm_segment_map.",
    "segment": "RFM segments (Champions, Loyal, ..., Lost) from recency, frequency and monetary quintiles; the ML "
               "customer segments (ml.customer_segments) are KMeans clusters with a persona.",
    "revenue": "Net revenue: quantity x unit price x (1 - discount) of completed lines minus returned lines; "
               "cancelled lines count for nothing.",
    "average order value": "Net revenue / orders with at least one completed line.",
    "aov": "Average order value: net revenue / orders with at least one completed line.",
    "12 month value": "Expected net spend in the next 12 months from the BG/NBD + Gamma-Gamma model "
                      "(ml.customer_value.value_12m).",
    "customer value": "Expected net spend in the next 12 months from the BG/NBD + Gamma-Gamma model "
                      "(ml.customer_value.value_12m).",
    "clv": "Customer lifetime value here: expected net spend in the next 12 months (value_12m).",
    "probability alive": "The BG/NBD model's probability that the customer is still active (has not silently left).",
    "active customers": "Customers with at least one completed order in the period.",
    "new customers": "Customers whose first completed order falls in the period.",
    "returning customers": "Active customers in the period whose first completed order was before it.",
    "cancellation rate": "Cancelled orders / all orders.",
    "return rate": "Returned order lines / all order lines.",
    "cohort retention": "Share of a cohort (customers by month of first order) with a completed order N months later.",
    "lift": "Product affinity: how much more often two products are bought together than by chance (> 1 = more).",
    "support": "Product affinity: share of baskets containing both products.",
    "confidence": "Product affinity: P(product B in the basket | product A in the basket).",
    "pareto": "Revenue by customer decile; top20_revenue_share is the share of revenue from the top 20% of customers.",
    "as of": "The reference date of the data: the last order date in the published marts, used for 'last month'.",
}


def definitions(personas: dict[str, str] | None = None) -> dict[str, str]:
    """normalised term -> definition (RFM segments, terms, and the ML segments' personas when published)."""
    from cip_assets.qa.gazetteer import normalise

    out = {normalise(k): f"{k}: {v}" for k, v in TERMS.items()}
    for name, text in RFM_SEGMENTS.items():
        out[normalise(name)] = f"{name}: {text}"
        out[normalise(name) + " segment"] = f"{name}: {text}"
    for name, persona in (personas or {}).items():
        out.setdefault(normalise(name), f"{name}: ML customer segment (KMeans), persona: {persona}.")
    return out
