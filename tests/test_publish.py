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



# ---------------------------------------------------------------- a publish costs what changed
def _orders_warehouse(path):
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA ml")
        con.execute("""CREATE TABLE marts.order_facts AS SELECT 'O' || range AS order_id, range % 7 AS customer_id,
                       'c' || range || '@example.com' AS email, range * 1.5 AS revenue,
                       TIMESTAMP '2026-01-01' AS refreshed_at FROM range(1000)""")
        con.execute("CREATE TABLE ml.churn_scores AS SELECT range AS customer_id, 0.5 AS churn_probability FROM range(7)")


def _same(con, a: str, b: str) -> bool:
    return con.execute(f"SELECT count(*) FROM ((FROM {a} EXCEPT ALL FROM {b}) UNION ALL (FROM {b} EXCEPT ALL FROM {a}))"
                       ).fetchone()[0] == 0


def test_a_publish_keeps_unchanged_tables_replaces_rewritten_keys_and_matches_a_fresh_copy(tmp_path):
    warehouse, out, fresh = tmp_path / "w.duckdb", tmp_path / "published", tmp_path / "fresh"
    _orders_warehouse(warehouse)
    assert set(publish(warehouse, out).written.values()) == {"whole"}
    again = publish(warehouse, out)
    assert set(again.written.values()) == {"kept"}  # nothing changed: nothing copied
    assert (out / "parquet" / "marts" / "order_facts.parquet").stat().st_nlink == 1  # the old folder is gone

    with duckdb.connect(str(warehouse)) as con:  # a night: new orders and two rewritten ones, marked
        con.execute("""INSERT INTO marts.order_facts SELECT 'N' || range, 1, 'n@example.com', 9.0,
                       TIMESTAMP '2026-01-02' FROM range(5)""")
        con.execute("UPDATE marts.order_facts SET revenue = -1, refreshed_at = TIMESTAMP '2026-01-02' "
                    "WHERE order_id IN ('O3', 'O4')")
    night = publish(warehouse, out)
    assert night.written == {"marts.order_facts": "delta", "ml.churn_scores": "kept"}
    assert night.tables["marts.order_facts"] == 1005
    _assert_as_a_fresh_publish(warehouse, out, tmp_path / "fresh1")

    with duckdb.connect(str(warehouse)) as con:  # a change the marker does not show: found, and copied whole
        con.execute("UPDATE marts.order_facts SET revenue = -2 WHERE order_id = 'O9'")
        con.execute("UPDATE ml.churn_scores SET churn_probability = 0.9 WHERE customer_id = 1")
    assert set(publish(warehouse, out).written.values()) == {"whole"}
    _assert_as_a_fresh_publish(warehouse, out, tmp_path / "fresh2")


def _assert_as_a_fresh_publish(warehouse, out, fresh):
    """Both copies and the Parquet files of `out` hold what a publish into an empty folder writes."""
    publish(warehouse, fresh)
    con = duckdb.connect()
    for alias, path in (("inc", out / "cip.duckdb"), ("inc_full", out / "analyst" / "cip.duckdb"),
                        ("fresh", fresh / "cip.duckdb"), ("fresh_full", fresh / "analyst" / "cip.duckdb"),
                        ("w", warehouse)):
        con.execute(f"ATTACH '{path}' AS {alias} (READ_ONLY)")
    for table in ("marts.order_facts", "ml.churn_scores"):
        assert _same(con, f"inc.{table}", f"fresh.{table}") and _same(con, f"inc_full.{table}", f"w.{table}"), table
        parquet = f"'{out}/parquet/{table.replace('.', '/')}.parquet'"
        assert _same(con, parquet, f"fresh.{table}"), table
    assert "email" not in [r[0] for r in con.execute("DESCRIBE inc.marts.order_facts").fetchall()]


# ---------------------------------------------------------------- personal data: the safe copy and the analyst copy
EMAIL, PHONE = "jane.doe@example.com", "+44 20 7946 0958"
PHONES = ["+44 20 7946 0958", "+1 (555) 123-4567", "+4915123456789", "+33 1 23 45 67 89", "0044 20 7946 0958",
          "020 7946 0958", "(030) 1234567", "030/1234567", "07700 900123", "07700900123", "06 12 34 56 78",
          "(555) 123-4567", "555-123-4567", "555.123.4567"]
