"""Monitoring on the synthetic warehouse: a clean refresh raises nothing; each injected shift raises its alert
and no other; the webhook delivers to a real HTTP server and keeps alerts when that server fails."""

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cip_assets.churn.assets import churn_assets, churn_checks
from cip_assets.ingest.pipeline import ingest_table
from cip_assets.monitoring import alerts as rules
from cip_assets.monitoring.assets import monitoring_assets
from cip_assets.monitoring.sensors import alert_sensor
from cip_assets.monitoring.quality import null_share_jumps
from cip_assets.value.assets import customer_value, customer_value_model
from cip_resources.config import CipSettings
from cip_resources.dbt import DBT_PROJECT_DIR
from cip_resources.mlflow import MlflowResource
from cip_resources.notifier import DeliveryError, NotifierResource
from cip_resources.settings import load_config, paths
from cip_resources.warehouse import WarehouseResource, connect
from tests.conftest import write_config

THRESHOLDS = {"min_texts": 5}  # the 2,000-customer warehouse has about ten texts per category and week


def _dbt(home: Path, *select: str, command: str = "run") -> None:
    result = subprocess.run([shutil.which("dbt"), command, "--select", *select, "--project-dir", str(DBT_PROJECT_DIR),
                             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(home / "dbt_target"),
                             "--log-path", str(home / "dbt_logs")], capture_output=True, text=True,
                            env={**__import__("os").environ, "CIP_DUCKDB_PATH": str(home / "warehouse.duckdb")})
    assert result.returncode == 0, result.stdout[-2000:]


def _materialize(home: Path, assets, monkeypatch) -> dg.ExecuteInProcessResult:
    monkeypatch.setenv("CIP_HOME", str(home))
    monkeypatch.setenv("CIP_DUCKDB_PATH", str(home / "warehouse.duckdb"))
    monkeypatch.setenv("CIP_CONFIG", str(home / "conf" / "cip.yaml"))
    resources = {"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")), "settings": CipSettings(),
                 "mlflow_tracking": MlflowResource(cip_home=str(home))}
    return dg.materialize(assets, resources=resources)


@pytest.fixture(scope="module")
def clean_home(tmp_path_factory):
    """2,000 synthetic customers: ingested, dbt models built, churn and value models trained, monitored once."""
    home = tmp_path_factory.mktemp("monitoring") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("CIP_HOME", str(home))
    mp.setenv("DAGSTER_HOME", str(home / "dagster"))
    paths().ensure()
    write_config(home / "conf", [{"name": "synthetic", "adapter": "synthetic", "customers": 2000, "seed": 42}],
                 monitoring=THRESHOLDS)
    config = load_config(home / "conf" / "cip.yaml")
    with connect(home / "warehouse.duckdb") as con:
        for table in ("customers", "order_lines", "events", "feedback", "campaign_exposures"):
            ingest_table(con, config, table, paths())
    _dbt(home, "rfm_segment_map", command="seed")
    _dbt(home, "staging", "intermediate", "marts")
    with connect(home / "warehouse.duckdb") as con:  # the feedback model's output, from ratings, for the rules
        con.execute("""CREATE SCHEMA IF NOT EXISTS nlp;
            CREATE TABLE nlp.feedback_sentiment AS
            SELECT f.feedback_id, f.created_at, f.feedback_text AS text, f.rating,
                   (f.rating - 3) / 2.0 AS sentiment_score, p.category
            FROM staging.stg_feedback f
            LEFT JOIN (SELECT product_id, any_value(category) AS category FROM staging.stg_order_lines GROUP BY 1) p
              USING (product_id)""")
    _materialize(home, [*churn_assets, *churn_checks, customer_value_model, customer_value], mp)
    _materialize(home, monitoring_assets, mp)
    yield home
    mp.undo()


