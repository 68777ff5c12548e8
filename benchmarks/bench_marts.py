"""dbt build time and peak memory at 10M and 100M order lines, and the ratio against pandas.

    python benchmarks/bench_marts.py [--lines 10000000 100000000] [--out bench_out]

For each size: generate synthetic data (no event stream), ingest it through the validating
loader, then time in separate processes (so each peak memory is its own):
  1. the whole `dbt build` (every model and every test),
  2. `dbt run` of just RFM and cohort retention with what they read (like for like),
  3. the same RFM and cohort computed with plain pandas from raw.order_lines, where pandas fits.
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
DBT_DIR = ROOT / "dbt_project"
LINES_PER_CUSTOMER = 100
PANDAS_MAX_LINES = 30_000_000  # beyond this, pandas' copy of the order lines does not fit beside DuckDB in 24 GiB

INGEST = """
import duckdb, sys
from pathlib import Path
from cip_assets.ingest.pipeline import ingest_table
from cip_resources.settings import CipConfig, Paths, SourceConfig
from cip_resources.warehouse import connect
data, db = Path(sys.argv[1]), sys.argv[2]
con = connect(db)
config = CipConfig(sources=(SourceConfig(name="bench", adapter="synthetic", path=data, options={"events": False}),))
for table in ("customers", "order_lines", "feedback", "campaign_exposures"):
    ingest_table(con, config, table, Paths(Path(db).parent))
print(con.execute("SELECT count(*) FROM raw.order_lines").fetchone()[0])
"""

PANDAS = """
import sys, time
import duckdb
import numpy as np
import pandas as pd
con = duckdb.connect(sys.argv[1], read_only=True)
lines = con.execute("SELECT customer_id, order_id, ordered_at, quantity, unit_price, discount_pct, status "
                    "FROM raw.order_lines").df()
con.close()
started = time.perf_counter()
lines["amount"] = lines.quantity * lines.unit_price * (1 - lines.discount_pct.fillna(0) / 100)
lines["net"] = np.where(lines.status == "completed", lines.amount, np.where(lines.status == "returned", -lines.amount, 0.0))
lines["is_completed"] = lines.status == "completed"
orders = lines.groupby("order_id", sort=False).agg(customer_id=("customer_id", "first"), ordered_at=("ordered_at", "min"),
                                                   net=("net", "sum"), completed=("is_completed", "max"))
orders = orders[orders.completed & orders.customer_id.notna()]
as_of = lines.ordered_at.max().normalize()
rfm = orders.groupby("customer_id").agg(last=("ordered_at", "max"), frequency=("net", "size"), monetary=("net", "sum"))
rfm["recency_days"] = (as_of - rfm["last"].dt.normalize()).dt.days
rfm["r_score"] = pd.qcut(-rfm.recency_days.rank(method="first"), 5, labels=False) + 1
rfm["f_score"] = pd.qcut(rfm.frequency.rank(method="first"), 5, labels=False) + 1
rfm["m_score"] = pd.qcut(rfm.monetary.rank(method="first"), 5, labels=False) + 1
orders["month"] = orders.ordered_at.dt.year * 12 + orders.ordered_at.dt.month - 1
orders["cohort"] = orders.groupby("customer_id").month.transform("min")
orders["months_since_first"] = orders.month - orders.cohort
cohort = orders.groupby(["cohort", "months_since_first"]).agg(customers=("customer_id", "nunique"), revenue=("net", "sum"))
sizes = cohort.xs(0, level="months_since_first").customers
cohort["retained_share"] = cohort.customers / sizes.reindex(cohort.index.get_level_values(0)).values
print(f"pandas_compute_seconds={time.perf_counter() - started:.2f} customers={len(rfm)} cohort_rows={len(cohort)}")
"""


def dbt(args: list[str], db: Path) -> tuple[float, float, str]:
    env = {**os.environ, "CIP_DUCKDB_PATH": str(db)}
    cmd = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_DIR), "--profiles-dir",
           str(DBT_DIR), "--target-path", str(db.parent / "dbt_target"), "--log-path", str(db.parent / "dbt_logs")]
    return run_measured(cmd, env=env)


def prepare_warehouse(lines_target: int, out: Path, name: str) -> tuple[int, Path]:
    """Synthetic order lines (no events), generated once under `out` and ingested once into
    `out/<name>-<customers>/warehouse.duckdb`; returns (order lines, warehouse path)."""
    customers = max(1000, lines_target // LINES_PER_CUSTOMER)
    data = out / f"synthetic-{customers}-noevents"
    if not (data / "manifest.json").exists():
        seconds, peak, _ = run_measured([sys.executable, "-m", "cip_assets.cli", "generate", "--out", str(data),
                                         "--customers", str(customers), "--no-events",
                                         "--lines-per-customer", str(LINES_PER_CUSTOMER)])
        print(f"[{lines_target:,}] generate: {seconds:.0f}s, peak {peak:.2f} GiB")
    lines = json.loads((data / "manifest.json").read_text())["rows"]["order_lines"]
    db = out / f"{name}-{customers}" / "warehouse.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        seconds, peak, _ = run_measured([sys.executable, "-c", INGEST, str(data), str(db)])
        print(f"[{lines:,} lines] ingest (validated): {seconds:.0f}s, {lines / seconds:,.0f} rows/s, peak {peak:.2f} GiB")
    return lines, db


def bench(lines_target: int, out: Path) -> None:
    lines, db = prepare_warehouse(lines_target, out, "marts")
    seconds, peak, output = dbt(["build"], db)
    summary = [line.split("Done.")[1].strip() for line in output.splitlines() if "Done." in line]
    print(f"[{lines:,} lines] dbt build (all models + tests): {seconds:.1f}s, peak {peak:.2f} GiB  {summary}")
    dbt_seconds, dbt_peak, _ = dbt(["run", "--select", "+customer_rfm", "+cohort_retention"], db)
    print(f"[{lines:,} lines] dbt run +customer_rfm +cohort_retention: {dbt_seconds:.1f}s "
          f"(includes ~4 s dbt start-up), peak {dbt_peak:.2f} GiB")
    if lines > PANDAS_MAX_LINES:
        print(f"[{lines:,} lines] pandas: skipped, the order lines do not fit in memory beside the warehouse")
        return
    seconds, peak, output = run_measured([sys.executable, "-c", PANDAS, str(db)])
    compute = float(output.split("pandas_compute_seconds=")[1].split()[0])
    print(f"[{lines:,} lines] pandas RFM + cohort: {seconds:.1f}s with loading, {compute:.1f}s compute only, "
          f"peak {peak:.2f} GiB  [{output.strip().splitlines()[-1]}]")
    print(f"[{lines:,} lines] ratio pandas compute / dbt run (same models): {compute / dbt_seconds:.1f}x; "
          f"pandas with loading / dbt: {seconds / dbt_seconds:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000_000, 100_000_000])
    parser.add_argument("--out", type=Path, default=Path("bench_out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.lines:
        bench(n, args.out)


if __name__ == "__main__":
    main()
