"""Business and platform alerts: each rule reads the warehouse and returns the conditions that hold now.

`reconcile` turns those conditions into `monitoring.alerts` rows without repeating itself: a
condition (kind, entity, metric) that already has an open or acknowledged alert only refreshes
that alert; one that stopped holding is marked resolved; a new one opens a new alert. So a nightly
refresh over unchanged data raises nothing new. Acknowledgements come from outside the warehouse
(the dashboard, `cip alerts ack`), from the dashboard's own store, and the next run folds them in.

Times are instants (TIMESTAMPTZ, written in UTC): a naive local time repeats an hour when clocks go back.
`deliver` sends open alerts to each channel with a ledger of the alert ids each channel already has, not
a time mark, so no clock change, late insert or rebuilt warehouse can make it skip one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cip_assets.reports import access
from cip_resources.warehouse import table_exists

DEFAULTS = {
    "high_value_quantile": 0.9,  # "high value": value_12m in the top 10%
    "max_customer_alerts": 20,  # per run, the most valuable first
    "high_risk_share_rise": 0.05,  # points of share between two scorings
    "sentiment_drop": 0.25,  # fall of a category's weekly mean sentiment (-1..1) against its previous 4 weeks
    "topic_surge_ratio": 3.0,  # a topic's latest week against the mean of its previous 4 weeks
    "min_texts": 20,  # weekly texts needed before sentiment or topic volume counts
    "kpi_mad_multiplier": 3.0,  # band half-width in robust standard deviations (1.4826 x MAD)
    "kpi_min_relative_band": 0.15,  # and never narrower than this share of the baseline
    "kpi_baseline_weeks": 8,
    "drift_share": 0.3,  # share of churn features drifted from the model's training sample (the check)
    "change_drift_share": 0.1,  # share of columns drifted since the previous scoring, or in new feedback (alerts)
    "reject_share": 0.05,  # share of a file's rows rejected
    "null_share_jump": 0.4,  # a column's null share in the last 7 days above its earlier share
    "max_publish_age_hours": 26,
    "drift_sample_customers": 5000,  # churn features recorded per scoring for drift (these are scored every night)
}

ALERTS_DDL = """CREATE TABLE IF NOT EXISTS monitoring.alerts (
    id VARCHAR, created_at TIMESTAMPTZ, severity VARCHAR, kind VARCHAR, entity VARCHAR, message VARCHAR,
    metric VARCHAR, value DOUBLE, threshold DOUBLE, status VARCHAR, last_seen_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ)"""
TIME_COLUMNS = ("created_at", "last_seen_at", "resolved_at")
COLUMNS = ["severity", "kind", "entity", "message", "metric", "value", "threshold"]


def thresholds_of(settings) -> dict:
    """The thresholds of the configured cip.yaml (`settings`: the CipSettings resource)."""
    return thresholds(settings.config().raw.get("monitoring"))


def thresholds(config_section: dict | None) -> dict:
    """DEFAULTS overridden by the `monitoring:` section, validated by the config model (a ConfigError naming
    `monitoring.<key>`; cip_resources/config_model.py lists the keys)."""
    from cip_resources.config_model import validate_section

    section = validate_section("monitoring", config_section)
    return {**DEFAULTS, **{k: v for k, v in (section.model_dump() if section else {}).items() if v is not None}}


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    return table_exists(con, *qualified.split("."))


def _alert(severity, kind, entity, message, metric, value, threshold) -> dict:
    return dict(zip(COLUMNS, [severity, kind, str(entity), message, metric, float(value), float(threshold)]))


# --- the rules -----------------------------------------------------------------------------------
def risk_alerts(con: duckdb.DuckDBPyConnection, t: dict) -> list[dict]:
    """High-value customers who entered the high band since the previous scoring, and a rise of the high share."""
    if not _exists(con, "monitoring.score_log"):
        return []
    dates = [d for (d,) in con.execute("SELECT DISTINCT as_of FROM monitoring.score_log ORDER BY 1 DESC LIMIT 2").fetchall()]
    if len(dates) < 2:
        return []
    current, previous = dates
    alerts = []
    shares = dict(con.execute("SELECT as_of, avg((risk_band = 'high')::INT) FROM monitoring.score_log "
                              "WHERE as_of IN (?, ?) GROUP BY 1", [current, previous]).fetchall())
    rise = shares[current] - shares[previous]
    if rise >= t["high_risk_share_rise"]:
        alerts.append(_alert("warning", "high_risk_share", "all customers",
                             f"high-risk share rose from {shares[previous]:.1%} to {shares[current]:.1%} "
                             f"between the scorings of {previous} and {current}", "high_risk_share_rise", rise,
                             t["high_risk_share_rise"]))
    if _exists(con, "ml.customer_value"):
        newly = con.execute("""
            WITH value AS (SELECT customer_id, value_12m,
                                  value_12m >= quantile_cont(value_12m, $q) OVER () AS high_value FROM ml.customer_value)
            SELECT now.customer_id, value.value_12m, now.churn_probability
            FROM monitoring.score_log now JOIN value USING (customer_id)
            LEFT JOIN monitoring.score_log before ON before.customer_id = now.customer_id AND before.as_of = $previous
            WHERE now.as_of = $current AND now.risk_band = 'high' AND value.high_value
              AND coalesce(before.risk_band, 'none') <> 'high'
            ORDER BY value.value_12m DESC LIMIT $n""",
            {"q": t["high_value_quantile"], "previous": previous, "current": current,
             "n": t["max_customer_alerts"]}).fetchall()
        for customer, value, probability in newly:
            alerts.append(_alert("critical", "high_value_at_risk", customer,
                                 f"customer {customer} (12-month value {value:,.0f}) entered the high-risk band "
                                 f"(churn probability {probability:.0%}) on {current}", "churn_probability",
                                 probability, 0.6))
    return alerts


def sentiment_alerts(con: duckdb.DuckDBPyConnection, t: dict) -> list[dict]:
    """A category whose latest week's mean sentiment fell beyond the threshold against its previous 4 weeks."""
    if not _exists(con, "nlp.feedback_sentiment"):
        return []
    rows = con.execute("""
        WITH weekly AS (
            SELECT category, date_trunc('week', created_at)::DATE AS week, avg(sentiment_score) AS sentiment,
                   count(*) AS texts
            FROM nlp.feedback_sentiment WHERE category IS NOT NULL AND created_at IS NOT NULL GROUP BY ALL),
        latest AS (SELECT max(week) AS week FROM weekly)
        SELECT w.category, w.sentiment, w.texts,
               (SELECT avg(p.sentiment) FROM weekly p WHERE p.category = w.category AND p.texts >= $min
                  AND p.week BETWEEN w.week - INTERVAL 28 DAY AND w.week - INTERVAL 7 DAY) AS before
        FROM weekly w, latest WHERE w.week = latest.week AND w.texts >= $min""", {"min": t["min_texts"]}).fetchall()
    return [_alert("warning", "sentiment_drop", category,
                   f"sentiment in {category} fell to {now:+.2f} this week from {before:+.2f} over the previous "
                   f"4 weeks ({texts} texts)", "sentiment_drop", before - now, t["sentiment_drop"])
            for category, now, texts, before in rows if before is not None and before - now >= t["sentiment_drop"]]