EMAILS = ["jane.doe@example.com", "j.smith+shop@mail.example.co.uk", "A_B-c%1@sub-domain.example.org"]
NOT_PERSONAL = ["order O000000123", "F000000123", "C0000001", "85123A", "P00123", "SKU-4411-22", "CAMP-2024-RETENTION",
                "512386086", "000123456789", "12346", "17850.0", "2024-01-15", "15/01/2024", "01.02.2024 10:30",
                "2024-01-15 10:30:00", "10:30-11:45", "1,299.99", "£1,299.99", "$49.95", "+0.0512345", "uplift +12.5%",
                "978-3-16-148410-0", "1b2c3d4e-1234-5678-9abc-def012345678", "@brand thanks", "3 for 2 on 12/03",
                "ratio 1.0e-05", "parquet-20261126T034158-df0b29e3", "p = 0.0512345678", "lift 1.0512345678",
                "v2-05123456789", "912.413 6912", "x)+16777216", "[3]+16777216"]


def _scrub_both(text: str) -> tuple[str, str]:
    from cip_assets.serving.privacy import scrub_sql, scrub_text

    return duckdb.execute(f"SELECT {scrub_sql('$t')}", {"t": text}).fetchone()[0], scrub_text(text)


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_scrubbed_alike_in_sql_and_python(phone):
    in_sql, in_python = _scrub_both(f"call me on {phone} tomorrow")
    assert in_sql == in_python == "call me on [phone] tomorrow"


def test_a_phone_at_the_start_or_after_punctuation_is_scrubbed_too():
    assert _scrub_both("07700 900123 is mine; (tel:+44 20 7946 0958)") == ("[phone] is mine; (tel:[phone])",) * 2


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses_are_scrubbed_alike_in_sql_and_python(email):
    in_sql, in_python = _scrub_both(f"write to {email}.")
    assert in_sql == in_python == "write to [e-mail]."


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_ids_dates_prices_and_codes_are_left_alone(text):
    assert _scrub_both(f"see {text} here") == (f"see {text} here",) * 2


def make_personal_warehouse(path):
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA nlp; CREATE SCHEMA raw")
        con.execute(f"""CREATE TABLE marts.customer_360 AS SELECT * FROM (VALUES
            ('C1', 'London', 34, 'Jane Doe', '{EMAIL}', '{PHONE}', '10 High St', 120.5),
            ('C2', 'j.smith@example.org, tel. 07700 900123', 51, 'John Smith', NULL, NULL, NULL, 80.0),
            ('{EMAIL}', 'Leeds', 40, NULL, NULL, NULL, NULL, 10.0))
            t(customer_id, city, age, name, email, phone_number, "Street Address", lifetime_revenue)""")
        con.execute(f"""CREATE TABLE nlp.feedback_sentiment AS SELECT * FROM (VALUES
            ('F1', 'C1', 'Broke after order O000000123 on 2024-01-15 (£1,299.99). Write to {EMAIL} or call {PHONE}.',
             ['fine', 'ring 020 7946 0958'], '{{"note": "mail {EMAIL}"}}'::JSON),
            ('F2', '{EMAIL}', 'Great.', [], NULL)) t(feedback_id, customer_id, text, aspects, extra)""")
        con.execute("CREATE TABLE raw.customers AS SELECT 'C1' AS customer_id, 'secret' AS name")


