"""Every real file in ../shared/data through its adapter, with the reconciliation the issue asks for."""

import pytest

from cip_assets.ingest.pipeline import ingest_table
from cip_resources.settings import load_config, paths
from tests.conftest import shared_file, write_config


def ingest(con, tmp_path, source: dict, tables: list[str]):
    config = load_config(write_config(tmp_path / "conf", [source]))
    return {t: ingest_table(con, config, t, paths()) for t in tables}


def test_online_retail_reconciles(warehouse, tmp_path):
    path = shared_file("online_retail.parquet")
    results = ingest(warehouse, tmp_path, {"name": "retail", "adapter": "online_retail", "path": str(path)},
                     ["order_lines", "customers"])
    lines = results["order_lines"][0]
    assert lines.rows_read == 541_909
    assert lines.rows_read == lines.rows_loaded + lines.rows_rejected + lines.rows_already_loaded
    source = warehouse.execute(f"""SELECT count(*) FILTER (WHERE InvoiceNo LIKE 'C%'),
                                          count(*) FILTER (WHERE CustomerID IS NULL),
                                          count(*) FILTER (WHERE UnitPrice < 0),
                                          count(DISTINCT CustomerID)
                                   FROM '{path}'""").fetchone()
    cancelled, anonymous, negative_price, customers = source
    # the two "Adjust bad debt" lines with a negative price are the only rejects
    assert lines.rows_rejected == negative_price == 2
    assert warehouse.execute("SELECT count(*) FROM raw.rejected_rows WHERE reason LIKE '%unit_price is negative%'"
                             ).fetchone()[0] == 2
    loaded = warehouse.execute("""SELECT count(*) FILTER (WHERE status = 'cancelled'),
                                         count(*) FILTER (WHERE customer_id IS NULL),
                                         count(*) FILTER (WHERE quantity <= 0),
                                         count(*) FILTER (WHERE status = 'cancelled' AND order_id NOT LIKE 'C%')
                                  FROM raw.order_lines""").fetchone()
    assert loaded[0] == cancelled == 9288
    assert loaded[1] == anonymous - 2  # anonymous lines stay as orders (minus the two rejected)
    assert loaded[2] == 0 and loaded[3] == 0
    # customers: one per identified customer, never the anonymous ones
    assert results["customers"][0].rows_loaded == customers == 4372
    assert warehouse.execute("SELECT count(*) FROM raw.customers WHERE customer_id IS NULL OR customer_id LIKE '%.%'"
                             ).fetchone()[0] == 0
    assert warehouse.execute("SELECT country FROM raw.customers WHERE customer_id = '12346'").fetchone()[0] == \
        "United Kingdom"