def topic_alerts(con: duckdb.DuckDBPyConnection, t: dict) -> list[dict]:
    """A topic whose latest week's volume is several times its previous 4 weeks' mean."""
    if not _exists(con, "nlp.feedback_topic_trend"):
        return []
    rows = con.execute("""
        WITH latest AS (SELECT max(week) AS week FROM nlp.feedback_topic_trend)
        SELECT w.topic_label, w.texts,
               (SELECT sum(p.texts) / 4.0 FROM nlp.feedback_topic_trend p WHERE p.topic_id = w.topic_id
                  AND p.week BETWEEN w.week - INTERVAL 28 DAY AND w.week - INTERVAL 7 DAY) AS before
        FROM nlp.feedback_topic_trend w, latest WHERE w.week = latest.week AND w.texts >= $min AND w.topic_id <> -1""",
        {"min": t["min_texts"]}).fetchall()
    alerts = []
    for label, texts, before in rows:
        ratio = texts / before if before else np.inf
        if ratio >= t["topic_surge_ratio"]:
            alerts.append(_alert("warning", "topic_surge", label,
                                 f"topic '{label}' had {texts} texts this week, {ratio:.1f}x its weekly mean of "
                                 f"{before or 0:.1f} over the previous 4 weeks", "topic_volume_ratio",
                                 min(ratio, 1e6), t["topic_surge_ratio"]))
    return alerts


