"""Copy the reader-facing tables into two DuckDB files (and Parquet), swapped in atomically.

* `published/cip.duckdb` and `published/parquet/`: the safe copy, what viewers, `cip ask`, `cip report`
  and any SQL tool read. Personal data is masked by the rules of `privacy.py` (personal columns left
  out, e-mail addresses and phone numbers scrubbed from every text), in the copying SQL itself.
* `published/analyst/cip.duckdb`: the same tables unmasked, for the dashboard's analyst role (customer
  lookup); the folder is readable by the owner only. No Parquet: it is not meant to travel.

Readers open a copy read-only and never meet the warehouse's writer lock. Each new copy is written
beside the old one and moved into place with `os.replace`, so a reader sees the old copy or the new one,
never half of one; a run that fails before the swap leaves both previous copies untouched.

A publish costs what changed, not what there is. The new copies start as file copies of the previous ones;
a table whose fingerprint (its columns, the masking SQL, its row count and the sum of its rows' hashes) is
the one recorded at the last publish is kept, Parquet file included (a hard link). A large incremental mart
(`DELTA_KEYS`) has only its rewritten keys replaced, then its fingerprint is checked against the warehouse's
(a mismatch copies it whole). Any other changed table is copied whole. A fresh copy is written when there is
no previous one or more than half of a previous file is free space.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cip_assets.serving.privacy import safe_select_sql
from cip_resources.warehouse import connect

PUBLISHED_SCHEMAS = ("marts", "ml", "nlp", "monitoring")
ANALYST_DIR = "analyst"  # published/analyst/cip.duckdb
RECORD_SCHEMA = "cip_publish"  # in both copies: copy_stamp (which publish wrote it); analyst copy: fingerprints
# incremental marts replaced by key: table -> (unique key of its dbt model, the column marking rewritten rows)
DELTA_KEYS = {
    "marts.order_facts": ("order_id", "refreshed_at"),
    "marts.customer_periods": ("customer_id", "loaded_at"),
    "marts.product_customer_monthly": ("month_start", "loaded_at"),
}


@dataclass
class Published:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]  # "schema.table" -> rows
    analyst_database: Path | None = None
    written: dict[str, str] = field(default_factory=dict)  # "schema.table" -> kept / delta / whole


def publish(warehouse: Path, published_dir: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS) -> Published:
    published_dir.mkdir(parents=True, exist_ok=True)
    analyst_dir = published_dir / ANALYST_DIR
    analyst_dir.mkdir(mode=0o700, exist_ok=True)
    analyst_dir.chmod(0o700)  # the unmasked copy: its owner (the platform's user) only
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"  # unique: never the live copy's name
    final_db, analyst_db = published_dir / "cip.duckdb", analyst_dir / "cip.duckdb"
    tmp_db = published_dir / f".cip.duckdb.{stamp}.tmp"
    tmp_analyst = analyst_dir / f".cip.duckdb.{stamp}.tmp"
    parquet_dir = published_dir / f"parquet-{stamp}"
    previous_parquet = (published_dir / "parquet").resolve() if (published_dir / "parquet").is_symlink() else None
    tables: dict[str, int] = {}
    written: dict[str, str] = {}
    try:
        with connect(warehouse) as con:
            listed = _reader_tables(con, schemas)
            recorded = _recorded_fingerprints(con, analyst_db, final_db)
            if recorded is not None:  # start from the previous copies
                shutil.copyfile(analyst_db, tmp_analyst)
                shutil.copyfile(final_db, tmp_db)
            else:
                recorded = {}
            con.execute(f"ATTACH '{tmp_analyst}' AS full_copy")
            con.execute(f"ATTACH '{tmp_db}' AS pub")
            for db in ("full_copy", "pub"):
                for schema in {*schemas, RECORD_SCHEMA}:
                    con.execute(f'CREATE SCHEMA IF NOT EXISTS {db}."{schema}"')
            for stale in set(recorded) - {f"{s}.{n}" for s, n in listed}:  # gone from the warehouse
                for db in ("full_copy", "pub"):
                    con.execute(f"DROP TABLE IF EXISTS {db}.{_quoted(stale)}")
            fingerprints: dict[str, str] = {}
            for (schema, name), columns in listed.items():
                table = f"{schema}.{name}"
                fingerprints[table] = _fingerprint(con, f'"{schema}"."{name}"', columns)
                if recorded.get(table) == fingerprints[table]:
                    written[table] = "kept"
                elif table in recorded and table in DELTA_KEYS and \
                        _replace_rewritten_keys(con, table, columns, fingerprints[table]):
                    written[table] = "delta"
                else:
                    _copy_whole(con, schema, name, columns)
                    written[table] = "whole"
                (parquet_dir / schema).mkdir(parents=True, exist_ok=True)
                parquet = parquet_dir / schema / f"{name}.parquet"
                old_parquet = previous_parquet / schema / f"{name}.parquet" if previous_parquet else None
                if written[table] == "kept" and old_parquet is not None and old_parquet.exists():
                    _link_or_copy(old_parquet, parquet)
                else:
                    con.execute(f"COPY pub.\"{schema}\".\"{name}\" TO '{parquet}' (FORMAT parquet)")
                tables[table] = con.execute(f'SELECT count(*) FROM pub."{schema}"."{name}"').fetchone()[0]
            _record(con, stamp, fingerprints)
            con.execute("DETACH pub")
            con.execute("DETACH full_copy")
        tmp_analyst.chmod(0o600)
        os.replace(tmp_analyst, analyst_db)  # atomic on one filesystem
        os.replace(tmp_db, final_db)
        _swap_link(published_dir / "parquet", parquet_dir)
    except BaseException:
        tmp_db.unlink(missing_ok=True)
        tmp_analyst.unlink(missing_ok=True)
        shutil.rmtree(parquet_dir, ignore_errors=True)
        raise
    _remove_stale(published_dir, keep=parquet_dir)
    return Published(database=final_db, parquet_dir=published_dir / "parquet", tables=tables,
                     analyst_database=analyst_db, written=written)


def _reader_tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> dict[tuple[str, str], list]:
    listed: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, name, column, duck_type in con.execute(
            f"""SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
            WHERE table_catalog = current_database()
              AND table_schema IN ({', '.join('?' for _ in schemas)})
            ORDER BY table_schema, table_name, ordinal_position""", list(schemas)).fetchall():
        listed.setdefault((schema, name), []).append((column, duck_type))
    return listed


def _fingerprint(con: duckdb.DuckDBPyConnection, relation: str, columns: list[tuple[str, str]]) -> str:
    """What the table holds, cheaply: its columns, how it is masked, its rows and the sum of their hashes."""
    hashed = ", ".join(f'"{column}"' for column, _ in columns)
    rows, hash_sum = con.execute(f"SELECT count(*), coalesce(sum(hash({hashed})), 0) FROM {relation}").fetchone()
    return f"{columns}|{safe_select_sql(columns)}|{rows}|{hash_sum}"


def _recorded_fingerprints(con: duckdb.DuckDBPyConnection, analyst_db: Path, final_db: Path) -> dict | None:
    """The previous publish's fingerprints, when both previous copies come from that publish and are worth
    starting from (at most half free space); None for a fresh copy."""
    if not (analyst_db.exists() and final_db.exists()):
        return None
    try:
        con.execute(f"ATTACH '{analyst_db}' AS previous_full (READ_ONLY)")
        con.execute(f"ATTACH '{final_db}' AS previous_pub (READ_ONLY)")
        stamps = {con.execute(f"SELECT stamp FROM {db}.{RECORD_SCHEMA}.copy_stamp").fetchone()[0]
                  for db in ("previous_full", "previous_pub")}
        sizes = con.execute("SELECT sum(free_blocks), sum(used_blocks) FROM pragma_database_size() "
                            "WHERE database_name IN ('previous_full', 'previous_pub')").fetchone()
        if len(stamps) != 1 or sizes[0] > sizes[1]:
            return None
        return dict(con.execute(f"SELECT table_name, fingerprint FROM previous_full.{RECORD_SCHEMA}.fingerprints"
                                ).fetchall())
    except duckdb.Error:  # a copy from before fingerprints, or unreadable: start afresh
        return None
    finally:
        for db in ("previous_full", "previous_pub"):
            try:
                con.execute(f"DETACH {db}")
            except duckdb.Error:
                pass


def _copy_whole(con: duckdb.DuckDBPyConnection, schema: str, name: str, columns: list[tuple[str, str]]) -> None:
    full, pub = f'full_copy."{schema}"."{name}"', f'pub."{schema}"."{name}"'
    con.execute(f'CREATE OR REPLACE TABLE {full} AS SELECT * FROM "{schema}"."{name}"')  # views become tables
    con.execute(f"CREATE OR REPLACE TABLE {pub} AS SELECT {safe_select_sql(columns)} FROM {full}")


def _replace_rewritten_keys(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]],
                            fingerprint: str) -> bool:
    """Replace, in both copies, the keys the warehouse rewrote since the copy's newest `marker`; True when the
    analyst copy then matches the warehouse's fingerprint (else the caller copies the table whole)."""
    key, marker = DELTA_KEYS[table]
    names = [column for column, _ in columns]
    full, pub, source = f"full_copy.{_quoted(table)}", f"pub.{_quoted(table)}", _quoted(table)
    held = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                                      "'full_copy' AND table_schema || '.' || table_name = ? ORDER BY ordinal_position",
                                      [table]).fetchall()]
    if held != names or key not in names or marker not in names:
        return False
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rewritten AS
        SELECT * FROM {source} WHERE "{key}" IN (
            SELECT "{key}" FROM {source} WHERE "{marker}" > (SELECT max("{marker}") FROM {full}))""")
    for copy in (full, pub):
        con.execute(f'DELETE FROM {copy} WHERE "{key}" IN (SELECT "{key}" FROM rewritten)')
    con.execute(f"INSERT INTO {full} SELECT * FROM rewritten")
    con.execute(f"INSERT INTO {pub} SELECT {safe_select_sql(columns)} FROM rewritten")
    con.execute("DROP TABLE rewritten")
    return _fingerprint(con, full, columns) == fingerprint


def _record(con: duckdb.DuckDBPyConnection, stamp: str, fingerprints: dict[str, str]) -> None:
    """Which publish wrote each copy, and (analyst copy only: hashes of unmasked rows) what each table held."""
    for db in ("full_copy", "pub"):
        con.execute(f"CREATE OR REPLACE TABLE {db}.{RECORD_SCHEMA}.copy_stamp AS "
                    "SELECT ? AS stamp, now() AS published_at", [stamp])
    con.execute(f"CREATE OR REPLACE TABLE full_copy.{RECORD_SCHEMA}.fingerprints "
                "(table_name VARCHAR PRIMARY KEY, fingerprint VARCHAR)")
    con.executemany(f"INSERT INTO full_copy.{RECORD_SCHEMA}.fingerprints VALUES (?, ?)", list(fingerprints.items()))


def _link_or_copy(source: Path, target: Path) -> None:
    """A kept Parquet file: a hard link where the file system has them, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _quoted(table: str) -> str:
    schema, name = table.split(".", 1)
    return f'"{schema}"."{name}"'


def _swap_link(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically (a symlink renamed over the old one)."""
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    tmp_link = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.name)
    os.replace(tmp_link, link)


def _remove_stale(published_dir: Path, keep: Path) -> None:
    for old in published_dir.glob("parquet-*"):
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in [*published_dir.glob(".cip.duckdb.*.tmp"), *(published_dir / ANALYST_DIR).glob(".cip.duckdb.*.tmp")]:
        tmp.unlink(missing_ok=True)


def open_published(published_dir: Path, analyst: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the safe copy (what every reader uses), or to the analyst copy."""
    return duckdb.connect(str(published_dir / (f"{ANALYST_DIR}/cip.duckdb" if analyst else "cip.duckdb")),
                          read_only=True)
