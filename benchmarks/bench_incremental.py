"""The nightly build after one new day of events, against the full build, on the same data and in one run.

    python benchmarks/bench_incremental.py [--events 10000000] [--out bench_incremental] [--seed 5]

Generates synthetic events (`cip generate`, ~106 per customer) and loads raw.events through the loader,
then times in separate processes (each with its peak memory):
  1. the full build of stg_events -> int_sessionised_events -> event_sessions (`dbt run --full-refresh`);
  2. one new day: the last day's events again, a day later, with new keys, appended to raw.events, and
     the incremental build (what the nightly refresh runs);
  3. the full build again over the same, now larger, events;
and checks that the incremental result equals the full rebuild row by row.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402
from bench_events import prepare_events  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("stg_events", "int_sessionised_events", "event_sessions")
COMPARED = ("intermediate.int_sessionised_events", "marts.event_sessions")


def dbt_run(env: dict, full_refresh: bool) -> tuple[float, float]:
    cmd = [str(Path(sys.executable).parent / "dbt"), "run", "--project-dir", str(ROOT / "dbt_project"),
           "--profiles-dir", str(ROOT / "dbt_project"), "--select", *MODELS, *(["--full-refresh"] * full_refresh)]
    seconds, peak, _ = run_measured(cmd, env=env)
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench_incremental"))
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    db, env = prepare_events(args.events, args.out.resolve(), args.seed)

    full_seconds, peak = dbt_run(env, full_refresh=True)
    with duckdb.connect(str(db)) as con:
        events = con.execute("SELECT count(*) FROM raw.events").fetchone()[0]
        print(f"full build, {events:,} events: {full_seconds:.1f} s, peak {peak:.2f} GiB")
        con.execute("""
            INSERT INTO raw.events BY NAME
            SELECT * REPLACE (event_at + INTERVAL 1 DAY AS event_at, 'next-day-' || event_key AS event_key)
            FROM raw.events WHERE event_at >= (SELECT max(event_at) FROM raw.events) - INTERVAL 1 DAY""")
        added, visitors = con.execute("SELECT count(*), count(DISTINCT coalesce(customer_id, session_id)) "
                                      "FROM raw.events WHERE event_key LIKE 'next-day-%'").fetchone()
    incremental_seconds, peak = dbt_run(env, full_refresh=False)
    print(f"nightly build after one new day ({added:,} events, {visitors:,} visitors): {incremental_seconds:.1f} s, "
          f"peak {peak:.2f} GiB")
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS bench")
        for model in COMPARED:
            con.execute(f"CREATE OR REPLACE TABLE bench.{model.split('.')[1]} AS "
                        f"SELECT * EXCLUDE (sessionised_at) FROM {model}")
    rebuild_seconds, peak = dbt_run(env, full_refresh=True)
    print(f"full build over the same events: {rebuild_seconds:.1f} s, peak {peak:.2f} GiB")
    print(f"nightly / full: {incremental_seconds / rebuild_seconds:.2f} "
          f"({rebuild_seconds / incremental_seconds:.1f}x less time; dbt's start-up, ~4 s, is in both)")
    with duckdb.connect(str(db)) as con:
        for model in COMPARED:  # in SQL: tens of millions of rows; doubles to 6 places
            kept = f"bench.{model.split('.')[1]}"
            types = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {kept})").fetchall()
            columns = ", ".join(f"round({c}, 6)" if t == "DOUBLE" else c for c, t in types)
            differ = sum(con.execute(f"SELECT count(*) FROM (SELECT {columns} FROM {a} EXCEPT ALL "
                                     f"SELECT {columns} FROM {b})").fetchone()[0]
                         for a, b in ((kept, model), (model, kept)))
            print(f"{model}: {differ} rows differ between the nightly build and the full rebuild")


if __name__ == "__main__":
    main()
