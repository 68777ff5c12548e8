"""Model health: every scoring is kept in a log, and once its horizon has passed it is graded against
what customers actually did (the realised ROC-AUC of that scoring)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from cip_assets.monitoring.tables import SCORE_LOG
from cip_resources.tables import ensure_table, write_table


_PERFORMANCE_SQL = """
WITH scorings AS (
    SELECT as_of, any_value(model_version) AS model_version, count(*) AS customers,
           avg(churn_probability) AS mean_probability,
           quantile_cont(churn_probability, 0.5) AS median_probability,
           avg((risk_band = 'high')::INT) AS high_share, avg((risk_band = 'medium')::INT) AS medium_share,
           avg((risk_band = 'low')::INT) AS low_share
    FROM monitoring.score_log GROUP BY as_of
)
SELECT *, as_of + to_days($horizon::INTEGER) <= $data_end AS horizon_passed FROM scorings ORDER BY as_of
"""

_OUTCOMES_SQL = """
SELECT s.churn_probability, o.customer_id IS NULL AS churned
FROM monitoring.score_log s
LEFT JOIN (SELECT DISTINCT customer_id FROM staging.stg_order_lines
           WHERE line_status = 'completed' AND ordered_at >= $as_of
             AND ordered_at < $as_of::DATE + to_days($horizon::INTEGER)) o USING (customer_id)
WHERE s.as_of = $as_of
"""


def log_scores(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame) -> int:
    """Append a scoring to the log, replacing an earlier log of the same as_of date. A nightly scoring keeps
    some scores of earlier days; the log files the scores standing that night under the night's (newest) as_of."""
    ensure_table(con, SCORE_LOG)
    if scores.empty:
        return 0
    as_of = pd.Timestamp(scores.as_of.max()).date()
    frame = scores[["customer_id", "churn_probability", "risk_band", "model_version"]].assign(
        as_of=as_of, logged_at=datetime.now())
    con.execute("DELETE FROM monitoring.score_log WHERE as_of = ?", [as_of])
    return write_table(con, SCORE_LOG, frame, mode="append")


def model_performance(con: duckdb.DuckDBPyConnection, horizon_days: int) -> pd.DataFrame:
    """One row per logged scoring: the score distribution, band shares and, when its horizon has passed
    in the data, the realised churn rate and ROC-AUC against what happened."""
    ensure_table(con, SCORE_LOG)
    data_end = con.execute("SELECT max(ordered_at)::DATE + 1 FROM staging.stg_order_lines "
                           "WHERE line_status = 'completed'").fetchone()[0]
    frame = con.execute(_PERFORMANCE_SQL, {"horizon": horizon_days, "data_end": data_end}).df()
    frame["horizon_passed"] = frame["horizon_passed"].fillna(False).astype(bool)
    realised_auc, realised_rate = [], []
    for as_of, due in zip(frame.as_of, frame.horizon_passed):
        outcome = con.execute(_OUTCOMES_SQL, {"as_of": as_of, "horizon": horizon_days}).df() if due else None
        ok = outcome is not None and outcome.churned.nunique() == 2
        realised_auc.append(float(roc_auc_score(outcome.churned, outcome.churn_probability)) if ok else np.nan)
        realised_rate.append(float(outcome.churned.mean()) if outcome is not None and len(outcome) else np.nan)
    frame["realised_churn_rate"] = realised_rate
    frame["realised_roc_auc"] = realised_auc
    frame["horizon_days"] = horizon_days
    frame["evaluated_at"] = datetime.now()
    return frame
