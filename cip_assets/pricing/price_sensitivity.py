"""Observational price sensitivity per customer segment and category, computed in DuckDB.

For completed order lines of identified customers:

* ``elasticity``: the OLS slope of log(quantity) on log(net unit price) (unit price after the line's
  discount) across the lines of a cell, with a 95% interval from the slope's standard error,
  se = sqrt(SSE / (n - 2) / Sxx). -1 would mean a 1% higher price goes with 1% fewer units per line;
  null where quantity or price never varies in the cell.
* ``discount_effect_10pp``: the slope of log(quantity) on discount_pct, times 10 (log-points of
  quantity per 10 discount points), with its interval.
* ``repeat_rate_discounted`` / ``repeat_rate_full_price``: the share of orders followed by another
  order of the same customer within 90 days, for lines bought on discount and at full price (only
  lines with a full 90-day window before the last order date count), and their difference with a
  Wald interval.

Cells: segment x category, plus every segment over all categories and all customers per category.
Cells with fewer than MIN_LINES lines are left out.

These are associations, not causal effects: neither prices nor discounts were randomised here, so
dearer products, discount-seeking customers and seasonal sales all mix into the slopes. The
``note`` column says so on every row; the randomised campaign (uplift models) is the causal source.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cip_resources.tables import table_exists

MIN_LINES = 30
NOTE = ("observational association, not a causal effect: prices and discounts were not randomised, so product "
        "mix, discount-seeking customers and sale timing are mixed into these slopes")
COLUMNS = ["segment", "category", "elasticity", "ci_low", "ci_high", "n_lines", "n_customers", "avg_net_price",
           "avg_quantity", "discount_effect_10pp", "discount_ci_low", "discount_ci_high", "discounted_share",
           "repeat_rate_discounted", "repeat_rate_full_price", "repeat_rate_diff", "repeat_diff_ci_low",
           "repeat_diff_ci_high", "note"]

_SQL = """
WITH lines AS (
    SELECT customer_id, order_id, ordered_at, coalesce(category, 'unknown') AS category, quantity,
           coalesce(discount_pct, 0) AS discount_pct,
           unit_price * (1 - coalesce(discount_pct, 0) / 100) AS net_price
    FROM staging.stg_order_lines
    WHERE line_status = 'completed' AND customer_id IS NOT NULL AND quantity > 0 AND unit_price > 0
      AND coalesce(discount_pct, 0) < 100
),
orders AS (
    SELECT customer_id, order_id, min(ordered_at) AS ordered_at FROM lines GROUP BY ALL
),
next_order AS (
    SELECT customer_id, order_id,
           lead(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS next_at
    FROM orders
),
horizon AS (SELECT max(ordered_at) - INTERVAL 90 DAY AS last_full FROM lines),
segments AS ({segments}),
x AS (
    SELECT coalesce(s.segment, 'unsegmented') AS segment, l.category, l.customer_id,
           ln(l.quantity) AS lq, ln(l.net_price) AS lp, l.net_price, l.quantity, l.discount_pct,
           l.discount_pct > 0 AS discounted,
           CASE WHEN l.ordered_at <= h.last_full
                THEN (n.next_at IS NOT NULL AND n.next_at < l.ordered_at + INTERVAL 90 DAY)::INT END AS repeat90
    FROM lines l
    JOIN next_order n ON n.customer_id = l.customer_id AND n.order_id = l.order_id
    CROSS JOIN horizon h
    LEFT JOIN segments s ON s.customer_id = l.customer_id
),
cells AS (
    SELECT coalesce(segment, 'all customers') AS segment, coalesce(category, 'all categories') AS category,
           regr_count(lq, lp) AS n, regr_slope(lq, lp) AS b, regr_sxx(lq, lp) AS sxx, regr_syy(lq, lp) AS syy,
           regr_sxy(lq, lp) AS sxy,
           regr_slope(lq, discount_pct) AS bd, regr_sxx(lq, discount_pct) AS dxx, regr_syy(lq, discount_pct) AS dyy,
           regr_sxy(lq, discount_pct) AS dxy,
           count(DISTINCT customer_id) AS n_customers, avg(net_price) AS avg_net_price, avg(quantity) AS avg_quantity,
           avg(discounted::INT) AS discounted_share,
           avg(repeat90) FILTER (WHERE discounted) AS r1, count(repeat90) FILTER (WHERE discounted) AS n1,
           avg(repeat90) FILTER (WHERE NOT discounted) AS r0, count(repeat90) FILTER (WHERE NOT discounted) AS n0
    FROM x
    GROUP BY GROUPING SETS ((segment, category), (segment), (category))
    HAVING count(*) >= {min_lines}
),
stats AS (
    SELECT *,
           CASE WHEN sxx > 0 AND n > 2 THEN sqrt(greatest(syy - sxy * sxy / sxx, 0) / (n - 2) / sxx) END AS se,
           CASE WHEN dxx > 0 AND n > 2 THEN sqrt(greatest(dyy - dxy * dxy / dxx, 0) / (n - 2) / dxx) END AS sed,
           CASE WHEN n1 > 0 AND n0 > 0 THEN sqrt(r1 * (1 - r1) / n1 + r0 * (1 - r0) / n0) END AS ser
    FROM cells
)
SELECT segment, category,
       CASE WHEN sxx > 0 AND syy > 0 THEN b END AS elasticity,
       CASE WHEN sxx > 0 AND syy > 0 THEN b - 1.96 * se END AS ci_low,
       CASE WHEN sxx > 0 AND syy > 0 THEN b + 1.96 * se END AS ci_high,
       n AS n_lines, n_customers, avg_net_price, avg_quantity,
       CASE WHEN dxx > 0 AND dyy > 0 THEN 10 * bd END AS discount_effect_10pp,
       CASE WHEN dxx > 0 AND dyy > 0 THEN 10 * (bd - 1.96 * sed) END AS discount_ci_low,
       CASE WHEN dxx > 0 AND dyy > 0 THEN 10 * (bd + 1.96 * sed) END AS discount_ci_high, discounted_share,
       r1 AS repeat_rate_discounted, r0 AS repeat_rate_full_price, r1 - r0 AS repeat_rate_diff,
       r1 - r0 - 1.96 * ser AS repeat_diff_ci_low, r1 - r0 + 1.96 * ser AS repeat_diff_ci_high,
       $note AS note
FROM stats
ORDER BY segment = 'all customers' DESC, segment, category = 'all categories' DESC, category
"""


def segment_source(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """SQL giving (customer_id, segment): the RFM segment from marts.customer_rfm when it exists, else the
    persona name from ml.customer_segments, else nobody (every line is 'unsegmented')."""
    if table_exists(con, "marts", "customer_rfm"):
        return "SELECT customer_id, segment FROM marts.customer_rfm", "marts.customer_rfm.segment"
    if table_exists(con, "ml", "customer_segments"):
        return "SELECT customer_id, segment_name AS segment FROM ml.customer_segments", "ml.customer_segments"
    return "SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS segment WHERE false", "none"


def price_sensitivity(con: duckdb.DuckDBPyConnection, min_lines: int = MIN_LINES) -> tuple[pd.DataFrame, str]:
    """The price sensitivity table (columns COLUMNS) and the name of the segmentation used."""
    segments, used = segment_source(con)
    frame = con.execute(_SQL.format(segments=segments, min_lines=int(min_lines)), {"note": NOTE}).df()
    return frame[COLUMNS], used
