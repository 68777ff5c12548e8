"""The same dbt models on Spark (local session) and on DuckDB, on the same order lines, for the record.

    python benchmarks/bench_spark.py [--lines 10000000] [--out bench_out]

Generates synthetic order lines (no events), ingests them through the validating loader, writes the raw
lake (and writes it again, to show an unchanged day is not rewritten), then times in separate processes
`dbt build` of the five marts the Spark test compares (customer_rfm, cohort_retention, daily_kpis,
revenue_pareto, product_affinity, with what they read and their tests) on each target, and compares the
two builds row by row. Spark on one 2-core machine is expected to be slower; the point is the same SQL
on a cluster.
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
from bench_marts import prepare_warehouse  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt_project"
MARTS = ("customer_rfm", "cohort_retention", "daily_kpis", "revenue_pareto", "product_affinity")


def dbt_build(target: str, db: Path) -> tuple[float, float, str]:
    home = db.parent
    env = {**os.environ, "CIP_DUCKDB_PATH": str(db), "CIP_LAKE_PATH": str(home / "lake"),
           "CIP_SPARK_PATH": str(home / "spark")}
    cmd = [str(Path(sys.executable).parent / "dbt"), "build", "--target", target, "--indirect-selection", "cautious",
           "--select", *[f"+{m}" for m in MARTS], "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
           "--target-path", str(home / f"dbt_target_{target}"), "--log-path", str(home / "dbt_logs")]
    return run_measured(cmd, env=env)


def differing_rows(db: Path) -> dict[str, tuple[int, int]]:
    """Per mart: (rows, rows that differ) between DuckDB's table and Spark's files."""
    from cip_resources.engine import rows_differing

    con = duckdb.connect(str(db), read_only=True)
    found = {}
    for mart in MARTS:
        spark = f"read_parquet('{db.parent / 'spark' / 'warehouse' / 'marts.db' / mart}/*.parquet')"
        rows = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0]
        found[mart] = (rows, rows_differing(con, f"marts.{mart}", spark))
    return found


def bench(lines_target: int, out: Path) -> None:
    from cip_resources.lake import write_raw_lake

    lines, db = prepare_warehouse(lines_target, out, "spark")
    with duckdb.connect(str(db)) as con:
        for attempt in ("as the marts asset would now", "again, nothing new"):
            started = time.perf_counter()
            written = {w.table: w for w in write_raw_lake(con, db.parent / "lake")}
            order_lines = written["order_lines"]
            print(f"[{lines:,} lines] raw lake write ({attempt}): {time.perf_counter() - started:.1f}s, order_lines "
                  f"{order_lines.days_written} of {order_lines.days} days written")
    results = {}
    for target in ("dev", "spark"):
        seconds, peak, output = dbt_build(target, db)
        summary = [line.split("Done.")[1].strip() for line in output.splitlines() if "Done." in line]
        results[target] = seconds
        engine = "DuckDB" if target == "dev" else "Spark local[*]"
        print(f"[{lines:,} lines] dbt build, five marts + upstream + tests, {engine}: {seconds:.1f}s, "
              f"peak {peak:.2f} GiB  {summary}")
    print(f"[{lines:,} lines] Spark / DuckDB wall time: {results['spark'] / results['dev']:.1f}x")
    for mart, (rows, differ) in differing_rows(db).items():
        print(f"[{lines:,} lines] {mart}: {rows:,} rows, {differ} differ between the engines")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--out", type=Path, default=Path("bench_out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.lines:
        bench(n, args.out)


if __name__ == "__main__":
    main()
