"""Publishing: a complete copy swapped in atomically; a failure leaves the previous copy untouched."""

import duckdb
import pytest

from cip_assets.serving.publish import open_published, publish


def make_warehouse(path, rows: int):
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS staging; CREATE SCHEMA IF NOT EXISTS ml")
        con.execute(f"CREATE OR REPLACE TABLE marts.customer_rfm AS SELECT range AS customer_id FROM range({rows})")
        con.execute("CREATE OR REPLACE VIEW marts.weekly AS SELECT count(*) AS n FROM marts.customer_rfm")
        con.execute("CREATE OR REPLACE TABLE ml.churn_scores AS SELECT 1 AS customer_id, 0.5 AS churn_probability")
        con.execute("CREATE OR REPLACE TABLE staging.internal AS SELECT 1 AS x")


def test_publish_copies_reader_schemas_only(tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, 10)
    result = publish(warehouse, out)
    assert result.tables == {"marts.customer_rfm": 10, "marts.weekly": 1, "ml.churn_scores": 1}
    with open_published(out) as con:
        assert con.execute("SELECT n FROM marts.weekly").fetchone()[0] == 10  # views become tables
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT * FROM staging.internal")
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/parquet/marts/customer_rfm.parquet'").fetchone()[0] == 10
    assert (out / "parquet").is_symlink()


def test_a_reader_keeps_its_copy_across_a_swap_and_sees_the_new_one_next(tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, 10)
    publish(warehouse, out)
    reader = open_published(out)
    make_warehouse(warehouse, 25)
    publish(warehouse, out)
    assert reader.execute("SELECT count(*) FROM marts.customer_rfm").fetchone()[0] == 10
    reader.close()
    with open_published(out) as con:
        assert con.execute("SELECT count(*) FROM marts.customer_rfm").fetchone()[0] == 25
    assert len(list(out.glob("parquet-*"))) == 1 and not list(out.glob(".cip.duckdb.*"))


def test_a_failed_publish_leaves_the_previous_copy(tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, 10)
    publish(warehouse, out)
    before = (out / "cip.duckdb").read_bytes()
    make_warehouse(warehouse, 99)
    with duckdb.connect(str(warehouse)) as con:  # a mart that fails when read
        con.execute("CREATE VIEW marts.zz_broken AS SELECT error('boom') AS x")
    with pytest.raises(duckdb.Error, match="boom"):
        publish(warehouse, out)
    assert (out / "cip.duckdb").read_bytes() == before
    with open_published(out) as con:
        assert con.execute("SELECT count(*) FROM marts.customer_rfm").fetchone()[0] == 10
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/parquet/marts/customer_rfm.parquet'").fetchone()[0] == 10
    assert not list(out.glob(".cip.duckdb.*")) and len(list(out.glob("parquet-*"))) == 1
