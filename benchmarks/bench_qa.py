"""Latency of `Engine.ask` per question (p50/p95), once the engine and index are loaded.

    python benchmarks/bench_qa.py --published $CIP_HOME/published/cip.duckdb
    python benchmarks/bench_qa.py --scale-from small/cip.duckdb --factor 500 --out /tmp/qa_1m.duckdb

`--scale-from` builds a larger copy by replicating every customer-grain table of a published copy
`factor` times with suffixed customer ids (the KPI marts are copied as they are). It is a stand-in
for a real 1M-customer pipeline run, which takes far longer to build; say which one you measured.
"""

import argparse
import shutil
import statistics
import time
from pathlib import Path

import duckdb

from cip_assets.qa.engine import Engine, Session

QUESTIONS = ["how many customers in Germany", "how many customers in Germny", "total revenue last month",
             "top 5 countries by revenue", "which countries have the most at-risk customers",
             "what share of customers in France are churned", "compare revenue in France and Germany",
             "average age of customers in Spain", "monthly revenue trend this year", "top 10 customers by revenue",
             "how many Champions in the UK", "and in France?", "what about Loyal?", "what is a Champion",
             "how many customers; DROP TABLE marts.customer_360", "top 5 cities by number of customers",
             "revenue from churned customers", "average churn probability in Germany", "which month had the highest revenue",
             # the analyst questions of the typed plan: order facts, products, exclusions, conditions on orders
             "monthly revenue in France in 2024", "top 3 countries by revenue excluding the United Kingdom",
             "how many customers bought exactly once", "revenue in Germany last year",
             "total quantity sold of Vintage T-Shirt", "how many orders were cancelled last month",
             # questions as people type them: a typo respelled, per-customer averages and weekdays over a period
             "revnue in Germnay last year", "average revenue per customer last year",
             "which weekday had the most orders last year", "by what % did revenue grow from last month to this month",
             "which 5 products were bought by the most customers", "how many customers bought the RABBIT NIGHT LIGHT",
             # conditions on customers: their own figures, and their orders within a period (a GROUP BY per customer)
             "how many customers have a churn probability above 80%", "how many customers placed more than one order last year",
             # distinct buyers over a span that is no calendar period: counted over product x customer x month rows
             "which 3 products were bought by the most customers from february to april 2024",
             # a day's average, a change under a filter, shares of a period's buyers, a country's buyers of a product
             "average orders per day last year", "growth in France revenue from H1 to H2 2024 as a %",
             "what share of customers who bought last year bought 2+ times that year",
             "how many German customers bought the Vintage T-Shirt last year", "revenue per unit sold last year",
             # a product over days, concentration and conditions over a period's customers
             "units of Vintage T-Shirt sold in the last 30 days", "share of last year's revenue from our top 10 customers",
             "what percentage of revenue came from repeat customers last year",
             "how many customers bought in every month of last year",
             # the top share of customers, a period against the one before, a ranking among named countries
             "what share of last year's revenue came from the top 5% of customers", "mom revenue change last month",
             "rank France, Germany and Spain by revenue last year",
             # customers in every quarter, orders by their lines, days by their orders, a count split by weekday
             "how many customers bought in every quarter of last year", "how many orders last year had more than 5 lines",
             "on how many days last year did we receive more than 20000 orders", "number of orders on each weekday last year"]
CUSTOMER_TABLES = ["marts.customer_360", "marts.customer_scores", "marts.customer_rfm", "ml.churn_scores",
                   "ml.customer_value", "ml.customer_segments", "marts.order_facts",
                   "marts.product_customer_monthly", "marts.customer_periods"]  # order_facts: one row per order;
# product_customer_monthly: product x customer x month; customer_periods: customer x calendar period


def scale(src: Path, out: Path, factor: int) -> None:
    out.unlink(missing_ok=True)
    shutil.copy(src, out)
    with duckdb.connect(str(out)) as con:
        for t in CUSTOMER_TABLES:
            if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema || '.' || table_name = ?",
                           [t]).fetchone()[0] == 0:
                continue
            order = " ORDER BY country, order_date" if t == "marts.order_facts" else ""  # as the mart is sorted
            con.execute(f"CREATE TABLE {t}_big AS SELECT * REPLACE (customer_id || CASE WHEN r = 0 THEN '' ELSE "
                        f"'-' || r END AS customer_id) FROM {t}, range({factor}) AS g(r){order}")
            con.execute(f"DROP TABLE {t}")
            con.execute(f"ALTER TABLE {t}_big RENAME TO {t.split('.')[1]}")
        # the marts that count customers per calendar period: every copy is a disjoint set of customers who buy alike,
        # so each count (and each sum) is `factor` times the original, as a rebuild from the copies would give
        for t, columns in (("marts.product_buyers", ["buyers"]), ("marts.period_customers", ["customers", "revenue"])):
            if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema || '.' || table_name = ?",
                           [t]).fetchone()[0]:
                con.execute(f"UPDATE {t} SET " + ", ".join(f"{c} = {c} * {factor}" for c in columns))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--published")
    ap.add_argument("--scale-from")
    ap.add_argument("--factor", type=int, default=500)
    ap.add_argument("--out", default="/tmp/qa_bench.duckdb")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    db = Path(args.published) if args.published else Path(args.out)
    if args.scale_from:
        t = time.perf_counter()
        scale(Path(args.scale_from), db, args.factor)
        print(f"scaled copy built in {time.perf_counter() - t:.1f}s")
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]
    t = time.perf_counter()
    engine = Engine(db, index_dir=Path(args.out).with_suffix(".idx"), use_embeddings=False)
    print(f"{n:,} customers; engine loaded in {time.perf_counter() - t:.2f}s")
    times = {q: [] for q in QUESTIONS}
    for _ in range(args.repeats):
        session = Session()
        for q in QUESTIONS:
            t = time.perf_counter()
            engine.ask(q, session)
            times[q].append((time.perf_counter() - t) * 1000)
    flat = sorted(x for v in times.values() for x in v[1:] or v)
    for q, v in times.items():
        print(f"  {statistics.median(v):8.1f} ms  {q}")
    p50 = statistics.median(flat)
    p95 = flat[min(len(flat) - 1, int(0.95 * len(flat)))]
    print(f"per question over {len(flat)} asks (first pass excluded): p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
