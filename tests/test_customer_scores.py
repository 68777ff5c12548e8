import duckdb

from cip_assets.serving.scores import build_customer_scores


def test_scores_join_onto_customer_360_and_missing_models_give_nulls():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA ml")
    con.execute("CREATE TABLE marts.customer_360 AS SELECT * FROM (VALUES ('A', 3), ('B', 1)) t(customer_id, orders)")
    con.execute("CREATE TABLE ml.churn_scores AS SELECT 'A' AS customer_id, 0.8 AS churn_probability, "
                "'high' AS risk_band, 'no order for 200 days' AS reasons, '3' AS model_version, now() AS scored_at")
    assert build_customer_scores(con) == 2
    rows = con.execute("SELECT customer_id, orders, churn_probability, risk_band, value_12m, segment_name "
                       "FROM marts.customer_scores ORDER BY 1").fetchall()
    assert rows == [("A", 3, 0.8, "high", None, None), ("B", 1, None, None, None, None)]
