"""Copy the reader-facing tables into a separate DuckDB file and Parquet, swapped in atomically.

Readers (dashboard, `cip ask`, any SQL tool) open `published/cip.duckdb` read-only and never
meet the warehouse's writer lock. The new copy is written beside the old one and moved into
place with `os.replace`, so a reader sees the old copy or the new one, never half of one; a
run that fails before the swap leaves the previous copy untouched.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cip_resources.warehouse import connect

PUBLISHED_SCHEMAS = ("marts", "ml", "nlp", "monitoring")


@dataclass
class Published:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]  # "schema.table" -> rows


def publish(warehouse: Path, published_dir: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS) -> Published:
    published_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"  # unique: never the live copy's name
    tmp_db = published_dir / f".cip.duckdb.{stamp}.tmp"
    parquet_dir = published_dir / f"parquet-{stamp}"
    tables: dict[str, int] = {}
    try:
        with connect(warehouse) as con:
            listed = con.execute(
                f"""SELECT table_schema, table_name FROM information_schema.tables
                WHERE table_catalog = current_database()
                  AND table_schema IN ({', '.join('?' for _ in schemas)})
                ORDER BY 1, 2""", list(schemas)).fetchall()
            con.execute(f"ATTACH '{tmp_db}' AS pub")
            for schema, name in listed:
                con.execute(f'CREATE SCHEMA IF NOT EXISTS pub."{schema}"')
                con.execute(f'CREATE TABLE pub."{schema}"."{name}" AS SELECT * FROM "{schema}"."{name}"')
                (parquet_dir / schema).mkdir(parents=True, exist_ok=True)
                con.execute(f"""COPY pub."{schema}"."{name}" TO '{parquet_dir / schema / name}.parquet'
                                (FORMAT parquet)""")
                tables[f"{schema}.{name}"] = con.execute(
                    f'SELECT count(*) FROM pub."{schema}"."{name}"').fetchone()[0]
            con.execute("DETACH pub")
        final_db = published_dir / "cip.duckdb"
        os.replace(tmp_db, final_db)  # atomic on one filesystem
        _swap_link(published_dir / "parquet", parquet_dir)
    except BaseException:
        tmp_db.unlink(missing_ok=True)
        shutil.rmtree(parquet_dir, ignore_errors=True)
        raise
    _remove_stale(published_dir, keep=parquet_dir)
    return Published(database=final_db, parquet_dir=published_dir / "parquet", tables=tables)


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
    for tmp in published_dir.glob(".cip.duckdb.*.tmp"):
        tmp.unlink(missing_ok=True)


def open_published(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published copy (what every reader uses)."""
    return duckdb.connect(str(published_dir / "cip.duckdb"), read_only=True)
