"""Trust at the door: options never become SQL, readers are bounded and honest, one bad inbox file stays alone."""

import gzip
import json
import os
import time

import dagster as dg
import openpyxl
import pytest

from cip_assets.ingest.load import cast_expr
from cip_assets.ingest.pipeline import ingest_table, inbox_files
from cip_assets.ingest.readers import SourceFileError
from cip_resources.settings import CipConfig, SourceConfig, load_config, paths
from tests.conftest import write_config

TICKETS = "ticket,client,opened,body\n"


def run(con, tmp_path, sources: list[dict], table: str, **sections):
    config = load_config(write_config(tmp_path / "conf", sources, **sections))
    return ingest_table(con, config, table, paths())


def tickets(path, **options) -> dict:
    return {"name": "helpdesk", "adapter": "table", "path": str(path), "table": "feedback",
            "columns": {"feedback_id": "ticket", "customer_id": "client", "created_at": "opened", "text": "body"},
            "constants": {"channel": "support"}, **options}


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def age(*files, seconds: float = 120):
    """As if the files had been copied `seconds` ago (and not touched since)."""
    for f in files:
        os.utime(f, (time.time() - seconds, time.time() - seconds))


# ---------------------------------------------------------------- values that reach SQL
def test_a_date_format_with_quotes_loads(warehouse, tmp_path):
    """Before: the format was pasted between quotes, so `'de'` ended the string and the load failed."""
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS + "T1,C1,05 'de' March 2024,where is my parcel\nT2,C2,2024-03-06 10:00:00,refund\n")
    (result,) = run(warehouse, tmp_path, [tickets(path, date_format="%d 'de' %B %Y")], "feedback")
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    dates = dict(warehouse.execute("SELECT feedback_id, created_at::VARCHAR FROM raw.feedback").fetchall())
    assert dates == {"T1": "2024-03-05 00:00:00", "T2": "2024-03-06 10:00:00"}  # ISO still read as a fallback


def test_a_date_format_is_data_not_sql(warehouse, tmp_path):
    """Literal text may hold anything (it is bound, not pasted): nothing is executed, the table survives."""
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS + "T1,C1,2024-03-05,hello\n")
    attack = "%Y-%m-%d'), NULL); DROP TABLE raw.customers; --"
    (result,) = run(warehouse, tmp_path, [tickets(path, date_format=attack)], "feedback")
    assert result.rows_loaded == 1
    assert one(warehouse, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'customers'") == 1
    assert "$date_format" in cast_expr("opened", "TIMESTAMP", attack) and attack not in cast_expr(
        "opened", "TIMESTAMP", attack)


@pytest.mark.parametrize("date_format, message", [
    ("%d %Q", "unsupported directive '%Q'"),
    ("100%", "unsupported directive '%'"),
    ("%d\n%m", "control characters"),
])
def test_a_date_format_outside_duckdbs_directives_is_refused_at_load(tmp_path, cip_home, date_format, message):
    with pytest.raises(ValueError, match=message):
        load_config(write_config(tmp_path, [tickets(tmp_path / "t.csv", date_format=date_format)]))


def test_constants_name_contract_columns_only(warehouse, tmp_path):
    """Before: a constants key became an unquoted alias, so a key could carry SQL. Now the config is refused, and a
    config built in code (no model) is refused by the adapter; values with quotes are just values."""
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS + "T1,C1,2024-03-05,hello\n")
    evil = {"channel": "support", "category, (SELECT 42) AS title": "x"}
    with pytest.raises(ValueError, match=r"'constants' names \['category, \(SELECT 42\) AS title'\], not columns"):
        run(warehouse, tmp_path, [tickets(path, constants=evil)], "feedback")
    source = SourceConfig("helpdesk", "table", path, {**{k: v for k, v in tickets(path).items()
                                                         if k not in ("name", "adapter", "path")}, "constants": evil})
    with pytest.raises(SourceFileError, match="not columns of raw.feedback"):
        ingest_table(warehouse, CipConfig(sources=(source,)), "feedback", paths())
    assert one(warehouse, "SELECT count(*) FROM raw.feedback") == 0
    (result,) = run(warehouse, tmp_path, [tickets(path, constants={"channel": "support", "category": "O'Brien's"})],
                    "feedback")
    assert result.rows_loaded == 1 and one(warehouse, "SELECT category FROM raw.feedback") == "O'Brien's"


