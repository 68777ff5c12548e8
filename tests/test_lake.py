"""The raw lake rewrites only the days whose rows changed, and reads back exactly what the warehouse holds."""

from __future__ import annotations

from cip_assets.ingest.contract import ensure_raw_schema
from cip_resources.lake import write_raw_lake


def test_a_new_day_and_a_changed_day_are_the_only_folders_rewritten(warehouse, tmp_path):
    ensure_raw_schema(warehouse)
    warehouse.execute("""
        INSERT INTO raw.order_lines (order_id, line_no, customer_id, ordered_at, product_id, quantity, unit_price, status)
        SELECT 'O' || i, 1, 'C' || (i % 7), TIMESTAMP '2024-03-01 10:00' + INTERVAL (i % 5) DAY, 'P1', 1, 2.5,
               'completed'
        FROM range(50) AS t(i)""")
    lake = tmp_path / "lake"
    first = {w.table: w for w in write_raw_lake(warehouse, lake)}
    assert (first["order_lines"].days, first["order_lines"].days_written) == (5, 5)
    assert (lake / "raw" / "events" / "empty.parquet").exists()  # no rows, but its schema on disk

    warehouse.execute("UPDATE raw.order_lines SET quantity = 3 WHERE order_id = 'O1'")  # day 2024-03-02
    warehouse.execute("""INSERT INTO raw.order_lines (order_id, line_no, customer_id, ordered_at, product_id,
                         quantity, unit_price, status)
                         VALUES ('O99', 1, 'C1', TIMESTAMP '2024-03-09 09:00', 'P1', 2, 2.5, 'completed')""")
    again = {w.table: w for w in write_raw_lake(warehouse, lake)}["order_lines"]
    assert (again.days, again.days_written) == (6, 2)
    folders = sorted(p.name for p in (lake / "raw" / "order_lines").glob("day=*"))
    assert folders == [f"day=2024-03-0{d}" for d in (1, 2, 3, 4, 5, 9)]
    lake_rows = f"read_parquet('{lake}/raw/order_lines/*/*.parquet', hive_partitioning = false)"
    for left, right in ((lake_rows, "raw.order_lines"), ("raw.order_lines", lake_rows)):
        assert warehouse.execute(f"SELECT count(*) FROM (SELECT * FROM {left} EXCEPT ALL "
                                 f"SELECT * FROM {right})").fetchone()[0] == 0
    unchanged = {w.table: w for w in write_raw_lake(warehouse, lake)}["order_lines"]
    assert unchanged.days_written == 0