def test_the_safe_copy_masks_personal_data_and_the_analyst_copy_keeps_it(tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    make_personal_warehouse(warehouse)
    result = publish(warehouse, out, schemas=("marts", "nlp"))
    assert result.analyst_database == out / "analyst" / "cip.duckdb"
    with open_published(out) as con:
        columns = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'customer_360' ORDER BY ordinal_position").fetchall()]
        assert columns == ["customer_id", "city", "age", "lifetime_revenue"]  # name, e-mail, phone, address left out
        rows = con.execute("SELECT customer_id, city, age FROM marts.customer_360 "
                           "ORDER BY lifetime_revenue DESC").fetchall()
        assert rows[:2] == [("C1", "London", 34), ("C2", None, 51)]  # contact details in the city box: masked
        anon = rows[2][0]
        assert anon.startswith("anon-") and len(anon) == 21  # an e-mail as id: a stable pseudonym...
        text, aspects, extra = con.execute("SELECT text, aspects, extra::VARCHAR FROM nlp.feedback_sentiment "
                                           "WHERE feedback_id = 'F1'").fetchone()
        assert text == "Broke after order O000000123 on 2024-01-15 (£1,299.99). Write to [e-mail] or call [phone]."
        assert aspects == ["fine", "ring [phone]"] and extra == '{"note": "mail [e-mail]"}'
        # ...the same in every table, so joins still work
        assert con.execute("SELECT count(*) FROM nlp.feedback_sentiment f JOIN marts.customer_360 c USING (customer_id)"
                           ).fetchone()[0] == 2
        dump = " ".join(str(r) for t in ("marts.customer_360", "nlp.feedback_sentiment")
                        for r in con.execute(f"SELECT * FROM {t}").fetchall())
    for secret in (EMAIL, PHONE, "07700 900123", "j.smith@example.org", "Jane Doe", "High St"):
        assert secret not in dump
    parquet = duckdb.sql(f"SELECT * FROM '{out}/parquet/nlp/feedback_sentiment.parquet'").fetchall()
    assert EMAIL not in str(parquet) and "[e-mail]" in str(parquet)
    assert "name" not in duckdb.sql(f"SELECT * FROM '{out}/parquet/marts/customer_360.parquet'").columns
    with open_published(out, analyst=True) as con:  # the analyst copy: everything as in the warehouse
        assert con.execute("SELECT name, email, city FROM marts.customer_360 WHERE customer_id = 'C1'").fetchone() == (
            "Jane Doe", EMAIL, "London")
        assert EMAIL in con.execute("SELECT text FROM nlp.feedback_sentiment WHERE feedback_id = 'F1'").fetchone()[0]
        assert con.execute(f"SELECT count(*) FROM marts.customer_360 WHERE customer_id = '{EMAIL}'").fetchone()[0] == 1
    assert (out / "analyst").stat().st_mode & 0o077 == 0  # owner only
    assert not list((out / "analyst").glob("*.parquet")) and not (out / "analyst" / "parquet").exists()


def test_a_failed_publish_leaves_the_previous_analyst_copy_too(tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, 10)
    publish(warehouse, out)
    before = (out / "analyst" / "cip.duckdb").read_bytes()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE VIEW marts.zz_broken AS SELECT error('boom') AS x")
    with pytest.raises(duckdb.Error, match="boom"):
        publish(warehouse, out)
    assert (out / "analyst" / "cip.duckdb").read_bytes() == before
    assert not list((out / "analyst").glob(".cip.duckdb.*"))


def test_readers_get_the_safe_copy_and_analysts_the_analyst_copy(tmp_path):
    from cip_assets.reports.queries import published_db

    home = tmp_path / "home"
    safe, analyst = home / "published" / "cip.duckdb", home / "published" / "analyst" / "cip.duckdb"
    assert published_db(home, "analyst") == safe  # none published yet: the safe copy (or its absence)
    make_warehouse(tmp_path / "w.duckdb", 3)
    publish(tmp_path / "w.duckdb", home / "published")
    assert published_db(home) == published_db(home, "viewer") == published_db(home, None) == safe
    assert published_db(home, "analyst") == published_db(home, "admin") == analyst


def test_previews_drop_personal_columns_and_scrub_text():
    import pandas as pd

    from cip_assets.serving.privacy import safe_frame, safe_markdown

    frame = pd.DataFrame({"customer_id": ["C1", EMAIL], "email": [EMAIL, None], "City": ["Leeds", f"tel. {PHONE}"],
                          "quote_1": [f"call {PHONE} re order O000000123", "fine"], "value": [1.5, 2.0]})
    safe = safe_frame(frame)
    assert list(safe.columns) == ["customer_id", "City", "quote_1", "value"]
    assert safe.customer_id[0] == "C1"
    published_pseudonym = duckdb.execute("SELECT 'anon-' || left(md5(?), 16)", [EMAIL]).fetchone()[0]
    assert safe.customer_id[1] == published_pseudonym
    assert safe.City[0] == "Leeds" and pd.isna(safe.City[1])
    assert safe.quote_1[0] == "call [phone] re order O000000123" and safe.value.tolist() == [1.5, 2.0]
    assert frame.email[0] == EMAIL  # the caller's frame is untouched
    md = safe_markdown(frame, 5)
    assert EMAIL not in md and PHONE not in md and "O000000123" in md
    assert safe_markdown(frame.iloc[:0], 5, "none") == "none"