def test_option_values_with_quotes_are_literals(warehouse, tmp_path):
    path = tmp_path / "test.csv"
    path.write_text("user,group,bought\nu1,ctl'; --,1\nu2,promo,0\n")
    source = {"name": "c", "adapter": "campaign", "path": str(path), "control_arm": "ctl'; --",
              "campaign_id": "spring'24", "columns": {"customer_id": "user", "arm": "group", "converted": "bought"}}
    (result,) = run(warehouse, tmp_path, [source], "campaign_exposures")
    assert result.rows_loaded == 2
    rows = warehouse.execute("SELECT campaign_id, customer_id, is_control FROM raw.campaign_exposures "
                             "ORDER BY customer_id").fetchall()
    assert rows == [("spring'24", "u1", True), ("spring'24", "u2", False)]


def test_delimiter_and_encoding_are_closed_sets(tmp_path, cip_home):
    with pytest.raises(ValueError, match=r"sources\[0\] \(helpdesk\)\.delimiter: expected one of"):
        load_config(write_config(tmp_path, [tickets(tmp_path / "t.csv", delimiter="',")]))
    with pytest.raises(ValueError, match=r"\.encoding: unknown encoding 'klingon'"):
        load_config(write_config(tmp_path, [tickets(tmp_path / "t.csv", encoding="klingon")]))
    config = load_config(write_config(tmp_path, [tickets(tmp_path / "t.csv", delimiter="tab", encoding="CP1252")]))
    assert config.sources[0].get("delimiter") == "tab"


# ---------------------------------------------------------------- bounded, honest readers
def test_a_gzip_that_expands_past_the_cap_names_the_file(warehouse, tmp_path):
    """Before: a .gz was decompressed whole into memory, whatever it expanded to."""
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(TICKETS)
        for i in range(60_000):
            fh.write(f"T{i},C1,2024-03-05,{'a' * 40}\n")
    assert path.stat().st_size < 200_000  # ~3 MB of text
    with pytest.raises(SourceFileError, match=r"bomb.csv.gz: expands to more than 1 MB of text "
                                              r"\(ingest.max_uncompressed_mb\)"):
        run(warehouse, tmp_path, [tickets(path)], "feedback", ingest={"max_uncompressed_mb": 1})
    (result,) = run(warehouse, tmp_path, [tickets(path)], "feedback", ingest={"max_uncompressed_mb": 10})
    assert result.rows_loaded == 60_000


def test_a_workbook_over_the_cap_is_refused_before_openpyxl_loads_it(warehouse, tmp_path):
    path = tmp_path / "tickets.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["ticket", "client", "opened", "body"])
    for i in range(3000):
        book.active.append([f"T{i}", "C1", "2024-05-01 10:00", "x" * 200])
    book.save(path)
    with pytest.raises(SourceFileError, match=r"tickets.xlsx: the workbook expands to .* over the 0.1 MB limit "
                                              r"\(ingest.max_workbook_mb\)"):
        run(warehouse, tmp_path, [tickets(path)], "feedback", ingest={"max_workbook_mb": 0.1})


def test_an_encoding_option_decodes_cp1252_and_undecodable_rows_are_rejects(warehouse, tmp_path):
    """Before: every file was read as 'utf8-lossy': "Zürich" in cp1252 became "Z\ufffdrich", silently."""
    path = tmp_path / "cp1252.csv"
    path.write_bytes(TICKETS.encode() + "T1,C1,2024-03-05,Grüße aus Zürich – €5\n".encode("cp1252")
                     + b"T2,C2,2024-03-05,bad byte \x81 here\n" + b"T3,C3,2024-03-06,fine\n")
    (result,) = run(warehouse, tmp_path, [tickets(path, encoding="cp1252")], "feedback")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1) and result.reconciles
    assert one(warehouse, "SELECT text FROM raw.feedback WHERE feedback_id = 'T1'") == "Grüße aus Zürich – €5"
    assert warehouse.execute("SELECT row_number, reason FROM raw.rejected_rows").fetchall() == [
        (2, "cannot be decoded as cp1252")]


