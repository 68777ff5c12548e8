"""Uplift, offers and A/B reading on real and synthetic data; prints the figures for the pricing note.

    nice -n 10 python benchmarks/eval_uplift.py [--customers 30000] [--seed 11] [--skip-synthetic]

1. Hillstrom (../shared/data/hillstrom.csv.gz): Womens / Mens E-Mail vs No E-Mail, outcomes visit and
   conversion, 70/30 split stratified by arm: normalised Qini (sklift.qini_auc_score), AUUC
   (sklift.uplift_auc_score) and uplift@10/20/30% (sklift.uplift_at_k, by_group) per learner, beside
   the data README's two-model reference (visit, women's: 0.048 / 0.065); average effects with 95%
   intervals on all rows (README: +4.5 women, +7.7 men, visit).
2. Synthetic data with known per-customer effects: learners fit on 70% of the campaign's customers
   (features: the churn snapshot on the day the campaign started); every other customer known by then
   is scored; each policy's true profit (true base conversion and true effects, the same order value
   for every policy) against the oracle that knows the true effects, "offer everyone" each arm, and
   "offer the highest churn risk" (a recency proxy: days since the last order at the campaign date;
   no churn model is run here; as many offers as the x_learner recommendations make).
3. Cookie Cats (../shared/data/cookie_cats.csv.gz) read as a finished A/B test: gate_40 - gate_30 in
   1- and 7-day retention with 95% intervals and p-values.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cip_assets.ingest.synthetic import generate  # noqa: E402
from cip_assets.pricing import campaigns as cmp  # noqa: E402
from cip_assets.pricing.experiments import design, read_test  # noqa: E402
from cip_assets.pricing.offers import NO_OFFER, OfferSettings, policy_value, profit_matrix, recommend  # noqa: E402
from cip_assets.pricing.uplift import LEARNERS, encode_covariates, evaluate_campaign, fit_policy, split  # noqa: E402

SHARED = Path(os.environ.get("CIP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def hillstrom() -> None:
    path = SHARED / "hillstrom.csv.gz"
    if not path.exists():
        print(f"[hillstrom] skipped: {path} not found")
        return
    df = pd.read_csv(path)
    X = encode_covariates(df[["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie",
                              "channel"]])
    t0 = time.time()
    evaluation, _ = evaluate_campaign(X, df.segment.to_numpy(), {"visit": df.visit.to_numpy(),
                                                                 "conversion": df.conversion.to_numpy()},
                                      control="No E-Mail", test_size=0.3, seed=0)
    print(f"\n== 1. Hillstrom: {len(df):,} customers, 70/30 split stratified by arm ({time.time() - t0:.0f} s) ==")
    print("reference (data README, two-model gradient boosting, visit, Womens E-Mail): "
          "normalised Qini 0.048, uplift@30% 0.065")
    cols = ["arm", "outcome", "learner", "qini_normalised", "auuc", "uplift_at_10", "uplift_at_20", "uplift_at_30"]
    print(evaluation[cols].sort_values(["outcome", "arm", "learner"], ascending=[False, False, True])
          .to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    ate = evaluation.drop_duplicates(["arm", "outcome"])[["arm", "outcome", "ate", "ate_low", "ate_high",
                                                         "ate_p_value", "n_treated", "n_control"]]
    print("\naverage effect of the e-mail, all rows, 95% Wald interval (README, visit: +4.5 women, +7.7 men):")
    for r in ate.sort_values(["outcome", "arm"], ascending=False).itertuples():
        print(f"  {r.arm:>13} {r.outcome:<10} {100 * r.ate:+.2f} pts  [{100 * r.ate_low:+.2f}, {100 * r.ate_high:+.2f}]"
              f"  p={r.ate_p_value:.2g}  n={r.n_treated:,} vs {r.n_control:,}")


def _staging(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """The staging views the churn snapshot reads, straight over the generator's Parquet files."""
    con.execute("CREATE SCHEMA staging")
    con.execute(f"""CREATE VIEW staging.stg_order_lines AS SELECT * EXCLUDE (status), status AS line_status
                    FROM read_parquet('{folder}/order_lines/*.parquet')""")
    con.execute(f"CREATE VIEW staging.stg_feedback AS SELECT * FROM read_parquet('{folder}/feedback/*.parquet')")
    con.execute(f"""CREATE VIEW staging.stg_campaign_exposures AS SELECT *, NULL::VARCHAR AS source
                    FROM read_parquet('{folder}/campaign_exposures/*.parquet')""")
    con.execute("CREATE TABLE staging.stg_events (customer_id VARCHAR, event_at TIMESTAMP)")  # generated without


