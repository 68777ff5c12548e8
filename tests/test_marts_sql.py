"""dbt marts checked against figures computed independently in plain Python.

Each scenario loads hand-made rows into the canonical raw tables of a fresh DuckDB file
(ensure_raw_schema), runs one `dbt build` in-process (models + seeds + every dbt test), and the
tests compare the marts with what this file computes on its own from the same rows.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from cip_assets.ingest.contract import ensure_raw_schema

dbt_main = pytest.importorskip("dbt.cli.main")

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
MARTS = [
    "customer_rfm",
    "customer_360",
    "cohort_retention",
    "daily_kpis",
    "weekly_kpis",
    "monthly_kpis",
    "revenue_pareto",
    "product_affinity",
    "funnel_daily",
    "activity_heatmap",
    "geo_summary",
]

# --------------------------------------------------------------------------------------------
# hand-made data
# --------------------------------------------------------------------------------------------
# order_id -> (customer_id, ordered_at, [(product_id, category, quantity, unit_price, discount_pct, status)])
ORDERS: dict[str, tuple[str | None, str, list[tuple]]] = {
    # c01: the worked example (see test_rfm_known_customer)
    "o01": ("c01", "2024-01-10 10:00", [
        ("P1", "toys", 2, 10.0, None, "completed"),    # 20
        ("P2", "books", 1, 50.0, 10.0, "completed"),   # 45 after 10% discount
        ("P3", "toys", 1, 30.0, None, "cancelled"),    # counts for nothing
    ]),
    "o02": ("c01", "2024-03-01 11:00", [("P1", "toys", 1, 10.0, None, "returned")]),  # -10, not an order
    "o03": ("c01", "2024-03-20 12:00", [("P2", "books", 2, 50.0, None, "completed")]),  # 100
    "o04": ("c02", "2024-01-15 09:00", [
        ("P1", "toys", 1, 10.0, None, "completed"),
        ("P4", "games", 1, 40.0, None, "completed"),
    ]),
    "o05": ("c02", "2024-02-20 09:30", [("P1", "toys", 3, 10.0, 0.0, "completed")]),
    "o06": ("c03", "2023-12-20 23:00", [("P5", "books", 1, 200.0, None, "completed")]),  # churned (>= 90 days)
    "o07": ("c04", "2024-02-05 14:00", [
        ("P1", "toys", 1, 10.0, None, "completed"),
        ("P4", "games", 1, 40.0, None, "completed"),
    ]),
    "o08": ("c04", "2024-03-05 14:00", [("P4", "games", 1, 40.0, None, "completed")]),
    "o09": ("c05", "2024-02-10 16:00", [
        ("P2", "books", 1, 50.0, None, "completed"),
        ("P1", "toys", 1, 10.0, None, "completed"),
    ]),
    "o10": ("c06", "2024-02-11 10:00", [("P3", "toys", 1, 30.0, None, "cancelled")]),  # never a buyer
    "o11": ("c07", "2024-03-10 10:00", [
        ("P1", "toys", 1, 10.0, None, "completed"),
        ("P4", "games", 1, 40.0, None, "completed"),
    ]),
    "o12": ("c07", "2024-03-31 08:00", [("P5", "books", 1, 200.0, None, "completed")]),
    "o13": ("c08", "2024-03-15 13:00", [
        ("P1", "toys", 2, 10.0, None, "completed"),
        ("P2", "books", 1, 50.0, None, "completed"),
    ]),
    "o14": ("c09", "2024-01-20 18:00", [("P6", "games", 5, 100.0, 20.0, "completed")]),  # 400
    "o15": ("c09", "2024-02-21 18:00", [("P6", "games", 1, 100.0, None, "completed")]),
    "o16": ("c09", "2024-03-21 18:00", [("P6", "games", 1, 100.0, None, "completed")]),
    "o17": ("c10", "2024-03-31 09:00", [  # last day in the data -> default as_of 2024-03-31
        ("P1", "toys", 1, 10.0, None, "completed"),
        ("P4", "games", 1, 40.0, None, "completed"),
    ]),
    "o18": (None, "2024-03-15 15:00", [  # anonymous: revenue and orders yes, customer never
        ("P1", "toys", 1, 10.0, None, "completed"),
        ("P4", "games", 1, 40.0, None, "completed"),
    ]),
    "o19": (None, "2024-03-15 16:00", [("P3", "toys", 1, 30.0, None, "cancelled")]),
    "o20": ("c05", "2024-03-25 10:00", [("P2", "books", 1, 50.0, None, "returned")]),  # returns-only month
}
CUSTOMERS = [  # customer_id, first_seen_at, country, city, age, gender, source
    ("c01", "2023-11-01 00:00", "DE", "Berlin", 34, "f", "crm"),
    ("c02", None, "DE", "Hamburg", 51, "m", "crm"),
    ("c03", "2023-12-01 00:00", "FR", "Paris", 28, "f", "crm"),
    ("c04", None, "DE", None, None, None, "crm"),
    ("c05", None, "FR", None, None, None, "crm"),
    ("c11", "2024-03-01 00:00", "FR", "Lyon", 40, "m", "crm"),  # profile only, no orders
]
FEEDBACK = [  # feedback_id, customer_id, channel, rating, text
    ("f1", "c01", "review", 4.0, "good"),
    ("f2", "c01", "review", 5.0, "great"),
    ("f3", "c01", "support", None, "where is my parcel"),
    ("f4", "c12", "review", 2.0, "meh"),  # feedback only
    ("f5", None, "review", 3.0, "anonymous"),
]
CAMPAIGNS = [("k1", "c01"), ("k2", "c01"), ("k1", "c02")]
LABELS = [("c13", True)]  # label only
EVENTS = [  # event_at, event_type, category
    *[("2024-03-01 10:00", "view", "toys")] * 4,
    *[("2024-03-01 10:05", "cart", "toys")] * 2,
    ("2024-03-01 10:06", "remove_from_cart", "toys"),
    ("2024-03-01 10:10", "purchase", "toys"),
    ("2024-03-01 11:00", "view", "books"),
    ("2024-03-02 09:00", "cart", None),
]


def _ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _load_raw(db_path: Path, *, with_rows: bool) -> None:
    con = duckdb.connect(str(db_path))
    try:
        ensure_raw_schema(con)
        if not with_rows:
            return
        for order_id, (customer_id, ordered_at, lines) in ORDERS.items():
            for line_no, (product_id, category, qty, price, disc, status) in enumerate(lines, start=1):
                con.execute(
                    "insert into raw.order_lines values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test', now())",
                    [order_id, line_no, customer_id, _ts(ordered_at), product_id, f"name {product_id}",
                     category, qty, price, disc, status],
                )
        for cid, seen, country, city, age, gender, source in CUSTOMERS:
            con.execute("insert into raw.customers values (?, ?, ?, ?, ?, ?, ?, now())",
                        [cid, _ts(seen), country, city, age, gender, source])
        for fid, cid, channel, rating, text in FEEDBACK:
            con.execute(
                "insert into raw.feedback values (?, ?, null, null, timestamp '2024-03-01', ?, ?, null, ?, ?, 'test', now())",
                [fid, cid, channel, rating, text, json.dumps({})],
            )
        for campaign_id, cid in CAMPAIGNS:
            con.execute(
                "insert into raw.campaign_exposures"
                " values (?, ?, 'treatment', false, 10, null, null, null, null, null, 'test', now())",
                [campaign_id, cid],
            )
        for cid, churned in LABELS:
            con.execute("insert into raw.customer_labels values (?, ?, null, null, 'test', now())", [cid, churned])
        for event_at, event_type, category in EVENTS:
            con.execute(
                "insert into raw.events (event_at, event_type, customer_id, session_id, product_id, category, brand, price, "
                "source) values (?, ?, null, 's1', null, ?, null, null, 'test')",
                [_ts(event_at), event_type, category],
            )
    finally:
        con.close()


def _dbt(db_path: Path, work: Path, *args: str) -> None:
    """Run one dbt command in-process against db_path; fail the test on any error or failing dbt test."""
    argv = [
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIP_DUCKDB_PATH", str(db_path))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        res = dbt_main.dbtRunner().invoke(argv)
    assert res.exception is None, res.exception
    bad = [
        (r.node.name, str(r.status), r.message)
        for r in (res.result.results if res.result is not None else [])
        if str(r.status) not in ("success", "pass")
    ]
    assert res.success and not bad, f"dbt {args[0]} failed: {bad}"


def _rows(db_path: Path, sql: str) -> list[dict]:
    # not read_only: dbt-duckdb may keep its own read-write handle on the file open in this process,
    # and DuckDB refuses a second in-process connection with a different configuration
    con = duckdb.connect(str(db_path))
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dbt_hand")
    db = work / "warehouse.duckdb"
    _load_raw(db, with_rows=True)
    _dbt(db, work, "build")
    return db


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dbt_empty")
    db = work / "warehouse.duckdb"
    _load_raw(db, with_rows=False)
    _dbt(db, work, "build")
    return db


# --------------------------------------------------------------------------------------------
# independent computations
# --------------------------------------------------------------------------------------------
def _line_amount(qty, price, disc) -> float:
    return qty * price * (1 - (disc or 0) / 100)


def _net_lines(as_of: date | None = None):
    """(order_id, customer_id, ordered_at, product, category, status, signed amount) per line."""
    out = []
    for order_id, (cid, ts, lines) in ORDERS.items():
        at = _ts(ts)
        if as_of is not None and at.date() > as_of:
            continue
        for product, category, qty, price, disc, status in lines:
            amount = _line_amount(qty, price, disc)
            signed = {"completed": amount, "returned": -amount, "cancelled": 0.0}[status]
            out.append((order_id, cid, at, product, category, status, signed))
    return out


def _ntile(sorted_keys: list, n_buckets: int) -> dict:
    """SQL ntile(): the first (n mod k) buckets get one extra row."""
    n = len(sorted_keys)
    base, extra = divmod(n, n_buckets)
    out, i = {}, 0
    for bucket in range(1, n_buckets + 1):
        size = base + (1 if bucket <= extra else 0)
        for key in sorted_keys[i:i + size]:
            out[key] = bucket
        i += size
    return out


SEGMENT_GRID = {  # r_score -> segment for fm_score 1..5 (the documented map)
    5: ["New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"],
    3: ["About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    1: ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
}


def _expected_rfm(as_of: date | None = None) -> dict[str, dict]:
    lines = _net_lines(as_of)
    if as_of is None:
        as_of = max(at for _, _, at, *_ in lines).date()
    stats: dict[str, dict] = defaultdict(lambda: {"orders": set(), "monetary": 0.0, "last": None,
                                                  "cancelled": 0, "returned": 0})
    for order_id, cid, at, _, _, status, signed in lines:
        if cid is None:
            continue
        s = stats[cid]
        s["monetary"] += signed
        s["cancelled"] += status == "cancelled"
        s["returned"] += status == "returned"
        if status == "completed":
            s["orders"].add(order_id)
            s["last"] = max(s["last"] or at, at)
    buyers = {
        cid: {"recency_days": (as_of - s["last"].date()).days, "frequency": len(s["orders"]),
              "monetary": s["monetary"], "cancelled_lines": s["cancelled"], "returned_lines": s["returned"]}
        for cid, s in stats.items() if s["orders"]
    }
    r = _ntile(sorted(buyers, key=lambda c: (-buyers[c]["recency_days"], c)), 5)
    f = _ntile(sorted(buyers, key=lambda c: (buyers[c]["frequency"], c)), 5)
    m = _ntile(sorted(buyers, key=lambda c: (buyers[c]["monetary"], c)), 5)
    for cid, b in buyers.items():
        b.update(as_of=as_of, r_score=r[cid], f_score=f[cid], m_score=m[cid])
        b["rfm_score"] = f"{r[cid]}{f[cid]}{m[cid]}"
        fm = math.floor((f[cid] + m[cid]) / 2 + 0.5)
        b["segment"] = SEGMENT_GRID[r[cid]][fm - 1]
    return buyers


# --------------------------------------------------------------------------------------------
# tests: hand-made data
# --------------------------------------------------------------------------------------------
def test_rfm_known_customer(hand_db):
    (row,) = _rows(hand_db, "select * from marts.customer_rfm where customer_id = 'c01'")
    assert row["as_of"] == date(2024, 3, 31)  # default: last order date in the data
    assert row["recency_days"] == 11  # last completed order 2024-03-20
    assert row["frequency"] == 2  # o01, o03; o02 has only a returned line
    assert row["monetary"] == pytest.approx(20 + 45 - 10 + 100)  # cancelled P3 excluded, return subtracted
    assert row["cancelled_lines"] == 1 and row["returned_lines"] == 1
    # 9 buyers -> ntile(5) buckets of 2,2,2,2,1 (ties by customer_id):
    #   recency, oldest first: [c03 c05] [c02 c04] [c08 c01] [c09 c07] [c10] -> r = 3
    #   frequency, lowest first: [c03 c05] [c08 c10] [c01 c02] [c04 c07] [c09] -> f = 3
    #   monetary, lowest first: [c05 c10] [c08 c02] [c04 c01] [c03 c07] [c09] -> m = 3
    assert (row["r_score"], row["f_score"], row["m_score"]) == (3, 3, 3)
    assert row["rfm_score"] == "333" and row["segment"] == "Need Attention"  # fm = (3 + 3 + 1) // 2 = 3


def test_rfm_matches_python(hand_db):
    expected = _expected_rfm()
    rows = {r["customer_id"]: r for r in _rows(hand_db, "select * from marts.customer_rfm")}
    assert set(rows) == set(expected)  # c06 (only cancelled) and anonymous orders are absent
    for cid, exp in expected.items():
        got = rows[cid]
        for col in ("as_of", "recency_days", "frequency", "cancelled_lines", "returned_lines",
                    "r_score", "f_score", "m_score", "rfm_score", "segment"):
            assert got[col] == exp[col], (cid, col, got[col], exp[col])
        assert got["monetary"] == pytest.approx(exp["monetary"])
        assert got["is_churned"] == (exp["recency_days"] >= 90)


def test_rfm_point_in_time(tmp_path, hand_db):
    """var as_of cuts the history: later orders are ignored for RFM."""
    db = tmp_path / "snapshot.duckdb"
    _load_raw(db, with_rows=True)
    _dbt(db, tmp_path, "build", "--select", "+customer_rfm", "--indirect-selection", "cautious",
         "--vars", "{as_of: '2024-02-29'}")
    expected = _expected_rfm(as_of=date(2024, 2, 29))
    rows = {r["customer_id"]: r for r in _rows(db, "select * from marts.customer_rfm")}
    assert set(rows) == set(expected) == {"c01", "c02", "c03", "c04", "c05", "c09"}
    for cid, exp in expected.items():
        assert (rows[cid]["recency_days"], rows[cid]["frequency"], rows[cid]["rfm_score"], rows[cid]["segment"]) == (
            exp["recency_days"], exp["frequency"], exp["rfm_score"], exp["segment"])
        assert rows[cid]["monetary"] == pytest.approx(exp["monetary"])


def test_segment_map_covers_all_125_combinations(hand_db):
    rows = _rows(hand_db, "select r_score, fm_score, segment from marts.rfm_segment_map")
    by_key = {(r["r_score"], r["fm_score"]): r["segment"] for r in rows}
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                fm = (f + m + 1) // 2
                assert by_key[(r, fm)] == SEGMENT_GRID[r][fm - 1]
    assert {s for segs in SEGMENT_GRID.values() for s in segs} == {
        "Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention",
        "About to Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost"}


def test_cohort_retention_known_answer(hand_db):
    rows = _rows(hand_db, """
        select cohort_month, months_since_first, customers, cohort_size, retained_share, revenue
        from marts.cohort_retention order by 1, 2""")
    got = [(r["cohort_month"].isoformat()[:7], r["months_since_first"], r["customers"], r["cohort_size"],
            round(r["retained_share"], 6), round(r["revenue"], 6)) for r in rows]
    assert got == [
        ("2023-12", 0, 1, 1, 1.0, 200.0),  # c03
        ("2024-01", 0, 3, 3, 1.0, 515.0),  # c01 65 + c02 50 + c09 400
        ("2024-01", 1, 2, 3, round(2 / 3, 6), 130.0),  # c02 30, c09 100
        ("2024-01", 2, 2, 3, round(2 / 3, 6), 190.0),  # c01 100 - 10 returned, c09 100
        ("2024-02", 0, 2, 2, 1.0, 110.0),  # c04 50, c05 60
        ("2024-02", 1, 1, 2, 0.5, -10.0),  # c04 40 active; c05 only returned 50
        ("2024-03", 0, 3, 3, 1.0, 370.0),  # c07 250, c08 70, c10 50
    ]


def test_product_affinity_known_lift(hand_db):
    rows = _rows(hand_db, "select * from marts.product_affinity")
    # completed baskets: every completed order (all have products) = 16; P1 in 9, P4 in 6, together in 5.
    # P2 is in only 4 baskets (< affinity_min_support_orders = 5) so P1-P2 (3 baskets together) is filtered out.
    assert len(rows) == 1
    (row,) = rows
    assert (row["product_a"], row["product_b"]) == ("P1", "P4")
    assert (row["pair_orders"], row["product_a_orders"], row["product_b_orders"], row["total_orders"]) == (5, 9, 6, 16)
    assert row["support"] == pytest.approx(5 / 16)
    assert row["confidence_a_to_b"] == pytest.approx(5 / 9)
    assert row["confidence_b_to_a"] == pytest.approx(5 / 6)
    assert row["lift"] == pytest.approx(5 * 16 / (9 * 6))


def test_product_affinity_counts_match_python(hand_db):
    baskets = defaultdict(set)
    for order_id, _, _, product, _, status, _ in _net_lines():
        if status == "completed":
            baskets[order_id].add(product)
    assert len(baskets) == 16
    assert sum("P1" in b for b in baskets.values()) == 9
    assert sum("P4" in b for b in baskets.values()) == 6
    assert sum({"P1", "P4"} <= b for b in baskets.values()) == 5
    assert sum("P2" in b for b in baskets.values()) == 4


def test_daily_kpis_one_day(hand_db):
    rows = {r["order_date"]: r for r in _rows(hand_db, "select * from marts.daily_kpis")}
    mar15 = rows[date(2024, 3, 15)]  # o13 (c08, new, 70), o18 (anonymous, 50), o19 (anonymous, cancelled)
    assert mar15["revenue"] == pytest.approx(120.0)
    assert (mar15["orders"], mar15["all_orders"], mar15["cancelled_orders"]) == (2, 3, 1)
    assert (mar15["active_customers"], mar15["new_customers"], mar15["returning_customers"]) == (1, 1, 0)
    assert mar15["anonymous_orders"] == 1
    assert mar15["avg_order_value"] == pytest.approx(60.0)
    assert mar15["cancellation_rate"] == pytest.approx(1 / 3)
    mar31 = rows[date(2024, 3, 31)]  # o12 (c07 returning, 200), o17 (c10 new, 50)
    assert (mar31["orders"], mar31["active_customers"]) == (2, 2)
    assert (mar31["new_customers"], mar31["returning_customers"]) == (1, 1)
    assert mar31["revenue"] == pytest.approx(250.0) and mar31["cancellation_rate"] == 0
    # every day with any order line is there, and revenue adds up to the Python total
    days = {_ts(ts).date() for _, ts, _ in ORDERS.values()}
    assert set(rows) == days
    total = sum(signed for *_, signed in _net_lines())
    assert sum(r["revenue"] for r in rows.values()) == pytest.approx(total)


def test_weekly_and_monthly_roll_up(hand_db):
    daily = _rows(hand_db, "select sum(revenue) as r, sum(orders) as o, sum(all_orders) as a from marts.daily_kpis")[0]
    for model in ("weekly_kpis", "monthly_kpis"):
        agg = _rows(hand_db, f"select sum(revenue) as r, sum(orders) as o, sum(all_orders) as a from marts.{model}")[0]
        assert agg["r"] == pytest.approx(daily["r"]) and (agg["o"], agg["a"]) == (daily["o"], daily["a"])
    (march,) = _rows(hand_db, "select * from marts.monthly_kpis where month_start = date '2024-03-01'")
    # March buyers: c01, c04, c07, c08, c09, c10 (c05 only returned); new: c07, c08, c10
    assert (march["active_customers"], march["new_customers"], march["returning_customers"]) == (6, 3, 3)


def test_revenue_pareto_top20_share(hand_db):
    expected = _expected_rfm()
    values = sorted(((-b["monetary"], cid) for cid, b in expected.items()))
    revenues = [-v for v, _ in values]
    total = sum(revenues)
    top_n = math.ceil(0.2 * len(revenues))  # 9 customers -> top 2
    rows = _rows(hand_db, "select * from marts.revenue_pareto order by decile")
    assert [r["decile"] for r in rows] == list(range(1, 10))  # 9 customers -> 9 deciles of 1
    assert rows[0]["top20_revenue_share"] == pytest.approx(sum(revenues[:top_n]) / total)
    assert rows[0]["revenue"] == pytest.approx(revenues[0])
    assert rows[-1]["cumulative_share"] == pytest.approx(1.0)
    assert sum(r["customers"] for r in rows) == len(revenues)


def test_customer_360(hand_db):
    rows = {r["customer_id"]: r for r in _rows(hand_db, "select * from marts.customer_360")}
    assert set(rows) == {f"c{i:02d}" for i in range(1, 14)}  # orders, profiles, feedback, campaigns, labels
    c01 = rows["c01"]
    assert (c01["country"], c01["city"], c01["age"]) == ("DE", "Berlin", 34)
    assert c01["lifetime_orders"] == 2 and c01["lifetime_revenue"] == pytest.approx(155.0)
    assert c01["avg_order_value"] == pytest.approx(77.5)
    assert c01["tenure_days"] == (date(2024, 3, 31) - date(2023, 11, 1)).days  # first_seen before first order
    assert c01["return_rate"] == pytest.approx(1 / 5) and c01["cancel_rate"] == pytest.approx(1 / 5)
    assert c01["favourite_category"] == "books"  # books 145 vs toys 20 - 10
    assert (c01["review_count"], c01["avg_rating"], c01["support_contacts"]) == (2, 4.5, 1)
    assert c01["campaigns_exposed"] == 2
    assert c01["segment"] == "Need Attention"
    c06 = rows["c06"]  # only a cancelled order
    assert c06["lifetime_orders"] == 0 and c06["segment"] is None and c06["cancel_rate"] == 1.0
    assert rows["c13"]["is_churned_label"] is True and rows["c12"]["review_count"] == 1
    assert rows["c09"]["tenure_days"] == (date(2024, 3, 31) - date(2024, 1, 20)).days
    assert rows["c09"]["favourite_category"] == "games"


def test_geo_summary(hand_db):
    rows = {r["country"]: r for r in _rows(hand_db, "select * from marts.geo_summary")}
    assert set(rows) == {"DE", "FR", "(unknown)"}
    fr = rows["FR"]  # c03 (churned: last order 2023-12-20, 102 days), c05, c11 (no orders)
    assert (fr["customers"], fr["customers_with_orders"], fr["churned_customers"]) == (3, 2, 1)
    assert fr["churned_share"] == pytest.approx(0.5)
    assert fr["revenue"] == pytest.approx(200 + 10)
    assert rows["DE"]["churned_customers"] == 0


def test_funnel_daily(hand_db):
    rows = {(r["event_date"], r["category"]): r for r in _rows(hand_db, "select * from marts.funnel_daily")}
    toys = rows[(date(2024, 3, 1), "toys")]
    assert (toys["views"], toys["carts"], toys["cart_removals"], toys["purchases"]) == (4, 2, 1, 1)
    assert toys["view_to_cart_rate"] == pytest.approx(0.5)
    assert toys["cart_to_purchase_rate"] == pytest.approx(0.5)
    assert toys["view_to_purchase_rate"] == pytest.approx(0.25)
    unknown = rows[(date(2024, 3, 2), "(unknown)")]
    assert unknown["view_to_cart_rate"] is None and unknown["cart_to_purchase_rate"] == 0


def test_activity_heatmap(hand_db):
    rows = _rows(hand_db, "select * from marts.activity_heatmap")
    completed_orders = {o for o, (_, _, lines) in ORDERS.items() if any(line[-1] == "completed" for line in lines)}
    assert sum(r["orders"] for r in rows) == len(completed_orders)
    cell = {(r["weekday"], r["hour"]): r for r in rows}[(4, 15)]  # Friday 2024-03-15 15:00: o18
    assert cell["orders"] == 1 and cell["revenue"] == pytest.approx(50.0) and cell["weekday_name"] == "Fri"


# --------------------------------------------------------------------------------------------
# tests: empty raw tables
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mart", MARTS)
def test_empty_raw_builds_empty_marts(empty_db, mart):
    assert _rows(empty_db, f"select count(*) as n from marts.{mart}")[0]["n"] == 0
