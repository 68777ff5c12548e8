"""Read-only queries over the published copy, shared by the dashboard and `cip report`.

Every call opens `CIP_HOME/published/cip.duckdb` read-only and closes it again: publishing swaps
the file with an atomic rename, so the next query simply opens the new copy, and an open that
races the rename is retried. `version()` (inode + mtime) lets caches key on the copy they read.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

# what produces each optional table, for the "not built yet" messages
PRODUCERS = {
    "nlp": "the feedback models (sentiment, aspects, topics)",
    "ml.offer_recommendations": "the offer recommender (uplift models)",
    "ml.uplift_evaluation": "the offer recommender (uplift models)",
    "ml.price_sensitivity": "the price-sensitivity model",
    "monitoring": "the monitoring assets (drift, data quality, alerts)",
    "ml.purchase_propensity": "the event models (purchase propensity; they need behavioural events)",
    "ml.next_action_scores": "the event models (next action; they need behavioural events)",
    "marts.funnel_by_category": "the dbt marts over behavioural events (none were ingested)",
    "marts.purchase_timing": "the dbt marts over behavioural events (none were ingested)",
    "ml": "the churn/value/segment models",
    "marts": "the dbt marts",
}


def published_db(home: str | Path | None = None, role: str | None = None) -> Path:
    """The copy `role` reads: analysts and admins the unmasked analyst copy (once one is published), everyone
    else (viewers, `cip report`, no role) the safe copy, where personal data is masked."""
    home = Path(home or os.environ.get("CIP_HOME", ".cip")).resolve()
    if role in ("analyst", "admin") and (home / "published" / "analyst" / "cip.duckdb").exists():
        return home / "published" / "analyst" / "cip.duckdb"
    return home / "published" / "cip.duckdb"


def version(db: Path) -> tuple[int, int]:
    """Changes whenever a publish swaps a new file in (a new inode) or the file is rewritten."""
    try:
        st = db.stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)


def connect(db: Path, attempts: int = 5) -> duckdb.DuckDBPyConnection:
    last: Exception | None = None
    for i in range(attempts):
        try:
            return duckdb.connect(str(db), read_only=True)
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:  # mid-swap or a stale handle
            last = exc
            time.sleep(0.1 * (i + 1))
    raise last  # type: ignore[misc]


def read(db: Path, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    if not db.exists():
        raise FileNotFoundError(f"{db} does not exist: run `cip run` first")
    con = connect(db)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def tables(db: Path) -> dict[str, list[str]]:
    """`schema.table` -> column names, for every table in the published copy ({} when there is none)."""
    if not db.exists():
        return {}
    frame = read(db, "SELECT table_schema || '.' || table_name AS t, list(column_name ORDER BY ordinal_position) AS c "
                     "FROM information_schema.columns GROUP BY 1")
    return {t: list(c) for t, c in zip(frame.t, frame.c)}


def missing_message(table: str) -> str:
    schema = table.split(".")[0]
    producer = PRODUCERS.get(table) or PRODUCERS.get(schema, "its asset")
    return (f"`{table}` is not in the published copy yet: {producer} have not produced it. "
            f"Run `cip run` (or materialize it in the Dagster UI, `cip ui`) and reload.")


# ---------------------------------------------------------------- KPIs
@dataclass
class Kpi:
    name: str
    value: float | None
    previous: float | None
    fmt: str = "{:,.0f}"
    note: str = ""

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous in (None, 0) or pd.isna(self.previous) or pd.isna(self.value):
            return None
        return (self.value - self.previous) / abs(self.previous)

    def shown(self) -> str:
        return "n/a" if self.value is None or pd.isna(self.value) else self.fmt.format(self.value)


def data_range(db: Path) -> tuple[date, date] | None:
    frame = read(db, "SELECT min(order_date) AS lo, max(order_date) AS hi FROM marts.daily_kpis")
    if frame.empty or pd.isna(frame.lo[0]):
        return None
    return pd.Timestamp(frame.lo[0]).date(), pd.Timestamp(frame.hi[0]).date()


def kpis(db: Path, start: date, end: date, available: dict[str, list[str]] | None = None) -> list[Kpi]:
    """KPI tiles for [start, end] against the previous period of the same length."""
    available = available if available is not None else tables(db)
    days = (end - start).days + 1
    prev_start, prev_end = start - timedelta(days=days), start - timedelta(days=1)
    sums = read(db, """
        SELECT (order_date BETWEEN $s AND $e) AS cur, sum(revenue) AS revenue, sum(orders) AS orders
        FROM marts.daily_kpis WHERE order_date BETWEEN $ps AND $e GROUP BY 1""",
                {"s": start, "e": end, "ps": prev_start})
    cur = sums[sums.cur].iloc[0] if sums.cur.any() else None
    prev = sums[~sums.cur].iloc[0] if (~sums.cur).any() else None

    def get(row, col):
        return None if row is None else float(row[col] or 0)

    monthly = read(db, """
        SELECT avg(active_customers) FILTER (WHERE month_start BETWEEN date_trunc('month', $s::DATE) AND $e) AS cur,
               avg(active_customers) FILTER (WHERE month_start BETWEEN date_trunc('month', $ps::DATE) AND $pe) AS prev
        FROM marts.monthly_kpis""", {"s": start, "e": end, "ps": prev_start, "pe": prev_end})
    revenue, orders = get(cur, "revenue"), get(cur, "orders")
    p_revenue, p_orders = get(prev, "revenue"), get(prev, "orders")
    out = [
        Kpi("Revenue", revenue, p_revenue),
        Kpi("Orders", orders, p_orders),
        Kpi("Active customers / month", _f(monthly.cur[0]), _f(monthly.prev[0]),
            note="average of the months in the period (marts.monthly_kpis)"),
        Kpi("Average order value", revenue / orders if orders else None,
            p_revenue / p_orders if p_orders else None, fmt="{:,.2f}"),
    ]
    if "ml.churn_scores" in available:
        share = read(db, "SELECT avg((risk_band = 'high')::INT) AS s FROM ml.churn_scores").s[0]
        out.append(Kpi("High churn-risk share", _f(share), None, fmt="{:.1%}", note="latest scoring"))
    else:
        out.append(Kpi("High churn-risk share", None, None, note=missing_message("ml.churn_scores")))
    if "nlp.feedback_sentiment" in available:
        sent = read(db, """
            SELECT avg(sentiment_score) FILTER (WHERE created_at::DATE BETWEEN $s AND $e) AS cur,
                   avg(sentiment_score) FILTER (WHERE created_at::DATE BETWEEN $ps AND $pe) AS prev
            FROM nlp.feedback_sentiment""", {"s": start, "e": end, "ps": prev_start, "pe": prev_end})
        out.append(Kpi("Average sentiment", _f(sent.cur[0]), _f(sent.prev[0]), fmt="{:+.2f}"))
    else:
        out.append(Kpi("Average sentiment", None, None, note=missing_message("nlp.feedback_sentiment")))
    return out


def _f(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def top_risks(db: Path, available: dict[str, list[str]], limit: int = 20) -> pd.DataFrame:
    """High-risk customers ranked by expected 12-month value, with reasons and the recommended offer."""
    if "marts.customer_scores" not in available:
        return pd.DataFrame()
    offers = "ml.offer_recommendations" in available
    offer_cols = ", o.recommended_arm, o.discount_pct, o.expected_incremental_profit" if offers else ""
    offer_join = "LEFT JOIN ml.offer_recommendations o USING (customer_id)" if offers else ""
    return read(db, f"""
        SELECT s.customer_id, s.country, s.segment, s.churn_probability, s.value_12m, s.lifetime_revenue,
               s.reasons{offer_cols}
        FROM marts.customer_scores s {offer_join}
        WHERE s.risk_band = 'high'
        ORDER BY s.value_12m DESC NULLS LAST, s.churn_probability DESC LIMIT {int(limit)}""")


def feedback_summary(db: Path, available: dict[str, list[str]]) -> pd.DataFrame:
    """nlp.feedback_summary when the feedback models publish it, else sentiment by category from feedback_sentiment."""
    summary = next((t for t in ("nlp.feedback_summary", "marts.feedback_summary") if t in available), None)
    if summary:
        return read(db, f"SELECT * FROM {summary} LIMIT 50")
    if "nlp.feedback_sentiment" in available:
        return read(db, """
            SELECT category, count(*) AS texts, avg(sentiment_score) AS avg_sentiment,
                   avg((sentiment_label = 'negative')::INT) AS negative_share, avg(rating) AS avg_rating
            FROM nlp.feedback_sentiment GROUP BY 1 ORDER BY texts DESC""")
    return pd.DataFrame()
