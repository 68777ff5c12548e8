"""Day two: exports delivered again (renamed, re-listed, cumulative, appended, with rows on top) load each row once."""

import shutil

import polars as pl

from cip_assets.ingest import contract
from cip_assets.ingest.contract import ensure_raw_schema
from cip_assets.ingest.pipeline import ingest_table
from cip_resources.settings import load_config, paths
from tests.conftest import shared_file, write_config

EVENTS_HEADER = "event_time,event_type,product_id,category_code,brand,price,user_id,user_session\n"
REVIEWS_HEADER = "Review Text,Rating,Title,Clothing ID,Age\n"
REVIEWS = [
    "Lovely fabric,5,Great,P1,34",
    "Runs small,3,Meh,P2,51",
    ",5,,P3,29",  # two ratings without text for one product, from different customers: two reviews
    ",5,,P3,62",
]


def event_rows(start: int, count: int) -> list[str]:
    return [f"2024-03-01 10:{i // 60:02d}:{i % 60:02d} UTC,view,p{i % 7},toys,acme,{i % 5 + 0.5},u{i % 3},s{i % 3}"
            for i in range(start, start + count)]


def write(path, header: str, rows: list[str]):
    path.write_text(header + "".join(f"{r}\n" for r in rows))
    return path


def run(con, tmp_path, sources: list[dict], table: str):
    config = load_config(write_config(tmp_path / "conf", sources))
    return ingest_table(con, config, table, paths())


def events(name: str, path) -> dict:
    return {"name": name, "adapter": "events", "path": str(path)}


def reviews(name: str, path) -> dict:
    return {"name": name, "adapter": "reviews", "path": str(path)}


def count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_a_renamed_copy_under_another_source_loads_nothing(warehouse, tmp_path):
    first = write(tmp_path / "events_2024-03-01.csv", EVENTS_HEADER, event_rows(0, 10))
    copy = tmp_path / "mirror" / "export.csv"
    copy.parent.mkdir()
    shutil.copy(first, copy)
    loaded, again = run(warehouse, tmp_path, [events("shop", first), events("shop_mirror", copy)], "events")
    assert loaded.rows_loaded == 10 and again.unchanged and again.rows_loaded == 0
    assert count(warehouse, "SELECT count(*) FROM raw.events") == 10
    assert count(warehouse, "SELECT count(*) FROM raw.ingest_ledger") == 1


def test_a_cumulative_reexport_loads_exactly_the_new_rows(warehouse, tmp_path):
    run(warehouse, tmp_path, [events("shop", write(tmp_path / "day1.csv", EVENTS_HEADER, event_rows(0, 10)))],
        "events")
    (day2,) = run(warehouse, tmp_path, [events("shop", write(tmp_path / "day2.csv", EVENTS_HEADER,
                                                              event_rows(0, 15)))], "events")
    assert (day2.rows_read, day2.rows_loaded, day2.rows_already_loaded) == (15, 5, 10) and day2.reconciles
    assert warehouse.execute("SELECT rows_loaded, rows_already_loaded FROM raw.ingest_ledger "
                             "WHERE file LIKE '%day2.csv'").fetchone() == (5, 10)
    assert count(warehouse, "SELECT count(DISTINCT event_key) FROM raw.events") == 15
    assert count(warehouse, "SELECT count(*) FROM raw.events") == 15


def test_a_file_appended_in_place_loads_only_the_new_rows(warehouse, tmp_path):
    path = write(tmp_path / "events.csv", EVENTS_HEADER, event_rows(0, 10))
    run(warehouse, tmp_path, [events("shop", path)], "events")
    write(path, EVENTS_HEADER, event_rows(0, 13))
    (again,) = run(warehouse, tmp_path, [events("shop", path)], "events")
    assert (again.rows_loaded, again.rows_already_loaded) == (3, 10)
    assert count(warehouse, "SELECT count(*) FROM raw.events") == 13


def test_a_review_on_top_of_an_export_without_ids_loads_exactly_that_review(warehouse, tmp_path):
    (first,) = run(warehouse, tmp_path, [reviews("rv", write(tmp_path / "reviews.csv", REVIEWS_HEADER, REVIEWS))],
                   "feedback")
    assert first.rows_loaded == 4
    newest = "Zip broke after a week,2,Disappointed,P1,45"
    (second,) = run(warehouse, tmp_path, [reviews("rv", write(tmp_path / "reviews_0302.csv", REVIEWS_HEADER,
                                                               [newest, *REVIEWS]))], "feedback")
    assert (second.rows_loaded, second.rows_already_loaded) == (1, 4)
    texts = warehouse.execute("SELECT text, count(*) FROM raw.feedback GROUP BY 1 ORDER BY 1 NULLS LAST").fetchall()
    assert texts == [("Lovely fabric", 1), ("Runs small", 1), ("Zip broke after a week", 1), (None, 2)]
    assert count(warehouse, "SELECT count(*) FROM raw.feedback WHERE feedback_id LIKE 'rv-%'") == 0


