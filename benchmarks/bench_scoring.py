"""Churn scoring throughput (customers per second) at 1M customers.

    python benchmarks/bench_scoring.py [--customers 1000000] [--out bench_out]

Generates synthetic customers (no event stream), ingests them, builds the dbt staging views,
trains the churn model on its out-of-time snapshots, then times each scoring stage on every
customer: point-in-time features in DuckDB, calibrated probabilities, LightGBM contributions,
and the reasons in words.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from cip_assets.churn.features import FEATURES, last_order_day, plan_cutoffs, snapshot
from cip_assets.churn.model import train_and_evaluate
from cip_assets.churn.scoring import risk_band, top_reasons
from cip_assets.ingest.pipeline import ingest_table
from cip_resources.settings import CipConfig, Paths, SourceConfig
from cip_resources.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines-per-customer", type=float, default=8)
    parser.add_argument("--out", type=Path, default=Path("bench_out"))
    args = parser.parse_args()
    home = (args.out / f"scoring-{args.customers}").resolve()
    home.mkdir(parents=True, exist_ok=True)
    db = home / "warehouse.duckdb"
    os.environ["CIP_DUCKDB_PATH"] = str(db)
    if not db.exists():
        started = time.perf_counter()
        source = SourceConfig(name="bench", adapter="synthetic", path=home / "data",
                              options={"events": False})
        from cip_assets.ingest import synthetic

        synthetic.generate(home / "data", customers=args.customers, seed=1, with_events=False,
                           lines_per_customer=args.lines_per_customer)
        with connect(db) as con:
            for table in ("customers", "order_lines", "feedback", "campaign_exposures"):
                ingest_table(con, CipConfig(sources=(source,)), table, Paths(home))
        dbt = str(Path(sys.executable).parent / "dbt")
        subprocess.run([dbt, "run", "--select", "staging", "--project-dir", str(ROOT / "dbt_project"),
                        "--profiles-dir", str(ROOT / "dbt_project"), "--target-path", str(home / "target"),
                        "--log-path", str(home / "logs")], check=True, capture_output=True)
        print(f"setup (generate, ingest, staging views): {time.perf_counter() - started:.0f}s")

    with connect(db, read_only=True) as con:
        last_day = last_order_day(con)
        train_cutoffs, eval_cutoff = plan_cutoffs(last_day, 90)
        started = time.perf_counter()
        train = pd.concat([snapshot(con, c, 90) for c in train_cutoffs], ignore_index=True)
        evaluation = snapshot(con, eval_cutoff, 90)
        print(f"training snapshots: {len(train):,} rows + {len(evaluation):,} in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        result = train_and_evaluate(train, evaluation)
        print(f"train + evaluate: {time.perf_counter() - started:.1f}s, ROC-AUC model "
              f"{result.metrics['model']['roc_auc']:.3f}, logreg {result.metrics['logreg_rfm']['roc_auc']:.3f}, "
              f"recency {result.metrics['recency_only']['roc_auc']:.3f}")

        stages = {}
        started = time.perf_counter()
        frame = snapshot(con, last_day + pd.Timedelta(days=1), 1)
        stages["features (DuckDB)"] = time.perf_counter() - started
    t = time.perf_counter()
    probability = result.predict_proba(frame)
    bands = risk_band(probability)
    stages["probability + band"] = time.perf_counter() - t
    t = time.perf_counter()
    contributions = result.model.booster_.predict(frame[FEATURES], pred_contrib=True)
    stages["contributions"] = time.perf_counter() - t
    t = time.perf_counter()
    _, reasons = top_reasons(frame, contributions, FEATURES)
    stages["reasons in words"] = time.perf_counter() - t
    total = sum(stages.values())
    n = len(frame)
    for name, seconds in stages.items():
        print(f"  {name:<22} {seconds:7.1f}s  {n / seconds:>12,.0f} customers/s")
    print(f"scoring {n:,} customers: {total:.1f}s, {n / total:,.0f} customers/s, "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB; "
          f"bands {pd.Series(bands).value_counts().to_dict()}")


if __name__ == "__main__":
    main()
