"""The DuckDB warehouse: the one file Dagster runs write (single writer)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

DEFAULT_MEMORY_LIMIT = "8GB"  # DuckDB spills to disk past this instead of growing to most of the machine


def connect(database: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the memory cap `CIP_DUCKDB_MEMORY_LIMIT` (dbt's profile reads it too)."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(database), read_only=read_only, config={
        "memory_limit": os.environ.get("CIP_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)})


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` is there: model tables are absent until their asset first writes them."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame) -> None:
    """Write a DataFrame as `schema.table`, replacing what was there (model outputs, not raw data)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.register("_frame", frame)
    con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} AS SELECT * FROM _frame")
    con.unregister("_frame")


class WarehouseResource(dg.ConfigurableResource):
    """Opens the warehouse file named by `CIP_DUCKDB_PATH` (the same variable dbt's profile reads)."""

    database: str

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.database)
        try:
            yield con
        finally:
            con.close()
