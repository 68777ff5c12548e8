"""Point-in-time behavioural features of known customers, and their purchase labels, inside DuckDB.

A snapshot at `cutoff` reads only events strictly before it (the last 90 days of them); its label is
"a purchase event in [cutoff, cutoff + horizon)". The population is every customer with an event in the
30 days before the cutoff. Sessions come from dbt's int_sessionised_events (30-minute gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from cip_resources.config_model import validate_section

EVENTS_TABLE = "intermediate.int_sessionised_events"

FEATURES = [
    "events_1d", "events_7d", "events_30d", "sessions_1d", "sessions_7d", "sessions_30d",
    "views_7d", "carts_7d", "cart_removals_7d", "purchases_30d", "purchases_90d",
    "view_to_cart_30d", "cart_to_purchase_30d", "hours_since_last_event", "hours_since_last_cart",
    "hours_since_last_purchase", "cart_open", "categories_30d", "brands_30d", "top_category_share_30d",
    "avg_price_viewed_30d", "relative_price_30d", "max_price_carted_30d", "events_per_session_30d",
    "session_minutes_30d", "evening_share_30d", "weekend_share_30d", "hour_of_last_event",
]

_SNAPSHOT_SQL = f"""
WITH recent AS (
    SELECT customer_id, session_key, event_at, event_type, category, brand, price
    FROM {EVENTS_TABLE}
    WHERE customer_id IS NOT NULL AND event_at < $cutoff AND event_at >= $cutoff - INTERVAL 90 DAY
),
population AS (
    SELECT DISTINCT customer_id FROM recent WHERE event_at >= $cutoff - INTERVAL 30 DAY
),
category_price AS (  -- a product's price relative to its category's average price in the window
    SELECT category, avg(price) AS category_price FROM recent
    WHERE event_at >= $cutoff - INTERVAL 30 DAY AND price > 0 GROUP BY ALL
),
per_customer AS (
    SELECT r.customer_id,
        count(*) FILTER (WHERE event_at >= $cutoff - INTERVAL 1 DAY) AS events_1d,
        count(*) FILTER (WHERE event_at >= $cutoff - INTERVAL 7 DAY) AS events_7d,
        count(*) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY) AS events_30d,
        count(DISTINCT session_key) FILTER (WHERE event_at >= $cutoff - INTERVAL 1 DAY) AS sessions_1d,
        count(DISTINCT session_key) FILTER (WHERE event_at >= $cutoff - INTERVAL 7 DAY) AS sessions_7d,
        count(DISTINCT session_key) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY) AS sessions_30d,
        count(*) FILTER (WHERE event_type = 'view' AND event_at >= $cutoff - INTERVAL 7 DAY) AS views_7d,
        count(*) FILTER (WHERE event_type = 'cart' AND event_at >= $cutoff - INTERVAL 7 DAY) AS carts_7d,
        count(*) FILTER (WHERE event_type = 'remove_from_cart' AND event_at >= $cutoff - INTERVAL 7 DAY)
            AS cart_removals_7d,
        count(*) FILTER (WHERE event_type = 'purchase' AND event_at >= $cutoff - INTERVAL 30 DAY) AS purchases_30d,
        count(*) FILTER (WHERE event_type = 'purchase') AS purchases_90d,
        count(*) FILTER (WHERE event_type = 'view' AND event_at >= $cutoff - INTERVAL 30 DAY) AS views_30d,
        count(*) FILTER (WHERE event_type = 'cart' AND event_at >= $cutoff - INTERVAL 30 DAY) AS carts_30d,
        date_diff('second', max(event_at), $cutoff) / 3600.0 AS hours_since_last_event,
        date_diff('second', max(event_at) FILTER (WHERE event_type = 'cart'), $cutoff) / 3600.0
            AS hours_since_last_cart,
        date_diff('second', max(event_at) FILTER (WHERE event_type = 'purchase'), $cutoff) / 3600.0
            AS hours_since_last_purchase,
        coalesce(max(event_at) FILTER (WHERE event_type = 'cart')
                 > coalesce(max(event_at) FILTER (WHERE event_type IN ('purchase', 'remove_from_cart')),
                            TIMESTAMP '1900-01-01'), false)::INTEGER AS cart_open,
        count(DISTINCT category) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY) AS categories_30d,
        count(DISTINCT brand) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY) AS brands_30d,
        avg(price) FILTER (WHERE event_type = 'view' AND event_at >= $cutoff - INTERVAL 30 DAY)
            AS avg_price_viewed_30d,
        avg(price / nullif(cp.category_price, 0)) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY)
            AS relative_price_30d,
        max(price) FILTER (WHERE event_type = 'cart' AND event_at >= $cutoff - INTERVAL 30 DAY)
            AS max_price_carted_30d,
        avg((hour(event_at) >= 18)::INTEGER) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY)
            AS evening_share_30d,
        avg((isodow(event_at) >= 6)::INTEGER) FILTER (WHERE event_at >= $cutoff - INTERVAL 30 DAY)
            AS weekend_share_30d,
        hour(max(event_at)) AS hour_of_last_event
    FROM recent r LEFT JOIN category_price cp USING (category)
    GROUP BY r.customer_id
),
top_category AS (
    SELECT customer_id, max(n) / sum(n) AS top_category_share_30d FROM (
        SELECT customer_id, category, count(*) AS n FROM recent
        WHERE event_at >= $cutoff - INTERVAL 30 DAY GROUP BY ALL) GROUP BY ALL
),
session_shape AS (
    SELECT customer_id, avg(n) AS events_per_session_30d, avg(minutes) AS session_minutes_30d FROM (
        SELECT customer_id, session_key, count(*) AS n,
               date_diff('second', min(event_at), max(event_at)) / 60.0 AS minutes
        FROM recent WHERE event_at >= $cutoff - INTERVAL 30 DAY GROUP BY ALL) GROUP BY ALL
),
label AS (
    SELECT DISTINCT customer_id FROM {EVENTS_TABLE}
    WHERE customer_id IS NOT NULL AND event_type = 'purchase'
      AND event_at >= $cutoff AND event_at < $cutoff + to_seconds($horizon_seconds)
)
SELECT p.customer_id, $cutoff AS cutoff, c.* EXCLUDE (customer_id, views_30d, carts_30d),
       carts_30d / nullif(views_30d, 0) AS view_to_cart_30d,
       purchases_30d / nullif(carts_30d, 0) AS cart_to_purchase_30d,
       t.top_category_share_30d, s.events_per_session_30d, s.session_minutes_30d,
       (l.customer_id IS NOT NULL)::INTEGER AS purchased