def test_undecodable_utf8_rows_are_rejected_not_mangled(warehouse, tmp_path):
    path = tmp_path / "latin.csv.gz"
    path.write_bytes(gzip.compress(TICKETS.encode() + "T1,C1,2024-03-05,Zürich\n".encode("latin-1")
                                   + "T2,C2,2024-03-05,Zürich\n".encode("utf-8")))
    (result,) = run(warehouse, tmp_path, [tickets(path)], "feedback")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert one(warehouse, "SELECT text FROM raw.feedback") == "Zürich"
    row_number, reason = warehouse.execute("SELECT row_number, reason FROM raw.rejected_rows").fetchone()
    assert row_number == 1 and reason.startswith("cannot be decoded as utf-8 (set the source's 'encoding')")
    assert one(warehouse, "SELECT count(*) FROM raw.feedback WHERE contains(text, chr(65533))") == 0
    warehouse.execute("DELETE FROM raw.ingest_ledger")  # the same bytes again, now with the right encoding
    (again,) = run(warehouse, tmp_path, [tickets(path, encoding="latin-1")], "feedback")
    assert (again.rows_loaded, again.rows_already_loaded) == (1, 1)  # T1 now, T2 by its key


def test_row_numbers_survive_rejects_and_quoted_newlines(warehouse, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS + 'T1,C1,2024-03-05,"two\nlines"\nT2,C1,2024-03-05,x,EXTRA\nT3,C1,2099-01-01,future\n'
                    "T4,C1,2024-03-05,ok\n")
    (result,) = run(warehouse, tmp_path, [tickets(path)], "feedback")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    reasons = dict(warehouse.execute("SELECT row_number, reason FROM raw.rejected_rows").fetchall())
    assert reasons[2].startswith("malformed row: 5 fields where the header has 4")
    assert "created_at is in the future" in reasons[3]
    assert json.loads(one(warehouse, "SELECT payload FROM raw.rejected_rows WHERE row_number = 3"))["ticket"] == "T3"


# ---------------------------------------------------------------- the inbox
def _drop(home, adapter: str, name: str, text: str | bytes, sidecar=None):
    folder = home / "inbox" / adapter
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    files = [path]
    if sidecar is not None:
        side = folder / (name + ".json")
        side.write_text(sidecar if isinstance(sidecar, str) else json.dumps(sidecar))
        files.append(side)
    return files


def test_one_bad_inbox_file_is_quarantined_and_the_others_load(warehouse, tmp_path, cip_home):
    """Before: a malformed sidecar (json.loads) or an unknown file type stopped ingestion of every source."""
    good = _drop(cip_home, "reviews", "good.csv", "text,rating\nlovely,5\nawful,1\n")
    broken_json = _drop(cip_home, "reviews", "a.csv", "text,rating\nnice,4\n", sidecar="{not json")
    typo = _drop(cip_home, "reviews", "b.csv", "text,rating\nnice,4\n", sidecar={"colums": {"text": "text"}})
    docx = _drop(cip_home, "reviews", "notes.docx", b"PK\x03\x04 not a table")
    unreadable = _drop(cip_home, "reviews", "c.csv.gz", b"\x1f\x8b not really gzip")
    age(*good, *broken_json, *typo, *docx, *unreadable)
    config = load_config(write_config(tmp_path / "conf", [{"name": "s", "adapter": "synthetic", "customers": 20}]))
    results = {r.source: r for r in ingest_table(warehouse, config, "feedback", paths())}
    assert results["inbox/reviews/good.csv"].rows_loaded == 2
    quarantine = cip_home / "inbox" / "_quarantine" / "reviews"
    assert sorted(p.name for p in (cip_home / "inbox" / "reviews").iterdir()) == ["good.csv"]
    reasons = {p.name[:-len(".reason.txt")]: p.read_text() for p in quarantine.glob("*.reason.txt")}
    assert set(reasons) == {"a.csv", "b.csv", "notes.docx", "c.csv.gz"}
    assert "not a valid JSON sidecar" in reasons["a.csv"]
    assert "b.csv.json: colums: unknown key (did you mean 'columns'?" in reasons["b.csv"]
    assert "unknown file type" in reasons["notes.docx"]
    assert "raw.feedback" in reasons["c.csv.gz"] and "gzip" in reasons["c.csv.gz"]
    assert (quarantine / "a.csv.json").exists() and (quarantine / "b.csv.json").exists()
    assert all("quarantined" in results[f"inbox/reviews/{n}"].note for n in ("a.csv", "b.csv", "notes.docx"))


