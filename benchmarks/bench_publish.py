"""What a publish costs after a night, against writing the copies afresh.

    python benchmarks/bench_publish.py --warehouse HOME/warehouse.duckdb --previous SAVED_PUBLISHED_DIR

`--previous` is a copy of `CIP_HOME/published` saved before the night's refresh (the copies readers had
yesterday); the warehouse is the one after it. Both publishes of the same warehouse run in this process, each
into a scratch folder: a fresh one (an empty folder: every table copied whole) and the nightly one (starting from
the saved copies: unchanged tables kept, incremental marts updated by key). Prints both wall times, their ratio,
what the nightly one did with each table, and whether both wrote the same rows.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb

from cip_assets.serving.publish import publish


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--previous", type=Path, required=True, help="a saved CIP_HOME/published folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.warehouse.parent) as scratch:
        fresh, nightly = Path(scratch) / "fresh", Path(scratch) / "nightly"
        started = time.perf_counter()
        publish(args.warehouse, fresh)
        fresh_seconds = time.perf_counter() - started
        shutil.copytree(args.previous, nightly, symlinks=True)
        started = time.perf_counter()
        result = publish(args.warehouse, nightly)
        nightly_seconds = time.perf_counter() - started
        print(f"fresh publish:    {fresh_seconds:7.1f} s ({len(result.tables)} tables, "
              f"{sum(result.tables.values()):,} rows)")
        print(f"nightly publish:  {nightly_seconds:7.1f} s  {dict(Counter(result.written.values()))}")
        print(f"ratio nightly / fresh: {nightly_seconds / fresh_seconds:.2f}")
        for how in ("delta", "whole"):
            print(f"  {how}: {', '.join(sorted(t for t, w in result.written.items() if w == how))}")
        con = duckdb.connect()
        con.execute(f"ATTACH '{fresh / 'cip.duckdb'}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{nightly / 'cip.duckdb'}' AS b (READ_ONLY)")
        differing = [t for t in result.tables if con.execute(
            f"SELECT count(*) FROM ((FROM a.{t} EXCEPT ALL FROM b.{t}) UNION ALL (FROM b.{t} EXCEPT ALL FROM a.{t}))"
        ).fetchone()[0]]
        print(f"tables whose rows differ between the two safe copies: {differing or 'none'}")


if __name__ == "__main__":
    main()