FROM population p
JOIN per_customer c USING (customer_id)
LEFT JOIN top_category t USING (customer_id)
LEFT JOIN session_shape s USING (customer_id)
LEFT JOIN label l USING (customer_id)
ORDER BY p.customer_id
"""


@dataclass(frozen=True)
class EventSettings:
    """`events:` in cip.yaml. Days may be fractions: a few hours of events need a horizon of hours."""

    horizon_days: float = 7.0  # propensity: a purchase within this long after the cutoff
    snapshot_every_days: float | None = None  # spacing of training cutoffs; None = the horizon
    train_snapshots: int = 8
    session_gap_minutes: int = 30  # also passed to dbt's sessionisation
    max_train_events: int = 400_000  # next action: events sampled (as whole sessions) to train on
    max_test_events: int = 200_000

    @classmethod
    def from_config(cls, raw: dict | None) -> "EventSettings":
        """The `events:` section, validated by the config model (cip_resources/config_model.py, the one list of
        keys); keys left out keep the defaults above."""
        section = validate_section("events", (raw or {}).get("events"))
        return cls(**{k: v for k, v in (section.model_dump() if section else {}).items() if v is not None})

    @property
    def horizon(self) -> timedelta:
        return timedelta(seconds=round(self.horizon_days * 86400))

    @property
    def step(self) -> timedelta:
        return timedelta(seconds=round((self.snapshot_every_days or self.horizon_days) * 86400))


@dataclass(frozen=True)
class SnapshotPlan:
    """When to cut: the training cutoffs (oldest first) and the evaluation cutoff. Every training label
    window ends on or before the evaluation cutoff, so no training label sees the evaluation period."""

    train_cutoffs: list[datetime]
    evaluation_cutoff: datetime
    horizon: timedelta


def event_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime] | None:
    """(first, last) event time of known customers; None when there are none."""
    first, last = con.execute(f"SELECT min(event_at), max(event_at) FROM {EVENTS_TABLE} "
                              "WHERE customer_id IS NOT NULL").fetchone()
    return None if last is None else (first, last)


def plan_snapshots(first: datetime, last: datetime, horizon: timedelta, step: timedelta,
                   max_train_snapshots: int = 8) -> SnapshotPlan | None:
    """The evaluation cutoff is one horizon before the last event (its label window is complete); training
    cutoffs step back from one horizon before that. None when not even one training cutoff fits."""
    evaluation = last - horizon
    cutoffs, cutoff = [], evaluation - horizon
    while cutoff > first and len(cutoffs) < max_train_snapshots:
        cutoffs.append(cutoff)
        cutoff -= step
    return SnapshotPlan(sorted(cutoffs), evaluation, horizon) if cutoffs else None


def snapshot(con: duckdb.DuckDBPyConnection, cutoff: datetime, horizon: timedelta) -> pd.DataFrame:
    """One row per customer active in the 30 days before `cutoff`: FEATURES and `purchased` in the horizon."""
    frame = con.execute(_SNAPSHOT_SQL, {"cutoff": cutoff, "horizon_seconds": horizon.total_seconds()}).df()
    frame[FEATURES] = frame[FEATURES].astype("float64")
    return frame