def synthetic(customers: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.time()
        folder = Path(tmp) / "synthetic"
        manifest = generate(folder, customers=customers, seed=seed, with_events=False)
        con = duckdb.connect()
        _staging(con, folder)
        truth = con.execute(f"SELECT * FROM read_parquet('{folder}/truth/customers_truth/*.parquet')").df()
        campaign_id = manifest["campaign"]["campaign_id"]
        frame = cmp.exposures(con, campaign_id)
        X, mode = cmp.campaign_features(con, frame, campaign_id)
        start = pd.Timestamp(frame.exposed_at.min()).normalize()
        population = cmp.snapshot(con, start.date(), 1)
        print(f"\n== 2. Synthetic: {customers:,} customers (seed {seed}), campaign {campaign_id} from {start.date()}, "
              f"{len(frame):,} exposed; features: {mode} ({time.time() - t0:.0f} s to generate and read) ==")

        train_idx, _ = split(frame.arm.to_numpy(), 0.3, seed=0)
        train = frame.iloc[train_idx]
        scored = population[~population.customer_id.isin(train.customer_id)].reset_index(drop=True)
        truth = truth.set_index("customer_id").loc[scored.customer_id]
        discounts = cmp.arm_discounts(frame)
        arms = sorted(discounts, key=discounts.get)
        fallback = cmp.campaign_order_value(frame)
        value = scored.avg_order_value.where(scored.avg_order_value > 0).fillna(fallback).to_numpy()
        true_uplift = pd.DataFrame({a: truth[f"effect_{int(discounts[a])}"].to_numpy() for a in arms})
        true_base = truth.base_conversion.to_numpy()
        print(f"scored: {len(scored):,} customers known at the campaign date and not in the training 70% "
              f"({len(train):,} training rows); order value: each customer's average order before the campaign "
              f"(fallback {fallback:.2f})")
        customers_frame = pd.DataFrame({"customer_id": scored.customer_id, "expected_order_value": value})
        Xs = scored[cmp.HISTORY_FEATURES]
        fitted = {}
        for learner in LEARNERS:
            for shrink in (True, False):
                policy = fit_policy(X.iloc[train_idx], train.arm.to_numpy(), train.converted.to_numpy(), "control",
                                    discounts, learner=learner, shrink=shrink)
                name = learner + ("" if shrink else " (no dose-response shrinkage)")
                fitted[name] = policy.predict(Xs)
                if shrink:
                    print(f"  {learner}: effect per arm, training ate -> shrunk ate / beta (1 = predicted spread is "
                          f"real, 0 = noise): " + ", ".join(
                              f"{a} {policy.meta['raw_ate'][a]:+.3f} -> {policy.calibration[a][0]:+.3f} / "
                              f"{policy.calibration[a][1]:.2f}" for a in arms))
        print("  true mean effect among the scored: " + ", ".join(f"{a} {true_uplift[a].mean():+.3f}" for a in arms))
        for margin in (0.3, 0.4, 0.5):
            settings = OfferSettings(margin=margin)
            truth_profit = profit_matrix(true_base, true_uplift, value, discounts, margin)
            oracle = recommend(customers_frame, true_base, true_uplift, discounts, settings)
            best = policy_value(truth_profit, oracle.recommended_arm)
            rows = [("oracle (true effects)", best, int((oracle.recommended_arm != NO_OFFER).sum()))]
            n_offers = {}
            for learner, (base, uplift) in fitted.items():
                rec = recommend(customers_frame, base, uplift, discounts, settings)
                n_offers[learner] = int((rec.recommended_arm != NO_OFFER).sum())
                rows.append((f"recommendations, {learner}", policy_value(truth_profit, rec.recommended_arm),
                             n_offers[learner]))
            for a in arms:
                rows.append((f"offer everyone {a}", policy_value(truth_profit, np.full(len(scored), a)), len(scored)))
            k = n_offers["x_learner"]
            risky = np.argsort(-scored.recency_days.fillna(1e9).to_numpy(), kind="stable")[:k]
            for a in arms:
                chosen = np.full(len(scored), NO_OFFER, dtype=object)
                chosen[risky] = a
                rows.append((f"highest risk (recency proxy), top {k:,}: {a}", policy_value(truth_profit, chosen), k))
            rows.append(("no offers", 0.0, 0))
            print(f"\nmargin {margin:.0%}: true incremental profit, share of the oracle's")
            for name, v, n in rows:
                print(f"  {name:<48} {v:>12,.0f}  {v / best:>7.1%}  offers {n:,}")
        # how well the learners rank the true effect (the discount_20 arm), for reference
        for learner, (_, uplift) in list(fitted.items())[::2]:
            rho = pd.Series(uplift[arms[-1]].to_numpy()).corr(true_uplift[arms[-1]], method="spearman")
            print(f"  Spearman(predicted, true effect of {arms[-1]}), {learner}: {rho:.3f}")


def cookie_cats() -> None:
    path = SHARED / "cookie_cats.csv.gz"
    if not path.exists():
        print(f"[cookie_cats] skipped: {path} not found")
        return
    df = pd.read_csv(path)
    print(f"\n== 3. Cookie Cats: {len(df):,} players, gate_30 (control) vs gate_40 ==")
    for outcome in ("retention_1", "retention_7"):
        g = df.groupby("version")[outcome].agg(["sum", "count"])
        r = read_test(int(g.loc["gate_30", "sum"]), int(g.loc["gate_30", "count"]), int(g.loc["gate_40", "sum"]),
                      int(g.loc["gate_40", "count"]))
        print(f"  {outcome}: gate_30 {r.rate_control:.4f} (n={r.n_control:,}), gate_40 {r.rate_treated:.4f} "
              f"(n={r.n_treated:,}); gate_40 - gate_30 = {100 * r.difference:+.2f} pts "
              f"[{100 * r.ci_low:+.2f}, {100 * r.ci_high:+.2f}], z={r.z:.2f}, p={r.p_value:.4f}")
    base = df[df.version == "gate_30"].retention_7.mean()
    plan = design(float(base), 0.01, daily_traffic=None)
    print(f"  design for the next test: baseline {base:.4f}, MDE 1 pt, alpha 0.05, power 0.8 -> "
          f"{plan['n_per_arm']:,} per arm")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-hillstrom", action="store_true")
    args = parser.parse_args()
    if not args.skip_hillstrom:
        hillstrom()
    if not args.skip_synthetic:
        synthetic(args.customers, args.seed)
    cookie_cats()


if __name__ == "__main__":
    main()
