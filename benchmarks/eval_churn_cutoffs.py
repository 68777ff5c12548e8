"""Churn out of time on several cutoffs of the real retail data: the model beside both baselines, before and after.

    python benchmarks/eval_churn_cutoffs.py [--data ../shared/data] [--work bench_out/churn_cutoffs]
                                            [--home NAME=WAREHOUSE.duckdb ...] [--horizon 90] [--candidates]

For each data set (Online Retail; Online Retail II's 2009-2010 sheet alone; Online Retail II's two years,
both files loaded as one shop) and each evaluation cutoff, it does what the `ml/churn_model` asset does
when the data end one horizon after that cutoff: snapshots at `plan_cutoffs` (every feature from rows
strictly before its cutoff, the label = no completed order in [cutoff, cutoff + horizon)), trains on the
older cutoffs only (settings chosen by time-series validation on the training cutoffs), and evaluates on
the cutoff. Rows marked "from YYYY-MM-DD" drop every order line before that day first: a shop that
started using the platform mid-year. Each row shows the model now ("after"), the log-RFM logistic
regression, recency alone, and the model as it was at commit 8af5311 ("before": its features, its
settings, its snapshot SQL, read from git) on the same cutoffs. `--candidates` adds two candidates
that were tried and not adopted, each against the regression: the rank average of the model and the
regression, and the model refit with three more customer traits (see `candidates`).

Warehouses are built once under --work with the online_retail adapter and the dbt staging views only
(no `cip run`); `--home NAME=PATH` reuses a built one (opened read-only), NAME one of the keys of DATASETS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import types
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cip_assets.churn import features as after_features
from cip_assets.churn import model as after_model

ROOT = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "8af5311"
STAGING = ("stg_order_lines", "stg_feedback", "stg_campaign_exposures", "stg_events", "stg_customers")

# name: (title, files, [(first day kept or None, evaluation cutoff), ...])
DATASETS = {
    "online_retail": ("Online Retail (2010-12..2011-12)", ["online_retail.parquet"], [
        (None, date(2011, 9, 11)), (None, date(2011, 8, 12)), (None, date(2011, 7, 13)), (None, date(2011, 6, 13)),
        (date(2011, 3, 1), date(2011, 9, 11)), (date(2011, 4, 1), date(2011, 9, 11))]),
    "online_retail_ii_2009_2010": ("Online Retail II, sheet 2009-2010", ["online_retail_ii_2009_2010.parquet"], [
        (None, date(2010, 9, 11)), (None, date(2010, 8, 12)), (None, date(2010, 7, 13)), (None, date(2010, 6, 13)),
        (date(2010, 3, 1), date(2010, 9, 11)), (date(2010, 4, 1), date(2010, 9, 11))]),
    "online_retail_ii": ("Online Retail II, both years (2009-12..2011-12)",
                         ["online_retail_ii_2009_2010.parquet", "online_retail.parquet"], [
        (None, date(2011, 9, 11)), (None, date(2011, 6, 13)), (None, date(2011, 3, 15)), (None, date(2010, 12, 15)),
        (date(2010, 7, 1), date(2011, 9, 11))]),
}


def build_home(files: list[Path], home: Path) -> Path:
    """Ingest the files with the online_retail adapter and build the dbt staging views: what churn reads."""
    import yaml

    database = home / "warehouse.duckdb"
    if database.exists():
        return database
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CIP_HOME": str(home), "CIP_DUCKDB_PATH": str(database), "DAGSTER_HOME": str(home / "dagster")}
    config = home / "cip.yaml"
    config.write_text(yaml.safe_dump({"sources": [
        {"name": f"retail_{i}", "adapter": "online_retail", "path": str(f.resolve())} for i, f in enumerate(files)]}))
    script = ("from cip_assets.ingest.pipeline import ingest_table\n"
              "from cip_resources.settings import load_config, paths\n"
              "from cip_resources.warehouse import connect\n"
              f"config = load_config({str(config)!r}); paths().ensure(); con = connect({str(database)!r})\n"
              "for t in ('customers', 'order_lines', 'events', 'feedback', 'campaign_exposures'):\n"
              "    ingest_table(con, config, t, paths())\n"
              "con.close()\n")
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
    from cip_resources.dbt import DBT_PROJECT_DIR

    dbt = shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")
    done = subprocess.run([dbt, "run", "--select", "staging", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                           str(DBT_PROJECT_DIR), "--target-path", str(home / "dbt_target"), "--log-path",
                           str(home / "dbt_logs")], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"dbt staging failed for {home}:\n{done.stdout[-2000:]}")
    return database


def cut(database: Path, start: date | None) -> duckdb.DuckDBPyConnection:
    """An in-memory copy of the staging views, without the order lines before `start` (None: all of them)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{database}' AS {database.stem} (READ_ONLY)")  # dbt's views name the file's catalog
    con.execute("CREATE SCHEMA staging")
    for view in STAGING:
        where = f" WHERE ordered_at >= DATE '{start}'" if start and view == "stg_order_lines" else ""
        con.execute(f"CREATE TABLE staging.{view} AS SELECT * FROM {database.stem}.staging.{view}{where}")
    return con


