"""The nightly dbt build after one new day, against the full build, on the same data and in one run.

    python benchmarks/bench_incremental.py [--events 10000000] [--lines 10000000] [--out bench_incremental]

Two warehouses, each prepared once (synthetic data loaded through the validating loader):
  events:      ~N behavioural events (`bench_events.prepare_events`);
               models stg_events -> int_sessionised_events -> event_sessions, and funnel_daily;
  order lines: ~N order lines (`bench_marts.prepare_warehouse`);
               models stg_order_lines -> int_order_lines -> int_orders -> daily, weekly and monthly KPIs, and the
               product marts whose full builds read every line: product_affinity (basket and pair counts per
               month), product_buyers (buyers per month), product_customer_monthly, int_products (label counts),
               and int_customer_category_prices (price_sensitivity's sums per customer and category).
For each, timed in separate processes (each with its peak memory):
  1. the full build of the models (`dbt run --full-refresh`);
  2. one new day: the last day's rows again, a day later, under keys new to the table, appended to the raw table with a
     new loaded_at (as the loader writes them), and the incremental build (what the nightly refresh runs);
  3. the full build again over the same, now larger, data;
and checks that the incremental result equals the full rebuild row by row (doubles within a relative 1e-9).
`--events 0` or `--lines 0` leaves that part out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402
from bench_events import prepare_events  # noqa: E402
from bench_marts import prepare_warehouse  # noqa: E402

from cip_resources.engine import rows_differing  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVENTS = {
    "models": ("stg_events", "int_sessionised_events", "event_sessions", "funnel_daily"),
    "compared": ("intermediate.int_sessionised_events", "marts.event_sessions", "marts.funnel_daily"),
    "new_day": """
        INSERT INTO raw.events BY NAME
        SELECT * REPLACE (event_at + INTERVAL 1 DAY AS event_at, '{tag}' || event_key AS event_key,
                          now()::TIMESTAMP AS loaded_at)
        FROM raw.events WHERE event_at >= (SELECT max(event_at) FROM raw.events) - INTERVAL 1 DAY""",
    "added": "SELECT count(*) FROM raw.events WHERE starts_with(event_key, '{tag}')",
}
ORDERS = {
    "models": ("stg_order_lines", "int_order_lines", "int_orders", "daily_kpis", "weekly_kpis", "monthly_kpis",
               "int_product_label_months", "int_products", "int_basket_product_months", "int_basket_pair_months",
               "product_affinity", "product_customer_monthly", "int_product_buyer_months", "product_buyers",
               "int_customer_category_prices"),
    "compared": ("intermediate.int_orders", "marts.daily_kpis", "marts.weekly_kpis", "marts.monthly_kpis",
                 "marts.product_affinity", "marts.product_buyers", "marts.product_customer_monthly",
                 "intermediate.int_customer_category_prices"),
    "new_day": """
        INSERT INTO raw.order_lines BY NAME
        SELECT * REPLACE (ordered_at + INTERVAL 1 DAY AS ordered_at, '{tag}' || order_id AS order_id,
                          now()::TIMESTAMP AS loaded_at)
        FROM raw.order_lines WHERE ordered_at::DATE = (SELECT max(ordered_at)::DATE FROM raw.order_lines)""",
    "added": "SELECT count(*) FROM raw.order_lines WHERE starts_with(order_id, '{tag}')",
}
# the time a row was (re)built; the repeat horizon it was summed against (moved on for the rows summed again)
UNCHANGED_BY_DESIGN = ("sessionised_at", "repeat_horizon")


def dbt_run(env: dict, models: tuple[str, ...], full_refresh: bool) -> tuple[float, float]:
    cmd = [str(Path(sys.executable).parent / "dbt"), "run", "--project-dir", str(ROOT / "dbt_project"),
           "--profiles-dir", str(ROOT / "dbt_project"), "--select", *models, *(["--full-refresh"] * full_refresh)]
    seconds, peak, _ = run_measured(cmd, env=env)
    return seconds, peak


def compare_nightly_with_full(label: str, db: Path, env: dict, part: dict) -> None:
    full_seconds, peak = dbt_run(env, part["models"], full_refresh=True)
    with duckdb.connect(str(db)) as con:
        print(f"[{label}] full build: {full_seconds:.1f} s, peak {peak:.2f} GiB")
        tag = f"day{int(time.time())}-"  # new keys on every run of the benchmark over the same warehouse
        con.execute(part["new_day"].format(tag=tag))
        added = con.execute(part["added"].format(tag=tag)).fetchone()[0]
    nightly_seconds, peak = dbt_run(env, part["models"], full_refresh=False)
    print(f"[{label}] nightly build after one new day ({added:,} rows): {nightly_seconds:.1f} s, peak {peak:.2f} GiB")
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS bench")
        for model in part["compared"]:
            con.execute(f"CREATE OR REPLACE TABLE bench.{model.split('.')[1]} AS SELECT * FROM {model}")
    rebuild_seconds, peak = dbt_run(env, part["models"], full_refresh=True)
    print(f"[{label}] full build over the same data: {rebuild_seconds:.1f} s, peak {peak:.2f} GiB")
    print(f"[{label}] nightly / full: {nightly_seconds / rebuild_seconds:.2f} "
          f"({rebuild_seconds / nightly_seconds:.1f}x less time; dbt's start-up, ~4 s, is in both)")
    with duckdb.connect(str(db)) as con:
        for model in part["compared"]:
            kept = f"bench.{model.split('.')[1]}"
            unchanged = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE {kept})").fetchall()
                         if c in UNCHANGED_BY_DESIGN]
            left, right = ((f"(SELECT * EXCLUDE ({', '.join(unchanged)}) FROM {kept})",
                            f"(SELECT * EXCLUDE ({', '.join(unchanged)}) FROM {model})") if unchanged
                           else (kept, model))
            print(f"[{label}] {model}: {differing(con, left, right)} rows differ between the nightly build and the "
                  "full rebuild")


def differing(con, left: str, right: str) -> int:
    """Rows that differ, doubles within a relative 1e-9 (sums of millions of doubles differ in their last
    digits from one full build to the next); past a million rows in SQL, doubles to 6 places."""
    if con.execute(f"SELECT count(*) FROM {left}").fetchone()[0] < 1_000_000:
        return rows_differing(con, left, right)
    types = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {left})").fetchall()
    columns = ", ".join(f"round({c}, 6)" if t == "DOUBLE" else c for c, t in types)
    return sum(con.execute(f"SELECT count(*) FROM (SELECT {columns} FROM {a} EXCEPT ALL "
                           f"SELECT {columns} FROM {b})").fetchone()[0] for a, b in ((left, right), (right, left)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench_incremental"))
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    out = args.out.resolve()
    if args.events:
        db, env = prepare_events(args.events, out / "events", args.seed)
        compare_nightly_with_full(f"{args.events:,} events", db, env, EVENTS)
    if args.lines:
        lines, db = prepare_warehouse(args.lines, out, "orders")
        env = {**os.environ, "CIP_DUCKDB_PATH": str(db), "CIP_HOME": str(db.parent)}
        compare_nightly_with_full(f"{lines:,} order lines", db, env, ORDERS)


if __name__ == "__main__":
    main()
