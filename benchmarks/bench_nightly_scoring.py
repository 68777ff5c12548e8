"""Nightly churn scoring (cip_assets/churn/nightly.py) against scoring everyone, night after night, on one warehouse.

    python benchmarks/bench_nightly_scoring.py --warehouse PATH [--start YYYY-MM-DD] [--nights 14] [--every 7]

PATH is a warehouse with the dbt staging views (a home's `warehouse.duckdb`, or one made by
`bench_scoring.py`), opened read-only. A LightGBM churn model is trained out of time on snapshots
before `--start` (as `ml/churn_model` does; default start: 60 days before the data end). Then for each
night from the start, as if the data ended the day before: the full scoring (every active customer, BG/NBD
fitted again) and the nightly scoring (the customers whose data moved since the night before, with the BG/NBD
fit of the last full scoring; a full one every `--every` nights, as `churn.full_rescore_every_days`). "New rows"
are those dated on the night's last day (the warehouse has one load). Prints per night: customers scored by
each, their time (features, probability and reasons), and for the scores a night kept, how far they are from
tonight's full scoring (absolute difference of the probability: mean, 99th percentile, max; risk bands that
differ). The drift monitor's stable sample of 5,000 customers is scored every night, so in a shop that small
everyone is: `--no-drift-sample` measures the policy alone.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cip_assets.churn.features import last_order_day, plan_cutoffs, snapshot
from cip_assets.churn.model import train_and_evaluate
from cip_assets.churn.nightly import (RESCORE, ScoringPlan, load_watermark, recency_splits,
                                      select_customers_to_rescore)
from cip_assets.churn.pyfunc import LightGBMMethod
from cip_assets.churn.scoring import ACTIVE_WITHIN_DAYS, risk_band
from cip_assets.monitoring.drift import STABLE_SAMPLE_ROWS
from cip_resources.warehouse import connect


def score(method: LightGBMMethod, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[frame.recency_days <= ACTIVE_WITHIN_DAYS].reset_index(drop=True)
    probability = method.probability(frame)
    method.reasons(frame)  # timed with the rest: the asset writes them
    return pd.DataFrame({"customer_id": frame.customer_id, "p": probability})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--nights", type=int, default=14)
    parser.add_argument("--every", type=int, default=7)
    parser.add_argument("--no-drift-sample", action="store_true",
                        help="leave out the drift monitor's 5,000 customers (scored every night): the policy alone")
    args = parser.parse_args()

    with connect(args.warehouse, read_only=True) as con:
        end = last_order_day(con) + timedelta(days=1)
        start = args.start or end - timedelta(days=60)
        train_cutoffs, eval_cutoff = plan_cutoffs(start - timedelta(days=1), 90)
        t = time.perf_counter()
        training = train_and_evaluate(pd.concat([snapshot(con, c, 90) for c in train_cutoffs], ignore_index=True),
                                      snapshot(con, eval_cutoff, 90))
        method = LightGBMMethod(training.model, training.calibrator, training.features)
        splits = recency_splits(method)
        print(f"model trained on snapshots before {start} in {time.perf_counter() - t:.0f} s "
              f"(out-of-time ROC-AUC {training.metrics['model']['roc_auc']:.3f}); {len(splits)} split points on "
              "recency_days")
        print("| night (as of) | full: scored, s | nightly: scored, s | time ratio | kept | kept |dp| mean / p99 / "
              "max | bands differ |")
        print("|---|---|---|---|---|---|---|")
        kept_scores, previous, full_seconds, nightly_seconds = None, None, 0.0, 0.0
        watermark = load_watermark(con)
        for night in range(args.nights):
            as_of = start + timedelta(days=night)
            t = time.perf_counter()
            full = score(method, snapshot(con, as_of, 1))
            seconds_full = time.perf_counter() - t
            t = time.perf_counter()
            if previous is None or night % args.every == 0:
                frame = snapshot(con, as_of, 1)
                tonight, fit = score(method, frame), frame.attrs["bgnbd"]
                kept = tonight.iloc[:0]
            else:
                plan = ScoringPlan(False, "bench", as_of, None, previous, previous["fit"])
                rescore = select_customers_to_rescore(con, plan, splits, 0 if args.no_drift_sample else STABLE_SAMPLE_ROWS)
                frame = snapshot(con, as_of, 1, only=RESCORE, bgnbd=previous["fit"])
                kept = kept_scores[~kept_scores.customer_id.isin(rescore.customer_id)]
                tonight = pd.concat([kept, score(method, frame)], ignore_index=True)
            seconds_nightly = time.perf_counter() - t
            # everything in the warehouse counts as loaded already: new rows are the night's dated ones
            previous = {"as_of": pd.Timestamp(as_of), "watermark": watermark, "fit": fit}
            kept_scores = tonight
            both = kept.merge(full, on="customer_id", suffixes=("_kept", "_full"))
            gap = np.abs(both.p_kept - both.p_full)
            bands = (risk_band(both.p_kept.to_numpy()) != risk_band(both.p_full.to_numpy())).sum()
            scored = len(tonight) - len(kept)
            missing = set(full.customer_id) ^ set(tonight.customer_id)
            assert not missing, f"{len(missing)} customers scored by one and not the other"
            full_seconds += seconds_full
            nightly_seconds += seconds_nightly
            gaps = (f"{gap.mean():.4f} / {np.quantile(gap, 0.99):.4f} / {gap.max():.4f}" if len(gap) else "-")
            print(f"| {as_of} | {len(full):,}, {seconds_full:.1f} | {scored:,}, {seconds_nightly:.1f} | "
                  f"{seconds_nightly / seconds_full:.2f} | {len(kept):,} | {gaps} | "
                  f"{bands:,} ({bands / max(len(both), 1):.2%}) |")
        print(f"all {args.nights} nights: full {full_seconds:.1f} s, nightly {nightly_seconds:.1f} s "
              f"({nightly_seconds / full_seconds:.2f} of full; a full scoring every {args.every} nights)")


if __name__ == "__main__":
    main()
