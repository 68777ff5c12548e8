"""Bad input: clear errors naming file and column, every bad row kept with its reason, re-ingestion idempotent."""

import gzip
import json

import openpyxl
import pytest

from cip_assets.ingest.pipeline import ingest_table
from cip_assets.ingest.readers import SourceFileError
from cip_resources.settings import load_config, paths
from tests.conftest import write_config

ORDERS_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
GOOD_ROWS = [
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527,United Kingdom",
]


def run(con, tmp_path, source: dict, table: str):
    config = load_config(write_config(tmp_path / "conf", [source]))
    return ingest_table(con, config, table, paths())


def retail(path) -> dict:
    return {"name": "shop", "adapter": "online_retail", "path": str(path)}


def rejects(con):
    return con.execute("SELECT row_number, reason, payload FROM raw.rejected_rows ORDER BY row_number").fetchall()


def test_bad_rows_are_rejected_with_row_column_and_original(warehouse, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER + "\n".join(GOOD_ROWS + [
        "536366,22633,HAND WARMER,6,2010-13-45 08:28:00,1.85,17850,United Kingdom",   # row 4: impossible date
        "536367,84879,BIRD ORNAMENT,32,2010-12-01 08:34:00,-1.69,13047,United Kingdom",  # row 5: negative price
        "536368,22960,JAM MAKING SET,6,2099-01-01 08:34:00,4.25,13047,United Kingdom",  # row 6: future date
        "536369,21756,BATH BUILDING,3,2010-12-01 08:35:00,abc,13047,United Kingdom",    # row 7: price not a number
    ]) + "\n")
    (result,) = run(warehouse, tmp_path, retail(path), "order_lines")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 3, 4)
    rows = rejects(warehouse)
    assert [r[0] for r in rows] == [4, 5, 6, 7]
    assert "column ordered_at: cannot read '2010-13-45 08:28:00' as TIMESTAMP" in rows[0][1]
    assert "unit_price is negative" in rows[1][1]
    assert "ordered_at is in the future" in rows[2][1]
    assert "column unit_price: cannot read 'abc' as DOUBLE" in rows[3][1]
    original = json.loads(rows[1][2])
    assert original["StockCode"] == "84879" and original["UnitPrice"] == "-1.69"
    assert warehouse.execute("SELECT DISTINCT file FROM raw.rejected_rows").fetchone()[0] == str(path)


def test_missing_required_column_names_file_and_column(warehouse, tmp_path):
    path = tmp_path / "no_price.csv"
    path.write_text("InvoiceNo,StockCode,Quantity,InvoiceDate,CustomerID\n1,A,1,2010-12-01,5\n")
    with pytest.raises(SourceFileError, match=r"no_price.csv: missing required column 'UnitPrice' or 'Price'"):
        run(warehouse, tmp_path, retail(path), "order_lines")


def test_truncated_csv_keeps_the_cut_row_as_a_reject(warehouse, tmp_path):
    path = tmp_path / "cut.csv"
    text = ORDERS_HEADER + "\n".join(GOOD_ROWS) + "\n536370,22728,ALARM CLOCK,24,2010-12-01 08:45"
    path.write_text(text)
    (result,) = run(warehouse, tmp_path, retail(path), "order_lines")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1) and result.reconciles
    (row,) = rejects(warehouse)
    assert row[0] == 4 and row[1] == "malformed row: 5 fields where the header has 8 (line 5)"
    assert json.loads(row[2])["text"] == "536370,22728,ALARM CLOCK,24,2010-12-01 08:45"


def test_truncated_gzip_is_a_file_error(warehouse, tmp_path):
    data = gzip.compress((ORDERS_HEADER + "\n".join(GOOD_ROWS * 500)).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFileError, match="cut.csv.gz: cannot be parsed"):
        run(warehouse, tmp_path, retail(path), "order_lines")


