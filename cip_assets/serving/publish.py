"""Copy the reader-facing tables into two DuckDB files (and Parquet), swapped in atomically.

* `published/cip.duckdb` and `published/parquet/`: the safe copy, what viewers, `cip ask`, `cip report`
  and any SQL tool read. Personal data is masked by the rules of `privacy.py` (personal columns left
  out, e-mail addresses and phone numbers scrubbed from every text), in the copying SQL itself.
* `published/analyst/cip.duckdb`: the same tables unmasked, for the dashboard's analyst role (customer
  lookup); the folder is readable by the owner only. No Parquet: it is not meant to travel.

Readers open a copy read-only and never meet the warehouse's writer lock. Each new copy is written
beside the old one and moved into place with `os.replace`, so a reader sees the old copy or the new one,
never half of one; a run that fails before the swap leaves both previous copies untouched.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cip_assets.serving.privacy import safe_select_sql
from cip_resources.warehouse import connect

PUBLISHED_SCHEMAS = ("marts", "ml", "nlp", "monitoring")
ANALYST_DIR = "analyst"  # published/analyst/cip.duckdb


@dataclass
class Published:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]  # "schema.table" -> rows
    analyst_database: Path | None = None


def publish(warehouse: Path, published_dir: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS) -> Published:
    published_dir.mkdir(parents=True, exist_ok=True)
    analyst_dir = published_dir / ANALYST_DIR
    analyst_dir.mkdir(mode=0o700, exist_ok=True)
    analyst_dir.chmod(0o700)  # the unmasked copy: its owner (the platform's user) only
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"  # unique: never the live copy's name
    tmp_db = published_dir / f".cip.duckdb.{stamp}.tmp"
    tmp_analyst = analyst_dir / f".cip.duckdb.{stamp}.tmp"
    parquet_dir = published_dir / f"parquet-{stamp}"
    tables: dict[str, int] = {}
    try:
        with connect(warehouse) as con:
            listed: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for schema, name, column, duck_type in con.execute(
                    f"""SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
                    WHERE table_catalog = current_database()
                      AND table_schema IN ({', '.join('?' for _ in schemas)})
                    ORDER BY table_schema, table_name, ordinal_position""", list(schemas)).fetchall():
                listed.setdefault((schema, name), []).append((column, duck_type))
            con.execute(f"ATTACH '{tmp_analyst}' AS full_copy")
            con.execute(f"ATTACH '{tmp_db}' AS pub")
            for (schema, name), columns in listed.items():
                full, pub = f'full_copy."{schema}"."{name}"', f'pub."{schema}"."{name}"'
                for db in ("full_copy", "pub"):
                    con.execute(f'CREATE SCHEMA IF NOT EXISTS {db}."{schema}"')
                con.execute(f'CREATE TABLE {full} AS SELECT * FROM "{schema}"."{name}"')  # views become tables
                con.execute(f"CREATE TABLE {pub} AS SELECT {safe_select_sql(columns)} FROM {full}")
                (parquet_dir / schema).mkdir(parents=True, exist_ok=True)
                con.execute(f"COPY {pub} TO '{parquet_dir / schema / name}.parquet' (FORMAT parquet)")
                tables[f"{schema}.{name}"] = con.execute(f"SELECT count(*) FROM {pub}").fetchone()[0]
            con.execute("DETACH pub")
            con.execute("DETACH full_copy")
        tmp_analyst.chmod(0o600)
        final_db, analyst_db = published_dir / "cip.duckdb", analyst_dir / "cip.duckdb"
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
                     analyst_database=analyst_db)


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
