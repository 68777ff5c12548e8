"""Point-in-time churn features and labels, computed inside DuckDB.

Every feature of a snapshot at `cutoff` reads only rows strictly before the cutoff; the label
is "no completed order in [cutoff, cutoff + horizon)". Snapshots read the staging views, not
the marts, because the marts describe the latest day only.

Beyond recency, frequency and monetary value, the features describe what log-RFM cannot:
- each customer's own purchase rhythm, on purchase days (several invoices on one day are one
  visit): the days since the last visit against the customer's usual, median and longest gap, and
  the share of the customer's past gaps at least that long, and of those the share that ended within
  90 more days (the customer's own return rate after such a wait);
- BG/NBD (`cip_assets.value.clv`), fitted on this snapshot's own pre-cutoff history: the
  probability the customer is still alive and of at least one purchase in the next 90 days;
- trends: orders and spend in the last 90 days against the 90 before and against the customer's
  own average quarter, and the last three baskets against the usual basket;
- returns and cancellations, in lines, in value, and recently;
- product breadth and basket: distinct products, products per order, the share bought more than once,
  units per line and the median unit price (wholesale buyers against households);
- seasonality: whether the customer bought in the same 90 days one year earlier (unknown when the
  history is shorter than a year) and the share of the months since the first order with a purchase.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

RFM_FEATURES = ["recency_days", "frequency", "monetary"]
# the features of the model as it was before the rhythm/BG-NBD/trend/breadth features (kept for comparison)
BASE_FEATURES = [
    "recency_days", "frequency", "monetary", "tenure_days", "orders_90d", "revenue_90d", "revenue_prev_90d",
    "spend_trend", "mean_gap_days", "gap_ratio", "last_gap_ratio", "avg_order_value", "avg_lines_per_order",
    "categories", "discount_share", "return_rate", "cancel_rate", "review_count", "avg_rating",
    "support_contacts_90d", "campaign_exposures", "events_30d",
]
RHYTHM_FEATURES = [
    "purchase_days", "orders_per_30d", "median_gap_days", "max_gap_days", "gap_cv", "recency_vs_median_gap",
    "recency_vs_max_gap", "gap_z", "gap_survival", "gap_return_90d", "overdue_days", "active_span_share", "active_month_share",
]
BGNBD_FEATURES = ["p_alive", "p_buy_90d", "expected_purchases_90d"]
TREND_FEATURES = ["orders_prev_90d", "order_trend", "recent_spend_vs_usual", "basket_trend", "orders_30d"]
RETURN_FEATURES = ["cancelled_orders", "cancelled_value_share", "cancels_90d", "returned_value_share"]
BREADTH_FEATURES = ["products", "products_per_order", "repeat_product_share", "products_90d", "avg_quantity_per_line",
                    "median_unit_price"]
SEASON_FEATURES = ["bought_same_window_last_year"]
FEATURES = [*BASE_FEATURES, *RHYTHM_FEATURES, *BGNBD_FEATURES, *TREND_FEATURES, *RETURN_FEATURES,
            *BREADTH_FEATURES, *SEASON_FEATURES]
BGNBD_HORIZON_DAYS = 90  # fixed, so a snapshot scored with a 1-day horizon gets the same feature

_SNAPSHOT_SQL = """
WITH lines AS (
    SELECT customer_id, order_id, ordered_at, line_status, category, discount_pct, product_id, quantity, unit_price,
           quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100) AS amount
    FROM staging.stg_order_lines
    WHERE customer_id IS NOT NULL AND ordered_at < $cutoff /*only*/
),
order_totals AS (
    SELECT customer_id, order_id, min(ordered_at) AS ordered_at, count(*) AS lines,
           sum(CASE line_status WHEN 'completed' THEN amount WHEN 'returned' THEN -amount ELSE 0 END) AS net,
           bool_or(line_status = 'completed') AS has_completed, bool_or(line_status = 'cancelled') AS has_cancelled
    FROM lines GROUP BY customer_id, order_id
),
orders AS (
    SELECT customer_id, order_id, ordered_at, lines, net FROM order_totals WHERE has_completed
),
per_customer AS (
    SELECT customer_id,
           date_diff('day', max(ordered_at), $cutoff) AS recency_days,
           count(*) AS frequency,
           sum(net) AS monetary,
           date_diff('day', min(ordered_at), $cutoff) AS tenure_days,
           count(*) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 30 DAY) AS orders_30d,
           count(*) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 90 DAY) AS orders_90d,
           count(*) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 180 DAY
                              AND ordered_at < $cutoff - INTERVAL 90 DAY) AS orders_prev_90d,
           coalesce(sum(net) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 90 DAY), 0) AS revenue_90d,
           coalesce(sum(net) FILTER (WHERE ordered_at >= $cutoff - INTERVAL 180 DAY
                                       AND ordered_at < $cutoff - INTERVAL 90 DAY), 0) AS revenue_prev_90d,
           avg(net) AS avg_order_value,
           avg(lines) AS avg_lines_per_order,
           count(DISTINCT date_trunc('month', ordered_at)) AS active_months,
           bool_or(ordered_at >= $cutoff - INTERVAL 365 DAY AND ordered_at < $cutoff - INTERVAL 275 DAY)
               AS bought_last_year
    FROM orders GROUP BY ALL
),
gap_stats AS (  -- the day gaps between consecutive orders add up to the first-to-last span, so no window is
                --  needed; the last gap is the latest two orders' (at the same second, in order_id order)
    SELECT customer_id, date_diff('day', min(ordered_at), max(ordered_at)) / (count(*) - 1) AS mean_gap_days,
           date_diff('day', arg_max(ordered_at, (ordered_at, order_id), 2)[2], max(ordered_at)) AS last_gap
    FROM orders GROUP BY customer_id HAVING count(*) > 1
),
last_baskets AS (  -- the last three orders' average value, against the customer's usual order
    SELECT customer_id, list_avg(arg_max(net, (ordered_at, order_id), 3)) AS last3_order_value
    FROM orders GROUP BY customer_id
),
visits AS (  -- purchase days: BG/NBD's unit, and gaps that same-day invoices do not shrink to zero
    SELECT DISTINCT customer_id, ordered_at::DATE AS day FROM orders
),
visit_gaps AS (
    SELECT customer_id, date_diff('day', lag(day) OVER (PARTITION BY customer_id ORDER BY day), day) AS gap
    FROM visits
),
visit_stats AS (
    SELECT v.customer_id, count(*) AS purchase_days, min(v.day) AS first_day, max(v.day) AS last_day
    FROM visits v GROUP BY ALL
),
visit_gap_stats AS (
    SELECT g.customer_id, median(g.gap) AS median_gap_days, max(g.gap) AS max_gap_days,
           avg(g.gap) AS mean_visit_gap, stddev_samp(g.gap) AS sd_visit_gap,
           avg((g.gap >= date_diff('day', s.last_day, $cutoff))::INT) AS gap_survival,
           -- of the past gaps at least as long as the current wait, the share that ended within 90 more days
           avg((g.gap < date_diff('day', s.last_day, $cutoff) + 90)::INT)
               FILTER (WHERE g.gap >= date_diff('day', s.last_day, $cutoff)) AS gap_return_90d
    FROM visit_gaps g JOIN visit_stats s USING (customer_id)
    WHERE g.gap IS NOT NULL GROUP BY ALL
),
line_stats AS (
    SELECT customer_id, count(DISTINCT category) AS categories,
           avg((coalesce(discount_pct, 0) > 0)::INT) AS discount_share,
           avg((line_status = 'returned')::INT) AS return_rate,
           avg((line_status = 'cancelled')::INT) AS cancel_rate,
           count(*) FILTER (WHERE line_status = 'cancelled' AND ordered_at >= $cutoff - INTERVAL 90 DAY) AS cancels_90d,
           coalesce(sum(amount) FILTER (WHERE line_status = 'cancelled'), 0)
               / nullif(sum(amount) FILTER (WHERE line_status = 'completed'), 0) AS cancelled_value_share,
           coalesce(sum(amount) FILTER (WHERE line_status = 'returned'), 0)
               / nullif(sum(amount) FILTER (WHERE line_status = 'completed'), 0) AS returned_value_share,
           avg(quantity) FILTER (WHERE line_status = 'completed') AS avg_quantity_per_line,
           median(unit_price) FILTER (WHERE line_status = 'completed') AS median_unit_price
    FROM lines GROUP BY ALL
),
cancelled AS (
    SELECT customer_id, count(order_id) FILTER (WHERE has_cancelled) AS cancelled_orders
    FROM order_totals GROUP BY customer_id
),
products_bought AS (  -- distinct products (a completed line), those bought in the last 90 days, and the share
                      --  bought on more than one day
    SELECT customer_id, count(*) AS products, count(*) FILTER (WHERE last_at >= $cutoff - INTERVAL 90 DAY)
               AS products_90d, avg((days > 1)::INT) AS repeat_product_share
    FROM (SELECT customer_id, product_id, count(DISTINCT ordered_at::DATE) AS days, max(ordered_at) AS last_at
          FROM lines WHERE line_status = 'completed' AND product_id IS NOT NULL GROUP BY ALL)
    GROUP BY customer_id
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
    WHERE exposed_at < $cutoff /*only*/ GROUP BY ALL
),
events AS (
    SELECT customer_id, count(*) AS events_30d FROM staging.stg_events
    WHERE event_at < $cutoff AND event_at >= $cutoff - INTERVAL 30 DAY /*only*/ GROUP BY ALL
),
history AS (SELECT min(ordered_at) AS first_line FROM staging.stg_order_lines WHERE ordered_at < $cutoff),
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
       -- rhythm, on purchase days
       s.purchase_days,
       30.0 * s.purchase_days / greatest(date_diff('day', s.first_day, $cutoff), 1) AS orders_per_30d,
       vg.median_gap_days, vg.max_gap_days,
       vg.sd_visit_gap / nullif(vg.mean_visit_gap, 0) AS gap_cv,
       date_diff('day', s.last_day, $cutoff) / nullif(vg.median_gap_days, 0) AS recency_vs_median_gap,
       date_diff('day', s.last_day, $cutoff) / nullif(vg.max_gap_days, 0) AS recency_vs_max_gap,
       (date_diff('day', s.last_day, $cutoff) - vg.mean_visit_gap) / nullif(vg.sd_visit_gap, 0) AS gap_z,
       vg.gap_survival, vg.gap_return_90d,
       date_diff('day', s.last_day, $cutoff) - vg.mean_visit_gap AS overdue_days,
       date_diff('day', s.first_day, s.last_day) / greatest(date_diff('day', s.first_day, $cutoff), 1)
           AS active_span_share,
       p.active_months / (date_diff('month', s.first_day, $cutoff::DATE - 1) + 1) AS active_month_share,
       -- BG/NBD inputs (the probabilities are added in Python)
       s.purchase_days - 1 AS bgnbd_x, date_diff('day', s.first_day, s.last_day) AS bgnbd_t_x,
       date_diff('day', s.first_day, $cutoff) AS bgnbd_T,
       -- trends
       p.orders_prev_90d,
       (p.orders_90d - p.orders_prev_90d) / (p.orders_90d + p.orders_prev_90d + 1.0) AS order_trend,
       p.revenue_90d / nullif(p.monetary * 90.0 / greatest(p.tenure_days, 90), 0) AS recent_spend_vs_usual,
       b.last3_order_value / nullif(p.avg_order_value, 0) AS basket_trend,
       p.orders_30d,
       -- returns and cancellations
       k.cancelled_orders, l.cancelled_value_share, l.cancels_90d, l.returned_value_share,
       -- product breadth
       coalesce(r.products, 0) AS products, coalesce(r.products, 0) / p.frequency AS products_per_order,
       r.repeat_product_share, coalesce(r.products_90d, 0) AS products_90d,
       l.avg_quantity_per_line, l.median_unit_price,
       -- seasonality: unknown (NULL) when the data do not reach back a year
       CASE WHEN (SELECT first_line FROM history) <= $cutoff - INTERVAL 365 DAY
            THEN p.bought_last_year::INT END AS bought_same_window_last_year,
       (u.customer_id IS NULL) AS churned
