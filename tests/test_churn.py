"""Churn: point-in-time features, the promotion gate, scores for every active customer, reasons."""

from datetime import date, timedelta

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from cip_assets.churn import assets as churn_assets
from cip_assets.churn.features import FEATURES, plan_cutoffs, snapshot
from cip_assets.churn.model import beats_baselines
from cip_assets.ingest.pipeline import ingest_table
from cip_resources.config import CipSettings
from cip_resources.dbt import DBT_PROJECT_DIR
from cip_resources.mlflow import MlflowResource
from cip_resources.settings import load_config, paths
from cip_resources.warehouse import WarehouseResource, connect


def test_cutoffs_are_strictly_out_of_time():
    train, evaluation = plan_cutoffs(date(2011, 12, 9), 90)
    assert evaluation == date(2011, 9, 11)
    assert all(c + timedelta(days=90) <= evaluation for c in train)  # no training label peeks past evaluation


def test_features_ignore_everything_after_the_cutoff(synthetic_warehouse):
    cutoff = date(2024, 6, 1)
    with duckdb.connect(str(synthetic_warehouse)) as con:
        before = snapshot(con, cutoff, 90)
        # rewrite the future: drop every later order and add a huge one for everybody
        con.execute("DELETE FROM raw.order_lines WHERE ordered_at >= '2024-06-01'")
        con.execute("""INSERT INTO raw.order_lines (order_id, line_no, customer_id, ordered_at, quantity, unit_price,
                       status, source) SELECT 'F' || customer_id, 1, customer_id, TIMESTAMP '2024-07-01', 5, 1000,
                       'completed', 'test' FROM raw.customers""")
        con.execute("INSERT INTO raw.feedback (feedback_id, customer_id, created_at, channel, rating, text) "
                    "SELECT 'X' || customer_id, customer_id, TIMESTAMP '2024-06-02', 'support', 1, 'late' FROM raw.customers")
        after = snapshot(con, cutoff, 90)
    pd.testing.assert_frame_equal(before[["customer_id", *FEATURES]], after[["customer_id", *FEATURES]],
                                  check_exact=False, rtol=1e-9)  # float sums vary only in summation order
    assert before.churned.mean() > 0 and after.churned.sum() == 0  # only the label saw the future


