"""marts.customer_scores is a dbt model over the ML outputs: scores join onto customer_360, and a model table
that is absent gives null columns instead of failing the mart."""

import os
import shutil
import subprocess

import duckdb

from cip_resources.dbt import DBT_PROJECT_DIR


def test_scores_join_onto_customer_360_and_missing_models_give_nulls(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA ml")
        con.execute("CREATE TABLE marts.customer_360 AS SELECT * FROM (VALUES ('A', 3), ('B', 1)) t(customer_id, orders)")
        con.execute("CREATE TABLE ml.churn_scores AS SELECT 'A' AS customer_id, 0.8 AS churn_probability, "
                    "'high' AS risk_band, 'no order for 200 days' AS reasons, '3' AS model_version, now() AS scored_at")
    env = {**os.environ, "CIP_DUCKDB_PATH": str(db)}
    done = subprocess.run([shutil.which("dbt"), "build", "--select", "customer_scores", "--project-dir",
                           str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path",
                           str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT customer_id, orders, churn_probability, risk_band, value_12m, segment_name "
                           "FROM marts.customer_scores ORDER BY 1").fetchall()
    assert rows == [("A", 3, 0.8, "high", None, None), ("B", 1, None, None, None, None)]