def kpi_alerts(con: duckdb.DuckDBPyConnection, t: dict) -> list[dict]:
    """Revenue and orders of the latest 7 days outside the band of the same 7-day windows in earlier weeks.

    Whole weeks remove the weekday pattern; the band is the median of the baseline weeks plus or
    minus k robust standard deviations (1.4826 x MAD), and never narrower than a share of the median.
    """
    if not _exists(con, "marts.daily_kpis"):
        return []
    weeks = t["kpi_baseline_weeks"]
    frame = con.execute("""
        WITH last AS (SELECT max(order_date) AS day FROM marts.daily_kpis)
        SELECT date_diff('day', order_date, last.day) // 7 AS weeks_back, sum(revenue) AS revenue,
               sum(orders) AS orders
        FROM marts.daily_kpis, last WHERE order_date > last.day - to_days(7 * ($weeks + 1)) GROUP BY 1 ORDER BY 1""",
        {"weeks": weeks}).df()
    if len(frame) < weeks + 1 or frame.weeks_back.iloc[0] != 0:
        return []
    alerts = []
    for metric in ("revenue", "orders"):
        latest, baseline = frame[metric].iloc[0], frame[metric].iloc[1:]
        median = baseline.median()
        half_width = max(t["kpi_mad_multiplier"] * 1.4826 * (baseline - median).abs().median(),
                         t["kpi_min_relative_band"] * abs(median))
        if abs(latest - median) > half_width:
            direction = "above" if latest > median else "below"
            alerts.append(_alert("critical" if direction == "below" else "info", "kpi_anomaly", metric,
                                 f"{metric} of the last 7 days ({latest:,.0f}) is {direction} its expected band "
                                 f"{median - half_width:,.0f} to {median + half_width:,.0f} (median of the "
                                 f"previous {weeks} weeks {median:,.0f})", f"{metric}_7d", latest,
                                 median - half_width if direction == "below" else median + half_width))
    return alerts


def drift_alerts(con: duckdb.DuckDBPyConnection, t: dict) -> list[dict]:
    """Churn features or scores drifted since the previous scoring beyond the threshold. Two other drifts are
    measured but do not alert: from the training sample (a churn model's newest labels are always a horizon
    old, so that drift is steady; its check suggests a retrain), and of new feedback against older (it moves
    with the seasons, up as often as down; falling sentiment alerts through sentiment_alerts, per category)."""
    if not _exists(con, "monitoring.drift_summary"):
        return []
    rows = con.execute("""SELECT kind, avg(drifted::INT) AS share, string_agg(CASE WHEN drifted THEN column_name END, ', ')
                          FROM monitoring.drift_summary
                          WHERE measured_at = (SELECT max(measured_at) FROM monitoring.drift_summary)
                            AND kind IN ('churn features', 'churn scores') GROUP BY kind""").fetchall()
    return [_alert("warning", "drift", kind, f"{share:.0%} of the {kind} columns drifted since the previous "
                   f"measurement ({columns})", "drifted_share", share, t["change_drift_share"])
            for kind, share, columns in rows if share >= t["change_drift_share"]]


