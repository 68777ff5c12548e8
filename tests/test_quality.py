"""The Great Expectations suites and the reconciliation check fail on bad loaded data."""

import dagster as dg

from cip_assets.ingest.assets import build_quality_checks
from cip_assets.ingest.contract import RAW_TABLES, ensure_raw_schema
from cip_assets.ingest.quality import validate_table
from cip_resources.warehouse import WarehouseResource


def _insert_lines(con, rows):
    con.executemany("INSERT INTO raw.order_lines (order_id, line_no, customer_id, ordered_at, product_id, quantity, "
                    "unit_price, status, source) VALUES (?, ?, ?, ?, 'P1', ?, ?, ?, 'test')", rows)


def test_suite_passes_on_clean_rows_and_names_each_broken_rule(warehouse):
    ensure_raw_schema(warehouse)
    _insert_lines(warehouse, [("O1", 1, "C1", "2024-01-01", 2, 3.5, "completed"),
                              ("O1", 2, "C1", "2024-01-01", 1, 9.0, "returned")])
    assert validate_table(warehouse, "order_lines")["success"]
    # rows a hand-written load could slip past the loader: negative price, unknown status, future date, dup key
    _insert_lines(warehouse, [("O2", 1, "C2", "2099-01-01", 1, -4.0, "shipped"),
                              ("O1", 1, "C1", "2024-01-01", 2, 3.5, "completed")])
    outcome = validate_table(warehouse, "order_lines")
    failed = {(f["expectation"], f["column"]) for f in outcome["failed"]}
    assert not outcome["success"]
    assert ("expect_column_values_to_be_between", "unit_price") in failed
    assert ("expect_column_values_to_be_in_set", "status") in failed
    assert ("expect_column_values_to_be_between", "ordered_at") in failed
    assert ("expect_compound_columns_to_be_unique", None) in failed


def test_empty_tables_pass(warehouse):
    ensure_raw_schema(warehouse)
    for table in RAW_TABLES:
        assert validate_table(warehouse, table)["success"], table


def test_reconciliation_check_catches_a_lost_reject(warehouse, cip_home):
    ensure_raw_schema(warehouse)
    warehouse.execute("INSERT INTO raw.ingest_ledger (source, adapter, file, file_hash, raw_table, rows_read, "
                      "rows_loaded, rows_rejected, rows_already_loaded, ingested_at) "
                      "VALUES ('s', 'a', 'f.csv', 'h', 'order_lines', 3, 2, 1, 0, now()::TIMESTAMP)")
    _, reconcile = build_quality_checks(RAW_TABLES["order_lines"])
    resource = WarehouseResource(database=str(cip_home / "warehouse.duckdb"))

    def evaluate() -> dg.AssetCheckResult:
        return reconcile(warehouse=resource)

    warehouse.close()
    assert not evaluate().passed  # the ledger counts 1 reject, raw.rejected_rows holds none
    import duckdb

    with duckdb.connect(str(cip_home / "warehouse.duckdb")) as con:
        con.execute("INSERT INTO raw.rejected_rows VALUES ('s', 'f.csv', 'order_lines', 3, 'x', '{}', now())")
    assert evaluate().passed