FROM per_customer p
JOIN visit_stats s USING (customer_id)
LEFT JOIN gap_stats g USING (customer_id)
LEFT JOIN visit_gap_stats vg USING (customer_id)
LEFT JOIN last_baskets b USING (customer_id)
LEFT JOIN line_stats l USING (customer_id)
LEFT JOIN cancelled k USING (customer_id)
LEFT JOIN products_bought r USING (customer_id)
LEFT JOIN feedback f USING (customer_id)
LEFT JOIN campaigns c USING (customer_id)
LEFT JOIN events e USING (customer_id)
LEFT JOIN future u USING (customer_id)
ORDER BY p.customer_id
"""


def _bgnbd_features(frame: pd.DataFrame, fitted=None) -> tuple[pd.DataFrame, object]:
    """BG/NBD fitted on this snapshot's customers (their pre-cutoff purchase days only), unless `fitted` is given
    (a nightly scoring of a few customers reuses the fit of the last full one), then per customer: P(alive),
    P(at least one purchase in the next BGNBD_HORIZON_DAYS) and the expected purchases then. Returns the fit too."""
    from cip_assets.value.clv import fit_bgnbd  # heavy imports (lightgbm) only when a snapshot is taken

    summary = pd.DataFrame({"frequency": frame.bgnbd_x.astype(float), "recency": frame.bgnbd_t_x.astype(float),
                            "T": frame.bgnbd_T.astype(float)}, index=frame.index)
    out = pd.DataFrame(np.nan, index=frame.index, columns=BGNBD_FEATURES)
    if fitted is None and (len(summary) < 20 or summary["frequency"].sum() == 0 or summary["T"].max() <= 0):
        return out, None  # too few customers, or nobody came back: nothing to fit
    try:
        with np.errstate(all="ignore"):
            model = fitted or fit_bgnbd(summary)
            alive = model.probability_alive(summary).to_numpy()
            x, T = summary["frequency"].to_numpy(), summary["T"].to_numpy()
            # P(no purchase in (T, T+t] | alive) = ((alpha+T)/(alpha+T+t))^(r+x): the rate's posterior is Gamma(r+x, alpha+T)
            quiet = np.exp((model.r + x) * (np.log(model.alpha + T) - np.log(model.alpha + T + BGNBD_HORIZON_DAYS)))
            out["p_alive"] = alive
            out["p_buy_90d"] = alive * (1 - quiet)
            out["expected_purchases_90d"] = model.expected_purchases(summary, BGNBD_HORIZON_DAYS).to_numpy()
    except (ValueError, FloatingPointError, ZeroDivisionError):
        return out, None
    return out.where(np.isfinite(out)), model


def snapshot(con: duckdb.DuckDBPyConnection, cutoff: date, horizon_days: int, only: str | None = None,
             bgnbd=None) -> pd.DataFrame:
    """Features as of `cutoff` (data strictly before it) and the label over the next `horizon_days`.

    `only` names a relation with a `customer_id` column: the snapshot of those customers alone (the same
    values as in the whole snapshot when `bgnbd`, the BG/NBD fit, is the whole snapshot's). The fit used
    is kept in `frame.attrs["bgnbd"]`."""
    sql = _SNAPSHOT_SQL.replace("/*only*/", f"AND customer_id IN (SELECT customer_id FROM {only})" if only else "")
    frame = con.execute(sql, {"cutoff": pd.Timestamp(cutoff).to_pydatetime(), "horizon": int(horizon_days)}).df()
    frame[BGNBD_FEATURES], fitted = _bgnbd_features(frame, bgnbd)
    frame = frame.drop(columns=["bgnbd_x", "bgnbd_t_x", "bgnbd_T"])
    frame["horizon_days"] = int(horizon_days)  # the label's window, for purged validation
    frame[FEATURES] = frame[FEATURES].astype("float64")
    frame.attrs["bgnbd"] = fitted
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
