"""Labelled-table churn mode on the real labelled tables: 5-fold cross-validated metrics of LightGBM
beside logistic regression on all attributes and the best single attribute.

    python benchmarks/churn_labelled.py [--data ../shared/data]

Reads the files the way the labelled_customers adapter stores them (every column as text in
`attributes`), so the figures are those `cip run` logs to MLflow for the same table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from cip_assets.churn.labelled import cross_validate

TABLES = {  # file: (reader options, customer id column, label column)
    "telco_customer_churn.csv.gz": ({}, "customerID", "Churn"),
    "ecommerce_churn.xlsx": ({"sheet_name": "E Comm"}, "CustomerID", "Churn"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    print("| table | customers | churn rate | method | ROC-AUC (pooled) | fold ROC-AUC | PR-AUC | Brier | lift@10% |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (options, customer, label) in TABLES.items():
        path = args.data / name
        if not path.exists():
            print(f"| {name} | missing in {args.data} |")
            continue
        frame = (pd.read_excel(path, dtype=str, **options) if path.suffix == ".xlsx"
                 else pd.read_csv(path, dtype=str, **options))
        labels = frame.rename(columns={customer: "customer_id", label: "churned"})
        labels["churned"] = labels.churned.str.strip().str.lower().isin(["yes", "1", "true"])
        started = time.perf_counter()
        result = cross_validate(labels)
        seconds = time.perf_counter() - started
        for method, m in result.metrics.items():
            folds = result.fold_auc[method]
            print(f"| {name} | {len(labels):,} | {labels.churned.mean():.1%} | {method} | {m['roc_auc']:.3f} | "
                  f"{min(folds):.3f}-{max(folds):.3f} | {m['pr_auc']:.3f} | {m['brier']:.3f} | "
                  f"{m['lift_top_decile']:.2f} |")
        print(f"|  | best single attribute: {result.best_single_attribute}; calibration {result.calibrator.method}; "
              f"{seconds:.1f} s |")


if __name__ == "__main__":
    main()
