"""marts.customer_scores: customer_360 with every model output joined on, for readers.

The model tables may be absent (a source with too little history skips a model); their columns
are then null rather than the mart failing.
"""

from __future__ import annotations

import duckdb

MODEL_COLUMNS = {
    "churn_scores": {"churn_probability": "DOUBLE", "risk_band": "VARCHAR", "reasons": "VARCHAR",
                     "model_version": "VARCHAR", "scored_at": "TIMESTAMP"},
    "customer_value": {"expected_purchases_90d": "DOUBLE", "expected_spend_90d": "DOUBLE", "value_12m": "DOUBLE",
                       "probability_alive": "DOUBLE"},
    "customer_segments": {"segment_id": "INTEGER", "segment_name": "VARCHAR", "persona": "VARCHAR",
                          "pca_x": "DOUBLE", "pca_y": "DOUBLE"},
    "purchase_propensity": {"purchase_probability": "DOUBLE", "propensity_decile": "INTEGER"},
    "offer_recommendations": {"recommended_arm": "VARCHAR", "expected_incremental_profit": "DOUBLE",
                              "within_budget": "BOOLEAN"},
}


def build_customer_scores(con: duckdb.DuckDBPyConnection) -> int:
    present = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ml'").fetchall()}
    columns, joins = [], []
    for table, cols in MODEL_COLUMNS.items():
        alias = table[:2] + str(len(joins))
        if table in present:
            joins.append(f"LEFT JOIN ml.{table} {alias} ON {alias}.customer_id = c.customer_id")
            columns += [f"{alias}.{c}::{t} AS {c}" for c, t in cols.items()]
        else:
            columns += [f"NULL::{t} AS {c}" for c, t in cols.items()]
    con.execute(f"""CREATE OR REPLACE TABLE marts.customer_scores AS
                    SELECT c.*, {', '.join(columns)} FROM marts.customer_360 c {' '.join(joins)}""")
    return con.execute("SELECT count(*) FROM marts.customer_scores").fetchone()[0]