def _copy(clean_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(clean_home, home, ignore=shutil.ignore_patterns("dagster"))
    return home


def _conditions(home: Path) -> list[dict]:
    """Every alert condition that holds in the warehouse, as the alerts asset gathers them."""
    t = rules.thresholds(THRESHOLDS)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        return (rules.risk_alerts(con, t) + rules.sentiment_alerts(con, t) + rules.topic_alerts(con, t)
                + rules.kpi_alerts(con, t) + rules.drift_alerts(con, t)
                + rules.data_quality_alerts(con, t, [], null_share_jumps(con, t["null_share_jump"])))


@pytest.mark.long  # the shared monitored home: about two minutes (make test-long)
def test_a_clean_refresh_raises_no_alerts(clean_home, tmp_path, monkeypatch):
    home = _copy(clean_home, tmp_path)
    _materialize(home, [churn_assets[1], *monitoring_assets], monkeypatch)  # the nightly refresh, same data
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM monitoring.alerts WHERE status = 'open'").fetchone()[0] == 0
        drift = dict(con.execute("""SELECT kind, avg(drifted::INT) FROM monitoring.drift_summary
            WHERE measured_at = (SELECT max(measured_at) FROM monitoring.drift_summary) GROUP BY 1""").fetchall())
        performance = con.execute("SELECT * FROM monitoring.model_performance").df()
        quality = con.execute("SELECT * FROM monitoring.data_quality ORDER BY checked_at").df()
    assert drift["churn features"] == 0 and drift["churn scores"] == 0  # unchanged data, unchanged features
    assert "churn features vs training" in drift and "feedback" in drift
    assert len(performance) == 1 and performance.customers.iloc[0] > 1000
    assert abs(performance[["high_share", "medium_share", "low_share"]].sum(axis=1).iloc[0] - 1) < 1e-9
    assert len(quality) == 2 and (quality.failed == 0).all()
    assert (home / "reports").exists() and any((home / "reports").rglob("*.html"))


@pytest.mark.long  # the shared monitored home: about two minutes (make test-long)
def test_a_revenue_drop_raises_kpi_alerts_only(clean_home, tmp_path):
    home = _copy(clean_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("""DELETE FROM raw.order_lines WHERE ordered_at > (SELECT max(ordered_at) FROM raw.order_lines)
                       - INTERVAL 7 DAY AND hash(order_id) % 10 < 6""")  # 60% of last week's orders vanish
    _dbt(home, "+daily_kpis", "--full-refresh")  # raw is append-only: rows taken out need a full rebuild
    found = _conditions(home)
    assert {(a["kind"], a["entity"]) for a in found} == {("kpi_anomaly", "revenue"), ("kpi_anomaly", "orders")}
    assert all("below" in a["message"] and a["severity"] == "critical" for a in found)


@pytest.mark.long  # the shared monitored home: about two minutes (make test-long)
def test_a_broken_feed_raises_a_data_quality_alert_only(clean_home, tmp_path):
    home = _copy(clean_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("""UPDATE raw.order_lines SET category = NULL
                       WHERE ordered_at > (SELECT max(ordered_at) FROM raw.order_lines) - INTERVAL 5 DAY""")
    found = _conditions(home)
    assert [(a["kind"], a["entity"]) for a in found] == [("data_quality", "raw.order_lines.category")]


@pytest.mark.long  # the shared monitored home: about two minutes (make test-long)
def test_a_sentiment_drop_in_one_category_raises_that_alert_only(clean_home, tmp_path):
    home = _copy(clean_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        category = con.execute("""SELECT category FROM nlp.feedback_sentiment WHERE category IS NOT NULL
                                  GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""").fetchone()[0]
        con.execute("""UPDATE nlp.feedback_sentiment SET sentiment_score = -0.9
                       WHERE category = ? AND date_trunc('week', created_at) =
                             (SELECT max(date_trunc('week', created_at)) FROM nlp.feedback_sentiment)""", [category])
    found = _conditions(home)
    assert [(a["kind"], a["entity"]) for a in found] == [("sentiment_drop", category)]


@pytest.mark.long  # the shared monitored home: about two minutes (make test-long)
def test_a_price_change_shows_as_feature_drift_since_the_previous_scoring(clean_home, tmp_path, monkeypatch):
    home = _copy(clean_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("""UPDATE raw.order_lines SET unit_price = unit_price * 1.6
                       WHERE ordered_at > (SELECT max(ordered_at) FROM raw.order_lines) - INTERVAL 90 DAY""")
    _dbt(home, "+daily_kpis")
    _materialize(home, [churn_assets[1], *monitoring_assets], monkeypatch)  # rescoring, then monitoring
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        drifted = {c for (c,) in con.execute("""SELECT column_name FROM monitoring.drift_summary
            WHERE kind = 'churn features' AND drifted
              AND measured_at = (SELECT max(measured_at) FROM monitoring.drift_summary)""").fetchall()}
        opened = con.execute("SELECT kind, entity, message FROM monitoring.alerts WHERE status = 'open'").fetchall()
    assert {"revenue_90d", "avg_order_value"} <= drifted
    assert "recency_days" not in drifted and "frequency" not in drifted  # prices moved, not behaviour
    kinds = {(kind, entity) for kind, entity, _ in opened}
    assert ("drift", "churn features") in kinds
    assert kinds <= {("drift", "churn features"), ("drift", "churn scores"), ("kpi_anomaly", "revenue")}


def test_alerts_are_not_repeated_and_can_be_acknowledged(tmp_path):
    con = duckdb.connect()
    alert = rules._alert("warning", "kpi_anomaly", "revenue", "revenue fell", "revenue_7d", 10, 20)
    assert rules.reconcile(con, [alert], set())["opened"] == 1
    assert rules.reconcile(con, [alert], set()) == {"opened": 0, "still_open": 1, "resolved": 0}
    (alert_id,) = con.execute("SELECT id FROM monitoring.alerts").fetchone()
    rules.acknowledge(tmp_path, alert_id, by="analyst")
    rules.reconcile(con, [alert], rules.acknowledged_ids(tmp_path))
    assert con.execute("SELECT status FROM monitoring.alerts").fetchone()[0] == "acknowledged"
    rules.reconcile(con, [], set())  # the condition cleared
    assert con.execute("SELECT status FROM monitoring.alerts").fetchone()[0] == "resolved"
    assert rules.reconcile(con, [alert], set())["opened"] == 1  # and came back: a new alert
    assert con.execute("SELECT count(*) FROM monitoring.alerts").fetchone()[0] == 2


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received, _Hook.status = [], 200
    yield f"http://127.0.0.1:{server.server_port}/alerts"
    server.shutdown()


def test_the_webhook_gets_new_alerts_and_a_failed_delivery_is_retried(cip_home, webhook):
    published = paths().published_db
    published.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(published)) as con:
        rules.reconcile(con, [rules._alert("critical", "kpi_anomaly", "revenue", "revenue fell", "revenue_7d", 1, 2)],
                        set())
    notifier = NotifierResource(webhook_url=webhook, retries=2, backoff_seconds=0.01, timeout_seconds=2)

    _Hook.status = 500  # the receiver is down: the webhook's part of the cursor stays empty, the alert waits
    context = dg.build_sensor_context(cursor=None, resources={"notifier": notifier})
    result = alert_sensor(context)
    assert "delivery failed on webhook" in result.skip_message
    assert json.loads(context.cursor)["sent"]["webhook"] == []  # the log has it; the webhook does not
    assert len(_Hook.received) == 2  # both tries reached the server

    _Hook.status = 200
    context = dg.build_sensor_context(cursor=context.cursor, resources={"notifier": notifier})
    result = alert_sensor(context)
    assert result.skip_message == "webhook: delivered 1"
    assert _Hook.received[-1]["alerts"][0]["entity"] == "revenue"
    again = dg.build_sensor_context(cursor=context.cursor, resources={"notifier": notifier})
    assert alert_sensor(again).skip_message == "no new alerts"  # delivered once, not every tick
    assert len(_Hook.received) == 3


def test_an_unreachable_webhook_raises_after_its_retries():
    notifier = NotifierResource(webhook_url="http://127.0.0.1:9/none", retries=2, backoff_seconds=0.01,
                                timeout_seconds=1)
    with pytest.raises(DeliveryError, match="after 2 tries"):
        notifier.notify([{"severity": "info", "kind": "test", "entity": "x", "message": "m"}])


@pytest.mark.long  # the shared monitored home: about two minutes (make test-long)
def test_an_earlier_scoring_is_graded_once_its_horizon_has_passed(clean_home, tmp_path):
    """A scoring logged 120 days before the data ends is due (90-day horizon): its realised AUC is the AUC of
    its probabilities against the point-in-time label, computed here independently by the churn snapshot."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from cip_assets.churn.features import last_order_day, snapshot
    from cip_assets.monitoring.health import model_performance

    home = _copy(clean_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        cutoff = last_order_day(con) - __import__("datetime").timedelta(days=120)
        truth = snapshot(con, cutoff, 90)
        truth = truth[truth.recency_days <= 365].reset_index(drop=True)
        probability = 1 / (1 + np.exp(-(truth.recency_days.to_numpy() - 60) / 30))  # a recency-based scorer
        con.register("earlier", truth.assign(p=probability)[["customer_id", "p"]])
        con.execute("""INSERT INTO monitoring.score_log SELECT ?, 'test', customer_id, p,
                       CASE WHEN p >= 0.6 THEN 'high' WHEN p >= 0.3 THEN 'medium' ELSE 'low' END, now() FROM earlier""",
                    [cutoff])
        performance = model_performance(con, 90)
    earlier = performance[pd.to_datetime(performance.as_of) == pd.Timestamp(cutoff)].iloc[0]
    assert bool(earlier.horizon_passed) and not bool(performance.horizon_passed.iloc[-1])  # today's is not due
    assert earlier.realised_churn_rate == pytest.approx(truth.churned.mean())
    assert earlier.realised_roc_auc == pytest.approx(roc_auc_score(truth.churned, probability))
    assert np.isnan(performance.realised_roc_auc.iloc[-1])