def before_modules() -> tuple[types.ModuleType, types.ModuleType] | None:
    """features.py and model.py as they were at BEFORE_COMMIT, loaded from git (None without git)."""
    def show(path: str) -> str:
        return subprocess.run(["git", "show", f"{BEFORE_COMMIT}:{path}"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
    try:
        features_src, model_src = show("cip_assets/churn/features.py"), show("cip_assets/churn/model.py")
    except (OSError, subprocess.CalledProcessError):
        return None
    features = sys.modules["churn_features_before"] = types.ModuleType("churn_features_before")
    exec(compile(features_src, "features@" + BEFORE_COMMIT, "exec"), features.__dict__)
    model = sys.modules["churn_model_before"] = types.ModuleType("churn_model_before")  # dataclasses look it up
    model.__dict__.update(FEATURES=features.FEATURES, RFM_FEATURES=features.RFM_FEATURES)
    model_src = model_src.replace("from cip_assets.churn.features import FEATURES, RFM_FEATURES", "")
    exec(compile(model_src, "model@" + BEFORE_COMMIT, "exec"), model.__dict__)
    return features, model


def run_cutoff(con, features, model, evaluation_cutoff: date, horizon: int, snapshots=None):
    """What the asset does with data ending one horizon after `evaluation_cutoff`."""
    train_cutoffs, evaluation_day = features.plan_cutoffs(evaluation_cutoff + timedelta(days=horizon - 1), horizon)
    assert evaluation_day == evaluation_cutoff
    train, evaluation = snapshots or (pd.concat([features.snapshot(con, c, horizon) for c in train_cutoffs],
                                                ignore_index=True), features.snapshot(con, evaluation_cutoff, horizon))
    started = time.perf_counter()
    result = model.train_and_evaluate(train, evaluation)  # as the asset calls it: the module's own defaults
    return result, evaluation, time.perf_counter() - started, train


# candidates tried and not adopted (--candidates): customer traits a snapshot could add, each from rows before its cutoff
_CANDIDATE_SQL = """
WITH lines AS (
    SELECT customer_id, product_id, ordered_at::DATE AS day FROM staging.stg_order_lines
    WHERE customer_id IS NOT NULL AND line_status = 'completed' AND ordered_at < $cutoff AND product_id IS NOT NULL),
visits AS (SELECT DISTINCT customer_id, day FROM lines),
closed AS (  -- visits whose next 90 days are over by the cutoff: did the customer come back within them?
    SELECT customer_id, day, coalesce(date_diff('day', day, next_day) <= 90, false)::INT AS back FROM (
        SELECT customer_id, day, lead(day) OVER (PARTITION BY customer_id ORDER BY day) AS next_day FROM visits)
    WHERE day + INTERVAL 90 DAY <= $cutoff),
overall AS (SELECT avg(back) AS m FROM closed),
product_rate AS (  -- per product, its buyers' return rate within 90 days, shrunk towards the mean (20 visits)
    SELECT product_id, (sum(back) + 20 * any_value(m)) / (count(*) + 20) AS rate
    FROM (SELECT DISTINCT l.product_id, l.customer_id, l.day, c.back FROM lines l JOIN closed c USING (customer_id, day)),
         overall GROUP BY ALL)
SELECT l.customer_id, avg(coalesce(p.rate, (SELECT m FROM overall))) AS product_return_prior,
       avg((month(l.day) IN (10, 11, 12))::INT) AS q4_line_share,
       any_value(c.country = 'United Kingdom')::INT AS is_uk
FROM lines l LEFT JOIN product_rate p USING (product_id) LEFT JOIN staging.stg_customers c USING (customer_id)
GROUP BY ALL
"""
CANDIDATE_FEATURES = ["product_return_prior", "q4_line_share", "is_uk"]


def candidates(con, result, train: pd.DataFrame, evaluation: pd.DataFrame) -> dict[str, float]:
    """ROC-AUC of two candidates beside the model: the rank average of the model and the log-RFM regression, and
    the model refit with CANDIDATE_FEATURES (product-level return priors, Q4 buying, UK or not)."""
    from scipy.stats import rankdata
    from sklearn.metrics import roc_auc_score

    def with_traits(frame: pd.DataFrame) -> pd.DataFrame:
        parts = [g.merge(con.execute(_CANDIDATE_SQL, {"cutoff": pd.Timestamp(c).to_pydatetime()}).df(),
                         on="customer_id", how="left") for c, g in frame.groupby("cutoff", sort=False)]
        return pd.concat(parts, ignore_index=True)

    y = evaluation.churned.to_numpy(int)
    blend = rankdata(result.predictions["model"]) + rankdata(result.predictions["logreg_rfm"])
    saved = after_model.FEATURE_SETS
    after_model.FEATURE_SETS = {name: [*features, *CANDIDATE_FEATURES] for name, features in saved.items()}
    try:
        traits = after_model.train_and_evaluate(with_traits(train), with_traits(evaluation))
    finally:
        after_model.FEATURE_SETS = saved
    return {"blend": float(roc_auc_score(y, blend)), "traits": traits.metrics["model"]["roc_auc"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=ROOT / "bench_out" / "churn_cutoffs")
    parser.add_argument("--home", action="append", default=[], help="NAME=path/to/warehouse.duckdb (read-only)")
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--only", nargs="*", help="data set names to run (default: all)")
    parser.add_argument("--candidates", action="store_true",
                        help="also the candidates tried and not adopted (rank blend with log-RFM; extra customer traits)")
    args = parser.parse_args()
    homes = dict(h.split("=", 1) for h in args.home)
    before = before_modules()
    print(f"horizon {args.horizon} days; after = this checkout, before = commit {BEFORE_COMMIT}"
          + ("" if before else " (git unavailable: no before columns)") + f"; {os.cpu_count()} CPUs\n")
    header = ("| data | cut | cutoff | customers | churn rate | model ROC | model PR | LR ROC | LR PR | recency ROC | "
              "recency PR | model − LR | before ROC | before PR | before − LR | chosen | train s |"
              + (" blend − LR | traits − LR |" if args.candidates else ""))
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    gaps, gaps_before, rows_over_bar, tried = [], [], 0, {"blend": [], "traits": []}
    for name, (title, files, cuts) in DATASETS.items():
        if args.only and name not in args.only:
            continue
        paths = [args.data / f for f in files]
        if name in homes:
            database = Path(homes[name]).resolve()
        elif all(p.exists() for p in paths):
            database = build_home(paths, (args.work / name).resolve())
        else:
            print(f"| {title} | missing {', '.join(str(p) for p in paths if not p.exists())} |")
            continue
        for start, evaluation_cutoff in cuts:
            con = cut(database, start)
            result, evaluation, seconds, train = run_cutoff(con, after_features, after_model, evaluation_cutoff,
                                                            args.horizon)
            m = result.metrics
            gap = m["model"]["roc_auc"] - m["logreg_rfm"]["roc_auc"]
            gaps.append(gap)
            rows_over_bar += gap >= 0.01
            chosen = (f"{result.selection['feature_set']}, {result.params['num_leaves']} leaves x "
                      f"{result.params['n_estimators']}" + ("" if result.selection["split"] == "purged" else " (default)"))
            cells = [title, "all" if start is None else f"from {start}",
                     str(evaluation_cutoff), f"{len(evaluation):,}", f"{evaluation.churned.mean():.1%}",
                     f"{m['model']['roc_auc']:.4f}", f"{m['model']['pr_auc']:.4f}",
                     f"{m['logreg_rfm']['roc_auc']:.4f}", f"{m['logreg_rfm']['pr_auc']:.4f}",
                     f"{m['recency_only']['roc_auc']:.4f}", f"{m['recency_only']['pr_auc']:.4f}", f"{gap:+.4f}"]
            if before:
                old, _, _, _ = run_cutoff(con, before[0], before[1], evaluation_cutoff, args.horizon)
                b = old.metrics
                gaps_before.append(b["model"]["roc_auc"] - b["logreg_rfm"]["roc_auc"])
                cells += [f"{b['model']['roc_auc']:.4f}", f"{b['model']['pr_auc']:.4f}", f"{gaps_before[-1]:+.4f}"]
            else:
                cells += ["", "", ""]
            cells += [chosen, f"{seconds:.1f}"]
            if args.candidates:
                for name, auc in candidates(con, result, train, evaluation).items():
                    tried[name].append(auc - m["logreg_rfm"]["roc_auc"])
                    cells.append(f"{tried[name][-1]:+.4f}")
            print("| " + " | ".join(cells) + " |", flush=True)
            con.close()
    if gaps:
        print(f"\nmodel − LR ROC-AUC: mean {np.mean(gaps):+.4f}, min {min(gaps):+.4f}; at least +0.01 on "
              f"{rows_over_bar} of {len(gaps)} cutoffs"
              + (f"; before: mean {np.mean(gaps_before):+.4f}, min {min(gaps_before):+.4f}, at least +0.01 on "
                 f"{sum(g >= 0.01 for g in gaps_before)} of {len(gaps_before)}" if gaps_before else ""))
        for name, gaps_tried in tried.items():
            if gaps_tried:
                print(f"candidate {name} − LR ROC-AUC: mean {np.mean(gaps_tried):+.4f}, min {min(gaps_tried):+.4f}; at "
                      f"least +0.01 on {sum(g >= 0.01 for g in gaps_tried)} of {len(gaps_tried)} cutoffs")


if __name__ == "__main__":
    main()
