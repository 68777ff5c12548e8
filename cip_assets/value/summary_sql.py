"""The value and segment models' per-customer inputs, computed inside DuckDB for nightly scoring.

`clv.spend_features` computes the same columns from a pandas frame of orders (what training replays at past
cutoffs); here the warehouse does it in one query, so a nightly scoring neither moves millions of orders
into pandas nor groups them there. `tests/test_value.py` holds the two to the same figures.
"""

from __future__ import annotations

import duckdb
import pandas as pd

_SUMMARY_SQL = """
WITH orders AS (  -- one row per order and line status: what the pandas path is given (value.assets.ORDERS_SQL)
    SELECT customer_id::VARCHAR AS customer_id, order_id, line_status AS status, min(ordered_at) AS ordered_at,
           sum(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100)) AS amount
    FROM staging.stg_order_lines
    WHERE customer_id IS NOT NULL
    GROUP BY ALL
),
before AS (
    SELECT *, date_trunc('day', ordered_at) AS day, epoch($cutoff - ordered_at) / 86400 AS age_days,
           CASE status WHEN 'completed' THEN amount WHEN 'returned' THEN -amount ELSE 0 END AS net
    FROM orders WHERE ordered_at < $cutoff
),
purchase_days AS (
    SELECT customer_id, day, sum(amount) AS gross FROM before WHERE status = 'completed' GROUP BY ALL
),
per_day AS (
    SELECT customer_id, min(day) AS first_day, max(day) AS last_day, count(*) AS days,
           arg_min(gross, day) AS first_day_gross, sum(gross) AS gross_total
    FROM purchase_days GROUP BY ALL
),
per_customer AS (  -- `before` holds an order once per status: its completed orders need no DISTINCT
    SELECT customer_id, sum(net) AS net_total,
           count(*) FILTER (WHERE status = 'completed') AS orders,
           max(ordered_at) FILTER (WHERE status = 'completed') AS last_completed_at,
           coalesce(sum(net) FILTER (WHERE age_days <= 30), 0) AS spend_30d,
           coalesce(sum(net) FILTER (WHERE age_days <= 90), 0) AS spend_90d,
           coalesce(sum(net) FILTER (WHERE age_days <= 180), 0) AS spend_180d,
           count(*) FILTER (WHERE status = 'completed' AND age_days <= 90) AS orders_90d,
           count(*) FILTER (WHERE status = 'completed' AND age_days > 90 AND age_days <= 180)
               AS orders_prev_90d
    FROM before GROUP BY ALL
),
summary AS (
    SELECT d.customer_id,
           d.days - 1.0 AS frequency,
           epoch(d.last_day - d.first_day) / 86400 AS recency,
           epoch($cutoff - d.first_day) / 86400 AS "T",
           CASE WHEN d.days > 1 THEN (d.gross_total - d.first_day_gross) / (d.days - 1)
                    * coalesce(least(greatest(c.net_total / CASE WHEN d.gross_total > 0 THEN d.gross_total END, 0), 1), 0)
                ELSE 0 END AS monetary_value,
           c.orders::DOUBLE AS orders,
           coalesce(c.net_total, 0) AS revenue,
           epoch($cutoff - c.last_completed_at) / 86400 AS days_since_last_order,
           c.spend_30d, c.spend_90d, c.spend_180d, c.orders_90d::DOUBLE AS orders_90d,
           c.orders_prev_90d::DOUBLE AS orders_prev_90d
    FROM per_day d JOIN per_customer c USING (customer_id)
)
SELECT *, (orders_90d + 1) / (orders_prev_90d + 1) AS order_trend, revenue / greatest(orders, 1) AS avg_basket
FROM summary ORDER BY customer_id
"""


def scoring_date(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """The day after the last completed order: what tonight's value and segments are as of."""
    last = con.execute("SELECT max(ordered_at) FROM staging.stg_order_lines "
                       "WHERE line_status = 'completed' AND customer_id IS NOT NULL").fetchone()[0]
    return None if last is None else pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def customer_summary(con: duckdb.DuckDBPyConnection, cutoff) -> pd.DataFrame:
    """`clv.spend_features` of every customer with a completed order before `cutoff`, indexed by customer_id."""
    frame = con.execute(_SUMMARY_SQL, {"cutoff": pd.Timestamp(cutoff).to_pydatetime()}).df()
    return frame.set_index("customer_id")
