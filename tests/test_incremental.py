"""Day two for the incremental models: new events (one of them late, in the middle of a visitor's history)
re-sessionise only the visitors they belong to, and the result equals a full rebuild of the same events."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from cip_resources.engine import rows_differing
from conftest import write_config

pytestmark = pytest.mark.engines  # make test-engines

SESSION_MODELS = ("intermediate.int_sessionised_events", "marts.event_sessions")


def build_sessions(home, full_refresh: bool = False) -> dg.ExecuteInProcessResult:
    from cip_assets.ingest.assets import ingest_assets
    from cip_assets.marts.assets import cip_dbt_assets
    from cip_resources.config import CipSettings
    from cip_resources.dbt import dbt_resource
    from cip_resources.warehouse import WarehouseResource

    selection = dg.AssetSelection.keys(dg.AssetKey(["marts", "event_sessions"])).upstream()
    return dg.materialize(
        [*ingest_assets, cip_dbt_assets], selection=selection,
        run_config={"ops": {"cip_dbt_assets": {"config": {"full_refresh": full_refresh}}}},
        resources={"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")), "settings": CipSettings(),
                   "dbt": dbt_resource()})


def test_new_events_resessionise_only_their_visitors_and_match_a_full_rebuild(cip_home, tmp_path, monkeypatch):
    config = write_config(tmp_path / "conf", [{"name": "synthetic", "adapter": "synthetic", "customers": 300,
                                               "seed": 5}])
    monkeypatch.setenv("CIP_CONFIG", str(config))
    assert build_sessions(cip_home).success
    warehouse = cip_home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        visitors = con.execute("SELECT count(DISTINCT visitor_id) FROM intermediate.int_sessionised_events").fetchone()[0]
        # a day of new events for ten customers, and one late event in the middle of another customer's history
        con.execute("""
            INSERT INTO raw.events BY NAME
            SELECT * REPLACE (event_at + INTERVAL 1 DAY AS event_at, 'day2-' || event_key AS event_key)
            FROM raw.events WHERE customer_id IN (
                SELECT DISTINCT customer_id FROM raw.events WHERE customer_id IS NOT NULL ORDER BY 1 LIMIT 10)
            UNION ALL
            SELECT * REPLACE (event_at + INTERVAL 7 MINUTE AS event_at, 'late-' || event_key AS event_key)
            FROM (SELECT * FROM raw.events WHERE customer_id IS NOT NULL ORDER BY customer_id DESC, event_at LIMIT 1
                  OFFSET 3)""")
        touched = con.execute("SELECT count(DISTINCT customer_id) FROM raw.events "
                              "WHERE event_key LIKE 'day2-%' OR event_key LIKE 'late-%'").fetchone()[0]
    assert touched == 11

    assert build_sessions(cip_home).success  # the nightly build: incremental
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(cip_home, rebuilt)
    monkeypatch.setenv("CIP_DUCKDB_PATH", str(rebuilt / "warehouse.duckdb"))
    assert build_sessions(rebuilt, full_refresh=True).success

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
