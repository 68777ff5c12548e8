"""Dashboard render time per page (streamlit.testing AppTest) on a published copy.

    python benchmarks/bench_dashboard.py --home /path/to/CIP_HOME            # an existing published copy
    python benchmarks/bench_dashboard.py --build 1000000 --home /tmp/big     # generate + `cip run` first

`--build N` runs `cip run` on the synthetic generator with N customers (no event stream) into
--home, which takes many minutes at 1M. Each page is rendered cold (query cache cleared, a fresh
session) and then warm (the same session again), `--repeat` times; the script prints the median of
each and the table sizes it read. The first render of a page in a process also pays its imports
(scipy for Experiments, about 2 s on a busy 2-core machine), once per server process; the median of
three hides that, the "first" column shows it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "dashboards" / "app.py")
PAGES = ["views/overview.py", "views/churn_pricing.py", "views/customer.py", "views/segments.py",
         "views/feedback.py", "views/ask.py", "views/alerts.py", "views/experiments.py", "views/exports.py"]


def build(home: Path, customers: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    config = home.parent / f"bench-dashboard-{customers}.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"name": "synthetic", "adapter": "synthetic",
                                                   "customers": customers, "seed": 42, "events": False}]}))
    env = {**os.environ, "CIP_HOME": str(home), "CIP_DUCKDB_PATH": str(home / "warehouse.duckdb"),
           "DAGSTER_HOME": str(home / "dagster")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cip_assets.cli", "run", "--config", str(config)], env=env, cwd=ROOT,
                   check=True)
    print(f"built {customers:,} customers in {time.perf_counter() - started:.0f}s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True, help="CIP_HOME holding published/cip.duckdb")
    parser.add_argument("--build", type=int, help="first run `cip run` with this many synthetic customers")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = args.home.resolve()
    if args.build:
        build(home, args.build)
    db = home / "published" / "cip.duckdb"
    if not db.exists():
        print(f"no published copy at {db}: run with --build N", file=sys.stderr)
        return 2
    os.environ["CIP_HOME"] = str(home)
    os.environ.pop("CIP_CONFIG", None)
    os.environ["CIP_DASHBOARD_AUTH"] = "off"  # AppTest binds no address, which would mean the login is on
    import duckdb
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    with duckdb.connect(str(db), read_only=True) as con:
        sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("marts.customer_scores", "marts.customer_rfm", "ml.churn_scores", "marts.daily_kpis")
                 if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema || '.' || "
                                "table_name = ?", [t]).fetchone()[0]}
    print(f"published copy {db} ({db.stat().st_size / 1e6:,.0f} MB): " +
          ", ".join(f"{t} {n:,} rows" for t, n in sizes.items()))
    AppTest.from_file(APP, default_timeout=300).run()  # imports and the first connection, not counted
    print(f"{'page':<26}{'first (s)':>10}{'cold (s)':>10}{'warm (s)':>10}")
    worst = 0.0
    for page in PAGES:
        cold, warm = [], []
        for _ in range(args.repeat):
            at = AppTest.from_file(APP, default_timeout=300).run()  # a fresh session on the start page
            st.cache_data.clear()  # then nothing cached: every query of the page (and sidebar) runs
            at.switch_page(page)
            started = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
            if at.exception:
                print(f"  {page}: {at.exception[0].value}")
        c, w = statistics.median(cold), statistics.median(warm)
        worst = max(worst, c)
        print(f"{page:<26}{cold[0]:>10.2f}{c:>10.2f}{w:>10.2f}")
    print(f"slowest cold render: {worst:.2f}s (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
