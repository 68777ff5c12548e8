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
Cells with fewer than MIN_LINES lines are left out. A night reads no order line here: the dbt model
`int_customer_category_prices` keeps per customer and category the sums these statistics need
(incremental: only the customers with new lines, or a line entering the 90-day repeat window, are
summed again), and the cells add them up under today's segments.

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

PRICE_SUMS = "intermediate.int_customer_category_prices"  # per customer and category, incremental (dbt)

_MEASURES = ("log_quantity", "log_price", "discount_pct")
_PRODUCTS = (("log_quantity", "log_price"), ("log_quantity", "discount_pct"))
_SUMMED = ("lines", "sum_net_price", "sum_quantity", "discounted_lines", "repeats_discounted", "repeat_lines_discounted",
           "repeats_full_price", "repeat_lines_full_price", "customers")


def _combine(source: str, segment: str, category: str) -> str:
    """SQL combining `source`'s rows (per customer and category, or cells already combined) into cells per
    (`segment`, `category`), exactly: line-weighted means, and each row's own sums of squares (and of cross products)
    plus its lines times its mean's squared distance from the cell's. A cell whose values never vary gets exactly
    zero spread (its extremes agree), as a regression over its lines would."""
    means = ", ".join(f"sum(lines * mean_{m}) OVER cell / sum(lines) OVER cell AS cell_{m}" for m in _MEASURES)
    columns = [f"{segment} AS segment", f"{category} AS category", *(f"sum({c}) AS {c}" for c in _SUMMED)]
    for m in _MEASURES:
        columns += [f"sum(lines * mean_{m}) / sum(lines) AS mean_{m}", f"min(min_{m}) AS min_{m}",
                    f"max(max_{m}) AS max_{m}",
                    f"CASE WHEN min(min_{m}) < max(max_{m}) THEN sum(ss_{m} + lines * (mean_{m} - cell_{m}) ** 2) "
                    f"ELSE 0 END AS ss_{m}"]
    columns += [f"sum(sp_{a}_{b} + lines * (mean_{a} - cell_{a}) * (mean_{b} - cell_{b})) AS sp_{a}_{b}"
                for a, b in _PRODUCTS]
    return (f"SELECT {', '.join(columns)} FROM (SELECT *, {means} FROM {source} "
            f"WINDOW cell AS (PARTITION BY {segment}, {category})) GROUP BY ALL")


# The cells: segment x category from the rows per customer and category; each segment over all categories and all
# customers per category from those (a customer is in one segment, so only a segment's distinct customers need the
# rows again).
_SQL = """
WITH segments AS ({segments}),
rows AS (
    SELECT coalesce(s.segment, 'unsegmented') AS segment, p.* EXCLUDE (repeat_horizon, loaded_at), 1 AS customers
    FROM {price_sums} p LEFT JOIN segments s ON s.customer_id = p.customer_id
),
segment_categories AS ({by_segment_and_category}),
segment_customers AS (SELECT segment, count(DISTINCT customer_id) AS customers FROM rows GROUP BY segment),
all_cells AS (
    SELECT * FROM segment_categories
    UNION ALL BY NAME
    SELECT b.* REPLACE (c.customers AS customers) FROM ({by_segment}) AS b JOIN segment_customers c USING (segment)
    UNION ALL BY NAME
    {by_category}
),
cells AS (
    SELECT segment, category, lines AS n, ss_log_price AS sxx, ss_log_quantity AS syy, sp_log_quantity_log_price AS sxy,
           ss_discount_pct AS dxx, sp_log_quantity_discount_pct AS dxy, customers AS n_customers,
           sum_net_price / lines AS avg_net_price, sum_quantity / lines AS avg_quantity,
           discounted_lines / lines AS discounted_share,
           repeats_discounted / nullif(repeat_lines_discounted, 0) AS r1, repeat_lines_discounted AS n1,
           repeats_full_price / nullif(repeat_lines_full_price, 0) AS r0, repeat_lines_full_price AS n0
    FROM all_cells WHERE lines >= {min_lines}
),
with_slopes AS (
    SELECT *, sxy / nullif(sxx, 0) AS b, dxy / nullif(dxx, 0) AS bd, syy AS dyy FROM cells
),
stats AS (
    SELECT *,
           CASE WHEN sxx > 0 AND n > 2 THEN sqrt(greatest(syy - sxy * sxy / sxx, 0) / (n - 2) / sxx) END AS se,
           CASE WHEN dxx > 0 AND n > 2 THEN sqrt(greatest(dyy - dxy * dxy / dxx, 0) / (n - 2) / dxx) END AS sed,
           CASE WHEN n1 > 0 AND n0 > 0 THEN sqrt(r1 * (1 - r1) / n1 + r0 * (1 - r0) / n0) END AS ser
    FROM with_slopes
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
    sql = _SQL.format(segments=segments, price_sums=PRICE_SUMS, min_lines=int(min_lines),
                      by_segment_and_category=_combine("rows", "segment", "category"),
                      by_segment=_combine("segment_categories", "segment", "'all categories'"),
                      by_category=_combine("segment_categories", "'all customers'", "category"))
    frame = con.execute(sql, {"note": NOTE}).df()
    return frame[COLUMNS], used