def test_a_fresh_unreadable_inbox_file_is_left_for_the_next_run(warehouse, tmp_path, cip_home):
    """Half-copied right now: not loaded, not quarantined; retried once it has settled."""
    (path,) = _drop(cip_home, "labelled_customers", "churn.xlsx", b"PK\x03\x04 half a workbook")
    config = load_config(write_config(tmp_path / "conf", [{"name": "s", "adapter": "synthetic", "customers": 20}]))
    (result,) = [r for r in ingest_table(warehouse, config, "customer_labels", paths()) if r.source.startswith("inbox")]
    assert "still arriving" in result.note and path.exists()


def test_the_sensor_waits_for_a_file_to_stop_growing(cip_home):
    from cip_assets.automation import inbox_sensor

    context = dg.build_sensor_context(cursor=None)
    (path,) = _drop(cip_home, "events", "day1.csv", "event_time,event_type,user_id\n")
    assert "still arriving" in inbox_sensor(context).skip_message
    with path.open("a") as fh:  # the copy goes on between two ticks
        fh.write("2024-01-01 10:00:00 UTC,view,1\n")
    assert "still arriving" in inbox_sensor(context).skip_message
    request = inbox_sensor(context)  # the same size and time as at the previous tick: complete
    assert isinstance(request, dg.RunRequest) and "day1.csv" in request.tags["cip/inbox_files"]
    assert str(path) in json.loads(context.cursor)["requested"]
    assert inbox_sensor(context).skip_message == "no new files in the inbox"
    # an old file is complete at once; a malformed sidecar sends its file to quarantine instead of a run
    old = _drop(cip_home, "events", "day0.csv", "event_time,event_type,user_id\n2024-01-01 09:00:00 UTC,view,1\n")
    bad = _drop(cip_home, "events", "day2.csv", "event_time,event_type,user_id\n", sidecar={"date_formt": "%d"})
    age(*old, *bad)
    request = inbox_sensor(context)
    assert isinstance(request, dg.RunRequest) and request.tags["cip/inbox_files"] == str(old[0])
    assert (cip_home / "inbox" / "_quarantine" / "events" / "day2.csv.reason.txt").exists()
    assert [f.path.name for f in inbox_files(paths())] == ["day0.csv", "day1.csv"]


def test_the_sensor_reports_a_bad_config_instead_of_crashing(cip_home, tmp_path, monkeypatch):
    from cip_assets.automation import inbox_sensor

    monkeypatch.setenv("CIP_CONFIG", str(write_config(tmp_path, [{"adapter": "synthetic"}], offers={"budjet": 5})))
    age(*_drop(cip_home, "events", "day1.csv", "event_time,event_type,user_id\n"))
    result = inbox_sensor(dg.build_sensor_context(cursor=None))
    assert isinstance(result, dg.SkipReason)
    assert "config error" in result.skip_message and "offers.budjet: unknown key" in result.skip_message