def data_quality_alerts(con: duckdb.DuckDBPyConnection, t: dict, failed_checks: list[str] | None = None,
                        null_jumps: pd.DataFrame | None = None) -> list[dict]:
    """Files with too many rejected rows, columns that suddenly went empty, and failed checks."""
    alerts = []
    if _exists(con, "raw.ingest_ledger"):
        rows = con.execute("""SELECT file, raw_table, rows_rejected, rows_read FROM raw.ingest_ledger
                              WHERE rows_read > 0 AND rows_rejected >= $share * rows_read""",
                           {"share": t["reject_share"]}).fetchall()
        alerts += [_alert("critical", "data_quality", f"{table}: {Path(file).name}",
                          f"{rejected:,} of {read:,} rows of {Path(file).name} were rejected into raw.rejected_rows",
                          "rejected_share", rejected / read, t["reject_share"]) for file, table, rejected, read in rows]
    if null_jumps is not None:
        alerts += [_alert("critical", "data_quality", f"{r.table_name}.{r.column_name}",
                          f"{r.table_name}.{r.column_name} is empty in {r.recent_null_share:.0%} of the last 7 days' "
                          f"rows, against {r.earlier_null_share:.0%} before: a broken feed?", "null_share_jump",
                          r.recent_null_share - r.earlier_null_share, t["null_share_jump"])
                   for r in null_jumps.itertuples()]
    alerts += [_alert("critical", "data_quality", check, f"check {check} failed in the latest run", "check_failed",
                      1, 0) for check in failed_checks or []]
    return alerts


