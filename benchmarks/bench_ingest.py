"""Generator and ingestion throughput at scale: rows per second and peak memory.

    python benchmarks/bench_ingest.py [--lines 10000000] [--out bench_out]

Generates ~N order lines with the synthetic generator (`cip generate`), then ingests the
order lines through the validating loader (cast, hard rules, rejects, ledger) and, as a
baseline in the same run, a plain DuckDB copy of the same Parquet with no validation. Each
phase runs in its own process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402

LINES_PER_CUSTOMER = 100

INGEST = """
import duckdb, sys
from pathlib import Path
from cip_assets.ingest.contract import ensure_raw_schema
from cip_assets.ingest.pipeline import ingest_table
from cip_resources.settings import CipConfig, Paths, SourceConfig
from cip_resources.warehouse import connect
data, db = Path(sys.argv[1]), sys.argv[2]
con = connect(db)
source = SourceConfig(name="bench", adapter="synthetic", path=data, options={})
(result,) = ingest_table(con, CipConfig(sources=(source,)), "order_lines", Paths(Path(db).parent))
print(result.rows_read, result.rows_loaded, result.rows_rejected, result.reconciles)
"""

BASELINE = """
import sys
from cip_resources.warehouse import connect
con = connect(sys.argv[2])
con.execute(f"CREATE TABLE copy AS SELECT * FROM read_parquet('{sys.argv[1]}/order_lines/*.parquet')")
print(con.execute("SELECT count(*) FROM copy").fetchone()[0])
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000, help="target order lines")
    parser.add_argument("--out", type=Path, default=Path("bench_out"))
    args = parser.parse_args()
    customers = max(1000, args.lines // LINES_PER_CUSTOMER)
    data = args.out / f"synthetic-{customers}"
    shutil.rmtree(data, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)

    seconds, peak, _ = run_measured([sys.executable, "-m", "cip_assets.cli", "generate", "--out", str(data),
                                     "--customers", str(customers), "--lines-per-customer", str(LINES_PER_CUSTOMER)])
    manifest = json.loads((data / "manifest.json").read_text())
    lines = manifest["rows"]["order_lines"]
    all_rows = sum(n for t, n in manifest["rows"].items() if not t.startswith("truth"))
    print(f"generate   {customers:,} customers, {lines:,} order lines ({all_rows:,} rows in all tables): "
          f"{seconds:.1f}s, {lines / seconds:,.0f} order lines/s, {all_rows / seconds:,.0f} rows/s, "
          f"peak {peak:.2f} GiB")

    for name, script in (("ingest", INGEST), ("baseline", BASELINE)):
        db = args.out / f"{name}.duckdb"
        db.unlink(missing_ok=True)
        seconds, peak, output = run_measured([sys.executable, "-c", script, str(data), str(db)])
        label = ("ingest     validated load (cast, rules, rejects, ledger)" if name == "ingest"
                 else "baseline   plain DuckDB copy, no validation")
        print(f"{label}: {lines:,} lines in {seconds:.1f}s, {lines / seconds:,.0f} rows/s, peak {peak:.2f} GiB"
              f"  [{output.strip().splitlines()[-1]}]")
        if name == "ingest":
            ingest_seconds = seconds
        else:
            print(f"ratio      validated load / plain copy: {ingest_seconds / seconds:.2f}x the time")
        db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
