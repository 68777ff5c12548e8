"""Tables that Python writes (schemas ml, nlp, monitoring): declared once, written one way.

A `TableSpec` names the table, its columns with DuckDB types and its grain. `write_table` creates the
table from the spec (never from whatever types pandas inferred), adds columns a newer spec declares,
and replaces or appends the frame's rows by column name, cast to the declared types; columns the
frame lacks are NULL, columns the spec does not declare are an error (a typo is not a new column).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd


@dataclass(frozen=True)
class TableSpec:
    schema: str
    name: str
    columns: dict[str, str]  # column -> DuckDB type, in order
    grain: str               # "one row per ..."

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def ddl(self, replace: bool = False) -> str:
        columns = ", ".join(f'"{c}" {t}' for c, t in self.columns.items())
        verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
        return f"{verb} {self.qualified} ({columns})"

    def empty(self) -> pd.DataFrame:
        return pd.DataFrame(columns=list(self.columns))


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` is there: model tables are absent until their asset first writes them."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def ensure_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """Create the table if absent; add the columns a newer spec declares."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {spec.schema}")
    con.execute(spec.ddl())
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_schema = ? AND table_name = ?", [spec.schema, spec.name]).fetchall()}
    for column, duck_type in spec.columns.items():
        if column not in have:
            con.execute(f'ALTER TABLE {spec.qualified} ADD COLUMN "{column}" {duck_type}')


def write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, frame: pd.DataFrame, mode: str = "replace") -> int:
    """Replace (or append to) `spec`'s table with `frame`; returns the rows written."""
    unknown = [c for c in frame.columns if c not in spec.columns]
    if unknown:
        raise ValueError(f"{spec.qualified}: columns {unknown} are not in its spec ({list(spec.columns)})")
    if mode not in ("replace", "append"):
        raise ValueError(f"mode must be replace or append, not {mode!r}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {spec.schema}")
    if mode == "replace":
        con.execute(spec.ddl(replace=True))
    else:
        ensure_table(con, spec)
    if len(frame):
        view = f"_write_{spec.name}"
        con.register(view, frame)
        try:
            casts = ", ".join(f'CAST("{c}" AS {spec.columns[c]}) AS "{c}"' for c in frame.columns)
            con.execute(f"INSERT INTO {spec.qualified} BY NAME SELECT {casts} FROM {view}")
        finally:
            con.unregister(view)
    return len(frame)
