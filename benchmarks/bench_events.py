"""Event models at scale: sessionisation (dbt), purchase propensity and next action, training and scoring times,
and their quality against the baselines on synthetic events.

    python benchmarks/bench_events.py [--events 10000000] [--out bench_events] [--seed 5]

Generates a synthetic data set with about `--events` behavioural events (`cip generate`, ~106 events per
customer), loads raw.events through the validating loader, builds the event models of the dbt project
(stg_events -> int_sessionised_events -> event_sessions, funnel_by_category, purchase_timing), then in
one process runs the same plain functions the assets run: propensity snapshots, LightGBM against the
baselines, scoring every recently active customer; the next-action models on one time split (each trains
on a sample of whole sessions, `events.max_train_events`), and scoring the open sessions. Each phase prints
its wall time; each child process its peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVENTS_PER_CUSTOMER = 106

GENERATE = """
import sys
from pathlib import Path
from cip_assets.ingest.synthetic import generate
generate(Path(sys.argv[1]), customers=int(sys.argv[2]), seed=int(sys.argv[3]))
"""

INGEST = """
import sys
from pathlib import Path
from cip_assets.ingest.pipeline import ingest_table
from cip_resources.settings import CipConfig, Paths, SourceConfig
from cip_resources.warehouse import connect
data, db = Path(sys.argv[1]), sys.argv[2]
con = connect(db)
source = SourceConfig(name="bench", adapter="synthetic", path=data, options={})
(result,) = ingest_table(con, CipConfig(sources=(source,)), "events", Paths(Path(db).parent))
print("rows", result.rows_loaded, "rejected", result.rows_rejected)
"""

MODELS = """
import json, sys, time
from datetime import timedelta
import pandas as pd, torch
from cip_assets.events.features import EventSettings, event_span, plan_snapshots, snapshot, FEATURES
from cip_assets.events.propensity import train_and_evaluate
from cip_assets.events.next_action import (GRUNextAction, MarkovChain, NgramLightGBM, evaluate, read_live_sessions,
                                           read_split, split_time)
from cip_resources.warehouse import connect
torch.set_num_threads(2)
con = connect(sys.argv[1])
config = EventSettings()
out, t = {}, time.perf_counter()
def lap(name):
    global t
    now = time.perf_counter(); out[name + "_s"] = round(now - t, 2); t = now

span = event_span(con)
plan = plan_snapshots(*span, config.horizon, config.step, config.train_snapshots)
train = pd.concat([snapshot(con, c, plan.horizon) for c in plan.train_cutoffs], ignore_index=True)
evaluation = snapshot(con, plan.evaluation_cutoff, plan.horizon)
lap("propensity_snapshots")
result = train_and_evaluate(train, evaluation)
lap("propensity_train_and_evaluate")
scoring = snapshot(con, span[1] + timedelta(seconds=1), plan.horizon)
result.model.predict_proba(scoring[FEATURES])
lap("propensity_score")
out["propensity_rows"] = result.rows
out["propensity_scored_customers"] = len(scoring)
out["propensity"] = {k: {m: round(v, 4) for m, v in d.items()} for k, d in result.metrics.items()}

split_at = split_time(con)
train_w, train_y, test_w, test_y = read_split(con, split_at, config.max_train_events, config.max_test_events)
lap("next_action_read")
out["next_action_examples"] = {"train": len(train_y), "test": len(test_y), "split_at": str(split_at)}
out["next_action"] = {}
for model in (MarkovChain(), NgramLightGBM(), GRUNextAction()):
    t0 = time.perf_counter(); model.fit(train_w, train_y); fit = time.perf_counter() - t0
    t0 = time.perf_counter(); proba = model.predict_proba(test_w); score = time.perf_counter() - t0
    out["next_action"][model.name] = {**{k: round(v, 4) for k, v in evaluate(test_y, proba).items()},
                                      "fit_s": round(fit, 2), "score_s": round(score, 2),
                                      "score_per_s": round(len(test_y) / max(score, 1e-9))}
lap("next_action_all_models")
sessions, windows = read_live_sessions(con)
lap("next_action_read_live")
out["live_sessions"] = len(sessions)
print("RESULT " + json.dumps(out, default=str))
"""


def prepare_events(events: int, out: Path, seed: int) -> tuple[Path, dict]:
    """About `events` synthetic events generated once under `out/data` and loaded once into
    `out/warehouse.duckdb`; returns the warehouse path and the environment that points dbt at it."""
    customers = max(1000, events // EVENTS_PER_CUSTOMER)
    data, db = out / "data", out / "warehouse.duckdb"
    out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    env = {**os.environ, "CIP_DUCKDB_PATH": str(db), "CIP_HOME": str(out)}
    if not (data / "events").exists():
        seconds, peak, _ = run_measured([py, "-c", GENERATE, str(data), str(customers), str(seed)], env=env)
        print(f"generate {customers:,} customers: {seconds:.1f} s, peak {peak:.2f} GiB")
    if not db.exists():
        seconds, peak, output = run_measured([py, "-c", INGEST, str(data), str(db)], env=env)
        print(f"ingest raw.events ({output.strip().splitlines()[-1]}): {seconds:.1f} s, peak {peak:.2f} GiB")
    return db, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench_events"))
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    db, env = prepare_events(args.events, args.out.resolve(), args.seed)
    py = sys.executable
    dbt = [str(Path(py).parent / "dbt"), "run", "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir",
           str(ROOT / "dbt_project"), "--select", "stg_events", "int_sessionised_events", "event_sessions",
           "funnel_by_category", "purchase_timing"]
    seconds, peak, _ = run_measured(dbt, env=env)
    print(f"dbt run (sessionise, sessions, funnel, timing): {seconds:.1f} s, peak {peak:.2f} GiB")
    seconds, peak, output = run_measured([py, "-c", MODELS, str(db)], env=env)
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
    print(f"models: {seconds:.1f} s, peak {peak:.2f} GiB")
    import duckdb
    with duckdb.connect(str(db), read_only=True) as con:
        events, sessions = con.execute("SELECT (SELECT count(*) FROM raw.events), "
                                       "(SELECT count(*) FROM marts.event_sessions)").fetchone()
    print(f"\nraw.events {events:,} rows, {sessions:,} sessions")
    print(json.dumps(result, indent=2))
    print("\npropensity (out of time):")
    print("| method | ROC-AUC | PR-AUC | precision@5% | recall@5% | lift@5% |\n|---|---|---|---|---|---|")
    for name, m in result["propensity"].items():
        print(f"| {name} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['precision_top5']:.3f} | "
              f"{m['recall_top5']:.3f} | {m['lift_top5']:.2f} |")
    print("\nnext action (same time split):")
    print("| model | macro-F1 | purchase precision | purchase recall | accuracy | fit s | score rows/s |\n"
          "|---|---|---|---|---|---|---|")
    for name, m in result["next_action"].items():
        print(f"| {name} | {m['macro_f1']:.3f} | {m['purchase_precision']:.3f} | {m['purchase_recall']:.3f} | "
              f"{m['accuracy']:.3f} | {m['fit_s']:.1f} | {m['score_per_s']:,} |")


if __name__ == "__main__":
    main()
