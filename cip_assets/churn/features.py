"""Point-in-time churn features and labels, computed inside DuckDB.

Every feature of a snapshot at `cutoff` reads only rows strictly before the cutoff; the label
is "no completed order in [cutoff, cutoff + horizon)". Snapshots read the staging views, not
the marts, because the marts describe the latest day only.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

FEATURES = [
    "recency_days", "frequency", "monetary", "tenure_days", "orders_90d", "revenue_90d", "revenue_prev_90d",
    "spend_trend", "mean_gap_days", "gap_ratio", "last_gap_ratio", "avg_order_value", "avg_lines_per_order",
    "categories", "discount_share", "return_rate", "cancel_rate", "review_count", "avg_rating",
    "support_contacts_90d", "campaign_exposures", "events_30d",
]
RFM_FEATURES = ["recency_days", "frequency", "monetary"]

_SNAPSHOT_SQL = """
WITH lines AS (
    SELECT customer_id, order_id, ordered_at, line_status, category, discount_pct,
           quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100) AS amount
    FROM staging.stg_order_lines
    WHERE customer_id IS NOT NULL AND ordered_at < $cutoff
),
orders AS (
    SELECT customer_id, order_id, min(ordered_at) AS ordered_at, count(*) AS lines,
           sum(CASE line_status WHEN 'completed' THEN amount WHEN 'returned' THEN -amount ELSE 0 END) AS net
    FROM lines GROUP BY ALL
    HAVING bool_or(line_status = 'completed')
),
gaps AS (
    SELECT customer_id, ordered_at,
           date_diff('day', lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at), ordered_at) AS gap
    FROM orders
),
per_customer AS (
    SELECT customer_id,
           date_diff('day', max(ordered_at), $cutoff) AS recency_days,
           count(*) AS frequency,
           sum(net) AS monetary,
           date_diff('day', min(ordered_at), $cutoff) AS tenure_days,
           count(*) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 90 DAY) AS orders_90d,
           coalesce(sum(net) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 90 DAY), 0) AS revenue_90d,
           coalesce(sum(net) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 180 DAY
                                       AND ordered_at < $cutoff - INTERVAL 90 DAY), 0) AS revenue_prev_90d,
           avg(net) AS avg_order_value,
           avg(lines) AS avg_lines_per_order
    FROM orders GROUP BY ALL
),
gap_stats AS (
    SELECT customer_id, avg(gap) AS mean_gap_days, arg_max(gap, ordered_at) AS last_gap
    FROM gaps WHERE gap IS NOT NULL GROUP BY ALL
),
line_stats AS (
    SELECT customer_id, count(DISTINCT category) AS categories,
           avg((coalesce(discount_pct, 0) > 0)::INT) AS discount_share,
           avg((line_status = 'returned')::INT) AS return_rate,
           avg((line_status = 'cancelled')::INT) AS cancel_rate
    FROM lines GROUP BY ALL
),
feedback AS (
    SELECT customer_id, count(*) FILTER (WHERE channel = 'review') AS review_count, avg(rating) AS avg_rating,
           count(*) FILTER (WHERE channel = 'support' AND created_at >= $cutoff - INTERVAL 90 DAY)
               AS support_contacts_90d
    FROM staging.stg_feedback
    WHERE customer_id IS NOT NULL AND created_at < $cutoff GROUP BY ALL
),
campaigns AS (
    SELECT customer_id, count(*) AS campaign_exposures FROM staging.stg_campaign_exposures
    WHERE exposed_at < $cutoff GROUP BY ALL
),
events AS (
    SELECT customer_id, count(*) AS events_30d FROM staging.stg_events
    WHERE event_at < $cutoff AND event_at >= $cutoff - INTERVAL 30 DAY GROUP BY ALL
),
future AS (
    SELECT DISTINCT customer_id FROM staging.stg_order_lines
    WHERE line_status = 'completed' AND ordered_at >= $cutoff AND ordered_at < $cutoff + to_days($horizon)
)
SELECT $cutoff::DATE AS cutoff, p.customer_id,
       p.recency_days, p.frequency, p.monetary, p.tenure_days, p.orders_90d, p.revenue_90d, p.revenue_prev_90d,
       p.revenue_90d - p.revenue_prev_90d AS spend_trend,
       g.mean_gap_days,
       p.recency_days / nullif(g.mean_gap_days, 0) AS gap_ratio,
       g.last_gap / nullif(g.mean_gap_days, 0) AS last_gap_ratio,
       p.avg_order_value, p.avg_lines_per_order,
       l.categories, l.discount_share, l.return_rate, l.cancel_rate,
       coalesce(f.review_count, 0) AS review_count, f.avg_rating,
       coalesce(f.support_contacts_90d, 0) AS support_contacts_90d,
       coalesce(c.campaign_exposures, 0) AS campaign_exposures,
       coalesce(e.events_30d, 0) AS events_30d,
       (u.customer_id IS NULL) AS churned
FROM per_customer p
LEFT JOIN gap_stats g USING (customer_id)
LEFT JOIN line_stats l USING (customer_id)
LEFT JOIN feedback f USING (customer_id)
LEFT JOIN campaigns c USING (customer_id)
LEFT JOIN events e USING (customer_id)
LEFT JOIN future u USING (customer_id)
ORDER BY p.customer_id
"""


def snapshot(con: duckdb.DuckDBPyConnection, cutoff: date, horizon_days: int) -> pd.DataFrame:
    """Features as of `cutoff` (data strictly before it) and the label over the next `horizon_days`."""
    frame = con.execute(_SNAPSHOT_SQL, {"cutoff": pd.Timestamp(cutoff).to_pydatetime(),
                                        "horizon": int(horizon_days)}).df()
    frame[FEATURES] = frame[FEATURES].astype("float64")
    return frame


def last_order_day(con: duckdb.DuckDBPyConnection) -> date | None:
    value = con.execute("SELECT max(ordered_at)::DATE FROM staging.stg_order_lines "
                        "WHERE line_status = 'completed'").fetchone()[0]
    return value


def plan_cutoffs(last_day: date, horizon_days: int, n_train: int = 4, step_days: int = 30) -> tuple[list[date], date]:
    """Training cutoffs whose label windows end before the evaluation cutoff starts (strictly out of time).

    evaluation = the latest cutoff with a full label window: last day + 1 - horizon;
    training   = evaluation - horizon - k * step, k = 0..n_train-1 (oldest first).
    """
    evaluation = last_day + timedelta(days=1) - timedelta(days=horizon_days)
    first_train = evaluation - timedelta(days=horizon_days)
    train = [first_train - timedelta(days=step_days * k) for k in range(n_train)]
    return sorted(train), evaluation
