"""Day two for the incremental models: new events (one of them late, in the middle of a visitor's history)
re-sessionise only the visitors they belong to; new order lines (a new day, a line added to an old order, an
order older than a customer's first) rebuild only their orders and periods; every result equals a full rebuild
of the same raw rows."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from cip_resources.engine import rows_differing
from conftest import write_config

pytestmark = pytest.mark.engines  # make test-engines

SESSION_MODELS = ("intermediate.int_sessionised_events", "marts.event_sessions")
ORDER_MODELS = ("intermediate.int_orders", "marts.daily_kpis", "marts.weekly_kpis", "marts.monthly_kpis",
                "intermediate.int_product_months", "marts.product_sales_monthly", "intermediate.int_product_days",
                "marts.product_sales_daily", "intermediate.int_product_country_months",
                "marts.product_country_monthly", "marts.product_customer_monthly",
                "intermediate.int_product_buyer_months", "marts.product_buyers", "marts.order_facts",
                "marts.customer_periods", "marts.period_customers",
                "intermediate.int_product_label_months", "intermediate.int_basket_product_months",
                "intermediate.int_basket_pair_months", "marts.product_affinity",
                "marts.funnel_daily", "intermediate.int_customer_category_prices")
# columns saying when or against what a row was written, not what it holds
WRITTEN_WHEN = {"marts.order_facts": "refreshed_at", "intermediate.int_customer_category_prices": "repeat_horizon"}


def build_marts(home, full_refresh: bool = False, marts=("event_sessions",)) -> dg.ExecuteInProcessResult:
    from cip_assets.ingest.assets import ingest_assets
    from cip_assets.marts.assets import cip_dbt_assets
    from cip_resources.config import CipSettings
    from cip_resources.dbt import dbt_resource
    from cip_resources.warehouse import WarehouseResource

    keys = (dg.AssetKey(m.split("/") if "/" in m else ["marts", m]) for m in marts)  # "intermediate/<model>" too
    selection = dg.AssetSelection.keys(*keys).upstream()
    return dg.materialize(
        [*ingest_assets, cip_dbt_assets], selection=selection,
        run_config={"ops": {"cip_dbt_assets": {"config": {"full_refresh": full_refresh}}}},
        resources={"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")), "settings": CipSettings(),
                   "dbt": dbt_resource()})


def test_new_events_resessionise_only_their_visitors_and_match_a_full_rebuild(cip_home, tmp_path, monkeypatch):
    config = write_config(tmp_path / "conf", [{"name": "synthetic", "adapter": "synthetic", "customers": 300,
                                               "seed": 5}])
    monkeypatch.setenv("CIP_CONFIG", str(config))
    assert build_marts(cip_home).success
    warehouse = cip_home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        visitors = con.execute("SELECT count(DISTINCT visitor_id) FROM intermediate.int_sessionised_events").fetchone()[0]
        # a day of new events for ten customers, and one late event in the middle of another customer's history
        con.execute("""
            INSERT INTO raw.events BY NAME
            SELECT * REPLACE (event_at + INTERVAL 1 DAY AS event_at, 'day2-' || event_key AS event_key,
                              now()::TIMESTAMP AS loaded_at)
            FROM raw.events WHERE customer_id IN (
                SELECT DISTINCT customer_id FROM raw.events WHERE customer_id IS NOT NULL ORDER BY 1 LIMIT 10)
            UNION ALL
            SELECT * REPLACE (event_at + INTERVAL 7 MINUTE AS event_at, 'late-' || event_key AS event_key,
                              now()::TIMESTAMP AS loaded_at)
            FROM (SELECT * FROM raw.events WHERE customer_id IS NOT NULL ORDER BY customer_id DESC, event_at LIMIT 1
                  OFFSET 3)""")
        touched = con.execute("SELECT count(DISTINCT customer_id) FROM raw.events "
                              "WHERE event_key LIKE 'day2-%' OR event_key LIKE 'late-%'").fetchone()[0]
    assert touched == 11

    assert build_marts(cip_home).success  # the nightly build: incremental
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(cip_home, rebuilt)
    monkeypatch.setenv("CIP_DUCKDB_PATH", str(rebuilt / "warehouse.duckdb"))
    assert build_marts(rebuilt, full_refresh=True).success

    with duckdb.connect(str(warehouse), read_only=True) as con:
        changed = con.execute("""
            SELECT count(DISTINCT visitor_id) FROM intermediate.int_sessionised_events
            WHERE sessionised_at = (SELECT max(sessionised_at) FROM intermediate.int_sessionised_events)""").fetchone()[0]
        assert changed == touched < visitors  # only the visitors with new events were re-sessionised
        con.execute(f"ATTACH '{rebuilt / 'warehouse.duckdb'}' AS rebuilt (READ_ONLY)")
        for model in SESSION_MODELS:
            rows = con.execute(f"SELECT count(*) FROM {model}").fetchone()[0]
            assert rows == con.execute(f"SELECT count(*) FROM rebuilt.{model}").fetchone()[0], model
            assert rows_differing(con, f"(SELECT * EXCLUDE (sessionised_at) FROM {model})",
                                  f"(SELECT * EXCLUDE (sessionised_at) FROM rebuilt.{model})") == 0, model
        late = con.execute("SELECT count(*) FROM intermediate.int_sessionised_events "
                           "WHERE event_key LIKE 'late-%'").fetchone()[0]
        assert late == 1


def test_new_order_lines_rebuild_only_their_orders_and_periods_and_match_a_full_rebuild(cip_home, tmp_path,
                                                                                         monkeypatch):
    config = write_config(tmp_path / "conf", [{"name": "synthetic", "adapter": "synthetic", "customers": 300,
                                               "seed": 7}])
    monkeypatch.setenv("CIP_CONFIG", str(config))
    marts = ("daily_kpis", "weekly_kpis", "monthly_kpis", "funnel_daily", "product_sales_monthly", "product_sales_daily",
             "product_country_monthly",
             "product_customer_monthly", "product_buyers", "order_facts", "period_customers", "product_affinity",
             "intermediate/int_customer_category_prices")
    assert build_marts(cip_home, marts=marts).success
    warehouse = cip_home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        days_before = con.execute("SELECT count(*) FROM marts.daily_kpis").fetchone()[0]
        con.execute("""
            CREATE TEMP TABLE day2 AS  -- the last day's orders again, a day later, under new ids
            SELECT * REPLACE ('d2-' || order_id AS order_id, ordered_at + INTERVAL 1 DAY AS ordered_at)
            FROM raw.order_lines WHERE ordered_at::DATE = (SELECT max(ordered_at)::DATE FROM raw.order_lines);
            CREATE TEMP TABLE extra_line AS  -- a return added to an order of a month long closed
            SELECT * REPLACE (line_no + 100 AS line_no, 'returned' AS status)
            FROM raw.order_lines WHERE status = 'completed' ORDER BY ordered_at, order_id, line_no LIMIT 1 OFFSET 50;
            CREATE TEMP TABLE earlier AS  -- an order placed 40 days before a customer's first, delivered late
            SELECT * REPLACE ('late-' || order_id AS order_id, ordered_at - INTERVAL 40 DAY AS ordered_at)
            FROM raw.order_lines WHERE order_id = (
                SELECT arg_max(order_id, ordered_at) FROM (
                    SELECT order_id, ordered_at FROM raw.order_lines WHERE status = 'completed' AND customer_id IS NOT NULL
                    QUALIFY ordered_at = min(ordered_at) OVER (PARTITION BY customer_id)));
            INSERT INTO raw.order_lines BY NAME
            SELECT * REPLACE (now()::TIMESTAMP AS loaded_at) FROM (
                SELECT * FROM day2 UNION ALL SELECT * FROM extra_line UNION ALL SELECT * FROM earlier);
            UPDATE raw.customers SET country = 'Iceland', loaded_at = now()  -- moved, without a new order
            WHERE customer_id = (SELECT min(customer_id) FROM raw.order_lines WHERE customer_id IS NOT NULL);
            INSERT INTO raw.events BY NAME  -- and a day of events
            SELECT * REPLACE (event_at + INTERVAL 1 DAY AS event_at, 'd2-' || event_key AS event_key,
                              now()::TIMESTAMP AS loaded_at)
            FROM raw.events WHERE event_at::DATE = (SELECT max(event_at)::DATE FROM raw.events)""")

    assert build_marts(cip_home, marts=marts).success  # the nightly build: incremental
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(cip_home, rebuilt)
    monkeypatch.setenv("CIP_DUCKDB_PATH", str(rebuilt / "warehouse.duckdb"))
    assert build_marts(rebuilt, full_refresh=True, marts=marts).success

    with duckdb.connect(str(warehouse), read_only=True) as con:
        newest = "(SELECT max(loaded_at) FROM raw.order_lines)"
        rebuilt_days = con.execute(f"SELECT count(*) FROM marts.daily_kpis WHERE loaded_at = {newest}").fetchone()[0]
        # the new day, the closed order's day and the late order's day; not the other days
        assert 2 <= rebuilt_days <= 3 and days_before > 30
        # buyers: the months with a newly loaded line carry the new load, a few of the months
        recounted_months, months = con.execute(f"""SELECT count(*) FILTER (WHERE newest = {newest}), count(*) FROM (
            SELECT month_start, max(loaded_at) AS newest FROM intermediate.int_product_buyer_months GROUP BY 1)""").fetchone()
        assert 0 < recounted_months <= months // 2, (recounted_months, months)
        # baskets: only the months of the new and changed orders were recounted
        recounted_months, months = con.execute(f"""SELECT count(*) FILTER (WHERE newest = {newest}), count(*) FROM (
            SELECT month_start, max(loaded_at) AS newest FROM intermediate.int_basket_product_months GROUP BY 1)""").fetchone()
        assert 0 < recounted_months <= months // 2, (recounted_months, months)
        # orders: the new and changed ones and those of customers whose segment moved, not all of them; customer
        # periods: just the customers with a new order (whose newest load is the newest)
        for model, marker in (("marts.order_facts", "refreshed_at"), ("marts.customer_periods", "loaded_at")):
            rewritten, rows = con.execute(f"""SELECT count(*) FILTER (WHERE {marker} = (SELECT max({marker})
                                                  FROM {model})), count(*) FROM {model}""").fetchone()
            assert 0 < rewritten <= rows // 2, (model, rewritten, rows)
        # price sums: the customers with a new line or a line that entered the 90-day repeat window, not all
        recomputed, customers = con.execute("""SELECT count(DISTINCT customer_id) FILTER (WHERE repeat_horizon =
            (SELECT max(repeat_horizon) FROM intermediate.int_customer_category_prices)), count(DISTINCT customer_id)
            FROM intermediate.int_customer_category_prices""").fetchone()
        assert 0 < recomputed <= customers // 2, (recomputed, customers)
        assert con.execute("SELECT list(DISTINCT country) FROM marts.customer_periods WHERE customer_id = "
                           "(SELECT min(customer_id) FROM raw.order_lines)").fetchone()[0] == ["Iceland"]
        con.execute(f"ATTACH '{rebuilt / 'warehouse.duckdb'}' AS rebuilt (READ_ONLY)")
        for model in ORDER_MODELS:
            rows = con.execute(f"SELECT count(*) FROM {model}").fetchone()[0]
            assert rows == con.execute(f"SELECT count(*) FROM rebuilt.{model}").fetchone()[0], model
            held = f"(SELECT * EXCLUDE ({WRITTEN_WHEN[model]}) FROM {{}}{model})" if model in WRITTEN_WHEN else \
                "{}" + model
            assert rows_differing(con, held.format(""), held.format("rebuilt.")) == 0, model