def test_non_excel_file_named_xlsx(warehouse, tmp_path):
    path = tmp_path / "churn.xlsx"
    path.write_text("CustomerID,Churn\n1,0\n")
    with pytest.raises(SourceFileError, match="churn.xlsx: not a readable Excel workbook"):
        run(warehouse, tmp_path, {"name": "x", "adapter": "labelled_customers", "path": str(path)}, "customer_labels")


def test_reingesting_the_same_file_changes_nothing(warehouse, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER + "\n".join(GOOD_ROWS + [
        "536367,84879,BIRD ORNAMENT,32,2010-12-01 08:34:00,-1.69,13047,United Kingdom"]) + "\n")
    first = run(warehouse, tmp_path, retail(path), "order_lines")[0]
    snapshot = warehouse.execute("SELECT * FROM raw.order_lines ORDER BY ALL").fetchall()
    second = run(warehouse, tmp_path, retail(path), "order_lines")[0]
    assert first.rows_loaded == 3 and second.unchanged and second.rows_loaded == 0
    assert warehouse.execute("SELECT * FROM raw.order_lines ORDER BY ALL").fetchall() == snapshot
    assert warehouse.execute("SELECT count(*) FROM raw.rejected_rows").fetchone()[0] == 1
    # the same rows in a new file (different bytes): keys already loaded, counted, not duplicated
    copy = tmp_path / "orders_again.csv"
    copy.write_text(path.read_text() + "536400,22111,SCOTTIE DOG HOT WATER BOTTLE,3,2010-12-02 10:00:00,4.95,13047,UK\n")
    third = run(warehouse, tmp_path, retail(copy), "order_lines")[0]
    assert (third.rows_loaded, third.rows_already_loaded, third.rows_rejected) == (1, 3, 1)
    assert third.reconciles
    assert warehouse.execute("SELECT count(*) FROM raw.order_lines").fetchone()[0] == 4


def test_duplicate_keys_within_a_file_are_rejected(warehouse, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("id,text,rating\nr1,great dress,5\nr1,great dress again,5\nr2,too small,7\nr3,,\n")
    source = {"name": "rv", "adapter": "reviews", "path": str(path),
              "columns": {"feedback_id": "id", "text": "text", "rating": "rating"}}
    (result,) = run(warehouse, tmp_path, source, "feedback")
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    reasons = [r[1] for r in rejects(warehouse)]
    assert "duplicate key (feedback_id) within the file" in reasons[0]
    assert "rating outside 1-5" in reasons[1]
    assert "neither text nor rating" in reasons[2]


def _cx_workbook(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "age", "gender", "geo_location", "purchase_count", "last_purchase_date",
                  "churn_label", "product_id", "product_title", "product_category", "base_price", "quantity",
                  "purchase_date", "total_spend", "user_feedback", "delivery_rating", "product_quality_rating",
                  "support_rating", "discount_percentage", "pricing_score"])
    sheet.append(["U1", 34, "F", "Germany", 2, "2024-03-01", 0, "P1", "Linen shirt", "Apparel", 40.0, 1,
                  "2024-01-05", 36.0, "Lovely fabric, fast delivery", "Very Positive", 5, 4, 0.1, 3])
    sheet.append(["U1", 34, "F", "Germany", 2, "2024-03-01", 0, "P2", "Boots", "Shoes", 90.0, 1,
                  "2024-03-01", 90.0, "Boots fell apart", "Negative", 1, "Neutral", 0.0, 2])
    sheet.append(["U2", 51, "M", "France", 1, "2023-11-11", 1, "P1", "Linen shirt", "Apparel", 40.0, 2,
                  "2023-11-11", 80.0, None, "Positive", 3, 3, 0.2, 4])
    sheet.append(["U3", 29, "M", "Spain", 1, "2024-02-02", 1, "P3", "Mug", "Home", -5.0, 1,
                  "2024-02-02", -5.0, "odd price", "Very Negative", 2, 2, 0.0, 1])
    book.save(path)