def _staging_in_memory(lines: list[tuple]) -> duckdb.DuckDBPyConnection:
    """Just the staging views churn reads, as tables, with the given order lines (no ingest, no dbt)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute("""CREATE TABLE staging.stg_order_lines (order_id VARCHAR, line_no INTEGER, customer_id VARCHAR,
        ordered_at TIMESTAMP, product_id VARCHAR, product_name VARCHAR, category VARCHAR, quantity INTEGER,
        unit_price DOUBLE, discount_pct DOUBLE, line_status VARCHAR, source VARCHAR)""")
    con.execute("CREATE TABLE staging.stg_feedback (customer_id VARCHAR, created_at TIMESTAMP, channel VARCHAR, "
                "rating DOUBLE)")
    con.execute("CREATE TABLE staging.stg_campaign_exposures (customer_id VARCHAR, exposed_at TIMESTAMP)")
    con.execute("CREATE TABLE staging.stg_events (customer_id VARCHAR, event_at TIMESTAMP)")
    _add_lines(con, lines)
    return con


def _add_lines(con, lines: list[tuple]) -> None:  # (order, customer, ordered_at, product, quantity, status)
    con.executemany("INSERT INTO staging.stg_order_lines VALUES (?, 1, ?, ?, ?, NULL, NULL, ?, 2.0, NULL, ?, 't')",
                    lines)


def test_rhythm_and_bgnbd_features_are_point_in_time():
    """The purchase-rhythm, BG/NBD, return and breadth features by hand on a small history, and every feature
    unchanged when orders, cancellations and returns on or after the cutoff are added."""
    cutoff, start = date(2024, 6, 1), pd.Timestamp("2024-01-01")
    rng = np.random.default_rng(0)
    lines = [(f"{c}-{k}", f"c{c}", start + pd.Timedelta(days=int(day)), f"p{k % 3}", 1, "completed")
             for c in range(40)  # a crowd for BG/NBD to fit
             for k, day in enumerate(sorted(rng.choice(140, size=int(rng.integers(1, 6)), replace=False)))]
    # the customer under test: purchase days 100, 110 (two invoices), 130; a cancelled order on day 131
    for order, day, product in (("a1", 100, "x"), ("a2", 110, "y"), ("a3", 110, "x"), ("a4", 130, "z")):
        lines.append((order, "a", start + pd.Timedelta(days=day, hours=9), product, 3, "completed"))
    lines.append(("Ca5", "a", start + pd.Timedelta(days=131), "z", 3, "cancelled"))
    con = _staging_in_memory(lines)
    before = snapshot(con, cutoff, 90).set_index("customer_id")
    a = before.loc["a"]
    assert a.purchase_days == 3 and a.frequency == 4  # two invoices on one day are one visit
    assert a.median_gap_days == 15 and a.max_gap_days == 20
    assert a.recency_vs_max_gap == pytest.approx(22 / 20)  # 22 days since day 130
    assert a.gap_survival == 0.0 and np.isnan(a.gap_return_90d)  # no past gap was ever this long
    assert a.cancelled_orders == 1 and a.products == 3 and a.repeat_product_share == pytest.approx(1 / 3)
    assert 0 < a.p_buy_90d < a.p_alive <= 1 and before.p_buy_90d.notna().all()
    assert np.isnan(a.bought_same_window_last_year)  # the data do not reach back a year

    _add_lines(con, [(f"f{c}", f"c{c}", pd.Timestamp(cutoff) + pd.Timedelta(hours=h), "p9", 50, status)
                     for c in range(40) for h, status in ((0, "completed"), (30, "cancelled"), (50, "returned"))]
               + [("fa", "a", pd.Timestamp(cutoff), "q", 9, "completed"),
                  ("new", "b", pd.Timestamp(cutoff), "q", 1, "completed")])
    after = snapshot(con, cutoff, 90).set_index("customer_id")
    assert list(after.index) == list(before.index)  # "b" ordered first on the cutoff: not a customer yet
    pd.testing.assert_frame_equal(before[FEATURES], after[FEATURES], check_exact=False, rtol=1e-9)
    assert before.loc["a"].churned and after.churned.sum() == 0  # only the label saw the future


def test_promotion_rule():
    assert beats_baselines({"model": {"roc_auc": 0.75}, "logreg_rfm": {"roc_auc": 0.74},
                            "recency_only": {"roc_auc": 0.7}})[0]
    ok, message = beats_baselines({"model": {"roc_auc": 0.73}, "logreg_rfm": {"roc_auc": 0.74},
                                   "recency_only": {"roc_auc": 0.7}})
    assert not ok and "logreg_rfm" in message


def _materialize(home):
    resources = {"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")),
                 "settings": CipSettings(), "mlflow_tracking": MlflowResource(cip_home=str(home))}
    return dg.materialize([*churn_assets.churn_assets, *churn_assets.churn_checks], resources=resources,
                          raise_on_error=False)


def test_labelled_table_mode_cross_validates_and_scores_the_customers_still_here(cip_home, tmp_path):
    """The e-commerce churn workbook: no order history, so the model learns the labels with 5-fold CV."""
    import shutil
    import subprocess

    from tests.conftest import shared_file, write_config

    path = shared_file("ecommerce_churn.xlsx")
    config = load_config(write_config(tmp_path / "conf", [
        {"name": "workbook", "adapter": "labelled_customers", "path": str(path), "sheet": "E Comm"}]))
    with connect(cip_home / "warehouse.duckdb") as con:
        for table in ("customers", "customer_labels"):
            ingest_table(con, config, table, paths())
        attributes = con.execute("SELECT attributes FROM raw.customer_labels LIMIT 1").fetchone()[0]
    assert "Tenure" in attributes and "Churn" not in attributes  # the label is not an attribute
    result = subprocess.run([shutil.which("dbt"), "run", "--select", "staging", "--project-dir", str(DBT_PROJECT_DIR),
                             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
                             "--log-path", str(tmp_path / "logs")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]

    run = _materialize(cip_home)
    assert run.success and run.get_asset_check_evaluations()[0].passed
    client = MlflowResource(cip_home=str(cip_home)).client()
    champion = client.get_model_version_by_alias("cip_churn", "champion")
    mlflow_run = client.get_run(champion.run_id)
    assert mlflow_run.data.tags["mode"] == "labelled"
    assert mlflow_run.data.params["folds"] == "5"
    plots = {a.path for a in client.list_artifacts(champion.run_id, "plots")}
    assert plots == {f"plots/{n}.png" for n in ("roc", "precision_recall", "reliability", "churn_by_decile")}

    with duckdb.connect(str(cip_home / "warehouse.duckdb"), read_only=True) as con:
        evaluation = dict(con.execute("SELECT method, roc_auc FROM ml.churn_model_evaluation WHERE mode = 'labelled'"
                                      ).fetchall())
        scores = con.execute("SELECT * FROM ml.churn_scores").df()
        staying = con.execute("SELECT count(*) FROM raw.customer_labels WHERE NOT churned").fetchone()[0]
    assert set(evaluation) == {"model", "logreg_attributes", "best_single_attribute"}
    assert evaluation["model"] > max(evaluation["logreg_attributes"], evaluation["best_single_attribute"])
    assert len(scores) == scores.customer_id.nunique() == staying  # everyone labelled as still a customer
    assert scores.churn_probability.between(0, 1).all()
    # reasons name attributes with the customer's own value, e.g. "Complain: 1"
    assert scores.reasons.str.contains(": ").mean() > 0.9
    first = scores.top_features.str.split(",").str[0]
    assert all(name.replace("_", " ") in reasons for name, reasons in zip(first, scores.reasons) if reasons)