def test_online_retail_ii_column_names_and_overlap(warehouse, tmp_path):
    first = {"name": "retail", "adapter": "online_retail", "path": str(shared_file("online_retail.parquet"))}
    second = {"name": "retail_ii", "adapter": "online_retail",
              "path": str(shared_file("online_retail_ii_2009_2010.parquet"))}
    config = load_config(write_config(tmp_path / "conf", [first, second]))
    _, older = ingest_table(warehouse, config, "order_lines", paths())
    assert older.rows_read == 525_461
    assert older.reconciles
    # the two files share 2010-12-01..09: those invoice lines are already loaded, not loaded twice
    assert older.rows_already_loaded > 0
    dupes = warehouse.execute("SELECT count(*) FROM (SELECT order_id, line_no FROM raw.order_lines "
                              "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    assert dupes == 0


def test_rees46_events(warehouse, tmp_path):
    path = shared_file("rees46_events_sample.csv.gz")
    (result,) = ingest(warehouse, tmp_path, {"name": "rees", "adapter": "events", "path": str(path)},
                       ["events"])["events"]
    assert result.rows_read == 17_435 and result.reconciles
    types = dict(warehouse.execute("SELECT event_type, count(*) FROM raw.events GROUP BY 1").fetchall())
    assert set(types) <= {"view", "cart", "purchase", "remove_from_cart"} and types["view"] > types["cart"]
    assert warehouse.execute("SELECT min(event_at)::DATE FROM raw.events").fetchone()[0].isoformat() == "2019-10-01"


@pytest.mark.parametrize("name, source, rows", [
    ("womens_clothing_reviews.csv.gz",
     {"columns": {"text": "Review Text", "rating": "Rating", "title": "Title", "product_id": "Clothing ID"}}, 23_486),
    ("amazon_alexa_reviews.tsv.gz", {"date_format": "%d-%b-%y"}, 3_150),
    ("flipkart_reviews.csv.gz", {}, 2_304),
])
def test_review_files(warehouse, tmp_path, name, source, rows):
    path = shared_file(name)
    (result,) = ingest(warehouse, tmp_path, {"name": "rv", "adapter": "reviews", "path": str(path), **source},
                       ["feedback"])["feedback"]
    assert result.rows_read == rows and result.reconciles
    stats = warehouse.execute("""SELECT count(DISTINCT feedback_id), min(rating), max(rating), count(text),
                                        count(created_at) FROM raw.feedback""").fetchone()
    assert stats[0] == result.rows_loaded and stats[1] >= 1 and stats[2] <= 5
    if "alexa" in name:
        assert stats[4] == result.rows_loaded  # "31-Jul-18" read with date_format


def test_hillstrom_campaign(warehouse, tmp_path):
    path = shared_file("hillstrom.csv.gz")
    (result,) = ingest(warehouse, tmp_path, {"name": "hillstrom", "adapter": "campaign", "path": str(path)},
                       ["campaign_exposures"])["campaign_exposures"]
    assert result.rows_read == 64_000 and result.rows_loaded == 64_000
    rates = dict(warehouse.execute("SELECT arm, avg(visited::INT) FROM raw.campaign_exposures GROUP BY 1").fetchall())
    # the published effects of the e-mails on visits: +4.5 points (women's), +7.7 (men's)
    assert rates["Womens E-Mail"] - rates["No E-Mail"] == pytest.approx(0.045, abs=0.002)
    assert rates["Mens E-Mail"] - rates["No E-Mail"] == pytest.approx(0.077, abs=0.002)
    assert warehouse.execute("SELECT count(*) FROM raw.campaign_exposures WHERE is_control").fetchone()[0] == 21_306
    assert warehouse.execute("SELECT attributes->>'channel' FROM raw.campaign_exposures LIMIT 1").fetchone()[0]


def test_cookie_cats_generic_campaign(warehouse, tmp_path):
    path = shared_file("cookie_cats.csv.gz")
    source = {"name": "cookie", "adapter": "campaign", "path": str(path), "control_arm": "gate_30",
              "columns": {"customer_id": "userid", "arm": "version", "converted": "retention_7",
                          "visited": "retention_1"}}
    (result,) = ingest(warehouse, tmp_path, source, ["campaign_exposures"])["campaign_exposures"]
    assert result.rows_loaded == 90_189
    assert warehouse.execute("SELECT count(*) FROM raw.campaign_exposures WHERE arm = 'gate_30' AND is_control"
                             ).fetchone()[0] == 44_700


@pytest.mark.parametrize("name, extra, rows, churned", [
    ("telco_customer_churn.csv.gz", {}, 7_043, 1_869),
    ("ecommerce_churn.xlsx", {"sheet": "E Comm"}, 5_630, 948),
])
def test_labelled_customer_tables(warehouse, tmp_path, name, extra, rows, churned):
    path = shared_file(name)
    results = ingest(warehouse, tmp_path, {"name": "lab", "adapter": "labelled_customers", "path": str(path), **extra},
                     ["customer_labels", "customers"])
    assert results["customer_labels"][0].rows_loaded == rows
    assert results["customers"][0].rows_loaded == rows
    assert warehouse.execute("SELECT count(*) FILTER (WHERE churned) FROM raw.customer_labels").fetchone()[0] == churned
    # every other column is kept as attributes
    assert warehouse.execute("SELECT count(*) FROM raw.customer_labels WHERE attributes IS NULL").fetchone()[0] == 0
