"""The DuckDB warehouse: the one file Dagster runs write (single writer)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import dagster as dg
import duckdb


class WarehouseResource(dg.ConfigurableResource):
    """Opens the warehouse file named by `CIP_DUCKDB_PATH` (the same variable dbt's profile reads)."""

    database: str

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        from pathlib import Path

        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.database)
        try:
            yield con
        finally:
            con.close()