def test_cx_workbook_feeds_four_tables(warehouse, tmp_path):
    path = tmp_path / "cx.xlsx"
    _cx_workbook(path)
    source = {"name": "cx", "adapter": "cx_workbook", "path": str(path)}
    config = load_config(write_config(tmp_path / "conf", [source]))
    results = {t: ingest_table(warehouse, config, t, paths())[0]
               for t in ("customers", "order_lines", "feedback", "customer_labels")}
    assert results["customers"].rows_loaded == 3
    assert (results["order_lines"].rows_loaded, results["order_lines"].rows_rejected) == (3, 1)  # negative price
    assert warehouse.execute("SELECT discount_pct FROM raw.order_lines WHERE customer_id = 'U1' AND product_id = 'P1'"
                             ).fetchone()[0] == 10
    # no ids in the workbook: order and feedback ids come from the content, one per purchase
    assert warehouse.execute("SELECT count(DISTINCT order_id), min(length(order_id)) FROM raw.order_lines"
                             ).fetchone() == (3, 32)
    feedback = warehouse.execute(
        "SELECT rating, attributes->>'delivery_rating', attributes->>'support_rating' FROM raw.feedback "
        "WHERE customer_id = 'U1' AND product_id = 'P2'").fetchone()
    assert feedback == (1.0, "2.0", "3.0")  # "Negative" -> 2, "Neutral" -> 3
    labels = dict(warehouse.execute("SELECT customer_id, churned FROM raw.customer_labels").fetchall())
    assert labels == {"U1": False, "U2": True, "U3": True}
    assert warehouse.execute("SELECT country FROM raw.customers WHERE customer_id = 'U2'").fetchone()[0] == "France"


def test_generic_table_adapter_from_excel(warehouse, tmp_path):
    path = tmp_path / "tickets.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["ticket", "client", "opened", "body", "team"])
    book.active.append(["T1", "C9", "2024-05-01 10:00", "Where is my parcel?", "logistics"])
    book.active.append(["T2", "C9", "not a date", "Refund please", "billing"])
    book.save(path)
    source = {"name": "helpdesk", "adapter": "table", "path": str(path), "table": "feedback",
              "columns": {"feedback_id": "ticket", "customer_id": "client", "created_at": "opened", "text": "body"},
              "constants": {"channel": "support"}}
    (result,) = run(warehouse, tmp_path, source, "feedback")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    row = warehouse.execute("SELECT channel, attributes->>'team', created_at::VARCHAR FROM raw.feedback").fetchone()
    assert row == ("support", "logistics", "2024-05-01 10:00:00")


def test_ragged_rows_are_rejected_one_by_one_and_the_others_load(warehouse, tmp_path):
    """Before: one row with a field too many failed the whole file. Now each ragged row is a reject naming its
    line and field count, and every other row loads with its own row number."""
    path = tmp_path / "ragged.csv"
    path.write_text(ORDERS_HEADER + GOOD_ROWS[0] + "\n" + GOOD_ROWS[1] + ",EXTRA\n"
                    + "536366,22633,HAND WARMER,6\n" + GOOD_ROWS[2] + "\n")
    (result,) = run(warehouse, tmp_path, retail(path), "order_lines")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2) and result.reconciles
    rows = rejects(warehouse)
    assert [(r[0], r[1]) for r in rows] == [(2, "malformed row: 9 fields where the header has 8 (line 3)"),
                                            (3, "malformed row: 4 fields where the header has 8 (line 4)")]
    assert json.loads(rows[0][2])["text"].endswith(",EXTRA")
    assert warehouse.execute("SELECT DISTINCT file FROM raw.rejected_rows").fetchone()[0] == str(path)
    assert sorted(r[0] for r in warehouse.execute("SELECT order_id FROM raw.order_lines").fetchall()) == \
        ["536365", "C536379"]
    ledger = warehouse.execute("SELECT rows_read, rows_loaded, rows_rejected FROM raw.ingest_ledger").fetchone()
    assert ledger == (4, 2, 2)
