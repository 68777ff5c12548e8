"""Churn model against the synthetic ground truth: the oracle's ROC-AUC is the ceiling.

    python benchmarks/churn_vs_truth.py [--home /tmp/cip_truth]

Runs `cip run` on the synthetic default into HOME (if not there yet), then compares, at the
model's out-of-time evaluation cutoff, the stored ROC-AUCs of the model and its baselines with
an oracle that knows each customer's true churn date, purchase rate and churn hazard:
P(no order in the horizon) = 1 if churned before the cutoff, else 1 - P(buy before dropping out).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from cip_assets.churn.features import last_order_day, plan_cutoffs, snapshot


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=Path("bench_out/churn_truth"))
    args = parser.parse_args()
    home = args.home.resolve()
    if not (home / "warehouse.duckdb").exists():
        env = {k: v for k, v in os.environ.items() if k not in ("CIP_CONFIG", "CIP_DUCKDB_PATH", "DAGSTER_HOME")}
        subprocess.run([sys.executable, "-m", "cip_assets.cli", "run"], env={**env, "CIP_HOME": str(home)},
                       check=True, capture_output=True)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        horizon = 90
        _, cutoff = plan_cutoffs(last_order_day(con), horizon)
        frame = snapshot(con, cutoff, horizon)
        stored = dict(con.execute("SELECT method, roc_auc FROM ml.churn_model_evaluation "
                                  "WHERE trained_at = (SELECT max(trained_at) FROM ml.churn_model_evaluation)").fetchall())
    truth = duckdb.sql(f"SELECT * FROM '{home}/synthetic/*/truth/customers_truth/*.parquet'").df()
    m = frame.merge(truth, on="customer_id")
    rate, hazard, months = m.purchase_rate_monthly, m.churn_hazard_monthly, horizon / 30.4
    p_buy = (1 - np.exp(-(rate + hazard) * months)) * rate / (rate + hazard)
    dead = m.churned_at.notna() & (pd.to_datetime(m.churned_at) < pd.Timestamp(cutoff))
    oracle = np.where(dead, 1.0, 1 - p_buy)
    print(f"evaluation cutoff {cutoff}, {len(m):,} customers, churn rate {m.churned.mean():.3f}")
    print(f"  oracle (true churn date, rate, hazard)  ROC-AUC {roc_auc_score(m.churned, oracle):.3f}  <- ceiling")
    print(f"  true hazard alone                       ROC-AUC {roc_auc_score(m.churned, hazard):.3f}")
    for method, auc in stored.items():
        print(f"  {method:<38}  ROC-AUC {auc:.3f}")


if __name__ == "__main__":
    main()