def test_exact_duplicate_rows_are_counted_once_and_not_rejected(warehouse, tmp_path):
    rows = event_rows(0, 5)
    path = write(tmp_path / "events.csv", EVENTS_HEADER, [*rows, rows[2], rows[2]])
    (result,) = run(warehouse, tmp_path, [events("shop", path)], "events")
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (7, 5, 2, 0)
    assert result.reconciles
    assert count(warehouse, "SELECT count(*) FROM raw.events") == 5
    assert count(warehouse, "SELECT count(*) FROM raw.rejected_rows") == 0
    assert count(warehouse, "SELECT rows_duplicate FROM raw.ingest_ledger") == 2
    # with the source's own ids: an exact copy is a duplicate, the same id with other content is still rejected
    path = write(tmp_path / "reviews.csv", "id,text,rating\n", ["r1,great dress,5", "r1,great dress,5",
                                                                "r1,great dress again,5", "r2,too small,3"])
    source = {**reviews("rv", path), "columns": {"feedback_id": "id", "text": "text", "rating": "rating"}}
    (result,) = run(warehouse, tmp_path, [source], "feedback")
    assert (result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (2, 1, 1) and result.reconciles
    assert "duplicate key (feedback_id) within the file" in warehouse.execute(
        "SELECT reason FROM raw.rejected_rows").fetchone()[0]


def test_rees46_day_one_a_renamed_copy_and_a_cumulative_export(warehouse, tmp_path):
    full = shared_file("rees46_events_sample.csv.gz")
    rows = pl.read_csv(full, infer_schema=False)
    day_one = tmp_path / "rees46_day1.csv"
    rows.head(int(rows.height * 0.6)).write_csv(day_one)
    renamed = tmp_path / "rees46_2019-10-01.csv"
    shutil.copy(day_one, renamed)
    results = run(warehouse, tmp_path, [events("rees", day_one), events("rees_copy", renamed),
                                        events("rees_all", full)], "events")
    assert [r.unchanged for r in results] == [False, True, False] and all(r.reconciles for r in results)
    # the sample's last line is cut (8 of its 9 fields): rejected as a malformed row, not loaded half
    distinct = rows.head(rows.height - 1).unique().height
    assert count(warehouse, "SELECT count(*) FROM raw.rejected_rows WHERE reason LIKE 'malformed row: 8 fields%'") == 1
    assert count(warehouse, "SELECT count(*) FROM raw.events") == distinct == \
        count(warehouse, "SELECT count(DISTINCT event_key) FROM raw.events")
    assert results[2].rows_already_loaded == results[0].rows_loaded
    assert sum(r.rows_loaded for r in results) == distinct


OLD_EVENTS_DDL = """CREATE TABLE raw.events (event_at TIMESTAMP, event_type VARCHAR, customer_id VARCHAR,
    session_id VARCHAR, product_id VARCHAR, category VARCHAR, brand VARCHAR, price DOUBLE, source VARCHAR)"""
OLD_LEDGER_DDL = """CREATE TABLE raw.ingest_ledger (source VARCHAR, adapter VARCHAR, file VARCHAR,
    file_hash VARCHAR, raw_table VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    rows_already_loaded BIGINT, ingested_at TIMESTAMP)"""


def test_a_warehouse_from_yesterdays_code_is_migrated_once(warehouse, tmp_path, monkeypatch):
    con = warehouse
    con.execute("CREATE SCHEMA raw")
    con.execute(OLD_EVENTS_DDL)
    con.execute(OLD_LEDGER_DDL)
    con.execute(contract.table_ddl(contract.RAW_TABLES["feedback"]))
    # yesterday's rows: one event, one review numbered by row ('rv-1'), and their ledger rows (old name+bytes hashes)
    con.execute("INSERT INTO raw.events VALUES ('2024-03-01 10:00:00', 'view', 'u0', 's0', 'p0', 'toys', 'acme', "
                "0.5, 'shop')")
    con.execute("INSERT INTO raw.feedback (feedback_id, customer_id, product_id, category, created_at, channel, rating, "
                "title, text, attributes, source) VALUES ('rv-1', NULL, 'P1', NULL, NULL, 'review', 5, 'Great', "
                "'Lovely fabric', NULL, 'rv')")
    con.execute("INSERT INTO raw.ingest_ledger VALUES ('shop', 'events', 'e.csv', 'old', 'events', 1, 1, 0, 0, now()),"
                "('rv', 'reviews', 'r.csv', 'old', 'feedback', 1, 1, 0, 0, now())")
    ensure_raw_schema(con)
    assert count(con, "SELECT count(*) FROM raw.events WHERE event_key IS NULL") == 0
    assert count(con, "SELECT count(*) FROM raw.events WHERE loaded_at IS NOT NULL") == 1  # the watermark column
    assert con.execute("SELECT count(*), sum(rows_duplicate) FROM raw.ingest_ledger").fetchone() == (2, 0)
    assert count(con, "SELECT length(feedback_id) FROM raw.feedback") == 32
    # cheap from now on: the catalog says the columns are there, so nothing is scanned or rewritten
    monkeypatch.setattr(contract, "_migrate", lambda *a: (_ for _ in ()).throw(AssertionError("migrated twice")))
    ensure_raw_schema(con)
    # the old rows got the keys the loader gives the same rows today: delivering them again loads nothing
    (ev,) = run(con, tmp_path, [events("shop", write(tmp_path / "e.csv", EVENTS_HEADER, event_rows(0, 2)))],
                "events")
    assert (ev.rows_loaded, ev.rows_already_loaded) == (1, 1)
    (rv,) = run(con, tmp_path, [reviews("rv", write(tmp_path / "r.csv", "Review Text,Rating,Title,Clothing ID\n",
                                                    ["Lovely fabric,5,Great,P1"]))], "feedback")
    assert (rv.rows_loaded, rv.rows_already_loaded) == (0, 1)
