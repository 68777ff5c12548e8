"""The synthetic generator: contract conformance, determinism, planted truths and realism."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cip_assets.ingest import synthetic
from cip_assets.ingest.contract import CHANNELS, EVENT_TYPES, LOADER_COLUMNS, RAW_TABLES, STATUSES

DUCK_TO_ARROW = {
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "JSON": pa.string(),
}
RAW = ("customers", "order_lines", "events", "feedback", "campaign_exposures")
SMALL = dict(customers=2500, seed=7, chunk_customers=1000)  # 3 chunks: ids must continue across them


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    synthetic.generate(out, **SMALL)
    return out


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> Path:
    """More customers, fewer lines each and no events: enough exposures to see the uplift."""
    out = tmp_path_factory.mktemp("campaign")
    synthetic.generate(out, customers=30_000, seed=11, with_events=False, lines_per_customer=4)
    return out


def _con(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in [*RAW, "truth/customers_truth", "truth/feedback_truth"]:
        if (out / name).is_dir():
            con.execute(f"CREATE VIEW {name.split('/')[-1]} AS SELECT * FROM read_parquet('{out / name}/*.parquet')")
    return con


def _one(con, sql):
    return con.execute(sql).fetchone()


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- determinism --------------------------------------------------------------------------------
def test_same_seed_gives_identical_output(small, tmp_path):
    again = tmp_path / "again"
    synthetic.generate(again, **SMALL)
    for name in RAW + ("truth/customers_truth", "truth/feedback_truth"):
        a = pq.read_table(small / name)
        b = pq.read_table(again / name)
        assert a.num_rows > 0, name
        assert a.equals(b), name
    assert _files(small) == _files(again)  # byte for byte, manifest included


def test_other_seed_differs(small, tmp_path):
    other = tmp_path / "other"
    synthetic.generate(other, **{**SMALL, "seed": 8})
    for name in ("customers", "order_lines", "feedback"):
        assert not pq.read_table(small / name).equals(pq.read_table(other / name)), name


def test_rerun_replaces_stale_parts(tmp_path):
    synthetic.generate(tmp_path, customers=1500, seed=1, chunk_customers=500)
    manifest = synthetic.generate(tmp_path, customers=1500, seed=1, chunk_customers=1500, with_events=False)
    assert len(list((tmp_path / "order_lines").glob("*.parquet"))) == 1
    assert not (tmp_path / "events").exists() and "events" not in manifest["rows"]


# --- the contract -------------------------------------------------------------------------------
@pytest.mark.parametrize("table", RAW)
def test_columns_and_types_match_contract(small, table):
    expected = [(c, DUCK_TO_ARROW[t]) for c, t in RAW_TABLES[table].columns.items() if c not in LOADER_COLUMNS]
    parts = sorted((small / table).glob("part-*.parquet"))
    assert len(parts) == 3
    for part in parts:
        schema = pq.read_schema(part)
        assert [(f.name, f.type) for f in schema] == expected, part


def test_keys_are_unique_and_required_columns_present(small):
    con = _con(small)
    for table in ("customers", "order_lines", "feedback", "campaign_exposures"):
        key = ", ".join(RAW_TABLES[table].key)
        dupes = _one(con, f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)")[0]
        assert dupes == 0, table
    for table in RAW:
        for col in RAW_TABLES[table].required:
            assert _one(con, f"SELECT count(*) FROM {table} WHERE {col} IS NULL")[0] == 0, (table, col)
    # line_no runs 1..n inside each order
    bad = _one(con, "SELECT count(*) FROM (SELECT order_id FROM order_lines GROUP BY order_id "
                    "HAVING min(line_no) <> 1 OR max(line_no) <> count(*) OR max(line_no) > 6)")[0]
    assert bad == 0
    assert _one(con, "SELECT min(customer_id), max(customer_id) FROM customers") == ("C0000001", "C0002500")


def test_categorical_values_are_allowed(small):
    con = _con(small)
    statuses = dict(con.execute("SELECT status, count(*) FROM order_lines GROUP BY 1").fetchall())
    assert set(statuses) == set(STATUSES)
    total = sum(statuses.values())
    assert 0.01 < statuses["cancelled"] / total < 0.035
    assert 0.015 < statuses["returned"] / total < 0.05
    assert {r[0] for r in con.execute("SELECT DISTINCT event_type FROM events").fetchall()} == set(EVENT_TYPES)
    assert {r[0] for r in con.execute("SELECT DISTINCT channel FROM feedback").fetchall()} == set(CHANNELS)
    discounts = {r[0] for r in con.execute("SELECT DISTINCT discount_pct FROM order_lines").fetchall()}
    assert discounts == {0.0, 5.0, 10.0, 20.0}
    assert _one(con, "SELECT avg((discount_pct = 0)::INT) FROM order_lines")[0] > 0.7
    assert _one(con, "SELECT count(DISTINCT product_id), count(DISTINCT category) FROM order_lines") > (400, 7)
    assert _one(con, "SELECT min(quantity) FROM order_lines")[0] >= 1
    anon = _one(con, "SELECT avg((customer_id IS NULL)::INT) FROM order_lines")[0]
    assert 0 < anon < 0.02
    assert _one(con, "SELECT count(*) FROM feedback WHERE NOT json_valid(attributes)")[0] == 0
    assert _one(con, "SELECT count(*) FROM campaign_exposures WHERE NOT json_valid(attributes)")[0] == 0


def test_manifest_row_counts_match_files(small):
    manifest = _manifest(small)
    assert manifest["seed"] == SMALL["seed"] and manifest["chunks"] == 3
    for name, rows in manifest["rows"].items():
        assert pq.read_table(small / name).num_rows == rows, name
    assert set(manifest["rows"]) == {*RAW, "truth/customers_truth", "truth/feedback_truth"}
    assert manifest["rows"]["customers"] == SMALL["customers"]


def test_malformed_rows_exist_and_are_exactly_the_counted_ones(small):
    """Every hard rule of the contract holds, except on the planted rows the manifest counts."""
    con = _con(small)
    malformed = _manifest(small)["malformed"]
    neg = _one(con, "SELECT count(*) FROM order_lines WHERE unit_price < 0")[0]
    future = _one(con, "SELECT count(*) FROM order_lines WHERE year(ordered_at) = 2099")[0]
    rating = _one(con, "SELECT count(*) FROM feedback WHERE rating = 7")[0]
    assert neg == malformed["order_lines"]["negative_unit_price"] >= 1
    assert future == malformed["order_lines"]["future_ordered_at"] >= 1
    assert rating == malformed["feedback"]["rating_out_of_range"] >= 1
    lines = _manifest(small)["rows"]["order_lines"]
    assert (neg + future) / lines < 0.002
    planted = {"order_lines": neg + future, "feedback": rating}
    for table in RAW:
        broken = " OR ".join(f"NOT coalesce(({rule}), false)" for rule, _ in RAW_TABLES[table].rules)
        n = _one(con, f"SELECT count(*) FROM {table} WHERE {broken}")[0]
        assert n == planted.get(table, 0), table


# --- planted structure --------------------------------------------------------------------------
def test_review_ratings_follow_text_sentiment(small):
    con = _con(small)
    def mean_rating(openers):
        like = " OR ".join(f"starts_with(text, '{p}')" for p, _ in openers)
        return _one(con, f"SELECT avg(rating), count(*) FROM feedback WHERE channel = 'review' AND rating <= 5 "
                         f"AND ({like})")
    pos, n_pos = mean_rating(synthetic.REVIEW_OPENERS["positive"])
    neg, n_neg = mean_rating(synthetic.REVIEW_OPENERS["negative"])
    assert n_pos > 100 and n_neg > 50
    assert pos > 4.2 and neg < 2.3 and pos - neg > 2
    reviews = _one(con, "SELECT count(*) FROM feedback WHERE channel = 'review'")[0]
    assert 0.10 < reviews / _manifest(small)["rows"]["order_lines"] < 0.20
    # apparel and shoes reviews talk about size and fit, electronics never do
    fit = dict(con.execute("""SELECT category, avg((aspect = 'size and fit')::INT) FROM feedback
                               JOIN feedback_truth USING (feedback_id) WHERE channel = 'review'
                               GROUP BY 1""").fetchall())
    assert fit["Shoes"] > 0.2 and fit["Electronics"] == 0


def test_support_messages_cluster_before_churn(small):
    con = _con(small)
    near, far = con.execute("""
        SELECT avg((f.created_at >= t.churned_at - INTERVAL 45 DAY)::INT) FILTER (WHERE t.churned_at IS NOT NULL),
               count(*) FILTER (WHERE t.churned_at IS NULL)
        FROM feedback f JOIN customers_truth t USING (customer_id) WHERE channel = 'support'""").fetchone()
    assert near > 0.5 and far > 0


def test_no_completed_order_after_true_churn(small):
    con = _con(small)
    churned = _one(con, "SELECT count(churned_at) FROM customers_truth")[0]
    assert churned > 200
    after = _one(con, """SELECT count(*) FROM order_lines o JOIN customers_truth t USING (customer_id)
                         WHERE o.status = 'completed' AND year(o.ordered_at) < 2099 AND o.ordered_at > t.churned_at""")
    assert after[0] == 0
    before_seen = _one(con, """SELECT count(*) FROM order_lines o JOIN customers c USING (customer_id)
                               WHERE o.ordered_at < c.first_seen_at""")
    assert before_seen[0] == 0
    # churners order less often in their final months than the hazard-free average would suggest: the
    # stop is visible in the data (last order before the end of the window)
    gap = _one(con, """SELECT avg(date_diff('day', last, TIMESTAMP '2024-12-31')) FILTER (WHERE churned),
                              avg(date_diff('day', last, TIMESTAMP '2024-12-31')) FILTER (WHERE NOT churned)
                       FROM (SELECT t.churned_at IS NOT NULL AS churned, max(o.ordered_at) AS last
                             FROM order_lines o JOIN customers_truth t USING (customer_id)
                             WHERE year(o.ordered_at) < 2099 GROUP BY customer_id, churned)""")
    assert gap[0] > 2 * gap[1]


def test_orders_peak_in_november_and_december(small):
    con = _con(small)
    for year in (2023, 2024):
        peak, year_avg, autumn = con.execute(f"""
            WITH daily AS (SELECT ordered_at::DATE AS d, count(DISTINCT order_id) AS n FROM order_lines
                           WHERE year(ordered_at) = {year} GROUP BY 1)
            SELECT avg(n) FILTER (WHERE month(d) >= 11), sum(n) / 365.0,
                   avg(n) FILTER (WHERE month(d) IN (9, 10)) FROM daily""").fetchone()
        assert peak > 1.2 * year_avg and peak > 1.2 * autumn, year
    by_hour = dict(con.execute("SELECT hour(ordered_at), count(*) FROM order_lines GROUP BY 1").fetchall())
    assert by_hour[20] > 3 * by_hour[3]


def test_events_surround_orders(small):
    con = _con(small)
    events, lines = _one(con, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM order_lines)")
    assert 3 <= events / lines <= 10
    # every purchase event matches an order line of the same customer, product and time
    unmatched = _one(con, """SELECT count(*) FROM events e WHERE event_type = 'purchase' AND NOT EXISTS (
                               SELECT 1 FROM order_lines o WHERE o.customer_id = e.customer_id
                               AND o.product_id = e.product_id AND o.ordered_at = e.event_at)""")[0]
    purchases = _one(con, "SELECT count(*) FROM events WHERE event_type = 'purchase'")[0]
    assert unmatched <= 0.002 * purchases  # only lines moved to 2099 on purpose
    assert _one(con, "SELECT count(DISTINCT session_id) FROM events")[0] > 1000


def test_lines_per_customer_knob(campaign):
    manifest = _manifest(campaign)
    per_customer = manifest["rows"]["order_lines"] / manifest["rows"]["customers"]
    assert 4 * 0.85 < per_customer < 4 * 1.15
    assert "events" not in manifest["rows"] and not (campaign / "events").exists()


def test_campaign_uplift_matches_truth(campaign):
    """The randomised arms recover the mean true effect of each discount (within 3.5 standard errors)."""
    con = _con(campaign)
    exposed = _one(con, "SELECT count(*) FROM campaign_exposures")[0]
    eligible = _one(con, "SELECT count(*) FROM customers_truth WHERE campaign_eligible")[0]
    assert 0.25 < exposed / eligible < 0.35
    rows = con.execute("""SELECT arm, count(*), avg(converted::INT), avg(t.effect_5), avg(t.effect_10),
                                 avg(t.effect_20), bool_and(is_control = (arm = 'control')),
                                 bool_and(spend = 0 OR converted), bool_and(visited OR NOT converted)
                          FROM campaign_exposures JOIN customers_truth t USING (customer_id) GROUP BY arm""").fetchall()
    by_arm = {r[0]: r for r in rows}
    assert set(by_arm) == {"control", "discount_5", "discount_10", "discount_20"}
    assert all(r[6] and r[7] and r[8] for r in rows)
    n0, p0 = by_arm["control"][1], by_arm["control"][2]
    truth_all = _one(con, """SELECT avg(effect_5), avg(effect_10), avg(effect_20)
                             FROM campaign_exposures JOIN customers_truth USING (customer_id)""")
    assert truth_all[0] < truth_all[1] < truth_all[2] and truth_all[2] > 0.03
    for i, arm in enumerate(("discount_5", "discount_10", "discount_20")):
        n1, p1 = by_arm[arm][1], by_arm[arm][2]
        assert abs(n1 - n0) < 0.15 * n0  # uniform randomisation
        observed = p1 - p0
        se = math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
        assert abs(observed - truth_all[i]) < 3.5 * se, (arm, observed, truth_all[i], se)
    assert by_arm["discount_20"][2] > by_arm["control"][2]
    # heterogeneity: discount-affine customers gain more than the others
    hi, lo = _one(con, """SELECT avg(effect_20) FILTER (WHERE discount_affinity > 0.25),
                                 avg(effect_20) FILTER (WHERE discount_affinity < 0.08) FROM customers_truth""")
    assert hi > lo + 0.03
