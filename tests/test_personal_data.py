"""Personal data stays in its place: the warehouse and the analyst copy, nowhere else a run writes.

The synthetic generator plants an e-mail address and a phone number in one customer record (the city box)
and in one review (`synthetic.PLANTED_*`), so the session's shared `cip run` carries them. This test reads
what that run left behind and looks for the planted strings, and for anything shaped like an e-mail address
or a phone number, in the published copy (DuckDB and Parquet), the Dagster event log and run storage, MLflow
(params, tags, metrics, artifacts), the QA index, reports and logs; and checks that the warehouse and the
analyst copy do hold them, so the plant really happened.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import duckdb
import pytest

from cip_assets.ingest.synthetic import (PLANTED_CITY, PLANTED_CUSTOMER_EMAIL, PLANTED_CUSTOMER_PHONE,
                                         PLANTED_REVIEW_EMAIL, PLANTED_REVIEW_PHONE)
from cip_assets.serving.privacy import CONTACT_PATTERN

PLANTED = (PLANTED_CUSTOMER_EMAIL, PLANTED_CUSTOMER_PHONE, PLANTED_REVIEW_EMAIL, PLANTED_REVIEW_PHONE)
CONTACT = re.compile(CONTACT_PATTERN)
TEXT_TYPES = ("VARCHAR", "JSON")
SKIP_SUFFIXES = (".png", ".npy")  # images and embedding matrices hold no text
# fitted models and report bundles are code and numbers ("601 584 1017" in a tree dump, "+16777216" and a
# library author's address in minified JavaScript): searched for the planted strings only
CODE_SUFFIXES = (".skops", ".pkl", ".joblib", ".html")


def _leaks(text: str, shapes: bool = True) -> list[str]:
    """The planted strings in `text`, and (with `shapes`) anything shaped like an e-mail address or phone."""
    found = [p for p in PLANTED if p in text]
    return found + ([m.group(0).strip() for m in CONTACT.finditer(text)][:5] if shapes else [])


def _duckdb_leaks(con: duckdb.DuckDBPyConnection, where: str) -> list[str]:
    """Every text column of every table, searched inside DuckDB (vectorised, one query per column)."""
    leaks = []
    columns = con.execute("""SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
                             WHERE table_catalog = current_database()""").fetchall()
    for schema, table, column, duck_type in columns:
        if not any(t in duck_type for t in TEXT_TYPES):
            continue
        hits = con.execute(
            f"""SELECT DISTINCT "{column}"::VARCHAR FROM "{schema}"."{table}"
                WHERE regexp_matches("{column}"::VARCHAR, $pattern)
                   OR list_has_any([contains("{column}"::VARCHAR, p) FOR p IN $planted], [true]) LIMIT 3""",
            {"pattern": CONTACT_PATTERN, "planted": list(PLANTED)}).fetchall()
        leaks += [f"{where} {schema}.{table}.{column}: {h[0][:200]!r}" for h in hits]
    return leaks


def _sqlite_leaks(path: Path) -> list[str]:
    """Every text cell of every table of a SQLite file (Dagster's event log and runs, MLflow's store)."""
    leaks = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    text = cell.decode("utf-8", "replace") if isinstance(cell, bytes) else cell
                    if isinstance(text, str) and (found := _leaks(text)):
                        leaks.append(f"{path.name} {table}: {found} in {text[:200]!r}")
    finally:
        con.close()
    return leaks


def _file_leaks(path: Path) -> list[str]:
    if path.suffix in SKIP_SUFFIXES:
        return []
    if path.suffix == ".parquet":
        with duckdb.connect() as con:
            con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
            return [leak.replace("main.t.", "") for leak in _duckdb_leaks(con, str(path))]
    if path.suffix in (".db", ".sqlite") and path.read_bytes()[:16] == b"SQLite format 3\x00":
        return _sqlite_leaks(path)
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            return _duckdb_leaks(con, str(path))
    if zipfile.is_zipfile(path):  # skops models and the like
        with zipfile.ZipFile(path) as z:
            texts = [z.read(name).decode("latin-1") for name in z.namelist()]
    else:
        texts = [path.read_bytes().decode("latin-1")]  # pickles and joblib keep their strings as bytes
    return [f"{path}: {found}" for text in texts if (found := _leaks(text, shapes=path.suffix not in CODE_SUFFIXES))]


def _tree_leaks(folder: Path) -> list[str]:
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        leaks += _file_leaks(path)
    return leaks


@pytest.fixture(scope="module")
def home(synthetic_run_home) -> Path:
    return Path(synthetic_run_home)


def test_the_plant_reached_the_warehouse_and_the_analyst_copy(home):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.customers WHERE city = ?", [PLANTED_CITY]).fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM raw.feedback WHERE contains(text, ?) AND contains(text, ?)",
                           [PLANTED_REVIEW_EMAIL, PLANTED_REVIEW_PHONE]).fetchone()[0] == 1
    with duckdb.connect(str(home / "published" / "analyst" / "cip.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.customer_360 WHERE city = ?", [PLANTED_CITY]).fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM nlp.feedback_sentiment WHERE contains(text, ?)",
                           [PLANTED_REVIEW_EMAIL]).fetchone()[0] == 1


def test_the_published_copy_holds_no_personal_data(home):
    published = home / "published"
    with duckdb.connect(str(published / "cip.duckdb"), read_only=True) as con:
        assert _duckdb_leaks(con, "published") == []
        # the planted review is still there, its contact details scrubbed, not the review dropped
        assert con.execute("SELECT count(*) FROM nlp.feedback_sentiment WHERE text LIKE "
                           "'%Please write to [e-mail] or call [phone].'").fetchone()[0] == 1
    parquet = (published / "parquet").resolve()
    assert list(parquet.rglob("*.parquet")) and _tree_leaks(parquet) == []


def test_dagster_storage_holds_no_personal_data(home):
    dagster = home / "dagster"
    databases = list(dagster.rglob("*.db"))
    assert any(p.parent.name == "runs" and p.name != "index.db" for p in databases)  # the run's event log
    assert _tree_leaks(dagster) == []


def test_mlflow_holds_no_personal_data(home):
    assert (home / "mlflow.db").exists() and list((home / "mlartifacts").rglob("MLmodel"))
    assert _sqlite_leaks(home / "mlflow.db") == []
    assert _tree_leaks(home / "mlartifacts") == []


def test_qa_index_reports_and_logs_hold_no_personal_data(home):
    assert list((home / "qa_index").rglob("*.json"))
    leaks = []
    for folder in ("qa_index", "reports", "logs"):
        if (home / folder).exists():
            leaks += _tree_leaks(home / folder)
    if (home / "cip_run_output.txt").exists():
        leaks += _file_leaks(home / "cip_run_output.txt")
    assert leaks == []