# --- keeping alerts without repeating them --------------------------------------------------------
def reconcile(con: duckdb.DuckDBPyConnection, candidates: list[dict], acknowledged: set[str],
              now: datetime | None = None) -> dict[str, int]:
    """Open new alerts, refresh the ones still holding, resolve the ones that stopped; fold in acknowledgements."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("reconcile: `now` must be timezone-aware (a naive time is ambiguous when clocks go back)")
    now = now.astimezone(timezone.utc)
    ensure_alerts_table(con)
    if acknowledged:
        con.execute("UPDATE monitoring.alerts SET status = 'acknowledged' WHERE status = 'open' AND list_contains(?, id)",
                    [sorted(acknowledged)])
    live = {(kind, entity, metric): alert_id for alert_id, kind, entity, metric in con.execute(
        "SELECT id, kind, entity, metric FROM monitoring.alerts WHERE status IN ('open', 'acknowledged')").fetchall()}
    seen, opened, refreshed = set(), 0, 0
    for alert in candidates:
        key = (alert["kind"], alert["entity"], alert["metric"])
        if key in seen:
            continue
        seen.add(key)
        if key in live:
            con.execute("UPDATE monitoring.alerts SET last_seen_at = ?, value = ?, message = ? WHERE id = ?",
                        [now, alert["value"], alert["message"], live[key]])
            refreshed += 1
        else:
            alert_id = hashlib.sha1(json.dumps([*key, now.isoformat()]).encode()).hexdigest()[:12]
            con.execute("INSERT INTO monitoring.alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, NULL)",
                        [alert_id, now, *[alert[c] for c in COLUMNS], now])
            opened += 1
    gone = [alert_id for key, alert_id in live.items() if key not in seen]
    if gone:
        con.execute("UPDATE monitoring.alerts SET status = 'resolved', resolved_at = ? WHERE list_contains(?, id)",
                    [now, gone])
    return {"opened": opened, "still_open": refreshed, "resolved": len(gone)}


def ensure_alerts_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table, or move one from before UTC: its naive times were the machine's local time, which is
    how DuckDB reads a TIMESTAMP cast to TIMESTAMPTZ (the session time zone)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS monitoring")
    con.execute(ALERTS_DDL)
    naive = [c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() AND "
        "table_schema = 'monitoring' AND table_name = 'alerts' AND data_type = 'TIMESTAMP'").fetchall()]
    for column in naive:
        if column in TIME_COLUMNS:
            con.execute(f"ALTER TABLE monitoring.alerts ALTER {column} TYPE TIMESTAMPTZ")


def acknowledge(home: Path, alert_id: str, by: str) -> None:
    """Record an acknowledgement in the dashboard's store (CIP_HOME/dashboard/dashboard.sqlite); the warehouse
    takes it in on the next run, since only Dagster writes the warehouse."""
    access.acknowledge(alert_id, by, home=home)


def acknowledged_ids(home: Path) -> set[str]:
    """Alert ids acknowledged in the dashboard or with `cip alerts ack`."""
    return set(access.acknowledged(home).alert_id.astype(str))


# --- delivery: what leaves the platform, and which channel already has it --------------------------------
OUTGOING = ["id", "created_at", "severity", "kind", "entity", "message", "metric", "value", "threshold"]
# Kinds whose entity is one customer: the message that leaves says what happened, not who or what they are
# worth; the id stays in the warehouse and on the dashboard's Alerts page, behind its access control.
CUSTOMER_LEVEL = {
    "high_value_at_risk": "a high-value customer entered the high-risk band (churn probability {value:.0%}); "
                          "who: alert {id} in `cip alerts` or on the dashboard's Alerts page (analysts)",
}
CURSOR_VERSION = 2


def utc_iso(moment) -> str | None:
    """An instant as ISO 8601 in UTC; a naive time is a legacy local time (Python reads it as local)."""
    if moment is None or (isinstance(moment, float) and math.isnan(moment)):
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def outgoing(alert: dict) -> dict:
    """An alert as it goes to the log, a webhook or an inbox: UTC time, plain JSON values, no customer data."""
    out = {column: alert.get(column) for column in OUTGOING}
    out["created_at"] = utc_iso(alert.get("created_at"))
    for column in ("value", "threshold"):
        if out[column] is not None:
            out[column] = float(out[column]) if math.isfinite(float(out[column])) else None
    template = CUSTOMER_LEVEL.get(str(alert.get("kind")))
    if template:
        out["entity"] = "one customer"
        out["message"] = template.format(value=out["value"] or 0, id=out["id"])
    return out


def read_ledger(cursor: str | None, open_alerts: list[dict]) -> dict[str, set[str]]:
    """{channel: alert ids it already has}. A cursor from before the ledger was a naive local time up to which
    every channel had everything; it becomes the open alerts created by then."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
        if isinstance(state, dict) and state.get("v") == CURSOR_VERSION:
            return {channel: set(ids) for channel, ids in state["sent"].items()}
    except json.JSONDecodeError:
        pass
    try:
        until = datetime.fromisoformat(cursor)
    except ValueError:
        return {}  # unreadable: better to send the open alerts again than to lose one
    local = lambda t: t.astimezone().replace(tzinfo=None) if t.tzinfo else t  # noqa: E731
    had = {a["id"] for a in open_alerts if a.get("created_at") is not None and local(a["created_at"]) <= local(until)}
    return {"*": had}


def deliver(open_alerts: list[dict], cursor: str | None, channels: list[str],
            send: Callable[[str, list[dict]], None]) -> tuple[str, dict[str, str]]:
    """Send each channel the open alerts it does not have yet; a channel that fails keeps its alerts for the next
    call and does not hold the others back. Returns the new cursor (JSON: the ids each channel has, pruned to
    those still open, since a closed alert never reopens) and {channel: what happened} for channels with news."""
    ledger = read_ledger(cursor, open_alerts)
    open_ids = {a["id"] for a in open_alerts}
    sent_now, outcome = {}, {}
    for channel in channels:
        has = (ledger.get(channel, set()) | ledger.get("*", set())) & open_ids
        pending = [a for a in open_alerts if a["id"] not in has]
        if pending:
            try:
                send(channel, [outgoing(a) for a in pending])
                has |= {a["id"] for a in pending}
                outcome[channel] = f"delivered {len(pending)}"
            except Exception as error:  # noqa: BLE001 - any channel's failure is reported, none stops the rest
                outcome[channel] = f"failed, {len(pending)} kept for the next try: {error}"
        sent_now[channel] = sorted(has)
    return json.dumps({"v": CURSOR_VERSION, "sent": sent_now}, sort_keys=True), outcome
